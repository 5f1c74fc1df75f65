#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/kernels.sh - the kernels of the mynetdrv matrix: where each one
# lives, and how to build the module against it.
#
# Usage: scripts/kernels.sh COMMAND [ARG...]
#   resolve [K]        print the release K stands for (see below); no K or
#                      "default": the lab default (scripts/vm.sh --default-kver)
#   prepare [K]        make K available: for 7 / sid, create the sid chroot
#                      on first use (see below); for the others just check
#   root RELEASE       print the root that holds RELEASE's /boot and
#                      /lib/modules: "/" or the sid chroot
#   kbuild K DIR [MAKEARG...]
#                      run the kernel build system for the module in DIR
#                      (make -C <root>/lib/modules/R/build M=DIR MAKEARG...);
#                      for a chroot kernel inside the chroot, with DIR
#                      bind-mounted at the same path (its gcc matches the
#                      kernel's)
#   install K DIR MODDIR [BASE]
#                      install the module built in DIR for K (make
#                      modules_install) into BASE/lib/modules/R/MODDIR,
#                      then depmod BASE; BASE defaults to K's root (for 7:
#                      the chroot, where the lab guest's modules come from)
#   sparse K           print the sparse version used for K ("" if none)
#   chroot-update      apt-get update + upgrade inside the sid chroot
#                      (picks up a newer unstable kernel; the old one stays)
#   aliases            print the matrix aliases, one a line
#
# K is a release (6.1.0-56-amd64) or an alias:
#   6.1     bookworm's linux-image-amd64 kernel (the lab default)
#   6.12    the newest installed 6.12.*+deb12-amd64 (bookworm's backport
#           line; scripts/setup.sh installs it)
#   debug   the debug kernel of `make check-debug` (Debian's linux-source-6.1
#           with KASAN, lockdep, kmemleak, UBSAN, fault injection), built
#           and cached by scripts/debugkernel.sh; prepare builds it
#   kcsan   the same source with KCSAN, the data-race detector, for
#           `make check-kcsan` (scripts/debugkernel.sh --flavor kcsan)
#   7, sid, unstable
#           the newest kernel of Debian unstable, installed in a debootstrapped
#           sid chroot: $MYNETDRV_CACHE/sid (default /var/cache/mynetdrv/sid),
#           outside the repository.  Created on first use (debootstrap
#           minbase, then linux-image-amd64 linux-headers-amd64 make gcc
#           libc6-dev sparse xz-utils; 1 to 4 minutes), reused afterwards
#           (a package added to that list later is installed in an older
#           chroot when first needed).  Env
#           SID_MIRROR changes the mirror.
# Messages go to stderr; stdout carries only the answer.
set -euo pipefail

