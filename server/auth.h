/* The server's authentication policy: the token table in force (--token-file, re-read on SIGHUP),
 * the loopback-only rule without one, and the checks for probes, HTTP endpoints and bearer headers. */
#ifndef PODBUG_SERVER_AUTH_H
#define PODBUG_SERVER_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include "auth_tokens.h"

struct conn;

/* WebSocket close codes of a refused probe. */
#define AUTH_CLOSE_UNAUTHENTICATED 4401
#define AUTH_CLOSE_FORBIDDEN 4403

/* The roles everyone has without --token-file (no one sees secrets). */
#define AUTH_ROLES_WITHOUT_TOKENS (AUTH_ROLE_PROBE | AUTH_ROLE_DEBUG | AUTH_ROLE_RELOAD)

/* At start: loads token_file (NULL: none), or refuses a non-loopback listen_addr without one.
 * Logs what is in force. Returns 0, or -1 with a one-line err. */
int auth_start(const char *token_file, const char *listen_addr, char *err, size_t err_len);
void auth_stop(void);
/* True when connections must present tokens (a token file is in force). */
bool auth_required(void);

/* SIGHUP: async-signal-safe; the file is re-read at the next auth_tick. */
void auth_request_reload(void);
/* From the event loop: re-reads the file when asked; a bad file keeps the old table (logged). */
void auth_tick(void);

/* The token of an "Authorization: Bearer TOKEN" header value (NULL or "" when none), or NULL. */
const char *auth_bearer_token(const char *authorization);
/* The roles token grants: AUTH_ROLES_WITHOUT_TOKENS without a token file; -1 when a token file is
 * in force and token is NULL or unknown. *name (may be NULL) is then the token's name. */
int auth_token_roles(const char *token, const char **name);

/* The PODBUG_TOKEN the server gives the probes it starts itself (DAP launch, attach with inject):
 * the first token of the file with role probe; NULL without a token file or such a token. */
const char *auth_probe_token(void);

/* A probe's WebSocket at open, with its handshake's Authorization header: true when it may register;
 * otherwise the connection is closed with 4401/4403 and a reason, logged and counted. */
bool auth_admit_probe(struct conn *c, const char *authorization);
/* HTTP: NULL when path may be served to this Authorization header; otherwise the one-line body of
 * a 401 (/metrics needs any valid token, /api/pods role debug; /healthz is always open). */
const char *auth_http_refusal(const char *path, const char *authorization);

#endif
