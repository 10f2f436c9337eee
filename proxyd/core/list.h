/* Intrusive doubly linked lists.
 *
 * A list head and a list element are the same structure: an element is
 * embedded in the object it links, and px_container_of() gets the object
 * back. An empty list points at itself. Nothing here allocates.
 */
#ifndef PX_CORE_LIST_H
#define PX_CORE_LIST_H

#include <stddef.h>

struct px_list {
	struct px_list *next;
	struct px_list *prev;
};

#define px_container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#define PX_LIST_INIT(name) { &(name), &(name) }

static inline void px_list_init(struct px_list *l)
{
	l->next = l;
	l->prev = l;
}

static inline int px_list_empty(const struct px_list *l)
{
	return l->next == l;
}

/* Inserts <e> after <where> (at the head of a list when <where> is it). */
static inline void px_list_insert(struct px_list *where, struct px_list *e)
{
	e->next = where->next;
	e->prev = where;
	where->next->prev = e;
	where->next = e;
}

/* Appends <e> at the tail of list <l>. */
static inline void px_list_append(struct px_list *l, struct px_list *e)
{
	px_list_insert(l->prev, e);
}

/* Unlinks <e> and leaves it pointing at itself, so a second delete or an
 * "is it linked" test through px_list_empty(e) is safe.
 */
static inline void px_list_del(struct px_list *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	e->next = e;
	e->prev = e;
}

#define px_list_for_each(pos, head) \
	for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)

#define px_list_for_each_safe(pos, tmp, head) \
	for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head); \
	     (pos) = (tmp), (tmp) = (pos)->next)

#endif
