/* libFuzzer target for protocol/probe_msg: decodes the envelope, then tries every typed decoder
 * on the body; a decoded body must re-encode to the same JSON, a rejected one must stay zeroed.
 * The snapshot validator must give the same verdict on the body and on a reprinted copy. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe_msg.h"

/* Prints a typed value as JSON text via its codec (malloc'ed). */
#define PRINT_VIA(T, value, text)                                                            \
    do {                                                                                     \
        cJSON *json_ = T##_to_json(value);                                                   \
        if (!json_ || !((text) = cJSON_PrintUnformatted(json_)))                             \
            abort();                                                                         \
        cJSON_Delete(json_);                                                                 \
    } while (0)

#define DEFINE_TRY(T)                                                                        \
    static void try_##T(const cJSON *body)                                                   \
    {                                                                                        \
        T first, second, zero;                                                               \
        char err[256];                                                                       \
        memset(&zero, 0, sizeof zero);                                                       \
        if (T##_from_json(body, &first, err, sizeof err) != 0) {                             \
            if (memcmp(&first, &zero, sizeof first) != 0 || err[0] == '\0')                  \
                abort();                                                                     \
            T##_free(&first);                                                                \
            return;                                                                          \
        }                                                                                    \
        char *first_text, *second_text;                                                      \
        PRINT_VIA(T, &first, first_text);                                                    \
        cJSON *reparsed = cJSON_Parse(first_text);                                           \
        if (!reparsed || T##_from_json(reparsed, &second, err, sizeof err) != 0)             \
            abort();                                                                         \
        PRINT_VIA(T, &second, second_text);                                                  \
        if (strcmp(first_text, second_text) != 0)                                            \
            abort();                                                                         \
        free(first_text);                                                                    \
        free(second_text);                                                                   \
        cJSON_Delete(reparsed);                                                              \
        T##_free(&first);                                                                    \
        T##_free(&second);                                                                   \
    }

DEFINE_TRY(probe_hello)
DEFINE_TRY(probe_bp_set)
DEFINE_TRY(probe_bp_clear)
DEFINE_TRY(probe_bp_result)
DEFINE_TRY(probe_stopped)
DEFINE_TRY(probe_bp_error)
DEFINE_TRY(probe_output)
DEFINE_TRY(probe_stack_request)
DEFINE_TRY(probe_stack_reply)
DEFINE_TRY(probe_continue)
DEFINE_TRY(probe_heartbeat)
DEFINE_TRY(probe_frame_request)
DEFINE_TRY(probe_scopes_reply)
DEFINE_TRY(probe_variables_request)
DEFINE_TRY(probe_variables_reply)
DEFINE_TRY(probe_evaluate_request)
DEFINE_TRY(probe_set_variable_request)
DEFINE_TRY(probe_value_reply)
DEFINE_TRY(probe_snapshot_dropped)
DEFINE_TRY(probe_reload)
DEFINE_TRY(probe_reload_result)
DEFINE_TRY(probe_reload_rollback)
DEFINE_TRY(probe_reload_rollback_result)

static void try_snapshot_validate(const cJSON *body)
{
    char err[1200] = "", again_err[1200] = "";
    int verdict = probe_snapshot_validate(body, err, sizeof err);
    if (verdict != 0 && err[0] == '\0')
        abort();
    char *text = cJSON_PrintUnformatted(body);
    cJSON *reparsed = text ? cJSON_Parse(text) : NULL;
    if (!reparsed || probe_snapshot_validate(reparsed, again_err, sizeof again_err) != verdict ||
        strcmp(err, again_err) != 0)
        abort();
    cJSON_Delete(reparsed);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    probe_envelope env;
    char err[256];
    if (probe_envelope_decode((const char *)data, size, &env, err, sizeof err) != 0) {
        if (env.root || err[0] == '\0')
            abort();
        return 0;
    }
    try_probe_hello(env.body);
    try_probe_bp_set(env.body);
    try_probe_bp_clear(env.body);
    try_probe_bp_result(env.body);
    try_probe_stopped(env.body);
    try_probe_bp_error(env.body);
    try_probe_output(env.body);
    try_probe_stack_request(env.body);
    try_probe_stack_reply(env.body);
    try_probe_continue(env.body);
    try_probe_heartbeat(env.body);
    try_probe_frame_request(env.body);
    try_probe_scopes_reply(env.body);
    try_probe_variables_request(env.body);
    try_probe_variables_reply(env.body);
    try_probe_evaluate_request(env.body);
    try_probe_set_variable_request(env.body);
    try_probe_value_reply(env.body);
    try_probe_snapshot_dropped(env.body);
    try_probe_reload(env.body);
    try_probe_reload_result(env.body);
    try_probe_reload_rollback(env.body);
    try_probe_reload_rollback_result(env.body);
    try_snapshot_validate(env.body);

    /* The envelope itself must re-encode to something that decodes to the same type and id. */
    char *text = probe_envelope_encode(env.type, env.id, cJSON_Duplicate(env.body, 1));
    probe_envelope again;
    if (!text || probe_envelope_decode(text, strlen(text), &again, err, sizeof err) != 0 ||
        strcmp(again.type, env.type) != 0 || again.id != env.id)
        abort();
    probe_envelope_free(&again);
    free(text);
    probe_envelope_free(&env);
    return 0;
}
