#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/lint.sh - `make lint`: the static checks of the project, one
# result per checker (per kernel for the builds), KTAP, then a last line
# "N passed, N failed".
#
# Usage: scripts/lint.sh [KERNEL...]    (default: 6.1 6.12 7)
#
# The checks, in order:
#  * checkpatch: scripts/checkpatch.pl --no-tree --strict
#    --max-line-length=80 on every .c and .h file (the driver, uapi/, the
#    iproute2 plugin);
#  * kernel-doc: scripts/kernel-doc -none -Wall on the driver's .c and .h;
#  * coccicheck: make -C KDIR M=<copy of the sources> coccicheck
#    MODE=report, every semantic patch of scripts/coccinelle/; KDIR: the
#    headers of the kernel whose linux-source is used (6.12);
#  * shellcheck: every shell script (*.sh, and files with a sh/bash #!);
#  * pyflakes: every Python file (*.py: the test helpers, bench/report.py,
#    scripts/check-doc.py), with Debian's pyflakes3: unused imports and
#    variables, undefined names;
#  * docs: make docs-check (Documentation/*.rst render without a docutils
#    warning and agree with the sources and with each other); not judged
#    against the allow list: the documentation is ours to fix;
#  * build K, for each KERNEL: the W=1 C=2 build of scripts/warnbuild.sh
#    (the same as check-matrix's); a gcc, sparse or modpost warning in the
#    module's own files is a finding; so are a build that fails and a
#    sparse that did not check every file;
#  * lint-allow: every entry of scripts/lint-allow.txt matched a finding
#    (entries of a check that did not run are only listed).
#
# A finding is one line "CHECK FILE: MESSAGE", line numbers left out, e.g.
#   checkpatch stats.c: WARNING:PREFER_ETHTOOL_PUTS: Prefer ethtool_puts ...
#   build:7 napi.c: warning: unused variable 'x' [-Wunused-variable]
# A check passes when each of its findings is in scripts/lint-allow.txt as
# "FINDING | REASON" (one a line; # starts a comment).  An entry accepts
# its message in its file wherever it occurs, as often as it occurs.
#
# checkpatch.pl (with spelling.txt and const_structs.checkpatch),
# kernel-doc, coccicheck and scripts/coccinelle/ come from Debian's
# linux-source-6.12 (else linux-source-6.1), which scripts/setup.sh
# installs: they are extracted once from /usr/src/linux-source-<v>.tar.xz
# into $MYNETDRV_CACHE/lint-<package version> (default /var/cache/mynetdrv).
# Output of each checker: build/lint/.
# Exit status: 0 iff every check passed.
set -uo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
SELF_DIR=$(dirname "$SELF")
REPO=$(dirname "$SELF_DIR")

# The kernel's Makefile runs "$(BASH) $(srctree)/scripts/coccicheck", and
# Debian's linux-headers ship neither that script nor the semantic patches.
# With BASH="lint.sh --coccicheck" the Makefile still sets what coccicheck
# takes from it (LINUXINCLUDE, KBUILD_EXTMOD, MODE) and this runs the
# linux-source copy, with srctree where its scripts/coccinelle/ is.
# (Its argument, the headers' missing script, is left out.)
if [ "${1:-}" = --coccicheck ]; then
	: "${MYNET_LINT_TOOLS:?set by scripts/lint.sh}"
	export srctree=$MYNET_LINT_TOOLS
	exec bash "$MYNET_LINT_TOOLS/scripts/coccicheck"
fi

