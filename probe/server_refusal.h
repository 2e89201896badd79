/* The server refusing this probe (WebSocket close 4401 unauthenticated / 4403 forbidden, e.g. no
 * or a wrong PODBUG_TOKEN): logging its reason once, not at every retry, until a connection succeeds. */
#ifndef PODBUG_PROBE_SERVER_REFUSAL_H
#define PODBUG_PROBE_SERVER_REFUSAL_H

#include <stdbool.h>
#include <stddef.h>

#define SERVER_REFUSAL_UNAUTHENTICATED 4401
#define SERVER_REFUSAL_FORBIDDEN 4403

/* A close frame's payload from the server (2-byte code, then the reason). When it is a refusal,
 * logs the reason unless it is the one logged last, and returns true. */
bool server_refusal_note(const void *payload, size_t len);
/* True while the last connection ended in a refusal (its retries say nothing more). */
bool server_refusal_active(void);
/* The server accepted the probe: a later refusal is logged again. */
void server_refusal_clear(void);

#endif
