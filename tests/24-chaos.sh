#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TIMEOUT: 300
#
# 24-chaos: every live control operation, at random, under full-rate
# traffic; then exact packet conservation; then rmmod in the middle of
# it all. The other tests turn each knob alone on an otherwise quiet
# pair; users turn them while traffic flows and other pairs come and go,
# and that is where a missing grace period, a ring replaced under its
# producer, a frame the stack still shares or a drop not counted shows.
#
# Topology: mydev0 (10.0.0.1, init netns) <-> mydev1 (10.0.0.2, netns
# "peer"), 4 channels, RPS on every queue of both, IPv4 only, permanent
# neighbours; mva (10.24.0.1)
# <-> mvb (10.24.0.2), whose ends move between netns; one extra pair
# xp0l <-> xp0r (in netns t24c) at first, more come and go.
# Traffic: udpflood.py --flows 8 --burst 16 both ways (98-byte frames,
# into UDP_GRO sinks that never read: GRO merges the runs, nothing comes
# back); a TCP stream mydev1 -> mydev0 (tcpstream.py, MSS clamped to 1400:
# GSO super-frames, and full-size segments that GRO merges); ping -f both
# ways over mva/mvb. Senders run at nice 10 so the chaos loop gets its
# turns on 2 vCPUs.
#
# A. Chaos for 40 s (a deadline, not a count: the test also runs on a
#    KASAN+lockdep kernel under TCG, 3-5x slower), and on until every kind
#    of operation ran at least MIN_EACH times, stall 3 (fail after
#    CAP_A s).
#    Rounds of every kind in a random order, random ends and values, from
#    bash's RANDOM seeded with a logged seed:
#      flap      an end of the main pair down, a third of the time one
#                other operation (mtu..gro) while it is down, up again,
#                its permanent neighbour back
#      mtu       mydev0 1500/4000/9000 (never below the TCP stream's
#                frames), mydev1 576/1280/1500/9000
#      mac       a random MAC, the other end's neighbour updated
#      channels  ethtool -L combined 1..8 (both ends follow)
#      rings     ethtool -G rx 64..4096
#      coalesce  ethtool -C rx-usecs 0..10000 rx-frames 0..64
#      gro       ethtool -K gro on/off
#      pairadd   ip link add xpNl up type mynetdrv peer name xpNr up, in
#                one netns or two, with 16, 4 or 2 queues, sometimes an
#                ethtool -L on it
#      pairdel   ip link del of either end of an extra pair
#      move      mva between init and t24n, or mvb between t24p and t24q,
#                re-addressed and up (the pings follow it)
#      stall     every RX interrupt lost for 0.2-0.5 s (debugfs
#                mynetdrv/lose_kicks: rings fill, queues stop), then,
#                on full rings, an rx ring shrink, a channel shrink or an
#                end down, in turn (at least 3 stalls: each purge path
#                runs); interrupts back, and a new rx ring size on
#                both ends (replacing a ring kicks its NAPI, so none is
#                left to the 5 s TX watchdog). Without stalls the rings
#                of a TCG guest hold a few frames at most: a ring change
#                moves them, and a down lets NAPI drain them within its
#                grace period, so nothing would ever be purged.
#    Every operation must succeed: the driver and the core refuse none
#    of them in any state the test creates (an end down, the peer in
#    another netns, rings or channels changed while down or full).
#    Then the traffic stops and, once the counters settle, exactly, in
#    packets and bytes, both ways: tx of one end == rx + rx_dropped
#    (purged and filtered, with their bytes) + rx_errors (none: every
#    frame fits every MTU used) of the other; tx_dropped == the driver's
#    drop reasons (+ what the core's noop qdisc dropped while the carrier
#    was off); no tx_drop_ring_full (qdiscs on both ends: a queue is
#    never woken onto a full ring) and no TX watchdog timeout (unless a
#    stall took 4 s or more: a slow kernel's watchdog may then recover
#    the queues it left without a kick, as designed); channels,
#    rings and MACs as last set; ping both ways. The chaos must have had
#    an effect: >= MIN_FRAMES frames each way, GSO frames, frames purged;
#    counts of each kind are logged.
# B. The same traffic and chaos; after at least 5 operations and 6 s, a
#    background rmmod while both go on: it succeeds within 20 s; no
#    device of the test is left in any netns, nor the debugfs directory;
#    every traffic tool is stopped. Once rmmod has begun, an operation
#    may fail, with the messages of a vanished device, link kind or
#    debugfs file only (VANISHED, every line).
# run.sh fails the test on any WARNING/BUG/KASAN/lockdep/... line.
#
# Replay with a seed (same sequence of operations, not the same timing):
#   scripts/vm.sh --kver K -- env CHAOS_SEED=N tests/run.sh 24
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

require_cmd python3 ping ethtool nsenter ss

