#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 33-poll-recheck: the poll looks at its ring again after
# napi_complete_done(). A producer that finds the NAPI still scheduled
# does not kick it (the poll empties the ring or looks again): a frame
# queued after the poll's last look and before it completed is delivered
# only by that second look. Without it, the frame waits for the next
# kick, and the last frame of a burst waits forever.
# The window is a few instructions; debugfs mynetdrv/poll_delay_us
# widens it: each poll about to complete busy-waits that long first.
# One channel (every frame in one ring), a UDP sink, IPv4 only; mydev1's
# NAPI threaded, its kthread on CPU 1, the sender on CPU 0: the poll and
# the producer run at once (a softirq poll would run on the sender's CPU,
# between its sends).
#  1. poll_delay_us 300; 10 rounds of 50 datagrams on one flow, each
#     round followed by silence: within 3 s mydev1 received everything
#     mydev0 sent (rx_packets == tx_packets growth), every round.
#  2. The window was hit: frames were queued while the NAPI was
#     scheduled and not kicked (tx_packets - tx_kicks - tx_kicks_deferred
#     - tx_xmit_more grew: frames the driver left to the poll).
#  3. poll_delay_us 0; exact conservation.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

require_cmd python3 taskset
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"
DELAY=$FAULTS/poll_delay_us

PAIR_IPV6=0
pair_setup
test_cleanup() {
	faults_clear
	kill "${SINK:-}" 2>/dev/null || true
}
faults_arm
udp_sink_start
expect_ok ethtool -L mydev0 combined 1
mydev1_napi_pin 2
settle
# shellcheck disable=SC2034 # used through d()'s namerefs
declare -A a0 a1 b0 b1

expect_fail sh -c "echo 1001 >$DELAY"
expect_eq "$DELAY after a refused 1001" "$(cat "$DELAY")" 0
echo 300 >"$DELAY"
snap a0 mydev0
snap b0 mydev1 "$NS"
rx1() { local v; read -r v <"$PEER_SYS/class/net/mydev1/statistics/rx_packets"; echo "$v"; }
tx0() { local v; read -r v </sys/class/net/mydev0/statistics/tx_packets; echo "$v"; }
all_in() { [ "$(rx1)" -ge $(($(tx0) - a0[tx_packets] + b0[rx_packets])) ]; }
for ((r = 1; r <= 10; r++)); do
	sent=$(taskset 1 python3 "$REPO/tests/udpflood.py" 50)
	[ "$sent" = 50 ] || fail "round $r: udpflood sent $sent"
	wait_for 3 all_in ||
		fail "round $r: mydev1 received $(($(rx1) - b0[rx_packets])) of the $(($(tx0) - a0[tx_packets])) frames mydev0 sent: frames left in the ring after the poll completed"
done
log "ok: 10 rounds of 50 datagrams, every frame delivered after each"
echo 0 >"$DELAY"
settle
snap a1 mydev0
snap b1 mydev1 "$NS"
d() { local -n _n=${1}1 _o=${1}0; echo $((_n[$2] - _o[$2])); }
# Every frame kicks, arms the timer, defers its kick to its burst's end
# (xmit_more), or finds the NAPI scheduled and leaves itself to the poll.
left=$(( $(d a tx_packets) - $(d a tx_kicks) - $(d a tx_kicks_deferred) - $(d a tx_xmit_more) ))
log "frames sent $(d a tx_packets), kicks $(d a tx_kicks), left to a scheduled poll $left, polls $(d b rx_polls)"
[ "$left" -gt 0 ] || fail "no frame was left to a scheduled poll: the window was never hit"
check_conservation
