#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/run.sh - the measurements of `make bench`, run INSIDE the lab VM
# (scripts/bench.sh boots it; tests/28-bench-smoke.sh runs the quick mode
# in the test suite's VM).  Never on the host: it loads modules.
#
# Usage: bench/run.sh [--quick] OUTDIR
#
# Compares a mynetdrv pair with a veth pair set up the same way: the
# sending end in the init netns (10.0.0.1/24), the receiving end in its
# own netns (10.0.0.2/24), IPv6 off, permanent neighbours, the same
# allocated queues (numtxqueues/numrxqueues), the same channel count per
# figure, the same offloads (sg, tx checksum, tso, gso on; gro on unless
# the figure turns it off), each driver's default qdisc (or BENCH_QDISC).
# Only the pair under test has its sending end up (same addresses).  Runs
# alternate: for each figure, run 1 of mynetdrv, run 1 of veth [, run 1
# of dummy], run 2 of mynetdrv, ...
#
# Figures (id: what, unit):
#   pps_<64|1500>_<1q|mq>  pktgen (start_xmit, no burst, a new skb per
#                          frame) on the sending end, 60- or 1514-byte
#                          frames (64 and 1518 on a wire, with FCS) to
#                          10.0.0.2:9, one pktgen thread per queue (queue
#                          q on CPU q % ncpus); the rate is the growth of
#                          the receiving end's rx_packets over BENCH_SECS,
#                          after BENCH_WARMUP.  1q: 1 queue; mq:
#                          BENCH_QUEUES.  Also into a dummy device
#                          (driver "dummy": its tx_packets), the limit.
#                          kpps.
#   tcp_<1|4>s_<gro|nogro> iperf3, 1 stream (1 queue) or 4 streams
#                          (BENCH_QUEUES queues), GRO on or off on both
#                          ends; receiver's rate.  Mbit/s.
#   rr_p50, rr_p99         sockperf UDP ping-pong, 64-byte messages, round
#                          trip (--full-rtt), median and 99th percentile
#                          of one run.  us.
#   churn_create, churn_delete
#                          `ip -batch` of BENCH_PAIRS `link add` (both ends
#                          in the init netns, same numtx/rxqueues), then of
#                          as many `link del`.  s.
#   mem_slab, mem_percpu   growth of /proc/meminfo Slab and Percpu per pair
#                          (after `drop_caches`=2, before and after the
#                          add).  bytes.  Percpu moves by whole chunks,
#                          and a run reuses those the one before freed:
#                          bench/report.py leaves it out of the table.
#
# Output: OUTDIR/raw.csv, one line per run and figure:
#   figure,driver,run,value,unit,secs,rx_packets,rx_polls,tx_packets,
#   tx_kicks,tx_xmit_more,tx_queue_stops,tx_dropped,rx_dropped
# where the counters are the growth over the run of the sending end's tx_*
# and the receiving end's rx_* (mynetdrv: stats64 and ethtool -S; veth and
# dummy: only what stats64 has; empty where the figure has no traffic).
# OUTDIR/conditions.txt: key=value lines on the guest and the settings.
#
# Settings (environment): BENCH_QUICK=1 (or --quick): the smoke mode,
# whose defaults are in brackets.  BENCH_RUNS runs per driver and figure,
# 5 [1]; BENCH_SECS measuring time of a pktgen, iperf3 or sockperf run, 5
# [1] (sockperf at least 3); BENCH_WARMUP pktgen's time before it, 1 [0.3]; BENCH_PAIRS 1000
# [20]; BENCH_QUEUES queues of the mq figures, the number of CPUs (at
# least 2, at most 4); BENCH_QDISC root qdisc of both sending ends
# (default: each driver's own, mynetdrv mq, veth noqueue); BENCH_FIGURES
# a space-separated subset of the groups "pps tcp rr churn" (all).
# To see what a mynetdrv setting does to every figure (unset: defaults):
# BENCH_MYNET_COALESCE words for `ethtool -C` of mynetdrv's receiving end
# ("rx-usecs 30 rx-frames 64"); BENCH_MYNET_THREADED 1 or 0, written to
# the receiving end's /sys/class/net/DEV/threaded once it is up.
#
# Exits non-zero, with a message, if any tool fails or a run counts no
# packet; never for a slow result.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODULE=${MODULE:-$REPO/mynetdrv.ko}
export IP_LIB_DIR=${IP_LIB_DIR:-$REPO/iproute2}

