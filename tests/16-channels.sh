#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 16-channels: ethtool -l / -L (combined channels), both ends, live.
# IPv4 only, permanent ARP, a UDP sink on 10.0.0.2:9 (no ICMP back): the
# pair carries nothing but the test's 98-byte frames (56-byte UDP payload
# or a default ping), so the bytes of purged frames are 98 each.
#  1. Defaults on both ends: max combined 16, current the kernel's
#     netif_get_num_default_rss_queues() (2 on the lab's 2 CPUs, as a
#     multi-queue NIC starts), rx/tx/other none; as many rx-N and tx-N in
#     /sys/class/net/DEV/queues; ethtool -S has per-queue names for the
#     queues in use only (packets, bytes and stops too before 6.9: from
#     6.9 qstats reports those).
#  2. `ethtool -L mydev0 combined 4`: both ends (mydev1 in netns "peer")
#     report 4 and have 4 rx-N/tx-N; 16 UDP flows (source ports 20000+)
#     land on at least 3 of the 4 queues and on none above; per queue i,
#     tx<i>_packets of one end == rx<i>_packets of the other (nothing was
#     dropped; per-queue traffic from qstats, 6.9+, or ethtool -S), sums
#     over queues == the stats64 totals; qstats device totals (6.9+).
#  3. Live under traffic (16 UDP flows + ping -f) with interrupt
#     moderation on both ends (timers armed in rings that go away):
#     combined 4 -> 2 -> 8 -> 1, traffic flowing after each step; then exact conservation (the
#     frames purged by a shrink counted in rx_dropped == rx_drop_purged,
#     rx_drop_purged_bytes == 98 * rx_drop_purged),
#     queues 1..15 keep their history (rx_packets > rx0_packets with one
#     channel), ping both ways, qstats base + queue 0 == stats64.
#  3b. Shrinking full rings: mydev0 on noqueue, every RX interrupt lost
#     (debugfs mynetdrv/lose_kicks), 4 channels, 640 frames over 16 flows
#     wait in mydev1's rings 0..3 (r0..r3 = tx<i>_packets growth, nothing
#     polled); combined 2 moves ring 2 into ring 0 and ring 3 into ring 1
#     (256 slots each): exactly (r0+r2-256)+ + (r1+r3-256)+ purged (a
#     ring that took frames is polled right after its move, so only one
#     move per target ring is predictable: not 4 -> 1); once interrupts
#     flow again the kept frames are delivered; exact conservation.
#  4. Down: combined 3 while mydev0 is down is kept at up; from the peer
#     side `ethtool -L mydev1 combined 2` changes mydev0 too.
#  5. Bad input: combined 0, combined 17, rx 2, tx 2 (and combined 17 on
#     mydev1) fail and change nothing on either end.
#  6. The ethtool -S per-queue names follow the channel count: 3 sets with
#     3 channels; back to the default, the same names as at the start, on
#     both ends.
#  7. `ip link add x0 numtxqueues 4 numrxqueues 4 type mynetdrv peer name
#     x1 numtxqueues 4 numrxqueues 4`: max 4 on both, the default count
#     (at most 4) in use and as many per-queue sets in ethtool -S,
#     combined 5 fails, 4 works on both; a pair whose peer has 2 TX
#     queues: max 2 on both ends (min over both ends).
# About 25 s on an idle host under TCG; up to ~100 s seen with other VMs
# sharing the host's 2 cores, hence the longer timeout.
# TIMEOUT: 360
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

require_cmd python3 ping
FRAME=98	# 14 Ethernet + 20 IP + 8 UDP/ICMP + 56 payload
DEFQ=$(default_channels)
QSTATS="$REPO/tests/qstats.py"

PAIR_IPV6=0
pair_setup

