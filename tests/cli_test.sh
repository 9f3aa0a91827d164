#!/usr/bin/env bash
# End-to-end tests of the tabrl program: outputs, exit codes and error lines.
# Usage: cli_test.sh PATH/TO/tabrl.  Prints the Check-style count line.
set -u
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
tabrl=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

expect version 0 '^tabrl [0-9]+\.[0-9]+' "$tabrl" --version
expect help 0 'solve' "$tabrl" help
expect list-envs 0 'riverswim .*RiverSwim' "$tabrl" list envs
expect describe 0 'states +int +default 6' "$tabrl" describe riverswim
expect describe-unknown 2 "unknown environment, algorithm or objective 'riverswimm'; did you mean 'riverswim'" "$tabrl" describe riverswimm

# The reference value of algos/README.md ("Reference values").
expect solve-riverswim 0 'J\* = sum_s mu0\(s\) V\*_0\(s\) = 3\.39726395915' \
  "$tabrl" solve riverswim --set states=6 --set horizon=20
expect solve-forest 0 '^ +2 +33\.484 +0' "$tabrl" solve forest
expect solve-forest-vi 0 'value iteration' "$tabrl" solve forest --method vi
"$tabrl" solve riverswim --format csv >"$work/rs.csv"
check solve-csv-header test "$(head -n 1 "$work/rs.csv")" = "h,s,value,action"
check solve-csv-rows test "$(wc -l <"$work/rs.csv")" -eq $((20 * 6 + 1))
check solve-csv-value grep -q '^0,0,3.397263959' "$work/rs.csv"
expect solve-map 0 '^<\^\^\^$' "$tabrl" solve frozenlake --gamma 0.99 --format map
expect solve-trace 0 'iteration +1 +residual' "$tabrl" solve forest --trace

# Export, reload, solve: the same values.
expect export 0 '' "$tabrl" export frozenlake --set map=8x8 -o "$work/fl8.csv"
check export-file test -s "$work/fl8.csv"
"$tabrl" solve frozenlake --set map=8x8 --gamma 0.99 --format csv >"$work/a.csv"
"$tabrl" solve "file:$work/fl8.csv" --gamma 0.99 --format csv >"$work/b.csv"
check export-roundtrip cmp -s "$work/a.csv" "$work/b.csv"
expect export-stdout 0 '^s,a,s_next,p,r$' "$tabrl" export riverswim -o -

# Bad input: one line, exit 2, nothing written.
expect bad-set-type 2 "--set states=abc: env riverswim key 'states': 'abc' is not an integer" \
  "$tabrl" solve riverswim --set states=abc
expect bad-set-range 2 "out of range" "$tabrl" solve riverswim --set states=0
expect bad-set-key 2 "unknown key 'stats' in env riverswim; did you mean 'states'" \
  "$tabrl" solve riverswim --set stats=4
expect bad-set-form 2 'expected key=value' "$tabrl" solve riverswim --set states
expect bad-both-times 2 'not both' "$tabrl" solve riverswim --horizon 5 --gamma 0.9
expect bad-gamma 2 "out of range \[0,1\)" "$tabrl" solve forest --gamma 1

# solve --budget: the constrained optimum by the LP.  chain(3), H = 4, a
# cost of 1 per right move, B = 3: J_LP = 1.5 mixing all-right (3/4) with
# all-left, lambda* = 1/2 (hand-solved in tests/test_cmdp.c); the
# two-state CMDP of experiments/data: J_LP = 3, pi(1|1) = 4/9, and its
# policy file evaluates back to J_LP.
expect solve-budget-chain 0 'J_LP = max V_r subject to C <= B = 1\.5$' \
  "$tabrl" solve chain --set states=3 --set horizon=4 --set cost=1 --budget 3
expect solve-budget-lambda 0 'lambda\* = dual price of the budget = 0\.5$' \
  "$tabrl" solve chain --set states=3 --set horizon=4 --set cost=1 --budget 3
expect solve-budget-mix 0 '^ +0 +0\.25 0\.75$' \
  "$tabrl" solve chain --set states=3 --set horizon=4 --set cost=1 --budget 3
cmdp=file:$(dirname "$0")/../experiments/data/cmdp-two-state.csv
expect solve-budget-file 0 "wrote $work/cmdp-pi.csv" "$tabrl" solve "$cmdp" --budget 5 -o "$work/cmdp-pi.csv"
check solve-budget-policy grep -q '^0,1,1,0.444444444444444' "$work/cmdp-pi.csv"
expect solve-budget-eval 0 '^J\(pi\) = (3|2\.99999999999)' "$tabrl" eval "$cmdp" --policy "$work/cmdp-pi.csv"
expect solve-budget-nan 2 '^tabrl: --budget x: expected a finite number$' "$tabrl" solve "$cmdp" --budget x
expect solve-budget-no-cost 2 '^tabrl: --budget 1: model chain has no costs' "$tabrl" solve chain --budget 1
expect solve-budget-infeasible 2 'budget -1 is infeasible: every policy.s expected cost is at least 0' \
  "$tabrl" solve "$cmdp" --budget -1 -o "$work/never.csv"
check solve-budget-nothing-written test ! -e "$work/never.csv"
expect solve-budget-format 2 'not with --method, --trace, --format or --objective' \
  "$tabrl" solve "$cmdp" --budget 5 --format csv
