#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 14-ethtool: what ethtool and modinfo report.
#  - ethtool -i: driver "mynetdrv", version = modinfo's version (and
#    /sys/module/mynetdrv/version), bus-info empty;
#  - ethtool link state: no carrier (Speed/Duplex Unknown, Link detected:
#    no) while either end is down, 10000Mb/s Full + link once both are up,
#    back to no link when the peer goes down;
#  - ethtool -S: exactly the driver's counter names, in order: the
#    device totals, then per queue in use (a queue's packets, bytes and
#    stops only before 6.9, where no qstats report them), following
#    ethtool -L; none of the standard rtnl_link_stats64 counters
#    duplicated, and the NAPI/kick counters move with traffic
#    (tx_drop_runt stays 0 here and everywhere: no path from user space
#    hands the driver a frame shorter than 14 bytes, see
#    Documentation/mynetdrv.rst, "Statistics");
#  - ethtool -T: software tx/rx timestamping, no PHC, no hw modes;
#  - modinfo: description, license GPL, version, parm numpairs with a
#    description, alias rtnl-link-mynetdrv.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

NS=t14peer

# The counter set: the device's totals, then per queue in use (see
# expected_stats below).
EXPECTED_STATS="tx_drop_peer_down tx_drop_ring_full tx_drop_runt tx_drop_nomem tx_queue_stops tx_kicks tx_kicks_deferred tx_xmit_more tx_csum_partial tx_gso_packets tx_gso_bytes tx_sg tx_timeouts tx_xdp_xmit tx_xdp_xmit_errors rx_drop_purged rx_drop_purged_bytes rx_filtered rx_filtered_bytes rx_polls rx_peer_queue_wakes rx_gro_merged rx_drop_nomem rx_xdp_packets rx_xdp_bytes rx_xdp_drop rx_xdp_tx rx_xdp_tx_errors rx_xdp_redirect rx_xdp_redirect_errors"
TXQ_STATS="kicks kicks_deferred xmit_more xdp_xmit xdp_xmit_errors"
RXQ_STATS="polls gro_merged wakes xdp_packets xdp_bytes xdp_drop xdp_tx xdp_tx_errors xdp_redirect xdp_redirect_errors"
# expected_stats N: with N channels; a queue's packets, bytes and stops
# only where the kernel has no qstats to report them (before 6.9).
expected_stats() {
	local q s tx=$TXQ_STATS rx=$RXQ_STATS rc=0 out=$EXPECTED_STATS
	python3 "$REPO/tests/qstats.py" mydev0 >/dev/null || rc=$?
	if [ "$rc" -eq 2 ]; then
		tx="packets bytes stops $tx"
		rx="packets bytes $rx"
	fi
	for ((q = 0; q < $1; q++)); do
		for s in $tx; do out+=" tx${q}_$s"; done
		for s in $rx; do out+=" rx${q}_$s"; done
	done
	echo "$out"
}
# What ndo_get_stats64 already reports: must not be repeated in ethtool -S.
STANDARD="rx_packets tx_packets rx_bytes tx_bytes rx_errors tx_errors rx_dropped tx_dropped multicast rx_length_errors"

# Value of "Key: value" from ethtool output $1.
field() { sed -n "s/^[[:space:]]*$2:[[:space:]]*//p" <<<"$1" | head -n1; }

