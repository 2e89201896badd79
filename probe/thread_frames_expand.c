/* Machine frames expanded into the frames the IDE sees (see thread_frames_expand.h): one frame
 * per inlined call with its DWARF scope, or one from the symbol table without DWARF. */
#include "thread_frames_expand.h"

#include <stdlib.h>

#define FIRST_CAPACITY 64 /* frames; doubled as needed */

typedef struct frame_list {
    stack_frame *frames;
    size_t n;
    size_t capacity;
} frame_list;

static bool append_frame(frame_list *list, const stack_frame *frame)
{
    if (list->n == list->capacity) {
        size_t grown = list->capacity ? list->capacity * 2 : FIRST_CAPACITY;
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

void thread_frames_value_frame_at(sym_index *symbols, const stack_frame *frame, pid_t tid,
                                  value_register_setter set_register, value_frame *out)
{
    *out = (value_frame){
        .symbols = symbols,
        .pc = frame->pc,
        .is_return_address = frame->is_return_address,
        .regs = frame->regs,
        .chain = frame->has_chain ? &frame->chain : NULL,
        .scope_level = frame->scope_level,
        .set_register = set_register,
        .tid = tid,
    };
}