expect solve-output-needs-budget 2 'it needs --budget B' "$tabrl" solve "$cmdp" -o "$work/p.csv"
expect bad-env 2 "unknown environment 'fozenlake'; did you mean 'frozenlake'" "$tabrl" solve fozenlake
expect bad-command 2 "unknown command 'slove'; did you mean 'solve'" "$tabrl" slove riverswim
expect bad-format 2 'expected table, csv, map or html' "$tabrl" solve riverswim --format xml
expect bad-map 2 'has no grid map' "$tabrl" solve riverswim --format map
expect bad-method 2 'needs an episodic model' "$tabrl" solve forest --method backward
expect bad-objective 2 "unknown objective 'quantile'; the objectives are: coverage, cvar, ecrm, entropic, entropy, homeostatic, kl-robust, mean, mean-variance, penalty, threshold" "$tabrl" solve riverswim --objective quantile:0.1
# cvar and mean-variance: the stock-augmented optimum (J*, threshold, the
# augmented policy with its stock column) and their refusals, exit 2.
expect solve-cvar 0 '^J\* = 0\.1$' "$tabrl" solve riverswim --objective cvar:0.1
expect solve-cvar-threshold 0 '^threshold c = 0\.1 ' "$tabrl" solve riverswim --objective cvar:0.1
expect solve-cvar-csv 0 '^h,s,stock,value,action$' "$tabrl" solve riverswim --objective cvar:0.1 --format csv
expect solve-cvar-csv-row 0 '^19,0,0\.095,0\.10*1*,0$' "$tabrl" solve riverswim --objective cvar:0.1 --format csv
expect solve-cvar-mean 0 '^J\* = 3\.39726395915$' "$tabrl" solve riverswim --objective cvar:1
expect solve-mv 0 '^J\* = 1\.38005911008$' "$tabrl" solve riverswim --objective mean-variance:0.5
expect bad-cvar-zero 2 "objective 'cvar:0': alpha: 0 is out of range \(0,1\]" "$tabrl" solve riverswim --objective cvar:0
expect bad-cvar-big 2 "objective 'cvar:1.5': alpha: 1.5 is out of range \(0,1\]" "$tabrl" solve riverswim --objective cvar:1.5
expect bad-entropic-text 2 "objective 'entropic:abc': b: 'abc' is not a number" "$tabrl" solve riverswim --objective entropic:abc
expect penalty-no-costs 2 "objective penalty:1: optimum: the model has no costs" "$tabrl" solve gridworld --horizon 4 --objective penalty:1
expect bad-cvar-grid 2 'objective cvar:0.1: optimum: stock augmentation needs rewards on a finite grid .*; the rewards 0\.0094' "$tabrl" solve garnet --horizon 5 --objective cvar:0.1
expect bad-cvar-noise 2 'objective cvar:0.5: optimum: stock augmentation needs the exact reward law; this model adds continuous reward noise' "$tabrl" solve bandit --set kind=gaussian --set means=0.5,0.4 --objective cvar:0.5
expect bad-cvar-discounted 2 'objective cvar:0.5: optimum: stock augmentation needs an episodic model' "$tabrl" solve riverswim --gamma 0.9 --objective cvar:0.5
expect bad-cvar-size 2 'objective mean-variance:1: optimum: the stock-augmented model would hold .* above the limit of 20000000' "$tabrl" solve riverswim --set states=50 --set horizon=2000 --objective mean-variance:1
expect bad-objective-eval 2 "unknown objective 'meen'; did you mean 'mean'" "$tabrl" eval riverswim --policy "$work/none.csv" --objective meen
expect eval-policy-directory 2 "is a directory \(give its policies.csv\)" "$tabrl" eval riverswim --policy "$work"
expect objective-param 2 "mean takes no parameter" "$tabrl" solve riverswim --objective mean:1
expect list-objectives 0 '^mean +expected return' "$tabrl" list objectives
expect describe-objective 0 'mean \(objective\): expected return' "$tabrl" describe mean
expect solve-objective-mean 0 'J\* = sum_s mu0\(s\) V\*_0\(s\) = 3.39726395915' "$tabrl" solve riverswim --objective mean
# ecrm:0.1 on RiverSwim stays left (0.005 a step for 20 steps); eval of that
# policy under the same objective gives J* back.
expect solve-ecrm 0 '^J\* = 0\.1$' "$tabrl" solve riverswim --objective ecrm:0.1
expect solve-ecrm-policy 0 '^ +5 +1\.075 +1$' "$tabrl" solve riverswim --objective ecrm:0.1
"$tabrl" solve riverswim --objective ecrm:0.1 --format csv |
  awk -F, 'NR == 1 { print "h,s,a,prob"; next } { print $1 "," $2 "," $4 ",1" }' >"$work/ecrm.csv"
expect eval-ecrm 0 'regret J\* - J\(pi\) = 0$' "$tabrl" eval riverswim --policy "$work/ecrm.csv" --objective ecrm:0.1
expect eval-ecrm-value 0 '^J\(pi\) = 0\.1' "$tabrl" eval riverswim --policy "$work/ecrm.csv" --objective ecrm:0.1
expect ecrm-zero 2 "objective 'ecrm:0': alpha: 0 is out of range \(0,1\]" "$tabrl" solve riverswim --objective ecrm:0
expect ecrm-discounted 2 'ecrm is defined for episodic models' "$tabrl" solve riverswim --gamma 0.9 --objective ecrm:0.5
# Risk objectives: the table and its csv agree (J* = V_0(0), mu0 a point
# mass); eval of a random run's policy reprints its entropic regret.
expect list-objectives-risk 0 'entropic:b +entropic risk.*kl-robust:beta +KL-regularised' \
  bash -c "'$tabrl' list objectives | tr '\n' ' '"
