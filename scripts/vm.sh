#!/usr/bin/env bash
# Boot one of Debian's kernels in virtme-ng and run a command in it as root,
# from the top of the tree.  The guest sees the host's root read-only; the
# results folder (HEAL_RESULTS, default build/results) is writable.
#   scripts/vm.sh KVER COMMAND [ARGS...]
# KVER is a Debian kernel release, or a path with a '/' in it: a kernel
# build tree (make O=), booted with the modules built in it, as make
# check-debug boots build/deps/debug-kernel/obj.
# Exit code: the guest command's, 124 on timeout (HEAL_VM_TIMEOUT, seconds).
# HEAL_VM_DISKS="a.img b.img": host files the guest sees as /dev/vda, /dev/vdb...
# HEAL_VM_NVME=SERIAL: an emulated NVMe drive (QEMU's nvme, 128 MiB, QOM path
# /machine/peripheral/hnvme0) with that serial number; HEAL_VM_ATA=SERIAL: an
# ATA disk on the q35 machine's AHCI (with a WWN).  Either also gives the
# guest QMP, relayed from the host through the results folder (qmp-KVER)
# (scripts/qmp-relay.py; tests/common.sh's qmp() is the guest's side): the
# guest cannot reach QEMU's monitor socket itself.
# HEAL_VM_APPEND="...": more on the guest kernel's command line.
# HEAL_VM_CONSOLE=1: the guest's kernel console on stderr (what a panic
# prints, before the guest can write a log).
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
if [[ $kver == */* ]]; then
	kimg=$(cd "$kver" 2>/dev/null && pwd) || kimg=$kver
	if [ ! -r "$kimg/arch/x86/boot/bzImage" ] || [ ! -r "$kimg/.config" ]; then
		echo "vm: $kver is not a kernel build tree (no arch/x86/boot/bzImage, .config)" >&2
		exit 1
	fi
else
	kimg=/boot/vmlinuz-$kver
	if [ ! -r "$kimg" ]; then
		echo "vm: no kernel $kimg" >&2
		exit 1
	fi
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
# The guest's uname -r names its QMP folder (guests may run side by side).
release=$kver
[ -r "$kimg/include/config/kernel.release" ] && release=$(cat "$kimg/include/config/kernel.release")
qemu=()
if [ -n "${HEAL_VM_NVME:-}${HEAL_VM_ATA:-}" ]; then
	hw=$(mktemp -d /tmp/heal-vm-hw.XXXXXX)
	rm -rf "$results/qmp-$release"
	mkdir -p "$results/qmp-$release"
	opts="-qmp unix:$hw/qmp.sock,server=on,wait=off"
	if [ -n "${HEAL_VM_NVME:-}" ]; then
		truncate -s 128M "$hw/nvme.img"
		opts+=" -drive file=$hw/nvme.img,if=none,id=hnvme,format=raw"
		opts+=" -device nvme,serial=$HEAL_VM_NVME,drive=hnvme,id=hnvme0"
	fi
	if [ -n "${HEAL_VM_ATA:-}" ]; then
		truncate -s 128M "$hw/ata.img"
		opts+=" -drive file=$hw/ata.img,if=none,id=hata,format=raw"
		opts+=" -device ide-hd,drive=hata,bus=ide.0,serial=$HEAL_VM_ATA,wwn=0x5000c50012345678,id=hata0"
	fi
	qemu=("--qemu-opts=$opts")
	python3 "$top/scripts/qmp-relay.py" "$hw/qmp.sock" "$results/qmp-$release" &
	relay=$!
	# Not exec'd: the relay and the disks' images go when the VM does.
	# (its own status kept: under set -e a failing kill would make it 1)
	finish() {
		local rc=$?
		kill "$relay" 2>/dev/null || true
		rm -rf "$hw"
		exit "$rc"
	}
	trap finish EXIT
	run=()
else
	run=(exec)
fi
extra=()
[ -n "${HEAL_VM_APPEND:-}" ] && extra+=(--append "$HEAL_VM_APPEND")
[ "${HEAL_VM_CONSOLE:-0}" = 1 ] && extra+=(--verbose)
"${run[@]}" timeout "${fg[@]}" -k 20 "${HEAL_VM_TIMEOUT:-1800}" \
	"$vng" "${accel[@]}" "${disks[@]}" "${extra[@]}" -r "$kimg" \
	--memory "${HEAL_VM_MEMORY:-2G}" --cpus "${HEAL_VM_CPUS:-2}" \
	--rwdir "$results" \
	"${qemu[@]}" \
	-- "cd $(printf '%q' "$top") && HEAL_RESULTS=$(printf '%q' "$results") $cmd"
