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
#   deb OUTDIR       build OUTDIR/mynetdrv-dkms_<version>_all.deb and
#                    OUTDIR/mynetdrv-iproute2_<version>_<arch>.deb (the
#                    ip plugin; and mynetdrv-iproute2-dbgsym) with
#                    dpkg-buildpackage (debhelper, dh-dkms) from a copy
#                    in OUTDIR/mynetdrv-<version> of the tree, debian/,
#                    the plugin's sources and the iproute2 headers it is
#                    compiled against (iproute2/src/: only the files the
#                    compiler reads, from the Debian source of the
#                    installed iproute2, fetched once by iproute2/Makefile;
#                    each one's license must be the one debian/copyright
#                    gives it), so that the build downloads nothing;
#                    debian/changelog is written here for <version>, and
#                    debian/iproute2-version for that iproute2 source.
#                    The plugin's iproute2 dependency must admit the
#                    installed iproute2 and its stable updates, and no
#                    other upstream version.  Then lintian (with
#                    --pedantic): an error or a warning fails, other tags
#                    are printed
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

# The license a file of iproute2 declares, in debian/copyright's names:
# its SPDX line, else the GPL's own words (json_print.h has no SPDX line).
# "?" for anything else, which no paragraph of debian/copyright names.
file_license() { # FILE
	local spdx text
	spdx=$(head -n 5 "$1" | sed -n 's|.*SPDX-License-Identifier:[[:space:]]*||p' |
		sed 's|[[:space:]]*\*/.*||; s|^(\(.*\))$|\1|' | head -n 1)
	case $spdx in
	GPL-2.0|GPL-2.0-only) echo GPL-2 ;;
	GPL-2.0+|GPL-2.0-or-later) echo GPL-2+ ;;
	"GPL-2.0 WITH Linux-syscall-note"|"GPL-2.0-only WITH Linux-syscall-note")
		echo "GPL-2 with Linux-syscall-note exception" ;;
	"GPL-2.0 OR BSD-2-Clause") echo "GPL-2 or BSD-2-clause" ;;
	"")
		# The notice's lines joined, without the comment's " * ".
		text=$(head -n 20 "$1" | tr -s ' \t\n*' ' ')
		case $text in
		*"either version 2 of the License, or (at your option) any later version"*)
			echo GPL-2+ ;;
		*) echo "? (no SPDX line, no GPL notice)" ;;
		esac
		;;
	*) echo "? (SPDX $spdx)" ;;
	esac
}

