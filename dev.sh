#!/usr/bin/env bash
# tabrl's one entry point for set-up, the demo and the tests.
#   ./dev.sh demo    install missing Debian packages, build, run the demo
#                    (experiments/quickstart.ini: results/quickstart/)
#   ./dev.sh test    same set-up, then cppcheck, clang-format and shellcheck,
#                    every test in the normal build and in an
#                    AddressSanitizer + UndefinedBehaviorSanitizer build, and a
#                    multi-threaded `tabrl run` under ThreadSanitizer
#                    and a short libFuzzer run of every target of tests/fuzz
#   ./dev.sh fuzz [SECONDS]
#                    same set-up, then each fuzz target for SECONDS
#                    (default 600): the longer run, for a developer machine
#   ./dev.sh bench [--quick] [--compare OLD.json]
#                    same set-up, then `tabrl bench`; with --compare, also
#                    writes its figures to build/bench-DATE.json and prints
#                    each one's ratio to OLD.json (SLOWER when > 10% slower)
#   ./dev.sh bench --figures [--quick]
#                    same set-up, then re-runs the README's demo and every
#                    shipped experiment whose time the READMEs state, and
#                    prints stated and measured times with the load
#                    (--quick: only those stated under 5 s)
# Builds go to build/ (release), build-sanitize/ (debug + ASan/UBSan),
# build-tsan/ (debug + TSan, the program only) and build-fuzz/ (clang,
# libFuzzer + ASan/UBSan, the fuzz targets).
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES="meson ninja-build pkg-config gcc libgsl-dev libglpk-dev check libinih-dev gnuplot-nox parallel cppcheck clang-format shellcheck clang libclang-rt-14-dev"

install_packages() {
  local missing=()
  for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "dev.sh: installing ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# build DIR [meson options...]: configure once, then compile.
build() {
  local dir=$1
  shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >/dev/null
  else
    meson configure "$dir" "$@" >/dev/null
  fi
  ninja -C "$dir" >/dev/null
}

# run_tests DIR [env...]: meson test, then add up the Check counts each test
# program printed ("NN%: Checks: N, Failures: F, Errors: E").
passed=0
failed=0
run_tests() {
  local dir=$1 status=0
  shift
  env "$@" meson test -C "$dir" --print-errorlogs --no-rebuild --num-processes 2 "${suites[@]}" || status=$?
  local counts
  counts=$(grep -hoE 'Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$dir/meson-logs/testlog.txt" |
    awk -F'[:, ]+' '{c += $2; f += $4 + $6} END {print c + 0, f + 0}')
  local checks=${counts% *} bad=${counts#* }
  echo "$dir: $((checks - bad)) checks passed, $bad failed"
  passed=$((passed + checks - bad))
  failed=$((failed + bad))
  # A test program that crashed before printing its counts still fails.
  if [ "$status" -ne 0 ] && [ "$bad" -eq 0 ]; then failed=$((failed + 1)); fi
}

# step NAME CMD...: one check of the final count; its output is shown only
# when it fails.
step() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then
    echo "$name: passed"
    passed=$((passed + 1))
  else
    echo "$name: FAILED"
    printf '%s\n' "$out" | head -n 60
    failed=$((failed + 1))
  fi
}

# The experiments run with 4 worker threads under ThreadSanitizer: any report
# fails the check, whether or not it changed the exit code.
tsan_runs() {
  local out status=0
  out=$(mktemp -d)
  TSAN_OPTIONS=halt_on_error=1:exitcode=66 ./build-tsan/tabrl run tests/data/exp/small.ini \
    --set experiment.episodes=2000 -j 4 --out "$out/small" --quiet 2>"$out/log" || status=$?
  [ "$status" -eq 0 ] && TSAN_OPTIONS=halt_on_error=1:exitcode=66 ./build-tsan/tabrl run \
    experiments/quickstart.ini --set experiment.episodes=1000 --set experiment.seeds=4 -j 4 \
    --out "$out/quickstart" --quiet 2>>"$out/log" || status=$?
  if [ "$status" -ne 0 ] || grep -q ThreadSanitizer "$out/log"; then
    echo "exit $status"
    cat "$out/log"
    status=1
  fi
  rm -rf "$out"
  return "$status"
}

# The fuzz targets (tests/fuzz/fuzz_*.c) and their build, with clang.
fuzz_targets=(experiment model results gridmap policy)
build_fuzz() {
  CC=clang build build-fuzz -Dwerror=true -Dbuildtype=debugoptimized -Dfuzz=true -Dtests=false \
    -Db_lundef=false
}

# fuzz_run TARGET SECONDS LOG CORPUS: fuzzes TARGET for SECONDS from its
# seed corpus (left as it is: new inputs go to CORPUS).  A crash, a leak, a
# sanitizer report, a timeout (25 s on one input: a big model is slow
# under the sanitizers, an endless loop takes forever) or running out of memory
# stops it with a non-zero status, the input saved as
# build-fuzz/crashes/TARGET-*.  The targets' files live in /dev/shm when
# there is one: the readers fsync what they write, which on a disk would
# take most of the time.
fuzz_run() {
  local target=$1 seconds=$2 log=$3 corpus=$4 tmp=${TMPDIR:-/tmp} dict=()
  [ -d /dev/shm ] && [ -w /dev/shm ] && tmp=/dev/shm
  [ -f "tests/fuzz/$target.dict" ] && dict=(-dict="tests/fuzz/$target.dict")
  mkdir -p "$corpus" build-fuzz/crashes
  TMPDIR=$tmp "./build-fuzz/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=25 \
    -rss_limit_mb=2048 -artifact_prefix="build-fuzz/crashes/$target-" "${dict[@]}" \
    "$corpus" "tests/fuzz/corpus/$target" >"$log" 2>&1
}

# fuzz_result TARGET: whether TARGET's short run (below) passed; on failure,
# the report's lines that say what and where.
fuzz_result() {
  local log=build-fuzz/fuzz-$1.log
  if [ "$(cat "$log.rc")" -ne 0 ]; then
    grep -E -A 30 'ERROR|runtime error|SUMMARY|Test unit written' "$log" | head -n 50
    return 1
  fi
  grep -E '^Done [0-9]+ runs' "$log"
}

cmd=${1:-}
case "$cmd" in
demo)
  install_packages
  build build -Dwerror=true
  ./build/tabrl solve riverswim --set states=6 --set horizon=20 | head -n 3
  ./build/tabrl run experiments/quickstart.ini -j 2
  ;;
