#!/usr/bin/env bash
# make demo: healblk healing a failing disk, in a VM on Debian's 6.12 kernel.
# On the host it boots the VM; inside (--in-vm) it tells the story.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

if [ "${1:-}" != --in-vm ]; then
	kver=$(find /lib/modules -maxdepth 1 -name '6.12.*-amd64' -printf '%f\n' | sort -V | tail -1)
	[ -n "$kver" ] || { echo "demo: no Debian 6.12 kernel: run scripts/setup.sh" >&2; exit 1; }
	echo "Booting Debian's $kver in a VM (about half a minute without KVM)..."
	exec "$top/scripts/vm.sh" "$kver" scripts/demo.sh --in-vm
fi

cd "$top"
healctl=$top/build/bin/healctl
work=$(mktemp -d /tmp/heal-demo.XXXXXX)
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
cleanup() {
	[ -n "${ev:-}" ] && kill "$ev" 2>/dev/null
	"$healctl" destroy healblk0 >/dev/null 2>&1 || true
	dmsetup remove disk1 2>/dev/null || true
	losetup -D
	rmmod healblk 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

say "Two disks for the farmer's node: loop devices over 64 MiB files"
modprobe loop; modprobe dm-mod
truncate -s 64M "$work/disk0.img" "$work/disk1.img"
d0=$(losetup -f --show "$work/disk0.img")
d1=$(losetup -f --show "$work/disk1.img")
# Disk 1 goes through device-mapper so that part of it can be made to fail.
dmsetup create disk1 --table "0 $(blockdev --getsz "$d1") linear $d1 0"
echo "disk 0: $d0    disk 1: /dev/mapper/disk1 (over $d1)"

say "Load healblk and mirror the two disks"
insmod "build/kmod/$(uname -r)/kmod/healblk.ko"
# Fresh, all-zero images: identical already, no initial sync to wait for.
dev=$("$healctl" create --assume-clean "$d0" /dev/mapper/disk1)
udevadm settle
echo "created /dev/$dev"
"$healctl" status "$dev"

fio_job=(--name=data --filename="/dev/$dev" --direct=1 --ioengine=libaio --iodepth=8
	--bs=4k --size=32M --verify=crc32c --verify_fatal=1 --verify_state_save=0
	--output-format=terse
	--terse-version=3)
say "Write 32 MiB of data, a crc32c checksum in every 4 KiB block (fio)"
fio "${fio_job[@]}" --rw=write --do_verify=0 > /dev/null
sum() { dd if="/dev/$dev" iflag=direct bs=64k count=512 status=none | sha256sum | cut -c1-16; }
before=$(sum)
echo "written; sha256 of the 32 MiB: $before..."

say "Disk 1 goes bad: 8 MiB of it now fails every read and write (dm-error)"
# Stopped below; its own timeout only ends it if the demo dies without cleanup.
"$healctl" events --follow --timeout 1800 > "$work/events" &
ev=$!
sleep 0.5
sz=$(blockdev --getsz "$d1")
dmsetup suspend disk1
printf '%s\n' "0 18432 linear $d1 0" "18432 16384 error" \
	"34816 $((sz - 34816)) linear $d1 34816" | dmsetup load disk1
dmsetup resume disk1
dmsetup table disk1

say "Read all 32 MiB back through healblk"
after=$(sum)
echo "sha256 now:    $after...  (before the failure: $before...)"
[ "$after" = "$before" ] || { echo "DATA LOST"; exit 1; }
echo "same data: what disk 1 could not read came from disk 0"

say "And once more, every 4 KiB block in random order against its own checksum (fio)"
if fio "${fio_job[@]}" --rw=randread --verify_only=1 > "$work/fio.out" &&
	[ "$(grep '^3;' "$work/fio.out" | cut -d';' -f5)" = 0 ]; then
	echo "all 8192 blocks match their own checksums"
else
	cat "$work/fio.out"; echo "DATA LOST"; exit 1
fi

say "Write over the bad part: the write succeeds (disk 0 takes it)"
dd if=/dev/urandom of="/dev/$dev" bs=1M seek=9 count=2 oflag=direct status=none && echo "write ok"

say "What healblk saw and did (healctl events --follow)"
sleep 1
kill "$ev" 2>/dev/null || true	# gone already is fine: its events are in the file
ev=""
echo "first events, as they came:"
awk 'NR <= 6' "$work/events"
echo "all events, by kind and leg:"
awk '{ n[$1 " " $3]++ } END { for (k in n) printf "  %6d  %s\n", n[k], k }' "$work/events" | sort -k2

say "Device status (healctl status)"
"$healctl" status "$dev"

say "Disk 1 kept failing, so healblk took it out of the mirror by itself"
echo "(a leg fails at $("$healctl" status "$dev" --json | jq .devices[0].fail_errors) errors within" \
	"$("$healctl" status "$dev" --json | jq .devices[0].fail_window) s; healctl set changes it)"
grep leg_state "$work/events" || true
dd if="/dev/$dev" iflag=direct bs=1M count=8 status=none of=/dev/null && echo "reads still served"
