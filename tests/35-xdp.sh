#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 35-xdp: native (driver-mode) XDP on the pair, every verdict with exact
# counts. The programs are tests/bpf/xdp_*.c: each acts on IPv4 UDP to
# port 7035 only and counts what it acted on in a map of its own ("hits",
# read with bpftool), passing everything else. N = 200 datagrams of 64
# bytes (106-byte frames) per step from a socket on mydev0 (10.0.0.1:40035)
# to 10.0.0.2:7035, with the program on mydev1 (netns "peer"): fewer than
# a ring's 256 slots, so that no ring can overflow even if its NAPI does
# not run until the end. IPv4 only, permanent neighbours: the pair carries
# nothing but the test's frames. For every step, besides the program's own
# count: what a UDP socket on mydev1 received (each payload checked byte
# for byte), what AF_PACKET captures on mydev0 and mydev1 saw, and the
# xdp:* trace events (a tracefs instance of the test's own).
#  1. Attach, show, replace, detach: `ip link set dev mydev1 xdpdrv obj
#     xdp_verdicts.o sec xdp program xdp_pass_udp`; ip -d link, ip -j,
#     bpftool net show and xdp-loader status show it in driver mode; a
#     second attach without -force fails, so does xdpgeneric on top, and
#     the program stays; `ip -force link set ...` replaces it in one step
#     and the old program is freed (the driver dropped its reference);
#     `xdpdrv off` detaches, that program is freed too. The same with
#     bpftool: prog loadall, net attach xdpdrv pinned, overwrite, net
#     detach.
#  2. XDP_PASS: the socket gets the N datagrams, the capture on mydev1 N.
#  3. XDP_DROP, 4. XDP_ABORTED, 5. a verdict that is none (42): the
#     socket and the capture get nothing; ABORTED and 42 each raise
#     exactly N xdp_exception events (action ABORTED, 0x2a) on mydev1,
#     PASS and DROP none.
#  6. XDP_TX (the program swaps MACs, IP addresses and UDP ports): the N
#     datagrams come back to the sending socket, intact, and the capture
#     on mydev0 sees N frames to mydev0's MAC.
#  7. XDP_REDIRECT through a devmap to mydev1 itself (its ndo_xdp_xmit):
#     the same as 6; N xdp_redirect events to mydev1 and xdp_devmap_xmit
#     events that sent N, dropped none.
#  8. XDP_REDIRECT to mydev2, the first end of a second pair whose other
#     end mydev3 is in netns "far" with mydev0's MAC and address: a socket
#     there gets the N datagrams, a capture on mydev3 N frames, mydev0
#     nothing.
#  9. bpf_xdp_adjust_head(+8), bpf_xdp_adjust_tail(-16) and
#     bpf_xdp_adjust_meta(-8) (xdp_adjust_udp) with a tc clsact ingress
#     program (tc_meta_check) that drops what lacks the metadata: the
#     socket gets exactly the 64-byte bodies of 88-byte payloads sent
#     wrapped, the capture N frames of 106 bytes, tc saw N with metadata
#     intact and none without.
# 10. A multi-buffer aware program (SEC("xdp.frags")) attached with ip:
#     it passes N datagrams and sees each as one buffer. At MTU 9000 a
#     program without frags support is refused (on mynetdrv, an MTU of
#     9000 is refused while one is attached), the frags one attaches and
#     sees 20 datagrams of 8000 bytes each as a head buffer plus
#     fragments, and the socket gets them intact; on mynetdrv, a frags
#     program's XDP_TX sends the 20 back whole, intact to the sender.
# 11. Atomic replacement under traffic: while a flood runs, the program
#     is replaced 6 times, XDP_DROP and XDP_PASS by turns: the programs'
#     counts add up to every datagram that reached mydev1, the socket and
#     the capture got exactly what the PASS programs counted.
# 12. The program survives mydev1 down/up (and, on mynetdrv, channel
#     changes: combined 1, then back): same program id, N passed after
#     each.
# On mynetdrv (the default; XDP_TEST_KIND=veth runs all of the above on
# a veth pair, the kernel's reference for native XDP, to check the test
# itself), every step also checks the driver's counters exactly: ethtool
# -S totals rx_xdp_packets, rx_xdp_bytes (the frame as the program first
# saw it), rx_xdp_drop (DROP, ABORTED and invalid verdicts), rx_xdp_tx,
# rx_xdp_tx_errors, rx_xdp_redirect, rx_xdp_redirect_errors on mydev1,
# each per queue too (rx<q>_xdp_*, adding up to the totals; rx<q>_
# xdp_packets grows as mydev0's tx<q>_packets), tx_xdp_xmit and
# tx_xdp_xmit_errors on the device redirected to; stats64 as a NIC
# counts: rx_packets and rx_bytes every frame received whatever the
# program did (wire bytes), rx_dropped no XDP verdict, XDP_TX and
# ndo_xdp_xmit frames in the sender's tx_packets; mydev0 leaves mydev1 no
# checksum to complete while mydev1 runs a program (tx_csum_partial +0),
# and the reflected datagrams arrive intact. At the end, exact
# conservation both ways, XDP changing none of it (check_conservation).
# On either kind, after every step no stack has refused a UDP datagram
# for its checksum (Udp InCsumErrors +0). Skipped on a kernel without the
# bpf() syscall (the debug kernel).
# On veth 2.5 to 4.5 minutes under TCG (6.1, 6.12, 7.2; the longer with
# other guests on the host).
# TIMEOUT: 900
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"
# shellcheck source=xdplib.sh
. "$(dirname "$0")/xdplib.sh"

