#!/usr/bin/env bash
# The boot test (issue 14): heal installed from its Debian packages on a
# Debian 12 image made here, booted in QEMU with systemd as init, as on a
# farmer's node.  TAP on stdout, logs in build/boot/.
#   tests/boot/run.sh            (as root; make deb first)
#   tests/boot/run.sh --base     only step 1, the cached base image
# 1. A Debian 12 root from Debian's archive (mmdebstrap), with both Debian
#    kernels and their headers, cached in build/boot/base-HASH.tar (the
#    first run downloads ~400 MB; about 15 minutes on a loaded machine).
# 2. The two .debs of build/deb/ installed into a copy with dpkg: DKMS
#    builds healblk.ko for both kernels there (natively, timed).
# 3. Five boots of that image with seven 96 MiB virtual disks, each running
#    one stage of tests/boot/guest.sh as a systemd unit: create (6.1),
#    heal (6.1), newkernel (6.12), degraded (6.12, leg 0's disk left out),
#    rootprep (6.1: a root file system on a mirror of vdg and an NVMe disk,
#    whose SMART heald reads under its hardened unit, and the initramfs
#    remade with heal's hook).
# 4. Two boots with root=LABEL=healroot and that initramfs: the root on
#    healblk, assembled in the initramfs (rootheal), and with one of its
#    legs left out, started degraded there (rootdegraded); their init is
#    tests/boot/rootinit.sh.
# KVM when the host has it, TCG otherwise (here 30 s to 4 minutes a boot,
# by the machine's load; the whole run 6 to 30 minutes).
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/boot
mkdir -p "$out"
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; failed=$((failed + 1)); }
bail() { echo "Bail out! $*"; exit 1; }

[ "$(id -u)" = 0 ] || bail "needs root (chroot, mounts)"
for t in mmdebstrap qemu-system-x86_64 mkfs.ext4 chroot debugfs; do
	command -v "$t" > /dev/null || bail "$t is missing"
done
k61=$(find /lib/modules -maxdepth 1 -name '6.1.*-amd64' -printf '%f\n' | sort -V | tail -1)
k612=$(find /lib/modules -maxdepth 1 -name '6.12.*-amd64' -printf '%f\n' | sort -V | tail -1)
{ [ -n "$k61" ] && [ -n "$k612" ]; } || bail "Debian's 6.1 and 6.12 kernels are not both installed (scripts/setup.sh)"
debs=("$top"/build/deb/heal_*.deb "$top"/build/deb/healblk-dkms_*.deb)
[ "${1:-}" = --base ] || { [ -f "${debs[0]}" ] && [ -f "${debs[1]}" ]; } ||
	bail "no packages in build/deb/: make deb"
echo "TAP version 13"

# 1. The base image, cached by what it holds.
pkgs="systemd-sysv,udev,dbus,kmod,e2fsprogs,util-linux,procps,iproute2,curl,less,\
linux-image-$k61,linux-image-$k612,linux-headers-$k61,linux-headers-$k612,\
dkms,gcc,make,libc6-dev,\
libnl-3-200,libnl-genl-3-200,libnl-route-3-200,libjson-c5,libmicrohttpd12,libsystemd0,libbpf1,libelf1,zlib1g,libncursesw6"
mirrors=("deb http://deb.debian.org/debian bookworm main"
	"deb http://deb.debian.org/debian bookworm-updates main"
	"deb http://deb.debian.org/debian-security bookworm-security main")
hash=$(printf '%s\n' "$pkgs" "${mirrors[@]}" | sha256sum | cut -c1-12)
base=$out/base-$hash.tar
if [ ! -f "$base" ]; then
	echo "# making $base with mmdebstrap (once)"
	# shellcheck disable=SC2016  # $1 is mmdebstrap's, in its hook
	mmdebstrap --variant=apt --format=tar --include="$pkgs" \
		--customize-hook='echo heal-boot > "$1/etc/hostname"' \
		bookworm "$base.tmp" "${mirrors[@]}" > "$out/mmdebstrap.log" 2>&1 ||
		bail "mmdebstrap failed, see $out/mmdebstrap.log"
	mv "$base.tmp" "$base"
fi
# --base: only the base image (the download), e.g. while the packages build.
[ "${1:-}" = --base ] && { echo "# $base is there"; exit 0; }

