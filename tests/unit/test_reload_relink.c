/* Unit tests for probe/reload_relink: libhandlers.so v1 runs (dlopen'ed), v2 is loaded from its
 * memfd and bound to v1's state; afterwards v2's code increments v1's file static, function
 * static and global (and not its own copies), a thread-local is warned about, and a library's
 * hook replaces the carrying of statics or refuses. Variables are found through ELF symbols. */
#include <criterion/criterion.h>

#include <link.h>

#include "elf_module.h"
#include "fixtures/reload/reload_fixture.h"
#include "reload_image.h"
#include "reload_relink.h"

#define ERR_LEN 512

static fixture running, rebuilt;

static void remove_fixtures(void)
{
    fixture_remove(&running);
    fixture_remove(&rebuilt);
}

/* The runtime address of a symbol of a loaded library (statics too: its .symtab). */
static uintptr_t address_of(const reload_elf *elf, uintptr_t bias, const char *name)
{
    uint64_t value;
    cr_assert(reload_elf_find_symbol(elf, name, &value), "no symbol %s", name);
    return bias + value;
}

static uintptr_t bias_of(void *handle)
{
    struct link_map *map;
    cr_assert_eq(dlinfo(handle, RTLD_DI_LINKMAP, &map), 0);
    return map->l_addr;
}

/* v1 running, the given version loaded (not bound); *vars: counter, calls.0, total (in that
 * order) and the thread-local scratch, with v1's and the new library's addresses. */
static void load_both(int version, reload_image *img, reload_variable vars[4])
{
    reload_fixture_build(&running, "cc -g -O2", 1, true);
    reload_fixture_build(&rebuilt, "cc -g -O2", version, false);
    probe_reload req = reload_fixture_request(rebuilt.library, 1);
    char err[ERR_LEN] = "";
    cr_assert_eq(reload_image_decode(req.library, req.sha256, img, err, sizeof err), 0, "%s", err);
    cr_assert_eq(reload_image_load(img, "libhandlers.so", err, sizeof err), 0, "%s", err);
    probe_reload_free(&req);

    reload_elf old_elf;
    cr_assert_eq(reload_elf_map(&old_elf, running.library, err, sizeof err), 0, "%s", err);
    uintptr_t old_bias = bias_of(running.handle);
    const char *symbols[] = { "counter", "calls.0", "total" };
    const char *keys[] = { "handlers.c:counter", "handlers.c:bump:calls", "total" };
    for (int i = 0; i < 3; i++)
        vars[i] = (reload_variable){ .key = keys[i], .old_address = address_of(&old_elf, old_bias, symbols[i]),
                                     .new_address = address_of(&img->elf, img->bias, symbols[i]), .size = 4,
                                     .is_static = i < 2 };
    vars[3] = (reload_variable){ .key = "scratch", .size = 4, .thread_local = true };
    reload_elf_close(&old_elf);
}

static int call(const fixture *f, const char *name)
{
    int (*fn)(void) = (int (*)(void))reload_fixture_symbol(f, name);
    return fn();
}

static int call_new(const reload_image *img, const char *name)
{
    int (*fn)(void) = (int (*)(void))dlsym(img->handle, name);
    cr_assert_not_null(fn, "%s", name);
    return fn();
}

