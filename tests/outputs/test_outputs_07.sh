#!/usr/bin/env bash
# The disks under the legs by serial number, WWN and SMART in healtop
# (issue 12: "they feed ... metrics and healtop"; the RMA ticket needs
# the serial): `healtop --once` names each leg's and spare's disk and
# what its SMART says, and the Disks panel does at 110 columns or more.
# The host has no healblk, so healtop is pointed at a stand-in for heald
# that answers with a mirror's status as heald writes it; a serial with
# an escape sequence in it (smartctl reads it from the disk) is shown,
# never obeyed.
. "$(dirname "$0")/common.sh"

export HEAL_SOCKET=$SCRATCH/fake.sock
cat > "$SCRATCH/fake.py" <<'PY'
import json, os, socket, sys, threading
leg = lambda n, name, serial, wwn, level: {
    "index": n, "name": name, "state": "in_sync", "health": "ok" if level == "ok" else "failing",
    "read_errors": 0, "write_errors": 0, "errors_seen": 0, "alarm": level != "ok",
    "serial": serial, "wwn": wwn, "model": "QEMU NVMe Ctrl",
    "smart": {"disk": name, "serial": serial, "level": level}}
status = {"ok": True, "schema": 1, "heald": {"pid": 1, "journal_next_id": 1},
          "devices": [{"index": 0, "name": "healblk0", "state": "optimal", "health": "ok",
                       "sync": None,
                       "legs": [leg(0, "nvme0n1", "HEALNVME01", "eui.0001", "failing"),
                                leg(1, "sda", "BAD\u001b[2JSER", "naa.5000", "ok")],
                       "spares": [{"index": 0, "name": "sdb", "state": "spare",
                                   "serial": "SPARE01", "wwn": "", "smart": {"level": "ok"}}]}],
          "disks": [], "links": [], "uplinks": [], "workloads": [], "resources": []}
def serve(c):
    try:
        for line in c.makefile("rb"):
            cmd = json.loads(line).get("cmd")
            r = status if cmd == "status" else \
                {"ok": True, "schema": 1, "entries": [], "oldest": 0, "omitted": 0}
            c.sendall((json.dumps(r) + "\n").encode())
    except OSError:
        pass    # healtop went
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(8)
while True:
    threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()
PY
python3 "$SCRATCH/fake.py" "$HEAL_SOCKET" &
_pids+=("$!")
for ((i = 0; i < 50; i++)); do [ -S "$HEAL_SOCKET" ] && break; sleep 0.1; done

"$HEALTOP" --once > "$SCRATCH/once" 2>&1 || fail "healtop --once: exit $?: $(cat "$SCRATCH/once")"
sed 's/^/# once: /' "$SCRATCH/once" | cat -v
grep -Eq "^    leg0 nvme0n1 .*, serial HEALNVME01, WWN eui.0001, SMART failing$" "$SCRATCH/once" ||
	fail "--once: leg 0's disk not named by serial, WWN and SMART"
grep -Eq "^    spare0 sdb spare, serial SPARE01, SMART ok$" "$SCRATCH/once" ||
	fail "--once: the spare's disk not named"
grep -q "$ESC" "$SCRATCH/once" && fail "--once: an escape sequence from a serial reached the terminal"
grep -q "serial BAD.*SER" "$SCRATCH/once" || fail "--once: leg 1's serial not shown"

command -v tmux > /dev/null || skip "no tmux: --once checked, the panel not"
T=(tmux -L "heal-out$$" -f /dev/null)
trap '"${T[@]}" kill-server 2>/dev/null; cleanup' EXIT
"${T[@]}" new-session -d -s wide -x 120 -y 30 "$HEALTOP" || fail "tmux"
for ((i = 0; i < 30; i++)); do
	"${T[@]}" capture-pane -p -t wide > "$SCRATCH/pane"
	grep -q "HEALNVME01" "$SCRATCH/pane" && break
	sleep 0.1
done
grep -v "^ *$" "$SCRATCH/pane" | sed 's/^/# 120 columns: /'
grep -Eq "leg0 nvme0n1 .*HEALNVME01 +failing" "$SCRATCH/pane" ||
	fail "the Disks panel at 120 columns: no serial and SMART for leg 0"
"${T[@]}" kill-session -t wide
echo "ok"
