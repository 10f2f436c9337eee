/* Running the rules of a stream: http-request, legacy req*, redirect and
 * use_backend rules on the request; http-response, legacy rsp*, cookie
 * persistence and http-after-response on the response.
 */
#ifndef PX_RULES_RULES_H
#define PX_RULES_RULES_H

#include "rules/rules-t.h"

struct px_stream;
struct px_hmsg;
struct px_cfg_ctx;

/* State of one rules pass. */
struct px_rules_run {
	struct px_smp_ctx sctx;
	struct px_hmsg *hm;            /* the head being edited */
	struct px_proxy *px;           /* proxy whose rules run */
	int dir;                       /* PX_USE_REQ or PX_USE_RES */
	int after;                     /* http-after-response rules */
	int can_yield;                 /* an action may wait (Lua) */
	const struct px_rule *resume;  /* the rule to run again first */
	const struct px_rule *yielded; /* the rule that asked to wait */
};

/* A dry run of the rules ("trace request" on the command socket). While
 * px_trace_cur is set, each rule reports its condition and, when it runs,
 * the head before and after it; hit counters and traffic counters are left
 * alone.
 */
struct px_trace {
	void (*cond)(struct px_trace *t, const struct px_rule *r, int matched,
	             struct px_smp_ctx *ctx);
	void (*before)(struct px_trace *t, const struct px_rule *r, const struct px_hmsg *hm);
	void (*after)(struct px_trace *t, const struct px_rule *r, int ret,
	              const struct px_hmsg *hm);
	void (*backend)(struct px_trace *t, const struct px_rule *r, const struct px_proxy *be);
};

extern struct px_trace *px_trace_cur;

/* Request rules of the frontend then the backend; chooses s->be. Returns
 * 0 to go on, 1 when a local response was set (redirect, deny, return),
 * -1 on an internal error (answer 500), 2 when an action waits (Lua): the
 * stream calls it again when woken, and the rules go on from that rule.
 */
int px_rules_request(struct px_stream *s, struct px_hmsg *hm);

/* tcp-request content rules of a TCP mode frontend (tcp_act.c). Returns
 * 0 to go on, 1 when the connection is to be closed (reject, a Lua
 * action's deny/abort/done), -1 on an internal error, 2 when an action
 * waits (as px_rules_request()).
 */
int px_rules_tcp_content(struct px_stream *s);

/* use_backend for a TCP stream (conditions on the connection only). */
struct px_proxy *px_rules_tcp_backend(struct px_stream *s);

/* Response rules of the backend then the frontend, then cookie
 * persistence and http-after-response. Same return values (2 as well).
 */
int px_rules_response(struct px_stream *s, struct px_hmsg *req, struct px_hmsg *hm);

/* http-after-response rules applied to <hm>, a response proxyd made. */
void px_rules_after(struct px_stream *s, struct px_hmsg *hm);
int px_rules_have_after(const struct px_stream *s);

/* Checks and resolutions once every proxy is parsed. */
int px_rules_finalize(struct px_cfg_ctx *ctx);

/* Reports a header a rule would have made invalid (rate-limited). */
void px_rules_refused(const struct px_rule *r, const char *what);

/* Joins args into the rule's text, for "show rules". */
char *px_rules_text(struct px_cfg_ctx *ctx, char **args, int nargs);

/* Runs the rules of a list in order (conditions, hit counters, traces). */
enum px_act_ret px_rules_run_list(const struct px_rule_list *l, struct px_rules_run *run);

/* A rule of the line being parsed (args[0..nargs-1]): where it was
 * written and its text set, the rest zero; <*rules> is the rule lists of
 * the proxy being parsed. NULL with <err> set when out of memory.
 */
struct px_rules;
struct px_rule *px_rule_new(struct px_cfg_ctx *ctx, char **args, int nargs,
                            struct px_rules **rules, char **err);

/* Appends a rule to a list. */
void px_rule_append(struct px_rule_list *l, struct px_rule *r);

/* Header value or name a rule may emit: no CR, LF or NUL. */
int px_rules_value_ok(const char *p, size_t len);

/* Regex replacement in header values (replace-header / replace-value,
 * and Lua's rep_header / rep_value). See http_act.c.
 */
struct px_regex;
int px_hdr_replace(struct px_hmsg *hm, const char *name, uint32_t nlen, uint32_t nhash,
                   const struct px_regex *re, const char *repl, uint32_t rlen, int values,
                   const struct px_rule *r);

/* Request line rewrites (set-path, set-uri... and Lua's req_set_*).
 * Returns 0, -1 when out of room, -2 when the value is refused (<*why>
 * says which part would be invalid).
 */
enum px_sl_part {
	PX_SLP_PATH = 0,       /* the path, query kept */
	PX_SLP_PATHQ,          /* path and query */
	PX_SLP_URI,            /* the whole target */
	PX_SLP_QUERY,          /* the query, without '?' */
	PX_SLP_METHOD,         /* the method */
};
int px_req_set_target(struct px_hmsg *hm, int part, const char *v, uint32_t vl,
                      const char **why);

/* Captures: store <len> bytes into slot <c> of the stream. */
struct px_capture;
void px_capture_store(struct px_stream *s, const struct px_capture *c, const char *p,
                      size_t len);

#endif
