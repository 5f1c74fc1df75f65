#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 10-iplink: "ip link add NAME type mynetdrv peer name PEER [opts]", the
# iproute2 plugin and the driver's rtnl_link_ops, veth semantics:
#  - both ends appear, kind "mynetdrv", each one's iflink is the other's
#    ifindex ("link" in ip -j), random unicast MACs that differ;
#  - traffic flows across the pair with the ends in two netns;
#  - "ip link del" of either end (dev or peer, even from inside a netns)
#    removes both;
#  - "peer name X netns NS" creates X directly in NS (link-netnsid shown on
#    both sides), and the same name may then be reused in the other netns;
#  - without "peer" the kernel names the peer from the mydev%d template;
#  - peer and dev "address"/"mtu" are honoured, MTU 68 and 9000 accepted;
#  - bad input fails with the kernel's specific extack message (or the
#    plugin's) and leaves NOTHING behind: no device of either name, no
#    mydev%d, no device in the target netns: name taken (dev / peer /
#    peer == dev), multicast and zero MAC (dev / peer), MTU 67 and 9001
#    (dev / peer), numtxqueues/numrxqueues 17, "type mynetdrv bogus";
#  - "ip link add ... type mynetdrv" autoloads the module through its
#    "rtnl-link-mynetdrv" alias (depmod'ed from the .ko, see autoload()).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

NSL=t10left
NSR=t10right
NSP=t10peer

# Number of mynetdrv devices in the init netns (or in netns $1).
count_kind() {
	local -a nsa=()
	[ -n "${1:-}" ] && nsa=(-n "$1")
	ip "${nsa[@]}" -d -j link show | jq '[.[] | select(.linkinfo.info_kind == "mynetdrv")] | length'
}

# Field of one device in ip -d -j: jqfield DEV JQPATH [NETNS]
jqfield() {
	local -a nsa=()
	[ -n "${3:-}" ] && nsa=(-n "$3")
	ip "${nsa[@]}" -d -j link show dev "$1" | jq -r ".[0]$2 // \"none\""
}

in_ns_opt() {
	local ns=$1
	shift
	if [ -n "$ns" ]; then in_ns "$ns" "$@"; else "$@"; fi
}

# bad_add REGEX NSTOO -- ip ARGS...
# The command must fail, its stderr must match REGEX (case-insensitive),
# and afterwards the set of links in the init netns (and in netns NSTOO,
# if given) must be exactly what it was before: no device of either name,
# no mydev%d, nothing half-created.
bad_add() {
	local re=$1 ns=$2 err rc=0 before bns="" after ans=""
	shift 3
	before=$(link_names)
	[ -n "$ns" ] && bns=$(link_names "$ns")
	err=$(ip "$@" 2>&1 >/dev/null) || rc=$?
	[ "$rc" -ne 0 ] || fail "ip $* succeeded, expected it to fail"
	shopt -s nocasematch
	[[ $err =~ $re ]] || fail "ip $*: stderr '${err//$'\n'/ }' does not match /$re/"
	shopt -u nocasematch
	log "ok: ip $* -> exit $rc: ${err%%$'\n'*}"
	after=$(link_names)
	[ -n "$ns" ] && ans=$(link_names "$ns")
	[ "$after" = "$before" ] ||
		fail "ip $*: links in init netns changed: before [$before] after [$after]"
	[ "$ans" = "$bns" ] ||
		fail "ip $*: links in netns $ns changed: before [$bns] after [$ans]"
	return 0
}

# Checks that DEV (in netns DNS) and PEER (in netns PNS) are the two ends
# of one pair: kind mynetdrv, iflink of each = ifindex of the other.
check_pair() {
	local dev=$1 dns=$2 peer=$3 pns=$4 dk di dl pk pi pl
	local info
	info=$(endinfo "$dev" "$dns")
	read -r dk di dl <<<"$info"
	info=$(endinfo "$peer" "$pns")
	read -r pk pi pl <<<"$info"
	expect_eq "$dev kind" "$dk" mynetdrv
	expect_eq "$peer kind" "$pk" mynetdrv
	expect_eq "$dev iflink (= $peer ifindex)" "$dl" "$pi"
	expect_eq "$peer iflink (= $dev ifindex)" "$pl" "$di"
}

