#!/usr/bin/env bash
# End-to-end tests of `tabrl submit` and `tabrl status` against a real Slurm
# (the single-node cluster of .ci/slurm-up): a sharded job array plus its
# merge job give the same bytes as a local `tabrl run`; a running array task
# that is requeued resumes its shard and the merged output is still the same.
# Usage: slurm_test.sh PATH/TO/tabrl EXPERIMENTS_DIR.  Run only when the
# cluster is up (meson test --suite slurm); it fails, never skips, when
# Slurm does not answer.  Prints the Check-style count line.
set -u
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
tabrl=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
experiments=$(cd "$2" && pwd)
exp=$experiments/quickstart.ini
work=$(mktemp -d)
jobs=
cleanup() {
  # shellcheck disable=SC2086 # a list of job ids
  [ -n "$jobs" ] && scancel $jobs 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1
started=$SECONDS

# The CSVs without the elapsed_s column, the only one allowed to differ.
strip() { cut -d, -f1-9,11- "$1"; }
same_runs() { cmp -s <(strip "$1/runs.csv") <(strip "$2/runs.csv"); }

# fail NAME MESSAGE: a failed check that is not a command.
fail() {
  checks=$((checks + 1))
  failures=$((failures + 1))
  echo "FAIL $1: $2" >&2
}

# ---- the cluster must answer: this suite never skips ----
if ! command -v sinfo >/dev/null || ! command -v sbatch >/dev/null; then
  fail slurm "sinfo/sbatch not on PATH: start a cluster with .ci/slurm-up (as root) first"
  finish
  exit 1
fi
if ! nodes=$(timeout 10 sinfo -h -N -o %T 2>&1) || [ -z "$nodes" ]; then
  fail slurm "sinfo does not answer (${nodes:-no nodes}): start the cluster with .ci/slurm-up (as root) first"
  finish
  exit 1
fi

# submit DIR ARGS...: runs `tabrl submit`, checks its line and sets $array
# and $merge to the two job ids (empty when it failed).
submit() {
  local dir=$1 out
  shift
  array="" merge=""
  checks=$((checks + 1))
  out=$("$tabrl" submit "$exp" "$@" --out "$dir" 2>&1)
  if [[ $out =~ submitted\ array\ job\ ([0-9]+)\ \(([0-9]+)\ tasks\)\ and\ merge\ job\ ([0-9]+)\ \(afterok:([0-9]+)\)\;\ results\ in\ (.*)/$ ]] &&
    [ "${BASH_REMATCH[4]}" = "${BASH_REMATCH[1]}" ] && [ "${BASH_REMATCH[5]}" = "$work/$dir" ]; then
    array=${BASH_REMATCH[1]}
    merge=${BASH_REMATCH[3]}
    jobs="$jobs $array $merge"
  else
    failures=$((failures + 1))
    echo "FAIL submit-$dir: output:" >&2
    echo "$out" >&2
  fi
}

# show DIR JOBS...: what Slurm and the task logs say, after a failure.
show() {
  local dir=$1 log
  shift
  for j in "$@"; do scontrol show job "$j" >&2; done
  for log in "$dir"/slurm/*.out; do
    [ -f "$log" ] || continue
    echo "---- $log" >&2
    tail -n 20 "$log" >&2
  done
}

# wait_jobs NAME DIR ARRAY MERGE: polls squeue until both jobs have left
# the queue (timeout 180 s). There is no accounting daemon, so sacct does
# not work; squeue and scontrol are what there is. A merge job whose
# afterok can no longer be met (an array task failed) stays pending
# forever: stop at once then.
wait_jobs() {
  local name=$1 dir=$2 a=$3 m=$4 out
  checks=$((checks + 1))
  for _ in $(seq 1800); do
    if out=$(squeue -h -j "$a,$m" -o '%i %T %r' 2>&1); then
      [ -z "$out" ] && return 0
    elif grep -q 'Invalid job id' <<<"$out"; then
      return 0
    fi
    if grep -q DependencyNeverSatisfied <<<"$out"; then
      failures=$((failures + 1))
      echo "FAIL $name: an array task failed, the merge job $m can never run" >&2
      show "$dir" "$a" "$m"
      return 1
    fi
    sleep 0.1
  done
  failures=$((failures + 1))
  echo "FAIL $name: jobs $a and $m still queued after 180s" >&2
  show "$dir" "$a" "$m"
  scancel "$a" "$m" 2>/dev/null
  return 1
}

# job_state JOB: COMPLETED, FAILED, ... (scontrol keeps finished jobs for
# MinJobAge, 300 s).
job_state() { scontrol show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -n 1 | cut -d= -f2; }

# manifest_slurm DIR KEY: the value of KEY in the [slurm] section.
manifest_slurm() {
  awk -v key="$2" '/^\[/ {in_slurm = ($0 == "[slurm]")} in_slurm && $1 == key && $2 == "=" {print $3}' "$1/manifest.ini"
}

# ---- 1. a 4-task array and its merge job = a local run, byte for byte ----
"$tabrl" run "$exp" --set experiment.episodes=2000 --out local --quiet -j 2 >/dev/null 2>&1
submit slurm1 --set experiment.episodes=2000 --tasks 4
if [ -n "$array" ]; then
  check array-script test -s slurm1/slurm/array.sh
  check merge-script test -s slurm1/slurm/merge.sh
  t0=$SECONDS
  if wait_jobs wait-slurm1 slurm1 "$array" "$merge"; then
    echo "slurm1: 4 tasks + merge in $((SECONDS - t0))s" >&2
    check merge-completed test "$(job_state "$merge")" = COMPLETED
    for k in 1 2 3 4; do
      check "task-$k-log" grep -q "shard $k/4" "slurm1/slurm/task-$k.out"
      check "shard-$k-runs" test -s "slurm1/shards/$k/runs.csv"
    done
    check slurm-equals-local same_runs local slurm1
    check slurm-summary-equals-local cmp -s local/summary.csv slurm1/summary.csv
    check manifest-array-job test "$(manifest_slurm slurm1 array_job)" = "$array"
    check manifest-merge-job test "$(manifest_slurm slurm1 merge_job)" = "$merge"
    check figure test -s slurm1/cum_regret.png
    check figure-script test -s slurm1/cum_regret.gp
    expect status-done 0 'shard 1/4: done' "$tabrl" status slurm1
    expect status-all-done 0 'shard 4/4: done' "$tabrl" status slurm1
    check status-none-missing test "$("$tabrl" status slurm1 2>&1 | grep -cE 'running|not started')" -eq 0
  fi
fi

# ---- 2. requeue a running array task: it resumes, the output is the same ----
# 60,000 episodes: a shard of 40 runs takes about 6 s at -j 1, long enough
# to requeue its task in the middle.
long=(--set experiment.episodes=60000)
submit slurm2 "${long[@]}" --tasks 2
if [ -n "$array" ]; then
  task=
  for _ in $(seq 600); do
    task=$(squeue -h -t R -r -j "$array" -o %i 2>/dev/null | head -n 1)
    [ -n "$task" ] && break
    sleep 0.1
  done
  k=${task#*_}
  runs=slurm2/shards/$k/.runs
  for _ in $(seq 600); do
    compgen -G "$runs/run-*.csv" >/dev/null && break
    sleep 0.05
  done
  # The runs this task finished before the requeue, with their inodes.
  before=$(stat -c '%i %n' "$runs"/run-*.csv 2>/dev/null)
  check requeue-task-running test -n "$task" -a -n "$before"
  check requeue-mid-shard test ! -e "slurm2/shards/$k/runs.csv"
  requeued=$(date +%s)
  if ! err=$(scontrol requeue "$task" 2>&1); then
    # Not needed with this slurm.conf (JobRequeue=1, the array script has
    # --requeue): a refused requeue of a running task falls back to killing
    # its tabrl (the task fails) and requeueing the failed task. Beware:
    # Slurm then marks the merge job's afterok on the array as never
    # satisfiable, even once the requeued task succeeds.
    echo "scontrol requeue $task refused ($err): SIGKILL its tabrl, then requeue" >&2
    pkill -KILL -f "shard $k/2"
    for _ in $(seq 100); do
      [ -z "$(squeue -h -t R -j "$task" 2>/dev/null)" ] && break
      sleep 0.1
    done
    requeued=$(date +%s)
    scontrol requeue "$task"
  fi
  # Slurm holds a requeued batch job for cred_expire + 1 s (121 s by
  # default, reason BeginTime) before it may start again: slurmd has revoked
  # the job's credential, and a new one issued within the same second of the
  # revocation is refused too ("Killing non-startable batch JobId=...: Job
  # credential revoked", the task then FAILS and the merge's afterok can
  # never be met). So wait until two seconds after the requeue, then start
  # it at once (the update also wakes the scheduler).
  for _ in $(seq 300); do
    if [ "$(squeue -h -j "$task" -o '%T %r' 2>/dev/null)" = "PENDING BeginTime" ] &&
      [ "$(date +%s)" -ge $((requeued + 2)) ]; then
      scontrol update JobId="$task" StartTime=now
      break
    fi
    sleep 0.1
  done
  t0=$SECONDS
  if wait_jobs wait-slurm2 slurm2 "$array" "$merge"; then
    echo "slurm2: requeue of $task, then both jobs in $((SECONDS - t0))s" >&2
    check requeue-merge-completed test "$(job_state "$merge")" = COMPLETED
    check requeue-restarts grep -q 'Restarts=1 ' <(scontrol show job "$task")
    # Resumed, not recomputed, with two robust signs: the task's log (the
    # array script appends, --open-mode=append) shows its shard starting
    # twice; and every run file finished before the requeue is still the
    # same file (same inode: a run written again would be a new file,
    # written to a temporary name and renamed over it), so --resume kept it.
    check requeue-two-starts test "$(grep -c "shard $k/2: start" "slurm2/slurm/task-$k.out")" -ge 2
    mapfile -t kept < <(awk '{print $2}' <<<"$before")
    check requeue-kept-runs test "$(stat -c '%i %n' "${kept[@]}" 2>/dev/null)" = "$before"
    "$tabrl" run "$exp" "${long[@]}" --out local2 --quiet -j 2 >/dev/null 2>&1
    check requeue-equals-local same_runs local2 slurm2
    check requeue-summary-equals-local cmp -s local2/summary.csv slurm2/summary.csv
    expect requeue-status 0 'shard 2/2: done' "$tabrl" status slurm2
  fi
fi

echo "slurm suite: $((SECONDS - started))s" >&2
finish
