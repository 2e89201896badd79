/* Tests of the symbol index (probe/symbols.h) on this test process itself and on fixture
 * libraries compiled at run time (-O2, DWARF 4 and 5) and loaded with dlopen. */
#include <criterion/criterion.h>

#include "symbols.h"

#include <ctype.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LOCATIONS 8

/* ---- code of this file that the tests resolve and look up ---- */

enum { TARGET_BODY_LINE = __LINE__ + 3 };
__attribute__((noinline)) static int symbols_test_target(int x)
{
    return x * 3 + 1;
}

__attribute__((noinline)) static uintptr_t return_address_of_call(void)
{
    return (uintptr_t)__builtin_return_address(0);
}

/* ---- fixture libraries: the same source built as alpha/fixture.c (DWARF 4) and
 * beta/fixture.c (DWARF 5), both -O2 ---- */

static const char fixture_source[] =
    "/* Fixture library for test_symbols: functions at known lines. */\n" /* 1 */
    "#include <stdio.h>\n"
    "#include <stdlib.h>\n"
    "\n"
    "int fixture_sink;\n" /* 5 */
    "\n"
    "__attribute__((noinline)) int fixture_add(int a, int b)\n"
    "{\n"
    "    int sum = a + b;\n"
    "\n" /* 10: no code */
    "    fixture_sink += sum;\n"
    "    return sum * 2;\n"
    "}\n"
    "\n"
    "__attribute__((noinline)) int fixture_checked(int x)\n" /* 15 */
    "{\n"
    "    if (__builtin_expect(x < 0, 0)) {\n"
    "        for (int i = 0; i < 3; i++)\n"
    "            fixture_sink += fprintf(stderr, \"%d %d\\n\", x, i);\n"
    "        abort();\n" /* 20: in the cold part, fixture_checked.cold */
    "    }\n"
    "    return x * 2;\n"
    "}\n"
    "\n"
    "static inline int fixture_scaled(int v)\n" /* 25 */
    "{\n"
    "    return v * 3 + fixture_sink;\n" /* 27: inlined into both callers below */
    "}\n"
    "\n"
    "__attribute__((noinline)) int fixture_caller_a(int v)\n" /* 30 */
    "{\n"
    "    return fixture_scaled(v) + 1;\n"
    "}\n"
    "\n"
    "__attribute__((noinline)) int fixture_caller_b(int v)\n" /* 35 */
    "{\n"
    "    return fixture_scaled(v) - 1;\n"
    "}\n";

enum {
    FIXTURE_SUM_LINE = 9,
    FIXTURE_BLANK_LINE = 10,
    FIXTURE_LAST_CODE_LINE = 37,
    FIXTURE_ABORT_LINE = 20,
    FIXTURE_INLINED_LINE = 27,
};

typedef struct fixture_lib {
    const char *name;
    const char *debug_flags;
    char source[512];
    char library[512];
    void *handle;
} fixture_lib;

static char fixture_dir[256];
static fixture_lib alpha = { .name = "alpha", .debug_flags = "-gdwarf-4" };
static fixture_lib beta = { .name = "beta", .debug_flags = "-gdwarf-5" };

static void build_fixture(fixture_lib *lib)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/%s", fixture_dir, lib->name);
    cr_assert_eq(mkdir(dir, 0700), 0, "mkdir %s", dir);
    snprintf(lib->source, sizeof lib->source, "%s/fixture.c", dir);
    snprintf(lib->library, sizeof lib->library, "%s/libfixture.so", dir);
    FILE *f = fopen(lib->source, "w");
    cr_assert_not_null(f, "cannot write %s", lib->source);
    fputs(fixture_source, f);
    fclose(f);
    char command[1400];
    snprintf(command, sizeof command, "cc %s -O2 -shared -fPIC -o '%s' '%s'", lib->debug_flags,
             lib->library, lib->source);
    cr_assert_eq(system(command), 0, "fixture build failed: %s", command);
}

static void *load_fixture(fixture_lib *lib)
{
    lib->handle = dlopen(lib->library, RTLD_NOW | RTLD_LOCAL);
    cr_assert_not_null(lib->handle, "dlopen: %s", dlerror());
    return lib->handle;
}

static uintptr_t fixture_function(const fixture_lib *lib, const char *name)
{
    void *address = dlsym(lib->handle, name);
    cr_assert_not_null(address, "dlsym %s: %s", name, dlerror());
    return (uintptr_t)address;
}

