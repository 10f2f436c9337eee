/* Command socket: statistics and process information, in HAProxy's
 * formats so that its tools (hatop, monitoring scripts, exporters reading
 * the CSV) work unchanged: "show info", "show stat", "show servers state",
 * and proxyd's own "show pools" and "show activity".
 *
 * This file only reads: the counters are kept by admin/counters.c and the
 * modules that see the traffic, the loop's activity by core/ev.c, the
 * pools by core/pool.c. The long outputs ("show stat", "show servers
 * state") are produced row by row from a cursor (a proxy, then a server
 * index), so their memory stays bounded whatever the number of servers;
 * the cursor holds a reference on the configuration generation it walks,
 * so a reload during the dump does not pull the proxies from under it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "admin/cli.h"
#include "admin/counters.h"
#include "backend/check.h"
#include "backend/lb.h"
#include "backend/server.h"
#include "backend/srvconn-t.h"
#include "cfg/cfg.h"
#include "cfg/proxy.h"
#include "core/ev.h"
#include "core/net.h"
#include "core/pool.h"
#include "proto/listener-t.h"
#include "proto/sess.h"
#include "ssl/ssl-t.h"
#include "core/version.h"


const char *px_cookie_name(const struct px_cookie *ck);

/* --- typed fields, shared by show info and show stat ------------------------- */

enum fld_type {
	FT_NONE = 0,    /* no value: an empty CSV cell, absent from JSON */
	FT_STR,
	FT_U32,
	FT_S32,
	FT_U64,
};

/* One value. Strings point to storage that lives while the row is written. */
struct fld {
	uint8_t type;
	const char *str;
	int64_t num;
};

/* HAProxy's typed tags (management guide, 9.2): origin, nature, scope. */
struct fld_desc {
	const char *name;
	char origin;    /* K(ey), M(etric), S(tatus), C(onfig), P(roduct) */
	char nature;    /* see nature_name() */
	char scope;     /* S(ervice), P(rocess) */
	uint8_t type;   /* enum fld_type, for JSON */
};

static const char *origin_name(char o)
{
	switch (o) {
	case 'K': return "Key";
	case 'S': return "Status";
	case 'C': return "Config";
	case 'P': return "Product";
	default: return "Metric";
	}
}

/* Natures: a Age, A Avg, c Counter, d Duration, g Gauge, l Limit, m Max,
 * n Name, o Output, r Rate.
 */
static const char *nature_name(char n)
{
	switch (n) {
	case 'a': return "Age";
	case 'A': return "Avg";
	case 'c': return "Counter";
	case 'd': return "Duration";
	case 'l': return "Limit";
	case 'm': return "Max";
	case 'n': return "Name";
	case 'o': return "Output";
	case 'r': return "Rate";
	default: return "Gauge";
	}
}

static const char *type_name(uint8_t t)
{
	switch (t) {
	case FT_STR: return "str";
	case FT_S32: return "s32";
	case FT_U64: return "u64";
	default: return "u32";
	}
}

static inline void f_str(struct fld *f, const char *s)
{
	f->type = FT_STR;
	f->str = s;
}

static inline void f_u32(struct fld *f, uint64_t v)
{
	f->type = FT_U32;
	f->num = (int64_t)(uint32_t)v;
}

static inline void f_s32(struct fld *f, int64_t v)
{
	f->type = FT_S32;
	f->num = v;
}

static inline void f_u64(struct fld *f, uint64_t v)
{
	f->type = FT_U64;
	f->num = (int64_t)v;
}

/* Writes the value of <f> as JSON: {"type":"u32","value":12}. */
static void json_value(struct px_cli_conn *c, const struct fld *f, uint8_t type)
{
	px_cli_printf(c, "\"value\":{\"type\":\"%s\",\"value\":", type_name(type));
	if (f->type == FT_STR)
		px_cli_json_str(c, f->str, strlen(f->str));
	else if (f->type == FT_U64)
		px_cli_printf(c, "%" PRIu64, (uint64_t)f->num);
	else
		px_cli_printf(c, "%" PRId64, f->num);
	px_cli_puts(c, "}");
}

static void json_tags(struct px_cli_conn *c, const struct fld_desc *d)
{
	px_cli_printf(c, "\"processNum\":1,\"tags\":{\"origin\":\"%s\",\"nature\":\"%s\","
	              "\"scope\":\"%s\"},", origin_name(d->origin), nature_name(d->nature),
	              d->scope == 'S' ? "Service" : "Process");
}

/* --- show info --------------------------------------------------------------- */

/* HAProxy's "show info" fields that proxyd has a value for, with their
 * positions in HAProxy's list (the JSON "pos"), so that a reader indexing
 * by position finds the same field. Fields proxyd has no counterpart for
 * (SSL rates, compression, peers, memory limit...) are left out rather
 * than shown with made-up values. Maxpipes and PipesUsed stay: proxyd uses
 * no pipes, 0 is the truth, and hatop requires them.
 */
enum {
	INF_NAME = 0, INF_VERSION, INF_RELEASE_DATE, INF_NBTHREAD, INF_NBPROC,
	INF_PROCESS_NUM, INF_PID, INF_UPTIME, INF_UPTIME_SEC, INF_POOL_ALLOC_MB,
	INF_POOL_USED_MB, INF_POOL_FAILED, INF_ULIMIT_N, INF_MAXSOCK, INF_MAXCONN,
	INF_HARD_MAXCONN, INF_CURR_CONNS, INF_CUM_CONNS, INF_CUM_REQ, INF_MAXPIPES,
	INF_PIPES_USED, INF_PIPES_FREE, INF_CONN_RATE, INF_MAX_CONN_RATE, INF_SESS_RATE,
	INF_MAX_SESS_RATE, INF_TASKS, INF_RUN_QUEUE, INF_IDLE_PCT, INF_NODE, INF_STOPPING,
	INF_JOBS, INF_LISTENERS, INF_TOTAL_BYTES_OUT, INF_POOL_ALLOC_BYTES,
	INF_POOL_USED_BYTES, INF_START_TIME_SEC,
	INF_NB
};