die() {
	echo "bench: FAIL: $*" >&2
	exit 1
}
say() { echo "bench: $*"; }

QUICK=${BENCH_QUICK:-0}
if [ "${1:-}" = --quick ]; then
	QUICK=1
	shift
fi
[ $# -eq 1 ] || die "usage: bench/run.sh [--quick] OUTDIR"
OUT=$1

if [ ! -e /vmout/env.sh ] && [ -z "${LAB_ALLOW_HOST:-}" ]; then
	echo "bench/run.sh loads kernel modules: run it in the VM (make bench)" >&2
	exit 2
fi

NCPU=$(nproc)
QMQ=$NCPU
[ "$QMQ" -ge 2 ] || QMQ=2
[ "$QMQ" -le 4 ] || QMQ=4
if [ "$QUICK" = 1 ]; then
	RUNS=${BENCH_RUNS:-1}
	SECS=${BENCH_SECS:-1}
	WARMUP=${BENCH_WARMUP:-0.3}
	PAIRS=${BENCH_PAIRS:-20}
else
	RUNS=${BENCH_RUNS:-5}
	SECS=${BENCH_SECS:-5}
	WARMUP=${BENCH_WARMUP:-1}
	PAIRS=${BENCH_PAIRS:-1000}
fi
QMQ=${BENCH_QUEUES:-$QMQ}
QDISC=${BENCH_QDISC:-}
FIGURES=${BENCH_FIGURES:-pps tcp rr churn}
for v in "$RUNS" "$SECS" "$PAIRS" "$QMQ"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || die "bad setting '$v' (runs, secs, pairs and queues are integers > 0)"
done
[ "$QMQ" -le 16 ] || die "BENCH_QUEUES must be at most 16 (mynetdrv's queues)"

for c in ip ethtool iperf3 sockperf jq ss nsenter; do
	command -v "$c" >/dev/null || die "$c not installed (scripts/setup.sh)"
done

ADDR_A=10.0.0.1
ADDR_B=10.0.0.2
DRIVERS=(mynetdrv veth)
# Sending end, receiving end and the receiving end's netns of each pair.
declare -A TXDEV=([mynetdrv]=bm0 [veth]=bv0 [dummy]=bd0)
declare -A RXDEV=([mynetdrv]=bm1 [veth]=bv1)
declare -A RXNS=([mynetdrv]=bench-m [veth]=bench-v)
declare -A CHANNELS=() GRO=() QDISC_SEEN=()
PG=/proc/net/pktgen
PG_PID=""
SERVER_PID=""
STAMP_PID=""

mkdir -p "$OUT"
CSV=$OUT/raw.csv
INST_KEYS=(rx_packets rx_polls tx_packets tx_kicks tx_xmit_more tx_queue_stops
	   tx_dropped rx_dropped)
(IFS=,; echo "figure,driver,run,value,unit,secs,${INST_KEYS[*]}") >"$CSV"

# ---------------------------------------------------------------- helpers
now_us() { echo "${EPOCHREALTIME/./}"; }

# The receiving netns's sysfs, mounted once, so that counters are read
# with shell builtins (forks are slow under TCG).
sysdir() { # DEV [NETNS]
	if [ -n "${2:-}" ]; then
		echo "/tmp/bench-sys-$2/class/net/$1"
	else
		echo "/sys/class/net/$1"
	fi
}

stat64() { # DEV NETNS COUNTER
	local v
	read -r v <"$(sysdir "$1" "$2")/statistics/$3" || die "cannot read $3 of $1"
	echo "$v"
}

ns_run() { # NETNS CMD...: NETNS empty = the init netns
	local ns=$1
	shift
	if [ -n "$ns" ]; then
		nsenter --net="/run/netns/$ns" "$@"
	else
		"$@"
	fi
}

# ethtool_s ARR DEV NETNS: ARR[name]=value for every ethtool -S counter.
ethtool_s() {
	local -n _e=$1
	local k v out
	_e=()
	out=$(ns_run "$3" ethtool -S "$2") || die "ethtool -S $2 failed"
	while IFS=: read -r k v; do
		k=${k//[[:space:]]/}
		v=${v//[[:space:]]/}
		[ -n "$v" ] && _e["$k"]=$v
	done <<<"$out"
}

# inst ARR DRIVER: the counters of raw.csv for the pair of DRIVER now.
inst() {
	local -n _i=$1
	local drv=$2 tx=${TXDEV[$2]} rx=${RXDEV[$2]:-} ns=${RXNS[$2]:-}
	local -A es er
	_i=()
	_i["tx_packets"]=$(stat64 "$tx" "" tx_packets)
	_i["tx_dropped"]=$(stat64 "$tx" "" tx_dropped)
	[ "$drv" = dummy ] && return 0
	_i["rx_packets"]=$(stat64 "$rx" "$ns" rx_packets)
	_i["rx_dropped"]=$(stat64 "$rx" "$ns" rx_dropped)
	[ "$drv" = mynetdrv ] || return 0
	ethtool_s es "$tx" ""
	ethtool_s er "$rx" "$ns"
	_i["rx_polls"]=${er[rx_polls]:?no rx_polls in ethtool -S $rx}
	_i["tx_kicks"]=${es[tx_kicks]:?no tx_kicks in ethtool -S $tx}
	_i["tx_xmit_more"]=${es[tx_xmit_more]:?no tx_xmit_more in ethtool -S $tx}
	_i["tx_queue_stops"]=${es[tx_queue_stops]:?no tx_queue_stops in ethtool -S $tx}
}


# row FIGURE DRIVER RUN VALUE UNIT SECS BEFORE AFTER: one line of raw.csv;
# BEFORE/AFTER are inst arrays (names), or "" for a figure without them.
row() {
	local line="$1,$2,$3,$4,$5,$6" k a b
	if [ -n "$7" ]; then
		local -n _b=$7 _a=$8
		for k in "${INST_KEYS[@]}"; do
			if [ -n "${_a[$k]:-}" ]; then
				a=${_a[$k]}
				b=${_b[$k]}
				line+=",$((a - b))"
			else
				line+=","
			fi
		done
	else
		line+=",,,,,,,,"
	fi
	echo "$line" >>"$CSV"
	say "[$(mmss $((SECONDS - BENCH_T0))), group $GROUP] $1 $2 run $3 of $RUNS: $4 $5"
}
mmss() { printf '%d:%02d' $(($1 / 60)) $(($1 % 60)); }

# Microseconds to seconds with 6 decimals, and other fixed-point output.
usecs() { printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)); }
fixed3() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); } # value*1000

