/* script.c: reading .pxt scenario files.
 *
 * Owns: the scenario language's lexical rules (comments, indented option
 * lines, heredocs, shell-like quoting with C escapes, /regex/ arguments),
 * placeholder expansion ({{tmp}}, {{dir}}, {{root}}, {{certs}} and port
 * names) and the allocation of the ports those names stand for. The whole
 * file is parsed before any step runs, so a typo fails the scenario at its
 * line without starting anything. What the commands do is in run.c, net.c,
 * http.c, tls.c, expect.c and srvrec.c; this file only finds them in their
 * tables.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "pxtest.h"
#include "tkstr.h"

static const struct px_cmd *const cmd_tables[] = {
	px_cmds_run, px_cmds_net, px_cmds_http, px_cmds_expect, px_cmds_server,
	px_cmds_netns,
};

static const struct px_cmd *find_cmd(const char *name)
{
	size_t t;
	const struct px_cmd *c;

	for (t = 0; t < sizeof(cmd_tables) / sizeof(cmd_tables[0]); t++)
		for (c = cmd_tables[t]; c->name; c++)
			if (strcmp(c->name, name) == 0)
				return c;
	return NULL;
}

/* The kernel's ephemeral port range, which we never hand out. */
static void ephemeral_range(int *lo, int *hi)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");

	*lo = 32768;
	*hi = 60999;
	if (!f)
		return;
	if (fscanf(f, "%d %d", lo, hi) != 2) {
		*lo = 32768;
		*hi = 60999;
	}
	fclose(f);
}

/* Returns 1 when nothing uses TCP or UDP port on any local address: a
 * bind without SO_REUSEADDR fails even on TIME_WAIT leftovers.
 */
static int port_free(int port)
{
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int fd = socket(AF_INET, types[i] | SOCK_CLOEXEC, 0);
		int ok;

		if (fd < 0)
			return 0;
		ok = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
		close(fd);
		if (!ok)
			return 0;
	}
	return 1;
}

/* Returns the port that placeholder name stands for, allocating a free one
 * from the job slot's range on first use; -1 when none is free.
 */
int px_port_get(struct px_script *sc, const char *name)
{
	static int next = -1;
	int lo, hi, i, span = sc->env->port_hi - sc->env->port_lo;
	struct px_port *ports;

	for (i = 0; i < sc->nports; i++)
		if (strcmp(sc->ports[i].name, name) == 0)
			return sc->ports[i].port;
	ephemeral_range(&lo, &hi);
	if (next < 0)
		next = sc->env->port_cursor;
	for (i = 0; i < span; i++) {
		int port = sc->env->port_lo + (next - sc->env->port_lo + i) % span;

		if (port >= lo && port <= hi)
			continue;
		if (!port_free(port))
			continue;
		next = sc->env->port_lo + (port - sc->env->port_lo + 1) % span;
		ports = realloc(sc->ports, sizeof(*ports) * (size_t)(sc->nports + 1));
		if (!ports)
			return -1;
		sc->ports = ports;
		ports[sc->nports].name = strdup(name);
		ports[sc->nports].port = port;
		sc->nports++;
		return port;
	}
	return -1;
}

static int is_name_char(int c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.';
}

/* Expands the placeholders of s[0..n) into out. Returns 0, or -1 with err
 * filled when a port cannot be allocated.
 */
static int expand(struct px_script *sc, const char *s, size_t n,
		  struct tk_buf *out, struct tk_buf *err)
{
	size_t i = 0;

