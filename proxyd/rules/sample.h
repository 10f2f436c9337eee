/* Sample expressions: keyword registries, parsing at configuration time,
 * evaluation at run time, type casts and scratch space for results.
 */
#ifndef PX_RULES_SAMPLE_H
#define PX_RULES_SAMPLE_H

#include <stddef.h>
#include "rules/sample-t.h"

void px_smp_register_fetches(struct px_fetch_kw_list *list);
void px_smp_register_convs(struct px_conv_kw_list *list);
const struct px_fetch_kw *px_fetch_find(const char *name, size_t len);
const struct px_conv_kw *px_conv_find(const char *name, size_t len);
/* The same with '_' standing for '.' (the names Lua scripts use). */
const struct px_fetch_kw *px_fetch_find_lua(const char *name);
const struct px_conv_kw *px_conv_find_lua(const char *name);

/* Parses "fetch[(args)][,conv[(args)]]..." from <text> (<len> bytes).
 * <use> is where it will be evaluated (PX_USE_* bits): a fetch not
 * available there is an error. Returns NULL with a message in <err>.
 */
struct px_expr *px_expr_parse(const char *text, size_t len, unsigned use,
                              struct px_cfg_ctx *ctx, char **err);

/* Evaluates <e>. Returns 1 with <out> set, 0 when there is no value. */
int px_expr_eval(const struct px_expr *e, struct px_smp_ctx *ctx, struct px_smp *out);

/* Converts <smp> to <type> in place (strings are written to scratch
 * space). Returns 1, or 0 when no conversion exists.
 */
int px_smp_cast(struct px_smp *smp, int type);

/* Makes a string sample writable (copies it to scratch space when it
 * points to bytes it must not change). Returns 1, or 0 when too large.
 */
int px_smp_make_rw(struct px_smp *smp);

/* Scratch space for one value: a ring of a few tune.bufsize areas per
 * thread, so that a converter can read its input from one while it writes
 * to the next. Valid until the ring comes round (8 calls later).
 */
char *px_trash(uint32_t *size);

/* Fixed scratch areas (0 to 3) for whole values built by actions, which
 * converters never touch.
 */
char *px_scratch(int slot, uint32_t *size);
uint32_t px_trash_size(void);
int px_trash_setup(uint32_t size);

/* Parses the arguments of a keyword per its <spec> (see sample-t.h) from
 * a comma-separated list. Used for fetches, converters and ACL keywords.
 */
int px_args_parse(const char *kw, const char *spec, px_arg_check_fn check,
                  const char *text, size_t len, struct px_arg *args, int *nargs,
                  struct px_cfg_ctx *ctx, char **err);

/* Resolves backend names given as arguments once every proxy is parsed;
 * returns the number of errors reported. px_smp_reset() forgets pending
 * names after a failed load.
 */
int px_smp_resolve(struct px_cfg_ctx *ctx);
void px_smp_reset(void);

/* Type names, for messages. */
const char *px_smp_type_name(int type);

#endif
