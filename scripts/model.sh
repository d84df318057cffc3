#!/usr/bin/env bash
# model.sh: exhaustive SPIN model checking of the Promela models that sit
# next to the Go code they mirror (docs/model.md):
#   deque/deque.pml      the Chase-Lev deque (deque/deque.go)
#   scheduler/sleep.pml  the park/wake protocol (scheduler/sleep.go, worker.go)
# Each model must verify with no error, and each mutant (a deliberately broken
# variant, selected with a cpp define) must produce a counterexample.
# Exit status 0 only if all of that holds. Runs in well under a minute.
#
# Usage: scripts/model.sh            (make model)
#        KEEP=1 scripts/model.sh     keep the work directory (trails, pan.c)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# --- tools ---------------------------------------------------------------
if ! command -v spin >/dev/null 2>&1; then
	echo "model: spin not found; installing the Debian package"
	sudo=""
	if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo=sudo; fi
	$sudo apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq spin >/dev/null
fi
CC=${CC:-$(command -v gcc || command -v cc || true)}
if [ -z "$CC" ]; then
	echo "model: no C compiler (gcc or cc) found: SPIN compiles its verifier with one" >&2
	exit 1
fi
echo "model: $(spin -V | head -1); $($CC --version | head -1)"

work=$(mktemp -d "${TMPDIR:-/tmp}/forage-model.XXXXXX")
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$work"' EXIT; else echo "model: work dir $work"; fi

fail=0
t0=$SECONDS

# drift MODEL GOFILES...: every Go line a model quotes in a comment ("...")
# should still be in the Go code it mirrors. A missing one means the code
# changed under the model: a warning, for whoever changed it to look at.
drift() {
	local model=$1
	shift
	local src
	src=$(cat "$@" | tr '\t\n' '  ' | tr -s ' ')
	local q n=0
	while IFS= read -r q; do
		q=$(tr -s ' \t' '  ' <<<"$q")
		if ! grep -qF -- "$q" <<<"$src"; then
			[ $n = 0 ] && echo "warn $model quotes Go text that is no longer there (update the model?):"
			echo "       \"$q\""
			n=$((n + 1))
		fi
	done < <(grep -vE 'MUTANT' "$model" | grep -E '/\*|^[[:space:]]*\*' | grep -oE '"[^"]+"' | sed 's/^"//; s/"$//' | sort -u)
}
drift deque/deque.pml deque/deque.go
drift scheduler/sleep.pml $(ls scheduler/*.go | grep -v '_test\.go$')

# verify NAME MODEL EXPECT "SPIN DEFINES" "GCC FLAGS" "PAN FLAGS"
#   EXPECT is "pass" (no error allowed) or the text the counterexample must
#   contain (for a mutant), e.g. "assertion violated" or "acceptance cycle".
verify() {
	local name=$1 model=$2 expect=$3 sdefs=$4 cflags=$5 panflags=$6
	local dir="$work/$name"
	mkdir -p "$dir"
	cp "$root/$model" "$dir/"
	local pml
	pml=$(basename "$model")
	local out="$dir/pan.out"
	# shellcheck disable=SC2086 # word splitting of the flag lists is intended
	if ! (cd "$dir" && spin $sdefs -a "$pml" >spin.out 2>&1); then
		echo "FAIL $name: spin -a failed"; cat "$dir/spin.out"; return 1
	fi
	# shellcheck disable=SC2086
	if ! (cd "$dir" && "$CC" -w $cflags -o pan pan.c >cc.out 2>&1); then
		echo "FAIL $name: compiling pan.c failed"; cat "$dir/cc.out"; return 1
	fi
	# shellcheck disable=SC2086
	(cd "$dir" && ./pan $panflags >"$out" 2>&1) || true
	local errors states secs first
	errors=$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' "$out" | tail -1)
	states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "$out" | tail -1)
	secs=$(sed -n 's/^pan: elapsed time \([0-9.e+-]*\) seconds.*/\1/p' "$out" | tail -1)
	first=$(grep -m1 -E '^pan:1: |pan: (invalid end state|acceptance cycle|non-progress cycle)' "$out" || true)
	if [ -z "$errors" ]; then
		echo "FAIL $name: the verifier did not finish"; tail -20 "$out"; return 1
	fi
	if grep -qE 'max search depth too small|out of memory|search not completed' "$out"; then
		echo "FAIL $name: the search was not exhaustive"; grep -E 'max search depth|out of memory|not completed' "$out"; return 1
	fi
	if [ "$expect" = pass ]; then
		if [ "$errors" != 0 ]; then
			echo "FAIL $name: $first"
			echo "  counterexample (spin -t -p ${sdefs:+$sdefs }$model; last 40 steps):"
			# shellcheck disable=SC2086
			(cd "$dir" && spin $sdefs -t -p "$pml" 2>&1 |
				grep -E '^ *[0-9]+:[[:space:]]+proc|violated|cycle' | tail -40 | sed 's/^/    /') || true
			return 1
		fi
		printf 'ok   %-30s errors: 0  %10s states  %6ss\n' "$name" "$states" "$secs"
	else
		if [ "$errors" = 0 ]; then
			echo "FAIL $name: the mutant verified; the model no longer catches this bug"
			return 1
		fi
		if ! grep -qF "$expect" <<<"$first"; then
			echo "FAIL $name: expected a counterexample with \"$expect\", got: $first"
			return 1
		fi
		printf 'ok   %-30s caught: %s (%s states)\n' "$name" "$first" "$states"
	fi
}

