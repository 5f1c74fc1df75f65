# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# tests/pairlib.sh - helpers shared by tests 02..09, sourced after lib.sh.
#
# The usual topology: mydev0 (10.0.0.1/24, fd00::1/64) in the init netns,
# mydev1 (10.0.0.2/24, fd00::2/64) in netns "peer".  To make counters
# exactly predictable the pair is kept quiet: no router solicitations, no
# DAD, MLD reports only right after up (10 ms interval), and permanent
# neighbour entries, so no ARP/ND frame ever crosses unless a test sends it.
#
#   pair_setup [insmod params...]   load, move mydev1 to $NS, address, up,
#                                   wait for carrier, settle.  PAIR_IPV6=0
#                                   disables IPv6 on both ends (then the
#                                   pair carries nothing but test traffic).
#                                   PAIR_KIND=veth: the same on veth pairs
#                                   (mydev0/mydev1, and mydev2/mydev3 ...
#                                   with numpairs=N, the one parameter
#                                   then), the module not loaded: for a
#                                   test that checks itself against the
#                                   kernel's reference driver (35-xdp)
#   snap ARR DEV [NETNS]            ARR[k]=v for every stats64 counter
#                                   (rx_packets, tx_bytes, rx_multicast ...)
#                                   and every `ethtool -S` counter
#   qsnap ARR DEV [NETNS]           add to ARR each queue in use's traffic,
#                                   under the names ethtool -S gives them
#                                   before 6.9 (rx<i>_packets, rx<i>_bytes,
#                                   tx<i>_packets, tx<i>_bytes, tx<i>_stops)
#                                   from qstats where the kernel has it
#   default_channels                the channel count a new pair starts with
#   mydev1_napi_pin MASK [idle]     mydev1's NAPI threaded, each of its
#                                   kthreads pinned to the CPUs of hex MASK
#                                   (and at SCHED_IDLE with "idle")
#   settle                          wait until no counter of either end
#                                   moves for 0.5 s
#   test_cleanup                    if the test defines it, run at exit
#                                   (before the netns sysfs is unmounted)
#   check_conservation              exact conservation, both directions
#   check_tx_dropped_sum DEV [NS [core]]
#                                   tx_dropped == sum of the drop reasons
#                                   ("core": or more from 6.11, see there)
#   mac_of DEV [NETNS]              the device's MAC address
#   pair_neigh                      (re)install the permanent neighbours
#                                   (a device going down flushes them)
#   udp_sink_start                  a UDP socket on $ADDR_B:9 in $NS, so
#                                   datagrams sent there draw no ICMP;
#                                   returns once bound, its PID in SINK
#   ping_count N ARGS...            ping -c N ARGS; fail unless N replies
#                                   (from netns $PING_NS if set)
#   seq_sink_start PORT FILE        a tests/udpseq.py receiver on
#                                   $ADDR_B:PORT in $NS, recording the
#                                   numbered datagrams of udpflood.py --seq
#                                   in FILE; its PID in SEQ_SINK
#   seq_check FILE WHAT             stop it; fail unless every flow arrived
#                                   in order and without duplicates
#   faults_arm                      debugfs mounted, the driver's fault
#                                   knobs ($FAULTS/lose_kicks,
#                                   xmit_fail_nth) there, 0 written to
#                                   each: the first write arms their
#                                   checks (a static key), so call it
#                                   before any traffic
#   faults_clear                    0 to each knob there is (cleanup)
#   bg_stop                         kill and reap every PID in BG; BG=()
#   rps_on DEV [NETNS [MASK]]       RPS over every CPU (or MASK, hex) on
#                                   each RX queue DEV has now; with any
#                                   mask set the core checks the RX queue
#                                   of every frame any device receives

NS=peer
ADDR_A=10.0.0.1
ADDR_B=10.0.0.2
ADDR6_A=fd00::1
ADDR6_B=fd00::2
PAIR_IPV6=${PAIR_IPV6:-1}

# The tx drop reasons that make up tx_dropped (see stats.c).
TX_DROP_REASONS=(tx_drop_peer_down tx_drop_ring_full tx_drop_runt tx_drop_nomem tx_xdp_xmit_errors)

# Run "$@" in netns $1, or in the init netns if $1 is empty. Only the
# network namespace is entered (cheaper than ip netns exec), so /sys is
# still the init netns's one: use _sysdir for sysfs paths.
ns_run() {
	local ns=$1
	shift
	if [ -n "$ns" ]; then
		nsenter --net="/run/netns/$ns" "$@"
	else
		"$@"
	fi
}

