/* Stopping for a debugger: the hitting thread parks in its handler, the agent stops the others with
 * a signal (or leaves them running: a thread parked alone); parked threads keep their stacks. */
#ifndef PODBUG_STOPPER_H
#define PODBUG_STOPPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "frame_regs.h"

#define STOPPER_MAX_THREADS 1024
#define STOPPER_MAX_FRAMES 64

/* Sets up the stop signal and its handler, and installs the trap hit handler. notify_fd is
 * written one byte (async-signal-safe) whenever a thread hits a breakpoint and parks, or a
 * breakpoint's condition fails for the first time, so the agent's event loop wakes. agent_tid
 * is never stopped. Returns 0 or -1 with err. */
int stopper_init(int notify_fd, pid_t agent_tid, char *err, size_t err_len);

/* Handler-safe: wakes the agent's event loop (one byte to notify_fd; no-op before init). */
void stopper_notify_agent(void);

/* When false (probe disconnected), hits do not stop the thread: they run on. */
void stopper_set_enabled(bool enabled);

#define STOP_EVENT_MAX_IDS 16 /* BP_CONDITIONS_MAX_PER_ADDRESS */

/* A hit that stops: only hits for which some breakpoint at the site wants to stop (its condition
 * true, its hit condition met) become events; the others run on at once. */
typedef struct stop_event {
    pid_t tid;          /* the thread that hit */
    uintptr_t address;  /* the breakpoint site it hit */
    int64_t ids[STOP_EVENT_MAX_IDS]; /* the breakpoints that wanted this hit */
    size_t n_ids;
} stop_event;

/* Handler-safe: a fatal signal in this thread stops the process like a hit (an event with no
 * breakpoint ids at pc) and parks the thread; returns true once the stop has ended. Returns false
 * at once when hits are disabled or the caller is the agent thread. */
bool stopper_park_exception(uintptr_t pc, void *ucontext);

/* Agent: takes the first unreported hit of the current stop, if any. After a hit the
 * process is "stopping": the agent then calls stopper_stop_all. */
bool stopper_take_event(stop_event *out);

/* Agent: signals every thread except the agent and already parked ones, waits (bounded by
 * timeout_ms) until they are parked. Returns the number of threads parked in total. */
int stopper_stop_all(int timeout_ms);

/* Agent, while stopped: the parked threads' tids (at most max). */
size_t stopper_parked_threads(pid_t *tids, size_t max);

/* Agent: whether thread tid is parked in the current stop (and not woken alone). */
bool stopper_thread_parked(pid_t tid);

/* Agent, while stopped: the captured frames of a parked thread, innermost first. frames[0] holds
 * every general register of the interrupted context (its rip is where it stopped: the breakpoint
 * address for the hitting thread); frames[i>0] hold rip (a return address), rsp and the
 * callee-saved registers as libunwind recovered them; each frame's cfa is the next frame's rsp.
 * Returns the frame count, or -1 when tid is not parked. */
int stopper_thread_frames(pid_t tid, frame_regs *frames, size_t max);

/* Agent, while stopped: changes a register of a parked thread's frame 0 (the value it resumes
 * with). rip and rsp cannot be changed. Returns 0, or -1 when tid is not parked or regno is not
 * writable. */
int stopper_set_register(pid_t tid, int regno, uint64_t value);

/* True between a hit (or stop_all) and the next resume. */
bool stopper_is_stopped(void);

/* Agent: wakes every parked thread; the hitting thread runs its displaced instruction. */
void stopper_resume_all(void);

/* Agent, while stopped: wakes only parked thread tid (a step); the others stay parked and the
 * process stays stopped. Returns 0, or -1 when tid is not parked. */
int stopper_resume_thread(pid_t tid);

/* Agent, while stopped: sets or clears the trap flag (EFLAGS.TF) that parked thread tid resumes
 * with: set, it takes a single-step trap after each instruction. Returns 0, or -1 when not parked. */
int stopper_set_trace_flag(pid_t tid, bool on);

/* Handler-safe: true when this thread declined a request of the current stop inside a fast
 * breakpoint's trampoline (no unwind information there): its next trampoline call must leave
 * through the exit int3, whose hit parks it. */
bool stopper_stop_declined(void);

/* Handler-safe, in the thread itself (a step that needs the agent's decision): parks it in the
 * current stop, with its stack, and wakes the agent. Returns when it is woken. */
void stopper_park_here(void *ucontext);

#endif
