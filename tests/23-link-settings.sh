#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 23-link-settings: ethtool -s speed/duplex, the message level, and the TX
# watchdog.
#  1. defaults, both ends: Speed 10000Mb/s, Duplex Full, Auto-negotiation
#     off, Port None;
#  2. `ethtool -s mydev0 speed S duplex full autoneg off` for every S of 10
#     100 1000 10000 25000 40000 100000, and duplex half for 10 100 1000:
#     accepted and shown; mydev1 keeps its own 10000/Full;
#  3. bad values (speed 12345, half duplex at 10000/25000/100000, autoneg
#     on) fail with EINVAL ("Invalid argument") and change nothing;
#  4. the setting survives mydev0 down/up and a peer down/up (Unknown while
#     there is no carrier, the set value again once it is back); while
#     down, `ethtool -s mydev0 speed S` or `duplex D` alone keeps the other
#     stored value (ethtool fills it in from the get's Unknown);
#  5. msglevel: default drv tx_err (0x81; the spec's "0x41" is drv rx_err)
#     on both ends; `msglvl link on` on mydev0 -> 0x85 "drv link tx_err",
#     and then each carrier change of mydev0 logs exactly one "mydev0: link
#     down" / "mydev0: link up" (kernel log lines after a marker only),
#     mydev1 (no link bit) none; back to 0x81 -> silent, checked after a
#     later flap that mydev1, now with the link bit, does log;
#  6. TX watchdog: under the sender's qdisc (not noqueue), with every RX
#     interrupt lost (debugfs mynetdrv/lose_kicks) a UDP flood of 16 flows
#     fills every ring of the peer and stops every queue; within 15 s the
#     core's watchdog fires: tx_timeouts >= 1, "mydev0: TX queue N timed
#     out" logged, naming all the rings it rescheduled (the core reports
#     one queue per 5 s round: the driver recovers them all at once),
#     queues/tx-*/tx_timeout >= 1; with lose_kicks 0 again traffic flows
#     (ping), tx_timeouts == the sum of tx-*/tx_timeout, exact
#     conservation (nothing lost, only delayed). run.sh fails the test on
#     any WARN/BUG; the core's "NETDEV WATCHDOG" line is netdev_crit on
#     6.1+, not a WARN, and it and the driver's report are allowed here
#     alone:
# KLOG_ALLOW: mydev0: NETDEV WATCHDOG|NETDEV WATCHDOG: mydev0 |mydev0: TX queue [0-9]+ timed out
# TIMEOUT: 180
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

require_cmd python3 tc
DBG=/sys/kernel/debug
LOSE=$DBG/mynetdrv/lose_kicks

PAIR_IPV6=0
pair_setup

flood_pid=
mounted_dbg=
test_cleanup() {
	[ -z "$flood_pid" ] || kill "$flood_pid" 2>/dev/null || true
	[ ! -w "$LOSE" ] || echo 0 >"$LOSE" 2>/dev/null || true
	[ -z "$mounted_dbg" ] || umount "$DBG" 2>/dev/null || true
	rm -f /tmp/t23-err
}

