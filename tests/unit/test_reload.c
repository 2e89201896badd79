/* Unit tests for probe/reload, in-process end to end: libhandlers.so v1 is dlopen'ed by the test,
 * reload_apply swaps in v2 and v3 from their bytes (function pointers taken before now run the
 * new code, statics and globals continue), reload_rollback returns to v2 and v1 with v1's exact
 * entry bytes; breakpoints follow the running code; a thread-local is warned about; refusals
 * (incompatible DWARF, the hook, a bad checksum, an unknown module, nothing to roll back) change
 * nothing. */
#include <criterion/criterion.h>

#include "fixtures/reload/reload_fixture.h"
#include "bp_registry.h"
#include "entry_patch.h"
#include "reload.h"
#include "trap.h"

#define ERR_LEN 2048

static fixture running, v2, v3, other;
static sym_index *symbols;

static void remove_fixtures(void)
{
    fixture_remove(&running);
    fixture_remove(&v2);
    fixture_remove(&v3);
    fixture_remove(&other);
    sym_index_destroy(symbols);
}

static void start(const char *compile, int version)
{
    reload_fixture_build(&running, compile, version, true);
    symbols = sym_index_create();
    cr_assert_not_null(symbols);
}

static int call(const char *name)
{
    int (*fn)(void) = (int (*)(void))reload_fixture_symbol(&running, name);
    return fn();
}

/* Reloads the library built at path; returns reload_apply's result, err and (on success) *out. */
static int reload(const char *path, int64_t reload_id, probe_reload_result *out, char *err)
{
    probe_reload req = reload_fixture_request(path, reload_id);
    int rc = reload_apply(symbols, &req, out, err, ERR_LEN);
    probe_reload_free(&req);
    return rc;
}

static int rollback(int64_t reload_id, probe_reload_rollback_result *out, char *err)
{
    probe_reload_rollback req = { .reload_id = reload_id };
    return reload_rollback(symbols, &req, out, err, ERR_LEN);
}

