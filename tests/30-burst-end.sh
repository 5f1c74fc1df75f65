#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 30-burst-end: a frame dropped at the end of an xmit_more burst still
# raises the RX interrupt the burst's earlier frames were waiting for.
# The core passes a burst to ndo_start_xmit with xmit_more set on every
# frame but the last, which alone kicks the peer's NAPI; if the driver
# drops that last frame without the kick, the others sit in the peer's
# ring until the queue sends again (the queue is not stopped, so the TX
# watchdog never looks).
# A burst: mydev0 does not segment UDP (ethtool -K tx-udp-segmentation
# off), so one UDP_SEGMENT send of 8 x 100 bytes is segmented by the
# core into 8 frames of 142 bytes handed over as one burst. A drop:
# debugfs mynetdrv/xmit_fail_nth N drops the N-th frame sent from then
# on as if no memory was left (tx_drop_nomem).
#  1. The knob alone: xmit_fail_nth 1, one ping: tx_drop_nomem +1, no
#     reply; xmit_fail_nth reads 0 after; the next ping is answered.
#  2. A whole burst: tx_packets +8, tx_xmit_more +7, tx_kicks +1;
#     mydev1 rx_packets +8.
#  3. The burst's last frame dropped (xmit_fail_nth 8): tx_drop_nomem +1,
#     tx_packets +7, tx_xmit_more +7, tx_kicks +1 (the drop's kick), and
#     mydev1 receives the 7 within 3 s, with no other frame sent.
#  4. The burst's first frame dropped (xmit_fail_nth 1): the other 7 are
#     sent and kicked as usual. Exact conservation at the end.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

require_cmd python3 ping ethtool
SEG=100
FRAME=$((SEG + 8 + 20 + 14))
NTH=$FAULTS/xmit_fail_nth

PAIR_IPV6=0
pair_setup
test_cleanup() {
	faults_clear
	kill "${SINK:-}" 2>/dev/null || true
}
faults_arm
expect_ok ethtool -K mydev0 tx-udp-segmentation off
udp_sink_start
settle

# burst: one UDP_SEGMENT send of 8 segments of $SEG bytes to mydev1.
burst() {
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_UDP, 103, int(sys.argv[2]))  # UDP_SEGMENT
s.sendto(b"x" * (8 * int(sys.argv[2])), (sys.argv[1], 9))' "$ADDR_B" "$SEG" ||
		fail "UDP_SEGMENT send failed"
}
# shellcheck disable=SC2034 # read by delta() through namerefs
declare -A a0 b0 a1 b1
# delta ARR1 ARR0 KEY: ARR1[KEY] - ARR0[KEY].
delta() {
	local -n _d1=$1 _d0=$2
	echo $((_d1[$3] - _d0[$3]))
}
rx1() { local v; read -r v <"$PEER_SYS/class/net/mydev1/statistics/rx_packets"; echo "$v"; }

log "=== 1. the knob alone (at ${SECONDS}s)"
snap a0 mydev0
echo 1 >"$NTH"
if ping -c 1 -W 1 "$ADDR_B" >/dev/null 2>&1; then
	fail "a ping was answered although xmit_fail_nth 1 dropped it"
fi
snap a1 mydev0
expect_eq "mydev0 tx_drop_nomem growth" "$(delta a1 a0 tx_drop_nomem)" 1
expect_eq "mydev0 tx_packets growth" "$(delta a1 a0 tx_packets)" 0
expect_eq "$NTH after it fired" "$(cat "$NTH")" 0
ping_count 1 "$ADDR_B"
settle

log "=== 2. a whole burst (at ${SECONDS}s)"
snap a0 mydev0
snap b0 mydev1 "$NS"
burst
settle
snap a1 mydev0
snap b1 mydev1 "$NS"
expect_eq "mydev0 tx_packets, tx_bytes growth" \
	"$(delta a1 a0 tx_packets) $(delta a1 a0 tx_bytes)" "8 $((8 * FRAME))"
expect_eq "mydev0 tx_xmit_more, tx_kicks growth" \
	"$(delta a1 a0 tx_xmit_more) $(delta a1 a0 tx_kicks)" "7 1"
expect_eq "mydev1 rx_packets growth" "$(delta b1 b0 rx_packets)" 8

log "=== 3. the burst's last frame dropped (at ${SECONDS}s)"
snap a0 mydev0
snap b0 mydev1 "$NS"
echo 8 >"$NTH"
burst
got_7() { [ "$(rx1)" -ge $((b0[rx_packets] + 7)) ]; }
wait_for 3 got_7 ||
	fail "mydev1 got $(($(rx1) - b0[rx_packets])) of the 7 frames in 3 s: the burst's kick was lost"
settle
snap a1 mydev0
snap b1 mydev1 "$NS"
expect_eq "mydev0 tx_drop_nomem, tx_packets, tx_xmit_more, tx_kicks growth" \
	"$(delta a1 a0 tx_drop_nomem) $(delta a1 a0 tx_packets) $(delta a1 a0 tx_xmit_more) $(delta a1 a0 tx_kicks)" \
	"1 7 7 1"
expect_eq "mydev1 rx_packets growth" "$(delta b1 b0 rx_packets)" 7

log "=== 4. the burst's first frame dropped (at ${SECONDS}s)"
snap a0 mydev0
snap b0 mydev1 "$NS"
echo 1 >"$NTH"
burst
settle
snap a1 mydev0
snap b1 mydev1 "$NS"
expect_eq "mydev0 tx_drop_nomem, tx_packets, tx_xmit_more, tx_kicks growth" \
	"$(delta a1 a0 tx_drop_nomem) $(delta a1 a0 tx_packets) $(delta a1 a0 tx_xmit_more) $(delta a1 a0 tx_kicks)" \
	"1 7 6 1"
expect_eq "mydev1 rx_packets growth" "$(delta b1 b0 rx_packets)" 7
check_tx_dropped_sum mydev0
check_conservation
