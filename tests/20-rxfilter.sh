#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 20-rxfilter: the receive address filter of mydev1 (ndo_set_rx_mode).
# A python raw sender (tests/rawsock.py serve, AF_PACKET, one process for
# the whole test) sends 62-byte IPv4/UDP frames from mydev0 to chosen
# destination MACs (UDP port 9: the stack drops what passes silently,
# nothing answers). Each step sends frames of several kinds, kind k getting
# 4 * 2^k frames, and checks mydev1's counters exactly: what passes counts
# in rx_packets/rx_bytes (and multicast for a group), what the filter
# refuses in rx_filtered/rx_filtered_bytes, never both, and never in
# rx_dropped (a NIC's filter sits before its ring: not a drop);
# the powers of two let the log say which kind went where.
#  1. no promiscuity: a foreign unicast MAC and a group nobody joined are
#     dropped, broadcast passes, a group joined with `ip maddr add` passes;
#  2. two promiscuous AF_PACKET captures (PACKET_MR_PROMISC): promiscuity
#     2, foreign frames and the unjoined group pass; one closes: still
#     promiscuous (1), still passing; both closed: dropped again. Each
#     capture saw exactly the foreign frames sent while it was open;
#  3. `ip link set promisc on/off` the same;
#  4. allmulticast on: the unjoined group passes, foreign unicast does not;
#     off: the group is dropped again;
#  5. secondary unicast addresses without promiscuity (promiscuity stays 0):
#     `bridge fdb add ADDR dev mydev1 self local` and a macvlan on mydev1
#     (its MAC in mydev1's unicast list while it is up) let their address
#     through; removed, the address is filtered again;
#  6. the table sizes: 32 unicast entries still filter (foreign dropped,
#     entries pass), a 33rd makes mydev1 take every unicast frame
#     (promiscuous: whether groups then pass is not checked); 32 multicast groups still filter, a 33rd takes every
#     group (but not foreign unicast); back to 32, filtering again. The
#     core's promiscuity stays 0 and ALLMULTI unset throughout;
#  7. tcpdump (promiscuous, no -p) on mydev1 sees the foreign frames only
#     while it runs: dropped again after it exits.
# Exact conservation both ways at the end.
# TIMEOUT: 180
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

require_cmd python3 bridge tcpdump
RAWSOCK=$REPO/tests/rawsock.py
FRAME=62			# what rawsock.py sends: 14 + 20 + 8 + 20
FOREIGN=02:00:00:00:20:01	# nobody's address
GROUP_J=01:00:5e:01:02:03	# joined below with ip maddr
GROUP_N=01:00:5e:01:02:04	# never joined
BCAST=ff:ff:ff:ff:ff:ff
SECONDARY=02:00:00:00:20:02	# bridge fdb ... self local
MV_MAC=02:00:00:00:20:03	# the macvlan's
MAXUC=32
MAXMC=32

PAIR_IPV6=0
pair_setup

# quick_ok CMD...: expect_ok without its two helper processes (forks are
# slow under TCG); CMD's stdout is dropped, its stderr shown on failure.
quick_ok() {
	"$@" >/dev/null 2>/tmp/t20-err || fail "expected success: $*: $(cat /tmp/t20-err)"
	log "ok: $*"
}

cap_pids=()
test_cleanup() {
	local p
	for p in "${cap_pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	rm -f /tmp/t20-*
}

# The sender: lines "DSTMAC COUNT" in, the number sent out.
coproc SENDER { exec "$RAWSOCK" serve mydev0; }
cap_pids+=("$SENDER_PID")
send_to() { # DSTMAC COUNT
	local sent
	echo "$1 $2" >&"${SENDER[1]}"
	read -r -t 30 sent <&"${SENDER[0]}" || fail "rawsock.py serve did not answer"
	[ "$sent" = "$2" ] || fail "sent $sent frames to $1, not $2"
}

# shellcheck disable=SC2034 # used through db's namerefs
declare -A b0 b1
db() { echo $((b1[$1] - b0[$1])); }

