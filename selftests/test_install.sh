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
ncmd=$(ls "$top"/loader/cmd_*.c | wc -l)
nman=$(ls "$tmp"/stage/usr/share/man/man8/vnetkit*.8 2>/dev/null | wc -l)
check "man pages vnetkit(8) and vnetkit-<command>(8) installed ($nman for $ncmd commands)" \
	test "$nman" -eq $((ncmd + 1))
check "man vnetkit-ring reads: SYNOPSIS and the --ring-size option" \
	bash -c "MANWIDTH=80 man -l '$tmp/stage/usr/share/man/man8/vnetkit-ring.8' 2>/dev/null |
		grep -q -- '--ring-size'"
check "bash completion installed as share/bash-completion/completions/vnetkit" \
	bash -c "source '$tmp/stage/usr/share/bash-completion/completions/vnetkit' && complete -p vnetkit"
if cmp -s "$top/build/bpf/xdp_drop.bpf.o" "$tmp/stage/usr/lib/vnetkit/bpf/xdp_drop.bpf.o"; then
	ok "installed objects are the built ones"
else
	fail "installed xdp_drop.bpf.o differs from build/bpf/xdp_drop.bpf.o"
fi

# export's deployment files: examples under share/vnetkit/export, the unit
# also where a package's systemd looks (DESTDIR staging), its paths /usr's.
ex=$tmp/stage/usr/share/vnetkit/export
for f in prometheus.yml prometheus-federate.yml vnetkit-rules.yml vnetkit-rules.test.yml; do
	check "export example $f installed under share/vnetkit/export, as in scripts/export" \
		cmp -s "$top/scripts/export/$f" "$ex/$f"
done
unit=$tmp/stage/usr/lib/systemd/system/vnetkit-export.service
check "DESTDIR staging installs the unit in \$PREFIX/lib/systemd/system, same as the example" \
	cmp -s "$unit" "$ex/vnetkit-export.service"
check "the installed unit starts the installed vnetkit (ExecStart=/usr/sbin/vnetkit export ...)" \
	grep -qx 'ExecStart=/usr/sbin/vnetkit export --listen 127.0.0.1:9578' "$unit"
check "the unit's Documentation= is the installed README" \
	eval 'grep -qx "Documentation=file:/usr/share/doc/vnetkit/README.md" "$unit" && cmp -s "$top/README.md" "$tmp/stage/usr/share/doc/vnetkit/README.md"'
check "no /usr/local path left in the installed unit" eval '! grep -n /usr/local "$unit"'
make -s -C "$top" uninstall DESTDIR="$tmp/stage" PREFIX=/usr >/dev/null 2>&1
left=$(cd "$tmp/stage" && find . -type f | tr '\n' ' ')
check "uninstall DESTDIR=... PREFIX=/usr removes every installed file (left: $left)" test -z "$left"
check "uninstall removes the emptied share/vnetkit and share/doc/vnetkit" \
	test ! -e "$tmp/stage/usr/share/vnetkit" -a ! -e "$tmp/stage/usr/share/doc/vnetkit"

# A real PREFIX: the README's `vnetkit ...` commands work from PATH.
make -s -C "$top" install PREFIX="$tmp/prefix" >/dev/null 2>&1
ver=$(PATH="$tmp/prefix/sbin:$PATH" vnetkit --version 2>&1)
check "vnetkit on PATH after make install PREFIX=... ('$ver')" test "${ver%% *}" = vnetkit
# Installing into a live system's unit directory needs asking for it.
check "make install PREFIX=... (no DESTDIR) puts no unit under lib/systemd" test ! -e "$tmp/prefix/lib/systemd"
punit=$tmp/prefix/share/vnetkit/export/vnetkit-export.service
check "the example unit names the installed binary ($tmp/prefix/sbin/vnetkit)" \
	grep -qx "ExecStart=$tmp/prefix/sbin/vnetkit export --listen 127.0.0.1:9578" "$punit"
out=$(systemd-analyze verify "$punit" 2>&1)
check "systemd-analyze verify accepts the installed unit ($out)" test -z "$out"
make -s -C "$top" install PREFIX="$tmp/prefix" SYSTEMDUNITDIR="$tmp/units" >/dev/null 2>&1
check "SYSTEMDUNITDIR=DIR installs the unit there when asked" cmp -s "$tmp/units/vnetkit-export.service" "$punit"
make -s -C "$top" uninstall PREFIX="$tmp/prefix" SYSTEMDUNITDIR="$tmp/units" >/dev/null 2>&1
check "uninstall SYSTEMDUNITDIR=DIR removes that unit and its emptied directory" test ! -e "$tmp/units"
make -s -C "$top" install PREFIX="$tmp/prefix" >/dev/null 2>&1
# The installed binary is self-contained: the build tree is not needed.
check "the installed vnetkit is a copy, not the build tree's binary" \
	test "$(readlink -f "$(PATH="$tmp/prefix/sbin:$PATH" command -v vnetkit)")" = "$tmp/prefix/sbin/vnetkit"

# uninstall removes exactly what install added, and keeps foreign files.
touch "$tmp/prefix/sbin/other-tool" "$tmp/prefix/share/man/man8/other.8"
mkdir -p "$tmp/prefix/lib/keep" && touch "$tmp/prefix/lib/keep/file"
make -s -C "$top" uninstall PREFIX="$tmp/prefix" >/dev/null 2>&1
left=$(cd "$tmp/prefix" && find . -type f | sort | tr '\n' ' ')
check "uninstall removes vnetkit and its objects, keeps others' files (left: $left)" \
	test "$left" = "./lib/keep/file ./sbin/other-tool ./share/man/man8/other.8 "
check "uninstall removes the emptied lib/vnetkit directory" test ! -e "$tmp/prefix/lib/vnetkit"
exit 0
