#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/debugkernel.sh - the checking kernels of the lab, for the VM only:
# Debian's linux-source-6.1 built with a config fragment per flavor:
#   debug   KASAN, lockdep, kmemleak, UBSAN, DEBUG_NET and fault injection
#           (scripts/debug-kernel.config): `make check-debug`
#   kcsan   KCSAN, the data-race detector, which cannot be combined with
#           KASAN (scripts/kcsan-kernel.config): `make check-kcsan`
#
# Usage: scripts/debugkernel.sh [--flavor debug|kcsan] COMMAND
#   build     build it unless the cache has it (first time: 15-25 min on
#             2 cores), then print its release
#   release   print the release of the cached build ("" and status 1 if none)
#   root      print the root holding its boot/vmlinuz-R and lib/modules/R
#             (status 1 if not built)
#   key       print the cache key
#
# The build lives outside the repository, in
# $MYNETDRV_CACHE/FLAVOR-6.1-<key> (default /var/cache/mynetdrv), where <key>
# hashes the config fragment, RECIPE below and the linux-source-6.1 version:
# it is built once per machine and config.  Layout:
#   src/                          the kernel tree, built in place (modules
#                                 of the lab build against it: M=)
#   root/boot/vmlinuz-R           the image scripts/vm.sh boots (-machine q35)
#   root/lib/modules/R/           modules_install (build -> src)
#   .ready                        written last
# An interrupted build resumes (make is incremental); older FLAVOR-6.1-*
# directories are removed once a new one is ready.
set -euo pipefail

SELF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${MYNETDRV_CACHE:-/var/cache/mynetdrv}
FLAVOR=debug
if [ "${1:-}" = --flavor ]; then
	FLAVOR=${2:-}
	shift 2
fi
case $FLAVOR in
debug|kcsan) ;;
*) echo "debugkernel.sh: unknown flavor '$FLAVOR' (debug, kcsan)" >&2; exit 1 ;;
esac
FRAGMENT=$SELF_DIR/$FLAVOR-kernel.config
TARBALL=/usr/src/linux-source-6.1.tar.xz
# Bump when the way the kernel is built changes (not the config: the
# fragment is part of the key already).
RECIPE=1
BUILD_PKGS="linux-source-6.1 bison flex bc libelf-dev libssl-dev cpio kmod xz-utils"

die() { echo "debugkernel.sh: $*" >&2; exit 1; }
info() { echo "debugkernel.sh: $*" >&2; }

key() {
	{
		cat "$FRAGMENT"
		echo "recipe $RECIPE"
		dpkg-query -W -f='${Version}\n' linux-source-6.1 2>/dev/null || echo none
	} | sha256sum | cut -c1-12
}

dir() { echo "$CACHE/$FLAVOR-6.1-$(key)"; }

release() {
	local d
	d=$(dir)
	[ -f "$d/.ready" ] || return 1
	cat "$d/.ready"
}

# Every option of the fragment must have survived olddefconfig.
check_config() { # .config
	local line opt want bad=0
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*) opt=${line%%=*}; want=$line ;;
		"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *}; want="" ;;
		*) continue ;;
		esac
		if [ -n "$want" ]; then
			grep -qxF -- "$want" "$1" && continue
		else
			grep -q "^$opt=" "$1" || continue
		fi
		info "config: wanted '${want:-$opt unset}', got '$(grep -E "^(# )?${opt}[= ]" "$1" || echo absent)'"
		bad=1
	done <"$FRAGMENT"
	return "$bad"
}

build() {
	local d src rel t0 jobs
	if rel=$(release); then
		echo "$rel"
		return
	fi
	[ "$(id -u)" -eq 0 ] || die "building in $CACHE needs root"
	SETUP_EXTRA_PKGS=$BUILD_PKGS "$SELF_DIR/setup.sh" >&2
	[ -r "$TARBALL" ] || die "$TARBALL missing (package linux-source-6.1)"
	# The key has linux-source-6.1's version: known only once installed.
	d=$(dir)
	mkdir -p "$d"
	exec 8>"$d.lock"
	flock 8
	if rel=$(release); then echo "$rel"; return; fi
	t0=$(date +%s)
	src=$d/src
	if [ ! -f "$src/Makefile" ]; then
		info "unpacking $TARBALL into $src"
		rm -rf "$src.tmp"
		mkdir -p "$src.tmp"
		tar -xaf "$TARBALL" -C "$src.tmp" --strip-components=1
		mv "$src.tmp" "$src"
	fi
	jobs=$(nproc)
	info "configuring (x86_64_defconfig + kvm_guest.config + $FRAGMENT)"
	make -C "$src" -s x86_64_defconfig >&2
	make -C "$src" -s kvm_guest.config >&2
	"$src/scripts/kconfig/merge_config.sh" -m -O "$src" "$src/.config" "$FRAGMENT" >/dev/null
	make -C "$src" -s olddefconfig >&2
	check_config "$src/.config" || die "Kconfig dropped options of $FRAGMENT (see above)"
	info "building with $jobs jobs (log: $d/build.log)"
	if ! make -C "$src" -j"$jobs" bzImage modules >"$d/build.log" 2>&1; then
		tail -n 40 "$d/build.log" >&2
		die "kernel build failed (log: $d/build.log)"
	fi
	# (known only once the build has synced the config)
	rel=$(cat "$src/include/config/kernel.release")
	rm -rf "$d/root"
	mkdir -p "$d/root/boot"
	make -C "$src" -s INSTALL_MOD_PATH="$d/root" INSTALL_MOD_STRIP=1 \
		modules_install >>"$d/build.log" 2>&1 || die "modules_install failed (log: $d/build.log)"
	cp "$src/arch/x86/boot/bzImage" "$d/root/boot/vmlinuz-$rel"
	cp "$src/.config" "$d/root/boot/config-$rel"
	echo "$rel" >"$d/.ready"
	info "built $rel in $(($(date +%s) - t0))s"
	for old in "$CACHE/$FLAVOR"-6.1-*; do
		case $old in "$d"|"$d".lock) continue ;; esac
		if [ -d "$old" ]; then
			info "removing the old build $old"
			rm -rf "$old"
		else
			rm -f "$old"
		fi
	done
	exec 8>&-
	echo "$rel"
}

cmd=${1:-}
case $cmd in
build) build ;;
release) release ;;
root) release >/dev/null && echo "$(dir)/root" ;;
key) key ;;
-h|--help|help|"") sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
*) die "unknown command $cmd (try --help)" ;;
esac
