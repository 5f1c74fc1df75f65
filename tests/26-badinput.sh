#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 26-badinput: every knob the driver takes, fed malformed and out-of-range
# values from one table: the numpairs module parameter (insmod, sysfs),
# `ip link add ... type mynetdrv` and `ip link set` attributes (through
# ip and the plugin, and raw netlink for what ip refuses itself), ethtool
# -G/-L/-C/-s/-K over netlink (ethtool 6.1 uses it on every kernel here)
# and over the old SIOCETHTOOL ioctl (tests/ethstate.py), and the ethtool
# operations the driver does not implement.
#
# Each row: category | name | command | ERE its output must match. The
# loop runs the command (stdout and stderr together; for insmod and
# ethtool -s, whose reasons go to the kernel log, also the kernel log lines
# it caused), requires a nonzero exit and the expected message, then takes
# the snapshot again and requires it to be identical to the one before.
# The snapshot, taken without a fork (tests/ethstate.py runs as a
# coprocess, one python for the whole test: forks cost 0.1 s under TCG):
#  - whether mynetdrv is loaded, /sys/module/mynetdrv/parameters/*;
#  - every link of every netns (the init one, $NS), with what `ip -d link
#    show` shows, from the same RTM_GETLINK dump without counters: name,
#    index, flags, mtu and its bounds, operstate, qdisc, txqlen, MAC and
#    broadcast, kind, iflink and link-netnsid, num tx/rx queues, gso/tso/
#    gro sizes, promiscuity, allmulti, carrier and carrier_changes (a bad
#    command must not flap the link either);
#  - for each pair end the rows use (mydev0 mydev1 t26q0 t26q1): its
#    queues in sysfs (real TX and RX counts), and every ethtool GET reply,
#    i.e. what `ethtool DEV`, -k, -g, -l, -c, -a, --show-eee, -T ... show:
#    link info and modes (speed, duplex, autoneg, port), link state,
#    msglevel, WoL, features, rings, channels, coalescing, pause, EEE,
#    timestamping, FEC, private flags.
# Before the rows the snapshot is taken twice: it must be stable. Settings
# of mydev0 are moved off their defaults first (MTU 2000, ring 512, 3
# channels, rx-usecs 50 rx-frames 16, 25000 full, msglvl 0x85, gro off),
# so that a bad value that resets a setting shows; mydev1 keeps its
# defaults. t26q0 <-> t26q1 allocate 4/4 and 2/8 TX/RX queues: 2 channels
# at most. A row that fails is logged with the snapshot's diff, the
# snapshot is taken again as the reference for the next rows, and the test
# fails at the end. After the rows: good values of every knob still work.
#
# Where the driver has no extack (ethtool -s: set_link_ksettings has
# none) the row checks ethtool's "link settings update failed" and the
# driver's kernel log line. Error texts are the same on 6.1, 6.12 and 7
# except where a row says otherwise.
# TIMEOUT: 300
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

require_cmd python3 ethtool

NS=t26ns
DEVS="mydev0 mydev1 t26q0 t26q1"
ETHSTATE=$REPO/tests/ethstate.py

test_cleanup() {
	rm -f /tmp/t26-before /tmp/t26-after /tmp/t26-out "$ES_FILE"
}
trap test_cleanup EXIT

# ------------------------------------------------------------ helpers
ES_FILE=/tmp/t26-ethstate
coproc ETHSTATE { exec python3 "$ETHSTATE" serve "$ES_FILE"; }

# es CMD...: one request to ethstate.py; its answer in ES_OUT (no fork).
ES_OUT=""
es() {
	local line
	echo "$*" >&"${ETHSTATE[1]}"
	if ! IFS= read -r -t 30 line <&"${ETHSTATE[0]}" || [ "$line" != . ]; then
		fail "tests/ethstate.py did not answer '$*'"
	fi
	ES_OUT=""
	IFS= read -r -d '' ES_OUT <"$ES_FILE" || true
}

# es_set CMD...: an ethstate.py ioctl/newlink; its error on stderr and
# status 1 unless it answered "ok".
es_set() {
	es "$@"
	[ "$ES_OUT" = $'ok\n' ] && return 0
	ES_OUT=${ES_OUT%$'\n'}
	echo "${ES_OUT#error: }" >&2
	return 1
}
nl_ioctl() { es_set ioctl "$@"; }
nl_newlink() { es_set newlink "$@"; }

# klog CMD...: run CMD, then print the kernel log lines written meanwhile
# on stderr (after a marker; run.sh ignores lines with "mynetdrv-lab:").
ROW=0
klog() {
	local rc=0 mark="mynetdrv-lab: 26-badinput row $ROW" all
	echo "$mark" >/dev/kmsg
	"$@" || rc=$?
	all=$(dmesg)
	printf '%s\n' "${all##*"$mark"}" >&2
	return "$rc"
}
insmod_bad() { klog insmod "$MODULE" "$@"; }

# param_write NAME VALUE: write a module parameter through sysfs.
param_write() {
	echo "$2" >"/sys/module/mynetdrv/parameters/$1"
}

