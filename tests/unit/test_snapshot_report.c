/* Unit tests for snapshot formatting (probe/snapshot_report.c) over snapshot_fixture.c (built at
 * run time at -O0): snapshots made by hand (frames and registers written here, memory a copy at
 * made-up addresses, so that every value shown can only have come from the copy), and one
 * captured at a real breakpoint. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fixture_lib.h"
#include "probe_msg.h"
#include "snapshot_plan.h"
#include "snapshot_report.h"
#include "thread_frames.h"
#include "trap.h"
#include "value.h"

#define TEXT_MAX 512

/* The fixture's types, as snapshot_fixture.c declares them. */
struct item {
    int qty;
    long price;
};
struct order {
    int id;
    long amount;
    struct item *item;
    struct order *next;
    const char *note;
    int codes[3];
};
#define BATCH 120

/* Made-up addresses: nothing of the test process is there, so only the copy can answer. */
#define STACK_BASE UINT64_C(0x10000000)
#define STACK_SIZE 0x2000u
#define ORDER_ADDRESS UINT64_C(0x20000000)
#define ITEM_ADDRESS UINT64_C(0x21000000)
#define NEXT_ADDRESS UINT64_C(0x22000000)   /* not copied */
#define NOTE_ADDRESS UINT64_C(0x23000000)
#define NOTE_TEXT "rush order"

static fixture o0 = { .name = "o0", .compile = "cc -g -O0" };

static void build_o0(void) { fixture_build(&o0, "snapshot_fixture.c", "libsnapshotfixture.so"); }
static void remove_o0(void) { fixture_remove(&o0); }

/* The address of the line tagged MARK:name. */
static uintptr_t marked_site(sym_index *idx, const char *name, int *line_out)
{
    char text[TEXT_MAX], path[TEXT_MAX], tag[64], err[TEXT_MAX] = "";
    snprintf(tag, sizeof tag, "MARK:%s ", name);
    FILE *in = fopen(o0.source, "r");
    cr_assert_not_null(in);
    int line = 0, mark = 0;
    while (!mark && fgets(text, sizeof text, in)) {
        line++;
        if (strstr(text, tag))
            mark = line;
    }
    fclose(in);
    cr_assert(mark, "no MARK:%s in %s", name, o0.source);
    snprintf(path, sizeof path, "%s/snapshot_fixture.c", o0.name);
    sym_location where;
    cr_assert_eq(sym_resolve_line(idx, path, mark, &where, 1, err, sizeof err), 1, "%s: %s", path,
                 err);
    if (line_out)
        *line_out = mark;
    return where.address;
}

/* ---- a hand-made snapshot ---- */

static snapshot_raw snap;          /* large: not on the stack */
static uint8_t image_data[STACK_SIZE + 4096];
static mem_region regions[8];
static size_t image_used;

/* Copies len bytes that the process had at address into the snapshot's image. */
static void copy_region(uint64_t address, const void *bytes, size_t len)
{
    cr_assert_lt(snap.image.n_regions, sizeof regions / sizeof regions[0]);
    cr_assert_leq(image_used + len, sizeof image_data);
    memcpy(image_data + image_used, bytes, len);
    regions[snap.image.n_regions++] = (mem_region){ address, (uint32_t)image_used, (uint32_t)len };
    image_used += len;
}

/* Machine frame i at pc with the given CFA; frame 0 has every register, callers rip, rsp and
 * the callee-saved ones (as frame_capture gives them). Register n holds 0x1000 + n. */
static void set_frame(size_t i, uintptr_t pc, uint64_t cfa)
{
    frame_regs *r = &snap.frames[i];
    for (int n = 0; n < FRAME_REG_COUNT; n++)
        r->reg[n] = 0x1000 + (uint64_t)n;
    r->reg[DWREG_RIP] = pc;
    r->reg[DWREG_RSP] = i == 0 ? STACK_BASE : snap.frames[i - 1].cfa;
    r->cfa = cfa;
    r->valid = i == 0 ? (1u << FRAME_REG_COUNT) - 1
                      : 1u << DWREG_RIP | 1u << DWREG_RSP | 1u << DWREG_RBX | 1u << DWREG_RBP |
                            1u << DWREG_R12 | 1u << DWREG_R13 | 1u << DWREG_R14 | 1u << DWREG_R15;
    snap.n_frames = i + 1 > snap.n_frames ? i + 1 : snap.n_frames;
}

