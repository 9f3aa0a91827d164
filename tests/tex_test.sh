#!/usr/bin/env bash
# shellcheck disable=SC2016 # the patterns match TeX's dollars, not the shell's
# tabrl solve --format tex: the tables' numbers equal `tabrl solve --format
# csv` rounded to --digits decimals, value iteration's first sweeps equal an
# independent recomputation from the exported model, the option errors, and
# pdflatex compiles each fragment in a wrapper document (the compile step
# is skipped, exit 77, when pdflatex or booktabs.sty is not installed).
# Usage: tex_test.sh PATH/TO/tabrl.  Prints the Check-style count line.
set -u
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
tabrl=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# rows FILE: one line per state row of the fragment, "T h s V action Q..."
# with T the state table it belongs to (1, 2, ...) and h 0 for a discounted
# model; dollars dropped.
rows() {
  awk '/\\thetable: / && !/the values of/ { t++ }
    /^[0-9]+ & / {
      line = $0; gsub(/\$/, "", line); sub(/ *\\\\ *$/, "", line)
      n = split(line, f, / *& */)
      out = t; if (f[2] !~ /^[0-9]+$/) out = out " 0"
      for (i = 1; i <= n; i++) out = out " " f[i]
      print out
    }' "$1"
}

# expected CSV DIGITS GLYPHS: the csv's "h s V action" rows as the tables
# print them (GLYPHS: the TeX name of each action, space-separated).
expected() {
  GLYPHS=$3 awk -F, -v d="$2" 'BEGIN { split(ENVIRON["GLYPHS"], g, " ") }
    NR > 1 { v = sprintf("%." d "f", $3); if (v ~ /^-[0.]+$/) v = substr(v, 2)
             print $1, $2, v, g[$4 + 1] }' "$1"
}

# last_table FILE: the last state table's "h s V action" rows.
last_table() {
  rows "$1" | awk '{ t[NR] = $1; line[NR] = $2 " " $3 " " $4 " " $5 }
    END { for (i = 1; i <= NR; i++) if (t[i] == t[NR]) print line[i] }'
}

arrows='\leftarrow \downarrow \rightarrow \uparrow'

# Backward induction on riverswim (H = 20), 6 decimals: every (h, s).
"$tabrl" solve riverswim --method backward --format csv >"$work/bi.csv"
expect bi-tex 0 '' "$tabrl" solve riverswim --method backward --format tex --digits 6 -o "$work/bi.tex"
check bi-values test "$(last_table "$work/bi.tex")" = "$(expected "$work/bi.csv" 6 'a_{0} a_{1}')"
check bi-rows test "$(rows "$work/bi.tex" | wc -l)" -eq 120
# V_h(s) = max_a Q_h(s,a) = Q_h(s, pi_h(s)): the column of the printed action.
check bi-q-at-action test "$(rows "$work/bi.tex" |
  awk '{ a = $5 == "a_{0}" ? 6 : 7; if ($a != $4) bad++ } END { print bad + 0 }')" -eq 0
check bi-caption grep -q 'riverswim, backward induction, horizon \$H = 20\$, step 20 of 20' "$work/bi.tex"
check bi-booktabs test "$(grep -c '^\\toprule$' "$work/bi.tex")" -eq 4 # 120 rows in pieces of 32
check bi-fragment-only test "$(grep -c 'documentclass\|begin{document}' "$work/bi.tex")" -eq 0

# Value iteration on FrozenLake, gamma 0.9: the last sweep equals the csv,
# sweeps 1 and 2 (V and Q) a synchronous recomputation from the exported
# model: Q_k(s,a) = sum p (r + gamma V_k(s')), V_k+1(s) = max_a Q_k(s,a).
"$tabrl" solve frozenlake --gamma 0.9 --method vi --format csv >"$work/vi.csv"
"$tabrl" export frozenlake --gamma 0.9 -o "$work/fl.csv"
expect vi-tex 0 '' "$tabrl" solve frozenlake --gamma 0.9 --method vi --format tex \
  --iterations 1,2,last -o "$work/vi.tex"
check vi-values test "$(last_table "$work/vi.tex")" = "$(expected "$work/vi.csv" 4 "$arrows")"
check vi-three-tables test "$(rows "$work/vi.tex" | awk '{ print $1 }' | sort -u | wc -l)" -eq 3
recompute() {
  awk -F, -v sweeps=2 '!/^#/ && $1 != "s" { n++; s[n] = $1; a[n] = $2; t[n] = $3; p[n] = $4; r[n] = $5
      if ($1 + 1 > S) S = $1 + 1; if ($2 + 1 > A) A = $2 + 1 }
    END {
      for (i = 0; i < S; i++) V[i] = 0
      for (k = 0; k <= sweeps; k++) {
        for (i = 0; i < S * A; i++) Q[i] = 0
        for (j = 1; j <= n; j++) Q[s[j] * A + a[j]] += p[j] * (r[j] + 0.9 * V[t[j]])
        if (k > 0) for (i = 0; i < S; i++) {
          line = k " 0 " i " " sprintf("%.4f", V[i])
          for (b = 0; b < A; b++) line = line " " sprintf("%.4f", Q[i * A + b])
          print line
        }
        for (i = 0; i < S; i++) { m = Q[i * A]; for (b = 1; b < A; b++) if (Q[i * A + b] > m) m = Q[i * A + b]; V[i] = m }
      }
    }' "$work/fl.csv"
}
check vi-sweeps-1-2 test "$(rows "$work/vi.tex" | awk '$1 < 3 { print $1, $2, $3, $4, $6, $7, $8, $9 }')" = "$(recompute)"
check vi-sweep-1-hand grep -q '^14 & \$0.3333\$ & \$\\downarrow\$ & \$0.1000\$ & \$0.4333\$' "$work/vi.tex"
check vi-caption grep -q 'sweep \$k = 2\$ of 150:.*residual.*= 0\.1\$, stopping below' "$work/vi.tex"
check vi-grid test "$(grep -c 'laid out as the map' "$work/vi.tex")" -eq 3

