#!/usr/bin/env bash
# tabrl plot --fit and --bound end to end: the fit against closed forms
# (summary.csv written by hand: y = 3 sqrt(K), 2 K, 5 ln K), the last
# decade's selection, a shortened quickstart drawn with --fit sqrt --logx
# --logy, the UCBVI-CH bound against a hand computation, and the refusals.
# Usage: plot_fit_test.sh PATH/TO/tabrl PATH/TO/experiments.
# Prints the Check-style count line.
set -u
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
tabrl=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
experiments=$(cd "$2" && pwd)
if ! command -v gnuplot >/dev/null; then
  echo "skipped: gnuplot not installed"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

# summary DIR EXPR: a summary.csv of one curve, mean = EXPR(K) at K = 1..1000
# (every 10th), std 0; 34 empty columns follow the cum_regret ones.
summary() {
  mkdir -p "$1"
  awk -v f="$2" 'BEGIN {
    print "env,algo,config,episode,n,cum_regret_mean,cum_regret_std,cum_regret_lo,cum_regret_hi,value_mean,value_std,value_lo,value_hi,w1_mean,w1_std,w1_lo,w1_hi,cramer_mean,cramer_std,cramer_lo,cramer_hi,w1_bound,cramer_bound,value_err_mean,value_err_std,value_err_lo,value_err_hi,queries_mean,queries_std,queries_lo,queries_hi,kl_mean,kl_std,kl_lo,kl_hi,cost_mean,cost_std,cost_lo,cost_hi,violation_mean,violation_std,violation_lo,violation_hi"
    empty = ""; for (i = 0; i < 34; i++) empty = empty ","
    for (k = 1; k <= 1000; k += (k < 10 ? 1 : 10)) {
      y = f == "sqrt" ? 3 * sqrt(k) : f == "linear" ? 2 * k : 5 * log(k)
      printf "env,algo,default,%d,2,%.17g,0,%.17g,%.17g%s\n", k, y, y, y, empty
    }
  }' >"$1/summary.csv"
}

# near NAME VALUE WANT TOL: |VALUE - WANT| <= TOL.
near() {
  check "$1" awk -v x="$2" -v y="$3" -v t="$4" 'BEGIN { d = x - y; exit !(d <= t && -d <= t) }'
}

# field LINE KEY: the value of KEY=value in a fit line.
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

for shape in sqrt linear log; do
  summary "$shape" "$shape"
  out=$("$tabrl" plot "$shape" --fit "$shape" --term dumb -o "$shape/fit.txt" 2>&1)
  check "$shape-exit" test $? -eq 0
  line=$(grep "^fit $shape " <<<"$out")
  case $shape in
  sqrt) near sqrt-c "$(field "$line" c)" 3 1e-12 && near sqrt-slope "$(field "$line" slope)" 0.5 1e-12 ;;
  linear) near linear-c "$(field "$line" c)" 2 1e-12 && near linear-slope "$(field "$line" slope)" 1 1e-12 ;;
  log) near log-c "$(field "$line" c)" 5 1e-12 ;;
  esac
  # The last decade of K = 1..9, 10, 20, ..., 1000: K = 100 .. 1000, 91 points.
  check "$shape-decade" grep -q 'K=100\.\.1000 points=91 series=algo$' <<<"$line"
  check "$shape-script" grep -q "^\$f1 << EOD" "$shape/fit.gp"
done

# A short quickstart, drawn with the fits on log-log axes.
"$tabrl" run "$experiments/quickstart.ini" --set experiment.episodes=2000 \
  --set experiment.seeds=2 -o q --no-plot -q >/dev/null 2>&1
check quickstart-ran test -s q/summary.csv
out=$("$tabrl" plot q --fit sqrt --logx --logy 2>&1)
check quickstart-exit test $? -eq 0
check quickstart-fit-lines test "$(grep -c '^fit sqrt c=' <<<"$out")" -eq 5
check quickstart-figure test -s q/cum_regret.png
check quickstart-dashed grep -q "^    \$f1 using 1:2 with lines lw 1.5 lc rgb '#1f77b4' dt 2 title 'psrl: [0-9.]* K^1/2'" q/cum_regret.gp
check quickstart-slope grep -q "title 'psrl: slope [0-9.-]*'" q/cum_regret.gp
check quickstart-logxy grep -q '^set logscale y$' q/cum_regret.gp

# The UCBVI-CH bound (Azar et al. 2017, Thm 1) for RiverSwim(6): S = 6,
# A = 2, H = 20, K = 2000, delta = 0.1 by hand:
# L = ln(5 S A K H / delta), 20 H L sqrt(S A K H) + 250 H^2 S^2 A L^2.
out=$("$tabrl" plot q --bound ucbvi --logy -o q/bound.png 2>&1)
check bound-exit test $? -eq 0
value=$(sed -n 's/^bound ucbvi S=6 A=2 H=20 delta=[0-9.]* K=2000: \([0-9.e+]*\) .*/\1/p' <<<"$out")
hand=$(awk 'BEGIN { L = log(5 * 6 * 2 * 2000 * 20 / 0.1); printf "%.17g", 20 * 20 * L * sqrt(6 * 2 * 2000 * 20) + 250 * 400 * 36 * 2 * L * L }')
near bound-value "${value:-0}" "$hand" 1e-3
check bound-note grep -q '^note: ucbvi-bf has bonus = bernstein' <<<"$out"
check bound-label grep -q "set label 1 'UCBVI-CH bound (Thm 1) above the plot: 2.1e9 at K = 2,000'" q/bound.gp
check bound-dotted grep -q "\$bound using 1:2 with lines lw 2 lc rgb '#000000' dt 3 title 'UCBVI-CH bound (Thm 1)'" q/bound.gp
expect bound-psrl 0 'Theorem 1 states only' "$tabrl" plot q --bound psrl --term dumb -o q/psrl.txt

# Refusals: one line, exit 2, nothing written.
before=$(ls q)
# refused NAME PATTERN ARGS...: exit 2, one line matching PATTERN, no new file.
refused() {
  local name=$1 pattern=$2 out rc
  shift 2
  out=$("$tabrl" plot q "$@" 2>&1)
  rc=$?
  check "$name-exit" test "$rc" -eq 2
  check "$name-line" test "$(wc -l <<<"$out")" -eq 1
  check "$name-message" grep -qE -- "$pattern" <<<"$out"
  check "$name-nothing" test "$(ls q)" = "$before"
}
refused fit-cubic '^tabrl: --fit cubic: expected sqrt, linear or log$' --fit cubic -o q/x.png
refused bound-unknown 'nosuch documents no regret bound; algorithms with one: ucbvi' --bound nosuch -o q/x.png
refused bound-none 'greedy-q documents no regret bound; algorithms with one: ucbvi' --bound greedy-q -o q/x.png
refused fit-sweep 'not with --x' --fit sqrt --x q.epsilon -o q/x.png

finish
