#!/usr/bin/env bash
# Inside the boot test's Debian 12 image (tests/boot/run.sh), run by
# heal-boottest.service once the system is up; heal.stage= on the kernel's
# command line says which stage.  Each check prints "HEALTEST: ok - WHAT"
# or "HEALTEST: not ok - WHAT" on the serial console, which the host turns
# into TAP; the stage ends with a poweroff, pass or fail.
#   create     (6.1)   the module from DKMS, heald hardened; a mirror with a
#                      spare listed in heald.conf, a second one not listed,
#                      ext4 on /dev/heal/data in fstab
#   heal       (6.1)   the mirror back and mounted by udev at boot, the
#                      unlisted one left alone; heald fails a leg whose
#                      writes fail and rebuilds onto the spare; reload
#                      leg 0 missing: the timer starts it degraded
#   newkernel  (6.12)  the module DKMS built for 6.12, the mirror mounted
#   degraded   (6.12)  leg 0's disk missing: started degraded after the
#                      timeout, mounted, alarm at priority crit
#   rootprep   (6.1)   a small root file system on a new mirror (vdg and an
#                      NVMe disk, whose SMART heald reads under its hardened
#                      unit), listed in heald.conf, and update-initramfs: the
#                      initramfs gets healblk.ko, healctl, the rules and
#                      the [array] sections (initramfs-tools hook)
# The two boots after it (rootheal, rootdegraded) run from that root, whose
# /sbin/init is tests/boot/rootinit.sh, not systemd.
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
stage=$(sed -n 's/.*heal\.stage=\([a-z]*\).*/\1/p' /proc/cmdline)
failed=0

say() { echo "HEALTEST: # $*"; }
ok() { echo "HEALTEST: ok - $*"; }
nok() { echo "HEALTEST: not ok - $*"; failed=1; }
# check WHAT COMMAND...: one TAP line for COMMAND's exit code.
check() {
	local what=$1
	shift
	if "$@" > /tmp/check.out 2>&1; then
		ok "$what"
	else
		nok "$what"
		sed 's/^/HEALTEST: #   /' /tmp/check.out | tail -15
	fi
}
# wait_for SECONDS COMMAND...: until COMMAND succeeds.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@" > /dev/null 2>&1; do
		[ $SECONDS -lt "$end" ] || return 1
		sleep 1
	done
}
done_stage() {
	say "stage $stage done on $(uname -r) after $(cut -d' ' -f1 /proc/uptime) s up"
	journalctl -b --no-pager -o short-monotonic > "/var/log/heal-boottest-$stage.log" 2>&1
	sync
	systemctl poweroff
	exit 0
}
trap done_stage EXIT

module_from_dkms() {
	local dir
	dir=/lib/modules/$(uname -r)/updates/dkms
	grep -q '^healblk ' /proc/modules || return 1
	case $(modinfo -n healblk) in	# 6.12's modules are xz-compressed
	"$dir/healblk.ko" | "$dir/healblk.ko.xz") return 0 ;;
	esac
	return 1
}
heald_hardened() {
	# CAP_NET_ADMIN 12, CAP_NET_RAW 13, CAP_SYS_RAWIO 17, CAP_SYS_ADMIN 21
	# (smartctl), CAP_PERFMON 38, CAP_BPF 39, nothing else.
	systemctl is-active --quiet heald &&
		grep -q "^CapBnd:.000000c000223000$" "/proc/$(systemctl show -p MainPID --value heald)/status"
}
srv_from_healblk() {
	findmnt -n -o SOURCE /srv | grep -q '^/dev/healblk0$'
}
hello_intact() {
	[ "$(sha256sum < /srv/hello)" = "$(cat /root/hello.sha)" ]
}
common() {
	say "kernel $(uname -r), up $(cut -d' ' -f1 /proc/uptime) s"
	check "healblk loaded at boot from DKMS's build for $(uname -r)" module_from_dkms
	check "heald active under its hardened unit (6 capabilities)" heald_hardened
	say "$(systemd-analyze security heald.service 2>&1 | tail -1)"
	say "heald: $(systemctl show -p StatusText --value heald)"
}

