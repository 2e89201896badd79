/* Unit tests for redaction.c: pattern matching (case, substrings, wildcards), the defaults,
 * PODBUG_REDACT parsing, the server's additions, expressions that read a secret, and reveal. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "expr.h"
#include "redaction.h"

static redaction_rules parsed(const char *text)
{
    redaction_rules rules;
    char err[256] = "";
    cr_assert_eq(redaction_parse(text, &rules, err, sizeof err), 0, "%s", err);
    return rules;
}

Test(redaction, defaults_match_names_by_case_insensitive_substring)
{
    redaction_rules rules = parsed(NULL);
    cr_expect_eq(rules.n, 7);
    cr_expect_str_eq(redaction_match(&rules, "password"), "password");
    cr_expect_str_eq(redaction_match(&rules, "db_secret"), "secret");
    cr_expect_str_eq(redaction_match(&rules, "api_key"), "key");
    cr_expect_str_eq(redaction_match(&rules, "API_KEY"), "key");
    cr_expect_str_eq(redaction_match(&rules, "tokens"), "token");
    cr_expect_str_eq(redaction_match(&rules, "UserPasswd"), "passwd");
    cr_expect_str_eq(redaction_match(&rules, "aws_credentials"), "credential");
    cr_expect_str_eq(redaction_match(&rules, "Authorization"), "authorization");
    cr_expect_null(redaction_match(&rules, "amount"));
    cr_expect_null(redaction_match(&rules, "pass"));
    cr_expect_null(redaction_match(&rules, ""));
    cr_expect_null(redaction_match(&rules, NULL));
}

Test(redaction, wildcards_stand_for_any_characters)
{
    redaction_rules rules = parsed("card*num");
    cr_expect_str_eq(redaction_match(&rules, "card_number"), "card*num");
    cr_expect_str_eq(redaction_match(&rules, "CreditCardNum"), "card*num");
    cr_expect_str_eq(redaction_match(&rules, "cardnum"), "card*num");
    cr_expect_null(redaction_match(&rules, "number_card"));
    rules = parsed("*pin*");
    cr_expect_str_eq(redaction_match(&rules, "pin"), "*pin*");
    cr_expect_str_eq(redaction_match(&rules, "user_pin_code"), "*pin*");
    cr_expect_null(redaction_match(&rules, "pn"));
}

Test(redaction, env_text_replaces_extends_or_disables_the_defaults)
{
    redaction_rules rules = parsed("none");
    cr_expect_eq(rules.n, 0);
    cr_expect_null(redaction_match(&rules, "password"));
    rules = parsed("ssn, pin ,,");
    cr_expect_eq(rules.n, 2);
    cr_expect_str_eq(rules.patterns[1], "pin");
    cr_expect_null(redaction_match(&rules, "password"));
    cr_expect_str_eq(redaction_match(&rules, "user_ssn"), "ssn");
    rules = parsed("+ssn");
    cr_expect_eq(rules.n, 8);
    cr_expect_str_eq(redaction_match(&rules, "password"), "password");
    cr_expect_str_eq(redaction_match(&rules, "user_ssn"), "ssn");
    rules = parsed("");
    cr_expect_eq(rules.n, 7);
}

Test(redaction, refuses_too_long_or_too_many_patterns)
{
    redaction_rules rules;
    char err[256] = "", text[400];
    memset(text, 'a', 100);
    text[100] = '\0';
    cr_expect_eq(redaction_parse(text, &rules, err, sizeof err), -1);
    cr_expect(strstr(err, "longer than 63 characters"), "%s", err);
    text[0] = '\0';
    for (int i = 0; i < 40; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "p%d,", i);
    cr_expect_eq(redaction_parse(text, &rules, err, sizeof err), -1);
    cr_expect(strstr(err, "more than 32 patterns"), "%s", err);
}

Test(redaction, the_server_adds_patterns_without_repeating_any)
{
    redaction_rules rules = parsed("none");
    char err[256] = "";
    cr_assert_eq(redaction_add(&rules, "ssn,pin,SSN", err, sizeof err), 0, "%s", err);
    cr_expect_eq(rules.n, 2);
    rules = parsed(NULL);
    cr_assert_eq(redaction_add(&rules, "key,iban", err, sizeof err), 0, "%s", err);
    cr_expect_eq(rules.n, 8);
}

Test(redaction, config_reads_podbug_redact_and_rejects_a_bad_one)
{
    probe_config cfg;
    char err[256] = "";
    cr_assert_eq(probe_config_load(&cfg, "PODBUG_REDACT=+iban\n", err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(redaction_match(&cfg.redaction, "iban_code"), "iban");
    cr_expect_str_eq(redaction_match(&cfg.redaction, "token"), "token");
    probe_config_free(&cfg);
    cr_assert_eq(probe_config_load(&cfg, "PODBUG_SERVER=ws://127.0.0.1:4700\n", err, sizeof err), 0, "%s", err);
    cr_expect_eq(cfg.redaction.n, 7);
    probe_config_free(&cfg);
    char text[200] = "PODBUG_REDACT=";
    memset(text + strlen(text), 'x', 80);
    cr_expect_eq(probe_config_load(&cfg, text, err, sizeof err), -1);
    cr_expect(strstr(err, "PODBUG_REDACT"), "%s", err);
    probe_config_free(&cfg);
}

/* Whether expression text reads a secret under the default rules; err says which. */
static bool reads_secret(const char *text, char *err, size_t err_len)
{
    redaction_rules rules = parsed(NULL);
    redaction_use(&rules);
    char parse_err[256];
    expr_node *e = expr_parse(text, parse_err, sizeof parse_err);
    cr_assert(e, "%s: %s", text, parse_err);
    bool secret = redaction_expr_reads_secret(e, err, err_len);
    expr_free(e);
    return secret;
}