# Policy iteration on FrozenLake, gamma 0.9: every iteration, the last
# equals the csv; V^pi(s) = Q^pi(s, pi(s)) in every table.
"$tabrl" solve frozenlake --gamma 0.9 --method pi --format csv >"$work/pi.csv"
expect pi-tex 0 '' "$tabrl" solve frozenlake --gamma 0.9 --method pi --format tex --digits 3 \
  --iterations all -o "$work/pi.tex"
check pi-values test "$(last_table "$work/pi.tex")" = "$(expected "$work/pi.csv" 3 "$arrows")"
check pi-all-iterations test "$(rows "$work/pi.tex" | awk '{ print $1 }' | sort -u | wc -l)" -eq 6
check pi-q-at-action test "$(rows "$work/pi.tex" | awk '{ c = index("\\leftarrow \\downarrow \\rightarrow \\uparrow", $5)
    a = c == 1 ? 6 : c == 12 ? 7 : c == 23 ? 8 : 9; if ($a != $4) bad++ } END { print bad + 0 }')" -eq 0
check pi-optimal grep -q 'iteration \$k = 6\$ of 6:.*0 actions changed: \$\\pi_k\$ is optimal' "$work/pi.tex"

# Names are escaped.
sed 's/^# name = .*/# name = my_rs%1\&#2/' <(
  "$tabrl" export riverswim --gamma 0.9 -o -) >"$work/named.csv"
expect escape 0 '' "$tabrl" solve "file:$work/named.csv" --method pi --format tex -o "$work/named.tex"
check escape-file grep -q '^\\refstepcounter{table}\\tablename~\\thetable: my\\_rs\\%1\\&\\#2, policy iteration' \
  "$work/named.tex"

# Bad input: one line naming the option, exit 2, nothing written.
for bad in 0 7 x '' 1,,2 -1 2,last,0; do
  expect "iterations-bad-$bad" 2 '^tabrl: --iterations .*(expected|above the last \(6\))' \
    "$tabrl" solve frozenlake --gamma 0.9 --method pi --format tex --iterations "$bad" -o "$work/bad.tex"
done
check iterations-bad-one-line test "$("$tabrl" solve frozenlake --gamma 0.9 --format tex --iterations 0 2>&1 | wc -l)" -eq 1
for bad in 0 18 x 4.5 ''; do
  expect "digits-bad-$bad" 2 '^tabrl: --digits .*: expected a whole number of decimals from 1 to 17$' \
    "$tabrl" solve riverswim --format tex --digits "$bad" -o "$work/bad.tex"
done
expect digits-17 0 '' "$tabrl" solve riverswim --format tex --digits 17 -o "$work/d17.tex"
check digits-17-value test "$(last_table "$work/d17.tex" | head -n 1)" = "$(expected "$work/bi.csv" 17 'a_{0} a_{1}' | head -n 1)"
expect iterations-not-tex 2 '^tabrl: --iterations: only with --format tex$' \
  "$tabrl" solve riverswim --iterations last
expect all-too-long 2 '^tabrl: --iterations all: 40 iterations of riverswim make 4920 table rows, above the 2000' \
  "$tabrl" solve riverswim --set horizon=40 --format tex --iterations all -o "$work/bad.tex"
expect tex-trace 2 '^tabrl: --format tex: .*not with --trace' "$tabrl" solve riverswim --format tex --trace
expect tex-episodic-pi 2 '^tabrl: --format tex: riverswim is episodic' "$tabrl" solve riverswim --method pi --format tex
check bad-nothing-written test ! -e "$work/bad.tex"
expect stdout 0 '^% tabrl solve --format tex: a fragment to \\input; needs only \\usepackage\{booktabs\}' \
  "$tabrl" solve riverswim --format tex

have_latex=1
command -v pdflatex >/dev/null && command -v kpsewhich >/dev/null &&
  [ -n "$(kpsewhich booktabs.sty)" ] || have_latex=0
if [ "$have_latex" -eq 1 ]; then
  "$tabrl" solve gridworld --set map=fourrooms --gamma 0.9 --method vi --format tex --digits 2 \
    --iterations 1,last -o "$work/rooms.tex"
  for f in bi vi pi named rooms; do
    printf '\\documentclass{article}\n\\usepackage{booktabs}\n\\begin{document}\n\\input{%s}\n\\end{document}\n' \
      "$work/$f.tex" >"$work/w-$f.tex"
    check "pdflatex-$f" pdflatex -halt-on-error -interaction=nonstopmode \
      -output-directory "$work" "$work/w-$f.tex" >/dev/null
    check "pdflatex-$f-pdf" test -s "$work/w-$f.pdf"
  done
fi
finish || exit 1
if [ "$have_latex" -eq 0 ]; then
  echo "skipped: pdflatex (texlive-latex-base, texlive-latex-recommended for booktabs.sty) not installed"
  exit 77
fi