# ---------------------------------------------------------------- cleanup
# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() {
	local f
	if [ -n "$PG_PID" ]; then
		echo stop >"$PG/pgctrl" 2>/dev/null || true
		wait "$PG_PID" 2>/dev/null || true
	fi
	for f in "$PG"/kpktgend_*; do
		[ -e "$f" ] && echo rem_device_all >"$f" 2>/dev/null
	done
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	[ -z "$STAMP_PID" ] || kill "$STAMP_PID" 2>/dev/null
	for f in /tmp/bench-sys-*; do
		mountpoint -q "$f" 2>/dev/null && umount "$f"
	done
	ip link del bm0 2>/dev/null
	ip link del bv0 2>/dev/null
	ip link del bd0 2>/dev/null
	ip netns del bench-m 2>/dev/null
	ip netns del bench-v 2>/dev/null
	[ -z "${V6_DEFAULT:-}" ] ||
		sysctl -qw net.ipv6.conf.default.disable_ipv6="$V6_DEFAULT"
	return 0
}
trap cleanup EXIT

# ---------------------------------------------------------------- setup
say "guest: $(uname -r), $NCPU CPUs; runs $RUNS, ${SECS}s per run," \
	"mq = $QMQ queues, $PAIRS pairs${QDISC:+, qdisc $QDISC}"
