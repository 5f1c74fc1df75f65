#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/matrix.sh - `make check-matrix`: for each kernel, a warnings build
# and the whole suite in the VM, then one summary table.
#
# Usage: scripts/matrix.sh [KERNEL...]    (default: 6.1 6.12 7)
#   KERNEL: an alias or release that scripts/kernels.sh knows.
#   env TESTS="01 05": run only those tests (as make check).
#
# Per kernel, in order:
#  1. make lab-kernel KVER=K (for 7: creates the sid chroot on first use);
#  2. build warnings: scripts/warnbuild.sh copies the sources to
#     build/matrix/<K>/src and builds them there with W=1 C=2 (for a
#     chroot kernel inside the chroot, with its gcc and sparse); every
#     "warning:" line counts, and modpost's "WARNING:" lines.  If sparse is
#     missing, checked nothing, or printed errors (it could not parse the
#     kernel's headers), the table says so: the count is then gcc's alone;
#  3. make check KVER=K; its KTAP is kept as build/matrix/<K>/ktap.txt,
#     its output (one line per test) as build/matrix/<K>/check.log and the
#     guest's console, with every test's output, as
#     build/matrix/<K>/console.txt.
# A kernel whose build or VM run fails counts as (at least) 1 failed.
# Prints the table, the times, and last a total line "N passed, N failed".
# Exit status: 0 iff nothing failed on any kernel (warnings do not fail).
set -uo pipefail

SELF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SELF_DIR/.." && pwd)
cd "$REPO" || exit 1
MAKE=${MAKE:-make}

[ $# -gt 0 ] || set -- 6.1 6.12 7
OUTB="$REPO/build/matrix"
mkdir -p "$OUTB"

rows=()
notes=()
total_pass=0 total_fail=0 bad=0
t_all=$(date +%s)

for k in "$@"; do
	out="$OUTB/$k"
	rm -rf "$out"
	mkdir -p "$out"
	echo "# ======== kernel $k"
	t0=$(date +%s)
	# 1. kernel (and chroot) available
	if ! $MAKE --no-print-directory lab-kernel KVER="$k" </dev/null; then
		rows+=("$k|-|0|1|-")
		notes+=("$k: kernel not available (make lab-kernel KVER=$k failed)")
		total_fail=$((total_fail + 1)); bad=1
		continue
	fi
	rel=$(scripts/kernels.sh resolve "$k")
	t1=$(date +%s)

	# 2. warnings build in a copy of the sources (scripts/warnbuild.sh)
	wnotes=$(scripts/warnbuild.sh "$k" "$out")
	wrc=$?
	brc=0
	[ $wrc -ne 1 ] || brc=1
	sparse_v=$(cat "$out/sparse.txt")
	warn=$(wc -l <"$out/warnings.txt")
	case $wrc in
	1) wcell="$warn (build failed)" ;;
	2) wcell="$warn (gcc only: no sparse)" ;;
	3) wcell="$warn (gcc only: sparse $sparse_v unusable)" ;;
	*) wcell=$warn ;;
	esac
	[ -z "$wnotes" ] || while IFS= read -r l; do notes+=("$k: $l"); done <<<"$wnotes"
	[ "$warn" -eq 0 ] || while IFS= read -r l; do notes+=("$k: $l"); done < <(head -n 20 "$out/warnings.txt")
	t2=$(date +%s)

	# 3. the suite
	$MAKE --no-print-directory check KVER="$k" ${TESTS:+TESTS="$TESTS"} </dev/null 2>&1 |
		tee "$out/check.log"
	crc=${PIPESTATUS[0]}
	t3=$(date +%s)
	[ -f build/vm/check/ktap.txt ] && cp build/vm/check/ktap.txt "$out/ktap.txt"
	[ -f build/vm/check/dmesg.txt ] && cp build/vm/check/dmesg.txt "$out/dmesg.txt"
	# check.log has one line per test: the tests' output is in the console.
	[ -f build/vm/check/console.txt ] && cp build/vm/check/console.txt "$out/console.txt"
	count=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out/check.log" | tail -n1)
	if [ -z "$count" ]; then
		count="0 passed, 1 failed"
		notes+=("$k: make check stopped before the tests ran (status $crc, $out/check.log)")
	fi
	p=${count%% passed*}
	f=${count#*passed, }
	f=${f%% failed}
	if [ "$crc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	klc="-"
	if [ -f "$out/ktap.txt" ]; then
		if grep -qE '^ok [0-9]+ kernel-log-clean' "$out/ktap.txt"; then
			klc=yes
		elif grep -qE '^not ok [0-9]+ kernel-log-clean' "$out/ktap.txt"; then
			klc=NO
		fi
	fi
	# Each failed test with why (its first FAIL, TIMEOUT or bad kernel-log
	# lines): CI's log may keep only this summary.
	while IFS= read -r l; do notes+=("$k: $l"); done < <(awk '
		/^(ok|not ok) [0-9]+ / {
			if ($1 == "not") { print; for (i = 0; i < nw && i < 4; i++) print "  " why[i] }
			nw = 0; kl = 0; next
		}
		/^# kernel log (during|after)/ { kl = 1 }
		/^# (FAIL|TIMEOUT)/ || /^# kernel log (during|after)/ || (kl && /^#   /) {
			if (nw < 4) why[nw++] = substr($0, 1, 300)
		}' "$out/ktap.txt" 2>/dev/null)
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	[ "$f" -eq 0 ] || bad=1
	[ $brc -eq 0 ] || bad=1
	rows+=("$k ($rel)|$wcell|$p|$f|$klc")
	notes+=("$k: times: kernel ready $((t1 - t0))s, warnings build $((t2 - t1))s, make check $((t3 - t2))s")
done

echo
echo "# ======== matrix ($(( $(date +%s) - t_all ))s)"
{
	echo "kernel|build warnings|passed|failed|kernel log clean"
	printf '%s\n' "${rows[@]}"
} | awk -F'|' '
	{ for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n = NR; nf = NF }
	END {
		for (r = 1; r <= n; r++) {
			line = ""
			for (i = 1; i <= nf; i++)
				line = line sprintf("%s%-*s", i > 1 ? " | " : "", i < nf ? w[i] : 0, c[r, i])
			print line
			if (r == 1) { sep = ""; for (i = 1; i <= nf; i++) sep = sep (i > 1 ? "-|-" : "") sprintf("%*s", w[i], "") ; gsub(/ /, "-", sep); print sep }
		}
	}'
echo
for l in "${notes[@]}"; do echo "# $l"; done
echo "$total_pass passed, $total_fail failed"
[ "$bad" -eq 0 ] && [ "$total_fail" -eq 0 ]