	while (i < n) {
		const char *open = memmem(s + i, n - i, "{{", 2);
		const char *close;
		char name[128];
		size_t nl, k, skip;
		int port;

		if (!open) {
			tk_buf_add(out, s + i, n - i);
			break;
		}
		tk_buf_add(out, s + i, (size_t)(open - s - i));
		i = (size_t)(open - s);
		close = memmem(open + 2, n - i - 2, "}}", 2);
		nl = close ? (size_t)(close - open - 2) : 0;
		/* {{ns:NAME}}: the name characters start after "ns:" */
		skip = nl > 3 && !memcmp(open + 2, "ns:", 3) ? 3 : 0;
		for (k = skip; k < nl && is_name_char((unsigned char)open[2 + k]); k++)
			;
		if (!close || nl == 0 || k != nl || nl >= sizeof(name)) {
			tk_buf_add(out, "{{", 2);   /* not a placeholder: keep it */
			i += 2;
			continue;
		}
		memcpy(name, open + 2, nl);
		name[nl] = '\0';
		i += nl + 4;
		if (strcmp(name, "tmp") == 0) {
			tk_buf_adds(out, sc->env->tmp);
		} else if (strcmp(name, "dir") == 0) {
			tk_buf_adds(out, sc->dir);
		} else if (strcmp(name, "root") == 0) {
			tk_buf_adds(out, sc->env->root);
		} else if (strcmp(name, "certs") == 0) {
			tk_buf_adds(out, sc->env->certs);
		} else if (skip) {
			char real[160];
			struct px_ns_use *u = realloc(sc->ns_uses,
						      sizeof(*u) * (size_t)(sc->nns_uses + 1));

			if (!u || px_netns_real(getpid(), name + 3, real, sizeof(real)) < 0) {
				tk_buf_printf(err, "bad namespace placeholder {{%s}}", name);
				return -1;
			}
			sc->ns_uses = u;
			u[sc->nns_uses].name = strdup(name + 3);
			u[sc->nns_uses++].lineno = sc->parse_line;
			tk_buf_adds(out, real);
		} else {
			port = px_port_get(sc, name);
			if (port < 0) {
				tk_buf_printf(err, "no free port left for {{%s}}", name);
				return -1;
			}
			tk_buf_printf(out, "%d", port);
		}
	}
	return 0;
}

/* If a bare word at p is a /regex/flags, returns the end of it and sets
 * the pattern span and flags; else returns NULL. A slash ends the pattern
 * only when followed by flags and then blank or end of line, so "/a/b/"
 * is one pattern; "\/" never ends it.
 */
static const char *scan_regex(const char *p, const char *end, const char **pat_end,
			      int *caseless)
{
	const char *q;

	for (q = p + 1; q < end; q++) {
		const char *r;

		if (*q == '\\' && q + 1 < end) {
			q++;
			continue;
		}
		if (*q != '/')
			continue;
		for (r = q + 1; r < end && isalpha((unsigned char)*r); r++)
			;
		if (r < end && !isspace((unsigned char)*r))
			continue;
		*caseless = memchr(q + 1, 'i', (size_t)(r - q - 1)) != NULL;
		*pat_end = q;
		return r;
	}
	return NULL;
}

/* Splits one line into arguments (see the file comment). Returns 0, or -1
 * with err filled.
 */
static int tokenize(struct px_script *sc, const char *p, const char *end,
		    struct px_arg **argv, int *argc, struct tk_buf *err)
{
	struct tk_buf raw = { 0 };
	int rc = -1;

	*argv = NULL;
	*argc = 0;
	for (;;) {
		struct px_arg a = { 0 };
		struct tk_buf val = { 0 };
		struct px_arg *nv;
		const char *pat_end, *re_end;

		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p >= end)
			break;
		tk_buf_reset(&raw);
		if (*p == '/' && (re_end = scan_regex(p, end, &pat_end, &a.caseless))) {
			a.regex = 1;
			tk_buf_add(&raw, p + 1, (size_t)(pat_end - p - 1));
			p = re_end;
		} else {
			while (p < end && !isspace((unsigned char)*p)) {
				const char *q;

				if (*p == '"') {
					for (q = p + 1; q < end && *q != '"'; q++)
						if (*q == '\\' && q + 1 < end)
							q++;
					if (q >= end) {
						tk_buf_adds(err, "unterminated \"string\"");
						goto fail;
					}
					{
						const char *e = NULL;

						if (tk_unescape(p + 1, (size_t)(q - p - 1), &raw, &e) < 0) {
							tk_buf_adds(err, e);
							goto fail;
						}
					}
					p = q + 1;
				} else if (*p == '\'') {
					q = memchr(p + 1, '\'', (size_t)(end - p - 1));
					if (!q) {
						tk_buf_adds(err, "unterminated 'string'");
						goto fail;
					}
					tk_buf_add(&raw, p + 1, (size_t)(q - p - 1));
					p = q + 1;
				} else {
					tk_buf_addc(&raw, *p++);
				}
			}
		}
		if (expand(sc, raw.data ? raw.data : "", raw.len, &val, err) < 0)
			goto fail;
		if (!val.data)
			tk_buf_add(&val, "", 0);
		a.s = val.data;
		a.len = val.len;
		nv = realloc(*argv, sizeof(**argv) * (size_t)(*argc + 1));
		if (!nv) {
			tk_buf_free(&val);
			goto fail;
		}
		*argv = nv;
		(*argv)[(*argc)++] = a;
	}
	rc = 0;
