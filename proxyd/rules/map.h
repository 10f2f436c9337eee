/* Map files (see map-t.h): loading, lookups by every match method, and the
 * changes the command socket makes at run time ("add map", "set map",
 * "del map", "clear map"). Maps are single-threaded like the rest of a
 * generation's run-time state.
 */
#ifndef PX_RULES_MAP_H
#define PX_RULES_MAP_H

#include <stddef.h>
#include "rules/map-t.h"

/* Returns the map of <path> in <gen>, loading the file the first time
 * (relative paths are taken from the current directory), after checking
 * that every entry suits <match> and <out> (keys that must be addresses,
 * values that must be integers...). Returns NULL with a message naming the
 * file, and the line when one is at fault, in <err>. The map is freed
 * with <gen>.
 */
struct px_map *px_map_get(struct px_gen *gen, const char *path, int match, int out,
                          char **err);

/* The map of <path> already loaded in <gen>, or NULL. */
struct px_map *px_map_find(const struct px_gen *gen, const char *path);

/* Steps through the maps of <gen>: pass NULL first, then the previous one. */
struct px_map *px_map_next(const struct px_gen *gen, const struct px_map *prev);

/* Looks <s> (<len> bytes) up with string method <match> (PX_MAP_STR to
 * PX_MAP_REGM). Returns the entry, or NULL. For PX_MAP_REG and
 * PX_MAP_REGM, when <ov> is not NULL, the capture offsets of the match
 * are left in it (<nov> pairs at most) and their number in <*n>.
 */
const struct px_map_ent *px_map_lookup_str(const struct px_map *m, int match,
                                           const char *s, size_t len,
                                           long *ov, int nov, int *n);

/* Looks an integer up (PX_MAP_INT): the first entry whose key holds it. */
const struct px_map_ent *px_map_lookup_int(const struct px_map *m, int64_t v);

/* Looks an address up (PX_MAP_IP): the entry with the longest network
 * holding it; <fam> is AF_INET or AF_INET6, <addr> 4 or 16 bytes in
 * network order. IPv4-mapped IPv6 addresses match IPv4 networks too.
 */
const struct px_map_ent *px_map_lookup_ip(const struct px_map *m, int fam,
                                          const void *addr);

/* Appends an entry. <key> and <val> need not be NUL-terminated. Returns
 * 0, or -1 with a message in <err> when the entry does not suit a method
 * or a type the map is used with.
 */
int px_map_add(struct px_map *m, const char *key, size_t klen, const char *val,
               size_t vlen, char **err);

/* Changes the value of entry <e>. Returns 0, or -1 with a message. */
int px_map_set_ent(struct px_map *m, struct px_map_ent *e, const char *val,
                   size_t vlen, char **err);

/* Changes the value of every entry whose key is <key>. Returns how many
 * were changed, or -1 with a message (then none was).
 */
int px_map_set(struct px_map *m, const char *key, size_t klen, const char *val,
               size_t vlen, char **err);

/* Removes one entry, or every entry whose key is <key> (returns how many). */
void px_map_del_ent(struct px_map *m, struct px_map_ent *e);
int px_map_del(struct px_map *m, const char *key, size_t klen);

/* Removes every entry. */
void px_map_clear(struct px_map *m);

/* Entries in file order: px_map_first(), then e->next. */
static inline struct px_map_ent *px_map_first(const struct px_map *m)
{
	return m->head;
}

/* The entry numbered <id> ("#<id>" on the command socket), or NULL. */
struct px_map_ent *px_map_find_id(const struct px_map *m, uint64_t id);

/* Method names ("str", "beg"...), for messages; -1 for an unknown name. */
const char *px_map_match_name(int match);
int px_map_match_parse(const char *name, size_t len);

#endif
