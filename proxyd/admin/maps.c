/* Command socket: map contents ("show map", "get map", "add map", "set
 * map", "del map", "clear map"), HAProxy's commands. A map is named by its
 * file, as written in the configuration, or by "#ID" from "show map".
 * Changes apply to new lookups at once and, when a commit or a reload
 * builds a new generation, go with the map to it (admin/inherit.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "admin/cli.h"
#include "cfg/cfg.h"
#include "core/util.h"
#include "rules/map.h"

static struct px_map *map_arg(struct px_cli_conn *c, char **args, int nargs, int i)
{
	struct px_gen *gen = px_cli_gen();
	struct px_map *m;

	if (i >= nargs) {
		px_cli_error(c, 400, "Missing map identifier (a file or #ID from 'show map').");
		return NULL;
	}
	if (args[i][0] == '#') {
		uint64_t id, k = 0;

		if (px_parse_uint(args[i] + 1, 1000000, &id) == 0)
			for (m = px_map_next(gen, NULL); m; m = px_map_next(gen, m), k++)
				if (k == id)
					return m;
	} else if ((m = px_map_find(gen, args[i]))) {
		return m;
	}
	px_cli_error(c, 404, "Unknown map identifier '%s' (see 'show map').", args[i]);
	return NULL;
}

/* The first method the map is used with, for "get map". */
static int first_match(const struct px_map *m)
{
	int k;

	for (k = 0; k < PX_MAP_NMATCH; k++)
		if (m->matches & (1u << k))
			return k;
	return PX_MAP_STR;
}

struct map_dump {
	struct px_map *m;
	uint64_t next_id;             /* first entry not written yet */
	uint32_t gen;
	int json;
	uint32_t count;
};

static void map_dump_release(void *arg)
{
	free(arg);
}

/* Entries are written from the one numbered <next_id> on, so that edits
 * between two chunks (the map is live) never leave a dangling position.
 */
static int map_dump(struct px_cli_conn *c)
{
	struct map_dump *d = px_cli_ctx(c);
	const struct px_map_ent *e;

	if (!px_gen_cur || px_gen_cur->id != d->gen)
		return 0;   /* the configuration changed under the listing */
	for (e = px_map_first(d->m); e; e = e->next) {
		if (e->id < d->next_id)
			continue;
		if (px_cli_full(c))
			return 1;
		if (d->json) {
			px_cli_printf(c, "%s{\"id\":\"0x%llx\",\"key\":", d->count++ ? ",\n" : "",
			              (unsigned long long)e->id);
			px_cli_json_str(c, e->key, e->klen);
			px_cli_puts(c, ",\"value\":");
			px_cli_json_str(c, e->val, e->vlen);
			px_cli_puts(c, "}");
		} else {
			px_cli_printf(c, "0x%llx %s %s\n", (unsigned long long)e->id, e->key, e->val);
		}
		d->next_id = e->id + 1;
	}
	if (d->json)
		px_cli_puts(c, "]\n");
	return 0;
}