cd "$REPO" || exit 1
[ $# -gt 0 ] || set -- 6.1 6.12 7
export LC_ALL=C
CACHE=${MYNETDRV_CACHE:-/var/cache/mynetdrv}
ALLOW=scripts/lint-allow.txt
OUT=$REPO/build/lint
TOOL_FILES=(scripts/checkpatch.pl scripts/spelling.txt
	scripts/const_structs.checkpatch scripts/kernel-doc
	scripts/coccicheck scripts/coccinelle)
rm -rf "$OUT"
mkdir -p "$OUT"
t_all=$(date +%s)

checks=(checkpatch kernel-doc coccicheck shellcheck pyflakes docs)
for k in "$@"; do checks+=("build:$k"); done
checks+=(lint-allow)
echo "KTAP version 1"
echo "1..${#checks[@]}"

n=0 passed=0 failed=0
result() { # STATUS NAME: print the KTAP line, count it
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n $2"
		passed=$((passed + 1))
	else
		echo "not ok $n $2"
		failed=$((failed + 1))
	fi
}

# Files of the checkout matching one of the GLOBs (all without): tracked,
# and new ones git does not ignore; outside git, all but build/.
repo_files() { # GLOB...
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files --cached --others --exclude-standard -- "$@" | sort -u
		return
	fi
	local f p
	find . \( -path ./build -o -path ./.git \) -prune -o -type f -print |
		sed 's|^\./||' | sort | while IFS= read -r f; do
			[ $# -gt 0 ] || { echo "$f"; continue; }
			for p in "$@"; do
				# shellcheck disable=SC2053 # a glob, on purpose
				if [[ $f == $p ]]; then echo "$f"; break; fi
			done
		done
}

# ------------------------------------------------------------ allow list
allow_key=() allow_why=() allow_used=() allow_bad=()
if [ -f "$ALLOW" ]; then
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in '' | '#'*) continue ;; esac
		key=${line% | *}
		why=${line##* | }
		key=${key%"${key##*[! ]}"}
		if [ "$key" = "$line" ] || [ -z "$key" ] || [ -z "${why// /}" ]; then
			allow_bad+=("$line")
			continue
		fi
		allow_key+=("$key")
		allow_why+=("$why")
		allow_used+=(0)
	done <"$ALLOW"
else
	echo "# no $ALLOW: every finding fails"
fi
declare -A ran=()

# judge CHECK FILE: FILE holds the check's findings ("PATH: MESSAGE", one
# a line); each is accepted by an allow entry or printed as a FINDING.
# Returns 1 iff some finding is not accepted.
judge() {
	local check=$1 f=$2 line i hit bad=0 total=0 acc=0
	ran[$check]=1
	while IFS= read -r line; do
		total=$((total + 1))
		hit=
		for i in "${!allow_key[@]}"; do
			if [ "${allow_key[$i]}" = "$check $line" ]; then
				hit=$i
				break
			fi
		done
		if [ -n "$hit" ]; then
			allow_used[hit]=1
			acc=$((acc + 1))
			echo "# accepted: $check $line (${allow_why[$hit]})"
		else
			echo "# FINDING: $check $line"
			bad=1
		fi
	done < <(sort -u "$f")
	echo "# $check: $total finding(s), $acc accepted by $ALLOW"
	return $bad
}

# Drop line (and column) numbers: "F:12: M" and "F:12:3: M" and
# "F:12:3-9: M" become "F: M".
strip_lines() { sed -E 's/^([^: ]+):[0-9]+(:[0-9]+(-[0-9]+)?)?: /\1: /'; }

# scan CHECK WHAT CMD...: run a checker whose output is one finding a line
# ("FILE:LINE: MESSAGE"), into $OUT/CHECK.log; its exit status is left in
# scan_rc; judge the findings, line numbers left out. WHAT says what it
# looked at, for the timing line. Returns judge's status.
scan() {
	local check=$1 what=$2 t0
	shift 2
	t0=$(date +%s)
	"$@" >"$OUT/$check.log" 2>&1
	scan_rc=$?
	strip_lines <"$OUT/$check.log" >"$OUT/$check.findings"
	echo "# $check: $what ($(($(date +%s) - t0)) s)"
	judge "$check" "$OUT/$check.findings"
}

# ------------------------------------------------------------ the tools
# Sets TOOLS (the extracted scripts) and SRC_VER (the linux-source
# alias, 6.12 or 6.1); returns 1 with a message when there are none.
TOOLS="" SRC_VER=""
lint_tools() {
	local v st ver tarball tmp
	for v in 6.12 6.1; do
		st=$(dpkg-query -W -f='${db:Status-Status} ${Version}' \
			"linux-source-$v" 2>/dev/null) || continue
		[ "${st%% *}" = installed ] || continue
		tarball=/usr/src/linux-source-$v.tar.xz
		[ -r "$tarball" ] || continue
		ver=${st#* }
		SRC_VER=$v
		TOOLS=$CACHE/lint-$ver
		break
	done
	if [ -z "$TOOLS" ]; then
		echo "# no linux-source-6.12 (nor 6.1) with its tarball in" \
			"/usr/src: run scripts/setup.sh"
		return 1
	fi
	[ -f "$TOOLS/.ready" ] && return 0
	if ! mkdir -p "$CACHE" 2>/dev/null || [ ! -w "$CACHE" ]; then
		echo "# cannot write $CACHE: run as root, or set MYNETDRV_CACHE"
		return 1
	fi
	exec 9>"$CACHE/lint.lock"
	flock 9
	if [ ! -f "$TOOLS/.ready" ]; then
		echo "# extracting ${TOOL_FILES[*]} from $tarball into $TOOLS"
		tmp=$TOOLS.new
		rm -rf "$tmp"
		mkdir -p "$tmp"
		if ! tar -xJf "$tarball" -C "$tmp" --strip-components=1 \
			"${TOOL_FILES[@]/#/linux-source-$SRC_VER/}"; then
			rm -rf "$tmp"
			exec 9>&-
			echo "# extracting from $tarball failed"
			return 1
		fi
		touch "$tmp/.ready"
		rm -rf "$TOOLS"
		mv "$tmp" "$TOOLS"
	fi
	exec 9>&-
}

t0=$(date +%s)
if lint_tools; then
	echo "# checkpatch, kernel-doc, coccicheck: linux-source-$SRC_VER," \
		"$TOOLS ($(($(date +%s) - t0)) s)"
else
	TOOLS=""
fi

mapfile -t cfiles < <(repo_files '*.c' '*.h')
mapfile -t dfiles < <(printf '%s\n' "${cfiles[@]}" | grep -v '^iproute2/')

# ------------------------------------------------------------ checkpatch
st=1
if [ -n "$TOOLS" ]; then
	scan checkpatch "${#cfiles[@]} files" \
		"$TOOLS/scripts/checkpatch.pl" --no-tree --strict --max-line-length=80 \
		--terse --show-types --no-summary --quiet -f "${cfiles[@]}"
	st=$?
fi
result $st checkpatch

# ------------------------------------------------------------ kernel-doc
st=1
if [ -n "$TOOLS" ]; then
	scan kernel-doc "${#dfiles[@]} files" \
		"$TOOLS/scripts/kernel-doc" -none -Wall "${dfiles[@]}"
	st=$?
	if [ $scan_rc -ne 0 ]; then
		echo "# kernel-doc exited with status $scan_rc"
		st=1
	fi
fi
result $st kernel-doc

# ------------------------------------------------------------ coccicheck
# On a copy of the driver's sources: M=$PWD would also walk build/.
t0=$(date +%s)
st=1
if [ -z "$TOOLS" ]; then
	:
elif ! command -v spatch >/dev/null; then
	echo "# coccicheck: no spatch (package coccinelle): run scripts/setup.sh"
elif ! rel=$(scripts/kernels.sh resolve "$SRC_VER"); then
	echo "# coccicheck: no $SRC_VER kernel headers for KDIR"
else
	ccdir=$OUT/cocci
	mkdir -p "$ccdir"
	cp -r Kbuild ./*.c ./*.h uapi "$ccdir/"
	MYNET_LINT_TOOLS=$TOOLS make -C "/lib/modules/$rel/build" M="$ccdir" \
		coccicheck MODE=report BASH="$SELF --coccicheck" \
		</dev/null >"$OUT/coccicheck.log" 2>&1
	cst=$?
	grep -F "$ccdir/" "$OUT/coccicheck.log" | sed "s|^$ccdir/||" | strip_lines |
		sed -E 's/line [0-9]+/line N/g' >"$OUT/coccicheck.findings"
	nsp=$(find "$TOOLS/scripts/coccinelle" -name '*.cocci' | wc -l)
	skipped=$(grep -c '^Skipping coccinelle SmPL patch' "$OUT/coccicheck.log")
	spv=$(spatch --version | head -n1 | awk '{print $3}')
	echo "# coccicheck: $nsp semantic patches ($skipped too new for" \
		"spatch $spv), KDIR $rel ($(($(date +%s) - t0)) s)"
	judge coccicheck "$OUT/coccicheck.findings"
	st=$?
	if [ $cst -ne 0 ]; then
		echo "# coccicheck failed (status $cst): $OUT/coccicheck.log"
		grep -v '^/usr/bin/spatch ' "$OUT/coccicheck.log" | tail -n 5 |
			sed 's/^/#   /'
		st=1
	fi
fi
result $st coccicheck

# ------------------------------------------------------------ shellcheck
mapfile -t sfiles < <(
	{
		repo_files '*.sh'
		repo_files | while IFS= read -r f; do
			head -n1 "$f" 2>/dev/null | grep -qE '^#!.*[/ ](ba|da)?sh( |$)' && echo "$f"
		done
	} | sort -u)
st=1
if ! command -v shellcheck >/dev/null; then
	echo "# shellcheck: not installed: run scripts/setup.sh"
else
	scan shellcheck "${#sfiles[@]} scripts" shellcheck -f gcc "${sfiles[@]}"
	st=$?
fi
result $st shellcheck

# ------------------------------------------------------------ pyflakes
mapfile -t pyfiles < <(repo_files '*.py')
st=1
if ! command -v pyflakes3 >/dev/null; then
	echo "# pyflakes: pyflakes3 not installed: run scripts/setup.sh"
else
	scan pyflakes "${#pyfiles[@]} files" pyflakes3 "${pyfiles[@]}"
	st=$?
fi
result $st pyflakes

# ------------------------------------------------------------ docs
t0=$(date +%s)
st=0
make --no-print-directory docs-check >"$OUT/docs.log" 2>&1 || st=1
sed 's/^/# docs: /' "$OUT/docs.log" | tail -n 5
echo "# docs: $(($(date +%s) - t0)) s"
result $st docs

# ------------------------------------------------------------ builds
for k in "$@"; do
	t0=$(date +%s)
	out=$OUT/build-$k
	mkdir -p "$out"
	if ! scripts/kernels.sh prepare "$k" >"$out/prepare.log" 2>&1; then
		echo "# build $k: kernel not available: $(tail -n1 "$out/prepare.log")"
		result 1 "build $k"
		continue
	fi
	wnotes=$(scripts/warnbuild.sh "$k" "$out")
	wrc=$?
	[ -z "$wnotes" ] || while IFS= read -r l; do
		echo "# build $k: $l"
	done <<<"$wnotes"
	# gcc quotes with ‘’ under a UTF-8 locale (the chroot's): make it '
	: >"$out/findings"
	while IFS= read -r l; do
		l=${l#"$out/src/"}
		l=${l#./}
		f=${l%%:*}
		case $l in
		'WARNING: '*)
			echo "mynetdrv.ko: $l" >>"$out/findings" ;;
		/*)
			echo "# build $k: not the module's: $l" ;;
		*)
			if [ -e "$out/src/$f" ]; then
				strip_lines <<<"$l" >>"$out/findings"
			else
				echo "# build $k: not the module's: $l"
			fi ;;
		esac
	done < <(sed "s/‘/'/g; s/’/'/g" "$out/warnings.txt")
	echo "# build $k: W=1 C=2, sparse $(cat "$out/sparse.txt")" \
		"($(($(date +%s) - t0)) s)"
	judge "build:$k" "$out/findings"
	st=$?
	[ $wrc -eq 0 ] || st=1
	result $st "build $k"
done

# ------------------------------------------------------------ allow list
st=0
for l in "${allow_bad[@]}"; do
	echo "# $ALLOW: not \"CHECK FILE: MESSAGE | REASON\": $l"
	st=1
done
for i in "${!allow_key[@]}"; do
	[ "${allow_used[$i]}" -eq 0 ] || continue
	c=${allow_key[$i]%% *}
	if [ -n "${ran[$c]:-}" ]; then
		echo "# $ALLOW: matches no finding any more (remove it): ${allow_key[$i]}"
		st=1
	else
		echo "# $ALLOW: not checked ($c did not run): ${allow_key[$i]}"
	fi
done
echo "# $ALLOW: ${#allow_key[@]} entries"
result $st lint-allow

echo "# lint took $(($(date +%s) - t_all)) s; output in $OUT"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
