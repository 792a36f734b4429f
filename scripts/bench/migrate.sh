#!/usr/bin/env bash
# make bench, part 7: a VM's live migration, heald's against virsh's.  On
# the host, the two nodes of tests/heald/test_migrate_03.sh (each its own
# libvirtd, the 128 MiB TCG guest writing its 32 MiB disk), BENCH_TRIALS
# (default 3) times:
#  - heald: `healctl drain`, the move journaled; its total_s (receive
#    begin, libvirt's migration, receive end), libvirt's downtime, and the
#    decision latency (from the drain's journal entry to the decision's);
#  - virsh: `virsh migrate --live --p2p --persistent --undefinesource
#    --copy-storage-all` of the same VM between the same nodes, same URIs;
#    its wall time and `domjobinfo --completed` downtime on the peer;
# the VM brought back to the source (client-driven virsh migrate) after
# each.  Prints every trial, the medians, and heald's ratios to virsh's.
# Then CRIU's dump and restore time by memory size, and heald's CRIU move
# by size, in Debian's 6.1 kernel under scripts/vm.sh (scripts/bench/criu.sh:
# CRIU 3.17 cannot run on the host's 6.18).  BENCH_MIGRATE=libvirt or criu:
# that part only.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
part=${BENCH_MIGRATE:-all}
case $part in
all | libvirt | criu) ;;
*) echo "bench/migrate: BENCH_MIGRATE is all, libvirt or criu, not '$part'" >&2; exit 2 ;;
esac

criu_part() {
	local k
	k=$(find /lib/modules -mindepth 1 -maxdepth 1 -name '6.1.*-amd64' -printf '%f\n' | sort -V | tail -1)
	[ -n "$k" ] || { echo "bench/migrate: no Debian 6.1 kernel in /lib/modules: make setup" >&2; return 1; }
	echo "CRIU by memory size, in $k (scripts/bench/criu.sh):"
	HEAL_VM_MEMORY=${HEAL_VM_MEMORY:-3G} HEAL_VM_TIMEOUT=${HEAL_VM_TIMEOUT:-3600} \
		"$top/scripts/vm.sh" "$k" "$top/scripts/bench/criu.sh"
}
if [ "$part" = criu ]; then
	criu_part
	exit
fi
# The optimized build: the sanitizers' cost is not heald's.
HEALD=${HEALD:-$top/build/bin/heald}
# shellcheck source=../../tests/heald/common.sh
. "$top/tests/heald/common.sh"
HEALCTL=$top/build/bin/healctl
# shellcheck source=../../tests/nodes.sh
. "$top/tests/nodes.sh"
# shellcheck source=../../tests/nodes_libvirt.sh
. "$top/tests/nodes_libvirt.sh"
trials=${BENCH_TRIALS:-3}

now() { date +%s.%N; }
med() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
iso_s() { date -d "$1" +%s.%N; }	# a journal time in seconds

[ -x "$top/build/bin/heal-vmmove" ] || { echo "no build/bin/heal-vmmove: make userspace" >&2; exit 1; }
PEER_CONF=("receive_max = 64")
lv_nodes_up 128 120
# Every trial is a move to the peer that heald counts as held there (it
# does not see the VM come back: Documentation/migration.md, "Not yet").
PEER_LINES=("capacity = 64")
source_start "[workload vm]" "kind = libvirt" "domain = $VM" "uri = $LV_URI_A" "deadline = 300"
dest="qemu+libssh://root@$ADDR_B/system?known_hosts_verify=normal&sshauth=privkey&keyfile=$SCRATCH/id&known_hosts=$SCRATCH/known_hosts"

# Back to the source, driven by virsh itself (the source node has no sshd for a peer to peer move).
back() {
	vp migrate --live --persistent --undefinesource --copy-storage-all "$VM" "$LV_URI_A" \
		--migrateuri "tcp://$ADDR_A" > /dev/null || fail "the VM did not come back"
	[ "$(vs domstate "$VM")" = running ] || fail "the VM does not run here after coming back"
}