# The core's promiscuity count and flags of mydev1 (one fork each).
promiscuity() {
	[[ $(ip -n "$NS" -d link show mydev1) =~ promiscuity\ ([0-9]+) ]] ||
		fail "no promiscuity in ip -d link show mydev1"
	echo "${BASH_REMATCH[1]}"
}
has_flag() { # FLAG: in the <...> of ip link show mydev1
	local re="[<,]$1[,>]"
	[[ $(ip -n "$NS" link show mydev1) =~ $re ]]
}
# arrived N: mydev1's rx_packets + rx_filtered >= N.
arrived() {
	local p f
	read -r p <"$PEER_SYS/class/net/mydev1/statistics/rx_packets"
	f=$(ethtool_stat mydev1 rx_filtered "$NS")
	[ $((p + f)) -ge "$1" ]
}

# rx LABEL DSTMAC=pass|drop...: send, then check mydev1's counters. The
# pair is quiet and a configuration change sends nothing, so the counters
# after one step are the "before" of the next, unless FRESH=1 (after
# something that may send: then settle and read them again).
FRESH=1
rx() {
	local label=$1 spec dst want n k=0 pass=0 drop=0 mc=0 got
	shift
	if [ "$FRESH" = 1 ]; then
		settle
		snap b0 mydev1 "$NS"
		FRESH=0
	else
		b0=()
		for k in "${!b1[@]}"; do b0[$k]=${b1[$k]}; done
		k=0
	fi
	for spec; do
		dst=${spec%=*}
		want=${spec#*=}
		n=$((4 << k))
		send_to "$dst" "$n"
		if [ "$want" = pass ]; then
			pass=$((pass + n))
			[[ $dst != 01:* ]] || mc=$((mc + n))
		else
			drop=$((drop + n))
		fi
		k=$((k + 1))
	done
	wait_for 10 arrived $((b0[rx_packets] + b0[rx_filtered] + pass + drop)) || true
	snap b1 mydev1 "$NS"
	got=$(db rx_packets)
	log "$label: mydev1 rx_packets +$got, rx_filtered +$(db rx_filtered)," \
		"rx_dropped +$(db rx_dropped), multicast +$(db rx_multicast)"
	k=0
	for spec; do
		n=$((4 << k))
		log "  ${spec%=*}: $n frames, expected ${spec#*=}, got $( ((got & n)) && echo pass || echo drop)"
		k=$((k + 1))
	done
	expect_eq "$label: mydev1 rx_packets delta" "$got" "$pass"
	expect_eq "$label: mydev1 rx_bytes delta" "$(db rx_bytes)" $((pass * FRAME))
	expect_eq "$label: mydev1 rx_filtered delta" "$(db rx_filtered)" "$drop"
	expect_eq "$label: mydev1 rx_filtered_bytes delta" "$(db rx_filtered_bytes)" $((drop * FRAME))
	expect_eq "$label: mydev1 rx_dropped delta" "$(db rx_dropped)" 0
	expect_eq "$label: mydev1 multicast delta" "$(db rx_multicast)" "$mc"
}

# cap_start NAME: a promiscuous capture on mydev1. cap_stop NAME: stop it;
# CAP_SEEN = the frames it saw for FOREIGN.
declare -A cap_pid
cap_start() { # NAME...: start them all, then wait until each is ready
	local c
	for c; do
		rm -f "/tmp/t20-$c.ready" "/tmp/t20-$c.json"
		ip netns exec "$NS" "$RAWSOCK" capture mydev1 --promisc \
			--ready "/tmp/t20-$c.ready" >"/tmp/t20-$c.json" &
		cap_pid[$c]=$!
		cap_pids+=("$!")
	done
	for c; do
		wait_for $((10 * ${LAB_TIMEOUT_SCALE:-1})) test -e "/tmp/t20-$c.ready" || fail "capture $c did not start"
	done
}
cap_stop() {
	kill -TERM "${cap_pid[$1]}"
	wait "${cap_pid[$1]}" || fail "capture $1 failed"
	CAP_SEEN=$(jq -r --arg d "$FOREIGN" '.dst[$d] // 0' "/tmp/t20-$1.json")
}

# ------------------------------------------------------------ 1. filtering
log "=== 1. no promiscuity, no extra addresses (t=${SECONDS}s)"
expect_eq "mydev1 promiscuity" "$(promiscuity)" 0
rx "no promiscuity" $FOREIGN=drop $GROUP_N=drop $BCAST=pass
quick_ok ip -n "$NS" maddr add "$GROUP_J" dev mydev1
ip -n "$NS" maddr show dev mydev1 | grep -q "link  *$GROUP_J" ||
	fail "ip maddr does not list $GROUP_J on mydev1"
rx "$GROUP_J joined" $GROUP_J=pass $GROUP_N=drop $FOREIGN=drop

# ------------------------------------------------------------ 2. captures
log "=== 2. promiscuity from two AF_PACKET captures (t=${SECONDS}s)"
cap_start A B
expect_eq "mydev1 promiscuity, two captures" "$(promiscuity)" 2
rx "two captures" $FOREIGN=pass $GROUP_N=pass $BCAST=pass
cap_stop A
expect_eq "capture A: frames to $FOREIGN seen" "$CAP_SEEN" 4
expect_eq "mydev1 promiscuity, one capture" "$(promiscuity)" 1
rx "one capture" $FOREIGN=pass $GROUP_N=pass
cap_stop B
expect_eq "capture B: frames to $FOREIGN seen" "$CAP_SEEN" 8
expect_eq "mydev1 promiscuity, no capture" "$(promiscuity)" 0
rx "captures closed" $FOREIGN=drop $GROUP_N=drop $GROUP_J=pass

# ------------------------------------------------------------ 3. promisc on
log "=== 3. ip link set promisc (t=${SECONDS}s)"
quick_ok ip -n "$NS" link set mydev1 promisc on
expect_eq "mydev1 promiscuity, promisc on" "$(promiscuity)" 1
rx "promisc on" $FOREIGN=pass $GROUP_N=pass
quick_ok ip -n "$NS" link set mydev1 promisc off
expect_eq "mydev1 promiscuity, promisc off" "$(promiscuity)" 0
rx "promisc off" $FOREIGN=drop $GROUP_N=drop

# ------------------------------------------------------------ 4. allmulti
log "=== 4. allmulticast (t=${SECONDS}s)"
quick_ok ip -n "$NS" link set mydev1 allmulticast on
has_flag ALLMULTI || fail "mydev1 has no ALLMULTI flag"
rx "allmulti on" $GROUP_N=pass $GROUP_J=pass $FOREIGN=drop $BCAST=pass
quick_ok ip -n "$NS" link set mydev1 allmulticast off
! has_flag ALLMULTI || fail "mydev1 still has the ALLMULTI flag"
rx "allmulti off" $GROUP_N=drop $GROUP_J=pass

# ------------------------------------------------------------ 5. secondary uc
log "=== 5. secondary unicast addresses, no promiscuity (t=${SECONDS}s)"
quick_ok ip netns exec "$NS" bridge fdb add "$SECONDARY" dev mydev1 self local
expect_eq "mydev1 promiscuity with a unicast entry" "$(promiscuity)" 0
rx "fdb entry $SECONDARY" $SECONDARY=pass $FOREIGN=drop
quick_ok ip netns exec "$NS" bridge fdb del "$SECONDARY" dev mydev1 self local
rx "fdb entry removed" $SECONDARY=drop

# Every kernel of the matrix has macvlan: there, failing to add one fails
# the test; only a kernel built without it (the debug kernel) skips this.
if ! modinfo macvlan >/dev/null 2>&1 && ! [ -d /sys/module/macvlan ]; then
	log "this kernel ($(uname -r)) was built without macvlan: that part not run"
elif ip -n "$NS" link add link mydev1 name mv0 address "$MV_MAC" type macvlan mode bridge 2>/tmp/t20-mv.err; then
	quick_ok ip -n "$NS" link set mv0 up
	expect_eq "mydev1 promiscuity with a macvlan up" "$(promiscuity)" 0
	FRESH=1
	rx "macvlan $MV_MAC up" $MV_MAC=pass $FOREIGN=drop $SECONDARY=drop
	quick_ok ip -n "$NS" link del mv0
	FRESH=1
	rx "macvlan deleted" $MV_MAC=drop
else
	fail "ip link add ... type macvlan failed: $(cat /tmp/t20-mv.err)"
fi

# ------------------------------------------------------------ 6. table sizes
log "=== 6. $MAXUC unicast / $MAXMC multicast entries, then one more (t=${SECONDS}s)"
# uc_addr K: the K-th extra unicast address (K = 0..MAXUC).
uc_addr() { printf '02:00:00:00:21:%02x' "$1"; }
: >/tmp/t20-uc.batch
for ((k = 0; k < MAXUC; k++)); do
	echo "fdb add $(uc_addr $k) dev mydev1 self local" >>/tmp/t20-uc.batch
done
quick_ok ip netns exec "$NS" bridge -batch /tmp/t20-uc.batch
rx "$MAXUC unicast entries" $FOREIGN=drop "$(uc_addr 0)=pass" "$(uc_addr $((MAXUC - 1)))=pass"
quick_ok ip netns exec "$NS" bridge fdb add "$(uc_addr "$MAXUC")" dev mydev1 self local
expect_eq "mydev1 promiscuity with $((MAXUC + 1)) unicast entries" "$(promiscuity)" 0
rx "$((MAXUC + 1)) unicast entries" $FOREIGN=pass "$(uc_addr 5)=pass" $BCAST=pass
quick_ok ip netns exec "$NS" bridge fdb del "$(uc_addr "$MAXUC")" dev mydev1 self local
rx "back to $MAXUC unicast entries" $FOREIGN=drop "$(uc_addr $((MAXUC - 1)))=pass"
sed -i 's/^fdb add/fdb del/' /tmp/t20-uc.batch
quick_ok ip netns exec "$NS" bridge -batch /tmp/t20-uc.batch

# The groups mydev1 is in already (224.0.0.1's 01:00:5e:00:00:01, GROUP_J
# ...) count too: add groups up to exactly MAXMC. With bridge fdb (self
# permanent: dev_mc_add_excl()), since `ip maddr add` exits after its
# first command and so cannot batch.
have=$(ip -n "$NS" maddr show dev mydev1 | grep -c '^[[:space:]]*link ')
log "mydev1 is in $have link-layer groups already"
mc_addr() { printf '01:00:5e:02:00:%02x' "$1"; }
: >/tmp/t20-mc.batch
for ((k = 0; k < MAXMC - have; k++)); do
	echo "fdb add $(mc_addr $k) dev mydev1 self permanent" >>/tmp/t20-mc.batch
done
quick_ok ip netns exec "$NS" bridge -batch /tmp/t20-mc.batch
expect_eq "mydev1 link-layer groups" \
	"$(ip -n "$NS" maddr show dev mydev1 | grep -c '^[[:space:]]*link ')" "$MAXMC"
rx "$MAXMC groups" $GROUP_N=drop "$(mc_addr $((MAXMC - have - 1)))=pass" $GROUP_J=pass
quick_ok ip -n "$NS" maddr add "$(mc_addr 255)" dev mydev1
if has_flag ALLMULTI; then
	fail "the core set ALLMULTI on mydev1: the driver should handle $((MAXMC + 1)) groups itself"
fi
rx "$((MAXMC + 1)) groups" $GROUP_N=pass $FOREIGN=drop
quick_ok ip -n "$NS" maddr del "$(mc_addr 255)" dev mydev1
rx "back to $MAXMC groups" $GROUP_N=drop "$(mc_addr 0)=pass"
sed -i 's/^fdb add/fdb del/' /tmp/t20-mc.batch
quick_ok ip netns exec "$NS" bridge -batch /tmp/t20-mc.batch
expect_eq "mydev1 link-layer groups after the table tests" \
	"$(ip -n "$NS" maddr show dev mydev1 | grep -c '^[[:space:]]*link ')" "$have"
expect_eq "mydev1 promiscuity after the table tests" "$(promiscuity)" 0

# ------------------------------------------------------------ 7. tcpdump
log "=== 7. tcpdump on mydev1 (t=${SECONDS}s)"
ip netns exec "$NS" tcpdump -i mydev1 -n -e -l "ether dst $FOREIGN" \
	>/tmp/t20-tcpdump.out 2>/tmp/t20-tcpdump.err &
td=$!
cap_pids+=("$td")
wait_for 10 grep -q "listening on" /tmp/t20-tcpdump.err || fail "tcpdump did not start: $(cat /tmp/t20-tcpdump.err)"
expect_eq "mydev1 promiscuity under tcpdump" "$(promiscuity)" 1
rx "tcpdump running" $FOREIGN=pass
printed() { [ "$(grep -c "> $FOREIGN" /tmp/t20-tcpdump.out)" -ge "$1" ]; }
wait_for 10 printed 4 || true
kill -INT "$td"
wait "$td" || true
expect_eq "frames to $FOREIGN printed by tcpdump" "$(grep -c "> $FOREIGN" /tmp/t20-tcpdump.out || true)" 4
expect_eq "mydev1 promiscuity after tcpdump" "$(promiscuity)" 0
rx "tcpdump gone" $FOREIGN=drop
log "(t=${SECONDS}s)"
settle
check_conservation
