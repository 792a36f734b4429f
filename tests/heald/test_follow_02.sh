#!/usr/bin/env bash
# A reader that asks for entries heald no longer holds, or that --limit
# leaves out, is told so, never served a silent gap (issue 12's review):
# heald keeps the newest 1024 entries in memory; here its journal file
# holds 1500 before it starts.
#  - `journal --after 10` and `journal --follow --after 10` print from the
#    oldest entry in memory and say on stderr which ids are only in the
#    journal file;
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

# Behind what heald holds: printed from the oldest, the gap named.
ctl journal --json --after 10 --limit 1024 > "$SCRATCH/j" 2> "$SCRATCH/j.err" || fail "journal --after 10"
[ "$(jq '.[0].id' "$SCRATCH/j")" = "$oldest" ] || fail "journal --after 10 starts at $(jq '.[0].id' "$SCRATCH/j")"
grep -q "entries 11 to $((oldest - 1)) are no longer in heald's memory" "$SCRATCH/j.err" ||
	fail "journal --after 10: no word of the gap: $(cat "$SCRATCH/j.err")"
log "journal --after 10: $(cat "$SCRATCH/j.err")"

ctl journal --follow --json --after 10 --count 3 --timeout 10 > "$SCRATCH/f" 2> "$SCRATCH/f.err" ||
	fail "journal --follow --after 10: $(cat "$SCRATCH/f.err")"
[ "$(head -1 "$SCRATCH/f" | jq .id)" = "$oldest" ] || fail "the follow starts at $(head -1 "$SCRATCH/f")"
grep -q "entries 11 to $((oldest - 1)) are no longer in heald's memory" "$SCRATCH/f.err" ||
	fail "journal --follow --after 10: no word of the gap: $(cat "$SCRATCH/f.err")"

# Left out by --limit: said, with where to go on.
ctl journal --json --after 1200 --limit 5 > "$SCRATCH/l" 2> "$SCRATCH/l.err" || fail "journal --limit 5"
[ "$(jq length "$SCRATCH/l")" = 5 ] || fail "journal --limit 5 printed $(jq length "$SCRATCH/l")"
left=$((newest - 1200 - 5))
grep -q "$left newer entries after 1200 left out by --limit" "$SCRATCH/l.err" ||
	fail "journal --after 1200 --limit 5: no word of what was left out: $(cat "$SCRATCH/l.err")"
log "journal --after 1200 --limit 5: $(cat "$SCRATCH/l.err")"
hc journal after=1200 limit=5 | jq -e --argjson l "$left" '.omitted == $l' > /dev/null || fail "reply: omitted"

# Inside what heald holds and within the limit: nothing said.
ctl journal --after $((newest - 3)) > /dev/null 2> "$SCRATCH/q.err" || fail "journal --after newest-3"
[ -s "$SCRATCH/q.err" ] && fail "a warning with nothing missing: $(cat "$SCRATCH/q.err")"
heald_done
echo "ok"
