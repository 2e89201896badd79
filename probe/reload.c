/* Hot reload orchestration (see reload.h): per reloaded module a stack of generations, 0 being the
 * code the process loaded itself, the top the one running; rolled-back generations stay loaded.
 *
 * Which entry jumps where. While generation r runs, each function name f has a live copy: r's own
 * f, unless f's code was unchanged when r was made, in which case it is the live copy of the
 * generation before (the older copy keeps running; r's copy is reached only from r's own code).
 * The running generation's entries hold their original bytes; an entry of any other generation
 * (older, or rolled back) whose function the running one has jumps to the live copy, unless it
 * is that copy; every other entry holds its original bytes. A reload or rollback computes the
 * wanted target of every entry of the module and moves all that change in one
 * entry_patch_set_all, so restoring a generation gives every entry exactly the bytes it had then.
 *
 * State. A reloaded generation uses the running module's storage for every variable carried
 * (reload_relink); each generation remembers where its variables really live (its bindings), so
 * that the next reload binds to the storage in use, not to a copy nobody uses. */
#include "reload.h"

#include <dlfcn.h>
#include <inttypes.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bp_registry.h"
#include "crash_guard.h"
#include "elf_module.h"
#include "entry_patch.h"
#include "log.h"
#include "reload_compat.h"
#include "reload_image.h"
#include "reload_relink.h"
#include "reload_view.h"
#include "signal_interpose.h"
#include "stopper.h"
#include "text_patch.h"

#define BUILD_ID_HEX_MAX 129
#define HOOK_SYMBOL "podbug_reload_state"

/* Functions that belong to the toolchain's start-up and tear-down code, never redirected: their
 * copies serve their own library (its init/fini arrays, its __dso_handle). */
static const char *const toolchain_functions[] = {
    "_init", "_fini", "frame_dummy", "register_tm_clones", "deregister_tm_clones",
    "__do_global_dtors_aux", HOOK_SYMBOL, NULL,
};

typedef struct gen_function {
    const char *name;         /* in the generation's symbols */
    uintptr_t address;        /* runtime */
    uint64_t size;
    uintptr_t limit;          /* the bytes its entry may take end here: the next symbol */
    bool unique;              /* may be redirected (a size, not the toolchain's), and no other
                               * function of its generation has that name */
    uintptr_t live;           /* while its generation runs: where calls of this name go */
    entry_patch patch;        /* valid once prepared */
    bool prepared;
    uintptr_t wanted;         /* where it should jump (0: its own bytes); == patch.target
                               * outside a swap */
} gen_function;

typedef struct generation {
    int number;
    int64_t reload_id;        /* 0 for generation 0 */
    char path[PATH_MAX];      /* the file its symbols and DWARF are read from */
    reload_elf elf;           /* that file's bytes */
    reload_image image;       /* generations >= 1: the loaded library */
    uintptr_t bias, low, high;
    elf_symbols symbols;
    gen_function *functions;  /* one per symbol, by address */
    size_t n_functions;
    size_t *by_name;          /* indexes of the functions that may be redirected, sorted by name */
    size_t n_named;
    reload_view *view;        /* its DWARF, while it may run (again) */
    reload_binding *bindings; /* its variables whose storage in use is elsewhere */
    size_t n_bindings;
    bool pending;             /* being loaded: no breakpoint goes into it yet */
} generation;

typedef struct reloaded_module {
    char *path;               /* of the module the process loaded */
    char *soname;             /* its DT_SONAME, NULL when none */
    generation **stack;       /* [0] the original code .. [depth - 1] the running one */
    size_t depth;
    generation **retired;     /* rolled back: still loaded, their entries follow the running one */
    size_t n_retired;
} reloaded_module;

static reloaded_module **modules;
static size_t n_modules;
static reloaded_module *last_reloaded;

/* The reloaded generations' code, for the crash handler: appended (published before the swap, so
 * that a crash in its first instructions counts), withdrawn only when the swap failed. A range is
 * valid while its `high` is set: written last (release), cleared first. */
