/* Run-time state a new generation takes over from the running one. */
#ifndef PX_ADMIN_INHERIT_H
#define PX_ADMIN_INHERIT_H

struct px_gen;

void px_gen_inherit(struct px_gen *ng, const struct px_gen *og);

#endif
