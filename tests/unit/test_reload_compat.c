/* Tests of hot reload's DWARF compatibility check (probe/reload_compat.h) on versions of
 * fixtures/reload_compat/handlers.c built at run time (-O0 and -O2) and dlopen'ed side by side. */
#include <criterion/criterion.h>

#include "fixture_lib.h"
#include "reload_compat.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#define SOURCE "fixtures/reload_compat/handlers.c"
#define LIBRARY "libhandlers.so"
#define VARIABLES_IN_BOTH 9

#define VERSION(id, flags) { .name = id, .compile = flags, .source_as = "handlers.c" }

static fixture running_o0 = VERSION("running-o0", "cc -g -O0");
static fixture running_o2 = VERSION("running-o2", "cc -g -O2");
static fixture body_o0 = VERSION("body-o0", "cc -g -O0 -DBODY_CHANGED");
static fixture body_o2 = VERSION("body-o2", "cc -g -O2 -DBODY_CHANGED");
static fixture running_dwarf4 = VERSION("running-dwarf4", "cc -gdwarf-4 -O2");
static fixture body_dwarf4 = VERSION("body-dwarf4", "cc -gdwarf-4 -O2 -DBODY_CHANGED");
static fixture running_clang = VERSION("running-clang", "clang -g -O0");
static fixture body_clang = VERSION("body-clang", "clang -g -O0 -DBODY_CHANGED");
static fixture layout_o0 = VERSION("layout-o0", "cc -g -O0 -DLAYOUT_CHANGED");
static fixture layout_o2 = VERSION("layout-o2", "cc -g -O2 -DLAYOUT_CHANGED");
static fixture signature_o0 = VERSION("signature-o0", "cc -g -O0 -DSIGNATURE_CHANGED");
static fixture static_type_o0 = VERSION("static-type-o0", "cc -g -O0 -DSTATIC_TYPE_CHANGED");
static fixture enum_o0 = VERSION("enum-o0", "cc -g -O0 -DENUM_CHANGED");
static fixture bitfields_o2 = VERSION("bitfields-o2", "cc -g -O2 -DBITFIELDS_CHANGED");
static fixture many_o0 = VERSION("many-o0", "cc -g -O0 -DMANY_VARIABLES");
static fixture many_widened_o0 = VERSION("many-widened-o0",
                                         "cc -g -O0 -DMANY_VARIABLES -DMANY_WIDENED");
static fixture no_debug = VERSION("no-debug", "cc -O0");

static fixture *const fixtures[] = {
    &running_o0, &running_o2, &body_o0, &body_o2, &running_dwarf4, &body_dwarf4,
    &running_clang, &body_clang, &layout_o0, &layout_o2,
    &signature_o0, &static_type_o0, &enum_o0, &bitfields_o2, &many_o0, &many_widened_o0,
    &no_debug,
};

static void build(fixture *f)
{
    fixture_build(f, SOURCE, LIBRARY);
}

static void remove_fixtures(void)
{
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++)
        fixture_remove(fixtures[i]);
}

static uintptr_t bias_of(const fixture *f)
{
    struct link_map *map = NULL;
    cr_assert_eq(dlinfo(f->handle, RTLD_DI_LINKMAP, &map), 0, "dlinfo: %s", dlerror());
    return map->l_addr;
}

static reload_view *view_of(const fixture *f)
{
    char err[512] = "";
    reload_view *v = reload_view_read(f->library, bias_of(f), err, sizeof err);
    cr_assert_not_null(v, "%s: %s", f->name, err);
    return v;
}

/* Compares the two builds; the views are gone when it returns. */
static void compare(const fixture *running, const fixture *rebuilt, reload_comparison *out)
{
    reload_view *old = view_of(running), *new = view_of(rebuilt);
    cr_assert_eq(reload_compare(old, new, out), 0);
    reload_view_free(old);
    reload_view_free(new);
}

static void *symbol(const fixture *f, const char *name)
{
    void *address = dlsym(f->handle, name);
    cr_assert_not_null(address, "dlsym %s: %s", name, dlerror());
    return address;
}

static const reload_variable *variable(const reload_comparison *c, const char *key)
{
    for (size_t i = 0; i < c->n_variables; i++)
        if (strcmp(c->variables[i].key, key) == 0)
            return &c->variables[i];
    cr_assert_fail("no variable %s among %zu", key, c->n_variables);
    return NULL;
}

/* Where handle's function static lives: handle records it. */
static uintptr_t calls_address(const fixture *f)
{
    int (*handle)(const void *) = (int (*)(const void *))symbol(f, "handle");
    int request[2] = { 1, 2 };
    handle(request);
    return (uintptr_t) * (void **)symbol(f, "calls_seen");
}

static uintptr_t counter_address(const fixture *f)
{
    void *(*address)(void) = (void *(*)(void))symbol(f, "counter_address");
    return (uintptr_t)address();
}

