/* The fatal-signal filter table shared by server (capabilities, filters) and probe (handlers,
 * descriptions), and the wording of a crash's description. */
#include "fatal_signals.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static const fatal_signal table[FATAL_SIGNAL_COUNT] = {
    { SIGSEGV, "SIGSEGV", "SIGSEGV: invalid memory access" },
    { SIGBUS, "SIGBUS", "SIGBUS: bus error" },
    { SIGFPE, "SIGFPE", "SIGFPE: arithmetic exception" },
    { SIGILL, "SIGILL", "SIGILL: illegal instruction" },
    { SIGABRT, "SIGABRT", "SIGABRT: abort() called" },
};

const fatal_signal *fatal_signals(void)
{
    return table;
}

int fatal_signal_index(const char *name)
{
    for (int i = 0; name && i < FATAL_SIGNAL_COUNT; i++)
        if (strcmp(table[i].name, name) == 0)
            return i;
    return -1;
}

int fatal_signal_index_of(int signo)
{
    for (int i = 0; i < FATAL_SIGNAL_COUNT; i++)
        if (table[i].signo == signo)
            return i;
    return -1;
}

int exception_mode_parse(const char *text)
{
    if (text && strcmp(text, "stop") == 0)
        return EXCEPTION_STOP;
    if (text && strcmp(text, "snapshot") == 0)
        return EXCEPTION_SNAPSHOT;
    return -1;
}

const char *exception_mode_name(exception_mode mode)
{
    return mode == EXCEPTION_STOP ? "stop" : mode == EXCEPTION_SNAPSHOT ? "snapshot" : "off";
}

/* The kernel's words for a fault (si_code > 0), or NULL. */
static const char *fault_text(const crash_facts *f)
{
    switch (f->signo) {
    case SIGSEGV: return f->write ? "invalid write" : "invalid read";
    case SIGBUS:
        return f->code == BUS_ADRALN ? "misaligned access" : f->code == BUS_ADRERR
               ? "access beyond the end of a mapped object" : "hardware memory error";
    case SIGFPE:
        return f->code == FPE_INTDIV ? "integer divide by zero" : f->code == FPE_INTOVF
               ? "integer overflow" : f->code == FPE_FLTDIV ? "floating-point divide by zero"
               : "floating-point exception";
    case SIGILL: return f->code == ILL_PRVOPC ? "privileged instruction" : "illegal instruction";
    default: return NULL;
    }
}

void crash_describe(const crash_facts *f, char *out, size_t len)
{
    int index = fatal_signal_index_of(f->signo);
    const char *name = index >= 0 ? table[index].name : "signal";
    const char *fault = f->code > 0 ? fault_text(f) : NULL;
    bool from_self = f->code <= 0 && f->sender_pid == f->own_pid;
    if (fault)
        snprintf(out, len, "%s: %s at 0x%llx", name, fault, (unsigned long long)f->address);
    else if (f->signo == SIGABRT && from_self)
        snprintf(out, len, "SIGABRT: abort() called");
    else if (from_self)
        snprintf(out, len, "%s: raised by the process itself", name);
    else
        snprintf(out, len, "%s: sent by process %d", name, f->sender_pid);
}
