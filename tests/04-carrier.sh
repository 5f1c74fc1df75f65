#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 04-carrier: link state of both ends in every up/down combination, with
# both ends in the init netns and then with mydev1 in netns "peer".
# Carrier is on for both ends exactly while both are up. Checked on each
# end, in each state, after each transition from either end:
#  - /sys/class/net/X/carrier: 1 / 0, unreadable (EINVAL) while X is down;
#  - operstate: "up" with carrier; "lowerlayerdown" (or "down", kernel
#    dependent) when up without carrier; "down" when down;
#  - LOWER_UP flag in `ip link` iff carrier;
#  - `ethtool X`: "Link detected: yes", Speed 10000Mb/s, Duplex Full with
#    carrier; "Link detected: no", Speed/Duplex Unknown without.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

# check_end DEV NS ADMIN(up|down) CARRIER(1|0)
# (Few forks: they are slow under TCG.)
check_end() {
	local dev=$1 ns=$2 admin=$3 carrier=$4 dir c="" op="" link et what i
	dir=$(_sysdir "$dev" "$ns")
	what="$dev${ns:+ (netns $ns)} [$admin]"
	if [ "$admin" = down ]; then
		if read -r c 2>/dev/null <"$dir/carrier"; then
			fail "$what: carrier readable ($c) while down"
		fi
		want=down
	else
		read -r c <"$dir/carrier" || fail "$what: carrier unreadable while up"
		expect_eq "$what carrier" "$c" "$carrier"
		if [ "$carrier" = 1 ]; then
			want=up
		else
			want='lowerlayerdown|down'
		fi
	fi
	# operstate follows carrier through linkwatch: allow it 5 s.
	for ((i = 0; i < 50; i++)); do
		read -r op <"$dir/operstate"
		[[ $op =~ ^($want)$ ]] && break
		sleep 0.1
	done
	[[ $op =~ ^($want)$ ]] || fail "$what: operstate '$op', expected '$want'"
	link=$(ns_run "$ns" ip -o link show dev "$dev")
	if [[ $link =~ [\<,]LOWER_UP[,\>] ]]; then
		[ "$carrier" = 1 ] || fail "$what: LOWER_UP without carrier: $link"
	else
		[ "$carrier" = 0 ] || fail "$what: no LOWER_UP with carrier: $link"
	fi
	et=$(ns_run "$ns" ethtool "$dev")
	if [ "$carrier" = 1 ]; then
		[[ $et == *"Link detected: yes"* ]] || fail "$what: ethtool: no 'Link detected: yes'"
		[[ $et == *"Speed: 10000Mb/s"* ]] || fail "$what: ethtool: no 'Speed: 10000Mb/s'"
		[[ $et == *"Duplex: Full"* ]] || fail "$what: ethtool: no 'Duplex: Full'"
	else
		[[ $et == *"Link detected: no"* ]] || fail "$what: ethtool: no 'Link detected: no'"
		[[ $et == *"Speed: Unknown"* ]] || fail "$what: ethtool: no 'Speed: Unknown'"
		[[ $et == *"Duplex: Unknown"* ]] || fail "$what: ethtool: no 'Duplex: Unknown'"
	fi
	log "ok: $what carrier '${c}' operstate $op, LOWER_UP/ethtool match carrier $carrier"
}

# set_state NS A B: bring the ends to admin states A, B (up|down), check.
set_state() {
	local ns=$1 sa=$2 sb=$3 c=0
	ip link set dev mydev0 "$sa"
	ns_run "$ns" ip link set dev mydev1 "$sb"
	[ "$sa" = up ] && [ "$sb" = up ] && c=1
	log "--- mydev0 $sa, mydev1 $sb"
	check_end mydev0 "" "$sa" "$c"
	check_end mydev1 "$ns" "$sb" "$c"
}

# Every state, reached from each neighbouring state.
walk() {
	local ns=$1
	set_state "$ns" down down
	set_state "$ns" up down
	set_state "$ns" up up
	set_state "$ns" down up
	set_state "$ns" up up
	set_state "$ns" up down
	set_state "$ns" down down
	set_state "$ns" down up
	set_state "$ns" down down
}

mod_load
wait_for 5 dev_exists mydev1 || fail "mydev1 did not appear"
log "=== both ends in the init netns"
walk ""

log "=== mydev1 in netns $NS"
ip netns add "$NS"
trap pair_cleanup EXIT
peer_sys_mount "$NS"
ip link set mydev1 netns "$NS"
walk "$NS"
