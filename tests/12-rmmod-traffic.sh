#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TIMEOUT: 240
#
# 12-rmmod-traffic: tearing pairs down while heavy traffic crosses them.
#  1. one pair, ends in two netns, iperf3 TCP --bidir + ping -f both ways:
#     rmmod succeeds within 10 s, both ends are gone, the traffic tools
#     do not exit 0 (each one still running is killed);
#  2. numpairs=4, every pair across two netns, iperf3 --bidir on two of
#     them and ping -f on all four: same checks;
#  3. an ip-link-created pair: "ip link del" of one end under the same
#     load, within 10 s, both ends gone;
#  4. "ip netns del" of the netns holding one end under ping -f load
#     (from the other netns only: a process inside would keep the netns
#     alive): the other end is gone within 10 s.
# Traffic is proven to flow (>= 100 frames/s on the wire) before each
# teardown. run.sh fails the test on any kernel WARNING/BUG/lockdep/...,
# and on "unregister_netdevice: waiting" (a leaked device reference).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

require_cmd iperf3 ss

PIDS=()
declare -A TOOL # pid -> what it runs, for messages

# setup_pair DEVA NSA DEVB NSB N: move the ends into the netns (if not
# there yet), address them 10.12.N.1/.2 and bring them up.
setup_pair() {
	local a=$1 nsx=$2 b=$3 nsy=$4 n=$5 cmds=""
	# ip -batch: every fork+exec costs ~0.2 s under TCG.
	[ -e "/run/netns/$nsx" ] || cmds+="netns add $nsx"$'\n'
	[ -e "/run/netns/$nsy" ] || cmds+="netns add $nsy"$'\n'
	[ -e "/sys/class/net/$a" ] && cmds+="link set $a netns $nsx"$'\n'
	[ -e "/sys/class/net/$b" ] && cmds+="link set $b netns $nsy"$'\n'
	[ -z "$cmds" ] || ip -batch - <<<"$cmds" || fail "ip -batch failed: $cmds"
	ip -n "$nsx" -batch - <<<"addr add 10.12.$n.1/24 dev $a"$'\n'"link set $a up" ||
		fail "cannot configure $a in $nsx"
	ip -n "$nsy" -batch - <<<"addr add 10.12.$n.2/24 dev $b"$'\n'"link set $b up" ||
		fail "cannot configure $b in $nsy"
	log "ok: $a (10.12.$n.1, $nsx) <-> $b (10.12.$n.2, $nsy) up"
}

# start_ping NSA NSB N: ping -f in both directions.
start_ping() {
	ip netns exec "$1" ping -f -q "10.12.$3.2" >/dev/null 2>&1 &
	PIDS+=($!)
	TOOL[$!]="ping -f in $1"
	ip netns exec "$2" ping -f -q "10.12.$3.1" >/dev/null 2>&1 &
	PIDS+=($!)
	TOOL[$!]="ping -f in $2"
}

# start_iperf NSA NSB N: iperf3 TCP in both directions at once.
start_iperf() {
	local port=$((5200 + $3))
	ip netns exec "$2" iperf3 -s -p "$port" >/dev/null 2>&1 &
	PIDS+=($!)
	TOOL[$!]="iperf3 server in $2"
	wait_for 10 sh -c "ip netns exec $2 ss -ltnH | grep -q ':$port '" ||
		fail "iperf3 server in $2 is not listening"
	# Longer than any run of this test: a client that ends its test
	# before rmmod would exit 0 (one did, after 120 s, on the debug
	# kernel).
	ip netns exec "$1" iperf3 -c "10.12.$3.2" -p "$port" -t 3600 --bidir >/dev/null 2>&1 &
	PIDS+=($!)
	TOOL[$!]="iperf3 client in $1"
}

# flowing DEV NS: the device transmits >= 100 frames in one second.
flowing() {
	local a b
	a=$(link_stat "$1" tx_packets "$2")
	sleep 1
	b=$(link_stat "$1" tx_packets "$2")
	log "$1 (in $2): $((b - a)) frames/s"
	[ $((b - a)) -ge 100 ]
}

