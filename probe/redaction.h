/* Redaction of secrets in the probe: the name patterns (PODBUG_REDACT, the server's additions),
 * whether a variable, member or expression names a secret, and the messages that say so. */
#ifndef PODBUG_REDACTION_H
#define PODBUG_REDACTION_H

#include <stdbool.h>
#include <stddef.h>

struct expr_node;

#define REDACTION_TEXT "<redacted>"       /* what a redacted value shows */
#define REDACTION_MAX_PATTERNS 32
#define REDACTION_PATTERN_LEN 64
#define REDACTION_DEFAULTS "password,passwd,secret,token,key,credential,authorization"

/* Patterns: case-insensitive substrings of a name, in which '*' stands for any characters. */
typedef struct redaction_rules {
    char patterns[REDACTION_MAX_PATTERNS][REDACTION_PATTERN_LEN];
    size_t n;
} redaction_rules;

/* Parses a PODBUG_REDACT value into out: NULL or "" gives the defaults, "none" nothing, "a,b"
 * exactly those, "+a,b" the defaults and those. Blank items are skipped. Returns 0, or -1 with err
 * ("PODBUG_REDACT: pattern 'x...' is longer than 63 characters", "... more than 32 patterns"). */
int redaction_parse(const char *text, redaction_rules *out, char *err, size_t err_len);
/* Adds the patterns of comma-separated text (the server's) to rules, skipping those it has.
 * Returns 0, or -1 with err ("pattern 'x...' is longer than 63 characters", "more than 32
 * patterns"); the patterns before the bad one are added. */
int redaction_add(redaction_rules *rules, const char *text, char *err, size_t err_len);
/* The first pattern of rules that name matches, or NULL (also for a NULL name). */
const char *redaction_match(const redaction_rules *rules, const char *name);

/* The probe's rules (agent thread only): every request and report applies them. */
void redaction_use(const redaction_rules *rules);
const redaction_rules *redaction_active(void);
/* redaction_match with the probe's rules; NULL for every name while revealed. */
const char *redaction_pattern_of(const char *name);
/* Reveals (true) or redacts again (false): the server sets "reveal" on the requests of a session
 * whose token has role secrets (4.8.1); server_requests reveals for the duration of such a request. */
void redaction_reveal(bool on);
/* Whether a request that names name is refused: true with err "redacted: 'password' matches the
 * redaction pattern 'password'", false when name is not redacted. */
bool redaction_refuses(const char *name, char *err, size_t err_len);

/* Whether expression e reads a name that is redacted: a variable, or a member after '.' or '->',
 * anywhere in the tree. True with err as redaction_refuses, false when e reads no secret. */
bool redaction_expr_reads_secret(const struct expr_node *e, char *err, size_t err_len);

#endif