static void new_snapshot(void)
{
    memset(&snap, 0, sizeof snap);
    image_used = 0;
    snap.bp_id = 2;
    snap.tid = 4243;
    snap.time_ms = UINT64_C(1795000000000);
    snap.capture_ns = 14200;
    snap.image = (mem_image){ .data = image_data, .regions = regions, .fall_through = false };
}

/* Where variable `name` of expanded frame `frame` lives (DWARF at -O0: on the stack). */
static uint64_t stack_address(sym_index *idx, int frame, const char *name)
{
    stack_frame *frames;
    int n = thread_frames_expand(idx, snap.frames, snap.n_frames, &frames);
    cr_assert_gt(n, frame);
    value_frame vf;
    thread_frames_value_frame_at(idx, &frames[frame], snap.tid, NULL, &vf);
    cr_assert_not_null(vf.chain, "frame %d has no debug information", frame);
    const dscope *scope = &vf.chain->scopes[vf.scope_level];
    const dvar *all[2] = { scope->params, scope->locals };
    size_t counts[2] = { scope->n_params, scope->n_locals };
    for (int list = 0; list < 2; list++) {
        for (size_t i = 0; i < counts[list]; i++) {
            if (!all[list][i].name || strcmp(all[list][i].name, name) != 0)
                continue;
            value v;
            char err[TEXT_MAX];
            cr_assert_eq(value_of_variable(&vf, &all[list][i], &v, err, sizeof err), 0, "%s", err);
            cr_assert_eq(v.where, VALUE_MEMORY, "%s is not in memory", name);
            free(frames);
            cr_assert(v.address >= STACK_BASE && v.address + 8 <= STACK_BASE + STACK_SIZE,
                      "%s at %#" PRIx64 " is outside the made-up stack", name, v.address);
            return v.address;
        }
    }
    cr_assert_fail("no variable %s in frame %d", name, frame);
    return 0;
}

static uint8_t stack[STACK_SIZE];

static void put_on_stack(sym_index *idx, int frame, const char *name, const void *bytes, size_t len)
{
    memcpy(stack + (stack_address(idx, frame, name) - STACK_BASE), bytes, len);
}

/* ---- reading the JSON ---- */

static const cJSON *item_named(const cJSON *array, const char *name)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, array) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(item, "name");
        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
            return item;
    }
    char *text = cJSON_PrintUnformatted(array);
    cr_assert_fail("no %s in %s", name, text);
    return NULL;
}

static const char *string_of(const cJSON *object, const char *key)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(object, key);
    cr_assert(cJSON_IsString(s), "no string %s", key);
    return s->valuestring;
}

static double number_of(const cJSON *object, const char *key)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(object, key);
    cr_assert(cJSON_IsNumber(n), "no number %s", key);
    return n->valuedouble;
}

static const cJSON *frame_at(const cJSON *body, int i)
{
    const cJSON *frame = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(body, "frames"), i);
    cr_assert_not_null(frame, "no frame %d", i);
    return frame;
}

static const cJSON *variables_of(const cJSON *frame, const char *scope)
{
    return cJSON_GetObjectItemCaseSensitive(
        item_named(cJSON_GetObjectItemCaseSensitive(frame, "scopes"), scope), "variables");
}

static const cJSON *children_of(const cJSON *variable)
{
    const cJSON *children = cJSON_GetObjectItemCaseSensitive(variable, "children");
    cr_assert(cJSON_IsArray(children), "%s has no children", string_of(variable, "name"));
    return children;
}

