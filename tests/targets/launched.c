/* A program for podbug's launch tests: prints its arguments, the variable LAUNCH_GREETING and its
 * working directory on stdout and a line on stderr, then does what its first argument says:
 * "exit N" ends with status N, "crash" dereferences a null pointer, "wait" sleeps until killed,
 * "stubborn" ignores SIGTERM and sleeps until killed. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int started;

__attribute__((noipa)) static int read_field(const int *p)
{
    return *p;
}

int main(int argc, char **argv)
{
    started = argc; /* BP:main-first-line */
    printf("args:");
    for (int i = 1; i < argc; i++)
        printf(" [%s]", argv[i]);
    printf("\n");
    const char *greeting = getenv("LAUNCH_GREETING");
    printf("greeting: %s\n", greeting ? greeting : "(none)");
    char cwd[4096];
    printf("cwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
    fflush(stdout);
    fprintf(stderr, "a line on stderr\n");
    const char *what = argc > 1 ? argv[1] : "exit";
    if (strcmp(what, "crash") == 0)
        return read_field((const int *)(argc > 100 ? (const void *)argv : NULL));
    if (strcmp(what, "stubborn") == 0)
        signal(SIGTERM, SIG_IGN);
    if (strcmp(what, "wait") == 0 || strcmp(what, "stubborn") == 0)
        for (;;)
            pause();
    return argc > 2 ? atoi(argv[2]) : 0;
}
