#!/usr/bin/env bash
# Build Debian's 6.1 kernel (package linux-source-6.1) with the debug options
# of make check-debug: KASAN, lockdep, might_sleep checks, hung-task panic,
# fault injection (scripts/debug-kernel.config), over virtme-ng's minimal
# config and the options the kernel tests need (tests/kmod/config), modules
# on.  Built once into build/deps/debug-kernel (make clean keeps it; other
# worktrees share it through their build/deps):
#   src/     the extracted sources
#   obj/     the build (make O=): a tree scripts/vm.sh boots and make kmod
#            KDIR= builds against
#   key      what obj/ was configured from; a change reconfigures and
#            rebuilds what changed
# Prints obj/'s path as its last line.  Every make runs at nice 19: TCG VMs
# on the same machine keep the CPUs.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
DEPS=${HEAL_DEPS:-$top/build/deps}
VENV=${HEAL_VENV:-/opt/heal/venv}
dir=$DEPS/debug-kernel
src=$dir/src
obj=$dir/obj
src_tar=/usr/src/linux-source-6.1.tar.xz
fragments=("$top/tests/kmod/config" "$top/scripts/debug-kernel.config")

log() { printf 'debug-kernel: %s\n' "$*" >&2; }

[ -r "$src_tar" ] || { log "$src_tar is missing: make setup"; exit 1; }
[ -x "$VENV/bin/virtme-configkernel" ] || { log "no virtme-ng in $VENV: make setup"; exit 1; }

# The whole source tree (setup.sh extracts only kselftest and checkpatch).
if [ ! -f "$src/Makefile" ] || [ "$src_tar" -nt "$dir/src.stamp" ]; then
	log "extracting $src_tar"
	rm -rf "$src" "$obj" "$dir/key" "$dir/src.stamp"
	mkdir -p "$src"
	nice -n 19 tar -C "$src" --strip-components=1 -xJf "$src_tar"
	touch "$dir/src.stamp"
fi

# Configure when obj/ has no .config or was made from other inputs.
key=$(stat -c '%s %Y' "$src_tar"; "$VENV/bin/vng" --version; cat "${fragments[@]}" | sha256sum)
if [ ! -f "$obj/.config" ] || [ "$key" != "$(cat "$dir/key" 2>/dev/null)" ]; then
	log "configuring $obj"
	rm -f "$dir/key"
	mkdir -p "$obj"
	rm -f "$obj/.config"
	customs=()
	for f in "${fragments[@]}"; do customs+=(--custom "$f"); done
	# virtme-ng's own minimal config: x86_64_defconfig, its options, ours.
	(cd "$src" && PATH="$VENV/bin:$PATH" nice -n 19 \
		virtme-configkernel --defconfig "${customs[@]}" "O=$obj" \
		> "$dir/configure.log" 2>&1) || { log "configuring failed: $dir/configure.log"; exit 1; }
	# Kconfig drops what it cannot satisfy without a word: check every line.
	bad=0
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)	want=$line; name=${line%%=*} ;;
		"# CONFIG_"*" is not set")	want=$line; name=${line#\# }; name=${name%% *} ;;
		*) continue ;;
		esac
		got=$(grep -E "^($name=|# $name is not set)" "$obj/.config" || true)
		# A symbol this kernel does not have (GENERIC_NETLINK is always
		# built in since 2.6): nothing to hold.
		if [ -z "$got" ] && ! grep -rqE "^(menu)?config ${name#CONFIG_}\$" \
			--include='Kconfig*' "$src"; then
			continue
		fi
		# =m asked and =y given (something else needs it built in) is fine.
		[ "$got" = "$want" ] || { [ "$want" = "$name=m" ] && [ "$got" = "$name=y" ]; } || {
			log "$want asked, .config has '${got:-nothing}'"
			bad=1
		}
	done < <(cat "${fragments[@]}")
	[ $bad = 0 ] || { log "the config fragments do not hold; see $obj/.config"; exit 1; }
	printf '%s\n' "$key" > "$dir/key"
fi

log "building in $obj (nice 19, -j${HEAL_JOBS:-$(nproc)})"
nice -n 19 make -C "$src" "O=$obj" -j"${HEAL_JOBS:-$(nproc)}" bzImage modules >&2
echo "$obj"
