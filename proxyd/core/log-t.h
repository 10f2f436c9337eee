/* Types for log targets (see log.h). */
#ifndef PX_CORE_LOG_T_H
#define PX_CORE_LOG_T_H

#include "core/list.h"
#include "core/net-t.h"

/* Syslog severities, as numbered by syslog(3). */
enum px_log_level {
	PX_LOG_EMERG = 0,    /* system is unusable */
	PX_LOG_ALERT,        /* action must be taken immediately */
	PX_LOG_CRIT,         /* critical conditions */
	PX_LOG_ERR,          /* error conditions */
	PX_LOG_WARNING,      /* warning conditions */
	PX_LOG_NOTICE,       /* normal but significant */
	PX_LOG_INFO,         /* informational: traffic logs */
	PX_LOG_DEBUG,        /* debug-level messages */
};

/* The header put in front of each message (HAProxy's "format"). */
enum px_log_format {
	PX_LOGF_LOCAL = 0,   /* <PRI>date tag[pid]: (default) */
	PX_LOGF_RFC3164,     /* <PRI>date host tag[pid]: */
	PX_LOGF_RFC5424,     /* <PRI>1 isodate host tag pid - - */
	PX_LOGF_PRIORITY,    /* <PRI> */
	PX_LOGF_SHORT,       /* <LEVEL> */
	PX_LOGF_TIMED,       /* <LEVEL>isodate */
	PX_LOGF_ISO,         /* isodate */
	PX_LOGF_RAW,         /* nothing */
};

enum px_log_dest {
	PX_LOGD_FD = 0,      /* stdout, stderr, fd@N: one write per message */
	PX_LOGD_DGRAM,       /* UDP or Unix datagram socket */
};

/* One "log" line of the configuration. */
struct px_logger {
	char *target;            /* as written, for messages */
	enum px_log_dest dest;
	int fd;                  /* fd to write to, or our datagram socket */
	int owns_fd;             /* close fd when freed */
	union px_sockaddr addr;  /* datagram destination */
	socklen_t addrlen;
	enum px_log_format format;
	int facility;            /* 0..23 */
	int maxlevel;            /* messages less important are dropped */
	int minlevel;            /* more important ones are capped to this */
	int maxlen;              /* truncation length, 80..65535 */
	unsigned long dropped;   /* messages that could not be sent */
};

#endif
