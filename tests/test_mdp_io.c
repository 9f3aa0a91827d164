/* The CSV model format: exact round trips (stationary and stage-dependent),
 * inference of sizes and absorbing states, time from arguments and
 * comments, one malformed file per error with the line it must name, I/O
 * failures (nothing left behind by a failed write), and the `file` env. */
#include <check.h>
#include <dirent.h>
#include <sys/stat.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/mdp.h"
#include "tabrl/mdp_io.h"

/* ---- helpers ---- */

/* A new temporary file holding contents; the caller removes it. */
static char *temp_file(const char *contents)
{
  char *path = strdup("/tmp/tabrl_test_mdp_io_XXXXXX");
  int fd;
  size_t length = strlen(contents);
  ck_assert_ptr_nonnull(path);
  fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, contents, length), (ssize_t)length);
  close(fd);
  return path;
}

static void remove_temp(char *path)
{
  unlink(path);
  free(path);
}

static char *temp_dir(void)
{
  char *path = strdup("/tmp/tabrl_test_mdp_io_dir_XXXXXX");
  ck_assert_ptr_nonnull(path);
  ck_assert_ptr_nonnull(mkdtemp(path));
  return path;
}

static int count_entries(const char *dir)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;
  ck_assert_ptr_nonnull(d);
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
  closedir(d);
  return n;
}

static char *read_all(const char *path)
{
  FILE *f = fopen(path, "r");
  char *text;
  long size;
  ck_assert_ptr_nonnull(f);
  fseek(f, 0, SEEK_END);
  size = ftell(f);
  rewind(f);
  text = calloc((size_t)size + 1, 1);
  ck_assert_int_eq(fread(text, 1, (size_t)size, f), (size_t)size);
  fclose(f);
  return text;
}

/* Reads contents from a temporary file; expects success. */
static tabrl_mdp *read_ok(const char *contents, int horizon, double gamma)
{
  char *path = temp_file(contents);
  tabrl_mdp *m = NULL;
  int status = tabrl_mdp_read_csv(path, horizon, gamma, &m);
  ck_assert_msg(status == 0, "read failed: %s", tabrl_error_message());
  ck_assert_ptr_nonnull(m);
  remove_temp(path);
  return m;
}

/* Reads contents expecting TABRL_EINVAL with a message that starts with
 * "path:line: " (or "path: " when line is 0) and contains what. */
static void expect_read_error(const char *contents, int horizon, double gamma, int line,
                              const char *what)
{
  char *path = temp_file(contents);
  char where[256];
  tabrl_mdp *m = NULL;
  int status = tabrl_mdp_read_csv(path, horizon, gamma, &m);
  const char *message = tabrl_error_message();
  if (line)
    snprintf(where, sizeof where, "%s:%d: ", path, line);
  else
    snprintf(where, sizeof where, "%s: ", path);
  ck_assert_msg(status == TABRL_EINVAL, "status %d (%s) for:\n%s", status, message, contents);
  ck_assert_ptr_null(m);
  ck_assert_msg(!strncmp(message, where, strlen(where)), "message '%s' does not start with '%s'",
                message, where);
  ck_assert_msg(strstr(message, what), "message '%s' lacks '%s'", message, what);
  remove_temp(path);
}

static void assert_same_model(const tabrl_mdp *a, const tabrl_mdp *b)
{
  size_t blocks = (size_t)a->stages * (size_t)a->S * (size_t)a->A;
  ck_assert_int_eq(a->S, b->S);
  ck_assert_int_eq(a->A, b->A);
  ck_assert_int_eq(a->horizon, b->horizon);
  ck_assert_double_eq(a->gamma, b->gamma);
  ck_assert_int_eq(a->stages, b->stages);
  ck_assert_uint_eq(a->nnz, b->nnz);
  ck_assert_mem_eq(a->row, b->row, (blocks + 1) * sizeof *a->row);
  ck_assert_mem_eq(a->next, b->next, a->nnz * sizeof *a->next);
  ck_assert_mem_eq(a->prob, b->prob, a->nnz * sizeof *a->prob);
  ck_assert_mem_eq(a->reward, b->reward, a->nnz * sizeof *a->reward);
  ck_assert_mem_eq(a->mean_reward, b->mean_reward, blocks * sizeof *a->mean_reward);
  ck_assert_mem_eq(a->sampler, b->sampler, a->nnz * sizeof *a->sampler);
  ck_assert_uint_eq(a->uniform_run, b->uniform_run);
  ck_assert_mem_eq(a->mu0, b->mu0, (size_t)a->S * sizeof *a->mu0);
  if (a->name)
    ck_assert_str_eq(a->name, b->name);
  else
    ck_assert_ptr_null(b->name);
}