static bool has_scope(const cJSON *frame, const char *name)
{
    const cJSON *scope;
    cJSON_ArrayForEach(scope, cJSON_GetObjectItemCaseSensitive(frame, "scopes"))
        if (strcmp(string_of(scope, "name"), name) == 0)
            return true;
    return false;
}

/* Every variable in a tree of variables, children included. */
static size_t count_variables(const cJSON *variables)
{
    size_t n = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, variables) {
        n++;
        const cJSON *children = cJSON_GetObjectItemCaseSensitive(v, "children");
        if (children)
            n += count_variables(children);
    }
    return n;
}

/* ---- the order snapshot: run -> process -> weigh (inlined), stopped in weigh ---- */

static int inlined_line, call_weigh_line, call_process_line;
static uintptr_t inlined_site;

/* process(o, 2) stopped in weigh(o, 3): o's order and item copied, its `next` not. */
static void make_order_snapshot(sym_index *idx)
{
    new_snapshot();
    inlined_site = marked_site(idx, "inlined", &inlined_line);
    marked_site(idx, "call_weigh", &call_weigh_line);
    uintptr_t call_process = marked_site(idx, "call_process", &call_process_line);
    set_frame(0, inlined_site, STACK_BASE + 0x100);
    set_frame(1, call_process + 1, STACK_BASE + 0x200); /* a return address inside that line */

    uint64_t order_address = ORDER_ADDRESS;
    int three = 3, two = 2;
    long weight = 900;
    put_on_stack(idx, 0, "o", &order_address, sizeof order_address);
    put_on_stack(idx, 0, "factor", &three, sizeof three);
    put_on_stack(idx, 0, "weight", &weight, sizeof weight);
    put_on_stack(idx, 1, "o", &order_address, sizeof order_address);
    put_on_stack(idx, 1, "factor", &two, sizeof two);
    put_on_stack(idx, 1, "count", &three, sizeof three);
    put_on_stack(idx, 2, "o", &order_address, sizeof order_address);
    copy_region(STACK_BASE, stack, 0x200);

    struct order order = {
        .id = 7, .amount = 300, .item = (struct item *)(uintptr_t)ITEM_ADDRESS,
        .next = (struct order *)(uintptr_t)NEXT_ADDRESS,
        .note = (const char *)(uintptr_t)NOTE_ADDRESS, .codes = { 1, 2, 3 },
    };
    struct item item = { .qty = 4, .price = 75 };
    copy_region(ORDER_ADDRESS, &order, sizeof order);
    copy_region(ITEM_ADDRESS, &item, sizeof item);
    /* A string as captures keep it: up to and including its NUL. */
    copy_region(NOTE_ADDRESS, NOTE_TEXT, sizeof NOTE_TEXT);
}

static cJSON *format_order_snapshot(sym_index **idx_out)
{
    sym_index *idx = sym_index_create();
    cr_assert_not_null(idx);
    make_order_snapshot(idx);
    cJSON *body = snapshot_format(idx, &snap, "worker-1", 5);
    cr_assert_not_null(body);
    *idx_out = idx;
    return body;
}

Test(snapshot_report, the_body_has_the_protocol_shape, .init = build_o0, .fini = remove_o0)
{
    sym_index *idx;
    cJSON *body = format_order_snapshot(&idx);
    char err[TEXT_MAX] = "";
    cr_assert_eq(probe_snapshot_validate(body, err, sizeof err), 0, "%s", err);
    cr_assert_eq(number_of(body, "id"), 2);
    cr_assert_eq(number_of(body, "tid"), 4243);
    cr_assert_str_eq(string_of(body, "thread_name"), "worker-1");
    cr_assert_eq(number_of(body, "time_ms"), 1795000000000.0);
    cr_assert_eq(number_of(body, "capture_ns"), 14200);
    cr_assert_eq(number_of(body, "dropped"), 5);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(body, "truncated")));
    cJSON_Delete(body);
    sym_index_destroy(idx);
}

