#!/bin/sh
# heal's version for the programs' --version and heald_build_info:
#   scripts/version.sh HEADER   (re)writes HEADER only when it changes
#   scripts/version.sh          prints "VERSION COMMIT"
# VERSION is the file at the top of the tree (the Debian packages carry it
# too: make deb checks debian/changelog against it).  COMMIT is
# $HEAL_COMMIT when set (make deb builds from an export without .git),
# else the commit of the tree this script is in, "-dirty" with uncommitted
# changes, else "unknown" (a tarball; or a copy of the tree inside another
# checkout, whose commit would not be this tree's).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd -P)
version=$(cat "$top/VERSION")
commit=${HEAL_COMMIT:-}
if [ -z "$commit" ]; then
	commit=unknown
	if [ "$(git -C "$top" rev-parse --show-toplevel 2>/dev/null)" = "$top" ] &&
		c=$(git -C "$top" rev-parse --short=12 HEAD 2>/dev/null); then
		git -C "$top" diff --quiet HEAD -- 2>/dev/null || c=$c-dirty
		commit=$c
	fi
fi
if [ $# -eq 0 ]; then
	echo "$version $commit"
	exit 0
fi
out=$1
mkdir -p "$(dirname "$out")"
printf '#define HEAL_VERSION "%s"\n#define HEAL_COMMIT "%s"\n' "$version" "$commit" > "$out.tmp"
if cmp -s "$out.tmp" "$out"; then rm -f "$out.tmp"; else mv "$out.tmp" "$out"; fi
