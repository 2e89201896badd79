/* Breakpoints of the probe by server id (see bp_registry.h). A line may resolve to several
 * addresses (-O2 copies); the breakpoint is verified when at least one of them is armed. Its
 * condition is compiled for every address before anything is armed (one that does not compile
 * arms nothing), and registered with the hit filter before the int3 goes in. A logpoint's message
 * is compiled the same way, per address, into a logpoint site, and a snapshot breakpoint's
 * capture plan likewise. Budgets left 0 in the spec take their defaults here. */
#include "bp_registry.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bp_conditions.h"
#include "cond.h"
#include "fast_sites.h"
#include "function_sites.h"
#include "log.h"
#include "reload.h"
#include "snapshot_capture.h"

#define MAX_LOCATIONS 16
#define MAX_RESOLVED 64 /* addresses looked at: copies of superseded reload generations are dropped */
#define ERR_LEN 512
#define PATH_REASON_LEN 200

typedef struct registered_bp {
    int64_t id;
    char *source;             /* NULL for a function breakpoint */
    int line;
    char *function;           /* a function breakpoint: the function's name; NULL otherwise */
    char *condition;          /* NULL when none */
    char *hit_condition;      /* NULL when none */
    char *log_message;        /* NULL: stops or snapshots; else a logpoint */
    bp_action action;
    probe_bp_budget budget;   /* as the server sent it (0 = default) */
    bool stop_all;            /* a stop here stops the whole process, not the hitting thread alone */
    bool fast_allowed;        /* the session allows the fast path (probe_bp_spec.fast) */
    uintptr_t addresses[MAX_LOCATIONS];
    site_path paths[MAX_LOCATIONS];                 /* how each address is armed */
    char path_reasons[MAX_LOCATIONS][PATH_REASON_LEN]; /* why a trap where fast was wanted, or "" */
    size_t n_addresses;
    bool switched_off;        /* by its CPU budget: stays disarmed until set anew */
    probe_bp_state state;     /* what was reported for it */
    struct registered_bp *next;
} registered_bp;

static registered_bp *registry;