stage_create() {
	local uuid fsuuid
	common
	check "group heal made by sysusers.d" getent group heal
	check "create healblk0 (vdb vdc)" healctl create --assume-clean /dev/vdb /dev/vdc
	healctl set healblk0 --fail-errors 0	# heald decides, not the kernel
	check "spare vdd" healctl spare add healblk0 /dev/vdd
	check "create healblk1 (vde vdf), not to be listed" healctl create --assume-clean /dev/vde /dev/vdf
	uuid=$(healctl examine --export /dev/healblk0 | sed -n 's/^HEALBLK_UUID=//p')
	say "healblk0 is $uuid"
	{
		echo "# heal boot test"
		echo "serd_n = 3"
		echo "serd_t = 60"
		echo "cooldown = 0"
		healctl examine --scan | grep -A2 '^# running as healblk0' | sed 's/^\[array NAME\]/[array data]/'
	} >> /etc/heal/heald.conf
	check "heald.conf lists data" grep -qx '\[array data\]' /etc/heal/heald.conf
	check "systemctl reload heald" systemctl reload heald
	check "reload logged" wait_for 10 sh -c "journalctl -b -u heald | grep -q 'reload: /etc/heal/heald.conf read'"
	udevadm trigger --action=change /dev/healblk0
	udevadm settle
	check "/dev/heal/data" test -b /dev/heal/data
	check "/dev/disk/by-id/healblk-$uuid" test -b "/dev/disk/by-id/healblk-$uuid"
	mkfs.ext4 -q -L data /dev/heal/data
	udevadm settle
	fsuuid=$(blkid -s UUID -o value /dev/heal/data)
	check "/dev/disk/by-uuid/$fsuuid (the file system on healblk0)" test -b "/dev/disk/by-uuid/$fsuuid"
	echo "/dev/heal/data /srv ext4 defaults,nofail 0 2" >> /etc/fstab
	mkdir -p /srv
	systemctl daemon-reload
	check "mount /srv" mount /srv
	head -c 4M /dev/urandom > /srv/hello
	sha256sum < /srv/hello > /root/hello.sha
	umount /srv
}

stage_heal() {
	local sectors i
	common
	check "/srv mounted from healblk0 at boot" wait_for 60 srv_from_healblk
	check "the data is intact" hello_intact
	check "udev assembled data (healctl's log)" sh -c "journalctl -b -t healctl | grep -q 'data: assembled as healblk0'"
	check "healblk1, not listed, left alone" sh -c "! test -e /dev/healblk1 &&
		journalctl -b -t healctl | grep -q 'which /etc/heal/heald.conf does not expect'"
	check "heald's eBPF monitors loaded" sh -c "healctl status --json | grep '\"bpf\"' | grep -vq '\"off\"'"
	say "$(healctl status --json | grep '"bpf"')"
	sectors=$(blockdev --getsz /dev/healblk0)
	check "fault: writes to leg 1 fail" healctl fault set healblk0 --leg 1 --op write --start 0 --sectors "$sectors"
	for i in 1 2 3 4 5 6; do
		dd if=/dev/urandom of="/srv/w$i" bs=64k count=4 oflag=direct conv=fsync status=none
	done
	check "heald decided to replace leg 1" wait_for 60 sh -c "healctl journal | grep -q replace-leg"
	check "the rebuild onto the spare is done" wait_for 300 sh -c "healctl journal | grep -q 'rebuild done'"
	healctl journal | sed 's/^/HEALTEST: #   /'
	check "leg 1 is vdd, in sync" sh -c "healctl status healblk0 | grep -Eq '^  leg 1 .*vdd +in_sync'"
	check "the data is intact after the rebuild" hello_intact
	check "the alarm carries DEVICE= and LEG= in the journal" sh -c \
		"journalctl -b DEVICE=healblk0 LEG=1 -o cat | grep -q failing"
	check "the decision carries DECISION_ID=" sh -c "journalctl -b -o verbose -t heald | grep -q '^ *DECISION_ID='"
	check "systemctl reload heald (running hardened)" systemctl reload heald
	check "heald still active" systemctl is-active --quiet heald
}

stage_newkernel() {
	common
	check "/srv mounted from healblk0 at boot" wait_for 60 srv_from_healblk
	check "the data is intact" hello_intact
	healctl status healblk0 | sed 's/^/HEALTEST: #   /'
}

stage_degraded() {
	local uuid
	common
	check "/srv mounted after the last-resort timer" wait_for 180 srv_from_healblk
	uuid=$(healctl examine --export /dev/healblk0 | sed -n 's/^HEALBLK_UUID=//p')
	check "healblk-last-resort@$uuid.service started it" sh -c \
		"journalctl -b -u 'healblk-last-resort@$uuid.service' | grep -q 'started degraded'"
	check "a crit line: started degraded" sh -c "journalctl -b -p crit -t healctl | grep -q 'started degraded'"
	check "heald's crit alarm: 1 of 2 legs in sync" wait_for 30 sh -c \
		"journalctl -b -p crit -t heald | grep -q '1 of 2 legs in sync'"
	check "the data is intact" hello_intact
	journalctl -b -p crit --no-pager -o cat | sed 's/^/HEALTEST: #   /'
}

