#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 22-selftest: ethtool -t.
#  - both ends up: `ethtool -t mydev0` (offline) exits 0, "PASS", exactly
#    two results "Link test (on/offline)" = 0 and "Loopback test (offline)"
#    = 0 (runs of spaces in the names squeezed); `offline` the same;
#  - the loopback's 64 frames count like any traffic: mydev0 tx_packets and
#    mydev1 rx_packets + 64 exactly (the pair is otherwise silent), and
#    tx_bytes == peer rx_bytes; mydev1's stack never sees them: its
#    rx_dropped (where the core counts frames of an unknown protocol) and
#    rx_nohandler stay, and a promiscuous AF_PACKET capture on mydev1
#    during a second run sees no frame at all;
#  - from the other end (ethtool -t mydev1 in netns "peer") the same;
#  - `online`: PASS, link 0, loopback reported 0, and no frame sent;
#  - mydev1 down: FAIL, nonzero exit, link test nonzero; mydev0 down: FAIL;
#    both up again: PASS (nothing left broken);
#  - a frame lost (the driver's xmit_fail_nth fault drops the 5th):
#    FAIL, loopback = ETIMEDOUT (110) after the test's 2 s, the kernel log
#    says "63 of 64 frames back, 0 damaged", tx_drop_nomem +1;
#  - a frame damaged (a tc pedit action on mydev0's egress rewrites one
#    byte of frame 7's pattern): FAIL, loopback = EILSEQ (84), "64 of 64
#    frames back, 1 damaged";
#  - exact conservation both ways at the end.
# TIMEOUT: 180
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

require_cmd python3
RAWSOCK=$REPO/tests/rawsock.py
FRAMES=64
LINK="Link test (on/offline)"
LOOP="Loopback test (offline)"

PAIR_IPV6=0
pair_setup

cap_pid=
test_cleanup() {
	[ -z "$cap_pid" ] || kill "$cap_pid" 2>/dev/null || true
	rm -f /tmp/t22-*
}

