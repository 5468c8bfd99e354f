#!/usr/bin/env bash
# Install exactly the Debian packages vnetkit needs that are missing.
# Idempotent and quiet when everything is present. Usage:
#   scripts/setup.sh            build, demo and install dependencies (make demo)
#   scripts/setup.sh kernel     also the kernel / QEMU toolchain (make kernel*)
#   scripts/setup.sh submit     also the upstream submission tools (make submit)
#   scripts/setup.sh check      everything the host tests use (make check):
#                               they check the kernel harness and make submit
#                               too, so this is the same set as 'all'
set -euo pipefail

base_pkgs=(make gcc clang-19 llvm-19 libbpf-dev bpftool libelf-dev zlib1g-dev bc ethtool util-linux
	pkg-config iproute2 python3 jq xdp-tools gnuplot-nox linux-source-6.12 quilt)
# vnetkit export: HTTP server; netlink (route, genl) for every command (loader/nl.c)
base_pkgs+=(libmicrohttpd-dev libnl-genl-3-dev libnl-route-3-dev)
# Only the host tests use these: a real Prometheus server (and promtool) that
# scrapes vnetkit export and curl to query it, capsh for the capability tests,
# procps (ps, pgrep) for the process checks of the kill tests, systemd for
# systemd-analyze verify of the exporter unit.
test_pkgs=(prometheus libcap2-bin curl procps systemd)
kernel_pkgs=(bc bison flex libssl-dev cpio pahole ccache qemu-system-x86
	busybox-static xz-utils sparse)
# submit: netdev's patch checks. clang-19 builds with LLVM=-19, which
# links with ld.lld-19 (lld-19); ARCH=i386 needs only gcc's -m32 (the
# kernel builds freestanding, no gcc-multilib); codespell for checkpatch.
submit_pkgs=(git-email libmailtools-perl b4 lld-19 shellcheck codespell sparse)
# vk_cost plugin: qemu-user runs its host tests, dpkg-dev unpacks qemu's source for its API header
base_pkgs+=(qemu-user dpkg-dev)
# the CLI's --json documents (loader/vjson.c); their schema test (selftests/test_schemas.sh)
base_pkgs+=(libjansson-dev)
# groff, man: the generated man pages are checked with groff -ww (selftests/test_cmdlayer.sh)
# and read with man -l (selftests/test_install.sh)
test_pkgs+=(python3-jsonschema groff-base man-db)

want=("${base_pkgs[@]}")
for arg in "$@"; do
	case "$arg" in
	kernel) want+=("${kernel_pkgs[@]}") ;;
	submit) want+=("${submit_pkgs[@]}") ;;
	check|all) want+=("${kernel_pkgs[@]}" "${submit_pkgs[@]}" "${test_pkgs[@]}") ;;
	*) echo "vnetkit: setup: $arg: unknown component (use kernel, submit, check or all)" >&2; exit 2 ;;
	esac
done

missing=()
for p in "${want[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "vnetkit: setup: missing packages: ${missing[*]} (run as root: sudo $0 $*)" >&2
	exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/vnetkit-apt.log 2>&1; then
	apt-get update -qq >>/tmp/vnetkit-apt.log 2>&1
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >>/tmp/vnetkit-apt.log 2>&1 || {
		tail -20 /tmp/vnetkit-apt.log >&2
		echo "vnetkit: setup: apt-get install failed (see /tmp/vnetkit-apt.log)" >&2
		exit 1
	}
fi
