#!/usr/bin/env bash
# make kernel-vhost-mutants [M="name ..."]: mutation test of patch 0009's
# avail read-ahead (vhost: fetch avail ring heads in batches). Each mutant
# is the series with one known-bad change to 0009, made by a perl
# substitution on the patch file (a substitution that does not match is an
# error: 0009 changed, update the mutant); the series goes to
# build/mutants/<name>/ and is built as its own tree (scripts/kernel.sh
# --series: build/series/<name>-<hash>/, ccache hits for every file 0009
# does not touch). Then the guest tests that guard it run on it and must
# fail: a mutant they pass "survived".
#
#   reset-noop  vhost_vq_avail_heads_reset() empties nothing: entries read
#               before VHOST_SET_VRING_BASE, a backend change or a ring
#               reset are served after it. Guard: test_vhost_batch*.sh
#               (queue restarts with buffers re-posted under other heads).
#   miss-keep   a miss leaves the array as it was: entries read at avail
#               index i answer for index i + 65536. Guard:
#               test_vhost_batch_lap.sh.
#   reset-noop-vt  reset-noop against upstream's virtio_test --reset
#               (virtio_test_reset.sh on the virtio-test kernel): not in the
#               default set. virtio_test restarts its ring with a fresh free
#               list, so the first heads after a reset are those before it
#               (0, 1, 2...), and an array keyed by avail index serves a
#               stale entry only for the indices it read before the reset:
#               whether the values then differ depends on how the random
#               batches recycled heads. A measurement, not a guard.
#
# Not a mutant here: leaving out the reset in VHOST_SET_VRING_BASE alone.
# vhost refuses that ioctl while a backend is attached (-EBUSY), and
# detaching one went through vhost_vq_set_backend(), which emptied the
# array, so nothing can be served from before it: an equivalent mutant.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
P0009=0009-vhost-fetch-avail-heads-in-batches.patch

names=(reset-noop miss-keep)
optional=(reset-noop-vt)
declare -A desc subst variant filter
desc[reset-noop]='vhost_vq_avail_heads_reset() empties nothing'
subst[reset-noop]='s/(vhost_vq_avail_heads_reset\(struct vhost_virtqueue \*vq\)\n\+\{\n\+)\tvq->avail_count = 0;/$1\t(void)vq;/'
variant[reset-noop]=
filter[reset-noop]=vhost_batch
desc[reset-noop-vt]=${desc[reset-noop]}
subst[reset-noop-vt]=${subst[reset-noop]}
variant[reset-noop-vt]=--virtio-test
filter[reset-noop-vt]=virtio_test_reset
desc[miss-keep]='a miss leaves the read-ahead array as it was'
subst[miss-keep]='s/(\+\t\treturn 0;\n\+\t\}\n\+)\tvq->avail_count = 0;\n/$1\t(void)0;\n/'
variant[miss-keep]=
filter[miss-keep]=batch_lap

die() { echo "vnetkit: vhost-mutants: $*" >&2; exit 1; }
want=()
for a in "$@"; do
	[ -n "${desc[$a]+x}" ] || {
		echo "vnetkit: vhost-mutants: unknown mutant '$a' (mutants: ${names[*]} ${optional[*]})" >&2
		exit 2
	}
	want+=("$a")
done
[ ${#want[@]} -gt 0 ] || want=("${names[@]}")

# mutate NAME: build/mutants/NAME/, the series with NAME's 0009.
mutate() {
	local d=$build/mutants/$1
	mkdir -p "$d"
	cp "$top"/patches/series "$top"/patches/*.patch "$d/"
	SUBST=${subst[$1]} perl -0777 -e '
		my $s = do { local $/; <STDIN> };
		my $n = eval "\$s =~ $ENV{SUBST}";
		die "the substitution does not match $ARGV[0] once\n" unless $n && $n == 1;
		print $s;' "$P0009" <"$top/patches/$P0009" >"$d/$P0009.new" ||
		die "mutant $1: 0009 changed, update its substitution"
	mv "$d/$P0009.new" "$d/$P0009"
	echo "$d"
}

killed=0 survived=0
for m in "${want[@]}"; do
	echo "# mutant $m: ${desc[$m]}"
	d=$(mutate "$m") || exit 1
	# shellcheck disable=SC2086 # variant is empty or one option
	"$top/scripts/kernel.sh" build ${variant[$m]} --series "$d" || die "mutant $m does not build"
	img=$("$top/scripts/kernel.sh" image ${variant[$m]} --series "$d")
	log=$d/check.log
	# shellcheck disable=SC2086
	QEMU_IMAGE=$img "$top/scripts/qemu.sh" check ${variant[$m]} --filter "${filter[$m]}" >"$log" 2>&1
	n=$(grep -cE "^not ok [0-9]+ - guest/[a-z_]*${filter[$m]}" "$log")
	if [ "$n" -gt 0 ]; then
		killed=$((killed + 1))
		echo "ok - mutant $m killed: $n failing check(s) in guest/*${filter[$m]}* (log: ${log#$top/})"
		grep -E "^not ok [0-9]+ - guest/" "$log" | head -4 | sed 's/^/#   /'
	else
		survived=$((survived + 1))
		echo "not ok - mutant $m survived guest/*${filter[$m]}* (log: ${log#$top/})"
	fi
done
echo "$killed killed, $survived survived"
[ $survived -eq 0 ]
