#!/usr/bin/env bash
# make install / make uninstall: PREFIX and DESTDIR are honoured, the
# installed vnetkit runs from PATH and finds its BPF objects next to it
# (../lib/vnetkit/bpf), and uninstall removes exactly what install added.
source "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
at_exit "rm -rf $tmp"

# DESTDIR staging, as a package build does it.
if out=$(make -s -C "$top" install DESTDIR="$tmp/stage" PREFIX=/usr 2>&1); then
	ok "make install DESTDIR=... PREFIX=/usr succeeds"
else
	fail "make install DESTDIR=... PREFIX=/usr: $out"
fi
check "vnetkit installed as \$DESTDIR/usr/sbin/vnetkit, executable" test -x "$tmp/stage/usr/sbin/vnetkit"
nobj=$(ls "$top"/build/bpf/*.bpf.o | wc -l)
ninst=$(ls "$tmp"/stage/usr/lib/vnetkit/bpf/*.bpf.o 2>/dev/null | wc -l)
check "every BPF object installed under lib/vnetkit/bpf ($ninst of $nobj)" test "$ninst" -eq "$nobj" -a "$nobj" -gt 0
check "nothing installed outside \$DESTDIR/usr" test "$(ls "$tmp/stage")" = usr
if cmp -s "$top/build/bpf/xdp_drop.bpf.o" "$tmp/stage/usr/lib/vnetkit/bpf/xdp_drop.bpf.o"; then
	ok "installed objects are the built ones"
else
	fail "installed xdp_drop.bpf.o differs from build/bpf/xdp_drop.bpf.o"
fi

# A real PREFIX: the README's `vnetkit ...` commands work from PATH.
make -s -C "$top" install PREFIX="$tmp/prefix" >/dev/null 2>&1
ver=$(PATH="$tmp/prefix/sbin:$PATH" vnetkit --version 2>&1)
check "vnetkit on PATH after make install PREFIX=... ('$ver')" test "${ver%% *}" = vnetkit
# The installed binary is self-contained: the build tree is not needed.
check "the installed vnetkit is a copy, not the build tree's binary" \
	test "$(readlink -f "$(PATH="$tmp/prefix/sbin:$PATH" command -v vnetkit)")" = "$tmp/prefix/sbin/vnetkit"

# uninstall removes exactly what install added, and keeps foreign files.
touch "$tmp/prefix/sbin/other-tool"
mkdir -p "$tmp/prefix/lib/keep" && touch "$tmp/prefix/lib/keep/file"
make -s -C "$top" uninstall PREFIX="$tmp/prefix" >/dev/null 2>&1
left=$(cd "$tmp/prefix" && find . -type f | sort | tr '\n' ' ')
check "uninstall removes vnetkit and its objects, keeps others' files (left: $left)" \
	test "$left" = "./lib/keep/file ./sbin/other-tool "
check "uninstall removes the emptied lib/vnetkit directory" test ! -e "$tmp/prefix/lib/vnetkit"
exit 0