[ -d /sys/module/mynetdrv ] || insmod "$MODULE" numpairs=0 ||
	die "insmod $MODULE failed"
modprobe veth || die "no veth module"
modprobe dummy numdummies=0 || die "no dummy module"
modprobe pktgen || die "no pktgen module"

# Hold the RX timestamp static key on for the whole run, as tests/run.sh
# does: under multi-threaded TCG (scripts/bench.sh) a vCPU has run a
# stale translation of kernel text that a key flip was patching (see
# scripts/vm.sh); sockets that turn timestamps on and off flip this key.
python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 29, 1)  # SO_TIMESTAMP
time.sleep(1 << 30)' &
STAMP_PID=$!

# Quiet devices: no IPv6 (no DAD, RS, MLD) on anything created from now on;
# put back at exit (the test suite runs this in its guest).
V6_DEFAULT=$(sysctl -n net.ipv6.conf.default.disable_ipv6)
sysctl -qw net.ipv6.conf.default.disable_ipv6=1

set_offloads() { # DEV NETNS GRO(on|off)
	local dev=$1 ns=$2 k v
	local -A f=()
	ns_run "$ns" ethtool -K "$dev" sg on tx on tso on gso on gro "$3" \
		>/dev/null 2>&1 || die "ethtool -K $dev failed"
	while IFS=: read -r k v; do
		v=${v# }
		f[$k]=${v%% *}
	done <<<"$(ns_run "$ns" ethtool -k "$dev")"
	for k in scatter-gather tcp-segmentation-offload \
		 generic-segmentation-offload; do
		[ "${f[$k]:-}" = on ] || die "$dev: $k is '${f[$k]:-}', not on"
	done
	[ "${f[generic-receive-offload]:-}" = "$3" ] ||
		die "$dev: generic-receive-offload is not $3"
}

setup_pair() { # DRIVER
	local drv=$1 tx=${TXDEV[$1]} rx=${RXDEV[$1]} ns=${RXNS[$1]}
	ip netns add "$ns"
	ns_run "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	mkdir -p "/tmp/bench-sys-$ns"
	nsenter --net="/run/netns/$ns" mount -t sysfs sysfs "/tmp/bench-sys-$ns"
	ip link add name "$tx" numtxqueues "$QMQ" numrxqueues "$QMQ" \
		type "$drv" peer name "$rx" netns "$ns" \
		numtxqueues "$QMQ" numrxqueues "$QMQ" ||
		die "ip link add $tx type $drv failed"
	ip addr add "$ADDR_A/24" dev "$tx"
	ip -n "$ns" addr add "$ADDR_B/24" dev "$rx"
	set_offloads "$tx" "" on
	set_offloads "$rx" "$ns" on
	if [ -n "$QDISC" ]; then
		tc qdisc replace dev "$tx" root "$QDISC" ||
			die "tc qdisc replace dev $tx root $QDISC failed"
	fi
	if [ "$drv" = mynetdrv ] && [ -n "${BENCH_MYNET_COALESCE:-}" ]; then
		# shellcheck disable=SC2086 # words of ethtool -C
		ns_run "$ns" ethtool -C "$rx" $BENCH_MYNET_COALESCE ||
			die "ethtool -C $rx $BENCH_MYNET_COALESCE failed"
	fi
	ip -n "$ns" link set "$rx" up
	if [ "$drv" = mynetdrv ] && [ -n "${BENCH_MYNET_THREADED:-}" ]; then
		echo "$BENCH_MYNET_THREADED" >"/tmp/bench-sys-$ns/class/net/$rx/threaded" ||
			die "threaded $BENCH_MYNET_THREADED on $rx failed"
	fi
	CHANNELS[$drv]=0
	GRO[$drv]=on
}

{
	echo "guest_kernel=$(uname -r)"
	echo "guest_cpus=$NCPU"
	echo "guest_cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
	echo "guest_mem_mb=$(($(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo) / 1024))"
	echo "quick=$QUICK"
	echo "runs=$RUNS"
	echo "secs=$SECS"
	echo "warmup=$WARMUP"
	echo "pairs=$PAIRS"
	echo "queues_mq=$QMQ"
	echo "figures=$FIGURES"
	echo "mynet_coalesce=${BENCH_MYNET_COALESCE:-}"
	echo "mynet_threaded=${BENCH_MYNET_THREADED:-}"
	echo "module_srcversion=$(cat /sys/module/mynetdrv/srcversion 2>/dev/null || echo ?)"
	echo "iperf3=$(iperf3 --version | head -n1)"
	echo "sockperf=$(sockperf --version 2>&1 | sed -n '1s/.*version //p')"
	echo "started=$(date -u +%FT%TZ)"
} >"$OUT/conditions.txt"

for drv in "${DRIVERS[@]}"; do
	setup_pair "$drv"
done
ip link add name bd0 numtxqueues "$QMQ" type dummy || die "ip link add bd0 type dummy failed"
ip link set bd0 up

# wait_carrier DEV NETNS: veth takes the carrier down while it changes
# channels, and pktgen stops at once on a device without one.
wait_carrier() {
	local f i c=0
	f="$(sysdir "$1" "$2")/carrier"
	for ((i = 0; i < 100; i++)); do
		read -r c <"$f" 2>/dev/null || c=0
		[ "$c" = 1 ] && return 0
		sleep 0.1
	done
	die "$1: no carrier"
}

ACTIVE=""
# activate DRIVER: the sending end of DRIVER's pair up, the other one
# down (same addresses), permanent neighbours both ways, carrier waited for.
activate() {
	local drv=$1 other tx rx ns mac_a mac_b
	[ "$drv" = dummy ] && return 0
	[ "$ACTIVE" = "$drv" ] && return 0
	for other in "${DRIVERS[@]}"; do
		[ "$other" = "$drv" ] || ip link set "${TXDEV[$other]}" down
	done
	tx=${TXDEV[$drv]} rx=${RXDEV[$drv]} ns=${RXNS[$drv]}
	ip link set "$tx" up
	wait_carrier "$tx" ""
	read -r mac_a <"$(sysdir "$tx" "")/address"
	read -r mac_b <"$(sysdir "$rx" "$ns")/address"
	ip neigh replace "$ADDR_B" lladdr "$mac_b" dev "$tx" nud permanent
	ip -n "$ns" neigh replace "$ADDR_A" lladdr "$mac_a" dev "$rx" nud permanent
	ACTIVE=$drv
	# The qdisc a device gets when it goes up, once.
	if [ -z "${QDISC_SEEN[$drv]:-}" ]; then
		QDISC_SEEN[$drv]=$(tc qdisc show dev "$tx" root | awk '{ print $2; exit }')
		echo "qdisc_$drv=${QDISC_SEEN[$drv]}" >>"$OUT/conditions.txt"
	fi
}

# channels DRIVER N: N queues in use on both ends.
channels() {
	local drv=$1 n=$2
	[ "$drv" = dummy ] && return 0
	[ "${CHANNELS[$drv]}" = "$n" ] && return 0
	case $drv in
	mynetdrv)
		ethtool -L "${TXDEV[$drv]}" combined "$n" ||
			die "ethtool -L ${TXDEV[$drv]} combined $n failed" ;;
	veth)
		ethtool -L "${TXDEV[$drv]}" rx "$n" tx "$n" ||
			die "ethtool -L ${TXDEV[$drv]} rx/tx $n failed"
		ns_run "${RXNS[$drv]}" ethtool -L "${RXDEV[$drv]}" rx "$n" tx "$n" ||
			die "ethtool -L ${RXDEV[$drv]} rx/tx $n failed" ;;
	esac
	wait_carrier "${TXDEV[$drv]}" ""
	wait_carrier "${RXDEV[$drv]}" "${RXNS[$drv]}"
	CHANNELS[$drv]=$n
}

