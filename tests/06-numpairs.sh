#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 06-numpairs: the numpairs module parameter.
#  - numpairs=3: exactly mydev0..mydev5; each end's iflink is its peer's
#    ifindex and `ip -j link` .link names the peer; the pairing is real:
#    an end gets carrier only when its own peer comes up;
#    /sys/module/mynetdrv/parameters/numpairs reads 3.
#  - numpairs=0: module loaded, no mydev*.
#  - numpairs=64 (the maximum): exactly mydev0..mydev127, paired.
#  - numpairs=65, -1, abc, "": insmod fails, the kernel log names
#    numpairs, the module is not loaded and no mydev* exists.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mydevs() { # the mydev* names, sorted by number
	local d
	for d in /sys/class/net/mydev*; do
		if [ -e "$d" ]; then echo "${d##*/}"; fi
	done | sort -V | tr '\n' ' '
}
expected_devs() { # N pairs
	local i
	for ((i = 0; i < 2 * $1; i++)); do echo "mydev$i"; done | tr '\n' ' '
}
check_pairs() { # N pairs: iflink and .link of every end
	local n=$1 i a b name idx link
	local -A ifindex linkname
	# One ip and one jq for all devices: forks are slow under TCG.
	while read -r name idx link; do
		ifindex[$name]=$idx
		linkname[$name]=$link
	done <<<"$(ip -j link show | jq -r '.[] | select(.ifname | startswith("mydev")) |
		"\(.ifname) \(.ifindex) \(.link)"')"
	for ((i = 0; i < n; i++)); do
		a=mydev$((2 * i))
		b=mydev$((2 * i + 1))
		read -r link </sys/class/net/$a/iflink
		[ "$link" = "${ifindex[$b]}" ] ||
			fail "$a iflink $link, expected $b's ifindex ${ifindex[$b]}"
		read -r link </sys/class/net/$b/iflink
		[ "$link" = "${ifindex[$a]}" ] ||
			fail "$b iflink $link, expected $a's ifindex ${ifindex[$a]}"
		[ "${linkname[$a]}" = "$b" ] || fail "ip -j link: $a .link '${linkname[$a]}', expected $b"
		[ "${linkname[$b]}" = "$a" ] || fail "ip -j link: $b .link '${linkname[$b]}', expected $a"
	done
	log "ok: $n pairs, each end's iflink/.link is its peer"
}
carrier() { cat "/sys/class/net/$1/carrier"; }

# ---- numpairs=3
mod_load numpairs=3
expect_eq "devices with numpairs=3" "$(mydevs)" "$(expected_devs 3)"
expect_eq "numpairs parameter" "$(cat /sys/module/mynetdrv/parameters/numpairs)" 3
check_pairs 3
# Bring the ends up one by one: carrier follows the pairing.
ip link set dev mydev1 up
ip link set dev mydev2 up
expect_eq "mydev1 carrier (mydev0 down)" "$(carrier mydev1)" 0
expect_eq "mydev2 carrier (mydev3 down)" "$(carrier mydev2)" 0
ip link set dev mydev4 up
ip link set dev mydev3 up
expect_eq "mydev2 carrier (mydev3 up)" "$(carrier mydev2)" 1
expect_eq "mydev3 carrier" "$(carrier mydev3)" 1
expect_eq "mydev1 carrier (mydev2, mydev3 up)" "$(carrier mydev1)" 0
expect_eq "mydev4 carrier (mydev5 down)" "$(carrier mydev4)" 0
ip link set dev mydev0 up
expect_eq "mydev0 carrier" "$(carrier mydev0)" 1
expect_eq "mydev1 carrier (mydev0 up)" "$(carrier mydev1)" 1
expect_eq "mydev4 carrier (mydev5 down)" "$(carrier mydev4)" 0
ip link set dev mydev5 up
expect_eq "mydev4 carrier (mydev5 up)" "$(carrier mydev4)" 1
mod_unload
expect_eq "devices after rmmod" "$(mydevs)" ""

# ---- numpairs=0
mod_load numpairs=0
mod_loaded || fail "module not loaded with numpairs=0"
expect_eq "devices with numpairs=0" "$(mydevs)" ""
mod_unload

# ---- numpairs=64
t0=$(date +%s%N)
mod_load numpairs=64
log "insmod numpairs=64 took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
expect_eq "devices with numpairs=64" "$(mydevs)" "$(expected_devs 64)"
check_pairs 64
mod_unload
expect_eq "devices after rmmod" "$(mydevs)" ""

# ---- invalid values
for v in 65 -1 abc ""; do
	klines=$(dmesg | wc -l)
	rc=0
	out=$(insmod "$MODULE" "numpairs=$v" 2>&1) || rc=$?
	log "insmod numpairs='$v': exit $rc: $out"
	[ "$rc" -ne 0 ] || fail "insmod numpairs='$v' succeeded"
	msg=$(dmesg | tail -n +"$((klines + 1))")
	log "kernel: $msg"
	grep -q numpairs <<<"$msg" || fail "no kernel message about numpairs for numpairs='$v'"
	mod_loaded && fail "module loaded after insmod numpairs='$v'"
	expect_eq "devices after insmod numpairs='$v'" "$(mydevs)" ""
done
