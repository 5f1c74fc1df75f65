#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/vm.sh - boot a QEMU guest on an installed Debian kernel and run one
# command in it.  The host kernel never loads a module: everything that
# needs insmod/rmmod runs through this script.
#
# Usage: scripts/vm.sh [options] [--] CMD [ARG...]
#   --kver RELEASE   guest kernel (default: the one linux-image-amd64
#                    depends on, else the newest /boot/vmlinuz-*-amd64
#                    whose /lib/modules/<kver>/build exists); also an alias
#                    of scripts/kernels.sh (6.1, 6.12, 7) or a release
#                    installed in its sid chroot
#   --timeout SEC    overall wall-clock limit for the VM (default 2400,
#                    env VM_TIMEOUT)
#   --mem MB         guest memory (default 2048, env VM_MEM)
#   --smp N          guest CPUs (default 2, env VM_SMP)
#   --accel A        kvm|tcg|auto (default auto, env VM_ACCEL)
#                    (env VM_CPU: TCG CPU model, default max; env
#                    VM_TCG_THREAD: single (default) or multi, see below)
#   --out DIR        writable results share (default <repo>/build/vm/out)
#   --default-kver   print the default kernel release and exit
#   --probe-kvm      only run the KVM probe, print kvm or tcg
#
# How it works:
#  * The guest gets the host's whole root filesystem read-only over 9p
#    (mount_tag "hostroot"), with a tmpfs-backed overlayfs on top: a full
#    Debian userland (bash, ip, ethtool, ping, iperf3, tcpdump...) where the
#    repo is at the same path as on the host, and /lib/modules/<kver> of
#    the installed linux-image is there.  Writes in the guest go to RAM.
#  * A second, writable 9p share (mount_tag "results") is the --out dir; the
#    guest mounts it both at /vmout and at its host path.  It receives
#    cmd.sh (written by this script), status (guest command's exit code)
#    and dmesg.txt (guest kernel log after the command).
#  * A small initramfs (busybox-static + the modules for virtio-pci, 9p and
#    overlay, decompressed if .ko.xz/.ko.zst) is cached under
#    build/vm/initramfs-<kver>.cpio.gz and rebuilt when its inputs change.
#    Its /init mounts the root, then switch_root's into scripts/vm-guest.sh,
#    which mounts proc/sys/dev/devpts/run/tmp/cgroup2, sets the hostname,
#    brings lo up, runs the command, saves dmesg, reports the status and
#    powers off.
#  * A kernel from the sid chroot (scripts/kernels.sh: 7.x) boots from
#    <chroot>/boot; its initramfs modules come from <chroot>/lib/modules,
#    and the guest's /init mounts that directory (seen through the root
#    share) with a RAM overlay on /lib/modules/<kver>, so modprobe works
#    in the guest.  The userland stays the host's.
#  * Console is ttyS0, streamed to stdout ('\r' stripped, a line at a
#    time: tr alone would hold its output back in 4 KiB blocks) and saved in
#    <out>/console.txt.
#  * TCG runs all vCPUs in one host thread (thread=single) by default.
#    Multi-threaded TCG was seen to kill guests of every kernel with "Oops:
#    int3" or a fault in the middle of an instruction: a vCPU executes a
#    stale translation of kernel text another vCPU is live-patching (static
#    keys, at boot or when a socket option flips one).  The guest still
#    has --smp CPUs, preemption and interrupts, so its races remain; the
#    host only interleaves the vCPUs instead of running them at once.
#  * KVM is used if a short probe (a tiny initramfs that powers off, 15 s
#    limit per CPU model tried) succeeds; the result is cached per host boot
#    in /var/tmp/mynetdrv-lab-kvm-probe.  Otherwise TCG (-cpu max).
#
# Exit status: that of CMD in the guest; 125 if the guest never reported one
# (timeout, panic, QEMU failure), with a message on stderr.
set -euo pipefail

SELF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SELF_DIR/.." && pwd)
BUILD="$REPO/build/vm"

KVER=""
TIMEOUT=${VM_TIMEOUT:-2400}
MEM=${VM_MEM:-2048}
SMP=${VM_SMP:-2}
ACCEL=${VM_ACCEL:-auto}
OUT=""
MODE=run

die() { echo "vm.sh: $*" >&2; exit 125; }
info() { echo "vm.sh: $*" >&2; }