# jwait's, polling each 2 s, not 0.2: healctl and jq five times a second
# took CPU from the guest's final copy (heald's downtime came out 1.6-1.9
# times virsh's, which nothing polls during).
jwait_slow() {	# jwait_slow JQ_SELECT SECONDS
	local i
	for ((i = 0; i < $2; i += 2)); do
		sleep 2
		HIT=$(hs journal --json --limit 1024 | jq -c "[.[] | select($1)][0] // empty")
		[ -n "$HIT" ] && return 0
	done
	fail "no journal entry matching '$1' within $2 s"
}

# The guest's own downtime as libvirt measured it on the peer, in ms.
downtime_ms() { vp domjobinfo --completed "$VM" | awk '/^Total downtime:/ { print $3 }'; }

: > "$SCRATCH/heald" ; : > "$SCRATCH/virsh"
for ((t = 1; t <= trials; t++)); do
	for ((i = 0; i < 100; i++)); do
		[ "$(hs status --json | jq -r '.heald.migration.workloads[0].state')" = running ] && break
		sleep 0.2
	done
	mark=$(hs journal --json --limit 1024 | jq '[.[].id] | max')
	hs drain vm > /dev/null || fail "drain"
	jwait_slow ".id > $mark and .type == \"outcome\" and .outcome == \"moved\"" 300
	id=$(jq .ref <<< "$HIT")
	jwait hs ".id > $mark and .type == \"decision\" and .action == \"drain\""
	drained=$(iso_s "$(jq -r .time <<< "$HIT")")
	jwait hs ".id == $id"
	decided=$(iso_s "$(jq -r .time <<< "$HIT")")
	jwait hs ".type == \"outcome\" and .ref == $id and .final == true"
	[ "$(jq -r .outcome <<< "$HIT")" = moved ] || fail "heald's move: $HIT"
	hs undrain vm > /dev/null || fail "undrain"
	read -r total down < <(jq -r '"\(.total_s) \(.downtime_s * 1000)"' <<< "$HIT")
	lat=$(awk -v a="$drained" -v b="$decided" 'BEGIN { printf "%.3f", b - a }')
	echo "$total $down $lat" >> "$SCRATCH/heald"
	printf 'trial %d heald: total %.2f s, downtime %.0f ms, decision %.3f s after the drain\n' \
		"$t" "$total" "$down" "$lat"
	back
	t0=$(now)
	vs migrate --live --p2p --persistent --undefinesource --copy-storage-all "$VM" "$dest" \
		--migrateuri "tcp://$ADDR_B" > /dev/null || fail "virsh migrate"
	t1=$(now)
	down=$(downtime_ms)
	total=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	echo "$total $down" >> "$SCRATCH/virsh"
	printf 'trial %d virsh: total %.2f s, downtime %s ms\n' "$t" "$total" "$down"
	back
done
ht=$(cut -d' ' -f1 "$SCRATCH/heald" | med)
hd=$(cut -d' ' -f2 "$SCRATCH/heald" | med)
hl=$(cut -d' ' -f3 "$SCRATCH/heald" | med)
vt=$(cut -d' ' -f1 "$SCRATCH/virsh" | med)
vd=$(cut -d' ' -f2 "$SCRATCH/virsh" | med)
awk -v ht="$ht" -v hd="$hd" -v hl="$hl" -v vt="$vt" -v vd="$vd" -v n="$trials" 'BEGIN {
	printf "median of %d: heald total %.2f s, downtime %.0f ms (decision %.3f s after the drain)\n", n, ht, hd, hl
	printf "median of %d: virsh total %.2f s, downtime %.0f ms\n", n, vt, vd
	printf "heald / virsh: total %.2f, downtime %.2f\n", ht / vt, hd / vd
}'
heald_done
[ "$part" = libvirt ] || criu_part