# smartmontools, which heal recommends (heald reads disk health with
# smartctl): from Debian's archive with apt, cached beside the base image.
smart_deb=$(find "$out/" -maxdepth 1 -name 'smartmontools_*.deb' | sort -V | tail -1)
if [ -z "$smart_deb" ]; then
	(cd "$out" && apt-get download -q smartmontools > "$out/apt-download.log" 2>&1) ||
		bail "apt-get download smartmontools failed, see $out/apt-download.log"
	smart_deb=$(find "$out/" -maxdepth 1 -name 'smartmontools_*.deb' | sort -V | tail -1)
fi

# 2. The packages, into a fresh copy.
root=$out/root
mounted=()
cleanup() {
	local m
	for m in "${mounted[@]}"; do umount -l "$m" 2> /dev/null; done
	mounted=()
}
trap cleanup EXIT
rm -rf "$root"
mkdir -p "$root"
tar -C "$root" -xf "$base" || bail "cannot extract $base"
mkdir -p "$root/tmp/debs"
cp "${debs[@]}" "$smart_deb" "$root/tmp/debs/"
for m in dev proc sys; do
	mount --bind "/$m" "$root/$m" && mounted+=("$root/$m")
done
t0=$(date +%s)
if chroot "$root" dpkg -i "/tmp/debs/${smart_deb##*/}" "/tmp/debs/${debs[0]##*/}" > "$out/install.log" 2>&1; then
	ok "dpkg -i ${smart_deb##*/} ${debs[0]##*/}"
else
	nok "dpkg -i ${debs[0]##*/} # see $out/install.log"
fi
t1=$(date +%s)
if chroot "$root" dpkg -i "/tmp/debs/${debs[1]##*/}" >> "$out/install.log" 2>&1; then
	ok "dpkg -i ${debs[1]##*/}: DKMS built for both kernels in $(( $(date +%s) - t1 )) s"
else
	nok "dpkg -i ${debs[1]##*/} # see $out/install.log"
fi
echo "# heal installed in $((t1 - t0)) s"
# A kernel installed later: its package's postinst runs the kernel hooks,
# DKMS's among them (AUTOINSTALL).  Here for 6.12, its module removed first.
version=$(cat "$top/VERSION")
chroot "$root" dkms remove "healblk/$version" -k "$k612" >> "$out/install.log" 2>&1
t1=$(date +%s)
if chroot "$root" /etc/kernel/postinst.d/dkms "$k612" >> "$out/install.log" 2>&1 &&
	find "$root/lib/modules/$k612/updates/dkms" -name 'healblk.ko*' | grep -q .; then
	ok "a kernel installed later: /etc/kernel/postinst.d/dkms built healblk for $k612 in $(( $(date +%s) - t1 )) s"
else
	nok "a kernel installed later: no healblk for $k612 after /etc/kernel/postinst.d/dkms # see $out/install.log"
fi
cleanup
for k in "$k61" "$k612"; do
	# 6.12's modules are xz-compressed, and DKMS follows the kernel's choice.
	ko=$(find "$root/lib/modules/$k/updates/dkms" -name "healblk.ko*" 2> /dev/null | head -1)
	if [ -n "$ko" ]; then
		ok "DKMS: healblk.ko for $k ($(( $(stat -c %s "$ko") / 1024 )) KiB, vermagic $(modinfo -F vermagic "$ko" | cut -d' ' -f1))"
	else
		nok "DKMS: no healblk.ko for $k # see $out/install.log"
	fi
done
if grep -q '^heal:' "$root/etc/group"; then ok "sysusers: group heal"; else nok "sysusers: no group heal"; fi
if [ -L "$root/etc/systemd/system/multi-user.target.wants/heald.service" ]; then
	ok "heald.service enabled"
else
	nok "heald.service not enabled"
fi

# The image: the test's stage runner as a unit, output on the serial line.
cat > "$root/etc/fstab" <<EOF
/dev/vda / ext4 errors=remount-ro 0 1
EOF
echo "options healblk fault_injection=1" > "$root/etc/modprobe.d/heal-boottest.conf"
install -m 0755 "$top/tests/boot/guest.sh" "$root/usr/local/sbin/heal-boottest"
install -m 0755 "$top/tests/boot/rootinit.sh" "$root/usr/local/sbin/heal-rootinit"
cat > "$root/etc/systemd/system/heal-boottest.service" <<'EOF'
[Unit]
Description=heal boot test stage (tests/boot/guest.sh)
After=heald.service local-fs.target systemd-user-sessions.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/heal-boottest
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0

[Install]
WantedBy=multi-user.target
EOF
ln -sf /etc/systemd/system/heal-boottest.service \
	"$root/etc/systemd/system/multi-user.target.wants/heal-boottest.service"
