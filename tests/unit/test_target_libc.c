/* Unit tests for target_libc.c: dlopen, dlerror and any libc function found in a forked child's
 * memory map and files are at the addresses the child's own dlsym finds in its libc. */
#include <criterion/criterion.h>

#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ptrace/target_libc.h"

typedef struct child_addresses {
    uint64_t dlopen, dlerror, getpid;
} child_addresses;

static pid_t child;
static child_addresses reported;

/* A child that reports its libc's addresses of dlopen, dlerror and getpid, then waits to be killed. */
static void start_child(void)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    child = fork();
    if (child == 0) {
        /* libc's own definitions (a sanitizer runtime interposes dlopen for everyone else). */
        void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
        child_addresses a = { (uint64_t)(uintptr_t)dlsym(libc, "dlopen"), (uint64_t)(uintptr_t)dlsym(libc, "dlerror"),
                              (uint64_t)(uintptr_t)dlsym(libc, "getpid") };
        if (write(fds[1], &a, sizeof a) != (ssize_t)sizeof a)
            _exit(2);
        pause();
        _exit(0);
    }
    cr_assert_eq(read(fds[0], &reported, sizeof reported), (ssize_t)sizeof reported);
    close(fds[0]);
    close(fds[1]);
}

static void stop_child(void)
{
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
}

TestSuite(target_libc, .init = start_child, .fini = stop_child);

Test(target_libc, dlopen_and_dlerror_are_where_the_process_has_them)
{
    process_maps maps;
    target_libc libc;
    char err[256] = "";
    cr_assert_eq(process_maps_read(child, &maps, err, sizeof err), 0, "%s", err);
    cr_assert_eq(target_libc_find(&maps, &libc, err, sizeof err), 0, "%s", err);
    cr_expect_eq(libc.dlopen, reported.dlopen, "dlopen %#llx, the child says %#llx", (unsigned long long)libc.dlopen,
                 (unsigned long long)reported.dlopen);
    cr_expect_eq(libc.dlerror, reported.dlerror);
    cr_expect(target_module_contains(&libc.libc, libc.dlopen));
    cr_expect(strstr(libc.loader.first->path, "ld-linux"), "loader %s", libc.loader.first->path);
    cr_expect_not(target_module_contains(&libc.loader, libc.dlopen));
    process_maps_free(&maps);
}

Test(target_libc, any_symbol_of_a_module_found_by_path)
{
    process_maps maps;
    target_libc libc;
    target_module by_path;
    char err[256] = "";
    uint64_t getpid_address = 0;
    cr_assert_eq(process_maps_read(child, &maps, err, sizeof err), 0, "%s", err);
    cr_assert_eq(target_libc_find(&maps, &libc, err, sizeof err), 0, "%s", err);
    cr_assert(target_module_find(&maps, target_module_path_is, libc.libc.first->path, &by_path));
    cr_expect_eq(by_path.start, libc.libc.start);
    cr_assert_eq(target_module_symbol(&maps, &by_path, "getpid", &getpid_address, err, sizeof err), 0, "%s", err);
    cr_expect_eq(getpid_address, reported.getpid);
    cr_expect_eq(target_module_symbol(&maps, &by_path, "no_such_function_here", &getpid_address, err, sizeof err), -1);
    cr_expect(strstr(err, "no no_such_function_here in"), "%s", err);
    cr_expect_not(target_module_find(&maps, target_module_path_is, "/no/such/library.so", &by_path));
    process_maps_free(&maps);
}
