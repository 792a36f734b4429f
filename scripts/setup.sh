#!/usr/bin/env bash
# Install every build and test dependency of heal on a fresh Debian 12 machine.
# Idempotent: safe to run again; it only installs what is missing.
# Run as root.  Used by `make check` and `make demo` when something is missing.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
VNG_VERSION=1.42
VENV=${HEAL_VENV:-/opt/heal/venv}
DEPS=${HEAL_DEPS:-$top/build/deps}

pkgs=(
	build-essential bc bison flex kmod cpio pkg-config git
	clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev
	libnl-3-dev libnl-genl-3-dev libnl-route-3-dev libncurses-dev
	sparse cppcheck shellcheck debhelper dh-dkms lintian mmdebstrap
	qemu-system-x86 fio mdadm dmsetup udev e2fsprogs xz-utils util-linux
	python3-venv busybox-static jq libjson-c-dev file
	libmicrohttpd-dev libsystemd-dev nftables iproute2 tmux curl iputils-ping
	prometheus smartmontools criu openssh-server rsync
	libvirt-dev libxml2-dev libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-utils
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	linux-source-6.1
)

log() { printf 'setup: %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "setup: must run as root (apt-get, kernels, /opt)" >&2
	exit 1
fi

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# A package apt cannot find gets its name said, not apt's long error.
	# Debian 12 has its 6.12 kernel in the bookworm-security suite only.
	none=()
	for p in "${missing[@]}"; do
		# Read whole, then matched: grep -q leaving early would SIGPIPE
		# apt-cache, and pipefail would call that "no candidate".
		policy=$(apt-cache policy "$p" 2>/dev/null || true)
		grep -q 'Candidate: [^(]' <<< "$policy" || none+=("$p")
	done
	if [ ${#none[@]} -gt 0 ]; then
		echo "setup: apt has no candidate for: ${none[*]}" >&2
		echo "setup: is this Debian 12 with the bookworm, bookworm-updates and bookworm-security suites in its apt sources?" >&2
		exit 1
	fi
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# virtme-ng from PyPI, pinned, in its own venv so that no system Python is touched.
if ! "$VENV/bin/vng" --version 2>/dev/null | grep -q "$VNG_VERSION"; then
	log "installing virtme-ng $VNG_VERSION in $VENV"
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install -q "virtme-ng==$VNG_VERSION"
fi

# kselftest (its headers, lib.mk and runner) and checkpatch come from Debian's
# kernel source package: a dependency,
# extracted here, never copied into the repo.
src_tar=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null || true)
if [ -z "$src_tar" ]; then
	echo "setup: linux-source-6.1 is installed but /usr/src/linux-source-6.1.tar.xz is missing" >&2
	exit 1
fi
stamp="$DEPS/linux-source.stamp"
if [ ! -f "$stamp" ] || [ "$src_tar" -nt "$stamp" ] ||
	[ ! -f "$DEPS/linux-source/tools/testing/selftests/lib.mk" ]; then
	log "extracting kselftest and checkpatch from $src_tar"
	rm -rf "$DEPS/linux-source"
	mkdir -p "$DEPS/linux-source"
	tar -C "$DEPS/linux-source" --strip-components=1 -xJf "$src_tar" \
		--wildcards \
		'linux-source-6.1/tools/testing/selftests/kselftest*.h' \
		'linux-source-6.1/tools/testing/selftests/kselftest/*' \
		'linux-source-6.1/tools/testing/selftests/lib.mk' \
		'linux-source-6.1/scripts/checkpatch.pl' \
		'linux-source-6.1/scripts/spelling.txt' \
		'linux-source-6.1/scripts/const_structs.checkpatch'
	touch "$stamp"
fi
log "ok"
