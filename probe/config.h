/* The probe's configuration, read once from the environment or from settings text:
 * PODBUG_SERVER, PODBUG_POD, PODBUG_NAMESPACE, PODBUG_LABELS, PODBUG_TOKEN, PODBUG_LOG
 * (see DESIGN.md section 3), PODBUG_REDACT (see redaction.h), PODBUG_CA (for wss://) and
 * PODBUG_BREAKPOINTS (fast or trap, see fast_sites.h). */
#ifndef PODBUG_PROBE_CONFIG_H
#define PODBUG_PROBE_CONFIG_H

#include <stdbool.h>
#include "log.h"
#include "probe_msg.h"
#include "redaction.h"

typedef struct probe_config {
    char server_url[512];   /* ws://host:port/probe */
    char host[256];         /* parsed from server_url */
    int port;
    char path[256];
    bool tls;               /* wss:// */
    char ca_file[512];      /* PODBUG_CA: PEM CA bundle for wss://; "" = the system's trust store */
    char pod[256];
    char namespace_[256];
    probe_label *labels;    /* from PODBUG_LABELS "k=v,k=v" */
    size_t n_labels;
    char token[512];
    log_level log_level;    /* PODBUG_LOG: error, warn (default), info, debug */
    redaction_rules redaction; /* PODBUG_REDACT: the names whose values never leave the process */
    bool fast_breakpoints;  /* PODBUG_BREAKPOINTS: fast (default: jump-patched where safe) or trap */
} probe_config;

/* Reads the settings from the environment (settings NULL) or from settings text, one
 * "NAME=value" per line (what `podbug attach` passes to an injected probe); the same names,
 * defaults and checks either way. Returns 0, or -1 with err naming the bad setting. */
int probe_config_load(probe_config *cfg, const char *settings, char *err, size_t err_len);
void probe_config_free(probe_config *cfg);

#endif
