#!/usr/bin/env bash
# Print the path of a pristine Linux 6.12 source tree, extracting Debian's
# linux-source-6.12 into build/src/ the first time. Never modify this tree:
# builds and submissions work on copies (cp -al) of it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tarball=/usr/src/linux-source-6.12.tar.xz
dest=$top/build/src
tree=$dest/linux-source-6.12

if [ ! -r "$tarball" ]; then
	"$top/scripts/setup.sh" >&2
fi
[ -r "$tarball" ] || { echo "vnetkit: kernel-src: $tarball missing (apt-get install linux-source-6.12)" >&2; exit 1; }

if [ ! -e "$tree/.vnetkit-extracted" ]; then
	mkdir -p "$dest"
	exec 9>"$dest/.lock"
	flock 9
	if [ ! -e "$tree/.vnetkit-extracted" ]; then
		rm -rf "$tree"
		echo "kernel-src: extracting $tarball" >&2
		tar -C "$dest" -xJf "$tarball"
		touch "$tree/.vnetkit-extracted"
	fi
fi
ver=$(make -s -C "$tree" kernelversion 2>/dev/null)
case "$ver" in
6.12.*) ;;
*) echo "vnetkit: kernel-src: $tree is version '$ver', not 6.12.x (reinstall linux-source-6.12)" >&2; exit 1 ;;
esac
echo "$tree"
