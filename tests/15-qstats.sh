#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 15-qstats: per-queue statistics over netlink (netdev_stat_ops, 6.9+),
# read with tests/qstats.py (NETDEV_CMD_QSTATS_GET).
#  - skipped only when the kernel itself has no qstats-get; where it has,
#    the driver must answer for both ends;
#  - after traffic, with counters settled, the device totals and RX/TX
#    queue 0 equal the ndo_get_stats64 counters exactly (packets, bytes),
#    on both ends; queue 0 is the only queue in use;
#  - TX queue 0's tx-stop equals ethtool -S tx_queue_stops;
#  - the counts survive down/up (queues + base stats keep the history).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

QSTATS="$REPO/tests/qstats.py"

# qstats DEV [NETNS]: the JSON of qstats.py; skips where the kernel has none.
qstats() {
	local out rc=0
	out=$(ns_run "${2:-}" python3 "$QSTATS" "$1") || rc=$?
	[ "$rc" -ne 2 ] || skip "this kernel has no netdev qstats-get (Linux 6.9+)"
	[ "$rc" -eq 0 ] || fail "qstats.py $1 failed ($rc)"
	echo "$out"
}

# check_dev DEV [NETNS]: qstats agree exactly with stats64 and ethtool -S.
check_dev() {
	local dev=$1 ns=${2:-} js k path
	local -A c
	js=$(qstats "$dev" "$ns")
	snap c "$dev" "$ns"
	log "$dev qstats: $js"
	for k in rx-packets rx-bytes tx-packets tx-bytes; do
		expect_eq "$dev device $k" "$(jq -r --arg k "$k" '.device[$k]' <<<"$js")" \
			"${c[${k/-/_}]}"
	done
	for k in rx-packets rx-bytes; do
		path=".rx[\"0\"][\"$k\"]"
		expect_eq "$dev rx queue 0 $k" "$(jq -r "$path" <<<"$js")" "${c[${k/-/_}]}"
	done
	for k in tx-packets tx-bytes; do
		path=".tx[\"0\"][\"$k\"]"
		expect_eq "$dev tx queue 0 $k" "$(jq -r "$path" <<<"$js")" "${c[${k/-/_}]}"
	done
	expect_eq "$dev tx queue 0 tx-stop" "$(jq -r '.tx["0"]["tx-stop"]' <<<"$js")" \
		"${c[tx_queue_stops]}"
	expect_eq "$dev RX queues reported" "$(jq -r '.rx | length' <<<"$js")" 1
	expect_eq "$dev TX queues reported" "$(jq -r '.tx | length' <<<"$js")" 1
}

PAIR_IPV6=0
pair_setup
ping_count 5 "$ADDR_B"
ping_count 2 -s 4000 "$ADDR_B"
settle
check_dev mydev0
check_dev mydev1 "$NS"

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