expect describe-kl-robust 0 'optimum is entropic:b at b = -beta/gamma' "$tabrl" describe kl-robust
expect solve-entropic 0 '^J\* = 1\.3682555861$' "$tabrl" solve riverswim --objective entropic:-1
expect solve-entropic-csv 0 '^0,0,1\.36825558609825[0-9]*,1$' \
  "$tabrl" solve riverswim --objective entropic:-1 --format csv
expect solve-kl-robust 0 '^J\* = 0\.607933305079$' "$tabrl" solve riverswim --gamma 0.9 --objective kl-robust:1
expect solve-kl-entropic 0 '^J\* = 0\.607933305079$' \
  "$tabrl" solve riverswim --gamma 0.9 --objective entropic:-1.1111111111111112
expect bad-entropic 2 "objective 'entropic:abc': b: 'abc' is not a number" \
  "$tabrl" solve riverswim --objective entropic:abc
expect bad-kl-robust 2 "objective 'kl-robust:0': beta: 0 is out of range \(0,inf\)" \
  "$tabrl" solve riverswim --objective kl-robust:0
printf '[experiment]\nname = ent\nenv = riverswim\nepisodes = 20\nseeds = 1\nlog = every:10\nobjective = entropic:-1\n[env]\nstates = 4\nhorizon = 10\n[algo random]\ntype = random\n' >"$work/ent.ini"
expect entropic-random-run 0 '' "$tabrl" run "$work/ent.ini" --out "$work/ent" --quiet
# J* 0.9490244960 and the uniform policy's 0.0509663203, both entropic:-1
# (the mean's regret of the same policy is 1.77).
expect entropic-run-regret 0 '^riverswim,random,default,0,20,[^,]*,0\.0509663202947[0-9]*,0\.898058175704[0-9]*,' \
  cat "$work/ent/runs.csv"
expect entropic-eval 0 'J\* = 0\.949024495999[0-9]*.regret J\* - J\(pi\) = 0\.898058175704' \
  bash -c "'$tabrl' eval riverswim --set states=4 --horizon 10 --policy '$work/ent/policies.csv' --objective entropic:-1 | tr '\n' ' '"
sed 's/type = random/type = value-iteration/' "$work/ent.ini" >"$work/ent-vi.ini"
expect entropic-vi-refused 2 'value-iteration cannot optimise the objective entropic:-1; the algorithms that can: is-q, random, random-duel' \
  "$tabrl" run "$work/ent-vi.ini" --out "$work/ent-vi" --quiet
expect missing-file 2 'nothing.csv' "$tabrl" solve file:"$work/nothing.csv" --gamma 0.9
printf 's,a,s_next,p,r\n0,0,0,0.5,0\n0,0,1,0.4,1\n1,0,1,1,0\n' >"$work/bad.csv"
expect bad-csv-sum 2 "bad.csv:2: state 0, action 0: probabilities sum to 0.9" \
  "$tabrl" solve "file:$work/bad.csv" --gamma 0.9
printf 's,a,s_next,p,r\n0,0,1,1,0\n1,0,x,1,0\n' >"$work/bad2.csv"
expect bad-csv-field 2 "bad2.csv:3: .*s_next" "$tabrl" solve "file:$work/bad2.csv" --horizon 3
printf 's,a,s_next,p,r\n0,0,1,1,0\n1,0,1,1,1\n' >"$work/plain.csv"
expect no-time 2 'give --horizon H or --gamma G' "$tabrl" solve "file:$work/plain.csv"
expect plain-horizon 0 'J\* = .* = 2$' "$tabrl" solve "file:$work/plain.csv" --horizon 3
# The cost column c: exported with chain's cost, read back exactly, and a
# bad value named by file, line and column.
"$tabrl" export chain --set states=3 --set cost=0.5 -o "$work/cost.csv"
check cost-header grep -qx 's,a,s_next,p,r,c' "$work/cost.csv"
check cost-right-move grep -qx '0,1,1,1,0,0.5' "$work/cost.csv"
expect cost-reload 0 'J\* = .* = 18$' "$tabrl" solve "file:$work/cost.csv"
printf 's,a,s_next,p,r,c\n0,0,0,1,0,1\n1,0,1,1,0,inf\n' >"$work/badc.csv"
expect bad-csv-cost 2 "badc.csv:3: column 'c': 'inf' is not finite" \
  "$tabrl" solve "file:$work/badc.csv" --horizon 3
expect export-unwritable 1 'nonexistent' "$tabrl" export riverswim -o /nonexistent/dir/x.csv
check export-nothing-left test ! -e /nonexistent/dir/x.csv
expect export-needs-o 2 'needs -o' "$tabrl" export riverswim

# --trace: with --format csv the trace goes to stderr and stdout
# starts with the header; policy iteration's first line has no residual yet.
"$tabrl" solve forest --trace --format csv >"$work/trace.csv" 2>"$work/trace.err"
check trace-csv-header test "$(head -n 1 "$work/trace.csv")" = "h,s,value,action"
check trace-csv-stderr grep -qE '^iteration +1 +residual - ' "$work/trace.err"
check trace-no-nan bash -c "! grep -qi nan '$work/trace.err'"
"$tabrl" solve forest --trace --method vi --format csv >"$work/trace-vi.csv" 2>/dev/null
check trace-vi-csv-header test "$(head -n 1 "$work/trace-vi.csv")" = "h,s,value,action"
"$tabrl" solve garnet --trace 2>/dev/null >"$work/trace.txt"
check trace-table-stdout grep -qE '^iteration +2 +residual [0-9]' "$work/trace.txt"

