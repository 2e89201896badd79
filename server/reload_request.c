/* Validating podbug/reload's arguments (see reload_request.h): one check per field, in the order
 * a reader fixes them, the library decoded once to check its size and checksum. */
#include "reload_request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "probe_msg.h"

/* A boolean argument: absent or null is false. Returns 0, or -1 with err naming it. */
static int parse_bool(const cJSON *args, const char *field, bool *out, char *err, size_t err_len)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(args, field);
    *out = cJSON_IsTrue(item);
    if (item && !cJSON_IsNull(item) && !cJSON_IsBool(item)) {
        snprintf(err, err_len, "'%s' must be true or false", field);
        return -1;
    }
    return 0;
}

static int parse_name(const cJSON *args, bool required, reload_args *out, char *err, size_t err_len)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(args, "name");
    if (!name || cJSON_IsNull(name)) {
        if (required)
            snprintf(err, err_len, "'name' is required: the library's file name, e.g. libhandlers.so");
        return required ? -1 : 0;
    }
    if (!cJSON_IsString(name) || !name->valuestring[0] || strchr(name->valuestring, '/') ||
        strlen(name->valuestring) > 255) {
        snprintf(err, err_len, "'name' must be the library's file name, e.g. libhandlers.so (no directory)");
        return -1;
    }
    out->name = strdup(name->valuestring);
    if (!out->name) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    return 0;
}

static bool is_hex_sha256(const char *text)
{
    if (strlen(text) != LIBRARY_SHA256_HEX_LEN)
        return false;
    for (const char *c = text; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') || (*c >= 'A' && *c <= 'F')))
            return false;
    return true;
}

/* "library" decoded to check its size, then its SHA-256 computed and compared with "sha256". */
static int parse_library(const cJSON *args, reload_args *out, char *err, size_t err_len)
{
    const cJSON *library = cJSON_GetObjectItemCaseSensitive(args, "library");
    const cJSON *sha256 = cJSON_GetObjectItemCaseSensitive(args, "sha256");
    if (!library || cJSON_IsNull(library)) {
        snprintf(err, err_len, "'library' is required: the library file in base64");
        return -1;
    }
    if (!cJSON_IsString(library)) {
        snprintf(err, err_len, "'library' must be a string: the library file in base64");
        return -1;
    }
    bool sha_given = sha256 && !cJSON_IsNull(sha256);
    if (sha_given && (!cJSON_IsString(sha256) || !is_hex_sha256(sha256->valuestring))) {
        snprintf(err, err_len, "'sha256' must be 64 hex digits (the SHA-256 of the library file)");
        return -1;
    }
    char why[200];
    unsigned char *bytes;
    size_t n;
    if (library_base64_decode(library->valuestring, strlen(library->valuestring), RELOAD_MAX_LIBRARY, &bytes, &n,
                              why, sizeof why) != 0) {
        snprintf(err, err_len, "'library': %s", why);
        return -1;
    }
    if (n == 0) {
        snprintf(err, err_len, "'library' is empty");
        return -1;
    }
    library_sha256_hex(bytes, n, out->sha256);
    free(bytes);
    if (sha_given && strcasecmp(sha256->valuestring, out->sha256) != 0) {
        snprintf(err, err_len, "'sha256' does not match the library: its %zu bytes have SHA-256 %s, not %.64s", n,
                 out->sha256, sha256->valuestring);
        return -1;
    }
    out->library_bytes = n;
    out->library = strdup(library->valuestring);
    if (!out->library) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    return 0;
}

static int parse_canary(const cJSON *args, reload_args *out, char *err, size_t err_len)
{
    if (parse_bool(args, "canary", &out->canary, err, err_len) != 0)
        return -1;
    const cJSON *seconds = cJSON_GetObjectItemCaseSensitive(args, "canarySeconds");
    out->canary_ms = RELOAD_DEFAULT_CANARY_SECONDS * 1000;
    if (!seconds || cJSON_IsNull(seconds))
        return 0;
    if (!cJSON_IsNumber(seconds) || !(seconds->valuedouble >= 0 && seconds->valuedouble <= RELOAD_MAX_CANARY_SECONDS)) {
        snprintf(err, err_len, "'canarySeconds' must be a number 0..%d", RELOAD_MAX_CANARY_SECONDS);
        return -1;
    }
    out->canary_ms = (int64_t)(seconds->valuedouble * 1000 + 0.5);
    if (!cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(args, "canary")))
        out->canary = true;
    return 0;
}

int reload_args_parse(const cJSON *args, reload_args *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    int rc = parse_bool(args, "rollback", &out->rollback, err, err_len);
    if (rc == 0)
        rc = parse_name(args, !out->rollback, out, err, err_len);
    if (rc == 0 && !out->rollback)
        rc = parse_library(args, out, err, err_len);
    if (rc == 0)
        rc = parse_canary(args, out, err, err_len);
    if (rc == 0)
        rc = selector_parse(cJSON_GetObjectItemCaseSensitive(args, "selector"), NULL, &out->narrow, err, err_len);
    if (rc != 0)
        reload_args_free(out);
    return rc;
}

void reload_args_free(reload_args *a)
{
    free(a->name);
    free(a->library);
    selector_free(&a->narrow);
    memset(a, 0, sizeof *a);
}