/* The filter forgets the breakpoint before the int3 goes: a hit in between runs on. */
static void release(registered_bp *b)
{
    for (size_t i = 0; i < b->n_addresses; i++) {
        bp_conditions_remove(b->addresses[i], b->id);
        breakpoint_site_disarm(b->addresses[i]);
    }
    free(b->source);
    free(b->function);
    free(b->condition);
    free(b->hit_condition);
    free(b->log_message);
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

/* A condition or hit condition of blanks is none. */
static const char *text_or_null(const char *s)
{
    if (!s)
        return NULL;
    for (const char *p = s; *p; p++)
        if (!isspace((unsigned char)*p))
            return s;
    return NULL;
}

static bool same_text(const char *a, const char *b)
{
    a = text_or_null(a);
    b = text_or_null(b);
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bp_action action_of(const probe_bp_spec *spec)
{
    if (text_or_null(spec->log_message))
        return BP_LOG;
    return spec->mode && strcmp(spec->mode, "snapshot") == 0 ? BP_SNAPSHOT : BP_STOP;
}

static bool same_spec(const registered_bp *b, const probe_bp_spec *spec)
{
    return b->line == spec->line && same_text(b->source, spec->source) && same_text(b->function, spec->function) &&
           same_text(b->condition, spec->condition) && same_text(b->hit_condition, spec->hit_condition) &&
           same_text(b->log_message, spec->log_message) && b->action == action_of(spec) &&
           b->fast_allowed == (spec->fast != 0) && memcmp(&b->budget, &spec->budget, sizeof b->budget) == 0;
}

/* A spec's budget field, or its default when the server left it 0. */
static uint32_t or_default(int value, uint32_t fallback)
{
    return value > 0 ? (uint32_t)value : fallback;
}

/* What the registry needs of a breakpoint's budgets. */
typedef struct resolved_budget {
    bp_budget filter;
    snapshot_limits snapshot;
    unsigned condition_steps;
} resolved_budget;

static resolved_budget resolve_budget(const registered_bp *b)
{
    bp_budget d = bp_budget_default(b->action);
    const probe_bp_budget *in = &b->budget;
    return (resolved_budget){
        .filter = {
            .per_second = or_default(in->per_second, d.per_second),
            .bytes_per_second = or_default(in->bytes_per_second, d.bytes_per_second),
            .cpu_percent = or_default(in->cpu_percent, d.cpu_percent),
        },
        .snapshot = {
            .max_frames = or_default(in->max_frames, PROBE_DEFAULT_MAX_FRAMES),
            .max_depth = in->max_depth >= 0 ? (uint32_t)in->max_depth : PROBE_DEFAULT_MAX_DEPTH,
            .max_bytes = or_default(in->max_bytes, PROBE_DEFAULT_MAX_BYTES),
        },
        .condition_steps = or_default(in->condition_steps, PROBE_DEFAULT_CONDITION_STEPS),
    };
}

static void free_filter(bp_filter *f)
{
    cond_free(f->program);
    logpoint_site_free(f->log);
    snapshot_plan_free(f->snapshot);
}

/* Compiles the condition, the log message or the snapshot plan for one address into f. Returns
 * 0, or -1 with err (the compiler's message) and nothing left allocated. */
static int compile_filter(sym_index *symbols, const registered_bp *b, const resolved_budget *budget,
                          hit_condition hit, uintptr_t pc, bp_filter *f, char *err, size_t err_len)
{
    *f = (bp_filter){ .action = b->action, .hit = hit, .budget = budget->filter };
    if (b->condition) {
        if (!(f->program = cond_compile(symbols, pc, b->condition, err, err_len)))
            return -1;
        cond_set_step_limit(f->program, budget->condition_steps);
    }
    if ((b->action == BP_LOG &&
         !(f->log = logpoint_site_compile(symbols, pc, b->log_message, err, err_len))) ||
        (b->action == BP_SNAPSHOT &&
         !(f->snapshot = snapshot_plan_compile(symbols, pc, &budget->snapshot, err, err_len)))) {
        free_filter(f);
        return -1;
    }
    return 0;
}

/* Compiles a filter for every address. Returns 0, or -1 with err and nothing left allocated. */
static int compile_for_addresses(sym_index *symbols, const registered_bp *b, const sym_location *found,
                                 size_t n, hit_condition hit, bp_filter *filters, char *err, size_t err_len)
{
    resolved_budget budget = resolve_budget(b);
    if (b->action == BP_SNAPSHOT && snapshot_pool_init(err, err_len) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (compile_filter(symbols, b, &budget, hit, found[i].address, &filters[i], err, err_len) != 0) {
            for (size_t k = 0; k < i; k++)
                free_filter(&filters[k]);
            return -1;
        }
    }
    return 0;
}

/* Whether b wants the fast path: it filters hits in the target (a condition, a hit condition, a
 * log message or a snapshot) and its session allows it. An unconditional stop gains nothing. */
static bool wants_fast(const registered_bp *b)
{
    return b->fast_allowed && (b->condition || b->hit_condition || b->action != BP_STOP);
}

/* Registers b's filter at addr, then arms the site: *path says how, reason (PATH_REASON_LEN) why
 * a trap where the fast path was wanted, or when the session forbids it. Takes the filter's
 * parts. Returns 0, or -1 with err (nothing left registered). */
static int arm_address(sym_index *symbols, const registered_bp *b, uintptr_t addr, const bp_filter *filter,
                       site_path *path, char *reason, char *err, size_t err_len)
{
    if (bp_conditions_register(addr, b->id, filter) != 0) {
        snprintf(err, err_len, "too many breakpoints at 0x%lx (at most %d per address)",
                 (unsigned long)addr, BP_CONDITIONS_MAX_PER_ADDRESS);
        return -1;
    }
    if (breakpoint_site_arm(symbols, addr, wants_fast(b), path, reason, PATH_REASON_LEN, err, err_len) != 0) {
        bp_conditions_remove(addr, b->id);
        return -1;
    }
    if (!b->fast_allowed && (b->condition || b->hit_condition || b->action != BP_STOP))
        snprintf(reason, PATH_REASON_LEN, "the session asked for traps (fastBreakpoints: false)");
    return 0;
}

/* The addresses b should be armed at now (at most MAX_LOCATIONS): where its line or function has
 * code, except in function copies a hot reload superseded. 0 with err when there are none. */
static size_t resolve_addresses(sym_index *symbols, const registered_bp *b, sym_location *out, char *err,
                                size_t err_len)
{
    sym_location found[MAX_RESOLVED];
    size_t n = b->function ? sym_resolve_function(symbols, b->function, found, MAX_RESOLVED, err, err_len)
                           : sym_resolve_line(symbols, b->source, b->line, found, MAX_RESOLVED, err, err_len);
    size_t kept = 0;
    for (size_t i = 0; i < n && kept < MAX_LOCATIONS; i++)
        if (!reload_superseded(found[i].address))
            out[kept++] = found[i];
    return kept;
}

/* The index of addr among b's armed addresses, or b->n_addresses. */
static size_t address_index(const registered_bp *b, uintptr_t addr)
{
    size_t i = 0;
    while (i < b->n_addresses && b->addresses[i] != addr)
        i++;
    return i;
}

static bool has_address(const registered_bp *b, uintptr_t addr)
{
    return address_index(b, addr) < b->n_addresses;
}

static bool is_found(const sym_location *found, size_t n, uintptr_t addr)
{
    for (size_t i = 0; i < n; i++)
        if (found[i].address == addr)
            return true;
    return false;
}

static void clear_locations(registered_bp *b)
{
    probe_location *locs = b->state.locations;
    for (size_t i = 0; i < b->state.n_locations; i++) {
        free(locs[i].function);
        free(locs[i].file);
        free(locs[i].path);
        free(locs[i].path_reason);
    }
    b->state.n_locations = 0;
}

/* b's reported locations: those of found it is armed at, with how each is armed. */
static void describe_locations(registered_bp *b, const sym_location *found, size_t n)
{
    clear_locations(b);
    for (size_t i = 0; i < n; i++) {
        size_t k = address_index(b, found[i].address);
        if (k == b->n_addresses)
            continue;
        probe_location *l = &b->state.locations[b->state.n_locations++];
        l->address = found[i].address;
        l->function = dup_or_null(found[i].function);
        l->file = dup_or_null(found[i].file);
        l->line = found[i].line;
        l->path = strdup(b->paths[k] == SITE_PATH_FAST ? "fast" : "trap");
        l->path_reason = b->paths[k] == SITE_PATH_TRAP && b->path_reasons[k][0] ? strdup(b->path_reasons[k]) : NULL;
    }
}

/* Arms b where it resolves now and is not armed yet (all compiled before any is armed: one that
 * does not compile arms none), then disarms it where it no longer resolves: an address kept
 * keeps its hit count. Fills err when b ends up armed nowhere. */
static void bind_addresses(sym_index *symbols, registered_bp *b, char *err, size_t err_len)
{
    sym_location found[MAX_LOCATIONS], fresh[MAX_LOCATIONS];
    bp_filter filters[MAX_LOCATIONS];
    hit_condition hit;
    size_t n = resolve_addresses(symbols, b, found, err, err_len), n_fresh = 0;
    for (size_t i = 0; i < n; i++)
        if (!has_address(b, found[i].address))
            fresh[n_fresh++] = found[i];
    /* fresh and kept ones (both among found): b's addresses, paths and reasons once done */
    uintptr_t armed[MAX_LOCATIONS];
    site_path paths[MAX_LOCATIONS];
    char reasons[MAX_LOCATIONS][PATH_REASON_LEN];
    size_t n_armed = 0;
    if (n > 0 && hit_condition_parse(b->hit_condition, &hit, err, err_len) == 0 &&
        compile_for_addresses(symbols, b, fresh, n_fresh, hit, filters, err, err_len) == 0) {
        for (size_t i = 0; i < n_fresh; i++) {
            char arm_err[256];
            reasons[n_armed][0] = '\0';
            if (arm_address(symbols, b, fresh[i].address, &filters[i], &paths[n_armed], reasons[n_armed], arm_err,
                            sizeof arm_err) == 0) {
                armed[n_armed++] = fresh[i].address;
                continue;
            }
            log_warn("breakpoint %lld at 0x%lx: %s", (long long)b->id, (unsigned long)fresh[i].address, arm_err);
            snprintf(err, err_len, "%s", arm_err);
        }
    }
    for (size_t i = 0; i < b->n_addresses; i++) {
        if (is_found(found, n, b->addresses[i])) {
            armed[n_armed] = b->addresses[i];
            paths[n_armed] = b->paths[i];
            memcpy(reasons[n_armed++], b->path_reasons[i], PATH_REASON_LEN);
        } else {
            bp_conditions_remove(b->addresses[i], b->id);
            breakpoint_site_disarm(b->addresses[i]);
        }
    }
    memcpy(b->addresses, armed, n_armed * sizeof *armed);
    memcpy(b->paths, paths, n_armed * sizeof *paths);
    memcpy(b->path_reasons, reasons, n_armed * sizeof *reasons);
    b->n_addresses = n_armed;
    describe_locations(b, found, n);
    b->state.verified = b->n_addresses > 0;
    free(b->state.message);
    b->state.message = b->state.verified ? NULL : strdup(err[0] ? err : "no code found for this line");
}

/* Resolves and arms one breakpoint; its state says what happened. */
static registered_bp *arm(sym_index *symbols, const probe_bp_spec *spec)
{
    registered_bp *b = calloc(1, sizeof *b);
    probe_location *locs = calloc(MAX_LOCATIONS, sizeof *locs);
    const char *condition = text_or_null(spec->condition);
    const char *hit_text = text_or_null(spec->hit_condition);
    const char *log_text = text_or_null(spec->log_message);
    const char *function = text_or_null(spec->function);
    if (!b || !locs || (function ? !(b->function = strdup(function)) : spec->source && !(b->source = strdup(spec->source))) ||
        (condition && !(b->condition = strdup(condition))) ||
        (hit_text && !(b->hit_condition = strdup(hit_text))) ||
        (log_text && !(b->log_message = strdup(log_text)))) {
        if (b) {
            free(b->source);
            free(b->function);
            free(b->condition);
            free(b->hit_condition);
        }
        free(locs);
        free(b);
        return NULL;
    }
    b->id = spec->id;
    b->line = spec->line;
    b->action = action_of(spec);
    b->budget = spec->budget;
    b->fast_allowed = spec->fast != 0;
    b->state.id = spec->id;
    b->state.locations = locs;

    char err[ERR_LEN] = "";
    sym_index_refresh(symbols);
    bind_addresses(symbols, b, err, sizeof err);
    char where[300];
    if (function)
        snprintf(where, sizeof where, "function %s", function);
    else
        snprintf(where, sizeof where, "%s:%d", spec->source, spec->line);
    log_info("breakpoint %lld at %s%s%s: %s (%zu address%s)", (long long)spec->id, where, condition ? " if " : "", condition ? condition : "", b->state.verified ? "armed" : err,
             b->n_addresses, b->n_addresses == 1 ? "" : "es");
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
        l->path = dup_or_null(from->locations[i].path);
        l->path_reason = dup_or_null(from->locations[i].path_reason);
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
        if (b && !same_spec(b, spec)) {
            release(b);
            b = NULL;
        }
        if (!b)
            b = arm(symbols, spec);
        if (!b)
            return -1;
        b->stop_all = spec->stop_all != 0;
        b->next = registry;
        registry = b;
        if (copy_state(&b->state, &out->breakpoints[out->n++]) != 0)
            return -1;
    }
    return 0;
}

bool bp_registry_stops_all(const int64_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (const registered_bp *b = registry; b; b = b->next)
            if (b->id == ids[i] && b->stop_all)
                return true;
    return n == 0;
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

void bp_registry_switch_off(int64_t id, const char *why)
{
    for (registered_bp *b = registry; b; b = b->next) {
        if (b->id != id)
            continue;
        for (size_t i = 0; i < b->n_addresses; i++) {
            bp_conditions_remove(b->addresses[i], b->id);
            breakpoint_site_disarm(b->addresses[i]);
        }
        b->n_addresses = 0;
        b->switched_off = true;
        clear_locations(b);
        b->state.verified = 0;
        free(b->state.message);
        b->state.message = strdup(why);
        return;
    }
}

void bp_registry_rebind(sym_index *symbols)
{
    sym_index_refresh(symbols);
    for (registered_bp *b = registry; b; b = b->next) {
        char err[ERR_LEN] = "";
        if (!b->switched_off)
            bind_addresses(symbols, b, err, sizeof err);
    }
}
