#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# fetch-iproute2-source.sh VERSION DEST
#
# Unpack the Debian source of iproute2 VERSION (the version of the
# installed `ip`, from `dpkg-query -W -f='${Version}' iproute2`) into DEST,
# a cache directory outside the repository.  Used by iproute2/Makefile so
# that link_mynetdrv.so is compiled against the very headers (struct
# link_util, struct iplink_req, ...) the installed ip was built from.
#
# Steps, each only when needed:
#   1. install dpkg-dev (apt-get source needs dpkg-source);
#   2. if apt cannot find source package iproute2=VERSION:
#        - no deb-src entry for Debian bookworm configured: write one to
#          /etc/apt/sources.list.d/mynetdrv-deb-src.{sources,list}, copying
#          URIs/Suites/Components/Signed-By from the existing "deb" entries
#          of /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list;
#        - apt-get update;
#   3. apt-get source iproute2=VERSION in a temporary directory next to DEST,
#      check debian/changelog, then rename it to DEST (atomic: an
#      interrupted run never leaves a half-populated DEST behind).
#
# Needs root (or sudo) only for steps 1 and 2.  Only Debian's own archive
# is used; nothing but suites of the running release (bookworm) is added.

set -eu

PKG=iproute2
# The release the installed iproute2 comes from (bookworm on this project's
# machines); only that release's suites get a deb-src entry.
# shellcheck disable=SC1091
CODENAME=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
CODENAME=${CODENAME:-bookworm}
SUITE_RE="^$CODENAME(-updates|-security|-proposed-updates)?\$"
OUR_LIST_BASE=/etc/apt/sources.list.d/mynetdrv-deb-src
DEB822_SRC=/etc/apt/sources.list.d/debian.sources
ONELINE_SRC=/etc/apt/sources.list

msg() { echo "fetch-iproute2-source: $*" >&2; }
die() { msg "error: $*"; exit 1; }