# Large discounted models: policy iteration evaluates sparsely
# above 1,000 states (the dense LU needed 41 s at 4,000 states) and agrees
# with value iteration within VI's bound eps/2 = 5e-10.
"$tabrl" solve garnet --set states=3000 --gamma 0.9 >"$work/pi.txt"
"$tabrl" solve garnet --set states=3000 --gamma 0.9 --method vi >"$work/vi.txt"
check solve-large-sparse grep -q 'policy iteration, [0-9]* iterations, sparse' "$work/pi.txt"
j_pi=$(sed -n 's/^J\* = .* = //p' "$work/pi.txt")
j_vi=$(sed -n 's/^J\* = .* = //p' "$work/vi.txt")
check solve-large-agrees awk -v a="$j_pi" -v b="$j_vi" 'BEGIN { d = a - b; exit !(a > 0 && d < 6e-10 && d > -6e-10) }'
check solve-small-lu bash -c "'$tabrl' solve forest | grep -q 'exact (LU) evaluation'"

# eval matches the policy to its run: the env, its parameters, the
# instance seed and the time setting of manifest.ini beside policies.csv.
printf '[experiment]\nenv = garnet\nepisodes = 6\nseeds = 2\n[env]\nhorizon = 5\n[algo vi]\ntype = value-iteration\n' >"$work/g.ini"
"$tabrl" run "$work/g.ini" --out "$work/g" --quiet
printf '[experiment]\nenv = riverswim\nepisodes = 4\nseeds = 1\n[env]\ngamma = 0.9\n[algo vi]\ntype = value-iteration\n' >"$work/d.ini"
"$tabrl" run "$work/d.ini" --out "$work/d" --quiet
expect eval-other-env 2 "policies.csv was learned on env 'garnet' .*manifest.ini.*on 'chain'.*--force" \
  "$tabrl" eval chain --horizon 5 --policy "$work/g/policies.csv" --select seed=1
expect eval-other-seed 2 'learned with garnet seed = 1 .*here seed = 0; give --set seed=1 or --force' \
  "$tabrl" eval garnet --horizon 5 --set seed=0 --policy "$work/g/policies.csv" --select seed=1
expect eval-other-param 2 'learned with garnet states = 20 .*here states = 30; give --set states=20' \
  "$tabrl" eval garnet --horizon 5 --set states=30 --policy "$work/g/policies.csv" --select seed=1
expect eval-other-horizon 2 'learned with garnet horizon = 5 .*here horizon = 6; give --horizon 5' \
  "$tabrl" eval garnet --horizon 6 --policy "$work/g/policies.csv" --select seed=1
expect eval-discounted-default-horizon 2 'learned with riverswim gamma = 0.9 .*here gamma = \(unset\); give --gamma 0.9' \
  "$tabrl" eval riverswim --policy "$work/d/policies.csv"
expect eval-same-run 0 'regret J\* - J\(pi\) = 0$' \
  "$tabrl" eval garnet --horizon 5 --policy "$work/g/policies.csv" --select seed=1
expect eval-force 0 'regret J\* - J\(pi\) = ' \
  "$tabrl" eval garnet --horizon 5 --set seed=0 --policy "$work/g/policies.csv" --select seed=1 --force
expect eval-force-shape 2 'policies.csv:[0-9]+: stage h = 1 outside 0..0: garnet has 1 stage' \
  "$tabrl" eval garnet --gamma 0.9 --policy "$work/g/policies.csv" --select seed=1 --force
# A file of its own (no manifest beside it): rows checked one by one.
{ cat "$work/g/policies.csv"; grep -m 1 '^garnet,vi,default,1,0,0,' "$work/g/policies.csv"; } >"$work/dup.csv"
expect eval-duplicate 2 'dup.csv:[0-9]+: duplicate row for \(h, s, a\) = \(0, 0, [0-9]\), first given at line [0-9]+' \
  "$tabrl" eval garnet --horizon 5 --set seed=1 --policy "$work/dup.csv" --select seed=1
sed '2s/,1$/,-1/' "$work/g/policies.csv" >"$work/neg.csv"
expect eval-negative 2 'neg.csv:2: negative probability -1' \
  "$tabrl" eval garnet --horizon 5 --policy "$work/neg.csv" --select seed=0
sed '2s/,1$/,nan/' "$work/g/policies.csv" >"$work/nan.csv"
expect eval-nan 2 'nan.csv:2: prob is NaN' "$tabrl" eval garnet --horizon 5 --policy "$work/nan.csv" --select seed=0

# Output paths: every command that writes refuses an empty or blank
# path, the root, and a non-empty directory that is not a tabrl result
# directory, with exit 2 and nothing written; a result directory (or an
# empty one) is accepted.
mkdir -p "$work/full" "$work/empty"
touch "$work/full/notes.txt" "$work/afile"
for out in '' ' ' / /tmp/.. "$work/full" "$work/afile"; do
  expect "out-run-[$out]" 2 "^tabrl: --out '?$out'?: " "$tabrl" run "$work/g.ini" --out "$out" --quiet
  expect "out-merge-[$out]" 2 "^tabrl: --out '?$out'?: " "$tabrl" merge "$work/g" --out "$out"
  expect "out-submit-[$out]" 2 "^tabrl: --out '?$out'?: " "$tabrl" submit "$work/g.ini" --tasks 2 --out "$out" --dry-run
done
for out in '' ' ' / "$work/full"; do
  expect "out-export-[$out]" 2 "^tabrl: -o '?$out'?: " "$tabrl" export riverswim -o "$out"
  expect "out-plot-[$out]" 2 "^tabrl: -o '?$out'?: " "$tabrl" plot "$work/g" -o "$out"
