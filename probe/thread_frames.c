/* The stacks of the probe's parked threads (see thread_frames.h): each expanded once
 * (thread_frames_expand.c) and cached per thread until the resume. */
#include "thread_frames.h"

#include <stdio.h>
#include <stdlib.h>
#include "stopper.h"

typedef struct thread_stack {
    pid_t tid;
    frame_regs regs[STOPPER_MAX_FRAMES];  /* the machine frames; stack_frame.regs point here */
    stack_frame *frames;
    size_t n_frames;
} thread_stack;

static thread_stack *stacks[STOPPER_MAX_THREADS];
static size_t n_stacks;

static void free_stack(thread_stack *s)
{
    free(s->frames);
    free(s);
}

static thread_stack *build_stack(sym_index *symbols, pid_t tid)
{
    thread_stack *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->tid = tid;
    int machine_frames = stopper_thread_frames(tid, s->regs, STOPPER_MAX_FRAMES);
    int count = machine_frames < 0 ? -1
              : thread_frames_expand(symbols, s->regs, (size_t)machine_frames, &s->frames);
    if (count < 0) {
        free_stack(s);
        return NULL;
    }
    s->n_frames = (size_t)count;
    return s;
}

static thread_stack *stack_of(sym_index *symbols, pid_t tid)
{
    for (size_t i = 0; i < n_stacks; i++)
        if (stacks[i]->tid == tid)
            return stacks[i];
    if (n_stacks == STOPPER_MAX_THREADS)
        return NULL;
    thread_stack *s = build_stack(symbols, tid);
    if (s)
        stacks[n_stacks++] = s;
    return s;
}

int thread_frames_get(sym_index *symbols, pid_t tid, const stack_frame **frames)
{
    thread_stack *s = stack_of(symbols, tid);
    if (!s)
        return -1;
    *frames = s->frames;
    return (int)s->n_frames;
}

int thread_frames_value_frame(sym_index *symbols, pid_t tid, int index, value_frame *out,
                              char *err, size_t err_len)
{
    const stack_frame *frames;
    int count = thread_frames_get(symbols, tid, &frames);
    if (count < 0) {
        snprintf(err, err_len, "thread %d is not stopped", (int)tid);
        return -1;
    }
    if (index < 0 || index >= count) {
        snprintf(err, err_len, "no frame %d: the stack has %d", index, count);
        return -1;
    }
    /* Every inlined level of the top machine frame runs on the interrupted registers. */
    thread_frames_value_frame_at(symbols, &frames[index], tid,
                                 frames[index].physical == 0 ? stopper_set_register : NULL, out);
    return 0;
}

void thread_frames_reset(void)
{
    for (size_t i = 0; i < n_stacks; i++)
        free_stack(stacks[i]);
    n_stacks = 0;
}
