# shellcheck shell=bash
# Shared by the end-to-end test scripts (sourced, not run): two assertions
# and the closing count line in Check's format, which ./dev.sh adds up.
checks=0
failures=0

# expect NAME CODE PATTERN CMD...: exit code CODE and output (stdout+stderr)
# matching the extended regex PATTERN.
expect() {
  local name=$1 code=$2 pattern=$3 out rc
  shift 3
  checks=$((checks + 1))
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" -ne "$code" ] || ! grep -qE -- "$pattern" <<<"$out"; then
    failures=$((failures + 1))
    echo "FAIL $name: exit $rc (want $code), output:" >&2
    head -n 5 <<<"$out" >&2
  fi
}

# check NAME CONDITION...: a shell condition.
check() {
  local name=$1
  shift
  checks=$((checks + 1))
  if ! "$@"; then
    failures=$((failures + 1))
    echo "FAIL $name" >&2
  fi
}

# finish: prints "NN%: Checks: N, Failures: F, Errors: 0"; fails if any did.
finish() {
  local pct=100
  [ "$checks" -gt 0 ] && pct=$(((checks - failures) * 100 / checks))
  echo "$pct%: Checks: $checks, Failures: $failures, Errors: 0"
  [ "$failures" -eq 0 ]
}