gro() { # DRIVER on|off: on both ends
	local drv=$1
	[ "${GRO[$drv]}" = "$2" ] && return 0
	set_offloads "${TXDEV[$drv]}" "" "$2"
	set_offloads "${RXDEV[$drv]}" "${RXNS[$drv]}" "$2"
	GRO[$drv]=$2
}

# ---------------------------------------------------------------- pktgen
pg() { # FILE CMD
	echo "$2" >"$PG/$1" 2>/dev/null ||
		die "pktgen: '$2' to $1 failed: $(sed -n 's/^Result: //p' "$PG/$1" 2>/dev/null)"
}

pg_clear() {
	local f
	for f in "$PG"/kpktgend_*; do
		pg "${f##*/}" rem_device_all
	done
}

# pg_setup DRIVER SIZE QUEUES: one pktgen device per queue, queue q on
# the thread of CPU q % NCPU.
pg_setup() {
	local drv=$1 size=$2 nq=$3 dev=${TXDEV[$1]} q name mac=02:00:00:00:00:02 i
	[ "$drv" = dummy ] || read -r mac <"$(sysdir "${RXDEV[$drv]}" "${RXNS[$drv]}")/address"
	pg_clear
	for ((q = 0; q < nq; q++)); do
		name=$dev@$q
		# rem_device_all is carried out by the thread, shortly after.
		for ((i = 0; i < 20; i++)); do
			echo "add_device $name" >"$PG/kpktgend_$((q % NCPU))" 2>/dev/null && break
			sleep 0.1
		done
		[ -e "$PG/$name" ] || die "pktgen: cannot add $name"
		pg "$name" "count 0"
		pg "$name" "clone_skb 0"
		pg "$name" "burst 1"
		pg "$name" "delay 0"
		pg "$name" "pkt_size $size"
		pg "$name" "dst $ADDR_B"
		pg "$name" "dst_mac $mac"
		pg "$name" "udp_dst_min 9"
		pg "$name" "udp_dst_max 9"
		pg "$name" "queue_map_min $q"
		pg "$name" "queue_map_max $q"
	done
}

