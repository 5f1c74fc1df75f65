#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 07-backpressure: queue stop/wake, ring-full and peer-down drops.
# mydev1's NAPI is made slow on purpose (threaded NAPI, its kthread pinned
# to CPU 0 at SCHED_IDLE) while the senders run on CPU 0, so the 256-slot
# ring really fills. 60-byte UDP frames to 10.0.0.2:9, IPv4 only,
# permanent ARP: mydev0 sends nothing but the flood.
#  1. Under the default qdisc (mq + children), a python UDP flood of N
#     frames: frames reaching the driver + qdisc drops == N exactly;
#     tx_drop_ring_full stays 0; tx_queue_stops > 0 and mydev1's
#     rx_peer_queue_wakes == tx_queue_stops (every stop woken).
#     Then the wake threshold: with mydev1's ring at 1024 slots, whose
#     NAPI frees at most 64 (its budget) per poll, a stopped queue is
#     woken (or restarts itself) only once 256 slots, a quarter, are
#     free: so between two stops at least 256 frames entered the ring,
#     tx_packets >= 256 * tx_queue_stops. Waking at the first free slot
#     would stop about once per poll, every 64 frames.
#  2. With `tc qdisc replace dev mydev0 root noqueue`: pktgen (start_xmit)
#     and a python flood of N frames each: tx_packets + tx_drop_ring_full
#     == N exactly, ring-full drops > 0, no queue stop.
#  3. Peer down under flood (qdisc and noqueue): mydev1 goes down and up
#     while a flood runs (2 to 6 times, until a down purged frames);
#     afterwards tx_packets == peer rx_packets +
#     rx_dropped + rx_errors, tx_bytes == peer rx_bytes + the purged bytes
#     (60 per flood frame, 42 per ARP frame caught in the ring),
#     tx_dropped == the sum of the drop reasons (plus, on Linux >= 6.11,
#     what the noop qdisc dropped while the carrier was off); frames were
#     purged (else no down caught the ring full, and this proved little).
# Conservation is checked exactly after each step, and a ping at the end
# proves no queue is left stopped.
# TIMEOUT: 180
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

require_cmd python3 taskset chrt tc
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"
FRAME=60	# 14 Ethernet + 20 IP + 8 UDP + 18 data
ARP_FRAME=42	# an ARP request or reply, 14 + 28

# check_purged_bytes: the bytes of the frames mydev1 purged (after take1).
# The flood's frames are FRAME bytes, but a flap also flushes the
# neighbours, so an ARP frame (ARP_FRAME) can be caught in the ring too.
# Exact: rx_drop_purged_bytes must be a mix of exactly rx_dropped frames
# of those two sizes.
check_purged_bytes() {
	local n=${b1[rx_dropped]} diff arp
	diff=${b1[rx_drop_purged_bytes]}
	arp=$(( (n * FRAME - diff) / (FRAME - ARP_FRAME) ))
	if [ $((arp * ARP_FRAME + (n - arp) * FRAME)) -ne "$diff" ] ||
	   [ "$arp" -lt 0 ] || [ "$arp" -gt "$n" ]; then
		fail "mydev1 rx_drop_purged_bytes = $diff is not $n purged frames of $FRAME or $ARP_FRAME bytes"
	fi
	log "purged: $n frames, $diff bytes, $arp of them ARP"
}
N=10000

PAIR_IPV6=0
pair_setup

FLOOD=(python3 "$REPO/tests/udpflood.py" --size 18 --sndbuf)

# Slow down mydev1's NAPI: its kthreads pinned to CPU 0 at SCHED_IDLE.
slow_napi() { mydev1_napi_pin 1 idle; }
qdisc_drops() {
	tc -s -j qdisc show dev mydev0 root | jq -r '.[0].drops'
}

# shellcheck disable=SC2034 # used through delta()'s namerefs
declare -A a0 b0 a1 b1
delta() { # a|b COUNTER: its growth between take0 and take1
	local -n _new=${1}1 _old=${1}0
	echo $((_new[$2] - _old[$2]))
}
take0() { snap a0 mydev0; snap b0 mydev1 "$NS"; }
take1() { settle; snap a1 mydev0; snap b1 mydev1 "$NS"; }

slow_napi