mac_of() {
	local v
	read -r v <"$(_sysdir "$1" "${2:-}")/address"
	echo "$v"
}

# Keep IPv6 from talking on its own (or switch it off with PAIR_IPV6=0).
_pair_quiet() {
	local dev=$1 ns=${2:-} k
	if [ "$PAIR_IPV6" = 0 ]; then
		ns_run "$ns" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"
		return
	fi
	for k in router_solicitations=0 dad_transmits=0 accept_dad=0 \
		 mldv1_unsolicited_report_interval=10 \
		 mldv2_unsolicited_report_interval=10; do
		ns_run "$ns" sysctl -qw "net.ipv6.conf.$dev.$k"
	done
}

# _pair_veth [numpairs=N]: what mod_load [numpairs=N] would make, on veth.
_pair_veth() {
	local n=1 i
	case ${1:-} in
	"") ;;
	numpairs=[0-9]*) n=${1#numpairs=} ;;
	*) fail "pair_setup: PAIR_KIND=veth takes numpairs=N only, not '$*'" ;;
	esac
	[ $# -le 1 ] || fail "pair_setup: PAIR_KIND=veth takes numpairs=N only, not '$*'"
	for ((i = 0; i < n; i++)); do
		ip link add "mydev$((2 * i))" type veth peer name "mydev$((2 * i + 1))" ||
			fail "cannot create the veth pair mydev$((2 * i))/mydev$((2 * i + 1))"
	done
	log "veth pairs instead of mynetdrv (PAIR_KIND=veth): mydev0..mydev$((2 * n - 1))"
}

pair_setup() {
	case ${PAIR_KIND:-mynetdrv} in
	mynetdrv) mod_load "$@" ;;
	veth) _pair_veth "$@" ;;
	*) fail "pair_setup: unknown PAIR_KIND '$PAIR_KIND' (mynetdrv or veth)" ;;
	esac
	wait_for 5 dev_exists mydev1 || fail "mydev1 did not appear"
	ip netns add "$NS"
	trap pair_cleanup EXIT
	peer_sys_mount "$NS"
	# Also for devices moved into $NS later (a move recreates IPv6 state
	# from the netns defaults).
	_pair_quiet default "$NS"
	ip link set mydev1 netns "$NS"
	_pair_quiet mydev0
	_pair_quiet mydev1 "$NS"
	ip addr add "$ADDR_A/24" dev mydev0
	ip -n "$NS" addr add "$ADDR_B/24" dev mydev1
	if [ "$PAIR_IPV6" != 0 ]; then
		ip addr add "$ADDR6_A/64" dev mydev0 nodad
		ip -n "$NS" addr add "$ADDR6_B/64" dev mydev1 nodad
	fi
	pair_neigh
	ip link set mydev0 up
	ip -n "$NS" link set mydev1 up
	wait_for 5 grep -qx 1 /sys/class/net/mydev0/carrier || fail "mydev0: no carrier"
	wait_for 5 in_ns "$NS" grep -qx 1 /sys/class/net/mydev1/carrier ||
		fail "mydev1: no carrier"
	settle
}

# sysfs of netns $NS, mounted by pair_setup, so that counters can be read
# with shell builtins: forks are slow under TCG.
PEER_SYS=/tmp/pairlib-sys-$NS

_sysdir() { # DEV [NETNS]
	if [ -n "${2:-}" ]; then
		echo "/tmp/pairlib-sys-$2/class/net/$1"
	else
		echo "/sys/class/net/$1"
	fi
}

pair_cleanup() {
	if declare -F test_cleanup >/dev/null; then
		test_cleanup || true
	fi
	if mountpoint -q "$PEER_SYS" 2>/dev/null; then
		umount "$PEER_SYS" || true
	fi
}

# peer_sys_mount NETNS: mount NETNS's sysfs for snap/settle.
peer_sys_mount() {
	local d=/tmp/pairlib-sys-$1
	mkdir -p "$d"
	mountpoint -q "$d" || nsenter --net="/run/netns/$1" mount -t sysfs sysfs "$d"
}