# "kind ifindex iflink" of DEV in netns NS ("" = init netns).
endinfo() {
	local kind iflink
	kind=$(jqfield "$1" .linkinfo.info_kind "$2")
	if [ -n "$2" ]; then
		iflink=$(in_ns "$2" cat "/sys/class/net/$1/ifindex" "/sys/class/net/$1/iflink")
	else
		iflink=$(<"/sys/class/net/$1/ifindex")$'\n'$(<"/sys/class/net/$1/iflink")
	fi
	echo "$kind ${iflink//$'\n'/ }"
}

# ------------------------------------------------ module autoload via alias
# modprobe only finds out-of-tree modules listed in a modules.dep. A full
# "depmod -a" of the guest's /lib/modules takes minutes under TCG, so the
# .ko goes into a private module tree (-b BASE) that depmod indexes in a
# second - modules.alias there comes from the module's own
# MODULE_ALIAS_RTNL_LINK - and the kernel's modprobe helper is pointed at
# a wrapper that adds "-d BASE". Everything is restored on exit.
autoload() {
	local kver base wrap old_helper
	kver=$(uname -r)
	base=$(mktemp -d)
	mkdir -p "$base/lib/modules/$kver/extra"
	cp "$MODULE" "$base/lib/modules/$kver/extra/mynetdrv.ko"
	cp "/lib/modules/$kver/modules.order" "/lib/modules/$kver/modules.builtin" \
		"/lib/modules/$kver/modules.builtin.modinfo" "$base/lib/modules/$kver/" 2>/dev/null || true
	depmod -b "$base" "$kver" || fail "depmod -b $base failed"
	grep -qx 'alias rtnl-link-mynetdrv mynetdrv' "$base/lib/modules/$kver/modules.alias" ||
		fail "depmod found no 'alias rtnl-link-mynetdrv mynetdrv' in the module"
	log "ok: depmod indexed alias rtnl-link-mynetdrv"
	wrap=$base/modprobe
	printf '#!/bin/sh\nexec /sbin/modprobe -d %s "$@"\n' "$base" >"$wrap"
	chmod 755 "$wrap"
	old_helper=$(cat /proc/sys/kernel/modprobe)
	# shellcheck disable=SC2064 # expand now: restore these values
	trap "echo '$old_helper' >/proc/sys/kernel/modprobe; rm -rf '$base'" EXIT
	echo "$wrap" >/proc/sys/kernel/modprobe

	mod_loaded && fail "mynetdrv loaded before the autoload check"
	expect_ok ip link add name auto0 type mynetdrv peer name auto1
	mod_loaded || fail "ip link add did not load mynetdrv"
	check_pair auto0 "" auto1 ""
	# numpairs defaults to 1: module load also made mydev0/mydev1.
	expect_eq "mynetdrv devices after autoload" "$(count_kind)" 4
	expect_ok ip link del auto0
	mod_unload
	echo "$old_helper" >/proc/sys/kernel/modprobe
	rm -rf "$base"
	trap - EXIT
}

autoload

# ------------------------------------------------ basic create / delete
mod_load numpairs=0
expect_eq "mynetdrv devices at start (numpairs=0)" "$(count_kind)" 0

