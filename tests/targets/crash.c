/* A program that crashes on request, for podbug's fatal-signal tests (stdin mode, one command per
 * line): "null" dereferences a null struct pointer in record_total, "abort" fails an assert, "ok"
 * does some work. With the argument "own-handler" it handles SIGSEGV itself and recovers. */
#include <assert.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct record {
    int id;
    int count;
    char name[16];
};

static struct record records[] = { { 1, 3, "first" }, { 2, 5, "second" } };
static sigjmp_buf recovery;

__attribute__((noipa)) struct record *find_record(int id)
{
    for (size_t i = 0; i < sizeof records / sizeof records[0]; i++)
        if (records[i].id == id)
            return &records[i];
    return NULL;
}

__attribute__((noipa)) int record_total(struct record *r, int bonus)
{
    volatile int scaled = bonus * 3;
    return r->count + scaled; /* CRASH:record_total */
}

__attribute__((noipa)) int check_positive(int n)
{
    assert(n > 0);
    return n;
}

static void own_segv_handler(int signo, siginfo_t *info, void *context)
{
    (void)context;
    char line[96];
    int len = snprintf(line, sizeof line, "own handler: signal %d at %p\n", signo, info->si_addr);
    ssize_t written = write(STDOUT_FILENO, line, (size_t)len);
    (void)written;
    siglongjmp(recovery, 1);
}

static void *idler(void *arg)
{
    (void)arg;
    for (;;)
        sleep(1);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "own-handler") == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = own_segv_handler;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGSEGV, &sa, NULL);
    }
    pthread_t thread;
    pthread_create(&thread, NULL, idler, NULL);
    pthread_setname_np(thread, "idler");
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("ready\n");
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
        if (sigsetjmp(recovery, 1)) {
            printf("recovered\n");
            continue;
        }
        if (strncmp(line, "null", 4) == 0)
            printf("total %d\n", record_total(find_record(99), 7));
        else if (strncmp(line, "abort", 5) == 0)
            printf("checked %d\n", check_positive(-1));
        else if (strncmp(line, "ok", 2) == 0)
            printf("ok %d\n", record_total(find_record(2), 1));
    }
    return 0;
}
