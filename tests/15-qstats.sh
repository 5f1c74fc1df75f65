#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 15-qstats: per-queue statistics over netlink (netdev_stat_ops, 6.9+),
# read with tests/qstats.py (NETDEV_CMD_QSTATS_GET).
#  - skipped only when the kernel itself has no qstats-get; where it has,
#    the driver must answer for both ends;
#  - after pings and 16 UDP flows (mydev0 must send on more than one TX
#    queue when it has more than one), with counters settled, on both
#    ends: the device totals equal the ndo_get_stats64 counters exactly
#    (packets, bytes);
#    as many RX and TX queues reported as channels in use (the default
#    count: more than one on a multi-CPU guest), which add up to those
#    totals (no channel change, so no history outside them);
#  - per queue i, TX queue i of one end == RX queue i of the other
#    (packets, bytes): counters written by two devices' contexts;
#  - the TX queues' tx-stop add up to ethtool -S tx_queue_stops;
#  - the counts survive down/up (queues + base stats keep the history).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

QSTATS="$REPO/tests/qstats.py"
test_cleanup() { [ -z "${SINK:-}" ] || kill "$SINK" 2>/dev/null || true; }

# qstats DEV [NETNS]: the JSON of qstats.py; skips where the kernel has none.
qstats() {
	local out rc=0
	out=$(ns_run "${2:-}" python3 "$QSTATS" "$1") || rc=$?
	[ "$rc" -ne 2 ] || skip "this kernel has no netdev qstats-get (Linux 6.9+)"
	[ "$rc" -eq 0 ] || fail "qstats.py $1 failed ($rc)"
	echo "$out"
}

# check_dev DEV [NETNS]: qstats agree exactly with stats64 and ethtool -S;
# leaves the JSON in QS[DEV].
declare -A QS
check_dev() {
	local dev=$1 ns=${2:-} js k ch
	local -A c
	js=$(qstats "$dev" "$ns")
	snap c "$dev" "$ns"
	ch=$(cur_channels "$dev" "$ns")
	log "$dev qstats ($ch channels): $js"
	[ "$ch" -gt 1 ] || log "note: one channel only ($(nproc) CPUs): the sums are one queue"
	for k in rx-packets rx-bytes tx-packets tx-bytes; do
		expect_eq "$dev device $k" "$(jq -r --arg k "$k" '.device[$k]' <<<"$js")" \
			"${c[${k/-/_}]}"
	done
	expect_eq "$dev RX, TX queues reported" "$(jq -r '[(.rx | length), (.tx | length)] | join(" ")' <<<"$js")" "$ch $ch"
	for k in rx-packets rx-bytes; do
		expect_eq "$dev sum of RX queues' $k" \
			"$(jq -r --arg k "$k" '[.rx[][$k]] | add' <<<"$js")" "${c[${k/-/_}]}"
	done
	for k in tx-packets tx-bytes; do
		expect_eq "$dev sum of TX queues' $k" \
			"$(jq -r --arg k "$k" '[.tx[][$k]] | add' <<<"$js")" "${c[${k/-/_}]}"
	done
	expect_eq "$dev sum of TX queues' tx-stop" "$(jq -r '[.tx[]["tx-stop"]] | add' <<<"$js")" \
		"${c[tx_queue_stops]}"
	QS[$dev]=$js
}

# spread: with more than one channel, mydev0's flows used more than one
# TX queue (else the per-queue checks would see one queue only).
spread() {
	local used
	[ "$(jq -r '.tx | length' <<<"${QS[mydev0]}")" -gt 1 ] || return 0
	used=$(jq -r '[.tx[] | select(.["tx-packets"] > 0)] | length' <<<"${QS[mydev0]}")
	[ "$used" -gt 1 ] || fail "16 flows used only $used of mydev0's TX queues"
	log "ok: mydev0 sent on $used TX queues"
}

# check_cross: TX queue i of each end == RX queue i of the other.
check_cross() {
	local a b
	a=$(jq -c '[.tx | to_entries[] | [.key, .value["tx-packets"], .value["tx-bytes"]]]' <<<"${QS[mydev0]}")
	b=$(jq -c '[.rx | to_entries[] | [.key, .value["rx-packets"], .value["rx-bytes"]]]' <<<"${QS[mydev1]}")
	expect_eq "mydev0 TX queues == mydev1 RX queues (index, packets, bytes)" "$a" "$b"
	a=$(jq -c '[.tx | to_entries[] | [.key, .value["tx-packets"], .value["tx-bytes"]]]' <<<"${QS[mydev1]}")
	b=$(jq -c '[.rx | to_entries[] | [.key, .value["rx-packets"], .value["rx-bytes"]]]' <<<"${QS[mydev0]}")
	expect_eq "mydev1 TX queues == mydev0 RX queues (index, packets, bytes)" "$a" "$b"
}

PAIR_IPV6=0
pair_setup
ping_count 5 "$ADDR_B"
ping_count 2 -s 4000 "$ADDR_B"
# 16 UDP flows into a silent sink: spread over mydev0's TX queues.
udp_sink_start
expect_eq "datagrams sent by 16 flows" "$(python3 "$REPO/tests/udpflood.py" --flows 16 10)" 160
settle
check_dev mydev0
check_dev mydev1 "$NS"
spread
check_cross

# History survives down/up: the rings are freed, the counters are not.
expect_ok ip link set mydev0 down
expect_ok ip -n "$NS" link set mydev1 down
expect_ok ip link set mydev0 up
expect_ok ip -n "$NS" link set mydev1 up
wait_for 10 test "$(cat /sys/class/net/mydev0/carrier 2>/dev/null)" = 1 ||
	fail "no carrier after up"
pair_neigh
ping_count 3 "$ADDR_B"
settle
check_dev mydev0
check_dev mydev1 "$NS"
check_cross
