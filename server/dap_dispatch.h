/* The one table of DAP request handlers: command name -> handler. Unknown commands get
 * success:false with a message naming the command. */
#ifndef PODBUG_DAP_DISPATCH_H
#define PODBUG_DAP_DISPATCH_H

#include <cjson/cJSON.h>
#include "dap_session.h"

/* A handler answers its request itself, now or later (through a dap_request_ref). `args` is the
 * request's "arguments" object, or an empty object when absent. */
typedef void (*dap_handler_fn)(dap_session *s, const dap_request_ref *ref, const cJSON *args);

void dap_dispatch(dap_session *s, const cJSON *request);

#endif
