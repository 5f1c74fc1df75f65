#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/warnbuild.sh - the warnings build of one kernel, shared by
# `make check-matrix` (scripts/matrix.sh) and `make lint` (scripts/lint.sh):
# a copy of the module's sources built with W=1 C=2 (gcc's extra warnings
# and sparse on every .c file).
#
# Usage: scripts/warnbuild.sh KERNEL OUT
#   KERNEL: an alias or release that scripts/kernels.sh knows (it must be
#   prepared: make lab-kernel KVER=KERNEL).  Writes, in directory OUT:
#     OUT/src/        a fresh copy of the sources, built there (for a
#                     chroot kernel inside the chroot, with its gcc and
#                     sparse)
#     OUT/build.log   the build's output
#     OUT/warnings.txt  every "warning:" line (gcc, sparse) and every
#                     "WARNING:" line (modpost), as printed
#     OUT/sparse.txt  the sparse version used ("" if none)
# Prints notes (why sparse did not check everything, the build's errors),
# one a line, on stdout.
# Exit status: 0 built, sparse checked every .c file; 1 the build failed;
# 2 no sparse; 3 sparse unusable (checked nothing or printed errors: it
# could not parse the kernel's headers); 4 sparse checked only some files.
# Warnings alone never change the status: the callers judge them.
set -uo pipefail

SELF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SELF_DIR/.." && pwd)
[ $# -eq 2 ] || { echo "usage: $0 KERNEL OUT" >&2; exit 1; }
k=$1
out=$2

cd "$REPO" || exit 1
rm -rf "$out/src"
mkdir -p "$out/src"
out=$(cd "$out" && pwd)
cp -r Kbuild ./*.c ./*.h uapi "$out/src/"
sparse_v=$(scripts/kernels.sh sparse "$k" | head -n1)
echo "$sparse_v" >"$out/sparse.txt"
scripts/kernels.sh kbuild "$k" "$out/src" modules W=1 C=2 </dev/null >"$out/build.log" 2>&1
brc=$?
grep -E 'warning:|^WARNING: ' "$out/build.log" >"$out/warnings.txt"
checked=$(grep -cE '^ *CHECK ' "$out/build.log")
nsrc=$(find "$out/src" -maxdepth 1 -name '*.c' ! -name '*.mod.c' | wc -l)
serr=$(grep -c 'error:' "$out/build.log")

if [ $brc -ne 0 ]; then
	echo "W=1 C=2 build failed, see $out/build.log:"
	grep -E 'error:|Error [0-9]' "$out/build.log" | head -n 8 | sed 's/^/    /'
	exit 1
elif [ -z "$sparse_v" ]; then
	echo "no sparse: gcc's warnings only"
	exit 2
elif [ "$checked" -eq 0 ] || [ "$serr" -gt 0 ]; then
	echo "sparse $sparse_v checked $checked files, printed $serr error lines ($out/build.log)"
	exit 3
elif [ "$checked" -lt "$nsrc" ]; then
	echo "sparse checked $checked of $nsrc .c files (a Kbuild rule without force_checksrc?)"
	exit 4
fi
exit 0