static const struct {
	uint16_t pos;
	struct fld_desc d;
} info_desc[INF_NB] = {
	[INF_NAME]            = { 0,  { "Name", 'P', 'o', 'S', FT_STR } },
	[INF_VERSION]         = { 1,  { "Version", 'P', 'o', 'S', FT_STR } },
	[INF_RELEASE_DATE]    = { 2,  { "Release_date", 'P', 'o', 'S', FT_STR } },
	[INF_NBTHREAD]        = { 3,  { "Nbthread", 'C', 'g', 'S', FT_U32 } },
	[INF_NBPROC]          = { 4,  { "Nbproc", 'C', 'g', 'S', FT_U32 } },
	[INF_PROCESS_NUM]     = { 5,  { "Process_num", 'K', 'g', 'P', FT_U32 } },
	[INF_PID]             = { 6,  { "Pid", 'S', 'g', 'P', FT_U32 } },
	[INF_UPTIME]          = { 7,  { "Uptime", 'M', 'd', 'P', FT_STR } },
	[INF_UPTIME_SEC]      = { 8,  { "Uptime_sec", 'M', 'd', 'P', FT_U32 } },
	[INF_POOL_ALLOC_MB]   = { 10, { "PoolAlloc_MB", 'M', 'g', 'P', FT_U32 } },
	[INF_POOL_USED_MB]    = { 11, { "PoolUsed_MB", 'M', 'g', 'P', FT_U32 } },
	[INF_POOL_FAILED]     = { 12, { "PoolFailed", 'M', 'c', 'P', FT_U32 } },
	[INF_ULIMIT_N]        = { 13, { "Ulimit-n", 'C', 'l', 'P', FT_U32 } },
	[INF_MAXSOCK]         = { 14, { "Maxsock", 'C', 'l', 'P', FT_U32 } },
	[INF_MAXCONN]         = { 15, { "Maxconn", 'C', 'l', 'P', FT_U32 } },
	[INF_HARD_MAXCONN]    = { 16, { "Hard_maxconn", 'C', 'l', 'P', FT_U32 } },
	[INF_CURR_CONNS]      = { 17, { "CurrConns", 'M', 'g', 'P', FT_U32 } },
	[INF_CUM_CONNS]       = { 18, { "CumConns", 'M', 'c', 'P', FT_U32 } },
	[INF_CUM_REQ]         = { 19, { "CumReq", 'M', 'c', 'P', FT_U32 } },
	[INF_MAXPIPES]        = { 23, { "Maxpipes", 'C', 'l', 'P', FT_U32 } },
	[INF_PIPES_USED]      = { 24, { "PipesUsed", 'M', 'g', 'P', FT_U32 } },
	[INF_PIPES_FREE]      = { 25, { "PipesFree", 'M', 'g', 'P', FT_U32 } },
	[INF_CONN_RATE]       = { 26, { "ConnRate", 'M', 'r', 'P', FT_U32 } },
	[INF_MAX_CONN_RATE]   = { 28, { "MaxConnRate", 'M', 'm', 'P', FT_U32 } },
	[INF_SESS_RATE]       = { 29, { "SessRate", 'M', 'r', 'P', FT_U32 } },
	[INF_MAX_SESS_RATE]   = { 31, { "MaxSessRate", 'M', 'r', 'P', FT_U32 } },
	[INF_TASKS]           = { 47, { "Tasks", 'M', 'g', 'P', FT_U32 } },
	[INF_RUN_QUEUE]       = { 48, { "Run_queue", 'M', 'g', 'P', FT_U32 } },
	[INF_IDLE_PCT]        = { 49, { "Idle_pct", 'M', 'A', 'P', FT_U32 } },
	[INF_NODE]            = { 50, { "node", 'C', 'o', 'S', FT_STR } },
	[INF_STOPPING]        = { 52, { "Stopping", 'M', 'g', 'P', FT_U32 } },
	[INF_JOBS]            = { 53, { "Jobs", 'M', 'g', 'P', FT_U32 } },
	[INF_LISTENERS]       = { 55, { "Listeners", 'M', 'g', 'P', FT_U32 } },
	[INF_TOTAL_BYTES_OUT] = { 61, { "TotalBytesOut", 'M', 'g', 'P', FT_U64 } },
	[INF_POOL_ALLOC_BYTES] = { 68, { "PoolAlloc_bytes", 'M', 'g', 'P', FT_U64 } },
	[INF_POOL_USED_BYTES] = { 69, { "PoolUsed_bytes", 'M', 'g', 'P', FT_U64 } },
	[INF_START_TIME_SEC]  = { 70, { "Start_time_sec", 'M', 'd', 'P', FT_U32 } },
};

/* Totals over the pools of this thread. */
struct pool_totals {
	uint32_t npools;
	uint64_t alloc_bytes, used_bytes, failed;
};

static void pool_totals(struct pool_totals *t)
{
	memset(t, 0, sizeof(*t));
	for (const struct px_pool *p = px_pool_registry(); p; p = p->next) {
		t->npools++;
		t->alloc_bytes += (uint64_t)(p->used + p->nfree) * p->size;
		t->used_bytes += (uint64_t)p->used * p->size;
		t->failed += p->failed;
	}
}

static uint32_t run_queue_len(const struct px_loop *loop)
{
	const struct px_list *e;
	uint32_t n = 0;

	for (e = loop->tasks.next; e != &loop->tasks; e = e->next)
		n++;
	return n;
}

/* The build date as HAProxy writes its release date: YYYY/MM/DD. */
static void build_date(char *out, size_t size)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *d = __DATE__;   /* "Mmm dd yyyy" */
	const char *m = strstr(months, (char[4]){ d[0], d[1], d[2], 0 });
	unsigned day = (unsigned)atoi(d + 4) % 100;
	unsigned month = m ? (unsigned)(m - months) / 3 + 1 : 0;

	snprintf(out, size, "%.4s/%02u/%02u", d + 7, month % 100, day);
}

static int cmd_show_info(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct px_loop *loop = px_cli_loop();
	struct fld f[INF_NB];
	struct pool_totals pt;
	struct rlimit rl;
	char uptime[48], date[24], node[256];
	uint32_t up, sec, listeners = 0;
	int json = 0, i;

	for (i = 2; i < nargs; i++) {
		if (strcmp(args[i], "json")) {
			px_cli_error(c, 400, "'show info' accepts only 'json' ('%s' found)", args[i]);
			return 0;
		}
		json = 1;
	}
	px_cli_set_json(c, json);
	if (!loop) {
		px_cli_error(c, 500, "The event loop is not running");
		return 0;
	}
	memset(f, 0, sizeof(f));
	sec = (uint32_t)loop->now_tv.tv_sec;
	up = (uint32_t)((loop->now_ms - loop->stats.start_ms) / 1000);
	snprintf(uptime, sizeof(uptime), "%ud %uh%02um%02us", up / 86400, up / 3600 % 24,
	         up / 60 % 60, up % 60);
	build_date(date, sizeof(date));
	if (gethostname(node, sizeof(node)) < 0)
		node[0] = '\0';
	node[sizeof(node) - 1] = '\0';
	pool_totals(&pt);
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		rl.rlim_cur = 0;
	if (px_gen_cur) {
		struct px_list *e;

		px_list_for_each(e, &px_gen_cur->binds) {
			struct px_bind *b = px_container_of(e, struct px_bind, gen_link);

			listeners += b->li != NULL;
		}
	}

	f_str(&f[INF_NAME], "proxyd");
	f_str(&f[INF_VERSION], PROXYD_VERSION);
	f_str(&f[INF_RELEASE_DATE], date);
	f_u32(&f[INF_NBTHREAD], 1);
	f_u32(&f[INF_NBPROC], 1);
	f_u32(&f[INF_PROCESS_NUM], 1);
	f_u32(&f[INF_PID], (uint32_t)getpid());
	f_str(&f[INF_UPTIME], uptime);
	f_u32(&f[INF_UPTIME_SEC], up);
	f_u32(&f[INF_POOL_ALLOC_MB], pt.alloc_bytes >> 20);
	f_u32(&f[INF_POOL_USED_MB], pt.used_bytes >> 20);
	f_u32(&f[INF_POOL_FAILED], pt.failed);
	f_u32(&f[INF_ULIMIT_N], rl.rlim_cur == RLIM_INFINITY ? 0 : rl.rlim_cur);
	f_u32(&f[INF_MAXSOCK], rl.rlim_cur == RLIM_INFINITY ? 0 : rl.rlim_cur);
	f_u32(&f[INF_MAXCONN], px_global_maxconn);
	f_u32(&f[INF_HARD_MAXCONN], px_global_maxconn);
	f_u32(&f[INF_CURR_CONNS], px_actconn);
	f_u32(&f[INF_CUM_CONNS], px_proc_ctr.cum_conns);
	f_u32(&f[INF_CUM_REQ], px_proc_ctr.cum_req);
	f_u32(&f[INF_MAXPIPES], 0);
	f_u32(&f[INF_PIPES_USED], 0);
	f_u32(&f[INF_PIPES_FREE], 0);
	/* A session is a connection here: no "tcp-request connection"
	 * rules stand between the two.
	 */
	f_u32(&f[INF_CONN_RATE], px_rate_read(&px_proc_ctr.conn_rate, sec));
	f_u32(&f[INF_MAX_CONN_RATE], px_proc_ctr.conn_rate.max);
	f_u32(&f[INF_SESS_RATE], px_rate_read(&px_proc_ctr.conn_rate, sec));
	f_u32(&f[INF_MAX_SESS_RATE], px_proc_ctr.conn_rate.max);
	f_u32(&f[INF_TASKS], loop->heap_len + run_queue_len(loop));
	f_u32(&f[INF_RUN_QUEUE], run_queue_len(loop));
	f_u32(&f[INF_IDLE_PCT], loop->stats.idle_pct);
	f_str(&f[INF_NODE], node);
	f_u32(&f[INF_STOPPING], px_stopping ? 1 : 0);
	f_u32(&f[INF_JOBS], px_actconn + listeners);
	f_u32(&f[INF_LISTENERS], listeners);
	f_u64(&f[INF_TOTAL_BYTES_OUT], px_proc_ctr.bytes_out);
	f_u64(&f[INF_POOL_ALLOC_BYTES], pt.alloc_bytes);
	f_u64(&f[INF_POOL_USED_BYTES], pt.used_bytes);
	f_u32(&f[INF_START_TIME_SEC], loop->stats.start_tv.tv_sec);

	if (!json) {
		for (i = 0; i < INF_NB; i++) {
			if (f[i].type == FT_STR)
				px_cli_printf(c, "%s: %s\n", info_desc[i].d.name, f[i].str);
			else
				px_cli_printf(c, "%s: %" PRIu64 "\n", info_desc[i].d.name,
				              (uint64_t)f[i].num);
		}
		return 0;
	}
	px_cli_puts(c, "[");
	for (i = 0; i < INF_NB; i++) {
		px_cli_printf(c, "%s{\"field\":{\"pos\":%u,\"name\":\"%s\"},", i ? "," : "",
		              info_desc[i].pos, info_desc[i].d.name);
		json_tags(c, &info_desc[i].d);
		json_value(c, &f[i], info_desc[i].d.type);
		px_cli_puts(c, "}");
	}
	px_cli_puts(c, "]\n");
	return 0;
}