# alternate "DRIVER..." FN ARG...: FN DRIVER RUN ARG... for runs 1 to
# RUNS, the drivers in turn within each run (so that a slow phase of the
# host hits every driver alike).
alternate() {
	local drivers=$1 fn=$2 run drv
	shift 2
	for ((run = 1; run <= RUNS; run++)); do
		for drv in $drivers; do
			"$fn" "$drv" "$run" "$@"
		done
	done
}

# pps_run DRIVER RUN FIGURE SIZE QUEUES
pps_run() {
	local drv=$1 run=$2 fig=$3 size=$4 nq=$5 cdev cns cnt c0 c1 t0 t1 rate
	local -A ib ia
	activate "$drv"
	channels "$drv" "$nq"
	pg_setup "$drv" "$size" "$nq"
	if [ "$drv" = dummy ]; then
		cdev=${TXDEV[$drv]} cns="" cnt=tx_packets
	else
		cdev=${RXDEV[$drv]} cns=${RXNS[$drv]} cnt=rx_packets
	fi
	local f
	f="$(sysdir "$cdev" "$cns")/statistics/$cnt"
	inst ib "$drv"
	(echo start >"$PG/pgctrl") &
	PG_PID=$!
	sleep "$WARMUP"
	# Builtins only between the two reads and their times.
	t0=${EPOCHREALTIME/./}
	read -r c0 <"$f"
	sleep "$SECS"
	t1=${EPOCHREALTIME/./}
	read -r c1 <"$f"
	echo stop >"$PG/pgctrl"
	wait "$PG_PID" || die "pktgen start on $drv ended with an error"
	PG_PID=""
	inst ia "$drv"
	pg_clear
	[ $((c1 - c0)) -gt 0 ] || die "$fig $drv run $run: $cdev counted no packet"
	# kpps with 3 decimals: packets * 1e6 us / (t1 - t0) us / 1000 * 1000
	rate=$(( (c1 - c0) * 1000000 / (t1 - t0) ))
	row "$fig" "$drv" "$run" "$(fixed3 "$rate")" kpps "$(usecs $((t1 - t0)))" ib ia
}

bench_pps() {
	local size tag q qtag
	for size in 60 1514; do
		tag=64
		[ "$size" = 60 ] || tag=1500
		for q in 1 "$QMQ"; do
			qtag=1q
			[ "$q" = 1 ] || qtag=mq
			alternate "${DRIVERS[*]} dummy" pps_run \
				"pps_${tag}_$qtag" "$size" "$q"
		done
	done
}