expect_ok ip link add name left0 type mynetdrv peer name right0
check_pair left0 "" right0 ""
expect_eq "left0 link (ip -j)" "$(jqfield left0 .link)" right0
expect_eq "right0 link (ip -j)" "$(jqfield right0 .link)" left0
expect_eq "mynetdrv devices" "$(count_kind)" 2
lmac=$(jqfield left0 .address)
rmac=$(jqfield right0 .address)
[ "$lmac" != "$rmac" ] || fail "both ends got the same MAC $lmac"
for mac in "$lmac" "$rmac"; do
	# Random MACs: locally administered (bit 1), unicast (bit 0 clear).
	o=$((16#${mac%%:*}))
	expect_eq "MAC $mac unicast+local bits" "$((o & 3))" 2
done

# Traffic across two netns.
expect_ok ip netns add "$NSL"
expect_ok ip netns add "$NSR"
expect_ok ip link set left0 netns "$NSL"
expect_ok ip link set right0 netns "$NSR"
check_pair left0 "$NSL" right0 "$NSR"
expect_ok ip -n "$NSL" addr add 10.10.0.1/24 dev left0
expect_ok ip -n "$NSR" addr add 10.10.0.2/24 dev right0
expect_ok ip -n "$NSL" link set left0 up
expect_ok ip -n "$NSR" link set right0 up
rx0=$(link_stat right0 rx_packets "$NSR")
expect_ok in_ns "$NSL" ping -c 3 -i 0.2 -W 2 10.10.0.2
rx1=$(link_stat right0 rx_packets "$NSR")
[ $((rx1 - rx0)) -ge 3 ] || fail "right0 received $((rx1 - rx0)) frames during ping, expected >= 3"
log "ok: right0 received $((rx1 - rx0)) frames during ping"

# Delete the dev end from inside its netns: both ends go.
expect_ok ip -n "$NSL" link del left0
dev_exists left0 "$NSL" && fail "left0 survived its deletion"
dev_exists right0 "$NSR" && fail "right0 survived deletion of its peer left0"
expect_eq "mynetdrv devices in $NSR" "$(count_kind "$NSR")" 0

# Delete the peer end: both ends go.
expect_ok ip link add name left0 type mynetdrv peer name right0
expect_ok ip link del right0
dev_exists right0 && fail "right0 survived its deletion"
dev_exists left0 && fail "left0 survived deletion of its peer right0"
expect_eq "mynetdrv devices" "$(count_kind)" 0

# ------------------------------------------------ peer created in a netns
expect_ok ip netns add "$NSP"
expect_ok ip link add name left1 type mynetdrv peer name right1 netns "$NSP"
dev_exists right1 && fail "right1 was created in the init netns"
dev_exists right1 "$NSP" || fail "right1 is not in netns $NSP"
check_pair left1 "" right1 "$NSP"
nsid_p=$(ip -j netns list | jq -r --arg n "$NSP" '.[] | select(.name == $n) | .id')
[[ -n "$nsid_p" && "$nsid_p" != null ]] || fail "no nsid for $NSP in the init netns"
expect_eq "left1 link_netnsid (= nsid of $NSP)" "$(jqfield left1 .link_netnsid)" "$nsid_p"
nsid_init=$(ip -n "$NSP" -j netns list-id | jq -r '.[0].nsid')
expect_eq "right1 link_netnsid (= nsid of init netns in $NSP)" \
	"$(jqfield right1 .link_netnsid "$NSP")" "$nsid_init"
# The name is free in the init netns, so the peer may take it there, and
# a dev may share its peer's name when the peer lives in another netns.
expect_ok ip link add name right1 type mynetdrv peer name same1 netns "$NSP"
check_pair right1 "" same1 "$NSP"
expect_ok ip link add name same2 type mynetdrv peer name same2 netns "$NSP"
check_pair same2 "" same2 "$NSP"
expect_ok ip link del same2
dev_exists same2 "$NSP" && fail "same2 in $NSP survived deletion of its peer"
expect_ok ip link del right1
expect_ok ip link del left1
expect_eq "mynetdrv devices" "$(count_kind)" 0
expect_eq "mynetdrv devices in $NSP" "$(count_kind "$NSP")" 0

# ------------------------------------------------ no "peer": mydev%d
expect_ok ip link add name solo0 type mynetdrv
expect_eq "mynetdrv devices" "$(count_kind)" 2
dev_exists mydev0 || fail "peer without a name was not called mydev0: $(ip -br link | tr '\n' ' ')"
check_pair solo0 "" mydev0 ""
expect_eq "mydev0 name_assign_type (enum)" "$(cat /sys/class/net/mydev0/name_assign_type)" 1
expect_eq "solo0 name_assign_type (user)" "$(cat /sys/class/net/solo0/name_assign_type)" 3
expect_ok ip link add name solo1 type mynetdrv
check_pair solo1 "" mydev1 ""
expect_ok ip link del mydev0
expect_ok ip link del solo1
expect_eq "mynetdrv devices" "$(count_kind)" 0

# ------------------------------------------------ address and mtu
expect_ok ip link add name left2 address 02:11:22:33:44:55 mtu 1400 type mynetdrv \
	peer name right2 address 02:66:77:88:99:aa mtu 9000
expect_eq "left2 address" "$(jqfield left2 .address)" 02:11:22:33:44:55
expect_eq "right2 address" "$(jqfield right2 .address)" 02:66:77:88:99:aa
expect_eq "left2 mtu" "$(jqfield left2 .mtu)" 1400
expect_eq "right2 mtu" "$(jqfield right2 .mtu)" 9000
expect_eq "left2 min_mtu" "$(jqfield left2 .min_mtu)" 68
expect_eq "left2 max_mtu" "$(jqfield left2 .max_mtu)" 9000
expect_ok ip link del left2
expect_ok ip link add name left3 mtu 9000 type mynetdrv peer name right3 mtu 68
expect_eq "left3 mtu" "$(jqfield left3 .mtu)" 9000
expect_eq "right3 mtu" "$(jqfield right3 .mtu)" 68
# Peer attributes do not leak into the dev, and vice versa.
expect_ok ip link add name left4 mtu 2000 type mynetdrv peer name right4 address 02:00:00:00:00:44
expect_eq "right4 mtu (default)" "$(jqfield right4 .mtu)" 1500
expect_eq "left4 mtu" "$(jqfield left4 .mtu)" 2000
[ "$(jqfield left4 .address)" != 02:00:00:00:00:44 ] || fail "left4 took right4's address"
expect_ok ip link del left3
expect_ok ip link del right4
expect_eq "mynetdrv devices" "$(count_kind)" 0

# ------------------------------------------------ bad input
expect_ok ip link add name left0 type mynetdrv peer name right0
# The core refuses a taken dev name before the driver runs, without an
# extack message: strerror(EEXIST) is what there is.
bad_add 'File exists' "" -- link add name left0 type mynetdrv peer name newpeer
bad_add 'peer name is already in use' "" -- \
	link add name newdev type mynetdrv peer name right0
bad_add 'peer name is already in use' "" -- \
	link add name newdev type mynetdrv peer name lo
bad_add 'peer name is already in use' "$NSP" -- \
	link add name newdev type mynetdrv peer name lo netns "$NSP"
bad_add 'peer name must differ from the device name' "" -- \
	link add name samename type mynetdrv peer name samename
bad_add 'MAC address must be unicast' "" -- \
	link add name badmac0 address 01:00:5e:00:00:01 type mynetdrv peer name badmac1
bad_add 'MAC address must be unicast' "" -- \
	link add name badmac0 type mynetdrv peer name badmac1 address 01:00:5e:00:00:01
bad_add 'MAC address must be unicast' "" -- \
	link add name badmac0 address 00:00:00:00:00:00 type mynetdrv peer name badmac1
bad_add 'MAC address must be unicast' "" -- \
	link add name badmac0 type mynetdrv peer name badmac1 address 00:00:00:00:00:00
bad_add 'MAC address must be unicast' "$NSP" -- \
	link add name badmac0 type mynetdrv peer name badmac1 netns "$NSP" address 01:00:5e:00:00:01
bad_add 'mtu less than device minimum' "" -- \
	link add name badmtu0 mtu 67 type mynetdrv peer name badmtu1
bad_add 'mtu greater than device maximum' "" -- \
	link add name badmtu0 mtu 9001 type mynetdrv peer name badmtu1
bad_add 'mtu less than device minimum' "" -- \
	link add name badmtu0 type mynetdrv peer name badmtu1 mtu 67
bad_add 'mtu greater than device maximum' "" -- \
	link add name badmtu0 type mynetdrv peer name badmtu1 mtu 9001
bad_add 'mtu greater than device maximum' "$NSP" -- \
	link add name badmtu0 type mynetdrv peer name badmtu1 netns "$NSP" mtu 9001
bad_add 'at most 16 TX and RX queues' "" -- \
	link add name badq0 numtxqueues 17 type mynetdrv peer name badq1
bad_add 'at most 16 TX and RX queues' "" -- \
	link add name badq0 numrxqueues 17 type mynetdrv peer name badq1
bad_add 'at most 16 TX and RX queues' "" -- \
	link add name badq0 type mynetdrv peer name badq1 numtxqueues 17
bad_add 'unknown argument "bogus"' "" -- \
	link add name bogus0 type mynetdrv bogus
# Without any explicit name the peer would be mydev%d: nothing of that
# sort may be left either.
bad_add 'mtu greater than device maximum' "" -- \
	link add name badmtu2 mtu 9001 type mynetdrv
dev_exists mydev1 && fail "a failed add left mydev1 behind"

# The pair that existed before all this is intact.
check_pair left0 "" right0 ""
expect_eq "mynetdrv devices at the end" "$(count_kind)" 2
expect_ok ip link del left0
mod_unload
