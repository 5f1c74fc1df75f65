#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 34-vlan: 802.1Q and stacked 802.1ad + 802.1Q (QinQ) traffic across the
# pair. The driver offers no VLAN offload: the 8021q driver inserts each
# tag in software, and mydev1's stack strips it on receive. IPv4 only,
# permanent neighbours, so every frame is the test's own.
#  1. VLAN 100 on both ends (10.1.0.0/24): ping -c 3 both ways, exactly 3
#     frames of 102 bytes (98 + the 4-byte tag) each way on the mydevs;
#  2. the receive size limit is MTU + 18 (Ethernet header and one tag):
#     full-sized tagged frames (ping -s 1472, 1518 bytes) cross; with the
#     sender's MTUs raised to 1504, a 1519-byte frame is refused by mydev1
#     as too long: rx_length_errors +1, rx_errors +1, no reply;
#  3. 4 MiB of TCP over VLAN 100, byte for byte, TSO on: GSO frames cross
#     tagged (tx_gso_packets grows), no drop, no error;
#  4. QinQ (802.1ad 300, 802.1Q 400 inside, inner MTU 1496 so that frames
#     stay within 1518): ping, then 4 MiB of TCP byte for byte; the
#     driver's features_check segments frames with two tags in software
#     (as the core does for a driver without one): tx_gso_packets +0;
#  5. exact conservation both ways at the end (the refused frame's bytes
#     counted nowhere: rx_length_errors counts frames only).
# TIMEOUT: 180
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

require_cmd socat cmp ping
SIZE=$((4 * 1024 * 1024))
PORT=5034

PAIR_IPV6=0
pair_setup

test_cleanup() { rm -f /tmp/t34-*; }

# vlan_pair NAME LOWER ADDR_A ADDR_B ARGS...: a VLAN device NAME on LOWER
# at both ends (LOWER = mydev0 / mydev1 or a VLAN device already made by
# this function), addressed ADDR_A/24 and ADDR_B/24, permanent
# neighbours, up.
vlan_pair() {
	local name=$1 lower=$2 a=$3 b=$4 mac_a mac_b low1=$2
	shift 4
	[ "$lower" = mydev0 ] && low1=mydev1
	expect_ok ip link add link "$lower" name "$name" type vlan "$@"
	expect_ok ip -n "$NS" link add link "$low1" name "$name" type vlan "$@"
	sysctl -qw "net.ipv6.conf.$name.disable_ipv6=1"
	ip addr add "$a/24" dev "$name"
	ip -n "$NS" addr add "$b/24" dev "$name"
	mac_a=$(mac_of "$name")
	mac_b=$(mac_of "$name" "$NS")
	ip neigh replace "$b" lladdr "$mac_b" dev "$name" nud permanent
	ip -n "$NS" neigh replace "$a" lladdr "$mac_a" dev "$name" nud permanent
	ip link set "$name" up
	ip -n "$NS" link set "$name" up
}

# shellcheck disable=SC2034 # used through da/db's namerefs
declare -A a0 b0 a1 b1
da() { echo $((a1[$1] - a0[$1])); }
db() { echo $((b1[$1] - b0[$1])); }
take0() { settle; snap a0 mydev0; snap b0 mydev1 "$NS"; }
take1() { settle; snap a1 mydev0; snap b1 mydev1 "$NS"; }

# each_way WHAT FRAMES BYTES: both directions carried exactly that.
each_way() {
	expect_eq "$1: mydev0 tx_packets" "$(da tx_packets)" "$2"
	expect_eq "$1: mydev0 tx_bytes" "$(da tx_bytes)" "$3"
	expect_eq "$1: mydev1 rx_packets" "$(db rx_packets)" "$2"
	expect_eq "$1: mydev1 rx_bytes" "$(db rx_bytes)" "$3"
	expect_eq "$1: mydev1 tx_packets" "$(db tx_packets)" "$2"
	expect_eq "$1: mydev0 rx_bytes" "$(da rx_bytes)" "$3"
}

no_errors() { # WHAT
	local c
	for c in rx_errors rx_dropped tx_dropped; do
		expect_eq "$1: mydev0 $c" "$(da $c)" 0
		expect_eq "$1: mydev1 $c" "$(db $c)" 0
	done
}

