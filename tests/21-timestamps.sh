#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 21-timestamps: software TX and RX timestamps (SO_TIMESTAMPING).
#  - ethtool -T of both ends lists software-transmit and software-receive;
#  - tests/tstamp.py, both directions (mydev0 -> mydev1 in netns "peer",
#    then back): the sender's UDP socket (TX_SOFTWARE, OPT_ID, OPT_TSONLY)
#    gets exactly one SCM_TSTAMP_SND software timestamp per datagram from
#    MSG_ERRQUEUE, with OPT_ID = the datagram's number, taken between its
#    sendmsg() and the moment the error queue delivered it (the driver's
#    skb_tx_timestamp()); the receiver's socket (RX_SOFTWARE) gets an RX
#    timestamp for every datagram, not earlier than its TX timestamp (1 ms
#    slack), not later than the receiver's last look at CLOCK_REALTIME;
#    all nonzero and near CLOCK_REALTIME now;
#  - each datagram is one frame on the wire (tx_packets + N exactly).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

require_cmd python3
TSTAMP=$REPO/tests/tstamp.py
N=20
PORT=4321

PAIR_IPV6=0
pair_setup

test_cleanup() { rm -f /tmp/t21-*; }

# ------------------------------------------------------------ ethtool -T
for dev in mydev0 mydev1; do
	ns=""
	[ $dev = mydev1 ] && ns=$NS
	caps=$(ns_run "$ns" ethtool -T $dev | sed -n '/^Capabilities:/,/^PTP/{/^[[:space:]]/p}' | xargs)
	for c in software-transmit software-receive; do
		[[ " $caps " == *" $c "* ]] || fail "ethtool -T $dev: no $c in '$caps'"
	done
	log "ok: ethtool -T $dev capabilities: $caps"
done

# stamps SENDER_NS SRC RECEIVER_NS DST TXDEV: N datagrams SRC -> DST:PORT.
stamps() {
	local sns=$1 src=$2 rns=$3 dst=$4 txdev=$5 out rc=0 tx0 tx1
	rm -f /tmp/t21-ready
	ns_run "$rns" "$TSTAMP" recv "$dst" "$PORT" "$N" --ready /tmp/t21-ready \
		>/tmp/t21-rx.json &
	local rpid=$!
	wait_for $((10 * ${LAB_TIMEOUT_SCALE:-1})) test -e /tmp/t21-ready || fail "tstamp.py recv did not start"
	tx0=$(link_stat "$txdev" tx_packets "$sns")
	ns_run "$sns" "$TSTAMP" send "$src" "$dst" "$PORT" "$N" >/tmp/t21-tx.json ||
		fail "tstamp.py send failed"
	wait "$rpid" || fail "tstamp.py recv failed"
	settle
	tx1=$(link_stat "$txdev" tx_packets "$sns")
	expect_eq "$txdev tx_packets delta ($N datagrams)" $((tx1 - tx0)) "$N"
	out=$("$TSTAMP" check /tmp/t21-tx.json /tmp/t21-rx.json) || rc=$?
	while IFS= read -r line; do log "$line"; done <<<"$out"
	[ "$rc" -eq 0 ] || fail "timestamps $src -> $dst: see above"
}

log "=== $ADDR_A (mydev0) -> $ADDR_B (mydev1, netns $NS) (t=${SECONDS}s)"
stamps "" "$ADDR_A" "$NS" "$ADDR_B" mydev0
log "=== $ADDR_B (mydev1, netns $NS) -> $ADDR_A (mydev0) (t=${SECONDS}s)"
stamps "$NS" "$ADDR_B" "" "$ADDR_A" mydev1
