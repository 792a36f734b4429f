#!/usr/bin/env bash
# A reader that asks for entries heald no longer holds, or that --limit
# leaves out, is told so, never served a silent gap (issue 12's review):
# heald keeps the newest 1024 entries in memory; here its journal file
# holds 1500 before it starts.
#  - `journal --after 10` and `journal --follow --after 10` print from the
#    oldest entry in memory, say on stderr which ids are only in the
#    journal file, and exit 1 (entries were skipped); with --json, the
#    follow's stream holds the gap itself: a {"type":"gap"} line with the
#    first and last id it did not get, before the entries after it (a
#    script reading the stream saw 1490 newer entries turn into 1024 with
#    nothing but a line on stderr, and exit 0);
#  - `--after 0` is an --after too: everything, or the gap said;
#  - `journal --after 1200 --limit 5` says how many newer entries --limit
#    left out and from which id to go on;
#  - a reply carries "oldest" (the oldest id in memory) and "omitted";
#  - an --after inside what heald holds prints no warning at all.
. "$(dirname "$0")/common.sh"
HEALCTL=${HEALCTL:-$top/build/asan/bin/healctl}

for i in $(seq 1 1500); do
	printf '{"id":%d,"type":"note","time":"2026-12-01T00:00:00.000Z","schema":1,"n":%d}\n' "$i" "$i"
done > "$SCRATCH/journal.jsonl"
heald_conf
heald_start
ctl() { ip netns exec "$NS" "$HEALCTL" "$@"; }

r=$(hc journal limit=1024) || fail "journal request"
oldest=$(echo "$r" | jq '.oldest')
newest=$(hc journal | jq '.entries[-1].id')
[ "$oldest" = $((newest - 1023)) ] || fail "oldest $oldest with newest $newest: not the last 1024"
log "heald holds entries $oldest..$newest"

# Behind what heald holds: printed from the oldest, the gap named, exit 1.
rc=0
ctl journal --json --after 10 --limit 1024 > "$SCRATCH/j" 2> "$SCRATCH/j.err" || rc=$?
[ $rc = 1 ] || fail "journal --after 10 skipped entries and exited $rc: $(cat "$SCRATCH/j.err")"
[ "$(jq '.[0].id' "$SCRATCH/j")" = "$oldest" ] || fail "journal --after 10 starts at $(jq '.[0].id' "$SCRATCH/j")"
grep -q "entries 11 to $((oldest - 1)) are no longer in heald's memory" "$SCRATCH/j.err" ||
	fail "journal --after 10: no word of the gap: $(cat "$SCRATCH/j.err")"
log "journal --after 10: $(cat "$SCRATCH/j.err")"

rc=0
ctl journal --follow --json --after 10 --count 3 --timeout 10 > "$SCRATCH/f" 2> "$SCRATCH/f.err" || rc=$?
[ $rc = 1 ] || fail "journal --follow --after 10 skipped entries and exited $rc: $(cat "$SCRATCH/f.err")"
head -1 "$SCRATCH/f" | jq -e --argjson l $((oldest - 1)) \
	'.type == "gap" and .schema == 1 and .after == 10 and .first == 11 and .last == $l and (.reason | test("memory"))' \
	> /dev/null || fail "journal --follow --json --after 10: no gap marker first: $(head -1 "$SCRATCH/f")"
[ "$(sed -n 2p "$SCRATCH/f" | jq .id)" = "$oldest" ] || fail "the follow goes on at $(sed -n 2p "$SCRATCH/f")"
[ "$(wc -l < "$SCRATCH/f")" = 4 ] || fail "--count 3 counts entries, not the marker: $(wc -l < "$SCRATCH/f") lines"
grep -q "entries 11 to $((oldest - 1)) are no longer in heald's memory" "$SCRATCH/f.err" ||
	fail "journal --follow --after 10: no word of the gap: $(cat "$SCRATCH/f.err")"
log "journal --follow --json --after 10: $(head -1 "$SCRATCH/f")"
# As text: the same word on stderr and exit 1.
rc=0
ctl journal --follow --after 10 --count 2 --timeout 10 > /dev/null 2> "$SCRATCH/t.err" || rc=$?
if [ $rc != 1 ] || ! grep -q "entries 11 to $((oldest - 1))" "$SCRATCH/t.err"; then
	fail "journal --follow --after 10 (text): exit $rc, $(cat "$SCRATCH/t.err")"
fi
# --after 0 asks for everything: not the last 10 in silence.
rc=0
ctl journal --follow --json --after 0 --count 1 --timeout 10 > "$SCRATCH/z" 2> "$SCRATCH/z.err" || rc=$?
if [ $rc != 1 ] || ! head -1 "$SCRATCH/z" | jq -e '.type == "gap" and .first == 1' > /dev/null; then
	fail "journal --follow --after 0: exit $rc, $(head -1 "$SCRATCH/z"), $(cat "$SCRATCH/z.err")"
fi

# Left out by --limit: said, with where to go on.
ctl journal --json --after 1200 --limit 5 > "$SCRATCH/l" 2> "$SCRATCH/l.err" || fail "journal --limit 5"
[ "$(jq length "$SCRATCH/l")" = 5 ] || fail "journal --limit 5 printed $(jq length "$SCRATCH/l")"
left=$((newest - 1200 - 5))
grep -q "$left newer entries after 1200 left out by --limit" "$SCRATCH/l.err" ||
	fail "journal --after 1200 --limit 5: no word of what was left out: $(cat "$SCRATCH/l.err")"
log "journal --after 1200 --limit 5: $(cat "$SCRATCH/l.err")"
hc journal after=1200 limit=5 | jq -e --argjson l "$left" '.omitted == $l' > /dev/null || fail "reply: omitted"
# Followed: the marker says it too; --limit was asked for, so exit 0.
ctl journal --follow --json --after 1200 --limit 5 --count 5 --timeout 10 > "$SCRATCH/fl" 2> "$SCRATCH/fl.err" ||
	fail "journal --follow --after 1200 --limit 5: $(cat "$SCRATCH/fl.err")"
head -1 "$SCRATCH/fl" | jq -e --argjson l "$left" \
	'.type == "gap" and .first == 1201 and .last == 1200 + $l and (.reason | test("limit"))' > /dev/null ||
	fail "journal --follow --json --limit 5: no gap marker: $(head -1 "$SCRATCH/fl")"

# Inside what heald holds and within the limit: nothing said.
ctl journal --after $((newest - 3)) > /dev/null 2> "$SCRATCH/q.err" || fail "journal --after newest-3"
[ -s "$SCRATCH/q.err" ] && fail "a warning with nothing missing: $(cat "$SCRATCH/q.err")"
heald_done
echo "ok"
