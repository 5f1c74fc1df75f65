#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/matrix.sh - `make check-matrix`: for each kernel, a warnings build
# and the whole suite in the VM, then one summary table.
#
# Usage: scripts/matrix.sh [--debug "TESTS"] [KERNEL...]
#   KERNEL: an alias or release that scripts/kernels.sh knows (default:
#   6.1 6.12 7).
#   --debug "TESTS": also run TESTS on the debug kernel (make check
#   KVER=debug), as one more job of the pool; its row has no warnings
#   build.
#   env TESTS="01 05": run only those tests (as make check).
#   env MATRIX_JOBS=N: run N kernels at once (by default as many as the
#   CPUs: each guest is single-threaded TCG, one core).
#
# First, one kernel after the other: make lab-kernel KVER=K (for 7 it
# creates the sid chroot on first use; for debug it builds the debug
# kernel unless cached) and the iproute2 source the plugin builds against
# (shared by every job).  Then the jobs, MATRIX_JOBS at a time, the debug
# one first (the longest); each in its own copy of the sources,
# build/matrix/<K>/tree (the files git tracks or would track: the lab
# builds the module in the tree it runs from):
#  1. build warnings: scripts/warnbuild.sh builds another copy,
#     build/matrix/<K>/src, with W=1 C=2 (for a chroot kernel inside the
#     chroot, with its gcc and sparse); every "warning:" line counts, and
#     modpost's "WARNING:" lines.  If sparse is missing, checked nothing,
#     or printed errors (it could not parse the kernel's headers), the
#     table says so: the count is then gcc's alone;
#  2. make check KVER=K in the tree; its KTAP is kept as
#     build/matrix/<K>/ktap.txt, its output (one line per test, printed
#     live with a "[K] " prefix) as build/matrix/<K>/check.log and the
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

debug_tests=""
if [ "${1:-}" = --debug ]; then
	debug_tests=${2:-}
	shift 2
	[ -n "$debug_tests" ] || { echo "matrix: --debug needs tests" >&2; exit 1; }