# ---------------------------------------------------------------- servers
# wait_listen NETNS PROTO PORT: until a socket listens (or is bound) there.
wait_listen() {
	local i opt=-Htln
	[ "$2" = udp ] && opt=-Huln
	for ((i = 0; i < 100; i++)); do
		[ -n "$(ns_run "$1" ss "$opt" "sport = :$3")" ] && return 0
		kill -0 "$SERVER_PID" 2>/dev/null || die "$2 server on port $3 exited"
		sleep 0.1
	done
	die "nothing listens on $2 port $3 in $1"
}

server_stop() {
	[ -n "$SERVER_PID" ] || return 0
	kill "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=""
}

# ---------------------------------------------------------------- iperf3
# tcp_run DRIVER RUN FIGURE STREAMS QUEUES GRO
tcp_run() {
	local drv=$1 run=$2 fig=$3 streams=$4 nq=$5 json bps t0 t1 omit=1
	local -A ib ia
	[ "$QUICK" = 1 ] && omit=0
	activate "$drv"
	channels "$drv" "$nq"
	gro "$drv" "$6"
	ip netns exec "${RXNS[$drv]}" iperf3 -s -1 -B "$ADDR_B" -p 5201 >/dev/null 2>&1 &
	SERVER_PID=$!
	wait_listen "${RXNS[$drv]}" tcp 5201
	inst ib "$drv"
	t0=$(now_us)
	json=$(iperf3 -c "$ADDR_B" -p 5201 -t "$SECS" -O "$omit" -P "$streams" -J) ||
		die "$fig $drv run $run: iperf3 failed: $(jq -r '.error // empty' <<<"$json" 2>/dev/null)"
	t1=$(now_us)
	inst ia "$drv"
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=""
	bps=$(jq -r '.end.sum_received.bits_per_second // 0 | floor' <<<"$json")
	[ "$bps" -gt 0 ] || die "$fig $drv run $run: iperf3 reports no data received"
	row "$fig" "$drv" "$run" "$(fixed3 $((bps / 1000)))" Mbit/s "$(usecs $((t1 - t0)))" ib ia
}

bench_tcp() {
	local streams gro tag drv q
	for streams in 1 4; do
		q=1
		[ "$streams" = 1 ] || q=$QMQ
		for gro in on off; do
			tag=gro
			[ "$gro" = on ] || tag=nogro
			alternate "${DRIVERS[*]}" tcp_run \
				"tcp_${streams}s_$tag" "$streams" "$q" "$gro"
		done
	done
	for drv in "${DRIVERS[@]}"; do
		gro "$drv" on
	done
}

# ---------------------------------------------------------------- sockperf
rr_run() { # DRIVER RUN
	local drv=$1 run=$2 out p50 p99 t0 t1 secs=$SECS
	# shellcheck disable=SC2034 # passed to row() by name
	local -A ib ia
	activate "$drv"
	channels "$drv" 1
	ip netns exec "${RXNS[$drv]}" sockperf server -i "$ADDR_B" -p 11111 >/dev/null 2>&1 &
	SERVER_PID=$!
	wait_listen "${RXNS[$drv]}" udp 11111
	inst ib "$drv"
	t0=$(now_us)
	# sockperf measures after 0.4 s of warm-up, and before the end: in
	# 1 s on a starved host it has seen "No messages were sent".
	[ "$secs" -ge 3 ] || secs=3
	out=$(sockperf ping-pong -i "$ADDR_B" -p 11111 -t "$secs" -m 64 --full-rtt 2>&1) ||
		die "rr $drv run $run: sockperf failed: $(tail -n 3 <<<"$out")"
	t1=$(now_us)
	inst ia "$drv"
	server_stop
	p50=$(sed -n 's/.*percentile 50\.000 = *\([0-9.]*\).*/\1/p' <<<"$out")
	p99=$(sed -n 's/.*percentile 99\.000 = *\([0-9.]*\).*/\1/p' <<<"$out")
	if [ -z "$p50" ] || [ -z "$p99" ]; then
		die "rr $drv run $run: no percentiles in sockperf's output: $(tail -n 5 <<<"$out")"
	fi
	row rr_p50 "$drv" "$run" "$p50" us "$(usecs $((t1 - t0)))" ib ia
	row rr_p99 "$drv" "$run" "$p99" us "$(usecs $((t1 - t0)))" ib ia
}