# eth_fields DEV [NETNS]: F[Key]=value for each "Key: value" line of
# `ethtool DEV`, and F[msgnames] = the names under "Current message level"
# (parsed with builtins: forks are slow under TCG).
declare -A F
eth_fields() {
	local out line k prev=""
	out=$(ns_run "${2:-}" ethtool "$1") || fail "ethtool $1 failed"
	F=()
	while IFS= read -r line; do
		line=${line#"${line%%[![:space:]]*}"}
		if [[ $line == *:* ]]; then
			k=${line%%:*}
			line=${line#*:}
			F[$k]=${line#"${line%%[![:space:]]*}"}
			prev=$k
		elif [ "$prev" = "Current message level" ]; then
			F[msgnames]=$line
		fi
	done <<<"$out"
}
# settings DEV NETNS SPEED DUPLEX: what `ethtool DEV` shows.
settings() {
	eth_fields "$1" "$2"
	expect_eq "$1 Speed/Duplex/Auto-negotiation/Port" \
		"${F[Speed]}/${F[Duplex]}/${F[Auto-negotiation]}/${F[Port]}" "$3/$4/off/None"
}
msglevel() { # DEV [NETNS]: "0x00000081" ...
	eth_fields "$1" "${2:-}"
	echo "${F[Current message level]%% *}"
}
# speed_is DEV SPEED DUPLEX: the same through sysfs (no fork).
speed_is() {
	local sp dp
	read -r sp <"/sys/class/net/$1/speed"
	read -r dp <"/sys/class/net/$1/duplex"
	expect_eq "$1 speed/duplex (sysfs)" "$sp $dp" "$2 $3"
}
# set_fails ARGS...: ethtool -s mydev0 ARGS fails with EINVAL.
set_fails() {
	local err rc=0
	err=$(ethtool -s mydev0 "$@" 2>&1 | tr "\n" " ") || rc=$?
	[ "$rc" -ne 0 ] || fail "ethtool -s mydev0 $* succeeded"
	[[ $err == *"Invalid argument"* ]] ||
		fail "ethtool -s mydev0 $*: expected EINVAL, got: $err"
	log "ok: ethtool -s mydev0 $* failed: $err"
}

# The kernel log after the last mark(): KLOG, read by klog_read;
# klog_count ERE counts its lines matching ERE (builtins).
MARK=0
KLOG=""
mark() {
	MARK=$((MARK + 1))
	echo "mynetdrv-lab: 23-link-settings mark $MARK end" >/dev/kmsg
}
klog_read() {
	local all
	all=$(dmesg)
	KLOG=${all##*"mynetdrv-lab: 23-link-settings mark $MARK end"}
}
klog_count() {
	local line n=0
	while IFS= read -r line; do
		[[ $line =~ $1 ]] && n=$((n + 1))
	done <<<"$KLOG"
	echo "$n"
}
klog_show() { # ERE: log the matching lines
	local line
	while IFS= read -r line; do
		[[ $line =~ $1 ]] && log "kernel: $line"
	done <<<"$KLOG"
	return 0
}
logged() { klog_read; [ "$(klog_count "$1")" -ge 1 ]; }
carrier_both() {
	grep -qx 1 /sys/class/net/mydev0/carrier &&
		grep -qx 1 "$PEER_SYS/class/net/mydev1/carrier"
}

# ------------------------------------------------------------ 1. defaults
log "=== 1. defaults (t=${SECONDS}s)"
settings mydev0 "" 10000Mb/s Full
settings mydev1 "$NS" 10000Mb/s Full

# ------------------------------------------------------------ 2. valid
log "=== 2. every valid speed/duplex (t=${SECONDS}s)"
for s in 10 100 1000 10000 25000 40000 100000; do
	quick_ok ethtool -s mydev0 speed $s duplex full autoneg off
	speed_is mydev0 $s full
done
settings mydev0 "" 100000Mb/s Full
for s in 10 100 1000; do
	quick_ok ethtool -s mydev0 speed $s duplex half autoneg off
	speed_is mydev0 $s half
done
settings mydev0 "" 1000Mb/s Half
settings mydev1 "$NS" 10000Mb/s Full

# ------------------------------------------------------------ 3. invalid
log "=== 3. bad values change nothing (t=${SECONDS}s)"
quick_ok ethtool -s mydev0 speed 40000 duplex full autoneg off
set_fails speed 12345 duplex full autoneg off
set_fails speed 10000 duplex half autoneg off
set_fails speed 25000 duplex half autoneg off
set_fails speed 100000 duplex half autoneg off
set_fails autoneg on
set_fails speed 1000 duplex full autoneg on
settings mydev0 "" 40000Mb/s Full

# ------------------------------------------------------------ 4. persistence
log "=== 4. kept across down/up (t=${SECONDS}s)"
quick_ok ethtool -s mydev0 speed 25000 duplex full autoneg off
quick_ok ip link set mydev0 down
eth_fields mydev0
expect_eq "mydev0 down: Speed" "${F[Speed]}" 'Unknown!'
quick_ok ip link set mydev0 up
wait_for 5 carrier_both || fail "no carrier after mydev0 up"
settings mydev0 "" 25000Mb/s Full
quick_ok ip -n "$NS" link set mydev1 down
quick_ok ip -n "$NS" link set mydev1 up
wait_for 5 carrier_both || fail "no carrier after mydev1 up"
settings mydev0 "" 25000Mb/s Full
settings mydev1 "$NS" 10000Mb/s Full
# Without carrier the get says Unknown, which the core passes back for
# what the user left out: the driver keeps its own value for it.
quick_ok ip link set mydev0 down
quick_ok ethtool -s mydev0 speed 1000
quick_ok ethtool -s mydev0 duplex half
set_fails speed 40000
quick_ok ip link set mydev0 up
wait_for 5 carrier_both || fail "no carrier after mydev0 up"
settings mydev0 "" 1000Mb/s Half
quick_ok ethtool -s mydev0 speed 10000 duplex full autoneg off
settings mydev0 "" 10000Mb/s Full

# ------------------------------------------------------------ 5. msglevel
log "=== 5. message level (t=${SECONDS}s)"
expect_eq "mydev0 default message level" "$(msglevel mydev0)" 0x00000081
expect_eq "mydev1 default message level" "$(msglevel mydev1 "$NS")" 0x00000081
eth_fields mydev0
expect_eq "mydev0 default message level names" "${F[msgnames]}" "drv tx_err"
quick_ok ethtool -s mydev0 msglvl link on
expect_eq "mydev0 message level, link on" "$(msglevel mydev0)" 0x00000085
expect_eq "mydev1 message level unchanged" "$(msglevel mydev1 "$NS")" 0x00000081

# flap WHO: take WHO (mydev0 or mydev1) down and up; both carriers back.
flap() {
	if [ "$1" = mydev0 ]; then
		quick_ok ip link set mydev0 down
		quick_ok ip link set mydev0 up
	else
		quick_ok ip -n "$NS" link set mydev1 down
		quick_ok ip -n "$NS" link set mydev1 up
	fi
	wait_for 5 carrier_both || fail "no carrier after flapping $1"
}
for who in mydev1 mydev0; do
	mark
	flap $who
	wait_for 5 logged 'mydev0: link up$' || fail "no 'mydev0: link up' after flapping $who"
	klog_show 'mydev[01]: link'
	expect_eq "'mydev0: link down' lines, $who flapped" "$(klog_count 'mydev0: link down$')" 1
	expect_eq "'mydev0: link up' lines, $who flapped" "$(klog_count 'mydev0: link up$')" 1
	expect_eq "'mydev1: link' lines (no link bit)" "$(klog_count 'mydev1: link (up|down)$')" 0
done

quick_ok ethtool -s mydev0 msglvl 0x81
expect_eq "mydev0 message level back" "$(msglevel mydev0)" 0x00000081
mark
flap mydev1
# mydev1 with the link bit as a positive control: once its lines are
# there, mydev0's would be too.
quick_ok ip netns exec "$NS" ethtool -s mydev1 msglvl 0x85
expect_eq "mydev1 message level, link on" "$(msglevel mydev1 "$NS")" 0x00000085
flap mydev1
wait_for 5 logged 'mydev1: link up$' || fail "no 'mydev1: link up' with its link bit set"
klog_show 'mydev[01]: link'
expect_eq "'mydev0: link' lines with msglvl 0x81" "$(klog_count 'mydev0: link (up|down)$')" 0
expect_eq "'mydev1: link down' lines" "$(klog_count 'mydev1: link down$')" 1
expect_eq "'mydev1: link up' lines" "$(klog_count 'mydev1: link up$')" 1
quick_ok ip netns exec "$NS" ethtool -s mydev1 msglvl 0x81
pair_neigh

# ------------------------------------------------------------ 6. watchdog
log "=== 6. TX watchdog (t=${SECONDS}s)"
qdisc=$(tc qdisc show dev mydev0 root)
log "mydev0 root qdisc: $qdisc"
if [[ $qdisc == "qdisc noqueue"* ]]; then
	fail "mydev0 has no queueing qdisc: no watchdog"
fi
if ! mountpoint -q "$DBG"; then
	quick_ok mount -t debugfs none "$DBG"
	mounted_dbg=1
fi
[ -w "$LOSE" ] || fail "no $LOSE"
expect_eq "$LOSE" "$(cat "$LOSE")" 0
# txq_timeouts: the core's count, summed over mydev0's TX queues.
txq_timeouts() { cat /sys/class/net/mydev0/queues/tx-*/tx_timeout | awk '{ s += $1 } END { print s + 0 }'; }
CH=$(cur_channels mydev0)
expect_eq "mydev0 tx_timeouts before" "$(ethtool_stat mydev0 tx_timeouts)" 0
expect_eq "queues/tx-*/tx_timeout before" "$(txq_timeouts)" 0
settle

mark
echo 1000000 >"$LOSE"
log "lose_kicks = $(cat "$LOSE")"
t0=$(date +%s%N)
# A UDP flood to the discard port until killed (at most 40 s), 16 flows:
# every queue's ring fills and every queue stops. A big send buffer: the
# frames in the ring still count against the socket.
python3 "$REPO/tests/udpflood.py" --flows 16 --sndbuf --size 18 -40 >/dev/null &
flood_pid=$!
timed_out() { [ "$(ethtool_stat mydev0 tx_timeouts)" -ge 1 ]; }
wait_for 15 timed_out || fail "no tx_timeouts within 15 s (stops $(ethtool_stat mydev0 tx_queue_stops))"
log "tx_timeouts = $(ethtool_stat mydev0 tx_timeouts) after $(( ($(date +%s%N) - t0) / 1000000 )) ms;" \
	"tx_queue_stops = $(ethtool_stat mydev0 tx_queue_stops)"
wait_for 5 logged 'mydev0: TX queue [0-9]+ timed out' || fail "no 'mydev0: TX queue N timed out' logged"
klog_show 'mydev0.*(timed out|WATCHDOG)'
# The core reports one stuck queue per round; the driver recovers them all.
logged "mydev0: TX queue [0-9]+ timed out, .*rescheduling the NAPIs of $CH ring\\(s\\)" ||
	fail "the timeout did not reschedule the NAPIs of all $CH full rings"
log "ok: one timeout rescheduled the NAPIs of all $CH rings"
[ "$(txq_timeouts)" -ge 1 ] || fail "queues/tx-*/tx_timeout = $(txq_timeouts), expected >= 1"
log "ok: queues/tx-*/tx_timeout = $(txq_timeouts)"

echo 0 >"$LOSE"
kill "$flood_pid"
wait "$flood_pid" || true
flood_pid=
expect_eq "$LOSE" "$(cat "$LOSE")" 0
ping1() { ping -c 1 -W 1 "$ADDR_B"; }
wait_for 20 ping1 || fail "no ping reply within 20 s of lose_kicks 0"
ping_count 3 "$ADDR_B"
settle
expect_eq "mydev0 tx_timeouts == queues/tx-*/tx_timeout" "$(ethtool_stat mydev0 tx_timeouts)" "$(txq_timeouts)"
check_conservation
check_tx_dropped_sum mydev0
