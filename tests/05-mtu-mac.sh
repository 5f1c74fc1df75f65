#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 05-mtu-mac: MTU bounds, receive length errors and MAC changes.
#  - MTU: 67 and 9001 are rejected (non-zero exit, the extack message
#    "mtu less/greater than device minimum/maximum"), the MTU unchanged;
#    68 and 9000 are accepted.
#  - mydev0 MTU 9000, mydev1 MTU 1500: frames up to 1500+14+4 = 1518 bytes
#    are received, one byte more is dropped and counted in mydev1's
#    rx_length_errors and rx_errors; 3 pings of 8000 bytes (-M do) give
#    exactly 3 length errors and no reply. Conservation stays exact,
#    packets and bytes (the dropped frames' bytes accounted for).
#  - both MTU 9000: the same jumbo ping succeeds, exactly 1 frame of 8042
#    bytes each way per ping.
#  - MAC: a valid unicast MAC is accepted while up, `ip link` shows it and
#    the peer learns it by ARP (traffic works); multicast, broadcast and
#    all-zero MACs are rejected (EADDRNOTAVAIL) and change nothing.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

PAIR_IPV6=0
pair_setup
mtu() { local v; read -r v <"$(_sysdir "$1" "${2:-}")/mtu"; echo "$v"; }

# ---- MTU bounds
mtu_reject() { # DEV NS VALUE MSG_RE
	local before out rc=0
	before=$(mtu "$1" "$2")
	out=$(ns_run "$2" ip link set dev "$1" mtu "$3" 2>&1) || rc=$?
	log "ip link set dev $1 mtu $3: exit $rc: $out"
	[ "$rc" -ne 0 ] || fail "MTU $3 accepted on $1"
	grep -qE "$4" <<<"$out" || fail "MTU $3: message '$out' does not match '$4'"
	expect_eq "$1 MTU after rejected $3" "$(mtu "$1" "$2")" "$before"
}
mtu_accept() { # DEV NS VALUE
	expect_ok ns_run "$2" ip link set dev "$1" mtu "$3"
	expect_eq "$1 MTU" "$(mtu "$1" "$2")" "$3"
}
mtu_reject mydev0 "" 67 'Error: mtu less than device minimum'
mtu_accept mydev0 "" 68
mtu_reject mydev0 "" 67 'Error: mtu less than device minimum'
mtu_accept mydev0 "" 9000
mtu_reject mydev0 "" 9001 'Error: mtu greater than device maximum'
mtu_reject mydev1 "$NS" 9001 'Error: mtu greater than device maximum'
mtu_reject mydev1 "$NS" 0 'Error: mtu less than device minimum'
expect_eq "mydev1 MTU" "$(mtu mydev1 "$NS")" 1500
# MTU 68 < 1280 dropped mydev0's IPv6 state, and 9000 brought it back with
# the default settings: silence it again so only our frames cross.
_pair_quiet mydev0
settle

# ---- length errors: mydev0 MTU 9000 sends to mydev1 MTU 1500
declare -A a0 b0 a1 b1
dropped_bytes=0
# A ping of S data bytes is an S+42-byte frame (14 Ethernet, 20 IP, 8 ICMP).
# send_len S EXPECT_REPLIES: one ping, returns after counters settled.
ping_len() {
	local s=$1 n=$2
	snap a0 mydev0
	snap b0 mydev1 "$NS"
	ping -c 1 -W 1 -M "do" -s "$s" "$ADDR_B" >/dev/null 2>&1 || true
	settle
	snap a1 mydev0
	snap b1 mydev1 "$NS"
	expect_eq "frame of $((s + 42)) bytes: mydev0 tx_bytes" "$((a1[tx_bytes] - a0[tx_bytes]))" "$((s + 42))"
	expect_eq "frame of $((s + 42)) bytes: mydev1 rx_packets" \
		"$((b1[rx_packets] - b0[rx_packets]))" "$n"
	expect_eq "frame of $((s + 42)) bytes: mydev1 rx_length_errors" \
		"$((b1[rx_length_errors] - b0[rx_length_errors]))" "$((1 - n))"
	expect_eq "frame of $((s + 42)) bytes: mydev1 rx_errors" \
		"$((b1[rx_errors] - b0[rx_errors]))" "$((1 - n))"
	[ "$n" = 1 ] || dropped_bytes=$((dropped_bytes + s + 42))
}
ping_len 1476 1	# 1518 bytes: MTU + 14 + 4, the largest accepted
ping_len 1477 0	# 1519 bytes: one too many
check_conservation "$dropped_bytes"

