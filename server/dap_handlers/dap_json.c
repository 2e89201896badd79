/* DAP body pieces shared by the answers about live processes and about stored snapshots: stack
 * frames (IDE paths through the session's sourceMap), scopes, variables and values. */
#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cJSON *dap_frame_json(const dap_session *s, int frame_id, const probe_frame *f)
{
    cJSON *o = cJSON_CreateObject();
    char text[64];
    cJSON_AddNumberToObject(o, "id", frame_id);
    const char *module_name = f->module ? strrchr(f->module, '/') : NULL;
    module_name = module_name ? module_name + 1 : f->module;
    if (f->function) {
        cJSON_AddStringToObject(o, "name", f->function);
    } else {
        /* Like gdb's "?? () from libc.so.6": the address, and the module when known. */
        snprintf(text, sizeof text, "0x%llx%s%.32s", (unsigned long long)f->pc, module_name ? " in " : "",
                 module_name ? module_name : "");
        cJSON_AddStringToObject(o, "name", text);
    }
    if (f->file) {
        char *path = source_map_to_ide(&s->map, f->file);
        if (path) {
            cJSON *src = cJSON_AddObjectToObject(o, "source");
            const char *base = strrchr(path, '/');
            cJSON_AddStringToObject(src, "name", base ? base + 1 : path);
            cJSON_AddStringToObject(src, "path", path);
            free(path);
        }
    } else {
        cJSON_AddStringToObject(o, "presentationHint", "subtle");
    }
    cJSON_AddNumberToObject(o, "line", f->line);
    cJSON_AddNumberToObject(o, "column", f->line ? 1 : 0);
    snprintf(text, sizeof text, "0x%llx", (unsigned long long)f->pc);
    cJSON_AddStringToObject(o, "instructionPointerReference", text);
    if (module_name)
        cJSON_AddStringToObject(o, "moduleId", module_name);
    return o;
}

cJSON *dap_scope_json(const char *name, const char *presentation_hint, int variables_reference, int named,
                      bool expensive)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", name);
    if (presentation_hint)
        cJSON_AddStringToObject(o, "presentationHint", presentation_hint);
    cJSON_AddNumberToObject(o, "variablesReference", variables_reference);
    if (named > 0)
        cJSON_AddNumberToObject(o, "namedVariables", named);
    cJSON_AddBoolToObject(o, "expensive", expensive);
    return o;
}

void dap_add_value_fields(cJSON *o, const char *value_key, const char *value, const char *type,
                          int variables_reference, int named, int indexed)
{
    cJSON_AddStringToObject(o, value_key, value ? value : "");
    if (type)
        cJSON_AddStringToObject(o, "type", type);
    cJSON_AddNumberToObject(o, "variablesReference", variables_reference);
    if (named > 0)
        cJSON_AddNumberToObject(o, "namedVariables", named);
    if (indexed > 0)
        cJSON_AddNumberToObject(o, "indexedVariables", indexed);
}

cJSON *dap_variable_json(const char *name, const char *value, const char *type, int variables_reference,
                         int named, int indexed, const char *evaluate_name)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", name);
    dap_add_value_fields(o, "value", value, type, variables_reference, named, indexed);
    if (evaluate_name)
        cJSON_AddStringToObject(o, "evaluateName", evaluate_name);
    return o;
}