static bool listed(char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

static void reload_and_roll_back(const char *compile)
{
    start(compile, 1);
    reload_fixture_build(&v2, compile, 2, false);
    reload_fixture_build(&v3, compile, 3, false);
    int (*version)(void) = (int (*)(void))reload_fixture_symbol(&running, "version");
    uint8_t *entry = (uint8_t *)version, original[ENTRY_PATCH_SIZE], *bump_entry = reload_fixture_symbol(&running, "bump"),
            bump_original[ENTRY_PATCH_SIZE];
    memcpy(original, entry, sizeof original);
    memcpy(bump_original, bump_entry, sizeof bump_original);
    cr_expect_eq(call("bump"), 1001);
    cr_expect_eq(call("bump"), 2002);

    probe_reload_result result;
    char err[ERR_LEN] = "";
    cr_assert_eq(reload(v2.library, 7, &result, err), 0, "%s", err);
    cr_expect_str_eq(result.module, running.library);
    cr_expect_eq(result.generation, 1);
    cr_expect(listed(result.patched, result.n_listed, "version"));
    cr_expect(listed(result.patched, result.n_listed, "bump"));
    cr_expect_not(listed(result.patched, result.n_listed, "triple"));
    cr_expect_eq(result.n_patched, (int64_t)result.n_listed);
    cr_expect_geq(result.unchanged, 1, "triple has the same code");
    cr_expect_eq(result.added, 0);
    cr_expect_gt(result.time_us, 0);
    cr_expect_eq(result.n_warnings, 0);
    probe_reload_result_free(&result);

    cr_expect_eq(version(), 2, "a pointer taken before the reload runs the new code");
    cr_expect_eq(call("bump"), 3004, "calls 3, counter 2 + 2");
    cr_expect_eq(call("counter_value"), 4);
    cr_expect_eq(*(int *)reload_fixture_symbol(&running, "total"), 3);
    int (*triple)(int) = (int (*)(int))reload_fixture_symbol(&running, "triple");
    cr_expect_eq(triple(5), 15);

    cr_assert_eq(reload(v3.library, 8, &result, err), 0, "%s", err);
    cr_expect_eq(result.generation, 2);
    probe_reload_result_free(&result);
    cr_expect_eq(version(), 3);
    cr_expect_eq(call("bump"), 4007, "calls 4, counter 4 + 3: the state of generation 0 still");

    probe_reload_rollback_result back;
    cr_expect_eq(rollback(7, &back, err), -1);
    cr_expect_str_eq(err, "reload 7 is not the running generation");
    cr_assert_eq(rollback(8, &back, err), 0, "%s", err);
    cr_expect_eq(back.generation, 1);
    cr_expect_gt(back.restored, 0);
    probe_reload_rollback_result_free(&back);
    cr_expect_eq(version(), 2);
    cr_expect_eq(call("bump"), 5009, "calls 5, counter 7 + 2");

    cr_assert_eq(rollback(0, &back, err), 0, "%s", err);
    cr_expect_eq(back.generation, 0);
    cr_expect_str_eq(back.module, running.library);
    probe_reload_rollback_result_free(&back);
    cr_expect_eq(version(), 1);
    cr_expect_arr_eq(entry, original, sizeof original, "the original bytes are back");
    cr_expect_arr_eq(bump_entry, bump_original, sizeof bump_original, "the original bytes are back");
    cr_expect_eq(call("bump"), 6010);

    cr_expect_eq(rollback(0, &back, err), -1);
    cr_expect_str_eq(err, "nothing to roll back: libhandlers.so runs its original code");

    cr_assert_eq(reload(v3.library, 9, &result, err), 0, "a reload after rolling back: %s", err);
    cr_expect_eq(result.generation, 1);
    probe_reload_result_free(&result);
    cr_expect_eq(version(), 3);
}

Test(reload, reload_and_roll_back_at_O2, .fini = remove_fixtures)
{
    reload_and_roll_back("cc -g -O2");
}

Test(reload, reload_and_roll_back_at_O0, .fini = remove_fixtures)
{
    reload_and_roll_back("cc -g -O0");
}

/* A library in the global scope (as when linked at start): the new library's references to its
 * globals resolve to the running definitions by themselves. */
Test(reload, a_library_in_the_global_scope, .fini = remove_fixtures)
{
    reload_fixture_build(&running, "cc -g -O2", 1, false);
    running.handle = dlopen(running.library, RTLD_NOW | RTLD_GLOBAL);
    cr_assert_not_null(running.handle, "%s", dlerror());
    symbols = sym_index_create();
    reload_fixture_build(&v2, "cc -g -O2", 2, false);
    cr_expect_eq(call("bump"), 1001);
    probe_reload_result result;
    char err[ERR_LEN] = "";
    cr_assert_eq(reload(v2.library, 1, &result, err), 0, "%s", err);
    probe_reload_result_free(&result);
    cr_expect_eq(call("version"), 2);
    cr_expect_eq(call("bump"), 2003);
    cr_expect_eq(*(int *)reload_fixture_symbol(&running, "total"), 2);
    probe_reload_rollback_result back;
    cr_assert_eq(rollback(1, &back, err), 0, "%s", err);
    probe_reload_rollback_result_free(&back);
    cr_expect_eq(call("version"), 1);
    cr_expect_eq(call("bump"), 3004);
}

/* Reloads `version` and expects the failure message to start with want; v1 still runs. */
static void expect_refused(int version, const char *want)
{
    start("cc -g -O2", 1);
    reload_fixture_build(&other, "cc -g -O2", version, false);
    probe_reload_result result;
    char err[ERR_LEN] = "";
    cr_expect_eq(reload(other.library, 3, &result, err), -1);
    cr_expect(strncmp(err, want, strlen(want)) == 0, "got: %s", err);
    cr_expect_eq(call("version"), 1);
    cr_expect_eq(call("bump"), 1001);
}

Test(reload, an_incompatible_struct_is_refused, .fini = remove_fixtures)
{
    expect_refused(4, "refused: struct request");
}

Test(reload, the_hook_may_refuse, .fini = remove_fixtures)
{
    expect_refused(5, "refused: the library's podbug_reload_state returned 3");
}

Test(reload, the_hook_carries_statics_itself, .fini = remove_fixtures)
{
    start("cc -g -O2", 1);
    reload_fixture_build(&other, "cc -g -O2", 6, false);
    cr_expect_eq(call("bump"), 1001);
    probe_reload_result result;
    char err[ERR_LEN] = "";
    cr_assert_eq(reload(other.library, 3, &result, err), 0, "%s", err);
    probe_reload_result_free(&result);
    cr_expect_eq(call("counter_value"), 101);
    cr_expect_eq(call("bump"), 1107, "calls starts fresh, counter 101 + 6");
    cr_expect_eq(*(int *)reload_fixture_symbol(&running, "total"), 2, "the global is still bound");
}

Test(reload, a_thread_local_starts_fresh_and_every_function_moves, .fini = remove_fixtures)
{
    start("cc -g -O2", 7);
    reload_fixture_build(&other, "cc -g -O2", 8, false);
    cr_expect_eq(call("bump"), 1007);
    probe_reload_result result;
    char err[ERR_LEN] = "";
    cr_assert_eq(reload(other.library, 3, &result, err), 0, "%s", err);
    cr_expect(listed(result.warnings, result.n_warnings, "thread-local variable 'scratch' starts fresh in the new code"));
    cr_expect_eq(result.unchanged, 0, "an old copy would keep the old thread-local");
    cr_expect(listed(result.patched, result.n_listed, "triple"));
    probe_reload_result_free(&result);
    cr_expect_eq(call("bump"), 2015, "the other statics continue");
}

Test(reload, a_bad_checksum_or_an_unknown_module_changes_nothing, .fini = remove_fixtures)
{
    start("cc -g -O2", 1);
    reload_fixture_build(&other, "cc -g -O2", 2, false);
    probe_reload req = reload_fixture_request(other.library, 1);
    probe_reload_result result;
    char err[ERR_LEN] = "";
    req.sha256[0] = req.sha256[0] == '0' ? '1' : '0';
    cr_expect_eq(reload_apply(symbols, &req, &result, err, sizeof err), -1);
    cr_expect(strncmp(err, "checksum mismatch", 17) == 0, "%s", err);
    probe_reload_free(&req);

    req = reload_fixture_request(other.library, 1);
    free(req.name);
    req.name = strdup("libnope.so");
    cr_expect_eq(reload_apply(symbols, &req, &result, err, sizeof err), -1);
    cr_expect(strncmp(err, "no module named libnope.so is loaded (loaded: ", 46) == 0, "%s", err);
    cr_expect(strstr(err, "libhandlers.so") != NULL, "%s", err);
    probe_reload_free(&req);
    cr_expect_eq(call("version"), 1);

    probe_reload_rollback_result back;
    cr_expect_eq(rollback(0, &back, err), -1);
    cr_expect_str_eq(err, "nothing to roll back: no library was reloaded in this process");
}

Test(reload, a_crash_in_new_code_is_attributed_to_its_reload, .fini = remove_fixtures)
{
    start("cc -g -O2", 1);
    reload_fixture_build(&v2, "cc -g -O2", 2, false);
    int64_t id;
    const char *module;
    int generation;
    uintptr_t version = (uintptr_t)reload_fixture_symbol(&running, "version");
    cr_expect_not(reload_pc_in_new_code(version, &id, &module, &generation));
    probe_reload_result result;
    char err[ERR_LEN] = "";
    cr_assert_eq(reload(v2.library, 42, &result, err), 0, "%s", err);
    probe_reload_result_free(&result);
    cr_expect_not(reload_pc_in_new_code(version, &id, &module, &generation), "the old code is not new code");
    /* the entry jumps into generation 1: follow the jmp rel32 (or the far slot's target) */
    cr_assert(reload_superseded(version), "the old copy is superseded");
    const uint8_t *entry = (const uint8_t *)version;
    cr_assert_eq(entry[0], 0xe9);
    int32_t rel;
    memcpy(&rel, entry + 1, sizeof rel);
    uintptr_t target = version + ENTRY_PATCH_SIZE + (intptr_t)rel;
    cr_assert(reload_pc_in_new_code(target, &id, &module, &generation));
    cr_expect_eq(id, 42);
    cr_expect_str_eq(module, running.library);
    cr_expect_eq(generation, 1);
    cr_expect_not(reload_superseded(target));
}

/* The line of the running fixture's source that holds text. */
static int line_of(const char *text)
{
    char line[256];
    FILE *in = fopen(running.source, "r");
    cr_assert_not_null(in);
    int number = 0, found = 0;
    while (!found && fgets(line, sizeof line, in)) {
        number++;
        if (strstr(line, text))
            found = number;
    }
    fclose(in);
    cr_assert_gt(found, 0, "no line with %s", text);
    return found;
}

/* The one location of breakpoint 1 (set again with the same spec: the registry's state). */
static uintptr_t breakpoint_address(probe_bp_spec *spec)
{
    probe_bp_set set = { spec, 1 };
    probe_bp_result result = { 0 };
    cr_assert_eq(bp_registry_set(symbols, &set, &result), 0);
    cr_assert_eq(result.n, 1);
    cr_assert(result.breakpoints[0].verified, "%s", result.breakpoints[0].message);
    cr_assert_eq(result.breakpoints[0].n_locations, 1);
    uintptr_t address = result.breakpoints[0].locations[0].address;
    probe_bp_result_free(&result);
    cr_expect(trap_is_armed(address));
    return address;
}

Test(reload, breakpoints_follow_the_running_code, .fini = remove_fixtures)
{
    char err[ERR_LEN] = "";
    start("cc -g -O2", 1);
    reload_fixture_build_from(&v2, &running, "cc -g -O2", 2, false);
    cr_assert_eq(trap_init(err, sizeof err), 0, "%s", err);
    int (*version)(void) = (int (*)(void))reload_fixture_symbol(&running, "version");
    probe_bp_spec spec = { .id = 1, .source = "handlers.c", .line = line_of("return VERSION;"), .mode = "stop",
                           .stop_all = 1 };
    uintptr_t first = breakpoint_address(&spec);
    int64_t id;
    const char *module;
    int generation;
    cr_expect_not(reload_pc_in_new_code(first, &id, &module, &generation));
    uint64_t hits = trap_hit_count();
    cr_expect_eq(version(), 1);
    cr_expect_eq(trap_hit_count(), hits + 1);

    probe_reload_result result;
    cr_assert_eq(reload(v2.library, 5, &result, err), 0, "%s", err);
    probe_reload_result_free(&result);
    uintptr_t moved = breakpoint_address(&spec);
    cr_expect(reload_pc_in_new_code(moved, &id, &module, &generation), "armed in the new code");
    cr_expect_not(trap_is_armed(first), "not in the superseded copy");
    cr_expect_eq(version(), 2);
    cr_expect_eq(trap_hit_count(), hits + 2, "the old pointer reaches the breakpoint in the new code");

    probe_reload_rollback_result back;
    cr_assert_eq(rollback(5, &back, err), 0, "%s", err);
    probe_reload_rollback_result_free(&back);
    cr_expect_eq(breakpoint_address(&spec), first, "back in the original code");
    cr_expect_not(trap_is_armed(moved));
    cr_expect_eq(version(), 1);
    cr_expect_eq(trap_hit_count(), hits + 3);
    bp_registry_clear_all();
}
