/* Log targets ("log" keyword) and sending log lines; diagnostics on
 * stderr. The content of traffic log lines is built by rules/fmt.c.
 */
#ifndef PX_CORE_LOG_H
#define PX_CORE_LOG_H

#include <stddef.h>
#include <sys/time.h>
#include "core/log-t.h"

struct px_logger *px_logger_parse(char **args, int nargs, int check_only, char **err);
void px_logger_free(struct px_logger *lg);
void px_log_send(struct px_logger *const *loggers, int n, int level,
                 const struct timeval *tv, const char *msg, size_t len);
void px_log_set_tag(const char *tag);
void px_log_set_hostname(const char *name);

/* Called, when set, with the process's own messages and, by their
 * callers, with each traffic log line: the command socket's "show events".
 */
extern void (*px_log_tap)(const char *msg, size_t len);

void px_alert(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void px_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void px_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern int px_quiet;

#endif
