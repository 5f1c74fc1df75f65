# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# tests/xdplib.sh - helpers for the XDP tests, sourced after lib.sh and
# pairlib.sh. The programs are tests/bpf/xdp_*.c (see xdp_lab.h there:
# each acts on IPv4 UDP to port 7035 only and counts what it acted on in
# its own map "hits").
#
# XDP_TEST_KIND (env): the device pair the test runs on, "mynetdrv" (the
# default) or "veth", the kernel's reference driver for native XDP: run
# on veth the test checks itself (programs, traffic, captures, the
# exact-count logic) without needing the driver's XDP. It sets PAIR_KIND
# for pair_setup. Counters only a kind has are checked on that kind.
#
# Programs are loaded and attached the way a user would: ip (iproute2
# with libbpf, which loads only the program it attaches) or bpftool. A
# program attached by ip lives as long as the device holds it; its hits
# map can be pinned to outlive it, so that a test reads the counts of a
# program it has replaced.
#
#   xdp_require                 the kernel has the bpf() syscall (else
#                               skip: the debug kernel is built without),
#                               the tools (else fail: setup.sh installs
#                               them), the objects built; bpffs mounted
#   xdp_obj NAME                tests/bpf/NAME.o (fails if not built)
#   xdp_attach DEV NS OBJ PROG [SEC]
#                               attach PROG of tests/bpf/OBJ.o in driver
#                               mode with ip (-force: replacing what is
#                               attached in one step); SEC defaults to
#                               "xdp"; the new program's id in XDP_ID
#   xdp_detach DEV NS           ip link set dev DEV xdpdrv off
#   xdp_prog_id DEV NS          id of DEV's driver-mode program, "" if none
#                               (fails if DEV has XDP in another mode)
#   xdp_check_shown DEV NS ID NAME
#                               every tool shows program ID (NAME) on DEV
#                               in driver mode: ip -d link ("xdp" flag,
#                               prog/xdp id), ip -j (.xdp.mode 1),
#                               bpftool net (mode driver), xdp-loader
#                               status (native)
#   xdp_check_none DEV NS       no XDP program on DEV, by the same tools
#   xdp_prog_freed ID           wait until the kernel has freed program ID
#                               (nothing holds it any more)
#   xdp_map_id PROG_ID NAME     id of PROG_ID's map called NAME
#   xdp_hits_pin PROG_ID TAG    pin that program's hits map as TAG
#   xdp_hits TAG [KEY]          hits[KEY] of the map pinned as TAG
#                               (KEY 0 frames, 1 bytes, 2 and 3 the
#                               program's own, see xdp_lab.h)
#   xdp_devmap_set PROG_ID NS IFNAME
#                               tx_port[0] of the program = IFNAME's
#                               ifindex in NS (updated from NS: a devmap
#                               resolves it in the updater's netns)
#   ifindex_of DEV [NS]         DEV's ifindex
#   xdp_trace_start             a tracefs instance of its own (not the
#                               global buffer others may use) recording
#                               every xdp:* event
#   xdp_trace_take              copy its events into XDP_TRACE_TXT and
#                               empty it; fails if the buffer lost any
#   xdp_trace_count EVENT [ERE] how many EVENT lines (xdp_exception, ...)
#                               in XDP_TRACE_TXT match ERE
#   xdp_trace_sum EVENT FIELD [ERE]
#                               the sum of FIELD (sent=, drops=) over them
#   xdp_trace_stop              remove the instance
#   bg_report PID FILE          SIGUSR1 to a helper that prints a JSON line
#                               per report (rawsock.py capture, xdpudp.py
#                               recv), wait for it; prints that line
#   xdp_cleanup                 tc filters, pins, trace instance (for
#                               test_cleanup)

XDP_TEST_KIND=${XDP_TEST_KIND:-mynetdrv}
case $XDP_TEST_KIND in
mynetdrv|veth) ;;
*) fail "XDP_TEST_KIND=$XDP_TEST_KIND: mynetdrv or veth" ;;
esac
# shellcheck disable=SC2034 # read by pair_setup (pairlib.sh)
PAIR_KIND=$XDP_TEST_KIND
XDP_BPF_DIR=$REPO/tests/bpf
XDP_PIN=/sys/fs/bpf/mynetdrv-xdplab
XDP_TRACE=/sys/kernel/tracing/instances/mynetdrv-xdplab
XDP_TRACE_TXT=""
XDP_ID=""

