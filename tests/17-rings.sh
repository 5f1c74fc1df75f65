#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 17-rings: ethtool -g / -G (RX ring size), live, exact conservation.
# IPv4 only, permanent ARP, a UDP sink on 10.0.0.2:9 (no ICMP back): the
# pair carries nothing but the test's 98-byte frames (56-byte UDP payload
# or a default ping), so the bytes of purged frames are 98 each.
#  1. Defaults on both ends: RX max 4096, current 256; TX none (n/a or 0),
#     RX mini/jumbo none.
#  2. Live under traffic from mydev0 (UDP flood + ping -f): mydev1 rx
#     1024, then 64 (both with rx-usecs 300 on mydev1: its moderation
#     timer is armed while its rings are replaced), then 256 (moderation
#     off again, live), traffic flowing after each; mydev0 stays
#     256; afterwards exact conservation, purged frames in rx_dropped ==
#     rx_drop_purged and rx_drop_purged_bytes == 98 * rx_drop_purged, and
#     the flood's numbered datagrams arrived in order (a resize keeps
#     order; udpflood.py --seq, tests/udpseq.py).
#  3. mydev1 down, rx 512, up: 512 kept (and the ring really holds 512
#     frames, step 5).
#  4. Bad input: rx 1000, rx 32, rx 0, rx 8192, tx 512 fail and change
#     nothing on either end.
#  5. A full ring shrinks: with mydev0 on noqueue and every RX interrupt
#     lost (debugfs mynetdrv/lose_kicks), 600 frames: exactly 512 enter
#     mydev1's ring, 88 are tx_drop_ring_full, nothing is polled; rx 64
#     purges exactly 512 - 64 frames (rx_drop_purged, and 98 bytes each
#     in rx_drop_purged_bytes); growing to 256
#     purges nothing; once interrupts flow again the 64 kept frames are
#     delivered, and they are datagrams 0..63 in order (numbered by
#     udpflood.py --seq, checked by tests/udpseq.py): exact conservation.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

require_cmd python3 ping tc
FRAME=98	# 14 Ethernet + 20 IP + 8 UDP/ICMP + 56 payload

PAIR_IPV6=0
pair_setup

# rings DEV [NETNS]: "max-rx max-mini max-jumbo max-tx cur-rx cur-mini
# cur-jumbo cur-tx" from ethtool -g (n/a printed as 0).
rings() {
	local out k v res=()
	out=$(ns_run "${2:-}" ethtool -g "$1") || fail "ethtool -g $1 failed"
	while IFS=: read -r k v; do
		case $k in
		RX|"RX Mini"|"RX Jumbo"|TX)
			v=${v//[[:space:]]/}
			[ "$v" = n/a ] && v=0
			res+=("$v") ;;
		esac
	done <<<"$out"
	echo "${res[*]}"
}
# expect_rings CUR0 CUR1: current RX ring of mydev0 and mydev1.
expect_rings() {
	expect_eq "mydev0 ethtool -g" "$(rings mydev0)" "4096 0 0 0 $1 0 0 0"
	expect_eq "mydev1 ethtool -g" "$(rings mydev1 "$NS")" "4096 0 0 0 $2 0 0 0"
}

UDP=(python3 "$REPO/tests/udpflood.py" --sndbuf)
udp_sink_start
BG=()
test_cleanup() {
	local p
	faults_clear
	for p in "${BG[@]}" "$SINK" "${SEQ_SINK:-}"; do
		kill "$p" 2>/dev/null || true
	done
}
# ---- 1. defaults
log "=== 1. defaults (at ${SECONDS}s)"
expect_rings 256 256

# ---- 2. live resize under traffic
log "=== 2. live resize under traffic (at ${SECONDS}s)"
rx1() { local v; read -r v <"$PEER_SYS/class/net/mydev1/statistics/rx_packets"; echo "$v"; }
rx0() { local v; read -r v </sys/class/net/mydev0/statistics/rx_packets; echo "$v"; }
traffic_flows() { [ "$(rx1)" -ge $(($1 + 200)) ] && [ "$(rx0)" -ge $(($2 + 20)) ]; }
# Until killed after the resizes: a deadline only in case the test dies.
# (40 s, x4 on the debug kernel, ran out there once before the last
# resize, with other guests on the cores: "traffic stopped".)
LAST=$((120 * ${LAB_TIMEOUT_SCALE:-1}))
T_TRAFFIC=$SECONDS
SEQF=/tmp/17-seq.txt
seq_sink_start 9999 "$SEQF"
# Numbered datagrams (one flow) to the order checker; the sink on port 9
# keeps the frame size of every datagram 98 bytes.
"${UDP[@]}" --seq --port 9999 -"$LAST" >/tmp/udp.out &
BG+=($!)
ping -f -q -w "$LAST" "$ADDR_B" >/dev/null 2>&1 &
BG+=($!)
wait_for 20 traffic_flows "$(rx1)" "$(rx0)" || fail "no traffic before the resizes"
# Interrupt moderation on mydev1 for 1024 and 64 (rings replaced with
# a timer armed), switched off live for 256.
expect_ok in_ns "$NS" ethtool -C mydev1 rx-usecs 300 rx-frames 0
for n in 1024 64 256; do
	if [ $n = 256 ]; then
		expect_ok in_ns "$NS" ethtool -C mydev1 rx-usecs 0 rx-frames 1
	fi
	expect_ok in_ns "$NS" ethtool -G mydev1 rx $n
	expect_rings 256 $n
	wait_for 20 traffic_flows "$(rx1)" "$(rx0)" ||
		fail "traffic stopped after rx $n (senders started $((SECONDS - T_TRAFFIC)) s ago, for $LAST s)"
	log "ok: traffic flows with a $n-slot ring"
