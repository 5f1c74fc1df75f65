#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/run.sh - run the mynetdrv lab tests INSIDE the VM and print KTAP.
#
# Usage (from the host):  scripts/vm.sh -- tests/run.sh [PREFIX...]
#   e.g. tests/run.sh 01 05   runs only tests whose file name starts with
#   01 or 05.  `make check` runs all of them.
#
# Every tests/[0-9][0-9]-*.sh runs in order, in a fresh bash, under
# `timeout` (120 s, or the test's "# TIMEOUT: SEC" line; env
# LAB_TEST_TIMEOUT changes the default, env LAB_TIMEOUT_SCALE multiplies
# them all), in its own cgroup, with MODULE,
# REPO, IP_LIB_DIR and LAB_SKIP_FILE exported (see tests/lib.sh).
# Exit 0 = ok, 4 = skip, else not ok.  Output (stdout+stderr) is printed
# as "# " comments before the result line.
#
# After each test: leftover processes are killed (cgroup.kill), all network
# namespaces are deleted, mynetdrv is rmmod'ed if still loaded, and the
# kernel log written during the test is scanned for WARNING:, BUG:, Oops,
# lockdep, KASAN, UBSAN, kmemleak, refcount_t, ... lines: any hit fails
# the test, unless the test's "# KLOG_ALLOW: RE" line (an extended regex)
# matches it: what the test provokes on purpose (or a regex it passed to
# lib.sh's klog_allow at run time).
# A last test "kernel-log-clean" checks /proc/sys/kernel/tainted
# (only O and E allowed) and scans what the kernel logged after the last
# test.  Exit status: 0 iff every test passed or was skipped.
#
# On a kernel with kmemleak (the debug kernel of `make check-debug`), the
# suspects present before the first test are cleared, and after each
# test's cleanup (mynetdrv unloaded) kmemleak scans memory: any new
# unreferenced object fails that test and its report is printed.  The scan
# waits until the test has been over for 5 s, since kmemleak does not
# report objects younger than that.
#
# If KTAP_OUT is set, the KTAP is also written to that file.
set -uo pipefail

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$TESTS_DIR/.." && pwd)
export REPO
export MODULE="${MODULE:-$REPO/mynetdrv.ko}"
export IP_LIB_DIR="${IP_LIB_DIR:-$REPO/iproute2}"
DEFAULT_TIMEOUT=${LAB_TEST_TIMEOUT:-120}
# Slow kernels (the debug kernel: KASAN, lockdep, kmemleak) scale every
# test's timeout.
TIMEOUT_SCALE=${LAB_TIMEOUT_SCALE:-1}
KTAP_OUT=${KTAP_OUT:-}

# Kernel log patterns that fail a test.
# Besides the splats: the core's TX watchdog and the driver's own report
# of it (a lost kick or wake the watchdog repaired), a frame on an RX
# queue its device does not have (generic XDP logs it rate-limited, not
# as a WARNING), failed allocations, and what 6.1 prints for BUG() and
# traps without a "BUG:" prefix; the core's complaint that a queue
# was stopped under noqueue, and that a NAPI poll exceeded its budget.
BAD_RE='WARNING:|BUG:|Oops|Kernel panic|general protection|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|INFO: |KASAN|UBSAN|kmemleak: ([0-9]+ new suspected|.*disabled|Cannot allocate a kmemleak_object)|refcount_t|unregister_netdevice: waiting|asks to queue packet|NETDEV WATCHDOG|TX queue [0-9]+ timed out|received packet on queue|page allocation failure|kernel BUG at|invalid opcode|divide error|exceeding its budget'
MARK="mynetdrv-lab:"
ALLOWED_TAINT=$(( 4096 | 8192 )) # O (out-of-tree) | E (unsigned)

if [ ! -e /vmout/env.sh ] && [ -z "${LAB_ALLOW_HOST:-}" ]; then
	echo "tests/run.sh loads kernel modules: run it inside the VM," >&2
	echo "  scripts/vm.sh -- tests/run.sh   (or: make check)" >&2
	exit 2
fi
[ "$(id -u)" -eq 0 ] || { echo "tests/run.sh: must run as root" >&2; exit 2; }

