#!/usr/bin/env bash
# tabrl solve --format html in a real browser (headless chromium): the values
# in the DOM at the last step equal --format csv, no console error, no
# network request, a screenshot of the asked size that is not blank, and the
# bad inputs.  Usage: html_test.sh PATH/TO/tabrl.  Exit 77 (skipped) without
# chromium.
set -u
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
tabrl=$1
if ! command -v chromium >/dev/null 2>&1; then
  echo "skipped: chromium not installed"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work # chromium's profile and crash files stay in the scratch directory

browse() { # browse PAGE HASH ARGS...: chromium headless on file://PAGE#HASH
  local page=$1 hash=$2
  shift 2
  timeout 120 chromium --headless --no-sandbox --disable-gpu --virtual-time-budget=5000 \
    --user-data-dir="$work/profile" "$@" "file://$page#$hash"
}

# The values of stage STAGE in the DOM (state value) against the csv rows
# h,s,value,action of that stage: equal as doubles (the page prints %.17g
# into its data and the DOM the shortest text of the same double).
same_values() {
  local dom=$1 csv=$2 stage=$3
  grep -o 'data-state="[0-9]*" data-stage="[0-9]*" data-value="[^"]*"' "$dom" |
    sed 's/data-state="\([0-9]*\)" data-stage="\([0-9]*\)" data-value="\([^"]*\)"/\2,\1,\3/' >"$dom.values"
  awk -F, -v stage="$stage" '
    NR == FNR { if ($1 == stage) { seen[$2] = $3; n++ } next }
    FNR > 1 && $1 == stage { rows++; if (!($2 in seen) || seen[$2] + 0 != $3 + 0) bad++ }
    END { exit !(n > 0 && n == rows && bad == 0) }' "$dom.values" "$csv"
}

# A page: the values, the console, the requests.
page_checks() {
  local name=$1 stage=$2
  shift 2
  "$tabrl" solve "$@" --format html -o "$work/$name.html" 2>/dev/null
  "$tabrl" solve "$@" --format csv >"$work/$name.csv" 2>/dev/null
  browse "$work/$name.html" "step=last&stage=$stage" --enable-logging=stderr --v=0 --dump-dom \
    >"$work/$name.dom" 2>"$work/$name.log"
  check "$name-values" same_values "$work/$name.dom" "$work/$name.csv" "$stage"
  check "$name-console" test -z "$(grep -iE 'uncaught|refused|violates|console error|:CONSOLE' "$work/$name.log")"
  # The one URL is the SVG namespace, a name that is never fetched.
  check "$name-no-urls" test -z "$(sed 's|http://www.w3.org/2000/svg||g' "$work/$name.html" | grep -oE 'https?:|//|src=|href=|url\(')"
  check "$name-csp" grep -q "Content-Security-Policy\" content=\"default-src 'none'" "$work/$name.html"
}
page_checks fourrooms 0 gridworld --set map=fourrooms --method vi --trace
page_checks frozenlake 0 frozenlake --gamma 0.99 --method pi
page_checks riverswim 0 riverswim --method backward
page_checks riverswim-h7 7 riverswim --method backward
page_checks garnet 0 garnet --method pi
check fourrooms-caption grep -q 'sweep 48: V_48 = T V_47' "$work/fourrooms.dom"
check frozenlake-caption grep -q 'improvement 7: 0 states switched' "$work/frozenlake.dom"
check riverswim-caption grep -q 'stage h = 0 computed' "$work/riverswim.dom"
check frozenlake-slip grep -q '1/3 each' "$work/frozenlake.dom"
# A state's Q panel (#state=N): each Q(s, a) of the C solver equals the
# page's own sum over the outcomes of (s, a) of this step's values (Q is
# inlined with 10 digits: equal to 1e-9).
q_sums() {
  local page=$1 hash=$2
  browse "$page" "$hash" --dump-dom 2>/dev/null |
    grep -oE 'data-qvalue="[^"]*"|data-sum="[^"]*"' | sed 's/.*="\(.*\)"/\1/' |
    awk 'NR % 2 { q = $1; next } { n++; d = q - $1; if (d < 0) d = -d; if (d > 1e-9 * (1 + (q < 0 ? -q : q))) bad++ }
      END { exit !(n > 0 && bad == 0) }'
}
check frozenlake-q-sums q_sums "$work/frozenlake.html" "step=last&state=6"
check fourrooms-q-sums q_sums "$work/fourrooms.html" "step=10&state=20"
check riverswim-q-sums q_sums "$work/riverswim.html" "step=5&state=2"