/* --- show stat ----------------------------------------------------------------- */

/* HAProxy 2.6's CSV columns, in order, up to agg_check_status: tools index
 * them by position, so none may move. Types and tags are HAProxy's, for
 * the JSON form.
 */
enum {
	ST_PXNAME = 0, ST_SVNAME, ST_QCUR, ST_QMAX, ST_SCUR, ST_SMAX, ST_SLIM, ST_STOT,
	ST_BIN, ST_BOUT, ST_DREQ, ST_DRESP, ST_EREQ, ST_ECON, ST_ERESP, ST_WRETR,
	ST_WREDIS, ST_STATUS, ST_WEIGHT, ST_ACT, ST_BCK, ST_CHKFAIL, ST_CHKDOWN,
	ST_LASTCHG, ST_DOWNTIME, ST_QLIMIT, ST_PID, ST_IID, ST_SID, ST_THROTTLE,
	ST_LBTOT, ST_TRACKED, ST_TYPE, ST_RATE, ST_RATE_LIM, ST_RATE_MAX,
	ST_CHECK_STATUS, ST_CHECK_CODE, ST_CHECK_DURATION, ST_HRSP_1XX, ST_HRSP_2XX,
	ST_HRSP_3XX, ST_HRSP_4XX, ST_HRSP_5XX, ST_HRSP_OTHER, ST_HANAFAIL,
	ST_REQ_RATE, ST_REQ_RATE_MAX, ST_REQ_TOT, ST_CLI_ABRT, ST_SRV_ABRT,
	ST_COMP_IN, ST_COMP_OUT, ST_COMP_BYP, ST_COMP_RSP, ST_LASTSESS, ST_LAST_CHK,
	ST_LAST_AGT, ST_QTIME, ST_CTIME, ST_RTIME, ST_TTIME, ST_AGENT_STATUS,
	ST_AGENT_CODE, ST_AGENT_DURATION, ST_CHECK_DESC, ST_AGENT_DESC, ST_CHECK_RISE,
	ST_CHECK_FALL, ST_CHECK_HEALTH, ST_AGENT_RISE, ST_AGENT_FALL, ST_AGENT_HEALTH,
	ST_ADDR, ST_COOKIE, ST_MODE, ST_ALGO, ST_CONN_RATE, ST_CONN_RATE_MAX,
	ST_CONN_TOT, ST_INTERCEPTED, ST_DCON, ST_DSES, ST_WREW, ST_CONNECT, ST_REUSE,
	ST_CACHE_LOOKUPS, ST_CACHE_HITS, ST_SRV_ICUR, ST_SRV_ILIM, ST_QTIME_MAX,
	ST_CTIME_MAX, ST_RTIME_MAX, ST_TTIME_MAX, ST_EINT, ST_IDLE_CONN_CUR,
	ST_SAFE_CONN_CUR, ST_USED_CONN_CUR, ST_NEED_CONN_EST, ST_UWEIGHT,
	ST_AGG_SERVER_STATUS, ST_AGG_SERVER_CHECK_STATUS, ST_AGG_CHECK_STATUS,
	ST_NB
};

#define CNT(n)  { n, 'M', 'c', 'P', FT_U64 }
#define GAUGE(n) { n, 'M', 'g', 'P', FT_U32 }

