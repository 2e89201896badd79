/* DAP base-protocol framing: splits a byte stream into "Content-Length: N\r\n\r\n" + N-byte
 * bodies, validating the header strictly, and builds such frames for sending. */
#include "dap_framing.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DAP_INITIAL_CAPACITY 4096u
#define HEADER_TERMINATOR "\r\n\r\n"
#define CONTENT_LENGTH "Content-Length"
#define QUOTED_TEXT_MAX 40 /* how much of a bad header line an error message repeats */

void dap_framer_init(dap_framer *f, size_t max_body)
{
    memset(f, 0, sizeof *f);
    f->max_body = max_body ? max_body : DAP_DEFAULT_MAX_BODY; /* 0 would reject every body */
}

void dap_framer_free(dap_framer *f)
{
    free(f->buf);
    memset(f, 0, sizeof *f);
}

/* Drops the bytes already handed out so that memory tracks the unconsumed tail only. */
static void compact(dap_framer *f)
{
    if (f->consumed == 0)
        return;
    f->len -= f->consumed;
    memmove(f->buf, f->buf + f->consumed, f->len);
    f->consumed = 0;
}

int dap_framer_feed(dap_framer *f, const void *data, size_t len)
{
    if (f->failed || len == 0)
        return 0; /* a failed stream is dead: nothing more will be parsed from it */
    compact(f);
    if (len > SIZE_MAX - f->len)
        return -1;
    size_t needed = f->len + len;
    if (needed > f->cap) {
        size_t cap = f->cap ? f->cap : DAP_INITIAL_CAPACITY;
        while (cap < needed)
            cap = cap > SIZE_MAX / 2 ? needed : cap * 2;
        char *grown = realloc(f->buf, cap);
        if (!grown)
            return -1;
        f->buf = grown;
        f->cap = cap;
    }
    memcpy(f->buf + f->len, data, len);
    f->len = needed;
    return 0;
}

/* Copies up to QUOTED_TEXT_MAX bytes of text into out, replacing unprintable bytes by '?'. */
static void quote_for_error(const char *text, size_t len, char *out, size_t out_len)
{
    size_t n = len < QUOTED_TEXT_MAX ? len : QUOTED_TEXT_MAX;
    if (n > out_len - 1)
        n = out_len - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = isprint((unsigned char)text[i]) ? text[i] : '?';
    out[n] = '\0';
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* Parses a Content-Length value (already trimmed). Returns 0 with *out set, or -1 with err. */
static int parse_length(const dap_framer *f, const char *value, size_t len, size_t *out,
                        char *err, size_t err_len)
{
    char quoted[QUOTED_TEXT_MAX + 1];
    quote_for_error(value, len, quoted, sizeof quoted);
    if (len == 0) {
        snprintf(err, err_len, "DAP Content-Length header has no value");
        return -1;
    }
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)value[i])) {
            snprintf(err, err_len, "DAP Content-Length \"%s\" is not a non-negative integer",
                     quoted);
            return -1;
        }
        unsigned digit = (unsigned)(value[i] - '0');
        if (n > (SIZE_MAX - digit) / 10) {
            snprintf(err, err_len, "DAP Content-Length \"%s\" overflows; the limit is %zu bytes",
                     quoted, f->max_body);
            return -1;
        }
        n = n * 10 + digit;
    }
    if (n > f->max_body) {
        snprintf(err, err_len, "DAP message of %zu bytes exceeds the limit of %zu", n,
                 f->max_body);
        return -1;
    }
    *out = n;
    return 0;
}

/* Reads the header lines in [start, end) (the terminator excluded) and finds Content-Length. */
static int parse_header_lines(const dap_framer *f, const char *start, const char *end,
                              size_t *content_length, char *err, size_t err_len)
{
    int found = 0;
    const char *line = start;
    while (line < end) {
        const char *line_end = memmem(line, (size_t)(end - line), "\r\n", 2);
        if (!line_end)
            line_end = end;
        const char *colon = memchr(line, ':', (size_t)(line_end - line));
        if (!colon || colon == line) {
            char quoted[QUOTED_TEXT_MAX + 1];
            quote_for_error(line, (size_t)(line_end - line), quoted, sizeof quoted);
            snprintf(err, err_len, "malformed DAP header line \"%s\" (expected \"Name: value\")",
                     quoted);
            return -1;
        }
        size_t name_len = (size_t)(colon - line);
        if (name_len == strlen(CONTENT_LENGTH) &&
            strncasecmp(line, CONTENT_LENGTH, name_len) == 0) {
            if (found) {
                snprintf(err, err_len, "duplicate DAP Content-Length header");
                return -1;
            }
            const char *value = colon + 1;
            const char *value_end = line_end;
            while (value < value_end && is_blank(*value))
                value++;
            while (value_end > value && is_blank(value_end[-1]))
                value_end--;
            if (parse_length(f, value, (size_t)(value_end - value), content_length, err,
                             err_len) != 0)
                return -1;
            found = 1;
        }
        line = line_end + 2;
    }
    if (!found) {
        snprintf(err, err_len, "DAP header has no Content-Length");
        return -1;
    }
    return 0;
}

/* A failed framer keeps its buffer frozen (feed drops data), so parsing it again reproduces the
 * same error text: that is how the failure stays sticky without storing the message. */
dap_frame_status dap_framer_next(dap_framer *f, const char **body, size_t *body_len,
                                 char *err, size_t err_len)
{
    if (f->consumed == f->len) { /* never true once failed: a failure needs unconsumed bytes */
        f->consumed = f->len = 0; /* everything handed out: restart at the front for free */
        return DAP_FRAME_NEED_MORE;
    }
    const char *start = f->buf + f->consumed;
    size_t pending = f->len - f->consumed;
    size_t searched = pending < DAP_MAX_HEADER_BYTES ? pending : DAP_MAX_HEADER_BYTES;
    const char *terminator = memmem(start, searched, HEADER_TERMINATOR, 4);
    if (!terminator) {
        if (pending < DAP_MAX_HEADER_BYTES)
            return DAP_FRAME_NEED_MORE;
        snprintf(err, err_len, "DAP header exceeds %u bytes without the blank line that ends it",
                 DAP_MAX_HEADER_BYTES);
        f->failed = 1;
        return DAP_FRAME_ERROR;
    }
    size_t content_length;
    if (parse_header_lines(f, start, terminator, &content_length, err, err_len) != 0) {
        f->failed = 1;
        return DAP_FRAME_ERROR;
    }
    size_t header_len = (size_t)(terminator - start) + 4;
    if (pending - header_len < content_length)
        return DAP_FRAME_NEED_MORE;
    *body = start + header_len;
    *body_len = content_length;
    f->consumed += header_len + content_length;
    return DAP_FRAME_MESSAGE;
}

char *dap_frame_encode(const char *json, size_t json_len, size_t *out_len)
{
    char header[64];
    int header_len = snprintf(header, sizeof header, CONTENT_LENGTH ": %zu" HEADER_TERMINATOR,
                              json_len);
    if (json_len > SIZE_MAX - (size_t)header_len - 1)
        return NULL;
    char *frame = malloc((size_t)header_len + json_len + 1);
    if (!frame)
        return NULL;
    memcpy(frame, header, (size_t)header_len);
    if (json_len)
        memcpy(frame + header_len, json, json_len);
    frame[header_len + json_len] = '\0';
    *out_len = (size_t)header_len + json_len;
    return frame;
}