[ -n "$KTAP_OUT" ] && : >"$KTAP_OUT"
out() {
	printf '%s\n' "$*"
	[ -z "$KTAP_OUT" ] || printf '%s\n' "$*" >>"$KTAP_OUT"
}
# Print a file as KTAP comments ("# " added unless the line has one).
out_comments() {
	local line
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in
		'#'*) out "$line" ;;
		'') out "#" ;;
		*) out "# $line" ;;
		esac
	done <"$1"
}

kmsg() { echo "$MARK $*" >/dev/kmsg 2>/dev/null || true; }

# On a KCSAN kernel (make check-kcsan): a data-race report is a block
# between two "=====" lines, headed "BUG: KCSAN: data-race in A / B",
# the functions that made the two accesses ("name [mynetdrv]" for ours).
# Only races with one of ours there are ours: the others (the core's own,
# also when our code called the core function that raced, such as
# hrtimer_active()) are dropped from the scan and counted in $KCSAN_CORE.
# Ours fail the test unless tests/kcsan-allow.txt accepts them: each line
# there an extended regex matched against the report's header, with the
# reason why the race is benign.
KCSAN=0
[ -e /sys/kernel/debug/kcsan ] && KCSAN=1
KCSAN_ALLOW=$(sed -n 's/[[:space:]]*#.*//; /./p' "$(dirname "$0")/kcsan-allow.txt" 2>/dev/null | paste -sd'|')
KCSAN_CORE=$(mktemp)
kcsan_filter() {
	if [ "$KCSAN" -eq 0 ]; then cat; return; fi
	awk -v allow="$KCSAN_ALLOW" -v core="$KCSAN_CORE" '
		function flush() {
			if (hdr == "") return
			if (hdr !~ /\[mynetdrv\]/) print hdr (blk ~ /\[mynetdrv\]/ ? " (from mynetdrv code)" : "") >>core
			else if (allow != "" && hdr ~ allow) print "KCSAN (accepted, tests/kcsan-allow.txt): " substr(hdr, index(hdr, "data-race"))
			else printf "%s", blk
			hdr = ""; blk = ""
		}
		/BUG: KCSAN:/ { flush(); hdr = $0; blk = $0 "\n"; next }
		hdr != "" && /==================/ { flush(); print; next }
		hdr != "" { blk = blk $0 "\n"; next }
		{ print }
		END { flush() }'
}
klog_lines() { dmesg 2>/dev/null | wc -l; }
# Bad lines of the kernel log after line $1, less those matching the
# extended regex $2 (a test's "# KLOG_ALLOW: RE" line: what it provokes
# on purpose, such as the TX watchdog).
klog_bad_since() {
	dmesg 2>/dev/null | tail -n +"$(($1 + 1))" | grep -v -F "$MARK" |
		kcsan_filter | grep -E "$BAD_RE" | { if [ -n "${2:-}" ]; then grep -vE "$2"; else cat; fi; }
}

KMEMLEAK=/sys/kernel/debug/kmemleak
use_kmemleak=0
[ -w "$KMEMLEAK" ] && echo scan >"$KMEMLEAK" 2>/dev/null && use_kmemleak=1

# Scan (at least 5 s after the epoch-ns $1), print new suspects (their
# first 60 lines), then forget them so the next test starts clean.
kmemleak_check() {
	local left report
	[ $use_kmemleak -eq 1 ] || return 0
	left=$(( 5500 - ($(date +%s%N) - $1) / 1000000 ))
	[ $left -le 0 ] || sleep "$((left / 1000)).$(printf '%03d' $((left % 1000)))"
	echo scan >"$KMEMLEAK"
	report=$(cat "$KMEMLEAK")
	echo clear >"$KMEMLEAK"
	[ -n "$report" ] || return 0
	echo "kmemleak: $(grep -c '^unreferenced object' <<<"$report") unreferenced object(s):"
	head -n 60 <<<"$report"
	return 1
}

