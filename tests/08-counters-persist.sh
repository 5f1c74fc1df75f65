#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 08-counters-persist: counters survive down/up and netns moves.
# IPv6 off and permanent ARP, so nothing crosses the pair unless we send it.
#  - after some traffic, every stats64 and ethtool -S counter of both ends
#    is exactly unchanged while an end is down, after both went down, and
#    after both came back up (no traffic in between);
#  - moving mydev1 from netns "peer" to the init netns and back leaves
#    its counters exactly unchanged;
#  - traffic after that adds to the old values (never reset): 3 pings add
#    exactly 3 frames / 294 bytes each way, conservation stays exact;
#  - tx_kicks: one per lone frame (+3 for 3 pings), and at all times
#    kicks <= tx_packets + tx_dropped; rx_polls: one per lone frame too
#    (+3 each end), and per queue, mydev0's tx<i>_kicks growth == mydev1's
#    rx<i>_polls growth and the other way;
#  - the ethtool -S names are the same on both ends and across down/up.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

PAIR_IPV6=0
pair_setup
ping_count 3 "$ADDR_B"
ping_count 2 -s 3000 "$ADDR_B"
PING_NS=$NS ping_count 3 "$ADDR_A"
settle

# same_counters WHAT DEV NS ARR: every counter of DEV equals ARR's.
same_counters() {
	local -n _ref=$4
	local -A now
	local k
	snap now "$2" "$3"
	[ "${#now[@]}" = "${#_ref[@]}" ] ||
		fail "$1: $2 has ${#now[@]} counters, had ${#_ref[@]}"
	for k in "${!_ref[@]}"; do
		[ "${now[$k]:-missing}" = "${_ref[$k]}" ] ||
			fail "$1: $2 $k is ${now[$k]:-missing}, was ${_ref[$k]}"
	done
	log "ok: $1: all ${#now[@]} counters of $2 unchanged"
}
names() { ns_run "${2:-}" ethtool -S "$1" | tail -n +2 | cut -d: -f1 | tr -d ' ' | tr '\n' ' '; }

declare -A a b
snap a mydev0
snap b mydev1 "$NS"
[ "${a[tx_packets]}" -gt 0 ] || fail "no traffic counted"
[ "${b[rx_packets]}" -gt 0 ] || fail "no traffic counted"
names0=$(names mydev0)
log "ethtool -S names: $names0"
expect_eq "mydev1 ethtool -S names" "$(names mydev1 "$NS")" "$names0"

ip link set dev mydev0 down
same_counters "mydev0 down" mydev0 "" a
same_counters "mydev0 down" mydev1 "$NS" b
ip -n "$NS" link set dev mydev1 down
same_counters "both down" mydev0 "" a
same_counters "both down" mydev1 "$NS" b
expect_eq "mydev0 ethtool -S names while down" "$(names mydev0)" "$names0"
ip -n "$NS" link set dev mydev1 up
ip link set dev mydev0 up
wait_for 5 grep -qx 1 /sys/class/net/mydev0/carrier || fail "no carrier after up"
settle
same_counters "both up again" mydev0 "" a
same_counters "both up again" mydev1 "$NS" b

ip -n "$NS" link set dev mydev1 netns 1
same_counters "mydev1 moved to the init netns" mydev1 "" b
ip link set dev mydev1 netns "$NS"
same_counters "mydev1 moved back to netns $NS" mydev1 "$NS" b
# The move took mydev1 down and dropped its address and neighbour.
ip -n "$NS" addr add "$ADDR_B/24" dev mydev1
ip -n "$NS" link set dev mydev1 up
pair_neigh
wait_for 5 grep -qx 1 /sys/class/net/mydev0/carrier || fail "no carrier after the move"
settle
same_counters "mydev1 up again in netns $NS" mydev1 "$NS" b
same_counters "mydev1 up again in netns $NS" mydev0 "" a

ping_count 3 "$ADDR_B"
settle
declare -A a2 b2
snap a2 mydev0
snap b2 mydev1 "$NS"
expect_eq "mydev0 tx_packets after 3 more pings" "${a2[tx_packets]}" "$((a[tx_packets] + 3))"
expect_eq "mydev0 tx_bytes after 3 more pings" "${a2[tx_bytes]}" "$((a[tx_bytes] + 3 * 98))"
expect_eq "mydev1 rx_packets after 3 more pings" "${b2[rx_packets]}" "$((b[rx_packets] + 3))"
expect_eq "mydev1 tx_packets after 3 replies" "${b2[tx_packets]}" "$((b[tx_packets] + 3))"
expect_eq "mydev0 rx_bytes after 3 replies" "${a2[rx_bytes]}" "$((a[rx_bytes] + 3 * 98))"
expect_eq "mydev0 tx_kicks after 3 lone frames" "${a2[tx_kicks]}" "$((a[tx_kicks] + 3))"
expect_eq "mydev1 tx_kicks after 3 lone frames" "${b2[tx_kicks]}" "$((b[tx_kicks] + 3))"
# A lone frame's kick finds the NAPI idle: one poll takes it, completes
# and finds nothing more.
expect_eq "mydev1 rx_polls after 3 lone frames" "${b2[rx_polls]}" "$((b[rx_polls] + 3))"
expect_eq "mydev0 rx_polls after 3 lone replies" "${a2[rx_polls]}" "$((a[rx_polls] + 3))"
# Per queue: TX queue i of one end kicks ring i of the other, whose NAPI
# counts the polls: two devices' counters, each queue's own.
grown() { # ARR_BEFORE ARR_AFTER COUNTER
	local -n _b=$1 _a=$2
	echo $((_a[$3] - _b[$3]))
}
for ((q = 0; q < $(cur_channels mydev0); q++)); do
	expect_eq "mydev0 tx${q}_kicks growth == mydev1 rx${q}_polls growth" \
		"$(grown a a2 "tx${q}_kicks")" "$(grown b b2 "rx${q}_polls")"
	expect_eq "mydev1 tx${q}_kicks growth == mydev0 rx${q}_polls growth" \
		"$(grown b b2 "tx${q}_kicks")" "$(grown a a2 "rx${q}_polls")"
done
for end in a2 b2; do
	declare -n s=$end
	log "$end: tx_packets ${s[tx_packets]} tx_dropped ${s[tx_dropped]} tx_kicks ${s[tx_kicks]} rx_packets ${s[rx_packets]} rx_polls ${s[rx_polls]}"
	[ "${s[tx_kicks]}" -le "$((s[tx_packets] + s[tx_dropped]))" ] ||
		fail "$end: tx_kicks ${s[tx_kicks]} > tx_packets + tx_dropped"
	[ "${s[rx_polls]}" -gt 0 ] || fail "$end: rx_polls is 0"
	unset -n s
done
check_conservation
check_tx_dropped_sum mydev0
check_tx_dropped_sum mydev1 "$NS"
