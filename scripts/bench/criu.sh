#!/usr/bin/env bash
# make bench, part 7b (run by scripts/bench/migrate.sh in Debian's 6.1
# kernel under scripts/vm.sh: CRIU 3.17 cannot run on the host's 6.18):
# CRIU's dump and restore time by the memory a process holds, and heald's
# whole move of such a process to a peer (tests/nodes.sh's two nodes).
# For each size in BENCH_CRIU_MIB (MiB, default "16 64 256"):
#  - CRIU alone, BENCH_CRIU_TRIALS times (default 3), on this node: `criu
#    dump` of a python3 process holding that many MiB of random bytes
#    (killed by the dump), `criu restore --restore-detached` of it; its
#    memory checked after the restore (the CRC-32 it prints of its bytes);
#    the images' size;
#  - heald's move (`healctl drain`, kind = criu) of the same kind of
#    process to the peer node: its total, its downtime (checkpoint to
#    restored), its time stopped here, each step's time; the process
#    counts on there with the same CRC.
# Prints every trial, the medians by size, and the seconds per 100 MiB.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../tests/common.sh
. "$top/tests/common.sh"
# shellcheck source=../../tests/nodes.sh
. "$top/tests/nodes.sh"
sizes=${BENCH_CRIU_MIB:-16 64 256}
trials=${BENCH_CRIU_TRIALS:-3}

command -v criu > /dev/null || fail "no criu (make setup installs it)"
criu check > "$SCRATCH/criu-check" 2>&1 || fail "CRIU cannot run on $(uname -r): $(grep -m1 Error "$SCRATCH/criu-check")"
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
med() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# 1. CRIU alone.  One process as workload_start makes it (its own session,
# stdio on /dev/null, its log on fd 3), in the root namespaces.
nodes_setup
in_source	# CRIU where the process runs: the source node's network namespace
echo "criu alone (dump, then restore, on this node; $trials trials of each size):"
: > "$SCRATCH/alone"
for mib in $sizes; do
	for ((t = 1; t <= trials; t++)); do
		name=a$mib-$t
		workload_start "$name" "$mib"
		pid=${WL_PID[$name]}
		# Its first line: the bytes are drawn and counted.
		for ((i = 0; i < 300; i++)); do
			[ -s "$DATA/$name/log" ] && break
			sleep 0.1
		done
		crc=$(head -1 "$DATA/$name/log" | cut -d' ' -f1)
		img=$SCRATCH/img-$name
		mkdir -p "$img"
		t0=$(now)
		"${IN_SOURCE[@]}" criu dump --tree "$pid" --images-dir "$img" --log-file dump.log > /dev/null 2>&1 ||
			fail "criu dump of $mib MiB: $(grep -m3 Error "$img/dump.log")"
		dump=$(since "$t0")
		bytes=$(du -sb "$img" | cut -f1)
		n=$(tail -1 "$DATA/$name/log" | cut -d' ' -f2)
		t0=$(now)
		"${IN_SOURCE[@]}" criu restore --images-dir "$img" --restore-detached --log-file restore.log > /dev/null 2>&1 ||
			fail "criu restore of $mib MiB: $(grep -m3 Error "$img/restore.log")"
		restore=$(since "$t0")
		for ((i = 0; i < 600; i++)); do
			[ "$(tail -1 "$DATA/$name/log" | cut -d' ' -f2)" -gt "$n" ] && break
			sleep 0.1
		done
		[ "$(tail -1 "$DATA/$name/log" | cut -d' ' -f2)" -gt "$n" ] || fail "$mib MiB: it does not count on after the restore"
		r=$(log_check < "$DATA/$name/log") || fail "$mib MiB: its log has a gap or a restart after the restore"
		[ "${r% *}" = "$crc" ] || fail "$mib MiB: its memory changed: $crc then ${r% *}"
		kill -9 "$pid" 2>/dev/null
		rm -rf "$img"
		echo "$mib $dump $restore $bytes" >> "$SCRATCH/alone"
		printf '  %4d MiB trial %d: dump %.2f s, restore %.2f s, images %.1f MB, same CRC %s\n' \
			"$mib" "$t" "$dump" "$restore" "$(echo "$bytes / 1000000" | bc -l)" "$crc"
	done
