#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 27-dkms: the module and the iproute2 plugin installed the ways a user
# installs them, instead of insmod and IP_LIB_DIR from the checkout.
# Needs what `make check` builds on the host before the VM boots
# (Makefile, lab-pkg).
#  - make install: build/install/<release> holds the host's `make install
#    DESTDIR=...` of this build: updates/mynetdrv.ko (.ko.xz where the
#    kernel compresses modules), the same srcversion as $MODULE,
#    modinfo's description, author, license, version (=
#    MYNET_DRV_VERSION), parm numpairs with its description, alias
#    rtnl-link-mynetdrv, vermagic of this kernel; depmod's modules.dep and
#    modules.alias there name it; outside lib/modules only
#    usr/lib/<multiarch>/ip/link_mynetdrv.so, the same file as
#    iproute2/link_mynetdrv.so; `modprobe -d` that tree loads the module
#    with numpairs=2 (mydev0..mydev3), and ip with IP_LIB_DIR at the
#    tree's plugin creates a pair with `peer name`.
#  - the Debian packages, build/deb/mynetdrv-dkms_<version>_all.deb and
#    mynetdrv-iproute2_<version>_<arch>.deb: first, with no plugin where
#    ip looks, ip (IP_LIB_DIR unset, as for every command below that says
#    "stock") refuses `peer` as stock ip does; dpkg -i of both (the dkms
#    postinst: dkms add, build against this kernel's headers in
#    /lib/modules/<release>/build, install, depmod; timed); dpkg and dkms
#    status say installed for this kernel; modinfo mynetdrv (by name) is
#    updates/dkms/mynetdrv.ko* with the same fields; mynetdrv-iproute2
#    holds link_mynetdrv.so in ip's library dir and its docs, nothing
#    else, and depends on the installed iproute2's upstream version;
#    stock `ip link add A type mynetdrv peer name B` loads the module
#    through the alias and creates A and B, mynetdrv devices each other's
#    peer, `ip link del A` deletes both; modprobe mynetdrv: mydev0 <->
#    mydev1 carry ping -c 3 with exact counters; dkms's kernel hook
#    (/etc/kernel/postinst.d/dkms, what a kernel install runs) puts an
#    uninstalled module back (not where modules are compressed: see
#    there); dpkg -r of both: dkms status empty, the module file and
#    /usr/src/mynetdrv-<version> gone, modinfo mynetdrv fails, the plugin
#    (and the directory the package made for it) gone, stock ip refuses
#    `peer` again; dpkg --purge: both packages are gone.
#  - the package part runs on one kernel, LAB_PKG_KERNEL (scripts/check.sh:
#    the distribution's kernel unless told "all"), skipped on the others.
#  - skipped after the make install part when dkms cannot build in the
#    guest for this kernel: its headers do not resolve in the guest or
#    their compiler is not on this userland (the 7.x kernel: headers and
#    gcc are in the sid chroot).
# The guest's root is the host's, read-only under a RAM overlay: dpkg,
# dkms and depmod write to the overlay only.  The guest sees every lab
# kernel in /boot, and dkms's postinst would also build for the newest
# one; dpkg -i runs with only this kernel's config in /boot (a private
# mount namespace), so it builds the one module this test can load.
# Time under TCG, measured: 6.1 about 380 s alone (dpkg -i 200 s: the
# build 160 s, depmod 40 s), 1030 s with three other VMs on the 2 cores;
# 6.12 660 to 800 s (dpkg -i 440 to 570 s, depmod 140 to 175 s); 7.x 20 s.
# With the plugin package (its own dpkg part takes a second or two), 6.1
# with one to three other VMs on the 2 cores: 556 to 800 s (dpkg -i 310
# to 520 s, dpkg -r 45 to 85 s).
# TIMEOUT: 1500
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

