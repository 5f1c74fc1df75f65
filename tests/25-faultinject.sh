#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TIMEOUT: 400
#
# 25-faultinject: every allocation failure on the driver's paths fails
# cleanly.  Needs a kernel with fault injection (the debug kernel of
# `make check-debug`); skipped elsewhere.
#
# failslab and fail_page_alloc are set so that sleeping allocations can
# fail too, and tests/failnth.py walks the fault points of one operation
# with /proc/thread-self/fail-nth: fail the n-th allocation of the
# syscall, for every n (see its header for the checks: all-or-nothing
# state, ENOMEM/ENOBUFS, a message when the failing allocation is under
# the driver).  Operations:
#  1. insmod numpairs=1 (every 4th fault point: the module loader copies
#     the image page by page);
#  2. with the module loaded and the pair mydev0 <-> mydev1 (netns) up and
#     pinging: ip link add of a pair with 2 queues, ip link set up (ndo_open
#     creates the rings), ethtool -G rx (live ring replace), ethtool -L
#     growing (both ends, live; shrinking must not allocate in the driver
#     at all), ethtool -t (self-test frames);
#  3. each walk must have failed at least once under the driver's own code
#     (else it tested nothing of ours), and the pair that existed before
#     still answers ping -c 5 exactly.
# run.sh then fails the test on any kernel report and on any kmemleak
# suspect after unload.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

FI=/sys/kernel/debug
if [ ! -e /proc/self/fail-nth ] || [ ! -d "$FI/failslab" ] ||
	[ ! -d "$FI/fail_page_alloc" ]; then
	skip "no fault injection in this kernel (make check-debug runs this test)"
fi
require_cmd python3
FAILNTH=$REPO/tests/failnth.py

# Let fail-nth reach every allocation, sleeping ones and order 0 pages
# included; fail-nth itself is off until failnth.py arms it.
declare -A SAVED
fi_set() { # FILE VALUE
	SAVED[$1]=$(cat "$FI/$1")
	echo "$2" >"$FI/$1"
}
fi_restore() {
	local f
	for f in "${!SAVED[@]}"; do echo "${SAVED[$f]}" >"$FI/$f"; done
}
fi_set failslab/ignore-gfp-wait N
fi_set fail_page_alloc/ignore-gfp-wait N
fi_set fail_page_alloc/ignore-gfp-highmem N
fi_set fail_page_alloc/min-order 0
fi_set failslab/verbose 2
fi_set fail_page_alloc/verbose 2
test_cleanup() { fi_restore; }

# walk [--no-driver] LABEL FAILNTH-ARGS...: run failnth.py; fail on a
# violation, or when no fault hit the driver's code (with --no-driver:
# when one did, for paths that must not allocate).  The fault points of
# one operation are not the same from run to run (the dry run that counts
# them may find caches cold; RCU callbacks and the allocators' own caches
# differ), so a walk that missed the driver is repeated, up to 3 times.
walk() {
	local want=some label out rc sites try
	[ "$1" = --no-driver ] && { want=none; shift; }
	label=$1
	shift
	for try in 1 2 3; do
		rc=0
		out=$(python3 "$FAILNTH" "$@" 2>&1) || rc=$?
		grep -v '^SITES' <<<"$out" || true
		[ $rc -eq 0 ] || fail "$label: failnth.py found problems (above)"
		sites=$(sed -n 's/^SITES *//p' <<<"$out")
		if [ $want = none ] || [ -n "$sites" ]; then break; fi
		log "$label: walk $try hit no fault point under mynetdrv's code"
	done
	if [ $want = some ] && [ -z "$sites" ]; then
		fail "$label: no injected failure was under mynetdrv's code in $try walks"
	elif [ $want = none ] && [ -n "$sites" ]; then
		fail "$label: must not allocate in the driver, but failed in: $sites"
	fi
	log "ok: $label: clean at every fault point; driver functions hit: ${sites:-none}"
}

# 1. Module load.  A dry insmod of the same module first: the loader's
# first call warms caches, so the fault points of the walk are stable.
mod_load numpairs=1
mod_unload
walk "insmod" --tail 300 --stride 6 --head-stride 50 insmod "$MODULE" numpairs=1
mod_loaded && fail "mynetdrv still loaded after the insmod walk"

# 2. The operations of a loaded driver, next to a live pair.
PAIR_IPV6=0
pair_setup numpairs=1
ping_count 3 "$ADDR_B"

walk "ip link add" --stride 5 newlink fi0 fi1 2
ip_mynetdrv link add fi0 numtxqueues 4 numrxqueues 4 type mynetdrv \
	peer name fi1 numtxqueues 4 numrxqueues 4
walk "ip link set up" up fi0
ip link set fi0 up
ip link set fi1 up
wait_for 5 grep -qx 1 /sys/class/net/fi0/carrier || fail "fi0 has no carrier"
walk "ethtool -G rx" rings fi0 1024
walk "ethtool -L combined (grow)" channels fi0 fi1 4
# Shrinking frees and moves frames: nothing of ours may fail.
quick_ok ethtool -L fi0 combined 2
walk --no-driver "ethtool -L combined (shrink)" channels fi0 fi1 1
walk "ethtool -t" selftest fi0
quick_ok ip link del fi0

# 3. What existed before still works, and nothing is left behind.
ping_count 5 "$ADDR_B"
dev_exists fi0 && fail "fi0 still exists"
log "ok: mydev0 <-> mydev1 still carries traffic"