test)
  install_packages
  # The `slurm` suite needs a running Slurm (bash .ci/slurm-up starts a
  # single-node one, as CI does); without one it is left out, and said so.
  suites=()
  # (timeout: with a slurm.conf but no daemons, sinfo waits ~9 s to fail)
  if command -v sinfo >/dev/null && timeout 3 sinfo -h -o %T 2>/dev/null | grep -q idle; then
    echo "dev.sh: Slurm is up: running the slurm suite too"
  else
    suites=(--no-suite slurm)
    echo "dev.sh: no Slurm cluster answers: the slurm suite is left out (bash .ci/slurm-up starts one)"
  fi
  build build -Dwerror=true
  build build-sanitize -Dwerror=true -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false
  build build-tsan -Dwerror=true -Dbuildtype=debug -Db_sanitize=thread -Dtests=false
  # Static analysis and style first; each counts as one check.
  mapfile -d '' c_files < <(find src envs algos tests -name '*.[ch]' -print0 | sort -z)
  step cppcheck cppcheck --error-exitcode=1 --enable=warning,portability --std=c11 --inline-suppr -q \
    -I src -I algos src envs algos
  step clang-format clang-format --dry-run --Werror "${c_files[@]}"
  step shellcheck shellcheck -x -P SCRIPTDIR dev.sh .ci/* tests/*.sh
  run_tests build
  # Once is enough for the cluster round trips; and a program linked against
  # the installed library cannot load an ASan-instrumented one.
  suites=(--no-suite slurm --no-suite install)
  run_tests build-sanitize UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1
  step tsan-run-j4 tsan_runs
  # Every fuzz target for 8 s, side by side: the seed corpus (with the
  # inputs of crashes once found) replayed, then new inputs.
  build_fuzz
  # (A fresh corpus each time: a grown one would take its time to replay.)
  fuzz_work=$(mktemp -d)
  for t in "${fuzz_targets[@]}"; do
    (
      status=0
      fuzz_run "$t" 8 "build-fuzz/fuzz-$t.log" "$fuzz_work/$t" || status=$?
      echo "$status" >"build-fuzz/fuzz-$t.log.rc"
    ) &
  done
  wait
  rm -rf "$fuzz_work"
  for t in "${fuzz_targets[@]}"; do step "fuzz-$t" fuzz_result "$t"; done
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  ;;
fuzz)
  install_packages
  build_fuzz
  seconds=${2:-600}
  status=0
  for t in "${fuzz_targets[@]}"; do
    echo "dev.sh: fuzzing $t for $seconds s (log build-fuzz/fuzz-$t.log)"
    if ! fuzz_run "$t" "$seconds" "build-fuzz/fuzz-$t.log" "build-fuzz/corpus/$t"; then
      grep -E -A 30 'ERROR|runtime error|SUMMARY|Test unit written' "build-fuzz/fuzz-$t.log" | head -n 50
      status=1
    fi
    tail -n 1 "build-fuzz/fuzz-$t.log"
  done
  exit "$status"
  ;;
bench)
  install_packages
  build build -Dwerror=true
  shift
  old="" args=()
  if [ "${1:-}" = --figures ]; then
    exec tests/bench/readme_figures.sh build/tabrl "${@:2}"
  fi
  while [ $# -gt 0 ]; do
    case $1 in
    --compare)
      [ $# -ge 2 ] || { echo "usage: ./dev.sh bench [--quick] [--compare OLD.json]" >&2; exit 2; }
      old=$2
      shift 2
      ;;
    *)
      args+=("$1")
      shift
      ;;
    esac
  done
  if [ -z "$old" ]; then
    ./build/tabrl bench "${args[@]}"
    exit
  fi
  # A bad OLD file fails now, not after minutes of timing.
  ./build/tabrl bench --compare "$old" "$old" >/dev/null
  new=build/bench-$(date -u +%Y%m%dT%H%M%SZ).json
  ./build/tabrl bench "${args[@]}" --json "$new"
  echo "dev.sh: the figures are in $new (the OLD of the next comparison)"
  ./build/tabrl bench --compare "$old" "$new"
  ;;
*)
  echo "usage: ./dev.sh demo|test|fuzz [SECONDS]|bench [--quick] [--compare OLD.json]|bench --figures [--quick]" >&2
  exit 2
  ;;
esac
