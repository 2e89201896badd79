/* The --token-file table: parsing "TOKEN ROLE[,ROLE...] [NAME]" lines into tokens and roles, and
 * looking a presented token up in constant time. Pure: no server state, no sockets. */
#ifndef PODBUG_SERVER_AUTH_TOKENS_H
#define PODBUG_SERVER_AUTH_TOKENS_H

#include <stdbool.h>
#include <stddef.h>

#define AUTH_TOKEN_MIN_LEN 16
#define AUTH_TOKEN_MAX_LEN 256

typedef enum {
    AUTH_ROLE_PROBE = 1u << 0,    /* a probe may register on /probe */
    AUTH_ROLE_DEBUG = 1u << 1,    /* a DAP session may attach/launch and debug; /api/pods */
    AUTH_ROLE_RELOAD = 1u << 2,   /* podbug/reload (reload and rollback) */
    AUTH_ROLE_SECRETS = 1u << 3,  /* the session sees values the probe would redact */
} auth_role;

#define AUTH_ROLE_COUNT 4

typedef struct auth_token {
    char *token;
    size_t len;
    unsigned roles;   /* auth_role bits */
    char *name;       /* the line's NAME, or "line N" */
} auth_token;

typedef struct auth_tokens {
    auth_token *items;
    size_t n;
} auth_tokens;

/* Parses a token file's text; file names it in errors. Returns 0, or -1 with err naming FILE:LINE
 * and the problem (malformed line, unknown role, duplicate or short token); *out is then empty. */
int auth_tokens_parse(const char *text, const char *file, auth_tokens *out, char *err, size_t err_len);
/* Reads and parses path, refusing a file readable or writable by group or others. */
int auth_tokens_load(const char *path, auth_tokens *out, char *err, size_t err_len);
void auth_tokens_free(auth_tokens *t);

/* The entry whose token equals token[0..len), or NULL. Every entry is compared, each in constant
 * time, so the time taken says nothing about how close a guess was. */
const auth_token *auth_tokens_find(const auth_tokens *t, const char *token, size_t len);
/* a == b, in a time that depends only on b_len (the stored token's length). */
bool auth_token_equal(const char *a, size_t a_len, const char *b, size_t b_len);

/* "probe", "debug", "reload", "secrets" for one role bit; NULL for anything else. */
const char *auth_role_name(unsigned role);
/* How many tokens have the role. */
size_t auth_tokens_with_role(const auth_tokens *t, unsigned role);

#endif
