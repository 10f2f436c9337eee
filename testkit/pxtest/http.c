/* http.c: the request step, an HTTP/1.x client built on libcurl.
 *
 * Owns: turning a request step and its option lines into one libcurl
 * transfer on a fresh connection (no reuse across steps, no proxy from
 * the environment, no redirects, no automatic "Expect: 100-continue" or
 * form Content-Type), streaming request bodies from a string, a file or
 * the generated pattern, and keeping the response as the current result:
 * the head as received, the first PX_KEEP_MAX body bytes, its size and
 * running hash. For https URLs, the server is verified only when a "ca"
 * option names the CAs to trust, and "resolve NAME" sends a name (SNI,
 * Host) to 127.0.0.1. "netns NS" puts the client in a network namespace of
 * the scenario: its socket is made there (libcurl's open-socket hook), the
 * rest of the transfer runs here as usual. What is then checked is
 * expect.c's business.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "pxtest.h"
#include "tkstr.h"

/* Where an upload's bytes come from. */
enum up_src {
	UP_NONE = 0,         /* no request body */
	UP_STRING,           /* body "..." */
	UP_FILE,             /* body-file PATH */
	UP_GEN,              /* body-size N: the a..z pattern */
};

struct req {
	struct px_result *res;
	struct tk_buf hdr;           /* head of the response being received */
	enum up_src src;
	const char *data;
	int fd;
	uint64_t len, off;
	int http10, expect100, chunked_hdr, has_ctype;
	int64_t timeout_us;
	struct curl_slist *headers;
	const char *ca, *cert, *key;     /* https: CAs to verify with, client cert */
	const char *resolve;             /* a name to resolve to 127.0.0.1 */
	struct curl_slist *resolves;     /* its CURLOPT_RESOLVE entry */
	const struct px_netns *netns;    /* where the client's socket is */
	int netns_errno;                 /* why it could not be made there */
};

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct req *rq = arg;

	n *= size;
	/* A new status line starts a new response (after 1xx ones). */
	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0)
		tk_buf_reset(&rq->hdr);
	tk_buf_add(&rq->hdr, p, n);
	return n;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct px_result *r = ((struct req *)arg)->res;

	n *= size;
	if (r->body.len < PX_KEEP_MAX) {
		size_t keep = PX_KEEP_MAX - r->body.len;

		tk_buf_add(&r->body, p, n < keep ? n : keep);
	}
	r->body_size += n;
	r->body_hash = tk_hash(r->body_hash, p, n);
	return n;
}

static size_t on_read(char *dst, size_t size, size_t n, void *arg)
{
	struct req *rq = arg;
	size_t want = size * n;
	uint64_t left = rq->len - rq->off;
	ssize_t r;

	if (want > left)
		want = (size_t)left;
	if (!want)
		return 0;
	switch (rq->src) {
	case UP_STRING:
		memcpy(dst, rq->data + rq->off, want);
		break;
	case UP_GEN:
		tk_gen_fill(dst, rq->off, want);
		break;
	case UP_FILE:
		r = pread(rq->fd, dst, want, (off_t)rq->off);
		if (r <= 0)
			return CURL_READFUNC_ABORT;
		want = (size_t)r;
		break;
	case UP_NONE:
		return 0;
	}
	rq->off += want;
	return want;
}