# The License of PATH (relative to the source package) in debian/copyright
# FILE: that of the last Files paragraph with a pattern matching it.
copyright_license() { # FILE PATH
	local globs lic g found=
	local -a gs
	while IFS='|' read -r globs lic; do
		read -ra gs <<<"$globs"
		for g in "${gs[@]}"; do
			# shellcheck disable=SC2053 # a copyright-format pattern, on purpose
			[[ $2 == $g ]] && found=$lic
		done
	done < <(awk '
		/^[^ \t]/ { field = $0; sub(/:.*/, "", field) }
		/^$/ { files = "" }
		field == "Files" && /^Files:/ { files = substr($0, 7); next }
		field == "Files" && /^[ \t]/ { files = files " " $0; next }
		field == "License" && /^License:/ && files != "" {
			sub(/^License:[ \t]*/, ""); print files "|" $0; files = ""
		}' "$1")
	echo "$found"
}

# The iproute2 headers the plugin is compiled against, into STAGE/
# iproute2/src/ (the layout of iproute2's source, IPROUTE2_SRC for
# iproute2/Makefile), from the Debian source of the installed iproute2;
# its version into STAGE/debian/iproute2-version, the version debian/rules
# makes the dependency from.  dpkg-buildpackage then needs no download.
stage_iproute2() { # STAGE
	local stage=$1 src ver hdrs f n=0 have want
	local -a mk=(make -s --no-print-directory -C "$REPO/iproute2")
	# Fetches the source once (apt-get source), unless IPROUTE2_SRC is given.
	"${mk[@]}" source
	src=$("${mk[@]}" print-config | sed -n 's/^IPROUTE2_SRC *= //p')
	ver=$("${mk[@]}" print-config | sed -n 's/^IPROUTE2_VERSION *= //p')
	[ -n "$ver" ] || die "no iproute2 version (is iproute2 installed?)"
	[ -f "$src/debian/changelog" ] ||
		die "$src has no debian/changelog: the headers must come from the Debian source of iproute2 $ver"
	have=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
	[ "$have" = "$ver" ] || die "$src is iproute2 $have, not the installed $ver"
	hdrs=$("${mk[@]}" print-headers)
	for f in $hdrs; do
		install -D -m 644 "$src/$f" "$stage/iproute2/src/$f"
		have=$(file_license "$src/$f")
		want=$(copyright_license "$REPO/debian/copyright" "iproute2/src/$f")
		[ "$have" = "$want" ] ||
			die "iproute2's $f is $have, debian/copyright says '$want': update debian/copyright"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || die "make -C iproute2 print-headers listed no file"
	[ -f "$stage/iproute2/src/ip/ip_common.h" ] ||
		die "ip/ip_common.h is not among the headers make -C iproute2 print-headers lists"
	install -m 644 "$REPO/iproute2/Makefile" "$REPO/iproute2/link_mynetdrv.c" \
		"$stage/iproute2/"
	echo "$ver" >"$stage/debian/iproute2-version"
	info "staged $n headers of iproute2 $ver"
}

# The plugin's iproute2 dependency (debian/rules): the installed version
# and a stable update of it satisfy it, another upstream version does not.
check_iproute2_dep() { # DEB
	local deps inst up lo hi v
	deps=$(dpkg-deb -f "$1" Depends)
	inst=$(dpkg-query -W -f='${Version}' iproute2)
	up=${inst%-*}
	lo=$(sed -n 's/.*iproute2 (>= \([^)]*\)).*/\1/p' <<<"$deps")
	hi=$(sed -n 's/.*iproute2 (<< \([^)]*\)).*/\1/p' <<<"$deps")
	if [ -z "$lo" ] || [ -z "$hi" ]; then
		die "${1##*/}: Depends '$deps' has no iproute2 (>= ...), iproute2 (<< ...)"
	fi
	# admits V: V satisfies both relations.
	admits() { dpkg --compare-versions "$1" ge "$lo" && dpkg --compare-versions "$1" lt "$hi"; }
	for v in "$inst" "$inst+deb12u1" "$up-1" "$up+dfsg-1"; do
		admits "$v" ||
			die "${1##*/}: Depends '$deps' rejects iproute2 $v, the same upstream version"
	done
	# Below: a pre-release of it; above: a point release of it, the next
	# upstream version (last number + 1).
	for v in "$up~rc1-1" "$up.1-1" "${up%.*}.$((${up##*.} + 1))-1"; do
		if admits "$v"; then
			die "${1##*/}: Depends '$deps' admits iproute2 $v, another upstream version"
		fi
	done
	info "${1##*/}: $(grep -o 'iproute2 ([^)]*), iproute2 ([^)]*)' <<<"$deps")"
}

deb() { # OUTDIR
	local out v stage debf plugf c changes
	out=$(mkdir -p "$1" && cd "$1" && pwd)
	v=$(version)
	stage=$out/$NAME-$v
	debf=$out/$NAME-dkms_${v}_all.deb
	for c in dpkg-buildpackage dh dh_dkms; do
		command -v "$c" >/dev/null ||
			die "$c missing: scripts/setup.sh installs debhelper, dh-dkms, dpkg-dev"
	done
	plugf=$out/$NAME-iproute2_${v}_$(dpkg --print-architecture).deb
	tree "$stage"
	cp -r "$REPO/debian" "$stage/"
	changelog "$v" >"$stage/debian/changelog"
	stage_iproute2 "$stage"
	rm -f "$out/$NAME"*.deb "$out/$NAME"*.changes \
		"$out/$NAME"*.buildinfo
	# -b: the packages only; the source package would be this staged copy.
	(cd "$stage" && dpkg-buildpackage -b --no-sign) >"$out/build.log" 2>&1 ||
		{ tail -n 30 "$out/build.log" >&2; die "dpkg-buildpackage failed (log: $out/build.log)"; }
	for c in "$debf" "$plugf"; do
		[ -f "$c" ] || die "dpkg-buildpackage made no $c (log: $out/build.log)"
	done
	check_iproute2_dep "$plugf"
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
	echo "$plugf"
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
