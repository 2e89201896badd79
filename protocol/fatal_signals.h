/* The fatal signals podbug offers as exception breakpoint filters: their names, labels and
 * numbers, the exception modes, and the one-line description of a crash ("SIGSEGV: invalid read at 0x0"). */
#ifndef PODBUG_FATAL_SIGNALS_H
#define PODBUG_FATAL_SIGNALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FATAL_SIGNAL_COUNT 5

typedef enum exception_mode {
    EXCEPTION_OFF = 0,
    EXCEPTION_SNAPSHOT = 1, /* ordered: when several sessions choose, the larger mode wins */
    EXCEPTION_STOP = 2,
} exception_mode;

typedef struct fatal_signal {
    int signo;
    const char *name;  /* the filter id: "SIGSEGV" */
    const char *label; /* "SIGSEGV: invalid memory access" */
} fatal_signal;

/* The table, in filter order. */
const fatal_signal *fatal_signals(void);
/* The index (0..FATAL_SIGNAL_COUNT-1) of the signal named name / numbered signo, or -1. */
int fatal_signal_index(const char *name);
int fatal_signal_index_of(int signo);

/* "stop" / "snapshot" -> the mode; -1 for anything else. */
int exception_mode_parse(const char *text);
const char *exception_mode_name(exception_mode mode);

/* What one crash was: filled by the probe's fatal-signal handler from siginfo and the context. */
typedef struct crash_facts {
    int signo;
    int code;            /* si_code */
    uint64_t address;    /* si_addr (the faulting address, or the pc for SIGILL/SIGFPE) */
    bool write;          /* SIGSEGV: the page-fault error code says write */
    int sender_pid;      /* si_pid, for a signal sent by a process (si_code <= 0) */
    int own_pid;         /* the crashing process */
} crash_facts;

/* "SIGSEGV: invalid read at 0x0", "SIGABRT: abort() called", "SIGFPE: integer divide by zero
 * at 0x401136". Always terminated; truncated to len. */
void crash_describe(const crash_facts *facts, char *out, size_t len);

#endif