[ $# -eq 2 ] || die "usage: $0 VERSION DEST"
VER=$1
DEST=$2
[ -n "$VER" ] || die "empty iproute2 version (is iproute2 installed? dpkg-query -W iproute2)"

if [ "$(id -u)" -eq 0 ]; then
	SUDO=
elif command -v sudo >/dev/null 2>&1; then
	SUDO=sudo
else
	SUDO=
fi
as_root() {
	if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
		die "need root for: $* (run as root, install sudo, or do it by hand)"
	fi
	$SUDO "$@"
}

apt_updated=no
apt_update() {
	msg "apt-get update"
	as_root apt-get -q update >&2
	apt_updated=yes
}

# --- 1. dpkg-dev ---------------------------------------------------------
if ! command -v dpkg-source >/dev/null 2>&1; then
	msg "installing dpkg-dev (needed by apt-get source)"
	if ! as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get -q -y install --no-install-recommends dpkg-dev >&2; then
		# Fresh images often ship without package lists.
		apt_update
		as_root env DEBIAN_FRONTEND=noninteractive \
			apt-get -q -y install --no-install-recommends dpkg-dev >&2
	fi
fi

# --- 2. deb-src entry ----------------------------------------------------
have_source() {
	apt-get -qq --print-uris source "$PKG=$VER" >/dev/null 2>&1
}

# Is any deb-src entry for a suite of this release configured (downloaded or not)?
have_debsrc_entry() {
	# shellcheck disable=SC2016  # apt's own $(FIELD) syntax
	apt-get indextargets --format '$(RELEASE)' 'Created-By: Sources' \
		2>/dev/null | grep -Eq "$SUITE_RE"
}

# deb822: copy every enabled stanza of type "deb" whose Suites include a
# bookworm suite, as Types: deb-src, keeping only the bookworm suites.
# Continuation lines (e.g. an inline Signed-By key block) are kept.
gen_deb822() {
	awk -v suite_re="$SUITE_RE" '
	function flush(   i, out, n, s, w, suites, has_deb) {
		if (nl == 0) return
		has_deb = 0; suites = ""
		n = split(types, w, /[ \t]+/)
		for (i = 1; i <= n; i++) if (w[i] == "deb") has_deb = 1
		n = split(suitesv, w, /[ \t]+/)
		for (i = 1; i <= n; i++)
			if (w[i] ~ suite_re) suites = suites (suites == "" ? "" : " ") w[i]
		if (has_deb && suites != "" && tolower(enabled) != "no") {
			out = ""
			for (i = 1; i <= nl; i++) {
				s = line[i]
				if (s ~ /^[Tt]ypes:/) s = "Types: deb-src"
				else if (s ~ /^[Ss]uites:/) s = "Suites: " suites
				else if (s ~ /^[Aa]rchitectures:/) continue
				out = out s "\n"
			}
			printf "%s%s", (nout++ ? "\n" : ""), out
		}
		nl = 0; types = ""; suitesv = ""; enabled = ""
	}
	/^#/ { next }
	/^[ \t]*$/ { flush(); next }
	{
		line[++nl] = $0
		if ($0 ~ /^[Tt]ypes:/)   { types = $0;   sub(/^[^:]*:[ \t]*/, "", types) }
		if ($0 ~ /^[Ss]uites:/)  { suitesv = $0; sub(/^[^:]*:[ \t]*/, "", suitesv) }
		if ($0 ~ /^[Ee]nabled:/) { enabled = $0; sub(/^[^:]*:[ \t]*/, "", enabled); gsub(/[ \t]/, "", enabled) }
	}
	END { flush() }
	' "$1"
}

# one-line format: "deb [options] URI SUITE COMPONENTS..." -> "deb-src ..."
gen_oneline() {
	awk -v suite_re="$SUITE_RE" '
	$1 != "deb" { next }
	{
		i = 2
		if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
		suite = $(i + 1)
		if (suite !~ suite_re) next
		sub(/^deb[ \t]/, "deb-src ")
		print
	}
	' "$1"
}

add_debsrc_entry() {
	content=
	ext=
	if [ -r "$DEB822_SRC" ]; then
		content=$(gen_deb822 "$DEB822_SRC")
		ext=sources
	fi
	if [ -z "$content" ] && [ -r "$ONELINE_SRC" ]; then
		content=$(gen_oneline "$ONELINE_SRC")
		ext=list
	fi
	[ -n "$content" ] || die "found no Debian $CODENAME 'deb' entry in $DEB822_SRC" \
		"or $ONELINE_SRC to derive a deb-src entry from; add a deb-src" \
		"entry for $CODENAME yourself and re-run"
	file=$OUR_LIST_BASE.$ext
	msg "adding deb-src entry $file:"
	printf '%s\n' "$content" | sed 's/^/    /' >&2
	{
		echo "# Added by mynetdrv iproute2/fetch-iproute2-source.sh to fetch"
		echo "# the iproute2 source matching the installed ip.  Safe to remove."
		printf '%s\n' "$content"
	} | as_root tee "$file.tmp" >/dev/null
	as_root mv "$file.tmp" "$file"
}

if ! have_source; then
	added=no
	if ! have_debsrc_entry; then
		add_debsrc_entry
		added=yes
	fi
	# Once is enough, unless a deb-src entry was added after it.
	if [ "$apt_updated" = no ] || [ "$added" = yes ]; then
		apt_update
	fi
	have_source || die "apt cannot find source package $PKG=$VER even after" \
		"apt-get update.  The installed iproute2 may have been superseded" \
		"in the archive: upgrade iproute2 (apt-get install iproute2) and" \
		"re-run make, or unpack the matching source from" \
		"https://snapshot.debian.org/package/$PKG/$VER/ into $DEST"
fi

# --- 3. download and unpack ----------------------------------------------
STAMP_NAME=.mynetdrv-source-ok	# must match STAMP in Makefile
if [ -e "$DEST" ]; then
	# Never delete what we did not create: our DEST only ever appears by
	# an atomic rename, already holding the stamp.
	[ -e "$DEST/$STAMP_NAME" ] && { msg "$DEST already fetched"; exit 0; }
	die "$DEST exists but was not made by this script; remove it, or" \
		"point IPROUTE2_SRC at it to use it as it is"
fi
parent=$(dirname -- "$DEST")
mkdir -p -- "$parent"
tmp=$(mktemp -d "$parent/.fetch-$PKG.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT INT TERM HUP

msg "apt-get source $PKG=$VER (into $tmp)"
# apt verifies the files against the signed Sources index and unpacks them
# with dpkg-source (applying the Debian patches).
(cd "$tmp" && apt-get -q source "$PKG=$VER") >&2

srcdir=
for d in "$tmp"/"$PKG"-*; do
	[ -d "$d" ] && srcdir=$d
done
[ -n "$srcdir" ] || die "apt-get source left no $PKG-* directory in $tmp"

got=$(dpkg-parsechangelog -l "$srcdir/debian/changelog" -S Version)
[ "$got" = "$VER" ] || die "unpacked source is version $got, wanted $VER"
for f in ip/ip_common.h include/utils.h include/libnetlink.h; do
	[ -f "$srcdir/$f" ] || die "unpacked source lacks $f"
done

touch "$srcdir/$STAMP_NAME"
mv -T -- "$srcdir" "$DEST"
msg "iproute2 $VER source ready in $DEST"
