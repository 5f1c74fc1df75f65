# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# tests/lib.sh - helpers for the mynetdrv lab tests.
#
# A test is tests/NN-name.sh, run by tests/run.sh INSIDE the VM (never on
# the host) in a fresh bash, with:
#   MODULE      absolute path of mynetdrv.ko
#   REPO        the repo checkout
#   IP_LIB_DIR  $REPO/iproute2, so `ip link ... type mynetdrv` finds
#               link_mynetdrv.so
# It starts with:   . "$(dirname "$0")/lib.sh"
# fail/skip/the error trap print to stderr, which run.sh merges into the
# test output.  Sourcing this file turns on `set -eE -o pipefail` (any failing command
# fails the test, the failing line is printed) and exports the above.
#
# Exit status of a test: 0 pass, 4 skip, anything else fail.  Its output is
# shown as KTAP comments.  After each test run.sh deletes every network
# namespace, rmmod's mynetdrv if still loaded, kills leftover processes and
# fails the test if the kernel log got a WARNING/BUG/Oops/lockdep/... line.
# Optional: a line "# TIMEOUT: SEC" in the test overrides the per-test
# timeout (default 120 s).  LAB_TIMEOUT_SCALE (1, or 4 on the debug
# kernel) multiplies it; tests scale their own time limits by it too.
#
# API
#   log MSG...                 print "# MSG"
#   fail MSG...                print "# FAIL: MSG", exit 1
#   skip MSG...                print "# SKIP: MSG", exit 4 (reported as SKIP)
#   mod_load [param=value...]  insmod "$MODULE" with params; on failure
#                              print the error (+ dmesg tail), exit 1
#   mod_unload                 rmmod mynetdrv; fail the test on error
#   mod_loaded                 true if mynetdrv is loaded
#   expect_eq WHAT ACTUAL EXPECTED
#                              fail unless ACTUAL = EXPECTED (strings);
#                              logs "WHAT = ACTUAL" on success
#   expect_ok CMD...           run CMD; fail if it fails.  Its stdout goes
#                              to the test output, its stderr is logged
#   expect_fail CMD...         run CMD; fail if it succeeds; stderr logged
#   quick_ok CMD...            expect_ok without its helper processes (forks
#                              are slow under TCG): CMD's stdout dropped, its
#                              stderr shown only on failure
#   link_stat DEV FIELD [NETNS]
#                              one counter of `ip -s -s -j link show DEV`
#                              (in NETNS if given), read with jq.  FIELD:
#                                rx_X  -> .stats64.rx.X   tx_X -> .stats64.tx.X
#                              e.g. rx_packets rx_bytes rx_errors rx_dropped
#                              rx_over_errors rx_length_errors rx_crc_errors
#                              rx_frame_errors rx_fifo_errors rx_missed_errors
#                              rx_nohandler tx_packets tx_bytes tx_errors
#                              tx_dropped tx_carrier_errors tx_aborted_errors
#                              tx_fifo_errors tx_window_errors
#                              tx_heartbeat_errors; also
#                                multicast -> .stats64.rx.multicast
#                                collisions -> .stats64.tx.collisions
#                                carrier_changes -> .stats64.tx.carrier_changes
#                              or a raw jq path starting with "." (applied to
#                              the device object, e.g. .stats64.rx.packets,
#                              .mtu, .operstate).  Fails if missing.
#   ethtool_stat DEV NAME [NETNS]
#                              value of counter NAME in `ethtool -S DEV`;
#                              fails if there is no such counter
#   wait_for TIMEOUT_S CMD...  poll CMD (every 0.1 s, output discarded)
#                              until it succeeds; returns 1 (and logs)
#                              after TIMEOUT_S (whole seconds)
#   wait_stable TIMEOUT_S CMD...
#                              run CMD until two consecutive runs 0.2 s
#                              apart print the same thing (e.g. counters
#                              once background IPv6/ARP traffic and NAPI
#                              are quiet); prints that output, returns 1
#                              (and logs) after TIMEOUT_S
#   in_ns NS CMD...            ip netns exec NS CMD...
#   dev_exists DEV [NETNS]     true if the link exists (in NETNS)
#   require_cmd CMD...         fail the test unless every CMD is in PATH
#   cur_channels DEV [NETNS]   the channel count in use (ethtool -l)
#   ip_mynetdrv ARGS...        ip with IP_LIB_DIR set (the plugin); plain `ip`
#                              works too since IP_LIB_DIR is exported

