#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/vm-guest.sh - PID 1 of the lab guest (started by scripts/vm.sh's
# initramfs after switch_root onto the overlay root).  Do not run on the host.
#
# Mounts the pseudo filesystems, sets the hostname, brings lo up, runs
# /vmout/cmd.sh, then writes /vmout/dmesg.txt and /vmout/status and powers
# the machine off.  /vmout is the writable "results" 9p share; it is also
# bind-mounted at its host path ($VM_OUT).

if [ "$$" -ne 1 ]; then
	echo "vm-guest.sh: must run as PID 1 inside the VM (use scripts/vm.sh)" >&2
	exit 1
fi

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8 LC_ALL=C.UTF-8

# shellcheck disable=SC2317 # invoked through the EXIT trap
poweroff_now() {
	sync
	/bin/busybox poweroff -f
	echo o >/proc/sysrq-trigger
	sleep 10
}
trap poweroff_now EXIT

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
# What udev gives a real system and devtmpfs does not: bash's process
# substitution, <(...), needs /dev/fd (dkms uses it).
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mkdir -p /run/netns /run/lock

# shellcheck source=/dev/null
. /vmout/env.sh
# A fresh /tmp, unless the checkout or the caller's directory lives there.
case "$VM_REPO/ $VM_CWD/" in
/tmp/*|*" /tmp/"*) ;;
*) mount -t tmpfs -o mode=1777 tmpfs /tmp ;;
esac
mkdir -p "$VM_OUT" && mount --bind /vmout "$VM_OUT"

hostname mynetdrv-vm
ip link set lo up
echo "vm: $(uname -r) up in $(cut -d' ' -f1 /proc/uptime)s (accel $VM_ACCEL)"

bash /vmout/cmd.sh </dev/null
status=$?

dmesg >/vmout/dmesg.txt 2>&1
echo "$status" >/vmout/status
sync
exit "$status"
