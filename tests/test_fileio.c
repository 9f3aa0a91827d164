/* tabrl_output_path_check: every path an output must not go to is refused
 * with its reason, and every legitimate one (new, empty, a result directory,
 * a file) is accepted. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "model/fileio.h"
#include "tabrl/error.h"

static char dir[64];

static void make_dir(void)
{
  strcpy(dir, "/tmp/tabrl_test_fileio_XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void touch(const char *name)
{
  char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fclose(f);
}

static void refused(const char *path, int kind, const char *why)
{
  ck_assert_int_eq(tabrl_output_path_check("--out", path, kind), TABRL_EINVAL);
  ck_assert_msg(strstr(tabrl_error_message(), why), "'%s': got '%s', want '%s'", path,
                tabrl_error_message(), why);
}

START_TEST(test_refused)
{
  char path[256];
  make_dir();
  refused("", TABRL_OUTPUT_DIR, "empty output path");
  refused(" \t", TABRL_OUTPUT_DIR, "empty output path");
  refused(NULL, TABRL_OUTPUT_FILE, "empty output path");
  refused("/", TABRL_OUTPUT_DIR, "root directory");
  refused("//", TABRL_OUTPUT_DIR, "root directory");
  refused("/tmp/..", TABRL_OUTPUT_DIR, "root directory");
  refused("/", TABRL_OUTPUT_FILE, "root directory");
  refused(dir, TABRL_OUTPUT_FILE, "is a directory");
  touch("notes.txt");
  refused(dir, TABRL_OUTPUT_DIR, "not a tabrl result directory");
  snprintf(path, sizeof path, "%s/notes.txt", dir);
  refused(path, TABRL_OUTPUT_DIR, "exists and is not a directory");
  unlink(path);
  rmdir(dir);
}
END_TEST

START_TEST(test_accepted)
{
  char path[256];
  make_dir();
  ck_assert_int_eq(tabrl_output_path_check("--out", dir, TABRL_OUTPUT_DIR), 0); /* empty */
  snprintf(path, sizeof path, "%s/new/deeper", dir);
  ck_assert_int_eq(tabrl_output_path_check("--out", path, TABRL_OUTPUT_DIR), 0);
  ck_assert_int_eq(tabrl_output_path_check("-o", path, TABRL_OUTPUT_FILE), 0);
  touch("runs.csv");
  touch("manifest.ini"); /* a result directory */
  ck_assert_int_eq(tabrl_output_path_check("--out", dir, TABRL_OUTPUT_DIR), 0);
  snprintf(path, sizeof path, "%s/runs.csv", dir);
  ck_assert_int_eq(tabrl_output_path_check("-o", path, TABRL_OUTPUT_FILE), 0); /* overwrite */
  unlink(path);
  snprintf(path, sizeof path, "%s/manifest.ini", dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/slurm", dir); /* tabrl submit's directory */
  ck_assert_int_eq(mkdir(path, 0777), 0);
  touch("slurm/array.sh");
  ck_assert_int_eq(tabrl_output_path_check("--out", dir, TABRL_OUTPUT_DIR), 0);
  snprintf(path, sizeof path, "%s/slurm/array.sh", dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/slurm", dir);
  rmdir(path);
  rmdir(dir);
}
END_TEST

int main(void)
{
  tabrl_init();
  Suite *s = suite_create("fileio");
  TCase *tc = tcase_create("output paths");
  tcase_add_test(tc, test_refused);
  tcase_add_test(tc, test_accepted);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