snap a0 mydev0
snap b0 mydev1 "$NS"
out=$(ping -c 3 -i 0.2 -W 1 -M "do" -s 8000 "$ADDR_B" 2>&1) || true
grep -q ' 0 received' <<<"$out" || fail "jumbo ping to MTU 1500 receiver got replies: $out"
settle
snap a1 mydev0
snap b1 mydev1 "$NS"
expect_eq "mydev0 tx_packets for 3 jumbo pings" "$((a1[tx_packets] - a0[tx_packets]))" 3
expect_eq "mydev0 tx_bytes for 3 jumbo pings" "$((a1[tx_bytes] - a0[tx_bytes]))" $((3 * 8042))
expect_eq "mydev1 rx_length_errors for 3 jumbo pings" "$((b1[rx_length_errors] - b0[rx_length_errors]))" 3
expect_eq "mydev1 rx_errors for 3 jumbo pings" "$((b1[rx_errors] - b0[rx_errors]))" 3
expect_eq "mydev1 rx_packets for 3 jumbo pings" "$((b1[rx_packets] - b0[rx_packets]))" 0
expect_eq "mydev1 rx_dropped" "${b1[rx_dropped]}" 0
dropped_bytes=$((dropped_bytes + 3 * 8042))
check_conservation "$dropped_bytes"

# ---- jumbo frames both ways
mtu_accept mydev1 "$NS" 9000
snap a0 mydev0
snap b0 mydev1 "$NS"
ping_count 3 -M "do" -s 8000 "$ADDR_B"
settle
snap a1 mydev0
snap b1 mydev1 "$NS"
expect_eq "mydev0 tx_bytes, 3 jumbo pings" "$((a1[tx_bytes] - a0[tx_bytes]))" $((3 * 8042))
expect_eq "mydev1 rx_packets, 3 jumbo pings" "$((b1[rx_packets] - b0[rx_packets]))" 3
expect_eq "mydev1 tx_bytes, 3 jumbo replies" "$((b1[tx_bytes] - b0[tx_bytes]))" $((3 * 8042))
expect_eq "mydev0 rx_packets, 3 jumbo replies" "$((a1[rx_packets] - a0[rx_packets]))" 3
expect_eq "mydev1 rx_length_errors unchanged" "${b1[rx_length_errors]}" "${b0[rx_length_errors]}"
check_conservation "$dropped_bytes"

# ---- MAC address
mac0=$(mac_of mydev0)
mac_reject() { # MAC
	local out rc=0
	out=$(ip link set dev mydev0 address "$1" 2>&1) || rc=$?
	log "ip link set dev mydev0 address $1: exit $rc: $out"
	[ "$rc" -ne 0 ] || fail "MAC $1 accepted"
	grep -q 'Cannot assign requested address' <<<"$out" ||
		fail "MAC $1: expected EADDRNOTAVAIL, got: $out"
	expect_eq "mydev0 MAC after rejected $1" "$(mac_of mydev0)" "$mac0"
}
mac_reject 01:00:5e:00:00:01
mac_reject 03:11:22:33:44:55
mac_reject ff:ff:ff:ff:ff:ff
mac_reject 00:00:00:00:00:00

new=02:00:00:aa:bb:01
[ "$mac0" != "$new" ] || new=02:00:00:aa:bb:02
expect_ok ip link set dev mydev0 address "$new"
expect_eq "mydev0 MAC (sysfs)" "$(mac_of mydev0)" "$new"
expect_eq "mydev0 MAC (ip -j link)" "$(ip -j link show dev mydev0 | jq -r '.[0].address')" "$new"
expect_eq "mydev0 still up" "$(cat /sys/class/net/mydev0/operstate)" up
# Let the peer learn the new MAC by ARP, then talk.
ip -n "$NS" neigh del "$ADDR_A" dev mydev1
ping_count 3 "$ADDR_B"
expect_eq "peer's ARP entry for $ADDR_A" \
	"$(ip -n "$NS" -j neigh show "$ADDR_A" dev mydev1 | jq -r '.[0].lladdr')" "$new"
settle
check_conservation "$dropped_bytes"
