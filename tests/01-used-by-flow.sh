#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 01-used-by-flow: the user flow from the issue, verbatim (minus sudo):
#   insmod mynetdrv.ko; ip netns add peer; ip link set mydev1 netns peer
#   ip addr add 10.0.0.1/24 dev mydev0; ip link set mydev0 up
#   ip -n peer addr add 10.0.0.2/24 dev mydev1; ip -n peer link set mydev1 up
#   ping -c 3 10.0.0.2; ip -s link show mydev0; rmmod mynetdrv
# and checks the counters (the driver promises exact conservation: every
# frame mydev0 transmits is received or counted as dropped by mydev1),
# each end's rx_packets against an AF_PACKET capture of what its stack got,
# and that rmmod removes both ends, including the one inside the netns.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mod_load
wait_for 5 dev_exists mydev0 || fail "mydev0 did not appear"
dev_exists mydev1 || fail "mydev1 did not appear"

expect_ok ip netns add peer
expect_ok ip link set mydev1 netns peer
dev_exists mydev1 peer || fail "mydev1 is not in netns peer"
dev_exists mydev1 && fail "mydev1 still in the init netns"

# An independent count of what each end delivers to its stack: an
# AF_PACKET capture on each, running before either end is up.
rm -f /tmp/t01-*
"$REPO/tests/rawsock.py" capture mydev0 --ready /tmp/t01-ready0 >/tmp/t01-cap0 &
# shellcheck disable=SC2034 # read by cap_check, as ${!pid}
cap0=$!
ip netns exec peer "$REPO/tests/rawsock.py" capture mydev1 --ready /tmp/t01-ready1 \
	>/tmp/t01-cap1 &
# shellcheck disable=SC2034 # read by cap_check, as ${!pid}
cap1=$!
wait_for $((10 * ${LAB_TIMEOUT_SCALE:-1})) test -e /tmp/t01-ready0 -a -e /tmp/t01-ready1 || fail "the captures did not start"

expect_ok ip addr add 10.0.0.1/24 dev mydev0
expect_ok ip link set mydev0 up
expect_ok ip -n peer addr add 10.0.0.2/24 dev mydev1
expect_ok ip -n peer link set mydev1 up

# Counters before the traffic of interest.
tx0_a=$(link_stat mydev0 tx_packets)

expect_ok ping -c 3 10.0.0.2

echo "ip -s link show mydev0:"
ip -s link show mydev0
echo "ip -n peer -s link show mydev1:"
ip -n peer -s link show mydev1

