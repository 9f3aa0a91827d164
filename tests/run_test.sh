#!/usr/bin/env bash
# End-to-end tests of `tabrl run`: file schema, determinism across -j and
# shards (merged with GNU parallel), resume after a kill, every bad input.
# Usage: run_test.sh PATH/TO/tabrl DATA_DIR [EXPERIMENTS_DIR].  Prints the
# Check-style count.
# shellcheck disable=SC2016 # awk programs are single-quoted on purpose
set -u
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
tabrl=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
data=$(cd "$2" && pwd)
experiments=${3:+$(cd "$3" && pwd)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

# The CSVs without the elapsed_s column, the only one allowed to differ.
strip() { cut -d, -f1-9,11- "$1"; }
same_runs() { cmp -s <(strip "$1/runs.csv") <(strip "$2/runs.csv"); }

# ---- a run and its files ----
expect run 0 'runs .* in' "$tabrl" run "$data/small.ini" --out a -j 1
# random's cumulative regret is exactly linear: log-log slope 1
expect summary-slope 0 '^random +default +300 +3 .* 1\.00$' "$tabrl" summarize a
for f in runs.csv summary.csv manifest.ini policies.csv; do check "file-$f" test -s "a/$f"; done
check runs-header test "$(head -n 1 a/runs.csv)" = "env,algo,config,seed,episode,return,value,regret,cum_regret,elapsed_s,w1,cramer,w1_bound,cramer_bound,value_err,queries,kl,cost,violation"
check policies-header test "$(head -n 1 a/policies.csv)" = "env,algo,config,seed,h,s,a,prob"
# 4 algos x 3 seeds x 6 checkpoints (every:50 of 300)
check runs-rows test "$(tail -n +2 a/runs.csv | wc -l)" -eq 72
check greedy-q-no-value test -z "$(awk -F, '$2 == "q" {print $7}' a/runs.csv | sort -u)"
check random-has-value test -n "$(awk -F, '$2 == "random" {print $7}' a/runs.csv | sort -u)"
# value iteration is exact after H = 10 iterations: regret 0 from then on
check vi-converges awk -F, '$2 == "vi" && $5 >= 50 && ($8 > 1e-9 || $8 < -1e-9) {bad = 1} END {exit bad}' a/runs.csv
# cum_regret is the running sum: non-decreasing for the random policy
check cum-regret-grows awk -F, '$2 == "random" {if ($4 == s && $9 < c - 1e-9) bad = 1; s = $4; c = $9} END {exit bad}' a/runs.csv
check manifest-hash grep -qE '^experiment_hash = [0-9a-f]{16}$' a/manifest.ini
check manifest-defaults grep -q '^alpha = ' a/manifest.ini

# ---- determinism: -j 2, and a second run, give the same bytes ----
"$tabrl" run "$data/small.ini" --out b --quiet -j 2 >/dev/null 2>&1
check deterministic-j2 same_runs a b
check deterministic-policies cmp -s a/policies.csv b/policies.csv
check deterministic-summary cmp -s a/summary.csv b/summary.csv

# ---- shards with GNU parallel, then merge ----
if command -v parallel >/dev/null; then
  parallel --will-cite "$tabrl" run "$data/small.ini" --shard {}/3 --out part{} --quiet ::: 1 2 3 >/dev/null 2>&1
  check shard-manifest grep -q '^shard = 2/3$' part2/manifest.ini
  # One figure per experiment: no shard draws one, the merge does.
  check shards-no-figure test -z "$(compgen -G 'part[123]/*.png')"
  expect merge 0 '' "$tabrl" merge part1 part2 part3 --out merged
  if command -v gnuplot >/dev/null; then
    check merge-figure test -s merged/cum_regret.png
  fi
  check sharded-equals-unsharded same_runs a merged
  check merged-summary cmp -s a/summary.csv merged/summary.csv
  check merged-policies cmp -s a/policies.csv merged/policies.csv
  # the merged manifest lists every shard's runs: a resume into it reuses all
  check merged-runs-section test "$(sed -n '/^\[runs\]$/,$p' merged/manifest.ini | grep -c ' = ')" -eq 12
  expect merged-resume 0 '12 runs \(12 already done\)' "$tabrl" run "$data/small.ini" --out merged --resume
  check merged-resume-same same_runs a merged
else
  checks=$((checks + 1))
  failures=$((failures + 1))
  echo "FAIL parallel: GNU parallel is not installed (./dev.sh installs it)" >&2
fi

# ---- kill mid-way, resume, compare ----
sed 's/^episodes = 300/episodes = 60000/' "$data/small.ini" >long.ini
"$tabrl" run long.ini --out killed --quiet -j 2 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do
  [ "$(compgen -G 'killed/.runs/run-*' | wc -l)" -ge 2 ] && break
  sleep 0.05
done
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
check killed-no-partial test ! -e killed/runs.csv
check killed-no-tmp-visible test -z "$(compgen -G 'killed/*' | grep -vx killed/manifest.ini)"
finished=$(compgen -G 'killed/.runs/run-*' | wc -l)
expect resume 0 "already done" "$tabrl" run long.ini --out killed --resume -j 2
"$tabrl" run long.ini --out whole --quiet -j 2 >/dev/null 2>&1
check resumed-equals-whole same_runs killed whole
check resume-kept-runs test "$finished" -ge 1

check resume-removes-runs test ! -e killed/.runs
check whole-removes-runs test ! -e whole/.runs

# ---- the figure: none for a shard or with --no-plot, each saying how to draw it ----
expect shard-says-merge 0 'no figure for a shard: tabrl merge draws' "$tabrl" run "$data/small.ini" --shard 1/2 --out shardfig
check shard-no-png test ! -e shardfig/cum_regret.png
expect no-plot-says-plot 0 'no figure \(--no-plot\): draw it with tabrl plot noplot' "$tabrl" run "$data/small.ini" --no-plot --out noplot
check no-plot-no-png test -z "$(compgen -G 'noplot/*.png')$(compgen -G 'noplot/*.gp')"
check no-plot-same-runs same_runs a noplot
if command -v gnuplot >/dev/null; then
  expect no-plot-then-plot 0 'wrote noplot/cum_regret.png' "$tabrl" plot noplot
fi

# ---- .runs: kept with --keep-runs; every file fsync'ed and its rename made durable ----
"$tabrl" run "$data/small.ini" --out kept --keep-runs --quiet >/dev/null 2>&1
check keep-runs test "$(compgen -G 'kept/.runs/run-*' | wc -l)" -eq 12
check keep-runs-policies test "$(compgen -G 'kept/.runs/policy-*' | wc -l)" -eq 12
check keep-runs-same same_runs a kept
if command -v strace >/dev/null; then
  strace -f -qq -y -e trace=rename,fsync -o trace.log "$tabrl" run "$data/small.ini" --out "$PWD/traced" --keep-runs --quiet >/dev/null 2>&1
  # Every renamed file was fsync'ed (as its temporary before the rename, or
  # under its name after it) and its directory fsync'ed after the rename.
  check rename-then-fsync awk -F'"' '
    /rename\(/ {t = $4; d = t; sub(/\/[^\/]*$/, "", d); tmp[t] = $2; dir[t] = d; undir[t] = 1; n++; next}
    /fsync\(/ {p = $0; sub(/^[^<]*</, "", p); sub(/>.*$/, "", p); synced[p] = 1; nf++
      for (t in undir) if (dir[t] == p) delete undir[t]; next}
    END {for (t in dir) if (t in undir || !(synced[tmp[t]] || synced[t])) {print "not durable: " t; exit 1}
      exit n < 26}' trace.log
fi

# ---- resume after an edit: identical runs reused, the rest run, the others dropped ----
cp -r kept edited
"$tabrl" run "$data/small.ini" --set experiment.seeds=4 --out seeds4 --quiet >/dev/null 2>&1
expect resume-more-seeds 0 '16 runs \(12 already done\)' "$tabrl" run "$data/small.ini" --set experiment.seeds=4 --out edited --resume --keep-runs
check resume-more-seeds-same same_runs edited seeds4
check resume-more-seeds-policies cmp -s edited/policies.csv seeds4/policies.csv
check resume-reused-manifest grep -qx 'reused = 12' edited/manifest.ini
# without [algo duel] and with a new algo: 3 x 4 reused, 4 new, 4 dropped
sed -e '/^\[algo duel\]/,$d' "$data/small.ini" >edit.ini
printf '[algo q2]\ntype = greedy-q\nepsilon = 0.3\n' >>edit.ini
"$tabrl" run edit.ini --set experiment.seeds=4 --out editfresh --quiet >/dev/null 2>&1
expect resume-edit-algos 0 '16 runs \(12 already done\)' "$tabrl" run edit.ini --set experiment.seeds=4 --out edited --resume --keep-runs
check resume-edit-same same_runs edited editfresh
check resume-edit-policies cmp -s edited/policies.csv editfresh/policies.csv
check resume-edit-summary cmp -s edited/summary.csv editfresh/summary.csv
check resume-dropped-manifest grep -qx 'dropped = 4' edited/manifest.ini
check resume-dropped-files test "$(compgen -G 'edited/.runs/run-*' | wc -l)" -eq 16
# an algo setting changed: only that algo's runs are computed again
expect resume-edit-setting 0 '16 runs \(12 already done\)' "$tabrl" run edit.ini --set experiment.seeds=4 --set q2.epsilon=0.4 --out edited --resume --keep-runs
# a setting every run depends on: nothing reused, and it says so
expect resume-nothing-reused 0 'nothing in edited is reused.*all 16 runs are computed' "$tabrl" run edit.ini --set experiment.seeds=4 --set experiment.episodes=200 --out edited --resume --quiet
check resume-nothing-runs-removed test ! -e edited/.runs
expect resume-other-experiment 2 'holds the results of experiment small, not garnet' "$tabrl" run "$data/small.ini" --out edited --resume --quiet --set experiment.name=garnet
# after a success without --keep-runs: the run files come back from runs.csv,
# policies.csv and the manifest's [runs] identities
cp -r a done3
check runs-section test "$(sed -n '/^\[runs\]$/,$p' done3/manifest.ini | grep -c ' = ')" -eq 12
expect resume-after-success 0 '16 runs \(12 already done\)' "$tabrl" run "$data/small.ini" --set experiment.seeds=4 --out done3 --resume
check resume-after-success-same same_runs done3 seeds4
check resume-after-success-policies cmp -s done3/policies.csv seeds4/policies.csv
check resume-after-success-summary cmp -s done3/summary.csv seeds4/summary.csv
check resume-after-success-no-runs test ! -e done3/.runs

# ---- resume over damaged run files: each recomputed with a warning naming it ----
"$tabrl" run "$data/small.ini" --out damaged --keep-runs --quiet >/dev/null 2>&1
runs=(damaged/.runs/run-*)
truncate -s -7 "${runs[0]}"                                 # cut short
sed -i '2s/^riverswim,/riverswin,/; 3s/,50,/,51,/' "${runs[1]}"  # garbled: checksum
printf '# tabrl run 0000000000000000 0000000000000000\n' >"${runs[2]}" # another run's header
: >"${runs[3]}"                                              # empty
rm "${runs[4]/run-/policy-}"                                 # policy missing
out=$("$tabrl" run "$data/small.ini" --out damaged --resume --keep-runs 2>&1)
check damaged-exit test $? -eq 0
for k in 0 1 2 3 4; do
  check "damaged-warning-$k" grep -qF "warning: ${runs[$k]} is damaged" <<<"$out"
done
check damaged-reasons grep -q 'cut short' <<<"$out"
check damaged-checksum grep -q 'checksum does not match' <<<"$out"
check damaged-policy-missing grep -q 'policy file is missing' <<<"$out"
check damaged-count grep -qx 'recomputed_damaged = 5' damaged/manifest.ini
check damaged-recomputed-same same_runs damaged a
check damaged-recomputed-policies cmp -s damaged/policies.csv a/policies.csv
# damage after the runs, before assembly, is caught when assembling: an
# output with a run file cut short is refused, never written malformed
cp -r damaged assembling && rm assembling/runs.csv
runs=(assembling/.runs/run-*)
head -c 60 "${runs[5]}" >cut.csv && cat cut.csv >"${runs[5]}"
expect damaged-resume-again 0 '12 runs \(11 already done\)' "$tabrl" run "$data/small.ini" --out assembling --resume
check damaged-resume-again-same same_runs assembling a

# ---- input files: content hashes in the manifest; a changed file refuses resume and merge ----
printf 'h,s,a,s_next,p,r\n0,0,0,0,1,0.1\n0,0,1,1,1,0\n0,1,0,1,1,0\n0,1,1,1,1,1\n' >model.csv
printf '[experiment]\nname = model\nenv = file:%s/model.csv\nepisodes = 40\nseeds = 2\nlog = every:10\n[env]\nhorizon = 4\n[algo u]\ntype = ucbvi\n[algo vi]\ntype = value-iteration\n' "$PWD" >model.ini
"$tabrl" run model.ini --out m1 --shard 1/2 --quiet >/dev/null 2>&1
check inputs-manifest grep -qE "^$PWD/model.csv = [0-9a-f]{16}$" m1/manifest.ini
sed -i 's/0,1,1,1,1,1/0,1,1,1,1,2/' model.csv
"$tabrl" run model.ini --out m2 --shard 2/2 --quiet >/dev/null 2>&1
expect inputs-merge 2 "model.csv: the file changed between the runs of m1 and m2" "$tabrl" merge m1 m2 --out mm
check inputs-merge-nothing test ! -e mm
cp m1/runs.csv m1-before.csv
expect inputs-resume 2 "model.csv: the file changed since the runs in m1 were computed" "$tabrl" run model.ini --out m1 --shard 1/2 --resume --quiet
check inputs-resume-untouched cmp -s m1/runs.csv m1-before.csv
check inputs-resume-runs-kept test "$(compgen -G 'm1/.runs/run-*' | wc -l)" -eq 2

# ---- SIGINT: clean stop, nothing half-written ----
"$tabrl" run long.ini --out interrupted --quiet -j 1 >int.out 2>&1 &
pid=$!
sleep 0.5
kill -INT "$pid"
wait "$pid"
rc=$?
checks=$((checks + 1))
if [ "$rc" -ne 1 ] || ! grep -q 'rerun with --resume' int.out || [ -e interrupted/runs.csv ]; then
  failures=$((failures + 1))
  echo "FAIL sigint: exit $rc" >&2
  cat int.out >&2
fi

# ---- sweeps and overrides ----
expect sweep 0 '' "$tabrl" run "$data/sweep.ini" --out sw --quiet
check sweep-configs test "$(cut -d, -f3 sw/runs.csv | sort -u | tr '\n' ' ')" = "c1 c2 c3 c4 c5 c6 config "
check sweep-manifest grep -q '^q.epsilon = 0.2$' sw/manifest.ini
expect set-override 0 '' "$tabrl" run "$data/small.ini" --set env.states=5 --set q.epsilon=0.5 --set experiment.episodes=100 --out ov --quiet
check override-manifest grep -q '^states = 5$' ov/manifest.ini
check override-episodes test "$(tail -n 1 ov/runs.csv | cut -d, -f5)" = 100
expect offline 0 '' "$tabrl" run "$data/offline.ini" --out off --quiet
check offline-rows test "$(tail -n +2 off/runs.csv | wc -l)" -eq 12

# ---- eval a saved policy ----
expect eval 0 'J\(pi\) = ' "$tabrl" eval riverswim --set states=4 --horizon 10 --policy a/policies.csv --select algo=vi,seed=0
# The regret line's number, parsed, so that the checks compare it (a regex
# on the text would accept any number).
eval_regret() { "$tabrl" eval "$@" 2>/dev/null | sed -n 's/^regret J\* - J(pi) = //p'; }
# abs_below X EPS: X is a number and |X| < EPS.
abs_below() { awk -v x="$1" -v e="$2" 'BEGIN {exit !(x ~ /^-?[0-9.]+(e[-+]?[0-9]+)?$/ && x < e && -x < e)}'; }
vi_regret=$(eval_regret riverswim --set states=4 --horizon 10 --policy a/policies.csv --select algo=vi,seed=1)
check eval-vi-optimal abs_below "$vi_regret" 1e-9
# Negative control: the same parse on the uniform policy's file gives its
# regret, J* - J(uniform) = 1.7705 on RiverSwim(4), H = 10, so the check
# above can tell an optimal policy from a poor one.
random_regret=$(eval_regret riverswim --set states=4 --horizon 10 --policy a/policies.csv --select algo=random,seed=1)
check eval-random-not-optimal awk -v x="$random_regret" 'BEGIN {exit !(x > 0.1)}'
check eval-random-fails-vi-check test "$(abs_below "$random_regret" 1e-9; echo $?)" = 1
expect eval-ambiguous 2 'several policies' "$tabrl" eval riverswim --set states=4 --horizon 10 --policy a/policies.csv
expect eval-other-env 2 'learned with riverswim states = 4 .*here states = 3; give --set states=4 or --force' "$tabrl" eval riverswim --set states=3 --horizon 10 --policy a/policies.csv --select algo=vi,seed=0
expect eval-bad-shape 2 'policies.csv:[0-9]+: state s = 3 outside 0..2: riverswim has 3 states' "$tabrl" eval riverswim --set states=3 --horizon 10 --policy a/policies.csv --select algo=vi,seed=0 --force

# ---- policies.csv: eval reproduces the last value of runs.csv, every algorithm ----
# Every registered algorithm on one random linear MDP (ucrl-vtr on a linear
# mixture), 3 seeds.  Where runs.csv has a value, `tabrl eval` on the run's
# policy must give the value of its last row (episode K) to 1e-12: the
# committed pi_K, not the pi_{K+1} policy() gives after the last episode
# (on this file the two differ by as much as 0.5 for psrl, ucrl2, ucbvi, mvp,
# rlsvi and lsvi-ucb).  random-duel's value is the mean of its last two
# proposals; its stored policy is policy(), the uniform policy, so eval
# gives random's value.  greedy-q and optql have no value (their policy
# moves inside an episode): they store policy() after episode K, which for
# greedy-q with epsilon = 1 is again the uniform policy, and for optql the
# deterministic greedy policy of its Q (one row per (h, s)).
printf '[experiment]\nenv = linear\nepisodes = 40\nseeds = 3\nlog = every:15\nbehavior = mixed:0.5\n[env]\nstates = 5\nactions = 3\ndim = 4\nhorizon = 6\n' >every.ini
for a in psrl ucrl2 ucbvi:bonus=hoeffding ucbvi-bf:bonus=bernstein mvp rlsvi random lsvi-ucb \
  optql greedy-q:epsilon=1 random-duel value-iteration policy-iteration plug-in pevi; do
  label=${a%%:*}
  type=${label%-bf}
  printf '[algo %s]\ntype = %s\n' "$label" "$type" >>every.ini
  case $a in *:*) printf '%s\n' "${a#*:}" | sed 's/=/ = /' >>every.ini ;; esac
  case $type in ucbvi | mvp | lsvi-ucb | optql) printf 'scale = 0.01\n' >>every.ini ;; esac
done
printf '[experiment]\nenv = linear-mixture\nepisodes = 40\nseeds = 3\nlog = every:15\n[env]\nstates = 5\nactions = 3\ndim = 4\nhorizon = 6\n[algo ucrl-vtr]\ntype = ucrl-vtr\nscale = 0.01\n' >every-vtr.ini
expect final-policy-run 0 '' "$tabrl" run every.ini --out every --quiet
expect final-policy-run-vtr 0 '' "$tabrl" run every-vtr.ini --out every-vtr --quiet
# eval_value DIR ENV ALGO SEED: J(pi) of the run's stored policy.
eval_value() {
  "$tabrl" eval "$2" --set states=5 --set actions=3 --set dim=4 --horizon 6 \
    --policy "$1/policies.csv" --select "algo=$3,seed=$4" 2>/dev/null | sed -n 's/^J(pi) = //p'
}
# last_value DIR ALGO SEED: the value column of the run's last row.
last_value() { awk -F, -v a="$2" -v s="$3" '$2 == a && $4 == s && $5 == 40 {print $7}' "$1/runs.csv"; }
# near X Y: both numbers, |X - Y| < 1e-12.
near() { awk -v x="$1" -v y="$2" 'BEGIN {n = "^-?[0-9.]+(e[-+]?[0-9]+)?$"; exit !(x ~ n && y ~ n && x - y < 1e-12 && y - x < 1e-12)}'; }
for seed in 0 1 2; do
  for a in psrl ucrl2 ucbvi ucbvi-bf mvp rlsvi random lsvi-ucb value-iteration policy-iteration \
    plug-in pevi; do
    check "final-policy-$a-$seed" near "$(eval_value every linear "$a" "$seed")" "$(last_value every "$a" "$seed")"
  done
  check "final-policy-ucrl-vtr-$seed" near "$(eval_value every-vtr linear-mixture ucrl-vtr "$seed")" \
    "$(last_value every-vtr ucrl-vtr "$seed")"
  uniform=$(last_value every random "$seed")
  check "final-policy-random-duel-$seed" near "$(eval_value every linear random-duel "$seed")" "$uniform"
  check "final-policy-greedy-q-$seed" near "$(eval_value every linear greedy-q "$seed")" "$uniform"
  check "final-policy-optql-deterministic-$seed" test "$(awk -F, -v s="$seed" '$2 == "optql" && $4 == s && $8 == 1' every/policies.csv | wc -l)" -eq 30
  check "final-policy-optql-eval-$seed" test -n "$(eval_value every linear optql "$seed")"
done
# Negative control: the duel's own value (the mean of two random proposals)
# is not the uniform policy's, so near() tells the two apart.
check final-policy-duel-control test "$(near "$(last_value every random-duel 1)" "$(last_value every random 1)"; echo $?)" = 1

# ---- preference scores and segments ----
# The regret score with deterministic links: a duel between an optimal and
# a suboptimal segment is decided by the score, so over a run the share of
# first-preferred bits is that of the score comparisons; here only that
# the keys run, are deterministic across -j, land in the manifest, and
# that a bad score names its line.  (tests/test_feedback.c checks the
# numbers.)
printf '[experiment]\nenv = riverswim\nepisodes = 60\nseeds = 2\nlog = every:20\nlink = deterministic\nscore = regret\nsegment = 3\n[env]\nstates = 4\nhorizon = 6\n[algo d]\ntype = random-duel\n' >score.ini
expect score-regret-run 0 '' "$tabrl" run score.ini --out score1 --quiet -j 1
expect score-regret-rerun 0 '' "$tabrl" run score.ini --out score2 --quiet -j 2
check score-regret-deterministic same_runs score1 score2
check score-manifest grep -q '^score = regret$' score1/manifest.ini
check segment-manifest grep -q '^segment = 3$' score1/manifest.ini
# queries: random-duel asks one per episode (the column equals the
# episode); the other protocols leave it empty (small.ini's algos but duel).
check queries-per-episode test "$(awk -F, 'NR > 1 && $16 != $5' score1/runs.csv | wc -l)" -eq 0
check queries-rows test "$(awk -F, 'NR > 1 && $16 == 60' score1/runs.csv | wc -l)" -eq 2
check queries-summary grep -q '^riverswim,d,default,60,2,.*,60,0,60,60,,,,,,,,,,,,$' score1/summary.csv
check queries-empty-online test "$(awk -F, 'NR > 1 && $2 != "duel" && $16 != ""' a/runs.csv | wc -l)" -eq 0
expect score-features-run 0 '' "$tabrl" run score.ini --set experiment.score=features --out score3 --quiet
sed 's/^score = regret/score = regrets/' score.ini >bad-score.ini
expect bad-score 2 'bad-score.ini:7: .*score.*regret' "$tabrl" run bad-score.ini --out bad-score
check bad-score-nothing-written test ! -e bad-score
sed 's/^segment = 3/segment = -1/' score.ini >bad-segment.ini
expect bad-segment 2 'bad-segment.ini:8: .*segment' "$tabrl" run bad-segment.ini --out bad-segment

# ---- every shipped experiment file loads and runs (shortened) ----
if [ -n "$experiments" ]; then
  for f in "$experiments"/*.ini; do
    name=$(basename "$f" .ini)
    # an adversary's first block must end within the 30 episodes
    block=()
    if grep -q '^block' "$f"; then block=(--set experiment.block=10); fi
    expect "experiment-$name" 0 '' "$tabrl" run "$f" --set experiment.episodes=30 \
      --set experiment.seeds=2 --set experiment.log=every:10 --out "exp-$name" --quiet "${block[@]}"
  done
fi

# ---- eval on a random env uses the instance of the policy's seed ----
printf '[experiment]\nenv = garnet\nepisodes = 6\nseeds = 3\n[env]\nhorizon = 5\n[algo vi]\ntype = value-iteration\n' >garnet.ini
"$tabrl" run garnet.ini --out g --quiet >/dev/null 2>&1
check eval-seed-instance abs_below "$(eval_regret garnet --set horizon=5 --policy g/policies.csv --select seed=2)" 1e-9
expect eval-seed-said 0 'env instance of seed 2' "$tabrl" eval garnet --set horizon=5 --policy g/policies.csv --select seed=2

# ---- a stage-dependent model from a CSV file: env column = its base name ----
printf 'h,s,a,s_next,p,r\n0,0,0,0,1,0.1\n0,0,1,1,1,0\n0,1,0,1,1,0\n1,0,0,0,1,0.1\n1,0,1,1,1,0\n1,1,0,1,1,1\n1,1,1,0,0.5,0\n1,1,1,1,0.5,2\n' >"stage dep.csv"
printf '[experiment]\nenv = file:%s/stage dep.csv\nepisodes = 50\nseeds = 2\nlog = every:10\n[algo u]\ntype = ucbvi\nstationary = false\n[algo vi]\ntype = value-iteration\n' "$PWD" >sd.ini
expect stage-dependent-file 0 'runs .* in' "$tabrl" run sd.ini --out sd
check file-env-label test "$(cut -d, -f1 sd/runs.csv | sort -u | tr '\n' ' ')" = "env stage-dep "

# ---- a label with dots: --set takes the longest label ----
expect set-dotted-label 0 '' "$tabrl" run "$data/dotted.ini" --set q-eps0.1.epsilon=0.5 --out dotted --quiet
check set-dotted-manifest test "$(sed -n '/^\[algo q-eps0.1\]/,/^$/s/^epsilon = //p' dotted/manifest.ini)" = 0.5
check set-dotted-other-label test "$(sed -n '/^\[algo q-eps0\]/,/^$/s/^epsilon = //p' dotted/manifest.ini)" = 0

# ---- relative paths in an experiment file: its own directory ----
mkdir -p rel/models
cp "stage dep.csv" rel/models/
printf '[experiment]\nenv = file:models/stage dep.csv\nepisodes = 20\nlog = every:10\n[algo vi]\ntype = value-iteration\n' >rel/rel.ini
expect relative-file 0 'runs .* in' "$tabrl" run rel/rel.ini --out relout
check relative-file-manifest grep -qxF "env = file:$PWD/rel/models/stage dep.csv" relout/manifest.ini
(cd / && "$tabrl" run "$work/rel/rel.ini" --out "$work/relout2" --quiet >/dev/null 2>&1)
check relative-file-any-cwd same_runs relout relout2

# ---- bad input: one line naming file:line, exit 2, nothing written ----
printf '[experiment]\nenv = riverswim\nepisodes = 5\n[algo x]\n' >only.ini
bad() {
  local name=$1 pattern=$2
  shift 2
  expect "bad-$name" 2 "$pattern" "$tabrl" run "$@" --out "bad-$name" --quiet
  check "bad-$name-nothing-written" test ! -e "bad-$name"
}
bad key "bad_key.ini:7: unknown key 'epsilonn' in \[algo q\] \(greedy-q\); did you mean 'epsilon'\?" "$data/bad_key.ini"
bad type "bad_type.ini:6: .*unknown algorithm 'greedy-qq'; did you mean 'greedy-q'\?" "$data/bad_type.ini"
bad value "bad_value.ini:3: .*'ten' is not an integer" "$data/bad_value.ini"
bad range "bad_range.ini:6: .*out of range" "$data/bad_range.ini"
bad section "bad_section.ini:1: unknown section \[experimnt\]; did you mean \[experiment\]\?" "$data/bad_section.ini"
bad duplicate "bad_duplicate.ini:8: section \[algo r\] appears twice \(first at line 5\)" "$data/bad_duplicate.ini"
bad sweep "bad_sweep.ini:9: sweep q.epsilon has no values" "$data/bad_sweep.ini"
bad missing "needs episodes" "$data/bad_missing.ini"
bad env "bad_env.ini:2: .*unknown environment 'riverswm'; did you mean 'riverswim'\?" "$data/bad_env.ini"
bad discounted "online algorithm: the env must be episodic" "$data/bad_discounted.ini"
bad unreadable "nothing.ini: No such file" "$data/nothing.ini"
bad set-label "^tabrl: --set qq.epsilon=0.1: no section or algorithm label 'qq'; did you mean 'q'\?$" "$data/small.ini" --set qq.epsilon=0.1
bad empty-algo "bad_empty_algo.ini:9: \[algo forgotten\] needs type = ALGORITHM .*the section is empty" "$data/bad_empty_algo.ini"
bad only-algo-empty "only.ini:4: \[algo x\] needs type = ALGORITHM" only.ini
bad features "bad_features.ini:14: \[algo l\] \(lsvi-ucb\): lsvi-ucb needs an env with features" "$data/bad_features.ini"
bad set-dotted-label "--set q-eps0.2.epsilon=0.5: no section or algorithm label 'q-eps0.2'; did you mean 'q-eps0.1'\?" "$data/dotted.ini" --set q-eps0.2.epsilon=0.5
bad directory "^tabrl: $data: is a directory$" "$data"
bad objective-grid "bad_objective_grid.ini:4: objective cvar:0.1 on env garnet: stock augmentation needs rewards on a finite grid .*; the rewards 0\\.0094" "$data/bad_objective_grid.ini"
bad objective-range "^tabrl: --set objective=cvar:1.5: objective 'cvar:1.5': alpha: 1.5 is out of range" "$data/small.ini" --set experiment.objective=cvar:1.5
bad objective-algo "\\[algo q\\] \\(greedy-q\\): greedy-q cannot optimise the objective entropic:-1" "$data/small.ini" --set experiment.objective=entropic:-1
printf '[experiment]\nenv = bandit\nepisodes = 3\nseeds = 1\n[env]\nkind = gaussian\narms = 3\n[algo c]\ntype = cdp\n' >cdp_noise.ini
bad cdp-noise "cdp_noise.ini:9: \\[algo c\\] \\(cdp\\): cdp: the model has reward noise" cdp_noise.ini
bad ctd-support "^tabrl: --set type=ctd: \\[algo q\\] \\(ctd\\): ctd: the support needs vmax > vmin \\(vmin = 3, vmax = 1\\)$" "$data/small.ini" --set q.type=ctd --set q.vmin=3 --set q.vmax=1
bad set-form "expected section.key=value" "$data/small.ini" --set epsilon=0.1
bad set-value "--set.*'abc' is not a number" "$data/small.ini" --set q.epsilon=abc
bad shard "--shard 4/3: expected i/n" "$data/small.ini" --shard 4/3
bad jobs "-j 0: expected" "$data/small.ini" -j 0
expect bad-outdir 1 "Permission denied|Not a directory|No such file" "$tabrl" run "$data/small.ini" --out /proc/version/x --quiet
# ---- distance columns on a discounted model ----
# Two states, gamma = 0.5: s0 pays 0.5 and moves to s1, which pays 1
# forever: G = 0.5 + 0.5 x 2 = 1.5.  The runner truncates at eps = 1e-6 x
# (1 - 0) / 0.5 = 2e-6: T = 20, G_T = 1.5 - 0.5^19.  cdp on {0, 1, 2}: s1's
# fixed point is the point 2 (1 + 0.5 x 2 is on the grid), s0's the
# projection of 1.5, mass 1/2 at 1 and at 2: against a point x in [1, 2],
# W1 = (x - 1) / 2 + (2 - x) / 2 = 1/2 and Cramer = (1/4 (x - 1) + 1/4 (2 -
# x))^(1/2) = 1/2 whatever T is.  qdp with 2 quantiles: both 1.5 (levels
# 1/4 and 3/4 of a point), so 0 up to the truncation: W1 = 0.5^19.
printf 's,a,s_next,p,r\n0,0,1,1,0.5\n1,0,1,1,1\n' >disc2.csv
printf '[experiment]\nenv = file:%s/disc2.csv\nepisodes = 60\nseeds = 1\nlog = every:20\n[env]\ngamma = 0.5\n[algo c]\ntype = cdp\natoms = 3\nvmin = 0\nvmax = 2\n[algo q]\ntype = qdp\natoms = 2\n' "$PWD" >disc2.ini
expect disc-distances-run 0 '' "$tabrl" run disc2.ini --out disc2 --quiet
check disc-distances-cdp awk -F, '$2 == "c" && $5 == 60 { n++; if (($11 - 0.5) ^ 2 > 1e-18 || ($12 - 0.5) ^ 2 > 1e-18) bad = 1 } END { exit bad || n != 1 }' disc2/runs.csv
check disc-distances-qdp awk -F, '$2 == "q" && $5 == 60 { n++; if (($11 - 0.5 ^ 19) ^ 2 > 1e-24) bad = 1 } END { exit bad || n != 1 }' disc2/runs.csv
# A fair coin of rewards 0 and 1 at gamma = 0.9: the truncated law (T =
# 157) would need 2^20 atoms by stage 20, over the budget: columns empty.
printf 's,a,s_next,p,r\n0,0,0,0.5,0\n0,0,0,0.5,1\n' >coin.csv
sed -e 's/disc2\.csv/coin.csv/' -e 's/^gamma = 0\.5$/gamma = 0.9/' disc2.ini >coin.ini
expect disc-budget-run 0 '' "$tabrl" run coin.ini --out coin --quiet
check disc-budget-empty awk -F, 'NR > 1 { n++; if ($11 != "" || $12 != "") bad = 1 } END { exit bad || n != 6 }' coin/runs.csv
mkdir -p other && cp a/manifest.ini other/ && sed -i 's/^experiment_hash = .*/experiment_hash = 0123456789abcdef/' other/manifest.ini
expect bad-other-experiment 2 "holds the results of a different experiment" "$tabrl" run "$data/small.ini" --out other --quiet
check other-untouched test ! -e other/runs.csv

# ---- the offline-preference protocol ----
# The issue's file, verbatim, with pairs.csv beside it: policies.csv holds
# the learned response probabilities (IPO's closed form at tau = 0.5:
# softmax(0, -2/3, -4/3) = 0.5628, 0.2889, 0.1483); kl is filled for these
# runs only and equals sum p log(3 p) of the final policy.
mkdir -p po && printf 'context,chosen,rejected\n0,0,1\n0,1,2\n0,0,2\n' >po/pairs.csv
cat >po/exp.ini <<'INI'
[experiment]
name     = ipo-three-responses
env      = preference-bandit
episodes = 5000               ; optimizer steps
seeds    = 1
dataset  = file:pairs.csv     ; header context,chosen,rejected; rows 0,0,1 / 0,1,2 / 0,0,2

[env]
contexts  = 1
responses = 3

[algo ipo]
type = ipo
tau  = 0.5

[algo dpo]
type = dpo
beta = 0.5
INI
expect po-run 0 '' "$tabrl" run po/exp.ini --out po/out --quiet
check po-ipo-policy awk -F, '$2 == "ipo" { n++; w = $7 == 0 ? 0.56277 : $7 == 1 ? 0.28893 : 0.14830; if (($8 - w) ^ 2 > 1e-8) bad = 1 } END { exit bad || n != 3 }' po/out/policies.csv
check po-dpo-policy awk -F, '$2 == "dpo" && $7 == 0 { if ($8 > 0.9999) ok = 1 } END { exit !ok }' po/out/policies.csv
check po-kl awk -F, -v OFS=, 'FNR == NR && $2 == "ipo" { kl += $8 * log(3 * $8); next } FNR > 1 && $2 == "ipo" && $5 == 5000 { got = $17 } END { exit (got - kl) ^ 2 > 1e-12 }' po/out/policies.csv po/out/runs.csv
check po-kl-empty-elsewhere test "$(awk -F, 'NR > 1 && $17 != ""' a/runs.csv | wc -l)" -eq 0
check po-kl-summary grep -q '^preference-bandit,ipo,default,5000,1,.*,[0-9.e-]*,0,[0-9.e-]*,[0-9.e-]*,,,,,,,,$' po/out/summary.csv
expect po-plot-kl 0 'kl.png' "$tabrl" plot po/out --metric kl
# pairs = N draws the data: the same seed, the same runs.
sed 's/^dataset .*/pairs = 200/' po/exp.ini >po/pairs.ini
expect po-pairs-run 0 '' "$tabrl" run po/pairs.ini --out po/p1 --quiet
expect po-pairs-rerun 0 '' "$tabrl" run po/pairs.ini --out po/p2 --quiet -j 2
check po-pairs-deterministic same_runs po/p1 po/p2
# The dataset is an input file: hashed in the manifest; an edited one
# refuses resume.
check po-dataset-input grep -qE "^$PWD/po/pairs.csv = [0-9a-f]{16}$" po/out/manifest.ini
cp po/pairs.csv po/pairs.keep && printf '0,2,1\n' >>po/pairs.csv
expect po-dataset-resume 2 "pairs.csv: the file changed since the runs in po/out were computed" "$tabrl" run po/exp.ini --out po/out --resume --quiet
mv po/pairs.keep po/pairs.csv
# Bad datasets: FILE:LINE, exit 2, nothing written.
po_bad() {
  printf 'context,chosen,rejected\n0,0,1\n%b' "$2" >po/bad.csv
  sed 's/pairs\.csv/bad.csv/' po/exp.ini >po/bad.ini
  expect "po-bad-$1" 2 "$3" "$tabrl" run po/bad.ini --out "po/bad-$1" --quiet
  check "po-bad-$1-nothing" test ! -e "po/bad-$1"
}
po_bad response '0,3,1' 'po/bad.ini:6: dataset: .*bad.csv:3: chosen 3 out of range \[0,3)'
po_bad context '1,0,1' 'bad.csv:3: context 1 out of range \[0,1)'
po_bad integer '0,1.5,0' "bad.csv:3: chosen '1.5' is not an integer"
po_bad fields '0,1' 'bad.csv:3: 2 fields, expected 3'
printf 'ctx,chosen,rejected\n0,0,1\n' >po/bad.csv
expect po-bad-header 2 'bad.csv:1: the header must be .context,chosen,rejected.' "$tabrl" run po/bad.ini --out po/bad-header --quiet
check po-bad-header-nothing test ! -e po/bad-header
expect po-no-dataset 2 'an offline-preference algorithm needs one dataset in \[experiment\]: pairs = N or dataset = file:D.csv' "$tabrl" run po/exp.ini --set experiment.dataset= --out po/none --quiet
expect po-both 2 'not both' "$tabrl" run po/exp.ini --set experiment.pairs=10 --out po/both --quiet
expect po-horizon 2 'ipo learns from offline preferences on a contextual bandit: the env must have horizon 1' "$tabrl" run po/exp.ini --set env.horizon=2 --out po/h2 --quiet
# A reference file with a missing response: FILE:LINE of the experiment's
# [env] key, the file's message, exit 2, nothing written.
printf 'i,logit\n0,0\n1,0.5\n' >po/ref.csv
sed 's/^responses = 3$/responses = 3\nreference = file:ref.csv/' po/exp.ini >po/ref.ini
expect po-bad-reference 2 'po/ref.ini:11: \[env\] reference: preference-bandit: .*ref.csv: no logit for response 2' "$tabrl" run po/ref.ini --out po/bad-ref --quiet
check po-bad-reference-nothing test ! -e po/bad-ref

# ---- online types with a reference (uses_reference: rpg): the env's
# reference reaches the learner and runs.csv kl is E_mu0 KL(pi_k || ref).
# preference-bandit, one context, rewards 1, 0.9, 0.1, reference logits 0,
# 0.5, 1; reverse KL, beta 0.5: the final policy within 0.01 of the closed
# form ref exp(r / beta) / Z = (0.3572, 0.4822, 0.1605) (measured: 0.3547,
# 0.4829, 0.1625; the uniform reference's optimum (0.5040, 0.4127, 0.0833)
# is far), and the last row's kl equals the KL of policies.csv's policy to
# the reference.
mkdir -p ref
printf 'i,logit\n0,0\n1,0.5\n2,1\n' >ref/ref.csv
cat >ref/exp.ini <<'INI'
[experiment]
name = ref
env = preference-bandit
episodes = 40000
seeds = 1
log = every:20000
[env]
responses = 3
rewards = 1, 0.9, 0.1
reference = file:ref.csv
[algo rpg]
type = rpg
beta = 0.5
eta = 0.5
batch = 256
INI
expect ref-run 0 '' "$tabrl" run ref/exp.ini --out ref/out --quiet
check ref-optimum awk -F, 'BEGIN {z = 0; for (a = 0; a < 3; a++) {r = a == 0 ? 1 : a == 1 ? 0.9 : 0.1
  q[a] = exp(0.5 * a) * exp(r / 0.5); z += q[a]}} FNR > 1 {d = $8 - q[$7] / z; if (d > 0.01 || d < -0.01) bad = 1; n++}
  END {exit bad || n != 3}' ref/out/policies.csv
