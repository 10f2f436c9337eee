/* Types for I/O buffers (see buf.h). */
#ifndef PX_CORE_BUF_T_H
#define PX_CORE_BUF_T_H

#include <stdint.h>

/* A linear buffer: bytes live in area[head, head + len). Storage is attached
 * only while bytes are held (area == NULL otherwise), so an idle connection
 * costs no buffer memory.
 */
struct px_buf {
	char *area;     /* storage from a buffer pool, or NULL */
	uint32_t head;  /* offset of the first byte of data */
	uint32_t len;   /* bytes of data */
	uint32_t size;  /* capacity of area: tune.bufsize, or twice that */
};

#endif