done
check out-nothing-written test "$(ls "$work/full")" = notes.txt
expect out-empty-dir-ok 0 '' "$tabrl" run "$work/g.ini" --out "$work/empty" --quiet
check out-empty-dir-written test -s "$work/empty/runs.csv"
expect out-result-dir-ok 0 '' "$tabrl" run "$work/g.ini" --out "$work/g" --quiet --resume

# An output that cannot be written: exit 1 from every command.
expect unwritable-run 1 'afile/x' "$tabrl" run "$work/g.ini" --out "$work/afile/x" --quiet
expect unwritable-merge 1 'afile/x' "$tabrl" merge "$work/g" --out "$work/afile/x"
expect unwritable-export 1 'afile/x' "$tabrl" export riverswim -o "$work/afile/x.csv"
if command -v gnuplot >/dev/null; then
  expect unwritable-plot 1 'afile/x' "$tabrl" plot "$work/g" -o "$work/afile/x.png"
fi

# describe: a label of a shipped experiment names its type; an
# algorithm without parameters says so; columns align whatever the lengths.
expect describe-label 0 '^ucbvi-bf is a label in experiments/[a-z-]+\.ini; its type is ucbvi:' "$tabrl" describe ucbvi-bf
expect describe-label-type 0 '^greedy-q \(algorithm' "$tabrl" describe q-eps0.1
expect describe-no-params 0 '^parameters: none$' "$tabrl" describe random
expect describe-objective-no-params 0 '^parameters: none$' "$tabrl" describe mean
for name in garnet ucbvi riverswim; do
  "$tabrl" describe "$name" | grep '^  ' >"$work/params.txt"
  check "describe-aligned-$name" test "$(awk '{ print index($0, " default ") }' "$work/params.txt" | sort -u | wc -l)" -eq 1
done
# The risk-sensitive environments: describe lists every parameter, the map
# shows the short risky bottom row at the default slip probability and the
# middle row at q = 0.5 (the bottom row's cells send it up), and a bad p is
# one line naming it.
"$tabrl" describe robust-ring >"$work/describe-ring.txt"
for param in p horizon gamma; do
  check "describe-robust-ring-$param" grep -qE "^  $param +(double|int) +default" "$work/describe-ring.txt"
done
"$tabrl" describe cliff-risk >"$work/describe-cliff-risk.txt"
for param in q loss q_middle loss_middle step_reward goal_reward horizon gamma; do
  check "describe-cliff-risk-$param" grep -qE "^  $param +(double|int) +default" "$work/describe-cliff-risk.txt"
done
"$tabrl" solve cliff-risk --format map >"$work/cliff-risk-map.txt"
check cliff-risk-map-short test "$(cat "$work/cliff-risk-map.txt")" = "$(printf '>>>>>v\n>>>>>v\n>>>>>G')"
"$tabrl" solve cliff-risk --set q=0.5 --format map >"$work/cliff-risk-map-q0.5.txt"
check cliff-risk-map-q0.5 test "$(cat "$work/cliff-risk-map-q0.5.txt")" = "$(printf '>>>>>v\n>>>>>v\n^^^^>G')"
expect robust-ring-bad-p 2 "key 'p': 0.7 is out of range \\[0,0.5\\]" "$tabrl" solve robust-ring --set p=0.7
# help CMD: every option of the command's table, with its argument.
"$tabrl" help run >"$work/help-run.txt"
for option in '-s, --set section.key=value' '-j, --jobs N' '--shard i/n' '--resume' '-o, --out DIR' '-q, --quiet'; do
  check "help-run-[$option]" grep -qF -- "$option" "$work/help-run.txt"
done
expect help-eval-force 0 '^ +--force +evaluate even if' "$tabrl" help eval
expect help-solve-trace 0 '^ +--trace +one line per' "$tabrl" help solve
expect help-submit-dry-run 0 '^ +--dry-run +print the batch' "$tabrl" help submit
expect unknown-option 2 "unknown option '--bogus'" "$tabrl" solve riverswim --bogus
expect option-needs-argument 2 'option --method needs an argument' "$tabrl" solve riverswim --method

# dist: the exact return distribution.  Rewards 0.1 and sqrt 2 off any
# grid, H = 2: returns 0.2, 0.1 + sqrt 2, 2 sqrt 2 with 1/4, 1/2, 1/4.
printf 's,a,s_next,p,r\n0,0,0,0.5,0.1\n0,0,0,0.5,1.4142135623730951\n' >"$work/two.csv"
"$tabrl" dist "file:$work/two.csv" --horizon 2 --policy uniform --format csv >"$work/dist.csv"
check dist-csv cmp -s "$work/dist.csv" <(printf 'return,prob\n0.20000000000000001,0.25\n1.5142135623730952,0.5\n2.8284271247461903,0.25\n')
"$tabrl" dist "file:$work/two.csv" --horizon 2 --policy uniform >"$work/dist.txt"
for field in '^mean 1\.51421356237$' '^std 0\.929289321881$' '^cvar 0\.05 0\.2$' '^cvar 0\.1 0\.2$' \
  '^cvar 0\.25 0\.2$' '^atoms 3$' '^ +1\.51421356237 +0\.5$'; do
  check "dist-table-[$field]" grep -qE -- "$field" "$work/dist.txt"
done
# Discounted: truncated at the first T with 0.5^T sqrt 2 / 0.5 <= 0.01, T = 9.
expect dist-discounted 0 '^truncated at T = 9 steps: \|G - G_T\| <= .* = 0\.00552427$' \
  "$tabrl" dist "file:$work/two.csv" --gamma 0.5 --eps 0.01 --policy uniform
