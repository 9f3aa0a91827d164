#!/usr/bin/env bash
# End-to-end tests of tabrl summarize / merge / plot on the fixture
# directories of tests/data/results (2 algos x 1-2 configs x 3 seeds x 3
# checkpoints; shard1 + shard2 = single).
# Usage: results_test.sh PATH/TO/tabrl PATH/TO/tests/data/results.
# Prints the Check-style count line.
set -u
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
tabrl=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
data=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# starts NAME FILE TEXT: FILE's first bytes are TEXT.
starts() {
  local n=${#3}
  check "$1" test "$(head -c "$n" "$2" 2>/dev/null)" = "$3"
}

cp -r "$data"/. "$work"/
cd "$work" || exit 1

# summarize: the header, one row per (env, algo, config, checkpoint).
expect summarize 0 'wrote single/summary.csv' "$tabrl" summarize single
check summary-header test "$(head -n 1 single/summary.csv)" = \
  "env,algo,config,episode,n,cum_regret_mean,cum_regret_std,cum_regret_lo,cum_regret_hi,value_mean,value_std,value_lo,value_hi,w1_mean,w1_std,w1_lo,w1_hi,cramer_mean,cramer_std,cramer_lo,cramer_hi,w1_bound,cramer_bound,value_err_mean,value_err_std,value_err_lo,value_err_hi,queries_mean,queries_std,queries_lo,queries_hi,kl_mean,kl_std,kl_lo,kl_hi,cost_mean,cost_std,cost_lo,cost_hi,violation_mean,violation_std,violation_lo,violation_hi"
check summary-rows test "$(wc -l <single/summary.csv)" -eq $((2 * 2 * 3 + 1))
check summary-n grep -q '^riverswim,ucbvi-b,s0.5,10,3,' single/summary.csv
check summary-empty-value grep -qE '^riverswim,qlearn,s1,1000,3,[^,]+,[^,]+,[^,]+,[^,]+,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,$' single/summary.csv
check summary-no-temporary test -z "$(compgen -G 'single/*tmp*')"

# merge: shards (given in either order) = the unsharded directory.
expect merge 0 'merged 12 of 12 runs \(36 rows\) from 2 directories into merged' \
  "$tabrl" merge shard2 shard1 --out merged
check merge-runs cmp -s merged/runs.csv single/runs.csv
check merge-summary cmp -s merged/summary.csv single/summary.csv
check merge-manifest grep -q '^merged_from = 2 shards$' merged/manifest.ini
check merge-no-shard-key test -z "$(grep '^shard' merged/manifest.ini)"
check merge-figure test -s merged/cum_regret.png
check merge-script test -s merged/cum_regret.gp
expect merge-deep 0 'into a/b/c' "$tabrl" merge shard1 shard2 --out a/b/c
check merge-mkdir-p cmp -s a/b/c/runs.csv single/runs.csv
expect merge-partial 0 'warning: merged 6 of 12 runs \(6 missing\)' "$tabrl" merge shard1 --out part
expect merge-other 2 'shard1 and other come from different experiments' \
  "$tabrl" merge shard1 other --out x1
expect merge-dup 2 'run riverswim/ucbvi-b/s0.5 seed 7 is in both shard1 and dup' \
  "$tabrl" merge shard1 dup --out x2
expect merge-same-shard 2 'shard1 and shard1 are both shard 1/2' "$tabrl" merge shard1 shard1 --out x3
expect merge-into-input 2 'output directory shard1 is also an input' \
  "$tabrl" merge shard1 shard2 --out shard1
expect merge-no-out 2 'merge needs --out DIR' "$tabrl" merge shard1 shard2
expect merge-missing 2 'nothing/manifest.ini: no such file' "$tabrl" merge shard1 nothing --out x4
check merge-nothing-written test ! -e x1 -a ! -e x2 -a ! -e x3 -a ! -e x4
# Without gnuplot the merge still succeeds, with a warning.
mkdir -p nognuplot
expect merge-no-gnuplot 0 'warning: gnuplot not found' env PATH="$work/nognuplot" "$tabrl" merge shard1 shard2 --out m2
check merge-no-gnuplot-runs cmp -s m2/runs.csv single/runs.csv

# plot: svg, png, pdf, dumb, sweep.
expect plot-svg 0 'wrote x\.svg \(script x\.gp\)' "$tabrl" plot single -o x.svg
check plot-svg-xml grep -qE '^<(\?xml|svg)' x.svg
# shellcheck disable=SC2016 # a literal gnuplot datablock name, not a shell expansion
check plot-svg-script grep -q '^\$s1 << EOD$' x.gp
expect plot-png 0 'wrote single/cum_regret.png' "$tabrl" plot single
starts plot-png-magic single/cum_regret.png $'\x89PNG'
expect plot-pdf 0 'wrote y\.pdf' "$tabrl" plot single --metric value --logx -o y.pdf
starts plot-pdf-magic y.pdf '%PDF'
check plot-value-script grep -q "ylabel 'value" y.gp
expect plot-dumb 0 'ucbvi-b ucbvi-b.scale=0.5' "$tabrl" plot single --term dumb
check plot-dumb-script test -s single/cum_regret.dumb.gp
expect plot-dumb-title 0 'riverswim-sweep' "$tabrl" plot single --term dumb --logy
expect summarize-nosweep 0 '' "$tabrl" summarize nosweep
expect plot-one-config 0 'qlearn' "$tabrl" plot nosweep --term dumb
check plot-one-config-title grep -q "title 'qlearn'$" nosweep/cum_regret.dumb.gp
expect plot-sweep 0 'cum_regret-vs-ucbvi-b.scale.png' "$tabrl" plot single --x ucbvi-b.scale
starts plot-sweep-png single/cum_regret-vs-ucbvi-b.scale.png $'\x89PNG'
check plot-sweep-errorbars grep -q 'with yerrorlines' single/cum_regret-vs-ucbvi-b.scale.gp
expect plot-sweep-dumb 0 'ucbvi-b.scale' "$tabrl" plot single --x ucbvi-b.scale --term dumb

# Sweeps read as their swept values, in the table and the legend; the CSV
# keeps the config labels.
expect table-swept-values 0 '^ucbvi-b +ucbvi-b\.scale=0\.5 +1000 +3 ' "$tabrl" summarize single
expect table-swept-values-2 0 '^qlearn +ucbvi-b\.scale=1 +1000 +3 ' "$tabrl" summarize single
check table-csv-keeps-labels grep -q '^riverswim,ucbvi-b,s0.5,1000,3,' single/summary.csv
"$tabrl" plot single >/dev/null 2>&1
check legend-swept-values grep -q "title 'ucbvi-b ucbvi-b.scale=0.5'" single/cum_regret.gp
check legend-swept-values-2 grep -q "title 'qlearn ucbvi-b.scale=1'$" single/cum_regret.gp
check legend-no-label test -z "$(grep -E "title '[^']* s(0\.5|1)'" single/cum_regret.gp)"
check legend-below grep -q '^set key below' single/cum_regret.gp
# Two keys: both values; a config without a section keeps its label.
mkdir -p grid
cp single/runs.csv grid/runs.csv
sed 's/^configs = .*/configs = s0.5, s1/; s/^ucbvi-b.scale = 0.5$/ucbvi-b.scale = 0.5\nenv.states = 12/' \
  single/manifest.ini >grid/manifest.ini