# ---- 1. under the default qdisc
log "=== qdisc $(tc qdisc show dev mydev0 root | head -n1)"
take0
qd0=$(qdisc_drops)
sent=$(taskset 1 "${FLOOD[@]}" "$N")
take1
qd=$(( $(qdisc_drops) - qd0 ))
log "python sent $sent; driver got $(delta a tx_packets), qdisc dropped $qd"
log "tx_queue_stops +$(delta a tx_queue_stops), peer wakes +$(delta b rx_peer_queue_wakes), kicks +$(delta a tx_kicks), peer polls +$(delta b rx_polls)"
expect_eq "frames sent" "$sent" "$N"
expect_eq "tx_packets + qdisc drops" "$(( $(delta a tx_packets) + qd ))" "$N"
expect_eq "tx_bytes" "$(delta a tx_bytes)" "$(( $(delta a tx_packets) * FRAME ))"
expect_eq "tx_drop_ring_full under a qdisc" "$(delta a tx_drop_ring_full)" 0
expect_eq "tx_dropped under a qdisc" "$(delta a tx_dropped)" 0
[ "$(delta a tx_queue_stops)" -gt 0 ] || fail "the ring never filled: no tx_queue_stops"
expect_eq "peer's rx_peer_queue_wakes == tx_queue_stops" \
	"$(delta b rx_peer_queue_wakes)" "$(delta a tx_queue_stops)"
check_conservation

# The wake threshold, on a ring four times the NAPI budget.
RING=1024
expect_ok ip netns exec "$NS" ethtool -G mydev1 rx "$RING"
slow_napi
take0
sent=$(taskset 1 "${FLOOD[@]}" "$N")
take1
expect_eq "ring $RING: frames sent" "$sent" "$N"
log "ring $RING: tx_packets +$(delta a tx_packets), tx_queue_stops +$(delta a tx_queue_stops)," \
	"peer wakes +$(delta b rx_peer_queue_wakes), peer polls +$(delta b rx_polls)"
[ "$(delta a tx_queue_stops)" -gt 1 ] ||
	fail "ring $RING: the queue stopped $(delta a tx_queue_stops) times, expected > 1"
[ "$(delta a tx_packets)" -ge $(( $(delta a tx_queue_stops) * RING / 4 )) ] ||
	fail "ring $RING: $(delta a tx_packets) frames for $(delta a tx_queue_stops) stops: fewer than $((RING / 4)) per stop, woken below a quarter ring"
expect_eq "ring $RING: peer's rx_peer_queue_wakes == tx_queue_stops" \
	"$(delta b rx_peer_queue_wakes)" "$(delta a tx_queue_stops)"
expect_eq "ring $RING: tx_drop_ring_full under a qdisc" "$(delta a tx_drop_ring_full)" 0
check_conservation
expect_ok ip netns exec "$NS" ethtool -G mydev1 rx 256
slow_napi

# ---- 2. noqueue
expect_ok tc qdisc replace dev mydev0 root noqueue
log "=== qdisc $(tc qdisc show dev mydev0 root | head -n1)"
modprobe pktgen || fail "no pktgen module (every kernel of the lab has one)"
pg() { echo "$2" >"/proc/net/pktgen/$1" || fail "pktgen: '$2' to $1 failed"; }
pg kpktgend_0 rem_device_all
pg kpktgend_0 "add_device mydev0"
pg mydev0 "count $N"
pg mydev0 "pkt_size $FRAME"
pg mydev0 "dst $ADDR_B"
pg mydev0 "dst_mac $(mac_of mydev1 "$NS")"
take0
pg pgctrl start
grep -q "Result: OK" /proc/net/pktgen/mydev0 || fail "pktgen: $(grep Result /proc/net/pktgen/mydev0)"
sofar=$(sed -n 's/.*pkts-sofar: \([0-9]*\).*/\1/p' /proc/net/pktgen/mydev0)
pg kpktgend_0 rem_device_all
take1
log "pktgen sent $sofar: tx_packets +$(delta a tx_packets), ring full +$(delta a tx_drop_ring_full)"
expect_eq "pktgen frames sent" "$sofar" "$N"
expect_eq "tx_packets + tx_drop_ring_full (pktgen)" \
	"$(( $(delta a tx_packets) + $(delta a tx_drop_ring_full) ))" "$N"