xdp_require() {
	local o
	# The debug kernel is built without CONFIG_BPF_SYSCALL (no bpf
	# filesystem either): no program can be loaded there.
	grep -qw bpf /proc/filesystems ||
		skip "no BPF syscall in this kernel ($(uname -r)): XDP cannot be tested"
	require_cmd ip bpftool tc jq python3 xdp-loader ethtool
	for o in xdp_pass xdp_verdicts xdp_redirect xdp_adjust xdp_frags; do
		xdp_obj "$o" >/dev/null
	done
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf ||
		fail "cannot mount the bpf filesystem on /sys/fs/bpf"
	mkdir -p "$XDP_PIN"
	mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing ||
		fail "cannot mount tracefs"
	[ -d /sys/kernel/tracing/events/xdp ] || fail "no xdp trace events in this kernel"
}

xdp_obj() {
	local f=$XDP_BPF_DIR/$1.o
	[ -f "$f" ] || fail "no $f (make lab-build builds tests/bpf/*.c)"
	echo "$f"
}

xdp_attach() {
	local dev=$1 ns=$2 obj prog=$4 sec=${5:-xdp}
	obj=$(xdp_obj "$3")
	# -force: replace whatever is attached, atomically (no
	# XDP_FLAGS_UPDATE_IF_NOEXIST). "program" picks the program by name;
	# "sec" alone would take the first one of that section.
	quick_ok ns_run "$ns" ip -force link set dev "$dev" xdpdrv obj "$obj" sec "$sec" program "$prog"
	XDP_ID=$(xdp_prog_id "$dev" "$ns")
	[ -n "$XDP_ID" ] || fail "$dev: no XDP program after attaching $prog"
}

xdp_detach() {
	quick_ok ns_run "$2" ip link set dev "$1" xdpdrv off
}

xdp_prog_id() {
	local js mode id
	js=$(ns_run "$2" ip -j -d link show dev "$1") || fail "no device $1"
	read -r mode id < <(jq -r '.[0].xdp // {} | "\(.mode // 0) \(.prog.id // "")"' <<<"$js")
	case $mode in
	0) echo "" ;;
	1) echo "$id" ;;
	*) fail "$1: XDP attached in mode $mode, not in driver mode (1)" ;;
	esac
}

xdp_check_shown() {
	local dev=$1 ns=$2 id=$3 name=$4 out
	out=$(ns_run "$ns" ip -d link show dev "$dev")
	# The flag after the MTU: "xdp" in driver mode, "xdpgeneric",
	# "xdpoffload" or "xdpmulti" otherwise.
	grep -q "mtu [0-9]* xdp qdisc" <<<"$out" ||
		fail "ip link show $dev has no \"xdp\" (driver mode) flag: $out"
	grep -q "prog/xdp id $id " <<<"$out" ||
		fail "ip -d link show $dev has no \"prog/xdp id $id\": $out"
	expect_eq "$dev: ip -j .xdp (mode, prog id, name)" \
		"$(ns_run "$ns" ip -j -d link show dev "$dev" | jq -r '.[0].xdp | "\(.mode) \(.prog.id) \(.prog.name)"')" \
		"1 $id ${name:0:15}"
	expect_eq "$dev: bpftool net show (mode, id)" \
		"$(ns_run "$ns" bpftool -j net show dev "$dev" | jq -r '.[0].xdp | map("\(.mode) \(.id)") | join(",")')" \
		"driver $id"
	out=$(ns_run "$ns" xdp-loader status "$dev")
	grep -qE "^$dev +${name:0:15} +native +$id " <<<"$out" ||
		fail "xdp-loader status $dev does not show $name in native mode, id $id: $out"
	log "ok: xdp-loader status $dev: $name native $id"
}

xdp_check_none() {
	local dev=$1 ns=$2 out
	out=$(ns_run "$ns" ip -d link show dev "$dev")
	if grep -qE "mtu [0-9]* xdp|prog/xdp" <<<"$out"; then
		fail "ip link show $dev still shows an XDP program: $out"
	fi
	expect_eq "$dev: XDP programs in bpftool net show" \
		"$(ns_run "$ns" bpftool -j net show dev "$dev" | jq -r '.[0].xdp | length')" 0
}

