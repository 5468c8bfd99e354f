#!/usr/bin/env bash
# vnetkit test kernel: build Linux 6.12 with the quilt series in patches/.
#
#   scripts/kernel.sh build [--base] [--debug|--kcsan|--virtio-test] [--series DIR]
#                                   (make kernel [BASE=1] [DEBUG=1|KCSAN=1|VIRTIO_TEST=1])
#   scripts/kernel.sh bisect                     (make kernel-bisect)
#   scripts/kernel.sh apply DIR                  apply DIR/series to a scratch copy
#                                                (in $KERNEL_SCRATCH, default build/)
#   scripts/kernel.sh check-series DIR           static checks of DIR/series
#   scripts/kernel.sh image [--base] [--debug|--kcsan|--virtio-test] [--series DIR]   print the bzImage path
#   scripts/kernel.sh config FRAGMENT OUTDIR     configure the pristine tree only
#   scripts/kernel.sh scratch DEST               a patched copy of the tree at DEST
#   scripts/kernel.sh build-tree TREE OUT [--kcsan]   build TREE as the KUnit
#                                                kernel (scripts/mutants.sh)
#   scripts/kernel.sh vhost-net-test OUT         upstream's tools/virtio/vhost_net_test
#                                                (static, from the pristine tree)
#   scripts/kernel.sh virtio-tools DIR [--patch FILE]... TARGET...   tools/virtio
#                                                targets, static, in a copy in DIR
#
# The pristine tree from scripts/kernel-src.sh is never written to: the
# patched source is a hard-link copy (cp -al) in build/linux-patched/, which
# quilt modifies by replacing files (patch writes a new file and renames),
# and every build is out of tree (O=build/kbuild, build/kbuild-debug,
# build/kbuild-kcsan, build/kbuild-virtio-test, build/base/kbuild for BASE=1, build/bisect/kbuild). A series other than
# patches/ (--series DIR or VNETKIT_PATCHES=DIR) gets a tree and output
# directory of its own, build/series/<name>-<hash of its path>/{linux-patched,
# kbuild}, so builds of different series (make kernel-cost A=DIR B=DIR) never
# overwrite each other.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
PATCHES_DIR=${VNETKIT_PATCHES:-$top/patches}
FRAGMENT=$top/patches/kernel.config
SOB='Signed-off-by: vnetkit developers <dev@vnetkit.invalid>'
JOBS=${JOBS:-2}

die() { echo "vnetkit: kernel: $*" >&2; exit 1; }

# set_series DIR: use DIR/series (usage error if it has none).
set_series() {
	[ -d "$1" ] || { echo "vnetkit: kernel: --series $1: no such directory (give a directory with a series file)" >&2; exit 2; }
	[ -f "$1/series" ] || { echo "vnetkit: kernel: --series $1: no series file in it (quilt's list of patches)" >&2; exit 2; }
	PATCHES_DIR=$(cd "$1" && pwd)
}

# series_root: where the patched tree and its kbuild live; patches/ keeps
# build/linux-patched and build/kbuild.
series_root() {
	if [ "$PATCHES_DIR" -ef "$top/patches" ]; then
		echo "$build"
	else
		echo "$build/series/$(basename "$PATCHES_DIR")-$(echo "$PATCHES_DIR" | sha256sum | cut -c1-8)"
	fi
}
say() { echo "kernel: $*"; }

# Options the debug variant adds on top of the fragment.
debug_fragment() {
	cat <<'EOF'
CONFIG_KASAN=y
CONFIG_KASAN_GENERIC=y
# CONFIG_SLUB_TINY is not set
CONFIG_PROVE_LOCKING=y
CONFIG_DEBUG_ATOMIC_SLEEP=y
EOF
}

# The KUnit kernel (variants kunit and kcsan): what the initramfs harness
# and the KUnit suites need, and nothing of the network, BPF and tracing
# stack or PCI - far fewer objects than the full kernel and no BTF, so that
# the KCSAN build and the mutant rebuilds (scripts/mutants.sh) stay short.
# ACPI stays: without it the guest finds one CPU only (QEMU's MP table
# listed one of two under TCG here). The guest tests other than KUnit need
# the full kernel.
kunit_fragment() {
	cat <<'EOF'
CONFIG_64BIT=y
CONFIG_SMP=y
CONFIG_ACPI=y
CONFIG_TTY=y
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
CONFIG_PRINTK=y
CONFIG_EARLY_PRINTK=y
CONFIG_BUG=y
CONFIG_KALLSYMS=y
CONFIG_BLK_DEV_INITRD=y
CONFIG_RD_GZIP=y
CONFIG_BINFMT_ELF=y
CONFIG_BINFMT_SCRIPT=y
CONFIG_DEVTMPFS=y
CONFIG_PROC_FS=y
CONFIG_SYSFS=y
CONFIG_SHMEM=y
CONFIG_TMPFS=y
CONFIG_FUTEX=y
CONFIG_MULTIUSER=y
CONFIG_DEBUG_KERNEL=y
CONFIG_DEBUG_FS=y
CONFIG_SOFTLOCKUP_DETECTOR=y
CONFIG_DETECT_HUNG_TASK=y
CONFIG_RUNTIME_TESTING_MENU=y
CONFIG_KUNIT=y
CONFIG_KUNIT_DEBUGFS=y
CONFIG_LIST_KUNIT_TEST=y
CONFIG_PTR_RING_KUNIT_TEST=y
EOF
}

