#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/demo.sh - the guided tour of `make run`, run INSIDE the VM
# (scripts/vm.sh -- scripts/demo.sh).  The flow of README.md, "Use it on a
# real host": load the module, put mydev1 in a namespace of its own, bring
# both ends up, ping across; then what crossed the pair (a capture), the
# counters of both ends and what they mean, the queues in use, and the
# unload.  Each step prints the commands it runs ("$ ..."), their output,
# and what to see in it ("> ...").  It ends with what to try next.
#
# The counters shown after the ping are one snapshot of both ends, read
# twice a second apart with the same result (IPv6 keeps sending the odd
# frame), and the explanations take their numbers from it.  The counter
# names used here are checked against the driver by make docs-check
# (Documentation/lab.rst, "Documentation checks").
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODULE=${MODULE:-$REPO/mynetdrv.ko}
export IP_LIB_DIR=${IP_LIB_DIR:-$REPO/iproute2}

if [ ! -e /vmout/env.sh ]; then
	echo "demo.sh loads a kernel module: run it in the VM with 'make run'" >&2
	exit 2
fi

step=0
heading() {
	step=$((step + 1))
	echo
	echo "=== $step. $* ==="
}
run() {
	echo "\$ $*"
	"$@"
}
say() { # an explanation, "> " and then wrapped at 76 columns
	awk '{ for (i = 1; i <= NF; i++) {
		if (l != "" && length(l) + 1 + length($i) > 74) { print l; l = "" }
		l = l == "" ? $i : l " " $i } }
	END { if (l != "") print l }' <<<"$*" | sed '1s/^/> /; 2,$s/^/  /'
}