PKG=mynetdrv-dkms
PLUG_PKG=mynetdrv-iproute2
# No terminal: debconf would try and explain each frontend it cannot use.
export DEBIAN_FRONTEND=noninteractive
REL=$(uname -r)
VER=$(sed -n 's/^#define[[:space:]]*MYNET_DRV_VERSION[[:space:]]*"\([^"]*\)".*/\1/p' "$REPO/mynetdrv.h")
[ -n "$VER" ] || fail "no MYNET_DRV_VERSION in $REPO/mynetdrv.h"
INST=$REPO/build/install/$REL
DEB=$REPO/build/deb/${PKG}_${VER}_all.deb
PLUG_DEB=$REPO/build/deb/${PLUG_PKG}_${VER}_$(dpkg --print-architecture).deb
# Where Debian's ip looks for link_<kind>.so (iproute2's LIBDIR "/ip").
IPLIB=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)/ip
PLUGIN=$IPLIB/link_mynetdrv.so
# What mynetdrv.c declares, to compare modinfo with.
DESC=$(sed -n 's/^MODULE_DESCRIPTION("\(.*\)");/\1/p' "$REPO/mynetdrv.c")
AUTHOR=$(sed -n 's/^MODULE_AUTHOR("\(.*\)");/\1/p' "$REPO/mynetdrv.c")
if [ -z "$DESC" ] || [ -z "$AUTHOR" ]; then
	fail "no MODULE_DESCRIPTION/AUTHOR in mynetdrv.c"
fi
SRCVERSION=$(modinfo -F srcversion "$MODULE")

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# check_modinfo WHAT FILE: every field a user reads, against the sources.
check_modinfo() {
	local w=$1 f=$2 parm
	log "modinfo of $w: $f"
	expect_eq "$w: name" "$(modinfo -F name "$f")" mynetdrv
	expect_eq "$w: version" "$(modinfo -F version "$f")" "$VER"
	expect_eq "$w: description" "$(modinfo -F description "$f")" "$DESC"
	expect_eq "$w: author" "$(modinfo -F author "$f")" "$AUTHOR"
	expect_eq "$w: license" "$(modinfo -F license "$f")" GPL
	expect_eq "$w: alias" "$(modinfo -F alias "$f")" rtnl-link-mynetdrv
	expect_eq "$w: vermagic release" "$(modinfo -F vermagic "$f" | cut -d' ' -f1)" "$REL"
	expect_eq "$w: srcversion (the checkout's sources)" \
		"$(modinfo -F srcversion "$f")" "$SRCVERSION"
	parm=$(modinfo -F parm "$f")
	expect_eq "$w: parameters" "$(wc -l <<<"$parm")" 1
	[[ $parm == "numpairs:Pairs created at load, mydev0<->mydev1, "*"(0-64, default 1)" ]] ||
		fail "$w: parm '$parm' is not numpairs with its description"
	log "ok: $w: parm $parm"
}

# dkms status of mynetdrv; anything on stderr fails the test (a guest
# without /dev/fd once made it print nothing and an error), except the
# warnings of dkms's readelf of the 6.12 headers' vmlinux, which has no
# .comment section.
dkms_status() {
	local out err
	out=$(dkms status -m mynetdrv 2>/tmp/t27-dkms-err) || fail "dkms status failed: $(cat /tmp/t27-dkms-err)"
	err=$(grep -v "^readelf: Warning: Section '.comment' was not dumped" /tmp/t27-dkms-err || true)
	[ -z "$err" ] || fail "dkms status: $err"
	echo "$out"
}

# check_pair A B: A and B exist, are mynetdrv devices, and each one's
# link (its peer's ifindex; ip -j: .link) names the other.
check_pair() {
	local a=$1 b=$2 j
	j=$(ip -d -j link show dev "$a") || fail "no device $a"
	expect_eq "$a: kind and peer" \
		"$(jq -r '.[0] | "\(.linkinfo.info_kind) \(.link)"' <<<"$j")" "mynetdrv $b"
	j=$(ip -d -j link show dev "$b") || fail "no device $b"
	expect_eq "$b: kind and peer" \
		"$(jq -r '.[0] | "\(.linkinfo.info_kind) \(.link)"' <<<"$j")" "mynetdrv $a"
}

# stock_refuses WHEN: ip with no link_mynetdrv.so where it looks (no
# IP_LIB_DIR) refuses "peer", as stock ip does for a kind it has no
# plugin for, before asking the kernel anything.
stock_refuses() {
	local out
	if out=$(env -u IP_LIB_DIR ip link add name t27a type mynetdrv peer name t27b 2>&1); then
		fail "$1: ip link add ... type mynetdrv peer name t27b worked without a plugin"
	fi
	expect_eq "$1: what stock ip says to peer" "$out" \
		'Garbage instead of arguments "peer ...". Try "ip link help".'
	dev_exists t27a && fail "$1: the refused ip link add created t27a"
	return 0
}

mydevs() {
	local d
	for d in /sys/class/net/mydev*; do
		if [ -e "$d" ]; then echo "${d##*/}"; fi
	done | sort -V | tr '\n' ' '
}