SEED=${CHAOS_SEED:-$((SRANDOM % 1000000))}
RANDOM=$SEED
STALL_OFF=$((RANDOM % 3))
log "chaos seed $SEED (replay: env CHAOS_SEED=$SEED tests/run.sh 24)"

T_A=40			# phase A: seconds of chaos, at least
MIN_EACH=2		# ... and until each kind ran this often
CAP_A=150		# fail if MIN_EACH is not reached by then
RMMOD_LIMIT_MS=20000	# phase B's rmmod, under traffic and chaos
MIN_FRAMES=500		# each direction of the main pair during phase A
TCP_PORT=5224
MSS=1400

# The main pair: index 0 = mydev0, 1 = mydev1.
DEV=(mydev0 mydev1)
DNS=("" "$NS")
ADDR=("$ADDR_A" "$ADDR_B")
SYSD=(/sys/class/net/mydev0 "$PEER_SYS/class/net/mydev1")
# Values to pick from (mydev0 receives the TCP stream: never an MTU
# below its frames).
# shellcheck disable=SC2034 # read through pick's nameref
declare -a MTUS0=(1500 4000 9000) MTUS1=(576 1280 1500 9000) \
	RINGS=(64 128 256 512 1024 2048 4096) USECS=(0 20 500 2000 10000) FRAMES=(0 0 1 8 64)
MTU=(1500 1500)
RING=(256 256)
GRO=(on on)
UP=(1 1)
CH=4
# The moving pair: end 0 (mva) lives in init or t24n, end 1 (mvb) in
# t24p or t24q; MV_AT is the index into its homes.
MV_DEV=(mva mvb)
MV_ADDR=(10.24.0.1 10.24.0.2)
# shellcheck disable=SC2034 # read through move_end's nameref
declare -a MVH0=("" t24n) MVH1=(t24p t24q)
MV_AT=(0 0)
# Extra pairs: "N:NETNS of xpNr" each.
XP=()
XP_NEXT=0

KINDS=(flap mtu mac channels rings coalesce gro pairadd pairdel move stall)
# What a flap may do while its end is down.
# shellcheck disable=SC2034 # read through pick's nameref
INNER=(mtu mac channels rings coalesce gro)
declare -A OPS=()
declare -A MIN_OF=([stall]=3)	# each of its three variants once
STALLS=0
STALL_MAX_MS=0	# the longest stall, lost kicks to the last ring kicked
# The TX watchdog's lines, for either end of the main pair.
WD_RE='mydev[01]: NETDEV WATCHDOG|NETDEV WATCHDOG: mydev[01] |mydev[01]: TX queue [0-9]+ timed out'
WD_ALLOWED=
NOP=0
ROUNDS=0
DOWN_OPS=0
TOLERATED=0
ERRF=/tmp/t24-op.err
TOOLS_ERR=/tmp/t24-tools.err
DBG=/sys/kernel/debug
LOSE=$DBG/mynetdrv/lose_kicks
RMMOD_T0=/tmp/t24-rmmod.begun
RMMOD_RES=/tmp/t24-rmmod.result
PHASE=A
rm -f "$RMMOD_T0" "$RMMOD_RES"

DAEMONS=()	# UDP sinks, TCP listener: the whole test
TRAFFIC=()	# senders: one phase
TRAFFIC_NAMES=()
HELPER=""
test_cleanup() {
	local p
	if [ -w "$LOSE" ]; then echo 0 >"$LOSE"; fi
	if [ -n "${DBG_MOUNTED:-}" ]; then umount "$DBG" || true; fi
	for p in "${TRAFFIC[@]}" "${DAEMONS[@]}" ${HELPER:+"$HELPER"}; do
		kill "$p" 2>/dev/null || true
	done
}