Test(reload_relink, the_new_code_uses_the_running_statics_and_globals, .fini = remove_fixtures)
{
    reload_image img;
    reload_variable vars[4];
    load_both(2, &img, vars);
    cr_expect_eq(call(&running, "bump"), 1001);
    cr_expect_eq(call(&running, "bump"), 2002);

    elf_symbols functions;
    char err[ERR_LEN] = "";
    cr_assert_eq(elf_symbols_load(img.path, &functions, err, sizeof err), 0, "%s", err);
    reload_relink_request req = { .elf = &img.elf, .bias = img.bias, .functions = &functions, .variables = vars,
                                  .n_variables = 4 };
    reload_relink_result out;
    cr_assert_eq(reload_relink(&req, &out, err, sizeof err), 0, "%s", err);
    cr_expect_eq(out.n_bindings, 3);
    cr_assert_eq(out.n_warnings, 1);
    cr_expect_str_eq(out.warnings[0], "thread-local variable 'scratch' starts fresh in the new code");

    /* v2: calls 2 -> 3, counter 2 -> 4, in v1's storage */
    cr_expect_eq(call_new(&img, "bump"), 3004);
    cr_expect_eq(call(&running, "counter_value"), 4);
    cr_expect_eq(call_new(&img, "counter_value"), 4);
    cr_expect_eq(call(&running, "bump"), 4005, "v1 sees the function static v2 advanced");
    cr_expect_eq(*(int *)reload_fixture_symbol(&running, "total"), 4, "the global is v1's");
    int *new_total = dlsym(img.handle, "total");
    cr_assert_not_null(new_total);
    cr_expect_eq(*new_total, 0, "v2's own copy of the global is not used");

    reload_relink_result_free(&out);
    elf_symbols_free(&functions);
    reload_image_discard(&img);
}

static const fixture *hook_running;

/* The hook's old_symbol for these tests: v1's symbols by plain name or by the file static's key. */
static void *v1_symbol(const char *name)
{
    if (strcmp(name, "handlers.c:counter") == 0)
        name = "counter";
    reload_elf elf;
    char err[ERR_LEN];
    uint64_t value;
    cr_assert_eq(reload_elf_map(&elf, hook_running->library, err, sizeof err), 0, "%s", err);
    bool found = reload_elf_find_symbol(&elf, name, &value);
    reload_elf_close(&elf);
    return found ? (void *)(bias_of(hook_running->handle) + value) : NULL;
}

/* Relinks the given hook version; returns reload_relink's result and err. */
static int relink_with_hook(int version, reload_image *img, char *err)
{
    reload_variable vars[4];
    load_both(version, img, vars);
    hook_running = &running;
    static elf_symbols functions;
    cr_assert_eq(elf_symbols_load(img->path, &functions, err, ERR_LEN), 0, "%s", err);
    reload_relink_request req = { .elf = &img->elf, .bias = img->bias, .functions = &functions, .variables = vars,
                                  .n_variables = 4,
                                  .hook = (reload_state_hook)dlsym(img->handle, "podbug_reload_state"),
                                  .old_symbol = v1_symbol };
    cr_assert_not_null(req.hook);
    cr_expect_eq(call(&running, "bump"), 1001);
    reload_relink_result out;
    int rc = reload_relink(&req, &out, err, ERR_LEN);
    if (rc == 0) {
        cr_expect_eq(out.n_bindings, 1, "with a hook only the global is carried");
        reload_relink_result_free(&out);
    }
    elf_symbols_free(&functions);
    return rc;
}

Test(reload_relink, a_hook_carries_statics_itself, .fini = remove_fixtures)
{
    reload_image img;
    char err[ERR_LEN] = "";
    cr_assert_eq(relink_with_hook(6, &img, err), 0, "%s", err);
    cr_expect_eq(call_new(&img, "counter_value"), 101, "the hook's value, in v6's own storage");
    cr_expect_eq(call_new(&img, "bump"), 1000 + 107, "the function static starts fresh");
    cr_expect_eq(call(&running, "counter_value"), 1, "v1's static is left alone");
    cr_expect_eq(*(int *)reload_fixture_symbol(&running, "total"), 2, "the global is still bound");
    reload_image_discard(&img);
}

Test(reload_relink, a_hook_that_returns_nonzero_refuses, .fini = remove_fixtures)
{
    reload_image img;
    char err[ERR_LEN] = "";
    cr_expect_eq(relink_with_hook(5, &img, err), -1);
    cr_expect_str_eq(err, "refused: the library's podbug_reload_state returned 3");
    reload_image_discard(&img);
}