xdp_require
require_cmd python3
N=200
BODY=64
FRAME=$((14 + 20 + 8 + BODY))	# 106
CUT=$((8 + 16))			# what xdp_adjust_udp cuts from a payload
WRAPPED=$((FRAME + CUT))	# 130: a frame with a wrapped body
PORT=7035			# XDP_LAB_PORT in tests/bpf/xdp_lab.h
SPORT=40035
FAR=far
XDPUDP=$REPO/tests/xdpudp.py
RAWSOCK=$REPO/tests/rawsock.py
MYNETDRV=0
[ "$XDP_TEST_KIND" = mynetdrv ] && MYNETDRV=1
log "device pair: $XDP_TEST_KIND (XDP_TEST_KIND)"

BG=()
test_cleanup() {
	bg_stop
	ns_run "$NS" tc qdisc del dev mydev1 clsact 2>/dev/null || true
	xdp_cleanup
	if mountpoint -q "/tmp/pairlib-sys-$FAR" 2>/dev/null; then
		umount "/tmp/pairlib-sys-$FAR" || true
	fi
	rm -f /tmp/t35-*
}

PAIR_IPV6=0
pair_setup numpairs=2

# The second pair, the target of step 8: mydev2 next to mydev1 in $NS
# (a devmap only takes devices of the redirecting device's netns), mydev3
# in $FAR with mydev0's MAC and address, so that the frames the program
# turned around for mydev0 are mydev3's too (its MAC filter takes them,
# its stack delivers them to a socket on 10.0.0.1:40035).
ip netns add "$FAR"
peer_sys_mount "$FAR"
ns_run "$FAR" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
ip link set mydev2 netns "$NS"
ip link set mydev3 netns "$FAR"
ns_run "$NS" sysctl -qw net.ipv6.conf.mydev2.disable_ipv6=1
ns_run "$FAR" sysctl -qw net.ipv6.conf.mydev3.disable_ipv6=1
MAC_A=$(mac_of mydev0)
MAC_B=$(mac_of mydev1 "$NS")
ip -n "$FAR" link set mydev3 address "$MAC_A"
ip -n "$FAR" addr add "$ADDR_A/24" dev mydev3
ip -n "$NS" link set mydev2 up
ip -n "$FAR" link set mydev3 up
wait_for 5 grep -qx 1 "/tmp/pairlib-sys-$FAR/class/net/mydev3/carrier" || fail "mydev3: no carrier"
IFX1=$(ifindex_of mydev1 "$NS")
IFX2=$(ifindex_of mydev2 "$NS")
log "mydev0 $MAC_A, mydev1 $MAC_B (ifindex $IFX1 in $NS), mydev2 ifindex $IFX2, mydev3 in $FAR"

if [ $MYNETDRV -eq 1 ]; then
	# The sender offloads its UDP checksum (CHECKSUM_PARTIAL): on a wire
	# a frame's checksum is complete, and so must be what an XDP program
	# gets, forwards (steps 6-8) or passes changed: the driver completes
	# it first (skb_checksum_help()). The default, checked: else those
	# steps would not test it. A frame it forgot arrives with a bad UDP
	# checksum: Udp InCsumErrors, checked after each step.
	ethtool -k mydev0 | grep -qx 'tx-checksumming: on' ||
		fail "mydev0 does not offload checksums: steps 6-8 would not check that the driver completes them"
else
	# veth takes frames from its peer's XDP_TX or ndo_xdp_xmit only in
	# NAPI mode (from 6.3 only then does the peer advertise
	# NETDEV_XDP_ACT_NDO_XMIT): mydev0 and mydev3 receive such frames, so
	# each gets a program that passes everything. (Turning GRO on, the
	# other way to NAPI, was seen to lose them on 7.2: the frames were
	# sent, xdp_bulk_tx said, and never delivered.)
	quick_ok ip link set dev mydev0 xdpdrv obj "$(xdp_obj xdp_pass)" sec xdp
	quick_ok ns_run "$FAR" ip link set dev mydev3 xdpdrv obj "$(xdp_obj xdp_pass)" sec xdp
	# veth gives XDP a frame whose checksum the sender left partial, as
	# it is: a datagram turned around arrives with a bad UDP checksum
	# (seen on 6.1: all of them in Udp InCsumErrors). The stack computes
	# it in software instead.
	ethtool -K mydev0 tx off
fi