# The default guest kernel is the distribution's: the one the
# linux-image-amd64 metapackage depends on (bookworm: 6.1).  Without it,
# the newest installed kernel that has headers.
default_kver() {
	local v k best=""
	k=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null |
		grep -o 'linux-image-[^ ,]*-amd64' | head -n1 || true)
	k=${k#linux-image-}
	if [ -n "$k" ] && [ -e "/boot/vmlinuz-$k" ] && [ -d "/lib/modules/$k/build" ]; then
		echo "$k"
		return
	fi
	for v in /boot/vmlinuz-*-amd64; do
		[ -e "$v" ] || continue
		k=${v#/boot/vmlinuz-}
		[ -d "/lib/modules/$k/build" ] || continue
		best=$(printf '%s\n%s\n' "$best" "$k" | sed '/^$/d' | sort -V | tail -n1)
	done
	[ -n "$best" ] || die "no /boot/vmlinuz-*-amd64 with /lib/modules/<kver>/build; run scripts/setup.sh"
	echo "$best"
}

while [ $# -gt 0 ]; do
	case $1 in
	--kver) KVER=$2; shift 2 ;;
	--kver=*) KVER=${1#*=}; shift ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	--mem) MEM=$2; shift 2 ;;
	--smp) SMP=$2; shift 2 ;;
	--accel) ACCEL=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--default-kver) MODE=default-kver; shift ;;
	--probe-kvm) MODE=probe; shift ;;
	-h|--help) sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	--) shift; break ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done

[ -n "$KVER" ] || KVER=$(default_kver)
if [ "$MODE" = default-kver ]; then echo "$KVER"; exit 0; fi

# KROOT: the root holding the kernel's /boot and /lib/modules: "/", or the
# sid chroot of scripts/kernels.sh (7.x).  An alias (6.12, 7) is resolved.
KROOT=/
if [ ! -e "/boot/vmlinuz-$KVER" ]; then
	KVER=$("$SELF_DIR/kernels.sh" resolve "$KVER") || die "no kernel '$KVER'"
	KROOT=$("$SELF_DIR/kernels.sh" root "$KVER") || die "no kernel '$KVER'"
fi
KERNEL=${KROOT%/}/boot/vmlinuz-$KVER
MODDIR=${KROOT%/}/lib/modules/$KVER
[ -r "$KERNEL" ] || die "kernel $KERNEL not found (install linux-image-$KVER)"
[ -d "$MODDIR" ] || die "$MODDIR not found"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing; run scripts/setup.sh"
BUSYBOX=/bin/busybox   # from busybox-static
[ -x "$BUSYBOX" ] || die "busybox missing; run scripts/setup.sh (busybox-static)"

for p in "$REPO" "$KROOT"; do
	case $p in
	*[[:space:]]*) die "the path '$p' contains whitespace (it goes on the kernel command line)" ;;
	esac
done
mkdir -p "$BUILD"

# ---------------------------------------------------------------- initramfs
# Modules needed to mount the root, in load order, de-duplicated.
# Built-in ones are reported as "builtin X" by modprobe and skipped.
ROOT_MODULES=(virtio_pci 9pnet_virtio 9p overlay)

module_paths() {
	local m
	for m in "${ROOT_MODULES[@]}"; do
		modprobe -S "$KVER" -d "$KROOT" --show-depends "$m" 2>/dev/null |
			awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++'
}

# /init of the initramfs (busybox sh).  Kernel command line carries
# vm.guest=<path of vm-guest.sh> (it lives in the repo, seen through the root)
# and, for a kernel from a chroot, vm.kroot=<chroot path on the host>.
read -r -d '' INIT_SCRIPT <<'INIT' || true
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
emerg() { echo "initramfs: $*"; echo o > /proc/sysrq-trigger; sleep 5; }
for m in $(cat /modules.order); do
	insmod "/lib/modules/$m" || emerg "insmod $m failed"
