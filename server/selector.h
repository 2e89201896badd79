/* Which processes a DAP session debugs: label -> value pairs ("pod" and "namespace" count as
 * labels) and an optional pid, parsed from the attach arguments and matched against probes. */
#ifndef PODBUG_SELECTOR_H
#define PODBUG_SELECTOR_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include "fleet.h"

typedef struct selector {
    probe_label *labels;
    size_t n_labels;
    int pid;   /* 0 = any */
} selector;

/* selector_json may be NULL (match every probe) or an object of string values; pid_json may be
 * NULL or a positive integer. Returns 0, or -1 with err naming the bad argument. */
int selector_parse(const cJSON *selector_json, const cJSON *pid_json, selector *out, char *err, size_t err_len);
void selector_free(selector *s);
bool selector_matches(const selector *s, const probe_peer *p);
/* "app=shop,namespace=prod pid=12" (or "every process") for messages. */
void selector_describe(const selector *s, char *buf, size_t len);

#endif