# channels DEV [NETNS]: "max-rx max-tx max-other max-combined cur-rx
# cur-tx cur-other cur-combined" from ethtool -l (n/a printed as 0).
channels() {
	local out k v res=()
	out=$(ns_run "${2:-}" ethtool -l "$1") || fail "ethtool -l $1 failed"
	while IFS=: read -r k v; do
		case $k in
		RX|TX|Other|Combined)
			v=${v//[[:space:]]/}
			[ "$v" = n/a ] && v=0
			res+=("$v") ;;
		esac
	done <<<"$out"
	echo "${res[*]}"
}
# nqueues DEV [NETNS]: "<rx-N count> <tx-N count>" in sysfs.
nqueues() {
	local d rx tx
	d=$(_sysdir "$1" "${2:-}")/queues
	rx=("$d"/rx-*)
	tx=("$d"/tx-*)
	echo "${#rx[@]} ${#tx[@]}"
}
# expect_channels MAX CUR: both ends of the standard pair.
expect_channels() {
	expect_eq "mydev0 ethtool -l" "$(channels mydev0)" "0 0 0 $1 0 0 0 $2"
	expect_eq "mydev1 ethtool -l" "$(channels mydev1 "$NS")" "0 0 0 $1 0 0 0 $2"
	expect_eq "mydev0 sysfs rx/tx queues" "$(nqueues mydev0)" "$2 $2"
	expect_eq "mydev1 sysfs rx/tx queues" "$(nqueues mydev1 "$NS")" "$2 $2"
}
names() { ns_run "${2:-}" ethtool -S "$1" | tail -n +2 | cut -d: -f1 | tr -d ' ' | tr '\n' ' '; }
# nqsets DEV [NETNS]: how many tx<i>_kicks names ethtool -S has.
nqsets() { names "$@" | tr ' ' '\n' | grep -cE '^tx[0-9]+_kicks$' || true; }

# qsum ARR NAME N: the sum of ARR[<prefix><i>_<suffix>] over i < N
# (NAME is "rx_packets" -> rx<i>_packets).
qsum() {
	local -n _s=$1
	local pre=${2%%_*} suf=${2#*_} i v sum=0
	for ((i = 0; i < $3; i++)); do
		v=${_s[${pre}${i}_${suf}]:-}
		[ -n "$v" ] || fail "no counter ${pre}${i}_${suf}"
		sum=$((sum + v))
	done
	echo "$sum"
}
# check_sums DEV ARR N: the per-queue counters of the N queues in use in
# ARR (snap + qsnap of DEV) add up to the stats64 totals: true while no
# queue that went out of use holds history.
check_sums() {
	local -n _cs=$2
	local k
	for k in rx_packets rx_bytes tx_packets tx_bytes; do
		expect_eq "$1 sum of per-queue ${k/_/<i>_} == $k" \
			"$(qsum "$2" $k "$3")" "${_cs[$k]}"
	done
}

# qstats_check DEV NETNS NQ_CUR ARR: where the kernel has qstats (6.9+),
# the device totals (the core's sum of base stats and queues in use) ==
# stats64 (the driver's sum of every queue), NQ_CUR queues of each kind
# reported; ARR is a snap of DEV taken with the counters settled.
qstats_check() {
	local dev=$1 ns=$2 cur=$3 js rc=0
	local -n c=$4
	js=$(ns_run "$ns" python3 "$QSTATS" "$dev") || rc=$?
	if [ "$rc" -eq 2 ]; then
		log "no qstats-get in this kernel (6.9+): qstats not checked"
		return 0
	fi
	[ "$rc" -eq 0 ] || fail "qstats.py $dev failed ($rc)"
	expect_eq "$dev qstats (device rx-packets rx-bytes tx-packets tx-bytes, #rx queues, #tx queues) == stats64" \
		"$(jq -r '[.device["rx-packets", "rx-bytes", "tx-packets", "tx-bytes"],
			(.rx | length), (.tx | length)] |
			map(tostring) | join(" ")' <<<"$js")" \
		"${c[rx_packets]} ${c[rx_bytes]} ${c[tx_packets]} ${c[tx_bytes]} $cur $cur"
}

