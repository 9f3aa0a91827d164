#!/usr/bin/env bash
# The shared library exports exactly its public API: every dynamic symbol
# it defines is declared in an installed header (and named tabrl_*), and
# every function or variable those headers declare is exported, so a new
# public header without its `#pragma GCC visibility push(default)` fails
# here rather than at a user's link.
# Usage: symbols_test.sh LIBTABRL.so HEADER...  Prints the Check-style count.
set -u
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
lib=$1
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

nm -D --defined-only "$lib" | awk 'NF == 3 {print $3}' | sort -u >"$work/exported"

# The headers' code, comments removed; their identifiers.
perl -0777 -pe 's{/\*.*?\*/}{ }gs; s{//[^\n]*}{}g' "$@" >"$work/code"
grep -oE '\b[A-Za-z_][A-Za-z0-9_]*\b' "$work/code" | sort -u >"$work/identifiers"

# What the headers ask the library for: the functions they declare or call
# (a static inline function's callees must be exported too), minus the
# static inline functions and the function-like macros; and the extern
# variables.
grep -oE '\btabrl_[A-Za-z0-9_]*[[:space:]]*\(' "$work/code" | tr -d '( \t' | sort -u >"$work/called"
{
  grep -oE 'static inline [^(;]*\btabrl_[A-Za-z0-9_]*[[:space:]]*\(' "$work/code" |
    grep -oE 'tabrl_[A-Za-z0-9_]*[[:space:]]*\($' | tr -d '( \t'
  grep -oE '#[[:space:]]*define[[:space:]]+[A-Za-z0-9_]+\(' "$work/code" | grep -oE '[A-Za-z0-9_]+\($' | tr -d '('
} | sort -u >"$work/local"
{
  comm -23 "$work/called" "$work/local"
  grep -oE '\bextern [^;(]*\btabrl_[A-Za-z0-9_]*[][[:space:]]*;' "$work/code" |
    grep -oE 'tabrl_[A-Za-z0-9_]*[][[:space:]]*;$' | tr -d '[]; \t'
} | sort -u >"$work/needed"

# report NAME FILE: the names in FILE, one line, when there are any.
report() {
  [ -s "$2" ] && echo "$1: $(tr '\n' ' ' <"$2")" >&2
  [ ! -s "$2" ]
}

comm -23 "$work/exported" "$work/identifiers" >"$work/extra"
check exported-only-declared report "exported but in no installed header" "$work/extra"
grep -v '^tabrl_' "$work/exported" >"$work/unprefixed"
check exported-prefixed report "exported without the tabrl_ prefix" "$work/unprefixed"
comm -23 "$work/needed" "$work/exported" >"$work/missing"
check declared-exported report "declared in an installed header but not exported" "$work/missing"
# (a guard against an empty or unreadable library making the others vacuous)
check exports-public-api test "$(wc -l <"$work/needed")" -ge 50
finish
