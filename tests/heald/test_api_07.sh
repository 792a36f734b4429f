#!/usr/bin/env bash
# One bad journal line must not stop heald for good (issue 12): a line
# {"id":5,"type":null} crashed it at every start, an id of -1 wrapped the
# next id to 0.  Expected: each bad line is logged with its file and line
# number and skipped, heald starts, the good entries are kept, and the next
# id is past every id in the file (never reused).  Then a reply over 1 MiB
# (1024 big entries) arrives whole (it used to close the connection).
. "$(dirname "$0")/common.sh"

j=$SCRATCH/journal.jsonl
{
	echo '{"id":1,"time":"t","type":"start"}'
	echo '{"id":5,"type":null}'
	echo '{"id":-1,"type":"start"}'
	echo 'not json at all'
	echo '{"id":6,"type":"decision","action":null,"dev":"x","leg":{}}'
	echo '{"id":7,"type":"outcome","ref":"6","final":"yes"}'
	echo '{"id":3,"time":"t","type":"start"}'
} > "$j"
heald_start
grep -E "journal.*line" "$SCRATCH/heald.log" | sed 's/^/# /'
for want in "$j:2: " "$j:3: " "$j:4: "; do
	grep -qF "$want" "$SCRATCH/heald.log" || fail "no message naming $want"
done
r=$(hc journal limit=10)
log "entries: $(jq -c '[.entries[] | [.id, .type]]' <<< "$r")"
# 1 and 3 kept as they were; 6 and 7 are entries (odd ones) and kept;
# heald's own start entry takes 8, past the 7 seen: no id is reused.
jq -e '[.entries[].id] == [1, 6, 7, 3, 8]' <<< "$r" > /dev/null || fail "wrong entries or ids"
jq -e '.entries[-1].type == "start"' <<< "$r" > /dev/null || fail "heald's start entry is not 8"

# 1023 entries of about 2 KiB and heald's start: the reply is over 2 MiB.
kill "$HEALD_PID"; wait "$HEALD_PID" 2>/dev/null
pad=$(head -c 2000 /dev/zero | tr '\0' x)
for ((i = 1; i <= 1023; i++)); do
	printf '{"id":%d,"time":"t","type":"note","pad":"%s"}\n' "$i" "$pad"
done > "$j"
heald_start
HC_TIMEOUT=20 hc journal limit=1024 > "$SCRATCH/big" || fail "no reply to a journal query of 1024 entries"
log "reply: $(wc -c < "$SCRATCH/big") bytes, $(jq '.entries | length' "$SCRATCH/big") entries"
jq -e '.ok == true and (.entries | length) == 1024 and .entries[-1].id == 1024' "$SCRATCH/big" > /dev/null ||
	fail "the big reply is not whole"
heald_done
