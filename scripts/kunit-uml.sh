#!/usr/bin/env bash
# make kernel-kunit-uml: the ptr_ring KUnit suite through the kernel's own
# runner, tools/testing/kunit/kunit.py run, on User Mode Linux (kunit.py's
# default: ARCH=um, one CPU, PREEMPT_NONE) - as a kernel developer runs it.
# The tree is a hard-link copy of the pristine 6.12 source with the series
# applied (scripts/kernel.sh scratch), in build/uml/linux-patched; the UML
# build is out of tree in build/uml/kbuild (ccache as for the other builds).
# The threaded cases need a second CPU and skip on UML, with the reason.
#
# Env: JOBS (default 2), KUNIT_TIMEOUT (seconds for the suite, default 600).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$top/build/uml
tree=$dir/linux-patched
out=$dir/kbuild
JOBS=${JOBS:-2}

die() { echo "vnetkit: kunit-uml: $*" >&2; exit 1; }

mkdir -p "$dir"
exec 9>"$dir/.lock"
flock -n 9 || die "another make kernel-kunit-uml is running (lock ${dir#$top/}/.lock)"
t0=$(date +%s)
"$top/scripts/kernel.sh" scratch "$tree" >/dev/null || die "could not apply the series to ${tree#$top/}"
cat >"$dir/.kunitconfig" <<'EOF'
CONFIG_KUNIT=y
CONFIG_PTR_RING_KUNIT_TEST=y
EOF
export CCACHE_BASEDIR=$top CCACHE_NOHASHDIR=1
echo "kunit-uml: kunit.py run on UML, ${tree#$top/} -> ${out#$top/} ($JOBS jobs)"
rc=0
(cd "$tree" && nice -n 10 python3 tools/testing/kunit/kunit.py run \
	--build_dir="$out" --kunitconfig="$dir/.kunitconfig" --jobs="$JOBS" \
	--make_options CC="ccache gcc" --timeout="${KUNIT_TIMEOUT:-600}" 'ptr_ring') || rc=$?
echo "kunit-uml: kunit.py exited $rc after $(($(date +%s) - t0)) s (patch, configure, build, run)"
exit $rc
