/* Variables (set-var / unset-var / var()): values stored per transaction
 * (scopes txn, req, res), per client connection (sess) or per process
 * (proc). Names are interned once at configuration time so that lookups
 * compare pointers.
 */
#ifndef PX_RULES_VARS_H
#define PX_RULES_VARS_H

#include "rules/sample-t.h"

enum px_var_scope {
	PX_VS_PROC = 0, PX_VS_SESS, PX_VS_TXN, PX_VS_REQ, PX_VS_RES,
};

struct px_var;

/* Parses "scope.name"; returns the interned name ("txn.name") and its
 * scope, or NULL with a message in <err>.
 */
const char *px_var_intern(const char *text, size_t len, int *scope, char **err);

/* The list head holding variables of <scope> for this context. */
struct px_var **px_var_list(int scope, struct px_smp_ctx *ctx);

int px_var_set(struct px_var **list, const char *name, const struct px_smp *smp);
int px_var_get(struct px_var **list, const char *name, struct px_smp *smp);
void px_var_unset(struct px_var **list, const char *name);
void px_var_free_all(struct px_var **list);

void px_var_trace_begin(void);
void px_var_trace_end(void);

#endif