# check NAME ...: run verify in the background, at most one per CPU; its
# report goes to a log that is printed, in order, at the end.
par=$(nproc 2>/dev/null || echo 2)
names=()
check() {
	while [ "$(jobs -rp | wc -l)" -ge "$par" ]; do wait -n || true; done
	local i=${#names[@]}
	names+=("$1")
	( if verify "$@" >"$work/$i.log" 2>&1; then echo 0; else echo 1; fi >"$work/$i.rc" ) &
}

# The deque: safety (assertions), exhaustive. COLLAPSE compresses states
# (exact, unlike bitstate hashing): ~3.3 M states in ~200 MB. -O1: gcc -O2
# takes twice as long on pan.c and the search is no faster. The other runs
# are small or stop at their first counterexample: -O0 builds fastest.
DQ_CC="-DSAFETY -DCOLLAPSE"
DQ_PAN="-m100000 -w23"
check deque                     deque/deque.pml     pass                 ""                        "-O1 $DQ_CC" "$DQ_PAN"
check deque/no-last-cas         deque/deque.pml     "assertion violated" "-DMUTANT_NO_LAST_CAS"    "-O0 $DQ_CC" "$DQ_PAN"
check deque/no-writable         deque/deque.pml     "assertion violated" "-DMUTANT_NO_WRITABLE"    "-O0 $DQ_CC" "$DQ_PAN"

# The sleep protocol: safety (Monitor's assertion at timeout, invalid end
# states), then liveness (LTL "progress" under weak fairness).
SL_SAFE="-O0 -DSAFETY -DNOCLAIM"
SL_LIVE="-O0"
check sleep                     scheduler/sleep.pml pass                 ""                        "$SL_SAFE" "-m100000"
check sleep/ltl                 scheduler/sleep.pml pass                 ""                        "$SL_LIVE" "-m100000 -a -f"
# Three jobs: a take of the fair share (2 of 3) leaves one behind, so the
# injector goes non-empty -> non-empty and back without the emptiness word
# changing in between (inject.go, nonEmpty). ~1.1 M and ~1.6 M states.
check sleep/3-jobs              scheduler/sleep.pml pass                 "-DNJOBS=3"               "$SL_SAFE -DCOLLAPSE" "-m200000"
check sleep/3-jobs/ltl          scheduler/sleep.pml pass                 "-DNJOBS=3"               "$SL_LIVE" "-m200000 -a -f"
check sleep/no-recheck          scheduler/sleep.pml "assertion violated" "-DMUTANT_NO_RECHECK"     "$SL_SAFE" "-m100000"
# -A: ignore the Monitor's assertion, so that the LTL formula alone must catch it.
check sleep/no-recheck/ltl      scheduler/sleep.pml "acceptance cycle"   "-DMUTANT_NO_RECHECK"     "$SL_LIVE" "-m100000 -a -f -A"
# A job that blocks its worker until another job starts: stopSearch's
# hand-off is then needed (docs/model.md).
SL_WAIT="-DWAITING_JOB -DNFORKS=0"
check sleep/waiting             scheduler/sleep.pml pass                 "$SL_WAIT"                "$SL_SAFE" "-m100000"
check sleep/waiting/ltl         scheduler/sleep.pml pass                 "$SL_WAIT"                "$SL_LIVE" "-m100000 -a -f"
check sleep/waiting/no-handoff  scheduler/sleep.pml "assertion violated" "$SL_WAIT -DMUTANT_NO_HANDOFF" "$SL_SAFE" "-m100000"
# The taker runs one job of its batch, which waits for another: only the
# notify after pushing the rest wakes the parked worker that must run it.
check sleep/waiting/no-batch-notify scheduler/sleep.pml "assertion violated" "$SL_WAIT -DMUTANT_NO_BATCH_NOTIFY" "$SL_SAFE" "-m100000"

wait
for i in "${!names[@]}"; do
	cat "$work/$i.log"
	if [ "$(cat "$work/$i.rc" 2>/dev/null)" != 0 ]; then fail=1; fi
done

echo "model: $((SECONDS - t0))s"
if [ "$fail" != 0 ]; then
	echo "model: FAILED"
	exit 1
fi
echo "model: all models verified, all mutants caught"