/* Applies one option line. Returns 0 or -1 (step failed). */
static int apply_opt(struct px_ctx *ctx, struct req *rq, const struct px_optline *ol)
{
	const char *o = ol->argv[0].s;
	const struct px_arg *v = ol->argc > 1 ? &ol->argv[1] : NULL;
	int nargs = ol->argc - 1;

	if (!strcmp(o, "header") && nargs == 1) {
		if (!strncasecmp(v->s, "transfer-encoding:", 18) && strcasestr(v->s, "chunked"))
			rq->chunked_hdr = 1;
		if (!strncasecmp(v->s, "content-type:", 13))
			rq->has_ctype = 1;
		if (!strncasecmp(v->s, "expect:", 7))
			rq->expect100 = -1;   /* the user decides */
		rq->headers = curl_slist_append(rq->headers, v->s);
	} else if (!strcmp(o, "body") && nargs == 1) {
		rq->src = UP_STRING;
		rq->data = v->s;
		rq->len = v->len;
	} else if (!strcmp(o, "body-file") && nargs == 1) {
		char full[4096];
		off_t end;

		if (v->s[0] == '/')
			snprintf(full, sizeof(full), "%s", v->s);
		else
			snprintf(full, sizeof(full), "%s/%s", ctx->env->tmp, v->s);
		rq->fd = open(full, O_RDONLY | O_CLOEXEC);
		if (rq->fd < 0 || (end = lseek(rq->fd, 0, SEEK_END)) < 0)
			return px_fail(ctx, "line %d: cannot open %s: %s", ol->lineno, full,
				       strerror(errno));
		rq->src = UP_FILE;
		rq->len = (uint64_t)end;
	} else if (!strcmp(o, "body-size") && nargs == 1) {
		if (px_get_uint(ctx, v, &rq->len) < 0)
			return -1;
		rq->src = UP_GEN;
	} else if (!strcmp(o, "http1.0") && nargs == 0) {
		rq->http10 = 1;
	} else if (!strcmp(o, "expect-100") && nargs == 0) {
		if (rq->expect100 == 0)
			rq->expect100 = 1;
	} else if (!strcmp(o, "timeout") && nargs == 1) {
		if (px_get_dur(ctx, v, &rq->timeout_us) < 0)
			return -1;
	} else if (!strcmp(o, "ca") && nargs == 1) {
		rq->ca = v->s;
	} else if (!strcmp(o, "cert") && nargs == 1) {
		rq->cert = v->s;
	} else if (!strcmp(o, "key") && nargs == 1) {
		rq->key = v->s;
	} else if (!strcmp(o, "resolve") && nargs == 1) {
		rq->resolve = v->s;
	} else if (!strcmp(o, "netns") && nargs == 1) {
		rq->netns = px_netns_find(ctx, v->s);
		if (!rq->netns)
			return px_fail(ctx, "line %d: no network namespace '%s' (make it first with "
				       "'netns %s')", ol->lineno, v->s, v->s);
	} else {
		return px_fail(ctx, "line %d: unknown request option '%s' (header, body, body-file, "
			       "body-size, http1.0, expect-100, timeout, ca, cert, key, resolve, "
			       "netns)", ol->lineno, o);
	}
	return 0;
}

/* libcurl's open-socket hook for "netns NS": the socket is made in NS. */
static curl_socket_t open_in_netns(void *arg, curlsocktype purpose,
				   struct curl_sockaddr *addr)
{
	struct req *rq = arg;
	int fd = px_netns_socket(rq->netns->path, addr->family, addr->socktype | SOCK_CLOEXEC,
				 addr->protocol);

	if (fd < 0) {
		rq->netns_errno = errno;
		return CURL_SOCKET_BAD;
	}
	return fd;
}

