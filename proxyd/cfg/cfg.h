/* Configuration files: tokenizer, section and keyword dispatch, and the
 * life of configuration generations. Keywords themselves are parsed by the
 * modules owning them, registered with px_cfg_register().
 */
#ifndef PX_CFG_CFG_H
#define PX_CFG_CFG_H

#include "cfg/cfg-t.h"

#define PX_CFG_MAX_ARGS 64

void px_cfg_register(struct px_cfg_kw_list *list);
int px_cfg_tokenize(const char *line, char *out, size_t outsz, char **args,
                    int maxargs, char **err);

struct px_cfg_text;
struct px_gen *px_cfg_load(char **files, int nfiles, int check_only,
                           void (*report)(void *, int, const char *), void *arg);
struct px_gen *px_cfg_load_text(struct px_cfg_text *t, int check_only,
                                void (*report)(void *, int, const char *), void *arg);

void px_cfg_warn(struct px_cfg_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void px_cfg_error(struct px_cfg_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void *px_gen_alloc(struct px_gen *gen, size_t size);
char *px_gen_strdup(struct px_gen *gen, const char *s);
int px_gen_on_free(struct px_gen *gen, void (*fn)(void *), void *arg);

struct px_gen *px_gen_ref(struct px_gen *gen);
void px_gen_unref(struct px_gen *gen);

extern struct px_gen *px_gen_cur;
void px_gen_publish(struct px_gen *gen);

#endif
