/* Every DAP request handler, one per file in this folder, registered in dap_dispatch.c.
 * Handlers validate their arguments and answer through dap_respond (possibly later). */
#ifndef PODBUG_DAP_HANDLERS_H
#define PODBUG_DAP_HANDLERS_H

#include "../dap_dispatch.h"

void dap_handle_initialize(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_attach(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_set_breakpoints(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_configuration_done(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_threads(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_stack_trace(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_continue(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_disconnect(dap_session *s, const dap_request_ref *ref, const cJSON *args);
void dap_handle_pods(dap_session *s, const dap_request_ref *ref, const cJSON *args);

/* The probe that owns DAP thread id `thread_id` among those s sees; NULL with the request
 * answered with an error otherwise. */
probe_peer *dap_thread_probe(dap_session *s, const dap_request_ref *ref, const cJSON *args, int *tid);

#endif
