#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 02-ping: IPv4 and IPv6 across the pair, mydev1 in netns "peer".
# Checks, with the pair kept quiet (permanent neighbours, no IPv6 chatter)
# so every frame is the test's own:
#  - ping -c 3 over IPv4 and IPv6 gets 3 replies each, and each direction
#    carries exactly 3 frames of 98 (IPv4) / 118 (IPv6) bytes, Ethernet
#    header included;
#  - 65000-byte pings (IPv4 and IPv6, fragmented at MTU 1500) get their
#    replies, with the exact fragment count and byte count each way;
#  - multicast (224.0.0.1) frames count in the receiver's multicast
#    counter, broadcast (10.0.0.255) frames do not;
#  - after traffic stops, exact conservation both directions, no drops.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

pair_setup

# expect_delta WHAT: compare both ends' counters now against $1/$2
# snapshots: each direction carried exactly N frames and BYTES bytes.
declare -A a0 b0 a1 b1
take() { snap a0 mydev0; snap b0 mydev1 "$NS"; }
expect_frames() { # WHAT N BYTES: each direction
	settle
	snap a1 mydev0
	snap b1 mydev1 "$NS"
	expect_eq "$1: mydev0 tx frames" "$((a1[tx_packets] - a0[tx_packets]))" "$2"
	expect_eq "$1: mydev0 tx bytes" "$((a1[tx_bytes] - a0[tx_bytes]))" "$3"
	expect_eq "$1: mydev1 rx frames" "$((b1[rx_packets] - b0[rx_packets]))" "$2"
	expect_eq "$1: mydev1 rx bytes" "$((b1[rx_bytes] - b0[rx_bytes]))" "$3"
	expect_eq "$1: mydev1 tx frames" "$((b1[tx_packets] - b0[tx_packets]))" "$2"
	expect_eq "$1: mydev1 tx bytes" "$((b1[tx_bytes] - b0[tx_bytes]))" "$3"
	expect_eq "$1: mydev0 rx frames" "$((a1[rx_packets] - a0[rx_packets]))" "$2"
	expect_eq "$1: mydev0 rx bytes" "$((a1[rx_bytes] - a0[rx_bytes]))" "$3"
}

# Frames and bytes of one ICMP message of PAYLOAD data bytes at MTU 1500:
# IPv4 fragments carry up to 1480 bytes (+20 IP +14 Ethernet), IPv6 ones
# 1448 (+8 fragment header +40 IPv6 +14 Ethernet).
frags4() { echo $(( ($1 + 8 + 1479) / 1480 )); }
bytes4() { echo $(( $1 + 8 + $(frags4 "$1") * 34 )); }
frags6() { echo $(( ($1 + 8 + 1447) / 1448 )); }
bytes6() { echo $(( $1 + 8 + $(frags6 "$1") * 62 )); }

take
ping_count 3 "$ADDR_B"
expect_frames "ping -c 3 (IPv4)" 3 $((3 * 98))

take
ping_count 3 -6 "$ADDR6_B"
expect_frames "ping -c 3 (IPv6)" 3 $((3 * 118))

take
ping_count 2 -s 65000 "$ADDR_B"
expect_frames "ping -s 65000 (IPv4)" $((2 * $(frags4 65000))) $((2 * $(bytes4 65000)))

take
ping_count 2 -6 -s 65000 "$ADDR6_B"
expect_frames "ping -6 -s 65000" $((2 * $(frags6 65000))) $((2 * $(bytes6 65000)))

# The other way round, from the netns end.
take
PING_NS=$NS ping_count 3 "$ADDR_A"
expect_frames "ping -c 3 from peer (IPv4)" 3 $((3 * 98))

# Multicast vs broadcast. The peer ignores both kinds of echo (the
# default icmp_echo_ignore_broadcasts=1), so only mydev0 sends.
in_ns "$NS" sysctl -qw net.ipv4.icmp_echo_ignore_broadcasts=1
take
ping -c 3 -i 0.2 -W 1 -I mydev0 224.0.0.1 >/dev/null 2>&1 || true
settle
snap b1 mydev1 "$NS"
expect_eq "224.0.0.1 frames received by mydev1" "$((b1[rx_packets] - b0[rx_packets]))" 3
expect_eq "mydev1 multicast after 3 multicast frames" "$((b1[rx_multicast] - b0[rx_multicast]))" 3
take
ping -b -c 3 -i 0.2 -W 1 10.0.0.255 >/dev/null 2>&1 || true
settle
snap b1 mydev1 "$NS"
expect_eq "10.0.0.255 frames received by mydev1" "$((b1[rx_packets] - b0[rx_packets]))" 3
expect_eq "mydev1 multicast after 3 broadcast frames" "$((b1[rx_multicast] - b0[rx_multicast]))" 0

settle
check_conservation
snap a1 mydev0
snap b1 mydev1 "$NS"
for c in tx_dropped rx_errors; do
	expect_eq "mydev0 $c" "${a1[$c]}" 0
	expect_eq "mydev1 $c" "${b1[$c]}" 0
done
# No receive drops: the MLD reports for groups nobody here joined are
# refused by the MAC filter, which is not a drop (rx_filtered).
expect_eq "mydev0 rx_dropped" "${a1[rx_dropped]}" 0
expect_eq "mydev1 rx_dropped" "${b1[rx_dropped]}" 0
check_tx_dropped_sum mydev0
check_tx_dropped_sum mydev1 "$NS"
