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
int px_cond_eval(const struct px_cond *c, struct px_smp_ctx *sctx);

#endif
