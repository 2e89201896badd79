/* Unit tests for server/auth_tokens and server/auth: token file parsing (every refusal names
 * FILE:LINE), roles, lookup and its compare, the file mode check, and the server's policy verdicts. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "auth_tokens.h"

#define PROBE_TOKEN "probe-token-0123456789"
#define DEBUG_TOKEN "debug-token-0123456789"
#define ALL_TOKEN "all-roles-token-0123456789"

static char *parse_error(const char *text)
{
    static char err[300];
    auth_tokens t;
    err[0] = '\0';
    cr_assert_eq(auth_tokens_parse(text, "tokens", &t, err, sizeof err), -1, "accepted: %s", text);
    cr_expect_eq(t.n, 0);
    return err;
}

/* A token file with the given text and mode in a fresh temporary directory; returns its path. */
static const char *write_file(const char *text, mode_t mode)
{
    static char path[64];
    char dir[] = "/tmp/podbug-auth-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/tokens", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    cr_assert_eq(chmod(path, mode), 0);
    return path;
}

static void remove_file(const char *path)
{
    char dir[64];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    unlink(path);
    rmdir(dir);
}

Test(auth_tokens, parses_tokens_roles_and_names_skipping_comments_and_blank_lines)
{
    auth_tokens t;
    char err[300] = "";
    const char *text = "# who may connect\n"
                       "\n"
                       "   \t\n"
                       PROBE_TOKEN " probe fleet-probes\r\n"
                       "  " DEBUG_TOKEN "\tdebug,reload   \n"
                       "# the last one\n"
                       ALL_TOKEN " probe,debug,reload,secrets ops";
    cr_assert_eq(auth_tokens_parse(text, "tokens", &t, err, sizeof err), 0, "%s", err);
    cr_assert_eq(t.n, 3);
    cr_expect_str_eq(t.items[0].token, PROBE_TOKEN);
    cr_expect_eq(t.items[0].roles, AUTH_ROLE_PROBE);
    cr_expect_str_eq(t.items[0].name, "fleet-probes");
    cr_expect_eq(t.items[1].roles, AUTH_ROLE_DEBUG | AUTH_ROLE_RELOAD);
    cr_expect_str_eq(t.items[1].name, "line 5", "an unnamed token is named by its line");
    cr_expect_eq(t.items[2].roles, AUTH_ROLE_PROBE | AUTH_ROLE_DEBUG | AUTH_ROLE_RELOAD | AUTH_ROLE_SECRETS);
    cr_expect_eq(auth_tokens_with_role(&t, AUTH_ROLE_PROBE), 2);
    cr_expect_eq(auth_tokens_with_role(&t, AUTH_ROLE_SECRETS), 1);
    cr_expect_str_eq(auth_role_name(AUTH_ROLE_RELOAD), "reload");
    cr_expect_null(auth_role_name(AUTH_ROLE_PROBE | AUTH_ROLE_DEBUG));
    auth_tokens_free(&t);
}

Test(auth_tokens, every_refusal_names_the_file_and_line)
{
    cr_expect_str_eq(parse_error("# ok\n" PROBE_TOKEN "\n"), "tokens:2: expected 'TOKEN ROLE[,ROLE...] [NAME]', found 1 field");
    cr_expect_str_eq(parse_error(PROBE_TOKEN " probe name extra\n"),
                     "tokens:1: expected 'TOKEN ROLE[,ROLE...] [NAME]', found 4 fields");
    cr_expect_str_eq(parse_error(PROBE_TOKEN " probe,admin\n"),
                     "tokens:1: unknown role 'admin' (roles: probe, debug, reload, secrets)");
    cr_expect_str_eq(parse_error(PROBE_TOKEN " probe,\n"),
                     "tokens:1: unknown role '' (roles: probe, debug, reload, secrets)");
    cr_expect_str_eq(parse_error(PROBE_TOKEN " Probe\n"),
                     "tokens:1: unknown role 'Probe' (roles: probe, debug, reload, secrets)");
    cr_expect_str_eq(parse_error("\n\nshort-token-123 probe\n"), "tokens:3: the token has 15 characters; tokens need 16 to 256");
    cr_expect_str_eq(parse_error(PROBE_TOKEN " probe a\n" DEBUG_TOKEN " debug\n" PROBE_TOKEN " debug\n"),
                     "tokens:3: duplicate token (also given to a)");
    cr_expect_str_eq(parse_error("token-with-\x01-control probe\n"),
                     "tokens:1: the token may hold only printable ASCII characters");
}