static const struct fld_desc stat_desc[ST_NB] = {
	[ST_PXNAME]          = { "pxname", 'K', 'n', 'S', FT_STR },
	[ST_SVNAME]          = { "svname", 'K', 'n', 'S', FT_STR },
	[ST_QCUR]            = GAUGE("qcur"),
	[ST_QMAX]            = { "qmax", 'M', 'm', 'P', FT_U32 },
	[ST_SCUR]            = GAUGE("scur"),
	[ST_SMAX]            = { "smax", 'M', 'm', 'P', FT_U32 },
	[ST_SLIM]            = { "slim", 'C', 'l', 'P', FT_U32 },
	[ST_STOT]            = CNT("stot"),
	[ST_BIN]             = CNT("bin"),
	[ST_BOUT]            = CNT("bout"),
	[ST_DREQ]            = CNT("dreq"),
	[ST_DRESP]           = CNT("dresp"),
	[ST_EREQ]            = CNT("ereq"),
	[ST_ECON]            = CNT("econ"),
	[ST_ERESP]           = CNT("eresp"),
	[ST_WRETR]           = CNT("wretr"),
	[ST_WREDIS]          = CNT("wredis"),
	[ST_STATUS]          = { "status", 'S', 'g', 'P', FT_STR },
	[ST_WEIGHT]          = { "weight", 'M', 'A', 'P', FT_U32 },
	[ST_ACT]             = GAUGE("act"),
	[ST_BCK]             = GAUGE("bck"),
	[ST_CHKFAIL]         = CNT("chkfail"),
	[ST_CHKDOWN]         = CNT("chkdown"),
	[ST_LASTCHG]         = { "lastchg", 'M', 'a', 'P', FT_U32 },
	[ST_DOWNTIME]        = { "downtime", 'M', 'c', 'P', FT_U32 },
	[ST_QLIMIT]          = { "qlimit", 'C', 'l', 'P', FT_U32 },
	[ST_PID]             = { "pid", 'K', 'g', 'P', FT_U32 },
	[ST_IID]             = { "iid", 'K', 'g', 'S', FT_U32 },
	[ST_SID]             = { "sid", 'K', 'g', 'S', FT_U32 },
	[ST_THROTTLE]        = { "throttle", 'M', 'A', 'P', FT_U32 },
	[ST_LBTOT]           = CNT("lbtot"),
	[ST_TRACKED]         = { "tracked", 'C', 'n', 'S', FT_STR },
	[ST_TYPE]            = { "type", 'C', 'g', 'S', FT_U32 },
	[ST_RATE]            = { "rate", 'M', 'r', 'P', FT_U32 },
	[ST_RATE_LIM]        = { "rate_lim", 'C', 'l', 'P', FT_U32 },
	[ST_RATE_MAX]        = { "rate_max", 'M', 'm', 'P', FT_U32 },
	[ST_CHECK_STATUS]    = { "check_status", 'M', 'o', 'P', FT_STR },
	[ST_CHECK_CODE]      = { "check_code", 'M', 'o', 'P', FT_U32 },
	[ST_CHECK_DURATION]  = { "check_duration", 'M', 'd', 'P', FT_U64 },
	[ST_HRSP_1XX]        = CNT("hrsp_1xx"),
	[ST_HRSP_2XX]        = CNT("hrsp_2xx"),
	[ST_HRSP_3XX]        = CNT("hrsp_3xx"),
	[ST_HRSP_4XX]        = CNT("hrsp_4xx"),
	[ST_HRSP_5XX]        = CNT("hrsp_5xx"),
	[ST_HRSP_OTHER]      = CNT("hrsp_other"),
	[ST_HANAFAIL]        = CNT("hanafail"),
	[ST_REQ_RATE]        = { "req_rate", 'M', 'r', 'P', FT_U32 },
	[ST_REQ_RATE_MAX]    = { "req_rate_max", 'M', 'm', 'P', FT_U32 },
	[ST_REQ_TOT]         = CNT("req_tot"),
	[ST_CLI_ABRT]        = CNT("cli_abrt"),
	[ST_SRV_ABRT]        = CNT("srv_abrt"),
	[ST_COMP_IN]         = CNT("comp_in"),
	[ST_COMP_OUT]        = CNT("comp_out"),
	[ST_COMP_BYP]        = CNT("comp_byp"),
	[ST_COMP_RSP]        = CNT("comp_rsp"),
	[ST_LASTSESS]        = { "lastsess", 'M', 'a', 'P', FT_S32 },
	[ST_LAST_CHK]        = { "last_chk", 'M', 'o', 'P', FT_STR },
	[ST_LAST_AGT]        = { "last_agt", 'M', 'o', 'P', FT_STR },
	[ST_QTIME]           = { "qtime", 'M', 'A', 'P', FT_U32 },
	[ST_CTIME]           = { "ctime", 'M', 'A', 'P', FT_U32 },
	[ST_RTIME]           = { "rtime", 'M', 'A', 'P', FT_U32 },
	[ST_TTIME]           = { "ttime", 'M', 'A', 'P', FT_U32 },
	[ST_AGENT_STATUS]    = { "agent_status", 'M', 'o', 'P', FT_STR },
	[ST_AGENT_CODE]      = { "agent_code", 'M', 'o', 'P', FT_U32 },
	[ST_AGENT_DURATION]  = { "agent_duration", 'M', 'd', 'P', FT_U64 },
	[ST_CHECK_DESC]      = { "check_desc", 'M', 'o', 'P', FT_STR },
	[ST_AGENT_DESC]      = { "agent_desc", 'M', 'o', 'P', FT_STR },
	[ST_CHECK_RISE]      = { "check_rise", 'C', 'g', 'S', FT_U32 },
	[ST_CHECK_FALL]      = { "check_fall", 'C', 'g', 'S', FT_U32 },
	[ST_CHECK_HEALTH]    = { "check_health", 'C', 'g', 'S', FT_U32 },
	[ST_AGENT_RISE]      = { "agent_rise", 'M', 'l', 'S', FT_U32 },
	[ST_AGENT_FALL]      = { "agent_fall", 'M', 'l', 'S', FT_U32 },
	[ST_AGENT_HEALTH]    = { "agent_health", 'M', 'g', 'S', FT_U32 },
	[ST_ADDR]            = { "addr", 'C', 'g', 'S', FT_STR },
	[ST_COOKIE]          = { "cookie", 'C', 'n', 'S', FT_STR },
	[ST_MODE]            = { "mode", 'C', 'g', 'S', FT_STR },
	[ST_ALGO]            = { "algo", 'C', 'g', 'S', FT_STR },
	[ST_CONN_RATE]       = { "conn_rate", 'M', 'r', 'P', FT_U32 },
	[ST_CONN_RATE_MAX]   = { "conn_rate_max", 'M', 'm', 'P', FT_U32 },
	[ST_CONN_TOT]        = CNT("conn_tot"),
	[ST_INTERCEPTED]     = CNT("intercepted"),
	[ST_DCON]            = CNT("dcon"),
	[ST_DSES]            = CNT("dses"),
	[ST_WREW]            = CNT("wrew"),
	[ST_CONNECT]         = CNT("connect"),
	[ST_REUSE]           = CNT("reuse"),
	[ST_CACHE_LOOKUPS]   = CNT("cache_lookups"),
	[ST_CACHE_HITS]      = CNT("cache_hits"),
	[ST_SRV_ICUR]        = GAUGE("srv_icur"),
	[ST_SRV_ILIM]        = { "src_ilim", 'C', 'l', 'P', FT_U32 },
	[ST_QTIME_MAX]       = { "qtime_max", 'M', 'm', 'P', FT_U32 },
	[ST_CTIME_MAX]       = { "ctime_max", 'M', 'm', 'P', FT_U32 },
	[ST_RTIME_MAX]       = { "rtime_max", 'M', 'm', 'P', FT_U32 },
	[ST_TTIME_MAX]       = { "ttime_max", 'M', 'm', 'P', FT_U32 },
	[ST_EINT]            = CNT("eint"),
	[ST_IDLE_CONN_CUR]   = GAUGE("idle_conn_cur"),
	[ST_SAFE_CONN_CUR]   = GAUGE("safe_conn_cur"),
	[ST_USED_CONN_CUR]   = GAUGE("used_conn_cur"),
	[ST_NEED_CONN_EST]   = GAUGE("need_conn_est"),
	[ST_UWEIGHT]         = { "uweight", 'M', 'A', 'P', FT_U32 },
	[ST_AGG_SERVER_STATUS]       = GAUGE("agg_server_status"),
	[ST_AGG_SERVER_CHECK_STATUS] = GAUGE("agg_server_check_status"),
	[ST_AGG_CHECK_STATUS]        = GAUGE("agg_check_status"),
};

#undef CNT
#undef GAUGE

/* Row types, and the bits of the "type" filter. */
enum { OBJ_FE = 0, OBJ_BE, OBJ_SRV };
#define STAT_F_FE   1
#define STAT_F_BE   2
#define STAT_F_SRV  4

/* What a row's strings point to while it is written. */
struct row_buf {
	char status[32];
	char chk_status[24];
	char addr[80];
	char algo[16];
};

/* The check result names of the check_status column. */
static const char *const chk_status_name[] = {
	[PX_CHK_NONE] = "INI",
	[PX_CHK_L4OK] = "L4OK",
	[PX_CHK_L4TOUT] = "L4TOUT",
	[PX_CHK_L4CON] = "L4CON",
	[PX_CHK_SOCKERR] = "SOCKERR",
	[PX_CHK_L7OK] = "L7OK",
	[PX_CHK_L7TOUT] = "L7TOUT",
	[PX_CHK_L7RSP] = "L7RSP",
	[PX_CHK_L7STS] = "L7STS",
	[PX_CHK_L6OK] = "L6OK",
	[PX_CHK_L6TOUT] = "L6TOUT",
	[PX_CHK_L6RSP] = "L6RSP",
};

/* Their descriptions (check_desc), as HAProxy words them: the check
 * module's words, except before the first result.
 */
static const char *chk_desc(int res)
{
	return res == PX_CHK_NONE ? "Initializing" : px_check_result_text(res);
}

static uint8_t chk_result(const struct px_check *chk)
{
	return chk->result <= PX_CHK_L6RSP ? chk->result : PX_CHK_NONE;
}

/* A server's status column, HAProxy's words: MAINT; DRAIN; DOWN, or
 * "DOWN 1/2" on its way up (checks passed / rise); UP, or "UP 1/3" on its
 * way down (health above rise / fall); "no check" for an UP server without
 * checks.
 */
const char *px_stats_srv_status(const struct px_server *srv, char *buf, unsigned long size)
{
	const struct px_check *chk = &srv->check;
	uint32_t top = chk->rise + chk->fall - 1;

	if (srv->disabled)
		return "MAINT";
	if (srv->state == PX_SRV_DOWN) {
		if (chk->enabled && chk->health) {
			snprintf(buf, size, "DOWN %u/%u", chk->health, chk->rise);
			return buf;
		}
		return "DOWN";
	}
	if (chk->enabled && chk->health < top) {
		snprintf(buf, size, "%s %u/%u", srv->drain || !srv->weight ? "DRAIN" : "UP",
		         chk->health - chk->rise + 1, chk->fall);
		return buf;
	}
	if (srv->drain || !srv->weight)
		return "DRAIN";
	return chk->enabled ? "UP" : "no check";
}

static const char *algo_name(const struct px_proxy *be)
{
	switch (be->lb) {
	case PX_LB_RR: return "roundrobin";
	case PX_LB_LC: return "leastconn";
	case PX_LB_SRC: return "source";
	case PX_LB_FIRST: return "first";
	case PX_LB_STATIC_RR: return "static-rr";
	case PX_LB_URI: return "uri";
	case PX_LB_HDR: return "hdr";
	case PX_LB_RANDOM: return "random";
	}
	return "";
}

static void addr_str(const union px_sockaddr *a, char *out, size_t size)
{
	char ip[64];

	px_addr_ip_str(&a->sa, ip, sizeof(ip));
	if (a->sa.sa_family == AF_INET6)
		snprintf(out, size, "[%s]:%d", ip, px_addr_port(a));
	else if (a->sa.sa_family == AF_INET)
		snprintf(out, size, "%s:%d", ip, px_addr_port(a));
	else
		snprintf(out, size, "%s", ip);
}