static void expect_refused(const fixture *running, const fixture *rebuilt, const char *reason)
{
    reload_comparison c;
    compare(running, rebuilt, &c);
    cr_expect_not(c.compatible);
    cr_expect_str_eq(c.reason, reason);
    reload_comparison_free(&c);
}

/* ---- compatible rebuilds ---- */

static void expect_shared_variables(const fixture *running, const fixture *rebuilt)
{
    reload_comparison c;
    compare(running, rebuilt, &c);
    cr_assert(c.compatible, "refused: %s", c.reason);
    cr_expect_str_eq(c.reason, "");
    cr_expect_eq(c.n_variables, VARIABLES_IN_BOTH);

    const reload_variable *total = variable(&c, "total");
    cr_expect_eq(total->old_address, (uintptr_t)symbol(running, "total"));
    cr_expect_eq(total->new_address, (uintptr_t)symbol(rebuilt, "total"));
    cr_expect_eq(total->size, sizeof(int));
    cr_expect_not(total->is_static);
    cr_expect_not(total->thread_local);

    const reload_variable *counter = variable(&c, "handlers.c:counter");
    cr_expect_eq(counter->old_address, counter_address(running));
    cr_expect_eq(counter->new_address, counter_address(rebuilt));
    cr_expect_eq(counter->size, sizeof(int));
    cr_expect(counter->is_static);

    const reload_variable *calls = variable(&c, "handlers.c:handle:calls");
    cr_expect_eq(calls->old_address, calls_address(running));
    cr_expect_eq(calls->new_address, calls_address(rebuilt));
    cr_expect_eq(calls->size, sizeof(int));
    cr_expect(calls->is_static);

    const reload_variable *per_thread = variable(&c, "per_thread");
    cr_expect(per_thread->thread_local);
    cr_expect_not(per_thread->is_static);

    cr_expect_eq(variable(&c, "config")->size, 12);
    cr_expect_eq(variable(&c, "list_head")->size, sizeof(void *));
    cr_expect_eq(variable(&c, "last_color")->new_address,
                 (uintptr_t)symbol(rebuilt, "last_color"));
    variable(&c, "current_session");
    variable(&c, "calls_seen");
    reload_comparison_free(&c);
}

static void build_body_o0(void) { build(&running_o0); build(&body_o0); }
static void build_body_o2(void) { build(&running_o2); build(&body_o2); }

Test(reload_compat, body_change_is_compatible, .init = build_body_o0, .fini = remove_fixtures)
{
    expect_shared_variables(&running_o0, &body_o0);
}

Test(reload_compat, body_change_is_compatible_at_O2, .init = build_body_o2,
     .fini = remove_fixtures)
{
    expect_shared_variables(&running_o2, &body_o2);
}

static void build_body_dwarf4(void) { build(&running_dwarf4); build(&body_dwarf4); }

Test(reload_compat, body_change_is_compatible_in_dwarf_4, .init = build_body_dwarf4,
     .fini = remove_fixtures)
{
    expect_shared_variables(&running_dwarf4, &body_dwarf4);
}

static void build_body_clang(void) { build(&running_clang); build(&body_clang); }

/* clang locates globals with DW_OP_addrx (.debug_addr). */
Test(reload_compat, body_change_is_compatible_with_clang, .init = build_body_clang,
     .fini = remove_fixtures)
{
    expect_shared_variables(&running_clang, &body_clang);
}

static void build_running_o0(void) { build(&running_o0); }

Test(reload_compat, a_module_is_compatible_with_itself, .init = build_running_o0,
     .fini = remove_fixtures)
{
    reload_view *v = view_of(&running_o0);
    reload_comparison c;
    cr_assert_eq(reload_compare(v, v, &c), 0);
    cr_expect(c.compatible, "refused: %s", c.reason);
    cr_expect_eq(c.n_variables, VARIABLES_IN_BOTH);
    const reload_variable *total = variable(&c, "total");
    cr_expect_eq(total->old_address, total->new_address);
    reload_comparison_free(&c);
    reload_view_free(v);
}

/* ---- refused rebuilds ---- */

static const char layout_reason[] =
    "struct request changed layout: size 8 -> 16; member id: int at 0 -> long at 0; "
    "member amount: int at 4 -> int at 8; member extra added at 12; "
    "variable total changed type: int -> long";

static void build_layout_o0(void) { build(&running_o0); build(&layout_o0); }
static void build_layout_o2(void) { build(&running_o2); build(&layout_o2); }

Test(reload_compat, layout_change_is_refused, .init = build_layout_o0, .fini = remove_fixtures)
{
    expect_refused(&running_o0, &layout_o0, layout_reason);
}

Test(reload_compat, layout_change_is_refused_at_O2, .init = build_layout_o2,
     .fini = remove_fixtures)
{
    expect_refused(&running_o2, &layout_o2, layout_reason);
}