xdp_prog_freed() {
	# Freed after an RCU grace period and a workqueue: not at once.
	wait_for 10 sh -c "! bpftool prog show id $1" ||
		fail "program $1 still exists: something still holds it"
	log "ok: program $1 freed"
}

xdp_map_id() {
	local m name
	for m in $(bpftool -j prog show id "$1" | jq -r '.map_ids[]?'); do
		name=$(bpftool -j map show id "$m" | jq -r .name)
		if [ "$name" = "$2" ]; then
			echo "$m"
			return 0
		fi
	done
	fail "program $1 has no map called $2"
}

xdp_hits_pin() {
	local m
	m=$(xdp_map_id "$1" hits)
	rm -f "$XDP_PIN/$2"
	quick_ok bpftool map pin id "$m" "$XDP_PIN/$2"
}

xdp_hits() {
	local v
	v=$(bpftool -j map lookup pinned "$XDP_PIN/$1" key "${2:-0}" 0 0 0 | jq -r '.formatted.value // empty')
	[ -n "$v" ] || fail "cannot read hits[${2:-0}] pinned as $1"
	echo "$v"
}

ifindex_of() {
	ns_run "${2:-}" ip -j link show dev "$1" | jq -r '.[0].ifindex'
}

xdp_devmap_set() {
	local m ifx hex
	m=$(xdp_map_id "$1" tx_port)
	ifx=$(ifindex_of "$3" "$2")
	# bpftool takes the value as bytes: the ifindex, little-endian.
	quick_ok ns_run "$2" bpftool map update id "$m" key 0 0 0 0 value \
		$((ifx & 255)) $((ifx >> 8 & 255)) $((ifx >> 16 & 255)) $((ifx >> 24))
	# A devmap has no BTF: its value comes as bytes.
	hex=$(bpftool -j map lookup id "$m" key 0 0 0 0 | jq -r '.value | map(ltrimstr("0x")) | reverse | join("")')
	expect_eq "devmap tx_port[0] (ifindex of $3)" "$((16#${hex:-ff}))" "$ifx"
}

xdp_trace_start() {
	rmdir "$XDP_TRACE" 2>/dev/null || true
	mkdir "$XDP_TRACE" || fail "cannot create the trace instance $XDP_TRACE"
	# Room for a few thousand events per CPU: a test's steps trace
	# hundreds at most between two takes.
	echo 1024 >"$XDP_TRACE/buffer_size_kb"
	echo 1 >"$XDP_TRACE/events/xdp/enable"
	echo 1 >"$XDP_TRACE/tracing_on"
}

xdp_trace_take() {
	local f lost=0 v
	XDP_TRACE_TXT=$(grep -v '^#' "$XDP_TRACE/trace" || true)
	for f in "$XDP_TRACE"/per_cpu/cpu*/stats; do
		v=$(sed -n 's/^overrun: *//p' "$f")
		lost=$((lost + ${v:-0}))
	done
	[ "$lost" -eq 0 ] || fail "the XDP trace buffer overran ($lost events lost): counts would be wrong"
	: >"$XDP_TRACE/trace"
}

xdp_trace_count() {
	local n
	n=$(grep -E " $1: " <<<"$XDP_TRACE_TXT" | grep -cE "${2:-.}" || true)
	echo "${n:-0}"
}

xdp_trace_sum() {
	grep -E " $1: " <<<"$XDP_TRACE_TXT" | grep -E "${3:-.}" |
		sed -n "s/.* $2=\([0-9-]*\).*/\1/p" | awk '{ s += $1 } END { print s + 0 }'
}

xdp_trace_stop() {
	if [ -d "$XDP_TRACE" ]; then
		echo 0 >"$XDP_TRACE/tracing_on" 2>/dev/null || true
		echo 0 >"$XDP_TRACE/events/xdp/enable" 2>/dev/null || true
		rmdir "$XDP_TRACE" 2>/dev/null || true
	fi
}

bg_report() {
	local pid=$1 file=$2 n
	n=$(wc -l <"$file")
	kill -USR1 "$pid" || fail "helper $pid is gone (its output: $(tail -n 3 "$file"))"
	wait_for 20 sh -c "[ \$(wc -l <$file) -gt $n ]" ||
		fail "helper $pid did not report into $file"
	tail -n 1 "$file"
}

xdp_cleanup() {
	xdp_trace_stop
	rm -rf "$XDP_PIN"
}
