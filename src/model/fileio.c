/* Files that are never seen half-written, and directories made on demand.
 * See fileio.h. */
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

int tabrl_fsync_dir(const char *dir)
{
  int fd = open(dir, O_RDONLY | O_DIRECTORY), err = 0;
  if (fd < 0) return errno;
  /* Some file systems cannot sync a directory; they have nothing to sync. */
  if (fsync(fd) && errno != EINVAL && errno != ENOTSUP) err = errno;
  close(fd);
  return err;
}

static int sync_parent(const char *path)
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
  if (!err) err = sync_parent(path);
  return err ? tabrl_error(TABRL_EIO, "%s: %s", path, strerror(err)) : TABRL_OK;
}

int tabrl_write_atomic(const char *path, int (*write)(FILE *f, void *ctx), void *ctx)
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
  if (!status && !err && fsync(fileno(f))) err = errno;
  if (fclose(f) && !status && !err) err = errno ? errno : EIO;
  if (!status && !err && rename(temporary, path)) err = errno;
  /* The rename is durable once the directory is: without this a power loss
   * can lose a file that a kill could not. */
  if (!status && !err) err = sync_parent(path);
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
  struct buffer b = {data, size};
  return tabrl_write_atomic(path, write_buffer, &b);
}
