/* Editable views of message heads for the rules (see hmsg.h). A view is
 * loaded from the parser's index once the head is complete; edits copy
 * new bytes to the view's arena and never touch the receive buffer, so
 * the original head stays readable until the rebuilt one replaces it.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/util.h"
#include "proto/h1-t.h"
#include "proto/hmsg.h"

/* Fields rules may add beyond tune.http.maxhdr. */
#define EXTRA_FIELDS 64

static __thread struct px_hmsg views[2];

static int view_setup(struct px_hmsg *hm, uint32_t maxhdr, uint32_t arena_size)
{
	struct px_hfield *h = realloc(hm->hdr, (maxhdr + EXTRA_FIELDS) * sizeof(*h));
	char *a;

	if (!h)
		return -1;
	hm->hdr = h;
	hm->maxhdr = maxhdr + EXTRA_FIELDS;
	a = realloc(hm->arena, arena_size);
	if (!a)
		return -1;
	hm->arena = a;
	hm->arena_size = arena_size;
	return 0;
}

int px_hmsg_setup(uint32_t maxhdr, uint32_t arena_size)
{
	if (view_setup(&views[0], maxhdr, arena_size) < 0 ||
	    view_setup(&views[1], maxhdr, arena_size) < 0)
		return -1;
	views[0].is_req = 1;
	views[1].is_req = 0;
	return 0;
}

struct px_hmsg *px_hmsg_req(void)
{
	return &views[0];
}

struct px_hmsg *px_hmsg_res(void)
{
	return &views[1];
}

void px_hmsg_load(struct px_hmsg *hm, const char *base, const struct px_h1_msg *m)
{
	uint32_t i;

	hm->flags = 0;
	hm->arena_used = 0;
	hm->line = base + m->sol;
	hm->line_len = m->sl_len;
	if (m->is_req) {
		hm->sl[PX_SL_METH] = base + m->meth;
		hm->sll[PX_SL_METH] = m->meth_len;
		hm->sl[PX_SL_URI] = base + m->uri;
		hm->sll[PX_SL_URI] = m->uri_len;
		hm->sl[PX_SL_VER] = base + m->ver;
		hm->sll[PX_SL_VER] = m->sol + m->sl_len - m->ver;
		hm->status = 0;
	} else {
		/* "HTTP/x.y NNN reason": the parser checked this shape. */
		hm->sl[PX_SL_RVER] = base + m->sol;
		hm->sll[PX_SL_RVER] = 8;
		hm->sl[PX_SL_CODE] = base + m->sol + 9;
		hm->sll[PX_SL_CODE] = 3;
		hm->sl[PX_SL_REASON] = base + m->reason;
		hm->sll[PX_SL_REASON] = m->reason_len;
		hm->status = m->status;
	}
	for (i = 0; i < m->nhdr && i < hm->maxhdr; i++) {
		const struct px_h1_hdr *h = &m->hdr[i];

		hm->hdr[i].n = base + h->n;
		hm->hdr[i].nl = h->nl;
		hm->hdr[i].v = base + h->v;
		hm->hdr[i].vl = h->vl;
	}
	hm->nhdr = i;
}

/* FNV-1a of the name with letters folded to lower case ("| 0x20" maps no
 * other token character onto a letter; a false match is checked anyway).
 */
uint32_t px_hmsg_name_hash(const char *n, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)(n[i] | 0x20)) * 16777619u;
	return h ^ (uint32_t)len;
}

/* Indexes the fields by name hash: bucket chains in field order. Rules
 * look names up dozens of times per message; the index is built on the
 * first lookup only, so messages no rule looks at never pay for it.
 */
static void index_fields(struct px_hmsg *hm)
{
	int i;

	for (i = 0; i < PX_HM_BUCKETS; i++)
		hm->first[i] = -1;
	for (i = (int)hm->nhdr - 1; i >= 0; i--) {
		struct px_hfield *f = &hm->hdr[i];
		uint32_t b;

		f->h = px_hmsg_name_hash(f->n, f->nl);
		b = f->h % PX_HM_BUCKETS;
		f->nx = hm->first[b];
		hm->first[b] = i;
	}
	hm->flags |= PX_HM_HASHED;
}

/* Links a field appended at <idx> at the end of its bucket's chain. */
static void index_add(struct px_hmsg *hm, int idx)
{
	struct px_hfield *f = &hm->hdr[idx];
	int32_t *link = &hm->first[f->h % PX_HM_BUCKETS];

	while (*link >= 0)
		link = &hm->hdr[*link].nx;
	*link = idx;
	f->nx = -1;
}

int px_hmsg_find_h(const struct px_hmsg *hm, const char *name, size_t nlen, uint32_t h,
                   int from)
{
	int i;

	if (!nlen)
		return -1;
	if (!(hm->flags & PX_HM_HASHED))
		index_fields((struct px_hmsg *)hm);
	for (i = hm->first[h % PX_HM_BUCKETS]; i >= 0; i = hm->hdr[i].nx) {
		const struct px_hfield *f = &hm->hdr[i];

		if (i >= from && f->h == h && f->nl == nlen && !strncasecmp(f->n, name, nlen))
			return i;
	}
	return -1;
}