# ------------------------------------------------ modinfo
mi_ver=$(modinfo -F version "$MODULE")
[[ $mi_ver =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "modinfo version '$mi_ver' is not X.Y.Z"
log "ok: modinfo version = $mi_ver"
desc=$(modinfo -F description "$MODULE")
[ ${#desc} -ge 10 ] || fail "modinfo description too short: '$desc'"
log "ok: modinfo description = $desc"
expect_eq "modinfo license" "$(modinfo -F license "$MODULE")" GPL
expect_eq "modinfo alias" "$(modinfo -F alias "$MODULE")" rtnl-link-mynetdrv
parm=$(modinfo -F parm "$MODULE")
expect_eq "modinfo parm count" "$(wc -l <<<"$parm")" 1
[[ $parm =~ ^numpairs:(.{10,})$ ]] || fail "modinfo parm '$parm': no numpairs with a description"
log "ok: modinfo parm = $parm"

mod_load
expect_eq "/sys/module/mynetdrv/version" "$(cat /sys/module/mynetdrv/version)" "$mi_ver"
expect_eq "/sys/module/mynetdrv/parameters/numpairs" "$(cat /sys/module/mynetdrv/parameters/numpairs)" 1

# ------------------------------------------------ ethtool -i
out=$(ethtool -i mydev0)
expect_eq "ethtool -i driver" "$(field "$out" driver)" mynetdrv
expect_eq "ethtool -i version" "$(field "$out" version)" "$mi_ver"
expect_eq "ethtool -i bus-info" "$(field "$out" bus-info)" ""
expect_eq "ethtool -i supports-statistics" "$(field "$out" supports-statistics)" yes

# ------------------------------------------------ link state
check_link() { # DEV NS SPEED DUPLEX LINK
	local out
	if [ -n "$2" ]; then out=$(in_ns "$2" ethtool "$1"); else out=$(ethtool "$1"); fi
	expect_eq "$1 Speed" "$(field "$out" Speed)" "$3"
	expect_eq "$1 Duplex" "$(field "$out" Duplex)" "$4"
	expect_eq "$1 Link detected" "$(field "$out" 'Link detected')" "$5"
}
expect_ok ip netns add "$NS"
expect_ok ip link set mydev1 netns "$NS"
# Both down.
check_link mydev0 "" 'Unknown!' 'Unknown! (255)' no
# Only one end up: still no carrier.
expect_ok ip link set mydev0 up
check_link mydev0 "" 'Unknown!' 'Unknown! (255)' no
check_link mydev1 "$NS" 'Unknown!' 'Unknown! (255)' no
# Both up.
expect_ok ip addr add 10.14.0.1/24 dev mydev0
expect_ok ip -n "$NS" addr add 10.14.0.2/24 dev mydev1
expect_ok ip -n "$NS" link set mydev1 up
check_link mydev0 "" 10000Mb/s Full yes
check_link mydev1 "$NS" 10000Mb/s Full yes

# ------------------------------------------------ ethtool -S
ch=$(cur_channels mydev0)
want=$(expected_stats "$ch")
for dev in mydev0 mydev1; do
	if [ $dev = mydev1 ]; then out=$(in_ns "$NS" ethtool -S $dev); else out=$(ethtool -S $dev); fi
	[ "$(head -n1 <<<"$out")" = "NIC statistics:" ] || fail "ethtool -S $dev: unexpected header"
	got=$(tail -n +2 <<<"$out" | sed 's/^[[:space:]]*//; s/:.*//' | xargs)
	expect_eq "ethtool -S $dev counter names ($ch channels)" "$got" "$want"
	for s in $STANDARD; do
		[[ " $got " == *" $s "* ]] && fail "ethtool -S $dev duplicates standard counter $s"
	done
done
log "ok: no standard counter duplicated in ethtool -S"
expect_eq "ethtool -S count via sset" "$(ethtool -S mydev0 | tail -n +2 | wc -l)" "$(wc -w <<<"$want")"
# The per-queue names follow the channel count.
expect_ok ethtool -L mydev0 combined 3
expect_eq "ethtool -S mydev0 counter names (3 channels)" \
	"$(ethtool -S mydev0 | tail -n +2 | sed 's/^[[:space:]]*//; s/:.*//' | xargs)" \
	"$(expected_stats 3)"
expect_ok ethtool -L mydev0 combined "$ch"

polls0=$(ethtool_stat mydev1 rx_polls "$NS")
kicks0=$(ethtool_stat mydev0 tx_kicks)
expect_ok ping -c 5 -i 0.2 -W 2 10.14.0.2
polls1=$(ethtool_stat mydev1 rx_polls "$NS")
kicks1=$(ethtool_stat mydev0 tx_kicks)
[ $((polls1 - polls0)) -ge 5 ] || fail "mydev1 rx_polls moved by $((polls1 - polls0)) over 5 pings, expected >= 5"
[ $((kicks1 - kicks0)) -ge 5 ] || fail "mydev0 tx_kicks moved by $((kicks1 - kicks0)) over 5 pings, expected >= 5"
log "ok: rx_polls +$((polls1 - polls0)), tx_kicks +$((kicks1 - kicks0)) over 5 pings"
for s in tx_drop_peer_down tx_drop_ring_full tx_drop_runt tx_drop_nomem; do
	expect_eq "mydev0 $s on a healthy pair" "$(ethtool_stat mydev0 $s)" 0
done

# Peer down: link goes away on this end too.
expect_ok ip -n "$NS" link set mydev1 down
check_link mydev0 "" 'Unknown!' 'Unknown! (255)' no

# ------------------------------------------------ ethtool -T
out=$(ethtool -T mydev0)
caps=$(sed -n '/^Capabilities:/,/^PTP/{/^[[:space:]]/p}' <<<"$out" | xargs)
expect_eq "ethtool -T capabilities" "$caps" "software-transmit software-receive software-system-clock"
expect_eq "ethtool -T PTP Hardware Clock" "$(field "$out" 'PTP Hardware Clock')" none
expect_eq "ethtool -T hw tx modes" "$(field "$out" 'Hardware Transmit Timestamp Modes')" none
expect_eq "ethtool -T hw rx filters" "$(field "$out" 'Hardware Receive Filter Modes')" none

mod_unload
