/* Unit tests for server/reload_request: podbug/reload's arguments, each refusal naming its field,
 * the library's checksum computed and compared, canary defaults, rollback without a library. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "probe_msg.h"
#include "reload_request.h"

/* "abc" and its SHA-256 */
#define ABC "YWJj"
#define ABC_SHA "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define ZERO_SHA "0000000000000000000000000000000000000000000000000000000000000000"
/* A valid reload's arguments, open for more */
#define VALID "{\"name\": \"l.so\", \"library\": \"" ABC "\""
#define NAME_RULE "'name' must be the library's file name, e.g. libhandlers.so (no directory)"
#define CANARY_RULE "'canarySeconds' must be a number 0..3600"

static int parse(const char *json, reload_args *out, char *err, size_t err_len)
{
    cJSON *args = cJSON_Parse(json);
    cr_assert_not_null(args, "test input is not JSON: %s", json);
    int rc = reload_args_parse(args, out, err, err_len);
    cJSON_Delete(args);
    return rc;
}

Test(reload_request, a_reload_with_its_library_checked)
{
    reload_args a;
    char err[300] = "";
    const char *json = "{\"name\": \"libhandlers.so\", \"library\": \"" ABC "\", \"sha256\": \"" ABC_SHA "\"}";
    cr_assert_eq(parse(json, &a, err, sizeof err), 0, "%s", err);
    cr_expect_not(a.rollback);
    cr_expect_str_eq(a.name, "libhandlers.so");
    cr_expect_str_eq(a.library, ABC);
    cr_expect_eq(a.library_bytes, 3);
    cr_expect_str_eq(a.sha256, ABC_SHA);
    cr_expect_not(a.canary);
    cr_expect_eq(a.canary_ms, RELOAD_DEFAULT_CANARY_SECONDS * 1000);
    cr_expect_eq(a.narrow.n_labels, 0);
    reload_args_free(&a);
}

Test(reload_request, the_checksum_is_computed_without_one_and_compared_in_any_case)
{
    reload_args a;
    char err[300] = "";
    cr_assert_eq(parse(VALID "}", &a, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(a.sha256, ABC_SHA);
    reload_args_free(&a);
    const char *upper = VALID ", \"sha256\": \"BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD\"}";
    cr_assert_eq(parse(upper, &a, err, sizeof err), 0, "%s", err);
    reload_args_free(&a);
}

Test(reload_request, refusals_name_the_field)
{
    const char *cases[][2] = {
        { "{}", "'name' is required: the library's file name, e.g. libhandlers.so" },
        { "{\"name\": 3, \"library\": \"" ABC "\"}", NAME_RULE },
        { "{\"name\": \"\", \"library\": \"" ABC "\"}", NAME_RULE },
        { "{\"name\": \"lib/x.so\", \"library\": \"" ABC "\"}", NAME_RULE },
        { "{\"name\": \"l.so\"}", "'library' is required: the library file in base64" },
        { "{\"name\": \"l.so\", \"library\": null}", "'library' is required: the library file in base64" },
        { "{\"name\": \"l.so\", \"library\": []}", "'library' must be a string: the library file in base64" },
        { "{\"name\": \"l.so\", \"library\": \"\"}", "'library' is empty" },
        { "{\"name\": \"l.so\", \"library\": \"YWJ\"}",
          "'library': not valid base64: its length 3 is not a multiple of 4" },
        { "{\"name\": \"l.so\", \"library\": \"Y*Jj\"}", "'library': not valid base64: '*' at offset 1" },
        { VALID ", \"sha256\": \"xyz\"}", "'sha256' must be 64 hex digits (the SHA-256 of the library file)" },
        { VALID ", \"sha256\": \"" ZERO_SHA "\"}",
          "'sha256' does not match the library: its 3 bytes have SHA-256 " ABC_SHA ", not " ZERO_SHA },
        { VALID ", \"canary\": 1}", "'canary' must be true or false" },
        { VALID ", \"canarySeconds\": -0.5}", CANARY_RULE },
        { VALID ", \"canarySeconds\": 3600.5}", CANARY_RULE },
        { VALID ", \"canarySeconds\": \"10\"}", CANARY_RULE },
        { "{\"rollback\": \"yes\"}", "'rollback' must be true or false" },
        { VALID ", \"selector\": \"app=x\"}",
          "'selector' must be an object of label -> value, e.g. {\"app\": \"shop\"}" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        reload_args a;
        char err[300] = "";
        cr_expect_eq(parse(cases[i][0], &a, err, sizeof err), -1, "%s", cases[i][0]);
        cr_expect_str_eq(err, cases[i][1], "%s", cases[i][0]);
        cr_expect_null(a.name, "nothing is left allocated");
        cr_expect_null(a.library);
    }
}

Test(reload_request, a_library_over_the_limit_is_refused)
{
    size_t len = (RELOAD_MAX_LIBRARY / 3 + 1) * 4; /* base64 of RELOAD_MAX_LIBRARY + 1 or 2 bytes */
    char *text = malloc(len + 1);
    cr_assert_not_null(text);
    memset(text, 'A', len);
    text[len] = '\0';
    cJSON *args = cJSON_CreateObject();
    cJSON_AddStringToObject(args, "name", "big.so");
    cJSON_AddStringToObject(args, "library", text);
    free(text);
    reload_args a;
    char err[300] = "";
    cr_expect_eq(reload_args_parse(args, &a, err, sizeof err), -1);
    cr_expect_str_eq(err, "'library': decodes to 16777218 bytes, more than the limit of 16777216");
    cJSON_Delete(args);
}

Test(reload_request, canary_seconds_turn_the_canary_on_unless_it_is_false)
{
    reload_args a;
    char err[300] = "";
    cr_assert_eq(parse(VALID ", \"canarySeconds\": 2.5}", &a, err, sizeof err), 0, "%s", err);
    cr_expect(a.canary);
    cr_expect_eq(a.canary_ms, 2500);
    reload_args_free(&a);
    cr_assert_eq(parse(VALID ", \"canary\": false, \"canarySeconds\": 0}", &a, err, sizeof err), 0, "%s", err);
    cr_expect_not(a.canary);
    cr_expect_eq(a.canary_ms, 0);
    reload_args_free(&a);
    cr_assert_eq(parse(VALID ", \"canary\": true}", &a, err, sizeof err), 0, "%s", err);
    cr_expect(a.canary);
    cr_expect_eq(a.canary_ms, 10000);
    reload_args_free(&a);
}

Test(reload_request, a_rollback_needs_no_library_and_no_name)
{
    reload_args a;
    char err[300] = "";
    cr_assert_eq(parse("{\"rollback\": true}", &a, err, sizeof err), 0, "%s", err);
    cr_expect(a.rollback);
    cr_expect_null(a.name);
    cr_expect_null(a.library);
    reload_args_free(&a);
    const char *json =
        "{\"rollback\": true, \"name\": \"libhandlers.so\", \"library\": \"!!\", \"selector\": {\"tier\": \"web\"}}";
    cr_assert_eq(parse(json, &a, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(a.name, "libhandlers.so");
    cr_expect_null(a.library, "a rollback ignores the library");
    cr_assert_eq(a.narrow.n_labels, 1);
    cr_expect_str_eq(a.narrow.labels[0].key, "tier");
    reload_args_free(&a);
}