FLOWS=(python3 "$REPO/tests/udpflood.py" --flows)
udp_sink_start
# RPS on from the start: the core then checks the RX queue of every
# received frame against its device's count (see 3c). A backlog long
# enough that RPS drops nothing: the core would count such drops in
# rx_dropped, which the checks below compare with the driver's own.
BACKLOG=$(sysctl -n net.core.netdev_max_backlog)
sysctl -qw net.core.netdev_max_backlog=100000
rps_on mydev0
rps_on mydev1 "$NS"
BG=()
test_cleanup() {
	local p
	faults_clear
	[ -z "${BACKLOG:-}" ] || sysctl -qw net.core.netdev_max_backlog="$BACKLOG"
	for p in "${BG[@]}" "$SINK"; do
		kill "$p" 2>/dev/null || true
	done
}
# ---- 1. defaults
log "=== 1. defaults (at ${SECONDS}s)"
expect_channels 16 "$DEFQ"
names0=$(names mydev0)
# same_names WHAT DEV [NETNS]: DEV has exactly the names mydev0 had at first.
same_names() {
	local got
	got=$(names "$2" "${3:-}")
	[ "$got" = "$names0" ] || fail "$1: ethtool -S names of $2: '$got', expected '$names0'"
	log "ok: $1: $2 has the same $(wc -w <<<"$got") ethtool -S names"
}
same_names "at the start" mydev1 "$NS"
expect_eq "mydev0 per-queue counter sets in ethtool -S" "$(nqsets mydev0)" "$DEFQ"
# Packets, bytes and stops per queue: in qstats where the kernel has it.
QNAMES="tx_kicks tx_kicks_deferred tx_xmit_more rx_polls rx_gro_merged rx_wakes"
QTRAFFIC="tx_packets tx_bytes tx_stops rx_packets rx_bytes"
rc=0
python3 "$QSTATS" mydev0 >/dev/null || rc=$?
if [ "$rc" -eq 2 ]; then QNAMES+=" $QTRAFFIC"; QTRAFFIC=""; fi
q=$((DEFQ - 1))
for n in $QNAMES; do
	[[ " $names0 " == *" ${n%%_*}${q}_${n#*_} "* ]] ||
		fail "ethtool -S has no ${n%%_*}${q}_${n#*_}"
done
for n in $QTRAFFIC; do
	[[ " $names0 " != *" ${n%%_*}${q}_${n#*_} "* ]] ||
		fail "ethtool -S has ${n%%_*}${q}_${n#*_}, which qstats reports"
done
[[ " $names0 " != *" tx${DEFQ}_kicks "* ]] || fail "ethtool -S has tx${DEFQ}_kicks, a queue not in use"
log "ok: ethtool -S has the per-queue names of queues 0..$q ($QNAMES), no others"

# ---- 2. four channels, flows spread, per-queue conservation
log "=== 2. four channels, flows spread, per-queue conservation (at ${SECONDS}s)"
expect_ok ethtool -L mydev0 combined 4
expect_channels 16 4
declare -A a0 b0 a1 b1
settle
snap a0 mydev0
qsnap a0 mydev0
snap b0 mydev1 "$NS"
qsnap b0 mydev1 "$NS"
sent=$("${FLOWS[@]}" 16 40)
expect_eq "datagrams sent by 16 flows" "$sent" 640
settle
snap a1 mydev0
qsnap a1 mydev0
snap b1 mydev1 "$NS"
qsnap b1 mydev1 "$NS"
used=0 inuse=0
for ((i = 0; i < 4; i++)); do
	rk=rx${i}_packets tk=tx${i}_packets
	d=$((b1[$rk] - b0[$rk]))
	inuse=$((inuse + d))
	log "queue $i: mydev0 tx +$((a1[$tk] - a0[$tk])), mydev1 rx +$d"
	if [ "$d" -gt 0 ]; then used=$((used + 1)); fi
