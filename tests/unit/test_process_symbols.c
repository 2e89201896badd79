/* Tests of the symbol index of another process (probe/ptrace/process_symbols.h) and of reading
 * its memory (safe_mem_set_process): a forked child of this test binary is the other process. */
#include <criterion/criterion.h>

#include "ptrace/process_maps.h"
#include "ptrace/process_symbols.h"
#include "safe_mem.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { CHILD_FUNCTION_LINE = __LINE__ + 1 }; /* its entry is on this line or the next two */
__attribute__((noinline)) static int child_function(int x)
{
    return x * 7 + 3;
}

static volatile int child_marker = 1;
static pid_t child;

/* A child that differs from us in one global, then waits to be inspected and killed. */
static void start_child(void)
{
    int ready[2];
    cr_assert_eq(pipe(ready), 0);
    child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        child_marker = child_function(6);
        if (write(ready[1], "r", 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    char byte;
    cr_assert_eq(read(ready[0], &byte, 1), 1);
    close(ready[0]);
    close(ready[1]);
}

static void stop_child(void)
{
    safe_mem_set_process(0);
    if (child > 0) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
    }
}

TestSuite(process_symbols, .init = start_child, .fini = stop_child);

Test(process_symbols, resolves_a_function_of_the_child_to_its_name_and_line)
{
    char err[256] = "";
    sym_index *idx = process_symbols_create(child, err, sizeof err);
    cr_assert_not_null(idx, "%s", err);
    /* A forked child has our layout: our function's address is the child's. */
    sym_info info;
    cr_assert(sym_lookup(idx, (uintptr_t)child_function, false, &info));
    cr_assert_str_eq(info.function, "child_function");
    cr_assert_not_null(info.file);
    cr_assert(strstr(info.file, "test_process_symbols.c"), "file %s", info.file);
    cr_assert(info.line >= CHILD_FUNCTION_LINE && info.line <= CHILD_FUNCTION_LINE + 2, "line %d",
              info.line);
    cr_assert_eq(info.function_start, (uintptr_t)child_function);
    cr_assert_str_eq(info.module, sym_main_path(idx));

    /* The same line, executable and build-id as our own index says. */
    sym_index *own = sym_index_create();
    sym_info own_info;
    cr_assert(sym_lookup(own, (uintptr_t)child_function, false, &own_info));
    cr_assert_eq(info.line, own_info.line);
    cr_assert_str_eq(sym_main_path(idx), sym_main_path(own));
    cr_assert_str_eq(sym_main_build_id(idx), sym_main_build_id(own));
    cr_assert_neq(sym_main_build_id(idx)[0], '\0');

    /* libc, without DWARF here, resolves through its ELF symbols. */
    sym_info libc;
    cr_assert(sym_lookup(idx, (uintptr_t)getpid, false, &libc));
    cr_assert(strstr(libc.module, "libc"), "module %s", libc.module);
    cr_assert_not_null(libc.function);
    sym_index_destroy(own);
    sym_index_destroy(idx);
}

Test(process_symbols, lists_the_same_modules_as_the_child_maps)
{
    char err[256] = "";
    sym_index *idx = process_symbols_create(child, err, sizeof err);
    cr_assert_not_null(idx, "%s", err);
    sym_module_info info;
    size_t modules = 0;
    bool has_main = false;
    for (size_t i = 0; sym_module_get(idx, i, &info); i++) {
        modules++;
        has_main |= strcmp(info.path, sym_main_path(idx)) == 0;
        cr_assert_lt(info.low, info.high);
    }
    cr_assert(has_main);
    cr_assert_geq(modules, 3, "the executable, libc and ld.so at least");
    cr_assert_eq(sym_index_refresh(idx), 0, "nothing was loaded since");
    sym_index_destroy(idx);
}

Test(process_symbols, reads_the_child_memory_not_ours)
{
    int value = 0;
    safe_mem_set_process(child);
    cr_assert_eq(safe_mem_read((uintptr_t)&child_marker, &value, sizeof value), 0);
    safe_mem_set_process(0);
    cr_assert_eq(value, 6 * 7 + 3);
    cr_assert_eq(child_marker, 1);
}

Test(process_symbols, explains_a_process_that_does_not_exist)
{
    char err[256] = "";
    pid_t gone = fork();
    if (gone == 0)
        _exit(0);
    waitpid(gone, NULL, 0);
    cr_assert_null(process_symbols_create(gone, err, sizeof err));
    char expected[64];
    snprintf(expected, sizeof expected, "process %d does not exist", (int)gone);
    cr_assert_str_eq(err, expected);
}

Test(process_symbols, maps_give_open_paths)
{
    char err[256] = "";
    process_maps maps;
    cr_assert_eq(process_maps_read(child, &maps, err, sizeof err), 0, "%s", err);
    cr_assert(maps.own_root);
    bool found_stack = false;
    for (size_t i = 0; i < maps.count; i++) {
        const process_mapping *m = &maps.mappings[i];
        found_stack |= strcmp(m->path, "[stack]") == 0;
        if (process_mapping_has_file(m)) {
            char path[4096];
            cr_assert(process_mapping_open_path(&maps, m, path, sizeof path));
            cr_assert_eq(access(path, R_OK), 0, "%s", path);
        }
    }
    cr_assert(found_stack);
    process_maps_free(&maps);
}
