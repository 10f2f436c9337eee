/* Types of sample expressions: a fetch (a value taken from the session,
 * the request or the response) followed by converters, as HAProxy writes
 * them: "req.hdr(host),lower,map(hosts.map,none)".
 */
#ifndef PX_RULES_SAMPLE_T_H
#define PX_RULES_SAMPLE_T_H

#include <netinet/in.h>
#include <stdint.h>

enum px_smp_type {
	PX_SMP_BOOL = 0,     /* u.sint is 0 or 1 */
	PX_SMP_SINT,         /* signed 64-bit integer */
	PX_SMP_IPV4,
	PX_SMP_IPV6,
	PX_SMP_STR,          /* text (u.str) */
	PX_SMP_BIN,          /* bytes (u.str) */
	PX_SMP_ANY,          /* in keyword tables: accepts or returns any type */
};

/* Sample flags. */
#define PX_SMPF_CONST 0x01   /* u.str points to bytes that must not be written */

struct px_smp {
	uint8_t type;            /* enum px_smp_type */
	uint8_t flags;           /* PX_SMPF_* */
	union {
		int64_t sint;
		struct in_addr v4;
		struct in6_addr v6;
		struct {
			char *p;
			uint32_t len;
		} str;
	} u;
};

/* Arguments of fetches and converters, parsed at configuration time. */
enum px_arg_type {
	PX_ARG_NONE = 0,
	PX_ARG_STR,              /* u.str (NUL-terminated as well) */
	PX_ARG_SINT,             /* u.sint */
	PX_ARG_REGEX,            /* u.re */
	PX_ARG_BE,               /* u.px: a backend, resolved after parsing */
	PX_ARG_PTR,              /* u.ptr: built by a keyword's check function */
};

struct px_regex;
struct px_proxy;

struct px_arg {
	uint8_t type;            /* enum px_arg_type */
	union {
		int64_t sint;
		struct {
			char *p;
			uint32_t len;
			uint32_t h;      /* px_hmsg_name_hash(), for header names */
		} str;
		struct px_regex *re;
		struct px_proxy *px;
		void *ptr;
	} u;
};

#define PX_SMP_MAX_ARGS 5

/* Where a sample may be taken: the phases of a stream. */
#define PX_USE_CONN    0x01  /* connection-level: available everywhere */
#define PX_USE_REQ     0x02  /* request head being analysed */
#define PX_USE_RES     0x04  /* response head being analysed */
#define PX_USE_LOG     0x08  /* log line (request and response are gone) */
#define PX_USE_ANY     (PX_USE_CONN | PX_USE_REQ | PX_USE_RES | PX_USE_LOG)

struct px_stream;
struct px_sess;
struct px_hmsg;

/* What a fetch looks at. <req>/<res> are the heads being analysed, or NULL
 * outside of their phase.
 */
struct px_smp_ctx {
	struct px_sess *sess;
	struct px_stream *s;         /* NULL for connection-level rules */
	struct px_hmsg *req;
	struct px_hmsg *res;
	unsigned phase;              /* PX_USE_REQ, PX_USE_RES or PX_USE_LOG */
	/* ACL matching asks for every occurrence of a multi-valued fetch
	 * (header values, cookies): with <multi> set, a fetch returns them
	 * one per call and sets <more> to be called again; the call after the
	 * last value returns 0.
	 */
	uint8_t multi;
	uint8_t more;
	int it_idx;                  /* cursor: field index, -1 before the first */
	uint32_t it_pos;             /* cursor: offset in that field's value */
};

/* Fetch and converter functions return 1 with <smp> set, or 0 when there is
 * no value (a missing header: the ACL does not match, the format prints
 * nothing or "-").
 */
typedef int (*px_fetch_fn)(const struct px_arg *args, struct px_smp *smp,
                           struct px_smp_ctx *ctx);
typedef int (*px_conv_fn)(const struct px_arg *args, struct px_smp *smp,
                          struct px_smp_ctx *ctx);

struct px_cfg_ctx;

/* Validates and prepares arguments once parsed (may replace a PX_ARG_STR by
 * a PX_ARG_PTR to a structure it builds from the generation's memory).
 * Returns 0, or -1 with a message in <err>.
 */
typedef int (*px_arg_check_fn)(struct px_arg *args, int nargs,
                               struct px_cfg_ctx *ctx, char **err);

/* Argument specifications are strings of letters, one per argument:
 * 's' string, 'i' integer, 'r' regular expression (case-sensitive unless
 * the check function says otherwise), 'b' backend name; a '?' makes the
 * following arguments optional. "" means no argument.
 */
struct px_fetch_kw {
	const char *name;
	px_fetch_fn fn;
	const char *args;
	px_arg_check_fn check;
	uint8_t out;                 /* enum px_smp_type returned */
	unsigned use;                /* PX_USE_* where it is valid */
};

struct px_conv_kw {
	const char *name;
	px_conv_fn fn;
	const char *args;
	px_arg_check_fn check;
	uint8_t in;                  /* type wanted (the input is cast to it) */
	uint8_t out;                 /* type returned */
};

struct px_fetch_kw_list {
	struct px_fetch_kw_list *next;
	const struct px_fetch_kw *kws;   /* ends with an entry without name */
};

struct px_conv_kw_list {
	struct px_conv_kw_list *next;
	const struct px_conv_kw *kws;
};

/* A compiled expression: a fetch and its converters. */
struct px_conv_call {
	const struct px_conv_kw *kw;
	struct px_arg args[PX_SMP_MAX_ARGS];
	int nargs;
};

struct px_expr {
	const struct px_fetch_kw *fetch;
	struct px_arg args[PX_SMP_MAX_ARGS];
	int nargs;
	int nconv;
	struct px_conv_call conv[];
};

#endif