# One consistent snapshot of both ends: background traffic (IPv6 DAD/RS,
# MLD) may still be in flight, so wait until the counters stop moving.
snapshot() {
	local q='.[0].stats64 | [.tx.packets, .rx.packets, .tx.bytes, .rx.bytes, .tx.dropped, .rx.dropped] | @tsv'
	# shellcheck disable=SC2016 # awk's $2, not the shell's
	local f='/rx_filtered(_bytes)?:/ { printf "%s ", $2 } END { print "" }'
	ip -s -j link show dev mydev0 | jq -r "$q"
	ip -n peer -s -j link show dev mydev1 | jq -r "$q"
	ethtool -S mydev0 | awk "$f"
	ip netns exec peer ethtool -S mydev1 | awk "$f"
}
snap=$(wait_stable 30 snapshot) || fail "counters never settled"
{
	read -r tx0 rx0 txb0 rxb0 txd0 rxd0
	read -r tx1 rx1 txb1 rxb1 txd1 rxd1
	read -r filt0 filtb0
	read -r filt1 filtb1
} <<<"$snap"
# rx_packets against the captures: every frame an end counts as received
# reached its stack, as one skb unless GRO merged it into another. IPv6
# may still send a late report: compare only across a quiet moment.
# cap_check I DEV NETNS: capture I (its PID in cap$I) against DEV.
cap_check() {
	local i=$1 dev=$2 ns=$3 pid out=/tmp/t01-cap$1 n try
	local rx_a rx_b merged frames drops
	pid=cap$i
	pid=${!pid}
	for try in 1 2 3 4 5; do
		rx_a=$(link_stat "$dev" rx_packets "$ns")
		merged=$(ethtool_stat "$dev" rx_gro_merged "$ns")
		n=$(wc -l <"$out")
		kill -USR1 "$pid"
		wait_for 10 sh -c "[ \$(wc -l <$out) -gt $n ]" ||
			fail "the capture on $dev did not report"
		rx_b=$(link_stat "$dev" rx_packets "$ns")
		[ "$rx_a" != "$rx_b" ] || break
		log "$dev received a frame during the count (try $try): again"
	done
	# Each report counts the frames since the one before.
	read -r frames drops < <(jq -rs '"\(map(.frames) | add) \(map(.drops) | add)"' "$out")
	log "$dev: rx_packets $rx_b, rx_gro_merged $merged; its capture saw $frames frames ($drops lost)"
	expect_eq "$dev: capture losses" "$drops" 0
	expect_eq "$dev: frames its stack got == rx_packets - rx_gro_merged" \
		"$frames" "$((rx_b - merged))"
	kill -TERM "$pid"
	wait "$pid" || fail "the capture on $dev failed"
}
cap_check 0 mydev0 ""
cap_check 1 mydev1 peer
rm -f /tmp/t01-*
log "mydev0 tx=$tx0/${txb0}B drop=$txd0 rx=$rx0/${rxb0}B drop=$rxd0"
log "mydev1 tx=$tx1/${txb1}B drop=$txd1 rx=$rx1/${rxb1}B drop=$rxd1"

# 3 echo requests (+ at least one ARP request, unless IPv6/ARP traffic
# was sent before ping, which only adds to the count).
[ $((tx0 - tx0_a)) -ge 3 ] || fail "mydev0 sent $((tx0 - tx0_a)) packets during ping, expected >= 3"
[ "$tx0" -ge 4 ] || fail "mydev0 tx_packets=$tx0, expected >= 4 (3 ICMP echo + ARP)"
# 3 echo replies (+ the ARP reply) came back.
[ "$rx0" -ge 4 ] || fail "mydev0 rx_packets=$rx0, expected >= 4 (3 ICMP replies + ARP)"
[ "$rx1" -ge 4 ] || fail "mydev1 rx_packets=$rx1, expected >= 4"
[ "$tx1" -ge 4 ] || fail "mydev1 tx_packets=$tx1, expected >= 4"

# Conservation across the wire, both directions: packets that one end
# transmitted were either received by the other or refused by its MAC
# filter: multicast for groups it never joined (IPv6 sends its MLD
# reports to ff02::16). A NIC's filter sits before its ring: what it
# refuses is not a drop, and ethtool -S rx_filtered counts it.
expect_eq "mydev0 tx_packets == mydev1 rx_packets + rx_filtered" "$tx0" "$((rx1 + filt1))"
expect_eq "mydev1 tx_packets == mydev0 rx_packets + rx_filtered" "$tx1" "$((rx0 + filt0))"
# Nothing is dropped on an idle, healthy pair.
expect_eq "mydev0 tx_dropped" "$txd0" 0
expect_eq "mydev1 tx_dropped" "$txd1" 0
expect_eq "mydev0 rx_dropped" "$rxd0" 0
expect_eq "mydev1 rx_dropped" "$rxd1" 0
[ $((filt0 + filt1)) -gt 0 ] || fail "no frame filtered: IPv6 sent no MLD report?"
# Bytes are conserved too, counting those of the filtered frames.
expect_eq "mydev0 tx_bytes == mydev1 rx_bytes + filtered bytes" "$txb0" "$((rxb1 + filtb1))"
expect_eq "mydev1 tx_bytes == mydev0 rx_bytes + filtered bytes" "$txb1" "$((rxb0 + filtb0))"

mod_unload
dev_exists mydev0 && fail "mydev0 still exists after rmmod"
expect_fail ip -n peer link show mydev1
expect_ok ip netns del peer
