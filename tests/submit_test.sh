#!/usr/bin/env bash
# tabrl submit / status without a cluster: --dry-run, a missing sbatch,
# sbatch refusals (with the array cancelled when the merge job is refused),
# and the generated batch scripts run by hand (as Slurm would run them)
# giving the same runs.csv as a local run.  The real-cluster tests are the
# `slurm` suite (tests/slurm_test.sh).
# Usage: submit_test.sh PATH/TO/tabrl EXPERIMENTS_DIR
set -u
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
tabrl=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
experiments=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
exp="$experiments/quickstart.ini"
short=(--set experiment.episodes=300 --set experiment.seeds=3)

# Fake Slurm clients: sbatch answers from a script of replies, scancel logs.
mkdir bin
cat >bin/sbatch <<'SH'
#!/bin/sh
n=$(cat "$FAKE/calls" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" >"$FAKE/calls"
echo "$*" >>"$FAKE/sbatch.log"
reply=$(sed -n "${n}p" "$FAKE/replies")
case "$reply" in
  fail:*) echo "${reply#fail:}" >&2; exit 1 ;;
  *) echo "$reply" ;;
esac
SH
cat >bin/scancel <<'SH'
#!/bin/sh
echo "scancel $*" >>"$FAKE/scancel.log"
SH
chmod +x bin/sbatch bin/scancel
fake() { # fake DIR REPLY...: a fresh fake Slurm with these sbatch replies
  rm -rf "$1"; mkdir -p "$1"; shift
  printf '%s\n' "$@" >"$FAKE/replies"
}

# --dry-run: the scripts and commands, nothing written, no Slurm needed.
expect dry-run 0 '#SBATCH --array=1-4' "$tabrl" submit "$exp" "${short[@]}" --tasks 4 --out dry --dry-run --partition p1 --time 00:10:00
check dry-run-nothing-written test ! -e dry
expect dry-run-merge 0 'sbatch --parsable --dependency=afterok:<array job id>' "$tabrl" submit "$exp" "${short[@]}" --tasks 4 --out dry --dry-run
expect dry-run-tasks-capped 0 '#SBATCH --array=1-15$' "$tabrl" submit "$exp" "${short[@]}" --tasks 64 --out dry --dry-run

# Input errors: exit 2 before anything is submitted.
expect no-tasks 2 'needs the number of array tasks' "$tabrl" submit "$exp" --out x --dry-run
printf '[experiment]\nenv = riverswim\nepisodes = 10\n[algo r]\ntype = random\n[slurm]\ntask = 4\n' >typo.ini
expect slurm-key-typo 2 "typo.ini:7: unknown key 'task' in \[slurm\]; did you mean 'tasks'\?" "$tabrl" submit typo.ini --dry-run
expect slurm-key-in-run 2 "unknown key 'task' in \[slurm\]" "$tabrl" run typo.ini --out typo-run --quiet
printf '[experiment]\nenv = riverswim\nepisodes = 10\n[algo r]\ntype = random\n[slurm]\ntasks = 2\npartition = p2\n' >withslurm.ini
expect slurm-section 0 '#SBATCH --partition=p2' "$tabrl" submit withslurm.ini --dry-run --out ws
expect slurm-cli-wins 0 '#SBATCH --partition=p3' "$tabrl" submit withslurm.ini --dry-run --out ws --partition p3
expect no-sbatch 2 'sbatch not found on PATH.*--dry-run' env PATH=/nonexistent "$tabrl" submit "$exp" "${short[@]}" --tasks 4 --out nos
mkdir other && printf '[tabrl]\nexperiment_hash = 0123456789abcdef\n' >other/manifest.ini
export FAKE="$work/fake"
fake "$FAKE" 101 102
expect other-experiment 2 'holds the results of a different experiment' env PATH="$work/bin:$PATH" "$tabrl" submit "$exp" "${short[@]}" --tasks 4 --out other
check other-no-sbatch test ! -e "$FAKE/calls"