done
bg_stop
settle
# A resize moves a ring's frames into the new one in order: whatever the
# resizes purged, the flow arrived in order.
seq_check "$SEQF" "one flow across three live resizes"
declare -A a b
snap a mydev0
snap b mydev1 "$NS"
log "purged by the resizes: mydev1 ${b[rx_drop_purged]}, mydev0 ${a[rx_drop_purged]}"
expect_eq "mydev1 rx_dropped == rx_drop_purged" "${b[rx_dropped]}" "${b[rx_drop_purged]}"
expect_eq "mydev0 rx_drop_purged (its ring never changed)" "${a[rx_drop_purged]}" 0
expect_eq "mydev1 rx_drop_purged_bytes == $FRAME * rx_drop_purged" \
	"${b[rx_drop_purged_bytes]}" "$((b[rx_drop_purged] * FRAME))"
check_tx_dropped_sum mydev0
check_conservation

# ---- 3. resize while down
log "=== 3. resize while down (at ${SECONDS}s)"
expect_ok ip -n "$NS" link set mydev1 down
expect_ok in_ns "$NS" ethtool -G mydev1 rx 512
expect_rings 256 512
expect_ok ip -n "$NS" link set mydev1 up
wait_for 5 grep -qx 1 /sys/class/net/mydev0/carrier || fail "no carrier after up"
expect_rings 256 512
pair_neigh
ping_count 3 "$ADDR_B"

# ---- 4. bad input
log "=== 4. bad input (at ${SECONDS}s)"
for args in "rx 1000" "rx 32" "rx 0" "rx 8192" "tx 512"; do
	# shellcheck disable=SC2086 # word splitting wanted
	expect_fail in_ns "$NS" ethtool -G mydev1 $args
	expect_rings 256 512
done
expect_fail ethtool -G mydev0 rx 100
expect_rings 256 512
ping_count 3 "$ADDR_B"

# ---- 5. shrink a full ring
log "=== 5. shrink a full ring (at ${SECONDS}s)"
faults_arm
expect_ok tc qdisc replace dev mydev0 root noqueue
settle
# shellcheck disable=SC2034 # used through d()'s namerefs
declare -A a0 b0 a1 b1
# in_ring: frames sent by mydev0 since take0 and not yet received,
# dropped or purged by mydev1 (the ring was empty at take0).
take0() { snap a0 mydev0; snap b0 mydev1 "$NS"; }
d() { local -n _n=${1}1 _o=${1}0; echo $((_n[$2] - _o[$2])); }
in_ring() { echo $(( $(d a tx_packets) - $(d b rx_packets) - $(d b rx_dropped) )); }
seq_sink_start 9999 "$SEQF"
take0
echo 1000000 >"$FAULTS/lose_kicks"
sent=$("${UDP[@]}" --seq --port 9999 600)
snap a1 mydev0
snap b1 mydev1 "$NS"
log "600 sent with interrupts lost: tx +$(d a tx_packets), ring full +$(d a tx_drop_ring_full), mydev1 rx +$(d b rx_packets), polls +$(d b rx_polls)"
expect_eq "datagrams sent" "$sent" 600
expect_eq "mydev1 rx_polls growth (no interrupt)" "$(d b rx_polls)" 0
expect_eq "frames in mydev1's 512-slot ring" "$(in_ring)" 512
expect_eq "mydev0 tx_drop_ring_full growth" "$(d a tx_drop_ring_full)" 88
expect_ok in_ns "$NS" ethtool -G mydev1 rx 64
expect_rings 256 64
snap a1 mydev0
snap b1 mydev1 "$NS"
expect_eq "mydev1 rx_drop_purged growth on shrinking 512 -> 64" "$(d b rx_drop_purged)" 448
expect_eq "mydev1 rx_dropped growth" "$(d b rx_dropped)" 448
expect_eq "mydev1 rx_drop_purged_bytes growth" "$(d b rx_drop_purged_bytes)" $((448 * FRAME))
log "after the shrink: $(in_ring) frames in the ring, $(d b rx_packets) delivered"
expect_eq "frames in the ring + delivered after the shrink" "$(( $(in_ring) + $(d b rx_packets) ))" 64
expect_ok in_ns "$NS" ethtool -G mydev1 rx 256
expect_rings 256 256
snap a1 mydev0
snap b1 mydev1 "$NS"
expect_eq "mydev1 rx_drop_purged growth after growing 64 -> 256" "$(d b rx_drop_purged)" 448
echo 0 >"$FAULTS/lose_kicks"
ping_count 3 "$ADDR_B"
settle
snap a1 mydev0
snap b1 mydev1 "$NS"
expect_eq "mydev1 rx_packets growth (64 kept + 3 pings)" "$(d b rx_packets)" 67
# Which 64: the oldest, in order (the move keeps the ring's head first).
seq_check "$SEQF" "the 64 frames kept by the shrink"
expect_eq "the datagrams delivered after the shrink" \
	"$(awk '{ print $2 }' "$SEQF" | paste -sd' ')" "$(seq 0 63 | paste -sd' ')"
expect_eq "mydev1 rx_dropped == rx_drop_purged" "${b1[rx_dropped]}" "${b1[rx_drop_purged]}"
check_tx_dropped_sum mydev0
expect_eq "mydev1 rx_drop_purged_bytes == $FRAME * rx_drop_purged" \
	"${b1[rx_drop_purged_bytes]}" "$((b1[rx_drop_purged] * FRAME))"
check_conservation
