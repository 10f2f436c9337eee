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

struct px_logfmt *px_logfmt_compile(struct px_gen *gen, const char *fmt, char **err);
size_t px_logfmt_render(const struct px_logfmt *lf, const struct px_sess *sess,
                        const struct px_stream *s, uint64_t now, char *out,
                        size_t size);

#endif