# (Re)install the permanent neighbour entries: taking a device down
# flushes them, even permanent ones.
pair_neigh() {
	local mac_a mac_b
	mac_a=$(mac_of mydev0)
	mac_b=$(mac_of mydev1 "$NS")
	ip neigh replace "$ADDR_B" lladdr "$mac_b" dev mydev0 nud permanent
	ip -n "$NS" neigh replace "$ADDR_A" lladdr "$mac_a" dev mydev1 nud permanent
	if [ "$PAIR_IPV6" != 0 ]; then
		ip neigh replace "$ADDR6_B" lladdr "$mac_b" dev mydev0 nud permanent
		ip -n "$NS" neigh replace "$ADDR6_A" lladdr "$mac_a" dev mydev1 nud permanent
	fi
}

snap() {
	local -n _snap=$1
	local dev=$2 ns=${3:-} k v f dir
	dir=$(_sysdir "$dev" "$ns")
	_snap=()
	[ -d "$dir/statistics" ] || fail "snap: no $dir/statistics"
	for f in "$dir"/statistics/*; do
		k=${f##*/}
		[ "$k" = multicast ] && k=rx_multicast
		read -r v <"$f"
		_snap["$k"]=$v
	done
	while IFS=: read -r k v; do
		k=${k//[[:space:]]/}
		v=${v//[[:space:]]/}
		[ -n "$v" ] && _snap["$k"]=$v
	done <<<"$(ns_run "$ns" ethtool -S "$dev")"
	# tx_kicks: the driver's own counters are there (a veth pair,
	# PAIR_KIND=veth, has other ones).
	if [ -z "${_snap[tx_packets]:-}" ] ||
	   { [ "${PAIR_KIND:-mynetdrv}" = mynetdrv ] && [ -z "${_snap[tx_kicks]:-}" ]; }; then
		fail "snap: could not read the counters of $dev"
	fi
}

# The stats64 counters of both ends, as one string (builtins only).
_pair_counters() {
	local f v out=""
	for f in /sys/class/net/mydev0/statistics/* \
		 "$PEER_SYS"/class/net/mydev1/statistics/*; do
		read -r v <"$f"
		out+="$v "
	done
	echo "$out"
}

# Wait until no counter of either end moves for 0.5 s.
settle() {
	local prev="" cur i
	for ((i = 0; i < 60; i++)); do
		cur=$(_pair_counters)
		[ "$cur" = "$prev" ] && return 0
		prev=$cur
		sleep 0.5
	done
	fail "counters still moving after 30 s"
}

# check_conservation [BYTES_DROPPED_AT_1 BYTES_DROPPED_AT_0]
# Exact: tx of one end == rx + the driver's rx drops (rx_drop_purged) +
# what its MAC filter refused (rx_filtered, not a drop) + rx_errors of the
# other, for packets; for bytes, tx_bytes == rx_bytes + the bytes the
# receiver did not deliver: purged and filtered ones it counts (ethtool -S
# rx_drop_purged_bytes, rx_filtered_bytes), rx_errors ones callers that
# know them pass (default 0).
# XDP changes none of it: a frame an XDP program took is in its receiver's
# rx_packets and rx_bytes (what the NIC received), and one XDP sent across
# (XDP_TX, ndo_xdp_xmit) is in its sender's tx_packets and tx_bytes.
check_conservation() {
	local -A a b
	local drop_b=${1:-0} drop_a=${2:-0} before i
	for ((i = 0; i < 5; i++)); do
		before=$(_pair_counters)
		snap a mydev0
		snap b mydev1 "$NS"
		# A frame sent between the two snapshots (say a late ARP probe,
		# seconds after settle() on a slow kernel) would look lost or
		# invented: read both again.
		[ "$(_pair_counters)" = "$before" ] && break
		log "counters moved while they were read: again"
		settle
	done
	log "mydev0: tx ${a[tx_packets]}/${a[tx_bytes]}B drop ${a[tx_dropped]}; rx ${a[rx_packets]}/${a[rx_bytes]}B drop ${a[rx_dropped]} err ${a[rx_errors]}"
	log "mydev1: tx ${b[tx_packets]}/${b[tx_bytes]}B drop ${b[tx_dropped]}; rx ${b[rx_packets]}/${b[rx_bytes]}B drop ${b[rx_dropped]} err ${b[rx_errors]}"
	# stats64 rx_dropped also has what the core dropped after the driver
	# delivered it (an RPS backlog full: enqueue_to_backlog()), which
	# rx_packets already counts: conservation takes the driver's drops.
	# Of those, frames it received (in rx_packets) but could not deliver
	# for want of memory, or XDP_TX / XDP_REDIRECT room, are in
	# rx_dropped too.
	local drv_a=$((a[rx_drop_purged] + a[rx_drop_nomem] + a[rx_xdp_tx_errors] + a[rx_xdp_redirect_errors]))
	local drv_b=$((b[rx_drop_purged] + b[rx_drop_nomem] + b[rx_xdp_tx_errors] + b[rx_xdp_redirect_errors]))
	if [ "${a[rx_dropped]}" -lt "$drv_a" ] || [ "${b[rx_dropped]}" -lt "$drv_b" ]; then
		fail "rx_dropped below the driver's drops: mydev0 ${a[rx_dropped]} vs $drv_a, mydev1 ${b[rx_dropped]} vs $drv_b"
	fi
	log "dropped by the core after delivery: mydev0 $((a[rx_dropped] - drv_a)), mydev1 $((b[rx_dropped] - drv_b))"
	local rxd_a=$((a[rx_drop_purged] + a[rx_filtered]))
	local rxd_b=$((b[rx_drop_purged] + b[rx_filtered]))
	expect_eq "mydev0 tx_packets == mydev1 rx_packets+rx_drop_purged+rx_filtered+rx_errors" \
		"${a[tx_packets]}" "$((b[rx_packets] + rxd_b + b[rx_errors]))"
	expect_eq "mydev1 tx_packets == mydev0 rx_packets+rx_drop_purged+rx_filtered+rx_errors" \
		"${b[tx_packets]}" "$((a[rx_packets] + rxd_a + a[rx_errors]))"
	drop_b=$((drop_b + b[rx_drop_purged_bytes] + b[rx_filtered_bytes]))
	drop_a=$((drop_a + a[rx_drop_purged_bytes] + a[rx_filtered_bytes]))
	expect_eq "mydev0 tx_bytes == mydev1 rx_bytes + $drop_b dropped bytes" \
		"${a[tx_bytes]}" "$((b[rx_bytes] + drop_b))"
	expect_eq "mydev1 tx_bytes == mydev0 rx_bytes + $drop_a dropped bytes" \
		"${b[tx_bytes]}" "$((a[rx_bytes] + drop_a))"
}

# core_counts_noop_drops: this kernel (6.11+) counts the noop qdisc's
# drops in the device's tx_dropped.
core_counts_noop_drops() {
	local maj min r
	r=$(uname -r)
	maj=${r%%.*}
	min=${r#*.}
	min=${min%%[!0-9]*}
	[ "$maj" -gt 6 ] || { [ "$maj" -eq 6 ] && [ "$min" -ge 11 ]; }
}

# check_tx_dropped_sum DEV [NETNS [core]]: tx_dropped == the sum of the
# driver's drop reasons. With "core", tx_dropped may exceed the sum: since
# Linux 6.11 the noop qdisc a device gets while its carrier is off counts
# its drops in the core's tx_dropped, which dev_get_stats() adds to ours;
# on older kernels "core" is exact too.
check_tx_dropped_sum() {
	local -A s
	local r sum=0
	snap s "$1" "${2:-}"
	for r in "${TX_DROP_REASONS[@]}"; do
		[ -n "${s[$r]:-}" ] || fail "$1 has no ethtool counter $r"
		sum=$((sum + s[$r]))
	done
	# Before 6.11 the core counts none of its own: exact there.
	if [ "${3:-}" = core ] && [ "${s[tx_dropped]}" -gt "$sum" ] && core_counts_noop_drops; then
		log "ok: $1 tx_dropped ${s[tx_dropped]} = driver drops $sum" \
			"+ $((s[tx_dropped] - sum)) dropped by the kernel's noop qdisc (carrier off)"
		return 0
	fi
	expect_eq "$1 tx_dropped == ${TX_DROP_REASONS[*]}" "${s[tx_dropped]}" "$sum"
}

ping_count() {
	local n=$1 out got
	shift
	out=$(ns_run "${PING_NS:-}" ping -c "$n" -i 0.2 -W 2 "$@" 2>&1) || true
	printf '%s\n' "$out" | tail -n 2 | sed 's/^/# /'
	got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
	expect_eq "replies to ping -c $n $*" "${got:-0}" "$n"
}

udp_sink_start() {
	rm -f /tmp/pairlib-sink.ready
	in_ns "$NS" python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 9))
open("/tmp/pairlib-sink.ready", "w").close()
time.sleep(1 << 20)' "$ADDR_B" &
	# shellcheck disable=SC2034 # the caller kills it in its cleanup
	SINK=$!
	wait_for $((10 * ${LAB_TIMEOUT_SCALE:-1})) test -e /tmp/pairlib-sink.ready || fail "UDP sink did not start"
}

seq_sink_start() {
	rm -f "$2"
	# Not through a shell function: $! must be the receiver itself, to kill.
	ip netns exec "$NS" python3 "$REPO/tests/udpseq.py" recv "$ADDR_B" "$1" "$2" \
		>/tmp/pairlib-seq.ready &
	# shellcheck disable=SC2034 # the caller kills it in its cleanup
	SEQ_SINK=$!
	wait_for 10 grep -qx ready /tmp/pairlib-seq.ready || fail "numbered-datagram sink did not start"
}

seq_check() {
	local out rc=0
	kill "$SEQ_SINK" 2>/dev/null || true
	wait "$SEQ_SINK" 2>/dev/null || true
	out=$(python3 "$REPO/tests/udpseq.py" check "$1") || rc=$?
	[ "$rc" -eq 0 ] || fail "$2: $out"
	log "ok: $2: $out"
}

FAULTS=/sys/kernel/debug/mynetdrv
FAULT_KNOBS=(lose_kicks xmit_fail_nth poll_delay_us)

faults_arm() {
	local k
	mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
	for k in "${FAULT_KNOBS[@]}"; do
		[ -w "$FAULTS/$k" ] || fail "no $FAULTS/$k (fault injection)"
		echo 0 >"$FAULTS/$k"
	done
}

faults_clear() {
	local k
	for k in "${FAULT_KNOBS[@]}"; do
		if [ -w "$FAULTS/$k" ]; then echo 0 >"$FAULTS/$k"; fi
	done
}

bg_stop() {
	local p
	for p in "${BG[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	BG=()
}

qsnap() {
	local -n _q=$1
	local js rc=0 k v
	js=$(ns_run "${3:-}" python3 "$REPO/tests/qstats.py" "$2") || rc=$?
	# No qstats (before 6.9): ethtool -S has them, and snap took them.
	[ "$rc" -ne 2 ] || return 0
	[ "$rc" -eq 0 ] || fail "qstats.py $2 failed ($rc)"
	while read -r k v; do
		_q["$k"]=$v
	done < <(jq -r '(.rx | to_entries[] |
			"rx\(.key)_packets \(.value["rx-packets"])",
			"rx\(.key)_bytes \(.value["rx-bytes"])"),
		(.tx | to_entries[] |
			"tx\(.key)_packets \(.value["tx-packets"])",
			"tx\(.key)_bytes \(.value["tx-bytes"])",
			"tx\(.key)_stops \(.value["tx-stop"])")' <<<"$js")
}

# netif_get_num_default_rss_queues(): one channel per physical core, half
# as many above two; at most the 16 queues a device allocates.
default_channels() {
	local n
	n=$(sort -u /sys/devices/system/cpu/cpu*/topology/thread_siblings_list | wc -l)
	[ "$n" -le 2 ] || n=$(((n + 1) / 2))
	[ "$n" -le 16 ] || n=16
	echo "$n"
}

mydev1_napi_pin() {
	local pid pinned=0
	echo 1 >"$PEER_SYS/class/net/mydev1/threaded" || fail "cannot make mydev1's NAPI threaded"
	# Right after an up or a channel change, the kthread of a NAPI that
	# went away may still be listed while it exits: pin every one there.
	for pid in $(pgrep -x 'napi/mydev1-[0-9]*'); do
		taskset -p "$1" "$pid" >/dev/null 2>&1 || continue
		if [ "${2:-}" = idle ]; then chrt -i -p 0 "$pid" 2>/dev/null || continue; fi
		log "mydev1 NAPI kthread $pid: CPU mask $1${2:+, SCHED_IDLE}"
		pinned=$((pinned + 1))
	done
	[ "$pinned" -gt 0 ] || fail "no NAPI kthread of mydev1 to pin"
}

rps_on() {
	local q mask=${3:-}
	[ -n "$mask" ] || mask=$(printf '%x' $(((1 << $(nproc)) - 1)))
	for q in "$(_sysdir "$1" "${2:-}")"/queues/rx-*/rps_cpus; do
		echo "$mask" >"$q" || fail "cannot write $mask to $q"
	done
}
