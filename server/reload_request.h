/* The arguments of the DAP request podbug/reload, validated: the library (base64, its size and
 * SHA-256 checked), the narrowing selector, canary, rollback. Errors name the field. */
#ifndef PODBUG_RELOAD_REQUEST_H
#define PODBUG_RELOAD_REQUEST_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "library_codec.h"
#include "selector.h"

#define RELOAD_DEFAULT_CANARY_SECONDS 10
#define RELOAD_MAX_CANARY_SECONDS 3600

typedef struct reload_args {
    bool rollback;           /* roll back instead of reloading */
    char *name;              /* the library's file name; NULL only for a rollback of the module reloaded last */
    char *library;           /* base64 as received; NULL for a rollback */
    size_t library_bytes;    /* its decoded size */
    char sha256[LIBRARY_SHA256_HEX_LEN + 1]; /* of the decoded bytes, computed here */
    selector narrow;         /* "selector": only these of the session's processes */
    bool canary;             /* one process first, the rest once it stayed healthy for canary_ms */
    int64_t canary_ms;
} reload_args;

/* args: the request's arguments object. Returns 0 with *out (free it with reload_args_free), or -1
 * with err such as "'library': not valid base64: '!' at offset 12" or "'canarySeconds' must be
 * a number 0..3600". canarySeconds without canary turns the canary on. */
int reload_args_parse(const cJSON *args, reload_args *out, char *err, size_t err_len);
void reload_args_free(reload_args *a);

#endif