done
expect_eq "frames on queues 0..3 (none on the others)" "$inuse" 640
expect_eq "mydev0 tx_packets growth" "$((a1[tx_packets] - a0[tx_packets]))" 640
expect_eq "mydev1 rx_packets growth" "$((b1[rx_packets] - b0[rx_packets]))" 640
[ "$used" -ge 3 ] || fail "16 flows used only $used of 4 RX queues"
log "ok: 16 flows spread over $used of 4 queues"
expect_eq "drops so far" "${a1[tx_dropped]} ${a1[rx_dropped]} ${b1[tx_dropped]} ${b1[rx_dropped]}" "0 0 0 0"
for ((i = 0; i < 4; i++)); do
	if [ "${a1[tx${i}_packets]}" != "${b1[rx${i}_packets]}" ] ||
	   [ "${a1[tx${i}_bytes]}" != "${b1[rx${i}_bytes]}" ] ||
	   [ "${b1[tx${i}_packets]}" != "${a1[rx${i}_packets]}" ] ||
	   [ "${b1[tx${i}_bytes]}" != "${a1[rx${i}_bytes]}" ]; then
		fail "queue $i: mydev0 tx ${a1[tx${i}_packets]}/${a1[tx${i}_bytes]}B rx ${a1[rx${i}_packets]}/${a1[rx${i}_bytes]}B," \
			"mydev1 tx ${b1[tx${i}_packets]}/${b1[tx${i}_bytes]}B rx ${b1[rx${i}_packets]}/${b1[rx${i}_bytes]}B"
	fi
done
log "ok: per queue i, tx<i> of one end == rx<i> of the other (packets, bytes), i = 0..3"
check_sums mydev0 a1 4
check_sums mydev1 b1 4
check_conservation
qstats_check mydev0 "" 4 a1
qstats_check mydev1 "$NS" 4 b1

# ---- 3. live changes under traffic
log "=== 3. live changes under traffic (at ${SECONDS}s)"
# Interrupt moderation on both ends: rings go away with timers armed.
expect_ok in_ns "$NS" ethtool -C mydev1 rx-usecs 300 rx-frames 0
expect_ok ethtool -C mydev0 rx-usecs 200 rx-frames 16
# 40 s of traffic, killed once the changes are done: longer on a slow
# kernel, where the changes take longer too.
secs=$((40 * ${LAB_TIMEOUT_SCALE:-1}))
"${FLOWS[@]}" 16 -$secs >/tmp/flows.out &
BG+=($!)
ping -f -q -w $secs "$ADDR_B" >/dev/null 2>&1 &
BG+=($!)
# traffic_flows: mydev1 received 200 frames more than $1 and mydev0 got
# some ping replies back.
rx1() { local v; read -r v <"$PEER_SYS/class/net/mydev1/statistics/rx_packets"; echo "$v"; }
rx0() { local v; read -r v </sys/class/net/mydev0/statistics/rx_packets; echo "$v"; }
traffic_flows() { [ "$(rx1)" -ge $(($1 + 200)) ] && [ "$(rx0)" -ge $(($2 + 20)) ]; }
wait_for 20 traffic_flows "$(rx1)" "$(rx0)" || fail "no traffic before the changes"
for n in 2 8 1; do
	expect_ok ethtool -L mydev0 combined $n
	expect_channels 16 $n
	wait_for 20 traffic_flows "$(rx1)" "$(rx0)" ||
		fail "traffic stopped after combined $n (at ${SECONDS}s; mydev1 rx $(rx1), mydev0 rx $(rx0))"
	log "ok: traffic flows with $n channels"
done
bg_stop
expect_ok in_ns "$NS" ethtool -C mydev1 rx-usecs 0 rx-frames 1
expect_ok ethtool -C mydev0 rx-usecs 0 rx-frames 1
settle
snap a1 mydev0
snap b1 mydev1 "$NS"
log "purged: mydev0 ${a1[rx_drop_purged]}, mydev1 ${b1[rx_drop_purged]}"
expect_eq "mydev0 rx_dropped == rx_drop_purged" "${a1[rx_dropped]}" "${a1[rx_drop_purged]}"
expect_eq "mydev1 rx_dropped == rx_drop_purged" "${b1[rx_dropped]}" "${b1[rx_drop_purged]}"
expect_eq "mydev0 rx_drop_purged_bytes == $FRAME * rx_drop_purged" \
	"${a1[rx_drop_purged_bytes]}" "$((a1[rx_drop_purged] * FRAME))"