static tabrl_mdp *finish_ok(tabrl_mdp_builder *b)
{
  tabrl_mdp *m = NULL;
  int status = tabrl_mdp_builder_finish(b, &m);
  ck_assert_msg(status == 0, "finish failed: %s", tabrl_error_message());
  tabrl_mdp_builder_free(b);
  return m;
}

/* Writes m to a fresh directory, reads it back and compares. */
static void round_trip(const tabrl_mdp *m, const char *header)
{
  char *dir = temp_dir(), path[512], *text;
  tabrl_mdp *back = NULL;
  snprintf(path, sizeof path, "%s/model.csv", dir);
  ck_assert_msg(tabrl_mdp_write_csv(m, path) == 0, "write: %s", tabrl_error_message());
  ck_assert_int_eq(count_entries(dir), 1); /* no temporary left */
  text = read_all(path);
  ck_assert_msg(strstr(text, header), "no '%s' in:\n%s", header, text);
  free(text);
  ck_assert_msg(tabrl_mdp_read_csv(path, 0, -1.0, &back) == 0, "read: %s", tabrl_error_message());
  assert_same_model(m, back);
  tabrl_mdp_free(back);
  unlink(path);
  rmdir(dir);
  free(dir);
}

/* ---- round trips ---- */

START_TEST(test_round_trip_stationary)
{
  /* A joint (s', r) law, probabilities and rewards that are not short
   * decimals, an invalid action, a spread mu0 and a name. */
  static const double mu0[4] = {0.1, 0.0, 0.6, 0.3};
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(4, 2, 1);
  tabrl_mdp_builder_set_time(b, 0, 0.9);
  tabrl_mdp_builder_add(b, 0, 0, 0, 1, 0.3, 0.0);
  tabrl_mdp_builder_add(b, 0, 0, 0, 1, 0.2, 1.0);
  tabrl_mdp_builder_add(b, 0, 0, 0, 2, 0.5, 0.1234567890123);
  tabrl_mdp_builder_add(b, 0, 0, 1, 0, 1.0 / 3, -2.5);
  tabrl_mdp_builder_add(b, 0, 0, 1, 3, 1.0 / 3, 1e-300);
  tabrl_mdp_builder_add(b, 0, 0, 1, 3, 1.0 - 2.0 / 3, 7.0);
  tabrl_mdp_builder_add(b, 0, 1, 0, 1, 1.0, 0.1);
  tabrl_mdp_builder_add(b, 0, 2, 0, 3, 0.7, 0.2);
  tabrl_mdp_builder_add(b, 0, 2, 0, 2, 0.3, 0.3);
  tabrl_mdp_builder_add(b, 0, 2, 1, 2, 1.0, -1.0 / 7);
  tabrl_mdp_builder_add(b, 0, 3, 0, 3, 1.0, 0.0);
  tabrl_mdp_builder_add(b, 0, 3, 1, 0, 1.0, 1.0);
  tabrl_mdp_builder_set_mu0(b, mu0);
  tabrl_mdp_builder_set_name(b, "tiny test");
  tabrl_mdp *m = finish_ok(b);
  ck_assert(!tabrl_mdp_valid(m, 0, 1, 1));
  round_trip(m, "# gamma = 0.90000000000000002\n# mu0 = 0:0.10000000000000001 2:");
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_round_trip_stage_dependent)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(2, 2, 3);
  tabrl_mdp_builder_set_time(b, 3, 1.0);
  for (int h = 0; h < 3; h++) {
    tabrl_mdp_builder_add(b, h, 0, 0, h % 2, 1.0, h);
    tabrl_mdp_builder_add(b, h, 0, 1, 0, 0.5, h * 0.1);
    tabrl_mdp_builder_add(b, h, 0, 1, 1, 0.5, -h);
    tabrl_mdp_builder_add(b, h, 1, 0, 1, 1.0, 0.25 * h);
    if (h == 2) tabrl_mdp_builder_add(b, h, 1, 1, 0, 1.0, 9.0);
  }
  tabrl_mdp *m = finish_ok(b);
  round_trip(m, "# horizon = 3\n# mu0 = 0:1\nh,s,a,s_next,p,r\n0,0,0,0,1,0\n");
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_round_trip_env)
{
  tabrl_mdp *m = NULL;
  ck_assert_int_eq(tabrl_env_build("riverswim", NULL, 0, &m), 0);
  round_trip(m, "# horizon = 20\n");
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_write_stream_text)
{
  char *text = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&text, &size);
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(1, 1, 1);
  tabrl_mdp_builder_set_time(b, 2, 1.0);
  tabrl_mdp_builder_add(b, 0, 0, 0, 0, 1.0, 0.1);
  tabrl_mdp *m = finish_ok(b);
  ck_assert_int_eq(tabrl_mdp_write_csv_stream(m, f), 0);
  fclose(f);
  ck_assert_str_eq(text, "# tabrl mdp\n"
                         "# states = 1\n"
                         "# actions = 1\n"
                         "# horizon = 2\n"
                         "# mu0 = 0:1\n"
                         "s,a,s_next,p,r\n"
                         "0,0,0,1,0.10000000000000001\n");
  free(text);
  tabrl_mdp_free(m);
}
END_TEST

