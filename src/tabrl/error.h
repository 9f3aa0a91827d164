/* tabrl/error.h: status codes and the per-thread error message.
 *
 * Every library function that can fail returns 0 or a negative TABRL_E* code
 * and leaves a one-line message (with file:line or key context where known)
 * retrievable with tabrl_error_message().  Nothing in the library prints,
 * exits or aborts.  The message is thread-local so parallel runs do not
 * overwrite each other's context. */
#ifndef TABRL_ERROR_H
#define TABRL_ERROR_H

#pragma GCC visibility push(default)

enum {
  TABRL_OK = 0,
  TABRL_EINVAL = -1,       /* bad input: model, file contents, parameter value */
  TABRL_ENOMEM = -2,       /* allocation failed */
  TABRL_EIO = -3,          /* a file could not be read or written */
  TABRL_ENOTFOUND = -4,    /* unknown name (env, algorithm, key) */
  TABRL_EUNSUPPORTED = -5, /* valid request this build or model cannot serve */
  TABRL_ENUMERIC = -6,     /* a numerical routine failed (GSL status, NaN) */
  TABRL_EINTERRUPTED = -7  /* stopped by a signal; partial work discarded */
};

/* Sets the message from a printf format and returns code, so that callers
 * can write `return tabrl_error(TABRL_EINVAL, "...", ...);`. */
int tabrl_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prepends "prefix: " to the current message (adds context on the way up). */
void tabrl_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The last message set on this thread ("" if none). */
const char *tabrl_error_message(void);

void tabrl_error_clear(void);

/* Switches GSL's aborting error handler off; call once before using GSL
 * through tabrl (tabrl's own entry points call it too). Idempotent. */
void tabrl_init(void);

#pragma GCC visibility pop

#endif
