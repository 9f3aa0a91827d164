#!/usr/bin/env bash
# `meson install` gives a usable library: install into a staging directory,
# compile a small program against the installed headers with the flags of
# the installed tabrl.pc, run it.  Usage: install_test.sh BUILD_DIR
set -u
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
build=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

expect install 0 '' meson install -C "$build" --destdir "$work/stage" --no-rebuild --quiet
pc=$(find "$work/stage" -name tabrl.pc | head -n 1)
check pkg-config-file test -n "$pc"
check program-installed test -n "$(find "$work/stage" -path '*/bin/tabrl' -type f)"
check header-installed test -n "$(find "$work/stage" -path '*/include/tabrl/oracle.h')"
prefix=$(sed -n 's/^prefix=//p' "$pc")
root="$work/stage$prefix"
cat >"$work/user.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <tabrl/env.h>
#include <tabrl/error.h>
#include <tabrl/oracle.h>

int main(void)
{
  tabrl_mdp *m;
  tabrl_init();
  if (tabrl_env_build("riverswim", NULL, 0, &m)) {
    fprintf(stderr, "%s\n", tabrl_error_message());
    return 1;
  }
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V);
  tabrl_oracle_backward(m, V, NULL, NULL);
  printf("%.11f\n", tabrl_oracle_start_value(m, V));
  free(V);
  tabrl_mdp_free(m);
  return 0;
}
C
# The .pc file's own flags, with its prefix moved to the staging directory.
flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --define-variable=prefix="$root" --cflags --libs tabrl)
# shellcheck disable=SC2086 # flags are several words
expect compile 0 '' cc -std=c11 -o "$work/user" "$work/user.c" $flags
libdir=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --define-variable=prefix="$root" --variable=libdir tabrl)
expect run-installed 0 '^3\.39726395915$' env LD_LIBRARY_PATH="$libdir" "$work/user"

finish