expect dist-optimal-riverswim 0 '^atoms 67$' "$tabrl" dist riverswim --set states=6 --horizon 20 --policy optimal
expect dist-cvar-stock 0 '^cvar 0\.1 0\.1$' "$tabrl" dist riverswim --policy optimal --objective cvar:0.1
# A learned policy on garnet (rewards off a grid): the mean of its law is
# eval's J(pi).
"$tabrl" dist garnet --horizon 5 --set seed=1 --policy "$work/g/policies.csv" --select seed=1 --format csv >"$work/gd.csv"
j_eval=$("$tabrl" eval garnet --horizon 5 --policy "$work/g/policies.csv" --select seed=1 | sed -n 's/^J(pi) = //p')
# shellcheck disable=SC2016 # an awk program, single-quoted on purpose
check dist-file-mean awk -F, -v j="$j_eval" 'NR > 1 { m += $1 * $2; t += $2 } END { exit !(NR > 2 && (m - j) ^ 2 < 1e-22 && (t - 1) ^ 2 < 1e-26) }' "$work/gd.csv"
expect dist-help 0 '^ +--max-atoms N +the atom budget' "$tabrl" help dist
expect dist-no-policy 2 '^tabrl: dist needs --policy optimal\|uniform\|FILE\.csv$' "$tabrl" dist riverswim
expect dist-bad-format 2 'expected table or csv' "$tabrl" dist riverswim --policy optimal --format map
expect dist-objective-uniform 2 '--objective chooses the policy of --policy optimal' \
  "$tabrl" dist riverswim --policy uniform --objective cvar:0.1
expect dist-eps-episodic 2 'this model is episodic' "$tabrl" dist riverswim --policy uniform --eps 0.1
expect dist-noise 2 'continuous reward noise' "$tabrl" dist bandit --set kind=gaussian --set means=0.5,0.4 --policy uniform
expect dist-budget 2 'needs more than 2 \(state, return\) atoms at stage 2 of 2 \(the atom budget\)' \
  "$tabrl" dist "file:$work/two.csv" --horizon 2 --policy uniform --max-atoms 2
expect dist-bad-file 2 'nothing.csv' "$tabrl" dist riverswim --policy "$work/nothing.csv"
# --joint: chain(2) with objectives = 2 (vector reward (r, -1 per right
# move)), H = 2, uniform: LL (0, 0), LR and RL (0, -1), RR (1, -2) (the
# right move at s1 pays 1), each 1/4.  Component 1: mean 1/4, std
# sqrt(3)/4; component 2: mean -1, std sqrt(1/2); cov -1/4, so corr
# -sqrt(2/3).
"$tabrl" dist chain --set objectives=2 --set states=2 --horizon 2 --policy uniform --joint --format csv >"$work/joint.csv"
check dist-joint-csv cmp -s "$work/joint.csv" <(printf 'return1,return2,prob\n0,-1,0.5\n0,0,0.25\n1,-2,0.25\n')
"$tabrl" dist chain --set objectives=2 --set states=2 --horizon 2 --policy uniform --joint >"$work/joint.txt"
for field in '^component 1 mean 0\.25 std 0\.433012701892$' '^component 2 mean -1 std 0\.707106781187$' \
  '^corr 1 2 -0\.816496580928$' '^joint atoms 3$' '^atoms 2$' '^ +0 +0\.75$' '^ +1 +-2 +0\.25$'; do
  check "dist-joint-table-[$field]" grep -qE -- "$field" "$work/joint.txt"
done
# d = 1 keeps the scalar header; the vector r1 (here not r) is what is listed.
printf 's,a,s_next,p,r,r1\n0,0,0,0.5,0.1,1\n0,0,0,0.5,1.4142135623730951,-2\n' >"$work/vec1.csv"
"$tabrl" dist "file:$work/vec1.csv" --horizon 2 --policy uniform --joint --format csv >"$work/joint1.csv"
check dist-joint-d1 cmp -s "$work/joint1.csv" <(printf 'return,prob\n-4,0.25\n-1,0.5\n2,0.25\n')
expect dist-joint-scalar 2 '^tabrl: --joint: chain has a scalar reward only' \
  "$tabrl" dist chain --set states=2 --horizon 2 --policy uniform --joint
expect dist-joint-discounted 2 'needs an episodic model' \
  "$tabrl" dist chain --set objectives=2 --gamma 0.5 --policy uniform --joint
expect dist-joint-stock 2 '^tabrl: --joint needs a Markov policy' \
  "$tabrl" dist chain --set objectives=2 --horizon 3 --policy optimal --objective cvar:0.1 --joint
expect dist-joint-budget 2 'more than the budget of 1' \
  "$tabrl" dist "file:$work/vec1.csv" --horizon 2 --policy uniform --joint --max-atoms 1
expect dist-help-joint 0 '^ +--joint +a model with a vector reward' "$tabrl" help dist
for args in "riverswim" "riverswim --policy optimal --format map" "chain --policy uniform --joint" "file:$work/two.csv --horizon 2 --policy uniform --max-atoms 2"; do
  # shellcheck disable=SC2086 # the arguments split on purpose
  check "dist-bad-quiet-[$args]" test -z "$("$tabrl" dist $args 2>/dev/null)"
done