static void build_fixtures(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(fixture_dir, sizeof fixture_dir, "%s/podbug-symbols-XXXXXX", tmp ? tmp : "/tmp");
    cr_assert_not_null(mkdtemp(fixture_dir), "mkdtemp %s", fixture_dir);
    build_fixture(&alpha);
    build_fixture(&beta);
}

static void remove_fixture(fixture_lib *lib)
{
    if (lib->handle)
        dlclose(lib->handle);
    unlink(lib->library);
    unlink(lib->source);
    char dir[300];
    snprintf(dir, sizeof dir, "%s/%s", fixture_dir, lib->name);
    rmdir(dir);
}

static void remove_fixtures(void)
{
    remove_fixture(&alpha);
    remove_fixture(&beta);
    rmdir(fixture_dir);
}

/* ---- helpers ---- */

static sym_index *new_index(void)
{
    sym_index *idx = sym_index_create();
    cr_assert_not_null(idx);
    return idx;
}

static bool ends_with(const char *text, const char *suffix)
{
    size_t n = strlen(text), m = strlen(suffix);
    return n >= m && strcmp(text + n - m, suffix) == 0;
}

/* Resolves path:line expecting exactly one location. */
static sym_location resolve_one(sym_index *idx, const char *path, int line)
{
    sym_location locations[MAX_LOCATIONS];
    char err[512] = "";
    size_t n = sym_resolve_line(idx, path, line, locations, MAX_LOCATIONS, err, sizeof err);
    cr_assert_eq(n, 1, "%s:%d gave %zu locations (%s)", path, line, n, err);
    return locations[0];
}

static void expect_resolve_error(sym_index *idx, const char *path, int line, const char *expected)
{
    sym_location locations[MAX_LOCATIONS];
    char err[512] = "";
    size_t n = sym_resolve_line(idx, path, line, locations, MAX_LOCATIONS, err, sizeof err);
    cr_assert_eq(n, 0, "%s:%d should not resolve", path, line);
    cr_assert_str_eq(err, expected);
}

/* ---- this process ---- */

Test(symbols, resolves_own_line_by_basename)
{
    sym_index *idx = new_index();
    sym_location loc = resolve_one(idx, "test_symbols.c", TARGET_BODY_LINE);
    cr_assert_str_eq(loc.function, "symbols_test_target");
    cr_assert_eq(loc.line, TARGET_BODY_LINE);
    cr_assert(loc.file[0] == '/' && ends_with(loc.file, "/tests/unit/test_symbols.c"), "%s",
              loc.file);
    sym_info info;
    cr_assert(sym_lookup(idx, loc.address, false, &info));
    cr_assert_eq(info.function_start, (uintptr_t)symbols_test_target);
    cr_assert_eq(info.line, TARGET_BODY_LINE, "the address maps back to the line");
    cr_assert_eq(info.file, loc.file);
    sym_index_destroy(idx);
}

Test(symbols, resolves_partial_and_full_paths_to_the_same_address)
{
    sym_index *idx = new_index();
    sym_location by_name = resolve_one(idx, "test_symbols.c", TARGET_BODY_LINE);
    char full_with_dots[1024];
    snprintf(full_with_dots, sizeof full_with_dots, "%.*s/../unit/./test_symbols.c",
             (int)(strlen(by_name.file) - strlen("/test_symbols.c")), by_name.file);
    /* the last one is how an IDE with a checkout elsewhere names the file */
    const char *paths[] = { "unit/test_symbols.c", "tests/unit/test_symbols.c",
                            "./tests//unit/test_symbols.c", by_name.file, full_with_dots,
                            "/elsewhere/checkout/tests/unit/test_symbols.c" };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        sym_location loc = resolve_one(idx, paths[i], TARGET_BODY_LINE);
        cr_assert_eq(loc.address, by_name.address, "%s", paths[i]);
        cr_assert_eq(loc.file, by_name.file, "%s: the file path is interned once", paths[i]);
    }
    sym_index_destroy(idx);
}

Test(symbols, unknown_file_is_reported)
{
    sym_index *idx = new_index();
    expect_resolve_error(idx, "no_such_file.c", 3,
                         "no source file matching 'no_such_file.c' in the executable or its "
                         "libraries");
    sym_index_destroy(idx);
}

Test(symbols, invalid_line_is_reported)
{
    sym_index *idx = new_index();
    expect_resolve_error(idx, "test_symbols.c", 0, "invalid source location 'test_symbols.c:0'");
    expect_resolve_error(idx, "", 3, "invalid source location ':3'");
    sym_index_destroy(idx);
}

