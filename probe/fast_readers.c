/* Fast-path read-side sections (see fast_readers.h), the scheme of liburcu's membarrier flavour.
 *
 * A thread claims a record (a cache line) at its first section and keeps it (records of exited
 * threads are not reused: past FAST_READERS_MAX threads, sections use the shared counters). In a
 * section the record holds 1 + the epoch's parity it entered in. The agent, after publishing what
 * replaces the old data, runs membarrier: every running thread passes a full barrier, so a
 * section either shows in its record or will load the new data. Then, twice, it flips the epoch
 * and waits until no record (and no counter) shows the old parity: a section that read the epoch
 * just before a flip is waited for by the second round. Nested sections keep the outer value. */
#include "fast_readers.h"

#include <linux/membarrier.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "signal_interpose.h"

#define FAST_READERS_MAX 1024

typedef struct reader_record {
    atomic_uint value;  /* 0: outside; 1 + parity: inside */
    char pad[64 - sizeof(atomic_uint)];
} reader_record;

_Static_assert(sizeof(reader_record) == 64, "one record per cache line");

static reader_record records[FAST_READERS_MAX];
static atomic_uint records_taken;   /* records[0, records_taken) may be in use */
static atomic_bool barrier_ready;   /* membarrier registered: records may be used */
static atomic_uint epoch;
static atomic_uint counters[2];
static __thread __attribute__((tls_model("initial-exec"))) reader_record *own_record;
static __thread __attribute__((tls_model("initial-exec"))) bool no_record;

/* ---- thread side: no allocation, no locks ----------------------------------------------- */

PODBUG_HANDLER_TEXT static reader_record *thread_record(void)
{
    if (own_record || no_record || !atomic_load_explicit(&barrier_ready, memory_order_acquire))
        return own_record;
    unsigned index = atomic_fetch_add(&records_taken, 1);
    if (index >= FAST_READERS_MAX) {
        atomic_fetch_sub(&records_taken, 1);
        no_record = true;
        return NULL;
    }
    own_record = &records[index];
    return own_record;
}

PODBUG_HANDLER_TEXT void fast_readers_enter(fast_read_section *s)
{
    reader_record *r = thread_record();
    s->record = r;
    if (r) {
        s->previous = atomic_load_explicit(&r->value, memory_order_relaxed);
        if (s->previous == 0)
            atomic_store_explicit(&r->value,
                                  1 + (atomic_load_explicit(&epoch, memory_order_relaxed) & 1u),
                                  memory_order_relaxed);
        atomic_signal_fence(memory_order_seq_cst); /* the agent's membarrier orders the rest */
        return;
    }
    s->counter = atomic_load(&epoch) & 1u;
    atomic_fetch_add(&counters[s->counter], 1);
}

PODBUG_HANDLER_TEXT void fast_readers_leave(const fast_read_section *s)
{
    reader_record *r = s->record;
    if (r)
        atomic_store_explicit(&r->value, s->previous, memory_order_release);
    else
        atomic_fetch_sub(&counters[s->counter], 1);
}

/* ---- agent side ------------------------------------------------------------------------- */

void fast_readers_init(void)
{
    if (!atomic_load(&barrier_ready) &&
        syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0)
        atomic_store(&barrier_ready, true);
}

static bool any_inside(unsigned parity)
{
    if (atomic_load(&counters[parity]) != 0)
        return true;
    unsigned n = atomic_load(&records_taken);
    for (unsigned i = 0; i < n && i < FAST_READERS_MAX; i++)
        if (atomic_load_explicit(&records[i].value, memory_order_acquire) == 1 + parity)
            return true;
    return false;
}

static void barrier_all(void)
{
    if (atomic_load(&barrier_ready))
        syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
}

void fast_readers_wait(void)
{
    barrier_all();
    for (int round = 0; round < 2; round++) {
        unsigned old = atomic_fetch_add(&epoch, 1) & 1u;
        barrier_all();
        while (any_inside(old))
            sched_yield();
    }
}