done
guest=/bin/false
kroot=""
for a in $(cat /proc/cmdline); do
	case $a in
	vm.guest=*) guest=${a#vm.guest=} ;;
	vm.kroot=*) kroot=${a#vm.kroot=} ;;
	esac
done
mkdir -p /lower /upper /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /lower ||
	emerg "cannot mount hostroot"
mount -t tmpfs -o mode=0755 tmpfs /upper
mkdir -p /upper/up /upper/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/up,workdir=/upper/work /newroot ||
	emerg "cannot mount overlay root"
if [ -n "$kroot" ]; then
	# The kernel's modules live in a chroot under the host root: put them
	# (writable through a RAM overlay) where modprobe looks.
	kver=$(uname -r)
	mods=/newroot/lib/modules
	[ -L /newroot/lib ] && mods=/newroot/usr/lib/modules
	mkdir -p "$mods/$kver" /upper/mods-up /upper/mods-work
	mount -t overlay overlay -o "lowerdir=/lower$kroot/lib/modules/$kver,upperdir=/upper/mods-up,workdir=/upper/mods-work" "$mods/$kver" ||
		emerg "cannot mount $kroot/lib/modules/$kver"
fi
mkdir -p /newroot/vmout
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=none results /newroot/vmout ||
	emerg "cannot mount results share"
umount /proc /sys /dev 2>/dev/null
[ -f "/newroot$guest" ] || emerg "guest script $guest not found"
exec switch_root /newroot /bin/bash "$guest"
INIT

# Tiny /init for the KVM probe: just power off.
read -r -d '' PROBE_INIT <<'INIT' || true
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
echo KVM-PROBE-OK
/bin/busybox poweroff -f
INIT

make_cpio() { # DIR OUT
	(cd "$1" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --quiet --reproducible) | gzip -1 >"$2.tmp.$$"
	mv "$2.tmp.$$" "$2"
}

build_initramfs() {
	local out="$BUILD/initramfs-$KVER.cpio.gz" stamp paths p n dst tmp
	paths=$(module_paths)
	[ -n "$paths" ] || true
	stamp=$( {
		echo "$INIT_SCRIPT"
		ls -lL "$BUSYBOX"
		for p in $paths; do ls -lL "$p"; done
	} | sha256sum | cut -d' ' -f1)
	if [ -f "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$stamp" ]; then
		INITRAMFS=$out
		return
	fi
	info "building initramfs for $KVER"
	tmp=$(mktemp -d)
	mkdir -p "$tmp/bin" "$tmp/lib/modules" "$tmp/proc" "$tmp/sys" "$tmp/dev"
	cp "$BUSYBOX" "$tmp/bin/busybox"
	printf '%s\n' "$INIT_SCRIPT" >"$tmp/init"
	chmod 755 "$tmp/init"
	n=0
	: >"$tmp/modules.order"
	for p in $paths; do
		n=$((n + 1))
		dst=$(printf '%02d-%s' "$n" "$(basename "$p")")
		case $p in
		*.ko.xz) dst=${dst%.xz}; xz -dc "$p" >"$tmp/lib/modules/$dst" ;;
		*.ko.zst) dst=${dst%.zst}; zstd -q -dc "$p" >"$tmp/lib/modules/$dst" ;;
		*.ko.gz) dst=${dst%.gz}; gzip -dc "$p" >"$tmp/lib/modules/$dst" ;;
		*) cp "$p" "$tmp/lib/modules/$dst" ;;
		esac
		echo "$dst" >>"$tmp/modules.order"
	done
	make_cpio "$tmp" "$out"
	rm -rf "$tmp"
	echo "$stamp" >"$out.stamp"
	INITRAMFS=$out
}

build_probe_initramfs() {
	local out="$BUILD/initramfs-probe.cpio.gz" tmp
	if [ ! -f "$out" ]; then
		tmp=$(mktemp -d)
		mkdir -p "$tmp/bin" "$tmp/proc"
		cp "$BUSYBOX" "$tmp/bin/busybox"
		printf '%s\n' "$PROBE_INIT" >"$tmp/init"
		chmod 755 "$tmp/init"
		make_cpio "$tmp" "$out"
		rm -rf "$tmp"
	fi
	PROBE_INITRAMFS=$out
}

# ---------------------------------------------------------------- KVM probe
probe_kvm() {
	# Prints "kvm CPUMODEL" or "tcg".  Cached per host boot (and QEMU
	# version) outside the checkout, so fresh clones (CI) reuse it.
	local cache=/var/tmp/mynetdrv-lab-kvm-probe key log cpu res=tcg
	key="$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown) $(qemu-system-x86_64 --version | head -n1)"
	if [ -f "$cache" ] && [ "$(sed -n 1p "$cache")" = "$key" ]; then
		sed -n 2p "$cache"
		return
	fi
	if [ -w /dev/kvm ]; then
		build_probe_initramfs
		log=$(mktemp)
		# Some hosts reject the arch-capabilities MSR with -cpu host.
		for cpu in host host,-arch-capabilities; do
			if { timeout -s KILL 15 qemu-system-x86_64 -accel kvm -machine q35 \
				-cpu "$cpu" -m 256 -smp 1 -nographic -no-reboot -nic none \
				-kernel "$KERNEL" -initrd "$PROBE_INITRAMFS" \
				-append "console=ttyS0 panic=-1 quiet rdinit=/init" \
				</dev/null >"$log"; } 2>/dev/null &&
				grep -q KVM-PROBE-OK "$log"; then
				res="kvm $cpu"
				break
			fi
		done
		rm -f "$log"
	fi
	info "KVM probe: $res (cached in $cache)"
	printf '%s\n%s\n' "$key" "$res" >"$cache" 2>/dev/null || true
	echo "$res"
}