Test(redaction, expressions_reading_a_secret_anywhere_are_found)
{
    char err[256] = "";
    cr_expect(reads_secret("password[0]", err, sizeof err));
    cr_expect_str_eq(err, "redacted: 'password' matches the redaction pattern 'password'");
    cr_expect(reads_secret("cfg->api_key", err, sizeof err));
    cr_expect_str_eq(err, "redacted: 'api_key' matches the redaction pattern 'key'");
    cr_expect(reads_secret("*secret_ptr", err, sizeof err));
    cr_expect(reads_secret("cfg.port + (int)db_secret[1]", err, sizeof err));
    cr_expect(reads_secret("x ? 1 : tokens[2]", err, sizeof err));
    cr_expect(reads_secret("$streq(password, \"hunter2\")", err, sizeof err));
    cr_expect_not(reads_secret("cfg.port + 1", err, sizeof err));
    cr_expect_not(reads_secret("\"password\"", err, sizeof err));
    cr_expect_not(reads_secret("$rax", err, sizeof err));
    redaction_rules none = parsed("none");
    redaction_use(&none);
}

Test(redaction, refusal_names_the_pattern)
{
    redaction_rules rules = parsed("+pin");
    redaction_use(&rules);
    char err[256] = "";
    cr_expect(redaction_refuses("user_pin", err, sizeof err));
    cr_expect_str_eq(err, "redacted: 'user_pin' matches the redaction pattern 'pin'");
    cr_expect_not(redaction_refuses("count", err, sizeof err));
    redaction_rules none = parsed("none");
    redaction_use(&none);
}

Test(redaction, a_revealed_request_sees_every_name_until_redaction_returns)
{
    redaction_rules rules = parsed(NULL);
    redaction_use(&rules);
    char err[160] = "";
    cr_expect_str_eq(redaction_pattern_of("password"), "password");
    redaction_reveal(true);
    cr_expect_null(redaction_pattern_of("password"));
    cr_expect_not(redaction_refuses("api_key", err, sizeof err));
    redaction_reveal(false);
    cr_expect_str_eq(redaction_pattern_of("password"), "password");
    cr_expect(redaction_refuses("api_key", err, sizeof err));
    cr_expect_str_eq(err, "redacted: 'api_key' matches the redaction pattern 'key'");
}