static int cmd_show_map(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct px_gen *gen = px_gen_cur;
	struct map_dump *d;
	struct px_map *m;
	int k = 0, json = nargs > 2 && !strcmp(args[nargs - 1], "json");

	if (json) {
		px_cli_set_json(c, 1);
		nargs--;
	}
	if (nargs < 3 && json) {
		px_cli_puts(c, "[");
		for (m = px_map_next(gen, NULL); m; m = px_map_next(gen, m), k++) {
			px_cli_printf(c, "%s{\"id\":%d,\"file\":", k ? ",\n" : "", k);
			px_cli_json_str(c, m->path, strlen(m->path));
			px_cli_printf(c, ",\"entries\":%u,\"edited\":%s}", m->count,
			              m->changed > 0 ? "true" : "false");
		}
		px_cli_puts(c, "]\n");
		return 0;
	}
	if (nargs < 3) {
		px_cli_puts(c, "# id (file) description\n");
		for (m = px_map_next(gen, NULL); m; m = px_map_next(gen, m), k++) {
			int j, first = 1;

			px_cli_printf(c, "%d (%s) entry_cnt=%u methods=", k, m->path, m->count);
			for (j = 0; j < PX_MAP_NMATCH; j++)
				if (m->matches & (1u << j)) {
					px_cli_printf(c, "%s%s", first ? "" : ",", px_map_match_name(j));
					first = 0;
				}
			px_cli_printf(c, "%s%s\n", first ? "none" : "",
			              m->changed > 0 ? " (edited at run time)" : "");
		}
		return 0;
	}
	m = map_arg(c, args, nargs, 2);
	if (!m)
		return 0;
	d = calloc(1, sizeof(*d));
	if (!d) {
		px_cli_error(c, 500, "Out of memory.");
		return 0;
	}
	d->m = m;
	d->gen = gen->id;
	d->json = json;
	if (json)
		px_cli_puts(c, "[");
	return px_cli_dump(c, map_dump, d, map_dump_release);
}

static int cmd_get_map(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct px_map *m = map_arg(c, args, nargs, 2);
	const struct px_map_ent *e = NULL;
	int match;

	if (!m)
		return 0;
	if (nargs != 4) {
		px_cli_error(c, 400, "'get map' expects a map and a value.");
		return 0;
	}
	match = first_match(m);
	if (match == PX_MAP_INT) {
		uint64_t v;

		if (px_parse_uint(args[3], UINT64_MAX >> 1, &v) == 0)
			e = px_map_lookup_int(m, (int64_t)v);
	} else if (match == PX_MAP_IP) {
		unsigned char a[16];

		if (inet_pton(AF_INET, args[3], a) == 1)
			e = px_map_lookup_ip(m, AF_INET, a);
		else if (inet_pton(AF_INET6, args[3], a) == 1)
			e = px_map_lookup_ip(m, AF_INET6, a);
	} else {
		e = px_map_lookup_str(m, match, args[3], strlen(args[3]), NULL, 0, NULL);
	}
	px_cli_printf(c, "type=%s, case=sensitive, found=%s", px_map_match_name(match),
	              e ? "yes" : "no");
	if (e)
		px_cli_printf(c, ", key=\"%s\", value=\"%s\"", e->key, e->val);
	px_cli_puts(c, "\n");
	return 0;
}

static void map_changed(struct px_map *m)
{
	m->changed = 1;
}

/* add map MAP KEY VALUE, or add map MAP << then "KEY VALUE" lines. */
static int cmd_add_map(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct px_map *m = map_arg(c, args, nargs, 2);
	char *err = NULL;

	if (!m)
		return 0;
	if (payload && nargs == 3) {
		const char *p = payload;
		int n = 0;

		if (px_cli_txn(c) && !px_cli_target) {
			px_cli_error(c, 409, "Payloads cannot be kept for a transaction: add the "
			             "entries one by one.");
			return 0;
		}
		while (*p) {
			const char *eol = strchr(p, '\n');
			size_t len = eol ? (size_t)(eol - p) : strlen(p);
			size_t kl = strcspn(p, " \t");
			const char *v = p + kl;

			if (kl > len)
				kl = len;
			while (v < p + len && (*v == ' ' || *v == '\t'))
				v++;
			if (len && (kl == len || v >= p + len)) {
				px_cli_error(c, 400, "Line %d of the payload: 'KEY VALUE' expected "
				             "(%d entries added before it).", n + 1, n);
				return 0;
			}
			if (len) {
				size_t vl = (size_t)(p + len - v);

				if (vl && v[vl - 1] == '\r')
					vl--;
				if (px_map_add(m, p, kl, v, vl, &err) < 0) {
					px_cli_error(c, 400, "Line %d of the payload: %s (%d entries "
					             "added before it).", n + 1, err, n);
					free(err);
					map_changed(m);
					return 0;
				}
				n++;
			}
			p += len + (eol ? 1 : 0);
		}
		map_changed(m);
		return 0;
	}
	if (nargs != 5) {
		px_cli_error(c, 400, "'add map' expects a map, a key and a value (or '<<').");
		return 0;
	}
	if (px_txn_defer(c, args, nargs))
		return 0;
	if (px_map_add(m, args[3], strlen(args[3]), args[4], strlen(args[4]), &err) < 0) {
		px_cli_error(c, 400, "%s", err);
		free(err);
		return 0;
	}
	map_changed(m);
	return 0;
}

