/* Read-side sections for the fast breakpoint path, which runs in every thread at every hit: a
 * section costs two plain stores to the thread's own record (no locked instruction); the agent
 * orders them with membarrier before it waits for the sections that may still hold what it
 * retires. */
#ifndef PODBUG_FAST_READERS_H
#define PODBUG_FAST_READERS_H

#include <stdbool.h>

/* What fast_readers_leave needs. */
typedef struct fast_read_section {
    void *record;       /* the thread's record, or NULL: the shared counters */
    unsigned previous;  /* the record's value before (an interrupted section's) */
    unsigned counter;   /* the counter entered without a record */
} fast_read_section;

/* Agent: registers the process for membarrier's private expedited barrier (once). Until it
 * succeeded, sections use shared counters (locked adds). Idempotent. */
void fast_readers_init(void);

/* Async-signal-safe: enters and leaves a section. Sections nest (a signal handler's hit inside
 * another hit of the same thread). */
void fast_readers_enter(fast_read_section *s);
void fast_readers_leave(const fast_read_section *s);

/* Agent: returns once no section entered before the call is still running. */
void fast_readers_wait(void);

#endif
