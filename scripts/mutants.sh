#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/mutants.sh - `make mutants`: does the suite catch a broken driver?
#
# Each tests/mutants/NN-name.patch breaks one contract of the driver (its
# header says which, and why it matters) and names the tests that must
# catch it ("Tests:") and, optionally, the kernel to run them on
# ("Kernel:", default $MUTANTS_KVER or 7; "debug" is the KASAN/lockdep
# kernel of make check-debug, for a mutant only memory checking sees).
#
# First a control run: the named tests on the unmutated driver, once per
# kernel; they must pass, or a flaky test could "kill" a mutant. Then per
# mutant: the tracked files copied to build/mutants/NAME, the patch
# applied (a patch that no longer applies fails the run: update it with
# the code), the module built and the named tests run on it in a guest of
# their own. A mutant is killed when at least one of them fails. Two
# guests run at once (one single-threaded TCG guest per core).
#
# Usage: scripts/mutants.sh [PATCH...]   (default: every patch)
# Prints a table (mutant, kernel, tests, verdict: "killed by ..." or
# SURVIVED) and exits non-zero if any mutant survived, a patch did not
# apply or a control run failed. A debug mutant is "not run" when the
# debug kernel is not built (make check-debug builds it, ~15 min).
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO" || exit 1
OUT=$REPO/build/mutants
DEF_KVER=${MUTANTS_KVER:-7}
JOBS=${MUTANTS_JOBS:-2}

patches=("$@")
[ ${#patches[@]} -gt 0 ] || patches=(tests/mutants/*.patch)

field() { # FILE NAME: the header field NAME of a mutant
	sed -n '/^---$/q; s/^'"$2"': *//p' "$1" | head -n1
}

# copy_tree DIR: the tracked files of this checkout, in DIR.
copy_tree() {
	rm -rf "$1"
	mkdir -p "$1"
	git ls-files -z | tar -c --null -T - | tar -x -C "$1"
}

# run_tests DIR KVER TESTS LOG: build in DIR, run TESTS on KVER; status 0
# iff all passed. The .deb of test 27 is not built (no mutant needs it).
run_tests() {
	(cd "$1" && make --no-print-directory check KVER="$2" TESTS="$3" \
		LAB_PKG=) >"$4" 2>&1
}

# failed_tests LOG_DIR: the names of the tests that failed in DIR's run.
failed_tests() {
	sed -n 's/^not ok [0-9]* \([^ ]*\).*/\1/p' "$1/build/vm/check/ktap.txt" \
		2>/dev/null | tr '\n' ' '
}

have_debug() { scripts/debugkernel.sh release >/dev/null 2>&1; }

mkdir -p "$OUT"
declare -A kver tests
kernels=()
for p in "${patches[@]}"; do
	[ -f "$p" ] || { echo "mutants: no $p" >&2; exit 2; }
	n=$(basename "$p" .patch)
	kver[$n]=$(field "$p" Kernel)
	[ -n "${kver[$n]}" ] || kver[$n]=$DEF_KVER
	tests[$n]=$(field "$p" Tests)
	[ -n "${tests[$n]}" ] || { echo "mutants: $p has no Tests: line" >&2; exit 2; }
	# The runs use the tracked files only: a test not committed yet
	# would not run, and its mutant would "survive" for nothing.
	for t in ${tests[$n]}; do
		[ -n "$(git ls-files "tests/$t-*.sh")" ] ||
			{ echo "mutants: $p names test $t, which is not a tracked tests/$t-*.sh" >&2; exit 2; }
	done
	[[ " ${kernels[*]} " == *" ${kver[$n]} "* ]] || kernels+=("${kver[$n]}")
done

bad=0
# ---- control: the union of each kernel's tests, unmutated
for k in "${kernels[@]}"; do
	if [ "$k" = debug ] && ! have_debug; then continue; fi
	want=""
	for n in "${!kver[@]}"; do
		[ "${kver[$n]}" = "$k" ] || continue
		for t in ${tests[$n]}; do
			[[ " $want " == *" $t "* ]] || want+=" $t"
		done
	done
	echo "# control on $k:$want"
	copy_tree "$OUT/control-$k"
	if run_tests "$OUT/control-$k" "$k" "$want" "$OUT/control-$k.log"; then
		echo "# control on $k: passed"
	else
		echo "# control on $k FAILED: $(failed_tests "$OUT/control-$k")(log: $OUT/control-$k.log)"
		bad=1
	fi
done
if [ "$bad" -ne 0 ]; then
	echo "mutants: the unmutated driver fails the tests: no verdict" >&2
	exit 1
fi

# ---- the mutants, $JOBS at a time
running=0
for p in "${patches[@]}"; do
	n=$(basename "$p" .patch)
	if [ "${kver[$n]}" = debug ] && ! have_debug; then
		echo "not run (no debug kernel)" >"$OUT/$n.verdict"
		continue
	fi
	if [ "$running" -ge "$JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
	(
		d=$OUT/$n
		copy_tree "$d"
		if ! patch -d "$d" -p1 --quiet <"$p" >"$OUT/$n.log" 2>&1; then
			echo "PATCH DOES NOT APPLY" >"$OUT/$n.verdict"
			exit 0
		fi
		if run_tests "$d" "${kver[$n]}" "${tests[$n]}" "$OUT/$n.log"; then
			echo "SURVIVED" >"$OUT/$n.verdict"
		else
			f=$(failed_tests "$d")
			echo "killed by ${f:-the run (no test result: see the log)}" \
				>"$OUT/$n.verdict"
		fi
	) &
	running=$((running + 1))
	echo "# $n: running ${tests[$n]} on ${kver[$n]}"
done
wait

printf '%-28s %-6s %-10s %s\n' mutant kernel tests verdict
for p in "${patches[@]}"; do
	n=$(basename "$p" .patch)
	v=$(cat "$OUT/$n.verdict" 2>/dev/null || echo "no verdict")
	printf '%-28s %-6s %-10s %s\n' "$n" "${kver[$n]}" "${tests[$n]}" "$v"
	case $v in
	killed*|"not run"*) ;;
	*) bad=1 ;;
	esac
done
[ "$bad" -eq 0 ] || { echo "mutants: not every mutant was killed (logs: $OUT)"; exit 1; }
echo "mutants: every mutant killed"
