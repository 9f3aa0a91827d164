/* Files that are never seen half-written, and directories made on demand.
 * See fileio.h. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "model/fileio.h"
#include "tabrl/error.h"

char *tabrl_path_join(const char *dir, const char *name)
{
  size_t size = strlen(dir) + strlen(name) + 2;
  char *path = malloc(size);
  if (path) snprintf(path, size, "%s/%s", dir, name);
  return path;
}

int tabrl_fsync_file(const char *path)
{
  int fd = open(path, O_RDONLY), err = 0;
  if (fd < 0) return errno;
  if (fsync(fd)) err = errno;
  close(fd);
  return err;
}

int tabrl_fsync_dir(const char *dir)
{
  int fd = open(dir, O_RDONLY | O_DIRECTORY), err = 0;
  if (fd < 0) return errno;
  /* Some file systems cannot sync a directory; they have nothing to sync. */
  if (fsync(fd) && errno != EINVAL && errno != ENOTSUP) err = errno;
  close(fd);
  return err;
}

int tabrl_fsync_parent(const char *path)
{
  const char *slash = strrchr(path, '/');
  if (!slash) return tabrl_fsync_dir(".");
  if (slash == path) return tabrl_fsync_dir("/");
  char *dir = strndup(path, (size_t)(slash - path));
  if (!dir) return ENOMEM;
  int err = tabrl_fsync_dir(dir);
  free(dir);
  return err;
}

int tabrl_rename_durable(const char *temporary, const char *path)
{
  int fd = open(temporary, O_RDONLY), err = 0;
  if (fd < 0 || fsync(fd)) err = errno;
  if (fd >= 0) close(fd);
  if (!err && rename(temporary, path)) err = errno;
  if (!err) err = tabrl_fsync_parent(path);
  return err ? tabrl_error(TABRL_EIO, "%s: %s", path, strerror(err)) : TABRL_OK;
}

int tabrl_write_atomic(const char *path, int (*write)(FILE *f, void *ctx), void *ctx)
{
  return tabrl_write_atomic_sync(path, write, ctx, TABRL_SYNC_FILE | TABRL_SYNC_DIR);
}

int tabrl_write_atomic_sync(const char *path, int (*write)(FILE *f, void *ctx), void *ctx, int sync)
{
  size_t size = strlen(path) + 32;
  char *temporary = malloc(size);
  FILE *f;
  int err = 0, status;

  if (!temporary) return tabrl_error(TABRL_ENOMEM, "out of memory");
  snprintf(temporary, size, "%s.tmp.%ld", path, (long)getpid());
  if (!(f = fopen(temporary, "w"))) {
    err = errno;
    free(temporary);
    return tabrl_error(TABRL_EIO, "%s: %s", path, strerror(err));
  }
  errno = 0;
  status = write(f, ctx);
  if (!status && (fflush(f) || ferror(f))) err = errno ? errno : EIO;
  if (!status && !err && (sync & TABRL_SYNC_FILE) && fsync(fileno(f))) err = errno;
  if (fclose(f) && !status && !err) err = errno ? errno : EIO;
  if (!status && !err && rename(temporary, path)) err = errno;
  /* The rename is durable once the directory is: without this a power loss
   * can lose a file that a kill could not. */
  if (!status && !err && (sync & TABRL_SYNC_DIR)) err = tabrl_fsync_parent(path);
  if (status || err) unlink(temporary);
  free(temporary);
  if (status) return status;
  return err ? tabrl_error(TABRL_EIO, "%s: %s", path, strerror(err)) : TABRL_OK;
}

/* mkdir -p: each missing component is created in turn. */
int tabrl_mkdir_p(const char *path)
{
  char *copy = strdup(path);
  int status = TABRL_OK;
  struct stat st;
  if (!copy) return tabrl_error(TABRL_ENOMEM, "out of memory");
  for (char *p = copy + 1;; p++) {
    if (*p != '/' && *p != '\0') continue;
    char saved = *p;
    *p = '\0';
    if (mkdir(copy, 0777) && errno != EEXIST) {
      status = tabrl_error(TABRL_EIO, "cannot create %s: %s", copy, strerror(errno));
      break;
    }
    *p = saved;
    if (!saved) break;
  }
  if (!status && (stat(path, &st) || !S_ISDIR(st.st_mode)))
    status = tabrl_error(TABRL_EIO, "%s: not a directory", path);
  free(copy);
  return status;
}

struct buffer {
  const char *data;
  size_t size;
};

static int write_buffer(FILE *f, void *ctx)
{
  const struct buffer *b = ctx;
  fwrite(b->data, 1, b->size, f);
  return 0;
}

int tabrl_write_atomic_buffer(const char *path, const char *data, size_t size)
{
  return tabrl_write_atomic_buffer_sync(path, data, size, TABRL_SYNC_FILE | TABRL_SYNC_DIR);
}

int tabrl_write_atomic_buffer_sync(const char *path, const char *data, size_t size, int sync)
{
  struct buffer b = {data, size};
  return tabrl_write_atomic_sync(path, write_buffer, &b, sync);
}

/* Whether dir holds anything besides "." and "..". */
static int dir_empty(const char *dir)
{
  DIR *d = opendir(dir);
  struct dirent *x;
  int empty = 1;
  if (!d) return 0;
  while (empty && (x = readdir(d)))
    if (strcmp(x->d_name, ".") && strcmp(x->d_name, "..")) empty = 0;
  closedir(d);
  return empty;
}

int tabrl_output_path_check(const char *option, const char *path, int kind)
{
  struct stat st, root;
  const char *p = path ? path : "";
  while (isspace((unsigned char)*p)) p++;
  if (!*p)
    return tabrl_error(TABRL_EINVAL, "%s '%s': empty output path (an unset variable?); give a %s",
                       option, path ? path : "",
                       kind == TABRL_OUTPUT_DIR ? "directory" : "file name");
  if (stat(path, &st)) return 0; /* created by the writer */
  /* "/", "//", "/.", "/tmp/.." ...: every form of the root is its inode. */
  if (!stat("/", &root) && st.st_dev == root.st_dev && st.st_ino == root.st_ino)
    return tabrl_error(TABRL_EINVAL, "%s %s: refusing to write into the root directory", option,
                       path);
  if (kind == TABRL_OUTPUT_FILE) {
    if (S_ISDIR(st.st_mode))
      return tabrl_error(TABRL_EINVAL, "%s %s: is a directory; give a file name", option, path);
    return 0;
  }
  if (!S_ISDIR(st.st_mode))
    return tabrl_error(TABRL_EINVAL, "%s %s: exists and is not a directory", option, path);
  char *manifest = tabrl_path_join(path, "manifest.ini"), *slurm = tabrl_path_join(path, "slurm");
  int ours = manifest && slurm && (!access(manifest, F_OK) || !access(slurm, F_OK));
  free(manifest);
  free(slurm);
  if (ours || dir_empty(path)) return 0;
  return tabrl_error(TABRL_EINVAL,
                     "%s %s: a directory with other files and no manifest.ini (not a tabrl result "
                     "directory); give a new or empty directory",
                     option, path);
}
