/* Unit-test helper for the ptrace tests: waiting until a forked child blocks in a system call
 * (state S in /proc/N/stat), so that a stop catches it inside that call. */
#ifndef PODBUG_TEST_CHILD_FIXTURE_H
#define PODBUG_TEST_CHILD_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static void child_wait_until_sleeping(pid_t pid)
{
    char path[64], stat[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    for (int i = 0; i < 2000; i++) {
        FILE *f = fopen(path, "r");
        cr_assert(f, "child %d vanished", (int)pid);
        size_t n = fread(stat, 1, sizeof stat - 1, f);
        fclose(f);
        stat[n] = '\0';
        const char *state = strrchr(stat, ')');
        if (state && state[2] == 'S')
            return;
        usleep(1000);
    }
    cr_assert_fail("child %d never blocked", (int)pid);
}

#endif