static int step_request(struct px_ctx *ctx, const struct px_step *st)
{
	static int curl_ready;
	const char *method = st->argv[1].s, *url = st->argv[2].s;
	struct px_result *r = &ctx->res;
	struct req rq = { .res = r, .fd = -1, .timeout_us = 10000000 };
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *h;
	CURLcode rc;
	int64_t t0, remaining;
	int i, ret = -1;

	if (!curl_ready) {
		curl_global_init(CURL_GLOBAL_ALL);
		curl_ready = 1;
	}
	px_result_reset(r, PX_RES_HTTP, "request", st->lineno);
	for (i = 0; i < st->nopts; i++)
		if (apply_opt(ctx, &rq, &st->opts[i]) < 0)
			goto out;
	h = curl_easy_init();
	if (!h) {
		px_fail(ctx, "curl_easy_init failed");
		goto out;
	}
	if (rq.expect100 >= 0)
		rq.headers = curl_slist_append(rq.headers, rq.expect100 ? "Expect: 100-continue" : "Expect:");
	if (rq.src != UP_NONE && !rq.has_ctype)
		rq.headers = curl_slist_append(rq.headers, "Content-Type:");
	remaining = ctx->deadline - tk_now_us();
	ctx->deadline_hit = 0;
	if (rq.timeout_us > remaining) {
		rq.timeout_us = remaining > 1000 ? remaining : 1000;
		ctx->deadline_hit = 1;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)((rq.timeout_us + 999) / 1000));
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION,
			 rq.http10 ? CURL_HTTP_VERSION_1_0 : CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &rq);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &rq);
	if (!strcmp(method, "HEAD"))
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	if (rq.src != UP_NONE) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, &rq);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				 rq.chunked_hdr ? (curl_off_t)-1 : (curl_off_t)rq.len);
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD") &&
	    (rq.src == UP_NONE || strcmp(method, "POST")))
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	else if (!strcmp(method, "GET") && rq.src != UP_NONE)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "GET");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, rq.headers);
	if (rq.netns) {
		curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_in_netns);
		curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &rq);
	}
	if (rq.ca) {
		curl_easy_setopt(h, CURLOPT_CAINFO, rq.ca);
		curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	} else {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (rq.cert) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, rq.cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, rq.key ? rq.key : rq.cert);
	}
	if (rq.resolve) {
		CURLU *u = curl_url();
		char *port = NULL, entry[512];

		if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
		    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
			curl_url_cleanup(u);
			curl_easy_cleanup(h);
			px_fail(ctx, "request: 'resolve' needs a URL curl can parse: %s", url);
			goto out;
		}
		snprintf(entry, sizeof(entry), "%s:%s:127.0.0.1", rq.resolve, port);
		rq.resolves = curl_slist_append(NULL, entry);
		curl_easy_setopt(h, CURLOPT_RESOLVE, rq.resolves);
		curl_free(port);
		curl_url_cleanup(u);
	}

	px_trace(ctx, "request %s %s%s%s", method, url, rq.netns ? " from " : "",
		 rq.netns ? rq.netns->real : "");
	t0 = tk_now_us();
	rc = curl_easy_perform(h);
	r->took_us = tk_now_us() - t0;
	curl_easy_cleanup(h);
	if (rq.hdr.len)
		px_result_set_head(r, rq.hdr.data, rq.hdr.len);
	/* raw for a request result: the head as received + the decoded body */
	tk_buf_add(&r->raw, r->head.data ? r->head.data : "", r->head.len);
	tk_buf_add(&r->raw, r->body.data ? r->body.data : "",
		   r->body.len < PX_KEEP_MAX - r->raw.len ? r->body.len : PX_KEEP_MAX - r->raw.len);
	r->raw_size = r->head.len + r->body_size;
	if (rq.netns_errno) {
		px_fail(ctx, "request: cannot make a socket in network namespace %s: %s",
			rq.netns->real, strerror(rq.netns_errno));
		goto out;
	}
	if (rc != CURLE_OK) {
		r->curl_code = (int)rc;
		snprintf(r->curl_err, sizeof(r->curl_err), "%s", errbuf[0] ? errbuf :
			 curl_easy_strerror(rc));
		px_trace(ctx, "request: curl error %d: %s (after %s)", (int)rc, r->curl_err,
			 px_when(ctx, 0, r->took_us));
		if (rc == CURLE_OPERATION_TIMEDOUT && ctx->deadline_hit) {
			px_fail(ctx, "request %s %s: no complete response before the end", method, url);
			goto out;
		}
	} else {
		px_trace(ctx, "request: %d, %llu body bytes in %s", r->have_head ? r->msg.status : 0,
			 (unsigned long long)r->body_size, px_when(ctx, 0, r->took_us));
	}
	ret = 0;
out:
	curl_slist_free_all(rq.headers);
	curl_slist_free_all(rq.resolves);
	if (rq.fd >= 0)
		close(rq.fd);
	tk_buf_free(&rq.hdr);
	return ret;
}

const struct px_cmd px_cmds_http[] = {
	{ .name = "request", .min_args = 2, .max_args = 2, .opts = 1, .run = step_request },
	{ .name = NULL },
};
