/* Map files (see map.h). A map keeps its entries in file order, which the
 * "first match" methods (sub, dir, dom, end, reg, int) walk, plus two hash
 * tables: one on the key text for exact and prefix lookups, one on the
 * network keys for address lookups. Prefix lookups hash the input once,
 * byte by byte, and probe the table at each distinct key length, so their
 * cost depends on the input length and not on the size of the map;
 * address lookups probe once per prefix length present in the map.
 *
 * This file owns loading and changing maps. The converters using them are
 * in conv.c; the command socket's verbs are in the admin module.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cfg/cfg.h"
#include "core/util.h"
#include "rules/map.h"
#include "rules/regex.h"

/* Every map of every live generation; a generation unlinks its own when
 * it is freed.
 */
static struct px_map *all_maps;

static const char *const match_names[PX_MAP_NMATCH] = {
	[PX_MAP_STR] = "str", [PX_MAP_BEG] = "beg", [PX_MAP_SUB] = "sub",
	[PX_MAP_DIR] = "dir", [PX_MAP_DOM] = "dom", [PX_MAP_END] = "end",
	[PX_MAP_REG] = "reg", [PX_MAP_REGM] = "regm", [PX_MAP_INT] = "int",
	[PX_MAP_IP] = "ip",
};

const char *px_map_match_name(int match)
{
	return match >= 0 && match < PX_MAP_NMATCH ? match_names[match] : "?";
}

int px_map_match_parse(const char *name, size_t len)
{
	int i;

	for (i = 0; i < PX_MAP_NMATCH; i++)
		if (strlen(match_names[i]) == len && !memcmp(match_names[i], name, len))
			return i;
	return -1;
}

/* --- hashing ---------------------------------------------------------------- */

/* FNV-1a: it can be computed byte by byte, which prefix lookups need. */
#define FNV_INIT 2166136261u

static inline uint32_t fnv_step(uint32_t h, unsigned char c)
{
	return (h ^ c) * 16777619u;
}

static uint32_t fnv(const void *p, size_t n, uint32_t h)
{
	const unsigned char *s = p;

	while (n--)
		h = fnv_step(h, *s++);
	return h;
}

/* FNV's low bits are weak: mix them before taking a bucket. */
static inline uint32_t bucket(const struct px_map_htab *t, uint32_t h)
{
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h & t->mask;
}

/* Appends <e> at the end of its chain in table <w>, so that entries with
 * the same key stay in file order and the first one is found first.
 */
static void chain_append(struct px_map_htab *t, int w, struct px_map_ent *e)
{
	struct px_map_ent **pe = &t->b[bucket(t, e->hash[w])];

	while (*pe)
		pe = &(*pe)->hnext[w];
	e->hnext[w] = NULL;
	*pe = e;
}

/* Doubles the table once it holds as many entries as buckets. Returns 0,
 * or -1 when memory is short (the table then works, only slower).
 */
static int htab_grow(struct px_map_htab *t, int w)
{
	struct px_map_htab nt;
	uint32_t i, nb = t->b ? (t->mask + 1) * 2 : 16;

	nt.b = calloc(nb, sizeof(*nt.b));
	if (!nt.b)
		return -1;
	nt.mask = nb - 1;
	nt.n = t->n;
	for (i = 0; t->b && i <= t->mask; i++) {
		struct px_map_ent *e = t->b[i], *next;

		for (; e; e = next) {
			next = e->hnext[w];
			chain_append(&nt, w, e);
		}
	}
	free(t->b);
	*t = nt;
	return 0;
}

static int htab_insert(struct px_map_htab *t, int w, struct px_map_ent *e)
{
	if ((!t->b || t->n > t->mask) && htab_grow(t, w) < 0 && !t->b)
		return -1;
	chain_append(t, w, e);
	t->n++;
	return 0;
}

static void htab_remove(struct px_map_htab *t, int w, struct px_map_ent *e)
{
	struct px_map_ent **pe = &t->b[bucket(t, e->hash[w])];

	for (; *pe; pe = &(*pe)->hnext[w])
		if (*pe == e) {
			*pe = e->hnext[w];
			t->n--;
			return;
		}
}