# Options the KCSAN variant adds to the KUnit kernel: strict mode with weak
# memory modelling, so a missing barrier is reported even on x86, whose
# hardware keeps stores in order. Only the ptr_ring KUnit suite is
# instrumented (see kbuild): the ptr_ring.h inlines it runs are compiled
# into it, and the rest of the kernel, unannotated for strict mode, would
# bury its reports.
kcsan_fragment() {
	cat <<'EOF'
CONFIG_KCSAN=y
CONFIG_KCSAN_STRICT=y
CONFIG_KCSAN_WEAK_MEMORY=y
EOF
}

# The virtio-test kernel (VIRTIO_TEST=1): upstream's tools/virtio/virtio_test
# drives the vhost core through the vhost_test module (drivers/vhost/test.c
# built out of tree from tools/virtio/vhost_test, scripts/virtio-test.sh),
# which has no Kconfig symbol and so needs CONFIG_MODULES, which the full
# kernel does not have (its exact cost counts would change with it). What
# the module needs is the vhost core: VHOST_NET selects it, and it needs NET
# and EVENTFD only. The rest is the KUnit kernel's boot set: no BTF, BPF,
# tracing or PCI, so that this second kernel builds in a fraction of the
# full one's time. The vhost core is the series' vhost.c, compiled as in the
# full kernel.
virtio_test_fragment() {
	kunit_fragment | grep -vE '^CONFIG_(KUNIT|KUNIT_DEBUGFS|LIST_KUNIT_TEST|PTR_RING_KUNIT_TEST|RUNTIME_TESTING_MENU)='
	cat <<'EOF'
CONFIG_EPOLL=y
CONFIG_EVENTFD=y
CONFIG_POSIX_TIMERS=y
CONFIG_NET=y
CONFIG_VHOST_MENU=y
CONFIG_VHOST_NET=y
CONFIG_MODULES=y
CONFIG_MODULE_UNLOAD=y
EOF
}

# variant_config VARIANT: the fragment of a variant (0 = the full kernel,
# 1 = full + debug, kunit = the KUnit kernel, kcsan = KUnit + KCSAN,
# vtest = the virtio-test kernel).
variant_config() {
	case "$1" in
	kunit) kunit_fragment ;;
	kcsan) kunit_fragment; kcsan_fragment ;;
	vtest) virtio_test_fragment ;;
	1) cat "$FRAGMENT"; debug_fragment ;;
	*) cat "$FRAGMENT" ;;
	esac
}

# series_patches DIR: the patch names of DIR/series, in order.
series_patches() {
	[ -f "$1/series" ] || return 0
	sed -e 's/#.*//' -e 's/[[:space:]].*//' "$1/series" | grep -v '^$' || true
}

# applied_list: the patch numbers (what precedes the first '-' of each file
# name read on stdin) as one comma-separated line, "none" for none. Written
# next to each image (.vnetkit-applied; a bisect prefix: <image>.applied),
# scripts/qemu.sh passes it to the guest as vnetkit.series=, and a guest
# test that needs what a patch adds skips, naming it, on a kernel without
# that patch (needs_patches in selftests/lib.sh).
applied_list() {
	local l
	l=$(sed 's/-.*//' | paste -sd, -)
	echo "${l:-none}"
}

# series_hash DIR: changes whenever the series file or any patch in it does.
series_hash() {
	local d=$1 p
	{
		cat "$d/series" 2>/dev/null || true
		series_patches "$d" | while read -r p; do
			echo "== $p"; cat "$d/$p" 2>/dev/null || echo missing
		done
	} | sha256sum | cut -c1-16
}

