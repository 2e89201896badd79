/* A read-only snapshot of every thread of another process for `podbug stacks` (nothing injected):
 * each thread's frames, expanded into inlined calls, with their arguments. */
#ifndef PODBUG_STACKS_H
#define PODBUG_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "probe_msg.h"
#include "symbols.h"

typedef struct stacks_frame {
    uintptr_t pc;
    const char *function;      /* NULL when unknown; strings owned by the report's index */
    const char *file;          /* NULL without line information */
    int line;
    const char *module;        /* the module's file as read (see process_symbols.h) */
    bool inlined;              /* an inlined call within the next frame's machine frame */
    probe_variable *args;      /* name, value text (gdb-like, no pointee expansion), type */
    size_t n_args;
} stacks_frame;

typedef struct stacks_thread {
    pid_t tid;
    char name[32];
    char state;                /* scheduler state just before the stop: 'S', 'R', 'D'... */
    char syscall[32];          /* the system call it waited in ("futex"); "" when none */
    stacks_frame *frames;      /* innermost first */
    size_t n_frames;
    char problem[200];         /* why it has no stack (it did not stop); "" otherwise */
} stacks_thread;

typedef struct stacks_report {
    pid_t pid;
    int64_t stopped_us;        /* how long the process was held */
    stacks_thread *threads;    /* by tid */
    size_t n_threads;
    sym_index *symbols;        /* owns the frames' strings */
} stacks_report;

/* Takes the snapshot of process pid. Returns 0, or -1 with err in words a user can act on
 * ("process 4242 does not exist", "no permission to trace 4242: ..."); the process is then left
 * as it was. */
int stacks_read(pid_t pid, stacks_report *out, char *err, size_t err_len);
void stacks_report_free(stacks_report *r);

#endif