/* Distinct key lengths, for prefix lookups. */
static int lens_add(struct px_map *m, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < m->nlens && m->lens[i] < len; i++)
		;
	if (i < m->nlens && m->lens[i] == len) {
		m->lens_cnt[i]++;
		return 0;
	}
	if (m->nlens == m->lens_cap) {
		uint32_t cap = m->lens_cap ? m->lens_cap * 2 : 8;
		uint32_t *l = realloc(m->lens, cap * sizeof(*l));

		if (!l)
			return -1;
		m->lens = l;
		l = realloc(m->lens_cnt, cap * sizeof(*l));
		if (!l)
			return -1;
		m->lens_cnt = l;
		m->lens_cap = cap;
	}
	memmove(m->lens + i + 1, m->lens + i, (m->nlens - i) * sizeof(*m->lens));
	memmove(m->lens_cnt + i + 1, m->lens_cnt + i, (m->nlens - i) * sizeof(*m->lens));
	m->lens[i] = len;
	m->lens_cnt[i] = 1;
	m->nlens++;
	return 0;
}

static void lens_del(struct px_map *m, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < m->nlens; i++)
		if (m->lens[i] == len)
			break;
	if (i == m->nlens || --m->lens_cnt[i])
		return;
	m->nlens--;
	memmove(m->lens + i, m->lens + i + 1, (m->nlens - i) * sizeof(*m->lens));
	memmove(m->lens_cnt + i, m->lens_cnt + i + 1, (m->nlens - i) * sizeof(*m->lens));
}

/* The hash of a network key: family, prefix length, then the address. */
static uint32_t net_hash(int fam, int plen, const uint8_t *addr)
{
	uint32_t h = fnv_step(fnv_step(FNV_INIT, (unsigned char)fam), (unsigned char)plen);

	return fnv(addr, fam == AF_INET ? 4 : 16, h);
}

/* --- parsing keys and values ---------------------------------------------- */

/* Parses all of <s> as a signed decimal integer. */
static int parse_int(const char *s, size_t len, int64_t *out)
{
	uint64_t v = 0, lim;
	size_t i = 0;
	int neg = 0;

	if (i < len && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	if (i == len)
		return 0;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		if (v > (lim - (uint64_t)(s[i] - '0')) / 10)
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 1;
}

/* Integer keys are "N", "N:M", ":M" or "N:" (bounds included). */
static int parse_range(const char *s, size_t len, int64_t *lo, int64_t *hi)
{
	const char *colon = memchr(s, ':', len);
	size_t a;

	if (!colon)
		return parse_int(s, len, lo) && (*hi = *lo, 1);
	a = (size_t)(colon - s);
	if (a == 0 && len == 1)
		return 0;
	*lo = INT64_MIN;
	*hi = INT64_MAX;
	if (a && !parse_int(s, a, lo))
		return 0;
	if (a + 1 < len && !parse_int(colon + 1, len - a - 1, hi))
		return 0;
	return *lo <= *hi;
}

/* Parses an address: <s> NUL-terminated. Returns the family or 0. */
static int parse_addr(const char *s, void *addr)
{
	if (inet_pton(AF_INET, s, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, addr) == 1)
		return AF_INET6;
	return 0;
}

/* Parses "ADDR", "ADDR/LEN" or "IPv4/DOTTED-MASK" into a network with its
 * host bits cleared. Returns 1, or 0 when it is not one.
 */
static int parse_net(const char *s, size_t len, uint8_t *fam, uint8_t *plen, uint8_t *addr)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	int f, max, bits, i;

	if (alen >= sizeof(buf) || (slash && len - alen - 1 >= sizeof(buf)))
		return 0;
	memcpy(buf, s, alen);
	buf[alen] = 0;
	memset(addr, 0, 16);
	f = parse_addr(buf, addr);
	if (!f)
		return 0;
	max = f == AF_INET ? 32 : 128;
	bits = max;
	if (slash) {
		int64_t v;
		size_t mlen = len - alen - 1;

		if (parse_int(slash + 1, mlen, &v) && slash[1] != '-' && slash[1] != '+') {
			if (v > max)
				return 0;
			bits = (int)v;
		} else {
			uint32_t m;
			struct in_addr mask;

			memcpy(buf, slash + 1, mlen);
			buf[mlen] = 0;
			if (f != AF_INET || inet_pton(AF_INET, buf, &mask) != 1)
				return 0;
			m = ntohl(mask.s_addr);
			/* A mask must be ones then zeroes. */
			if (m & (~m >> 1))
				return 0;
			for (bits = 0; m & 0x80000000u; m <<= 1)
				bits++;
		}
	}
	for (i = 0; i < max / 8; i++) {
		int keep = bits - i * 8;

		if (keep <= 0)
			addr[i] = 0;
		else if (keep < 8)
			addr[i] &= (uint8_t)(0xff << (8 - keep));
	}
	*fam = (uint8_t)f;
	*plen = (uint8_t)bits;
	return 1;
}