int px_hmsg_find(const struct px_hmsg *hm, const char *name, size_t nlen, int from)
{
	return px_hmsg_find_h(hm, name, nlen, px_hmsg_name_hash(name, nlen), from);
}

void px_hmsg_set_field(struct px_hmsg *hm, int idx, const char *n, uint32_t nl,
                       const char *v, uint32_t vl)
{
	struct px_hfield *f = &hm->hdr[idx];

	f->n = n;
	f->nl = nl;
	f->v = v;
	f->vl = vl;
	/* The name changed: the index is rebuilt on the next lookup. */
	hm->flags &= ~PX_HM_HASHED;
	hm->flags |= PX_HM_HDR_CHANGED;
}

char *px_hmsg_alloc(struct px_hmsg *hm, size_t len)
{
	char *p;

	if (len > hm->arena_size - hm->arena_used)
		return NULL;
	p = hm->arena + hm->arena_used;
	hm->arena_used += (uint32_t)len;
	return p;
}

/* Copies <p> into the arena unless it is already there. */
static const char *keep(struct px_hmsg *hm, const char *p, size_t len)
{
	char *d;

	if (p >= hm->arena && p + len <= hm->arena + hm->arena_used)
		return p;
	d = px_hmsg_alloc(hm, len);
	if (d)
		memcpy(d, p, len);
	return d;
}

int px_hmsg_add(struct px_hmsg *hm, const char *n, size_t nl, const char *v, size_t vl)
{
	struct px_hfield *f;

	if (hm->nhdr >= hm->maxhdr || !nl)
		return -1;
	f = &hm->hdr[hm->nhdr];
	f->n = keep(hm, n, nl);
	f->v = keep(hm, v, vl);
	if (!f->n || (!f->v && vl))
		return -1;
	f->nl = (uint32_t)nl;
	f->vl = (uint32_t)vl;
	hm->nhdr++;
	if (hm->flags & PX_HM_HASHED) {
		f->h = px_hmsg_name_hash(f->n, f->nl);
		index_add(hm, (int)hm->nhdr - 1);
	}
	hm->flags |= PX_HM_HDR_CHANGED;
	return 0;
}

int px_hmsg_add_const(struct px_hmsg *hm, const char *n, size_t nl, uint32_t h,
                      const char *v, size_t vl)
{
	struct px_hfield *f;

	if (hm->nhdr >= hm->maxhdr || !nl)
		return -1;
	f = &hm->hdr[hm->nhdr];
	f->n = n;
	f->v = keep(hm, v, vl);
	if (!f->v && vl)
		return -1;
	f->nl = (uint32_t)nl;
	f->vl = (uint32_t)vl;
	f->h = h;
	hm->nhdr++;
	if (hm->flags & PX_HM_HASHED)
		index_add(hm, (int)hm->nhdr - 1);
	hm->flags |= PX_HM_HDR_CHANGED;
	return 0;
}

int px_hmsg_set_value(struct px_hmsg *hm, int idx, const char *v, size_t vl)
{
	const char *p = keep(hm, v, vl);

	if (!p && vl)
		return -1;
	hm->hdr[idx].v = p;
	hm->hdr[idx].vl = (uint32_t)vl;
	hm->flags |= PX_HM_HDR_CHANGED;
	return 0;
}

void px_hmsg_del(struct px_hmsg *hm, int idx)
{
	hm->hdr[idx].nl = 0;
	hm->flags |= PX_HM_HDR_CHANGED;
}

int px_hmsg_set_sl(struct px_hmsg *hm, int part, const char *p, size_t len)
{
	const char *d = keep(hm, p, len);

	if (!d && len)
		return -1;
	hm->sl[part] = d;
	hm->sll[part] = (uint32_t)len;
	hm->flags |= PX_HM_SL_CHANGED;
	return 0;
}

void px_hmsg_path(const struct px_hmsg *hm, const char **p, uint32_t *len)
{
	const char *u = hm->sl[PX_SL_URI], *end = u + hm->sll[PX_SL_URI], *q;

	/* The asterisk form ("OPTIONS *") has no path. */
	if (end - u == 1 && *u == '*') {
		*p = end;
		*len = 0;
		return;
	}
	/* Absolute form: skip "scheme://authority". */
	if (u < end && *u != '/') {
		const char *s = memchr(u, ':', end - u);

		if (s && end - s > 2 && s[1] == '/' && s[2] == '/') {
			const char *slash = memchr(s + 3, '/', end - s - 3);
			const char *qm = memchr(s + 3, '?', end - s - 3);

			if (qm && (!slash || qm < slash)) {
				*p = qm;
				*len = 0;
				return;
			}
			u = slash ? slash : end;
		}
	}
	q = memchr(u, '?', end - u);
	*p = u;
	*len = (uint32_t)((q ? q : end) - u);
}

int px_hmsg_query(const struct px_hmsg *hm, const char **p, uint32_t *len)
{
	const char *u = hm->sl[PX_SL_URI];
	const char *q = memchr(u, '?', hm->sll[PX_SL_URI]);

	if (!q)
		return 0;
	*p = q + 1;
	*len = (uint32_t)(u + hm->sll[PX_SL_URI] - q - 1);
	return 1;
}