Test(snapshot_report, frames_expand_inlined_calls_with_functions_and_lines, .init = build_o0,
     .fini = remove_o0)
{
    sym_index *idx;
    cJSON *body = format_order_snapshot(&idx);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(body, "frames")), 3);
    const char *functions[] = { "weigh", "snapshot_fixture_process", "snapshot_fixture_run" };
    int lines[] = { inlined_line, call_weigh_line, call_process_line };
    for (int i = 0; i < 3; i++) {
        const cJSON *frame = frame_at(body, i);
        cr_assert_str_eq(string_of(frame, "function"), functions[i]);
        cr_assert_eq(number_of(frame, "line"), lines[i], "frame %d", i);
        cr_assert_str_eq(string_of(frame, "file"), o0.source);
        cr_assert_str_eq(string_of(frame, "module"), o0.library);
    }
    char pc[32];
    snprintf(pc, sizeof pc, "0x%" PRIxPTR, inlined_site);
    cr_assert_str_eq(string_of(frame_at(body, 0), "pc"), pc);
    cr_assert_str_eq(string_of(frame_at(body, 1), "pc"), pc, "an inlined call shares its pc");
    /* Registers belong to machine frames: the innermost inlined level shows them. */
    cr_assert(has_scope(frame_at(body, 0), "Registers"));
    cr_assert_not(has_scope(frame_at(body, 1), "Registers"));
    cr_assert(has_scope(frame_at(body, 2), "Registers"));
    cr_assert_not(has_scope(frame_at(body, 2), "Locals"), "run has no locals: no empty scope");
    cJSON_Delete(body);
    sym_index_destroy(idx);
}

Test(snapshot_report, locals_arguments_and_registers_come_from_the_copy, .init = build_o0,
     .fini = remove_o0)
{
    sym_index *idx;
    cJSON *body = format_order_snapshot(&idx);
    const cJSON *count = item_named(variables_of(frame_at(body, 1), "Locals"), "count");
    cr_assert_str_eq(string_of(count, "value"), "3");
    cr_assert_str_eq(string_of(count, "type"), "int");
    cr_assert_str_eq(string_of(count, "evaluate_name"), "count");
    cr_assert_str_eq(string_of(item_named(variables_of(frame_at(body, 0), "Locals"), "weight"),
                               "value"), "900");
    cr_assert_str_eq(string_of(item_named(variables_of(frame_at(body, 0), "Arguments"), "factor"),
                               "value"), "3");
    cr_assert_str_eq(string_of(item_named(variables_of(frame_at(body, 1), "Arguments"), "factor"),
                               "value"), "2");

    const cJSON *registers = variables_of(frame_at(body, 0), "Registers");
    cr_assert_eq(cJSON_GetArraySize(registers), FRAME_REG_COUNT);
    cr_assert_str_eq(string_of(item_named(registers, "rbx"), "value"), "0x0000000000001003");
    cr_assert_str_eq(string_of(item_named(registers, "rbx"), "type"), "uint64_t");
    /* A caller's frame: only what unwinding recovers. */
    const cJSON *caller_registers = variables_of(frame_at(body, 2), "Registers");
    cr_assert_eq(cJSON_GetArraySize(caller_registers), 8);
    cr_assert_str_eq(string_of(item_named(caller_registers, "rsp"), "value"), "0x0000000010000100");
    cJSON_Delete(body);
    sym_index_destroy(idx);
}

