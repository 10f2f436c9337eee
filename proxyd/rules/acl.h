/* ACLs and conditions: the "acl" keyword, "if|unless" conditions built
 * from named and anonymous ACLs, and their evaluation.
 */
#ifndef PX_RULES_ACL_H
#define PX_RULES_ACL_H

#include "rules/rules-t.h"

struct px_cfg_ctx;
struct px_proxy;

/* The rules of <px>, created on first use. */
struct px_rules *px_rules_get(struct px_cfg_ctx *ctx, struct px_proxy *px);

/* Parses the condition in args[0..nargs-1] ("if" or "unless" first).
 * <use> is where it is evaluated. Returns NULL with a message in <err>.
 */
struct px_cond *px_cond_parse(char **args, int nargs, unsigned use,
                              struct px_cfg_ctx *ctx, char **err);

/* Position of "if"/"unless" in args, or nargs when there is none. */
int px_cond_start(char **args, int nargs);

/* 1 when the rule guarded by <c> applies (a NULL condition always does). */
int px_acl_eval(const struct px_acl *a, struct px_smp_ctx *ctx);

/* Pattern files of ACLs, edited from the command socket. */
struct px_gen;
struct px_acl_file *px_acl_file_next(const struct px_gen *gen, const struct px_acl_file *prev);
struct px_acl_file *px_acl_file_find(const struct px_gen *gen, const char *name);
int px_acl_file_add(struct px_gen *gen, struct px_acl_file *af, const char *txt, char **err);
int px_acl_file_add_unsorted(struct px_gen *gen, struct px_acl_file *af, const char *txt,
                             char **err);
void px_acl_file_sort(struct px_acl_file *af);
uint32_t px_acl_file_del(struct px_acl_file *af, const char *txt, uint32_t id);
void px_acl_file_clear(struct px_acl_file *af);
uint32_t px_acl_file_walk(const struct px_acl_file *af, uint32_t *pos,
                          int (*fn)(void *arg, uint32_t id, const char *txt), void *arg);
int px_acl_file_match(const struct px_acl_file *af, const char *value, const char **method,
                      int *icase);
int px_cond_eval(const struct px_cond *c, struct px_smp_ctx *sctx);

#endif
