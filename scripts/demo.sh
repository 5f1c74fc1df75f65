#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/demo.sh - a guided tour of mynetdrv, run INSIDE the VM by
# `make run` (scripts/vm.sh -- scripts/demo.sh).  Loads the module, puts
# each end of the pair in its own network namespace, pings across, shows
# the counters of both ends and unloads.
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

heading "Load the driver: it creates the pair mydev0 <-> mydev1"
run insmod "$MODULE"
run ip -br link show type mynetdrv 2>/dev/null || run ip -br link show

heading "Give each end its own network namespace (two 'machines')"
run ip netns add left
run ip netns add right
run ip link set mydev0 netns left
run ip link set mydev1 netns right

heading "Address and bring up both ends"
run ip -n left addr add 10.0.0.1/24 dev mydev0
run ip -n right addr add 10.0.0.2/24 dev mydev1
run ip -n left link set mydev0 up
run ip -n right link set mydev1 up

heading "Ping from left (10.0.0.1) to right (10.0.0.2)"
run ip netns exec left ping -c 3 10.0.0.2

heading "Counters of mydev0 (left): what it sent, right received"
run ip -n left -s link show mydev0

heading "Counters of mydev1 (right)"
run ip -n right -s link show mydev1

heading "Driver statistics (ethtool -S mydev0)"
run ip netns exec left ethtool -S mydev0 || true

heading "Unload: both ends disappear, even inside namespaces"
run rmmod mynetdrv
if ip -n right link show mydev1 >/dev/null 2>&1; then
	echo "mydev1 still exists!"
	exit 1
fi
echo "mydev0 and mydev1 are gone."
run ip netns del left
run ip netns del right

echo
echo "Done: the demo ran without errors."
