#!/usr/bin/env bash
# make deb: the Debian packages heal and healblk-dkms, built with debhelper
# (debian/) from an export of the tree, into build/deb/, then lintian.
#   scripts/deb.sh
# The export is every file git tracks or would track (uncommitted changes
# too), so the packages hold what the tree holds; the commit goes in as
# HEAL_COMMIT (the export has no .git).  Exit code: dpkg-buildpackage's,
# else lintian's (an error or a warning fails; overrides say why in
# debian/*.lintian-overrides).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=$top/build/deb
version=$(cat VERSION)
deb_version=$(dpkg-parsechangelog -S Version)
if [ "$deb_version" != "$version" ]; then
	echo "deb: debian/changelog says $deb_version, VERSION says $version: add a changelog entry (dch -v $version)" >&2
	exit 1
fi
for tool in dpkg-buildpackage dh dh_dkms lintian; do
	command -v "$tool" > /dev/null ||
		{ echo "deb: $tool is missing: scripts/setup.sh (debhelper dh-dkms lintian)" >&2; exit 1; }
done
read -r _ commit < <(scripts/version.sh)

src=$out/src/heal-$version
rm -rf "$out"
mkdir -p "$src"
git ls-files -z --cached --others --exclude-standard |
	tar --null -T - --ignore-failed-read -cf - 2> /dev/null | tar -C "$src" -xf -
echo "deb: building heal $version (commit $commit) in $src"
(cd "$src" && HEAL_COMMIT=$commit dpkg-buildpackage -b -us -uc) > "$out/build.log" 2>&1 ||
	{ tail -30 "$out/build.log" >&2; echo "deb: dpkg-buildpackage failed, see $out/build.log" >&2; exit 1; }
mv "$out"/src/*.deb "$out"/src/*.changes "$out"/src/*.buildinfo "$out"/
rm -rf "$out/src"
for d in "$out"/*.deb; do
	printf 'deb: %s, %s KiB\n' "${d#"$top"/}" $(( $(stat -c %s "$d") / 1024 ))
done
lintian --fail-on error,warning --info --display-info --pedantic "$out"/*.changes | tee "$out/lintian.log"
echo "deb: lintian clean (info and pedantic tags shown above, if any)"
