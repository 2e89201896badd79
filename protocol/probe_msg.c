/* Probe protocol v1 envelope: parsing and validating {"v":1,"type":...,"id":...,"body":{...}}
 * and building envelope text, including the "error" reply. Typed bodies: probe_msg_types.c. */
#include "probe_msg.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <math.h>
#include <string.h>

static int fail(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t err_len, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(err, err_len, fmt, args);
    va_end(args);
    return -1;
}

static int is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Parses exactly one JSON value, allowing surrounding whitespace only. */
/* True when some number in the tree overflowed a double (1e999): JSON has no infinities, so
 * such a value could not be sent back as it was read. */
static bool has_infinite_number(const cJSON *item)
{
    for (; item; item = item->next) {
        if ((cJSON_IsNumber(item) && !isfinite(item->valuedouble)) || has_infinite_number(item->child))
            return true;
    }
    return false;
}

static cJSON *parse_single_value(const char *text, size_t len, char *err, size_t err_len)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        fail(err, err_len, "invalid JSON at byte %zu", end ? (size_t)(end - text) : (size_t)0);
        return NULL;
    }
    while (end < text + len && is_json_space(*end))
        end++;
    if (end < text + len) {
        fail(err, err_len, "unexpected data after the JSON value at byte %zu",
             (size_t)(end - text));
        cJSON_Delete(root);
        return NULL;
    }
    if (has_infinite_number(root)) {
        fail(err, err_len, "a number is too large for JSON (it overflows a double)");
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

static int check_version(const cJSON *root, char *err, size_t err_len)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "v");
    if (!v)
        return fail(err, err_len, "v: missing (this peer speaks protocol version %d)",
                    PROBE_PROTOCOL_VERSION);
    if (!cJSON_IsNumber(v))
        return fail(err, err_len, "v: expected the protocol version number %d",
                    PROBE_PROTOCOL_VERSION);
    if (v->valuedouble != PROBE_PROTOCOL_VERSION)
        return fail(err, err_len, "v: unsupported protocol version %g (this peer speaks %d)",
                    v->valuedouble, PROBE_PROTOCOL_VERSION);
    return 0;
}

static int read_id(const cJSON *root, int64_t *id, char *err, size_t err_len)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, "id");
    *id = 0;
    if (!item)
        return 0;
    double d = item->valuedouble;
    bool in_range = d >= 0 && d <= (double)PROBE_MAX_INTEGER;
    if (!cJSON_IsNumber(item) || !in_range || d != (double)(int64_t)d)
        return fail(err, err_len, "id: expected a non-negative integer");
    *id = (int64_t)d;
    return 0;
}

int probe_envelope_decode(const char *text, size_t len, probe_envelope *out, char *err,
                          size_t err_len)
{
    memset(out, 0, sizeof *out);
    if (len > PROBE_MAX_MESSAGE)
        return fail(err, err_len, "probe message of %zu bytes exceeds the limit of %u", len,
                    PROBE_MAX_MESSAGE);
    if (!text || len == 0)
        return fail(err, err_len, "empty probe message");
    cJSON *root = parse_single_value(text, len, err, err_len);
    if (!root)
        return -1;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return fail(err, err_len, "envelope: expected a JSON object");
    }

    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
    cJSON *body = cJSON_GetObjectItemCaseSensitive(root, "body");
    int64_t id = 0;
    int rc = check_version(root, err, err_len);
    if (rc == 0 && !type)
        rc = fail(err, err_len, "type: missing");
    else if (rc == 0 && !cJSON_IsString(type))
        rc = fail(err, err_len, "type: expected a string");
    else if (rc == 0 && type->valuestring[0] == '\0')
        rc = fail(err, err_len, "type: must not be empty");
    if (rc == 0)
        rc = read_id(root, &id, err, err_len);
    if (rc == 0 && body && !cJSON_IsObject(body))
        rc = fail(err, err_len, "body: expected an object");
    if (rc == 0 && !body && !(body = cJSON_AddObjectToObject(root, "body")))
        rc = fail(err, err_len, "out of memory");
    if (rc != 0) {
        cJSON_Delete(root);
        return -1;
    }
    out->root = root;
    out->type = type->valuestring;
    out->id = id;
    out->body = body;
    return 0;
}

void probe_envelope_free(probe_envelope *env)
{
    cJSON_Delete(env->root);
    memset(env, 0, sizeof *env);
}

char *probe_envelope_encode(const char *type, int64_t id, cJSON *body)
{
    cJSON *root = cJSON_CreateObject();
    if (!body)
        body = cJSON_CreateObject();
    int ok = root && body && type && type[0] && id >= 0 && id <= PROBE_MAX_INTEGER &&
             cJSON_AddNumberToObject(root, "v", PROBE_PROTOCOL_VERSION) &&
             cJSON_AddStringToObject(root, "type", type) &&
             (id == 0 || cJSON_AddNumberToObject(root, "id", (double)id));
    if (ok && cJSON_AddItemToObject(root, "body", body))
        body = NULL; /* root owns it now */
    else
        ok = 0;
    cJSON_Delete(body);
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text;
}

char *probe_error_encode(int64_t id, const char *message)
{
    cJSON *body = cJSON_CreateObject();
    if (body && !cJSON_AddStringToObject(body, "message", message ? message : "")) {
        cJSON_Delete(body);
        return NULL;
    }
    return body ? probe_envelope_encode(PMSG_ERROR, id, body) : NULL;
}