# quilt_push TREE DIR [N]: apply the first N patches (all without N) of
# DIR/series to TREE with --fuzz=0; a patch that needs fuzz or does not
# apply is an error naming it.
quilt_push() {
	local tree=$1 dir=$2 n=${3:-} out rc
	local -a pats
	mapfile -t pats < <(series_patches "$dir")
	[ ${#pats[@]} -gt 0 ] || return 0
	for p in "${pats[@]}"; do
		[ -r "$dir/$p" ] || die "patch '$p' listed in $dir/series is missing"
	done
	[ -z "$n" ] && n=${#pats[@]}
	ln -sfn "$dir" "$tree/patches"
	for ((i = 0; i < n; i++)); do
		out=$(cd "$tree" && QUILT_PATCHES=patches QUILT_PC=.pc \
			quilt --quiltrc=- push --fuzz=0 2>&1) && rc=0 || rc=$?
		if [ $rc -ne 0 ]; then
			echo "$out" | tail -15 >&2
			if patch -d "$tree" -p1 --dry-run -s -i "$dir/${pats[i]}" 2>&1 | grep -q 'with fuzz' ||
				patch -d "$tree" -p1 --dry-run -i "$dir/${pats[i]}" 2>&1 | grep -q 'with fuzz'; then
				die "patch ${pats[i]} ($((i + 1))/${#pats[@]}) applies only with fuzz; --fuzz=0 is required (rebase it on 6.12)"
			fi
			die "patch ${pats[i]} ($((i + 1))/${#pats[@]}) does not apply with --fuzz=0 (rebase it on 6.12)"
		fi
		if grep -qi 'fuzz' <<<"$out"; then
			die "patch ${pats[i]} needs fuzz (rebase it on 6.12)"
		fi
	done
	# patch(1) replaces files instead of writing through the hard link;
	# check that, so the pristine tree can never be touched.
	local f src
	src=$(readlink -f "$tree/.vnetkit-pristine")
	while read -r f; do
		[ -e "$src/$f" ] || continue
		[ "$tree/$f" -ef "$src/$f" ] && die "$f still shares its inode with the pristine tree after quilt"
	done < <(cd "$tree" && QUILT_PATCHES=patches quilt --quiltrc=- files -a 2>/dev/null \
		| sed 's/^[^ ]* //' || true)
	return 0
}

# fresh_copy SRC DEST: a hard-link copy of the pristine tree.
fresh_copy() {
	rm -rf "$2"
	mkdir -p "$(dirname "$2")"
	cp -al "$1" "$2"
	ln -s "$1" "$2/.vnetkit-pristine"
}

# patched_tree: build/linux-patched, re-created whenever the series changed.
patched_tree() {
	local src=$1 tree h
	tree=$(series_root)/linux-patched
	h=$(series_hash "$PATCHES_DIR")
	if [ "$(cat "$tree/.vnetkit-series" 2>/dev/null)" != "$h" ]; then
		say "applying $(series_patches "$PATCHES_DIR" | wc -l) patch(es) from ${PATCHES_DIR#$top/}/series to a copy of $src" >&2
		fresh_copy "$src" "$tree"
		quilt_push "$tree" "$PATCHES_DIR" >&2
		echo "$h" >"$tree/.vnetkit-series"
	fi
	echo "$tree"
}

# kconfig_defines TREE SYM: some Kconfig file of TREE defines SYM.
kconfig_defines() {
	grep -rqsE --include='Kconfig*' "^[[:space:]]*(menu)?config ${2#CONFIG_}\$" "$1"
}

# configure TREE OUT DEBUG [BASE]: tinyconfig + fragment (+ debug options),
# then check every fragment line survived olddefconfig. In a BASE build (and
# a bisect prefix) an option no Kconfig of the tree defines is one the
# series adds: noted, not an error.
configure() {
	local tree=$1 out=$2 debug=$3 base=${4:-0} frag h line opt val got missing=() added=()
	frag=$out/vnetkit.config
	mkdir -p "$out"
	variant_config "$debug" >"$frag.new"
	h=$(sha256sum <"$frag.new" | cut -c1-16)
	if [ -f "$out/.config" ] && [ "$(cat "$out/.vnetkit-config" 2>/dev/null)" = "$h" ]; then
		rm -f "$frag.new"
		return 0
	fi
	mv "$frag.new" "$frag"
	say "configuring ${out#$top/} (tinyconfig + $(case "$debug" in 1) echo "${FRAGMENT#$top/} + debug" ;; kunit) echo 'the KUnit fragment' ;; kcsan) echo 'the KUnit fragment + KCSAN' ;; vtest) echo 'the virtio-test fragment' ;; *) echo "${FRAGMENT#$top/}" ;; esac))"
	make -s -C "$tree" O="$out" ARCH=x86_64 tinyconfig >/dev/null
	(cd "$tree" && scripts/kconfig/merge_config.sh -m -O "$out" "$out/.config" "$frag") >"$out/merge.log" 2>&1 ||
		{ tail "$out/merge.log" >&2; die "merge_config.sh failed (see ${out#$top/}/merge.log)"; }
	make -s -C "$tree" O="$out" ARCH=x86_64 olddefconfig >/dev/null
	while IFS= read -r line; do
		if [[ "$line" =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
			opt=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]}
			got=$(grep -E "^$opt=" "$out/.config" | head -1 | cut -d= -f2- || true)
			[ "$got" = "$val" ] && continue
			if [ "$base" = 1 ] && [ -z "$got" ] && ! kconfig_defines "$tree" "$opt"; then
				added+=("$opt")
			elif [ -z "$got" ] && ! kconfig_defines "$tree" "$opt"; then
				missing+=("$opt=$val (no Kconfig defines it: is the patch adding it in patches/series?)")
			else
				missing+=("$opt=$val (got ${got:-unset})")
			fi
		elif [[ "$line" =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set ]]; then
			opt=${BASH_REMATCH[1]}
			grep -qE "^$opt=[ym]" "$out/.config" && missing+=("$opt off (still set)")
		fi
	done <"$frag"
	if [ ${#missing[@]} -gt 0 ]; then
		rm -f "$out/.vnetkit-config"
		printf '  %s\n' "${missing[@]}" >&2
		die "${#missing[@]} fragment option(s) dropped by olddefconfig, first: ${missing[0]} (turn on what it depends on in ${FRAGMENT#$top/})"
	fi
	[ ${#added[@]} -eq 0 ] || say "this tree lacks ${added[*]} (added by the series)"
	echo "$h" >"$out/.vnetkit-config"
}

# kbuild TREE OUT: build bzImage with ccache (and, in a kernel with
# CONFIG_MODULES, Module.symvers, which out-of-tree modules link against:
# the virtio-test kernel); prints the time taken. In a
# KCSAN build (CONFIG_KCSAN in OUT/.config) only lib/ptr_ring_kunit.o is
# instrumented: the command-line KCSAN_SANITIZE=n turns it off everywhere
# else (scripts/Makefile.lib puts the per-object setting first).
kbuild() {
	local tree=$1 out=$2 t0 t1 log=$2/build.log
	local -a extra=() targets=(bzImage)
	export CCACHE_BASEDIR=$top CCACHE_NOHASHDIR=1
	grep -q '^CONFIG_MODULES=y' "$out/.config" 2>/dev/null && targets+=(modules)
	grep -q '^CONFIG_KCSAN=y' "$out/.config" 2>/dev/null &&
		extra=(KCSAN_SANITIZE=n KCSAN_SANITIZE_ptr_ring_kunit.o=y)
	t0=$(date +%s.%N)
	if ! nice -n 10 make -C "$tree" O="$out" ARCH=x86_64 CC="ccache gcc" \
		HOSTCC="ccache gcc" -j"$JOBS" "${extra[@]}" "${targets[@]}" >"$log" 2>&1; then
		{ grep -E ': (fatal )?error:|^ERROR:|Error [0-9]' "$log" || tail -20 "$log"; } | head -12 >&2
		return 1
	fi
	t1=$(date +%s.%N)
	BUILD_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
}

# Output directories. ccache (CCACHE_BASEDIR) hashes include paths relative
# to the output directory, so every source tree is named linux-patched and
# sits next to its output directory: the base and bisect builds then hit
# the patched build's cache for every file the series does not touch.
# build/kbuild-base is a link to build/base/kbuild.
variant_dir() {
	local base=$1 debug=$2 d
	d=$(series_root)/kbuild
	[ "$base" = 1 ] && d=$build/base/kbuild
	[ "$debug" = 1 ] && d=$d-debug
	[ "$debug" = kcsan ] && d=$d-kcsan
	[ "$debug" = vtest ] && d=$d-virtio-test
	echo "$d"
}

# base_tree SRC: an unpatched hard-link copy of the pristine tree.
base_tree() {
	local src=$1 tree=$build/base/linux-patched
	if [ ! -e "$tree/.vnetkit-base" ]; then
		fresh_copy "$src" "$tree"
		touch "$tree/.vnetkit-base"
	fi
	ln -sfn base/kbuild "$build/kbuild-base"
	echo "$tree"
}

cmd_build() {
	local base=0 debug=0 src tree out ver warn
	while [ $# -gt 0 ]; do
		case "$1" in
		--base) base=1 ;;
		--debug) debug=1 ;;
		--kcsan) debug=kcsan ;;
		--virtio-test) debug=vtest ;;
		--series) set_series "${2:-}"; shift ;;
		*) echo "vnetkit: kernel: unknown option '$1' (use --base, --debug, --kcsan, --virtio-test, --series DIR)" >&2; exit 2 ;;
		esac
		shift
	done
	src=$("$top/scripts/kernel-src.sh")
	if [ "$base" = 1 ]; then tree=$(base_tree "$src"); else tree=$(patched_tree "$src"); fi
	out=$(variant_dir "$base" "$debug")
	# A series other than patches/ (a cost fixture on the base tree, the
	# series without one patch) may lack the options patches/ adds.
	configure "$tree" "$out" "$debug" "$([ "$PATCHES_DIR" = "$top/patches" ] && echo "$base" || echo 1)"
	ver=$(make -s -C "$tree" kernelversion)
	say "building $ver $([ "$base" = 1 ] && echo base || echo "patched ($(series_patches "$PATCHES_DIR" | wc -l) patches of ${PATCHES_DIR#$top/})")$(case "$debug" in 1) echo ', debug' ;; kcsan) echo ', kcsan' ;; vtest) echo ', virtio-test' ;; esac) in ${out#$top/} (log: ${out#$top/}/build.log)"
	kbuild "$tree" "$out" || die "build failed (see ${out#$top/}/build.log)"
	warn=$(grep -c 'warning:' "$out/build.log" || true)
	say "built ${out#$top/}/arch/x86/boot/bzImage in ${BUILD_SECS} s ($warn compiler warning(s) in this build)"
	echo "$BUILD_SECS" >"$out/.vnetkit-build-secs"
	if [ "$base" = 1 ]; then applied_list; else series_patches "$PATCHES_DIR" | applied_list; fi \
		>"$out/.vnetkit-applied"
	[ "$debug" = vtest ] && virtio_tools "$tree" "$out"
	return 0
}

# virtio_tools_tree TREE D: a copy of TREE's tools/virtio in D/src/ to build
# in (tools/virtio builds in place), with links to what it reads from the
# tree, and D/compat/. Its UAPI headers are the build host's
# (linux-libc-dev; the vhost ioctls are ABI): with the tree's own as
# ../../usr/include (make headers), compiler_types.h redefines the __user of
# tools/include's types.h, an error under its -Werror. 6.12.117's
# tools/virtio does not build as shipped either: compiler_types.h includes
# <linux/compiler-context-analysis.h> (a stable backport) from a directory
# tools/virtio does not search, and virtio_ring.c uses data_race() and
# MODULE_DESCRIPTION(), which its stubs lack; compat/ supplies those three
# without touching the tree (virtio_make passes it).
virtio_tools_tree() {
	local tree=$1 d=$2
	rm -rf "$d"
	mkdir -p "$d/src/tools" "$d/compat/linux"
	cp -a "$tree/tools/virtio" "$d/src/tools/virtio"
	ln -s "$tree/tools/include" "$d/src/tools/include"
	ln -s "$tree/include" "$d/src/include"
	ln -s "$tree/drivers" "$d/src/drivers"
	ln -s "$tree/include/linux/compiler-context-analysis.h" "$d/compat/linux/"
	printf '%s\n' '/* vnetkit: stubs 6.12.y virtio_ring.c needs in user space */' \
		'#define data_race(expr) (expr)' '#define MODULE_DESCRIPTION(desc)' >"$d/compat/compat.h"
}

# virtio_make D TARGET [VAR=VALUE...]: make TARGET of D's tools/virtio (log:
# D/build.log). CFLAGS and LDFLAGS come from the environment: tools/virtio's
# Makefile appends to them.
virtio_make() {
	local d=$1 target=$2
	shift 2
	if ! env "$@" CFLAGS="-I$d/compat -include $d/compat/compat.h" nice -n 10 \
		make -C "$d/src/tools/virtio" CC="ccache gcc" "$target" >>"$d/build.log" 2>&1; then
		grep -E 'error' "$d/build.log" | head -8 >&2
		die "tools/virtio/$target does not build (see ${d#$top/}/build.log)"
	fi
}

# virtio_tools TREE OUT: upstream's virtio_test and the vhost_test module of
# TREE, for the virtio-test kernel in OUT, into OUT/virtio-test/
# (virtio_test, vhost_test.ko). The module is drivers/vhost/test.c (what
# tools/virtio/vhost_test/vhost_test.c includes) built against OUT, so it
# runs the series' vhost core.
virtio_tools() {
	local tree=$1 out=$2 d=$2/virtio-test t0 t1
	t0=$(date +%s.%N)
	virtio_tools_tree "$tree" "$d"
	mkdir -p "$d/module"
	virtio_make "$d" virtio_test
	cp "$tree/tools/virtio/vhost_test/Makefile" "$tree/tools/virtio/vhost_test/vhost_test.c" "$d/module/"
	# As tools/virtio's oot target: test.c and vhost.h from drivers/vhost.
	if ! nice -n 10 make -C "$tree" O="$out" ARCH=x86_64 CC="ccache gcc" \
		HOSTCC="ccache gcc" M="$d/module" KCFLAGS="-I$tree/drivers/vhost" \
		modules >>"$d/build.log" 2>&1; then
		grep -E 'error|ERROR' "$d/build.log" | head -8 >&2
		die "virtio-test: the vhost_test module does not build (see ${d#$top/}/build.log)"
	fi
	cp "$d/src/tools/virtio/virtio_test" "$d/module/vhost_test.ko" "$d/"
	t1=$(date +%s.%N)
	say "built ${d#$top/}/virtio_test and vhost_test.ko in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
}

# cmd_virtio_tools DIR [--patch FILE]... TARGET...: TARGETs of the pristine
# tree's tools/virtio (vhost_net_test, virtio_test), static, in a copy of it
# in DIR with each FILE applied (patch -p1, no fuzz): DIR/src/tools/virtio/.
# The driver side of a test, which the series leaves alone but for its
# tools/virtio patches, checked this way (selftests/test_virtio_tools.sh).
cmd_virtio_tools() {
	local d=${1:?usage: kernel.sh virtio-tools DIR [--patch FILE]... TARGET...} tree p
	local patches=() targets=()
	shift
	while [ $# -gt 0 ]; do
		case "$1" in
		--patch) patches+=("$(readlink -f "${2:?--patch needs a file}")"); shift ;;
		*) targets+=("$1") ;;
		esac
		shift
	done
	[ ${#targets[@]} -gt 0 ] || { echo "vnetkit: kernel: virtio-tools: no target (vhost_net_test, virtio_test)" >&2; exit 2; }
	tree=$("$top/scripts/kernel-src.sh")
	virtio_tools_tree "$tree" "$d"
	for p in "${patches[@]}"; do
		patch -s -p1 -F0 -d "$d/src" <"$p" >>"$d/build.log" 2>&1 ||
			die "virtio-tools: ${p#$top/} does not apply to tools/virtio (see ${d#$top/}/build.log)"
	done
	for p in "${targets[@]}"; do
		virtio_make "$d" "$p" LDFLAGS=-static
	done
}

# cmd_vhost_net_test OUT: upstream's tools/virtio/vhost_net_test as the
# pristine tree has it, static, at OUT, for the default guest suite
# (selftests/guest/test_vhost_net_test.sh). It is the driver side
# (virtio_ring.c in user space); the device side is the guest kernel's
# vhost_net. It needs no module and no kernel build of its own.
cmd_vhost_net_test() {
	local out=${1:?usage: kernel.sh vhost-net-test OUT} d=$build/virtio-tools
	cmd_virtio_tools "$d" vhost_net_test
	install -D -m 0755 "$d/src/tools/virtio/vhost_net_test" "$out"
	say "built ${out#$top/} from the pristine tree's tools/virtio ($(make -s -C "$("$top/scripts/kernel-src.sh")" kernelversion))"
}

# cmd_scratch DEST: a hard-link copy of the pristine tree with the whole
# series applied, for a caller that edits it (scripts/mutants.sh). Name
# DEST .../linux-patched next to its output directory for ccache hits.
cmd_scratch() {
	local dest=${1:?usage: kernel.sh scratch DEST} src
	src=$("$top/scripts/kernel-src.sh")
	fresh_copy "$src" "$dest"
	quilt_push "$dest" "$PATCHES_DIR"
}

# cmd_build_tree TREE OUT [--kcsan]: configure and build a scratch tree as
# the KUnit kernel (with KCSAN); prints the build time in seconds last.
cmd_build_tree() {
	local tree=${1:?usage: kernel.sh build-tree TREE OUT [--kcsan]} out=${2:?usage: kernel.sh build-tree TREE OUT [--kcsan]} variant=kunit
	[ "${3:-}" = --kcsan ] && variant=kcsan
	configure "$tree" "$out" "$variant" 0 >&2
	kbuild "$tree" "$out" || die "build of $tree failed (see $out/build.log)"
	echo "$BUILD_SECS"
}

# bisect_pick VALUE: the 1-based index of a patch given by its position or
# by the start of its file name (0009, 0004a-vhost...); usage error if none
# or several match.
bisect_pick() {
	local v=$1 i hit=0 m=0
	if [[ $v =~ ^[0-9]+$ ]] && [ "$v" -ge 1 ] && [ "$v" -le "$n" ] && [ ${#v} -le 2 ]; then
		echo "$v"
		return 0
	fi
	for ((i = 1; i <= n; i++)); do
		case "${pats[i - 1]}" in "$v"-* | "$v") hit=$i; m=$((m + 1)) ;; esac
	done
	if [ "$m" -ne 1 ]; then
		echo "vnetkit: kernel: bisect: '$v' names $m patches of the series (give a position 1-$n or a patch number such as ${pats[n - 1]%%-*})" >&2
		exit 2
	fi
	echo "$hit"
}

# bisect_range: the series and the range to bisect, checked before the
# build lock is waited for (pats, n, from, to).
bisect_range() {
	mapfile -t pats < <(series_patches "$PATCHES_DIR")
	n=${#pats[@]}
	[ "$n" -eq 0 ] && return 0
	from=$(bisect_pick "${BISECT_FROM:-1}")
	to=$(bisect_pick "${BISECT_TO:-$n}")
	if [ "$from" -gt "$to" ]; then
		echo "vnetkit: kernel: bisect: FROM ${pats[from - 1]} comes after TO ${pats[to - 1]} (give them in series order)" >&2
		exit 2
	fi
}

# bisect [BISECT_BOOT=1] [BISECT_FROM=P] [BISECT_TO=P] [BISECT_FILTER=word]:
# build every prefix of the series (BISECT_FROM..BISECT_TO: build only
# those, the patches before them applied without a build); with
# BISECT_BOOT=1 also boot each built prefix and run the guest suite on it
# (or the scripts matching BISECT_FILTER). A test that needs what a later
# patch adds must skip on a prefix, naming what is missing: a failure
# there is a bisection hazard, reported with the prefix. Each boot's TAP
# goes to build/bisect/<position>-<patch>.tap.
cmd_bisect() {
	local src tree out i rc img failed=()
	if [ "$n" -eq 0 ]; then
		say "bisect: the series is empty; nothing to build"
		return 0
	fi
	src=$("$top/scripts/kernel-src.sh")
	tree=$build/bisect/linux-patched
	out=$build/bisect/kbuild
	fresh_copy "$src" "$tree"
	BISECT_TREE=$tree
	trap 'rm -rf "$BISECT_TREE"' EXIT
	ln -sfn "$PATCHES_DIR" "$tree/patches"
	for ((i = 1; i <= to; i++)); do
		(cd "$tree" && QUILT_PATCHES=patches quilt --quiltrc=- push --fuzz=0 >/dev/null 2>&1) ||
			die "bisect: patch $i/$n ${pats[i - 1]} does not apply with --fuzz=0"
		[ "$i" -lt "$from" ] && continue
		# A prefix lacks the options later patches add: tolerated as in BASE=1.
		configure "$tree" "$out" 0 1
		if ! kbuild "$tree" "$out"; then
			die "bisect: the series stops building at patch $i/$n: ${pats[i - 1]} (see ${out#$top/}/build.log)"
		fi
		say "bisect: $i/$n ${pats[i - 1]}: builds (${BUILD_SECS} s)"
		[ "${BISECT_BOOT:-0}" = 1 ] || continue
		img=$build/bisect/$i-${pats[i - 1]%.patch}.bzImage
		cp "$out/arch/x86/boot/bzImage" "$img"
		printf '%s\n' "${pats[@]:0:i}" | applied_list >"${img%.bzImage}.applied"
		set +e
		QEMU_IMAGE=$img QEMU_RUN_NAME=bisect-$i "$top/scripts/qemu.sh" check \
			${BISECT_FILTER:+--filter "$BISECT_FILTER"} >"${img%.bzImage}.tap" 2>&1
		rc=$?
		set -e
		rm -f "$img" "${img%.bzImage}.applied"
		grep '^not ok' "${img%.bzImage}.tap" | sed "s|^|kernel: bisect: $i/$n: |" || true
		say "bisect: $i/$n ${pats[i - 1]}: boots, guest suite$([ -n "${BISECT_FILTER:-}" ] && echo " ($BISECT_FILTER)"): $(tail -1 "${img%.bzImage}.tap") (${img#$top/} -> ${img%.bzImage}.tap)"
		[ "$rc" = 0 ] || failed+=("$i/$n ${pats[i - 1]}")
	done
	if [ ${#failed[@]} -gt 0 ]; then
		die "bisect: the guest suite fails on ${#failed[@]} prefix(es): ${failed[*]}"
	fi
	say "bisect: prefixes $from-$to of the $n patches build$([ "${BISECT_BOOT:-0}" = 1 ] && echo ", boot and pass the guest suite")"
}

cmd_apply() {
	local dir=${1:?usage: kernel.sh apply DIR} src tree
	dir=$(cd "$dir" && pwd)
	src=$("$top/scripts/kernel-src.sh")
	APPLY_TREE=$(mktemp -d "${KERNEL_SCRATCH:-$build}/apply.XXXXXX")
	trap 'rm -rf "$APPLY_TREE"' EXIT
	fresh_copy "$src" "$APPLY_TREE"
	quilt_push "$APPLY_TREE" "$dir"
	say "apply: $(series_patches "$dir" | wc -l) patch(es) of $dir/series apply with --fuzz=0"
}

# check_patch FILE: subject with a subsystem prefix, a body, our
# Signed-off-by, and checkpatch.pl --strict clean. Prints one line per
# problem and returns non-zero if there is any.
check_patch() {
	local f name subj body src out bad=0
	f=$(readlink -f "$1")
	name=$(basename "$f")
	subj=$(sed -n 's/^Subject: *//p' "$f" | head -1 | sed 's/^\[[^]]*\] *//')
	if [ -z "$subj" ]; then
		echo "$name: no Subject: header (use git format-patch)"; bad=1
	elif ! [[ "$subj" =~ ^[a-z0-9_./-]+(\ [a-z0-9_./-]+)?:\ [^[:space:]] ]]; then
		echo "$name: subject '$subj' has no subsystem prefix (e.g. 'ptr_ring: ...')"; bad=1
	fi
	# Body: non-empty lines between the headers and the first trailer or ---.
	body=$(awk 'hdr == 0 && /^$/ { hdr = 1; next }
		hdr == 1 && (/^---$/ || /^[A-Za-z-]+-by: / || /^diff --git/) { exit }
		hdr == 1 && NF { n++ } END { print n + 0 }' "$f")
	[ "$body" -gt 0 ] || { echo "$name: commit message has no body (say why)"; bad=1; }
	grep -qxF "$SOB" "$f" || { echo "$name: missing '$SOB'"; bad=1; }
	src=$("$top/scripts/kernel-src.sh")
	if ! out=$(cd "$src" && perl scripts/checkpatch.pl --strict --no-tree --quiet \
		--show-types --no-signoff --ignore FILE_PATH_CHANGES "$f" 2>&1); then
		echo "$name: checkpatch.pl --strict:"
		{ grep -E '^(ERROR|WARNING|CHECK)' <<<"$out" || echo "$out"; } | head -10 | sed 's/^/    /'
		bad=1
	fi
	return $bad
}

cmd_check_series() {
	local dir=${1:?usage: kernel.sh check-series DIR} p bad=0 n=0
	local -a pats
	dir=$(cd "$dir" && pwd) || die "check-series: no directory $1"
	mapfile -t pats < <(series_patches "$dir")
	for p in "${pats[@]}"; do
		n=$((n + 1))
		if [ ! -r "$dir/$p" ]; then
			echo "$p: listed in series but missing"; bad=1; continue
		fi
		check_patch "$dir/$p" || bad=1
	done
	[ $bad -eq 0 ] && say "check-series: $n patch(es) pass"
	return $bad
}

# One kernel build at a time: sessions share build/linux-patched (re-created
# when the series changes) and the output directories.
build_lock() {
	mkdir -p "$build"
	exec 8>"$build/.kernel-build.lock"
	if ! flock -n 8; then
		say "waiting for another make kernel / kernel-bisect to finish" >&2
		flock 8
	fi
}

cmd="${1:-build}"
[ $# -gt 0 ] && shift
case "$cmd" in
build) build_lock; cmd_build "$@" ;;
bisect) bisect_range; build_lock; cmd_bisect ;;
apply) cmd_apply "$@" ;;
check-series) cmd_check_series "$@" ;;
check-patch) check_patch "$@" ;;
scratch) cmd_scratch "$@" ;;
vhost-net-test) cmd_vhost_net_test "$@" ;;
virtio-tools) cmd_virtio_tools "$@" ;;
build-tree) cmd_build_tree "$@" ;;
config)
	[ $# -eq 2 ] || { echo "usage: kernel.sh config FRAGMENT OUTDIR" >&2; exit 2; }
	FRAGMENT=$(readlink -f "$1")
	configure "$("$top/scripts/kernel-src.sh")" "$(readlink -f "$2")" 0 1 ;;
image)
	base=0 debug=0
	while [ $# -gt 0 ]; do
		case "$1" in
		--base) base=1 ;;
		--debug) debug=1 ;;
		--kcsan) debug=kcsan ;;
		--virtio-test) debug=vtest ;;
		--series) set_series "${2:-}"; shift ;;
		esac
		shift
	done
	echo "$(variant_dir $base $debug)/arch/x86/boot/bzImage" ;;
*) echo "vnetkit: kernel: unknown command '$cmd' (build, bisect, apply, check-series, image, scratch, build-tree, vhost-net-test, virtio-tools)" >&2; exit 2 ;;
esac
