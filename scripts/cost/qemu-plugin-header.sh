#!/usr/bin/env bash
# Fetch qemu-plugin.h for the installed QEMU. Debian does not package the
# TCG plugin API header, but it is in the `qemu` source package; taking it
# from exactly the installed version keeps the plugin ABI in step with the
# binary that loads it. apt runs with a private sources list, lists dir and
# cache under build/: the system's apt configuration is never read or changed.
# Usage: scripts/cost/qemu-plugin-header.sh OUT_HEADER WORKDIR
# (WORKDIR is removed and re-created; it holds the download while running).
set -euo pipefail

die() { echo "vnetkit cost: qemu-plugin.h: $*" >&2; exit 1; }
[ $# -eq 2 ] || { echo "usage: $0 OUT_HEADER WORKDIR" >&2; exit 2; }
out=$1
mkdir -p "$2"
work=$(cd "$2" && pwd)

# qemu-system-x86 (kernel-cost) and qemu-user (host tests) load the same
# plugin, so both, when installed, must come from one qemu source version.
src_ver=''
bins=()
for pkg in qemu-system-x86:qemu-system-x86_64 qemu-user:qemu-x86_64; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "${pkg%%:*}" 2>/dev/null || true)
	[ "$st" = installed ] || continue
	v=$(dpkg-query -W -f='${source:Version}' "${pkg%%:*}")
	[ -z "$src_ver" ] || [ "$v" = "$src_ver" ] ||
		die "qemu-system-x86 and qemu-user come from different qemu versions ($src_ver, $v) (install matching versions: apt-get install qemu-system-x86 qemu-user)"
	src_ver=$v
	bins+=("${pkg#*:}")
done
[ -n "$src_ver" ] || die "neither qemu-user nor qemu-system-x86 is installed (run: scripts/setup.sh)"
command -v dpkg-source >/dev/null ||
	die "dpkg-source missing, apt-get source needs it (install dpkg-dev: scripts/setup.sh)"

rm -rf "${work:?}"/*
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/src"
trap 'rm -rf "$work"' EXIT

# deb-src for every suite a bookworm QEMU can come from (point releases
# and security updates); signed by the archive key like the system lists.
key=/usr/share/keyrings/debian-archive-keyring.gpg
. /etc/os-release
suite=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
cat >"$work/sources.list" <<EOL
deb-src [signed-by=$key] http://deb.debian.org/debian $suite main
deb-src [signed-by=$key] http://deb.debian.org/debian $suite-updates main
deb-src [signed-by=$key] http://deb.debian.org/debian-security $suite-security main
EOL
apt_opts=(-o Dir::Etc::SourceList="$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists="$work/lists" -o Dir::Cache="$work/cache"
	-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Sandbox::User=root
	-o Debug::NoLocking=1)
apt-get "${apt_opts[@]}" -qq --error-on=any update >"$work/apt.log" 2>&1 ||
	{ tail -5 "$work/apt.log" >&2; die "apt-get update of a private deb-src list: failed (check the network to deb.debian.org; apt's errors are above)"; }
(cd "$work/src" && apt-get "${apt_opts[@]}" -qq source "qemu=$src_ver") >>"$work/apt.log" 2>&1 ||
	{ tail -5 "$work/apt.log" >&2; die "apt-get source qemu=$src_ver failed (the archive may no longer carry this version; see snapshot.debian.org)"; }

hdr=$(find "$work/src" -maxdepth 4 -path '*/include/qemu/qemu-plugin.h' | head -1)
[ -n "$hdr" ] || die "include/qemu/qemu-plugin.h not found in qemu $src_ver source"

# The API version the header was written for must be one the installed
# binary accepts: QEMU refuses plugins whose qemu_plugin_version is outside
# [QEMU_PLUGIN_MIN_VERSION, QEMU_PLUGIN_VERSION] of its own build, and both
# come from this same source tree, so also check the tree's version string.
api=$(sed -n 's/^#define QEMU_PLUGIN_VERSION \([0-9]*\)$/\1/p' "$hdr")
[ -n "$api" ] || die "no QEMU_PLUGIN_VERSION in $hdr"
tree_ver=$(cat "$(dirname "$hdr")/../../VERSION" 2>/dev/null || echo unknown)
for b in "${bins[@]}"; do
	qemu_ver=$("$b" --version | sed -n '1s/^.* version \([0-9.]*\).*/\1/p')
	[ "$tree_ver" = "$qemu_ver" ] ||
		die "qemu $src_ver source is QEMU $tree_ver but $b is $qemu_ver (plugin API may differ; reinstall the qemu packages)"
done

mkdir -p "$(dirname "$out")"
cp "$hdr" "$out.tmp"
echo "/* from Debian qemu $src_ver source, QEMU_PLUGIN_VERSION $api */" >>"$out.tmp"
mv "$out.tmp" "$out"
echo "  HDR      $out (QEMU $tree_ver, plugin API $api)"