Test(snapshot_report, pointees_that_were_copied_expand_and_others_are_not_captured,
     .init = build_o0, .fini = remove_o0)
{
    sym_index *idx;
    cJSON *body = format_order_snapshot(&idx);
    const cJSON *o = item_named(variables_of(frame_at(body, 0), "Arguments"), "o");
    cr_assert_str_eq(string_of(o, "value"), "0x20000000");
    cr_assert_str_eq(string_of(o, "type"), "struct order *");
    cr_assert_eq(number_of(o, "named"), 1);
    const cJSON *order = item_named(children_of(o), "*o");
    cr_assert_str_eq(string_of(order, "value"), "{...}");
    cr_assert_str_eq(string_of(order, "evaluate_name"), "*o");
    cr_assert_eq(number_of(order, "named"), 6);
    const cJSON *members = children_of(order);
    cr_assert_str_eq(string_of(item_named(members, "id"), "value"), "7");
    cr_assert_str_eq(string_of(item_named(members, "id"), "evaluate_name"), "(*o).id");
    cr_assert_str_eq(string_of(item_named(members, "amount"), "value"), "300");

    /* A struct member through a copied pointer. */
    const cJSON *item = item_named(children_of(item_named(members, "item")), "*item");
    cr_assert_str_eq(string_of(item_named(children_of(item), "qty"), "value"), "4");
    cr_assert_str_eq(string_of(item_named(children_of(item), "price"), "value"), "75");

    /* A pointer whose pointee was not copied: its own value is known, the pointee is not. */
    const cJSON *next = item_named(members, "next");
    cr_assert_str_eq(string_of(next, "value"), "0x22000000");
    const cJSON *missing = item_named(children_of(next), "*next");
    cr_assert_str_eq(string_of(missing, "value"), "<not captured>");
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(missing, "children"));
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(missing, "named"));

    /* A string copied up to its NUL, and a short array with its elements. */
    cr_assert_str_eq(string_of(item_named(members, "note"), "value"),
                     "0x23000000 \"" NOTE_TEXT "\"");
    const cJSON *codes = item_named(members, "codes");
    cr_assert_str_eq(string_of(codes, "value"), "{1, 2, 3}");
    cr_assert_eq(number_of(codes, "indexed"), 3);
    cr_assert_str_eq(string_of(item_named(children_of(codes), "[2]"), "value"), "3");
    cJSON_Delete(body);
    sym_index_destroy(idx);
}

Test(snapshot_report, memory_outside_the_copy_is_never_read, .init = build_o0, .fini = remove_o0)
{
    sym_index *idx = sym_index_create();
    cr_assert_not_null(idx);
    make_order_snapshot(idx);
    /* The order lives in this process this time, but the copy does not hold it. */
    static struct order live = { .id = 99 };
    uint64_t live_address = (uintptr_t)&live;
    memcpy(image_data + regions[0].offset + (stack_address(idx, 0, "o") - STACK_BASE),
           &live_address, sizeof live_address);
    cJSON *body = snapshot_format(idx, &snap, "worker-1", 0);
    cr_assert_not_null(body);
    const cJSON *o = item_named(variables_of(frame_at(body, 0), "Arguments"), "o");
    cr_assert_str_eq(string_of(item_named(children_of(o), "*o"), "value"), "<not captured>");
    cJSON_Delete(body);
    sym_index_destroy(idx);
}

/* ---- bounds: a local array of 120 orders ---- */

/* Stopped in batch() with its 120 orders on the copied stack, each sharing one copied item and,
 * when linked, pointing to itself through `next`. */
static cJSON *format_batch_snapshot(sym_index *idx, bool linked)
{
    new_snapshot();
    set_frame(0, marked_site(idx, "batch", NULL), STACK_BASE + STACK_SIZE);
    uint64_t batch_address = stack_address(idx, 0, "batch");
    uint64_t item_address = ITEM_ADDRESS;
    put_on_stack(idx, 0, "shared", &item_address, sizeof item_address);
    cr_assert_leq(batch_address - STACK_BASE + BATCH * sizeof(struct order), STACK_SIZE);
    for (int i = 0; i < BATCH; i++) {
        uint64_t self = batch_address + (uint64_t)i * sizeof(struct order);
        struct order element = { .id = i };
        if (linked) {
            element.item = (struct item *)(uintptr_t)ITEM_ADDRESS;
            element.next = (struct order *)(uintptr_t)self;
        }
        memcpy(stack + (self - STACK_BASE), &element, sizeof element);
    }
    copy_region(STACK_BASE, stack, STACK_SIZE);
    struct item item = { .qty = 1, .price = 2 };
    copy_region(ITEM_ADDRESS, &item, sizeof item);

    cJSON *body = snapshot_format(idx, &snap, "worker-1", 0);
    cr_assert_not_null(body);
    char err[TEXT_MAX] = "";
    cr_assert_eq(probe_snapshot_validate(body, err, sizeof err), 0, "%s", err);
    return body;
}