# The package must not outlive a failed run (pair_cleanup, on EXIT, calls
# this): the kernel-log check and nothing else follow, but the guest's
# state should still end as it began.
test_cleanup() {
	modprobe -r mynetdrv 2>/dev/null || true
	local p
	for p in "$PKG" "$PLUG_PKG"; do
		if dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qv not-installed; then
			log "cleanup: purging $p"
			dpkg --purge "$p" >/dev/null 2>&1 || true
		fi
	done
}
trap pair_cleanup EXIT

# ------------------------------------------------ make install
[ -d "$INST/lib/modules/$REL" ] ||
	fail "no $INST/lib/modules/$REL: make check runs make install INSTALL_MOD_PATH=build/install/<release> first"
ko=$(find "$INST" -type f -name '*.ko*' | sort | tr '\n' ' ')
ko=${ko% }
case $ko in
"$INST/lib/modules/$REL/updates/mynetdrv.ko"|"$INST/lib/modules/$REL/updates/mynetdrv.ko.xz") ;;
*) fail "make install tree holds '$ko', expected updates/mynetdrv.ko[.xz] alone" ;;
esac
log "ok: make install put $ko"
check_modinfo "make install" "$ko"
grep -qx 'alias rtnl-link-mynetdrv mynetdrv' "$INST/lib/modules/$REL/modules.alias" ||
	fail "no 'alias rtnl-link-mynetdrv mynetdrv' in $INST/lib/modules/$REL/modules.alias"
expect_eq "modules.dep of the make install tree" \
	"$(cat "$INST/lib/modules/$REL/modules.dep")" "${ko#"$INST/lib/modules/$REL/"}:"
# The plugin: the host's build, where ip looks, under the tree.
[ "$IPLIB" != /usr/lib//ip ] || fail "dpkg-architecture gave no multiarch triplet"
expect_eq "make install tree's files outside lib/modules" \
	"$(cd "$INST" && find . -path ./lib/modules -prune -o -type f -print | sort)" ".$PLUGIN"
cmp "$INST$PLUGIN" "$REPO/iproute2/link_mynetdrv.so" ||
	fail "make install's $INST$PLUGIN is not iproute2/link_mynetdrv.so"
log "ok: make install put $INST$PLUGIN"
expect_eq "modprobe -d resolves the rtnl-link alias" \
	"$(modprobe -d "$INST" --show-depends rtnl-link-mynetdrv | awk '{ print $2 }')" "$ko"
mod_loaded && fail "mynetdrv loaded before modprobe -d"
expect_ok modprobe -d "$INST" mynetdrv numpairs=2
expect_eq "devices after modprobe -d $INST mynetdrv numpairs=2" "$(mydevs)" "mydev0 mydev1 mydev2 mydev3 "
expect_eq "loaded module's srcversion" "$(cat /sys/module/mynetdrv/srcversion)" "$SRCVERSION"
expect_ok env IP_LIB_DIR="$INST$IPLIB" ip link add name t27a type mynetdrv peer name t27b
check_pair t27a t27b
expect_ok ip link del t27a
dev_exists t27b && fail "t27b survived the deletion of t27a"
expect_ok modprobe -d "$INST" -r mynetdrv
mod_loaded && fail "mynetdrv still loaded after modprobe -r"

# ------------------------------------------------ can dkms build here?
# The package is for the distribution's kernel: there, under TCG, dpkg -i
# costs about 200 s; on 6.12 (compressed modules, each depmod minutes) it
# would add 10 min to every matrix run.  LAB_PKG_KERNEL=all runs it on
# every kernel (scripts/check.sh).
pkg_kernel=${LAB_PKG_KERNEL:-all}
[ "$pkg_kernel" = all ] || [ "$pkg_kernel" = "$REL" ] ||
	skip "make install part passed; the .deb part runs on $pkg_kernel only (LAB_PKG_KERNEL=all: on every kernel)"
require_cmd dkms dpkg
build=/lib/modules/$REL/build
[ -f "$build/Makefile" ] ||
	skip "make install part passed; the .deb part needs this kernel's headers, and $build does not resolve in the guest ($(readlink "$build" || echo missing)): the 7.x headers live in the sid chroot"
cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' "$build/.config")
[ -n "$cc" ] || fail "no CONFIG_CC_VERSION_TEXT in $build/.config"
command -v "$cc" >/dev/null ||
	skip "make install part passed; the .deb part needs $cc, the compiler of $REL, which this userland lacks"
log "dkms builds with $cc against $build"

for f in "$DEB" "$PLUG_DEB"; do
	[ -f "$f" ] || fail "$f not found: make check builds it (make deb) before booting"
done
if modinfo -n mynetdrv >/dev/null 2>&1; then
	fail "a mynetdrv is installed for $REL already: $(modinfo -n mynetdrv)"
fi
st=$(dkms_status)
[ -z "$st" ] || fail "dkms knows mynetdrv already: $st"
[ -e "$PLUGIN" ] && fail "$PLUGIN exists before the package is installed"
# dpkg -r must leave ip's library dir as it found it.
iplib_was=absent
[ -d "$IPLIB" ] && iplib_was=present
stock_refuses "before dpkg -i"

# ------------------------------------------------ dpkg -i
t0=$(now_ms)
# shellcheck disable=SC2016 # expanded by the inner bash
out=$(unshare --mount --propagation private -- bash -c '
	boot=$(mktemp -d)
	cp "/boot/config-$1" "$boot/"
	mount --bind "$boot" /boot
	dpkg -i "$2" "$3"' dpkg-i "$REL" "$DEB" "$PLUG_DEB" 2>&1) ||
	{ printf '%s\n' "$out" | sed 's/^/# dpkg: /'; fail "dpkg -i $DEB $PLUG_DEB failed"; }
printf '%s\n' "$out" | sed 's/^/# dpkg: /'
log "dpkg -i of both (dkms add, build, install, depmod) took $(( $(now_ms) - t0 )) ms"

expect_eq "dpkg status" "$(dpkg-query -W -f='${db:Status-Abbrev}${Version}' "$PKG")" "ii $VER"
expect_eq "dkms status" "$(dkms_status)" "mynetdrv/$VER, $REL, $(uname -m): installed"
grep -qx "PACKAGE_VERSION=\"$VER\"" "/usr/src/mynetdrv-$VER/dkms.conf" ||
	fail "/usr/src/mynetdrv-$VER/dkms.conf has no PACKAGE_VERSION=\"$VER\""
dko=$(modinfo -n mynetdrv) || fail "modinfo does not find mynetdrv after dpkg -i"
case $dko in
"/lib/modules/$REL/updates/dkms/mynetdrv.ko"|"/lib/modules/$REL/updates/dkms/mynetdrv.ko.xz") ;;
*) fail "modinfo mynetdrv is $dko, not updates/dkms/mynetdrv.ko[.xz]" ;;
esac
check_modinfo dkms "$dko"
grep -qx 'alias rtnl-link-mynetdrv mynetdrv' "/lib/modules/$REL/modules.alias" ||
	fail "depmod did not index alias rtnl-link-mynetdrv"