expect_eq "mydev1 rx_drop_purged_bytes == $FRAME * rx_drop_purged" \
	"${b1[rx_drop_purged_bytes]}" "$((b1[rx_drop_purged] * FRAME))"
check_tx_dropped_sum mydev0
check_tx_dropped_sum mydev1 "$NS"
check_conservation
# One channel left: what queues 1..15 received is history, kept in the
# totals (and in qstats' base stats, checked below).
qsnap b1 mydev1 "$NS"
hist=$((b1[rx_packets] - b1[rx0_packets]))
[ "$hist" -gt 0 ] || fail "mydev1 queues 1..15 show no history after going back to 1 channel"
log "ok: mydev1 queues 1..15 keep $hist packets of history"
ping_count 3 "$ADDR_B"
PING_NS=$NS ping_count 3 "$ADDR_A"
settle
snap a1 mydev0
snap b1 mydev1 "$NS"
qstats_check mydev0 "" 1 a1
qstats_check mydev1 "$NS" 1 b1

# ---- 3b. shrinking full rings
log "=== 3b. shrinking full rings (at ${SECONDS}s)"
faults_arm
expect_ok tc qdisc replace dev mydev0 root noqueue
expect_ok ethtool -L mydev0 combined 4
expect_channels 16 4
settle
snap a0 mydev0
qsnap a0 mydev0
snap b0 mydev1 "$NS"
echo 1000000 >"$FAULTS/lose_kicks"
sent=$("${FLOWS[@]}" 16 40)
snap a1 mydev0
qsnap a1 mydev0
snap b1 mydev1 "$NS"
expect_eq "datagrams sent by 16 flows" "$sent" 640
expect_eq "mydev1 rx_polls growth (no interrupt)" "$((b1[rx_polls] - b0[rx_polls]))" 0
in_rings=0 r=""
for ((i = 0; i < 4; i++)); do
	tk=tx${i}_packets
	in_rings=$((in_rings + a1[$tk] - a0[$tk]))
	r+=" $((a1[$tk] - a0[$tk]))"
done
log "frames waiting in mydev1's rings 0..3:$r (ring full drops +$((a1[tx_drop_ring_full] - a0[tx_drop_ring_full])))"
expect_eq "frames waiting + ring-full drops" \
	"$((in_rings + a1[tx_drop_ring_full] - a0[tx_drop_ring_full]))" 640
expect_ok ethtool -L mydev0 combined 2
expect_channels 16 2
snap b1 mydev1 "$NS"
want=0
for ((i = 0; i < 2; i++)); do
	tk=tx${i}_packets ok=tx$((i + 2))_packets
	k=$((a1[$tk] - a0[$tk] + a1[$ok] - a0[$ok] - 256))
	if [ "$k" -gt 0 ]; then want=$((want + k)); fi
done
expect_eq "mydev1 rx_drop_purged growth (ring 2 into 0, 3 into 1, 256 slots)" \
	"$((b1[rx_drop_purged] - b0[rx_drop_purged]))" "$want"
expect_eq "mydev1 rx_drop_purged_bytes growth" \
	"$((b1[rx_drop_purged_bytes] - b0[rx_drop_purged_bytes]))" "$((want * FRAME))"
echo 0 >"$FAULTS/lose_kicks"
ping_count 3 "$ADDR_B"
settle
snap b1 mydev1 "$NS"
expect_eq "mydev1 rx_packets growth (kept frames + 3 pings)" \
	"$((b1[rx_packets] - b0[rx_packets]))" "$((in_rings - want + 3))"
check_conservation
expect_ok tc qdisc del dev mydev0 root

