/* Breakpoints of the probe by server id (see bp_registry.h). A line may resolve to several
 * addresses (-O2 copies); the breakpoint is verified when at least one of them is armed. */
#include "bp_registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "trap.h"

#define MAX_LOCATIONS 16

typedef struct registered_bp {
    int64_t id;
    char *source;
    int line;
    uintptr_t addresses[MAX_LOCATIONS];
    size_t n_addresses;
    probe_bp_state state;     /* what was reported for it */
    struct registered_bp *next;
} registered_bp;

static registered_bp *registry;

static void release(registered_bp *b)
{
    for (size_t i = 0; i < b->n_addresses; i++)
        trap_disarm(b->addresses[i]);
    free(b->source);
    probe_bp_state_free(&b->state);
    free(b);
}

static registered_bp *unlink_bp(int64_t id)
{
    for (registered_bp **bp = &registry; *bp; bp = &(*bp)->next) {
        if ((*bp)->id == id) {
            registered_bp *b = *bp;
            *bp = b->next;
            return b;
        }
    }
    return NULL;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Resolves and arms one breakpoint; its state says what happened. */
static registered_bp *arm(sym_index *symbols, const probe_bp_spec *spec)
{
    registered_bp *b = calloc(1, sizeof *b);
    probe_location *locs = calloc(MAX_LOCATIONS, sizeof *locs);
    if (!b || !locs || !(b->source = strdup(spec->source))) {
        free(locs);
        free(b);
        return NULL;
    }
    b->id = spec->id;
    b->line = spec->line;
    b->state.id = spec->id;
    b->state.locations = locs;

    sym_location found[MAX_LOCATIONS];
    char err[512] = "";
    sym_index_refresh(symbols);
    size_t n = sym_resolve_line(symbols, spec->source, spec->line, found, MAX_LOCATIONS, err, sizeof err);
    for (size_t i = 0; i < n; i++) {
        char arm_err[256];
        if (trap_arm(found[i].address, arm_err, sizeof arm_err) != 0) {
            log_warn("breakpoint %lld at 0x%lx: %s", (long long)spec->id, (unsigned long)found[i].address, arm_err);
            snprintf(err, sizeof err, "%s", arm_err);
            continue;
        }
        b->addresses[b->n_addresses++] = found[i].address;
        probe_location *l = &locs[b->state.n_locations++];
        l->address = found[i].address;
        l->function = dup_or_null(found[i].function);
        l->file = dup_or_null(found[i].file);
        l->line = found[i].line;
    }
    b->state.verified = b->n_addresses > 0;
    if (!b->state.verified)
        b->state.message = strdup(err[0] ? err : "no code found for this line");
    log_info("breakpoint %lld at %s:%d: %s (%zu address%s)", (long long)spec->id, spec->source, spec->line,
             b->state.verified ? "armed" : err, b->n_addresses, b->n_addresses == 1 ? "" : "es");
    return b;
}

static int copy_state(const probe_bp_state *from, probe_bp_state *to)
{
    memset(to, 0, sizeof *to);
    to->id = from->id;
    to->verified = from->verified;
    to->message = dup_or_null(from->message);
    to->locations = calloc(from->n_locations ? from->n_locations : 1, sizeof *to->locations);
    if (!to->locations)
        return -1;
    for (size_t i = 0; i < from->n_locations; i++) {
        probe_location *l = &to->locations[to->n_locations++];
        *l = from->locations[i];
        l->function = dup_or_null(from->locations[i].function);
        l->file = dup_or_null(from->locations[i].file);
    }
    return 0;
}

int bp_registry_set(sym_index *symbols, const probe_bp_set *set, probe_bp_result *out)
{
    out->n = 0;
    out->breakpoints = calloc(set->n ? set->n : 1, sizeof *out->breakpoints);
    if (!out->breakpoints)
        return -1;
    for (size_t i = 0; i < set->n; i++) {
        const probe_bp_spec *spec = &set->breakpoints[i];
        registered_bp *b = unlink_bp(spec->id);
        if (b && (b->line != spec->line || strcmp(b->source, spec->source) != 0)) {
            release(b);
            b = NULL;
        }
        if (!b)
            b = arm(symbols, spec);
        if (!b)
            return -1;
        b->next = registry;
        registry = b;
        if (copy_state(&b->state, &out->breakpoints[out->n++]) != 0)
            return -1;
    }
    return 0;
}

void bp_registry_clear(const int64_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        registered_bp *b = unlink_bp(ids[i]);
        if (b)
            release(b);
    }
}

void bp_registry_clear_all(void)
{
    while (registry) {
        registered_bp *b = registry;
        registry = b->next;
        release(b);
    }
}

size_t bp_registry_ids_at(uintptr_t addr, int64_t *ids, size_t max)
{
    size_t n = 0;
    for (registered_bp *b = registry; b; b = b->next)
        for (size_t i = 0; i < b->n_addresses; i++)
            if (b->addresses[i] == addr && n < max)
                ids[n++] = b->id;
    return n;
}