expect_eq "dpkg status of $PLUG_PKG" \
	"$(dpkg-query -W -f='${db:Status-Abbrev}${Version}' "$PLUG_PKG")" "ii $VER"
# Its files (directories left out): the plugin, the docs, nothing else.
expect_eq "$PLUG_PKG's files" \
	"$(dpkg-query -L "$PLUG_PKG" | while read -r f; do [ -d "$f" ] || echo "$f"; done | sort | tr '\n' ' ')" \
	"$PLUGIN /usr/share/doc/$PLUG_PKG/changelog.gz /usr/share/doc/$PLUG_PKG/copyright "
# Any Debian revision of the upstream version it was built against, the
# installed one's (debian/rules says why).
ipr=$(dpkg-query -W -f='${Version}' iproute2)
deps=$(dpkg-query -W -f='${Depends}' "$PLUG_PKG")
[[ ", $deps," == *", iproute2 (>= ${ipr%-*}), iproute2 (<< ${ipr%-*}.~),"* ]] ||
	fail "$PLUG_PKG depends on '$deps', not on iproute2 ${ipr%-*} (installed: $ipr)"
log "ok: $PLUG_PKG depends on $deps"

# ------------------------------------------------ stock ip, autoload by alias
# The packages are all it takes: stock ip finds the packaged plugin, the
# kernel loads the module for the kind.
mod_loaded && fail "mynetdrv loaded before the autoload check"
t0=$(now_ms)
expect_ok env -u IP_LIB_DIR ip link add name t27a type mynetdrv peer name t27b
mod_loaded || fail "ip link add did not load mynetdrv"
log "ip link add with the module autoloaded took $(( $(now_ms) - t0 )) ms"
expect_eq "autoloaded module's srcversion" "$(cat /sys/module/mynetdrv/srcversion)" "$SRCVERSION"
check_pair t27a t27b
expect_ok env -u IP_LIB_DIR ip link del t27a
dev_exists t27a && fail "t27a survived ip link del"
dev_exists t27b && fail "t27b survived the deletion of t27a"
expect_ok modprobe -r mynetdrv
mod_loaded && fail "mynetdrv still loaded after modprobe -r"