# tcp_run WHAT ADDR: SIZE bytes to ADDR in $NS, checked byte for byte.
tcp_run() {
	local rpid
	ip netns exec "$NS" socat -u "TCP-LISTEN:$PORT,reuseaddr" \
		OPEN:/tmp/t34-recv,creat,trunc &
	rpid=$!
	wait_for 10 sh -c "ip netns exec $NS ss -Hltn | grep -q ':$PORT '" ||
		fail "$1: socat did not listen on port $PORT"
	socat -u OPEN:/tmp/t34-send "TCP:$2:$PORT" || fail "$1: sending socat failed"
	wait "$rpid" || fail "$1: receiving socat failed"
	cmp -s /tmp/t34-send /tmp/t34-recv || fail "$1: received data differs from sent data"
	log "ok: $1: $SIZE bytes identical"
}
head -c "$SIZE" /dev/urandom >/tmp/t34-send

# ---- 1. 802.1Q
log "=== 1. VLAN 100 (t=${SECONDS}s)"
vlan_pair v100 mydev0 10.1.0.1 10.1.0.2 id 100
take0
ping_count 3 10.1.0.2
take1
each_way "ping over VLAN 100" 3 $((3 * 102))
no_errors "ping over VLAN 100"
take0
PING_NS=$NS ping_count 3 10.1.0.1
take1
each_way "ping back over VLAN 100" 3 $((3 * 102))

# ---- 2. the size limit
log "=== 2. full-sized tagged frames, and one byte more (t=${SECONDS}s)"
take0
ping_count 2 -M "do" -s 1472 10.1.0.2
take1
each_way "1518-byte tagged frames" 2 $((2 * 1518))
no_errors "1518-byte tagged frames"
expect_ok ip link set mydev0 mtu 1504
expect_ok ip link set v100 mtu 1504
take0
expect_fail ping -c 1 -W 2 -M "do" -s 1473 10.1.0.2
take1
expect_eq "1519-byte frame: mydev0 tx_packets" "$(da tx_packets)" 1
expect_eq "1519-byte frame: mydev0 tx_bytes" "$(da tx_bytes)" 1519
expect_eq "1519-byte frame: mydev1 rx_length_errors" "$(db rx_length_errors)" 1
expect_eq "1519-byte frame: mydev1 rx_errors" "$(db rx_errors)" 1
expect_eq "1519-byte frame: mydev1 rx_packets" "$(db rx_packets)" 0
expect_ok ip link set v100 mtu 1500
expect_ok ip link set mydev0 mtu 1500

# ---- 3. TCP over VLAN 100
log "=== 3. TCP over VLAN 100 (t=${SECONDS}s)"
take0
tcp_run "TCP over VLAN 100" 10.1.0.2
take1
log "mydev0 tx +$(da tx_packets) frames, gso +$(da tx_gso_packets); mydev1 rx +$(db rx_packets), gro_merged +$(db rx_gro_merged)"
[ "$(da tx_gso_packets)" -gt 0 ] || fail "TCP over VLAN 100: no GSO frame crossed (tx_gso_packets +0)"
no_errors "TCP over VLAN 100"

# ---- 4. QinQ
log "=== 4. QinQ: 802.1ad 300, 802.1Q 400 inside (t=${SECONDS}s)"
vlan_pair s300 mydev0 10.3.0.1 10.3.0.2 proto 802.1ad id 300
vlan_pair q400 s300 10.4.0.1 10.4.0.2 id 400
expect_ok ip link set q400 mtu 1496
expect_ok ip -n "$NS" link set q400 mtu 1496
# The stack builds GSO frames on q400: what the driver segments.
ethtool -k q400 | grep -qx 'tcp-segmentation-offload: on' ||
	fail "q400 has no TSO: the QinQ GSO step would prove nothing"
take0
ping_count 3 10.4.0.2
take1
each_way "ping over QinQ" 3 $((3 * 106))
take0
ping_count 2 -M "do" -s 1468 10.4.0.2
take1
each_way "1518-byte QinQ frames" 2 $((2 * 1518))
take0
tcp_run "TCP over QinQ" 10.4.0.2
take1
log "mydev0 tx +$(da tx_packets) frames, gso +$(da tx_gso_packets); mydev1 rx +$(db rx_packets)"
expect_eq "TCP over QinQ: mydev0 tx_gso_packets (two tags: segmented before the driver)" \
	"$(da tx_gso_packets)" 0
no_errors "TCP over QinQ"

check_conservation 1519  # the bytes of the 1519-byte frame refused in step 2