"$tabrl" summarize grid >grid/table.txt 2>&1
check table-two-keys grep -qE '^ucbvi-b +ucbvi-b\.scale=0\.5 env\.states=12 +1000 ' grid/table.txt
"$tabrl" plot grid >/dev/null 2>&1
check legend-two-keys grep -q "title 'qlearn ucbvi-b.scale=0.5 env.states=12'" grid/cum_regret.gp
# Two configs that read the same stay apart, by their labels.
sed -i 's/^env.states = 12$//; s/^ucbvi-b.scale = 1$/ucbvi-b.scale = 0.5/' grid/manifest.ini
"$tabrl" plot grid >/dev/null 2>&1
check legend-clash grep -q "title 'qlearn ucbvi-b.scale=0.5 (s1)'" grid/cum_regret.gp
check legend-clash-2 grep -q "title 'qlearn ucbvi-b.scale=0.5 (s0.5)'" grid/cum_regret.gp

# 20 series (one algo x 20 configs): 20 different styles, the first 16 in
# 16 different colours (gnuplot's lc index would repeat after 8).
mkdir -p many
{
  echo 'env,algo,config,seed,episode,return,value,regret,cum_regret,elapsed_s,w1,cramer,w1_bound,cramer_bound,value_err,queries,kl,cost,violation'
  for c in $(seq 1 20); do
    for e in 10 100; do echo "rs,a,c$c,0,$e,1,,0,$((c * e)),0.1,,,,,,,,,"; done
  done
} >many/runs.csv
{
  printf '[experiment]\nname = many\nenv = rs\nseeds = 1\nseed_list = 0\nalgos = a\nconfigs ='
  for c in $(seq 1 20); do printf ' c%d,' "$c"; done
  printf '\n\n[algo a]\ntype = random\n'
  for c in $(seq 1 20); do printf '\n[config c%d]\na.x = %d\n' "$c" "$c"; done
} >many/manifest.ini
"$tabrl" summarize many >/dev/null 2>&1
expect plot-many 0 'wrote many/cum_regret.png' "$tabrl" plot many
styles() { grep -oE "with lines lw 2 lc rgb '#[0-9a-f]{6}' dt [0-9]+" many/cum_regret.gp; }
check many-series test "$(styles | wc -l)" -eq 20
check many-distinct-styles test "$(styles | sort -u | wc -l)" -eq 20
check many-16-colours test "$(styles | head -n 16 | cut -d"'" -f2 | sort -u | wc -l)" -eq 16
check many-dashed test "$(styles | sed -n 17p | grep -c 'dt 2$')" -eq 1
check many-legend grep -q "title 'a a.x=20'$" many/cum_regret.gp
check many-key-below grep -q '^set key below' many/cum_regret.gp
# The image grows with the key's rows, so the plot keeps its height.
check many-taller test "$(grep -oE 'size 960,[0-9]+' many/cum_regret.gp | cut -d, -f2)" -gt \
  "$(grep -oE 'size 960,[0-9]+' single/cum_regret.gp | cut -d, -f2)"