# sbatch refuses the array: exit 1, its message.
fake "$FAKE" "fail:sbatch: error: invalid partition specified: nope"
expect array-refused 1 'sbatch refused the array job: sbatch: error: invalid partition' env PATH="$work/bin:$PATH" "$tabrl" submit "$exp" "${short[@]}" --tasks 4 --out refused --partition nope
check array-refused-no-cancel test ! -e "$FAKE/scancel.log"

# sbatch accepts the array, refuses the merge job: the array is cancelled.
fake "$FAKE" 201 "fail:sbatch: error: QOSMaxSubmitJobPerUserLimit"
expect merge-refused 1 'refused the merge job: .*QOSMaxSubmitJobPerUserLimit; cancelled array job 201' env PATH="$work/bin:$PATH" "$tabrl" submit "$exp" "${short[@]}" --tasks 4 --out halfway
check merge-refused-cancelled grep -qx 'scancel 201' "$FAKE/scancel.log"

# Both accepted: the scripts are written; run them as Slurm would.
fake "$FAKE" "301;cluster" 302
expect submitted 0 'submitted array job 301 \(4 tasks\) and merge job 302 \(afterok:301\); results in .*/sub/$' env PATH="$work/bin:$PATH" "$tabrl" submit "$exp" "${short[@]}" --tasks 4 --out sub --cpus-per-task 2
check merge-dependency grep -q -- '--dependency=afterok:301 --export=ALL,TABRL_ARRAY_JOB=301' "$FAKE/sbatch.log"
check array-script-cpus grep -q '^#SBATCH --cpus-per-task=2$' sub/slurm/array.sh
expect status-before 0 'shard 1/4: not started \(0 of 4 runs\)' "$tabrl" status sub
for k in 1 2 3 4; do
  SLURM_ARRAY_TASK_ID=$k SLURM_CPUS_PER_TASK=2 sh sub/slurm/array.sh >/dev/null 2>&1
done
# A shard keeps its .runs (its task may be requeued until the merge): a
# "requeued" task reruns its shard, reuses every run (elapsed_s, which a
# recomputation would change, stays) and duplicates nothing.
check shard-keeps-runs test "$(compgen -G 'sub/shards/2/.runs/run-*' | wc -l)" -eq 4
cp sub/shards/2/runs.csv before-requeue.csv
sleep 0.01
SLURM_ARRAY_TASK_ID=2 sh sub/slurm/array.sh >/dev/null 2>&1
check requeue-reuses cmp -s before-requeue.csv sub/shards/2/runs.csv
check requeue-manifest grep -qx 'reused = 4' sub/shards/2/manifest.ini
expect status-shards-done 0 'shard 4/4: done \(3 of 3 runs\)' "$tabrl" status sub
TABRL_ARRAY_JOB=301 SLURM_JOB_ID=302 sh sub/slurm/merge.sh >/dev/null 2>&1
"$tabrl" run "$exp" "${short[@]}" --out local --quiet >/dev/null 2>&1
check slurm-equals-local cmp -s <(cut -d, -f1-9,11- local/runs.csv) <(cut -d, -f1-9,11- sub/runs.csv)
check slurm-summary-equals-local cmp -s local/summary.csv sub/summary.csv
check slurm-policies-equal-local cmp -s local/policies.csv sub/policies.csv
check manifest-job-ids grep -qx 'array_job = 301' sub/manifest.ini
check manifest-merge-id grep -qx 'merge_job = 302' sub/manifest.ini
check figure test -s sub/cum_regret.png
check merged-no-runs-dir test ! -e sub/.runs
check merged-manifest-no-resume-counts test -z "$(grep -E '^(reused|dropped|recomputed_damaged) = ' sub/manifest.ini)"
check local-no-runs-dir test ! -e local/.runs
expect status-merged 0 '4 of 4 shards done, 15 of 15 runs finished; array job 301, merge job 302: merged' "$tabrl" status sub
expect status-missing 2 'slurm/submit.ini' "$tabrl" status local

finish
