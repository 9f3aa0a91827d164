/* The shared part of the fuzz targets; see fuzz.h. */
#define _XOPEN_SOURCE 700
#include "fuzz.h"
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st;
  (void)flag;
  if (ftw->level > 0) remove(path);
  return 0;
}

static void remove_root(void)
{
  nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  rmdir(root);
}

const char *fuzz_path(const char *name)
{
  static char path[512];
  if (!*root) {
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/tabrl-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (strlen(root) + 1 >= sizeof root || !mkdtemp(root)) {
      perror("fuzz: mkdtemp");
      abort();
    }
    atexit(remove_root);
  }
  snprintf(path, sizeof path, "%s/%s", root, name);
  /* mkdir -p of the directories in name */
  for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
    *p = '\0';
    mkdir(path, 0700);
    *p = '/';
  }
  return path;
}

const char *fuzz_write(const char *name, const uint8_t *data, size_t size)
{
  const char *path = fuzz_path(name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, size, f) != size || fclose(f)) {
    perror(path);
    abort();
  }
  return path;
}

void fuzz_clear(const char *name)
{
  const char *path = fuzz_path(name);
  nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  if (*name) remove(path);
}

int fuzz_next_part(const uint8_t **data, size_t *size, const uint8_t **part, size_t *part_size)
{
  if (!*data) return 0;
  const uint8_t *nul = memchr(*data, '\0', *size);
  *part = *data;
  if (nul) {
    *part_size = (size_t)(nul - *data);
    *size -= *part_size + 1;
    *data = nul + 1;
  } else {
    *part_size = *size;
    *data = NULL;
    *size = 0;
  }
  return 1;
}