fi
[ $# -gt 0 ] || set -- 6.1 6.12 7
OUTB="$REPO/build/matrix"
mkdir -p "$OUTB"
jobs=${MATRIX_JOBS:-$(nproc)}
[ "$jobs" -ge 1 ] 2>/dev/null || { echo "matrix: MATRIX_JOBS=$jobs" >&2; exit 1; }

# The jobs: the debug one first, then the kernels in the order given.
all=("$@")
[ -z "$debug_tests" ] || all=(debug "$@")
t_all=$(date +%s)

# prepare K: the kernel (and chroot) available, one after the other (the
# chroot and the debug kernel are made once, with every core).
prepare() {
	local k=$1 out=$OUTB/$1
	rm -rf "$out"
	mkdir -p "$out"
	echo "# ======== kernel $k: preparing"
	$MAKE --no-print-directory lab-kernel KVER="$k" </dev/null
}

# job K: the warnings build and the suite of one kernel, in its own tree;
# leaves its table row in OUT/row, its notes in OUT/notes and its counts
# in OUT/count ("PASSED FAILED BAD").
job() {
	local k=$1 out=$OUTB/$1 tree=$OUTB/$1/tree
	local t1 t2 t3 wrc brc=0 warn wcell sparse_v crc count p f klc rel
	local tests=${TESTS:-}

	[ "$k" != debug ] || tests=$debug_tests
	rel=$(scripts/kernels.sh resolve "$k")
	mkdir -p "$tree"
	git ls-files -z --cached --others --exclude-standard |
		tar -c --null --ignore-failed-read -T - 2>/dev/null |
		tar -x -C "$tree"
	t1=$(date +%s)

	# 1. warnings build in a copy of the sources (scripts/warnbuild.sh)
	wcell="-"
	if [ "$k" != debug ]; then
		scripts/warnbuild.sh "$k" "$out" >"$out/wnotes"
		wrc=$?
		[ $wrc -ne 1 ] || brc=1
		sparse_v=$(cat "$out/sparse.txt")
		warn=$(wc -l <"$out/warnings.txt")
		case $wrc in
		1) wcell="$warn (build failed)" ;;
		2) wcell="$warn (gcc only: no sparse)" ;;
		3) wcell="$warn (gcc only: sparse $sparse_v unusable)" ;;
		*) wcell=$warn ;;
		esac
		sed "s/^/$k: /" "$out/wnotes" >>"$out/notes"
		head -n 20 "$out/warnings.txt" | sed "s/^/$k: /" >>"$out/notes"
	fi
	t2=$(date +%s)

	# 2. the suite, in the tree; live lines prefixed with the kernel
	(cd "$tree" && $MAKE --no-print-directory check KVER="$k" \
		${tests:+TESTS="$tests"}) </dev/null 2>&1 |
		tee "$out/check.log" | sed -u "s/^/[$k] /"
	crc=${PIPESTATUS[0]}
	t3=$(date +%s)
	for f in ktap dmesg console; do
		[ ! -f "$tree/build/vm/check/$f.txt" ] ||
			cp "$tree/build/vm/check/$f.txt" "$out/$f.txt"
	done
	count=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out/check.log" | tail -n1)
	if [ -z "$count" ]; then
		count="0 passed, 1 failed"
		echo "$k: make check stopped before the tests ran (status $crc, $out/check.log)" >>"$out/notes"
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
	awk -v k="$k" '
		/^(ok|not ok) [0-9]+ / {
			if ($1 == "not") { print k ": " $0; for (i = 0; i < nw && i < 4; i++) print k ":   " why[i] }
			nw = 0; kl = 0; next
		}
		/^# kernel log (during|after)/ { kl = 1 }
		/^# (FAIL|TIMEOUT)/ || /^# kernel log (during|after)/ || (kl && /^#   /) {
			if (nw < 4) why[nw++] = substr($0, 1, 300)
		}' "$out/ktap.txt" >>"$out/notes" 2>/dev/null
	echo "$k ($rel)|$wcell|$p|$f|$klc" >"$out/row"
	echo "$k: times: warnings build $((t2 - t1))s, make check $((t3 - t2))s" >>"$out/notes"
	echo "$p $f $brc" >"$out/count"
	echo "# ======== kernel $k: $count ($((t3 - t1))s)"
}

ready=()
for k in "${all[@]}"; do
	if prepare "$k"; then
		ready+=("$k")
	else
		echo "$k|-|0|1|-" >"$OUTB/$k/row"
		echo "$k: kernel not available (make lab-kernel KVER=$k failed)" >"$OUTB/$k/notes"
		echo "0 1 1" >"$OUTB/$k/count"
	fi
done
# Every job builds the plugin against the same cached iproute2 source:
# fetch it once, before they run.
if [ -f iproute2/Makefile ] && [ ${#ready[@]} -gt 0 ]; then
	$MAKE --no-print-directory -C iproute2 source </dev/null ||
		echo "# matrix: the iproute2 source is missing; every job will say so"
fi

echo "# ======== ${#ready[@]} jobs, $jobs at a time: ${ready[*]}"
running=0
for k in "${ready[@]}"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	job "$k" &
	running=$((running + 1))
done
wait

rows=()
notes=()
total_pass=0 total_fail=0 bad=0
for k in "${all[@]}"; do
	out=$OUTB/$k
	rows+=("$(cat "$out/row" 2>/dev/null || echo "$k|-|0|1|-")")
	[ ! -f "$out/notes" ] || while IFS= read -r l; do notes+=("$l"); done <"$out/notes"
	read -r p f b <"$out/count" 2>/dev/null || { p=0 f=1 b=1; }
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	[ "$f" -eq 0 ] && [ "$b" -eq 0 ] || bad=1
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