# ------------------------------------------------ modprobe, traffic
# pair_setup loads with mod_load: here, modprobe by name.
mod_load() {
	expect_ok modprobe mynetdrv "$@"
}
pair_setup
declare -A a0 b0 a1 b1
snap a0 mydev0
snap b0 mydev1 "$NS"
ping_count 3 "$ADDR_B"
settle
snap a1 mydev0
snap b1 mydev1 "$NS"
expect_eq "mydev0 tx frames" "$((a1[tx_packets] - a0[tx_packets]))" 3
expect_eq "mydev0 tx bytes" "$((a1[tx_bytes] - a0[tx_bytes]))" $((3 * 98))
expect_eq "mydev1 rx frames" "$((b1[rx_packets] - b0[rx_packets]))" 3
expect_eq "mydev1 tx frames" "$((b1[tx_packets] - b0[tx_packets]))" 3
expect_eq "mydev0 rx frames" "$((a1[rx_packets] - a0[rx_packets]))" 3
expect_eq "mydev0 rx bytes" "$((a1[rx_bytes] - a0[rx_bytes]))" $((3 * 98))
check_conservation
ip netns del "$NS"
expect_ok modprobe -r mynetdrv

# ------------------------------------------------ the kernel hook
# A kernel install runs /etc/kernel/postinst.d/dkms <release>: dkms
# autoinstall, for each AUTOINSTALL module not installed for it.  The
# module stays built, so this costs no compile, but two depmods: where
# the kernel's modules are xz-compressed (6.12) each takes about 3 min
# under TCG (measured), so there this part is left out.
case $dko in
*.ko.xz)
	log "kernel hook part left out: $REL's modules are compressed, each depmod takes minutes under TCG"
	;;
*)
	expect_ok dkms uninstall -m mynetdrv -v "$VER" -k "$REL"
	modinfo -n mynetdrv >/dev/null 2>&1 && fail "modinfo still finds mynetdrv after dkms uninstall"
	expect_eq "dkms status after uninstall" "$(dkms_status)" "mynetdrv/$VER, $REL, $(uname -m): built"
	expect_ok /etc/kernel/postinst.d/dkms "$REL"
	expect_eq "dkms status after the kernel hook" "$(dkms_status)" \
		"mynetdrv/$VER, $REL, $(uname -m): installed"
	expect_eq "modinfo after the kernel hook" "$(modinfo -n mynetdrv)" "$dko"
	;;
esac

# ------------------------------------------------ dpkg -r, --purge
t0=$(now_ms)
expect_ok dpkg -r "$PKG" "$PLUG_PKG"
log "dpkg -r of both (dkms remove, depmod) took $(( $(now_ms) - t0 )) ms"
expect_eq "dkms status after dpkg -r" "$(dkms_status)" ""
[ -e "$dko" ] && fail "$dko still there after dpkg -r"
[ -e "/usr/src/mynetdrv-$VER" ] && fail "/usr/src/mynetdrv-$VER still there after dpkg -r"
[ -e "/var/lib/dkms/mynetdrv" ] && fail "/var/lib/dkms/mynetdrv still there after dpkg -r"
modinfo -n mynetdrv >/dev/null 2>&1 && fail "modinfo still finds mynetdrv: $(modinfo -n mynetdrv)"
grep -q mynetdrv "/lib/modules/$REL/modules.alias" && fail "modules.alias still names mynetdrv"
log "ok: dkms, the module, its sources and its alias are gone"
[ -e "$PLUGIN" ] && fail "$PLUGIN still there after dpkg -r"
if [ "$iplib_was" = absent ] && [ -e "$IPLIB" ]; then
	fail "$IPLIB, made by the package, still there after dpkg -r: $(ls -A "$IPLIB")"
fi
log "ok: $PLUGIN gone, $IPLIB $iplib_was as before dpkg -i"
stock_refuses "after dpkg -r"
expect_ok dpkg --purge "$PKG" "$PLUG_PKG"
for p in "$PKG" "$PLUG_PKG"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || echo not-installed)
	expect_eq "dpkg status of $p after --purge" "$st" not-installed
	if [ -e "/usr/share/doc/$p" ]; then
		fail "/usr/share/doc/$p still there after --purge"
	fi
done
