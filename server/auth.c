/* The server's authentication policy (see auth.h): which token table is in force, re-reading it on
 * SIGHUP, and the verdicts for probes and HTTP requests. DAP sessions are judged in session_auth.c. */
#include "auth.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "conn.h"
#include "listen_addr.h"
#include "log.h"
#include "server_metrics.h"

static bool required;
static auth_tokens table;
static char *token_path;
static volatile sig_atomic_t reload_requested;

bool auth_required(void)
{
    return required;
}

static void log_table(const char *what)
{
    log_info("%s %s: %zu token%s (role probe: %zu, debug: %zu, reload: %zu, secrets: %zu)", what, token_path,
             table.n, table.n == 1 ? "" : "s", auth_tokens_with_role(&table, AUTH_ROLE_PROBE),
             auth_tokens_with_role(&table, AUTH_ROLE_DEBUG), auth_tokens_with_role(&table, AUTH_ROLE_RELOAD),
             auth_tokens_with_role(&table, AUTH_ROLE_SECRETS));
}

int auth_start(const char *token_file, const char *listen_addr, char *err, size_t err_len)
{
    if (!token_file) {
        if (!listen_addr_is_loopback(listen_addr)) {
            snprintf(err, err_len,
                     "--listen %s needs --token-file: without tokens the server only listens on loopback",
                     listen_addr && *listen_addr ? listen_addr : "(every address)");
            return -1;
        }
        log_info("no --token-file: accepting unauthenticated connections on loopback only");
        return 0;
    }
    if (auth_tokens_load(token_file, &table, err, err_len) != 0)
        return -1;
    token_path = strdup(token_file);
    if (!token_path) {
        auth_tokens_free(&table);
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    required = true;
    log_table("tokens from");
    return 0;
}

void auth_stop(void)
{
    auth_tokens_free(&table);
    free(token_path);
    token_path = NULL;
    required = false;
}

void auth_request_reload(void)
{
    reload_requested = 1;
}

void auth_tick(void)
{
    if (!reload_requested)
        return;
    reload_requested = 0;
    if (!required) {
        log_info("SIGHUP: no --token-file to re-read");
        return;
    }
    auth_tokens fresh;
    char err[400];
    if (auth_tokens_load(token_path, &fresh, err, sizeof err) != 0) {
        log_warn("SIGHUP: keeping the tokens in force: %s", err);
        return;
    }
    auth_tokens_free(&table);
    table = fresh;
    log_table("SIGHUP: re-read");
}

const char *auth_bearer_token(const char *authorization)
{
    if (!authorization)
        return NULL;
    authorization += strspn(authorization, " ");
    if (strncasecmp(authorization, "Bearer ", 7) != 0)
        return NULL;
    const char *token = authorization + 7 + strspn(authorization + 7, " ");
    return *token ? token : NULL;
}

int auth_token_roles(const char *token, const char **name)
{
    if (!required)
        return AUTH_ROLES_WITHOUT_TOKENS;
    const auth_token *t = token ? auth_tokens_find(&table, token, strlen(token)) : NULL;
    if (!t)
        return -1;
    if (name)
        *name = t->name;
    return (int)t->roles;
}

const char *auth_probe_token(void)
{
    for (size_t i = 0; required && i < table.n; i++)
        if (table.items[i].roles & AUTH_ROLE_PROBE)
            return table.items[i].token;
    return NULL;
}

/* Counts and logs one refusal; reason_label is podbug_auth_refused_total's label. */
static void count_refusal(const char *reason_label, const char *what, const char *peer, const char *why)
{
    server_metrics_count(PODBUG_AUTH_REFUSED, reason_label, 1);
    log_warn("refusing %s from %s: %s", what, peer, why);
}

bool auth_admit_probe(conn *c, const char *authorization)
{
    const char *token = auth_bearer_token(authorization);
    const char *name = NULL;
    int roles = auth_token_roles(token, &name);
    const char *reason, *label;
    unsigned short code = AUTH_CLOSE_UNAUTHENTICATED;
    if (roles >= 0 && (roles & AUTH_ROLE_PROBE)) {
        if (name)
            log_debug("probe connection from %s: token %s", c->peer, name);
        return true;
    }
    if (!token) {
        reason = "podbug-server: no token: this server requires PODBUG_TOKEN (--token-file)";
        label = "no_token";
    } else if (roles < 0) {
        reason = "podbug-server: token not accepted";
        label = "unknown_token";
    } else {
        reason = "podbug-server: token has no role 'probe'";
        label = "forbidden";
        code = AUTH_CLOSE_FORBIDDEN;
    }
    count_refusal(label, "probe", c->peer, reason);
    c->close_status = code;
    conn_close(c, reason);
    return false;
}

const char *auth_http_refusal(const char *path, const char *authorization)
{
    bool pods = strcmp(path, "/api/pods") == 0;
    if (!required || (!pods && strcmp(path, "/metrics") != 0))
        return NULL;
    const char *token = auth_bearer_token(authorization);
    int roles = auth_token_roles(token, NULL);
    if (roles >= 0 && (!pods || (roles & AUTH_ROLE_DEBUG)))
        return NULL;
    const char *why = !token      ? (pods ? "podbug-server: /api/pods needs a token (Authorization: Bearer, role 'debug')\n"
                                          : "podbug-server: /metrics needs a token (Authorization: Bearer)\n")
                      : roles < 0 ? "podbug-server: token not accepted\n"
                                  : "podbug-server: /api/pods needs a token with role 'debug'\n";
    server_metrics_count(PODBUG_AUTH_REFUSED, !token ? "no_token" : roles < 0 ? "unknown_token" : "forbidden", 1);
    return why;
}