# Traffic tools must not report success after their link vanished: give
# them a moment to notice, kill the survivors, and check none exited 0.
reap_tools() {
	local pid rc alive=0
	sleep 1
	for pid in "${PIDS[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			alive=$((alive + 1))
			kill "$pid" 2>/dev/null || true
		fi
	done
	for pid in "${PIDS[@]}"; do
		rc=0
		wait "$pid" 2>/dev/null || rc=$?
		[ "$rc" -ne 0 ] ||
			fail "${TOOL[$pid]:-a traffic tool} (pid $pid) exited 0 after its link was deleted"
	done
	log "ok: ${#PIDS[@]} traffic tools ended non-zero ($alive killed)"
	PIDS=()
}

# timed CMD...: run CMD, fail unless it succeeds within 10 s (times
# LAB_TIMEOUT_SCALE: the debug kernel tears down several times slower).
timed() {
	local t0 ms rc=0 limit=$((10000 * ${LAB_TIMEOUT_SCALE:-1}))
	t0=$(date +%s%N)
	timeout $((3 * limit / 1000)) "$@" || rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$rc" -eq 0 ] || fail "'$*' failed (exit $rc) after $ms ms"
	[ "$ms" -lt "$limit" ] || fail "'$*' took $ms ms under traffic, limit $limit"
	log "ok: '$*' took $ms ms under traffic"
}

nkind() {
	ip -n "$1" -d -j link show | jq '[.[] | select(.linkinfo.info_kind == "mynetdrv")] | length'
}

# ------------------------------------------------ 1. one pair, rmmod
mod_load
setup_pair mydev0 t12a mydev1 t12b 0
start_iperf t12a t12b 0
start_ping t12a t12b 0
wait_for 20 flowing mydev0 t12a || fail "no traffic on mydev0"
timed rmmod mynetdrv
mod_loaded && fail "mynetdrv still loaded after rmmod"
expect_eq "mynetdrv devices in t12a" "$(nkind t12a)" 0
expect_eq "mynetdrv devices in t12b" "$(nkind t12b)" 0
reap_tools

# ------------------------------------------------ 2. four pairs, rmmod
mod_load numpairs=4
for i in 0 1 2 3; do
	setup_pair "mydev$((2 * i))" "t12x$i" "mydev$((2 * i + 1))" "t12y$i" "$((10 + i))"
	start_ping "t12x$i" "t12y$i" "$((10 + i))"
done
start_iperf t12x0 t12y0 10
start_iperf t12x2 t12y2 12
for i in 0 1 2 3; do
	wait_for 20 flowing "mydev$((2 * i))" "t12x$i" || fail "no traffic on mydev$((2 * i))"
done
timed rmmod mynetdrv
mod_loaded && fail "mynetdrv still loaded after rmmod"
for i in 0 1 2 3; do
	expect_eq "mynetdrv devices in t12x$i + t12y$i" "$(($(nkind "t12x$i") + $(nkind "t12y$i")))" 0
done
reap_tools

# ------------------------------------------------ 3. ip link del
mod_load numpairs=0
expect_ok ip -batch - <<<$'netns add t12c\nnetns add t12d'
expect_ok ip link add name t12l netns t12c type mynetdrv peer name t12r netns t12d
setup_pair t12l t12c t12r t12d 20
start_iperf t12c t12d 20
start_ping t12c t12d 20
wait_for 20 flowing t12l t12c || fail "no traffic on t12l"
timed ip -n t12c link del t12l
expect_eq "mynetdrv devices in t12c" "$(nkind t12c)" 0
expect_eq "mynetdrv devices in t12d" "$(nkind t12d)" 0
reap_tools

# ------------------------------------------------ 4. ip netns del
expect_ok ip -batch - <<<$'netns add t12e\nnetns add t12f'
expect_ok ip link add name t12l netns t12e type mynetdrv peer name t12r netns t12f
setup_pair t12l t12e t12r t12f 21
# A process inside t12e would keep that netns alive after "ip netns del":
# all load comes from t12f (t12e's kernel answers the pings).
for s in 56 1400; do
	ip netns exec t12f ping -f -q -s "$s" 10.12.21.1 >/dev/null 2>&1 &
	PIDS+=($!)
	TOOL[$!]="ping -f -s $s in t12f"
done
wait_for 20 flowing t12r t12f || fail "no traffic on t12r"
timed ip netns del t12e
only_lo() { [ "$(link_names "$1")" = lo ]; }
wait_for 10 only_lo t12f ||
	fail "t12r survived deletion of netns t12e holding its peer: $(ip -n t12f -o link show)"
log "ok: t12r gone with netns t12e"
reap_tools
timed rmmod mynetdrv
