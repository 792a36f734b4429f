#!/usr/bin/env bash
# Boot one of Debian's kernels in virtme-ng and run a command in it as root,
# from the top of the tree.  The guest sees the host's root read-only; the
# results folder (HEAL_RESULTS, default build/results) is writable.
#   scripts/vm.sh KVER COMMAND [ARGS...]
# Exit code: the guest command's, 124 on timeout (HEAL_VM_TIMEOUT, seconds).
# HEAL_VM_DISKS="a.img b.img": host files the guest sees as /dev/vda, /dev/vdb...
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kver=${1:?usage: scripts/vm.sh KVER COMMAND...}
shift
[ $# -gt 0 ] || { echo "usage: scripts/vm.sh KVER COMMAND..." >&2; exit 2; }

vng=${HEAL_VNG:-/opt/heal/venv/bin/vng}
results=${HEAL_RESULTS:-$top/build/results}
mkdir -p "$results"

if [ ! -x "$vng" ]; then
	echo "vm: $vng is missing: run scripts/setup.sh" >&2
	exit 1
fi
if [ ! -r "/boot/vmlinuz-$kver" ]; then
	echo "vm: no kernel /boot/vmlinuz-$kver" >&2
	exit 1
fi

# KVM only where the host really has it; vng does not fall back by itself.
accel=(--disable-kvm --force-9p)
if [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; then
	[ -w /dev/kvm ] && accel=()
fi

# vng finds its helpers on PATH.
vng_dir=$(dirname "$vng")
export PATH="$vng_dir:$PATH"
cmd=$(printf '%q ' "$@")
# On a terminal a person is there: the guest gets it (timeout --foreground
# leaves it the terminal).  Otherwise (make check, CI) the guest reads no
# input, and on timeout the whole process group goes, qemu included: vng
# alone would leave qemu running.
fg=()
if [ -t 0 ]; then
	fg=(--foreground)
else
	exec < /dev/null
fi
disks=()
for d in ${HEAL_VM_DISKS:-}; do
	disks+=(--disk "$d")
done
exec timeout "${fg[@]}" -k 20 "${HEAL_VM_TIMEOUT:-1800}" \
	"$vng" "${accel[@]}" "${disks[@]}" -r "/boot/vmlinuz-$kver" \
	--memory "${HEAL_VM_MEMORY:-2G}" --cpus "${HEAL_VM_CPUS:-2}" \
	--rwdir "$results" \
	-- "cd $(printf '%q' "$top") && HEAL_RESULTS=$(printf '%q' "$results") $cmd"