fail:
	tk_buf_free(&raw);
	return rc;
}

/* Returns the namespace file named by a "namespace NAME" keyword on the
 * bind line [p, eol), or NULL when it has none (the listener is in
 * proxyd's own namespace). NAME is {{ns:X}} (a namespace of the scenario)
 * or a namespace that ip(8) knows by that name.
 */
static char *bind_namespace(const char *p, const char *eol)
{
	char *path = NULL;
	int after_kw = 0;

	while (p < eol) {
		const char *w;

		while (p < eol && isspace((unsigned char)*p))
			p++;
		w = p;
		while (p < eol && !isspace((unsigned char)*p))
			p++;
		if (p == w)
			break;
		if (after_kw) {
			char real[160];

			if (p - w > 7 && !memcmp(w, "{{ns:", 5) && !memcmp(p - 2, "}}", 2)) {
				char name[128];

				snprintf(name, sizeof(name), "%.*s", (int)(p - w - 7), w + 5);
				if (px_netns_real(getpid(), name, real, sizeof(real)) < 0)
					return NULL;
			} else {
				snprintf(real, sizeof(real), "%.*s", (int)(p - w), w);
			}
			if (asprintf(&path, "%s/%s", PX_NETNS_DIR, real) < 0)
				path = NULL;
			return path;
		}
		after_kw = p - w == 9 && !memcmp(w, "namespace", 9);
	}
	return NULL;
}

/* Collects the port placeholders used on "bind" lines of a proxyd config,
 * so the proxyd step knows which listeners to wait for, and where: a
 * "namespace" keyword on the line puts the listener in that namespace.
 */
static int collect_bind_ports(struct px_script *sc, struct px_step *st,
			      const char *text, size_t n)
{
	const char *p = text, *end = text + n;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *q = p, *o;

		if (!eol)
			eol = end;
		while (q < eol && isspace((unsigned char)*q))
			q++;
		if (eol - q > 5 && memcmp(q, "bind", 4) == 0 && isspace((unsigned char)q[4])) {
			for (o = q; (o = memmem(o, (size_t)(eol - o), "{{", 2)); o += 2) {
				const char *c = memmem(o, (size_t)(eol - o), "}}", 2);
				char name[128], **bn;
				size_t nl = c ? (size_t)(c - o - 2) : 0;
				int port, *bp;

				if (!c || !nl || nl >= sizeof(name))
					continue;
				memcpy(name, o + 2, nl);
				name[nl] = '\0';
				if (!strcmp(name, "tmp") || !strcmp(name, "dir") || !strcmp(name, "root") ||
				    !strcmp(name, "certs") || !strncmp(name, "ns:", 3))
					continue;
				port = px_port_get(sc, name);
				if (port < 0)
					return -1;
				bp = realloc(st->bind_ports, sizeof(int) * (size_t)(st->nbind_ports + 1));
				if (!bp)
					return -1;
				st->bind_ports = bp;
				bn = realloc(st->bind_ns, sizeof(*bn) * (size_t)(st->nbind_ports + 1));
				if (!bn)
					return -1;
				st->bind_ns = bn;
				bn[st->nbind_ports] = bind_namespace(q, eol);
				bp[st->nbind_ports++] = port;
			}
		}
		p = eol + 1;
	}
	return 0;
}

/* Finds a trailing "<<WORD" on a line: returns the word's start (the
 * line then ends before it) or NULL.
 */
static const char *heredoc_marker(const char *p, const char **end)
{
	const char *e = *end, *w;

	while (e > p && isspace((unsigned char)e[-1]))
		e--;
	w = e;
	while (w > p && !isspace((unsigned char)w[-1]))
		w--;
	if (e - w < 3 || w[0] != '<' || w[1] != '<')
		return NULL;
	for (const char *c = w + 2; c < e; c++)
		if (!isalnum((unsigned char)*c) && *c != '_')
			return NULL;
	*end = w;
	return w + 2;
}

/* Parses the scenario at path. Returns it, or NULL with err filled as
 * "FILE:LINE: message".
 */
