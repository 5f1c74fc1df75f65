#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/bench.sh - host side of `make bench` and `make bench-smoke`: boot
# the VM once, run bench/run.sh in it (raw runs written to the results
# share), then make the table, CSV and chart with bench/report.py.
#
# Usage: scripts/bench.sh [--kver RELEASE] [--quick]
#   --quick   the smoke mode (BENCH_QUICK=1): one short run per figure,
#             20 pairs; checks that the harness works, measures nothing
#
# Results: BENCH_RESULTS (default bench/results; quick: build/bench/smoke)
# gets results.md, raw.csv and chart.png.  A full run into bench/results
# also puts its tables into Documentation/bench.rst, "Latest results"
# (between its bench-results markers).  Raw runs and the VM console:
# build/vm/bench/.
#
# The VM: BENCH_SMP vCPUs (default 2) and BENCH_MEM MB (2048).  Under TCG,
# a full run uses multi-threaded TCG (BENCH_TCG_THREAD, default multi;
# quick: the lab's single): the multi-queue figures need vCPUs that run at
# the same time, which thread=single (one host thread for all vCPUs, the
# lab's default, see scripts/vm.sh) never does.  Multi-threaded TCG has
# killed guests (a stale translation of kernel text being patched); if
# that happens the run fails and says so, and BENCH_TCG_THREAD=single
# gives a run whose multi-queue figures share one host CPU.  The other
# BENCH_* settings go to bench/run.sh (see there).
set -uo pipefail

SELF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SELF_DIR/.." && pwd)

KVER_ARGS=()
QUICK=${BENCH_QUICK:-0}
while [ $# -gt 0 ]; do
	case $1 in
	--kver) [ -n "${2:-}" ] && KVER_ARGS=(--kver "$2"); shift 2 ;;
	--quick) QUICK=1; shift ;;
	-h|--help) sed -n '3,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

if [ "$QUICK" = 1 ]; then
	RESULTS=${BENCH_RESULTS:-$REPO/build/bench/smoke}
	THREAD=${BENCH_TCG_THREAD:-${VM_TCG_THREAD:-single}}
	TIMEOUT=${VM_TIMEOUT:-900}
else
	RESULTS=${BENCH_RESULTS:-$REPO/bench/results}
	THREAD=${BENCH_TCG_THREAD:-multi}
	TIMEOUT=${VM_TIMEOUT:-5400}
fi
OUT=$REPO/build/vm/bench
RAW=$OUT/raw
mkdir -p "$OUT"
rm -rf "$RAW"

# The BENCH_* settings of bench/run.sh, passed on to the guest.
ENVS=(BENCH_QUICK="$QUICK")
for v in BENCH_RUNS BENCH_SECS BENCH_WARMUP BENCH_PAIRS BENCH_QUEUES \
	 BENCH_QDISC BENCH_FIGURES BENCH_MYNET_COALESCE \
	 BENCH_MYNET_THREADED; do
	[ -n "${!v:-}" ] && ENVS+=("$v=${!v}")
done

accel=$("$SELF_DIR/vm.sh" "${KVER_ARGS[@]}" --probe-kvm 2>/dev/null)
accel=${accel%% *}
[ "$accel" = tcg ] && accel="tcg, thread=$THREAD"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
start=$(date +%s)

cd "$REPO" || exit 1
VM_TCG_THREAD=$THREAD "$SELF_DIR/vm.sh" "${KVER_ARGS[@]}" --out "$OUT" \
	--smp "${BENCH_SMP:-2}" --mem "${BENCH_MEM:-2048}" --timeout "$TIMEOUT" -- \
	env "${ENVS[@]}" "$REPO/bench/run.sh" "$RAW"
rc=$?
if [ "$rc" -ne 0 ]; then
	echo "bench.sh: the guest's bench/run.sh failed (status $rc); console: $OUT/console.txt" >&2
	if [ -f "$RAW/raw.csv" ]; then
		echo "bench.sh: last runs recorded:" >&2
		tail -n 3 "$RAW/raw.csv" >&2
	fi
	if [ "$rc" -eq 125 ] && [ "$THREAD" = multi ]; then
		echo "bench.sh: the VM died under multi-threaded TCG; BENCH_TCG_THREAD=single avoids that (multi-queue figures then share one host CPU)" >&2
	fi
	exit 1
fi

{
	echo "host_cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
	echo "host_cpus=$(nproc)"
	echo "load_before=$load_before"
	echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "qemu=$(qemu-system-x86_64 --version | sed -n '1s/^QEMU emulator version //p')"
	echo "accel=$accel, $(( $(date +%s) - start )) s for the whole run, boot included"
	echo "commit=$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo ?)"
} >"$RAW/conditions-host.txt"

# Documentation/bench.rst shows the latest full run in bench/results.
DOC_ARGS=()
mkdir -p "$RESULTS"
if [ "$QUICK" != 1 ] && [ "$RESULTS" -ef "$REPO/bench/results" ]; then
	DOC_ARGS=(--doc "$REPO/Documentation/bench.rst")
fi
python3 "$REPO/bench/report.py" "$RAW" "$RESULTS" "${DOC_ARGS[@]}" || exit 1
cat "$RESULTS/results.md"
