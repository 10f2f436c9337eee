/* pxtest-t.h: types of the scenario runner: parsed scenarios, the runtime
 * state of one scenario, and results. Prototypes live in pxtest.h.
 */
#ifndef TK_PXTEST_T_H
#define TK_PXTEST_T_H

#include <stdint.h>
#include <sys/types.h>
#include "tkh1-t.h"
#include "tkstr-t.h"

/* Bodies and raw bytes kept in memory per result; beyond this only the
 * size and the running hash are kept.
 */
#define PX_KEEP_MAX       (1u << 20)
#define PX_DEFAULT_TIMEOUT (30 * 1000000LL)

/* One argument of a scenario line, after quotes, escapes and placeholders
 * were processed. s is NUL-terminated but may hold NULs (\0): len counts.
 */
struct px_arg {
	char *s;
	size_t len;
	int regex;           /* written /.../flags: s is the pattern */
	int caseless;        /* regex flag i */
};

/* An indented line continuing a step (request options and the like). */
struct px_optline {
	int lineno;
	struct px_arg *argv;
	int argc;
};

struct px_cmd;

/* One step of a scenario. argv[0] is the command word. */
struct px_step {
	int lineno;
	const struct px_cmd *cmd;
	struct px_arg *argv;
	int argc;
	char *rest;                  /* the line after the command, as written
				      * but with placeholders expanded */
	struct px_optline *opts;
	int nopts;
	int has_heredoc;
	struct tk_buf heredoc;       /* heredoc body, placeholders expanded */
	int *bind_ports;             /* proxyd: ports on "bind" lines */
	char **bind_ns;              /* for each, the namespace file of its
				      * "namespace" keyword, else NULL */
	int nbind_ports;
};

/* A placeholder that names a TCP port. */
struct px_port {
	char *name;
	int port;
};

/* A {{ns:NAME}} placeholder met while reading the file, checked against
 * the netns steps once the whole file is read.
 */
struct px_ns_use {
	char *name;
	int lineno;
};

/* What the parent tells a scenario process about where it runs. */
struct px_env {
	const char *proxyd;          /* absolute path of the proxyd binary */
	const char *fakesrv;         /* absolute path of fakesrv */
	const char *root;            /* project root (cwd) */
	const char *tmp;             /* this scenario's private directory */
	const char *certs;           /* the test PKI directory ({{certs}}) */
	int verbose;
	int port_lo, port_hi;        /* this job slot's port range */
	int port_cursor;             /* where to start looking in it */
	int report_fd;               /* pipe to the parent */
};

/* A parsed scenario file. */
struct px_script {
	const char *path;
	char *dir;
	char *name;                  /* the name step, else NULL */
	int64_t timeout_us;
	struct px_step *steps;
	int nsteps;
	struct px_port *ports;
	int nports;
	const struct px_env *env;
	int skip_line;               /* first skip-unless-root, else 0 */
	int parse_line;              /* line being read, for px_ns_use */
	struct px_ns_use *ns_uses;
	int nns_uses;
};

/* A network namespace the scenario made ("netns NAME"). */
struct px_netns {
	char *name;                  /* as the scenario writes it */
	char *real;                  /* the system's name, "px<pid>-NAME" */
	char *path;                  /* its file, which setns() opens */
};

/* A process the scenario started: a fake server, proxyd or an exec. */
struct px_proc {
	char *name;
	pid_t pid;                   /* 0 once reaped */
	int status;                  /* wait status once reaped */
	int reaped;
	char *out_path;              /* its stdout+stderr */
	char *rec_path;              /* fake servers: record file */
};

struct ssl_st;
struct ssl_session_st;
struct px_ctx;

/* What a client TLS handshake gave, or why it failed: what "expect tls"
 * checks. Strings are empty when there is nothing (no ALPN, no peer).
 */
