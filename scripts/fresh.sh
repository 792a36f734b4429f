#!/usr/bin/env bash
# Rehearse the README on a fresh Debian 12 machine: a developer's tool, not
# part of make check.  It makes a new bookworm root with mmdebstrap (what the
# Debian installer puts on every machine: Priority required and important,
# and Debian's kernel), clones the tree into /root/heal there, and runs the
# README's commands in it as root, exactly as written, stopping at the first
# that fails.  Everything goes to DIR/fresh.log.
#   scripts/fresh.sh [--node] [--check] [DIR [COMMIT]]
# DIR: /var/tmp/heal-fresh by default; its root/ is made anew on every run
# (a DIR that fresh.sh did not make is refused).  COMMIT: HEAD of the tree
# this script is in (uncommitted changes are not rehearsed).
# Default: "First commands" (make demo: setup, then a VM under TCG without
# KVM, about half an hour from scratch), without make check unless --check.
# --node: "On a real node" instead: its apt-get and make lines (the chroot
# runs the host's kernel, so $(uname -r) there means the root's Debian
# kernel), then make install; insmod and the rest need that kernel booted.
# What a chroot cannot be like a machine: the host's /proc, /sys and /dev
# are bound into it, it has the host's network settings (resolv.conf, and
# the CAs and pip.conf of a TLS-intercepting proxy), services are not
# started (policy-rc.d); apt's questions are answered yes, as a reader would.
# Needs root; installs mmdebstrap from Debian if it is missing.  Heavy: on a
# shared machine run it under nice -n 10.
set -euo pipefail
# All in functions, run from the last line: bash has read the whole script
# before the first command, so editing it during an hour-long run is safe.

top=$(cd "$(dirname "$0")/.." && pwd)
root=""
mounts=()

say() { printf 'fresh: [%4ds] %s\n' $((SECONDS - t0)) "$*"; }

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	local pid m i
	# Whatever the commands left running in the root (a daemon, a qemu)
	# holds its mounts: those processes were started here, by their root.
	[ -n "$root" ] || return 0
	for pid in /proc/[0-9]*; do
		[ "$(readlink "$pid/root" 2>/dev/null)" = "$root" ] && kill -9 "${pid#/proc/}" 2>/dev/null
	done
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
		m=${mounts[i]}
		umount -R "$m" 2>/dev/null || umount -R -l "$m" || say "could not unmount $m"
	done
	return 0
}

host_cas() {	# host_cas DIR: each CA of the host's bundle that Debian does not ship
	local tmp f fp n=0
	[ -f /etc/ssl/certs/ca-certificates.crt ] || return 0
	mkdir -p "$1"
	tmp=$(mktemp -d)
	csplit -s -z -f "$tmp/c-" /etc/ssl/certs/ca-certificates.crt '/-----BEGIN CERTIFICATE-----/' '{*}'
	find /usr/share/ca-certificates -name '*.crt' \
		-exec openssl x509 -noout -fingerprint -sha256 -in {} \; > "$tmp/debian"
	for f in "$tmp"/c-*; do
		fp=$(openssl x509 -noout -fingerprint -sha256 -in "$f" 2> /dev/null) || continue
		grep -qxF "$fp" "$tmp/debian" && continue
		n=$((n + 1))
		cp "$f" "$1/heal-fresh-host-$n.crt"
	done
	rm -rf "$tmp"
	[ $n -eq 0 ] || say "$n CAs of the host's own copied into $1"
}

# Slaves, so that nothing unmounted here goes back to the host's mounts.
bind() {	# bind SRC TARGET
	mount --rbind "$1" "$root$2"
	mounts+=("$root$2")
	mount --make-rslave "$root$2"
}

make_root() {
	if ! command -v mmdebstrap > /dev/null; then
		say "installing mmdebstrap"
		apt-get install -y -qq mmdebstrap > /dev/null ||
			{ apt-get update -qq && apt-get install -y -qq mmdebstrap > /dev/null; }
	fi
	rm -rf "$root"
	say "mmdebstrap bookworm (required + important + linux-image-amd64) into $root"
	mmdebstrap --variant=important --include=linux-image-amd64 bookworm "$root"
	say "mmdebstrap done"

	# The host's network is the machine's: its DNS, and where TLS goes
	# through an intercepting proxy (CI sandboxes), the CAs it trusts beyond
	# Debian's (ca-certificates adds them to the root's bundle when setup
	# installs it) and its pip configuration.  Services stay down in a
	# chroot; apt's "Do you want to continue?" gets the reader's yes.
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	host_cas "$root/usr/local/share/ca-certificates"
	[ ! -f /etc/pip.conf ] || cp /etc/pip.conf "$root/etc/pip.conf"
	printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
	chmod 0755 "$root/usr/sbin/policy-rc.d"
	echo 'APT::Get::Assume-Yes "true";' > "$root/etc/apt/apt.conf.d/90heal-fresh-yes"

	bind /proc /proc
	bind /sys /sys
	bind /dev /dev
	mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$root/run"
	mounts+=("$root/run")

	git clone -q --no-local --no-checkout "$top" "$root/root/heal"
	git -C "$root/root/heal" checkout -q --detach "$commit"
	say "cloned $top at $commit into /root/heal"
}

