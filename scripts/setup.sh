#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/setup.sh - install everything the mynetdrv lab needs (idempotent).
#
# Checks the wanted Debian packages with dpkg-query first and only runs
# `apt-get update && apt-get install` for the ones that are missing, so it
# is fast on a machine that already has them.  Needs no stdin (CI).
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
	# static checks
	shellcheck sparse
)
# shellcheck disable=SC2206 # word splitting is intended
[ -n "${SETUP_EXTRA_PKGS:-}" ] && PKGS+=(${SETUP_EXTRA_PKGS})

missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "setup: all ${#PKGS[@]} packages present"
	exit 0
fi

echo "setup: missing packages: ${missing[*]}"
[ "${1:-}" = --check ] && exit 1

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "setup: need root or sudo" >&2; exit 1; }
	SUDO=(sudo -n)
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q </dev/null
"${SUDO[@]}" apt-get install -y -q --no-install-recommends \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	"${missing[@]}" </dev/null
echo "setup: done"