rnd() { R=$((RANDOM % $1)); }
# pick ARRAY: P = one of its elements, at random.
pick() {
	local -n _pa=$1
	P=${_pa[RANDOM % ${#_pa[@]}]}
}
ipns() {
	local ns=$1
	shift
	if [ -n "$ns" ]; then ip -n "$ns" "$@"; else ip "$@"; fi
}
oplog() {
	NOP=$((NOP + 1))
	echo "# [${SECONDS}s] op $NOP: $*"
}
now_us() { local t=$EPOCHREALTIME; echo $((10#${t/./})); }

# The messages of an operation on a device or link kind that rmmod just
# removed (phase B only), whole lines.
VANISHED=(
	'Cannot find device "[a-z0-9]+"'
	'netlink error: no device matches name \(offset [0-9]+\)'
	'netlink error: No such device'
	'RTNETLINK answers: No such device'
	'Error: (ipv4: )?Device not found\.'
	'Error: Unknown device type\.'
	'Command failed -:[0-9]+'
	# Removed, being removed, or its module going (ENXIO: debugfs's
	# open finds the file, but not the module's reference it takes).
	".*: $LOSE: (No such file or directory|Input/output error|No such device or address)"
)
vanished_msg() {
	local re
	for re in "${VANISHED[@]}"; do
		[[ $1 =~ ^$re$ ]] && return 0
	done
	return 1
}

# op_run CMD...: one chaos command. It must succeed; in phase B, once
# rmmod has begun, it may fail with VANISHED messages only.
op_run() {
	local rc=0 line bad="" msg=""
	"$@" >/dev/null 2>"$ERRF" || rc=$?
	[ "$rc" -ne 0 ] || return 0
	while IFS= read -r line; do
		msg+="$line; "
		vanished_msg "$line" || bad+="$line; "
	done <"$ERRF"
	if [ "$PHASE" = B ] && [ -e "$RMMOD_T0" ] && [ -n "$msg" ] && [ -z "$bad" ]; then
		TOLERATED=$((TOLERATED + 1))
		log "  after rmmod began: exit $rc: $msg"
		return 0
	fi
	fail "chaos op $NOP failed (exit $rc, seed $SEED): $*: $msg"
}

# ------------------------------------------------------------ operations
# Each picks its target and values with RANDOM only (never in a
# subshell: bash reseeds there), so a seed replays the same sequence.

op_flap() {
	local e o
	rnd 2
	e=$R o=$((1 - R))
	oplog "flap ${DEV[e]}: down"
	op_run ipns "${DNS[e]}" link set "${DEV[e]}" down
	UP[e]=0
	rnd 3
	if [ "$R" = 0 ]; then
		pick INNER
		echo "#   while ${DEV[e]} is down:"
		"op_$P"
		OPS[$P]=$((${OPS[$P]:-0} + 1))
		DOWN_OPS=$((DOWN_OPS + 1))
	fi
	oplog "flap ${DEV[e]}: up, neighbour back"
	# Down flushed its neighbours, permanent ones too.
	op_run ipns "${DNS[e]}" -batch - <<<"link set ${DEV[e]} up
neigh replace ${ADDR[o]} lladdr ${MAC[o]} dev ${DEV[e]} nud permanent"
	UP[e]=1
}

op_mtu() {
	local e
	rnd 2
	e=$R
	if [ "$e" = 0 ]; then pick MTUS0; else pick MTUS1; fi
	if [ "$P" = "${MTU[e]}" ]; then P=1500; fi
	if [ "$P" = "${MTU[e]}" ]; then P=9000; fi
	oplog "mtu ${DEV[e]} ${MTU[e]} -> $P"
	op_run ipns "${DNS[e]}" link set "${DEV[e]}" mtu "$P"
	MTU[e]=$P
}

op_mac() {
	local e o mac
	rnd 2
	e=$R o=$((1 - R))
	# Locally administered unicast.
	printf -v mac '02:%02x:%02x:%02x:%02x:%02x' $((RANDOM % 256)) $((RANDOM % 256)) \
		$((RANDOM % 256)) $((RANDOM % 256)) $((RANDOM % 256))
	oplog "mac ${DEV[e]} -> $mac"
	op_run ipns "${DNS[e]}" link set "${DEV[e]}" address "$mac"
	MAC[e]=$mac
	# A down end gets its neighbours back when it comes up.
	if [ "${UP[o]}" = 1 ]; then
		op_run ipns "${DNS[o]}" neigh replace "${ADDR[e]}" lladdr "$mac" \
			dev "${DEV[o]}" nud permanent
	fi
}

op_channels() {
	local e n
	rnd 2
	e=$R
	rnd 7
	n=$((R + 1))
	if [ "$n" -ge "$CH" ]; then n=$((n + 1)); fi	# 1..8, not CH
	oplog "channels ${DEV[e]} $CH -> $n"
	op_run ns_run "${DNS[e]}" ethtool -L "${DEV[e]}" combined "$n"
	CH=$n
	# Not in phase B: rmmod may be taking the devices away.
	if [ "$PHASE" != B ]; then
		rps_on mydev0
		rps_on mydev1 "$NS"
	fi
}

# ring_change E ALT1 ALT2: a random new RX ring size for end E (ALT1,
# else ALT2, when the pick is its current size).
ring_change() {
	local e=$1
	pick RINGS
	if [ "$P" = "${RING[e]}" ]; then P=$2; fi
	if [ "$P" = "${RING[e]}" ]; then P=$3; fi
	oplog "rings ${DEV[e]} rx ${RING[e]} -> $P"
	op_run ns_run "${DNS[e]}" ethtool -G "${DEV[e]}" rx "$P"
	RING[e]=$P
}

op_rings() {
	rnd 2
	ring_change "$R" 1024 64
}

op_coalesce() {
	local e u f
	rnd 2
	e=$R
	pick USECS
	u=$P
	pick FRAMES
	f=$P
	if [ "$u" = 0 ] && [ "$f" = 0 ]; then f=1; fi
	oplog "coalesce ${DEV[e]} rx-usecs $u rx-frames $f"
	op_run ns_run "${DNS[e]}" ethtool -C "${DEV[e]}" rx-usecs "$u" rx-frames "$f"
}

op_gro() {
	local e g=on
	rnd 2
	e=$R
	if [ "${GRO[e]}" = on ]; then g=off; fi
	oplog "gro ${DEV[e]} $g"
	op_run ns_run "${DNS[e]}" ethtool -K "${DEV[e]}" gro "$g"
	GRO[e]=$g
}

# lose_set N: lose the next N RX interrupts ("kicks") of every device.
lose_set() { echo "$1" >"$LOSE"; }

# rings_both: a new RX ring size on both ends; replacing a ring kicks
# its NAPI directly (not through the lost kicks), so none stays stuck.
rings_both() {
	ring_change 0 256 512
	ring_change 1 256 512
}

op_stall() {
	local e o t n t0
	rnd 4
	t=$((R + 2))
	oplog "stall: every RX interrupt lost for 0.${t}s, rings fill"
	t0=$(now_us)
	op_run lose_set 1000000
	sleep "0.$t"
	rnd 2
	e=$R o=$((1 - R))
	# The three in turn: each purge path runs in every phase A.
	STALLS=$((STALLS + 1))
	case $(((STALLS + STALL_OFF) % 3)) in
	0)
		n=64
		if [ "${RING[e]}" = 64 ]; then n=128; fi
		oplog "rings ${DEV[e]} rx ${RING[e]} -> $n, full"
		op_run ns_run "${DNS[e]}" ethtool -G "${DEV[e]}" rx "$n"
		RING[e]=$n
		;;
	1)
		n=$((CH - 1))
		if [ "$n" = 0 ]; then n=2; fi
		oplog "channels ${DEV[e]} $CH -> $n, full"
		op_run ns_run "${DNS[e]}" ethtool -L "${DEV[e]}" combined "$n"
		CH=$n
		;;
	2)
		oplog "flap ${DEV[e]}: down, rings full"
		op_run ipns "${DNS[e]}" link set "${DEV[e]}" down
		UP[e]=0
		;;
	esac
	oplog "stall ends: interrupts back"
	op_run lose_set 0
	rings_both
	# Until here a queue stopped on a full ring may have had no kick.
	t0=$((($(now_us) - t0) / 1000))
	if [ "$t0" -gt "$STALL_MAX_MS" ]; then STALL_MAX_MS=$t0; fi
	# Long enough for the TX watchdog: it may then recover a queue
	# this stall left without a kick, as designed (see phase A's end).
	if [ "$t0" -ge 4000 ] && [ -z "$WD_ALLOWED" ]; then
		klog_allow "$WD_RE"
		WD_ALLOWED=1
	fi
	if [ "${UP[e]}" = 0 ]; then
		oplog "flap ${DEV[e]}: up, neighbour back"
		op_run ipns "${DNS[e]}" -batch - <<<"link set ${DEV[e]} up
neigh replace ${ADDR[o]} lladdr ${MAC[o]} dev ${DEV[e]} nud permanent"
		UP[e]=1
	fi
}

op_pairadd() {
	local n=$XP_NEXT ns="" q=16 k
	local -a qa=() na=()
	XP_NEXT=$((n + 1))
	rnd 3
	case $R in
	1) q=4 ;;
	2) q=2 ;;
	esac
	[ "$q" = 16 ] || qa=(numtxqueues "$q" numrxqueues "$q")
	rnd 2
	if [ "$R" = 1 ]; then ns=t24c na=(netns t24c); fi
	oplog "pairadd xp${n}l <-> xp${n}r${ns:+ (in $ns)}, $q queues, both up"
	# Both ends up from the start: the peer opens before the first end
	# is even registered, the first end right after.
	op_run ip link add "xp${n}l" up "${qa[@]}" type mynetdrv \
		peer name "xp${n}r" "${na[@]}" up "${qa[@]}"
	XP+=("$n:$ns")
	rnd 2
	if [ "$R" = 1 ]; then
		rnd $((q - 1))
		k=$((R + 2))
		oplog "channels xp${n}l 1 -> $k"
		op_run ethtool -L "xp${n}l" combined "$k"
	fi
}

op_pairdel() {
	local i n ns
	if [ "${#XP[@]}" = 0 ]; then
		op_pairadd
		OPS[pairadd]=$((${OPS[pairadd]:-0} + 1))
	fi
	rnd "${#XP[@]}"
	i=$R
	n=${XP[i]%%:*} ns=${XP[i]#*:}
	rnd 2
	if [ "$R" = 0 ]; then
		oplog "pairdel xp${n}l"
		op_run ip link del "xp${n}l"
	else
		oplog "pairdel xp${n}r${ns:+ (in $ns)}"
		op_run ipns "$ns" link del "xp${n}r"
	fi
	XP=("${XP[@]:0:i}" "${XP[@]:i+1}")
}

# move_end E: move end E of the moving pair to its other home.
move_end() {
	local e=$1 from to
	local -n homes=MVH$e
	from=${homes[MV_AT[e]]}
	MV_AT[e]=$((1 - MV_AT[e]))
	to=${homes[MV_AT[e]]}
	oplog "move ${MV_DEV[e]} ${from:-init} -> ${to:-init}"
	op_run ipns "$from" link set "${MV_DEV[e]}" netns "${to:-1}"
	op_run ipns "$to" -batch - <<<"addr add ${MV_ADDR[e]}/24 dev ${MV_DEV[e]}
link set ${MV_DEV[e]} up"
}

op_move() {
	rnd 2
	move_end "$R"
}

chaos_op() {
	"op_$1"
	OPS[$1]=$((${OPS[$1]:-0} + 1))
}

# ORDER = KINDS shuffled (Fisher-Yates).
shuffle() {
	local i j t
	ORDER=("${KINDS[@]}")
	for ((i = ${#ORDER[@]} - 1; i > 0; i--)); do
		j=$((RANDOM % (i + 1)))
		t=${ORDER[i]}
		ORDER[i]=${ORDER[j]}
		ORDER[j]=$t
	done
}

min_done() {
	local k
	for k in "${KINDS[@]}"; do
		[ "${OPS[$k]:-0}" -ge "${MIN_OF[$k]:-$MIN_EACH}" ] || return 1
	done
}

ops_summary() {
	local k s=""
	for k in "${KINDS[@]}"; do s+=" $k=${OPS[$k]:-0}"; done
	echo "$s"
}

# ------------------------------------------------------------ traffic
# cnt END COUNTER: a stats64 counter of the main pair's end, read from sysfs.
cnt() { local v; read -r v <"${SYSD[$1]}/statistics/$2"; echo "$v"; }

# spawn NAME NETNS CMD...: CMD in the background in NETNS ("" = init),
# its PID in BGPID (CMD's own: nsenter execs it, no shell in between,
# so that killing BGPID stops CMD).
spawn() {
	local ns=$2
	shift 2
	if [ -n "$ns" ]; then
		nsenter --net="/run/netns/$ns" "$@" &
	else
		"$@" &
	fi
	BGPID=$!
}

# sink_start NETNS ADDR: a UDP socket on ADDR:9 that never reads (no ICMP
# back; its full buffer drops), with UDP_GRO so GRO merges datagrams.
sink_start() {
	local ready=/tmp/t24-sink-${1:-init}.ready
	rm -f "$ready"
	spawn sink "$1" python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_UDP, 104, 1)  # UDP_GRO
s.bind((sys.argv[1], 9))
open(sys.argv[2], "w").close()
time.sleep(1 << 20)' "$2" "$ready"
	DAEMONS+=("$BGPID")
	wait_for $((10 * ${LAB_TIMEOUT_SCALE:-1})) test -e "$ready" || fail "UDP sink on $2 did not start"
}

# tcp_open NETNS: the stream's sockets in NETNS that are neither
# listening nor in TIME-WAIT (those send nothing on their own).
tcp_open() {
	local out st _rest n=0
	out=$(ns_run "$1" ss -Htan "( sport = :$TCP_PORT or dport = :$TCP_PORT )")
	while read -r st _rest; do
		case $st in
		LISTEN|TIME-WAIT|"") ;;
		*) n=$((n + 1)) ;;
		esac
	done <<<"$out"
	echo "$n"
}
tcp_established() { [ -n "$(ns_run "$NS" ss -Htn state established "( dport = :$TCP_PORT )")" ]; }
tcp_quiet() { [ "$(tcp_open "")" = 0 ] && [ "$(tcp_open "$NS")" = 0 ]; }

# Senders run at nice 10: on 2 vCPUs the chaos loop still gets its turn.
UDP=(nice -n 10 python3 "$REPO/tests/udpflood.py" --flows 8 --burst 16 --keep-going)
traffic_start() {
	local e
	# ping -f exits at once if its destination has no route when it
	# starts (later it goes on through errors): ends at home first.
	for e in 0 1; do
		if [ "${MV_AT[e]}" != 0 ]; then move_end "$e"; fi
	done
	: >"$TOOLS_ERR"
	spawn "udpflood mydev0->mydev1" "" "${UDP[@]}" --src "$ADDR_A" --dst "$ADDR_B" \
		-- -3600 >/dev/null 2>>"$TOOLS_ERR"
	TRAFFIC+=("$BGPID")
	spawn "udpflood mydev1->mydev0" "$NS" "${UDP[@]}" --src "$ADDR_B" --dst "$ADDR_A" \
		-- -3600 >/dev/null 2>>"$TOOLS_ERR"
	TRAFFIC+=("$BGPID")
	spawn "tcpstream mydev1->mydev0" "$NS" nice -n 10 python3 "$REPO/tests/tcpstream.py" \
		send "$ADDR_A" $TCP_PORT --mss $MSS 2>>"$TOOLS_ERR"
	TRAFFIC+=("$BGPID")
	spawn "ping -f mva->mvb" "" nice -n 10 ping -f -q "${MV_ADDR[1]}" >/dev/null 2>&1
	TRAFFIC+=("$BGPID")
	spawn "ping -f mvb->mva" t24p nice -n 10 ping -f -q "${MV_ADDR[0]}" >/dev/null 2>&1
	TRAFFIC+=("$BGPID")
	TRAFFIC_NAMES=("udpflood mydev0->mydev1" "udpflood mydev1->mydev0"
		       "tcpstream mydev1->mydev0" "ping -f mva->mvb" "ping -f mvb->mva")
}

# flowing TX0 TX1: both ends of the main pair sent 200 more frames.
flowing() { [ "$(cnt 0 tx_packets)" -ge $(($1 + 200)) ] && [ "$(cnt 1 tx_packets)" -ge $(($2 + 200)) ]; }

traffic_wait() {
	local i
	if ! wait_for $((30 * ${LAB_TIMEOUT_SCALE:-1})) flowing "$(cnt 0 tx_packets)" "$(cnt 1 tx_packets)"; then
		# Why: which senders still run, what they said, where the frames went.
		for i in "${!TRAFFIC[@]}"; do
			if kill -0 "${TRAFFIC[i]}" 2>/dev/null; then
				log "${TRAFFIC_NAMES[i]}: running"
			else
				log "${TRAFFIC_NAMES[i]}: exited"
			fi
		done
		log "their errors: $(head -c 2000 "$TOOLS_ERR")"
		log "mydev0: tx $(cnt 0 tx_packets) rx $(cnt 0 rx_packets) tx_dropped $(cnt 0 tx_dropped);" \
			"mydev1: tx $(cnt 1 tx_packets) rx $(cnt 1 rx_packets) tx_dropped $(cnt 1 tx_dropped)"
		log "links: $(ip -br link show dev mydev0); $(ip -n "$NS" -br link show dev mydev1)"
		fail "no traffic on the main pair"
	fi
	wait_for 30 tcp_established || fail "the TCP stream did not connect"
	log "ok: UDP both ways and the TCP stream flow"
}

# traffic_stop [alive]: kill the senders; with "alive", fail if one of
# them had already ended (an error it did not expect: their stderr is
# shown then). After rmmod they may end on their own (udpflood: EINVAL
# once its source address is gone).
traffic_stop() {
	local i dead=""
	for i in "${!TRAFFIC[@]}"; do
		kill "${TRAFFIC[i]}" 2>/dev/null || dead+=" ${TRAFFIC_NAMES[i]},"
	done
	for i in "${!TRAFFIC[@]}"; do wait "${TRAFFIC[i]}" 2>/dev/null || true; done
	TRAFFIC=()
	if [ -n "$dead" ] && [ "${1:-}" = alive ]; then
		_lib_log_file "$TOOLS_ERR" "stderr: "
		fail "traffic tools ended before they were stopped:${dead%,}"
	fi
	log "traffic stopped${dead:+ (already ended:${dead%,})}"
}

# cur DEV NETNS OPT KEY: the current value of KEY in `ethtool OPT DEV`
# (the second KEY line: the first is the maximum).
cur() {
	local out k v n=0
	out=$(ns_run "$2" ethtool "$3" "$1") || fail "ethtool $3 $1 failed"
	while IFS=: read -r k v; do
		if [ "$k" = "$4" ]; then
			n=$((n + 1))
			if [ "$n" = 2 ]; then echo "${v//[[:space:]]/}"; return; fi
		fi
	done <<<"$out"
	fail "no current $4 in ethtool $3 $1"
}

# ------------------------------------------------------------ setup
PAIR_IPV6=0
pair_setup
if ! mountpoint -q "$DBG"; then
	mount -t debugfs debugfs "$DBG"
	DBG_MOUNTED=1
fi
[ -w "$LOSE" ] || fail "no $LOSE (fault injection)"
# Arm the driver's fault checks (a static key) before any traffic.
echo 0 >"$LOSE"
expect_ok ethtool -L mydev0 combined $CH
# RPS on both ends: the core then checks every received frame's RX queue
# against its device's count, which a channel change must never break
# (new queues get RPS after each change).
rps_on mydev0
rps_on mydev1 "$NS"
MAC=("$(mac_of mydev0)" "$(mac_of mydev1 "$NS")")
expect_ok ip -batch - <<<"netns add t24c
netns add t24n
netns add t24p
netns add t24q
link add xp0l up type mynetdrv peer name xp0r netns t24c up
link add mva type mynetdrv peer name mvb netns t24p
addr add ${MV_ADDR[0]}/24 dev mva
link set mva up"
expect_ok ip -n t24p -batch - <<<"addr add ${MV_ADDR[1]}/24 dev mvb
link set mvb up"
XP=("0:t24c")
XP_NEXT=1
sink_start "" "$ADDR_A"
sink_start "$NS" "$ADDR_B"
spawn "tcpstream listen" "" python3 "$REPO/tests/tcpstream.py" listen "$ADDR_A" $TCP_PORT
DAEMONS+=("$BGPID")

# ------------------------------------------------------------ phase A
log "=== A. chaos under traffic, ${T_A}s and each kind >= $MIN_EACH times (at ${SECONDS}s)"
declare -A a0 b0 a1 b1
snap a0 mydev0
snap b0 mydev1 "$NS"
traffic_start
traffic_wait
t0=$SECONDS
while :; do
	shuffle
	log "round $((ROUNDS + 1)): ${ORDER[*]}"
	for k in "${ORDER[@]}"; do
		chaos_op "$k"
		if [ $((SECONDS - t0)) -ge $T_A ] && min_done; then break 2; fi
		[ $((SECONDS - t0)) -lt $CAP_A ] ||
			fail "not every kind ran often enough in ${CAP_A}s (seed $SEED):$(ops_summary)"
	done
	ROUNDS=$((ROUNDS + 1))
done
log "phase A: $NOP operations in $((SECONDS - t0))s ($ROUNDS full rounds,"\
	"$DOWN_OPS of them with an end down):$(ops_summary)"
for k in "${KINDS[@]}"; do
	[ "${OPS[$k]:-0}" -ge "${MIN_OF[$k]:-$MIN_EACH}" ] || fail "only ${OPS[$k]:-0} $k operations"
done
log "ok: every kind ran at least $MIN_EACH times, stall ${MIN_OF[stall]}"

# Back to frames that any MTU carries whole, for the pings below.
for e in 0 1; do
	if [ "${MTU[e]}" != 1500 ]; then
		quick_ok ip ${DNS[e]:+-n "${DNS[e]}"} link set "${DEV[e]}" mtu 1500
		MTU[e]=1500
	fi
done
traffic_stop alive
if ! wait_for 30 tcp_quiet; then
	log "init: $(ss -tanio "( sport = :$TCP_PORT or dport = :$TCP_PORT )")"
	log "$NS: $(ns_run "$NS" ss -tanio "( sport = :$TCP_PORT or dport = :$TCP_PORT )")"
	log "neigh init: $(ip neigh show dev mydev0); $NS: $(ip -n "$NS" neigh show dev mydev1)"
	log "macs: $(mac_of mydev0) $(mac_of mydev1 "$NS"), tracked ${MAC[*]}"
	log "links: $(ip -br link show dev mydev0); $(ip -n "$NS" -br link show dev mydev1)"
	fail "TCP stream sockets still open: $(tcp_open "") in init, $(tcp_open "$NS") in $NS"
fi
settle
snap a1 mydev0
snap b1 mydev1 "$NS"
for k in tx_packets rx_packets rx_drop_purged rx_filtered tx_drop_peer_down \
	 tx_drop_ring_full tx_gso_packets rx_gro_merged tx_queue_stops; do
	log "growth in phase A: mydev0 $k +$((a1[$k] - a0[$k])), mydev1 $k +$((b1[$k] - b0[$k]))"
done
[ $((a1[tx_packets] - a0[tx_packets])) -ge $MIN_FRAMES ] || fail "mydev0 sent fewer than $MIN_FRAMES frames"
[ $((b1[tx_packets] - b0[tx_packets])) -ge $MIN_FRAMES ] || fail "mydev1 sent fewer than $MIN_FRAMES frames"
[ $((b1[tx_gso_packets] - b0[tx_gso_packets])) -gt 0 ] || fail "the TCP stream sent no GSO frame"
[ $((a1[rx_drop_purged] - a0[rx_drop_purged] + b1[rx_drop_purged] - b0[rx_drop_purged])) -gt 0 ] ||
	fail "no frame purged: the stalls never caught a ring full"
log "ok: at least $MIN_FRAMES frames each way, GSO frames among them, frames purged from full rings"
# A qdisc on both ends: a queue stops on a full ring and is woken only
# with room, whatever changed the rings meanwhile.
expect_eq "tx_drop_ring_full of mydev0, mydev1 (qdiscs on both)" \
	"${a1[tx_drop_ring_full]} ${b1[tx_drop_ring_full]}" "0 0"
# No queue stayed stopped for the TX watchdog's 5 s: outside the stalls
# a stopped queue always has a kick coming. A stall itself leaves queues
# without one until its last ring change: on a slow kernel that may take
# long enough for the watchdog, which then recovers them as designed.
log "longest stall: $STALL_MAX_MS ms;" \
	"tx_timeouts: mydev0 ${a1[tx_timeouts]}, mydev1 ${b1[tx_timeouts]}"
if [ "$STALL_MAX_MS" -lt 4000 ]; then
	expect_eq "tx_timeouts of mydev0, mydev1 (every stall shorter than 4 s)" \
		"${a1[tx_timeouts]} ${b1[tx_timeouts]}" "0 0"
fi
expect_eq "rx_errors of mydev0, mydev1 (every frame fits)" "${a1[rx_errors]} ${b1[rx_errors]}" "0 0"
check_conservation
check_tx_dropped_sum mydev0 "" core
check_tx_dropped_sum mydev1 "$NS" core
expect_eq "channels of mydev0, mydev1" "$(cur mydev0 "" -l Combined) $(cur mydev1 "$NS" -l Combined)" "$CH $CH"
expect_eq "rx rings of mydev0, mydev1" "$(cur mydev0 "" -g RX) $(cur mydev1 "$NS" -g RX)" "${RING[0]} ${RING[1]}"
expect_eq "MACs of mydev0, mydev1" "$(mac_of mydev0) $(mac_of mydev1 "$NS")" "${MAC[0]} ${MAC[1]}"
ping_count 3 "$ADDR_B"
PING_NS=$NS ping_count 3 "$ADDR_A"

# ------------------------------------------------------------ phase B
log "=== B. chaos under traffic, rmmod in the middle (at ${SECONDS}s)"
PHASE=B
OPS=()
NOP_A=$NOP
traffic_start
traffic_wait
t0=$SECONDS
rmmod_helper() { # DELAY_TENTHS
	local rc=0 out t1 t2
	sleep "$(($1 / 10)).$(($1 % 10))"
	t1=$(now_us)
	: >"$RMMOD_T0"
	out=$(timeout 60 rmmod mynetdrv 2>&1) || rc=$?
	t2=$(now_us)
	echo "$rc $(((t2 - t1) / 1000)) $out" >"$RMMOD_RES.tmp"
	mv "$RMMOD_RES.tmp" "$RMMOD_RES"
}
while [ ! -e "$RMMOD_RES" ]; do
	shuffle
	for k in "${ORDER[@]}"; do
		chaos_op "$k"
		if [ -z "$HELPER" ] && [ $((NOP - NOP_A)) -ge 5 ] && [ $((SECONDS - t0)) -ge 6 ]; then
			rnd 30
			log "rmmod in $((R / 10)).$((R % 10))s, while the operations go on"
			rmmod_helper "$R" &
			HELPER=$!
			NOP_R=$NOP
		fi
		[ ! -e "$RMMOD_RES" ] || break
		[ $((SECONDS - t0)) -lt 120 ] || fail "phase B did not end in 120 s"
	done
done
wait "$HELPER" || fail "the rmmod helper failed"
HELPER=""
read -r rc ms out <"$RMMOD_RES"
log "phase B: $((NOP - NOP_A)) operations ($((NOP_R - NOP_A)) before rmmod was started,"\
	"$TOLERATED failed after it began):$(ops_summary)"
[ "$rc" = 0 ] || fail "rmmod mynetdrv failed (exit $rc) after $ms ms: $out"
[ "$ms" -le $RMMOD_LIMIT_MS ] || fail "rmmod took $ms ms under traffic and chaos, limit $RMMOD_LIMIT_MS"
log "ok: rmmod mynetdrv took $ms ms under traffic and chaos"
mod_loaded && fail "mynetdrv still loaded after rmmod"
# The traffic tools, still running against nothing, are stopped.
sleep 1
traffic_stop
for p in "${DAEMONS[@]}"; do kill "$p" 2>/dev/null || true; done
for p in "${DAEMONS[@]}"; do wait "$p" 2>/dev/null || true; done
for p in "${DAEMONS[@]}"; do
	if kill -0 "$p" 2>/dev/null; then fail "process $p survived"; fi
done
DAEMONS=()
log "ok: every traffic tool stopped"
for nsp in "" /run/netns/*; do
	ns=${nsp##*/}
	for d in $(link_names "$ns"); do
		case $d in
		mydev*|xp*|mva|mvb) fail "$d still exists in netns ${ns:-init} after rmmod" ;;
		esac
	done
done
log "ok: no device of the test left in init or $(echo /run/netns/* | sed 's|/run/netns/||g')"
[ ! -e /sys/kernel/debug/mynetdrv ] || fail "/sys/kernel/debug/mynetdrv survived rmmod"
log "ok: no debugfs directory left"