/* ---- what a reader infers ---- */

static const char bare[] = "s,a,s_next,p,r\n"
                           "0,0,1,1,0\n"
                           "0,1,0,1,0.5\n"
                           "1,0,2,0.5,1\n"
                           "1,0,0,0.5,0\n";

START_TEST(test_bare_file_inferred)
{
  /* No comments: 3 states (state 2 appears only as a successor, so it is
   * absorbing), 2 actions, start state 0. */
  tabrl_mdp *m = read_ok(bare, 4, -1.0);
  ck_assert_int_eq(m->S, 3);
  ck_assert_int_eq(m->A, 2);
  ck_assert_int_eq(m->horizon, 4);
  ck_assert_int_eq(m->stages, 1);
  ck_assert_double_eq(m->mu0[0], 1.0);
  ck_assert_double_eq(m->mu0[1], 0.0);
  ck_assert_double_eq(m->mu0[2], 0.0);
  ck_assert(!tabrl_mdp_valid(m, 0, 1, 1));
  for (int a = 0; a < 2; a++) {
    size_t blk = tabrl_mdp_block(m, 0, 2, a), k = m->row[blk];
    ck_assert_uint_eq(m->row[blk + 1] - k, 1);
    ck_assert_int_eq(m->next[k], 2);
    ck_assert_double_eq(m->prob[k], 1.0);
    ck_assert_double_eq(m->reward[k], 0.0);
  }
  ck_assert_double_eq(m->mean_reward[tabrl_mdp_block(m, 0, 1, 0)], 0.5);
  ck_assert_ptr_null(m->name);
  tabrl_mdp_free(m);

  m = read_ok(bare, 0, 0.5);
  ck_assert_int_eq(m->horizon, 0);
  ck_assert_double_eq(m->gamma, 0.5);
  tabrl_mdp_free(m);

  expect_read_error(bare, 0, -1.0, 0,
                    "no horizon or gamma in the file; give --horizon H or --gamma G");
}
END_TEST