# ------------------------------------------------------------ snapshot
# snapshot: the state into SNAP, with builtins and ethstate.py only (no
# fork: this runs after every row).
SNAP=""
snapshot() {
	local f v d
	local -a q
	if mod_loaded; then
		SNAP="module loaded"$'\n'
		for f in /sys/module/mynetdrv/parameters/*; do
			read -r v <"$f"
			SNAP+="param ${f##*/}=$v"$'\n'
		done
	else
		SNAP="module not loaded"$'\n'
	fi
	es links
	SNAP+=$ES_OUT
	for d in $DEVS; do
		f=/sys/class/net/$d
		[ -d "$f" ] || continue
		q=("$f"/queues/*)
		SNAP+="$d queues: ${q[*]##*/}"$'\n'
	done
	# shellcheck disable=SC2086 # one word per device
	es state $DEVS
	SNAP+=$ES_OUT
}

BASE=""
baseline() {
	snapshot
	BASE=$SNAP
	snapshot
	if [ "$SNAP" != "$BASE" ]; then
		log_diff
		fail "the snapshot is not stable (diff above)"
	fi
	log "snapshot: $(wc -l <<<"$BASE") lines"
}

# log_diff: log how SNAP differs from BASE.
log_diff() {
	printf '%s' "$BASE" >/tmp/t26-before
	printf '%s' "$SNAP" >/tmp/t26-after
	diff /tmp/t26-before /tmp/t26-after | sed 's/^/#     /' || true
}

# undo_creations: unload the module a failed row of phase "unloaded" may
# have loaded, delete the pairs a failed row may have left (t26x, t26y,
# here or in $NS), so that one failure does not fail the rows after it too
# ("File exists", "name in use").
undo_creations() {
	local d ns
	if [ "$PHASE" = unloaded ] && mod_loaded; then
		log "    unloading mynetdrv, loaded by the failed row"
		rmmod mynetdrv || true
		return 0
	fi
	for ns in "" "$NS"; do
		for d in t26x t26y; do
			if dev_exists "$d" "$ns"; then
				log "    deleting $d${ns:+ in $ns}, left by the failed row"
				ip ${ns:+-n "$ns"} link del "$d" || true
			fi
		done
	done
}

# ------------------------------------------------------------ phases
phase_unloaded() {
	if mod_loaded; then mod_unload; fi
}

phase_loaded() {
	mod_load numpairs=1
	ip netns add "$NS"
	ip_mynetdrv link add t26q0 numtxqueues 4 numrxqueues 4 type mynetdrv \
		peer name t26q1 numtxqueues 2 numrxqueues 8
	quick_ok ip link set mydev0 mtu 2000
	quick_ok ethtool -G mydev0 rx 512
	quick_ok ethtool -L mydev0 combined 3
	quick_ok ethtool -C mydev0 rx-usecs 50 rx-frames 16
	quick_ok ethtool -s mydev0 msglvl 0x85
	quick_ok ethtool -K mydev0 gro off
	quick_ok ip link set mydev0 up
	quick_ok ip link set mydev1 up
	wait_for 5 grep -qx 1 /sys/class/net/mydev0/carrier || fail "mydev0: no carrier"
	# Speed shows only with carrier (else "Unknown!").
	quick_ok ethtool -s mydev0 speed 25000 duplex full autoneg off
}