static inline int64_t since(int64_t now, int64_t then)
{
	return then ? (now > then ? now - then : 0) : -1;
}

/* Columns the backend side of a proxy and a server have in common. */
static void fill_be_common(struct fld *f, const struct px_counters *k, int http, int64_t now)
{
	int i;

	f_u32(&f[ST_QMAX], k->qmax);
	f_u32(&f[ST_SMAX], k->smax);
	f_u64(&f[ST_BIN], k->bytes_in);
	f_u64(&f[ST_BOUT], k->bytes_out);
	f_u64(&f[ST_DRESP], k->denied_resp);
	f_u64(&f[ST_ECON], k->failed_conns);
	f_u64(&f[ST_ERESP], k->failed_resp);
	f_u64(&f[ST_LBTOT], k->lbtot);
	f_u32(&f[ST_RATE_MAX], k->sess_rate.max);
	if (http) {
		for (i = 1; i <= 5; i++)
			f_u64(&f[ST_HRSP_1XX + i - 1], k->rsp[i]);
		f_u64(&f[ST_HRSP_OTHER], k->rsp[0]);
		f_u64(&f[ST_REQ_TOT], k->req_tot);
	}
	f_u64(&f[ST_CLI_ABRT], k->cli_aborts);
	f_u64(&f[ST_SRV_ABRT], k->srv_aborts);
	f_s32(&f[ST_LASTSESS], since(now, k->last_sess));
	f_u32(&f[ST_QTIME], px_avg_read(&k->qtime, k->nsamples));
	f_u32(&f[ST_CTIME], px_avg_read(&k->ctime, k->nsamples));
	f_u32(&f[ST_RTIME], px_avg_read(&k->rtime, k->nsamples));
	f_u32(&f[ST_TTIME], px_avg_read(&k->ttime, k->nsamples));
	f_u64(&f[ST_WREW], k->rewrite_fail);
	f_u64(&f[ST_CONNECT], k->connect);
	f_u64(&f[ST_REUSE], k->reuse);
	f_u32(&f[ST_QTIME_MAX], k->qtime.max);
	f_u32(&f[ST_CTIME_MAX], k->ctime.max);
	f_u32(&f[ST_RTIME_MAX], k->rtime.max);
	f_u32(&f[ST_TTIME_MAX], k->ttime.max);
}

static void fill_frontend(struct fld *f, const struct px_proxy *px, uint32_t sec)
{
	const struct px_fe_counters *k = &px->ctr.fe;
	uint32_t slim = px->maxconn ? px->maxconn : px_global_maxconn;
	int http = px->mode == PX_MODE_HTTP;
	int i;

	f_str(&f[ST_SVNAME], "FRONTEND");
	f_u32(&f[ST_SCUR], px->feconn);
	f_u32(&f[ST_SMAX], k->smax);
	f_u32(&f[ST_SLIM], slim);
	f_u64(&f[ST_STOT], px->cum_feconn);
	f_u64(&f[ST_BIN], k->bytes_in);
	f_u64(&f[ST_BOUT], k->bytes_out);
	f_u64(&f[ST_DREQ], k->denied_req);
	f_u64(&f[ST_DRESP], k->denied_resp);
	f_u64(&f[ST_EREQ], k->failed_req);
	f_str(&f[ST_STATUS], px->admin_stopped ? "STOP" :
	      px->paused || px->feconn >= slim ? "FULL" : "OPEN");
	f_u32(&f[ST_SID], 0);
	f_u32(&f[ST_TYPE], OBJ_FE);
	f_u32(&f[ST_RATE], px_rate_read(&k->sess_rate, sec));
	f_u32(&f[ST_RATE_MAX], k->sess_rate.max);
	if (http) {
		for (i = 1; i <= 5; i++)
			f_u64(&f[ST_HRSP_1XX + i - 1], k->rsp[i]);
		f_u64(&f[ST_HRSP_OTHER], k->rsp[0]);
		f_u32(&f[ST_REQ_RATE], px_rate_read(&k->req_rate, sec));
		f_u32(&f[ST_REQ_RATE_MAX], k->req_rate.max);
		f_u64(&f[ST_REQ_TOT], k->req_tot);
		f_u64(&f[ST_INTERCEPTED], k->intercepted);
	}
	f_u32(&f[ST_CONN_RATE], px_rate_read(&k->sess_rate, sec));
	f_u32(&f[ST_CONN_RATE_MAX], k->sess_rate.max);
	f_u64(&f[ST_CONN_TOT], px->cum_feconn);
	f_u64(&f[ST_WREW], k->rewrite_fail);
}

static void fill_backend(struct fld *f, const struct px_proxy *px, uint32_t sec)
{
	const struct px_counters *k = &px->ctr;
	int http = px->mode == PX_MODE_HTTP;
	uint32_t weight = 0, i;

	for (i = 0; i < px->nsrv; i++)
		if (px_lb_eligible(px, px->srv[i]))
			weight += px->srv[i]->weight;
	fill_be_common(f, k, http, sec);
	f_str(&f[ST_SVNAME], "BACKEND");
	f_u32(&f[ST_QCUR], px->nqueued);
	f_u32(&f[ST_SCUR], px->beconn);
	f_u64(&f[ST_STOT], px->cum_beconn);
	f_u64(&f[ST_DREQ], k->denied_req);
	f_u64(&f[ST_WRETR], k->retries);
	f_u64(&f[ST_WREDIS], k->redispatches);
	f_str(&f[ST_STATUS], px->lbprm.srv_act + px->lbprm.srv_bck ? "UP" : "DOWN");
	f_u32(&f[ST_WEIGHT], weight);
	f_u32(&f[ST_ACT], px->lbprm.srv_act);
	f_u32(&f[ST_BCK], px->lbprm.srv_bck);
	f_u32(&f[ST_SID], 0);
	f_u32(&f[ST_TYPE], OBJ_BE);
	f_u32(&f[ST_RATE], px_rate_read(&k->sess_rate, sec));
	if (px->ck)
		f_str(&f[ST_COOKIE], px_cookie_name(px->ck));
	f_str(&f[ST_ALGO], algo_name(px));
	if (http)
		f_u64(&f[ST_INTERCEPTED], k->intercepted);
	f_u32(&f[ST_UWEIGHT], weight);
	f_u64(&f[ST_CHKDOWN], px->lbprm.down_trans);
	f_u32(&f[ST_LASTCHG], px->lbprm.last_change ? since(sec, px->lbprm.last_change) : 0);
	f_u32(&f[ST_DOWNTIME], (uint32_t)(px->lbprm.down_time +
	      (px->lbprm.down ? (uint64_t)since(sec, px->lbprm.last_change) : 0)));
}

/* HAProxy's split of the idle connections: the safe ones have served two
 * requests or more (those http-reuse aggressive trusts).
 */
static uint32_t safe_idle(const struct px_server *srv)
{
	const struct px_list *e;
	uint32_t n = 0;

	px_list_for_each(e, &srv->idle)
		if (px_container_of(e, struct px_srvconn, link)->nreq >= 2)
			n++;
	return n;
}

static void fill_server(struct fld *f, const struct px_server *srv, uint32_t sec,
                        struct row_buf *rb)
{
	const struct px_counters *k = &srv->ctr;
	const struct px_check *chk = &srv->check;
	int http = srv->be->mode == PX_MODE_HTTP;
	uint8_t res = chk_result(chk);
	uint32_t safe;

