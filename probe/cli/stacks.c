/* `podbug stacks --pid N [--json]`: every thread's stack of a process (probe/ptrace/stacks.h),
 * printed like gdb's `thread apply all bt` with arguments, or as JSON, and how long it stopped. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "ptrace/stacks.h"
#include "redaction.h"

static const char usage[] =
    "usage: podbug stacks --pid N [--json]\n"
    "\n"
    "Prints the stack of every thread of process N (function, file:line, arguments) without\n"
    "loading anything into it: each thread is stopped with ptrace for a moment and left exactly\n"
    "as it was. Works on hung processes and on processes without the probe. Needs permission to\n"
    "trace N (root or CAP_SYS_PTRACE, or the same user under kernel.yama.ptrace_scope 0).\n"
    "The last line says how long the process was stopped. Arguments whose names match the\n"
    "redaction patterns (PODBUG_REDACT, default " REDACTION_DEFAULTS ")\n"
    "show <redacted>, as in the probe.\n";

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static void print_frame(size_t index, const stacks_frame *f)
{
    printf("  #%zu 0x%" PRIxPTR " %s", index, f->pc, f->function ? f->function : "??");
    if (f->file)
        printf(" (%s:%d)", base_name(f->file), f->line);
    else if (f->module)
        printf(" (%s)", base_name(f->module));
    if (f->inlined)
        printf(" [inlined]");
    for (size_t a = 0; a < f->n_args; a++)
        printf("%s%s=%s", a == 0 ? " args: " : ", ", f->args[a].name, f->args[a].value);
    putchar('\n');
}

static void print_text(const stacks_report *r)
{
    for (size_t i = 0; i < r->n_threads; i++) {
        const stacks_thread *t = &r->threads[i];
        printf("%sThread %d \"%s\" (state %c%s%s)", i ? "\n" : "", (int)t->tid, t->name, t->state,
               t->syscall[0] ? ", in " : "", t->syscall);
        if (t->problem[0])
            printf(": not stopped: %s", t->problem);
        putchar('\n');
        for (size_t f = 0; f < t->n_frames; f++)
            print_frame(f, &t->frames[f]);
    }
    printf("\nprocess %d stopped for %.1f ms (%zu thread%s)\n", (int)r->pid,
           (double)r->stopped_us / 1000.0, r->n_threads, r->n_threads == 1 ? "" : "s");
}

static cJSON *frame_json(const stacks_frame *f)
{
    char pc[24];
    snprintf(pc, sizeof pc, "0x%" PRIxPTR, f->pc);
    cJSON *frame = cJSON_CreateObject();
    cJSON_AddStringToObject(frame, "pc", pc);
    if (f->function)
        cJSON_AddStringToObject(frame, "function", f->function);
    if (f->file) {
        cJSON_AddStringToObject(frame, "file", f->file);
        cJSON_AddNumberToObject(frame, "line", f->line);
    }
    if (f->module)
        cJSON_AddStringToObject(frame, "module", f->module);
    cJSON_AddBoolToObject(frame, "inlined", f->inlined);
    cJSON *args = cJSON_AddArrayToObject(frame, "args");
    for (size_t a = 0; a < f->n_args; a++) {
        cJSON *arg = cJSON_CreateObject();
        cJSON_AddStringToObject(arg, "name", f->args[a].name);
        cJSON_AddStringToObject(arg, "value", f->args[a].value);
        if (f->args[a].type)
            cJSON_AddStringToObject(arg, "type", f->args[a].type);
        cJSON_AddItemToArray(args, arg);
    }
    return frame;
}

static cJSON *report_json(const stacks_report *r)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "pid", r->pid);
    cJSON_AddNumberToObject(root, "stopped_us", (double)r->stopped_us);
    cJSON *threads = cJSON_AddArrayToObject(root, "threads");
    for (size_t i = 0; i < r->n_threads; i++) {
        const stacks_thread *t = &r->threads[i];
        char state[2] = { t->state, '\0' };
        cJSON *thread = cJSON_CreateObject();
        cJSON_AddNumberToObject(thread, "tid", t->tid);
        cJSON_AddStringToObject(thread, "name", t->name);
        cJSON_AddStringToObject(thread, "state", state);
        if (t->syscall[0])
            cJSON_AddStringToObject(thread, "syscall", t->syscall);
        if (t->problem[0])
            cJSON_AddStringToObject(thread, "problem", t->problem);
        cJSON *frames = cJSON_AddArrayToObject(thread, "frames");
        for (size_t f = 0; f < t->n_frames; f++)
            cJSON_AddItemToArray(frames, frame_json(&t->frames[f]));
        cJSON_AddItemToArray(threads, thread);
    }
    return root;
}

/* Reads --pid N and --json. Returns 0, 1 for --help (printed), or 2 with a message printed. */
static int parse_options(int argc, char **argv, pid_t *pid, bool *json)
{
    static const struct option longopts[] = {
        { "pid", required_argument, NULL, 'p' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    opterr = 0;
    optind = 1;
    *pid = 0;
    *json = false;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return 1;
        }
        if (c == 'j') {
            *json = true;
        } else if (c == 'p') {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n <= 0 || n > INT32_MAX) {
                fprintf(stderr, "podbug stacks: --pid needs a process id, not '%s'\n", optarg);
                return 2;
            }
            *pid = (pid_t)n;
        } else {
            fprintf(stderr, "podbug stacks: %s '%s' (podbug stacks --pid N [--json])\n",
                    c == ':' ? "a value is needed after" : "unknown option", argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "podbug stacks: unexpected argument '%s' (podbug stacks --pid N [--json])\n",
                argv[optind]);
        return 2;
    }
    if (*pid == 0) {
        fprintf(stderr, "podbug stacks: which process? --pid N is needed\n");
        return 2;
    }
    return 0;
}

int cli_stacks(const server_url *server, int argc, char **argv)
{
    pid_t pid;
    bool json;
    int rc = parse_options(argc, argv, &pid, &json);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    stacks_report report;
    char err[300];
    redaction_rules redaction;
    if (redaction_parse(getenv("PODBUG_REDACT"), &redaction, err, sizeof err) != 0) {
        fprintf(stderr, "podbug stacks: %s\n", err);
        return 2;
    }
    redaction_use(&redaction);
    if (stacks_read(pid, &report, err, sizeof err) != 0) {
        fprintf(stderr, "podbug stacks: %s\n", err);
        return 1;
    }
    if (json) {
        cJSON *root = report_json(&report);
        char *text = cJSON_Print(root);
        if (text)
            puts(text);
        free(text);
        cJSON_Delete(root);
    } else {
        print_text(&report);
    }
    stacks_report_free(&report);
    return 0;
}