# A request the page might make is refused by the CSP and logged: a page
# with an image proves that the log shows it.
sed 's|<div id="app"></div>|<img src="https://example.invalid/x.png">&|' "$work/frozenlake.html" \
  >"$work/fetching.html"
browse "$work/fetching.html" "" --enable-logging=stderr --v=0 --dump-dom >/dev/null 2>"$work/fetching.log"
check csp-reports grep -q 'violates the following Content Security Policy' "$work/fetching.log"

# Screenshot: the IHDR's width and height (bytes 17-24, big-endian) and a
# non-blank image (a blank 1200x1000 PNG compresses to a few kilobytes; the
# page's is tens of kilobytes with many distinct bytes).
browse "$work/frozenlake.html" "step=last" --screenshot="$work/fl.png" --window-size=1200,1000 \
  >/dev/null 2>&1
ihdr=$(od -An -tu1 -j16 -N8 "$work/fl.png" 2>/dev/null | tr -s ' ' | sed 's/^ //')
check png-size test "$ihdr" = "0 0 4 176 0 0 3 232"
check png-not-blank test "$(wc -c <"$work/fl.png")" -gt 20000
check png-bytes test "$(od -An -tu1 -v "$work/fl.png" | tr -s ' ' '\n' | sort -u | wc -l)" -gt 200

# --trace beside the page: the oracle's lines, as with --format csv.
for method in vi pi; do
  "$tabrl" solve gridworld --set map=fourrooms --method $method --trace --format csv 2>"$work/t.csv" >/dev/null
  "$tabrl" solve gridworld --set map=fourrooms --method $method --trace --format html 2>"$work/t.html" >/dev/null
  check "trace-$method" cmp -s "$work/t.csv" "$work/t.html"
done

# Bad input and the limits.
"$tabrl" solve riverswim --format html >"$work/stdout.html"
check stdout-page grep -q '</html>' "$work/stdout.html"
expect unwritable 1 "^tabrl: -o $work/missing/p.html: " "$tabrl" solve riverswim --format html -o "$work/missing/p.html"
check unwritable-nothing test ! -e "$work/missing"
check unwritable-one-line test "$("$tabrl" solve riverswim --format html -o "$work/missing/p.html" 2>&1 | wc -l)" -eq 1
expect html-objective 2 '--format html: .*not with --objective' "$tabrl" solve riverswim --format html --objective cvar:0.1
"$tabrl" solve garnet --set states=5000 --format html -o "$work/big.html"
check big-size test "$(wc -c <"$work/big.html")" -lt 2000000
check big-note grep -q '5000 states: the page shows the first' "$work/big.html"
"$tabrl" solve frozenlake --set map=8x8 --gamma 0.999 --method vi --eps 1e-12 --format html \
  -o "$work/many.html"
check vi-size test "$(wc -c <"$work/many.html")" -lt 2000000
# A grid of 625 states: the table view and the note, not the drawing.
{
  printf 'S%024d\n' 0 | tr 0 .
  for _ in $(seq 2 24); do printf '%025d\n' 0 | tr 0 .; done
  printf '%024dG\n' 0 | tr 0 .
} >"$work/big.map"
"$tabrl" solve gridworld --set map_file="$work/big.map" --format html -o "$work/bigmap.html"
check big-grid-table grep -q '"grid":null' "$work/bigmap.html"
check big-grid-note grep -q 'More than 400 states: a table instead of the grid' "$work/bigmap.html"
finish