/* Sets what <val> parses as. */
static void parse_val(struct px_map_ent *e)
{
	e->flags &= ~(PX_MAPE_VINT | PX_MAPE_VIP);
	if (parse_int(e->val, e->vlen, &e->vint))
		e->flags |= PX_MAPE_VINT;
	if (e->vlen < INET6_ADDRSTRLEN && (e->vfam = (uint8_t)parse_addr(e->val, &e->vip)))
		e->flags |= PX_MAPE_VIP;
}

/* Where an entry comes from, for messages. */
static void where(const struct px_map *m, const struct px_map_ent *e, char *buf, size_t sz)
{
	if (e->line)
		snprintf(buf, sz, "at line %d of map file '%s'", e->line, m->path);
	else
		snprintf(buf, sz, "in map '%s'", m->path);
}

/* Checks that <e> suits the methods <matches> and the types <outs>,
 * compiling its regex when one of them needs it. Returns 0, or -1 with a
 * message in <err>.
 */
static int ent_check(struct px_map *m, struct px_map_ent *e, unsigned matches,
                     unsigned outs, char **err)
{
	char at[512];

	where(m, e, at, sizeof(at));
	if ((matches & (1u << PX_MAP_IP)) && !(e->flags & PX_MAPE_KIP)) {
		px_strfmt(err, "'%s' is not a valid IPv4 or IPv6 address or network %s",
		          e->key, at);
		return -1;
	}
	if ((matches & (1u << PX_MAP_INT)) && !(e->flags & PX_MAPE_KINT)) {
		px_strfmt(err, "'%s' is not a valid integer or range (N, N:M, :M, N:) %s",
		          e->key, at);
		return -1;
	}
	if ((matches & ((1u << PX_MAP_REG) | (1u << PX_MAP_REGM))) && !e->re) {
		e->re = px_regex_comp(m->gen, e->key, 0, err);
		if (!e->re) {
			px_strfmt(err, "%s %s", *err, at);
			return -1;
		}
	}
	if ((outs & (1u << PX_MAP_OUT_INT)) && !(e->flags & PX_MAPE_VINT)) {
		px_strfmt(err, "value '%s' of key '%s' is not a valid integer %s", e->val,
		          e->key, at);
		return -1;
	}
	if ((outs & (1u << PX_MAP_OUT_IP)) && !(e->flags & PX_MAPE_VIP)) {
		px_strfmt(err, "value '%s' of key '%s' is not a valid IPv4 or IPv6 address %s",
		          e->val, e->key, at);
		return -1;
	}
	return 0;
}

/* --- entries ------------------------------------------------------------ */

static struct px_map_ent *ent_new(const char *key, size_t klen, const char *val,
                                  size_t vlen)
{
	struct px_map_ent *e;

	if (klen > UINT32_MAX / 2 || vlen > UINT32_MAX / 2)
		return NULL;
	e = calloc(1, sizeof(*e) + klen + 1);
	if (!e)
		return NULL;
	e->val = malloc(vlen + 1);
	if (!e->val) {
		free(e);
		return NULL;
	}
	memcpy(e->key, key, klen);
	e->key[klen] = 0;
	e->klen = (uint32_t)klen;
	memcpy(e->val, val, vlen);
	e->val[vlen] = 0;
	e->vlen = (uint32_t)vlen;
	if (parse_range(key, klen, &e->kmin, &e->kmax))
		e->flags |= PX_MAPE_KINT;
	if (parse_net(key, klen, &e->kfam, &e->kplen, e->kaddr))
		e->flags |= PX_MAPE_KIP;
	parse_val(e);
	return e;
}

static void ent_free(struct px_map_ent *e)
{
	free(e->val);
	free(e);
}

/* Links a checked entry into the list and the indexes. */
static int ent_link(struct px_map *m, struct px_map_ent *e)
{
	e->hash[0] = fnv(e->key, e->klen, FNV_INIT);
	if (htab_insert(&m->h[0], 0, e) < 0)
		return -1;
	if (lens_add(m, e->klen) < 0) {
		htab_remove(&m->h[0], 0, e);
		return -1;
	}
	if (e->flags & PX_MAPE_KIP) {
		e->hash[1] = net_hash(e->kfam, e->kplen, e->kaddr);
		if (htab_insert(&m->h[1], 1, e) < 0) {
			lens_del(m, e->klen);
			htab_remove(&m->h[0], 0, e);
			return -1;
		}
		if (e->kfam == AF_INET)
			m->v4plen[e->kplen]++;
		else
			m->v6plen[e->kplen]++;
	}
	e->id = ++m->next_id;
	e->next = NULL;
	e->prev = m->tail;
	if (m->tail)
		m->tail->next = e;
	else
		m->head = e;
	m->tail = e;
	m->count++;
	return 0;
}

