#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/pkg.sh - DKMS and Debian packaging of mynetdrv: `make
# dkms-install`, `make dkms-remove`, `make deb`.
#
# Usage: scripts/pkg.sh COMMAND [ARG...]
#   version          print the version: MYNET_DRV_VERSION of mynetdrv.h,
#                    the only place it is written
#   tree DIR         write the DKMS source tree to DIR (made empty first):
#                    what the module build needs, Kbuild, Makefile, *.c,
#                    *.h, uapi/linux/mynetdrv.h, and dkms.conf with the
#                    version filled in
#   dkms-install [K] the tree in /usr/src/mynetdrv-<version>, then `dkms
#                    add` and `dkms install` (build, install, depmod) for
#                    kernel K: a release with /lib/modules/K/build, or an
#                    alias of scripts/kernels.sh (6.1, 6.12); default the
#                    running kernel.  A version already registered is
#                    removed first, so this also reinstalls.
#   dkms-remove      `dkms remove --all` for every version of mynetdrv dkms
#                    knows, and their /usr/src/mynetdrv-<version>; dkms
#                    deletes the modules it installed and runs depmod
#   deb OUTDIR       build OUTDIR/mynetdrv-dkms_<version>_all.deb with
#                    dpkg-buildpackage (debhelper, dh-dkms) from a copy
#                    of the tree and debian/ in OUTDIR/mynetdrv-<version>,
#                    whose debian/changelog is written here for <version>;
#                    then lintian (with --pedantic): an error or a
#                    warning fails, other tags are printed
# dkms-install and dkms-remove leave a package install alone: they refuse
# while the mynetdrv-dkms package is installed (use apt/dpkg for it).
set -euo pipefail

SELF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SELF_DIR/.." && pwd)
NAME=mynetdrv

die() { echo "pkg.sh: $*" >&2; exit 1; }
info() { echo "pkg.sh: $*" >&2; }

