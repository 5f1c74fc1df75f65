#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 19-offloads: every offload toggled live with ethtool -K and seen to act.
# Each step is one short TCP bulk transfer (512 KiB of random data with
# socat, mydev0 -> mydev1 in netns "peer", checked byte for byte) with the
# ethtool -S deltas of both ends and what an AF_PACKET capture on mydev1
# saw (tests/rawsock.py, one process for the whole test, read out with
# SIGUSR1: the largest frame the stack got, Ethernet header included). The
# sender mydev0 is the one toggled, except for rx-gro and gro_max_size,
# which belong to the receiver mydev1.
#  - defaults: sg, tx-checksumming, tso, gso, highdma on mydev0 and gro on
#    mydev1 are on and not [fixed];
#  - TSO/GSO (mydev1's gro off, so nothing merges on receive): with tso on
#    tx_gso_packets/tx_gso_bytes grow and frames > 8000 + 14 arrive (so the
#    gro_max_size step below has something to limit); with
#    tso off (gso on), then tso and gso off, no GSO frame reaches the
#    driver (tx_gso_packets +0) and every frame is <= MTU + 14;
#  - rx-gro (sender tso/gso off, so MTU-sized segments cross): gro off ->
#    rx_gro_merged +0, every frame <= MTU + 14 (the tso+gso off step);
#    gro on -> rx_gro_merged grows, merged frames > MTU + 14 reach the stack;
#  - highdma: off during the gro step (sg and checksum offload still used)
#    and on again, shown by ethtool -k (see the comment there for why
#    nothing else can differ on x86-64);
#  - the peer's limit: with `ip link set mydev1 gro_max_size 8000` no frame
#    larger than 8000 + 14 arrives;
#  - scatter-gather: on -> tx_sg grows; off -> tx_sg +0 exactly (the core
#    linearizes before the driver), tx_csum_partial still grows;
#  - tx-checksumming: on -> tx_csum_partial grows; off -> +0 exactly (the
#    stack checksums in software; the data still arrives intact), tx_sg
#    still grows;
#  - all of them toggled off and on again during a running iperf3 transfer,
#    which completes.
# Every transfer completes, and mydev1 counts no rx_errors/rx_dropped;
# in each, the skbs the capture saw == mydev1 rx_packets - rx_gro_merged
# (GRO's merges against a count of their own).
# Not tested: CHECKSUM_COMPLETE frames, whose checksum mynet_rx() adjusts
# for the pulled Ethernet header (skb_postpull_rcsum()): only a NIC that
# checksums what it receives makes one, and a frame forwarded from such a
# NIC is the only way one reaches this driver's xmit; sockets, tun,
# packet sockets and BPF in the lab give CHECKSUM_PARTIAL, NONE or
# UNNECESSARY.
# TIMEOUT: 180
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

require_cmd iperf3 socat cmp python3
RAWSOCK=$REPO/tests/rawsock.py
SIZE=$((512 * 1024))
PORT=5201
MTU=1500
MAXF=$((MTU + 14))	# largest non-GSO frame, Ethernet header included
CAP_OUT=/tmp/t19-cap.json
CAP_READY=/tmp/t19-cap.ready
SEND=/tmp/t19-send.bin
RECV=/tmp/t19-recv.bin
cap_pid=

PAIR_IPV6=0
pair_setup

# quick_ok CMD...: expect_ok without its two helper processes (forks are
# slow under TCG); CMD's stdout is dropped, its stderr shown on failure.
quick_ok() {
	"$@" >/dev/null 2>/tmp/t19-err || fail "expected success: $*: $(cat /tmp/t19-err)"
	log "ok: $*"
}

# TCP sizes its GSO frames by what the application wrote (socat's default
# 8 KiB blocks: the sender writes 64 KiB) and by its pacing rate, low under
# TCG. With 64 KiB writes and at least 44 segments per GSO frame (when the
# window allows: from 10 segments, 14480 bytes, on), "TSO on" frames are
# reliably larger than the 8000-byte gro_max_size below.
old_min_tso=$(sysctl -n net.ipv4.tcp_min_tso_segs)
sysctl -qw net.ipv4.tcp_min_tso_segs=44
test_cleanup() {
	sysctl -qw net.ipv4.tcp_min_tso_segs="$old_min_tso" || true
	[ -z "$cap_pid" ] || kill "$cap_pid" 2>/dev/null || true
	rm -f "$CAP_OUT" "$CAP_READY" "$SEND" "$RECV" /tmp/t19-live.json /tmp/t19-err
}