# Bounds (runs.csv w1_bound, cramer_bound): algo a has a W1 bound from
# episode 10 on (6.875 at a.m = 4, 3.4375 at a.m = 8, the same in both
# seeds), b none; nobody has a Cramer bound.  Each bound is a dashed line
# of its series' colour titled "<series> bound", in curves and sweeps.
mkdir -p bounded
{
  echo 'env,algo,config,seed,episode,return,value,regret,cum_regret,elapsed_s,w1,cramer,w1_bound,cramer_bound,value_err,queries,kl,cost,violation'
  for c in 1 2; do
    bound=$([ "$c" = 1 ] && echo 6.875 || echo 3.4375)
    for algo in a b; do
      for seed in 0 1; do
        b=$([ "$algo" = a ] && echo "$bound")
        echo "rs,$algo,c$c,$seed,5,,1,0,0,0.1,2,1,,,,,,,"
        echo "rs,$algo,c$c,$seed,10,,1,0,0,0.1,0.$c,0.5,$b,,,,,,"
      done
    done
  done
} >bounded/runs.csv
printf '[experiment]\nname = bounded\nenv = rs\nseeds = 2\nseed_list = 0, 1\nalgos = a, b\nconfigs = c1, c2\n\n[algo a]\ntype = qdp\n\n[algo b]\ntype = random\n\n[config c1]\na.m = 4\n\n[config c2]\na.m = 8\n' >bounded/manifest.ini
expect bound-summarize 0 'wrote bounded/summary.csv' "$tabrl" summarize bounded
check bound-summary-columns grep -q '^rs,a,c2,10,2,.*,3.4375,,,,,,,,,,,,,,,,,,,,,$' bounded/summary.csv
check bound-summary-empty grep -q '^rs,a,c2,5,2,.*,,,,,,,,,,,,,,,,,,$' bounded/summary.csv
expect bound-plot 0 'wrote bounded/w1.png' "$tabrl" plot bounded --metric w1
# shellcheck disable=SC2016 # literal gnuplot datablock names
{
  check bound-block test "$(sed -n '/^\$b1 << EOD$/,/^EOD$/p' bounded/w1.gp | tail -n +3 | head -n 1)" = '10 6.875'
  check bound-block-c2 test "$(sed -n '/^\$b3 << EOD$/,/^EOD$/p' bounded/w1.gp | tail -n +3 | head -n 1)" = '10 3.4375'
  check bound-none-for-b test -z "$(grep -E '^\$b(2|4) ' bounded/w1.gp)"
  check bound-style grep -q "\$b1 using 1:2 with lines lw 1.5 lc rgb '#1f77b4' dt 2 title 'a a.m=4 bound'" bounded/w1.gp
  check bound-colour grep -q "\$s1 using 1:2 with lines lw 2 lc rgb '#1f77b4' dt 1 title 'a a.m=4'" bounded/w1.gp
}
expect bound-sweep 0 'wrote bounded/w1-vs-a.m.png' "$tabrl" plot bounded --metric w1 --x a.m
# shellcheck disable=SC2016 # a literal gnuplot datablock name
check bound-sweep-block test "$(sed -n '/^\$b1 << EOD$/,/^EOD$/p' bounded/w1-vs-a.m.gp | sed -n '3,4p' | tr '\n' ' ')" = '4 6.875 8 3.4375 '
check bound-sweep-title grep -q "title 'a bound'" bounded/w1-vs-a.m.gp
expect bound-cramer 0 'wrote bounded/cramer.png' "$tabrl" plot bounded --metric cramer
check bound-cramer-none test -z "$(grep -E "bound'|^[$]b" bounded/cramer.gp)"