Test(snapshot_report, arrays_list_at_most_100_elements, .init = build_o0, .fini = remove_o0)
{
    sym_index *idx = sym_index_create();
    cr_assert_not_null(idx);
    cJSON *body = format_batch_snapshot(idx, false);
    const cJSON *batch = item_named(variables_of(frame_at(body, 0), "Locals"), "batch");
    cr_assert_eq(number_of(batch, "indexed"), BATCH, "indexed keeps the true count");
    cr_assert_eq(cJSON_GetArraySize(children_of(batch)), 100);
    cr_assert_str_eq(string_of(item_named(children_of(item_named(children_of(batch), "[99]")),
                                          "id"), "value"), "99");
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(body, "truncated")));
    cJSON_Delete(body);
    sym_index_destroy(idx);
}

Test(snapshot_report, children_stop_8_levels_down_and_variables_at_4000, .init = build_o0,
     .fini = remove_o0)
{
    sym_index *idx = sym_index_create();
    cr_assert_not_null(idx);
    cJSON *body = format_batch_snapshot(idx, true);
    const cJSON *frame = frame_at(body, 0);
    const cJSON *batch = item_named(variables_of(frame, "Locals"), "batch");

    /* batch -> [0] -> next -> *next -> next -> ...: children stop 8 levels below batch. */
    const cJSON *v = item_named(children_of(batch), "[0]");
    int depth = 1;
    for (const cJSON *next; (next = cJSON_GetObjectItemCaseSensitive(v, "children")); depth++)
        v = item_named(next, depth % 2 ? "next" : "*next");
    cr_assert_eq(depth, 8, "deepest level %d", depth);
    cr_assert_eq(number_of(v, "named"), 1, "the cut-off pointer still says it has a pointee");

    size_t total = 0;
    const cJSON *scope;
    cJSON_ArrayForEach(scope, cJSON_GetObjectItemCaseSensitive(frame, "scopes"))
        total += count_variables(cJSON_GetObjectItemCaseSensitive(scope, "variables"));
    cr_assert_eq(total, 4000);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "truncated")),
              "variables left out make the snapshot truncated");
    cJSON_Delete(body);
    sym_index_destroy(idx);
}

Test(snapshot_report, long_values_are_cut_to_256_bytes_between_characters, .init = build_o0,
     .fini = remove_o0)
{
    sym_index *idx = sym_index_create();
    cr_assert_not_null(idx);
    make_order_snapshot(idx);
    /* A note of 150 two-byte characters: the cut falls inside one, and must not split it. */
    static char long_note[301];
    for (size_t i = 0; i + 1 < sizeof long_note; i += 2)
        memcpy(long_note + i, "\xc3\xa9", 2);
    for (size_t i = 0; i < snap.image.n_regions; i++)
        if (regions[i].address == NOTE_ADDRESS)
            regions[i].len = 0;
    copy_region(NOTE_ADDRESS, long_note, sizeof long_note);
    cJSON *body = snapshot_format(idx, &snap, "worker-1", 0);
    cr_assert_not_null(body);
    const cJSON *o = item_named(variables_of(frame_at(body, 0), "Arguments"), "o");
    const char *note = string_of(item_named(children_of(item_named(children_of(o), "*o")), "note"),
                                 "value");
    cr_assert_eq(strncmp(note, "0x23000000 \"\xc3\xa9\xc3\xa9", 16), 0, "%s", note);
    cr_assert_eq(strlen(note), 255, "cut before the character that byte 253 is inside");
    cr_assert_str_eq(note + 250, "\xc3\xa9...");
    cJSON_Delete(body);
    sym_index_destroy(idx);
}

/* ---- a real capture at a breakpoint ---- */

static snapshot_plan *capture_plan;
static uintptr_t capture_site;

static void capture_on_hit(uintptr_t addr, void *ucontext)
{
    if (addr == capture_site)
        snapshot_capture(capture_plan, 9, ucontext);
}

