/* Types of health checks (see check.h): the settings and state a server
 * keeps for its checks, and a backend's "option httpchk" / "http-check".
 */
#ifndef PX_BACKEND_CHECK_T_H
#define PX_BACKEND_CHECK_T_H

#include <stddef.h>
#include <stdint.h>
#include "core/ev-t.h"
#include "core/net-t.h"

struct px_proxy;
struct px_probe;
struct px_regex;

/* How a check ended. The log line names each as HAProxy does. */
enum px_chk_result {
	PX_CHK_NONE = 0,     /* no check completed yet */
	PX_CHK_L4OK,         /* connected (TCP check): "Layer4 check passed" */
	PX_CHK_L4TOUT,       /* connect timed out: "Layer4 timeout" */
	PX_CHK_L4CON,        /* connect failed: "Layer4 connection problem" */
	PX_CHK_SOCKERR,      /* error once connected: "Socket error" */
	PX_CHK_L7OK,         /* the expected response: "Layer7 check passed" */
	PX_CHK_L7TOUT,       /* no complete response in time: "Layer7 timeout" */
	PX_CHK_L7RSP,        /* no, invalid or unwanted response: "Layer7 invalid response" */
	PX_CHK_L7STS,        /* unexpected status: "Layer7 wrong status" */
	PX_CHK_L6OK,         /* TLS handshake done (TCP check): "Layer6 check passed" */
	PX_CHK_L6TOUT,       /* TLS handshake timed out: "Layer6 timeout" */
	PX_CHK_L6RSP,        /* TLS handshake failed: "Layer6 invalid response" */
};

/* What "http-check expect" tests. */
enum px_chk_expect {
	PX_EXP_DEFAULT = 0,  /* no rule: any 2xx or 3xx status passes */
	PX_EXP_STATUS,       /* the status is in a list of codes and ranges */
	PX_EXP_STRING,       /* the body contains a string */
	PX_EXP_RSTATUS,      /* the status code (three digits) matches a regex */
	PX_EXP_RSTRING,      /* the body matches a regex */
};

/* A status range of "http-check expect status". */
struct px_chk_range {
	uint16_t lo, hi;
};

/* "option httpchk" and the "http-check" lines of a section. A backend
 * shares the one of the defaults section it came from until it changes
 * something: then it works on its own copy (<owner> tells).
 */
struct px_httpchk {
	const struct px_proxy *owner;   /* section this copy belongs to */
	int enabled;                    /* "option httpchk" (else rules are ignored) */
	const char *meth, *uri, *ver;   /* request line of "option httpchk" */
	const struct px_proxy *send_owner;    /* section of the "http-check send" line */
	const char *send_meth, *send_uri, *send_ver;  /* its overrides, or NULL */
	char *hdrs;                     /* its headers: "name: value\r\n"..., or NULL */
	char *body;                     /* its body, or NULL */
	char *req;                      /* the request, rebuilt at each change */
	uint32_t req_len;
	const struct px_proxy *expect_owner;  /* section that set the expect rule */
	uint8_t expect;                 /* enum px_chk_expect */
	uint8_t negate;                 /* "!": a match is a failure */
	uint16_t nranges;
	struct px_chk_range *ranges;    /* status: codes and ranges */
	char *string;                   /* string: what the body must contain */
	size_t string_len;
	struct px_regex *re;            /* rstatus, rstring */
};

/* Health check settings and state of one server. */
struct px_check {
	uint8_t enabled;                /* "check" */
	uint8_t result;                 /* enum px_chk_result of the last check */
	uint16_t code;                  /* HTTP status of the last response, 0: none */
	uint32_t inter;                 /* ms between checks */
	uint32_t fastinter;             /* while changing state, 0: inter */
	uint32_t downinter;             /* while fully down, 0: inter */
	uint32_t rise, fall;
	uint32_t health;                /* 0 to rise + fall - 1; up from rise on */
	int port;                       /* "port", 0: the server's */
	char *addr_str;                 /* "addr" as written, NULL: the server's */
	union px_sockaddr addr;         /* where checks connect, set at the end of parsing */
	socklen_t addrlen;
	struct px_loop *loop;           /* loop running the checks, NULL when stopped */
	struct px_timer timer;          /* the next check, or the running one's deadline */
	struct px_probe *probe;         /* the check in flight, or NULL */
	uint64_t t_start;               /* loop time the current/last check started */
	uint32_t duration;              /* ms the last check took */
	char info[128];                 /* detail of the last result, "" when none */
};

#endif
