#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 32-open-full-ring: a device opened while its ring at the peer is still
# full runs its TX queues under noqueue.
# At open a TX queue whose ring at the peer is full stays stopped only if
# a qdisc will hold its frames until the ring's NAPI wakes it; under
# noqueue the core drops every frame a stopped queue meets, with "Virtual
# device ... asks to queue packet!", so the queue must run and the driver
# drop (and count) what finds the ring full.
#  1. One channel; mydev0 on noqueue, every RX interrupt lost (debugfs
#     mynetdrv/lose_kicks): 400 datagrams fill mydev1's 256-slot ring
#     (tx_packets +256, tx_drop_ring_full +144, no poll on mydev1).
#  2. mydev0 down and up (mydev1's ring keeps its 256 frames): 10
#     datagrams reach the driver and are dropped there: tx_drop_ring_full
#     +10, and the kernel log has no "asks to queue packet" (the log scan
#     fails the test on it).
#  3. Interrupts back: one more datagram (dropped on the full ring, it
#     kicks the NAPI, which drains the ring), then 3 pings answered; exact
#     conservation.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

require_cmd python3 ping tc
LOSE=$FAULTS/lose_kicks

PAIR_IPV6=0
pair_setup
test_cleanup() {
	faults_clear
	kill "${SINK:-}" 2>/dev/null || true
}
faults_arm
udp_sink_start
# One channel: each sender process gets a new socket hash, so with more
# queues the datagrams of steps 2 and 3 could take a queue whose ring
# step 1 did not fill.
expect_ok ethtool -L mydev0 combined 1
expect_ok tc qdisc replace dev mydev0 root noqueue
settle
UDP=(python3 "$REPO/tests/udpflood.py" --sndbuf)
declare -A a0 a1 b0 b1

log "=== 1. fill mydev1's ring with every interrupt lost (at ${SECONDS}s)"
snap a0 mydev0
snap b0 mydev1 "$NS"
echo 1000000 >"$LOSE"
expect_eq "datagrams sent" "$("${UDP[@]}" 400)" 400
snap a1 mydev0
snap b1 mydev1 "$NS"
expect_eq "mydev0 tx_packets, tx_drop_ring_full growth; mydev1 rx_polls growth" \
	"$((a1[tx_packets] - a0[tx_packets])) $((a1[tx_drop_ring_full] - a0[tx_drop_ring_full])) $((b1[rx_polls] - b0[rx_polls]))" \
	"256 144 0"

log "=== 2. down and up with the ring full (at ${SECONDS}s)"
expect_ok ip link set mydev0 down
expect_ok ip link set mydev0 up
wait_for 5 grep -qx 1 /sys/class/net/mydev0/carrier || fail "mydev0: no carrier"
pair_neigh
expect_eq "mydev0 root qdisc" "$(tc qdisc show dev mydev0 root | cut -d' ' -f2)" noqueue
snap a0 mydev0
expect_eq "datagrams sent" "$("${UDP[@]}" 10)" 10
snap a1 mydev0
expect_eq "mydev0 tx_drop_ring_full, tx_dropped growth" \
	"$((a1[tx_drop_ring_full] - a0[tx_drop_ring_full])) $((a1[tx_dropped] - a0[tx_dropped]))" \
	"10 10"

log "=== 3. interrupts back (at ${SECONDS}s)"
echo 0 >"$LOSE"
expect_eq "datagrams sent" "$("${UDP[@]}" 1)" 1
settle
ping_count 3 "$ADDR_B"
settle
check_tx_dropped_sum mydev0
check_conservation