# The counters of all four ends, read with builtins (forks are slow
# under TCG); settle_all: until none moves for 0.5 s (settle() watches
# mydev0 and mydev1 only).
SYS3=/tmp/pairlib-sys-$FAR/class/net/mydev3
settle_all() {
	local prev="" cur f v i
	for ((i = 0; i < 60; i++)); do
		cur=""
		for f in /sys/class/net/mydev0/statistics/* \
			 "$PEER_SYS"/class/net/mydev[12]/statistics/* "$SYS3"/statistics/*; do
			read -r v <"$f"
			cur+="$v "
		done
		[ "$cur" = "$prev" ] && return 0
		prev=$cur
		sleep 0.5
	done
	fail "counters still moving after 30 s"
}

# The XDP counters of each kind: the driver's names (mynetdrv), or
# veth's (one queue) where it has one with the same meaning (not its
# rx_queue_0_xdp_bytes: without the Ethernet header; nor a count of
# failed redirects).
declare -A XN
if [ $MYNETDRV -eq 1 ]; then
	for c in packets bytes drop tx tx_errors redirect redirect_errors; do XN[$c]=rx_xdp_$c; done
	XN[xmit]=tx_xdp_xmit
	XN[xmit_errors]=tx_xdp_xmit_errors
else
	XN=([packets]=rx_queue_0_xdp_packets [drop]=rx_queue_0_xdp_drops [tx]=rx_queue_0_xdp_tx
	    [tx_errors]=rx_queue_0_xdp_tx_errors [redirect]=rx_queue_0_xdp_redirect
	    [xmit]=tx_queue_0_xdp_xmit [xmit_errors]=tx_queue_0_xdp_xmit_errors)
fi
XRX=(packets bytes drop tx tx_errors redirect redirect_errors)

# shellcheck disable=SC2034 # used through d()'s namerefs
declare -A a0 a1 b0 b1 c0 c1 e0 e1
# d a|b|c|e COUNTER: its growth during the step on mydev0|1|2|3.
d() {
	local -n _n=${1}1 _o=${1}0
	if [ -z "${_n[$2]:-}" ] || [ -z "${_o[$2]:-}" ]; then fail "no counter $2 (end $1)"; fi
	echo $((_n[$2] - _o[$2]))
}
# SNAP_FAR=1: the second pair's too (steps 6-8, where it matters:
# forks are slow under TCG).
SNAP_FAR=0
snap_all() { # SUFFIX (0 or 1)
	snap "a$1" mydev0
	snap "b$1" mydev1 "$NS"
	if [ $SNAP_FAR -eq 1 ]; then
		snap "c$1" mydev2 "$NS"
		snap "e$1" mydev3 "$FAR"
	fi
	if [ $MYNETDRV -eq 1 ]; then
		qsnap "a$1" mydev0
	fi
}

# Started once, read per step (a report covers what came since the last):
# the socket on mydev1, the captures on mydev0 and mydev1.
rm -f /tmp/t35-*
ip netns exec "$NS" python3 "$XDPUDP" recv "$ADDR_B" "$PORT" --ready /tmp/t35-recv.ready >/tmp/t35-recv &
RECV=$!
BG+=("$RECV")
python3 "$RAWSOCK" capture mydev0 --timeout 3600 --ready /tmp/t35-cap0.ready >/tmp/t35-cap0 &
CAP0=$!
BG+=("$CAP0")
ip netns exec "$NS" python3 "$RAWSOCK" capture mydev1 --timeout 3600 --ready /tmp/t35-cap1.ready >/tmp/t35-cap1 &
CAP1=$!
BG+=("$CAP1")
wait_for 20 test -e /tmp/t35-recv.ready -a -e /tmp/t35-cap0.ready -a -e /tmp/t35-cap1.ready ||
	fail "the socket and captures did not start"
xdp_trace_start

# udp_csum_errors [NS]: the UDP datagrams the stack of the init netns
# (or NS) refused for a bad checksum (Udp InCsumErrors of /proc/net/snmp).
# A frame an XDP program got with the checksum the sender left partial
# (CHECKSUM_PARTIAL) arrives so, once turned around or passed on.
udp_csum_errors() {
	# shellcheck disable=SC2016 # awk's fields, not the shell's
	ns_run "${1:-}" awk '$1 == "Udp:" { if (!c) { for (i = 2; i <= NF; i++) if ($i == "InCsumErrors") c = i }
		else print $c }' /proc/net/snmp
}

# step_begin WHAT: counters and trace before a step's traffic.
step_begin() {
	STEP=$1
	log "=== $STEP (t=${SECONDS}s)"
	settle_all
	snap_all 0
	CSUM_A=$(udp_csum_errors)
	CSUM_B=$(udp_csum_errors "$NS")
	xdp_trace_take
}
# step_end: after the traffic: counters, trace, the helpers' reports
# into R_RECV, R_CAP0, R_CAP1 (JSON).
step_end() {
	settle_all
	snap_all 1
	xdp_trace_take
	R_RECV=$(bg_report "$RECV" /tmp/t35-recv)
	R_CAP0=$(bg_report "$CAP0" /tmp/t35-cap0)
	R_CAP1=$(bg_report "$CAP1" /tmp/t35-cap1)
	log "socket: $R_RECV"
	log "capture mydev0: $R_CAP0"
	log "capture mydev1: $R_CAP1"
	expect_eq "$STEP: UDP datagrams with a bad checksum at mydev0's and mydev1's stacks" \
		"$(($(udp_csum_errors) - CSUM_A)) $(($(udp_csum_errors "$NS") - CSUM_B))" "0 0"
	local -A ev=()
	local l e=""
	while IFS= read -r l; do
		[[ $l =~ \ (xdp_[a-z_]+):\  ]] || continue
		ev[${BASH_REMATCH[1]}]=$((${ev[${BASH_REMATCH[1]}]:-0} + 1))
	done <<<"$XDP_TRACE_TXT"
	for l in "${!ev[@]}"; do e+="${e:+, }${ev[$l]} $l"; done
	log "xdp trace events: ${e:-none}"
}
js() { jq -r "$2" <<<"$1"; }

# send [ARGS...]: N datagrams from mydev0's socket (xdpudp.py send);
# the sender's JSON report in R_SEND.
send() {
	R_SEND=$(python3 "$XDPUDP" send "$ADDR_B" "$N" --src "$ADDR_A" --sport "$SPORT" --size "$BODY" "$@") ||
		fail "$STEP: the sender failed"
	log "sender: $R_SEND"
}

# expect_hits TAG FRAMES BYTES [X1 [X2]]: the program's own counts.
expect_hits() {
	expect_eq "$STEP: frames program $1 acted on" "$(xdp_hits "$1" 0)" "$2"
	expect_eq "$STEP: their bytes" "$(xdp_hits "$1" 1)" "$3"
	[ -z "${4:-}" ] || expect_eq "$STEP: program $1's hits[2]" "$(xdp_hits "$1" 2)" "$4"
	[ -z "${5:-}" ] || expect_eq "$STEP: program $1's hits[3]" "$(xdp_hits "$1" 3)" "$5"
}

# expect_seen RECV BODIES CAP1 CAP0: what the socket on mydev1 got
# (datagrams, all intact bodies of distinct numbers), what the captures
# on mydev1 and mydev0 saw. No capture lost a frame.
expect_seen() {
	expect_eq "$STEP: socket on mydev1: datagrams, intact, distinct" \
		"$(js "$R_RECV" '"\(.datagrams) \(.bodies) \(.distinct)"')" "$1 $2 $2"
	expect_eq "$STEP: frames captured on mydev1, lost" "$(js "$R_CAP1" '"\(.frames) \(.drops)"')" "$3 0"
	expect_eq "$STEP: frames captured on mydev0, lost" "$(js "$R_CAP0" '"\(.frames) \(.drops)"')" "$4 0"
}

# expect_exceptions N [ACTION]: xdp_exception events during the step:
# N, all on mydev1 with ACTION.
expect_exceptions() {
	expect_eq "$STEP: xdp_exception events" "$(xdp_trace_count xdp_exception)" "$1"
	[ -z "${2:-}" ] || expect_eq "$STEP: ... of them action=$2 on mydev1 (ifindex $IFX1)" \
		"$(xdp_trace_count xdp_exception " action=$2 ifindex=$IFX1\$")" "$1"
	expect_eq "$STEP: xdp_redirect_err events" "$(xdp_trace_count xdp_redirect_err)" 0
}

# expect_xdp KEY=N...: the growth of mydev1's XDP counters (KEY one of
# XRX: packets bytes drop tx tx_errors redirect redirect_errors), each
# not named +0. On mynetdrv also per queue: the growth of the queues in
# use adds up to the totals' (growth: after a channel decrease the
# totals keep the history of queues no longer listed), and each queue's
# XDP packets grew as much as mydev0's frames on the TX queue of the same
# index (queue i goes to ring i).
expect_xdp() {
	local -A want=()
	local kv k q nq sum v
	for kv in "$@"; do want[${kv%%=*}]=${kv#*=}; done
	for k in "${XRX[@]}"; do
		[ -n "${XN[$k]:-}" ] || continue
		expect_eq "$STEP: mydev1 ${XN[$k]}" "$(d b "${XN[$k]}")" "${want[$k]:-0}"
	done
	[ $MYNETDRV -eq 1 ] || return 0
	nq=$(cur_channels mydev1 "$NS")
	for k in "${XRX[@]}"; do
		sum=0
		for ((q = 0; q < nq; q++)); do
			v=$(d b "rx${q}_xdp_$k")
			sum=$((sum + v))
		done
		expect_eq "$STEP: mydev1 rx_xdp_$k growth == that of rx<q>_xdp_$k over $nq queues" \
			"$(d b "rx_xdp_$k")" "$sum"
	done
	for ((q = 0; q < nq; q++)); do
		expect_eq "$STEP: mydev1 rx${q}_xdp_packets growth == mydev0 tx${q}_packets growth" \
			"$(d b "rx${q}_xdp_packets")" "$(d a "tx${q}_packets")"
	done
}

# expect_xmit END N: ndo_xdp_xmit on mydev1 (b) or mydev2 (c): N sent,
# none refused; the other one's +0.
expect_xmit() {
	local e
	for e in b c; do
		local n=0 dev=mydev1
		[ "$e" = c ] && dev=mydev2
		[ "$e" = "$1" ] && n=$2
		expect_eq "$STEP: $dev ${XN[xmit]}" "$(d "$e" "${XN[xmit]}")" "$n"
		expect_eq "$STEP: $dev ${XN[xmit_errors]}" "$(d "$e" "${XN[xmit_errors]}")" 0
	done
}

# expect_stack RXBYTES1 [ECHO ECHO_BYTES TX1 TX2] (mynetdrv's stats64,
# which count as a NIC does, Documentation/networking/statistics.rst):
# mydev1 received all N frames (rx_packets +N, rx_bytes +RXBYTES1, their
# wire bytes before the program changed them) whatever its program did,
# and dropped none for want of room or memory (rx_dropped +0: XDP_DROP
# is a verdict, in rx_xdp_drop); mydev0 got ECHO frames back (ECHO_BYTES);
# mydev1 and mydev2 sent TX1 and TX2 frames (XDP_TX and ndo_xdp_xmit
# frames are in tx_packets). The sender: mydev0 tx_packets +N,
# tx_dropped +0, and no checksum left to mydev1 (tx_csum_partial +0: an
# end whose peer runs a program leaves no checksum offloaded, so the
# program sees frames a wire would carry).
expect_stack() {
	[ $MYNETDRV -eq 1 ] || return 0
	expect_eq "$STEP: mydev1 rx_packets" "$(d b rx_packets)" "$N"
	expect_eq "$STEP: mydev1 rx_bytes" "$(d b rx_bytes)" "$1"
	expect_eq "$STEP: mydev1 rx_dropped" "$(d b rx_dropped)" 0
	expect_eq "$STEP: mydev0 rx_packets" "$(d a rx_packets)" "${2:-0}"
	expect_eq "$STEP: mydev0 rx_bytes" "$(d a rx_bytes)" "${3:-0}"
	expect_eq "$STEP: mydev0 tx_packets" "$(d a tx_packets)" "$N"
	expect_eq "$STEP: mydev0 tx_dropped" "$(d a tx_dropped)" 0
	expect_eq "$STEP: mydev0 tx_csum_partial" "$(d a tx_csum_partial)" 0
	expect_eq "$STEP: mydev1 tx_packets" "$(d b tx_packets)" "${4:-0}"
	[ $SNAP_FAR -eq 0 ] || expect_eq "$STEP: mydev2 tx_packets" "$(d c tx_packets)" "${5:-0}"
	expect_eq "$STEP: mydev0 rx_dropped" "$(d a rx_dropped)" 0
}

# ------------------------------------------------------------ 1. attach
STEP="1. attach"
log "=== $STEP (t=${SECONDS}s)"
xdp_check_none mydev1 "$NS"
VOBJ=$(xdp_obj xdp_verdicts)
expect_ok ns_run "$NS" ip link set dev mydev1 xdpdrv obj "$VOBJ" sec xdp program xdp_pass_udp
ID1=$(xdp_prog_id mydev1 "$NS")
xdp_check_shown mydev1 "$NS" "$ID1" xdp_pass_udp
# Not over an attached program without -force (XDP_FLAGS_UPDATE_IF_NOEXIST),
# nor in generic mode on top of it.
expect_fail ns_run "$NS" ip link set dev mydev1 xdpdrv obj "$VOBJ" sec xdp program xdp_drop_udp
expect_fail ns_run "$NS" ip link set dev mydev1 xdpgeneric obj "$VOBJ" sec xdp program xdp_drop_udp
expect_eq "program on mydev1 after the refused attaches" "$(xdp_prog_id mydev1 "$NS")" "$ID1"
expect_ok ns_run "$NS" ip -force link set dev mydev1 xdpdrv obj "$VOBJ" sec xdp program xdp_drop_udp
ID2=$(xdp_prog_id mydev1 "$NS")
[ "$ID2" != "$ID1" ] || fail "ip -force link set ... did not replace program $ID1"
xdp_check_shown mydev1 "$NS" "$ID2" xdp_drop_udp
# ip held the program only while loading it: the device's reference was
# the last one.
xdp_prog_freed "$ID1"
expect_ok ns_run "$NS" ip link set dev mydev1 xdpdrv off
xdp_check_none mydev1 "$NS"
xdp_prog_freed "$ID2"
# bpftool: every program of the object loaded and pinned by name.
quick_ok bpftool prog loadall "$VOBJ" "$XDP_PIN/v"
ID1=$(bpftool -j prog show pinned "$XDP_PIN/v/xdp_drop_udp" | jq -r .id)
ID2=$(bpftool -j prog show pinned "$XDP_PIN/v/xdp_pass_udp" | jq -r .id)
expect_ok ns_run "$NS" bpftool net attach xdpdrv pinned "$XDP_PIN/v/xdp_drop_udp" dev mydev1
xdp_check_shown mydev1 "$NS" "$ID1" xdp_drop_udp
expect_fail ns_run "$NS" bpftool net attach xdpdrv pinned "$XDP_PIN/v/xdp_pass_udp" dev mydev1
expect_ok ns_run "$NS" bpftool net attach xdpdrv pinned "$XDP_PIN/v/xdp_pass_udp" dev mydev1 overwrite
xdp_check_shown mydev1 "$NS" "$ID2" xdp_pass_udp
expect_ok ns_run "$NS" bpftool net detach xdpdrv dev mydev1
xdp_check_none mydev1 "$NS"
rm -rf "$XDP_PIN/v"
xdp_prog_freed "$ID1"
xdp_prog_freed "$ID2"

# ------------------------------------------------------------ 2-5. verdicts
# verdict_step WHAT PROG: N datagrams with PROG (of xdp_verdicts.o)
# attached; its hits pinned as PROG.
verdict_step() {
	xdp_attach mydev1 "$NS" xdp_verdicts "$2"
	xdp_hits_pin "$XDP_ID" "$2"
	step_begin "$1"
	send
	step_end
	expect_hits "$2" "$N" $((N * FRAME))
}

verdict_step "2. XDP_PASS" xdp_pass_udp
expect_seen "$N" "$N" "$N" 0
expect_exceptions 0
expect_xdp packets="$N" bytes=$((N * FRAME))
expect_stack $((N * FRAME))

verdict_step "3. XDP_DROP" xdp_drop_udp
expect_seen 0 0 0 0
expect_exceptions 0
expect_xdp packets="$N" bytes=$((N * FRAME)) drop="$N"
expect_stack $((N * FRAME))

verdict_step "4. XDP_ABORTED" xdp_aborted_udp
expect_seen 0 0 0 0
expect_exceptions "$N" ABORTED
expect_xdp packets="$N" bytes=$((N * FRAME)) drop="$N"
expect_stack $((N * FRAME))

verdict_step "5. verdict 42 (none)" xdp_bad_udp
expect_seen 0 0 0 0
# __print_symbolic() prints a value it has no name for in hex.
expect_exceptions "$N" 0x2a
expect_xdp packets="$N" bytes=$((N * FRAME)) drop="$N"
expect_stack $((N * FRAME))

# ------------------------------------------------------------ 6. XDP_TX
# expect_echo: the datagrams came back to the sender, intact, and the
# capture on mydev0 saw them all addressed to mydev0.
expect_echo() {
	expect_eq "$STEP: datagrams back at the sender: all, intact, distinct" \
		"$(js "$R_SEND" '"\(.echoed) \(.echo_bodies) \(.echo_distinct)"')" "$N $N $N"
	expect_eq "$STEP: frames captured on mydev0 to $MAC_A" "$(js "$R_CAP0" ".dst[\"$MAC_A\"] // 0")" "$N"
}
SNAP_FAR=1
xdp_attach mydev1 "$NS" xdp_verdicts xdp_tx_udp
xdp_hits_pin "$XDP_ID" xdp_tx_udp
step_begin "6. XDP_TX"
send --echo 20
step_end
expect_hits xdp_tx_udp "$N" $((N * FRAME))
expect_seen 0 0 0 "$N"
expect_echo
expect_exceptions 0
expect_xdp packets="$N" bytes=$((N * FRAME)) tx="$N"
expect_xmit b 0
expect_stack $((N * FRAME)) "$N" $((N * FRAME)) "$N"

# ------------------------------------------------------------ 7, 8. XDP_REDIRECT
# expect_redirect TARGET_IFINDEX: N redirects to it, whose ndo_xdp_xmit
# sent them all (devmap flushes: xdp_devmap_xmit events).
expect_redirect() {
	expect_eq "$STEP: xdp_redirect events from mydev1 to ifindex $1" \
		"$(xdp_trace_count xdp_redirect " ifindex=$IFX1 to_ifindex=$1 err=0 ")" "$N"
	expect_eq "$STEP: xdp_devmap_xmit: frames sent from mydev1 by ifindex $1" \
		"$(xdp_trace_sum xdp_devmap_xmit sent "from_ifindex=$IFX1 to_ifindex=$1 ")" "$N"
	expect_eq "$STEP: xdp_devmap_xmit: frames dropped" "$(xdp_trace_sum xdp_devmap_xmit drops)" 0
}
xdp_attach mydev1 "$NS" xdp_redirect xdp_redirect_udp
xdp_hits_pin "$XDP_ID" redirect_self
xdp_devmap_set "$XDP_ID" "$NS" mydev1
step_begin "7. XDP_REDIRECT to mydev1 itself"
send --echo 20
step_end
expect_hits redirect_self "$N" $((N * FRAME))
expect_seen 0 0 0 "$N"
expect_echo
expect_exceptions 0
expect_redirect "$IFX1"
expect_xdp packets="$N" bytes=$((N * FRAME)) redirect="$N"
expect_xmit b "$N"
expect_stack $((N * FRAME)) "$N" $((N * FRAME)) "$N"

xdp_attach mydev1 "$NS" xdp_redirect xdp_redirect_udp
xdp_hits_pin "$XDP_ID" redirect_far
xdp_devmap_set "$XDP_ID" "$NS" mydev2
ip netns exec "$FAR" python3 "$XDPUDP" recv "$ADDR_A" "$SPORT" --ready /tmp/t35-far.ready >/tmp/t35-far &
FARRECV=$!
BG+=("$FARRECV")
ip netns exec "$FAR" python3 "$RAWSOCK" capture mydev3 --timeout 600 --ready /tmp/t35-cap3.ready >/tmp/t35-cap3 &
CAP3=$!
BG+=("$CAP3")
wait_for 20 test -e /tmp/t35-far.ready -a -e /tmp/t35-cap3.ready || fail "the socket and capture in $FAR did not start"
step_begin "8. XDP_REDIRECT to mydev2 (the second pair)"
CSUM_F=$(udp_csum_errors "$FAR")
send
step_end
expect_eq "$STEP: UDP datagrams with a bad checksum at mydev3's stack" \
	"$(($(udp_csum_errors "$FAR") - CSUM_F))" 0
R_FAR=$(bg_report "$FARRECV" /tmp/t35-far)
R_CAP3=$(bg_report "$CAP3" /tmp/t35-cap3)
log "socket in $FAR: $R_FAR"
log "capture mydev3: $R_CAP3"
expect_hits redirect_far "$N" $((N * FRAME))
expect_seen 0 0 0 0
expect_eq "$STEP: socket on mydev3: datagrams, intact, distinct" \
	"$(js "$R_FAR" '"\(.datagrams) \(.bodies) \(.distinct)"')" "$N $N $N"
expect_eq "$STEP: frames captured on mydev3 (to $MAC_A), lost" \
	"$(js "$R_CAP3" "\"\(.frames) \(.dst[\"$MAC_A\"] // 0) \(.drops)\"")" "$N $N 0"
expect_exceptions 0
expect_redirect "$IFX2"
expect_xdp packets="$N" bytes=$((N * FRAME)) redirect="$N"
expect_xmit c "$N"
expect_stack $((N * FRAME)) 0 0 0 "$N"
if [ $MYNETDRV -eq 1 ]; then
	expect_eq "$STEP: mydev3 rx_packets" "$(d e rx_packets)" "$N"
	expect_eq "$STEP: mydev3 rx_bytes" "$(d e rx_bytes)" $((N * FRAME))
	expect_eq "$STEP: mydev3 rx_dropped" "$(d e rx_dropped)" 0
fi
BG=("$FARRECV" "$CAP3")
bg_stop
BG=("$RECV" "$CAP0" "$CAP1")
SNAP_FAR=0

# ------------------------------------------------------------ 9. adjust, meta
xdp_attach mydev1 "$NS" xdp_adjust xdp_adjust_udp
xdp_hits_pin "$XDP_ID" adjust
quick_ok ns_run "$NS" tc qdisc add dev mydev1 clsact
quick_ok ns_run "$NS" tc filter add dev mydev1 ingress bpf obj "$(xdp_obj xdp_adjust)" sec tc direct-action
TC_ID=$(ns_run "$NS" bpftool -j net show dev mydev1 | jq -r '.[0].tc[] | select(.kind == "clsact/ingress") | .id')
[ -n "$TC_ID" ] || fail "no tc program on mydev1's ingress"
xdp_hits_pin "$TC_ID" tc_meta
step_begin "9. adjust_head, adjust_tail, adjust_meta (+ tc reading the metadata)"
send --wrap
step_end
expect_hits adjust "$N" $((N * WRAPPED))
expect_eq "$STEP: frames whose metadata XDP could not write" "$(xdp_hits adjust 2)" 0
expect_eq "$STEP: tc saw" "$(xdp_hits tc_meta 0)" "$N"
expect_eq "$STEP: tc: with the metadata intact" "$(xdp_hits tc_meta 1)" "$N"
expect_eq "$STEP: tc: without metadata" "$(xdp_hits tc_meta 2)" 0
expect_eq "$STEP: tc: with wrong metadata" "$(xdp_hits tc_meta 3)" 0
# The socket got the bodies, 64 bytes each, without what was around them.
expect_seen "$N" "$N" "$N" 0
expect_eq "$STEP: payload lengths at the socket" "$(js "$R_RECV" '.lens | to_entries | map("\(.key):\(.value)") | join(",")')" "$BODY:$N"
expect_eq "$STEP: frame lengths the stack got (min max)" "$(js "$R_CAP1" '"\(.min_len) \(.max_len)"')" "$FRAME $FRAME"
expect_exceptions 0
expect_xdp packets="$N" bytes=$((N * WRAPPED))
if [ $MYNETDRV -eq 1 ]; then
	expect_stack $((N * WRAPPED))
fi
quick_ok ns_run "$NS" tc qdisc del dev mydev1 clsact

# ------------------------------------------------------------ 10. frags
FOBJ=$(xdp_obj xdp_frags)
expect_ok ns_run "$NS" ip -force link set dev mydev1 xdpdrv obj "$FOBJ" sec xdp.frags
XDP_ID=$(xdp_prog_id mydev1 "$NS")
xdp_check_shown mydev1 "$NS" "$XDP_ID" xdp_frags_count
xdp_hits_pin "$XDP_ID" frags
step_begin "10. a multi-buffer aware program (xdp.frags), MTU 1500"
send
step_end
expect_hits frags "$N" $((N * FRAME)) 0 0
expect_seen "$N" "$N" "$N" 0
expect_exceptions 0
expect_xdp packets="$N" bytes=$((N * FRAME))
expect_stack $((N * FRAME))
BIG=8000
BIGN=20
BIGFRAME=$((14 + 20 + 8 + BIG))
expect_ok ns_run "$NS" ip link set dev mydev1 xdpdrv off
# veth: mydev0's single-buffer program (see above) caps mydev1's MTU.
# It is not needed here: nothing comes back.
if [ $MYNETDRV -eq 0 ]; then quick_ok ip link set dev mydev0 xdpdrv off; fi
expect_ok ip link set dev mydev0 mtu 9000
if [ $MYNETDRV -eq 1 ]; then
	# While a single-buffer program runs, the MTU is capped at what
	# fits one page (ip -d link's maxmtu), and raised back without it.
	expect_ok ns_run "$NS" ip link set dev mydev1 xdpdrv obj "$VOBJ" sec xdp program xdp_pass_udp
	cap=$(ns_run "$NS" ip -d -j link show dev mydev1 | jq '.[0].max_mtu')
	log "maxmtu with a single-buffer program: $cap"
	if [ "$cap" -le 1500 ] || [ "$cap" -ge 4096 ]; then
		fail "maxmtu $cap with a single-buffer program"
	fi
	expect_ok ns_run "$NS" ip link set dev mydev1 mtu "$cap"
	expect_fail ns_run "$NS" ip link set dev mydev1 mtu $((cap + 1))
	expect_fail ns_run "$NS" ip link set dev mydev1 mtu 9000
	expect_ok ns_run "$NS" ip link set dev mydev1 xdpdrv off
	expect_eq "maxmtu without a program" \
		"$(ns_run "$NS" ip -d -j link show dev mydev1 | jq '.[0].max_mtu')" 9000
fi
expect_ok ns_run "$NS" ip link set dev mydev1 mtu 9000
# A program that handles one buffer only does not fit such frames.
expect_fail ns_run "$NS" ip link set dev mydev1 xdpdrv obj "$VOBJ" sec xdp program xdp_pass_udp
expect_ok ns_run "$NS" ip link set dev mydev1 xdpdrv obj "$FOBJ" sec xdp.frags
XDP_ID=$(xdp_prog_id mydev1 "$NS")
xdp_hits_pin "$XDP_ID" frags_big
step_begin "10b. multi-buffer frames: $BIGN datagrams of $BIG bytes at MTU 9000"
R_SEND=$(python3 "$XDPUDP" send "$ADDR_B" "$BIGN" --src "$ADDR_A" --sport "$SPORT" --size "$BIG") ||
	fail "$STEP: the sender failed"
step_end
expect_hits frags_big "$BIGN" $((BIGN * BIGFRAME))
expect_eq "$STEP: frames in more than one buffer" "$(xdp_hits frags_big 2)" "$BIGN"
[ "$(xdp_hits frags_big 3)" -gt 0 ] || fail "$STEP: no byte outside the head buffers"
expect_seen "$BIGN" "$BIGN" "$BIGN" 0
expect_exceptions 0
expect_xdp packets="$BIGN" bytes=$((BIGN * BIGFRAME))
if [ $MYNETDRV -eq 1 ]; then
	# Multi-buffer frames sent back whole: they cross to mydev0 as
	# xdp_frames with fragments, where, with no program, they become
	# skbs with page frags for the stack. (veth would need a program on
	# mydev0 that takes them: not run there.)
	xdp_attach mydev1 "$NS" xdp_frags xdp_frags_tx xdp.frags
	xdp_hits_pin "$XDP_ID" frags_tx
	step_begin "10c. XDP_TX of $BIGN multi-buffer frames"
	R_SEND=$(python3 "$XDPUDP" send "$ADDR_B" "$BIGN" --src "$ADDR_A" --sport "$SPORT" \
		--size "$BIG" --echo 20) || fail "$STEP: the sender failed"
	step_end
	expect_hits frags_tx "$BIGN" $((BIGN * BIGFRAME)) "$BIGN"
	expect_eq "$STEP: datagrams back at the sender: all, intact, distinct" \
		"$(js "$R_SEND" '"\(.echoed) \(.echo_bodies) \(.echo_distinct)"')" "$BIGN $BIGN $BIGN"
	expect_eq "$STEP: frames captured on mydev0 to $MAC_A" \
		"$(js "$R_CAP0" ".dst[\"$MAC_A\"] // 0")" "$BIGN"
	expect_exceptions 0
	expect_xdp packets="$BIGN" bytes=$((BIGN * BIGFRAME)) tx="$BIGN"
fi
expect_ok ns_run "$NS" ip link set dev mydev1 xdpdrv off
expect_ok ip link set dev mydev0 mtu 1500
expect_ok ns_run "$NS" ip link set dev mydev1 mtu 1500
if [ $MYNETDRV -eq 0 ]; then
	quick_ok ip link set dev mydev0 xdpdrv obj "$(xdp_obj xdp_pass)" sec xdp
fi

# ------------------------------------------------------------ 11. replace under traffic
# Programs r0 (DROP) ... r5 (PASS); r0 attached before the flood starts,
# r1..r5 replace their predecessor while it runs (paced: 16 datagrams
# every 2 ms at most), each once its predecessor has seen frames; the
# flood stops after r5 has run for a moment.
STEP="11. atomic replacement under traffic"
xdp_attach mydev1 "$NS" xdp_verdicts xdp_drop_udp
xdp_hits_pin "$XDP_ID" r0
step_begin "$STEP"
rm -f /tmp/t35-stop
python3 "$XDPUDP" send "$ADDR_B" 1000000 --src "$ADDR_A" --sport "$SPORT" --size "$BODY" \
	--until /tmp/t35-stop --gap 2 >/tmp/t35-flood &
FLOOD=$!
BG+=("$FLOOD")
# Each program is replaced once it has seen the flood (python's start
# alone takes over a second under TCG with another guest on the cores).
hits_seen() { [ "$(xdp_hits "$1")" -gt 0 ]; }
wait_for $((30 * ${LAB_TIMEOUT_SCALE:-1})) hits_seen r0 || fail "$STEP: the flood never reached r0"
for ((i = 1; i < 6; i++)); do
	if ((i % 2)); then p=xdp_pass_udp; else p=xdp_drop_udp; fi
	xdp_attach mydev1 "$NS" xdp_verdicts "$p"
	xdp_hits_pin "$XDP_ID" "r$i"
	wait_for $((30 * ${LAB_TIMEOUT_SCALE:-1})) hits_seen "r$i" || fail "$STEP: program r$i saw no frame"
	sleep 0.2
done
touch /tmp/t35-stop
wait "$FLOOD" || fail "$STEP: the flood failed"
BG=("$RECV" "$CAP0" "$CAP1")
SENT=$(jq -r .sent /tmp/t35-flood)
step_end
PASSED=0
DROPPED=0
for ((i = 0; i < 6; i++)); do
	h=$(xdp_hits "r$i")
	if ((i % 2)); then
		log "program r$i (PASS): $h frames"
		PASSED=$((PASSED + h))
	else
		log "program r$i (DROP): $h frames"
		DROPPED=$((DROPPED + h))
	fi
	# Else the flood did not span that replacement: it would prove less.
	[ "$h" -gt 0 ] || fail "$STEP: program r$i saw no frame"
done
LOST=$(d a tx_dropped)
log "flood: $SENT datagrams sent, $LOST dropped before mydev1, $PASSED passed, $DROPPED dropped by XDP"
[ $MYNETDRV -eq 0 ] || expect_eq "$STEP: mydev0 tx_dropped" "$LOST" 0
expect_eq "$STEP: frames the programs saw, in all" "$((PASSED + DROPPED))" "$((SENT - LOST))"
expect_seen "$PASSED" "$PASSED" "$PASSED" 0
expect_exceptions 0
expect_xdp packets="$((SENT - LOST))" bytes=$(((SENT - LOST) * FRAME)) drop="$DROPPED"
if [ $MYNETDRV -eq 1 ]; then
	expect_eq "$STEP: mydev1 rx_packets" "$(d b rx_packets)" "$((SENT - LOST))"
	expect_eq "$STEP: mydev1 rx_dropped" "$(d b rx_dropped)" 0
fi

# ------------------------------------------------------------ 12. down/up, channels
# pass_again WHAT: the same program still attached, N datagrams passed.
pass_again() {
	expect_eq "$1: program on mydev1" "$(xdp_prog_id mydev1 "$NS")" "$KEEP"
	step_begin "$1"
	send
	step_end
	expect_seen "$N" "$N" "$N" 0
	expect_exceptions 0
	expect_xdp packets="$N" bytes=$((N * FRAME))
	expect_stack $((N * FRAME))
}
xdp_attach mydev1 "$NS" xdp_verdicts xdp_pass_udp
KEEP=$XDP_ID
quick_ok ip -n "$NS" link set mydev1 down
quick_ok ip -n "$NS" link set mydev1 up
wait_for 5 grep -qx 1 "$PEER_SYS/class/net/mydev1/carrier" || fail "mydev1: no carrier after up"
# A device going down flushes its neighbours, even permanent ones.
pair_neigh
pass_again "12. after mydev1 down/up"
if [ $MYNETDRV -eq 1 ]; then
	DEFQ=$(cur_channels mydev1 "$NS")
	quick_ok ns_run "$NS" ethtool -L mydev1 combined 1
	pass_again "12b. after combined 1"
	quick_ok ns_run "$NS" ethtool -L mydev1 combined "$DEFQ"
	pass_again "12c. after combined $DEFQ again"
fi
xdp_detach mydev1 "$NS"
xdp_check_none mydev1 "$NS"
xdp_prog_freed "$KEEP"

# ------------------------------------------------------------ conservation
if [ $MYNETDRV -eq 1 ]; then
	settle_all
	check_conservation
else
	log "veth: no conservation check (its stats64 count XDP's frames differently)"
fi
