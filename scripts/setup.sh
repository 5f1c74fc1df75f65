#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/setup.sh - install everything the mynetdrv lab needs (idempotent).
#
# Checks the wanted Debian packages with dpkg-query first and only runs
# `apt-get update && apt-get install` for the ones that are missing, so it
# is fast on a machine that already has them.  Needs no stdin (CI).
#
# Besides the list below it installs the second kernel of the matrix,
# bookworm's 6.12 line: the newest linux-image-6.12.*+deb12-amd64-unsigned
# with its linux-headers (chosen with apt-cache, after apt-get update),
# unless a 6.12.*+deb12-amd64 kernel with headers is already installed.
# The third one (Debian unstable) lives in a chroot: scripts/kernels.sh.
#
# Usage: scripts/setup.sh [--check]
#   --check   only report missing packages; exit 1 if any are missing.
#
# Extra packages can be added with SETUP_EXTRA_PKGS="pkg1 pkg2".
set -euo pipefail

PKGS=(
	# guest kernel + headers to build the module against
	linux-image-amd64 linux-headers-amd64
	# the VM and its initramfs
	qemu-system-x86 busybox-static cpio kmod xz-utils zstd
	# userland used by the tests inside the guest
	iproute2 ethtool iputils-ping iperf3 socat tcpdump procps psmisc jq
	util-linux coreutils
	# building the module and the iproute2 plugin (dpkg-dev: apt-get source)
	gcc make dpkg-dev libc6-dev pkg-config
	# the tests' BPF programs (tests/bpf/*.c): clang -target bpf, llvm
	# (llvm-objdump, to look into them), and libbpf's headers (SEC() and
	# the helpers); bpftool and xdp-tools (xdp-loader) load, attach, show
	# them and read their maps in the guest (tests/35-xdp.sh)
	clang llvm libbpf-dev bpftool xdp-tools
	# static checks (make lint): checkpatch.pl, kernel-doc and the
	# semantic patches come from linux-source-6.12's tarball; coccinelle
	# runs those, a few of them need the OCaml compiler (ocaml-nox);
	# docutils: make docs-check (Documentation/*.rst)
	shellcheck sparse coccinelle ocaml-nox linux-source-6.12 python3-docutils
	# make lint's pyflakes check of the Python helpers
	pyflakes3
	# make bench (bench/): latency, the report and its chart
	sockperf python3 gnuplot-nox
	# the sid chroot of the 7.x kernel (scripts/kernels.sh)
	debootstrap
	# make dkms-install; make deb (dpkg-buildpackage with debhelper and
	# dh-dkms, then lintian), the package tests/27-dkms.sh installs
	dkms debhelper dh-dkms fakeroot lintian
)
# shellcheck disable=SC2206 # word splitting is intended
[ -n "${SETUP_EXTRA_PKGS:-}" ] && PKGS+=(${SETUP_EXTRA_PKGS})

missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done

# Is a 6.12 kernel with headers there?
k612=""
for v in /boot/vmlinuz-6.12.*+deb12-amd64; do
	[ -e "$v" ] && [ -d "/lib/modules/${v#/boot/vmlinuz-}/build" ] && k612=${v#/boot/vmlinuz-}
done

if [ ${#missing[@]} -eq 0 ] && [ -n "$k612" ]; then
	echo "setup: all ${#PKGS[@]} packages present, and kernel $k612"
	exit 0
fi

[ ${#missing[@]} -eq 0 ] || echo "setup: missing packages: ${missing[*]}"
[ -n "$k612" ] || echo "setup: missing a 6.12.*+deb12-amd64 kernel with headers"
[ "${1:-}" = --check ] && exit 1

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "setup: need root or sudo" >&2; exit 1; }
	SUDO=(sudo -n)
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q </dev/null
if [ -z "$k612" ]; then
	img=$(apt-cache pkgnames linux-image-6.12. </dev/null |
		grep -E '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' | sort -V | tail -n1 || true)
	[ -n "$img" ] || { echo "setup: apt knows no linux-image-6.12.*+deb12-amd64-unsigned" >&2; exit 1; }
	rel=${img#linux-image-}
	rel=${rel%-unsigned}
	echo "setup: 6.12 kernel: $rel"
	missing+=("$img" "linux-headers-$rel")
fi
"${SUDO[@]}" apt-get install -y -q --no-install-recommends \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	"${missing[@]}" </dev/null
echo "setup: done"
