#!/usr/bin/env bash
# The Debian packages on the host (issue 14), TAP: make deb builds them with
# debhelper and lintian finds nothing (scripts/deb.sh); they hold what a
# node needs; the programs in them say VERSION's version; the man pages
# render without a warning; the packaged heald.service is rated at most
# 3.0 by systemd-analyze security.  Installing them and booting is
# tests/boot/run.sh (a Debian 12 image in QEMU: too slow for make check).
#   tests/deb/run.sh
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; failed=$((failed + 1)); }
t() {	# t WHAT COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else nok "$what"; fi
}
echo "TAP version 13"
for tool in dpkg-buildpackage dh_dkms lintian; do
	if ! command -v "$tool" > /dev/null; then
		echo "1..1"
		echo "ok 1 - Debian packages # SKIP no $tool (scripts/setup.sh installs it)"
		exit 0
	fi
done
version=$(cat VERSION)
tmp=$(mktemp -d /tmp/heal-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

if scripts/deb.sh > "$tmp/deb.log" 2>&1; then
	ok "make deb: built with debhelper, lintian clean"
else
	sed 's/^/# /' "$tmp/deb.log" | tail -30
	nok "make deb"
	echo "1..$n"
	exit 1
fi
grep '^deb: build/deb/' "$tmp/deb.log" | sed 's/^/# /'
heal=build/deb/heal_${version}_amd64.deb
hlv=build/deb/heal-libvirt_${version}_amd64.deb
dkms=build/deb/healblk-dkms_${version}_all.deb
t "the packages carry VERSION ($version)" test -f "$heal" -a -f "$hlv" -a -f "$dkms"

has() {	# has DEB PATH...: every PATH is in DEB
	local deb=$1 p
	shift
	dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' > "$tmp/list"
	for p in "$@"; do
		grep -qx "$p" "$tmp/list" || { echo "# $deb lacks $p"; return 1; }
	done
}
t "heal holds the programs, unit, udev rules, sysusers, completion, man pages, conffile" \
	has "$heal" /usr/sbin/heald /usr/sbin/healctl /usr/bin/healtop \
	/lib/systemd/system/heald.service /lib/systemd/system/healblk-last-resort@.service \
	/lib/systemd/system/healblk-last-resort@.timer /lib/udev/rules.d/63-healblk.rules \
	/lib/udev/rules.d/64-healblk-assembly.rules /usr/lib/sysusers.d/heal.conf \
	/usr/share/bash-completion/completions/healctl /etc/heal/heald.conf \
	/usr/share/man/man8/heald.8.gz /usr/share/man/man8/healctl.8.gz \
	/usr/share/man/man1/healtop.1.gz /usr/share/man/man5/heald.conf.5.gz \
	/usr/share/initramfs-tools/hooks/healblk /usr/share/initramfs-tools/scripts/local-block/healblk
# A node without VMs needs no libvirt: heal-vmmove, the only program that
# links it, is heal-libvirt's.
t "heal-libvirt holds heal-vmmove and its man page" \
	has "$hlv" /usr/sbin/heal-vmmove /usr/share/man/man8/heal-vmmove.8.gz
t "heal does not depend on libvirt" sh -c "! dpkg-deb -f '$heal' Depends | grep -q libvirt"
t "heal-libvirt depends on libvirt0 and this heal" sh -c \
	"dpkg-deb -f '$hlv' Depends | grep -q 'libvirt0' && dpkg-deb -f '$hlv' Depends | grep -q 'heal (= $version)'"
t "healblk-dkms holds the module's source for DKMS and modules-load.d" \
	has "$dkms" "/usr/src/healblk-$version/dkms.conf" "/usr/src/healblk-$version/Kbuild" \
	"/usr/src/healblk-$version/kmod/Kbuild" "/usr/src/healblk-$version/include/uapi/linux/healblk.h" \
	/usr/lib/modules-load.d/healblk.conf
mkdir -p "$tmp/heal" "$tmp/dkms" "$tmp/ctl"
dpkg-deb -x "$heal" "$tmp/heal"
dpkg-deb -x "$dkms" "$tmp/dkms"
dpkg-deb -e "$heal" "$tmp/ctl"
t "/etc/heal/heald.conf is a conffile" grep -qx /etc/heal/heald.conf "$tmp/ctl/conffiles"
# It was a file holding the text of a symlink's target: postinst's
# systemd-sysusers failed on it, and heal stayed unconfigured (boot test).
t "sysusers.d/heal.conf is system/heal.sysusers, which makes group heal" sh -c \
	"cmp -s '$tmp/heal/usr/lib/sysusers.d/heal.conf' system/heal.sysusers &&
		grep -Eq '^g heal ' system/heal.sysusers"
t "postinst makes the group heal before heald starts" \
	sh -c "grep -n 'systemd-sysusers\|deb-systemd-invoke' '$tmp/ctl/postinst' | head -1 | grep -q sysusers"
t "dkms.conf: PACKAGE_VERSION=\"$version\", AUTOINSTALL" \
	sh -c "grep -qx 'PACKAGE_VERSION=\"$version\"' '$tmp/dkms/usr/src/healblk-$version/dkms.conf' &&
		grep -qx 'AUTOINSTALL=\"yes\"' '$tmp/dkms/usr/src/healblk-$version/dkms.conf'"
t "heal does not depend on dkms" sh -c "! dpkg-deb -f '$heal' Depends | grep -q dkms"
for p in usr/sbin/heald usr/sbin/healctl usr/bin/healtop; do
	v=$("$tmp/heal/$p" --version 2>&1)
	echo "# $v"
	t "${p##*/} --version: $version" \
		grep -Eq "^${p##*/} $version \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)$" <<< "$v"
done
for m in "$tmp"/heal/usr/share/man/man*/*.gz; do
	w=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$m" 2>&1 > /dev/null)
	t "man ${m##*/}: no warning${w:+: $w}" test -z "$w"
done
unit=$tmp/heal/lib/systemd/system/heald.service
t "heald.service runs /usr/sbin/heald" grep -q '^ExecStart=/usr/sbin/heald ' "$unit"
score=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null |
	sed -n 's/.*Overall exposure level for heald.service: \([0-9.]*\).*/\1/p')
echo "# systemd-analyze security heald.service: ${score:-none}"
t "heald.service exposure ${score:-?} <= 3.0" awk -v s="${score:-99}" 'BEGIN { exit !(s <= 3.0) }'
echo "1..$n"
[ "$failed" = 0 ]
