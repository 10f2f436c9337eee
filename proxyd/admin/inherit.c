/* What a new generation takes over from the running one: counters, the
 * state operators gave servers and frontends from the command socket,
 * health as the checks last saw it, rule hit counters, and map contents
 * edited at run time.
 *
 * A rule committed from the command socket builds a new generation, so
 * this is what makes such a commit change only what it says. A reload
 * goes through here too: unlike HAProxy, which forgets all of it (unless
 * a server-state file is set up), proxyd keeps what the new files do not
 * contradict. A value the configuration changed wins over the run-time
 * one: a weight edited in the file applies, a weight set from the socket
 * stays only while the file still says what it said.
 */
#include <stdlib.h>
#include <string.h>
#include "admin/inherit.h"
#include "backend/lb.h"
#include "backend/server.h"
#include "cfg/cfg.h"
#include "cfg/proxy.h"
#include "core/log.h"
#include "rules/acl.h"
#include "rules/map.h"
#include "proto/listener-t.h"
#include "rules/rules-t.h"
#include "ssl/sslsock.h"
#include "backend/srvconn.h"

static struct px_server *server_in(const struct px_proxy *be, const char *id)
{
	uint32_t i;

	for (i = 0; i < be->nsrv; i++)
		if (!strcmp(be->srv[i]->id, id))
			return be->srv[i];
	return NULL;
}

static void inherit_server(struct px_server *ns, const struct px_server *os)
{
	ns->ctr = os->ctr;
	ns->cum_sess = os->cum_sess;
	ns->failed_conns = os->failed_conns;
	ns->retries = os->retries;
	ns->redispatches = os->redispatches;
	ns->down_trans = os->down_trans;
	ns->last_change = os->last_change;
	ns->down_time = os->down_time;
	ns->down = os->down;
	if (ns->cfg_disabled == os->cfg_disabled)
		ns->disabled = os->disabled;
	ns->drain = os->drain;
	if (ns->iweight == os->iweight)
		ns->weight = os->weight;
	if (os->addr_changed && ns->addr_str && os->addr_str &&
	    !strcmp(ns->addr_str, os->addr_str)) {
		ns->addr = os->addr;
		ns->addrlen = os->addrlen;
		if (!ns->check.addr_str) {
			ns->check.addr = os->check.addr;
			ns->check.addrlen = os->check.addrlen;
		}
		ns->addr_changed = 1;
	}
	if (ns->check.enabled && os->check.enabled) {
		ns->chk_paused = os->chk_paused;
		ns->check.health = os->check.health;
		ns->check.result = os->check.result;
		ns->check.code = os->check.code;
		ns->check.duration = os->check.duration;
		memcpy(ns->check.info, os->check.info, sizeof(ns->check.info));
		ns->state = os->state;
		ns->chk_inherited = 1;
	}
}

/* Hit counters follow a rule while its line (id) and text stay. */
static void inherit_list(struct px_rule *nr, const struct px_rule *olist)
{
	for (; nr; nr = nr->next) {
		const struct px_rule *o;

		if (!nr->lid)
			continue;
		for (o = olist; o; o = o->next)
			if (o->lid == nr->lid && o->text && nr->text && !strcmp(o->text, nr->text)) {
				nr->hits = o->hits;
				nr->refused = o->refused;
				break;
			}
	}
}

static void inherit_rules(struct px_rules *n, const struct px_rules *o)
{
	if (!n || !o)
		return;
	inherit_list(n->http_req.first, o->http_req.first);
	inherit_list(n->legacy_req.first, o->legacy_req.first);
	inherit_list(n->redirect.first, o->redirect.first);
	inherit_list(n->use_be.first, o->use_be.first);
	inherit_list(n->http_res.first, o->http_res.first);
	inherit_list(n->legacy_res.first, o->legacy_res.first);
	inherit_list(n->after_res.first, o->after_res.first);
}

/* A map edited at run time keeps its entries, in their order, if the new
 * generation's uses accept them all; otherwise the file's content stays
 * and the operator is told.
 */
static void inherit_map(struct px_map *nm, const struct px_map *om)
{
	const struct px_map_ent *e;
	char *err = NULL;

	px_map_clear(nm);
	for (e = px_map_first(om); e; e = e->next) {
		if (px_map_add(nm, e->key, e->klen, e->val, e->vlen, &err) < 0) {
			px_warning("map '%s': the entries edited at run time do not suit its "
			           "new uses (%s); the file's entries are used", nm->path, err);
			free(err);
			px_map_clear(nm);
			/* Reloading the file is the configuration's job: say so. */
			nm->changed = -1;
			return;
		}
	}
	nm->changed = 1;
}

