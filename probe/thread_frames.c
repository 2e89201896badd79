/* The IDE's view of a stopped thread's stack (see thread_frames.h): the stopper's machine frames
 * expanded into their inlined calls with DWARF scopes, cached per thread until the resume. */
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

static bool append_frame(thread_stack *s, size_t *capacity, const stack_frame *frame)
{
    if (s->n_frames == *capacity) {
        size_t grown = *capacity ? *capacity * 2 : STOPPER_MAX_FRAMES;
        stack_frame *frames = realloc(s->frames, grown * sizeof *frames);
        if (!frames)
            return false;
        s->frames = frames;
        *capacity = grown;
    }
    s->frames[s->n_frames++] = *frame;
    return true;
}

/* One machine frame: a frame per scope of its inlined-call chain, innermost first. The innermost
 * is where pc is (its line from the line table); each outer one is where it called the next
 * inner one (that inner scope's call site). Without DWARF: one frame from the symbol table. */
static bool expand_machine_frame(sym_index *symbols, thread_stack *s, size_t physical,
                                 size_t *capacity)
{
    stack_frame frame = {
        .pc = (uintptr_t)s->regs[physical].reg[DWREG_RIP],
        .is_return_address = physical > 0,
        .physical = physical,
        .regs = &s->regs[physical],
    };
    sym_info info;
    if (sym_lookup(symbols, frame.pc, frame.is_return_address, &info)) {
        frame.function = info.function;
        frame.file = info.file;
        frame.line = info.line;
        frame.module = info.module;
    }
    char reason[160];
    dscope_chain chain;
    if (!debuginfo_scope_at(symbols, frame.pc, frame.is_return_address, &chain, reason,
                            sizeof reason) || chain.n_scopes == 0)
        return append_frame(s, capacity, &frame);

    frame.has_chain = true;
    frame.chain = chain;
    for (size_t level = 0; level < chain.n_scopes; level++) {
        stack_frame inlined = frame;
        inlined.scope_level = level;
        if (chain.scopes[level].function)
            inlined.function = chain.scopes[level].function;
        if (level > 0) {
            inlined.file = chain.scopes[level - 1].call_file;
            inlined.line = (int)chain.scopes[level - 1].call_line;
        }
        if (!append_frame(s, capacity, &inlined))
            return false;
    }
    return true;
}

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
    size_t capacity = 0;
    bool ok = machine_frames >= 0;
    for (int i = 0; ok && i < machine_frames; i++)
        ok = expand_machine_frame(symbols, s, (size_t)i, &capacity);
    if (!ok) {
        free_stack(s);
        return NULL;
    }
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
    const stack_frame *frame = &frames[index];
    *out = (value_frame){
        .symbols = symbols,
        .pc = frame->pc,
        .is_return_address = frame->is_return_address,
        .regs = frame->regs,
        .chain = frame->has_chain ? &frame->chain : NULL,
        .scope_level = frame->scope_level,
        /* Every inlined level of the top machine frame runs on the interrupted registers. */
        .writable_registers = frame->physical == 0,
        .tid = tid,
    };
    return 0;
}

void thread_frames_reset(void)
{
    for (size_t i = 0; i < n_stacks; i++)
        free_stack(stacks[i]);
    n_stacks = 0;
}