# feature DEV NAME [NETNS]: "on" or "off" (ethtool -k's long names).
feature() {
	local out
	out=$(ns_run "${3:-}" ethtool -k "$1") || fail "ethtool -k $1 failed"
	sed -n "s/^$2: \([a-z]*\).*/\1/p" <<<"$out"
}
# set_features DEV NETNS ethtool-K-args...; then check each one took.
set_features() {
	local dev=$1 ns=$2 out name
	local -A long=([sg]=scatter-gather [tx]=tx-checksumming
		[tso]=tcp-segmentation-offload [gso]=generic-segmentation-offload
		[gro]=generic-receive-offload [highdma]=highdma)
	shift 2
	quick_ok ns_run "$ns" ethtool -K "$dev" "$@"
	out=$(ns_run "$ns" ethtool -k "$dev")
	while [ $# -ge 2 ]; do
		name=${long[$1]}
		expect_eq "$dev $name" "$(sed -n "s/^$name: \([a-z]*\).*/\1/p" <<<"$out")" "$2"
		shift 2
	done
}

# The capture: started once; cap_report reads what it saw since the last
# report into CAP_FRAMES, CAP_MAX.
cap_lines() {
	local n=0 _l
	while IFS= read -r _l; do n=$((n + 1)); done <"$CAP_OUT"
	echo "$n"
}
cap_more() { [ "$(cap_lines)" -gt "$1" ]; }
cap_report() {
	local n line
	n=$(cap_lines)
	kill -USR1 "$cap_pid"
	wait_for 10 cap_more "$n" || fail "the capture on mydev1 did not report"
	line=$(tail -n 1 "$CAP_OUT")
	read -r CAP_FRAMES CAP_MAX CAP_DROPS <<<"$(jq -r '"\(.frames) \(.max_len) \(.drops)"' <<<"$line")"
	[ "$CAP_DROPS" = 0 ] || log "note: the capture lost $CAP_DROPS frames (socket buffer)"
}
rm -f "$CAP_OUT" "$CAP_READY"
ip netns exec "$NS" "$RAWSOCK" capture mydev1 --timeout 600 --ready "$CAP_READY" >"$CAP_OUT" &
cap_pid=$!
wait_for $((10 * ${LAB_TIMEOUT_SCALE:-1})) test -e "$CAP_READY" || fail "the capture on mydev1 did not start"

# shellcheck disable=SC2034 # used through da/db's namerefs
declare -A a0 b0 a1 b1
da() { echo $((a1[$1] - a0[$1])); }
db() { echo $((b1[$1] - b0[$1])); }

listening() { ns_run "$NS" ss -Hltn "sport = :$PORT" | grep -q .; }

head -c "$SIZE" /dev/urandom >"$SEND"
# tcp_run LABEL: one transfer, counters of both ends around it, a capture
# report. Toggling offloads sends nothing, so the counters and capture
# report taken after one run are the "before" of the next.
fresh=1
tcp_run() {
	local label=$1 rpid k
	if [ "$fresh" = 1 ]; then
		settle
		cap_report
		snap a0 mydev0
		snap b0 mydev1 "$NS"
		fresh=0
	else
		a0=()
		b0=()
		for k in "${!a1[@]}"; do a0[$k]=${a1[$k]}; done
		for k in "${!b1[@]}"; do b0[$k]=${b1[$k]}; done
	fi
	ip netns exec "$NS" socat -u "TCP-LISTEN:$PORT,reuseaddr" "OPEN:$RECV,creat,trunc" &
	rpid=$!
	wait_for 10 listening || fail "socat did not listen on port $PORT"
	socat -b 65536 -u "OPEN:$SEND" "TCP:$ADDR_B:$PORT" || fail "$label: sending socat failed"
	wait "$rpid" || fail "$label: receiving socat failed"
	cmp -s "$SEND" "$RECV" || fail "$label: received data differs from sent data"
	settle
	cap_report
	snap a1 mydev0
	snap b1 mydev1 "$NS"
	log "$label: mydev0 tx +$(da tx_packets) frames, gso +$(da tx_gso_packets)" \
		"($(da tx_gso_bytes) B), sg +$(da tx_sg), csum_partial +$(da tx_csum_partial);" \
		"mydev1 rx +$(db rx_packets), gro_merged +$(db rx_gro_merged);" \
		"capture: $CAP_FRAMES frames, largest $CAP_MAX B"
	log "ok: $label: TCP transfer complete, $SIZE bytes identical"
	expect_eq "$label: mydev1 rx_errors" "$(db rx_errors)" 0
	expect_eq "$label: mydev1 rx_dropped" "$(db rx_dropped)" 0
	[ "$CAP_FRAMES" -gt 0 ] || fail "$label: the capture on mydev1 saw nothing"
	# The stack got one skb per frame off the ring, but one for all the
	# frames GRO merged into it: rx_gro_merged against a count of its own.
	if [ "$CAP_DROPS" = 0 ]; then
		expect_eq "$label: skbs the capture saw == mydev1 rx_packets - rx_gro_merged" \
			"$CAP_FRAMES" "$(( $(db rx_packets) - $(db rx_gro_merged) ))"
	fi
}
gt0() { # WHAT VALUE
	[ "$2" -gt 0 ] || fail "$1: got $2, expected > 0"
	log "ok: $1 = $2 (> 0)"
}
le() { # WHAT VALUE MAX
	[ "$2" -le "$3" ] || fail "$1: got $2, expected <= $3"
	log "ok: $1 = $2 (<= $3)"
}
gt() { # WHAT VALUE MIN
	[ "$2" -gt "$3" ] || fail "$1: got $2, expected > $3"
	log "ok: $1 = $2 (> $3)"
}

# ---------------------------------------------------------- defaults
out=$(ethtool -k mydev0)
for f in scatter-gather tx-checksumming tcp-segmentation-offload \
	 generic-segmentation-offload highdma; do
	expect_eq "mydev0 $f (default)" "$(sed -n "s/^$f: \([a-z]*\).*/\1/p" <<<"$out")" on
done
expect_eq "mydev1 generic-receive-offload (default)" \
	"$(feature mydev1 generic-receive-offload "$NS")" on
fixed=$(grep -E '^(scatter-gather|tx-checksumming|tcp-segmentation-offload|generic-segmentation-offload|highdma|generic-receive-offload):.*\[fixed\]' <<<"$out" || true)
[ -z "$fixed" ] || fail "features that cannot be toggled: $fixed"
log "ok: none of them [fixed]"

# ---------------------------------------------------------- TSO / GSO
log "=== TSO/GSO (mydev1 gro off: the capture sees frames as they crossed) (t=${SECONDS}s)"
set_features mydev1 "$NS" gro off
tcp_run "tso on"
gt0 "tso on: mydev0 tx_gso_packets delta" "$(da tx_gso_packets)"
gt "tso on: mydev0 tx_gso_bytes delta" "$(da tx_gso_bytes)" "$(( $(da tx_gso_packets) * MAXF ))"
gt "tso on: largest frame on mydev1" "$CAP_MAX" $((8000 + 14))
expect_eq "gro off: mydev1 rx_gro_merged delta" "$(db rx_gro_merged)" 0
# The same run is the "on" reference of sg and tx-checksumming.
gt0 "sg on: mydev0 tx_sg delta" "$(da tx_sg)"
gt0 "tx-checksumming on: mydev0 tx_csum_partial delta" "$(da tx_csum_partial)"

set_features mydev0 "" tso off
tcp_run "tso off, gso on"
expect_eq "tso off: mydev0 tx_gso_packets delta" "$(da tx_gso_packets)" 0
expect_eq "tso off: mydev0 tx_gso_bytes delta" "$(da tx_gso_bytes)" 0
le "tso off: largest frame on mydev1" "$CAP_MAX" "$MAXF"

# Also the "gro off" step of rx-gro: MTU-sized segments, none merged.
set_features mydev0 "" gso off
tcp_run "tso off, gso off, peer gro off"
expect_eq "tso+gso off: mydev0 tx_gso_packets delta" "$(da tx_gso_packets)" 0
le "tso+gso off, gro off: largest frame on mydev1" "$CAP_MAX" "$MAXF"
expect_eq "gro off: mydev1 rx_gro_merged delta" "$(db rx_gro_merged)" 0

# ---------------------------------------------------------- rx-gro, highdma
# NETIF_F_HIGHDMA only tells the core the device can reach pages in high
# memory; without it the core copies highmem fragments into lowmem first
# (illegal_highdma(), CONFIG_HIGHMEM only). x86-64 has no high memory and
# no CONFIG_HIGHMEM, so with highdma off no frame changes: the check is
# that the flag toggles (here, and under traffic below) and that the other
# offloads work on unchanged (scatter-gather and checksum in this step).
log "=== rx-gro on mydev1 (mydev0 tso/gso still off: MTU-sized segments cross), highdma off (t=${SECONDS}s)"
set_features mydev1 "$NS" gro on
set_features mydev0 "" highdma off
tcp_run "tso off, gso off, highdma off, peer gro on"
gt0 "gro on: mydev1 rx_gro_merged delta" "$(db rx_gro_merged)"
gt "gro on: largest (merged) frame on mydev1" "$CAP_MAX" "$MAXF"
expect_eq "gro on: mydev0 tx_gso_packets delta" "$(da tx_gso_packets)" 0
gt0 "highdma off: mydev0 tx_sg delta" "$(da tx_sg)"
gt0 "highdma off: mydev0 tx_csum_partial delta" "$(da tx_csum_partial)"
set_features mydev0 "" highdma on

# ---------------------------------------------------------- gro_max_size
log "=== the peer's gro_max_size (mydev1 gro off again, mydev0 tso/gso on) (t=${SECONDS}s)"
set_features mydev1 "$NS" gro off
set_features mydev0 "" tso on gso on
quick_ok ip -n "$NS" link set mydev1 gro_max_size 8000
expect_eq "mydev1 gro_max_size" "$(ip -n "$NS" -d -j link show mydev1 | jq -r '.[0].gro_max_size')" 8000
tcp_run "tso on, peer gro_max_size 8000"
le "peer gro_max_size 8000: largest frame on mydev1" "$CAP_MAX" $((8000 + 14))
log "(frames > MTU + 14 still crossing under that limit: $([ "$CAP_MAX" -gt "$MAXF" ] && echo yes || echo no);" \
	"tx_gso_packets +$(da tx_gso_packets))"
quick_ok ip -n "$NS" link set mydev1 gro_max_size 65536
set_features mydev1 "$NS" gro on

# ---------------------------------------------------------- scatter-gather
log "=== scatter-gather on mydev0 (t=${SECONDS}s)"
set_features mydev0 "" sg off
log "with sg off: tso $(feature mydev0 tcp-segmentation-offload), gso $(feature mydev0 generic-segmentation-offload) (both need SG)"
tcp_run "sg off"
expect_eq "sg off: mydev0 tx_sg delta" "$(da tx_sg)" 0
gt0 "sg off: mydev0 tx_csum_partial delta (checksum offload unaffected)" "$(da tx_csum_partial)"
set_features mydev0 "" sg on
expect_eq "sg on again: mydev0 tcp-segmentation-offload" \
	"$(feature mydev0 tcp-segmentation-offload)" on

# ---------------------------------------------------------- tx-checksumming
log "=== tx-checksumming on mydev0 (t=${SECONDS}s)"
set_features mydev0 "" tx off
log "with tx off: tso $(feature mydev0 tcp-segmentation-offload) (TSO needs checksum offload)"
tcp_run "tx-checksumming off"
expect_eq "tx off: mydev0 tx_csum_partial delta" "$(da tx_csum_partial)" 0
gt0 "tx off: mydev0 tx_sg delta (scatter-gather unaffected)" "$(da tx_sg)"
set_features mydev0 "" tx on
expect_eq "tx on again: mydev0 tcp-segmentation-offload" \
	"$(feature mydev0 tcp-segmentation-offload)" on

# ---------------------------------------------------------- under traffic
log "=== every offload off and on again during a running iperf3 transfer (t=${SECONDS}s)"
settle
snap b0 mydev1 "$NS"
ip netns exec "$NS" iperf3 -s -1 -B "$ADDR_B" -p "$PORT" >/dev/null 2>&1 &
server_pid=$!
wait_for 10 listening || fail "iperf3 server did not listen on port $PORT"
iperf3 -c "$ADDR_B" -p "$PORT" -t 3 -J >/tmp/t19-live.json &
client_pid=$!
for step in off on; do
	for f in sg tx tso gso highdma; do
		quick_ok ethtool -K mydev0 "$f" "$step"
	done
	quick_ok ip netns exec "$NS" ethtool -K mydev1 gro "$step"
done
wait "$client_pid" || fail "iperf3 under live toggles failed: $(jq -r .error /tmp/t19-live.json)"
wait "$server_pid" || fail "iperf3 server under live toggles failed"
got=$(jq -r .end.sum_sent.bytes /tmp/t19-live.json)
gt0 "bytes sent during the live toggles" "$got"
settle
snap b1 mydev1 "$NS"
expect_eq "live toggles: mydev1 rx_errors" "$(db rx_errors)" 0
expect_eq "live toggles: mydev1 rx_dropped" "$(db rx_dropped)" 0
out=$(ethtool -k mydev0)
for f in scatter-gather tx-checksumming tcp-segmentation-offload \
	 generic-segmentation-offload highdma; do
	expect_eq "mydev0 $f (back on)" "$(sed -n "s/^$f: \([a-z]*\).*/\1/p" <<<"$out")" on
done
check_conservation
