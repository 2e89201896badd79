/* The stacks of every thread of another process (see stacks.h): symbols and DWARF first, then
 * every thread held just long enough to unwind it and read its arguments, then let go. */
#include "stacks.h"

#include <stdio.h>
#include <stdlib.h>
#include "debuginfo.h"
#include "process_symbols.h"
#include "safe_mem.h"
#include "stacks_hold.h"
#include "stacks_unwind.h"
#include "thread_frames_expand.h"
#include "var_refs.h"
#include "variable_view.h"

#define STOP_TIMEOUT_MS 1000
#define MAX_MACHINE_FRAMES 128

/* Reads every module's line table, function ranges and ELF symbols, and opens its DWARF (a look
 * up at its first address opens it and lists its compile units): the slow part, done before the
 * process is stopped so that the stop only looks things up. */
static void load_every_module(sym_index *symbols)
{
    sym_module_info info;
    const struct dwarf_module *dwarf;
    const struct elf_symbols *elf;
    for (size_t i = 0; sym_module_tables(symbols, i, &info, &dwarf, &elf); i++) {
        dscope_chain chain;
        char reason[200];
        debuginfo_scope_at(symbols, info.low, false, &chain, reason, sizeof reason);
    }
}

/* The frame's arguments as text (name, value, type). False when out of memory. */
static bool read_arguments(const value_frame *vf, stacks_frame *out)
{
    const dvar *vars;
    size_t n = variable_view_scope(vf, VAR_REF_ARGUMENTS, &vars);
    if (n == 0)
        return true;
    out->args = calloc(n, sizeof *out->args);
    if (!out->args)
        return false;
    for (size_t i = 0; i < n; i++) {
        value v;
        variable_view_variable(vf, &vars[i], &v, &out->args[out->n_args++]);
    }
    return true;
}

/* Unwinds a held thread and describes its frames. False when out of memory. */
static bool read_stack(sym_index *symbols, stacks_unwinder *unwinder, const ptrace_thread *held,
                       stacks_thread *out)
{
    frame_regs regs[MAX_MACHINE_FRAMES];
    int machine_frames = stacks_unwind(unwinder, &held->regs, regs, MAX_MACHINE_FRAMES);
    stack_frame *frames;
    int n = thread_frames_expand(symbols, regs, (size_t)machine_frames, &frames);
    if (n < 0)
        return false;
    out->frames = calloc(n > 0 ? (size_t)n : 1, sizeof *out->frames);
    bool ok = out->frames != NULL;
    for (int i = 0; ok && i < n; i++) {
        const stack_frame *f = &frames[i];
        stacks_frame *shown = &out->frames[out->n_frames++];
        *shown = (stacks_frame){
            .pc = f->pc,
            .function = f->function,
            .file = f->file,
            .line = f->line,
            .module = f->module,
            .inlined = f->has_chain && f->scope_level + 1 < f->chain.n_scopes,
        };
        if (f->has_chain) {
            value_frame vf;
            thread_frames_value_frame_at(symbols, f, held->tid, NULL, &vf);
            ok = read_arguments(&vf, shown);
        }
    }
    free(frames);
    return ok;
}

/* Everything the report says of the held threads. Returns 0, or -1 with err. */
static int read_threads(stacks_report *out, stacks_unwinder *unwinder, const held_process *held,
                        char *err, size_t err_len)
{
    out->threads = calloc(held->count, sizeof *out->threads);
    if (!out->threads) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < held->count; i++) {
        const held_thread *h = &held->threads[i];
        stacks_thread *t = &out->threads[out->n_threads++];
        t->tid = h->ptrace.tid;
        t->state = h->info.state;
        snprintf(t->name, sizeof t->name, "%s", h->info.name);
        snprintf(t->problem, sizeof t->problem, "%s", h->problem);
        if (!h->ptrace.stopped)
            continue;
        stacks_syscall_at_stop(&h->ptrace.regs, t->syscall, sizeof t->syscall);
        if (!read_stack(out->symbols, unwinder, &h->ptrace, t)) {
            snprintf(err, err_len, "out of memory");
            return -1;
        }
    }
    return 0;
}

int stacks_read(pid_t pid, stacks_report *out, char *err, size_t err_len)
{
    *out = (stacks_report){ .pid = pid };
    out->symbols = process_symbols_create(pid, err, err_len);
    if (!out->symbols)
        return -1;
    load_every_module(out->symbols);
    safe_mem_set_process(pid);
    stacks_unwinder *unwinder = stacks_unwinder_create(pid, out->symbols);
    if (!unwinder) {
        snprintf(err, err_len, "out of memory");
        safe_mem_set_process(0);
        stacks_report_free(out);
        return -1;
    }
    held_process held;
    int rc = stacks_hold(pid, STOP_TIMEOUT_MS, &held, err, err_len);
    if (rc == 0) {
        stacks_unwinder_forget_memory(unwinder);
        rc = read_threads(out, unwinder, &held, err, err_len);
        out->stopped_us = stacks_release(&held);
    }
    safe_mem_set_process(0);
    stacks_unwinder_destroy(unwinder);
    if (rc != 0)
        stacks_report_free(out);
    return rc;
}

void stacks_report_free(stacks_report *r)
{
    for (size_t i = 0; i < r->n_threads; i++) {
        stacks_thread *t = &r->threads[i];
        for (size_t f = 0; f < t->n_frames; f++) {
            for (size_t a = 0; a < t->frames[f].n_args; a++)
                variable_view_free(&t->frames[f].args[a]);
            free(t->frames[f].args);
        }
        free(t->frames);
    }
    free(r->threads);
    sym_index_destroy(r->symbols);
    *r = (stacks_report){ .pid = r->pid };
}