bench_rr() {
	alternate "${DRIVERS[*]}" rr_run
}

# ---------------------------------------------------------------- churn
meminfo_kb() { # FIELD
	local k v _u
	while read -r k v _u; do
		[ "$k" = "$1:" ] && { echo "$v"; return 0; }
	done </proc/meminfo
	die "no $1 in /proc/meminfo"
}

# Links whose name starts with "bc" (builtins: the init netns's sysfs).
churn_links() {
	local n=0 f
	for f in /sys/class/net/bc*; do
		[ -e "$f" ] && n=$((n + 1))
	done
	echo "$n"
}

mem_settle() {
	# Let RCU free what the last batch released.
	if [ "$QUICK" = 1 ]; then sleep 0.3; else sleep 1; fi
	sync
	echo 2 >/proc/sys/vm/drop_caches
}

churn_run() { # DRIVER RUN
	local drv=$1 run=$2 i add=/tmp/bench-add.batch del=/tmp/bench-del.batch
	local s0 s1 p0 p1 t0 t1 t2 t3 n
	: >"$add"
	: >"$del"
	for ((i = 0; i < PAIRS; i++)); do
		echo "link add name bc$i numtxqueues $QMQ numrxqueues $QMQ type $drv peer name bcp$i numtxqueues $QMQ numrxqueues $QMQ" >>"$add"
		echo "link del bc$i" >>"$del"
	done
	[ "$(churn_links)" = 0 ] || die "churn: links bc* left over"
	mem_settle
	s0=$(meminfo_kb Slab)
	p0=$(meminfo_kb Percpu)
	t0=$(now_us)
	ip -batch "$add" || die "churn $drv run $run: ip -batch (add) failed"
	t1=$(now_us)
	n=$(churn_links)
	[ "$n" = $((2 * PAIRS)) ] || die "churn $drv: $n links after adding $PAIRS pairs"
	mem_settle
	s1=$(meminfo_kb Slab)
	p1=$(meminfo_kb Percpu)
	t2=$(now_us)
	ip -batch "$del" || die "churn $drv run $run: ip -batch (del) failed"
	t3=$(now_us)
	n=$(churn_links)
	[ "$n" = 0 ] || die "churn $drv: $n links left after deleting"
	row churn_create "$drv" "$run" "$(usecs $((t1 - t0)))" s "$(usecs $((t1 - t0)))" "" ""
	row churn_delete "$drv" "$run" "$(usecs $((t3 - t2)))" s "$(usecs $((t3 - t2)))" "" ""
	row mem_slab "$drv" "$run" $(((s1 - s0) * 1024 / PAIRS)) bytes "" "" ""
	row mem_percpu "$drv" "$run" $(((p1 - p0) * 1024 / PAIRS)) bytes "" "" ""
}

bench_churn() {
	alternate "${DRIVERS[*]}" churn_run
}

# ---------------------------------------------------------------- main
for g in $FIGURES; do
	case $g in
	pps|tcp|rr|churn) ;;
	*) die "unknown figure group '$g' (pps tcp rr churn)" ;;
	esac
done
# Progress: each row's line says how long the run has taken and which
# figure group of how many it is in.
BENCH_T0=$SECONDS
ngroups=$(wc -w <<<"$FIGURES")
gi=0
for g in $FIGURES; do
	gi=$((gi + 1))
	GROUP="$gi/$ngroups $g"
	say "=== $g (group $gi of $ngroups, $RUNS run(s) per driver and figure)"
	"bench_$g"
done
echo "ended=$(date -u +%FT%TZ)" >>"$OUT/conditions.txt"
say "done: $(($(wc -l <"$CSV") - 1)) rows in $CSV"
