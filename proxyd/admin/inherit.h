/* Run-time state a new generation takes over from the running one. */
#ifndef PX_ADMIN_INHERIT_H
#define PX_ADMIN_INHERIT_H

struct px_gen;

void px_gen_inherit(struct px_gen *ng, const struct px_gen *og);

/* Hands the idle server connections of <og> over to the servers of <ng>
 * that would make the same ones (same address, namespace and source; not
 * TLS), so that a commit or a reload does not reopen them. Called once
 * <ng> is certain to replace <og>.
 */
void px_gen_take_idle(struct px_gen *ng, struct px_gen *og);

#endif
