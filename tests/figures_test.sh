#!/usr/bin/env bash
# tests/bench/readme_figures.sh (./dev.sh bench --figures): the table of the
# READMEs' stated times against measured ones, with the load beside each.
# Usage: figures_test.sh PATH/TO/tabrl PATH/TO/tests/bench/readme_figures.sh.
# Prints the Check-style count line.
set -u
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
tabrl=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
figures=$2

out=$("$figures" "$tabrl" --only toy10.ini 2>&1)
check header-has-load grep -qE '^figure +README says +measured now +threads +load before/after$' <<<"$out"
# toy10.ini's row: its stated time (experiments/README.md: 0.06 s), a
# measured time, the threads and two load averages.
check toy10-row grep -qE '^toy10\.ini +0\.06 s +[0-9]+\.[0-9]{2} s +2 +[0-9]+\.[0-9]+/[0-9]+\.[0-9]+$' <<<"$out"
check one-row test "$(wc -l <<<"$out")" -eq 2
# A run that fails is reported as such, not timed.
out=$("$figures" /bin/false --only toy10.ini 2>&1)
check failed-row grep -qE '^toy10\.ini +0\.06 s +FAILED ' <<<"$out"
expect bad-option 2 usage "$figures" "$tabrl" --slow
expect only-needs-name 2 usage "$figures" "$tabrl" --only
finish
