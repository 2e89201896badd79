/* DAP session authentication (see session_auth.h): the handshake's bearer token, the attach/launch
 * "token" argument, and the role each request needs. */
#include "session_auth.h"

#include <stdio.h>
#include <string.h>
#include "auth.h"
#include "conn.h"
#include "log.h"
#include "server_metrics.h"

static void describe_roles(unsigned roles, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < AUTH_ROLE_COUNT; i++)
        if (roles & (1u << i))
            used += (size_t)snprintf(out + used, used < len ? len - used : 0, "%s%s", used ? "," : "",
                                     auth_role_name(1u << i));
}

static void hold(dap_session *s, unsigned roles, const char *name)
{
    char text[64];
    s->authenticated = true;
    s->roles = roles;
    describe_roles(roles, text, sizeof text);
    if (name)
        log_info("DAP session %llu: token %s (roles %s)", (unsigned long long)s->id, name, text);
}

void session_auth_on_open(dap_session *s, const char *authorization)
{
    const char *name = NULL;
    const char *token = auth_bearer_token(authorization);
    int roles = auth_token_roles(token, &name);
    if (roles >= 0)
        hold(s, (unsigned)roles, name);
    else if (token)
        log_warn("DAP session %llu from %s: its handshake's token is not accepted", (unsigned long long)s->id,
                 s->conn->peer);
}

static bool always_allowed(const char *command)
{
    static const char *const open_commands[] = { "initialize", "attach", "launch", "disconnect" };
    for (size_t i = 0; i < sizeof open_commands / sizeof open_commands[0]; i++)
        if (strcmp(command, open_commands[i]) == 0)
            return true;
    return false;
}

bool session_auth_allows(dap_session *s, const dap_request_ref *ref)
{
    if (always_allowed(ref->command))
        return true;
    if (!s->authenticated) {
        server_metrics_count(PODBUG_AUTH_REFUSED, "no_token", 1);
        dap_respond_error(ref,
                          "%s needs a token: this server requires one (--token-file); attach or launch with "
                          "the \"token\" argument (PODBUG_TOKEN for podbug dap and the CLI)",
                          ref->command);
        return false;
    }
    bool reload = strcmp(ref->command, "podbug/reload") == 0;
    unsigned needed = reload ? AUTH_ROLE_RELOAD : AUTH_ROLE_DEBUG;
    if (s->roles & needed)
        return true;
    server_metrics_count(PODBUG_AUTH_REFUSED, "forbidden", 1);
    if (reload)
        dap_respond_error(ref, "podbug/reload needs a token with role 'reload'");
    else
        dap_respond_error(ref, "%s: this token has no role 'debug'", ref->command);
    return false;
}

bool session_auth_attach(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    const cJSON *token = cJSON_GetObjectItemCaseSensitive(args, "token");
    if (token && !cJSON_IsNull(token) && !cJSON_IsString(token)) {
        dap_respond_error(ref, "%s: 'token' must be a string", ref->command);
        return false;
    }
    if (!auth_required())
        return true;
    unsigned roles = s->roles;
    const char *name = NULL;
    if (cJSON_IsString(token)) {
        int found = auth_token_roles(token->valuestring, &name);
        if (found < 0) {
            server_metrics_count(PODBUG_AUTH_REFUSED, "unknown_token", 1);
            log_warn("DAP session %llu from %s: %s with a token that is not accepted", (unsigned long long)s->id,
                     s->conn->peer, ref->command);
            dap_respond_error(ref, "podbug-server: token not accepted");
            return false;
        }
        roles = (unsigned)found;
    } else if (!s->authenticated) {
        server_metrics_count(PODBUG_AUTH_REFUSED, "no_token", 1);
        dap_respond_error(ref, "podbug-server: no token: this server requires one (--token-file); pass the "
                               "\"token\" argument (PODBUG_TOKEN for podbug dap and the CLI)");
        return false;
    }
    if (!(roles & AUTH_ROLE_DEBUG)) {
        server_metrics_count(PODBUG_AUTH_REFUSED, "forbidden", 1);
        dap_respond_error(ref, "podbug-server: this token has no role 'debug'");
        return false;
    }
    if (name)
        hold(s, roles, name);
    return true;
}

bool session_auth_reveals(const dap_session *s)
{
    return s->authenticated && (s->roles & AUTH_ROLE_SECRETS);
}
