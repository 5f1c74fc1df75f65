#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 11-netns: the ends of a pair moving between network namespaces.
#  - mydev1 to netns A: ping init <-> A; iflink / link-netnsid of both ends
#    point at the other end in the other netns;
#  - mydev0 to netns B (both ends in different non-init netns): ping B <-> A,
#    reporting as above, as seen from B and from A;
#  - both ends in the same netns A: no link-netnsid, "link" is the peer's
#    name, frames still cross (broadcast ping counted on the peer);
#  - both back to the init netns;
#  - "ip netns del" of the netns holding one end deletes the whole pair,
#    whichever end (dev or peer of an ip-link-created pair) it holds, with
#    the other end in init or in another netns; no "unregister_netdevice:
#    waiting" (run.sh also fails the test on any kernel warning);
#  - rmmod with 8 ends spread over init + 3 netns removes every one.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

NSA=t11a
NSB=t11b
NSC=t11c

# jqfield DEV JQPATH [NETNS]: one field of ip -d -j link show, "none" if absent.
jqfield() {
	local -a nsa=()
	[ -n "${3:-}" ] && nsa=(-n "$3")
	ip "${nsa[@]}" -d -j link show dev "$1" | jq -r ".[0]$2 // \"none\""
}

# sysattr DEV ATTR [NETNS]: /sys/class/net/DEV/ATTR as seen in NETNS.
sysattr() {
	if [ -n "${3:-}" ]; then
		in_ns "$3" cat "/sys/class/net/$1/$2"
	else
		echo "$(<"/sys/class/net/$1/$2")"
	fi
}

# The nsid that netns $1 ("" = init) has assigned to netns NAME $2.
nsid_of() {
	local -a nsa=()
	[ -n "$1" ] && nsa=(-n "$1")
	ip "${nsa[@]}" -j netns list-id | jq -r --arg n "$2" '.[] | select(.name == $n) | .nsid'
}

# The nsid that netns $1 has assigned to the init netns (the only
# unnamed netns here).
nsid_of_init() {
	ip -n "$1" -j netns list-id | jq -r '.[] | select(.name == null) | .nsid'
}

# check_cross DEV NS_DEV PEER NS_PEER: both ends, in different netns,
# report each other: iflink = other's ifindex, link-netnsid = the nsid
# their own netns gives the other's.
check_cross() {
	local dev=$1 dns=$2 peer=$3 pns=$4 got want
	expect_eq "$dev iflink" "$(sysattr "$dev" iflink "$dns")" "$(sysattr "$peer" ifindex "$pns")"
	expect_eq "$peer iflink" "$(sysattr "$peer" iflink "$pns")" "$(sysattr "$dev" ifindex "$dns")"
	# Read the link first: dumping it is what allocates the nsid.
	got=$(jqfield "$dev" .link_netnsid "$dns")
	if [ -n "$pns" ]; then want=$(nsid_of "$dns" "$pns"); else want=$(nsid_of_init "$dns"); fi
	[ -n "$want" ] || fail "netns '${dns:-init}' has no nsid for '${pns:-init}'"
	expect_eq "$dev link_netnsid (as seen in ${dns:-init})" "$got" "$want"
	got=$(jqfield "$peer" .link_netnsid "$pns")
	if [ -n "$dns" ]; then want=$(nsid_of "$pns" "$dns"); else want=$(nsid_of_init "$pns"); fi
	[ -n "$want" ] || fail "netns '${pns:-init}' has no nsid for '${dns:-init}'"
	expect_eq "$peer link_netnsid (as seen in ${pns:-init})" "$got" "$want"
}

# check_same DEV PEER [NS]: both ends in one netns: no link-netnsid, the
# peer shown by name, iflink = peer's ifindex.
check_same() {
	local dev=$1 peer=$2 ns=${3:-}
	expect_eq "$dev link" "$(jqfield "$dev" .link "$ns")" "$peer"
	expect_eq "$peer link" "$(jqfield "$peer" .link "$ns")" "$dev"
	expect_eq "$dev link_netnsid" "$(jqfield "$dev" .link_netnsid "$ns")" none
	expect_eq "$peer link_netnsid" "$(jqfield "$peer" .link_netnsid "$ns")" none
	expect_eq "$dev iflink" "$(sysattr "$dev" iflink "$ns")" "$(sysattr "$peer" ifindex "$ns")"
	expect_eq "$peer iflink" "$(sysattr "$peer" iflink "$ns")" "$(sysattr "$dev" ifindex "$ns")"
}

count_kind() {
	local -a nsa=()
	[ -n "${1:-}" ] && nsa=(-n "$1")
	ip "${nsa[@]}" -d -j link show | jq '[.[] | select(.linkinfo.info_kind == "mynetdrv")] | length'
}

gone() { ! dev_exists "$1" "${2:-}"; }

klog_start=$(dmesg | wc -l)

mod_load
expect_ok ip netns add "$NSA"
expect_ok ip netns add "$NSB"
expect_ok ip netns add "$NSC"

# ------------------------------------------------ mydev1 in A
expect_ok ip link set mydev1 netns "$NSA"
dev_exists mydev1 "$NSA" || fail "mydev1 not in $NSA"
dev_exists mydev1 && fail "mydev1 still in the init netns"
check_cross mydev0 "" mydev1 "$NSA"
expect_ok ip addr add 10.11.0.1/24 dev mydev0
expect_ok ip link set mydev0 up
expect_ok ip -n "$NSA" addr add 10.11.0.2/24 dev mydev1
expect_ok ip -n "$NSA" link set mydev1 up
expect_ok ping -c 3 -i 0.2 -W 2 10.11.0.2

