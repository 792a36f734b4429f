#!/usr/bin/env bash
# heald in dry run: the same failing leg is diagnosed and the journal says
# what heald would have done, but nothing changes.  Then the control
# socket: a non-root client may read (in heald's group) but not act, one
# outside the group may not even read, and clients that send garbage,
# oversized lines or NUL bytes get an error while heald keeps serving.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 64; l0=$LOOP
make_loop 64; l1=$LOOP
make_loop 64; s0=$LOOP
make_dm_linear heal-hd2 "$l1"; m1=$DM
make_healblk "$l0" "$m1"; dev=$HB
"$HEALCTL" set "$dev" --fail-errors 0 || fail "set --fail-errors 0"
"$HEALCTL" spare add "$dev" "$s0" || fail "spare add"
head -c 16M /dev/urandom > "$SCRATCH/data"
dd if="$SCRATCH/data" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write"

heald_start --dry-run "serd_n = 3" "serd_t = 60" "group = nogroup"
dm_swap_error heal-hd2 "$l1" $((META + 8192)) 4096
write_blocks "/dev/$dev" 8192 5 "$SCRATCH/data"
journal_wait '.type == "decision" and .action == "replace-leg"' 20
id=$(echo "$JOURNAL_HIT" | jq .id)
echo "$JOURNAL_HIT" | jq -e '.taken == false and .dry_run == true' > /dev/null ||
	fail "dry-run decision: $JOURNAL_HIT"
journal_wait "(.type == \"outcome\" and .ref == $id)" 5
[ "$(echo "$JOURNAL_HIT" | jq -r .outcome)" = "not taken: dry run" ] ||
	fail "dry-run outcome: $JOURNAL_HIT"
sleep 2	# a tick or ten: nothing may follow
[ "$(leg_field "$dev" 1 state)" = in_sync ] || fail "dry run changed leg 1"
[ "$(dev_field "$dev" 'spares | length')" = 1 ] || fail "dry run used the spare"
[ "$(dev_field "$dev" 'sync.kind // "none"')" = none ] || fail "dry run started a sync"
[ "$(dev_field "$dev" auto_spare)" = true ] || fail "dry run took auto_spare"
"$HEALCTL" why "$id" | grep -q "(dry run: not taken)" || fail "why does not say dry run"
# The leg is failing in heald's health model all the same.
"$HEALCTL" status --json | jq -e '.heald.resources[] | select(.name == "'"$dev"'/leg1") |
	.state == "failing"' > /dev/null || fail "leg 1 is not failing in heald's view"

# Credentials come from the kernel: nobody in group nogroup may read, not act.
chmod 755 "$SCRATCH"	# the socket's folder: mktemp made it 0700
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
as_nobody "$HEALCTL" journal > /dev/null || fail "a reader in heald's group cannot read"
out=$(as_nobody "$HEALCTL" act fail-leg "$dev" 1 2>&1); rc=$?
{ [ "$rc" = 1 ] && echo "$out" | grep -q "permission denied: actions are for root"; } ||
	fail "a non-root client could act ($rc): $out"
out=$(setpriv --reuid=65534 --regid=100 --clear-groups "$HEALCTL" journal 2>&1); rc=$?
{ [ "$rc" = 1 ] && echo "$out" | grep -q "permission denied: reads are for root"; } ||
	fail "a client outside the group could read ($rc): $out"
[ "$(leg_field "$dev" 1 state)" = in_sync ] || fail "leg 1 changed"

# Clients that lie.  Each line gets its error; the oversized one ends the
# connection; heald serves the next client.
python3 - "$SCRATCH/heald.sock" > "$SCRATCH/liar.out" <<'PY' || fail "socket checks: $(cat "$SCRATCH/liar.out")"
import json, socket, sys
def talk(payload, n):
    s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
    s.sendall(payload); buf = b""
    while buf.count(b"\n") < n:
        d = s.recv(65536)
        if not d: break
        buf += d
    s.close()
    return [json.loads(l) for l in buf.split(b"\n") if l]
lines = talk(b'not json\n{"cmd":1}\n[1,2]\n{"cmd":"nope"}\n{"cmd":"why"}\n{"cmd":"why","id":-4}\n'
             b'{"cmd":"journal","limit":"x"}\n{"cmd":"act","action":"fail-leg","dev":"healblk0","leg":9}\n'
             b'{"cmd":"act","action":"fail-leg","dev":"sda","leg":1}\n{"cmd":"status"} trailing\n'
             b'{"cmd":"st\x00atus"}\n', 11)
errs = [l.get("error", "") for l in lines]
print(errs)
assert len(lines) == 11 and all(l["ok"] is False for l in lines), lines
for want, got in zip(["not one JSON object", "no \"cmd\"", "no \"cmd\"", "unknown command",
                      "\"id\"", "\"id\"", "whole numbers", "must be 0..3", "\"dev\"",
                      "not one JSON object", "NUL"], errs):
    assert want in got, (want, got)
big = talk(b'{"cmd":"status","pad":"' + b"x" * 8000 + b'"}\n', 1)
assert big[0]["ok"] is False and "longer than" in big[0]["error"], big
ok = talk(b'{"cmd":"status"}\n', 1)
assert ok[0]["ok"] is True and ok[0]["heald"]["dry_run"] is True, ok
PY
kill -0 "$HEALD_PID" || fail "heald died"
[ "$(leg_field "$dev" 1 state)" = in_sync ] || fail "a lying client changed leg 1"
exit "$ksft_pass"