check ref-kl awk -F, 'BEGIN {z = 1 + exp(0.5) + exp(1)} FNR == NR && FNR > 1 {kl += $8 * log($8 * z / exp(0.5 * $7)); next}
  FNR > 1 && $5 == 40000 {got = $17} END {exit got == "" || (got - kl) ^ 2 > 1e-20}' ref/out/policies.csv ref/out/runs.csv
# ---- budget = B (constrained MDPs) ----
# chain(3), H = 4, cost 1 per right move, B = 1.5: J_LP = 0.75 (the hull
# V(B) = B / 2 of tests/test_cmdp.c); value iteration's optimal policy
# (all right: V = 2, cost 4) overspends: regret 0.75 - 2 = -1.25,
# violation 4 - 1.5 = 2.5; summary.csv's cost and violation columns.
mkdir -p cmdp
printf '[experiment]\nenv = chain\nepisodes = 5\nlog = every:5\nbudget = 1.5\n[env]\nstates = 3\nhorizon = 4\ncost = 1\n[algo vi]\ntype = value-iteration\n' >cmdp/exp.ini
expect cmdp-run 0 '' "$tabrl" run cmdp/exp.ini --out cmdp/out --quiet
check cmdp-row awk -F, '$2 == "vi" && $5 == 5 {n++; if (($7 - 2) ^ 2 > 1e-24 || ($8 + 1.25) ^ 2 > 1e-24 || ($18 - 4) ^ 2 > 1e-24 || ($19 - 2.5) ^ 2 > 1e-24) bad = 1} END {exit bad || n != 1}' cmdp/out/runs.csv
check cmdp-summary grep -q '^chain,vi,default,5,1,.*,4,0,4,4,2.5,0,2.5,2.5$' cmdp/out/summary.csv
check cmdp-manifest grep -q '^budget = 1.5$' cmdp/out/manifest.ini
check cmdp-empty-elsewhere test "$(awk -F, 'NR > 1 && ($18 != "" || $19 != "")' a/runs.csv | wc -l)" -eq 0
expect cmdp-plot 0 'violation.png' "$tabrl" plot cmdp/out --metric violation
expect cmdp-plot-none 2 'no cost to plot \(the experiment sets no budget\)' "$tabrl" plot a --metric cost
# Bad budgets: the key's line, exit 2, nothing written.
expect cmdp-no-cost 2 'cmdp/exp.ini:5: budget needs a model with costs: env chain has none' "$tabrl" run cmdp/exp.ini --set env.cost=0 --out cmdp/none --quiet
check cmdp-no-cost-nothing test ! -e cmdp/none
sed 's/^budget = 1.5$/budget = -1/' cmdp/exp.ini >cmdp/low.ini
expect cmdp-infeasible 2 'cmdp/low.ini:5: budget -1 on env chain: cost budget -1 is infeasible: every policy.s expected cost is at least 0' "$tabrl" run cmdp/low.ini --out cmdp/none --quiet
expect cmdp-objective 2 'budget needs objective = mean' "$tabrl" run cmdp/exp.ini --set experiment.objective=cvar:0.5 --out cmdp/none --quiet
expect cmdp-not-number 2 "budget" "$tabrl" run cmdp/exp.ini --set experiment.budget=x --out cmdp/none --quiet
check cmdp-bad-nothing test ! -e cmdp/none
# cmdp-pd needs a budget and a Slater point (B above the least cost 0).
sed 's/^budget = 1.5$//; s/value-iteration/cmdp-pd/' cmdp/exp.ini >cmdp/pd.ini
expect cmdp-pd-no-budget 2 'cmdp-pd needs a cost budget: set budget = B in \[experiment\]' "$tabrl" run cmdp/pd.ini --out cmdp/none --quiet
expect cmdp-pd-slater 2 'cmdp-pd needs a strictly feasible budget \(Slater\): budget 0' "$tabrl" run cmdp/pd.ini --set experiment.budget=0 --out cmdp/none --quiet
check cmdp-pd-bad-nothing test ! -e cmdp/none
# ---- reward schedules: the same bytes with -j 1 and -j 2, a planning
# algorithm refused at the schedule's line, exit 2, nothing written ----
mkdir -p sched
printf '[experiment]\nenv = riverswim\nepisodes = 300\nseeds = 2\nlog = geometric:8\nschedule = adversarial\nblock = 10\n[env]\nstates = 4\nhorizon = 3\n[algo ucbvi]\ntype = ucbvi\n[algo random]\ntype = random\n' >sched/adv.ini
"$tabrl" run sched/adv.ini --out sched/j1 --quiet -j 1 >/dev/null 2>&1
"$tabrl" run sched/adv.ini --out sched/j2 --quiet -j 2 >/dev/null 2>&1
check schedule-j1-j2 same_runs sched/j1 sched/j2
check schedule-summary-j1-j2 cmp -s sched/j1/summary.csv sched/j2/summary.csv
check schedule-manifest grep -q '^block = 10$' sched/j1/manifest.ini
# the hindsight regret may fall when a block ends (negative regret rows)
check schedule-rows test "$(tail -n +2 sched/j1/runs.csv | wc -l)" -eq 32
printf '[algo vi]\ntype = value-iteration\n' | cat sched/adv.ini - >sched/vi.ini
expect schedule-planning 2 'vi.ini:6: schedule = adversarial needs online algorithms: \[algo vi\] \(value-iteration\) is not online' "$tabrl" run sched/vi.ini --out sched/vi --quiet
check schedule-planning-nothing test ! -e sched/vi
expect schedule-unknown 2 '\[experiment\] key .schedule.: .adversary. is not one of' "$tabrl" run sched/adv.ini --set experiment.schedule=adversary --out sched/bad --quiet
expect schedule-block-range 2 'block=0: \[experiment\] key .block.: 0 is out of range' "$tabrl" run sched/adv.ini --set experiment.block=0 --out sched/bad --quiet
check schedule-bad-nothing test ! -e sched/bad
# a schedule measures regret against the best fixed policy: no budget with it
printf '[experiment]\nenv = chain\nepisodes = 20\nlog = every:10\nbudget = 1.5\nschedule = stochastic\n[env]\nstates = 3\nhorizon = 4\ncost = 1\n[algo u]\ntype = ucbvi\n' >sched/budget.ini
expect schedule-budget 2 'budget.ini:6: schedule = stochastic measures regret against the best fixed policy, not a constrained optimum: remove budget' "$tabrl" run sched/budget.ini --out sched/bad --quiet
check schedule-budget-nothing test ! -e sched/bad
# --resume after switching the schedule off reuses nothing (the identity
# holds the schedule)
mkdir -p sched/none
grep -v '^schedule\|^block' sched/adv.ini >sched/none/adv.ini
expect schedule-resume 0 'nothing in sched/j1 is reused' "$tabrl" run sched/none/adv.ini --out sched/j1 --resume --quiet
check schedule-resume-recomputed grep -q '^reused = 0$' sched/j1/manifest.ini

finish