# The ```sh block that follows a README heading, a line ending in \ joined
# with the next.
readme_block() {	# readme_block HEADING
	awk -v h="$1" '$0 == h { in_sec = 1; next }
		in_sec && /^```sh$/ { in_code = 1; next }
		in_code && /^```$/ { exit }
		in_code && sub(/\\$/, "") { cont = cont $0; next }
		in_code { print cont $0; cont = "" }' "$root/root/heal/README.md"
}

# The README's commands for this mode, into cmds.
readme_commands() {
	local line krel left=()
	cmds=()
	if [ "$mode" = first ]; then
		while IFS= read -r line; do
			case $line in
			'make check'*) [ "$check" = 1 ] || { left+=("make check"); continue; } ;;
			esac
			cmds+=("$line")
		done < <(readme_block '## First commands, on a fresh Debian 12 machine (as root)')
	else
		krel=$(find "$root/lib/modules" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -1)
		say "\$(uname -r) is $krel, the root's kernel"
		while IFS= read -r line; do
			case $line in
			apt-get* | make*) cmds+=("${line//\$(uname -r)/$krel}") ;;
			*) line=${line%%  *}; left+=("${line%% *}") ;;
			esac
		done < <(readme_block '## On a real node')
		cmds+=("make install")
	fi
	[ ${#left[@]} -eq 0 ] || say "left out, ${#left[@]} of the README's lines: $(printf '%s\n' "${left[@]}" | sort -u | tr '\n' ' ')"
	[ ${#cmds[@]} -gt 0 ] || { say "no commands found in the README"; return 1; }
}

# Each command in a login shell of root's, with a clean environment and no
# terminal; each output line stamped with the time since the start.
rehearse() {
	local c start rc=0
	for c in "${cmds[@]}"; do
		say "\$ $c"
		start=$SECONDS
		chroot "$root" /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash \
			TERM=dumb DEBIAN_FRONTEND=noninteractive /bin/bash -lc "cd /root/heal && $c" \
			< /dev/null 2>&1 |
			while IFS= read -r l; do printf '[%4ds] %s\n' $((SECONDS - t0)) "$l"; done ||
			rc=${PIPESTATUS[0]}
		say "exit $rc after $((SECONDS - start))s: $c"
		[ "$rc" -eq 0 ] || break
	done
	say "$([ "$rc" -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - t0))s; log: $log"
	return "$rc"
}

main() {
	mode=first
	check=0
	while [ $# -gt 0 ]; do
		case $1 in
		--node) mode=node ;;
		--check) check=1 ;;
		-h | --help) sed -n '2,/^set -/p' "$0" | sed '$d; s/^# \{0,1\}//'; return 0 ;;
		-*) echo "usage: scripts/fresh.sh [--node] [--check] [DIR [COMMIT]]" >&2; return 2 ;;
		*) break ;;
		esac
		shift
	done
	dir=$(realpath -m "${1:-/var/tmp/heal-fresh}")
	commit=$(git -C "$top" rev-parse --verify "${2:-HEAD}^{commit}")
	root=$dir/root
	log=$dir/fresh.log

	if [ "$(id -u)" -ne 0 ]; then
		echo "fresh: must run as root (mmdebstrap, chroot, mounts)" >&2
		return 1
	fi
	if [ -e "$dir" ] && [ ! -e "$dir/.heal-fresh" ] && [ -n "$(ls -A "$dir")" ]; then
		echo "fresh: $dir is not empty and was not made by fresh.sh: give another DIR" >&2
		return 1
	fi
	if findmnt -rn -o TARGET | grep -q "^$root\(/\|$\)"; then
		echo "fresh: something is still mounted under $root (another run?)" >&2
		return 1
	fi
	mkdir -p "$dir"
	touch "$dir/.heal-fresh"
	exec > >(tee "$log") 2>&1
	t0=$SECONDS

	say "rehearsing the README ($mode) on $(git -C "$top" log -1 --format='%h %s' "$commit")"
	[ -z "$(git -C "$top" status --porcelain --untracked-files=no)" ] ||
		say "note: $top has uncommitted changes; they are not in the rehearsal"
	make_root
	readme_commands
	rehearse
}

trap cleanup EXIT
main "$@"; exit