START_TEST(test_declared_sizes_and_absorbing)
{
  /* Declared states without rows are absorbing; declared actions without
   * rows are invalid where the state has rows. */
  tabrl_mdp *m = read_ok("# states = 4\n# actions = 3\n# horizon = 2\n"
                         "s,a,s_next,p,r\n0,0,1,1,1\n1,2,0,1,2\n",
                         0, -1.0);
  ck_assert_int_eq(m->S, 4);
  ck_assert_int_eq(m->A, 3);
  ck_assert(!tabrl_mdp_valid(m, 0, 0, 1));
  ck_assert(!tabrl_mdp_valid(m, 0, 1, 0));
  for (int s = 2; s < 4; s++)
    for (int a = 0; a < 3; a++) {
      size_t k = m->row[tabrl_mdp_block(m, 0, s, a)];
      ck_assert(tabrl_mdp_valid(m, 0, s, a));
      ck_assert_int_eq(m->next[k], s);
      ck_assert_double_eq(m->reward[k], 0.0);
    }
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_lenient_syntax)
{
  /* Byte-order mark, CRLF, blanks around fields, columns in any order,
   * free-text comments, unknown keys and comments after the header. */
  tabrl_mdp *m = read_ok("\xef\xbb\xbf# tabrl mdp\r\n"
                         "# author = someone\r\n"
                         "# free text: x = y\r\n"
                         "  #   gamma=0.5  \r\n"
                         "#mu0 = 1:0.25   0:0.75\r\n"
                         "# name =  two words  \r\n"
                         "\r\n"
                         " r , p , s_next , a , s \r\n"
                         " 1.5 , 1 , 1 , 0 , 0 \r\n"
                         "# a comment between rows\r\n"
                         "\t\r\n"
                         "-2e-1,0.5,0,0,1\r\n"
                         "0x1p-1,5e-1,1,0,1",
                         0, -1.0);
  ck_assert_int_eq(m->S, 2);
  ck_assert_int_eq(m->A, 1);
  ck_assert_int_eq(m->horizon, 0);
  ck_assert_double_eq(m->gamma, 0.5);
  ck_assert_double_eq(m->mu0[0], 0.75);
  ck_assert_double_eq(m->mu0[1], 0.25);
  ck_assert_str_eq(m->name, "two words");
  ck_assert_double_eq(m->mean_reward[0], 1.5);
  ck_assert_double_eq(m->mean_reward[1], 0.5 * -0.2 + 0.5 * 0.5);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_joint_rows)
{
  /* Same (s, a, s_next) with different r: a joint law, not a duplicate. */
  tabrl_mdp *m = read_ok("s,a,s_next,p,r\n0,0,0,0.25,1\n0,0,0,0.75,0\n", 1, -1.0);
  ck_assert_uint_eq(m->nnz, 2);
  ck_assert_double_eq(m->mean_reward[0], 0.25);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_time_arguments_override)
{
  static const char episodic[] = "# horizon = 5\ns,a,s_next,p,r\n0,0,0,1,1\n";
  static const char discounted[] = "# gamma = 0.25\ns,a,s_next,p,r\n0,0,0,1,1\n";
  tabrl_mdp *m = read_ok(episodic, 0, -1.0);
  ck_assert_int_eq(m->horizon, 5);
  tabrl_mdp_free(m);
  m = read_ok(episodic, 9, -1.0);
  ck_assert_int_eq(m->horizon, 9);
  tabrl_mdp_free(m);
  m = read_ok(episodic, 0, 0.8);
  ck_assert_int_eq(m->horizon, 0);
  ck_assert_double_eq(m->gamma, 0.8);
  tabrl_mdp_free(m);
  m = read_ok(discounted, 0, -1.0);
  ck_assert_double_eq(m->gamma, 0.25);
  tabrl_mdp_free(m);
  m = read_ok(discounted, 3, -1.0);
  ck_assert_int_eq(m->horizon, 3);
  tabrl_mdp_free(m);
  expect_read_error(discounted, 3, 0.5, 0, "not both");
  expect_read_error(discounted, 0, 1.0, 0, "discount gamma = 1 must be in [0,1)");
}
END_TEST

START_TEST(test_stage_dependent_horizon)
{
  static const char staged[] = "h,s,a,s_next,p,r\n0,0,0,0,1,0.5\n2,0,0,0,1,1\n";
  /* H is max h + 1; stage 1 has no rows, so the state is absorbing there. */
  tabrl_mdp *m = read_ok(staged, 0, -1.0);
  ck_assert_int_eq(m->horizon, 3);
  ck_assert_int_eq(m->stages, 3);
  ck_assert_double_eq(m->mean_reward[tabrl_mdp_block(m, 0, 0, 0)], 0.5);
  ck_assert_double_eq(m->mean_reward[tabrl_mdp_block(m, 1, 0, 0)], 0.0);
  ck_assert_double_eq(m->mean_reward[tabrl_mdp_block(m, 2, 0, 0)], 1.0);
  tabrl_mdp_free(m);
  /* A longer horizon, from the file or the caller, adds absorbing stages. */
  m = read_ok("# horizon = 5\nh,s,a,s_next,p,r\n0,0,0,0,1,0.5\n2,0,0,0,1,1\n", 0, -1.0);
  ck_assert_int_eq(m->stages, 5);
  tabrl_mdp_free(m);
  m = read_ok(staged, 4, -1.0);
  ck_assert_int_eq(m->stages, 4);
  ck_assert_double_eq(m->mean_reward[tabrl_mdp_block(m, 3, 0, 0)], 0.0);
  tabrl_mdp_free(m);
  /* Discounted: only if every h is 0. */
  m = read_ok("h,s,a,s_next,p,r\n0,0,0,0,1,0.5\n", 0, 0.5);
  ck_assert_int_eq(m->stages, 1);
  tabrl_mdp_free(m);
  expect_read_error(staged, 0, 0.5, 3, "a row for stage h > 0 needs an episodic model");
  expect_read_error(staged, 2, -1.0, 3,
                    "column 'h': stage 2 is out of range [0,2) (the horizon given is 2)");
}
END_TEST