set -eE -o pipefail

: "${REPO:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${MODULE:=$REPO/mynetdrv.ko}"
: "${IP_LIB_DIR:=$REPO/iproute2}"
export REPO MODULE IP_LIB_DIR

_lib_on_err() {
	local rc=$? src=${BASH_SOURCE[1]:-?} line=${BASH_LINENO[0]:-?} cmd=$BASH_COMMAND
	# 4 is a skip() inside $(...), already explained: the test ends as SKIP.
	[ "$rc" -ne 4 ] || return 0
	# Show the failing line of the test rather than e.g. "return 1".
	if [ -f "$src" ] && [ "$line" -gt 0 ] 2>/dev/null; then
		cmd=$(sed -n "${line}{s/^[[:space:]]*//;p}" "$src")
	fi
	echo "# FAIL: ${src##*/}:$line: '$cmd' exited with $rc" >&2
}
trap _lib_on_err ERR

log() { echo "# $*"; }

# fail/skip print to stderr (merged into the test output by run.sh) so the
# message is not swallowed when called inside $(...).
fail() {
	echo "# FAIL: $*" >&2
	trap - ERR
	exit 1
}

skip() {
	echo "# SKIP: $*" >&2
	[ -n "${LAB_SKIP_FILE:-}" ] && printf '%s\n' "$*" >"$LAB_SKIP_FILE"
	trap - ERR
	exit 4
}

# klog_allow RE: from now on, kernel-log lines matching the extended
# regex RE do not fail this test: what it provoked on purpose, known only
# at run time (a static allowance is the "# KLOG_ALLOW: RE" header).
klog_allow() {
	log "kernel-log lines allowed from here: $1"
	[ -z "${LAB_KLOG_ALLOW_FILE:-}" ] || printf '%s\n' "$1" >>"$LAB_KLOG_ALLOW_FILE"
}

# Log every line of a file as a comment, prefixed by $2.
_lib_log_file() {
	local line
	while IFS= read -r line || [ -n "$line" ]; do
		echo "# $2$line"
	done <"$1"
}

mod_loaded() { [ -d /sys/module/mynetdrv ]; }

mod_load() {
	local err
	[ -f "$MODULE" ] || fail "module $MODULE not found (make modules KVER=$(uname -r))"
	if ! err=$(insmod "$MODULE" "$@" 2>&1); then
		echo "# insmod $MODULE $*: $err"
		dmesg | tail -n 15 | sed 's/^/# dmesg: /'
		fail "insmod mynetdrv $* failed"
	fi
	log "insmod mynetdrv${*:+ $*}"
}

mod_unload() {
	local err
	if ! err=$(rmmod mynetdrv 2>&1); then
		echo "# rmmod: $err"
		fail "rmmod mynetdrv failed"
	fi
	log "rmmod mynetdrv"
}

expect_eq() {
	local what=$1 actual=$2 expected=$3
	if [ "$actual" != "$expected" ]; then
		fail "$what: got '$actual', expected '$expected'"
	fi
	log "ok: $what = $actual"
}

# Run "$@" with stderr captured in a temp file; sets _lib_rc and _lib_err.
_lib_run() {
	_lib_err=$(mktemp)
	_lib_rc=0
	"$@" 2>"$_lib_err" || _lib_rc=$?
}

expect_ok() {
	_lib_run "$@"
	_lib_log_file "$_lib_err" "stderr: "
	rm -f "$_lib_err"
	[ "$_lib_rc" -eq 0 ] || fail "expected success, got exit $_lib_rc: $*"
	log "ok: $*"
}

quick_ok() {
	"$@" >/dev/null 2>/tmp/lib-quick-err ||
		fail "expected success: $*: $(cat /tmp/lib-quick-err)"
	log "ok: $*"
}

expect_fail() {
	_lib_run "$@"
	_lib_log_file "$_lib_err" "stderr: "
	rm -f "$_lib_err"
	[ "$_lib_rc" -ne 0 ] || fail "expected failure, but succeeded: $*"
	log "ok (failed as expected, exit $_lib_rc): $*"
}