struct refill {
	struct px_gen *gen;
	struct px_acl_file *af;
	int failed;
};

static int refill_one(void *arg, uint32_t id, const char *txt)
{
	struct refill *r = arg;
	char *err = NULL;

	if (px_acl_file_add_unsorted(r->gen, r->af, txt, &err) < 0) {
		px_warning("ACL file '%s': an entry edited at run time ('%s') does not suit "
		           "its new uses (%s)", r->af->path, txt, err);
		free(err);
		r->failed = 1;
	}
	return 0;
}

/* An ACL file edited at run time keeps its entries in the new generation
 * (the file's own are replaced by them).
 */
static void inherit_acl_files(struct px_gen *ng, const struct px_gen *og)
{
	struct px_acl_file *na;

	for (na = px_acl_file_next(ng, NULL); na; na = px_acl_file_next(ng, na)) {
		const struct px_acl_file *oa = px_acl_file_find(og, na->path);
		struct refill r = { ng, na, 0 };
		uint32_t pos = 0;

		if (!oa || !oa->changed)
			continue;
		px_acl_file_clear(na);
		px_acl_file_walk(oa, &pos, refill_one, &r);
		px_acl_file_sort(na);
	}
}

void px_gen_inherit(struct px_gen *ng, const struct px_gen *og)
{
	struct px_list *e;
	struct px_map *nm;

	if (!og)
		return;
	px_list_for_each(e, &ng->proxies) {
		struct px_proxy *np = px_container_of(e, struct px_proxy, link);
		struct px_proxy *op = px_proxy_find((struct px_gen *)og, np->id, np->cap);
		uint32_t i;

		if (!op)
			continue;
		np->ctr = op->ctr;
		np->cum_feconn = op->cum_feconn;
		np->cum_req = op->cum_req;
		np->cum_beconn = op->cum_beconn;
		np->lbprm.last_change = op->lbprm.last_change;
		np->lbprm.down_time = op->lbprm.down_time;
		np->lbprm.down_trans = op->lbprm.down_trans;
		np->lbprm.down = op->lbprm.down;
		np->admin_stopped = op->admin_stopped;
		/* A maxconn set from the socket stays while the configuration
		 * still says what it said then.
		 */
		if (op->maxconn_changed && np->maxconn == op->cfg_maxconn) {
			np->cfg_maxconn = np->maxconn;
			np->maxconn = op->maxconn;
			np->maxconn_changed = 1;
		}
		for (i = 0; i < np->nsrv; i++) {
			const struct px_server *os = server_in(op, np->srv[i]->id);

			if (os)
				inherit_server(np->srv[i], os);
		}
		inherit_rules(np->rules, op->rules);
		if (np->cap & PX_CAP_BE)
			px_lb_update(np);
	}
	inherit_acl_files(ng, og);
	/* TLS session secrets, bind line by bind line (a listener kept by
	 * the new generation is the same object on both).
	 */
	px_list_for_each(e, &ng->binds) {
		struct px_bind *nb = px_container_of(e, struct px_bind, gen_link);
		struct px_list *f;

		if (!nb->ssl || !nb->li)
			continue;
		px_list_for_each(f, &og->binds) {
			const struct px_bind *ob = px_container_of(f, struct px_bind, gen_link);

			if (ob->li == nb->li && ob->ssl) {
				px_ssl_bind_inherit(nb->ssl, ob->ssl);
				break;
			}
		}
	}
	for (nm = px_map_next(ng, NULL); nm; nm = px_map_next(ng, nm)) {
		const struct px_map *om = px_map_find(og, nm->path);

		if (om && om->changed > 0)
			inherit_map(nm, om);
	}
}

void px_gen_take_idle(struct px_gen *ng, struct px_gen *og)
{
	struct px_list *e;

	if (!og)
		return;
	px_list_for_each(e, &ng->proxies) {
		struct px_proxy *np = px_container_of(e, struct px_proxy, link);
		struct px_proxy *op;
		uint32_t i;

		if (!(np->cap & PX_CAP_BE))
			continue;
		op = px_proxy_find(og, np->id, np->cap);
		if (!op)
			continue;
		for (i = 0; i < np->nsrv; i++) {
			struct px_server *os = server_in(op, np->srv[i]->id);

			if (os && px_server_same_route(np->srv[i], os))
				px_srvconn_move_idle(np->srv[i], os);
		}
	}
	/* Connections still in use go to the successors (or close) when
	 * their streams let them go (px_srvconn_release()).
	 */
	px_list_for_each(e, &og->proxies) {
		struct px_proxy *op = px_container_of(e, struct px_proxy, link);
		uint32_t i;

		for (i = 0; i < op->nsrv; i++)
			op->srv[i]->retired = 1;
	}
}
