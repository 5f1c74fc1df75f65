#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TIMEOUT: 240
#
# 13-load-cycles: 20 insmod/rmmod cycles with numpairs=2, each one moving
# one end of each pair into a netns, bringing all four devices up and
# pinging across both pairs; then checks nothing leaked:
#  - every rmmod succeeds within 10 s (a leaked netdev reference makes it
#    hang in netdev_run_todo with "unregister_netdevice: waiting ...");
#  - lsmod has no mynetdrv, no mydev* device in init or the netns;
#  - memory: after a warm-up cycle, caches dropped and slabs shrunk,
#    SUnreclaim + Percpu and the active slab object bytes may grow by at
#    most BOUND_KIB (512) over the 20 cycles; observed noise is -560..+336
#    KiB, mostly task caches (mm_struct, sighand) freed after RCU.
#    Not counted in the slab object bytes: the debug kernel's own
#    bookkeeping caches (debug_objects_cache, kmemleak_*), which track
#    other objects and refill or free in batches (debug_objects_cache
#    alone grew 212 KiB over the 20 cycles once, in a run where
#    SUnreclaim fell); kmemleak reports what leaks there (run.sh).
#    The test measures what a registered pair costs in slab object bytes
#    (P, from 8 pairs, best of up to three tries; less on 7.x, whose
#    larger net_device comes from the page allocator) and fails unless
#    BOUND_KIB is at most half of what leaking one pair per cycle would
#    add (20 * P): a pair is what a broken dellink or unregister leaks,
#    both ends being created and deleted together.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

NS=t13
CYCLES=20
# Growth allowed over all cycles, KiB. Run-to-run noise of these
# counters in the guest (kmalloc caches used by the rest of the kernel,
# netns/neighbour/fib caches, slab page rounding) is well below this.
BOUND_KIB=512