link_stat() {
	local dev=$1 field=$2 ns=${3:-} path json val
	local -a nsa=()
	[ -n "$ns" ] && nsa=(-n "$ns")
	case $field in
	.*) path=$field ;;
	multicast) path=.stats64.rx.multicast ;;
	collisions|carrier_changes) path=.stats64.tx.$field ;;
	rx_*) path=.stats64.rx.${field#rx_} ;;
	tx_*) path=.stats64.tx.${field#tx_} ;;
	*) fail "link_stat: unknown field '$field'" ;;
	esac
	json=$(ip "${nsa[@]}" -s -s -j link show dev "$dev") ||
		fail "link_stat: no device $dev${ns:+ in netns $ns}"
	val=$(jq -r ".[0]$path // empty" <<<"$json")
	[ -n "$val" ] || fail "link_stat: $dev has no $field ($path)"
	echo "$val"
}

cur_channels() {
	local out v
	if [ -n "${2:-}" ]; then
		out=$(ip netns exec "$2" ethtool -l "$1") || fail "ethtool -l $1 failed in netns $2"
	else
		out=$(ethtool -l "$1") || fail "ethtool -l $1 failed"
	fi
	v=$(awk '/^Combined:/ { v = $2 } END { print v }' <<<"$out")
	[ -n "$v" ] || fail "no current channel count in ethtool -l $1"
	echo "$v"
}

ethtool_stat() {
	local dev=$1 name=$2 ns=${3:-} out val
	if [ -n "$ns" ]; then
		out=$(ip netns exec "$ns" ethtool -S "$dev") ||
			fail "ethtool_stat: ethtool -S $dev failed in netns $ns"
	else
		out=$(ethtool -S "$dev") || fail "ethtool_stat: ethtool -S $dev failed"
	fi
	val=$(awk -v n="$name" -F: '{ k = $1; gsub(/^[ \t]+|[ \t]+$/, "", k) }
		k == n { v = $2; gsub(/[ \t]/, "", v); print v; exit }' <<<"$out")
	[ -n "$val" ] || fail "ethtool_stat: $dev has no counter '$name'"
	echo "$val"
}

wait_for() {
	local timeout=$1 deadline
	shift
	deadline=$(( $(date +%s%N) + timeout * 1000000000 ))
	while :; do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		if [ "$(date +%s%N)" -ge "$deadline" ]; then
			log "wait_for: timed out after ${timeout}s: $*" >&2
			return 1
		fi
		sleep 0.1
	done
}

wait_stable() {
	local timeout=$1 deadline prev cur
	shift
	deadline=$(( $(date +%s%N) + timeout * 1000000000 ))
	prev=$("$@") || return 1
	while :; do
		sleep 0.2
		cur=$("$@") || return 1
		if [ "$cur" = "$prev" ]; then
			printf '%s\n' "$cur"
			return 0
		fi
		if [ "$(date +%s%N)" -ge "$deadline" ]; then
			log "wait_stable: output still changing after ${timeout}s: $*" >&2
			return 1
		fi
		prev=$cur
	done
}

in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# link_names [NETNS]: names of all links in the init netns (or NETNS),
# space-separated, in ifindex order. Cheap, unlike "ip link show dev NAME"
# for an absent NAME: that makes the kernel try request_module("netdev-
# NAME"), a modprobe run costing about a second under TCG.
# Left out: the fallback tunnels a kernel with built-in tunnel drivers
# creates in every netns (the debug kernel has sit0).
link_names() {
	local -a nsa=() _names=()
	local list name _rest
	[ -n "${1:-}" ] && nsa=(-n "$1")
	list=$(ip "${nsa[@]}" -o link show)
	while read -r _ name _rest; do
		name=${name%:}
		name=${name%@*}
		case $name in
		sit0|tunl0|ip6tnl0|gre0|gretap0|erspan0|ip6gre0|ip_vti0|ip6_vti0) continue ;;
		esac
		_names+=("$name")
	done <<<"$list"
	echo "${_names[*]}"
}

dev_exists() { [[ " $(link_names "${2:-}") " == *" $1 "* ]]; }

require_cmd() {
	local c
	for c in "$@"; do
		# The lab installs every tool a test uses (scripts/setup.sh):
		# one missing is a broken lab, not a reason to pass.
		command -v "$c" >/dev/null 2>&1 ||
			fail "$c not installed (scripts/setup.sh installs it)"
	done
}

ip_mynetdrv() { IP_LIB_DIR=$IP_LIB_DIR ip "$@"; }