# heald's view of nvme0n1's SMART, read by smartctl under heald's unit.
nvme_smart_read() {
	healctl status --json | tr -d ' \n' |
		grep -q '"disk":"nvme0n1","serial":"HEALBOOTNVME"[^}]*"level":"ok"[^}]*"read":"'
}
# rootprep: vdg and the NVMe disk fresh (zeros): --assume-clean is right.
stage_rootprep() {
	local uuid dev f lib
	common
	check "create the root mirror (vdg nvme0n1)" healctl create --assume-clean /dev/vdg /dev/nvme0n1
	udevadm settle
	uuid=$(healctl examine --export /dev/vdg | sed -n 's/^HEALBLK_UUID=//p')
	dev=$(readlink -f "/dev/disk/by-id/healblk-$uuid")
	say "the root mirror is $dev, $uuid"
	check "heald read nvme0n1's SMART with smartctl, under its unit" wait_for 120 nvme_smart_read
	healctl status --json | tr -d ' \n' | grep -o '"smart":{"disk":"nvme0n1"[^}]*}' | sed 's/^/HEALTEST: #   /'
	check "mkfs.ext4 -L healroot $dev" mkfs.ext4 -q -L healroot "$dev"
	mkdir -p /mnt/r
	check "mount the new root" mount "$dev" /mnt/r
	mkdir -p /mnt/r/bin /mnt/r/sbin /mnt/r/proc /mnt/r/sys /mnt/r/dev /mnt/r/run /mnt/r/tmp
	# A shell, the few tools its init uses, healctl, and their libraries.
	for f in /bin/sh /bin/dash /bin/cat /bin/sync /usr/bin/sha256sum /bin/grep /usr/sbin/healctl; do
		cp -L "$f" "/mnt/r/bin/${f##*/}"
		for lib in $(ldd "$f" | grep -o '/[^ ]*'); do
			cp -L --parents "$lib" /mnt/r/
		done
	done
	install -m 0755 /usr/local/sbin/heal-rootinit /mnt/r/sbin/init
	head -c 1M /dev/urandom > /mnt/r/hello
	sha256sum < /mnt/r/hello > /mnt/r/hello.sha
	umount /mnt/r
	healctl examine --scan | grep -A2 "^# running as ${dev#/dev/}\$" |
		sed 's/^\[array NAME\]/[array root]/' >> /etc/heal/heald.conf
	check "heald.conf lists root" grep -qx '\[array root\]' /etc/heal/heald.conf
	# Only the modules this machine needs (MODULES=dep): "most" made
	# update-initramfs take more than 20 minutes under TCG on a busy host.
	# dep takes only the running root's drivers: the root mirror's NVMe
	# leg needs its own, listed as a farmer would.
	echo MODULES=dep > /etc/initramfs-tools/conf.d/heal-boottest
	echo nvme >> /etc/initramfs-tools/modules
	check "update-initramfs -u" update-initramfs -u -k "$(uname -r)"
	lsinitramfs "/boot/initrd.img-$(uname -r)" > /tmp/initrd.list
	check "the initramfs holds healblk.ko" grep -q 'healblk\.ko' /tmp/initrd.list
	check "the initramfs holds healctl and the assembly rules" sh -c \
		"grep -q 'usr/sbin/healctl$' /tmp/initrd.list && grep -q '64-healblk-assembly.rules$' /tmp/initrd.list"
	check "the initramfs holds the local-block script" grep -q 'scripts/local-block/healblk$' /tmp/initrd.list
	mkdir -p /tmp/initrd
	(cd /tmp/initrd && unmkinitramfs "/boot/initrd.img-$(uname -r)" . > /dev/null 2>&1)
	f=$(find /tmp/initrd -path '*etc/heal/heald.conf' | head -1)
	check "its heald.conf: [array root] with its uuid, and nothing but [array] sections" sh -c \
		"grep -qx '\[array root\]' $f && grep -q '$uuid' $f && ! grep -q '^serd_n' $f"
}

case $stage in
create | heal | newkernel | degraded | rootprep) "stage_$stage" ;;
*) nok "unknown stage '$stage'" ;;
esac
if [ $failed = 0 ]; then say "stage $stage passed"; else say "stage $stage FAILED"; fi