	fill_be_common(f, k, http, sec);
	f_str(&f[ST_SVNAME], srv->id);
	f_u32(&f[ST_QCUR], srv->nqueued);
	f_u32(&f[ST_SCUR], srv->cur_sess);
	if (srv->maxconn)
		f_u32(&f[ST_SLIM], srv->maxconn);
	f_u64(&f[ST_STOT], srv->cum_sess);
	f_u64(&f[ST_WRETR], srv->retries);
	f_u64(&f[ST_WREDIS], srv->redispatches);
	f_str(&f[ST_STATUS], px_stats_srv_status(srv, rb->status, sizeof(rb->status)));
	f_u32(&f[ST_WEIGHT], srv->weight);
	f_u32(&f[ST_ACT], !srv->backup);
	f_u32(&f[ST_BCK], !!srv->backup);
	f_u32(&f[ST_LASTCHG], srv->last_change ? since(sec, srv->last_change) : 0);
	f_u32(&f[ST_SID], srv->puid);
	f_u32(&f[ST_TYPE], OBJ_SRV);
	f_u32(&f[ST_RATE], px_rate_read(&k->sess_rate, sec));
	if (chk->enabled) {
		f_u64(&f[ST_CHKFAIL], k->chk_fail);
		f_u64(&f[ST_CHKDOWN], srv->down_trans);
		f_u32(&f[ST_DOWNTIME], (uint32_t)(srv->down_time + (srv->down && srv->last_change ?
		      (uint64_t)since(sec, srv->last_change) : 0)));
		/* "* " marks a check in progress, as in HAProxy. */
		snprintf(rb->chk_status, sizeof(rb->chk_status), "%s%s", chk->probe ? "* " : "",
		         chk_status_name[res]);
		f_str(&f[ST_CHECK_STATUS], rb->chk_status);
		if (chk->code && (res == PX_CHK_L7OK || res == PX_CHK_L7STS))
			f_u32(&f[ST_CHECK_CODE], chk->code);
		if (res != PX_CHK_NONE)
			f_u64(&f[ST_CHECK_DURATION], chk->duration);
		f_str(&f[ST_LAST_CHK], chk->info);
		f_str(&f[ST_CHECK_DESC], chk_desc(res));
		f_u32(&f[ST_CHECK_RISE], chk->rise);
		f_u32(&f[ST_CHECK_FALL], chk->fall);
		f_u32(&f[ST_CHECK_HEALTH], chk->health);
	}
	addr_str(&srv->addr, rb->addr, sizeof(rb->addr));
	f_str(&f[ST_ADDR], rb->addr);
	if (srv->cookie)
		f_str(&f[ST_COOKIE], srv->cookie);
	f_u32(&f[ST_SRV_ICUR], srv->nidle);
	safe = safe_idle(srv);
	f_u32(&f[ST_IDLE_CONN_CUR], srv->nidle - safe);
	f_u32(&f[ST_SAFE_CONN_CUR], safe);
	f_u32(&f[ST_USED_CONN_CUR], srv->cur_conns > srv->nidle ? srv->cur_conns - srv->nidle : 0);
	f_u32(&f[ST_UWEIGHT], srv->weight);
}

/* Writes <s> as a CSV cell: quoted, with quotes doubled, only when it
 * holds a comma, a quote or a line break.
 */
static void csv_str(struct px_cli_conn *c, const char *s)
{
	const char *p;

	if (!strpbrk(s, ",\"\r\n")) {
		px_cli_puts(c, s);
		return;
	}
	px_cli_write(c, "\"", 1);
	for (p = s; *p; p++) {
		if (*p == '"')
			px_cli_write(c, "\"\"", 2);
		else if (*p == '\r' || *p == '\n')
			px_cli_write(c, " ", 1);
		else
			px_cli_write(c, p, 1);
	}
	px_cli_write(c, "\"", 1);
}

struct stat_ctx {
	struct px_gen *gen;             /* held while the dump runs */
	struct px_list *cur;            /* the proxy being dumped */
	uint32_t step;                  /* in it: 0 frontend, 1 servers, 2 backend */
	uint32_t srv_idx;               /* next server */
	int64_t iid;                    /* -1: every proxy */
	char *pxname;                   /* or those with this name, NULL */
	unsigned types;                 /* STAT_F_* */
	int64_t sid;                    /* -1: every server */
	int json;
	uint64_t rows;                  /* rows written (JSON separators) */
	int started;                    /* header or '[' written */
};

static void stat_release(void *arg)
{
	struct stat_ctx *ctx = arg;

	px_gen_unref(ctx->gen);
	free(ctx->pxname);
	free(ctx);
}

/* Writes one row: CSV, or a JSON array of the fields that have a value. */
static void emit_row(struct px_cli_conn *c, struct stat_ctx *ctx, int obj,
                     const struct px_proxy *px, const struct px_server *srv)
{
	static const char *const obj_name[] = { "Frontend", "Backend", "Server" };
	uint32_t sec = (uint32_t)px_cli_loop()->now_tv.tv_sec;
	struct fld f[ST_NB];
	struct row_buf rb;
	int i, n = 0;

	memset(f, 0, sizeof(f));
	f_str(&f[ST_PXNAME], px->id);
	if (obj == OBJ_FE)
		fill_frontend(f, px, sec);
	else if (obj == OBJ_BE)
		fill_backend(f, px, sec);
	else
		fill_server(f, srv, sec, &rb);
	f_u32(&f[ST_PID], 1);
	f_u32(&f[ST_IID], px->uuid);
	f_str(&f[ST_MODE], px->mode == PX_MODE_HTTP ? "http" : "tcp");

	if (!ctx->json) {
		for (i = 0; i < ST_NB; i++) {
			if (f[i].type == FT_STR)
				csv_str(c, f[i].str);
			else if (f[i].type == FT_U64)
				px_cli_printf(c, "%" PRIu64, (uint64_t)f[i].num);
			else if (f[i].type != FT_NONE)
				px_cli_printf(c, "%" PRId64, f[i].num);
			px_cli_write(c, ",", 1);
		}
		px_cli_write(c, "\n", 1);
		return;
	}
	px_cli_puts(c, ctx->rows ? ",[" : "[");
	for (i = 0; i < ST_NB; i++) {
		if (f[i].type == FT_NONE)
			continue;
		px_cli_printf(c, "%s{\"objType\":\"%s\",\"proxyId\":%u,\"id\":%u,"
		              "\"field\":{\"pos\":%d,\"name\":\"%s\"},", n++ ? "," : "",
		              obj_name[obj], px->uuid, srv ? srv->puid : 0, i, stat_desc[i].name);
		json_tags(c, &stat_desc[i]);
		json_value(c, &f[i], stat_desc[i].type);
		px_cli_puts(c, "}");
	}
	px_cli_puts(c, "]");
}

static int stat_proxy_match(const struct stat_ctx *ctx, const struct px_proxy *px)
{
	if (ctx->pxname)
		return !strcmp(px->id, ctx->pxname);
	return ctx->iid < 0 || (int64_t)px->uuid == ctx->iid;
}

static int stat_end(struct px_cli_conn *c, struct stat_ctx *ctx)
{
	if (ctx->json)
		px_cli_puts(c, "]\n");
	return 0;
}

/* Produces rows while there is room: for each proxy its FRONTEND row,
 * its servers, then its BACKEND row (HAProxy's order). Returns 1 when it
 * stopped for room (the cursor says where to go on), 0 when done.
 */
static int stat_dump(struct px_cli_conn *c)
{
	struct stat_ctx *ctx = px_cli_ctx(c);
	struct px_list *head = &ctx->gen->proxies;

	if (!ctx->started) {
		ctx->started = 1;
		if (ctx->json) {
			px_cli_puts(c, "[");
		} else {
			px_cli_puts(c, "# ");
			for (int i = 0; i < ST_NB; i++) {
				px_cli_puts(c, stat_desc[i].name);
				px_cli_write(c, ",", 1);
			}
			px_cli_write(c, "\n", 1);
		}
	}
	for (; ctx->cur != head; ctx->cur = ctx->cur->next, ctx->step = 0, ctx->srv_idx = 0) {
		struct px_proxy *px = px_container_of(ctx->cur, struct px_proxy, link);

		if (!stat_proxy_match(ctx, px))
			continue;
		if (px_cli_full(c))
			return 1;
		if (ctx->step == 0) {
			if ((px->cap & PX_CAP_FE) && (ctx->types & STAT_F_FE)) {
				emit_row(c, ctx, OBJ_FE, px, NULL);
				ctx->rows++;
			}
			ctx->step = 1;
		}
		if (!(px->cap & PX_CAP_BE))
			continue;
		/* Servers are indexed afresh at each call: "add server" may
		 * have grown the array meanwhile.
		 */
		for (; ctx->step == 1 && ctx->srv_idx < px->nsrv; ctx->srv_idx++) {
			const struct px_server *srv = px->srv[ctx->srv_idx];

			if (px_cli_full(c))
				return 1;
			if (!(ctx->types & STAT_F_SRV) ||
			    (ctx->sid >= 0 && (int64_t)srv->puid != ctx->sid))
				continue;
			emit_row(c, ctx, OBJ_SRV, px, srv);
			ctx->rows++;
		}
		if (ctx->types & STAT_F_BE) {
			emit_row(c, ctx, OBJ_BE, px, NULL);
			ctx->rows++;
		}
	}
	return stat_end(c, ctx);
}

