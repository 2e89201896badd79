/* Incremental codec for DAP's base protocol: "Content-Length: N\r\n\r\n" + N bytes of JSON.
 * Accepts partial reads and several messages per read; header names are case-insensitive. */
#ifndef PODBUG_DAP_FRAMING_H
#define PODBUG_DAP_FRAMING_H

#include <stddef.h>

#define DAP_DEFAULT_MAX_BODY (32u * 1024u * 1024u)
#define DAP_MAX_HEADER_BYTES 4096u

typedef struct dap_framer {
    char *buf;        /* bytes received and not yet consumed */
    size_t len;
    size_t cap;
    size_t consumed;  /* bytes of buf already handed out by dap_framer_next */
    size_t max_body;  /* larger Content-Length values are an error */
    int failed;       /* sticky: once an error was reported, every call reports it again */
} dap_framer;

typedef enum {
    DAP_FRAME_NEED_MORE = 0, /* no complete message buffered yet */
    DAP_FRAME_MESSAGE,       /* *body / *body_len hold one message body (not NUL-terminated) */
    DAP_FRAME_ERROR          /* malformed header or size limit exceeded; err says why */
} dap_frame_status;

void dap_framer_init(dap_framer *f, size_t max_body);
void dap_framer_free(dap_framer *f);
/* Appends received bytes. Returns 0, or -1 when out of memory. */
int dap_framer_feed(dap_framer *f, const void *data, size_t len);
/* Extracts the next complete message. The body pointer stays valid until the next
 * dap_framer_feed or dap_framer_next call. Errors: missing/duplicate/non-numeric
 * Content-Length, header longer than DAP_MAX_HEADER_BYTES, body larger than max_body. */
dap_frame_status dap_framer_next(dap_framer *f, const char **body, size_t *body_len,
                                 char *err, size_t err_len);
/* Returns a malloc'ed frame "Content-Length: N\r\n\r\n<json>" and its length in *out_len. */
char *dap_frame_encode(const char *json, size_t json_len, size_t *out_len);

#endif