Test(reload_compat, refused_rebuild_keeps_the_alike_variables, .init = build_layout_o0,
     .fini = remove_fixtures)
{
    reload_comparison c;
    compare(&running_o0, &layout_o0, &c);
    cr_expect_eq(c.n_variables, VARIABLES_IN_BOTH - 1); /* total changed type */
    variable(&c, "handlers.c:counter");
    reload_comparison_free(&c);
}

static void build_signature(void) { build(&running_o0); build(&signature_o0); }

Test(reload_compat, signature_change_is_refused, .init = build_signature,
     .fini = remove_fixtures)
{
    expect_refused(&running_o0, &signature_o0,
                   "function handle changed signature: int (const struct request *) -> "
                   "long (const struct request *, int)");
}

static void build_static_type(void) { build(&running_o0); build(&static_type_o0); }

Test(reload_compat, static_type_change_is_refused, .init = build_static_type,
     .fini = remove_fixtures)
{
    expect_refused(&running_o0, &static_type_o0,
                   "variable handlers.c:counter changed type: int -> long; "
                   "variable handlers.c:handle:calls changed type: int -> unsigned int");
}

static void build_enum(void) { build(&running_o0); build(&enum_o0); }

Test(reload_compat, enum_change_is_refused, .init = build_enum, .fini = remove_fixtures)
{
    expect_refused(&running_o0, &enum_o0, "enum color changed: BLUE = 2 -> 5; PURPLE = 6 added");
}

static void build_bitfields(void) { build(&running_o2); build(&bitfields_o2); }

Test(reload_compat, bitfield_change_names_the_typedef, .init = build_bitfields,
     .fini = remove_fixtures)
{
    expect_refused(&running_o2, &bitfields_o2,
                   "config_t changed layout: "
                   "member flags: unsigned int:3 at 0 bit 0 -> unsigned int:4 at 0 bit 0; "
                   "member level: unsigned int:5 at 0 bit 3 -> unsigned int:5 at 0 bit 4; "
                   "member name: char [8] at 1 -> char [8] at 2");
}

static void build_many(void) { build(&many_o0); build(&many_widened_o0); }

Test(reload_compat, reasons_that_do_not_fit_are_cut_whole, .init = build_many,
     .fini = remove_fixtures)
{
    static const char first[] = "variable many_00 changed type: int -> long; "
                                "variable many_01 changed type: int -> long; ";
    static const char more[] = "; ...";
    reload_comparison c;
    compare(&many_o0, &many_widened_o0, &c);
    size_t len = strlen(c.reason);
    cr_expect_not(c.compatible);
    cr_expect_lt(len, sizeof c.reason);
    cr_expect_eq(strncmp(c.reason, first, strlen(first)), 0, "%s", c.reason);
    cr_assert_gt(len, strlen(more));
    cr_expect_str_eq(c.reason + len - strlen(more), more);
    cr_expect_eq(strncmp(c.reason + len - strlen(more) - 4, "long", 4), 0, "%s", c.reason);
    reload_comparison_free(&c);
}

/* ---- files that cannot be read ---- */

static void build_no_debug(void) { build(&no_debug); build(&running_o0); }

static void expect_unreadable(const char *path, const char *message)
{
    char err[512] = "";
    cr_expect_null(reload_view_read(path, 0, err, sizeof err));
    cr_expect_str_eq(err, message);
}

/* The library's bytes in a memfd named libhandlers.so, as hot reload loads it; returns the fd. */
static int memfd_copy(const fixture *f)
{
    int in = open(f->library, O_RDONLY), out = memfd_create(LIBRARY, 0);
    struct stat st;
    cr_assert(in >= 0 && out >= 0 && fstat(in, &st) == 0);
    cr_assert_eq(sendfile(out, in, NULL, (size_t)st.st_size), st.st_size);
    close(in);
    return out;
}

Test(reload_compat, a_library_without_dwarf_is_refused, .init = build_no_debug,
     .fini = remove_fixtures)
{
    expect_unreadable(no_debug.library, LIBRARY " has no debug information: build it with -g");
    expect_unreadable("/nonexistent/libgone.so",
                      "cannot read libgone.so: No such file or directory");
}

Test(reload_compat, a_memfd_is_named_after_its_library, .init = build_no_debug,
     .fini = remove_fixtures)
{
    char path[64];
    int fd = memfd_copy(&no_debug);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    expect_unreadable(path, LIBRARY " has no debug information: build it with -g");
    close(fd);

    fd = memfd_copy(&running_o0);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    char err[512] = "";
    reload_view *v = reload_view_read(path, 0, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    reload_comparison c;
    cr_assert_eq(reload_compare(v, v, &c), 0);
    cr_expect(c.compatible);
    cr_expect_eq(c.n_variables, VARIABLES_IN_BOTH);
    reload_comparison_free(&c);
    reload_view_free(v);
    close(fd);
}