Test(auth_tokens, sixteen_characters_are_enough)
{
    auth_tokens t;
    char err[300] = "";
    cr_assert_eq(auth_tokens_parse("0123456789abcdef probe\n", "tokens", &t, err, sizeof err), 0, "%s", err);
    cr_expect_eq(t.n, 1);
    auth_tokens_free(&t);
}

Test(auth_tokens, lookup_finds_exactly_the_token)
{
    auth_tokens t;
    char err[300] = "";
    cr_assert_eq(auth_tokens_parse(PROBE_TOKEN " probe p\n" DEBUG_TOKEN " debug d\n", "tokens", &t, err, sizeof err), 0);
    const auth_token *found = auth_tokens_find(&t, DEBUG_TOKEN, strlen(DEBUG_TOKEN));
    cr_assert_not_null(found);
    cr_expect_str_eq(found->name, "d");
    cr_expect_null(auth_tokens_find(&t, DEBUG_TOKEN, strlen(DEBUG_TOKEN) - 1), "a prefix is not the token");
    cr_expect_null(auth_tokens_find(&t, DEBUG_TOKEN "0", strlen(DEBUG_TOKEN) + 1), "nor is a longer one");
    cr_expect_null(auth_tokens_find(&t, "debug-token-0123456788", strlen(DEBUG_TOKEN)), "the last character differs");
    cr_expect_null(auth_tokens_find(&t, "", 0));
    auth_tokens_free(&t);
}

Test(auth_tokens, the_compare_looks_at_every_byte_and_the_length)
{
    cr_expect(auth_token_equal("abcdefgh", 8, "abcdefgh", 8));
    cr_expect_not(auth_token_equal("abcdefgX", 8, "abcdefgh", 8));
    cr_expect_not(auth_token_equal("Xbcdefgh", 8, "abcdefgh", 8));
    cr_expect_not(auth_token_equal("abcdefg", 7, "abcdefgh", 8));
    cr_expect_not(auth_token_equal("abcdefgh\0", 9, "abcdefgh", 8), "a trailing NUL is a different length");
    cr_expect_not(auth_token_equal("abcdefghi", 9, "abcdefgh", 8));
}

Test(auth_tokens, a_file_readable_by_group_or_others_is_refused)
{
    auth_tokens t;
    char err[300] = "", expected[200];
    const char *path = write_file(PROBE_TOKEN " probe\n", 0640);
    cr_expect_eq(auth_tokens_load(path, &t, err, sizeof err), -1);
    snprintf(expected, sizeof expected, "%s: readable or writable by group or others (mode 0640); chmod 600 it", path);
    cr_expect_str_eq(err, expected);
    cr_assert_eq(chmod(path, 0604), 0);
    cr_expect_eq(auth_tokens_load(path, &t, err, sizeof err), -1, "readable by others");
    cr_assert_eq(chmod(path, 0400), 0);
    cr_assert_eq(auth_tokens_load(path, &t, err, sizeof err), 0, "%s", err);
    cr_expect_eq(t.n, 1);
    auth_tokens_free(&t);
    remove_file(path);
    cr_expect_eq(auth_tokens_load(path, &t, err, sizeof err), -1);
    cr_expect(strstr(err, "No such file"), "%s", err);
}

Test(auth_tokens, the_file_errors_name_its_path_and_line)
{
    auth_tokens t;
    char err[300] = "", expected[300];
    const char *path = write_file(PROBE_TOKEN " probe\n" DEBUG_TOKEN " root\n", 0600);
    cr_expect_eq(auth_tokens_load(path, &t, err, sizeof err), -1);
    snprintf(expected, sizeof expected, "%s:2: unknown role 'root' (roles: probe, debug, reload, secrets)", path);
    cr_expect_str_eq(err, expected);
    remove_file(path);
}

