#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 03-tcp-bulk: a bulk TCP transfer of a known size (16 MiB of random data,
# socat) from the init netns (mydev0) to netns "peer" (mydev1).
# Checks:
#  - the receiving application got exactly the bytes sent (size + cmp);
#  - exact conservation both directions, tx_bytes == peer rx_bytes (no
#    drops, so bytes are exact too);
#  - mydev0 tx_bytes and mydev1 rx_bytes grew by at least the payload;
#  - no drop of any kind on either end (tx_dropped, every tx_drop_*
#    reason, rx_dropped, rx_errors);
#  - logs how much GSO/GRO aggregated (frames vs payload/1448);
#  - MSG_ZEROCOPY senders (tests/zcsend.py: 4 MiB of TCP, 2000 UDP
#    datagrams of 1400 bytes), reusing each buffer as soon as its send
#    completes: the data arrives intact, every send completes once, as
#    copied (the driver copies lent pages at xmit), frames with page
#    fragments reached the driver (tx_sg), no drop.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

require_cmd socat cmp python3 jq
SIZE=$((16 * 1024 * 1024))
PORT=5001

PAIR_IPV6=0
pair_setup

head -c "$SIZE" /dev/urandom >/tmp/tcp-send.bin
declare -A a0 b0 a1 b1
snap a0 mydev0
snap b0 mydev1 "$NS"

in_ns "$NS" socat -u "TCP-LISTEN:$PORT,reuseaddr" OPEN:/tmp/tcp-recv.bin,creat,trunc &
rpid=$!
wait_for 10 sh -c "ip netns exec $NS ss -Hltn | grep -q ':$PORT '" ||
	fail "socat did not listen on port $PORT"
t0=$(date +%s%N)
expect_ok socat -u OPEN:/tmp/tcp-send.bin "TCP:$ADDR_B:$PORT"
wait "$rpid" || fail "receiving socat failed"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
log "sent $SIZE bytes in $ms ms"

expect_eq "bytes received by the application" "$(stat -c %s /tmp/tcp-recv.bin)" "$SIZE"
cmp /tmp/tcp-send.bin /tmp/tcp-recv.bin || fail "received data differs from sent data"
log "ok: received data identical to sent data"
rm -f /tmp/tcp-send.bin /tmp/tcp-recv.bin

settle
snap a1 mydev0
snap b1 mydev1 "$NS"
dtx=$((a1[tx_packets] - a0[tx_packets]))
dtxb=$((a1[tx_bytes] - a0[tx_bytes]))
drxb=$((b1[rx_bytes] - b0[rx_bytes]))
log "mydev0 sent $dtx frames, $dtxb bytes for $SIZE payload bytes"
[ "$dtxb" -ge "$SIZE" ] || fail "mydev0 tx_bytes grew by $dtxb < payload $SIZE"
[ "$drxb" -ge "$SIZE" ] || fail "mydev1 rx_bytes grew by $drxb < payload $SIZE"
mss_frames=$(( (SIZE + 1447) / 1448 ))
drx=$((b1[rx_packets] - b0[rx_packets]))
if [ "$drx" -lt "$mss_frames" ]; then
	log "GSO/GRO aggregation: $drx frames on the wire for >= $mss_frames MSS-sized segments"
else
	log "no GSO/GRO aggregation visible: $drx frames for $mss_frames MSS-sized segments"
fi

check_conservation
for c in tx_dropped rx_dropped rx_errors "${TX_DROP_REASONS[@]}" rx_drop_purged; do
	expect_eq "mydev0 $c" "${a1[$c]}" 0
	expect_eq "mydev1 $c" "${b1[$c]}" 0
done

# ---- MSG_ZEROCOPY senders (tests/zcsend.py): the sender lends its pages
# and may reuse a buffer once the kernel reports the send complete. The
# driver copies lent pages at xmit (skb_orphan_frags()): the receiver owns
# every byte, so the data arrives intact however soon a buffer is reused,
# every send completes exactly once, flagged as copied.
ZC=$REPO/tests/zcsend.py
zc_check() { # WHAT JSON SENDS
	local sends completed copied dups
	read -r sends completed copied dups < <(jq -r '"\(.sends) \(.completed) \(.copied) \(.duplicates)"' <<<"$2")
	log "$1: $sends sends, $completed completed, $copied copied, $dups reported twice"
	[ "$sends" -ge "$3" ] || fail "$1: $sends sends, expected >= $3"
	expect_eq "$1: sends completed" "$completed" "$sends"
	expect_eq "$1: sends reported twice" "$dups" 0
	expect_eq "$1: sends completed as copied" "$copied" "$sends"
}
snap a0 mydev0
snap b0 mydev1 "$NS"
ZSIZE=$((4 * 1024 * 1024))
in_ns "$NS" python3 "$ZC" tcp-recv "$ADDR_B" "$PORT" "$ZSIZE" >/tmp/t03-zrecv &
rpid=$!
wait_for 10 sh -c "ip netns exec $NS ss -Hltn | grep -q ':$PORT '" ||
	fail "zcsend.py did not listen on port $PORT"
out=$(python3 "$ZC" tcp-send "$ADDR_B" "$PORT" "$ZSIZE") || fail "MSG_ZEROCOPY TCP: sender failed: $out"
wait "$rpid" || fail "MSG_ZEROCOPY TCP: receiver failed: $(cat /tmp/t03-zrecv)"
expect_eq "MSG_ZEROCOPY TCP: receiver" "$(cat /tmp/t03-zrecv)" "{\"bytes\": $ZSIZE, \"bad\": -1}"
zc_check "MSG_ZEROCOPY TCP" "$out" $((ZSIZE / 65536))

in_ns "$NS" python3 "$ZC" udp-recv "$ADDR_B" "$PORT" 2000 1400 >/tmp/t03-zrecv &
rpid=$!
wait_for 10 sh -c "ip netns exec $NS ss -Hlun | grep -q ':$PORT '" ||
	fail "zcsend.py did not bind UDP port $PORT"
out=$(python3 "$ZC" udp-send "$ADDR_B" "$PORT" 2000 1400) || fail "MSG_ZEROCOPY UDP: sender failed: $out"
wait "$rpid" || fail "MSG_ZEROCOPY UDP: receiver failed: $(cat /tmp/t03-zrecv)"
expect_eq "MSG_ZEROCOPY UDP: receiver" "$(cat /tmp/t03-zrecv)" \
	'{"datagrams": 2000, "bad": 0, "missing": 0}'
zc_check "MSG_ZEROCOPY UDP" "$out" 2000
rm -f /tmp/t03-zrecv
settle
snap a1 mydev0
snap b1 mydev1 "$NS"
log "MSG_ZEROCOPY: mydev0 tx +$((a1[tx_packets] - a0[tx_packets])) frames, sg +$((a1[tx_sg] - a0[tx_sg]))"
[ $((a1[tx_sg] - a0[tx_sg])) -gt 0 ] ||
	fail "MSG_ZEROCOPY: no frame with page fragments reached the driver (tx_sg +0)"
check_conservation
for c in tx_dropped rx_dropped rx_errors "${TX_DROP_REASONS[@]}"; do
	expect_eq "MSG_ZEROCOPY: mydev0 $c" "${a1[$c]}" 0
	expect_eq "MSG_ZEROCOPY: mydev1 $c" "${b1[$c]}" 0
done
