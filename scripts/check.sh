#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/check.sh - host side of `make check`: boot the VM once, run
# tests/run.sh in it (KTAP streamed on the console), then print a final line
# exactly "N passed, N failed" (kernel-log-clean included; skipped tests are
# in neither count, a "# N skipped" line precedes it).  Tests the VM never
# reported (crash, timeout) count as failed.
#
# Usage: scripts/check.sh [--kver RELEASE] [PREFIX...]
# Env LAB_TIMEOUT_SCALE multiplies every test's timeout (tests/run.sh).
# Env LAB_VERBOSE=1: stream the guest's whole console instead of one line
# per test (scripts/progress.py); it is saved in build/vm/check/console.txt
# either way, and a failed run's in build/vm/failed-<date>/.
# Env LAB_PKG_KERNEL: the kernel release on which tests/27-dkms.sh installs
# the Debian package (default: the distribution's kernel, vm.sh
# --default-kver; "all": every kernel).
# Exit status: 0 iff nothing failed and the VM reported a clean exit.
set -uo pipefail

SELF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SELF_DIR/.." && pwd)

KVER_ARGS=()
if [ "${1:-}" = --kver ]; then
	[ -n "${2:-}" ] && KVER_ARGS=(--kver "$2")
	shift 2
fi

OUT="$REPO/build/vm/check"
KTAP="$OUT/ktap.txt"
mkdir -p "$OUT"
rm -f "$KTAP"

PKG_KERNEL=${LAB_PKG_KERNEL:-$("$SELF_DIR/vm.sh" --default-kver)}

# One line per test (scripts/progress.py), or with LAB_VERBOSE=1 the
# guest's whole console; vm.sh saves that in $OUT/console.txt either way.
show() {
	if [ "${LAB_VERBOSE:-0}" = 1 ]; then
		cat
	else
		"$SELF_DIR/progress.py" "$OUT/console.txt"
	fi
}

cd "$REPO" || exit 1
"$SELF_DIR/vm.sh" "${KVER_ARGS[@]}" --out "$OUT" -- \
	env KTAP_OUT="$KTAP" LAB_TIMEOUT_SCALE="${LAB_TIMEOUT_SCALE:-1}" \
	LAB_PKG_KERNEL="$PKG_KERNEL" \
	"$REPO/tests/run.sh" "$@" 2>&1 | show
rc=${PIPESTATUS[0]}

plan=0 passed=0 failed=0 skipped=0
if [ -f "$KTAP" ]; then
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$KTAP" | head -n1)
	plan=${plan:-0}
	passed=$(grep -E '^ok [0-9]+ ' "$KTAP" | grep -cv '# SKIP')
	skipped=$(grep -E '^ok [0-9]+ ' "$KTAP" | grep -c '# SKIP')
	failed=$(grep -cE '^not ok [0-9]+ ' "$KTAP")
fi
reported=$((passed + failed + skipped))
if [ "$reported" -lt "$plan" ]; then
	echo "# $((plan - reported)) test(s) planned but never reported: counted as failed"
	failed=$((failed + plan - reported))
fi
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	echo "# the VM run failed (status $rc) without a failing test: counted as 1 failure"
	failed=1
fi
if [ "$failed" -ne 0 ] || [ "$rc" -ne 0 ]; then
	# The next run reuses $OUT: keep this one's evidence.
	keep="$REPO/build/vm/failed-$(date +%Y%m%d-%H%M%S)"
	cp -r "$OUT" "$keep" 2>/dev/null && OUT=$keep
	KTAP=$OUT/ktap.txt
fi
echo "# results: $KTAP, guest dmesg: $OUT/dmesg.txt, console: $OUT/console.txt"
[ "$skipped" -eq 0 ] || echo "# $skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$rc" -eq 0 ]