START_TEST(test_long_lines)
{
  /* getline: no line length limit.  A 200000-character comment, a row
   * with 100000-digit numbers, then an error whose line is still right. */
  size_t n = 200000, length = 3 * n + 200;
  char *text = malloc(length), *p = text;
  memset(p, 0, length);
  *p++ = '#';
  memset(p, 'x', n);
  p += n;
  p += sprintf(p, "\n# horizon = 3\ns,a,s_next,p,r\n0,0,0,1.");
  memset(p, '0', n / 2);
  p += n / 2;
  p += sprintf(p, ",0.");
  memset(p, '0', n / 2);
  p += n / 2;
  p += sprintf(p, "1\n");
  tabrl_mdp *m = read_ok(text, 0, -1.0);
  ck_assert_double_eq(m->prob[0], 1.0);
  ck_assert_double_eq(m->reward[0], 0.0); /* 1e-100001 underflows to 0 */
  tabrl_mdp_free(m);
  strcpy(p, "0,0,x,1,0\n");
  expect_read_error(text, 0, -1.0, 5, "column 's_next': 'x' is not a non-negative integer");
  free(text);
}
END_TEST

/* ---- malformed files: the error names the line ---- */

/* Line 1 declares 3 states, the header is line 2, a good row line 3, the
 * row under test line 4. */
static void expect_bad_row(const char *row, const char *what)
{
  char text[512];
  snprintf(text, sizeof text, "# states = 3\ns,a,s_next,p,r\n0,0,1,1,0\n%s\n2,0,0,1,0\n", row);
  expect_read_error(text, 2, -1.0, 4, what);
}

START_TEST(test_bad_field_count)
{
  expect_bad_row("1,0,1,1", "expected 5 fields (as in the header on line 2), found 4");
  expect_bad_row("1,0,1,1,0,", "expected 5 fields (as in the header on line 2), found 6");
  expect_bad_row("1", "found 1");
}
END_TEST

START_TEST(test_bad_integer)
{
  expect_bad_row("1,x,1,1,0", "column 'a': 'x' is not a non-negative integer");
  expect_bad_row("1.5,0,1,1,0", "column 's': '1.5' is not a non-negative integer");
  expect_bad_row("-1,0,1,1,0", "column 's': '-1' is not a non-negative integer");
  expect_bad_row("+1,0,1,1,0", "column 's': '+1' is not a non-negative integer");
  expect_bad_row("1,0,2 2,1,0", "column 's_next': '2 2' is not a non-negative integer");
  expect_bad_row("1,0,99999999999999999999,1,0", "column 's_next': 99999999999999999999 is too");
  expect_bad_row("1,,1,1,0", "column 'a' is empty");
  expect_bad_row("1,0,1,1, ", "column 'r' is empty");
}
END_TEST

START_TEST(test_bad_double)
{
  expect_bad_row("1,0,1,abc,0", "column 'p': 'abc' is not a number");
  expect_bad_row("1,0,1,1,0.5x", "column 'r': '0.5x' is not a number");
  expect_bad_row("1,0,1,1,1e999", "column 'r': '1e999' is not finite");
  expect_bad_row("1,0,1,1,nan", "column 'r': 'nan' is not finite");
  expect_bad_row("1,0,1,inf,0", "column 'p': 'inf' is not finite");
}
END_TEST

START_TEST(test_bad_probability)
{
  expect_bad_row("1,0,1,-0.5,0", "column 'p': -0.5 is not a probability in [0,1]");
  expect_bad_row("1,0,1,1.0000001,0", "column 'p': 1.0000001 is not a probability in [0,1]");
}
END_TEST

START_TEST(test_index_beyond_declared)
{
  expect_bad_row("1,0,3,1,0",
                 "column 's_next': state 3 is out of range (the file declares 3 states on line 1)");
  expect_bad_row("7,0,1,1,0", "column 's': state 7 is out of range");
  expect_read_error("# actions = 2\ns,a,s_next,p,r\n0,0,0,1,0\n0,2,0,1,0\n", 1, -1.0, 4,
                    "column 'a': action 2 is out of range (the file declares 2 actions on line 1)");
}
END_TEST