typedef struct code_range {
    uintptr_t low;
    _Atomic uintptr_t high;
    int64_t reload_id;
    const char *module;
    int generation;
} code_range;
static code_range code_ranges[RELOAD_MAX_GENERATIONS];
static atomic_size_t n_code_ranges;

/* ---- generations ---- */

static int64_t now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static const char *file_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static bool is_toolchain_function(const char *name)
{
    for (const char *const *t = toolchain_functions; *t; t++)
        if (strcmp(*t, name) == 0)
            return true;
    return false;
}

static const generation *sort_generation; /* qsort has no context argument */

static int by_function_name(const void *a, const void *b)
{
    const gen_function *fs = sort_generation->functions;
    return strcmp(fs[*(const size_t *)a].name, fs[*(const size_t *)b].name);
}

/* A function of the generation with that name (any of them when several have it). */
static gen_function *some_function_named(const generation *g, const char *name)
{
    size_t lo = 0, hi = g->n_named;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        gen_function *f = &g->functions[g->by_name[mid]];
        int order = strcmp(f->name, name);
        if (order == 0)
            return f;
        if (order < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The generation's function of that name; NULL when none or several have it. */
static gen_function *function_named(const generation *g, const char *name)
{
    gen_function *f = some_function_named(g, name);
    return f && f->unique ? f : NULL;
}

/* The function whose bytes hold addr. */
static gen_function *function_at(const generation *g, uintptr_t addr)
{
    if (addr < g->low || addr >= g->high)
        return NULL;
    const elf_symbol *s = elf_symbols_find(&g->symbols, addr - g->bias);
    return s ? &g->functions[s - g->symbols.symbols] : NULL;
}

/* The functions of g's symbols that a reload may redirect, by address and by name. */
static int index_functions(generation *g, char *err, size_t err_len)
{
    if (elf_symbols_load(g->path, &g->symbols, err, err_len) != 0)
        return -1;
    size_t count = g->symbols.count;
    g->functions = calloc(count ? count : 1, sizeof *g->functions);
    g->by_name = calloc(count ? count : 1, sizeof *g->by_name);
    if (!g->functions || !g->by_name) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        const elf_symbol *s = &g->symbols.symbols[i];
        uint64_t limit = i + 1 < count ? g->symbols.symbols[i + 1].address : UINT64_MAX;
        uint64_t code_end = reload_elf_code_end(&g->elf, s->address);
        if (code_end && code_end < limit)
            limit = code_end;
        if (limit == UINT64_MAX)
            limit = s->address + s->size;
        uintptr_t address = g->bias + s->address;
        g->functions[i] = (gen_function){ .name = s->name, .address = address, .size = s->size,
                                          .limit = g->bias + limit, .live = address };
        if (s->size > 0 && !is_toolchain_function(s->name))
            g->by_name[g->n_named++] = i;
    }
    g->n_functions = count;
    sort_generation = g;
    qsort(g->by_name, g->n_named, sizeof *g->by_name, by_function_name);
    for (size_t i = 0; i < g->n_named; i++) {
        gen_function *f = &g->functions[g->by_name[i]];
        f->unique = (i == 0 || strcmp(g->functions[g->by_name[i - 1]].name, f->name) != 0) &&
                    (i + 1 == g->n_named || strcmp(g->functions[g->by_name[i + 1]].name, f->name) != 0);
    }
    return 0;
}

static int read_view(generation *g, char *err, size_t err_len)
{
    g->view = reload_view_read(g->path, g->bias, err, err_len);
    return g->view ? 0 : -1;
}

static void generation_free(generation *g)
{
    if (!g)
        return;
    elf_symbols_free(&g->symbols);
    free(g->functions);
    free(g->by_name);
    reload_view_free(g->view);
    free(g->bindings);
    reload_elf_close(&g->elf);
    reload_image_discard(&g->image);
    free(g);
}

/* Where the storage at addr (of generation g) is really used: a carried variable lives on in an
 * older generation's storage. */
static uintptr_t storage_in_use(const generation *g, uintptr_t addr)
{
    for (size_t i = 0; i < g->n_bindings; i++)
        if (addr - g->bindings[i].from < g->bindings[i].size)
            return g->bindings[i].to + (addr - g->bindings[i].from);
    return addr;
}

/* The file the running module was loaded from: its path, unless the file there was replaced since
 * (another build-id), then the mapped file itself through /proc/self/map_files. */
static int open_original_file(const sym_module_info *info, generation *g, char *err, size_t err_len)
{
    char build_id[BUILD_ID_HEX_MAX];
    snprintf(g->path, sizeof g->path, "%s", info->path);
    if (reload_elf_map(&g->elf, g->path, err, err_len) != 0)
        return -1;
    reload_elf_build_id(&g->elf, build_id, sizeof build_id);
    if (strcmp(build_id, info->build_id) == 0)
        return 0;
    reload_elf_close(&g->elf);
    text_mapping mapping;
    if (text_mapping_find(info->low, &mapping) == 0) {
        snprintf(g->path, sizeof g->path, "/proc/self/map_files/%" PRIxPTR "-%" PRIxPTR, mapping.start, mapping.end);
        if (reload_elf_map(&g->elf, g->path, err, err_len) == 0)
            return 0;
    }
    snprintf(err, err_len, "%s was replaced on disk since the process loaded it (its build-id changed) and "
             "the loaded file cannot be read through /proc/self/map_files", info->path);
    return -1;
}

/* ---- the modules ---- */

static bool is_generation_path(const char *path)
{
    for (size_t i = 0; i < n_modules; i++) {
        const reloaded_module *m = modules[i];
        for (size_t k = 1; k < m->depth; k++)
            if (strcmp(m->stack[k]->image.path, path) == 0)
                return true;
        for (size_t k = 0; k < m->n_retired; k++)
            if (strcmp(m->retired[k]->image.path, path) == 0)
                return true;
    }
    return false;
}

/* The DT_SONAME of the ELF file at path into out ("" when none or unreadable). */
static void soname_of(const char *path, char *out, size_t len)
{
    reload_elf elf;
    reload_elf_dynamic dynamic;
    char err[256];
    out[0] = '\0';
    if (reload_elf_map(&elf, path, err, sizeof err) != 0)
        return;
    if (reload_elf_dynamic_read(&elf, &dynamic, err, sizeof err) == 0 && dynamic.soname)
        snprintf(out, len, "%s", dynamic.soname);
    reload_elf_close(&elf);
}

static bool names_match(const char *a, const char *b)
{
    return a && b && a[0] && strcmp(a, b) == 0;
}

/* The loaded module (not one of our generations) whose file name, or else DT_SONAME, is name or
 * soname. */
static bool find_loaded_module(sym_index *symbols, const char *name, const char *soname, sym_module_info *out,
                               char *err, size_t err_len)
{
    for (int pass = 0; pass < 2; pass++) {
        sym_module_info info;
        for (size_t i = 0; sym_module_get(symbols, i, &info); i++) {
            if (is_generation_path(info.path))
                continue;
            char module_soname[256] = "";
            const char *key = file_name(info.path);
            if (pass == 1) {
                soname_of(info.path, module_soname, sizeof module_soname);
                key = module_soname;
            }
            if (names_match(key, name) || names_match(key, soname)) {
                *out = info;
                return true;
            }
        }
    }
    int n = snprintf(err, err_len, "no module named %s is loaded (loaded:", name);
    sym_module_info info;
    const char *separator = " ";
    for (size_t i = 0; sym_module_get(symbols, i, &info) && n >= 0 && (size_t)n < err_len; i++) {
        if (is_generation_path(info.path))
            continue;
        n += snprintf(err + n, err_len - (size_t)n, "%s%s", separator, file_name(info.path));
        separator = ", ";
    }
    if (n >= 0 && (size_t)n < err_len)
        snprintf(err + n, err_len - (size_t)n, ")");
    return false;
}

static void module_free(reloaded_module *m)
{
    for (size_t i = 0; i < m->depth; i++)
        generation_free(m->stack[i]);
    free(m->stack);
    free(m->path);
    free(m->soname);
    free(m);
}

/* The record of a module reloaded before, or a new one holding its generation 0. */
static reloaded_module *module_record(const sym_module_info *info, char *err, size_t err_len)
{
    for (size_t i = 0; i < n_modules; i++) {
        reloaded_module *m = modules[i];
        if (strcmp(m->path, info->path) != 0)
            continue;
        if (m->depth > 1 || m->n_retired > 0 || m->stack[0]->bias == info->bias)
            return m;
        module_free(m); /* unloaded and loaded again since: start afresh */
        modules[i] = modules[--n_modules];
        break;
    }
    reloaded_module *m = calloc(1, sizeof *m);
    generation *g = calloc(1, sizeof *g);
    if (g)
        *g = (generation){ .bias = info->bias, .low = info->low, .high = info->high, .image = { .fd = -1 } };
    reloaded_module **grown = realloc(modules, (n_modules + 1) * sizeof *grown);
    if (grown)
        modules = grown;
    if (!m || !g || !grown || !(m->path = strdup(info->path)) || !(m->stack = malloc(sizeof *m->stack))) {
        snprintf(err, err_len, "out of memory");
        goto failed;
    }
    reload_elf_dynamic dynamic;
    if (open_original_file(info, g, err, err_len) != 0 || index_functions(g, err, err_len) != 0 ||
        read_view(g, err, err_len) != 0)
        goto failed;
    if (reload_elf_dynamic_read(&g->elf, &dynamic, err, err_len) == 0 && dynamic.soname &&
        !(m->soname = strdup(dynamic.soname))) {
        snprintf(err, err_len, "out of memory");
        goto failed;
    }
    m->stack[m->depth++] = g;
    modules[n_modules++] = m;
    return m;
failed:
    generation_free(g);
    if (m) {
        free(m->stack);
        free(m->path);
        free(m->soname);
    }
    free(m);
    return NULL;
}

/* A reloaded module by the name a request gives: its file name or DT_SONAME. */
static reloaded_module *reloaded_module_named(const char *name)
{
    for (size_t i = 0; i < n_modules; i++)
        if (names_match(file_name(modules[i]->path), name) || names_match(modules[i]->soname, name))
            return modules[i];
    return NULL;
}

/* ---- moving entries ---- */

static generation *running_generation(const reloaded_module *m)
{
    return m->stack[m->depth - 1];
}

/* Sets every entry's wanted target from the running generation (see the top of this file),
 * preparing the entries that must take a jump. A rolled-back generation's entry that cannot take
 * one is left alone; any other makes it fail. */
static int plan_targets(reloaded_module *m, char *err, size_t err_len)
{
    const generation *running = running_generation(m);
    size_t n_all = m->depth + m->n_retired;
    for (size_t k = 0; k < n_all; k++) {
        generation *g = k < m->depth ? m->stack[k] : m->retired[k - m->depth];
        for (size_t i = 0; i < g->n_functions; i++) {
            gen_function *f = &g->functions[i];
            const gen_function *copy = g == running || !f->unique ? NULL : function_named(running, f->name);
            f->wanted = copy && copy->live != f->address ? copy->live : 0;
            if (!f->wanted || f->prepared)
                continue;
            char why[512];
            if (entry_patch_prepare(&f->patch, f->name, f->address, f->size, f->limit, why, sizeof why) == 0) {
                f->prepared = true;
            } else if (k >= m->depth) {
                log_warn("reload: %s (rolled back) keeps its own code: %s", f->name, why);
                f->wanted = 0;
            } else {
                snprintf(err, err_len, "%s", why);
                return -1;
            }
        }
    }
    return 0;
}

static void cancel_targets(reloaded_module *m)
{
    for (size_t k = 0; k < m->depth + m->n_retired; k++) {
        generation *g = k < m->depth ? m->stack[k] : m->retired[k - m->depth];
        for (size_t i = 0; i < g->n_functions; i++)
            g->functions[i].wanted = g->functions[i].prepared ? g->functions[i].patch.target : 0;
    }
}

static uintptr_t current_target(const gen_function *f)
{
    return f->prepared ? f->patch.target : 0;
}

/* Moves every entry of m to its wanted target at once, after taking breakpoints out of the entries
 * that change; *moved = how many changed. On failure every entry keeps its target. */
static int swap_entries(sym_index *symbols, reloaded_module *m, size_t *moved, char *err, size_t err_len)
{
    size_t n = 0, capacity = 0;
    for (size_t k = 0; k < m->depth + m->n_retired; k++) {
        const generation *g = k < m->depth ? m->stack[k] : m->retired[k - m->depth];
        capacity += g->n_functions;
    }
    entry_patch *patches = calloc(capacity ? capacity : 1, sizeof *patches);
    uintptr_t *targets = calloc(capacity ? capacity : 1, sizeof *targets);
    gen_function **owners = calloc(capacity ? capacity : 1, sizeof *owners);
    int rc = -1;
    if (!patches || !targets || !owners) {
        snprintf(err, err_len, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < m->depth + m->n_retired; k++) {
        generation *g = k < m->depth ? m->stack[k] : m->retired[k - m->depth];
        for (size_t i = 0; i < g->n_functions; i++) {
            gen_function *f = &g->functions[i];
            if (f->wanted == current_target(f))
                continue;
            patches[n] = f->patch;
            targets[n] = f->wanted;
            owners[n++] = f;
        }
    }
    bp_registry_rebind(symbols); /* no breakpoint stays in an entry that changes (reload_superseded) */
    rc = n ? entry_patch_set_all(patches, targets, n, RELOAD_PATCH_TIMEOUT_MS, err, err_len) : 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        owners[i]->patch = patches[i];
    *moved = rc == 0 ? n : 0;
done:
    if (rc != 0)
        cancel_targets(m);
    free(patches);
    free(targets);
    free(owners);
    return rc;
}

bool reload_superseded(uintptr_t addr)
{
    for (size_t i = 0; i < n_modules; i++) {
        const reloaded_module *m = modules[i];
        for (size_t k = 0; k < m->depth + m->n_retired; k++) {
            const generation *g = k < m->depth ? m->stack[k] : m->retired[k - m->depth];
            if (g->pending && addr >= g->low && addr < g->high)
                return true;
            const gen_function *f = function_at(g, addr);
            if (f && (current_target(f) || f->wanted))
                return true;
        }
    }
    return false;
}

/* ---- reload ---- */

static const generation *hook_generation; /* the running generation while the hook runs */

/* What podbug_reload_state's old_symbol returns (probe/include/podbug_reload.h). */
static void *old_symbol(const char *name)
{
    const generation *g = hook_generation;
    uint64_t value;
    if (!g || !name)
        return NULL;
    const view_variable *v = reload_view_variable(g->view, name);
    if (v && v->address)
        return (void *)storage_in_use(g, v->address);
    if (reload_elf_find_symbol(&g->elf, name, &value))
        return (void *)storage_in_use(g, g->bias + value);
    return NULL;
}

/* The new generation around a loaded image (taken over). */
static generation *new_generation(reloaded_module *m, reload_image *img, int64_t reload_id, char *err,
                                  size_t err_len)
{
    generation *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    *g = (generation){ .number = (int)m->depth, .reload_id = reload_id, .image = *img, .elf = img->elf,
                       .bias = img->bias, .low = img->low, .high = img->high };
    *img = (reload_image){ .fd = -1 };
    snprintf(g->path, sizeof g->path, "%s", g->image.path);
    if (index_functions(g, err, err_len) != 0 || read_view(g, err, err_len) != 0) {
        generation_free(g);
        return NULL;
    }
    return g;
}

/* Compares the two generations' DWARF: "refused: ..." when incompatible. */
static int compare(const generation *running, const generation *next, reload_comparison *cmp, char *err,
                   size_t err_len)
{
    if (reload_compare(running->view, next->view, cmp) != 0) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    if (!cmp->compatible) {
        snprintf(err, err_len, "refused: %s", cmp->reason);
        return -1;
    }
    return 0;
}

static bool same_code(const generation *a, const gen_function *fa, const generation *b, const gen_function *fb)
{
    uint64_t offset = fa->address - a->bias;
    if (offset != fb->address - b->bias || fa->size != fb->size)
        return false;
    const uint8_t *x = reload_elf_bytes_at(&a->elf, offset, fa->size);
    const uint8_t *y = reload_elf_bytes_at(&b->elf, offset, fb->size);
    return x && y && memcmp(x, y, fa->size) == 0;
}

static int add_string(char ***list, size_t *n, const char *text)
{
    char **grown = realloc(*list, (*n + 1) * sizeof *grown);
    if (!grown)
        return -1;
    *list = grown;
    if (!(grown[*n] = strdup(text)))
        return -1;
    (*n)++;
    return 0;
}

/* Matches the functions of both generations by name: the next generation's live copies, and the
 * counts and names of the result. A function with the same code is left alone only when the state
 * its old copy uses is the new code's too (same_state): not when a hook replaced the carrying of
 * statics or thread-local variables start fresh. */
static int match_functions(const generation *running, generation *next, bool same_state, probe_reload_result *out,
                           char *err, size_t err_len)
{
    for (size_t i = 0; i < running->n_named; i++) {
        const gen_function *f = &running->functions[running->by_name[i]];
        gen_function *copy = function_named(next, f->name);
        if (!copy || !f->unique) {
            bool first_of_name = i == 0 || strcmp(running->functions[running->by_name[i - 1]].name, f->name) != 0;
            char warning[300];
            snprintf(warning, sizeof warning, "function '%s' has several definitions: the running code keeps "
                     "its own", f->name);
            if (first_of_name && some_function_named(next, f->name) &&
                add_string(&out->warnings, &out->n_warnings, warning) != 0)
                goto out_of_memory;
            continue;
        }
        if (same_state && same_code(running, f, next, copy)) {
            copy->live = f->live;
            out->unchanged++;
        } else {
            out->n_patched++;
            if (out->n_listed < PROBE_RELOAD_MAX_LISTED && add_string(&out->patched, &out->n_listed, f->name) != 0)
                goto out_of_memory;
        }
    }
    for (size_t i = 0; i < next->n_named; i++)
        if (!some_function_named(running, next->functions[next->by_name[i]].name))
            out->added++;
    return 0;
out_of_memory:
    snprintf(err, err_len, "out of memory");
    return -1;
}

/* Binds next to the running state (reload_relink): the variables compared, at the storage the
 * running code uses; the library's hook if it has one (*hooked). */
static int bind_state(const generation *running, generation *next, const reload_comparison *cmp, bool *hooked,
                      probe_reload_result *out, char *err, size_t err_len)
{
    reload_variable *vars = calloc(cmp->n_variables ? cmp->n_variables : 1, sizeof *vars);
    if (!vars) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < cmp->n_variables; i++) {
        vars[i] = cmp->variables[i];
        vars[i].old_address = vars[i].old_address ? storage_in_use(running, vars[i].old_address) : 0;
    }
    void *hook = dlsym(next->image.handle, HOOK_SYMBOL);
    if (hook && ((uintptr_t)hook < next->low || (uintptr_t)hook >= next->high))
        hook = NULL; /* one of its dependencies' */
    reload_state_hook hook_fn;
    memcpy(&hook_fn, &hook, sizeof hook_fn);
    *hooked = hook != NULL;
    reload_relink_request req = { .elf = &next->elf, .bias = next->bias, .functions = &next->symbols,
                                  .variables = vars, .n_variables = cmp->n_variables,
                                  .hook = hook ? hook_fn : NULL, .old_symbol = old_symbol };
    reload_relink_result bound;
    hook_generation = running;
    int rc = reload_relink(&req, &bound, err, err_len);
    hook_generation = NULL;
    free(vars);
    if (rc != 0)
        return -1;
    next->bindings = bound.bindings;
    next->n_bindings = bound.n_bindings;
    for (size_t i = 0; i < bound.n_warnings && rc == 0; i++)
        rc = add_string(&out->warnings, &out->n_warnings, bound.warnings[i]);
    bound.bindings = NULL;
    reload_relink_result_free(&bound);
    if (rc != 0)
        snprintf(err, err_len, "out of memory");
    return rc;
}

static bool has_thread_locals(const reload_comparison *cmp)
{
    for (size_t i = 0; i < cmp->n_variables; i++)
        if (cmp->variables[i].thread_local)
            return true;
    return false;
}

static int push(reloaded_module *m, generation *g, char *err, size_t err_len)
{
    generation **grown = realloc(m->stack, (m->depth + 1) * sizeof *grown);
    if (!grown) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    m->stack = grown;
    m->stack[m->depth++] = g;
    return 0;
}

static void publish_code_range(const reloaded_module *m, const generation *g)
{
    size_t n = atomic_load(&n_code_ranges);
    code_range *r = &code_ranges[n];
    atomic_store_explicit(&r->high, 0, memory_order_release);
    r->low = g->low;
    r->reload_id = g->reload_id;
    r->module = m->path;
    r->generation = g->number;
    atomic_store_explicit(&r->high, g->high, memory_order_release);
    atomic_store_explicit(&n_code_ranges, n + 1, memory_order_release);
}

/* The last range published goes: its library is unloaded. */
static void withdraw_code_range(void)
{
    size_t n = atomic_load(&n_code_ranges);
    atomic_store_explicit(&code_ranges[n - 1].high, 0, memory_order_release);
    atomic_store_explicit(&n_code_ranges, n - 1, memory_order_release);
}

/* Everything of a reload from the loaded image on; on failure the process is as before and the
 * image is unloaded. */
static int swap_in(sym_index *symbols, reloaded_module *m, reload_image *img, int64_t reload_id,
                   probe_reload_result *out, char *err, size_t err_len)
{
    generation *running = running_generation(m);
    generation *next = new_generation(m, img, reload_id, err, err_len);
    reload_comparison cmp = { 0 };
    size_t moved;
    bool hooked = false;
    if (!next)
        return -1;
    if (compare(running, next, &cmp, err, err_len) != 0 ||
        bind_state(running, next, &cmp, &hooked, out, err, err_len) != 0 ||
        match_functions(running, next, !hooked && !has_thread_locals(&cmp), out, err, err_len) != 0 ||
        push(m, next, err, err_len) != 0) {
        reload_comparison_free(&cmp);
        generation_free(next);
        return -1;
    }
    reload_comparison_free(&cmp);
    next->pending = true;
    publish_code_range(m, next);
    char watch_err[256];
    if (crash_guard_watch_reloads(watch_err, sizeof watch_err) != 0)
        log_warn("reload: crashes in the new code will not be reported: %s", watch_err);
    if (plan_targets(m, err, err_len) != 0 || swap_entries(symbols, m, &moved, err, err_len) != 0) {
        cancel_targets(m);
        withdraw_code_range();
        m->depth--;
        generation_free(next);
        bp_registry_rebind(symbols);
        return -1;
    }
    next->pending = false;
    last_reloaded = m;
    bp_registry_rebind(symbols);
    log_info("reload %" PRId64 ": %s generation %d, %zu entries moved", reload_id, m->path, next->number, moved);
    out->generation = next->number;
    return 0;
}

int reload_apply(sym_index *symbols, const probe_reload *req, probe_reload_result *out, char *err,
                 size_t err_len)
{
    int64_t start = now_us();
    *out = (probe_reload_result){ 0 };
    reload_image img;
    sym_module_info info;
    reloaded_module *m;
    if (stopper_is_stopped()) {
        snprintf(err, err_len, "the process is stopped at a breakpoint: continue it first");
        return -1;
    }
    if (atomic_load(&n_code_ranges) >= RELOAD_MAX_GENERATIONS) {
        snprintf(err, err_len, "too many reloads in this process: at most %d generations stay loaded",
                 RELOAD_MAX_GENERATIONS);
        return -1;
    }
    if (reload_image_decode(req->library, req->sha256, &img, err, err_len) != 0)
        return -1;
    text_patch_init();
    sym_index_refresh(symbols);
    if (!find_loaded_module(symbols, req->name, img.soname, &info, err, err_len) ||
        !(m = module_record(&info, err, err_len)) || reload_image_load(&img, file_name(req->name), err, err_len) != 0 ||
        swap_in(symbols, m, &img, req->reload_id, out, err, err_len) != 0) {
        reload_image_discard(&img);
        probe_reload_result_free(out);
        return -1;
    }
    if (!(out->module = strdup(m->path))) {
        snprintf(err, err_len, "out of memory");
        probe_reload_result_free(out);
        return -1; /* the swap is done: the server sees a failure, a rollback undoes it */
    }
    out->time_us = now_us() - start;
    return 0;
}

/* ---- rollback ---- */

static reloaded_module *module_to_roll_back(const probe_reload_rollback *req, char *err, size_t err_len)
{
    reloaded_module *m = req->name ? reloaded_module_named(req->name) : last_reloaded;
    if (!m && req->name)
        snprintf(err, err_len, "nothing to roll back: %s was never reloaded", req->name);
    else if (!m)
        snprintf(err, err_len, "nothing to roll back: no library was reloaded in this process");
    else if (m->depth < 2)
        snprintf(err, err_len, "nothing to roll back: %s runs its original code", file_name(m->path));
    else if (req->reload_id && running_generation(m)->reload_id != req->reload_id)
        snprintf(err, err_len, "reload %" PRId64 " is not the running generation", req->reload_id);
    else
        return m;
    return NULL;
}

int reload_rollback(sym_index *symbols, const probe_reload_rollback *req, probe_reload_rollback_result *out,
                    char *err, size_t err_len)
{
    int64_t start = now_us();
    *out = (probe_reload_rollback_result){ 0 };
    reloaded_module *m;
    if (stopper_is_stopped()) {
        snprintf(err, err_len, "the process is stopped at a breakpoint: continue it first");
        return -1;
    }
    if (!(m = module_to_roll_back(req, err, err_len)))
        return -1;
    generation **grown = realloc(m->retired, (m->n_retired + 1) * sizeof *grown);
    if (!grown) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    m->retired = grown;
    generation *top = running_generation(m);
    m->retired[m->n_retired++] = top;
    m->depth--;
    size_t moved;
    if (plan_targets(m, err, err_len) != 0 || swap_entries(symbols, m, &moved, err, err_len) != 0) {
        cancel_targets(m);
        m->stack[m->depth++] = top;
        m->n_retired--;
        bp_registry_rebind(symbols);
        return -1;
    }
    reload_view_free(top->view); /* it never runs again: a new reload makes a new generation */
    top->view = NULL;
    bp_registry_rebind(symbols);
    *out = (probe_reload_rollback_result){ .module = strdup(m->path), .generation = running_generation(m)->number,
                                           .restored = (int64_t)moved, .time_us = now_us() - start };
    log_info("rollback: %s runs generation %d, %zu entries moved", m->path, out->generation, moved);
    if (!out->module) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    return 0;
}

/* ---- queries ---- */

PODBUG_HANDLER_TEXT bool reload_pc_in_new_code(uintptr_t pc, int64_t *reload_id, const char **module, int *generation)
{
    size_t n = atomic_load_explicit(&n_code_ranges, memory_order_acquire);
    for (size_t i = 0; i < n; i++) {
        const code_range *r = &code_ranges[i];
        if (pc < atomic_load_explicit(&r->high, memory_order_acquire) && pc >= r->low) {
            *reload_id = r->reload_id;
            *module = r->module;
            *generation = r->generation;
            return true;
        }
    }
    return false;
}
