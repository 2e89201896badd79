/* libFuzzer target for protocol/dap_framing: arbitrary bytes fed in input-chosen chunk sizes
 * against a small body limit; every message found must survive an encode/re-parse round trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dap_framing.h"

/* Frames body again, parses the frame with a fresh framer and checks the body comes back. */
static void check_reencodes(const char *body, size_t body_len, size_t max_body)
{
    size_t frame_len;
    char *frame = dap_frame_encode(body, body_len, &frame_len);
    if (!frame)
        abort();
    dap_framer again;
    dap_framer_init(&again, max_body);
    const char *copy;
    size_t copy_len;
    char err[256];
    if (dap_framer_feed(&again, frame, frame_len) != 0 ||
        dap_framer_next(&again, &copy, &copy_len, err, sizeof err) != DAP_FRAME_MESSAGE ||
        copy_len != body_len || memcmp(copy, body, body_len) != 0)
        abort();
    dap_framer_free(&again);
    free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t chunk = 1 + data[0] % 64;        /* first byte: chunk size */
    size_t max_body = 1 + (size_t)data[1] * 64; /* second byte: body limit */
    data += 2;
    size -= 2;

    dap_framer f;
    dap_framer_init(&f, max_body);
    for (size_t pos = 0; pos < size;) {
        size_t n = size - pos < chunk ? size - pos : chunk;
        if (dap_framer_feed(&f, data + pos, n) != 0)
            abort();
        pos += n;
        const char *body;
        size_t body_len;
        char err[256];
        dap_frame_status status;
        while ((status = dap_framer_next(&f, &body, &body_len, err, sizeof err)) ==
               DAP_FRAME_MESSAGE) {
            if (body_len > max_body)
                abort();
            check_reencodes(body, body_len, max_body);
        }
        if (status == DAP_FRAME_ERROR && err[0] == '\0')
            abort(); /* an error must say why */
    }
    dap_framer_free(&f);
    return 0;
}