START_TEST(test_stage_beyond_horizon)
{
  expect_read_error("# horizon = 2\nh,s,a,s_next,p,r\n0,0,0,0,1,0\n1,0,0,0,1,0\n2,0,0,0,1,0\n", 0,
                    -1.0, 5, "column 'h': stage 2 is out of range [0,2) (horizon 2 on line 1)");
}
END_TEST

START_TEST(test_duplicate_row)
{
  static const char text[] = "s,a,s_next,p,r\n"
                             "0,0,1,0.5,0\n"
                             "1,0,1,1,0\n"
                             "0,0,0,0.5,0\n"
                             "0,0,1,0.5,0.0\n";
  expect_read_error(text, 1, -1.0, 5, "duplicate of line 2 (same s, a, s_next, r)");
  expect_read_error("h,s,a,s_next,p,r\n0,0,0,0,1,0\n1,0,0,0,1,0\n0,0,0,0,1,0\n", 0, -1.0, 4,
                    "duplicate of line 2 (same h, s, a, s_next, r)");
}
END_TEST

START_TEST(test_bad_header)
{
  expect_read_error("# horizon = 1\ns,a,next,p,r\n0,0,0,1,0\n", 0, -1.0, 2,
                    "unknown column 'next'");
  expect_read_error("s,a,s_next,p\n0,0,0,1\n", 1, -1.0, 1, "missing column 'r'");
  expect_read_error("h,s,a,p,r\n0,0,0,1,0\n", 1, -1.0, 1, "missing column 's_next'");
  expect_read_error("s,a,s_next,p,r,s\n0,0,0,1,0,0\n", 1, -1.0, 1, "column 's' appears twice");
  expect_read_error("s,a,,s_next,p,r\n", 1, -1.0, 1, "unknown column ''");
  expect_read_error("# states = 2\n\n0,0,0,1,0\n", 1, -1.0, 3,
                    "expected a header naming the columns");
}
END_TEST

START_TEST(test_bad_sum_names_block)
{
  static const char text[] = "s,a,s_next,p,r\n"
                             "0,0,0,1,0\n"
                             "# a comment\n"
                             "1,0,0,0.5,0\n"
                             "0,1,0,1,0\n"
                             "1,0,1,0.4,0\n";
  expect_read_error(text, 1, -1.0, 4, "state 1, action 0: probabilities sum to 0.9");
  expect_read_error("h,s,a,s_next,p,r\n0,0,0,0,1,0\n1,0,0,0,0.5,0\n1,0,0,0,0.25,1\n", 0, -1.0, 3,
                    "stage 1, state 0, action 0: probabilities sum to 0.75");
  /* Rows that all have p = 0 leave the state without an action. */
  expect_read_error("s,a,s_next,p,r\n0,0,0,1,0\n1,0,0,0,0\n1,1,0,0,1\n", 1, -1.0, 3,
                    "state 1 has no valid action");
}
END_TEST

START_TEST(test_bad_settings)
{
  expect_read_error("# gamma = 1\ns,a,s_next,p,r\n0,0,0,1,0\n", 0, -1.0, 1,
                    "gamma = '1' is not a discount factor in [0,1)");
  expect_read_error("# states = 0\ns,a,s_next,p,r\n0,0,0,1,0\n", 1, -1.0, 1,
                    "states = '0' is not an integer >= 1");
  expect_read_error("# horizon = 2x\ns,a,s_next,p,r\n0,0,0,1,0\n", 0, -1.0, 1,
                    "horizon = '2x' is not an integer >= 1");
  expect_read_error("# horizon = 2\n# gamma = 0.5\ns,a,s_next,p,r\n0,0,0,1,0\n", 0, -1.0, 2,
                    "the file sets both horizon and gamma (the other on line 1)");
  expect_read_error("# states = 2\n# other\n# states = 3\ns,a,s_next,p,r\n0,0,0,1,0\n", 1, -1.0, 3,
                    "'states' is set twice (first on line 1)");
  expect_read_error("# mu0 = 0:0.5 1:0.4\ns,a,s_next,p,r\n0,0,1,1,0\n", 1, -1.0, 1,
                    "mu0 sums to 0.9");
  expect_read_error("# mu0 = 0\ns,a,s_next,p,r\n0,0,0,1,0\n", 1, -1.0, 1,
                    "mu0: '0' is not a state:probability pair");
  expect_read_error("# mu0 = 0:0.5 0:0.5\ns,a,s_next,p,r\n0,0,0,1,0\n", 1, -1.0, 1,
                    "mu0: state 0 is given twice");
  expect_read_error("# mu0 = 0:-1 1:2\ns,a,s_next,p,r\n0,0,0,1,0\n", 1, -1.0, 1,
                    "mu0: '-1' is not a probability in [0,1]");
  expect_read_error("# mu0 =\ns,a,s_next,p,r\n0,0,0,1,0\n", 1, -1.0, 1,
                    "mu0 needs at least one state:probability pair");
  expect_read_error("# mu0 = 5:1\ns,a,s_next,p,r\n0,0,1,1,0\n", 1, -1.0, 1,
                    "mu0: state 5 is out of range (the rows name 2 states)");
  expect_read_error("# states = 2\n# mu0 = 2:1\ns,a,s_next,p,r\n0,0,1,1,0\n", 1, -1.0, 2,
                    "mu0: state 2 is out of range (the file declares 2 states)");
  expect_read_error("s,a,s_next,p,r\n# horizon = 3\n0,0,0,1,0\n", 0, -1.0, 2,
                    "the setting 'horizon' must come before the header (line 1)");
}
END_TEST

