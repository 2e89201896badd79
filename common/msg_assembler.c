/* WebSocket fragment reassembly with a size limit (see msg_assembler.h).
 * The buffer is reused across messages and released by msg_assembler_free. */
#include "msg_assembler.h"

#include <stdlib.h>
#include <string.h>

void msg_assembler_init(msg_assembler *a, size_t max_len)
{
    a->buf = NULL;
    a->len = a->cap = 0;
    a->max_len = max_len;
}

void msg_assembler_free(msg_assembler *a)
{
    free(a->buf);
    msg_assembler_init(a, a->max_len);
}

assemble_status msg_assembler_add(msg_assembler *a, const void *data, size_t len, int is_final,
                                  const char **msg, size_t *msg_len)
{
    if (a->len + len > a->max_len) {
        a->len = 0;
        return ASSEMBLE_TOO_BIG;
    }
    if (a->len + len + 1 > a->cap) {
        size_t cap = a->cap ? a->cap : 4096;
        while (cap < a->len + len + 1)
            cap *= 2;
        char *grown = realloc(a->buf, cap);
        if (!grown) {
            a->len = 0;
            return ASSEMBLE_NO_MEMORY;
        }
        a->buf = grown;
        a->cap = cap;
    }
    memcpy(a->buf + a->len, data, len);
    a->len += len;
    if (!is_final)
        return ASSEMBLE_PARTIAL;
    a->buf[a->len] = '\0';
    *msg = a->buf;
    *msg_len = a->len;
    a->len = 0;
    return ASSEMBLE_COMPLETE;
}
