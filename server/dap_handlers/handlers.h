/* Every DAP request handler, one per file in this folder, registered in dap_dispatch.c.
 * Handlers validate their arguments and answer through dap_respond (possibly later). */
#ifndef PODBUG_DAP_HANDLERS_H
#define PODBUG_DAP_HANDLERS_H

#include "../dap_dispatch.h"

void dap_handle_initialize(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_attach(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_set_breakpoints(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_set_function_breakpoints(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_read_memory(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_disassemble(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_modules(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_configuration_done(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_threads(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_stack_trace(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_continue(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_next(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_step_in(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_step_out(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_pause(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_disconnect(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_pods(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_scopes(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_variables(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_evaluate(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_set_variable(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_snapshots(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_reload(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_set_exception_breakpoints(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_exception_info(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_launch(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_terminate(dap_session *s, const dap_request_ref *ref, const cJSON *args);

/* ---- attach.c: the session options attach and launch share ---- */

typedef struct dap_session_options {
    selector sel;
    source_map map;
    bool stop_all;
    bool fast_breakpoints;
    session_budgets budgets;
    canary_options canary;
} dap_session_options;

/* The arguments' sourceMap, stopAll, budgets and canary, with the processes selector_json and
 * pid_json select (attach: its "selector" and "pid"; either may be NULL). Returns 0, or -1 with
 * err naming the bad argument (nothing left allocated). */
int dap_session_options_parse(const cJSON *args, const cJSON *selector_json, const cJSON *pid_json,
                              dap_session_options *out, char *err, size_t err_len);
void dap_session_options_free(dap_session_options *o);
/* s is attached with o (taken) from now on: it sees the processes o selects. */
void dap_session_attach_with(dap_session *s, dap_session_options *o);

/* The probe that owns DAP thread id `thread_id` among those s sees; NULL with the request
 * answered with an error otherwise. */
probe_peer *dap_thread_probe(dap_session *s, const dap_request_ref *ref, const cJSON *args, int *tid);

/* ---- probe_forward.c: asking the probe of a stopped process about its state ---- */

/* The stopped process behind DAP frame id frame_id (its thread and frame index) or behind the
 * request's "variablesReference" (the probe's reference); NULL with the request answered with an
 * error when the handle is unknown, stale, or not the session's. */
probe_peer *dap_frame_probe(dap_session *s, const dap_request_ref *ref, int frame_id, int *tid, int *index);
probe_peer *dap_var_probe(dap_session *s, const dap_request_ref *ref, const cJSON *args, int64_t *probe_ref);

/* Answers ref from the probe's successful reply (the process is still stopped). */
typedef void (*dap_probe_answer_fn)(const dap_request_ref *ref, probe_peer *p, const cJSON *result);
/* Sends request `type` with body (taken; NULL means out of memory) to p. Failures (the probe's
 * error, a timeout, a disconnect, the process continuing meanwhile) are answered success:false
 * with the probe's message; a success goes to answer. */
void dap_probe_forward(const dap_request_ref *ref, probe_peer *p, const char *type, cJSON *body,
                       dap_probe_answer_fn answer);
/* The same for requests that need no stop (readMemory, disassemble: the process may run). */
void dap_probe_forward_anytime(const dap_request_ref *ref, probe_peer *p, const char *type, cJSON *body,
                               dap_probe_answer_fn answer);
/* Answers ref with a probe_value_reply (evaluate, setVariable) as {value_key, type, ...}. */
void dap_answer_value(const dap_request_ref *ref, probe_peer *p, const cJSON *result, const char *value_key);

/* ---- memory_reference.c: readMemory and disassemble ---- */

/* "0x<address>@<probe id>": a DAP memoryReference that names its process. */
void dap_memory_reference(char *out, size_t out_len, uint64_t address, uint64_t probe_id);
/* The process and address (plus the arguments' byte "offset") of the request's memoryReference;
 * NULL with the request answered with an error when it names no process s sees. */
probe_peer *dap_memory_probe(dap_session *s, const dap_request_ref *ref, const cJSON *args, uint64_t *address);
/* Adds "memoryReference" to a value's DAP object o when its type is a pointer (value "0x...") of p. */
void dap_add_memory_reference(cJSON *o, const probe_peer *p, const char *value, const char *type);

/* ---- snapshot_answers.c: requests about snapshot threads, answered from the store ---- */

/* Each returns false, answering nothing, when the id is not a snapshot's (the live path applies);
 * otherwise answers the request (an error when s does not show that snapshot) and returns true. */
bool dap_snapshot_stack_trace(dap_session *s, const dap_request_ref *ref, int thread_id, int start_frame,
                              int levels);
/* Dismisses the snapshot thread (the process it came from is not touched). */
bool dap_snapshot_continue(dap_session *s, const dap_request_ref *ref, int thread_id);
bool dap_snapshot_scopes(dap_session *s, const dap_request_ref *ref, int frame_id);
/* Children of a stored scope or variable: `start`, `count` (0 = all) and `filter` ("indexed",
 * "named" or NULL) as in the DAP request. */
bool dap_snapshot_variables(dap_session *s, const dap_request_ref *ref, int var_id, int start, int count,
                            const char *filter);
/* Looks the expression up among the frame's captured variables (evaluate names compared as
 * evaluate_names_match does: "o->amount" finds "(*o).amount"); a snapshot cannot run code or read
 * memory. */
bool dap_snapshot_evaluate(dap_session *s, const dap_request_ref *ref, int frame_id, const char *expression);
/* Refused: a snapshot is read-only. */
bool dap_snapshot_set_variable(dap_session *s, const dap_request_ref *ref, int var_id);

/* ---- dap_json.c: DAP body pieces shared by live processes and stored snapshots ---- */

/* A StackFrame: name (function, or address and module), source mapped to the IDE's path through
 * s's sourceMap, line, instructionPointerReference, moduleId. */
cJSON *dap_frame_json(const dap_session *s, int frame_id, const probe_frame *f);
cJSON *dap_scope_json(const char *name, const char *presentation_hint, int variables_reference, int named,
                      bool expensive);
/* Adds the DAP fields of a value to o: value_key ("value" or "result"), type, variablesReference
 * (0 without children), namedVariables and indexedVariables (when positive). */
void dap_add_value_fields(cJSON *o, const char *value_key, const char *value, const char *type,
                          int variables_reference, int named, int indexed);
/* A Variable: name, the value fields, evaluateName (when known). */
cJSON *dap_variable_json(const char *name, const char *value, const char *type, int variables_reference,
                         int named, int indexed, const char *evaluate_name);

#endif
