/* Authentication of DAP sessions: the roles a session holds (from its WebSocket handshake or the
 * attach/launch "token" argument) and which requests those roles allow. Policy from auth.h. */
#ifndef PODBUG_SERVER_SESSION_AUTH_H
#define PODBUG_SERVER_SESSION_AUTH_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include "dap_session.h"

/* At open: without a token file every session may debug and reload; over WebSocket a valid
 * "Authorization: Bearer" header (NULL or "" when none) authenticates the session at once. */
void session_auth_on_open(dap_session *s, const char *authorization);
/* Before every request: true when s may send it; otherwise ref is answered success:false naming the
 * token or role it lacks. initialize, attach, launch and disconnect are always allowed. */
bool session_auth_allows(dap_session *s, const dap_request_ref *ref);
/* attach and launch: the "token" argument (or the handshake's) must be valid with role debug; then
 * the session holds its roles. Otherwise ref is answered with why and s stays as it was. */
bool session_auth_attach(dap_session *s, const dap_request_ref *ref, const cJSON *args);
/* True when the session's token has role secrets (the probes then reveal redacted values). */
bool session_auth_reveals(const dap_session *s);

#endif