# Drop what the kernel can drop, so that what is left is what is held.
settle() {
	local f
	sync
	echo 3 >/proc/sys/vm/drop_caches
	for f in /sys/kernel/slab/*/shrink; do
		echo 1 >"$f" 2>/dev/null || true
	done
	sleep 1
}

# Lines of /proc/slabinfo that are not a cache, and the debug kernel's
# bookkeeping caches (see above): left out of snapshot's sum.
skip_cache() {
	case $1 in
	\#* | slabinfo | debug_objects_cache | kmemleak_*) return 0 ;;
	esac
	return 1
}

# "SUnreclaim_kB Percpu_kB slab_active_KiB": memory the kernel holds.
# Parsed with bash builtins: fork+exec is slow under TCG.
snapshot() {
	local k v _ su=0 pc=0 name act objsize bytes=0
	settle
	while read -r k v _; do
		case $k in
		SUnreclaim:) su=$v ;;
		Percpu:) pc=$v ;;
		esac
	done </proc/meminfo
	while read -r name act _ objsize _; do
		skip_cache "$name" && continue
		bytes=$((bytes + act * objsize))
	done </proc/slabinfo
	echo "$su $pc $((bytes / 1024))"
}

# Per-cache active bytes, "name bytes" lines, for the growth report.
slab_bytes() {
	local name act objsize _
	while read -r name act _ objsize _; do
		[[ $name == \#* || $name == slabinfo ]] && continue
		echo "$name $((act * objsize))"
	done </proc/slabinfo
}

up_and_ping() {
	ip -batch - <<-EOF || fail "cannot set up the pairs"
		link set mydev1 netns $NS
		link set mydev3 netns $NS
		addr add 10.13.0.1/24 dev mydev0
		addr add 10.13.1.1/24 dev mydev2
		link set mydev0 up
		link set mydev2 up
	EOF
	ip -n "$NS" -batch - <<-EOF || fail "cannot set up the pairs in $NS"
		addr add 10.13.0.2/24 dev mydev1
		addr add 10.13.1.2/24 dev mydev3
		link set mydev1 up
		link set mydev3 up
	EOF
	ping -c 1 -W 3 10.13.0.2 >/dev/null || fail "cycle $1: no ping reply over mydev0/mydev1"
	ping -c 1 -W 3 10.13.1.2 >/dev/null || fail "cycle $1: no ping reply over mydev2/mydev3"
}

unload_timed() {
	local t0 ms
	t0=$(date +%s%N)
	timeout 20 rmmod mynetdrv || fail "cycle $1: rmmod failed or hung (leaked reference?)"
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$ms" -lt 10000 ] || fail "cycle $1: rmmod took $ms ms"
}

cycle() {
	insmod "$MODULE" numpairs=2 || fail "cycle $1: insmod failed"
	up_and_ping "$1"
	unload_timed "$1"
}

klog_start=$(dmesg | wc -l)
expect_ok ip netns add "$NS"

# Warm-up: first-use allocations (neighbour tables, fib, module
# bookkeeping) happen here, not in the measured cycles.
cycle warmup
# What a pair costs while registered: struct net_device + priv, the queue
# structs, kobjects and sysfs nodes, i.e. what a leaked pair would keep.
# Measured with 8 pairs, each try against a fresh baseline, best of up to
# three: memory freed late by earlier work (RCU, deferred frees) can only
# make one reading low.
per_pair=0
for try in 1 2 3; do
	read -r _ _ base <<<"$(snapshot)"
	insmod "$MODULE" numpairs=8 || fail "insmod numpairs=8 failed"
	read -r _ _ loaded <<<"$(snapshot)"
	unload_timed calibration
	log "calibration $try: 8 registered pairs, slab objects +$((loaded - base)) KiB"
	v=$(((loaded - base) / 8))
	[ "$v" -gt "$per_pair" ] && per_pair=$v
	[ $((2 * BOUND_KIB)) -le $((CYCLES * per_pair)) ] && break
done
leak1=$((CYCLES * per_pair))
log "a leak of one pair per cycle would add ~$leak1 KiB over $CYCLES cycles; bound is $BOUND_KIB KiB"
[ $((2 * BOUND_KIB)) -le "$leak1" ] ||
	fail "bound $BOUND_KIB KiB could not catch a one-pair-per-cycle leak (~$leak1 KiB)"

read -r su0 pc0 sb0 <<<"$(snapshot)"
slab_bytes >/tmp/t13-slab-before

t0=$(date +%s)
for ((i = 1; i <= CYCLES; i++)); do
	cycle "$i"
done
log "$CYCLES cycles took $(($(date +%s) - t0)) s"

mod_loaded && fail "mynetdrv loaded after the last rmmod"
lsmod | grep -q '^mynetdrv ' && fail "lsmod still lists mynetdrv"
log "ok: lsmod has no mynetdrv"
left=$(ip -o link show | grep -c 'mydev' || true)
expect_eq "mydev* devices in init netns" "$left" 0
expect_eq "links in $NS" "$(link_names "$NS")" lo

read -r su3 pc3 sb3 <<<"$(snapshot)"
slab_bytes >/tmp/t13-slab-after
log "after $CYCLES cycles: SUnreclaim $su0 -> $su3 KiB ($((su3 - su0))), Percpu $pc0 -> $pc3 KiB ($((pc3 - pc0))), slab objects $sb0 -> $sb3 KiB ($((sb3 - sb0)))"
log "largest slab cache growth (bytes):"
awk 'NR == FNR { b[$1] = $2; next } { d = $2 - b[$1]; if (d > 0) print d, $1 }' \
	/tmp/t13-slab-before /tmp/t13-slab-after | sort -rn | head -n 5 | sed 's/^/#   /'
grow=$(((su3 - su0) + (pc3 - pc0)))
[ "$grow" -le "$BOUND_KIB" ] ||
	fail "SUnreclaim+Percpu grew by $grow KiB over $CYCLES cycles (bound $BOUND_KIB KiB): leak?"
log "ok: SUnreclaim+Percpu growth $grow KiB <= $BOUND_KIB KiB"
[ $((sb3 - sb0)) -le "$BOUND_KIB" ] ||
	fail "active slab objects grew by $((sb3 - sb0)) KiB over $CYCLES cycles (bound $BOUND_KIB KiB): leak?"
log "ok: slab object growth $((sb3 - sb0)) KiB <= $BOUND_KIB KiB"

bad=$(dmesg | tail -n +"$((klog_start + 1))" | grep -E 'unregister_netdevice: waiting' || true)
[ -z "$bad" ] || fail "leaked device reference: $bad"