struct px_script *px_script_load(const char *path, const struct px_env *env,
				 struct tk_buf *err)
{
	struct px_script *sc = calloc(1, sizeof(*sc));
	struct tk_buf text = { 0 }, msg = { 0 };
	char block[65536], *dcopy;
	const char *p, *end;
	int fd, lineno = 0;
	ssize_t r;

	if (!sc)
		return NULL;
	sc->path = path;
	sc->env = env;
	sc->timeout_us = PX_DEFAULT_TIMEOUT;
	dcopy = strdup(path);
	sc->dir = realpath(dirname(dcopy), NULL);
	free(dcopy);
	if (!sc->dir)
		sc->dir = strdup(".");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		tk_buf_printf(err, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	while ((r = read(fd, block, sizeof(block))) > 0)
		tk_buf_add(&text, block, (size_t)r);
	close(fd);
	p = text.data ? text.data : "";
	end = p + text.len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le, *q, *hd;
		struct px_arg *argv;
		struct px_step *st;
		int argc, cont;

		if (!eol)
			eol = end;
		le = eol;
		if (le > p && le[-1] == '\r')
			le--;
		lineno++;
		sc->parse_line = lineno;
		q = p;
		while (q < le && isspace((unsigned char)*q))
			q++;
		if (q == le || *q == '#') {
			p = eol + 1;
			continue;
		}
		cont = q != p;
		if (cont && !sc->nsteps) {
			tk_buf_adds(&msg, "indented line with no command before it");
			goto fail;
		}
		hd = heredoc_marker(q, &le);
		st = cont ? &sc->steps[sc->nsteps - 1] : NULL;
		if (!cont) {
			const char *w = q;
			char word[64];

			while (w < le && !isspace((unsigned char)*w))
				w++;
			if ((size_t)(w - q) >= sizeof(word)) {
				tk_buf_adds(&msg, "unknown command");
				goto fail;
			}
			memcpy(word, q, (size_t)(w - q));
			word[w - q] = '\0';
			st = realloc(sc->steps, sizeof(*st) * (size_t)(sc->nsteps + 1));
			if (!st)
				goto fail;
			sc->steps = st;
			st = &sc->steps[sc->nsteps++];
			memset(st, 0, sizeof(*st));
			st->lineno = lineno;
			st->cmd = find_cmd(word);
			if (!st->cmd) {
				tk_buf_printf(&msg, "unknown command '%s'", word);
				goto fail;
			}
			if (st->cmd->raw_rest) {
				struct tk_buf rest = { 0 };

				while (w < le && isspace((unsigned char)*w))
					w++;
				if (expand(sc, w, (size_t)(le - w), &rest, &msg) < 0)
					goto fail;
				st->rest = rest.data ? rest.data : strdup("");
				le = w;   /* only the command word is tokenized */
			}
		} else if (st->cmd->raw_rest) {
			struct tk_buf rest = { 0 };

			tk_buf_adds(&rest, st->rest);
			tk_buf_addc(&rest, ' ');
			if (expand(sc, q, (size_t)(le - q), &rest, &msg) < 0)
				goto fail;
			free(st->rest);
			st->rest = rest.data;
			le = q;
		}
		if (tokenize(sc, q, le, &argv, &argc, &msg) < 0)
			goto fail;
		if (cont && st->cmd->opts) {
			struct px_optline *ol = realloc(st->opts, sizeof(*ol) * (size_t)(st->nopts + 1));

			if (!ol)
				goto fail;
			st->opts = ol;
			ol[st->nopts].lineno = lineno;
			ol[st->nopts].argv = argv;
			ol[st->nopts].argc = argc;
			st->nopts++;
		} else if (cont) {
			struct px_arg *nv = realloc(st->argv, sizeof(*nv) * (size_t)(st->argc + argc));

			if (!nv)
				goto fail;
			memcpy(nv + st->argc, argv, sizeof(*nv) * (size_t)argc);
			st->argv = nv;
			st->argc += argc;
			free(argv);
		} else {
			st->argv = argv;
			st->argc = argc;
		}
		p = eol + 1;
		if (hd) {
			size_t wl = strspn(hd, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
			int start = lineno;
			struct tk_buf body = { 0 };
			int closed = 0;

			if (!st->cmd->heredoc) {
				tk_buf_printf(&msg, "'%s' takes no <<heredoc", st->cmd->name);
				goto fail;
			}
			while (p < end) {
				const char *e2 = memchr(p, '\n', (size_t)(end - p));
				const char *l2;

				if (!e2)
					e2 = end;
				l2 = e2;
				if (l2 > p && l2[-1] == '\r')
					l2--;
				lineno++;
				if ((size_t)(l2 - p) == wl && memcmp(p, hd, wl) == 0) {
					closed = 1;
					p = e2 + 1;
					break;
				}
				tk_buf_add(&body, p, (size_t)(l2 - p));
				tk_buf_addc(&body, '\n');
				p = e2 + 1;
			}
			if (!closed) {
				lineno = start;
				tk_buf_printf(&msg, "heredoc <<%.*s is never closed", (int)wl, hd);
				goto fail;
			}
			if (!body.data)
				tk_buf_add(&body, "", 0);
			if (strcmp(st->cmd->name, "proxyd") == 0 &&
			    collect_bind_ports(sc, st, body.data, body.len) < 0) {
				tk_buf_adds(&msg, "no free port left");
				goto fail;
			}
			sc->parse_line = start;
			if (expand(sc, body.data, body.len, &st->heredoc, &msg) < 0)
				goto fail;
			if (!st->heredoc.data)
				tk_buf_add(&st->heredoc, "", 0);
			st->has_heredoc = 1;
			tk_buf_free(&body);
		}
	}
	/* Argument counts are checked once the option lines are all in. */
	for (int i = 0; i < sc->nsteps; i++) {
		struct px_step *st = &sc->steps[i];
		int nargs = st->argc - 1;

		lineno = st->lineno;
		if (nargs < st->cmd->min_args ||
		    (st->cmd->max_args >= 0 && nargs > st->cmd->max_args)) {
			tk_buf_printf(&msg, "'%s' takes %d to %d arguments, got %d", st->cmd->name,
				      st->cmd->min_args, st->cmd->max_args, nargs);
			goto fail;
		}
		if (st->cmd->heredoc == 2 && !st->has_heredoc) {
			tk_buf_printf(&msg, "'%s' needs a <<END heredoc", st->cmd->name);
			goto fail;
		}
		if (strcmp(st->cmd->name, "name") == 0 && !sc->name)
			sc->name = st->rest;
		if (strcmp(st->cmd->name, "timeout") == 0 &&
		    (st->argc != 2 || tk_parse_duration(st->argv[1].s, &sc->timeout_us) < 0)) {
			tk_buf_adds(&msg, "timeout needs a duration (e.g. 30s)");
			goto fail;
		}
	}
	/* Every {{ns:NAME}} names a namespace some netns step makes. */
	for (int u = 0; u < sc->nns_uses; u++) {
		int found = 0;

		for (int i = 0; i < sc->nsteps && !found; i++) {
			const struct px_step *st = &sc->steps[i];

			if (strcmp(st->cmd->name, "netns"))
				continue;
			for (int k = 1; k < st->argc && !found; k++)
				found = !strcmp(st->argv[k].s, sc->ns_uses[u].name);
		}
		if (!found) {
			lineno = sc->ns_uses[u].lineno;
			tk_buf_printf(&msg, "{{ns:%s}}: no 'netns %s' step makes that namespace",
				      sc->ns_uses[u].name, sc->ns_uses[u].name);
			goto fail;
		}
	}
	tk_buf_free(&text);
	return sc;
fail:
	tk_buf_printf(err, "%s:%d: %s", path, lineno, msg.data ? msg.data : "out of memory");
	tk_buf_free(&msg);
	tk_buf_free(&text);
	return NULL;
}

/* Gives the pattern of a regex argument, written /.../flags or as a quoted
 * string holding "/.../flags". Returns 0, or -1 when it is not a regex.
 */
int px_arg_regex(const struct px_arg *a, const char **pat, int *caseless)
{
	static struct tk_buf copy;
	const char *last;

	if (a->regex) {
		*pat = a->s;
		*caseless = a->caseless;
		return 0;
	}
	if (a->len < 2 || a->s[0] != '/')
		return -1;
	last = strrchr(a->s, '/');
	if (last == a->s || strspn(last + 1, "imsx") != strlen(last + 1))
		return -1;
	tk_buf_reset(&copy);
	tk_buf_add(&copy, a->s + 1, (size_t)(last - a->s - 1));
	*pat = tk_buf_str(&copy);
	*caseless = strchr(last + 1, 'i') != NULL;
	return 0;
}
