/* Types of map files: "key value" lines loaded once per configuration
 * generation, looked up by the map_* converters and changed at run time by
 * the command socket.
 */
#ifndef PX_RULES_MAP_T_H
#define PX_RULES_MAP_T_H

#include <netinet/in.h>
#include <stdint.h>

/* How a map is searched. A map file may be used with several methods: each
 * one keeps its requirements (keys that must parse as addresses...).
 */
enum px_map_match {
	PX_MAP_STR = 0,   /* the key equals the input */
	PX_MAP_BEG,       /* the longest key the input starts with */
	PX_MAP_SUB,       /* the first key found inside the input */
	PX_MAP_DIR,       /* the first key found as slash-delimited words */
	PX_MAP_DOM,       /* the first key found as dot-delimited words */
	PX_MAP_END,       /* the first key the input ends with */
	PX_MAP_REG,       /* the first key, a regex, matching the input */
	PX_MAP_REGM,      /* as REG, with \N in the value replaced by groups */
	PX_MAP_INT,       /* the first key, an integer or range, holding the input */
	PX_MAP_IP,        /* the longest network holding the input address */
	PX_MAP_NMATCH,    /* number of methods, not a method */
};

/* The type a value is returned as. */
enum px_map_out {
	PX_MAP_OUT_STR = 0,  /* the text of the value */
	PX_MAP_OUT_INT,      /* the value parsed as a signed integer */
	PX_MAP_OUT_IP,       /* the value parsed as an IPv4 or IPv6 address */
};

struct px_regex;
struct px_gen;

/* Entry flags: what the key and the value parse as. */
#define PX_MAPE_KINT 0x01   /* key is an integer or a range: kmin..kmax */
#define PX_MAPE_KIP  0x02   /* key is an address or a network: kfam/kplen/kaddr */
#define PX_MAPE_VINT 0x04   /* value is an integer: vint */
#define PX_MAPE_VIP  0x08   /* value is an address: vfam/vip */

/* One line of a map. Readers (the command socket) may use id, line, key,
 * klen, val and vlen; the other fields belong to map.c.
 */
struct px_map_ent {
	struct px_map_ent *prev, *next;   /* file order, then run-time additions */
	struct px_map_ent *hnext[2];      /* hash chains: [0] key text, [1] network */
	uint32_t hash[2];
	uint64_t id;                      /* unique in its map, never reused */
	int line;                         /* line in the file, 0 when added later */
	uint32_t klen, vlen;
	char *val;                        /* NUL-terminated, owned by the entry */
	int64_t vint;
	int64_t kmin, kmax;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} vip;
	uint8_t vfam;                     /* AF_INET or AF_INET6 when PX_MAPE_VIP */
	uint8_t kfam;                     /* AF_INET or AF_INET6 when PX_MAPE_KIP */
	uint8_t kplen;                    /* network prefix length */
	uint8_t flags;                    /* PX_MAPE_* */
	uint8_t kaddr[16];                /* network address, host bits cleared */
	struct px_regex *re;              /* compiled key once REG/REGM uses it */
	char key[];                       /* NUL-terminated */
};

/* A chained hash table of entries. */
struct px_map_htab {
	struct px_map_ent **b;
	uint32_t mask;                    /* number of buckets - 1 */
	uint32_t n;                       /* entries linked */
};

/* A map file as one generation sees it. One object per file and
 * generation, whatever the number of converters using it.
 */
struct px_map {
	struct px_map *next;              /* every map of every generation */
	struct px_gen *gen;
	char *path;                       /* as written in the configuration */
	struct px_map_ent *head, *tail;
	uint32_t count;
	uint64_t next_id;
	unsigned matches;                 /* (1 << PX_MAP_*) of the methods in use */
	int changed;                      /* edited from the command socket */
	unsigned outs;                    /* (1 << PX_MAP_OUT_*) of the types in use */
	struct px_map_htab h[2];          /* [0] key text, [1] networks */
	uint32_t *lens;                   /* distinct key lengths, ascending */
	uint32_t *lens_cnt;               /* entries having each of them */
	uint32_t nlens, lens_cap;
	uint32_t v4plen[33];              /* IPv4 networks per prefix length */
	uint32_t v6plen[129];             /* IPv6 networks per prefix length */
};

#endif