SELF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${MYNETDRV_CACHE:-/var/cache/mynetdrv}
SID=$CACHE/sid
SID_MIRROR=${SID_MIRROR:-http://deb.debian.org/debian}
SID_PKGS=(linux-image-amd64 linux-headers-amd64 make gcc libc6-dev sparse xz-utils)
READY=.mynetdrv-ready

die() { echo "kernels.sh: $*" >&2; exit 1; }
info() { echo "kernels.sh: $*" >&2; }

# Newest release R (by version) with ROOT/boot/vmlinuz-R and
# ROOT/lib/modules/R/build, among the vmlinuz files matching GLOB.
newest() { # ROOT GLOB
	local root=${1%/} v r
	for v in "$root"/boot/vmlinuz-$2; do
		[ -e "$v" ] || continue
		r=${v##*/vmlinuz-}
		[ -d "$root/lib/modules/$r/build" ] || continue
		echo "$r"
	done | sort -V | tail -n1
}

sid_ready() { [ -f "$SID/$READY" ]; }

is_sid_alias() {
	case $1 in 7|7.*|sid|unstable) return 0 ;; esac
	return 1
}

resolve() { # ALIAS -> release on stdout
	local k=${1:-default} r=""
	case $k in
	default|6.1)
		r=$("$SELF_DIR/vm.sh" --default-kver 2>/dev/null || true)
		[ "$k" = default ] || case $r in 6.1.*|6.1) ;; *) r="" ;; esac
		[ -n "$r" ] || r=$(newest / '6.1.*-amd64')
		[ -n "$r" ] || die "no 6.1 kernel with headers installed; run scripts/setup.sh"
		;;
	6.12)
		r=$(newest / '6.12.*+deb12-amd64')
		[ -n "$r" ] || die "no 6.12.*+deb12-amd64 kernel with headers installed; run scripts/setup.sh"
		;;
	debug|kcsan)
		r=$("$SELF_DIR/debugkernel.sh" --flavor "$k" release) ||
			die "the $k kernel is not built yet: make check-$k (or scripts/debugkernel.sh --flavor $k build)"
		;;
	*)
		if is_sid_alias "$k" && [ -z "$(krel_root "$k")" ]; then
			sid_ready || die "no sid chroot at $SID yet: run scripts/kernels.sh prepare $k (make check KVER=$k does)"
			if [ "${k%%.*}" = 7 ] && [ "$k" != 7 ]; then
				r=$(newest "$SID" "$k*-amd64")
			elif [ "$k" = 7 ]; then
				r=$(newest "$SID" '7.*-amd64')
			else
				r=$(newest "$SID" '*-amd64')
			fi
			[ -n "$r" ] || die "no kernel matching '$k' with headers in $SID"
		else
			# A release: fine if some root has it.
			[ -n "$(krel_root "$k")" ] ||
				die "kernel $k not found in /boot nor in $SID/boot (aliases: $(aliases | paste -sd' '))"
			r=$k
		fi
		;;
	esac
	echo "$r"
}

# Root of the debug (or kcsan) kernel, or "" if it is not built.
debug_root() { "$SELF_DIR/debugkernel.sh" --flavor "${1:-debug}" root 2>/dev/null || true; }

# Is ROOT the host's, or that of a kernel built here by the host's gcc?
host_built() {
	[ "$1" = / ] || [ "$1" = "$(debug_root)" ] || [ "$1" = "$(debug_root kcsan)" ]
}

# Root holding release R, or "" if none.
krel_root() {
	local d f
	if [ -e "/boot/vmlinuz-$1" ] && [ -d "/lib/modules/$1" ]; then
		echo /
	elif sid_ready && [ -e "$SID/boot/vmlinuz-$1" ] && [ -d "$SID/lib/modules/$1" ]; then
		echo "$SID"
	else
		for f in debug kcsan; do
			d=$(debug_root $f)
			if [ -n "$d" ] && [ -e "$d/boot/vmlinuz-$1" ]; then
				echo "$d"
				break
			fi
		done
	fi
	return 0
}

aliases() { printf '%s\n' 6.1 6.12 7; }