taint_letters() {
	local t=$1 i letters="PFSRMBUDAWCIOELKXTN" s=""
	for ((i = 0; i < ${#letters}; i++)); do
		(( t & (1 << i) )) && s+=${letters:i:1}
	done
	echo "${s:--}"
}

# ------------------------------------------------------------ select tests
tests=()
for f in "$TESTS_DIR"/[0-9][0-9]-*.sh; do
	[ -e "$f" ] || continue
	b=${f##*/}
	if [ $# -gt 0 ]; then
		want=0
		for p in "$@"; do
			[ "${b#"$p"}" != "$b" ] && want=1
		done
		[ $want -eq 1 ] || continue
	fi
	tests+=("$f")
done

CG_ROOT=/sys/fs/cgroup
use_cg=0
[ -e "$CG_ROOT/cgroup.procs" ] && [ -w "$CG_ROOT" ] && use_cg=1

cleanup_after_test() { # CGDIR -> prints problems, returns 1 on failure
	local cg=$1 i err rc=0
	if [ $use_cg -eq 1 ] && [ -d "$cg" ]; then
		if [ -e "$cg/cgroup.kill" ]; then
			echo 1 >"$cg/cgroup.kill" 2>/dev/null
		else
			xargs -r kill -9 <"$cg/cgroup.procs" 2>/dev/null
		fi
		for ((i = 0; i < 50; i++)); do
			[ -s "$cg/cgroup.procs" ] || break
			sleep 0.1
		done
		[ -s "$cg/cgroup.procs" ] && { echo "cleanup: processes survive in $cg"; rc=1; }
		rmdir "$cg" 2>/dev/null
	fi
	ip -all netns delete 2>/dev/null
	if [ -d /sys/module/mynetdrv ]; then
		for ((i = 0; i < 20; i++)); do
			err=$(rmmod mynetdrv 2>&1) && break
			sleep 0.25
		done
		if [ -d /sys/module/mynetdrv ]; then
			echo "cleanup: rmmod mynetdrv failed: $err"
			rc=1
		else
			echo "cleanup: mynetdrv was still loaded; removed it"
		fi
	fi
	return $rc
}

# ------------------------------------------------------------ run
# Hold the kernel's RX timestamp static key (netstamp_needed_key) on for
# the whole run. Otherwise every ping flips it and the kernel re-patches
# the receive path's code while other CPUs run it; QEMU's multi-threaded
# TCG has executed a stale int3 from that patching ("Oops: int3" in
# netif_receive_skb_list_internal, seen once on 7.2). Real CPUs do not
# need this, and it changes no result: the key only decides whether
# received skbs get a timestamp early.
python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 29, 1)  # SO_TIMESTAMP (Python 3.11 has no socket.SO_TIMESTAMP)
time.sleep(1 << 30)' &
stamp_holder=$!
trap 'kill "$stamp_holder" 2>/dev/null' EXIT

total=$(( ${#tests[@]} + 1 ))
out "KTAP version 1"
out "1..$total"
out "# mynetdrv lab on $(uname -r), $(nproc) CPUs; MODULE=$MODULE"
if [ -f "$MODULE" ]; then
	vm=$(modinfo -F vermagic "$MODULE" 2>/dev/null | cut -d' ' -f1)
	[ "$vm" = "$(uname -r)" ] ||
		out "# note: $MODULE was built for '$vm', this kernel is $(uname -r)"
else
	out "# note: $MODULE not found (build it with: make modules KVER=$(uname -r))"
fi
# Boot-time complaints are not ours (the module is not loaded yet): note them.
boot_bad=$(klog_bad_since 0)
if [ -n "$boot_bad" ]; then
	out "# note: kernel log already has bad lines before the first test:"
	while IFS= read -r l; do out "#   $l"; done <<<"$boot_bad"
fi
taint0=$(cat /proc/sys/kernel/tainted)
if [ $use_kmemleak -eq 1 ]; then
	n0=$(grep -c '^unreferenced object' "$KMEMLEAK")
	echo clear >"$KMEMLEAK"
	out "# kmemleak: on ($n0 suspect(s) from boot cleared); scanned after each test"
fi
[ "$taint0" -eq 0 ] || out "# note: kernel already tainted at start: $taint0 ($(taint_letters "$taint0"))"

# A task blocked in D state for 10 s (40 s on a slow kernel) is reported
# ("INFO: task ... blocked for more than"), not after the default 120 s,
# which no test would wait for. Kernels without the detector lack the file.
if [ -w /proc/sys/kernel/hung_task_timeout_secs ]; then
	echo $((10 * TIMEOUT_SCALE)) >/proc/sys/kernel/hung_task_timeout_secs
fi

failed=0
skipped=0
n=0
tmp=$(mktemp -d)
for f in "${tests[@]}"; do
	n=$((n + 1))
	name=$(basename "$f" .sh)
	to=$(sed -n 's/^# TIMEOUT: *\([0-9][0-9]*\).*/\1/p' "$f" | head -n1)
	allow=$(sed -n 's/^# KLOG_ALLOW: *//p' "$f" | head -n1)
	to=$(( ${to:-$DEFAULT_TIMEOUT} * TIMEOUT_SCALE ))
	cg="$CG_ROOT/lab-$n"
	[ $use_cg -eq 1 ] && mkdir -p "$cg"
	skipf="$tmp/skip"
	allowf="$tmp/klog_allow"
	rm -f "$skipf" "$allowf"

	# For the host's progress line (scripts/progress.py): the console
	# only, the KTAP file has no use for it.
	echo "# start $n/$total $name"
	kmsg "begin $name"
	kline=$(klog_lines)
	t0=$(date +%s%N)
	(
		cd "$REPO" || exit 1
		[ $use_cg -eq 1 ] && echo "$BASHPID" >"$cg/cgroup.procs"
		LAB_SKIP_FILE=$skipf LAB_KLOG_ALLOW_FILE=$allowf \
			exec timeout -k 5 "$to" bash "$f"
	) </dev/null >"$tmp/out" 2>&1
	rc=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	t1=$(date +%s%N)
	cleanup_after_test "$cg" >"$tmp/cleanup" 2>&1
	crc=$?
	kmemleak_check "$t1" >>"$tmp/cleanup" 2>&1 || crc=1
	kmsg "end $name rc=$rc"
	if [ -s "$allowf" ]; then
		allow=${allow:+$allow|}$(paste -sd'|' "$allowf")
	fi
	bad=$(klog_bad_since "$kline" "$allow")

	out_comments "$tmp/out"
	out_comments "$tmp/cleanup"
	result=ok
	directive=""
	case $rc in
	0) ;;
	4) directive=" # SKIP $(head -n1 "$skipf" 2>/dev/null || echo "skipped")" ;;
	124|137) out "# TIMEOUT: $name exceeded ${to}s"; result="not ok" ;;
	*) out "# $name exited with status $rc"; result="not ok" ;;
	esac
	[ $crc -ne 0 ] && result="not ok"
	if [ -n "$bad" ]; then
		out "# kernel log during $name has bad lines:"
		while IFS= read -r l; do out "#   $l"; done <<<"$bad"
		result="not ok"
		directive=""
	fi
	[ "$result" = ok ] || failed=$((failed + 1))
	[ "$result" = ok ] && [ -n "$directive" ] && skipped=$((skipped + 1))
	out "# $name took ${ms} ms"
	out "$result $n $name$directive"
done

# ------------------------------------------------------------ final check
n=$((n + 1))
echo "# start $n/$n kernel-log-clean"
kline_end=$(dmesg 2>/dev/null | grep -n -F "$MARK end" | tail -n1 | cut -d: -f1)
# Let deferred work (netns cleanup, RCU) log its complaints: a device
# whose references leak is reported as "unregister_netdevice: waiting"
# after 10 s, an RCU stall after 21 s (rcu_cpu_stall_timeout), a task
# blocked since the last test by the end of the next hung-task check
# (within 20 s on a release kernel: see hung_task_timeout_secs above).
sleep 22
result=ok
if ! kmemleak_check "$(date +%s%N)" >"$tmp/leaks" 2>&1; then
	out_comments "$tmp/leaks"
	result="not ok"
fi
bad=$(klog_bad_since "${kline_end:-0}")
taint=$(cat /proc/sys/kernel/tainted)
if (( taint & ~ALLOWED_TAINT )); then
	out "# kernel tainted: $taint ($(taint_letters "$taint")); only O and E are allowed"
	result="not ok"
else
	out "# taint: $taint ($(taint_letters "$taint"))"
fi
if [ -n "$bad" ]; then
	out "# kernel log after the last test has bad lines:"
	while IFS= read -r l; do out "#   $l"; done <<<"$bad"
	result="not ok"
fi
if [ "$KCSAN" -eq 1 ]; then
	races=$(sed 's/^.*data-race in //' "$KCSAN_CORE" | sort | uniq -c | sort -rn)
	out "# KCSAN: $(grep -c . <<<"$races") distinct data race(s) between core functions, not mynetdrv's, ignored (reports, race):"
	head -n 15 <<<"$races" | while IFS= read -r l; do out "#   $l"; done
fi
[ "$result" = ok ] || failed=$((failed + 1))
out "$result $n kernel-log-clean"
rm -rf "$tmp"

out "# totals: pass:$((total - failed - skipped)) fail:$failed skip:$skipped"
[ $failed -eq 0 ]