/* Reads a signed decimal number that is the whole of <s>. */
static int parse_num(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!*s)
		return -1;
	v = strtoll(s, &end, 10);
	if (*end)
		return -1;
	*out = v;
	return 0;
}

/* show stat [json] [{<proxy>|<iid>|-1} <type> {<sid>|-1}], as HAProxy: the
 * type is a bit mask (1 frontends, 2 backends, 4 servers, -1 all).
 */
static int cmd_show_stat(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	const char *pos[3];
	struct stat_ctx *ctx;
	int64_t type = -1;
	int i, npos = 0, json = 0;

	for (i = 2; i < nargs; i++) {
		if (!strcmp(args[i], "json")) {
			json = 1;
			continue;
		}
		if (npos == 3) {
			px_cli_error(c, 400, "'show stat': unexpected '%s'", args[i]);
			return 0;
		}
		pos[npos++] = args[i];
	}
	px_cli_set_json(c, json);
	if (npos != 0 && npos != 3) {
		px_cli_error(c, 400, "Usage: show stat [json] [{<proxy>|-1} <type> {<sid>|-1}]");
		return 0;
	}
	if (!px_gen_cur) {
		px_cli_error(c, 500, "No configuration is running");
		return 0;
	}
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		px_cli_error(c, 500, "Out of memory");
		return 0;
	}
	ctx->iid = -1;
	ctx->sid = -1;
	ctx->json = json;
	if (npos) {
		if (parse_num(pos[0], &ctx->iid) < 0) {
			struct px_list *e;
			int found = 0;

			px_list_for_each(e, &px_gen_cur->proxies)
				found |= !strcmp(px_container_of(e, struct px_proxy, link)->id, pos[0]);
			ctx->pxname = found ? strdup(pos[0]) : NULL;
			if (!ctx->pxname) {
				px_cli_error(c, found ? 500 : 404, found ? "Out of memory" :
				             "No such proxy.");
				free(ctx);
				return 0;
			}
		}
		if (parse_num(pos[1], &type) < 0 || parse_num(pos[2], &ctx->sid) < 0 ||
		    (ctx->iid < 0 && ctx->iid != -1) || (ctx->sid < 0 && ctx->sid != -1)) {
			px_cli_error(c, 400, "Usage: show stat [json] [{<proxy>|-1} <type> {<sid>|-1}]"
			             " (numbers, or -1 for all)");
			free(ctx->pxname);
			free(ctx);
			return 0;
		}
	}
	ctx->types = type < 0 ? STAT_F_FE | STAT_F_BE | STAT_F_SRV : (unsigned)type & 7;
	ctx->gen = px_gen_ref(px_gen_cur);
	ctx->cur = ctx->gen->proxies.next;
	return px_cli_dump(c, stat_dump, ctx, stat_release);
}

/* --- show servers state -------------------------------------------------------- */

/* HAProxy's numbers for check results (its HCHK_STATUS_* values), so
 * that a state file written here reads the same as HAProxy's.
 */
static const uint8_t chk_status_num[] = {
	[PX_CHK_NONE] = 1,      /* INI */
	[PX_CHK_SOCKERR] = 5,
	[PX_CHK_L4OK] = 6,
	[PX_CHK_L4TOUT] = 7,
	[PX_CHK_L4CON] = 8,
	[PX_CHK_L6OK] = 9,
	[PX_CHK_L6TOUT] = 10,
	[PX_CHK_L6RSP] = 11,
	[PX_CHK_L7TOUT] = 12,
	[PX_CHK_L7RSP] = 13,
	[PX_CHK_L7OK] = 15,
	[PX_CHK_L7STS] = 17,
};

struct srvstate_ctx {
	struct px_gen *gen;
	struct px_list *cur;            /* backend being dumped */
	uint32_t srv_idx;
	char *only;                     /* one backend's name, or NULL */
	int json;                       /* "json": an array of objects */
	uint32_t count;                 /* servers written */
};

static void srvstate_release(void *arg)
{
	struct srvstate_ctx *ctx = arg;

	px_gen_unref(ctx->gen);
	free(ctx->only);
	free(ctx);
}

static void srvstate_line(struct px_cli_conn *c, const struct px_server *srv, int64_t now,
                          struct srvstate_ctx *ctx)
{
	const struct px_check *chk = &srv->check;
	uint8_t res = chk_result(chk);
	int passed = res == PX_CHK_L4OK || res == PX_CHK_L6OK || res == PX_CHK_L7OK;
	/* HAProxy's bits: 0x01 maintenance, 0x04 with it from the
	 * configuration ("disabled"), 0x08 drain; for checks 0x01 running,
	 * 0x02 configured, 0x04 enabled, 0x08 paused.
	 */
	int admin = (srv->disabled ? 0x01 : 0) | (srv->disabled && srv->cfg_disabled ? 0x04 : 0) |
	            (srv->drain ? 0x08 : 0);
	int chk_state = (chk->enabled ? 0x06 : 0) | (chk->probe ? 0x01 : 0) |
	                (srv->chk_paused || srv->disabled ? 0x08 : 0);
	char ip[64];

	px_addr_ip_str(&srv->addr.sa, ip, sizeof(ip));
	if (ctx->json) {
		px_cli_puts(c, ctx->count++ ? ",\n{" : "{");
		px_cli_printf(c, "\"be_id\":%u,\"be_name\":", srv->be->uuid);
		px_cli_json_str(c, srv->be->id, strlen(srv->be->id));
		px_cli_printf(c, ",\"srv_id\":%u,\"srv_name\":", srv->puid);
		px_cli_json_str(c, srv->id, strlen(srv->id));
		px_cli_printf(c, ",\"srv_addr\":\"%s\",\"srv_op_state\":%d,\"srv_admin_state\":%d,"
		              "\"srv_uweight\":%u,\"srv_iweight\":%u,"
		              "\"srv_time_since_last_change\":%" PRId64 ",\"srv_check_status\":%u,"
		              "\"srv_check_result\":%d,\"srv_check_health\":%u,"
		              "\"srv_check_state\":%d,\"srv_port\":%d,\"srv_use_ssl\":%d,"
		              "\"srv_check_port\":%d}",
		              ip, !srv->disabled && srv->state == PX_SRV_UP ? 2 : 0, admin,
		              srv->weight, srv->iweight,
		              srv->last_change ? since(now, srv->last_change) : 0,
		              chk_status_num[res], res == PX_CHK_NONE ? 0 : passed ? 3 : 2,
		              chk->health, chk_state, px_addr_port(&srv->addr),
		              srv->ssl && srv->ssl->enabled, chk->port);
		return;
	}
	px_cli_printf(c, "%u %s %u %s %s %d %d %u %u %" PRId64 " %u %d %u %d 0 0 0 - %d - %d %d "
	              "%s - 0\n",
	              srv->be->uuid, srv->be->id, srv->puid, srv->id, ip,
	              !srv->disabled && srv->state == PX_SRV_UP ? 2 : 0, admin, srv->weight,
	              srv->iweight, srv->last_change ? since(now, srv->last_change) : 0,
	              chk_status_num[res], res == PX_CHK_NONE ? 0 : passed ? 3 : 2, chk->health,
	              chk_state, px_addr_port(&srv->addr), srv->ssl && srv->ssl->enabled,
	              chk->port, chk->addr_str ? chk->addr_str : "-");
}

static int srvstate_dump(struct px_cli_conn *c)
{
	struct srvstate_ctx *ctx = px_cli_ctx(c);
	struct px_list *head = &ctx->gen->proxies;
	int64_t now = px_cli_loop()->now_tv.tv_sec;

	for (; ctx->cur != head; ctx->cur = ctx->cur->next, ctx->srv_idx = 0) {
		struct px_proxy *px = px_container_of(ctx->cur, struct px_proxy, link);

		if (!(px->cap & PX_CAP_BE) || (ctx->only && strcmp(px->id, ctx->only)))
			continue;
		for (; ctx->srv_idx < px->nsrv; ctx->srv_idx++) {
			if (px_cli_full(c))
				return 1;
			srvstate_line(c, px->srv[ctx->srv_idx], now, ctx);
		}
	}
	if (ctx->json)
		px_cli_puts(c, "]\n");
	return 0;
}