# ------------------------------------------------------------ the table
# category | name | command | ERE the output must match
# "@phase NAME" runs phase_NAME, then takes the reference snapshot.
# Names of devices a row would create: t26x, t26y (never created).
TABLE=$(cat <<'EOF'
@phase unloaded
module | numpairs above the maximum | insmod_bad numpairs=65 | numpairs=65: must be an integer from 0 to 64
module | numpairs above the maximum, in hex | insmod_bad numpairs=0x41 | numpairs=0x41: must be an integer from 0 to 64
module | numpairs negative | insmod_bad numpairs=-1 | numpairs=-1: must be an integer from 0 to 64
module | numpairs not a number | insmod_bad numpairs=abc | numpairs=abc: must be an integer from 0 to 64
module | numpairs empty | insmod_bad numpairs= | numpairs=: must be an integer from 0 to 64
module | numpairs without a value (core) | insmod_bad numpairs | `' invalid for parameter `numpairs'
module | numpairs 2^32 | insmod_bad numpairs=4294967296 | numpairs=4294967296: must be an integer from 0 to 64
module | numpairs 20 digits | insmod_bad numpairs=99999999999999999999 | numpairs=99999999999999999999: must be an integer
module | numpairs with trailing junk | insmod_bad numpairs=1x | numpairs=1x: must be an integer from 0 to 64
module | numpairs fraction | insmod_bad numpairs=1.5 | numpairs=1\.5: must be an integer from 0 to 64
module | numpairs good then bad | insmod_bad numpairs=1 numpairs=70 | numpairs=70: must be an integer from 0 to 64
@phase loaded
module | numpairs written through sysfs | param_write numpairs 3 | numpairs: Permission denied
module | numpairs bad value through sysfs | param_write numpairs abc | numpairs: Permission denied
link-add | device name in use (core) | ip link add name mydev0 type mynetdrv peer name t26y | File exists
link-add | device index in use (core) | ip link add name t26x index 1 type mynetdrv peer name t26y | File exists
link-add | device name with ':' (core, no extack) | ip link add name x:y type mynetdrv peer name t26y | RTNETLINK answers: Invalid argument
link-add | device name of 16 bytes (netlink) | nl_newlink abcdefghijklmnop t26y | Attribute failed policy validation
link-add | peer name in use | ip link add name t26x type mynetdrv peer name mydev1 | peer name is already in use
link-add | peer name of the loopback | ip link add name t26x type mynetdrv peer name lo | peer name is already in use
link-add | peer name in use in the peer's netns | ip link add name t26x type mynetdrv peer name lo netns $NS | peer name is already in use
link-add | peer name = device name | ip link add name t26x type mynetdrv peer name t26x | peer name must differ from the device name
link-add | peer name of 16 bytes (ip) | ip link add name t26x type mynetdrv peer name abcdefghijklmnop | "name" not a valid ifname
link-add | peer name of 16 bytes (netlink) | nl_newlink t26x abcdefghijklmnop | Attribute failed policy validation
link-add | peer name with '/' (ip) | ip link add name t26x type mynetdrv peer name x/y | "name" not a valid ifname
link-add | peer name with a space (ip) | ip link add name t26x type mynetdrv peer name 'x y' | "name" not a valid ifname
link-add | peer name with ':' | ip link add name t26x type mynetdrv peer name x:y | peer name is not a valid interface name
link-add | peer name with ':' (netlink) | nl_newlink t26x x:y | peer name is not a valid interface name
link-add | peer name '.' | ip link add name t26x type mynetdrv peer name . | peer name is not a valid interface name
link-add | peer name '..' | ip link add name t26x type mynetdrv peer name .. | peer name is not a valid interface name
link-add | peer name template %s | ip link add name t26x type mynetdrv peer name 'x%s' | peer name is not a valid interface name
link-add | peer name template %d%d | ip link add name t26x type mynetdrv peer name 'x%d%d' | peer name is not a valid interface name
link-add | peer name with ':' in the peer's netns | ip link add name t26x type mynetdrv peer name x:y netns $NS | peer name is not a valid interface name
link-add | peer attribute too short (netlink) | nl_newlink t26x t26y peerlen=4 | Attribute failed policy validation
link-add | peer attributes for an existing pair (no changelink) | nl_newlink mydev0 t26y change | Operation not supported
link-add | numtxqueues 0 (core) | ip link add name t26x numtxqueues 0 type mynetdrv peer name t26y | Invalid number of transmit queues
link-add | numrxqueues 0 (core) | ip link add name t26x numrxqueues 0 type mynetdrv peer name t26y | Invalid number of receive queues
link-add | numtxqueues 17 | ip link add name t26x numtxqueues 17 type mynetdrv peer name t26y | at most 16 TX and RX queues
link-add | numrxqueues 17 | ip link add name t26x numrxqueues 17 type mynetdrv peer name t26y | at most 16 TX and RX queues
link-add | numtxqueues 5000 (over the core's 4096 too) | ip link add name t26x numtxqueues 5000 type mynetdrv peer name t26y | at most 16 TX and RX queues
link-add | numtxqueues -1 (ip sends 2^32-1) | ip link add name t26x numtxqueues -1 type mynetdrv peer name t26y | at most 16 TX and RX queues
link-add | numtxqueues 2^32 (ip) | ip link add name t26x numtxqueues 4294967296 type mynetdrv peer name t26y | Invalid "numtxqueues" value
link-add | peer numtxqueues 0 (core) | ip link add name t26x type mynetdrv peer name t26y numtxqueues 0 | Invalid number of transmit queues
link-add | peer numrxqueues 0 (core) | ip link add name t26x type mynetdrv peer name t26y numrxqueues 0 | Invalid number of receive queues
link-add | peer numtxqueues 17 | ip link add name t26x type mynetdrv peer name t26y numtxqueues 17 | at most 16 TX and RX queues
link-add | peer numrxqueues 17 | ip link add name t26x type mynetdrv peer name t26y numrxqueues 17 | at most 16 TX and RX queues
link-add | peer numtxqueues 17 in the peer's netns | ip link add name t26x type mynetdrv peer name t26y netns $NS numtxqueues 17 | at most 16 TX and RX queues
link-add | mtu 67 (core) | ip link add name t26x mtu 67 type mynetdrv peer name t26y | mtu less than device minimum
link-add | mtu 0 (core) | ip link add name t26x mtu 0 type mynetdrv peer name t26y | mtu less than device minimum
link-add | mtu 9001 (core) | ip link add name t26x mtu 9001 type mynetdrv peer name t26y | mtu greater than device maximum
link-add | mtu 2^32-1 (ip) | ip link add name t26x mtu 4294967295 type mynetdrv peer name t26y | Invalid "mtu" value
link-add | mtu 9001, peer named by the kernel | ip link add name t26x mtu 9001 type mynetdrv | mtu greater than device maximum
link-add | peer mtu 67 (core) | ip link add name t26x type mynetdrv peer name t26y mtu 67 | mtu less than device minimum
link-add | peer mtu 9001 (core) | ip link add name t26x type mynetdrv peer name t26y mtu 9001 | mtu greater than device maximum
link-add | peer mtu 9001 in the peer's netns | ip link add name t26x type mynetdrv peer name t26y netns $NS mtu 9001 | mtu greater than device maximum
link-add | multicast MAC | ip link add name t26x address 01:00:5e:00:00:01 type mynetdrv peer name t26y | MAC address must be unicast and not all zeros
link-add | zero MAC | ip link add name t26x address 00:00:00:00:00:00 type mynetdrv peer name t26y | MAC address must be unicast and not all zeros
link-add | broadcast MAC | ip link add name t26x address ff:ff:ff:ff:ff:ff type mynetdrv peer name t26y | MAC address must be unicast and not all zeros
link-add | MAC of 5 bytes | ip link add name t26x address 02:11:22:33:44 type mynetdrv peer name t26y | MAC address must be 6 bytes
link-add | MAC of 7 bytes | ip link add name t26x address 02:11:22:33:44:55:66 type mynetdrv peer name t26y | MAC address must be 6 bytes
link-add | MAC not hex (ip) | ip link add name t26x address zz:11:22:33:44:55 type mynetdrv peer name t26y | "zz" is invalid lladdr
link-add | peer multicast MAC | ip link add name t26x type mynetdrv peer name t26y address 33:33:00:00:00:01 | MAC address must be unicast and not all zeros
link-add | peer zero MAC | ip link add name t26x type mynetdrv peer name t26y address 00:00:00:00:00:00 | MAC address must be unicast and not all zeros
link-add | peer MAC of 5 bytes | ip link add name t26x type mynetdrv peer name t26y address 02:11:22:33:44 | MAC address must be 6 bytes
link-add | peer MAC of 7 bytes | ip link add name t26x type mynetdrv peer name t26y address 02:11:22:33:44:55:66 | MAC address must be 6 bytes
link-add | peer multicast MAC in the peer's netns | ip link add name t26x type mynetdrv peer name t26y netns $NS address 01:00:5e:00:00:01 | MAC address must be unicast and not all zeros
link-add | peer broadcast address of 5 bytes (core, no extack) | ip link add name t26x type mynetdrv peer name t26y broadcast 02:11:22:33:44 | RTNETLINK answers: Invalid argument
link-add | peer netns that does not exist (ip) | ip link add name t26x type mynetdrv peer name t26y netns t26none | Invalid "netns" value
link-add | peer netns of no process (core) | ip link add name t26x type mynetdrv peer name t26y netns 999999 | No such process
link-add | netns of no process (core) | ip link add name t26x netns 999999 type mynetdrv peer name t26y | No such process
link-add | link-netnsid unknown (core) | ip link add name t26x link-netnsid 99 type mynetdrv peer name t26y | Unknown network namespace id
link-add | peer index in use | ip link add name t26x type mynetdrv peer name t26y index 1 | peer ifindex is already in use
link-add | peer index = device index | ip link add name t26x index 5000 type mynetdrv peer name t26y index 5000 | peer ifindex must differ from the device's
link-add | peer index negative (ip) | ip link add name t26x type mynetdrv peer name t26y index -1 | Invalid "index" value
link-add | peer index negative (netlink, core) | nl_newlink t26x t26y peerindex=-1 | ifindex can't be negative
link-add | unknown word after "type mynetdrv" (plugin) | ip link add name t26x type mynetdrv bogus | unknown argument "bogus"
link-add | "type" again in the peer's options (ip) | ip link add name t26x type mynetdrv peer name t26y type veth | duplicate "type"
link-set | mtu 67 (core) | ip link set dev mydev0 mtu 67 | mtu less than device minimum
link-set | mtu 0 (core) | ip link set dev mydev0 mtu 0 | mtu less than device minimum
link-set | mtu 9001 (core) | ip link set dev mydev0 mtu 9001 | mtu greater than device maximum
link-set | mtu 2^32 (ip) | ip link set dev mydev0 mtu 4294967296 | Invalid "mtu" value
link-set | peer end mtu 67 (core) | ip link set dev mydev1 mtu 67 | mtu less than device minimum
link-set | peer end mtu 9001 (core) | ip link set dev mydev1 mtu 9001 | mtu greater than device maximum
link-set | multicast MAC | ip link set dev mydev0 address 01:00:5e:00:00:01 | Cannot assign requested address
link-set | zero MAC | ip link set dev mydev0 address 00:00:00:00:00:00 | Cannot assign requested address
link-set | broadcast MAC | ip link set dev mydev0 address ff:ff:ff:ff:ff:ff | Cannot assign requested address
link-set | peer end multicast MAC | ip link set dev mydev1 address 03:11:22:33:44:55 | Cannot assign requested address
link-set | MAC of 5 bytes (ip) | ip link set dev mydev0 address 02:11:22:33:44 | Invalid address length 5 - must be 6 bytes
link-set | MAC of 7 bytes (ip) | ip link set dev mydev0 address 02:11:22:33:44:55:66 | Invalid address length 7 - must be 6 bytes
link-set | netns of no process (core) | ip link set dev mydev0 netns 999999 | No such process
rings | rx 0 | ethtool -G mydev0 rx 0 | mynetdrv: RX ring size must be a power of two from 64 to 4096
rings | rx 32 (below the minimum) | ethtool -G mydev0 rx 32 | mynetdrv: RX ring size must be a power of two from 64 to 4096
rings | rx 63 | ethtool -G mydev0 rx 63 | mynetdrv: RX ring size must be a power of two from 64 to 4096
rings | rx 100 (not a power of two) | ethtool -G mydev0 rx 100 | mynetdrv: RX ring size must be a power of two from 64 to 4096
rings | rx 1000 | ethtool -G mydev0 rx 1000 | mynetdrv: RX ring size must be a power of two from 64 to 4096
rings | rx 4097 (core) | ethtool -G mydev0 rx 4097 | requested ring size exceeds maximum
rings | rx 8192 (core) | ethtool -G mydev0 rx 8192 | requested ring size exceeds maximum
rings | rx 2^32-1 (core) | ethtool -G mydev0 rx 4294967295 | requested ring size exceeds maximum
rings | rx 2^32 (ethtool) | ethtool -G mydev0 rx 4294967296 | invalid value '4294967296' for parameter 'rx'
rings | rx -1 (ethtool) | ethtool -G mydev0 rx -1 | invalid value '-1' for parameter 'rx'
rings | rx abc (ethtool) | ethtool -G mydev0 rx abc | invalid value 'abc' for parameter 'rx'
rings | tx 512: no TX ring (core) | ethtool -G mydev0 tx 512 | requested ring size exceeds maximum
rings | tx 1 (core) | ethtool -G mydev0 tx 1 | requested ring size exceeds maximum
rings | rx-mini 1 (core) | ethtool -G mydev0 rx-mini 1 | requested ring size exceeds maximum
rings | rx-jumbo 1 (core) | ethtool -G mydev0 rx-jumbo 1 | requested ring size exceeds maximum
rings | rx-buf-len (core) | ethtool -G mydev0 rx-buf-len 2048 | setting rx buf len not supported
rings | cqe-size (core) | ethtool -G mydev0 cqe-size 64 | setting cqe size not supported
rings | tx-push (core) | ethtool -G mydev0 tx-push on | setting tx push not supported
rings | good rx with a bad tx | ethtool -G mydev0 rx 1024 tx 512 | requested ring size exceeds maximum
rings | peer end rx 100 | ethtool -G mydev1 rx 100 | mynetdrv: RX ring size must be a power of two from 64 to 4096
rings | rx 100 on a device down | ethtool -G t26q0 rx 100 | mynetdrv: RX ring size must be a power of two from 64 to 4096
rings | rx 100 (ioctl) | nl_ioctl mydev0 ring rx_pending=100 | ETHTOOL_SRINGPARAM: Invalid argument
rings | rx 0 (ioctl) | nl_ioctl mydev0 ring rx_pending=0 | ETHTOOL_SRINGPARAM: Invalid argument
rings | rx 8192 (ioctl, core) | nl_ioctl mydev0 ring rx_pending=8192 | ETHTOOL_SRINGPARAM: Invalid argument
rings | tx 512 (ioctl, core) | nl_ioctl mydev0 ring tx_pending=512 | ETHTOOL_SRINGPARAM: Invalid argument
channels | combined 0 (core) | ethtool -L mydev0 combined 0 | requested channel counts would result in no RX or TX channel being configured
channels | combined 17 (core) | ethtool -L mydev0 combined 17 | requested channel count exceeds maximum
channels | combined 2^32-1 (core) | ethtool -L mydev0 combined 4294967295 | requested channel count exceeds maximum
channels | rx 1: combined only (core) | ethtool -L mydev0 rx 1 | requested channel count exceeds maximum
channels | tx 1 (core) | ethtool -L mydev0 tx 1 | requested channel count exceeds maximum
channels | other 1 (core) | ethtool -L mydev0 other 1 | requested channel count exceeds maximum
channels | rx 1 tx 1 combined 0 (core) | ethtool -L mydev0 combined 0 rx 1 tx 1 | requested channel count exceeds maximum
channels | combined abc (ethtool) | ethtool -L mydev0 combined abc | invalid value 'abc' for parameter 'combined'
channels | peer end combined 17 (core) | ethtool -L mydev1 combined 17 | requested channel count exceeds maximum
channels | combined 3 with 4 queues here, 2 TX at the peer (core) | ethtool -L t26q0 combined 3 | requested channel count exceeds maximum
channels | combined 3 with 2 TX queues (core) | ethtool -L t26q1 combined 3 | requested channel count exceeds maximum
channels | combined 0 (ioctl, core) | nl_ioctl mydev0 channels combined_count=0 | ETHTOOL_SCHANNELS: Invalid argument
channels | combined 17 (ioctl, core) | nl_ioctl mydev0 channels combined_count=17 | ETHTOOL_SCHANNELS: Invalid argument
channels | rx 1 (ioctl, core) | nl_ioctl mydev0 channels rx_count=1 | ETHTOOL_SCHANNELS: Invalid argument
coalesce | rx-usecs 10001 | ethtool -C mydev0 rx-usecs 10001 | mynetdrv: rx-usecs must be at most 10000
coalesce | rx-usecs 2^32-1 | ethtool -C mydev0 rx-usecs 4294967295 | mynetdrv: rx-usecs must be at most 10000
coalesce | rx-frames 4097 | ethtool -C mydev0 rx-frames 4097 | mynetdrv: rx-frames must be at most 4096
coalesce | rx-usecs 0 rx-frames 0 | ethtool -C mydev0 rx-usecs 0 rx-frames 0 | mynetdrv: rx-usecs and rx-frames cannot both be 0
coalesce | peer end rx-frames 0 with rx-usecs 0 | ethtool -C mydev1 rx-frames 0 | mynetdrv: rx-usecs and rx-frames cannot both be 0
coalesce | good rx-usecs with a bad rx-frames | ethtool -C mydev0 rx-usecs 10 rx-frames 4097 | mynetdrv: rx-frames must be at most 4096
coalesce | good rx-usecs with tx-usecs (core) | ethtool -C mydev0 rx-usecs 10 tx-usecs 5 | cannot modify an unsupported parameter
coalesce | tx-frames (core) | ethtool -C mydev0 tx-frames 5 | cannot modify an unsupported parameter
coalesce | adaptive-rx (core) | ethtool -C mydev0 adaptive-rx on | cannot modify an unsupported parameter
coalesce | adaptive-tx (core) | ethtool -C mydev0 adaptive-tx on | cannot modify an unsupported parameter
coalesce | rx-usecs-irq (core) | ethtool -C mydev0 rx-usecs-irq 1 | cannot modify an unsupported parameter
coalesce | rx-frames-irq (core) | ethtool -C mydev0 rx-frames-irq 1 | cannot modify an unsupported parameter
coalesce | stats-block-usecs (core) | ethtool -C mydev0 stats-block-usecs 1 | cannot modify an unsupported parameter
coalesce | pkt-rate-low (core) | ethtool -C mydev0 pkt-rate-low 1 | cannot modify an unsupported parameter
coalesce | rx-usecs-high (core) | ethtool -C mydev0 rx-usecs-high 1 | cannot modify an unsupported parameter
coalesce | sample-interval (core) | ethtool -C mydev0 sample-interval 1 | cannot modify an unsupported parameter
coalesce | cqe-mode-rx (core) | ethtool -C mydev0 cqe-mode-rx on | cannot modify an unsupported parameter
coalesce | rx-usecs -1 (ethtool) | ethtool -C mydev0 rx-usecs -1 | invalid value '-1' for parameter 'rx-usecs'
coalesce | per-queue coalescing (core) | ethtool -Q mydev0 queue_mask 1 --coalesce rx-usecs 5 | Cannot get device per queue parameters: Operation not supported
coalesce | rx-usecs 10001 (ioctl) | nl_ioctl mydev0 coalesce rx_coalesce_usecs=10001 | ETHTOOL_SCOALESCE: Invalid argument
coalesce | rx-frames 4097 (ioctl) | nl_ioctl mydev0 coalesce rx_max_coalesced_frames=4097 | ETHTOOL_SCOALESCE: Invalid argument
coalesce | rx-usecs 0 rx-frames 0 (ioctl) | nl_ioctl mydev0 coalesce rx_coalesce_usecs=0 rx_max_coalesced_frames=0 | ETHTOOL_SCOALESCE: Invalid argument
coalesce | tx-usecs (ioctl, core) | nl_ioctl mydev0 coalesce tx_coalesce_usecs=5 | ETHTOOL_SCOALESCE: Operation not supported
coalesce | adaptive-rx (ioctl, core) | nl_ioctl mydev0 coalesce use_adaptive_rx_coalesce=1 | ETHTOOL_SCOALESCE: Operation not supported
settings | speed 12345 | klog ethtool -s mydev0 speed 12345 duplex full autoneg off | link settings update failed(.|\n)*mydev0: unsupported speed 12345 duplex 1
settings | speed 0 | klog ethtool -s mydev0 speed 0 | link settings update failed(.|\n)*mydev0: unsupported speed 0 duplex 1
settings | speed 2500 | klog ethtool -s mydev0 speed 2500 | link settings update failed(.|\n)*mydev0: unsupported speed 2500 duplex 1
settings | speed 200000 | klog ethtool -s mydev0 speed 200000 | link settings update failed(.|\n)*mydev0: unsupported speed 200000 duplex 1
settings | half duplex at 10000 | klog ethtool -s mydev0 speed 10000 duplex half autoneg off | link settings update failed(.|\n)*mydev0: unsupported speed 10000 duplex 0
settings | half duplex at 40000 | klog ethtool -s mydev0 speed 40000 duplex half | link settings update failed(.|\n)*mydev0: unsupported speed 40000 duplex 0
settings | half duplex at 100000 | klog ethtool -s mydev0 speed 100000 duplex half | link settings update failed(.|\n)*mydev0: unsupported speed 100000 duplex 0
settings | half duplex at the current 25000 | klog ethtool -s mydev0 duplex half | link settings update failed(.|\n)*mydev0: unsupported speed 25000 duplex 0
settings | autoneg on | klog ethtool -s mydev0 autoneg on | link settings update failed(.|\n)*mydev0: autonegotiation is not supported
settings | autoneg on with a speed | klog ethtool -s mydev0 speed 1000 duplex full autoneg on | link settings update failed(.|\n)*mydev0: autonegotiation is not supported
settings | advertise | klog ethtool -s mydev0 advertise 0x1 | link settings update failed(.|\n)*mydev0: no link modes are advertised
settings | port tp | klog ethtool -s mydev0 port tp | link settings update failed(.|\n)*mydev0: port cannot be set
settings | port fibre | klog ethtool -s mydev0 port fibre | link settings update failed(.|\n)*mydev0: port cannot be set
settings | phyad 1 | klog ethtool -s mydev0 phyad 1 | link settings update failed(.|\n)*mydev0: PHY address cannot be set
settings | mdix on | klog ethtool -s mydev0 mdix on | link settings update failed(.|\n)*mydev0: MDI-X cannot be set
settings | mdix auto | klog ethtool -s mydev0 mdix auto | link settings update failed(.|\n)*mydev0: MDI-X cannot be set
settings | lanes (core) | ethtool -s mydev0 lanes 2 | lanes configuration not supported by device
settings | master-slave (core) | ethtool -s mydev0 master-slave preferred-master | master/slave configuration not supported by device
settings | wol (core) | ethtool -s mydev0 wol g | netlink error: Operation not supported
settings | sopass (core) | ethtool -s mydev0 sopass 01:02:03:04:05:06 | netlink error: Operation not supported
settings | msglvl bit 15 (core) | ethtool -s mydev0 msglvl 0x8000 | cannot modify bits past kernel bitset size
settings | msglvl 2^32 (core) | ethtool -s mydev0 msglvl 0x100000000 | cannot modify bits past kernel bitset size
settings | speed abc (ethtool) | ethtool -s mydev0 speed abc | invalid value 'abc' for parameter 'speed'
settings | duplex foo (ethtool) | ethtool -s mydev0 duplex foo | invalid value 'foo' for parameter 'duplex'
settings | xcvr (ethtool) | ethtool -s mydev0 xcvr internal | deprecated parameter 'xcvr' not supported by kernel
settings | speed 12345 (ioctl) | klog nl_ioctl mydev0 settings speed=12345 | ETHTOOL_SSET: Invalid argument(.|\n)*mydev0: unsupported speed 12345 duplex 1
settings | half duplex at 25000 (ioctl) | klog nl_ioctl mydev0 settings duplex=0 | ETHTOOL_SSET: Invalid argument(.|\n)*mydev0: unsupported speed 25000 duplex 0
settings | autoneg on (ioctl) | klog nl_ioctl mydev0 settings autoneg=1 | ETHTOOL_SSET: Invalid argument(.|\n)*mydev0: autonegotiation is not supported
settings | advertise (ioctl) | klog nl_ioctl mydev0 settings advertising=1 | ETHTOOL_SSET: Invalid argument(.|\n)*mydev0: no link modes are advertised
settings | port tp (ioctl) | klog nl_ioctl mydev0 settings port=0 | ETHTOOL_SSET: Invalid argument(.|\n)*mydev0: port cannot be set
settings | phyad 1 (ioctl) | klog nl_ioctl mydev0 settings phy_address=1 | ETHTOOL_SSET: Invalid argument(.|\n)*mydev0: PHY address cannot be set
settings | mdix auto (ioctl) | klog nl_ioctl mydev0 settings eth_tp_mdix_ctrl=3 | ETHTOOL_SSET: Invalid argument(.|\n)*mydev0: MDI-X cannot be set
settings | maxtxpkt (ioctl, core) | nl_ioctl mydev0 settings maxtxpkt=1 | ETHTOOL_SSET: Invalid argument
features | rx-vlan-offload (fixed) | ethtool -K mydev0 rx-vlan-offload on | Could not change any device features
features | tx-vlan-offload (fixed) | ethtool -K mydev0 tx-vlan-offload on | Could not change any device features
features | ntuple (fixed) | ethtool -K mydev0 ntuple on | Could not change any device features
features | rxhash (fixed) | ethtool -K mydev0 rxhash on | Could not change any device features
features | loopback (fixed) | ethtool -K mydev0 loopback on | Could not change any device features
features | tx-checksum-ipv4 (fixed off: HW_CSUM) | ethtool -K mydev0 tx-checksum-ipv4 on | Could not change any device features
features | rx-fcs (fixed) | ethtool -K mydev0 rx-fcs on | Could not change any device features
features | rx-gro-hw (fixed) | ethtool -K mydev0 rx-gro-hw on | Could not change any device features
features | lro (fixed) | ethtool -K mydev0 lro on | Could not change any device features
features | hw-tc-offload (fixed) | ethtool -K mydev0 hw-tc-offload on | Could not change any device features
features | unknown feature (core) | ethtool -K mydev0 bogus on | bit name not found
unsupported | pause | ethtool -A mydev0 autoneg off rx on | netlink error: Operation not supported
unsupported | EEPROM write (none: length 0) | ethtool -E mydev0 magic 0 offset 0 value 0 | offset & length out of bounds
unsupported | EEPROM read | ethtool -e mydev0 | Cannot get EEPROM data: Operation not supported
unsupported | EEE | ethtool --set-eee mydev0 eee on | netlink error: Operation not supported
unsupported | FEC | ethtool --set-fec mydev0 encoding rs | netlink error: Operation not supported
unsupported | flow rules | ethtool -U mydev0 flow-type tcp4 action 1 | Cannot get RX class rule count: Operation not supported
unsupported | RSS indirection | ethtool -X mydev0 equal 2 | Operation not supported
unsupported | private flags | ethtool --set-priv-flags mydev0 foo on | netlink error: Operation not supported
unsupported | dump flag | ethtool -W mydev0 1 | Can not set dump level: Operation not supported
unsupported | restart autonegotiation | ethtool -r mydev0 | Cannot restart autonegotiation: Operation not supported
unsupported | PHY tunable | ethtool --set-phy-tunable mydev0 downshift on | Operation not supported
unsupported | tunable | ethtool --set-tunable mydev0 rx-copybreak 1 | rx-copybreak: Operation not supported
unsupported | reset | ethtool --reset mydev0 phy | Cannot issue ETHTOOL_RESET: Operation not supported
unsupported | module power mode (core) | ethtool --set-module mydev0 power-mode-policy high | not supported by this device|Operation not supported
unsupported | identify | ethtool -p mydev0 1 | Cannot identify NIC: Operation not supported
EOF
)

# ------------------------------------------------------------ the loop
PHASE=""
declare -A cat_rows cat_failed
failed_rows=()
us_cmd=0
us_snap=0
while IFS= read -r line; do
	case $line in
	'' | '#'*) continue ;;
	'@phase '*)
		PHASE=${line#@phase }
		log "=== phase $PHASE (t=${SECONDS}s)"
		"phase_$PHASE"
		baseline
		continue
		;;
	esac
	ROW=$((ROW + 1))
	category=${line%% | *}
	rest=${line#* | }
	name=${rest%% | *}
	rest=${rest#* | }
	cmd=${rest%% | *}
	re=${rest#* | }
	cat_rows[$category]=$((${cat_rows[$category]:-0} + 1))

	# In this shell (no subshell to fork), output through a file.
	rc=0
	t0=${EPOCHREALTIME/./}
	eval "$cmd" >/tmp/t26-out 2>&1 </dev/null || rc=$?
	t1=${EPOCHREALTIME/./}
	out=""
	IFS= read -r -d '' out </tmp/t26-out || true
	why=""
	matched=""
	if [[ $out =~ $re ]]; then
		matched=${BASH_REMATCH[0]//$'\n'/ / }
	else
		why="output does not match /$re/"
	fi
	if [ "$rc" -eq 0 ]; then
		why="exit 0${why:+, $why}"
	fi
	snapshot
	t2=${EPOCHREALTIME/./}
	us_cmd=$((us_cmd + t1 - t0))
	us_snap=$((us_snap + t2 - t1))
	[ "$SNAP" = "$BASE" ] || why+="${why:+; }state changed"
	if [ -z "$why" ]; then
		log "ok $ROW $category: $name: exit $rc: ${matched:0:200}"
		continue
	fi
	log "FAIL $ROW $category: $name: $why"
	log "    $cmd -> exit $rc: ${out//$'\n'/ / }"
	failed_rows+=("$ROW")
	cat_failed[$category]=$((${cat_failed[$category]:-0} + 1))
	if [ "$SNAP" != "$BASE" ]; then
		log "    state before (<) and after (>):"
		log_diff
		undo_creations
		snapshot
		BASE=$SNAP
	fi
done <<<"$TABLE"

summary=""
for c in module link-add link-set rings channels coalesce settings features unsupported; do
	summary+=" $c ${cat_rows[$c]:-0}${cat_failed[$c]:+ (${cat_failed[$c]} failed)}"
done
log "$ROW rows:$summary"
log "time: commands $((us_cmd / 1000)) ms, snapshots $((us_snap / 1000)) ms, total ${SECONDS}s"
[ "${#failed_rows[@]}" -eq 0 ] ||
	fail "${#failed_rows[@]} of $ROW rows failed: ${failed_rows[*]}"

# ------------------------------------------------------------ still usable
# The knobs still take good values: a row cannot have passed only because
# the device refuses everything.
quick_ok ethtool -G mydev0 rx 1024
quick_ok ethtool -L mydev0 combined 2
quick_ok ethtool -C mydev0 rx-usecs 20 rx-frames 8
quick_ok ethtool -s mydev0 speed 1000 duplex half autoneg off
quick_ok ip link set dev mydev0 mtu 9000 address 02:26:00:00:00:01
quick_ok ip_mynetdrv link add name t26x type mynetdrv peer name t26y index 4000
expect_eq "t26y ifindex" "$(</sys/class/net/t26y/ifindex)" 4000
quick_ok ip link del t26x
es state mydev0
while IFS= read -r line; do
	case $line in
	*" rings "* | *" channels "* | *" coalesce "* | *" linkmodes "*) log "$line" ;;
	esac
done <<<"$ES_OUT"
quick_ok ip link del t26q0
mod_unload
