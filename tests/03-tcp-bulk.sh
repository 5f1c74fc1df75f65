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
#  - logs how much GSO/GRO aggregated (frames vs payload/1448).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

require_cmd socat cmp
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