if [ "$MODE" = probe ]; then probe_kvm; exit 0; fi

[ $# -gt 0 ] || die "no command given (usage: vm.sh [--kver K] [--] CMD...)"

CPU=""
case $ACCEL in
auto) read -r ACCEL CPU < <(probe_kvm) ;;
kvm) CPU=host ;;
tcg) ;;
*) die "--accel must be kvm, tcg or auto" ;;
esac

build_initramfs

# ---------------------------------------------------------------- run
[ -n "$OUT" ] || OUT="$BUILD/out"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# One VM at a time per results dir (other dirs may run in parallel).
exec 9>"$OUT/.lock"
if ! flock -n 9; then
	info "waiting for another vm.sh using $OUT"
	flock -w "$TIMEOUT" 9 || die "another vm.sh still holds $OUT/.lock"
fi
rm -f "$OUT/status" "$OUT/dmesg.txt" "$OUT/cmd.sh" "$OUT/console.txt"

# The command, quoted for bash, run from the caller's directory.
{
	echo "# generated by scripts/vm.sh"
	printf 'cd %q || exit 125\n' "$PWD"
	printf '%q ' "$@"
	echo
} >"$OUT/cmd.sh"

# vm-guest.sh reads this to know where things are.
{
	printf 'VM_REPO=%q\n' "$REPO"
	printf 'VM_OUT=%q\n' "$OUT"
	printf 'VM_CWD=%q\n' "$PWD"
	printf 'VM_KVER=%q\n' "$KVER"
	printf 'VM_KROOT=%q\n' "$KROOT"
	printf 'VM_ACCEL=%q\n' "$ACCEL"
} >"$OUT/env.sh"

case $ACCEL in
kvm) ACCEL_ARGS=(-accel kvm -cpu "${CPU:-host}") ;;
tcg) ACCEL_ARGS=(-accel "tcg,thread=${VM_TCG_THREAD:-single}" -cpu "${VM_CPU:-max}") ;;
esac

# qboot boots faster than SeaBIOS and prints nothing on the serial line.
BIOS_ARGS=()
[ -f /usr/share/qemu/qboot.rom ] && BIOS_ARGS=(-bios /usr/share/qemu/qboot.rom)

APPEND="console=ttyS0 panic=-1 quiet loglevel=4 log_buf_len=8M"
APPEND+=" rdinit=/init vm.guest=$REPO/scripts/vm-guest.sh"
[ "$KROOT" = / ] || APPEND+=" vm.kroot=$KROOT"
# More kernel parameters (env VM_APPEND): the debug kernel's
# kasan_multi_shot, so that every KASAN report prints, not the first only.
[ -z "${VM_APPEND:-}" ] || APPEND+=" $VM_APPEND"

info "booting $KVER ($ACCEL, ${MEM}M, smp $SMP, timeout ${TIMEOUT}s)"
start=$(date +%s)
set +e
timeout -s KILL "$TIMEOUT" qemu-system-x86_64 \
	"${ACCEL_ARGS[@]}" -machine q35 -m "$MEM" -smp "$SMP" \
	-nographic -no-reboot -nic none "${BIOS_ARGS[@]}" \
	-serial stdio -monitor none \
	-kernel "$KERNEL" -initrd "$INITRAMFS" -append "$APPEND" \
	-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
	-fsdev local,id=results,path="$OUT",security_model=none,multidevs=remap \
	-device virtio-9p-pci,fsdev=results,mount_tag=results \
	</dev/null 2>&1 | stdbuf -oL tr -d '\r' | tee "$OUT/console.txt"
rc=${PIPESTATUS[0]}
set -e
elapsed=$(( $(date +%s) - start ))

if [ ! -s "$OUT/status" ]; then
	if [ "$rc" -eq 137 ]; then
		die "VM killed after the ${TIMEOUT}s timeout; guest reported no exit status (console above, $OUT)"
	fi
	die "guest reported no exit status (panic or QEMU failure, qemu rc=$rc, ${elapsed}s; console above, $OUT)"
fi
status=$(cat "$OUT/status")
info "guest command exited with $status (${elapsed}s, dmesg in $OUT/dmesg.txt)"
exit "$status"