# Run CMD... inside the sid chroot, in a private mount namespace (the
# mounts vanish with it): /proc, and each BIND directory at its own path.
in_chroot() { # ROOT BIND... -- CMD...
	local root=$1 binds=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do binds+=("$1"); shift; done
	shift
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare --mount --propagation private -- /bin/bash -euc '
		root=$1; n=$2; shift 2
		mount -t proc proc "$root/proc"
		while [ "$n" -gt 0 ]; do
			mkdir -p "$root$1"
			mount --rbind "$1" "$root$1"
			shift; n=$((n - 1))
		done
		exec chroot "$root" "$@"' \
		in_chroot "$root" "${#binds[@]}" "${binds[@]}" \
		/usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

create_sid() {
	local tmp=$SID.new t0 t1
	[ "$(id -u)" -eq 0 ] || die "creating $SID needs root"
	if ! command -v debootstrap >/dev/null; then
		SETUP_EXTRA_PKGS=debootstrap "$SELF_DIR/setup.sh" >&2
	fi
	mkdir -p "$CACHE"
	exec 8>"$CACHE/sid.lock"
	flock 8
	if sid_ready; then exec 8>&-; return; fi # made while we waited
	t0=$(date +%s)
	if [ -e "$tmp" ]; then
		findmnt -rn -o TARGET | grep -q "^$tmp" && die "$tmp has mounts; unmount them first"
		rm -rf "$tmp"
	fi
	info "creating the sid chroot in $SID (first use: debootstrap + kernel install, 1-4 min)"
	debootstrap --variant=minbase sid "$tmp" "$SID_MIRROR" </dev/null >&2 ||
		die "debootstrap sid failed (log: $tmp/debootstrap/debootstrap.log)"
	t1=$(date +%s)
	info "debootstrap took $((t1 - t0))s; installing ${SID_PKGS[*]}"
	in_chroot "$tmp" -- apt-get install -y -q --no-install-recommends \
		"${SID_PKGS[@]}" </dev/null >&2 || die "apt-get install in $tmp failed"
	in_chroot "$tmp" -- apt-get clean >&2
	touch "$tmp/$READY"
	mv "$tmp" "$SID"
	exec 8>&-
	info "sid chroot ready in $(($(date +%s) - t0))s: $(newest "$SID" '*-amd64')"
}

prepare() {
	local k=${1:-default}
	# debug, kcsan: build that kernel unless cached
	if [ "$k" = debug ] || [ "$k" = kcsan ]; then
		"$SELF_DIR/debugkernel.sh" --flavor "$k" build >/dev/null
	fi
	# 7, 7.x, sid, unstable: create the chroot unless the host has it
	if is_sid_alias "$k" && [ ! -e "/boot/vmlinuz-$k" ]; then
		sid_ready || create_sid
	fi
	resolve "$k" >/dev/null
}

# Debian's linux-headers for 7.x ship a Makefile that runs
# scripts/checker-valid.sh before sparse (C=1/2) but not the script itself,
# so kbuild says "sparse is not available" and checks nothing.  Supply the
# same test: the checker must parse __typeof_unqual__ without an error.
sparse_gate() { # ROOT RELEASE
	local src gate
	src=$(readlink -f "$1/lib/modules/$2/source" 2>/dev/null) || return 0
	gate=$src/scripts/checker-valid.sh
	[ -d "$src/scripts" ] && [ ! -e "$gate" ] || return 0
	grep -qs 'scripts/checker-valid.sh' "$src/Makefile" || return 0
	info "adding the missing $gate (Debian's linux-headers lack it)"
	cat >"$gate" <<'EOF'
#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Added by mynetdrv scripts/kernels.sh: this kernel's Makefile runs it, the
# Debian headers package does not ship it.  Prints 1 iff the checker
# ("$@" FILE) parses __typeof_unqual__ without printing an error.
command -v "$1" >/dev/null 2>&1 || { echo 0; exit 0; }
t=$(mktemp --suffix=.c) || exit 1
printf 'static inline int f(const int *p)\n{\n\t__typeof_unqual__(*p) x = *p;\n\treturn x;\n}\n' >"$t"
if "$@" "$t" 2>&1 | grep -q error; then echo 0; else echo 1; fi
rm -f "$t"
EOF
	chmod 755 "$gate"
}

kbuild() { # K DIR MAKEARG...
	local r root dir
	r=$(resolve "$1")
	dir=$(cd "$2" && pwd)
	shift 2
	root=$(krel_root "$r")
	# The host's own kernels, and the debug kernels (built by the host's gcc)
	if host_built "$root"; then
		exec make -C "${root%/}/lib/modules/$r/build" M="$dir" "$@"
	fi
	info "building in the sid chroot ($root) against $r"
	sparse_gate "$root" "$r"
	case $dir in "$root"/*) die "$dir is inside the chroot" ;; esac
	unset MAKEFLAGS MFLAGS MAKELEVEL
	in_chroot "$root" "$dir" -- make -C "/lib/modules/$r/build" M="$dir" "$@"
}

# Install PKG in the sid chroot unless CMD is there: for chroots made
# before PKG joined SID_PKGS.
sid_ensure() { # CMD PKG
	[ -n "$(find "$SID/usr/bin/$1" "$SID/usr/sbin/$1" 2>/dev/null)" ] && return 0
	info "installing $2 in the sid chroot (needed for $1)"
	exec 8>"$CACHE/sid.lock"
	flock 8
	# The lists of the chroot's creation may still do if this fails.
	in_chroot "$SID" -- apt-get update -q </dev/null >&2 ||
		info "apt-get update in $SID failed; trying its current lists"
	in_chroot "$SID" -- apt-get install -y -q --no-install-recommends "$2" </dev/null >&2 ||
		die "apt-get install $2 in $SID failed"
	in_chroot "$SID" -- apt-get clean >&2
	exec 8>&-
}

# modules_install, told the release: Debian's 6.1 headers have the
# upstream 6.1.N in kernel.release, not the release modules load into
# (dkms passes KERNELRELEASE too).  The kernel's own depmod step wants a
# System.map next to the headers, which Debian does not ship, and is
# skipped (its /boot/System.map is a placeholder too); depmod runs here,
# checking the module's symbols and their CRCs against the headers'
# Module.symvers.
install_module() { # K DIR MODDIR [BASE]
	local r root dir moddir=$3 base=${4:-} symvers inbase binds
	r=$(resolve "$1")
	dir=$(cd "$2" && pwd)
	root=$(krel_root "$r")
	[ -n "$base" ] || base=$root
	mkdir -p "$base"
	base=$(cd "$base" && pwd)
	symvers=/lib/modules/$r/build/Module.symvers
	if host_built "$root"; then
		make -C "${root%/}/lib/modules/$r/build" M="$dir" KERNELRELEASE="$r" \
			INSTALL_MOD_DIR="$moddir" INSTALL_MOD_PATH="${base%/}" modules_install
		depmod -b "$base" -e -E "${root%/}$symvers" "$r"
	else
		# Debian compresses 7.x modules with xz (CONFIG_MODULE_COMPRESS_ALL)
		sid_ensure xz xz-utils
		binds=("$dir")
		case $base in
		"$root") inbase=/ ;;
		"$root"/*) inbase=${base#"$root"} ;;
		"$dir"|"$dir"/*) inbase=$base ;;
		*) inbase=$base; binds+=("$base") ;;
		esac
		unset MAKEFLAGS MFLAGS MAKELEVEL
		in_chroot "$root" "${binds[@]}" -- make -C "/lib/modules/$r/build" M="$dir" \
			KERNELRELEASE="$r" INSTALL_MOD_DIR="$moddir" \
			INSTALL_MOD_PATH="${inbase%/}" modules_install
		in_chroot "$root" "${binds[@]}" -- depmod -b "$inbase" -e -E "$symvers" "$r"
	fi
	info "installed in $base/lib/modules/$r/$moddir"
}

sparse_version() { # K
	local r root
	r=$(resolve "$1")
	root=$(krel_root "$r")
	if host_built "$root"; then
		sparse --version 2>/dev/null || true
	else
		in_chroot "$root" -- sparse --version 2>/dev/null || true
	fi
}

chroot_update() {
	sid_ready || die "no sid chroot at $SID"
	exec 8>"$CACHE/sid.lock"
	flock 8
	in_chroot "$SID" -- apt-get update -q </dev/null >&2
	in_chroot "$SID" -- apt-get full-upgrade -y -q --no-install-recommends </dev/null >&2
	in_chroot "$SID" -- apt-get clean >&2
	info "newest sid kernel: $(newest "$SID" '*-amd64')"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
resolve) resolve "${1:-}" ;;
prepare) prepare "${1:-}" ;;
root) r=$(krel_root "${1:?release}"); [ -n "$r" ] || die "kernel ${1} not found"; echo "$r" ;;
kbuild) [ $# -ge 2 ] || die "usage: kbuild K DIR [MAKEARG...]"; kbuild "$@" ;;
install) [ $# -ge 3 ] || die "usage: install K DIR MODDIR [BASE]"; install_module "$@" ;;
sparse) sparse_version "${1:?kernel}" ;;
chroot-update) chroot_update ;;
aliases) aliases ;;
-h|--help|help|"") sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
*) die "unknown command $cmd (try --help)" ;;
esac
