/* Types of ACLs, conditions and rules (see acl.h and rules.h). */
#ifndef PX_RULES_RULES_T_H
#define PX_RULES_RULES_T_H

#include <stdint.h>
#include "rules/sample-t.h"

/* ACL match methods (-m). */
enum px_match {
	PX_M_FOUND = 0, PX_M_BOOL, PX_M_INT, PX_M_IP, PX_M_STR, PX_M_BEG, PX_M_END,
	PX_M_SUB, PX_M_REG, PX_M_LEN, PX_M_DOM, PX_M_DIR,
};

/* One pattern of an ACL. Those read from a file (-f) carry the file's
 * index in the generation's registry (px_acl_file) and an id, so that the
 * command socket can list and edit them.
 */
struct px_pat {
	const char *txt;           /* as written (file patterns), or NULL */
	uint32_t id;               /* in its file, from 1; 0 for inline values */
	uint16_t src;              /* px_acl_file index + 1, 0: inline value */
	union {
		struct {
			char *p;
			uint32_t len;
		} str;
		struct px_regex *re;
		struct {
			int64_t min, max;
		} range;
		struct {
			int family;
			uint8_t addr[16];
			uint8_t mask[16];
		} ip;
	} u;
};

/* "FETCH[,CONV...] [-m M] [-i] VALUES...": one line of an ACL. */
struct px_acl_term {
	struct px_acl_term *next;
	struct px_expr *expr;
	uint8_t match;             /* enum px_match */
	uint8_t icase;
	uint8_t sorted;            /* str patterns sorted: binary search */
	uint32_t npats;
	uint32_t cap;              /* room in pats[] */
	struct px_pat *pats;
};

/* A pattern file used by ACLs (-f), as one generation loaded it: every
 * term that reads it, so that entries added or removed at run time reach
 * them all.
 */
struct px_acl_file {
	struct px_acl_file *next;
	char *path;                /* as written in the configuration */
	uint16_t idx;              /* its number, from 0 ("#0" on the socket) */
	struct px_acl_term **terms;
	uint32_t nterms;
	char *cfg_file;            /* where it is first used */
	int cfg_line;
	uint32_t next_id;          /* the id the next entry gets */
	int changed;               /* edited from the command socket */
};

/* A named (or anonymous) ACL: its lines are OR'd. */
struct px_acl {
	struct px_acl *next;
	char *name;                /* NULL for "{ ... }" */
	unsigned use;              /* PX_USE_* where every term is valid */
	struct px_acl_term *terms;
	struct px_acl_term **tail;
};

/* A condition: "if|unless A B or !C": OR of AND-ed (possibly negated)
 * ACL references.
 */
struct px_cond_ref {
	struct px_acl *acl;
	uint8_t neg;
};

struct px_cond_suite {
	uint32_t n;
	struct px_cond_ref *refs;
};

struct px_cond {
	uint8_t unless;
	uint32_t nsuites;
	struct px_cond_suite *suites;
};

struct px_logfmt;
struct px_rule;

/* What a rule's action returns. */
enum px_act_ret {
	PX_ACT_CONT = 0,           /* go on with the next rule */
	PX_ACT_STOP,               /* stop this rule list (allow) */
	PX_ACT_DONE,               /* a local response replaces the exchange */
	PX_ACT_ERR,                /* internal failure: answer 500 */
	PX_ACT_YIELD,              /* wait (Lua): run this rule again when woken */
};

struct px_rules_run;

typedef enum px_act_ret (*px_act_fn)(const struct px_rule *r, struct px_rules_run *run);

/* One rule: an http-request / http-response / http-after-response action,
 * a legacy reqrep-like line, a redirect or a use_backend.
 */
struct px_rule {
	struct px_rule *next;
	px_act_fn fn;
	struct px_cond *cond;
	char *file;
	int line;
	char *text;                /* the line as written, for "show rules" */
	uint32_t lid;              /* id of its line in the configuration text */
	uint64_t hits;             /* times the action ran */
	uint64_t refused;          /* rewrites refused (invalid result) */
	int64_t last_warn;         /* when a refusal was last reported (s) */
	/* Arguments; meaning depends on the action. */
	char *name;                /* header name, var name, backend name... */
	uint32_t nlen;
	uint32_t nhash;            /* px_hmsg_name_hash() of a header name */
	struct px_logfmt *fmt;     /* value format */
	struct px_logfmt *fmt2;
	struct px_regex *re;
	struct px_expr *expr;
	int64_t i1, i2;            /* status, code, flags, lengths */
	const void *ptr;           /* a backend, an errmsg... */
};

struct px_rule_list {
	struct px_rule *first;
	struct px_rule **tail;
};

/* Everything rule-related of a proxy. */
struct px_rules {
	struct px_acl *acls;
	struct px_rule_list http_req;      /* http-request, then legacy req* */
	struct px_rule_list legacy_req;    /* reqrep, reqdel, reqadd... */
	struct px_rule_list redirect;      /* "redirect" keyword */
	struct px_rule_list use_be;        /* use_backend */
	struct px_rule_list http_res;      /* http-response */
	struct px_rule_list legacy_res;    /* rsprep, rspdel, rspadd... */
	struct px_rule_list after_res;     /* http-after-response */
	struct px_rule_list tcp_req;       /* tcp-request content */
};

#endif
