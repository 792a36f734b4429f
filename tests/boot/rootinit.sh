#!/bin/sh
# /sbin/init of the small root file system that the boot test's rootprep
# stage puts on a healblk mirror (tests/boot/guest.sh): the kernel and the
# initramfs-tools initramfs of the image found the root on healblk, and this
# checks it from there, prints HEALTEST lines on the console and powers off.
# dash with cat, grep, sha256sum, sync and healctl: nothing else is there.
#   rootheal      both legs: assembled by udev in the initramfs, in sync
#   rootdegraded  one leg missing: started degraded by the initramfs's
#                 local-block script once two thirds of its wait had passed
PATH=/bin:/sbin
export PATH
failed=0
say() { echo "HEALTEST: # $*"; }
ok() { echo "HEALTEST: ok - $*"; }
nok() { echo "HEALTEST: not ok - $*"; failed=1; }
check() {
	what=$1
	shift
	if "$@" > /tmp/check.out 2>&1; then ok "$what"; else nok "$what"; cat /tmp/check.out; fi
}
read -r cmdline < /proc/cmdline
stage=
for w in $cmdline; do
	case $w in heal.stage=*) stage=${w#heal.stage=} ;; esac
done
rootdev=
while read -r d m rest; do
	[ "$m" = / ] && rootdev=$d
done < /proc/mounts
read -r up rest < /proc/uptime
say "stage $stage: / is $rootdev, up $up s"
name=${rootdev#/dev/}
case $name in healblk[0-9]*) ok "the root file system is on $rootdev" ;; *) nok "the root file system is on $rootdev, not healblk" ;; esac
# shellcheck disable=SC2016  # expanded by that sh
check "the root's data is intact" sh -c '[ "$(sha256sum < /hello)" = "$(cat /hello.sha)" ]'
healctl status "$name" > /tmp/status 2>&1
while IFS= read -r l; do say "  $l"; done < /tmp/status
case $stage in
rootheal)
	check "optimal: both legs in sync" grep -qw optimal /tmp/status
	;;
rootdegraded)
	check "degraded: one leg" grep -qw degraded /tmp/status
	;;
*) nok "unknown stage '$stage'" ;;
esac
# A write on the root, made durable: the device works, degraded or not.
head=$(cat /hello.sha)
echo "$head" > /written && sync
check "a write on the root" grep -q . /written
if [ $failed = 0 ]; then say "stage $stage passed"; else say "stage $stage FAILED"; fi
sync
echo o > /proc/sysrq-trigger
while :; do read -r _ < /proc/uptime; done