void px_map_del_ent(struct px_map *m, struct px_map_ent *e)
{
	htab_remove(&m->h[0], 0, e);
	lens_del(m, e->klen);
	if (e->flags & PX_MAPE_KIP) {
		htab_remove(&m->h[1], 1, e);
		if (e->kfam == AF_INET)
			m->v4plen[e->kplen]--;
		else
			m->v6plen[e->kplen]--;
	}
	if (e->prev)
		e->prev->next = e->next;
	else
		m->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		m->tail = e->prev;
	m->count--;
	/* A compiled regex stays with the generation, which frees it. */
	ent_free(e);
}

int px_map_add(struct px_map *m, const char *key, size_t klen, const char *val,
               size_t vlen, char **err)
{
	struct px_map_ent *e = ent_new(key, klen, val, vlen);

	if (!e) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	if (ent_check(m, e, m->matches, m->outs, err) < 0)
		goto fail;
	if (ent_link(m, e) < 0) {
		px_strfmt(err, "out of memory");
		goto fail;
	}
	return 0;
fail:
	ent_free(e);
	return -1;
}

int px_map_set_ent(struct px_map *m, struct px_map_ent *e, const char *val, size_t vlen,
                   char **err)
{
	/* The new value is parsed and checked in a scratch entry so that a
	 * refused one changes nothing.
	 */
	struct px_map_ent *tmp = ent_new(e->key, e->klen, val, vlen);

	if (!tmp) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	tmp->line = e->line;
	if (ent_check(m, tmp, 0, m->outs, err) < 0) {
		ent_free(tmp);
		return -1;
	}
	free(e->val);
	e->val = tmp->val;
	e->vlen = tmp->vlen;
	e->vint = tmp->vint;
	e->vip = tmp->vip;
	e->vfam = tmp->vfam;
	e->flags = tmp->flags;
	free(tmp);
	return 0;
}

/* The first entry whose key is exactly <key>, then the next ones. */
static struct px_map_ent *find_key(const struct px_map *m, const char *key, size_t klen,
                                   uint32_t h, struct px_map_ent *from)
{
	struct px_map_ent *e;

	if (!m->h[0].b)
		return NULL;
	e = from ? from->hnext[0] : m->h[0].b[bucket(&m->h[0], h)];
	for (; e; e = e->hnext[0])
		if (e->hash[0] == h && e->klen == klen && !memcmp(e->key, key, klen))
			return e;
	return NULL;
}

int px_map_set(struct px_map *m, const char *key, size_t klen, const char *val,
               size_t vlen, char **err)
{
	uint32_t h = fnv(key, klen, FNV_INIT);
	struct px_map_ent *e;
	int n = 0;

	/* Values are checked against the map's types before anything changes. */
	for (e = find_key(m, key, klen, h, NULL); e; e = find_key(m, key, klen, h, e)) {
		if (px_map_set_ent(m, e, val, vlen, err) < 0)
			return n ? n : -1;
		n++;
	}
	return n;
}

int px_map_del(struct px_map *m, const char *key, size_t klen)
{
	uint32_t h = fnv(key, klen, FNV_INIT);
	struct px_map_ent *e;
	int n = 0;

	while ((e = find_key(m, key, klen, h, NULL))) {
		px_map_del_ent(m, e);
		n++;
	}
	return n;
}

void px_map_clear(struct px_map *m)
{
	while (m->head)
		px_map_del_ent(m, m->head);
}

struct px_map_ent *px_map_find_id(const struct px_map *m, uint64_t id)
{
	struct px_map_ent *e;

	for (e = m->head; e; e = e->next)
		if (e->id == id)
			return e;
	return NULL;
}

/* --- lookups -------------------------------------------------------------- */

/* The longest key that <s> starts with: one pass over the input, probing
 * the table at each key length present; among equal keys, the first.
 */
