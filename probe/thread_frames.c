/* The IDE's view of a stack (see thread_frames.h): machine frames expanded into their inlined
 * calls with DWARF scopes; a stopped thread's cached per thread until the resume. */
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

typedef struct frame_list {
    stack_frame *frames;
    size_t n;
    size_t capacity;
} frame_list;

static bool append_frame(frame_list *list, const stack_frame *frame)
{
    if (list->n == list->capacity) {
        size_t grown = list->capacity ? list->capacity * 2 : STOPPER_MAX_FRAMES;
        stack_frame *frames = realloc(list->frames, grown * sizeof *frames);
        if (!frames)
            return false;
        list->frames = frames;
        list->capacity = grown;
    }
    list->frames[list->n++] = *frame;
    return true;
}

/* One machine frame: a frame per scope of its inlined-call chain, innermost first. The innermost
 * is where pc is (its line from the line table); each outer one is where it called the next
 * inner one (that inner scope's call site). Without DWARF: one frame from the symbol table. */
static bool expand_machine_frame(sym_index *symbols, const frame_regs *regs, size_t physical,
                                 frame_list *list)
{
    stack_frame frame = {
        .pc = (uintptr_t)regs->reg[DWREG_RIP],
        .is_return_address = physical > 0,
        .physical = physical,
        .regs = regs,
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
        return append_frame(list, &frame);

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
        if (!append_frame(list, &inlined))
            return false;
    }
    return true;
}

int thread_frames_expand(sym_index *symbols, const frame_regs *regs, size_t n, stack_frame **out)
{
    frame_list list = { 0 };
    for (size_t i = 0; i < n; i++) {
        if (!expand_machine_frame(symbols, &regs[i], i, &list)) {
            free(list.frames);
            return -1;
        }
    }
    *out = list.frames;
    return (int)list.n;
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
    thread_frames_value_frame_at(symbols, &frames[index], tid, frames[index].physical == 0, out);
    return 0;
}

void thread_frames_value_frame_at(sym_index *symbols, const stack_frame *frame, pid_t tid,
                                  bool writable_registers, value_frame *out)
{
    *out = (value_frame){
        .symbols = symbols,
        .pc = frame->pc,
        .is_return_address = frame->is_return_address,
        .regs = frame->regs,
        .chain = frame->has_chain ? &frame->chain : NULL,
        .scope_level = frame->scope_level,
        .writable_registers = writable_registers,
        .tid = tid,
    };
}

void thread_frames_reset(void)
{
    for (size_t i = 0; i < n_stacks; i++)
        free_stack(stacks[i]);
    n_stacks = 0;
}