START_TEST(test_empty_files)
{
  expect_read_error("", 1, -1.0, 0, "empty file");
  expect_read_error("# tabrl mdp\n# horizon = 2\n\n", 1, -1.0, 0, "no header");
  expect_read_error("# horizon = 2\ns,a,s_next,p,r\n\n", 0, -1.0, 2, "no rows after the header");
}
END_TEST

/* ---- I/O failures ---- */

START_TEST(test_unreadable)
{
  tabrl_mdp *m = NULL;
  char *dir = temp_dir();
  ck_assert_int_eq(tabrl_mdp_read_csv("/nonexistent/nope.csv", 1, -1.0, &m), TABRL_EIO);
  ck_assert_ptr_null(m);
  ck_assert_str_eq(tabrl_error_message(), "/nonexistent/nope.csv: No such file or directory");
  /* A directory opens but cannot be read. */
  ck_assert_int_eq(tabrl_mdp_read_csv(dir, 1, -1.0, &m), TABRL_EIO);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "Is a directory"));
  rmdir(dir);
  free(dir);
}
END_TEST

START_TEST(test_write_failures)
{
  tabrl_mdp *m = NULL;
  char *dir = temp_dir(), target[512];
  ck_assert_int_eq(tabrl_env_build("riverswim", NULL, 0, &m), 0);

  ck_assert_int_eq(tabrl_mdp_write_csv(m, "/nonexistent/x.csv"), TABRL_EIO);
  ck_assert_str_eq(tabrl_error_message(), "/nonexistent/x.csv: No such file or directory");
  ck_assert_int_ne(access("/nonexistent/x.csv", F_OK), 0);

  /* The temporary is written but the rename onto a directory fails: the
   * temporary must be gone and the directory untouched. */
  snprintf(target, sizeof target, "%s/target", dir);
  ck_assert_int_eq(mkdir(target, 0700), 0);
  ck_assert_int_eq(tabrl_mdp_write_csv(m, target), TABRL_EIO);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), target));
  ck_assert_int_eq(count_entries(dir), 1);
  ck_assert_int_eq(count_entries(target), 0);
  rmdir(target);
  rmdir(dir);
  free(dir);

  /* A full device fails at the latest when the buffer is flushed. */
  FILE *full = fopen("/dev/full", "w");
  if (full) {
    ck_assert_int_eq(tabrl_mdp_write_csv_stream(m, full), TABRL_EIO);
    ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "No space left on device"));
    fclose(full);
  }
  tabrl_mdp_free(m);
}
END_TEST

/* ---- the file env ---- */

