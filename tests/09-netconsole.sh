#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 09-netconsole: the netpoll path (xmit with IRQs off, NAPI poll with
# budget 0). netconsole sends from mydev0 (10.0.0.1) to a socat listening
# on 10.0.0.2:6666 in netns "peer". IPv6 off, permanent ARP.
#  - 5 kernel messages arrive, each exactly once, and each is exactly one
#    frame: mydev0 tx_packets, mydev1 rx_packets and the lines received
#    all grow by the same count;
#  - with mydev1 down, 3 messages are dropped by the driver as
#    tx_drop_peer_down (exactly 3, netpoll bypasses the qdisc) and do not
#    arrive; after mydev1 is up again a message arrives;
#  - one channel, mydev1's ring kept full by a UDP flood (slow NAPI, see
#    07; the queue must stop at least once, or the step proved nothing):
#    3 messages still all arrive once the flood ends (netpoll finds the
#    queue stopped and polls / defers);
#  - netconsole unloads cleanly; conservation exact; no kernel warning.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

require_cmd socat python3
modinfo netconsole >/dev/null 2>&1 ||
	fail "no netconsole module (every kernel of the lab has one)"
PORT=6666
OUT=/tmp/netconsole.txt
TAG=mynetdrv-qa-nc-$$

test_cleanup() {
	[ -d /sys/module/netconsole ] && rmmod netconsole
	return 0
}

PAIR_IPV6=0
pair_setup
: >"$OUT"
in_ns "$NS" socat -u "UDP-RECV:$PORT" "OPEN:$OUT,append" &
wait_for 10 sh -c "nsenter --net=/run/netns/$NS ss -Hlun | grep -q ':$PORT '" ||
	fail "socat not listening"

expect_ok modprobe netconsole "netconsole=6665@$ADDR_A/mydev0,$PORT@$ADDR_B/$(mac_of mydev1 "$NS")"
dmesg | grep -q 'netconsole: network logging started' || fail "netconsole did not start"
settle

declare -A a0 b0 a1 b1
kmsg() { echo "<3>$TAG $*" >/dev/kmsg; }
lines() { wc -l <"$OUT"; }
arrived() { grep -c -F "$TAG $1" "$OUT" || true; }

# ---- 5 messages, peer up
snap a0 mydev0
snap b0 mydev1 "$NS"
l0=$(lines)
for i in 1 2 3 4 5; do kmsg "up-$i"; done
wait_for 10 grep -q -F "$TAG up-5" "$OUT" || fail "netconsole message did not arrive"
settle
snap a1 mydev0
snap b1 mydev1 "$NS"
for i in 1 2 3 4 5; do
	expect_eq "copies of message up-$i received" "$(arrived "up-$i")" 1
done
nl=$(( $(lines) - l0 ))
log "$nl netconsole lines received"
expect_eq "mydev0 tx_packets == lines received" "$((a1[tx_packets] - a0[tx_packets]))" "$nl"
expect_eq "mydev1 rx_packets == lines received" "$((b1[rx_packets] - b0[rx_packets]))" "$nl"

# ---- peer down: the driver drops with IRQs off
ip -n "$NS" link set dev mydev1 down
snap a0 mydev0
for i in 1 2 3; do kmsg "down-$i"; done
snap a1 mydev0
expect_eq "tx_drop_peer_down for 3 messages to a down peer" \
	"$((a1[tx_drop_peer_down] - a0[tx_drop_peer_down]))" 3
expect_eq "tx_packets while the peer is down" "$((a1[tx_packets] - a0[tx_packets]))" 0
ip -n "$NS" link set dev mydev1 up
wait_for 5 grep -qx 1 /sys/class/net/mydev0/carrier || fail "no carrier"
kmsg "back"
wait_for 10 grep -q -F "$TAG back" "$OUT" || fail "no message after the peer came back"
for i in 1 2 3; do
	expect_eq "copies of message down-$i received" "$(arrived "down-$i")" 0
done

# ---- ring full: the queue is stopped when netpoll transmits
# One channel: the flood and netpoll's messages then share the one queue
# and ring (with more, each could take another).
expect_ok ethtool -L mydev0 combined 1
# mydev1's NAPI kthreads on CPU 0 at SCHED_IDLE, as in 07.
mydev1_napi_pin 1 idle
snap a0 mydev0
taskset 1 python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
# SO_SNDBUFFORCE, 8 MiB: frames in the ring still count against the
# socket, and the default buffer holds fewer frames than the ring.
s.setsockopt(socket.SOL_SOCKET, 32, 8 << 20)
end = time.time() + 3
while time.time() < end:
    try:
        s.sendto(b"x" * 18, ("10.0.0.2", 9))
    except OSError:
        pass
' &
fpid=$!
sleep 1
for i in 1 2 3; do taskset 1 sh -c "echo '<3>$TAG full-$i' >/dev/kmsg"; done
wait "$fpid"
wait_for 10 grep -q -F "$TAG full-3" "$OUT" || fail "messages sent into a full ring never arrived"
settle
snap a1 mydev0
log "during the flood: tx_queue_stops +$((a1[tx_queue_stops] - a0[tx_queue_stops])), ring_full +$((a1[tx_drop_ring_full] - a0[tx_drop_ring_full]))"
# The precondition of this step: the ring did fill (the queue stopped),
# else the messages met a running queue and this proved nothing.
[ $((a1[tx_queue_stops] - a0[tx_queue_stops])) -gt 0 ] ||
	fail "the flood never filled mydev1's ring (no queue stop): netpoll was not tested against a full ring"
for i in 1 2 3; do
	expect_eq "copies of message full-$i received" "$(arrived "full-$i")" 1
done

expect_ok rmmod netconsole
check_conservation
check_tx_dropped_sum mydev0