static const struct px_map_ent *lookup_beg(const struct px_map *m, const char *s,
                                           size_t len)
{
	const struct px_map_ent *best = NULL, *e;
	uint32_t h = FNV_INIT, i;
	size_t pos = 0;

	for (i = 0; i < m->nlens && m->lens[i] <= len; i++) {
		for (; pos < m->lens[i]; pos++)
			h = fnv_step(h, (unsigned char)s[pos]);
		e = find_key(m, s, pos, h, NULL);
		if (e)
			best = e;
	}
	return best;
}

/* Tells whether <c> separates words for the dir ("/?") or dom
 * ("/?.:") methods.
 */
static inline int is_delim(unsigned char c, int dom)
{
	return c == '/' || c == '?' || (dom && (c == '.' || c == ':'));
}

/* Tells whether <key>, less its leading and trailing delimiters, appears
 * in <s> between delimiters or the ends of <s>.
 */
static int word_match(const char *s, size_t len, const char *key, size_t klen, int dom)
{
	const char *p = s, *end = s + len;

	while (klen && is_delim((unsigned char)*key, dom)) {
		key++;
		klen--;
	}
	while (klen && is_delim((unsigned char)key[klen - 1], dom))
		klen--;
	if (!klen)
		return 0;
	while ((size_t)(end - p) >= klen) {
		const char *f = memmem(p, (size_t)(end - p), key, klen);

		if (!f)
			return 0;
		if ((f == s || is_delim((unsigned char)f[-1], dom)) &&
		    (f + klen == end || is_delim((unsigned char)f[klen], dom)))
			return 1;
		p = f + 1;
	}
	return 0;
}

const struct px_map_ent *px_map_lookup_str(const struct px_map *m, int match,
                                           const char *s, size_t len,
                                           long *ov, int nov, int *n)
{
	const struct px_map_ent *e;

	switch (match) {
	case PX_MAP_STR:
		return find_key(m, s, len, fnv(s, len, FNV_INIT), NULL);
	case PX_MAP_BEG:
		return lookup_beg(m, s, len);
	default:
		break;
	}
	for (e = m->head; e; e = e->next) {
		switch (match) {
		case PX_MAP_SUB:
			if (!e->klen || memmem(s, len, e->key, e->klen))
				return e;
			break;
		case PX_MAP_DIR:
		case PX_MAP_DOM:
			if (word_match(s, len, e->key, e->klen, match == PX_MAP_DOM))
				return e;
			break;
		case PX_MAP_END:
			if (e->klen <= len && !memcmp(s + len - e->klen, e->key, e->klen))
				return e;
			break;
		case PX_MAP_REG:
		case PX_MAP_REGM:
			if (!e->re)
				break;
			if (!ov) {
				if (px_regex_exec(e->re, s, len))
					return e;
			} else if ((*n = px_regex_match(e->re, s, len, 0, ov, nov)) > 0) {
				return e;
			}
			break;
		default:
			return NULL;
		}
	}
	return NULL;
}

const struct px_map_ent *px_map_lookup_int(const struct px_map *m, int64_t v)
{
	const struct px_map_ent *e;

	for (e = m->head; e; e = e->next)
		if ((e->flags & PX_MAPE_KINT) && e->kmin <= v && v <= e->kmax)
			return e;
	return NULL;
}

/* The longest network of family <fam> holding <addr>. */
static const struct px_map_ent *lookup_net(const struct px_map *m, int fam,
                                           const uint8_t *addr)
{
	const uint32_t *cnt = fam == AF_INET ? m->v4plen : m->v6plen;
	int max = fam == AF_INET ? 32 : 128, plen, i;
	uint8_t net[16];

	if (!m->h[1].b)
		return NULL;
	for (plen = max; plen >= 0; plen--) {
		const struct px_map_ent *e;
		uint32_t h;

		if (!cnt[plen])
			continue;
		for (i = 0; i < max / 8; i++) {
			int keep = plen - i * 8;

			net[i] = keep >= 8 ? addr[i] : keep <= 0 ? 0 :
			         (uint8_t)(addr[i] & (0xff << (8 - keep)));
		}
		h = net_hash(fam, plen, net);
		for (e = m->h[1].b[bucket(&m->h[1], h)]; e; e = e->hnext[1])
			if (e->hash[1] == h && e->kfam == fam && e->kplen == plen &&
			    !memcmp(e->kaddr, net, (size_t)max / 8))
				return e;
	}
	return NULL;
}