/* The entry "#0xID" or "#ID", or NULL after answering. */
static struct px_map_ent *entry_ref(struct px_cli_conn *c, struct px_map *m, const char *ref)
{
	struct px_map_ent *e;
	char *end;
	uint64_t id;

	errno = 0;
	id = strtoull(ref + 1, &end, ref[1] == '0' && (ref[2] == 'x' || ref[2] == 'X') ? 16 : 10);
	e = (!*end && !errno && end != ref + 1) ? px_map_find_id(m, id) : NULL;
	if (!e)
		px_cli_error(c, 404, "Entry '%s' not found (see 'show map %s').", ref, m->path);
	return e;
}

static int cmd_set_map(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct px_map *m = map_arg(c, args, nargs, 2);
	char *err = NULL;
	int n;

	if (!m)
		return 0;
	if (nargs != 5) {
		px_cli_error(c, 400, "'set map' expects a map, a key (or #ref) and a value.");
		return 0;
	}
	if (px_txn_defer(c, args, nargs))
		return 0;
	if (args[3][0] == '#') {
		struct px_map_ent *e = entry_ref(c, m, args[3]);

		if (!e)
			return 0;
		if (px_map_set_ent(m, e, args[4], strlen(args[4]), &err) < 0) {
			px_cli_error(c, 400, "%s", err);
			free(err);
			return 0;
		}
		map_changed(m);
		return 0;
	}
	n = px_map_set(m, args[3], strlen(args[3]), args[4], strlen(args[4]), &err);
	if (n < 0) {
		px_cli_error(c, 400, "%s", err);
		free(err);
		return 0;
	}
	if (!n) {
		px_cli_error(c, 404, "Key '%s' not found in '%s'.", args[3], m->path);
		return 0;
	}
	map_changed(m);
	return 0;
}

static int cmd_del_map(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct px_map *m = map_arg(c, args, nargs, 2);

	if (!m)
		return 0;
	if (nargs != 4) {
		px_cli_error(c, 400, "'del map' expects a map and a key (or #ref).");
		return 0;
	}
	if (px_txn_defer(c, args, nargs))
		return 0;
	if (args[3][0] == '#') {
		struct px_map_ent *e = entry_ref(c, m, args[3]);

		if (!e)
			return 0;
		px_map_del_ent(m, e);
	} else if (!px_map_del(m, args[3], strlen(args[3]))) {
		px_cli_error(c, 404, "Key '%s' not found in '%s'.", args[3], m->path);
		return 0;
	}
	map_changed(m);
	return 0;
}

static int cmd_clear_map(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct px_map *m = map_arg(c, args, nargs, 2);

	if (!m || px_txn_defer(c, args, nargs))
		return 0;
	px_map_clear(m);
	map_changed(m);
	return 0;
}

static const struct px_cli_handler maps_handlers[] = {
	{ "show map", cmd_show_map },
	{ "get map", cmd_get_map },
	{ "add map", cmd_add_map },
	{ "set map", cmd_set_map },
	{ "del map", cmd_del_map },
	{ "clear map", cmd_clear_map },
	{ NULL }
};

static struct px_cli_handler_list maps_list = { .h = maps_handlers };

__attribute__((constructor)) static void maps_register(void)
{
	px_cli_register(&maps_list);
}
