/* Test target for `podbug attach` (started without the probe): threads in nanosleep, a pipe read, a
 * futex wait and a CPU loop (busy_work) count EINTRs, lost bytes, short sleeps; stdin "status". */
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SLEEP_SECONDS 2
#define WRITE_EVERY_MS 100
#define WAKE_EVERY_MS 250

static atomic_long sleeps, short_sleeps, sleep_eintr;
static atomic_long bytes_read, bytes_written, lost, read_eintr;
static atomic_long wakes, spurious, futex_eintr;
static atomic_long work_calls, poll_eintr;
static atomic_int generation;
static atomic_int tids[4];
static int pipe_fds[2];

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *sleeper(void *unused)
{
    (void)unused;
    atomic_store(&tids[0], (int)syscall(SYS_gettid));
    for (;;) {
        int64_t start = now_ms();
        struct timespec ts = { SLEEP_SECONDS, 0 };
        if (nanosleep(&ts, NULL) != 0 && errno == EINTR)
            sleep_eintr++;
        if (now_ms() - start < SLEEP_SECONDS * 1000)
            short_sleeps++;
        sleeps++;
    }
    return NULL;
}

/* Reads the bytes 0, 1, 2, ... (mod 256) the main thread writes; any other byte is a loss. */
static void *reader(void *unused)
{
    (void)unused;
    atomic_store(&tids[1], (int)syscall(SYS_gettid));
    unsigned char expected = 0, buf[64];
    for (;;) {
        ssize_t n = read(pipe_fds[0], buf, sizeof buf);
        if (n < 0) {
            read_eintr += errno == EINTR;
            continue;
        }
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] != expected++) {
                lost++;
                expected = (unsigned char)(buf[i] + 1);
            }
        bytes_read += n;
    }
    return NULL;
}

/* Waits on the generation word the main thread bumps; a return without a bump is spurious. */
static void *futex_waiter(void *unused)
{
    (void)unused;
    atomic_store(&tids[2], (int)syscall(SYS_gettid));
    for (;;) {
        int seen = atomic_load(&generation);
        long rc = syscall(SYS_futex, &generation, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
        if (rc != 0 && errno == EINTR)
            futex_eintr++;
        else if (rc == 0 && atomic_load(&generation) == seen)
            spurious++;
        else
            wakes++;
    }
    return NULL;
}

__attribute__((noinline)) int busy_work(int n)
{
    int sum = 0;
    for (int i = 0; i < 64; i++)
        sum += (n ^ i) * 7;
    work_calls++;
    return sum;
}

static void *cpu_loop(void *unused)
{
    (void)unused;
    atomic_store(&tids[3], (int)syscall(SYS_gettid));
    volatile int sink = 0;
    for (int counter = 0;; counter++)
        sink += busy_work(counter);
    return NULL;
}

static void print_status(void)
{
    long eintr = sleep_eintr + read_eintr + futex_eintr + poll_eintr;
    printf("status sleeps=%ld short_sleeps=%ld bytes=%ld written=%ld lost=%ld wakes=%ld spurious=%ld work=%ld "
           "sleep_eintr=%ld read_eintr=%ld futex_eintr=%ld poll_eintr=%ld eintr=%ld\n",
           (long)sleeps, (long)short_sleeps, (long)bytes_read, (long)bytes_written, (long)lost, (long)wakes,
           (long)spurious, (long)work_calls, (long)sleep_eintr, (long)read_eintr, (long)futex_eintr,
           (long)poll_eintr, eintr);
    fflush(stdout);
}

/* One line from stdin: "status" prints the counts, "quit" ends the program. */
static void on_line(const char *line)
{
    if (strcmp(line, "status") == 0)
        print_status();
    else if (strcmp(line, "quit") == 0)
        exit(0);
}

/* Reads what stdin has and runs every complete line; false at its end. */
static int read_commands(char *buf, size_t *used, size_t size)
{
    ssize_t n = read(0, buf + *used, size - 1 - *used);
    if (n <= 0)
        return n < 0 && errno == EINTR ? 1 : 0;
    *used += (size_t)n;
    buf[*used] = '\0';
    char *line = buf, *nl;
    while ((nl = strchr(line, '\n'))) {
        *nl = '\0';
        on_line(line);
        line = nl + 1;
    }
    *used = strlen(line);
    memmove(buf, line, *used + 1);
    if (*used == size - 1)
        *used = 0;
    return 1;
}

int main(void)
{
    if (pipe(pipe_fds) != 0)
        return 1;
    void *(*bodies[4])(void *) = { sleeper, reader, futex_waiter, cpu_loop };
    for (int i = 0; i < 4; i++) {
        pthread_t t;
        pthread_create(&t, NULL, bodies[i], NULL);
    }
    for (int i = 0; i < 4; i++)
        while (atomic_load(&tids[i]) == 0)
            usleep(1000);
    printf("ready main=%d sleeper=%d reader=%d futex=%d cpu=%d\n", (int)getpid(), tids[0], tids[1], tids[2],
           tids[3]);
    fflush(stdout);

    char commands[256];
    size_t used = 0;
    struct pollfd in = { .fd = 0, .events = POLLIN };
    int64_t next_write = now_ms() + WRITE_EVERY_MS, next_wake = now_ms() + WAKE_EVERY_MS;
    unsigned char next_byte = 0;
    for (;;) {
        int64_t now = now_ms(), due = next_write < next_wake ? next_write : next_wake;
        int rc = poll(&in, 1, due > now ? (int)(due - now) : 0);
        if (rc < 0 && errno == EINTR)
            poll_eintr++;
        if (rc > 0 && !read_commands(commands, &used, sizeof commands))
            in.fd = -1; /* stdin ended: keep running on the timers alone */
        now = now_ms();
        if (now >= next_write) {
            if (write(pipe_fds[1], &next_byte, 1) == 1) {
                next_byte++;
                bytes_written++;
            }
            next_write += WRITE_EVERY_MS;
        }
        if (now >= next_wake) {
            atomic_fetch_add(&generation, 1);
            syscall(SYS_futex, &generation, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
            next_wake += WAKE_EVERY_MS;
        }
    }
}