expect_eq "tx_dropped == tx_drop_ring_full" "$(delta a tx_dropped)" "$(delta a tx_drop_ring_full)"
[ "$(delta a tx_drop_ring_full)" -gt 0 ] || fail "noqueue: ring never full, no tx_drop_ring_full"
expect_eq "tx_queue_stops under noqueue" "$(delta a tx_queue_stops)" 0
expect_eq "tx_bytes" "$(delta a tx_bytes)" "$(( $(delta a tx_packets) * FRAME ))"
check_conservation

take0
sent=$(taskset 1 "${FLOOD[@]}" "$N")
take1
log "python sent $sent: tx_packets +$(delta a tx_packets), ring full +$(delta a tx_drop_ring_full)"
expect_eq "tx_packets + tx_drop_ring_full (python)" \
	"$(( $(delta a tx_packets) + $(delta a tx_drop_ring_full) ))" "$sent"
expect_eq "tx_queue_stops under noqueue" "$(delta a tx_queue_stops)" 0
check_conservation

# ---- 3. peer down and up under flood
# flooding N: 100 frames more than N reached mydev0's driver (sent, or
# dropped on the full ring: tx_packets + tx_dropped): fewer than the ring
# holds, so that under a qdisc, where the stopped queue lets frames in
# only as the slow NAPI drains the ring, the flood has not ended first.
flooding() {
	local p d
	read -r p </sys/class/net/mydev0/statistics/tx_packets
	read -r d </sys/class/net/mydev0/statistics/tx_dropped
	[ $((p + d)) -ge $(($1 + 100)) ]
}
flap() { # MODE
	local i purged0
	take0
	purged0=${b0[rx_drop_purged]}
	# Flowing before the first down, on a slow kernel too (python alone
	# starts in seconds there), and until the flaps are done.
	taskset 1 "${FLOOD[@]}" -$((30 * ${LAB_TIMEOUT_SCALE:-1})) >/dev/null &
	local fpid=$!
	wait_for $((10 * ${LAB_TIMEOUT_SCALE:-1})) flooding $((a0[tx_packets] + a0[tx_dropped])) ||
		fail "$1: the flood never reached the driver"
	sleep 0.5
	# At least two flaps, and more (up to 6) until a down catches frames
	# in the ring: whether one does depends on the slowed NAPI's timing.
	for ((i = 1; i <= 6; i++)); do
		ip -n "$NS" link set dev mydev1 down
		sleep 0.3
		ip -n "$NS" link set dev mydev1 up
		slow_napi
		sleep 0.4
		if [ "$i" -ge 2 ] &&
		   [ "$(ethtool_stat mydev1 rx_drop_purged "$NS")" -gt "$purged0" ]; then
			break
		fi
	done
	# Killed here, or over by now: then it must have ended well.
	if kill "$fpid" 2>/dev/null; then
		wait "$fpid" 2>/dev/null || true
	else
		wait "$fpid" || fail "$1: the flood failed before the flaps ended"
	fi
	wait_for 5 grep -qx 1 /sys/class/net/mydev0/carrier || fail "no carrier after flapping"
	take1
	log "$1: $((i > 6 ? 6 : i)) flaps; tx_packets +$(delta a tx_packets)," \
		"peer_down +$(delta a tx_drop_peer_down), ring_full +$(delta a tx_drop_ring_full)," \
		"stops +$(delta a tx_queue_stops); peer rx +$(delta b rx_packets)," \
		"purged +$(delta b rx_drop_purged), wakes +$(delta b rx_peer_queue_wakes)"
	# The step's precondition: a down caught frames in the full ring.
	[ "$(delta b rx_drop_purged)" -gt 0 ] ||
		fail "$1: no frame purged: no down caught a frame in mydev1's ring"
	expect_eq "$1: peer rx_dropped == rx_drop_purged" "${b1[rx_dropped]}" "${b1[rx_drop_purged]}"
	check_purged_bytes
	check_conservation
	# The carrier went off under traffic: the kernel may count its own
	# noop-qdisc drops in tx_dropped too (Linux >= 6.11).
	check_tx_dropped_sum mydev0 "" core
	check_tx_dropped_sum mydev1 "$NS" core
}
flap noqueue
expect_ok tc qdisc del dev mydev0 root
flap "$(tc qdisc show dev mydev0 root | cut -d' ' -f2)"

# Nothing left stopped: traffic still flows both ways.
ping_count 3 "$ADDR_B"
settle
check_conservation