# preference-bandit: env values file:PATH resolve against the experiment
# file's directory (run from elsewhere); every bad preference or reference
# file is one line FILE:LINE (or FILE and what is missing), exit 2, nothing
# written; a Nash-learning algorithm refuses an env without preferences.
mkdir -p "$work/pref"
printf 'i,j,p\n0,1,1\n1,2,1\n2,0,1\n' >"$work/pref/rps.csv"
pref_exp() { # NAME PREFERENCES [REFERENCE]: writes $work/pref/NAME.ini
  {
    printf '[experiment]\nenv = preference-bandit\nepisodes = 5\nseeds = 1\n'
    printf '[env]\npreferences = %s\n' "$2"
    [ -n "${3:-}" ] && printf 'reference = %s\n' "$3"
    printf '[algo egpo]\ntype = egpo\n'
  } >"$work/pref/$1.ini"
}
pref_exp good file:rps.csv
tabrl_abs=$(cd "$(dirname "$tabrl")" && pwd)/$(basename "$tabrl")
cd / || exit 1 # the experiment's files must not be looked up here
expect pref-relative-files 0 '' "$tabrl_abs" run "$work/pref/good.ini" --out "$work/pref/good-out" --quiet
cd - >/dev/null || exit 1
check pref-rows test "$(grep -c '^preference-bandit,egpo' "$work/pref/good-out/runs.csv")" -eq 5
printf '[experiment]\nenv = preference-bandit\nepisodes = 5\nseeds = 1\n[algo egpo]\ntype = egpo\n[sweep]\nenv.preferences = file:rps.csv, file:rps.csv\n' >"$work/pref/sweep.ini"
cd / || exit 1
expect pref-sweep-files 0 '' "$tabrl_abs" run "$work/pref/sweep.ini" --out "$work/pref/sweep-out" --quiet
cd - >/dev/null || exit 1
check pref-sweep-absolute grep -q "^env.preferences = file:$work/pref/rps.csv$" "$work/pref/sweep-out/manifest.ini"
while IFS='|' read -r name text where; do
  printf '%b' "$text" >"$work/pref/$name.csv"
  if [ "${name#ref}" != "$name" ]; then
    pref_exp "$name" file:rps.csv "file:$name.csv"
  else
    pref_exp "$name" "file:$name.csv"
  fi
  expect "pref-$name" 2 "$name\\.csv$where" "$tabrl" run "$work/pref/$name.ini" --out "$work/pref/$name-out" --quiet
  check "pref-$name-one-line" test "$("$tabrl" run "$work/pref/$name.ini" --out "$work/pref/$name-out" --quiet 2>&1 | wc -l)" -eq 1
  check "pref-$name-nothing-written" test ! -e "$work/pref/$name-out"
done <<'EOF'
sum|i,j,p\n0,1,1\n1,0,0.5\n|:3: P\(1, 0\) = 0.5 and P\(0, 1\) = 1 given earlier: P \+ P\^T must be 1
diag|i,j,p\n0,1,1\n1,2,1\n2,0,1\n1,1,0.6\n|:5: P\(1, 1\) = 0.6: the diagonal must be 1/2
range|i,j,p\n0,1,1\n1,3,1\n|:3: response j 3 out of range \[0,3\)
missing|i,j,p\n0,1,1\n1,2,1\n|: the pair \(0, 2\) is missing
nan|i,j,p\n0,1,one\n|:2: 'one' is not a number
ref_missing|i,logit\n0,0.5\n2,1\n|: no logit for response 1
EOF
printf '[experiment]\nenv = bandit\nepisodes = 5\nseeds = 1\n[algo egpo]\ntype = egpo\n' >"$work/pref/bandit.ini"
expect pref-needs-preferences 2 'egpo needs a preference matrix' "$tabrl" run "$work/pref/bandit.ini" --out "$work/pref/rs-out" --quiet
check pref-needs-nothing-written test ! -e "$work/pref/rs-out"

# ---- tabrl bench --quick: every section runs, and each online-preference
# algorithm gets a positive rate on both models (the duel driver of the
# protocol, tabrl_episode_preference) ----
"$tabrl" bench --quick --json "$work/bench.json" >"$work/bench.txt" 2>&1
check bench-quick-exit test $? -eq 0
check bench-preference-section grep -q '^online-preference algorithms' "$work/bench.txt"
for a in random-duel pbrl-mle p2r dueling-rl; do
  check "bench-preference-$a" grep -qE "^  $a +[0-9.e+]+ +[0-9.e+]+$" "$work/bench.txt"
done
# The run overhead section: alone, runner and ratio on both models for a
# learner that commits to a policy every episode.
check bench-overhead-section grep -q '^run overhead' "$work/bench.txt"
check bench-overhead-ucbvi grep -qE \
  "^  ucbvi( +[0-9.e+]+){2} +[0-9.]+x( +[0-9.e+]+){2} +[0-9.]+x$" "$work/bench.txt"

# ---- tabrl bench --peers: the table from a reference script (a stand-in
# that reports 1000 episodes/s, so the ratio column must be tabrl's rate /
# 1000), one skip line per missing script, and one skip line for the whole
# section when the script exits 3 (numba not importable): exit 0 each ----
mkdir -p "$work/peers/fast" "$work/peers/nonumba"
printf 'print("episodes_per_s 1000")\n' >"$work/peers/fast/ucbvi_reference.py"
printf 'import sys\nprint("no numba here", file=sys.stderr)\nsys.exit(3)\n' \
  >"$work/peers/nonumba/ucbvi_reference.py"
TABRL_BENCH_SCRIPTS="$work/peers/fast" "$tabrl" bench --peers --quick \
  --json "$work/peers.json" >"$work/peers.txt" 2>&1
