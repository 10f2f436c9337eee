/* Log-format strings: compiled once at configuration time, rendered for
 * each logged stream.
 */
#ifndef PX_RULES_FMT_H
#define PX_RULES_FMT_H

#include <stddef.h>
#include <stdint.h>

struct px_gen;
struct px_logfmt;
struct px_stream;
struct px_sess;
struct timeval;

struct px_cfg_ctx;
struct px_smp_ctx;

#define PX_FMT_LOG   0     /* log line: blanks separate, "-" for no value */
#define PX_FMT_VALUE 1     /* header value, redirect, body: bytes as written */
#define PX_FMT_LITERAL 2   /* plain text, '%' included (legacy "redirect") */

struct px_logfmt *px_logfmt_compile(struct px_cfg_ctx *ctx, const char *fmt, char **err);
struct px_logfmt *px_fmt_compile(struct px_cfg_ctx *ctx, const char *fmt, int mode,
                                 unsigned use, char **err);
size_t px_fmt_render(const struct px_logfmt *lf, struct px_smp_ctx *ctx, uint64_t now,
                     char *out, size_t size);
/* A format without variables: its text. Returns 0 when it has variables. */
int px_fmt_const(const struct px_logfmt *lf, const char **p, uint32_t *len);
/* "dd/Mon/yyyy:HH:MM:SS[.mmm][ +zzzz]" as HAProxy's logs print dates:
 * local time unless <gmt> (2 adds " +0000"), milliseconds when <with_ms>
 * > 0, the local offset when it is < 0. <size> must be at least 64.
 */
size_t px_fmt_date(const struct timeval *tv, int gmt, int with_ms, char *out, size_t size);
size_t px_logfmt_render(const struct px_logfmt *lf, const struct px_sess *sess,
                        const struct px_stream *s, uint64_t now, char *out,
                        size_t size);

#endif