START_TEST(test_file_env)
{
  char *path = temp_file("# horizon = 4\ns,a,s_next,p,r\n0,0,1,1,0\n1,0,0,1,1\n");
  char name[512];
  tabrl_mdp *m = NULL;
  const char *found_path;
  tabrl_setting gamma = {"gamma", "0.5", "--set", 0}, horizon = {"horizon", "3", "--set", 0};
  tabrl_setting both[2] = {gamma, horizon}, zero = {"horizon", "0", "--set", 0};

  ck_assert_ptr_nonnull(tabrl_env_find("file:x.csv", &found_path));
  ck_assert_str_eq(found_path, "x.csv");
  snprintf(name, sizeof name, "file:%s", path);
  ck_assert_msg(tabrl_env_build(name, NULL, 0, &m) == 0, "%s", tabrl_error_message());
  ck_assert_int_eq(m->horizon, 4);
  ck_assert_int_eq(m->S, 2);
  /* Named after the file's base name without extension. */
  ck_assert_str_eq(m->name, strrchr(path, '/') + 1);
  tabrl_mdp_free(m);

  ck_assert_int_eq(tabrl_env_build(name, &gamma, 1, &m), 0);
  ck_assert_int_eq(m->horizon, 0);
  ck_assert_double_eq(m->gamma, 0.5);
  tabrl_mdp_free(m);
  ck_assert_int_eq(tabrl_env_build(name, &horizon, 1, &m), 0);
  ck_assert_int_eq(m->horizon, 3);
  tabrl_mdp_free(m);

  ck_assert_int_eq(tabrl_env_build(name, both, 2, &m), TABRL_EINVAL);
  ck_assert_ptr_null(m);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "not both"));
  ck_assert_int_eq(tabrl_env_build(name, &zero, 1, &m), TABRL_EINVAL);
  ck_assert_ptr_null(m);
  ck_assert_int_ne(tabrl_env_build("file:", NULL, 0, &m), 0);
  ck_assert_ptr_null(m);
  ck_assert_int_eq(tabrl_env_build("file:/nonexistent/nope.csv", NULL, 0, &m), TABRL_EIO);
  ck_assert_str_eq(tabrl_error_message(), "file: /nonexistent/nope.csv: No such file or directory");
  remove_temp(path);

  /* A named file keeps its name; a bad file's error keeps its line. */
  path = temp_file("# name = chain\n# horizon = 2\ns,a,s_next,p,r\n0,0,0,1,0\n");
  snprintf(name, sizeof name, "file:%s", path);
  ck_assert_int_eq(tabrl_env_build(name, NULL, 0, &m), 0);
  ck_assert_str_eq(m->name, "chain");
  tabrl_mdp_free(m);
  remove_temp(path);
  path = temp_file("# horizon = 2\ns,a,s_next,p,r\n0,0,0,2,0\n");
  snprintf(name, sizeof name, "file:%s", path);
  ck_assert_int_eq(tabrl_env_build(name, NULL, 0, &m), TABRL_EINVAL);
  snprintf(name, sizeof name, "file: %s:3: column 'p'", path);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), name));
  remove_temp(path);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("mdp_io");
  TCase *trips = tcase_create("round trip");
  TCase *reading = tcase_create("reading");
  TCase *malformed = tcase_create("malformed");
  TCase *io = tcase_create("io");
  tcase_add_test(trips, test_round_trip_stationary);
  tcase_add_test(trips, test_round_trip_stage_dependent);
  tcase_add_test(trips, test_round_trip_env);
  tcase_add_test(trips, test_write_stream_text);
  tcase_add_test(reading, test_bare_file_inferred);
  tcase_add_test(reading, test_declared_sizes_and_absorbing);
  tcase_add_test(reading, test_lenient_syntax);
  tcase_add_test(reading, test_joint_rows);
  tcase_add_test(reading, test_time_arguments_override);
  tcase_add_test(reading, test_stage_dependent_horizon);
  tcase_add_test(reading, test_long_lines);
  tcase_add_test(malformed, test_bad_field_count);
  tcase_add_test(malformed, test_bad_integer);
  tcase_add_test(malformed, test_bad_double);
  tcase_add_test(malformed, test_bad_probability);
  tcase_add_test(malformed, test_index_beyond_declared);
  tcase_add_test(malformed, test_stage_beyond_horizon);
  tcase_add_test(malformed, test_duplicate_row);
  tcase_add_test(malformed, test_bad_header);
  tcase_add_test(malformed, test_bad_sum_names_block);
  tcase_add_test(malformed, test_bad_settings);
  tcase_add_test(malformed, test_empty_files);
  tcase_add_test(io, test_unreadable);
  tcase_add_test(io, test_write_failures);
  tcase_add_test(io, test_file_env);
  suite_add_tcase(s, trips);
  suite_add_tcase(s, reading);
  suite_add_tcase(s, malformed);
  suite_add_tcase(s, io);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