version() {
	local v
	v=$(sed -n 's/^#define[[:space:]]*MYNET_DRV_VERSION[[:space:]]*"\([^"]*\)".*/\1/p' \
		"$REPO/mynetdrv.h")
	[[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
		die "MYNET_DRV_VERSION in mynetdrv.h is '$v', not X.Y.Z"
	echo "$v"
}

# The sources of the module: every .c and .h at the top (not the
# *.mod.c a build leaves), Kbuild, the Makefile, the uapi header.
tree_files() {
	local f
	(
		cd "$REPO"
		for f in Kbuild Makefile ./*.c ./*.h uapi/linux/mynetdrv.h; do
			case $f in *.mod.c) continue ;; esac
			[ -f "$f" ] || die "missing $f"
			echo "${f#./}"
		done
	)
}

tree() { # DIR
	local dir=$1 v f
	v=$(version)
	rm -rf "$dir"
	mkdir -p "$dir"
	for f in $(tree_files); do
		install -D -m 644 "$REPO/$f" "$dir/$f"
	done
	sed "s/#MODULE_VERSION#/$v/" "$REPO/dkms.conf" >"$dir/dkms.conf"
	grep -qx "PACKAGE_VERSION=\"$v\"" "$dir/dkms.conf" ||
		die "dkms.conf has no PACKAGE_VERSION=\"#MODULE_VERSION#\" line"
}

need_root() { [ "$(id -u)" -eq 0 ] || die "$1 needs root"; }

no_package() {
	local st
	st=$(dpkg-query -W -f='${db:Status-Status}' "$NAME-dkms" 2>/dev/null || true)
	[ "$st" != installed ] ||
		die "the $NAME-dkms package is installed and owns the DKMS registration: remove it with apt or dpkg -r"
}

# Versions of mynetdrv that dkms knows ("mynetdrv/0.1.0, 6.1.0-56-amd64,
# x86_64: installed" or "mynetdrv/0.1.0: added").
dkms_versions() {
	dkms status -m "$NAME" 2>/dev/null |
		sed -n "s|^$NAME/\([^,:]*\)[,:].*|\1|p" | sort -u
}

dkms_install() { # [K]
	local k=${1:-} r v src
	need_root "make dkms-install"
	command -v dkms >/dev/null || die "dkms is not installed (apt-get install dkms, or scripts/setup.sh)"
	no_package
	if [ -z "$k" ]; then
		r=$(uname -r)
	elif [ -d "/lib/modules/$k/build" ]; then
		r=$k
	else
		r=$("$SELF_DIR/kernels.sh" resolve "$k")
	fi
	# dkms builds with this machine's compiler against /lib/modules/R/build;
	# a kernel of the sid chroot (7) has its headers there, not here.
	[ -d "/lib/modules/$r/build" ] ||
		die "no headers for $r in /lib/modules/$r/build (install linux-headers-$r, or pick one with KVER=)"
	v=$(version)
	src=/usr/src/$NAME-$v
	if [ -n "$(dkms_versions | grep -Fx "$v" || true)" ]; then
		info "$NAME/$v is registered already: removing it first"
		dkms remove -m "$NAME" -v "$v" --all
	fi
	tree "$src"
	dkms add -m "$NAME" -v "$v"
	dkms install -m "$NAME" -v "$v" -k "$r"
	dkms status -m "$NAME" -v "$v" -k "$r"
}

dkms_remove() {
	local v n=0
	need_root "make dkms-remove"
	command -v dkms >/dev/null || die "dkms is not installed"
	no_package
	for v in $(dkms_versions); do
		dkms remove -m "$NAME" -v "$v" --all
		rm -rf "/usr/src/$NAME-$v"
		n=$((n + 1))
	done
	v=$(version)
	if [ -d "/usr/src/$NAME-$v" ]; then
		rm -rf "/usr/src/$NAME-$v"
		n=$((n + 1))
	fi
	[ -z "$(dkms_versions)" ] || die "dkms still lists $NAME: $(dkms status -m "$NAME")"
	info "removed $n version(s) of $NAME from dkms"
}

# debian/changelog is not kept in the repository: it would be a second
# place for the version.  Its date is the last commit's, so the package
# is the same for the same commit.
changelog() { # VERSION
	local v=$1 maint when
	maint=$(sed -n 's/^Maintainer: //p' "$REPO/debian/control")
	when=$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || date +%s)
	cat <<EOF
$NAME ($v) bookworm; urgency=medium

  * mynetdrv $v (MYNET_DRV_VERSION in mynetdrv.h); changes are in the
    history of the mynetdrv repository.

 -- $maint  $(LC_ALL=C date -u -R -d "@$when")
EOF
}

deb() { # OUTDIR
	local out v stage debf c changes
	out=$(mkdir -p "$1" && cd "$1" && pwd)
	v=$(version)
	stage=$out/$NAME-$v
	debf=$out/$NAME-dkms_${v}_all.deb
	for c in dpkg-buildpackage dh dh_dkms; do
		command -v "$c" >/dev/null ||
			die "$c missing: scripts/setup.sh installs debhelper, dh-dkms, dpkg-dev"
	done
	tree "$stage"
	cp -r "$REPO/debian" "$stage/"
	changelog "$v" >"$stage/debian/changelog"
	rm -f "$out/$NAME"*.deb "$out/$NAME"*.changes "$out/$NAME"*.buildinfo
	# -b: the package only; the source package would be this staged copy.
	(cd "$stage" && dpkg-buildpackage -b --no-sign) >"$out/build.log" 2>&1 ||
		{ tail -n 30 "$out/build.log" >&2; die "dpkg-buildpackage failed (log: $out/build.log)"; }
	[ -f "$debf" ] || die "dpkg-buildpackage made no $debf (log: $out/build.log)"
	if command -v lintian >/dev/null; then
		changes=$(echo "$out/${NAME}_${v}_"*.changes)
		lintian --fail-on error,warning --pedantic --info --display-info \
			"$changes" >"$out/lintian.txt" 2>&1 ||
			{ cat "$out/lintian.txt" >&2; die "lintian failed ($out/lintian.txt)"; }
		# (it only says that it prefers not to run as root)
		sed -i '/^running with root privileges/d' "$out/lintian.txt"
		if [ -s "$out/lintian.txt" ]; then
			sed 's/^/lintian: /' "$out/lintian.txt"
		else
			echo "lintian: clean"
		fi
	else
		info "lintian not installed: not checked"
	fi
	echo "$debf"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
version) version ;;
tree) tree "${1:?usage: tree DIR}" ;;
dkms-install) dkms_install "${1:-}" ;;
dkms-remove) dkms_remove ;;
deb) deb "${1:?usage: deb OUTDIR}" ;;
-h|--help|help|"") sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
*) die "unknown command $cmd (try --help)" ;;
esac