Test(snapshot_report, a_captured_snapshot_shows_what_was_copied_at_the_hit, .init = build_o0,
     .fini = remove_o0)
{
    sym_index *idx = sym_index_create();
    cr_assert_not_null(idx);
    char err[TEXT_MAX] = "";
    int line;
    capture_site = marked_site(idx, "inlined", &line);
    snapshot_limits limits = { .max_frames = 3, .max_depth = 2, .max_bytes = 65536 };
    capture_plan = snapshot_plan_compile(idx, capture_site, &limits, err, sizeof err);
    cr_assert_not_null(capture_plan, "%s", err);
    cr_assert_eq(snapshot_pool_init(err, sizeof err), 0, "%s", err);
    cr_assert_eq(trap_init(err, sizeof err), 0, "trap_init: %s", err);
    trap_set_hit_handler(capture_on_hit);
    cr_assert_eq(trap_arm(capture_site, err, sizeof err), 0, "trap_arm: %s", err);

    static struct item item = { .qty = 4, .price = 75 }, far_item = { .qty = 5, .price = 80 };
    static struct order second = { .id = 8, .item = &far_item };
    static struct order order = { .id = 7, .amount = 300, .item = &item, .next = &second,
                                  .note = NOTE_TEXT, .codes = { 1, 2, 3 } };
    long (*run)(struct order *) = (long (*)(struct order *))dlsym(o0.handle, "snapshot_fixture_run");
    cr_assert_not_null(run);
    long result = run(&order);
    cr_assert_eq(result, 903, "run returned %ld", result);
    cr_assert_eq(trap_disarm(capture_site), 0);
    const snapshot_raw *s = snapshot_take();
    cr_assert_not_null(s, "the hit captured no snapshot");
    cr_assert_null(snapshot_take(), "one hit, one snapshot");
    order.id = item.qty = -1; /* the copy, not the process, answers */

    cJSON *body = snapshot_format(idx, s, "worker-1", 0);
    snapshot_release(s);
    cr_assert_not_null(body);
    cr_assert_eq(probe_snapshot_validate(body, err, sizeof err), 0, "%s", err);
    cr_assert_eq(number_of(body, "id"), 9);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "truncated")),
              "the stack goes on past 3 machine frames");
    const cJSON *frame = frame_at(body, 0);
    cr_assert_str_eq(string_of(frame, "function"), "weigh");
    cr_assert_eq(number_of(frame, "line"), line);
    cr_assert_str_eq(string_of(frame_at(body, 2), "function"), "snapshot_fixture_run");
    cr_assert_str_eq(string_of(item_named(variables_of(frame, "Locals"), "weight"), "value"),
                     "900");
    cr_assert_str_eq(string_of(item_named(variables_of(frame_at(body, 1), "Locals"), "count"),
                               "value"), "3");

    const cJSON *o = item_named(variables_of(frame, "Arguments"), "o");
    const cJSON *members = children_of(item_named(children_of(o), "*o"));
    cr_assert_str_eq(string_of(item_named(members, "id"), "value"), "7");
    const cJSON *copied_item = item_named(children_of(item_named(members, "item")), "*item");
    cr_assert_str_eq(string_of(item_named(children_of(copied_item), "qty"), "value"), "4");
    char note[64];
    snprintf(note, sizeof note, "%p \"%s\"", (void *)order.note, NOTE_TEXT);
    cr_assert_str_eq(string_of(item_named(members, "note"), "value"), note);
    /* o->next is two hops away (copied), o->next->item three (beyond max_depth). */
    const cJSON *next = children_of(item_named(children_of(item_named(members, "next")), "*next"));
    cr_assert_str_eq(string_of(item_named(next, "id"), "value"), "8");
    cr_assert_str_eq(string_of(item_named(children_of(item_named(next, "item")), "*item"),
                               "value"), "<not captured>");
    cJSON_Delete(body);
    snapshot_plan_free(capture_plan);
    sym_index_destroy(idx);
}