# ---- 3c. no frame on an RX queue its device no longer has
log "=== 3c. combined 4 <-> 2 under traffic both ways, RPS, then generic XDP (at ${SECONDS}s)"
# The core refuses a frame received on an RX queue beyond its device's
# count, with a WARNING ("received packet on queue N, but number of RX
# queues is M", once per boot, only for M > 1) from get_rps_cpu() under
# RPS and from netif_get_rxqueue() for generic XDP: the kernel-log scan
# fails the test on it. Traffic both ways over 16 flows each, each cycle
# grows one end to 4 channels and shrinks it to 2 (alternating ends), RPS
# on every queue of both ends; then the same with a generic XDP program
# on both ends and RPS off.
a_sink() {
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 9))
time.sleep(1 << 20)' "$ADDR_A" &
	BG+=($!)
}
# set_ch E N: ethtool -L end E combined N, logged only on failure.
set_ch() {
	ns_run "${ENDNS[$1]}" ethtool -L "${ENDS[$1]}" combined "$2" \
		>/dev/null 2>/tmp/16-err ||
		fail "ethtool -L ${ENDS[$1]} combined $2: $(cat /tmp/16-err)"
}
# cycles N WHAT: N grow/shrink cycles; traffic flows after them.
cycles() {
	local c e r1 r0
	r1=$(rx1) r0=$(rx0)
	for ((c = 0; c < $1; c++)); do
		e=$((c % 2))
		set_ch $e 4
		if [ "$2" = rps ]; then
			rps_on mydev0
			rps_on mydev1 "$NS"
		fi
		set_ch $e 2
	done
	expect_channels 16 2
	wait_for 20 traffic_flows "$r1" "$r0" ||
		fail "traffic stopped during the $2 cycles (mydev1 rx $(rx1), mydev0 rx $(rx0))"
	log "ok: $1 cycles combined 4 <-> 2 with $2, traffic flowing:" \
		"mydev1 rx +$(($(rx1) - r1)), mydev0 rx +$(($(rx0) - r0))"
}
ENDS=(mydev0 mydev1)
ENDNS=("" "$NS")
# 30 cycles; 10 on a slow (debug) kernel, where each takes seconds.
CYCLES=30
[ "${LAB_TIMEOUT_SCALE:-1}" -eq 1 ] || CYCLES=10
a_sink
"${FLOWS[@]}" 16 -$((300 * ${LAB_TIMEOUT_SCALE:-1})) >/dev/null &
BG+=($!)
# Not through a shell function: $! must be the flood itself, to kill.
ip netns exec "$NS" "${FLOWS[@]}" 16 --src "$ADDR_B" --dst "$ADDR_A" \
	-$((300 * ${LAB_TIMEOUT_SCALE:-1})) >/dev/null &
BG+=($!)
rps_on mydev0
rps_on mydev1 "$NS"
cycles $CYCLES rps
rps_on mydev0 "" 0
rps_on mydev1 "$NS" 0
XDP_OBJ=$REPO/tests/bpf/xdp_pass.o
[ -f "$XDP_OBJ" ] || fail "no $XDP_OBJ (make lab-build builds it)"
# The debug kernel is built without CONFIG_BPF_SYSCALL (no bpf filesystem
# either): no program can be loaded there. Every Debian kernel has it.
if grep -qw bpf /proc/filesystems; then
	expect_ok ip link set dev mydev0 xdpgeneric obj "$XDP_OBJ" sec xdp
	expect_ok ip -n "$NS" link set dev mydev1 xdpgeneric obj "$XDP_OBJ" sec xdp
	ip -d link show dev mydev0 | grep -q 'xdpgeneric' ||
		fail "mydev0 has no generic XDP program: $(ip -d link show dev mydev0)"
	cycles $((CYCLES / 2)) "generic XDP"
	expect_ok ip link set dev mydev0 xdpgeneric off
	expect_ok ip -n "$NS" link set dev mydev1 xdpgeneric off
else
	log "no BPF syscall in this kernel ($(uname -r)): the generic XDP cycles are not run"
fi
bg_stop
settle
check_tx_dropped_sum mydev0
check_tx_dropped_sum mydev1 "$NS"
check_conservation
rps_on mydev0
rps_on mydev1 "$NS"