Test(symbols, looks_up_own_function)
{
    sym_index *idx = new_index();
    uintptr_t entry = (uintptr_t)symbols_test_target;
    sym_info info;
    cr_assert(sym_lookup(idx, entry, false, &info));
    cr_assert_str_eq(info.function, "symbols_test_target");
    cr_assert_eq(info.function_start, entry);
    cr_assert(ends_with(info.file, "/tests/unit/test_symbols.c"), "%s", info.file);
    cr_assert(info.line >= TARGET_BODY_LINE - 2 && info.line <= TARGET_BODY_LINE,
              "the entry is on the function's first lines, not on line %d", info.line);
    cr_assert_str_eq(info.module, sym_main_path(idx));
    sym_index_destroy(idx);
}

Test(symbols, return_address_is_attributed_to_the_call_line)
{
    sym_index *idx = new_index();
    enum { CALL_LINE = __LINE__ + 1 };
    uintptr_t return_address = return_address_of_call();
    sym_info info;
    cr_assert(sym_lookup(idx, return_address, true, &info));
    cr_assert_eq(info.line, CALL_LINE);
    cr_assert(ends_with(info.file, "/tests/unit/test_symbols.c"), "%s", info.file);
    cr_assert_not_null(info.function);
    cr_assert_lt(info.function_start, return_address);
    sym_index_destroy(idx);
}

Test(symbols, libc_function_is_named_from_elf_symbols)
{
    sym_index *idx = new_index();
    sym_info info;
    cr_assert(sym_lookup(idx, (uintptr_t)getpid, false, &info));
    cr_assert_not_null(info.function);
    cr_assert(strstr(info.function, "getpid"), "%s", info.function);
    cr_assert_eq(info.function_start, (uintptr_t)getpid);
    cr_assert(strstr(info.module, "libc"), "%s", info.module);
    cr_assert_null(info.file);
    cr_assert_eq(info.line, 0);
    sym_index_destroy(idx);
}

Test(symbols, address_outside_every_module_is_unknown)
{
    sym_index *idx = new_index();
    sym_info info;
    cr_assert_not(sym_lookup(idx, 16, false, &info));
    int on_stack = 0;
    cr_assert_not(sym_lookup(idx, (uintptr_t)&on_stack, false, &info));
    sym_index_destroy(idx);
}

Test(symbols, main_build_id_and_path)
{
    sym_index *idx = new_index();
    const char *id = sym_main_build_id(idx);
    cr_assert_eq(strlen(id), 40, "%s", id);
    for (const char *p = id; *p; p++)
        cr_assert(isxdigit((unsigned char)*p) && !isupper((unsigned char)*p), "%s", id);
    cr_assert(ends_with(sym_main_path(idx), "/test_symbols"), "%s", sym_main_path(idx));
    sym_index_destroy(idx);
}

/* ---- fixture libraries ---- */

Test(symbols, module_loaded_later_is_found_after_refresh, .init = build_fixtures,
     .fini = remove_fixtures)
{
    sym_index *idx = new_index();
    expect_resolve_error(idx, "beta/fixture.c", FIXTURE_SUM_LINE,
                         "no source file matching 'beta/fixture.c' in the executable or its "
                         "libraries");
    load_fixture(&beta);
    cr_assert_geq(sym_index_refresh(idx), 1);
    cr_assert_eq(sym_index_refresh(idx), 0, "nothing new since the last refresh");
    sym_location loc = resolve_one(idx, "beta/fixture.c", FIXTURE_SUM_LINE);
    cr_assert_eq(loc.address, fixture_function(&beta, "fixture_add"));
    cr_assert_str_eq(loc.function, "fixture_add");
    cr_assert_str_eq(loc.file, beta.source);
    sym_info info;
    cr_assert(sym_lookup(idx, loc.address, false, &info));
    cr_assert_str_eq(info.module, beta.library);
    sym_index_destroy(idx);
}

Test(symbols, unloaded_module_is_forgotten_after_refresh, .init = build_fixtures,
     .fini = remove_fixtures)
{
    sym_index *idx = new_index();
    load_fixture(&beta);
    sym_index_refresh(idx);
    uintptr_t add = fixture_function(&beta, "fixture_add");
    sym_info info;
    cr_assert(sym_lookup(idx, add, false, &info));
    dlclose(beta.handle);
    beta.handle = NULL;
    sym_index_refresh(idx);
    cr_assert_not(sym_lookup(idx, add, false, &info));
    char err[256];
    sym_location loc;
    cr_assert_eq(sym_resolve_line(idx, "beta/fixture.c", FIXTURE_SUM_LINE, &loc, 1, err,
                                  sizeof err), 0);
    sym_index_destroy(idx);
}