Test(auth_policy, without_a_token_file_only_loopback_and_everyone_but_secrets)
{
    char err[300] = "";
    cr_expect_eq(auth_start(NULL, "0.0.0.0", err, sizeof err), -1);
    cr_expect_str_eq(err, "--listen 0.0.0.0 needs --token-file: without tokens the server only listens on loopback");
    cr_expect_eq(auth_start(NULL, "10.1.2.3", err, sizeof err), -1);
    cr_expect_eq(auth_start(NULL, "::", err, sizeof err), -1);
    cr_expect_eq(auth_start(NULL, "127.0.0.1", err, sizeof err), 0, "%s", err);
    cr_expect_eq(auth_start(NULL, "127.1.2.3", err, sizeof err), 0);
    cr_expect_eq(auth_start(NULL, "::1", err, sizeof err), 0);
    cr_expect_eq(auth_start(NULL, "localhost", err, sizeof err), 0);
    cr_expect_not(auth_required());
    cr_expect_eq(auth_token_roles(NULL, NULL), AUTH_ROLES_WITHOUT_TOKENS);
    cr_expect_eq(AUTH_ROLES_WITHOUT_TOKENS & AUTH_ROLE_SECRETS, 0, "no one sees secrets without tokens");
    cr_expect_null(auth_http_refusal("/api/pods", NULL));
    cr_expect_null(auth_http_refusal("/metrics", NULL));
}

Test(auth_policy, with_a_token_file_http_and_bearer_verdicts)
{
    char err[300] = "";
    const char *path = write_file(PROBE_TOKEN " probe p\n" DEBUG_TOKEN " debug d\n", 0600);
    cr_assert_eq(auth_start(path, "0.0.0.0", err, sizeof err), 0, "%s", err);
    cr_expect(auth_required());
    cr_expect_str_eq(auth_bearer_token("Bearer " DEBUG_TOKEN), DEBUG_TOKEN);
    cr_expect_str_eq(auth_bearer_token("bearer  " DEBUG_TOKEN), DEBUG_TOKEN);
    cr_expect_null(auth_bearer_token("Basic dXNlcjpwYXNz"));
    cr_expect_null(auth_bearer_token("Bearer "));
    cr_expect_null(auth_bearer_token(""));
    const char *name = NULL;
    cr_expect_eq(auth_token_roles(DEBUG_TOKEN, &name), AUTH_ROLE_DEBUG);
    cr_expect_str_eq(name, "d");
    cr_expect_eq(auth_token_roles("not-a-token-0123456789", NULL), -1);
    cr_expect_eq(auth_token_roles(NULL, NULL), -1);

    cr_expect_null(auth_http_refusal("/healthz", NULL), "/healthz is always open");
    cr_expect_str_eq(auth_http_refusal("/metrics", ""), "podbug-server: /metrics needs a token (Authorization: Bearer)\n");
    cr_expect_null(auth_http_refusal("/metrics", "Bearer " PROBE_TOKEN), "any valid token reads /metrics");
    cr_expect_str_eq(auth_http_refusal("/api/pods", "Bearer " PROBE_TOKEN),
                     "podbug-server: /api/pods needs a token with role 'debug'\n");
    cr_expect_str_eq(auth_http_refusal("/api/pods", "Bearer wrong-token-0123456789"), "podbug-server: token not accepted\n");
    cr_expect_null(auth_http_refusal("/api/pods", "Bearer " DEBUG_TOKEN));
    auth_stop();
    remove_file(path);
}

Test(auth_policy, a_bad_file_at_sighup_keeps_the_old_tokens)
{
    char err[300] = "";
    const char *path = write_file(PROBE_TOKEN " probe\n", 0600);
    cr_assert_eq(auth_start(path, "127.0.0.1", err, sizeof err), 0, "%s", err);
    FILE *f = fopen(path, "w");
    fputs(DEBUG_TOKEN " nonsense\n", f);
    fclose(f);
    auth_request_reload();
    auth_tick();
    cr_expect_eq(auth_token_roles(PROBE_TOKEN, NULL), AUTH_ROLE_PROBE, "the old table stays");
    f = fopen(path, "w");
    fputs(DEBUG_TOKEN " debug\n", f);
    fclose(f);
    auth_request_reload();
    auth_tick();
    cr_expect_eq(auth_token_roles(PROBE_TOKEN, NULL), -1, "the new table replaced it");
    cr_expect_eq(auth_token_roles(DEBUG_TOKEN, NULL), AUTH_ROLE_DEBUG);
    auth_stop();
    remove_file(path);
}