# Nothing else on the serial line, no timers that would run in a short boot.
for u in serial-getty@ttyS0.service getty@tty1.service apt-daily.timer apt-daily-upgrade.timer \
	e2scrub_all.timer man-db.timer fstrim.timer dpkg-db-backup.timer; do
	ln -sf /dev/null "$root/etc/systemd/system/$u"
done
for k in "$k61" "$k612"; do
	cp "$root/boot/vmlinuz-$k" "$root/boot/initrd.img-$k" "$out/"
done
rm -rf "$root/tmp/debs"
rm -f "$out/root.img"
mkfs.ext4 -q -F -L root -d "$root" "$out/root.img" 4G || bail "mkfs.ext4 -d failed"
rm -rf "$root"
for d in vdb vdc vdd vde vdf vdg nvme; do
	rm -f "$out/$d.img"
	truncate -s 96M "$out/$d.img"
done

accel=(-accel "tcg,thread=multi")
[ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; } && accel=(-accel kvm)
# boot STAGE KVER DISK...: one boot, its HEALTEST lines as TAP.  ROOT and
# INITRD in the environment: another root device, another initramfs.
boot() {
	local stage=$1 k=$2 d start rc log=$out/$1.log
	local rootdev=${ROOT:-/dev/vda} initrd=${INITRD:-$out/initrd.img-$2}
	shift 2
	local drives=(-drive "file=$out/root.img,format=raw,if=virtio,cache=unsafe")
	for d in "$@"; do
		if [ "$d" = nvme ]; then	# QEMU's NVMe controller: SMART for smartctl
			drives+=(-drive "file=$out/nvme.img,format=raw,if=none,id=nvme0,cache=unsafe"
				-device "nvme,drive=nvme0,serial=HEALBOOTNVME")
		else
			drives+=(-drive "file=$out/$d.img,format=raw,if=virtio,cache=unsafe")
		fi
	done
	echo "# boot $stage: $k, disks $*"
	start=$(date +%s)
	# -cpu max as virtme-ng: 6.12 oopsed on an int3 in early boot with
	# QEMU's default qemu64 under TCG.  panic=-1 with -no-reboot: a
	# panic ends the boot at once instead of at the timeout.
	timeout -k 10 "${HEAL_BOOT_TIMEOUT:-1500}" qemu-system-x86_64 -machine q35 "${accel[@]}" \
		-cpu max -m 1536 -smp 2 -nographic -no-reboot -nic none \
		-kernel "$out/vmlinuz-$k" -initrd "$initrd" \
		-append "root=$rootdev rw console=ttyS0 quiet loglevel=4 panic=-1 heal.stage=$stage" \
		"${drives[@]}" < /dev/null > "$log" 2>&1
	rc=$?
	echo "# boot $stage ran $(( $(date +%s) - start )) s, qemu exit $rc"
	tr -d '\r' < "$log" | sed -n 's/^.*HEALTEST: //p' | while IFS= read -r line; do
		echo "$line"
	done > "$out/$stage.tap"
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "$stage: ${line#ok - }" ;;
		"not ok - "*) nok "$stage: ${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done < "$out/$stage.tap"
	grep -q "stage $stage passed\|stage $stage FAILED" "$out/$stage.tap" ||
		nok "$stage: the stage did not finish (qemu exit $rc), see $log"
}

# HEAL_BOOT_ONLY=root: the root file system's three boots only (rootprep
# needs nothing of the stages before it).
if [ "${HEAL_BOOT_ONLY:-}" != root ]; then
	boot create "$k61" vdb vdc vdd vde vdf vdg nvme
	boot heal "$k61" vdb vdc vdd vde vdf vdg nvme
	boot newkernel "$k612" vdb vdc vdd vde vdf vdg nvme
	boot degraded "$k612" vdc vdd vde vdf vdg nvme
fi
boot rootprep "$k61" vdb vdc vdd vde vdf vdg nvme
# The initramfs that update-initramfs made in rootprep, read from the image.
rm -f "$out/initrd-heal.img-$k61"
debugfs -R "dump /boot/initrd.img-$k61 $out/initrd-heal.img-$k61" "$out/root.img" > /dev/null 2>&1
if [ -s "$out/initrd-heal.img-$k61" ]; then
	ROOT=LABEL=healroot INITRD=$out/initrd-heal.img-$k61 boot rootheal "$k61" vdg nvme
	ROOT=LABEL=healroot INITRD=$out/initrd-heal.img-$k61 boot rootdegraded "$k61" vdg
else
	nok "no initramfs from rootprep in the image (debugfs)"
fi
echo "1..$n"
echo "# $((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
