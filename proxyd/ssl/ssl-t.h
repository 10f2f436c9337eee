/* Types of the TLS layer (see ssl.h, sslsock.h). */
#ifndef PX_SSL_SSL_T_H
#define PX_SSL_SSL_T_H

#include <stdint.h>

struct ssl_ctx_st;
struct ssl_session_st;
struct x509_st;

/* "verify" settings. */
enum px_ssl_verify {
	PX_SSL_VERIFY_UNSET = 0,
	PX_SSL_VERIFY_NONE,
	PX_SSL_VERIFY_OPTIONAL,
	PX_SSL_VERIFY_REQUIRED,
};

/* Why a handshake failed, for the log line HAProxy writes then. */
enum px_ssl_fail {
	PX_SSL_FAIL_NONE = 0,
	PX_SSL_FAIL_EMPTY,        /* closed before or during the handshake */
	PX_SSL_FAIL_ABORT,        /* socket error during the handshake */
	PX_SSL_FAIL_TIMEOUT,      /* did not finish in time */
	PX_SSL_FAIL_CRT,          /* client certificate not trusted */
	PX_SSL_FAIL_CA,           /* client CA chain cannot be verified */
	PX_SSL_FAIL_HANDSHAKE,    /* any other handshake failure */
	PX_SSL_FAIL_SNI,          /* strict-sni: no certificate for the name */
};

/* Verify errors are OpenSSL's X509_V_ERR_* numbers, all below 256. */
#define PX_SSL_ERRMAP_WORDS 4

/* Settings shared by "bind" lines, crt-list entries and "server" lines.
 * Unset fields take the global defaults, then the built-in ones.
 */
struct px_ssl_opts {
	char *ca_file;
	char *crl_file;
	char *ciphers;              /* TLS 1.2 and below */
	char *ciphersuites;         /* TLS 1.3 */
	unsigned char *alpn;        /* wire format (length-prefixed names) */
	uint32_t alpn_len;
	uint8_t verify;             /* enum px_ssl_verify */
	uint16_t min_ver, max_ver;  /* TLS1_x_VERSION, 0 when unset */
	int8_t no_tickets;          /* -1 unset, 0, 1 */
	int8_t prefer_client;       /* prefer-client-ciphers */
	uint8_t ca_ignore_all, crt_ignore_all;
	uint64_t ca_ignore[PX_SSL_ERRMAP_WORDS];
	uint64_t crt_ignore[PX_SSL_ERRMAP_WORDS];
};

/* One certificate of a bind line, with the context that serves it. */
struct px_ssl_cert {
	struct ssl_ctx_st *ctx;
	struct px_ssl_opts opts;    /* bind line's, with crt-list overrides */
	char *file;
	int http_only;              /* ALPN: select HTTP/1.x only (HTTP frontend) */
};

/* A name clients ask for (SNI) and the certificate answering it. */
struct px_ssl_sni {
	char *name;                 /* lower case; "*.x" for wildcards */
	struct px_ssl_cert *cert;
	int neg;                    /* "!name" in a crt-list: excluded */
};

/* The TLS part of a bind line. */
struct px_ssl_bind {
	struct px_ssl_opts opts;
	char **crt;                 /* crt arguments, as written */
	int ncrt;
	char **crt_list;            /* crt-list arguments */
	int ncrt_list;
	int enabled;                /* the "ssl" keyword was given */
	int strict_sni;
	/* Built at the end of parsing. */
	struct px_ssl_cert **certs; /* certs[0] answers when no name matches */
	int ncerts;
	struct px_ssl_sni *sni;     /* sorted by name */
	int nsni;
	unsigned char sid_ctx[32];  /* session id context, per bind line */
};

/* The TLS part of a server line. */
struct px_ssl_srv {
	const void *owner;          /* the server (or default-server) it belongs to */
	struct px_ssl_opts opts;
	int enabled;                /* "ssl" */
	int check_ssl;              /* "check-ssl" */
	char *crt;                  /* client certificate for the server */
	char *sni_expr;             /* "sni EXPR" as written */
	struct px_expr *sni;        /* compiled */
	char *verifyhost;
	char *check_sni;            /* "check-sni": SNI of health checks */
	int no_reuse;               /* "no-ssl-reuse" */
	struct ssl_ctx_st *ctx;
	struct ssl_session_st *sess; /* last session, offered on new connections */
	char sess_sni[256];          /* the SNI that session was made with, "" none */
};

/* "global" settings. */
struct px_ssl_global {
	char *bind_ciphers, *bind_ciphersuites;
	char *srv_ciphers, *srv_ciphersuites;
	struct px_ssl_opts bind_opts;   /* ssl-default-bind-options */
	struct px_ssl_opts srv_opts;    /* ssl-default-server-options */
	char *crt_base, *ca_base;
	uint32_t cachesize;             /* tune.ssl.cachesize */
	uint32_t lifetime;              /* tune.ssl.lifetime, seconds */
	uint32_t maxrecord;             /* tune.ssl.maxrecord, 0 = OpenSSL's */
	uint8_t srv_verify;             /* ssl-server-verify */
};

#endif