# ---- 4. while down; from the peer side
log "=== 4. while down; from the peer side (at ${SECONDS}s)"
expect_ok ip link set mydev0 down
expect_ok ethtool -L mydev0 combined 3
expect_channels 16 3
expect_ok ip link set mydev0 up
wait_for 5 grep -qx 1 /sys/class/net/mydev0/carrier || fail "no carrier after up"
expect_channels 16 3
pair_neigh
ping_count 3 "$ADDR_B"
expect_ok in_ns "$NS" ethtool -L mydev1 combined 2
expect_channels 16 2
expect_ok ethtool -L mydev0 combined 3
expect_channels 16 3

# ---- 5. bad input changes nothing
log "=== 5. bad input changes nothing (at ${SECONDS}s)"
for args in "combined 0" "combined 17" "rx 2" "tx 2"; do
	# shellcheck disable=SC2086 # word splitting wanted
	expect_fail ethtool -L mydev0 $args
	expect_channels 16 3
done
expect_fail in_ns "$NS" ethtool -L mydev1 combined 17
expect_channels 16 3
ping_count 3 "$ADDR_B"

# ---- 6. per-queue names follow the channels
log "=== 6. per-queue names follow the channels (at ${SECONDS}s)"
expect_eq "mydev0 per-queue counter sets in ethtool -S (3 channels)" "$(nqsets mydev0)" 3
expect_eq "mydev1 per-queue counter sets in ethtool -S (3 channels)" "$(nqsets mydev1 "$NS")" 3
expect_ok ethtool -L mydev0 combined "$DEFQ"
same_names "back to $DEFQ channels" mydev0
same_names "back to $DEFQ channels" mydev1 "$NS"
settle
expect_eq "mydev0 rx_drop_purged (no frame to purge since)" "$(ethtool_stat mydev0 rx_drop_purged)" "${a1[rx_drop_purged]}"
expect_eq "mydev1 rx_drop_purged (no frame to purge since)" "$(ethtool_stat mydev1 rx_drop_purged "$NS")" "${b1[rx_drop_purged]}"
check_conservation

# ---- 7. fewer allocated queues
log "=== 7. fewer allocated queues (at ${SECONDS}s)"
expect_ok ip_mynetdrv link add x0 numtxqueues 4 numrxqueues 4 type mynetdrv \
	peer name x1 numtxqueues 4 numrxqueues 4
def4=$((DEFQ < 4 ? DEFQ : 4))
for d in x0 x1; do
	expect_eq "$d ethtool -l" "$(channels $d)" "0 0 0 4 0 0 0 $def4"
	expect_eq "$d per-queue counter sets in ethtool -S" "$(nqsets $d)" "$def4"
done
expect_fail ethtool -L x0 combined 5
expect_eq "x1 ethtool -l after combined 5" "$(channels x1)" "0 0 0 4 0 0 0 $def4"
expect_ok ethtool -L x0 combined 4
expect_eq "x0 ethtool -l" "$(channels x0)" "0 0 0 4 0 0 0 4"
expect_eq "x1 ethtool -l" "$(channels x1)" "0 0 0 4 0 0 0 4"
expect_eq "x1 sysfs rx/tx queues" "$(nqueues x1)" "4 4"
expect_ok ip link del x0
# The peer's 2 TX queues bound both ends.
expect_ok ip_mynetdrv link add y0 type mynetdrv peer name y1 numtxqueues 2
def2=$((DEFQ < 2 ? DEFQ : 2))
expect_eq "y0 ethtool -l (peer has 2 TX queues)" "$(channels y0)" "0 0 0 2 0 0 0 $def2"
expect_eq "y1 ethtool -l (2 TX queues)" "$(channels y1)" "0 0 0 2 0 0 0 $def2"
expect_fail ethtool -L y0 combined 3
expect_ok ethtool -L y0 combined 2
expect_eq "y1 ethtool -l" "$(channels y1)" "0 0 0 2 0 0 0 2"
expect_ok ip link del y0