struct px_tls_facts {
	int lineno;                  /* the connect step, 0: no handshake yet */
	char conn[64];               /* its connection name */
	int failed;                  /* the handshake failed: why says why */
	char why[512];
	char protocol[16];           /* "TLSv1.3" */
	char cipher[64];             /* OpenSSL's name */
	int resumed;
	char alpn[64];
	char peer_cn[256];           /* the server certificate's CN */
	char peer_dn[1024];          /* its subject, one-line form */
	char issuer_cn[256];         /* its issuer's CN */
	int chain_len;               /* certificates the server sent */
};

/* A raw connection's TLS state. Heap-allocated and never moved, since
 * OpenSSL's callbacks hold a pointer to it while conns[] may move.
 */
struct px_tls {
	struct ssl_st *ssl;
	struct px_ctx *ctx;
	char *session;               /* "session NAME": where tickets are kept */
	int got_session;             /* a resumable session arrived */
	int kept_session;            /* and was kept under the session name */
	char alert[96];              /* the last alert, "alert received: ..." */
	char err[512];               /* why the connection failed at TLS level */
	struct px_tls_facts facts;
};

/* A TLS session kept under a name for resumption ("session NAME"). */
struct px_tls_session {
	char *name;
	struct ssl_session_st *sess;
};

/* A raw client connection. */
struct px_conn {
	char *name;
	int fd;
	struct tk_buf in;            /* received, not yet consumed */
	int eof;                     /* the peer closed (FIN seen) */
	int err;                     /* errno of a receive error (ECONNRESET) */
	int64_t clock;               /* connect or mark time, monotonic us */
	int64_t eof_at, err_at;      /* when eof/err were seen */
	char note[160];              /* what went wrong while sending, if anything */
	struct px_tls *tls;          /* NULL: plain TCP */
};

/* A UDP syslog receiver. */
struct px_syslog {
	char *name;
	int fd;
	char **msgs;
	int nmsgs;
	int cursor;                  /* messages before this were matched */
};

/* What a result holds. */
enum px_res_kind {
	PX_RES_NONE = 0,     /* no step produced a result yet */
	PX_RES_HTTP,         /* a request or recv-response */
	PX_RES_RAW,          /* recv-all: raw bytes (parsed if HTTP) */
	PX_RES_EXEC,         /* an exec step */
};

/* The current result, which expect steps check. */
struct px_result {
	enum px_res_kind kind;
	int lineno;                  /* step that produced it */
	const char *what;            /* "request", "recv-response", ... */
	int64_t took_us;
	int curl_code;               /* 0: the transfer worked */
	char curl_err[256];
	int have_head;               /* head parsed into msg */
	struct tk_buf head;          /* the response head as received */
	struct tk_h1_msg msg;        /* points into head */
	struct tk_buf body;          /* first PX_KEEP_MAX decoded body bytes */
	uint64_t body_size;
	uint64_t body_hash;
	struct tk_buf raw;           /* first PX_KEEP_MAX raw bytes */
	uint64_t raw_size;
	int exit_status;             /* exec: exit code, or 128+signal */
	struct tk_buf out, err;      /* exec: captured stdout and stderr */
};

/* The runtime state of one scenario. */
struct px_ctx {
	struct px_script *sc;
	const struct px_env *env;
	const struct px_step *step;  /* step being run */
	int64_t start, deadline;
	struct px_proc *servers;
	int nservers;
	struct px_proc proxyd;       /* pid 0 until started */
	int proxyd_started;
	size_t log_cursor;           /* byte offset in proxyd.out */
	struct px_conn *conns;
	int nconns;
	struct px_syslog *syslogs;
	int nsyslogs;
	struct px_result res;
	int failed;
	int fail_line;
	struct tk_buf fail_msg;      /* first failure, one line */
	struct tk_buf detail;        /* its excerpt, several lines */
	int skipped;
	struct tk_buf skip_reason;
	int deadline_hit;            /* a wait ended at the scenario limit */
	struct px_tls_facts tls_last; /* the last TLS handshake, for "expect tls" */
	struct px_tls_session *tls_sessions;
	int ntls_sessions;
	struct px_netns *netns;      /* namespaces made, deleted at cleanup */
	int nnetns;
	char **root_links;           /* veth ends made in the root namespace */
	int nroot_links;
};

#endif