done

# 2. heald's move of each size to the peer, one after another.
PEER_CONF=("receive_max = 16")
peer_start
conf=("peer_timeout = 120" "peer_max_age = 60")
for mib in $sizes; do
	workload_start "m$mib" "$mib"
	conf+=("[workload m$mib]" "cgroup = ${CGBASE#"$CG"}/m$mib" "kind = criu" "data = $DATA/m$mib" "deadline = 900")
done
source_start "${conf[@]}"
peer_health_is ok 60
echo "heald's move to the peer (healctl drain; rsync over ssh on a veth pair):"
: > "$SCRATCH/moved"
for mib in $sizes; do
	crc=$(head -1 "$DATA/m$mib/log" | cut -d' ' -f1)
	mark=$(hs journal --json --limit 1024 | jq '[.[].id] | max // 0')
	hs drain "m$mib" > /dev/null || fail "drain m$mib"
	jwait hs ".id > $mark and .type == \"decision\" and .resource == \"workload:m$mib\" and .action == \"move\" and .taken == true" 120
	jwait hs ".type == \"outcome\" and .ref == $(jq .id <<< "$HIT") and .final == true" 900
	[ "$(jq -r .outcome <<< "$HIT")" = moved ] || nodes_fail "the move of $mib MiB: $HIT"
	last=$(tail -1 "$DATA/m$mib/log" | cut -d' ' -f2)
	sleep 2
	r=$(peer_exec cat "$DATA/m$mib/log" | log_check) || nodes_fail "$mib MiB: its log on the peer has a gap or a restart"
	[ "${r% *}" = "$crc" ] || nodes_fail "$mib MiB: its memory changed on the way: $crc then ${r% *}"
	[ "${r#* }" -gt "$last" ] || nodes_fail "$mib MiB: it does not count on on the peer ($last here, ${r#* } there)"
	read -r total down frozen bytes steps < <(jq -r '"\(.total_s) \(.downtime_s) \(.frozen_s) \(.image_bytes) " +
		([.steps[] | "\(.step)=\(.seconds * 100 | round / 100)"] | join(","))' <<< "$HIT")
	echo "$mib $total $down $frozen $bytes" >> "$SCRATCH/moved"
	printf '  %4d MiB: total %.2f s, down %.2f s, stopped here %.2f s, images %.1f MB, same CRC; steps (s) %s\n' \
		"$mib" "$total" "$down" "$frozen" "$(echo "$bytes / 1000000" | bc -l)" "${steps// /_}"
done

echo "by memory size (medians for criu alone):"
printf '  %8s %10s %12s %10s %14s %13s\n' MiB "dump s" "restore s" "images MB" "heald total s" "heald down s"
for mib in $sizes; do
	d=$(awk -v m="$mib" '$1 == m { print $2 }' "$SCRATCH/alone" | med)
	r=$(awk -v m="$mib" '$1 == m { print $3 }' "$SCRATCH/alone" | med)
	b=$(awk -v m="$mib" '$1 == m { print $4 }' "$SCRATCH/alone" | med)
	read -r _ mt md _ < <(awk -v m="$mib" '$1 == m' "$SCRATCH/moved")
	printf '  %8d %10.2f %12.2f %10.1f %14.2f %13.2f\n' "$mib" "$d" "$r" "$(echo "$b / 1000000" | bc -l)" "$mt" "$md"
done
# The cost of each more 100 MiB: a least-squares line through the sizes.
awk '{ n++; x += $1; y += $2 + $3; xx += $1 * $1; xy += $1 * ($2 + $3) }
     END { if (n > 1 && n * xx != x * x) printf "criu dump + restore: %.2f s per 100 MiB more (fit over %d trials)\n", 100 * (n * xy - x * y) / (n * xx - x * x), n }' "$SCRATCH/alone"
awk '{ n++; x += $1; y += $3; xx += $1 * $1; xy += $1 * $3 }
     END { if (n > 1 && n * xx != x * x) printf "heald move downtime: %.2f s per 100 MiB more\n", 100 * (n * xy - x * y) / (n * xx - x * x) }' "$SCRATCH/moved"
kill -0 "$HEALD_PID" || nodes_fail "heald died"
exit 0