check bench-peers-exit test $? -eq 0
check bench-peers-rows test "$(grep -cE '^  ucbvi (ch|bf) ' "$work/peers.txt")" -eq 12
# shellcheck disable=SC2016 # an awk program, single-quoted on purpose
check bench-peers-ratio awk '/^  ucbvi (ch|bf) / { r = $5 / $6; d = r - ($7 + 0);
  if ($6 != 1000 || d > 0.006 + r / 100 || -d > 0.006 + r / 100) bad = 1; n++ }
  END { exit bad || n != 12 }' "$work/peers.txt"
check bench-peers-missing test "$(grep -c 'skipped: .*/psrl_reference.py not found' "$work/peers.txt")" -eq 6
check bench-peers-json grep -q '"name": "peers.ucbvi-bf.garnet1000.ratio"' "$work/peers.json"
TABRL_BENCH_SCRIPTS="$work/peers/nonumba" "$tabrl" bench --peers --quick >"$work/peers.txt" 2>&1
check bench-peers-nonumba-exit test $? -eq 0
check bench-peers-nonumba-once test "$(grep -c 'skipped: numba is not importable (no numba here' "$work/peers.txt")" -eq 1
check bench-peers-nonumba-no-rows test "$(grep -cE '^  ucbvi' "$work/peers.txt")" -eq 0

# ---- tabrl bench --json and --compare: every figure of the file written
# above has the four keys and a finite number (one figure a line, as
# written), the header holds the version, date and load; a file compared
# with itself flags nothing; OLD doctored so that one time and one rate
# were 2x better flags exactly those two, at ratio 2; a missing or garbled
# file is one line and exit 2 ----
bj=$work/bench.json
figure_re='^    \{"name": "[a-z0-9._:-]+", "value": -?[0-9][0-9.e+-]*, "unit": "[a-z/]+", "better": "(lower|higher)"\},?$'
check bench-json-figures test "$(grep -c '"name"' "$bj")" -gt 100
check bench-json-keys test "$(grep -c '"name"' "$bj")" -eq "$(grep -cE "$figure_re" "$bj")"
check bench-json-header grep -qE '^  "tabrl_version": "[0-9]+\.[0-9]+' "$bj"
check bench-json-date grep -qE '^  "date": "20[0-9]{2}-[0-9]{2}-[0-9]{2}T' "$bj"
check bench-json-load grep -qE '^  "load": \[[0-9.]+, [0-9.]+, [0-9.]+\],$' "$bj"
for id in sim.step.garnet1000 vi.sweep.garnet2000 eval.q_pi npg.iteration cdp.sweep.greedy \
  online.ucbvi.riverswim6 overhead.ucbvi.garnet200.ratio preference.p2r.garnet200 dpo.step; do
  check "bench-json-has-$id" grep -q "\"name\": \"$id\"" "$bj"
done
"$tabrl" bench --compare "$bj" "$bj" >"$work/same.txt" 2>&1
check bench-compare-same-exit test $? -eq 0
check bench-compare-same-header grep -qE '^old: 20[0-9-]+T[0-9:]+Z, load [0-9.]+, --quick; new: 20' "$work/same.txt"
check bench-compare-same-no-note test "$(grep -c '^note:' "$work/same.txt")" -eq 0
sed 's/"quick": true/"quick": false/' "$bj" >"$work/full.json"
expect bench-compare-quick-note 0 '^note: one file is --quick and the other not' "$tabrl" bench --compare "$work/full.json" "$bj"
check bench-compare-same-none test "$(grep -c SLOWER "$work/same.txt")" -eq 0
check bench-compare-same-ratio grep -qE '^eval\.q_pi +[0-9.e+-]+ +[0-9.e+-]+ +1 ms$' "$work/same.txt"
awk '/"name": "eval.q_pi"|"name": "sim.step.garnet1000"/ {
  match($0, /"value": [^,]*/)
  v = substr($0, RSTART + 9, RLENGTH - 9)
  v = /"better": "lower"/ ? v / 2 : v * 2
  $0 = substr($0, 1, RSTART - 1) "\"value\": " sprintf("%.17g", v) substr($0, RSTART + RLENGTH)
} 1' "$bj" >"$work/old.json"
"$tabrl" bench --compare "$work/old.json" "$bj" >"$work/doctored.txt" 2>&1
check bench-compare-doctored-exit test $? -eq 0
check bench-compare-doctored-two test "$(grep -c SLOWER "$work/doctored.txt")" -eq 2
check bench-compare-doctored-time grep -qE '^eval\.q_pi .* 2 ms  SLOWER$' "$work/doctored.txt"
check bench-compare-doctored-rate grep -qE '^sim\.step\.garnet1000 .* 2 steps/s  SLOWER$' "$work/doctored.txt"
check bench-compare-doctored-count grep -q '^2 of [0-9]* figures more than 10% slower' "$work/doctored.txt"
expect bench-compare-missing 2 "^tabrl: $work/none.json: cannot open" "$tabrl" bench --compare "$work/none.json" "$bj"
head -n 7 "$bj" >"$work/cut.json" # ends after the first figure's comma
expect bench-compare-garbled 2 "^tabrl: $work/cut.json:8: expected '\\{'$" "$tabrl" bench --compare "$bj" "$work/cut.json"
check bench-compare-garbled-one-line test "$("$tabrl" bench --compare "$bj" "$work/cut.json" 2>&1 | wc -l)" -eq 1
sed 's/"unit": "us", //' "$bj" >"$work/nounit.json"
expect bench-compare-no-unit 2 "^tabrl: $work/nounit.json:[0-9]+: a figure lacks one of name, value, unit, better$" "$tabrl" bench --compare "$work/nounit.json" "$bj"

finish