static void check_split_function(sym_index *idx, const fixture_lib *lib, const char *path)
{
    uintptr_t entry = fixture_function(lib, "fixture_checked");
    sym_location cold = resolve_one(idx, path, FIXTURE_ABORT_LINE);
    cr_assert_str_eq(cold.function, "fixture_checked", "%s", path);
    cr_assert_lt(cold.address, entry, "%s: gcc places the cold part below the function", path);
    sym_info info;
    cr_assert(sym_lookup(idx, cold.address, false, &info));
    cr_assert_str_eq(info.function, "fixture_checked", "%s", path);
    cr_assert_eq(info.function_start, entry, "%s", path);
    cr_assert_eq(info.line, FIXTURE_ABORT_LINE, "%s", path);
    cr_assert_str_eq(info.file, lib->source);
}

Test(symbols, split_functions_of_dwarf4_and_dwarf5, .init = build_fixtures,
     .fini = remove_fixtures)
{
    load_fixture(&alpha);
    load_fixture(&beta);
    sym_index *idx = new_index();
    check_split_function(idx, &alpha, "alpha/fixture.c");
    check_split_function(idx, &beta, "beta/fixture.c");
    sym_index_destroy(idx);
}

Test(symbols, inlined_line_gives_one_location_per_function, .init = build_fixtures,
     .fini = remove_fixtures)
{
    load_fixture(&beta);
    sym_index *idx = new_index();
    sym_location locations[MAX_LOCATIONS];
    char err[256] = "";
    size_t n = sym_resolve_line(idx, "beta/fixture.c", FIXTURE_INLINED_LINE, locations,
                                MAX_LOCATIONS, err, sizeof err);
    cr_assert_eq(n, 2, "%zu locations (%s)", n, err);
    uintptr_t a = fixture_function(&beta, "fixture_caller_a");
    uintptr_t b = fixture_function(&beta, "fixture_caller_b");
    cr_assert_lt(locations[0].address, locations[1].address, "sorted by address");
    const sym_location *in_a = a < b ? &locations[0] : &locations[1];
    const sym_location *in_b = a < b ? &locations[1] : &locations[0];
    cr_assert_str_eq(in_a->function, "fixture_caller_a");
    cr_assert_str_eq(in_b->function, "fixture_caller_b");
    cr_assert_eq(in_a->address, a, "the inlined line starts each caller at -O2");
    cr_assert_eq(in_b->address, b);
    cr_assert_eq(sym_resolve_line(idx, "beta/fixture.c", FIXTURE_INLINED_LINE, locations, 1, err,
                                  sizeof err),
                 1, "at most max locations");
    sym_index_destroy(idx);
}

Test(symbols, line_without_code_names_the_nearest_lines, .init = build_fixtures,
     .fini = remove_fixtures)
{
    load_fixture(&beta);
    sym_index *idx = new_index();
    char expected[256];
    snprintf(expected, sizeof expected, "no code at fixture.c:%d; nearest lines with code: %d, %d",
             FIXTURE_BLANK_LINE, FIXTURE_SUM_LINE, FIXTURE_BLANK_LINE + 1);
    expect_resolve_error(idx, "fixture.c", FIXTURE_BLANK_LINE, expected);
    snprintf(expected, sizeof expected, "no code at fixture.c:%d; nearest line with code: %d",
             FIXTURE_LAST_CODE_LINE + 20, FIXTURE_LAST_CODE_LINE);
    expect_resolve_error(idx, "fixture.c", FIXTURE_LAST_CODE_LINE + 20, expected);
    sym_index_destroy(idx);
}

Test(symbols, same_suffix_in_two_files_is_ambiguous, .init = build_fixtures,
     .fini = remove_fixtures)
{
    load_fixture(&alpha);
    load_fixture(&beta);
    sym_index *idx = new_index();
    sym_location locations[MAX_LOCATIONS];
    char err[2048] = "";
    cr_assert_eq(sym_resolve_line(idx, "fixture.c", FIXTURE_SUM_LINE, locations, MAX_LOCATIONS,
                                  err, sizeof err),
                 0);
    cr_assert(strstr(err, "ambiguous") && strstr(err, alpha.source) && strstr(err, beta.source),
              "%s", err);
    sym_location in_alpha = resolve_one(idx, "alpha/fixture.c", FIXTURE_SUM_LINE);
    cr_assert_eq(in_alpha.address, fixture_function(&alpha, "fixture_add"));
    sym_location exact = resolve_one(idx, beta.source, FIXTURE_SUM_LINE);
    cr_assert_eq(exact.address, fixture_function(&beta, "fixture_add"));
    sym_index_destroy(idx);
}