# selftest DEV NETNS MODE...: run ethtool -t; sets ST_RC, ST_OUT, ST_RESULT
# ("PASS"/"FAIL"), ST_NAMES (the result names, ;-separated) and the
# array ST (name -> value).
declare -A ST
selftest() {
	local dev=$1 ns=$2 line name val info=0
	shift 2
	ST_RC=0
	ST_OUT=$(ns_run "$ns" ethtool -t "$dev" "$@" 2>&1) || ST_RC=$?
	ST=()
	ST_NAMES=""
	ST_RESULT=""
	while IFS= read -r line; do
		log "  | $line"
		case $line in
		"The test result is "*)
			ST_RESULT=${line#The test result is }
			ST_RESULT=${ST_RESULT%% *}
			;;
		"The test extra info:")
			info=1
			;;
		*$'\t'*)
			[ "$info" = 1 ] || continue
			name=${line%%$'\t'*}
			val=${line##*$'\t'}
			name=${name%"${name##*[![:space:]]}"}
			val=${val//[[:space:]]/}
			# Drivers pad names to align the values (e1000's "Link
			# test   (on/offline)"): compare them squeezed.
			while [[ $name == *"  "* ]]; do name=${name//  / }; done
			ST["$name"]=$val
			ST_NAMES+="$name;"
			;;
		esac
	done <<<"$ST_OUT"
}

expect_pass() { # LABEL LOOPBACK_RAN(1/0)
	expect_eq "$1: ethtool -t exit status" "$ST_RC" 0
	expect_eq "$1: result" "$ST_RESULT" PASS
	expect_eq "$1: result names" "$ST_NAMES" "$LINK;$LOOP;"
	expect_eq "$1: $LINK" "${ST[$LINK]}" 0
	expect_eq "$1: $LOOP" "${ST[$LOOP]}" 0
}

# shellcheck disable=SC2034 # used through da/db's namerefs
declare -A a0 b0 a1 b1
da() { echo $((a1[$1] - a0[$1])); }
db() { echo $((b1[$1] - b0[$1])); }
take0() { settle; snap a0 mydev0; snap b0 mydev1 "$NS"; }
take1() { settle; snap a1 mydev0; snap b1 mydev1 "$NS"; }

# ------------------------------------------------------------ offline
log "=== ethtool -t mydev0 (offline), both ends up (t=${SECONDS}s)"
take0
selftest mydev0 ""
take1
expect_pass "offline (default)"
log "mydev0 tx +$(da tx_packets) frames/$(da tx_bytes) B; mydev1 rx +$(db rx_packets)/$(db rx_bytes) B," \
	"rx_dropped +$(db rx_dropped), rx_nohandler +$(db rx_nohandler)"
expect_eq "mydev0 tx_packets delta" "$(da tx_packets)" "$FRAMES"
expect_eq "mydev1 rx_packets delta" "$(db rx_packets)" "$FRAMES"
expect_eq "mydev1 rx_bytes delta == mydev0 tx_bytes delta" "$(db rx_bytes)" "$(da tx_bytes)"
[ "$(da tx_bytes)" -ge $((FRAMES * 60)) ] || fail "mydev0 tx_bytes grew by $(da tx_bytes) < $FRAMES minimum frames"
expect_eq "mydev1 rx_dropped delta (stack: unknown protocol)" "$(db rx_dropped)" 0
expect_eq "mydev1 rx_nohandler delta" "$(db rx_nohandler)" 0
expect_eq "mydev1 rx_errors delta" "$(db rx_errors)" 0
expect_eq "mydev1 tx_packets delta (nothing answered)" "$(db tx_packets)" 0

log "=== ethtool -t mydev0 offline, with a promiscuous capture on mydev1 (t=${SECONDS}s)"
rm -f /tmp/t22-cap.ready
ip netns exec "$NS" "$RAWSOCK" capture mydev1 --promisc --ready /tmp/t22-cap.ready \
	>/tmp/t22-cap.json &
cap_pid=$!
wait_for $((10 * ${LAB_TIMEOUT_SCALE:-1})) test -e /tmp/t22-cap.ready || fail "the capture on mydev1 did not start"
take0
selftest mydev0 "" offline
take1
kill -TERM "$cap_pid"
wait "$cap_pid" || fail "the capture on mydev1 failed"
cap_pid=
expect_pass "offline"
expect_eq "mydev0 tx_packets delta" "$(da tx_packets)" "$FRAMES"
log "capture on mydev1: $(cat /tmp/t22-cap.json)"
expect_eq "frames mydev1's stack passed to the capture" "$(jq -r .frames /tmp/t22-cap.json)" 0

log "=== ethtool -t mydev1 (netns $NS), the other way (t=${SECONDS}s)"
take0
selftest mydev1 "$NS"
take1
expect_pass "mydev1 offline"
expect_eq "mydev1 tx_packets delta" "$(db tx_packets)" "$FRAMES"
expect_eq "mydev0 rx_packets delta" "$(da rx_packets)" "$FRAMES"
expect_eq "mydev0 rx_dropped delta" "$(da rx_dropped)" 0
expect_eq "mydev0 tx_packets delta (nothing answered)" "$(da tx_packets)" 0

# ------------------------------------------------------------ online
log "=== ethtool -t mydev0 online (t=${SECONDS}s)"
take0
selftest mydev0 "" online
take1
expect_pass "online"
expect_eq "online: mydev0 tx_packets delta" "$(da tx_packets)" 0
expect_eq "online: mydev1 rx_packets delta" "$(db rx_packets)" 0

# ------------------------------------------------------------ failures
log "=== mydev1 down (t=${SECONDS}s)"
quick_ok ip -n "$NS" link set mydev1 down
selftest mydev0 "" offline
[ "$ST_RC" -ne 0 ] || fail "mydev1 down: ethtool -t exited 0"
log "ok: mydev1 down: ethtool -t exit status $ST_RC"
expect_eq "mydev1 down: result" "$ST_RESULT" FAIL
expect_eq "mydev1 down: result names" "$ST_NAMES" "$LINK;$LOOP;"
[ "${ST[$LINK]:-0}" != 0 ] || fail "mydev1 down: $LINK = '${ST[$LINK]:-}', expected nonzero"
log "ok: mydev1 down: $LINK = ${ST[$LINK]}, $LOOP = ${ST[$LOOP]}"
selftest mydev0 "" online
[ "$ST_RC" -ne 0 ] || fail "mydev1 down: ethtool -t online exited 0"
expect_eq "mydev1 down, online: result" "$ST_RESULT" FAIL

log "=== mydev0 down, mydev1 up (t=${SECONDS}s)"
quick_ok ip -n "$NS" link set mydev1 up
quick_ok ip link set mydev0 down
selftest mydev0 "" offline
[ "$ST_RC" -ne 0 ] || fail "mydev0 down: ethtool -t exited 0"
expect_eq "mydev0 down: result" "$ST_RESULT" FAIL
[ "${ST[$LINK]:-0}" != 0 ] || fail "mydev0 down: $LINK = '${ST[$LINK]:-}', expected nonzero"

log "=== both up again (t=${SECONDS}s)"
quick_ok ip link set mydev0 up
wait_for 5 grep -qx 1 /sys/class/net/mydev0/carrier || fail "mydev0: no carrier"
pair_neigh
take0
selftest mydev0 ""
take1
expect_pass "both up again"
expect_eq "mydev0 tx_packets delta" "$(da tx_packets)" "$FRAMES"

# expect_loop_fail WHAT ERRNO LOGLINE: the loopback test failed with
# ERRNO, the link test passed, and the driver said why in the kernel log.
expect_loop_fail() {
	[ "$ST_RC" -ne 0 ] || fail "$1: ethtool -t exited 0"
	expect_eq "$1: result" "$ST_RESULT" FAIL
	expect_eq "$1: $LINK" "${ST[$LINK]}" 0
	expect_eq "$1: $LOOP" "${ST[$LOOP]}" "$2"
	dmesg | tail -n 20 | grep -qF "mydev0: loopback self-test failed: $3" ||
		fail "$1: no kernel log line 'loopback self-test failed: $3'"
	log "ok: $1: the kernel log says '$3'"
}

log "=== a frame lost: xmit_fail_nth drops the 5th (t=${SECONDS}s)"
faults_arm
take0
echo 5 >"$FAULTS/xmit_fail_nth"
selftest mydev0 "" offline
take1
faults_clear
expect_loop_fail "a frame lost" 110 "63 of 64 frames back, 0 damaged (-110)"
expect_eq "a frame lost: mydev0 tx_drop_nomem delta" "$(da tx_drop_nomem)" 1
expect_eq "a frame lost: mydev1 rx_packets delta" "$(db rx_packets)" $((FRAMES - 1))

log "=== a frame damaged: tc pedit on mydev0's egress, frame 7 (t=${SECONDS}s)"
# The test header is magic (4 bytes), seq (2), len (2), crc (4), then the
# pattern: match seq 7, rewrite the pattern's first byte.
quick_ok tc qdisc add dev mydev0 clsact
quick_ok tc filter add dev mydev0 egress protocol 0x88b5 u32 \
	match u16 7 0xffff at 4 action pedit munge offset 12 u8 set 0xff
selftest mydev0 "" offline
expect_loop_fail "a frame damaged" 84 "64 of 64 frames back, 1 damaged (-84)"
quick_ok tc qdisc del dev mydev0 clsact
selftest mydev0 ""
expect_pass "the damage removed"
ping_count 3 "$ADDR_B"
settle
check_conservation
