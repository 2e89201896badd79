/* DAP "modules": the loaded modules of every process the session sees, asked of their probes and
 * answered when all replied. Ids are "<process>:<index>"; with several processes each name starts
 * with the process ("checkout-1/4242 libc.so.6"). Build-ids are in the custom field "buildId". */
#include "handlers.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../probe_link.h"

typedef struct modules_round {
    dap_request_ref ref;
    cJSON *list;      /* the DAP modules so far */
    int outstanding;  /* replies awaited, plus one while requests are being sent */
    bool prefix;      /* several processes: names say whose */
} modules_round;

static void add_modules(modules_round *round, probe_peer *p, const cJSON *result)
{
    probe_modules_reply reply = { 0 };
    char err[200], name[96], text[600];
    if (probe_modules_reply_from_json(result, &reply, err, sizeof err) != 0)
        return;
    fleet_display_name(p, name, sizeof name);
    for (size_t i = 0; i < reply.n; i++) {
        const probe_module *m = &reply.modules[i];
        const char *base = strrchr(m->path, '/');
        cJSON *o = cJSON_CreateObject();
        snprintf(text, sizeof text, "%" PRIu64 ":%zu", p->id, i);
        cJSON_AddStringToObject(o, "id", text);
        snprintf(text, sizeof text, "%s%s%s", round->prefix ? name : "", round->prefix ? " " : "",
                 base ? base + 1 : m->path);
        cJSON_AddStringToObject(o, "name", text);
        cJSON_AddStringToObject(o, "path", m->path);
        cJSON_AddStringToObject(o, "symbolStatus", m->symbols);
        snprintf(text, sizeof text, "0x%" PRIx64 "-0x%" PRIx64, m->low, m->high);
        cJSON_AddStringToObject(o, "addressRange", text);
        cJSON_AddStringToObject(o, "buildId", m->build_id);
        cJSON_AddItemToArray(round->list, o);
    }
    probe_modules_reply_free(&reply);
}

static void round_release(modules_round *round)
{
    if (--round->outstanding > 0)
        return;
    cJSON *body = cJSON_CreateObject();
    cJSON_AddNumberToObject(body, "totalModules", cJSON_GetArraySize(round->list));
    cJSON_AddItemToObject(body, "modules", round->list);
    dap_respond(&round->ref, true, NULL, body);
    free(round);
}

static void on_modules_reply(void *ctx, probe_peer *p, const cJSON *result, const char *error)
{
    modules_round *round = ctx;
    if (result && p)
        add_modules(round, p, result);
    round_release(round);
}

void dap_handle_modules(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    modules_round *round = calloc(1, sizeof *round);
    if (!round || !(round->list = cJSON_CreateArray())) {
        free(round);
        dap_respond_error(ref, "out of memory");
        return;
    }
    round->ref = *ref;
    size_t seen = 0;
    for (probe_peer *p = fleet_first(); p; p = p->next)
        seen += dap_session_sees(s, p);
    round->prefix = seen > 1;
    round->outstanding = 1;
    for (probe_peer *p = fleet_first(); p; p = p->next) {
        if (!dap_session_sees(s, p))
            continue;
        round->outstanding++;
        probe_link_request(p, PMSG_MODULES, cJSON_CreateObject(), on_modules_reply, round);
    }
    round_release(round);
}