const struct px_map_ent *px_map_lookup_ip(const struct px_map *m, int fam,
                                          const void *addr)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const struct px_map_ent *e = lookup_net(m, fam, addr);
	uint8_t a6[16];

	if (e)
		return e;
	if (fam == AF_INET) {
		memcpy(a6, v4mapped, 12);
		memcpy(a6 + 12, addr, 4);
		return lookup_net(m, AF_INET6, a6);
	}
	if (!memcmp(addr, v4mapped, 12))
		return lookup_net(m, AF_INET, (const uint8_t *)addr + 12);
	return NULL;
}

/* --- loading ------------------------------------------------------------ */

static void map_free(void *arg)
{
	struct px_map *m = arg, **pm;

	for (pm = &all_maps; *pm; pm = &(*pm)->next)
		if (*pm == m) {
			*pm = m->next;
			break;
		}
	while (m->head) {
		struct px_map_ent *e = m->head;

		m->head = e->next;
		ent_free(e);
	}
	free(m->h[0].b);
	free(m->h[1].b);
	free(m->lens);
	free(m->lens_cnt);
	free(m->path);
	free(m);
}

/* Reads <m->path>: one "key value" per line. A line starting with '#' is a
 * comment; blanks before the key, between key and value and at the end of
 * the line are dropped. A key alone has an empty value. As HAProxy, a '#'
 * after leading blanks starts a key, not a comment.
 */
static int map_read(struct px_map *m, char **err)
{
	FILE *f = px_open_regular(m->path, "map file", err);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, ret = 0;

	if (!f)
		return -1;
	while ((n = getline(&line, &cap, f)) >= 0) {
		size_t len = (size_t)n, k, ke, v;
		struct px_map_ent *e;

		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
		               line[len - 1] == ' ' || line[len - 1] == '\t'))
			len--;
		if (!len || line[0] == '#')
			continue;
		for (k = 0; k < len && (line[k] == ' ' || line[k] == '\t'); k++)
			;
		if (k == len)
			continue;
		for (ke = k; ke < len && line[ke] != ' ' && line[ke] != '\t'; ke++)
			;
		for (v = ke; v < len && (line[v] == ' ' || line[v] == '\t'); v++)
			;
		e = ent_new(line + k, ke - k, line + v, len - v);
		if (!e) {
			px_strfmt(err, "out of memory reading map file '%s'", m->path);
			ret = -1;
			break;
		}
		e->line = lineno;
		if (ent_check(m, e, m->matches, m->outs, err) < 0 || ent_link(m, e) < 0) {
			if (!*err)
				px_strfmt(err, "out of memory reading map file '%s'", m->path);
			ent_free(e);
			ret = -1;
			break;
		}
	}
	if (!ret && ferror(f)) {
		px_strfmt(err, "cannot read map file '%s': %s", m->path, strerror(errno));
		ret = -1;
	}
	free(line);
	fclose(f);
	return ret;
}

struct px_map *px_map_find(const struct px_gen *gen, const char *path)
{
	struct px_map *m;

	for (m = all_maps; m; m = m->next)
		if (m->gen == gen && !strcmp(m->path, path))
			return m;
	return NULL;
}

struct px_map *px_map_next(const struct px_gen *gen, const struct px_map *prev)
{
	struct px_map *m = prev ? prev->next : all_maps;

	while (m && m->gen != gen)
		m = m->next;
	return m;
}

struct px_map *px_map_get(struct px_gen *gen, const char *path, int match, int out,
                          char **err)
{
	struct px_map *m = px_map_find(gen, path);
	unsigned mbit = 1u << match, obit = 1u << out;
	struct px_map_ent *e;

	if (!m) {
		m = calloc(1, sizeof(*m));
		if (!m || !(m->path = strdup(path))) {
			free(m);
			px_strfmt(err, "out of memory");
			return NULL;
		}
		m->gen = gen;
		m->matches = mbit;
		m->outs = obit;
		if (px_gen_on_free(gen, map_free, m) < 0) {
			free(m->path);
			free(m);
			px_strfmt(err, "out of memory");
			return NULL;
		}
		m->next = all_maps;
		all_maps = m;
		if (map_read(m, err) < 0) {
			/* Unlisted, so that another use of the file reports the
			 * error again; the generation still frees it.
			 */
			all_maps = m->next;
			px_map_clear(m);
			return NULL;
		}
		return m;
	}
	if ((m->matches & mbit) && (m->outs & obit))
		return m;
	/* A second use asking more of the entries: check them all. */
	for (e = m->head; e; e = e->next)
		if (ent_check(m, e, mbit, obit, err) < 0)
			return NULL;
	m->matches |= mbit;
	m->outs |= obit;
	return m;
}
