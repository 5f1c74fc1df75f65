#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 29-bigtcp: BIG TCP across the pair, as on veth.
#  - both ends advertise the tso_max_size and tso_max_segs of a veth
#    device created in the same kernel (GSO_MAX_SIZE, GSO_MAX_SEGS);
#    gso_max_size and gro_max_size stay 65536 until raised;
#  - `ip link set gso_max_size` above tso_max_size is refused and changes
#    nothing; 185000 is accepted on both ends, with gro_max_size 185000;
#  - IPv6 TCP with MTU 9000 (BIG TCP for IPv4 needs iproute2 >= 6.3, which
#    bookworm lacks): 2 MiB of random data arrive intact, and with mydev1's
#    GRO off (what arrives is what crossed) an AF_PACKET capture on mydev1
#    sees GSO frames larger than 65535 + 14 bytes; mydev0 counts them in
#    tx_gso_packets/tx_gso_bytes, mydev1 no rx_errors or rx_dropped.
# TIMEOUT: 180
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

require_cmd socat cmp python3 jq
RAWSOCK=$REPO/tests/rawsock.py
SIZE=$((2 * 1024 * 1024))
BIG=185000
PORT=5229
CAP_OUT=/tmp/t29-cap.json
CAP_READY=/tmp/t29-cap.ready
SEND=/tmp/t29-send.bin
RECV=/tmp/t29-recv.bin
cap_pid=

old_min_tso=$(sysctl -n net.ipv4.tcp_min_tso_segs)
test_cleanup() {
	sysctl -qw net.ipv4.tcp_min_tso_segs="$old_min_tso" || true
	[ -z "$cap_pid" ] || kill "$cap_pid" 2>/dev/null || true
	ip link del t29v0 2>/dev/null || true
	rm -f "$CAP_OUT" "$CAP_READY" "$SEND" "$RECV"
}

pair_setup

# link_field DEV NETNS FIELD: a field of `ip -d -j link show`.
link_field() {
	ns_run "$2" ip -d -j link show dev "$1" | jq -r ".[0].$3"
}

# ---------------------------------------------------------- the limits
expect_ok ip link add t29v0 type veth peer name t29v1
for f in tso_max_size tso_max_segs; do
	want=$(link_field t29v0 "" "$f")
	expect_eq "mydev0 $f (veth's)" "$(link_field mydev0 "" "$f")" "$want"
	expect_eq "mydev1 $f (veth's)" "$(link_field mydev1 "$NS" "$f")" "$want"
done
ip link del t29v0
tso_max=$(link_field mydev0 "" tso_max_size)
[ "$tso_max" -gt 65536 ] || fail "mydev0 tso_max_size $tso_max: no BIG TCP"
for f in gso_max_size gro_max_size; do
	expect_eq "mydev0 $f (default)" "$(link_field mydev0 "" "$f")" 65536
done

expect_fail ip link set dev mydev0 gso_max_size $((tso_max + 1))
expect_eq "mydev0 gso_max_size after a refused change" \
	"$(link_field mydev0 "" gso_max_size)" 65536

expect_ok ip link set dev mydev0 mtu 9000 gso_max_size "$BIG" gro_max_size "$BIG"
expect_ok ip -n "$NS" link set dev mydev1 mtu 9000 gso_max_size "$BIG" gro_max_size "$BIG"
for f in gso_max_size gro_max_size; do
	expect_eq "mydev0 $f" "$(link_field mydev0 "" "$f")" "$BIG"
	expect_eq "mydev1 $f" "$(link_field mydev1 "$NS" "$f")" "$BIG"
done

# ---------------------------------------------------------- traffic
# GSO frames are sized by the pacing rate, low under TCG: at least 44
# segments of 8940 bytes each (the window allows 10 from the start) make
# them larger than 64 KiB whenever the data is there.
sysctl -qw net.ipv4.tcp_min_tso_segs=44
ns_run "$NS" ethtool -K mydev1 gro off || fail "ethtool -K mydev1 gro off failed"

rm -f "$CAP_OUT" "$CAP_READY"
ip netns exec "$NS" "$RAWSOCK" capture mydev1 --timeout 300 --ready "$CAP_READY" >"$CAP_OUT" &
cap_pid=$!
wait_for $((10 * ${LAB_TIMEOUT_SCALE:-1})) test -e "$CAP_READY" || fail "the capture on mydev1 did not start"

head -c "$SIZE" /dev/urandom >"$SEND"
declare -A a0 b0 a1 b1
settle
snap a0 mydev0
snap b0 mydev1 "$NS"
listening() { ns_run "$NS" ss -Hltn "sport = :$PORT" | grep -q .; }
ip netns exec "$NS" socat -u "TCP6-LISTEN:$PORT,reuseaddr" "OPEN:$RECV,creat,trunc" &
rpid=$!
wait_for 10 listening || fail "socat did not listen on port $PORT"
socat -b 262144 -u "OPEN:$SEND" "TCP6:[$ADDR6_B]:$PORT" || fail "sending socat failed"
wait "$rpid" || fail "receiving socat failed"
cmp -s "$SEND" "$RECV" || fail "received data differs from sent data"
log "ok: $SIZE bytes over IPv6 arrived intact"
settle
snap a1 mydev0
snap b1 mydev1 "$NS"

n=$(wc -l <"$CAP_OUT")
kill -USR1 "$cap_pid"
more() { [ "$(wc -l <"$CAP_OUT")" -gt "$n" ]; }
wait_for 10 more || fail "the capture on mydev1 did not report"
read -r frames largest <<<"$(tail -n 1 "$CAP_OUT" | jq -r '"\(.frames) \(.max_len)"')"
gso=$((a1[tx_gso_packets] - a0[tx_gso_packets]))
gso_bytes=$((a1[tx_gso_bytes] - a0[tx_gso_bytes]))
log "mydev0: gso +$gso frames ($gso_bytes B); capture on mydev1: $frames frames, largest $largest B"
[ "$gso" -gt 0 ] || fail "mydev0 sent no GSO frame"
[ "$largest" -gt $((65535 + 14)) ] ||
	fail "largest frame on mydev1 is $largest bytes: no BIG TCP frame crossed"
[ "$largest" -le $((BIG + 14)) ] ||
	fail "largest frame on mydev1 is $largest bytes, above gro_max_size $BIG + 14"
log "ok: BIG TCP frames crossed whole (largest $largest B)"
expect_eq "mydev1 rx_errors" "$((b1[rx_errors] - b0[rx_errors]))" 0
expect_eq "mydev1 rx_dropped" "$((b1[rx_dropped] - b0[rx_dropped]))" 0