# The script redraws the figure by itself.
rm -f x.svg
expect plot-rerun 0 '' gnuplot x.gp
check plot-rerun-svg grep -qE '^<(\?xml|svg)' x.svg

# gnuplot missing: exit 1, the script is there, no image.
expect plot-no-gnuplot 1 'gnuplot not found; the script is nosweep/cum_regret.gp \(install gnuplot-nox\)' \
  env PATH="$work/nognuplot" "$tabrl" plot nosweep
check plot-no-gnuplot-script test -s nosweep/cum_regret.gp
check plot-no-gnuplot-image test ! -e nosweep/cum_regret.png
# gnuplot failing: exit 1 with its message, no image left.
mkdir -p badgnuplot
printf '#!/bin/sh\necho "\\"x.gp\\" line 3: something went wrong" >&2\nexit 1\n' >badgnuplot/gnuplot
chmod +x badgnuplot/gnuplot
expect plot-gnuplot-fails 1 'gnuplot failed \(exit 1\) on z.gp: "x.gp" line 3: something went wrong' \
  env PATH="$work/badgnuplot:$PATH" "$tabrl" plot single -o z.png
check plot-gnuplot-fails-clean test -z "$(compgen -G 'z.png*')"

# Bad input: one line, exit 2.
expect plot-bad-metric 2 '--metric regret: expected cum_regret, value, w1, cramer, value_err, queries, kl, cost or violation' "$tabrl" plot single --metric regret
expect plot-bad-ext 2 "x.jpg: unknown image type '.jpg'" "$tabrl" plot single -o x.jpg
expect plot-bad-term 2 '--term png: expected dumb' "$tabrl" plot single --term png
expect plot-bad-key 2 'no config sets scale; swept keys are: ucbvi-b.scale' "$tabrl" plot single --x scale
expect plot-no-sweep 2 'no config sets ucbvi-b.scale; this experiment has no sweep' \
  "$tabrl" plot nosweep --x ucbvi-b.scale
expect plot-no-dir 2 'nowhere: no such directory' "$tabrl" plot nowhere
expect plot-no-summary 2 'shard1/summary.csv: no such file \(tabrl summarize shard1' "$tabrl" plot shard1
expect plot-usage 2 'usage: tabrl plot' "$tabrl" plot
expect plot-unwritable 1 '/nonexistent/x.gp' "$tabrl" plot single -o /nonexistent/x.png
expect summarize-no-dir 2 'nowhere/runs.csv: no such file' "$tabrl" summarize nowhere
expect summarize-usage 2 'usage: tabrl summarize' "$tabrl" summarize
mkdir -p bad
printf 'env,algo,config,seed,episode,return,value,regret,cum_regret,elapsed_s,w1,cramer,w1_bound,cramer_bound,value_err,queries,kl,cost,violation\nrs,a,c,0,10,1,,0,0,0.1,,,,,,,,,\nrs,a,c,0,20,1,,0,oops,0.1,,,,,,,,,\n' >bad/runs.csv
expect summarize-bad 2 "bad/runs.csv:3: cum_regret 'oops' is not a finite number" "$tabrl" summarize bad
check summarize-bad-nothing test ! -e bad/summary.csv
expect help-lists 0 'summarize' "$tabrl" help
expect help-plot 0 'usage: tabrl plot DIR' "$tabrl" plot --help

# A manifest without seed_list: seeds 0..seeds-1 order the runs (this once
# freed a list that was never made: found by fuzzing under UBSan).
cp -r "$data/single" noseedlist && sed -i '/^seed_list/d; s/^seeds = .*/seeds = 12/' noseedlist/manifest.ini
expect merge-no-seed-list 0 'merged' "$tabrl" merge noseedlist --out noseedlist-merged

# plots/summary.gp, the plain-gnuplot template for your own figures.
template="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/plots/summary.gp"
cp -r "$data/single" tpl && "$tabrl" summarize tpl >/dev/null
expect template 0 '' gnuplot -e "dir='tpl'; out='tpl/t.svg'" "$template"
check template-svg grep -q '<svg' tpl/t.svg
check template-series grep -q 'ucbvi-b' tpl/t.svg
expect template-value 0 '' gnuplot -e "dir='tpl'; metric='value'; logx=1" "$template"
check template-png test -s tpl/value-summary.png

finish