# ------------------------------------------------ mydev0 in B, mydev1 in A
expect_ok ip link set mydev0 netns "$NSB"
dev_exists mydev0 "$NSB" || fail "mydev0 not in $NSB"
dev_exists mydev0 && fail "mydev0 still in the init netns"
check_cross mydev0 "$NSB" mydev1 "$NSA"
# Moving a device brings it down and drops its addresses.
expect_ok ip -n "$NSB" addr add 10.11.0.1/24 dev mydev0
expect_ok ip -n "$NSB" link set mydev0 up
expect_ok ip -n "$NSA" link set mydev1 up
expect_ok in_ns "$NSB" ping -c 3 -i 0.2 -W 2 10.11.0.2
expect_ok in_ns "$NSA" ping -c 3 -i 0.2 -W 2 10.11.0.1

# ------------------------------------------------ both in A
expect_ok ip -n "$NSB" link set mydev0 netns "$NSA"
dev_exists mydev0 "$NSB" && fail "mydev0 still in $NSB"
check_same mydev0 mydev1 "$NSA"
expect_ok ip -n "$NSA" addr add 10.11.0.1/24 dev mydev0
expect_ok ip -n "$NSA" link set mydev0 up
wait_for 5 in_ns "$NSA" sh -c 'ip -j link show dev mydev0 | grep -q LOWER_UP' ||
	fail "no carrier on mydev0 with both ends up in $NSA"
# Both addresses are local now, so a unicast ping would not leave the
# host: a broadcast ping out of mydev0 must reach mydev1.
rx0=$(link_stat mydev1 rx_packets "$NSA")
in_ns "$NSA" sysctl -qw net.ipv4.icmp_echo_ignore_broadcasts=0
in_ns "$NSA" ping -b -c 3 -i 0.2 -W 1 -I mydev0 10.11.0.255 >/dev/null 2>&1 || true
rx1=$(link_stat mydev1 rx_packets "$NSA")
[ $((rx1 - rx0)) -ge 3 ] || fail "mydev1 received $((rx1 - rx0)) frames from 3 broadcast pings, expected >= 3"
log "ok: mydev1 received $((rx1 - rx0)) frames from 3 broadcast pings in one netns"

# ------------------------------------------------ both back to init
expect_ok ip -n "$NSA" link set mydev0 netns 1
expect_ok ip -n "$NSA" link set mydev1 netns 1
expect_eq "links left in $NSA" "$(link_names "$NSA")" lo
check_same mydev0 mydev1

# ------------------------------------------------ netns del deletes the pair
# 1. module pair, mydev1 in A, mydev0 in init: delete A.
expect_ok ip link set mydev1 netns "$NSA"
expect_ok ip netns del "$NSA"
wait_for 15 gone mydev0 || fail "mydev0 survived deletion of netns $NSA holding its peer"
expect_eq "mynetdrv devices in init" "$(count_kind)" 0

# 2. ip-link pair, dev in B, peer in C: delete B (holds the dev end).
expect_ok ip link add name t11d0 netns "$NSB" type mynetdrv peer name t11p0 netns "$NSC"
dev_exists t11d0 "$NSB" || fail "t11d0 not created in $NSB"
dev_exists t11p0 "$NSC" || fail "t11p0 not created in $NSC"
check_cross t11d0 "$NSB" t11p0 "$NSC"
expect_ok ip netns del "$NSB"
wait_for 15 gone t11p0 "$NSC" || fail "t11p0 (in $NSC) survived deletion of netns $NSB holding its peer"

# 3. ip-link pair, dev in init, peer in C: delete C (holds the peer end).
expect_ok ip link add name t11d1 type mynetdrv peer name t11p1 netns "$NSC"
check_cross t11d1 "" t11p1 "$NSC"
expect_ok ip netns del "$NSC"
wait_for 15 gone t11d1 || fail "t11d1 survived deletion of netns $NSC holding its peer"
expect_eq "mynetdrv devices in init" "$(count_kind)" 0

# ------------------------------------------------ rmmod, ends in 4 netns
mod_unload
mod_load numpairs=3
for ns in "$NSA" "$NSB" "$NSC"; do expect_ok ip netns add "$ns"; done
expect_ok ip link set mydev1 netns "$NSA"
expect_ok ip link set mydev2 netns "$NSB"
expect_ok ip link set mydev3 netns "$NSC"
expect_ok ip link set mydev4 netns "$NSA"
expect_ok ip link set mydev5 netns "$NSB"
expect_ok ip link add name t11d2 netns "$NSC" type mynetdrv peer name t11p2 netns "$NSA"
expect_ok ip -n "$NSB" link set mydev2 up
expect_ok ip -n "$NSC" link set mydev3 up
expect_eq "mynetdrv devices in init" "$(count_kind)" 1
expect_eq "mynetdrv devices in $NSA" "$(count_kind "$NSA")" 3
expect_eq "mynetdrv devices in $NSB" "$(count_kind "$NSB")" 2
expect_eq "mynetdrv devices in $NSC" "$(count_kind "$NSC")" 2
mod_unload
mod_loaded && fail "mynetdrv still loaded"
expect_eq "mynetdrv devices in init" "$(count_kind)" 0
for ns in "$NSA" "$NSB" "$NSC"; do
	expect_eq "links left in $ns after rmmod" "$(link_names "$ns")" lo
done

bad=$(dmesg | tail -n +"$((klog_start + 1))" | grep -E 'unregister_netdevice: waiting|WARNING|BUG' || true)
[ -z "$bad" ] || fail "kernel log: $bad"