# Everything the tour shows about the counters, in one text: for each
# end (mydev0 in the init netns, mydev1 in "peer") its `ip -s link`,
# its stats64 as JSON and its `ethtool -S`, and mydev0's per-queue
# statistics over netlink where the kernel has them, each after a
# "## NAME" line.
counters() {
	local ns dev pre
	for ns_dev in ":mydev0" "peer:mydev1"; do
		ns=${ns_dev%%:*} dev=${ns_dev#*:} pre=()
		[ -z "$ns" ] || pre=(ip netns exec "$ns")
		echo "## ip $dev"
		"${pre[@]}" ip -s link show dev "$dev"
		echo "## json $dev"
		"${pre[@]}" ip -s -j link show dev "$dev"
		echo
		echo "## ethtool $dev"
		"${pre[@]}" ethtool -S "$dev"
	done
	if [ "$qstats" = 1 ]; then
		echo "## qstats mydev0"
		"$REPO/tests/qstats.py" mydev0
	fi
}
# The same counters twice, 1 s apart: a snapshot of a quiet moment.
stable_counters() {
	local prev cur
	prev=$(counters)
	for _ in $(seq 30); do
		sleep 1
		cur=$(counters)
		[ "$cur" != "$prev" ] || break
		prev=$cur
	done
	echo "$cur"
}
part() { # NAME: that part of $snap
	awk -v n="## $1" '/^## / { on = ($0 == n); next } on' <<<"$snap"
}
s64() { # DEV PATH: a stats64 field of DEV in $snap, e.g. rx.packets
	part "json $1" | jq -r ".[0].stats64.$2"
}
est() { # DEV NAME: an ethtool -S counter of DEV in $snap
	part "ethtool $1" | awk -v n="$2:" '$1 == n { print $2 }'
}

echo "mynetdrv, a guided tour, on $(uname -r) with $(nproc) CPUs."
echo "Each step shows the commands it runs (\$), their output, and what to"
echo "see in it (>)."

heading "Load the driver: it creates the pair mydev0 <-> mydev1"
run insmod "$MODULE"
run ip -br link show type mynetdrv
say "Each end names its peer after the @. Both are DOWN, and will have" \
    "carrier only once both ends are up, as two NICs joined by a cable."
echo "\$ ethtool -l mydev0 | grep -E 'maximums|settings|Combined'"
ethtool -l mydev0 | grep -E 'maximums|settings|Combined'
chans=$(ethtool -l mydev0 | awk '/^Combined:/ { v = $2 } END { print v }')
say "$chans channels in use, of the 16 each end allocated: a new pair" \
    "starts with as many as a NIC driver gives this machine" \
    "(netif_get_num_default_rss_queues(): one per core, $chans here)." \
    "TX queue Q of one end feeds RX ring Q and NAPI Q of the other."

heading "Give mydev1 a network namespace of its own: a second host"
run ip netns add peer
run ip link set mydev1 netns peer
say "In one namespace 10.0.0.2 would be a local address of this host, and" \
    "the ping would go through lo, never through the pair."

heading "Address both ends and bring them up, mydev0 first"
run ip addr add 10.0.0.1/24 dev mydev0
run ip link set mydev0 up
run ip -br link show dev mydev0
say "mydev0 is up but has no carrier (NO-CARRIER, LOWERLAYERDOWN): its" \
    "peer is still down. Nothing crosses yet."

# What mydev0 sends from now on (tcpdump needs its device up). -p: a
# capture puts its device in promiscuous mode otherwise, which would
# open the MAC filter this tour shows at work; -Z root: write the file
# as root.
cap=$(mktemp -d)
tcpdump -Z root -p -n -U -Q out -i mydev0 -w "$cap/mydev0.pcap" \
	2>"$cap/mydev0.err" &
cap0=$!
for _ in $(seq 100); do
	grep -q listening "$cap/mydev0.err" && break
	sleep 0.1
done

run ip -n peer addr add 10.0.0.2/24 dev mydev1
run ip -n peer link set mydev1 up
run ip -br link show dev mydev0
say "Both ends up: carrier on both (LOWER_UP). From now on each end's IPv6" \
    "also sends frames of its own (step 5)."

qstats=0
"$REPO/tests/qstats.py" mydev0 >/dev/null 2>&1 && qstats=1

heading "Ping from 10.0.0.1 (mydev0) to 10.0.0.2 (mydev1)"
run ping -c 3 10.0.0.2
say "The first reply takes longer: ARP resolves 10.0.0.2 first."

snap=$(stable_counters)
kill -INT "$cap0"
wait "$cap0" || cat "$cap/mydev0.err" >&2

heading "What crossed the pair from mydev0 to mydev1"
echo "\$ tcpdump -p -n -t -Q out -i mydev0    # from mydev0's up to now"
tcpdump -n -t -r "$cap/mydev0.pcap" 2>/dev/null
rm -rf "$cap"
say "Besides ARP and the pings, mydev0's IPv6 sent frames of its own:" \
    "duplicate address detection (a neighbour solicitation to" \
    "ff02::1:ff..), router solicitations (to ff02::2) and MLD reports" \
    "(to ff02::16). mydev1 never joined those multicast groups, so its MAC" \
    "address filter refuses them, as a NIC's filter would. mydev1 sent" \
    "mydev0 the same kinds of frames."
run ip -n peer maddr show dev mydev1
say "The groups mydev1 joined: its filter lets these through, its own" \
    "address and broadcast, and nothing else."

heading "Counters of both ends (ip -s link)"
echo "\$ ip -s link show mydev0"
part "ip mydev0"
echo "\$ ip -n peer -s link show mydev1"
part "ip mydev1"
for d in mydev0:mydev1 mydev1:mydev0; do
	a=${d%%:*} b=${d#*:}
	say "$a sent $(s64 "$a" tx.packets) frames: $b passed" \
	    "$(s64 "$b" rx.packets) to its stack, and its filter refused" \
	    "$(est "$b" rx_filtered) (ethtool -S rx_filtered); dropped" \
	    "$(s64 "$b" rx.dropped), errors $(s64 "$b" rx.errors)."
done
say "Every frame is counted once on each end: what one end sends, the" \
    "other received, filtered, dropped (rx_dropped: frames left in a ring" \
    "when it went away) or found too long (rx_errors). On a clean link" \
    "nothing is dropped: a frame the filter refuses is no drop, since a" \
    "NIC's filter sits before its ring."

heading "The driver's own counters of mydev1 (ethtool -S), those not 0"
echo "\$ ip netns exec peer ethtool -S mydev1 | grep -v ': 0\$'"
part "ethtool mydev1" | grep -v ': 0$'
say "ethtool -S mydev1 has $(part "ethtool mydev1" | grep -c '^ .*:') counters," \
    "most of them 0 on a quiet link: first the device's totals (drop" \
    "reasons, kicks, polls, offloads), then those of each queue in use" \
    "(0 to $((chans - 1))). What moved here:"
say "tx_kicks: each burst mydev1 sent raised mydev0's \"RX interrupt\"," \
    "napi_schedule() of the NAPI of the ring it filled; ping and IPv6" \
    "send one frame at a time, so one kick per frame."
say "rx_polls: the NAPI polls that ran on mydev1's rings; each took every" \
    "frame waiting, up to its budget of 64."
say "rx_filtered, rx_filtered_bytes: the IPv6 multicast of step 5."
say "tx<Q>_*, rx<Q>_*: the same for queue Q. The core hashes each flow to" \
    "a TX queue: ARP, ICMP and IPv6 may each take a different one."

heading "Per queue: what each of the $chans queues carried"
if [ "$qstats" = 1 ]; then
	echo "\$ tests/qstats.py mydev0    # netlink qstats-get, Linux 6.9+"
	part "qstats mydev0" | jq -r '
		(.tx // {} | to_entries[] | "TX queue \(.key): " +
		 "\(.value["tx-packets"]) packets, \(.value["tx-bytes"]) bytes"),
		(.rx // {} | to_entries[] | "RX queue \(.key): " +
		 "\(.value["rx-packets"]) packets, \(.value["rx-bytes"]) bytes")'
	say "This kernel reports each queue's packets and bytes over netlink" \
	    "(qstats, 6.9+), so ethtool -S leaves them out and keeps the rest" \
	    "(kicks, polls, wakes)."
else
	echo "\$ ethtool -S mydev0 | grep -E '(tx|rx)[0-9]+_(packets|bytes)'"
	part "ethtool mydev0" | grep -E '(tx|rx)[0-9]+_(packets|bytes)'
	say "This kernel has no per-queue statistics over netlink (6.9+), so" \
	    "ethtool -S reports each queue's packets and bytes."
fi
say "Only the $chans queues in use are listed. A queue 'ethtool -L'" \
    "takes out of use keeps its counts, and the device's totals keep" \
    "them too."

heading "Unload: both ends disappear, mydev1 from its namespace too"
run rmmod mynetdrv
if ip -n peer link show mydev1 >/dev/null 2>&1; then
	echo "mydev1 still exists!"
	exit 1
fi
run ip -n peer -br link
say "Unloading deletes every pair, in every namespace."
run ip netns del peer

cat <<'EOF'

=== Next ===
Things to try on a pair (on a real host: README.md, "Use it on a real
host"), each documented in Documentation/mynetdrv.rst:

  ethtool -L mydev0 combined 1          fewer channels, live, both ends
                                        (Documentation/mynetdrv.rst, "Channels")
  ethtool -G mydev0 rx 1024             bigger RX rings for mydev0, which
                                        mydev1 fills (Documentation/mynetdrv.rst,
                                        "Rings")
  ethtool -C mydev0 rx-usecs 50 rx-frames 32
                                        interrupt moderation of mydev0: the
                                        kicks of mydev1 become
                                        tx_kicks_deferred, and under load each
                                        of mydev0's rx_polls takes more frames
                                        (Documentation/mynetdrv.rst, "Coalescing")
  tcpdump -p -n -i mydev0               what crosses the pair (-p: without
                                        it the capture opens the MAC filter)
  ethtool -t mydev0                     the loopback self-test
                                        (Documentation/mynetdrv.rst, "Self-test (-t)")
  ip link add left0 type mynetdrv peer name right0
                                        more pairs, with the ip link plugin
                                        (Documentation/mynetdrv.rst, "Creating pairs: ip link")

In the lab, make check runs the test suite (Documentation/lab.rst).
Done: the tour ran without errors.
EOF
