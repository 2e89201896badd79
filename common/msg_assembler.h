/* Reassembles a WebSocket message from its fragments, enforcing a maximum message size
 * (lws's rx_buffer_size is only a chunk size). */
#ifndef PODBUG_MSG_ASSEMBLER_H
#define PODBUG_MSG_ASSEMBLER_H

#include <stddef.h>

typedef struct msg_assembler {
    char *buf;
    size_t len;
    size_t cap;
    size_t max_len;
} msg_assembler;

typedef enum { ASSEMBLE_PARTIAL, ASSEMBLE_COMPLETE, ASSEMBLE_TOO_BIG, ASSEMBLE_NO_MEMORY } assemble_status;

void msg_assembler_init(msg_assembler *a, size_t max_len);
void msg_assembler_free(msg_assembler *a);
/* Adds a fragment. On ASSEMBLE_COMPLETE, *msg and *msg_len hold the whole message, NUL-terminated,
 * valid until the next call. After TOO_BIG the partial message is dropped. */
assemble_status msg_assembler_add(msg_assembler *a, const void *data, size_t len, int is_final,
                                  const char **msg, size_t *msg_len);

#endif