static int cmd_show_servers_state(struct px_cli_conn *c, char **args, int nargs,
                                  const char *payload)
{
	struct srvstate_ctx *ctx;
	int json = nargs > 3 && !strcmp(args[nargs - 1], "json");

	if (json) {
		px_cli_set_json(c, 1);
		nargs--;
	}
	if (nargs > 4) {
		px_cli_error(c, 400, "Usage: show servers state [<backend>] [json]");
		return 0;
	}
	if (!px_gen_cur) {
		px_cli_error(c, 500, "No configuration is running");
		return 0;
	}
	if (nargs == 4) {
		struct px_list *e;
		int found = 0;

		px_list_for_each(e, &px_gen_cur->proxies) {
			struct px_proxy *px = px_container_of(e, struct px_proxy, link);

			found |= (px->cap & PX_CAP_BE) && !strcmp(px->id, args[3]);
		}
		if (!found) {
			px_cli_error(c, 404, "Can't find backend.");
			return 0;
		}
	}
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx || (nargs == 4 && !(ctx->only = strdup(args[3])))) {
		free(ctx);
		px_cli_error(c, 500, "Out of memory");
		return 0;
	}
	ctx->gen = px_gen_ref(px_gen_cur);
	ctx->cur = ctx->gen->proxies.next;
	ctx->json = json;
	if (json) {
		px_cli_puts(c, "[");
		return px_cli_dump(c, srvstate_dump, ctx, srvstate_release);
	}
	px_cli_puts(c, "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state "
	            "srv_admin_state srv_uweight srv_iweight srv_time_since_last_change "
	            "srv_check_status srv_check_result srv_check_health srv_check_state "
	            "srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord "
	            "srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n");
	return px_cli_dump(c, srvstate_dump, ctx, srvstate_release);
}

/* --- show pools ------------------------------------------------------------------ */

#define MAX_POOLS 64

static int pool_cmp(const void *a, const void *b)
{
	const struct px_pool *pa = *(const struct px_pool *const *)a;
	const struct px_pool *pb = *(const struct px_pool *const *)b;

	if (pa->size != pb->size)
		return pa->size < pb->size ? -1 : 1;
	return strcmp(pa->name, pb->name);
}

/* Every pool that served an object, smallest objects first (as HAProxy
 * sorts them): object size, objects allocated (in use plus kept free),
 * in use, free, the peak of "in use", allocations served and failures.
 */
static int cmd_show_pools(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	const struct px_pool *pools[MAX_POOLS];
	struct pool_totals pt;
	uint32_t n = 0, i;
	int json = nargs == 3 && !strcmp(args[2], "json");

	if (nargs > 3 || (nargs == 3 && !json)) {
		px_cli_error(c, 400, "'show pools' accepts only 'json'");
		return 0;
	}
	px_cli_set_json(c, json);
	for (const struct px_pool *p = px_pool_registry(); p && n < MAX_POOLS; p = p->next)
		pools[n++] = p;
	qsort(pools, n, sizeof(pools[0]), pool_cmp);
	pool_totals(&pt);
	if (json)
		px_cli_puts(c, "{\"pools\":[");
	else
		px_cli_puts(c, "Dumping pools usage.\n");
	for (i = 0; i < n; i++) {
		const struct px_pool *p = pools[i];
		uint32_t alloc = p->used + p->nfree;

		if (json) {
			px_cli_printf(c, "%s{\"name\":", i ? "," : "");
			px_cli_json_str(c, p->name, strlen(p->name));
			px_cli_printf(c, ",\"size\":%zu,\"allocated\":%u,\"allocated_bytes\":%" PRIu64
			              ",\"used\":%u,\"free\":%u,\"peak\":%u,\"allocs\":%" PRIu64
			              ",\"failures\":%" PRIu64 "}", p->size, alloc,
			              (uint64_t)alloc * p->size, p->used, p->nfree, p->peak, p->allocs,
			              p->failed);
		} else {
			px_cli_printf(c, "  - Pool %s (%zu bytes) : %u allocated (%" PRIu64 " bytes), "
			              "%u used, %u free, peak %u, %" PRIu64 " allocs, %" PRIu64
			              " failures\n", p->name, p->size, alloc, (uint64_t)alloc * p->size,
			              p->used, p->nfree, p->peak, p->allocs, p->failed);
		}
	}
	if (json)
		px_cli_printf(c, "],\"total\":{\"pools\":%u,\"allocated_bytes\":%" PRIu64
		              ",\"used_bytes\":%" PRIu64 ",\"failures\":%" PRIu64 "}}\n",
		              pt.npools, pt.alloc_bytes, pt.used_bytes, pt.failed);
	else
		px_cli_printf(c, "Total: %u pools, %" PRIu64 " bytes allocated, %" PRIu64
		              " used, %" PRIu64 " failures.\n", pt.npools, pt.alloc_bytes,
		              pt.used_bytes, pt.failed);
	return 0;
}

/* --- show activity ------------------------------------------------------------- */

/* The event loop's counters since it started. HAProxy's names where the
 * meaning is the same (loops, tasksw), proxyd's own otherwise.
 */
static int cmd_show_activity(struct px_cli_conn *c, char **args, int nargs,
                             const char *payload)
{
	struct px_loop *loop = px_cli_loop();
	const struct px_loop_stats *st;
	int json = nargs == 3 && !strcmp(args[2], "json");
	struct {
		const char *name;
		uint64_t v;
	} rows[11];
	int i, n = 0;

	if (nargs > 3 || (nargs == 3 && !json)) {
		px_cli_error(c, 400, "'show activity' accepts only 'json'");
		return 0;
	}
	px_cli_set_json(c, json);
	if (!loop) {
		px_cli_error(c, 500, "The event loop is not running");
		return 0;
	}
	st = &loop->stats;
	rows[n].name = "thread_id";       rows[n++].v = 1;
	rows[n].name = "uptime_ms";       rows[n++].v = loop->now_ms - st->start_ms;
	rows[n].name = "loops";           rows[n++].v = st->turns;
	rows[n].name = "poll_wait";       rows[n++].v = st->polls;
	rows[n].name = "poll_events";     rows[n++].v = st->poll_events;
	rows[n].name = "tasksw";          rows[n++].v = st->tasks;
	rows[n].name = "timers_fired";    rows[n++].v = st->timers;
	rows[n].name = "timers_armed";    rows[n++].v = loop->heap_len;
	rows[n].name = "run_queue";       rows[n++].v = run_queue_len(loop);
	rows[n].name = "idle_ms";         rows[n++].v = st->idle_us / 1000;
	rows[n].name = "idle_pct";        rows[n++].v = st->idle_pct;

	if (json) {
		px_cli_printf(c, "{\"date_now\":%ld.%06ld", (long)loop->now_tv.tv_sec,
		              (long)loop->now_tv.tv_usec);
		for (i = 0; i < n; i++)
			px_cli_printf(c, ",\"%s\":%" PRIu64, rows[i].name, rows[i].v);
		px_cli_puts(c, "}\n");
		return 0;
	}
	px_cli_printf(c, "thread_id: 1 (1..1)\ndate_now: %ld.%06ld\n", (long)loop->now_tv.tv_sec,
	              (long)loop->now_tv.tv_usec);
	for (i = 1; i < n; i++)
		px_cli_printf(c, "%s: %" PRIu64 "\n", rows[i].name, rows[i].v);
	return 0;
}

static const struct px_cli_handler stats_handlers[] = {
	{ "show info", cmd_show_info },
	{ "show stat", cmd_show_stat },
	{ "show servers state", cmd_show_servers_state },
	{ "show pools", cmd_show_pools },
	{ "show activity", cmd_show_activity },
	{ NULL }
};

static struct px_cli_handler_list stats_list = { .h = stats_handlers };

__attribute__((constructor)) static void stats_register(void)
{
	px_cli_register(&stats_list);
}
