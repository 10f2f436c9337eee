/* fakesrv-t.h: types of the fake origin server (configuration, canned
 * responses, connections). Prototypes live in fakesrv.h.
 */
#ifndef TK_FAKESRV_T_H
#define TK_FAKESRV_T_H

#include <stdint.h>
#include <stdio.h>
#include "tkh1-t.h"
#include "tkstr-t.h"

/* Bodies are read from the client this far ahead before we stop reading. */
#define FS_IN_CAP        (4u << 20)
/* A request head larger than this gets 400 and a close. */
#define FS_HEAD_MAX      (64u << 10)
/* The body bytes a record keeps (the record still says the full size). */
#define FS_REC_BODY_MAX  (1u << 20)
/* The producer stops filling the output buffer past this. */
#define FS_OUT_FILL      (64u << 10)
/* How long a closing connection waits for the client's FIN. */
#define FS_LINGER_US     (5 * 1000000LL)

/* What the server does once it has read a whole request. */
enum fs_action {
	FS_ACT_ANSWER = 0,   /* send the configured response */
	FS_ACT_CLOSE,        /* --close: close without answering */
	FS_ACT_RESET,        /* --reset: abortive close (RST) */
	FS_ACT_SILENT,       /* --silent: never answer, never close */
};

/* Where the bytes of a streamed response body come from. */
enum fs_src {
	FS_SRC_NONE = 0,     /* no body */
	FS_SRC_STRING,       /* -b: the configured string */
	FS_SRC_FILE,         /* --body-file: pread() from the file */
	FS_SRC_GEN,          /* --body-size: the a..z pattern */
	FS_SRC_ECHO,         /* --echo: the request head */
};

/* How a TLS fake server treats client certificates (--tls-verify). */
enum fs_tls_verify {
	FS_VERIFY_NONE = 0,  /* never asks for one */
	FS_VERIFY_OPTIONAL,  /* asks, verifies one if sent, accepts none */
	FS_VERIFY_REQUIRED,  /* asks, verifies, fails the handshake without */
};

/* Everything the command line sets; one global instance. */
struct fs_cfg {
	const char *listen;          /* -l argument */
	const char *unix_path;       /* -u argument */
	int status;                  /* -s code */
	const char *reason;          /* -s reason (or the default) */
	struct tk_buf user_hdrs;     /* -H lines, each ending in CRLF */
	int user_cl, user_te, user_conn; /* -H gave these headers itself */
	enum fs_src src;             /* body source */
	struct tk_buf body;          /* -b bytes, decoded */
	int body_fd;                 /* --body-file */
	uint64_t body_len;           /* size of the body, whatever its source */
	int chunked;                 /* --chunked */
	uint64_t chunk_size;         /* --chunk-size (0: one chunk) */
	int no_length;               /* --no-length: close-delimited */
	struct tk_buf *raws;         /* --response / --raw, in order */
	int *raw_close;              /* raw response i needs a close after it */
	int nraws;
	int cont;                    /* --continue */
	int64_t delay_us;            /* --delay */
	int64_t trickle_us;          /* --trickle */
	enum fs_action action;       /* --close / --reset / --silent */
	int64_t die_after;           /* --die-after, -1 when unset */
	int no_keepalive;            /* --no-keepalive */
	uint64_t max_requests;       /* --max-requests, 0 when unset */
	const char *record_path;     /* --record */
	int ready_fd;                /* --ready-fd, -1 when unset */
	int quiet;                   /* -q */
	/* TLS (tls.c); tls_cert NULL: plain TCP */
	const char *tls_cert;        /* --tls: cert, chain and key in one PEM */
	const char *tls_ca;          /* --tls-ca: CAs for client certificates */
	enum fs_tls_verify tls_verify; /* --tls-verify (required with --tls-ca) */
	int tls_verify_set;          /* --tls-verify was given */
	struct tk_buf tls_alpn;      /* --tls-alpn, in wire format */
	int tls_min, tls_max;        /* --tls-min/--tls-max, 0 when unset */
	const char *tls_ciphers;     /* --tls-ciphers (TLS 1.2 and below) */
	const char *tls_suites;      /* --tls-ciphersuites (TLS 1.3) */
	int tls_no_resume;           /* --tls-no-resume */
	/* derived at start-up */
	struct tk_buf head;          /* status line + headers + CRLF */
	struct tk_buf whole;         /* head + framed body, when precomputed */
	int whole_ok;                /* whole holds the entire response */
	int close_after;             /* every response is close-delimited */
	int no_body;                 /* status never has a body (1xx/204/304) */
};

/* States of a client connection. */
enum fs_state {
	FS_ST_HEAD = 0,      /* waiting for a request head */
	FS_ST_BODY,          /* reading a request body */
	FS_ST_DELAY,         /* request read, waiting out --delay */
	FS_ST_SEND,          /* producing a response */
	FS_ST_IDLE,          /* response done, closing once output drains */
	FS_ST_LINGER,        /* output shut, reading until the client's FIN */
	FS_ST_TLS,           /* TLS handshake in progress (before FS_ST_HEAD) */
};

struct ssl_st;

/* One accepted connection. */
struct fs_conn {
	int fd;
	uint64_t id;                 /* 1-based over the server's life */
	char peer[64];               /* "IP:PORT" or "unix" */
	enum fs_state st;
	uint32_t events;             /* epoll interest currently registered */
	int rd_eof;                  /* the client sent FIN */
	int reset_after;             /* --die-after: RST once output drains */
	struct tk_buf in;            /* received; unconsumed from in_off */
	size_t in_off;
	struct tk_buf out;           /* to send, from out_off */
	size_t out_off;
	/* the request being read */
	uint64_t req_no;             /* 0: none in progress */
	struct tk_h1_body body;
	int head_req;                /* it is a HEAD request */
	int req_close;               /* it asked for Connection: close */
	struct tk_buf rec_head;      /* its head, when recording/printing/echo */
	struct tk_buf rec_body;      /* its first FS_REC_BODY_MAX body bytes */
	/* the response being produced */
	enum fs_src src;
	uint64_t src_off, src_left;  /* body bytes produced / still due */
	int src_chunked, final_chunk_due;
	uint64_t chunk_left;         /* bytes left in the current chunk */
	int64_t resp_budget;         /* --die-after bytes left, -1: none */
	int close_after_resp;        /* close once this response is out */
	uint64_t nresp;              /* responses completed on this connection */
	/* timers: --delay, --trickle and the linger deadline */
	int64_t timer_at;            /* monotonic us, 0 when unarmed */
	int trickle_wait;            /* waiting for the next trickle tick */
	struct fs_conn *tprev, *tnext;
	/* TLS (tls.c), ssl NULL on a plain connection */
	struct ssl_st *ssl;
	int tls_ready;               /* the handshake completed */
	int tls_want_out;            /* OpenSSL waits for the socket to be writable */
	int tls_closed;              /* our close_notify was sent */
	char tls_offered[256];       /* ALPN protocols the client offered, "a,b" */
	char tls_alert[80];          /* the last alert, "alert sent: ..." */
};

#endif
