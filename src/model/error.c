/* Per-thread error messages; see tabrl/error.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "tabrl/error.h"

#define MESSAGE_SIZE 1024

static _Thread_local char message[MESSAGE_SIZE];

int tabrl_error(int code, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  return code;
}

void tabrl_error_prefix(const char *fmt, ...)
{
  char prefix[MESSAGE_SIZE], old[MESSAGE_SIZE];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, message, sizeof old);
  /* Truncation is acceptable: a message is one line of context. */
  size_t len = strlen(prefix);
  if (len > sizeof message - 3) len = sizeof message - 3;
  memcpy(message, prefix, len);
  memcpy(message + len, ": ", 2);
  len += 2;
  size_t rest = strlen(old);
  if (rest > sizeof message - 1 - len) rest = sizeof message - 1 - len;
  memcpy(message + len, old, rest);
  message[len + rest] = '\0';
}

const char *tabrl_error_message(void)
{
  return message;
}

void tabrl_error_clear(void)
{
  message[0] = '\0';
}

void tabrl_init(void)
{
  /* GSL's default handler aborts; tabrl checks every status instead. */
  gsl_set_error_handler_off();
}
