#!/usr/bin/env bash
# Re-measures the times the READMEs state: the quick-start demo of README.md
# and every shipped experiment whose row in experiments/README.md ends with a
# time ("; 2 s |", "; about 20 s |"; a row of several files: its first), each run as the README runs it
# (tabrl run EXP.ini -j 2, into a temporary directory), and prints one table:
# figure, what the README says, measured now, threads, load before and after.
# usage: readme_figures.sh TABRL [--quick | --only NAME.ini]
#   --quick: only the demo and the experiments stated under 5 s;
#   --only NAME.ini: only that experiment (the test's short case).
# ./dev.sh bench --figures [--quick] runs it on build/tabrl.
set -eu
tabrl=$1
quick=${2:-} only=${3:-}
case $quick in
'' | --quick) ;;
--only) [ -n "$only" ] || { echo "usage: $0 TABRL [--quick | --only NAME.ini]" >&2; exit 2; } ;;
*) echo "usage: $0 TABRL [--quick | --only NAME.ini]" >&2; exit 2 ;;
esac
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
jobs=2
load() { cut -d' ' -f1 /proc/loadavg; }
printf '%-34s %-14s %-13s %-7s %s\n' figure "README says" "measured now" threads "load before/after"
row() { # NAME STATED INI [ARGS...]
  local name=$1 stated=$2 ini=$3 l0 t0 t1
  shift 3
  l0=$(load)
  t0=$(date +%s%N)
  if ! "$tabrl" run "$ini" "$@" -j "$jobs" --quiet --out "$out/$name" >/dev/null 2>"$out/err"; then
    printf '%-34s %-14s %-13s %-7s %s\n' "$name" "$stated" "FAILED" "$jobs" "$l0/$(load)"
    head -n 1 "$out/err" >&2
    return
  fi
  t1=$(date +%s%N)
  printf '%-34s %-14s %-13s %-7s %s\n' "$name" "$stated" \
    "$(printf '%d.%02d s' $(((t1 - t0) / 1000000000)) $(((t1 - t0) / 10000000 % 100)))" "$jobs" "$l0/$(load)"
  rm -rf "${out:?}/$name"
}
[ -n "$only" ] || row "README demo (quickstart)" "about 2 s" "$root/experiments/quickstart.ini"
# README "solve": policy iteration on a discounted Garnet (gamma 0.9, 4
# actions, branching 3: the defaults), exact evaluation by the sparse path.
timed() { # NAME STATED CMD...
  local name=$1 stated=$2 l0 t0 t1
  shift 2
  l0=$(load)
  t0=$(date +%s%N)
  if ! "$@" >/dev/null 2>"$out/err"; then
    printf '%-34s %-14s %-13s %-7s %s\n' "$name" "$stated" "FAILED" 1 "$l0/$(load)"
    head -n 1 "$out/err" >&2
    return
  fi
  t1=$(date +%s%N)
  printf '%-34s %-14s %-13s %-7s %s\n' "$name" "$stated" \
    "$(printf '%d.%02d s' $(((t1 - t0) / 1000000000)) $(((t1 - t0) / 10000000 % 100)))" 1 "$l0/$(load)"
}
# README Performance, "A run's fixed cost": a one-run experiment (RiverSwim(6),
# H = 20, psrl, one seed, one episode), the median of 11 runs without the
# figure and of 5 with it, each a whole `tabrl run` process.
fixed() { # NAME STATED REPEATS [ARGS...]
  local name=$1 stated=$2 n=$3 l0 t0 t1 i ms=()
  shift 3
  l0=$(load)
  for ((i = 0; i < n; i++)); do
    t0=$(date +%s%N)
    if ! "$tabrl" run "$out/one.ini" "$@" -j 1 --quiet --out "$out/one-$i" >/dev/null 2>"$out/err"; then
      printf '%-34s %-14s %-13s %-7s %s\n' "$name" "$stated" "FAILED" 1 "$l0/$(load)"
      head -n 1 "$out/err" >&2
      return
    fi
    t1=$(date +%s%N)
    ms+=($(((t1 - t0) / 10000)))
    rm -rf "${out:?}/one-$i"
  done
  i=$(printf '%s\n' "${ms[@]}" | sort -n | sed -n "$(((n + 1) / 2))p")
  printf '%-34s %-14s %-13s %-7s %s\n' "$name" "$stated" \
    "$(printf '%d.%02d ms' $((i / 100)) $((i % 100)))" 1 "$l0/$(load)"
}
if [ -z "$only" ]; then
  printf '[experiment]\nname = one\nenv = riverswim\nepisodes = 1\nseeds = 1\n[env]\nstates = 6\nhorizon = 20\n[algo psrl]\ntype = psrl\n' >"$out/one.ini"
  fixed "one-run fixed cost, no figure" "under 10 ms" 11 --no-plot
  if command -v gnuplot >/dev/null; then fixed "one-run fixed cost, with figure" "about 0.1 s" 5; fi
  timed "solve garnet states=4000 (PI)" "0.04 s" "$tabrl" solve garnet --set states=4000 --gamma 0.9 --format csv
  timed "solve garnet states=100000 (PI)" "1 s" "$tabrl" solve garnet --set states=100000 --gamma 0.9 --format csv
fi
# A row of the experiments table: | `NAME.ini` | ... | ...; TIME |, or one of
# several files, | `A.ini`, `B.ini` | ... | ...; TA and TB | (or "TA, TB, TC"),
# each file with its time.  pe-deepsea.ini states "24 min" of a loaded
# machine: it is run by the full command too.
while IFS= read -r line; do
  case $line in '| `'*'.ini`'*) ;; *) continue ;; esac
  # shellcheck disable=SC2016 # the backquotes are the table's
  mapfile -t inis < <(cut -d'|' -f2 <<<"$line" | grep -o '`[a-z0-9.-]*\.ini`' | tr -d '`')
  # The stated times: "2 s", "about 20 s", "1 s per b", "17 s and 13 s", "0.5 s, 1 s, 7 s", "24 min".
  times=$(sed -n 's/.*; \(\(about \|under \)\{0,1\}[0-9.]* \(s\|min\)\( each\| per [a-z]*\)\{0,1\}\(\(, \| and \)[0-9.]* s\)*\)\( (-j 2)\)\{0,1\} |$/\1/p;
    s/.*; \([0-9]* min\) of wall time.*|$/\1/p' <<<"$line" | head -n 1)
  [ -n "$times" ] || continue
  times=${times//, /$'\n'}
  mapfile -t stated <<<"${times// and /$'\n'}"
  [ "${#stated[@]}" -eq "${#inis[@]}" ] || [ "${#stated[@]}" -eq 1 ] || continue
  for k in "${!inis[@]}"; do
    ini=${inis[$k]} said=${stated[$k]:-${stated[0]}}
    [ -f "$root/experiments/$ini" ] || continue
    if [ -n "$only" ] && [ "$ini" != "$only" ]; then continue; fi
    secs=${said#about }
    secs=${secs#under }
    if [ "$quick" = --quick ] && { [[ $said == *min* ]] || [ "${secs%%[. ]*}" -ge 5 ]; }; then continue; fi
    row "$ini" "$said" "$root/experiments/$ini"
  done
done <"$root/experiments/README.md"
