/* Runs compiled conditions (see cond.h) in the hitting thread's signal handler: a stack machine
 * over 64-bit values; variables located through dwarf_expr_eval, memory read through safe_mem
 * (or copied plainly from the stopped frame's own live stack). No allocation, locks or stdio;
 * every function here lives in the handler text section, so no breakpoint can be put in it. */
#include "cond_bytecode.h"

#include <string.h>

#include "dwarf_expr.h"
#include "safe_mem.h"
#include "signal_interpose.h"

#define HANDLER PODBUG_HANDLER_TEXT
#define RED_ZONE 128                 /* bytes below sp a leaf function may use (x86-64 ABI) */
#define SAME_STACK_SPAN (1u << 20)   /* how far apart two addresses of one stack may be */
#define STRING_CHUNK 128

/* A variable's object that is not in memory, assembled from its location's pieces. */
typedef struct scratch_object {
    uint8_t bytes[COND_OBJECT_MAX];
    uint64_t have;          /* bit i: byte i is known */
    bool in_register;
} scratch_object;

typedef struct machine {
    const cond_program *p;
    const frame_regs *regs;
    cond_error *err;
    uint64_t stack[COND_STACK_MAX];
    size_t top;
    uint32_t resolved;      /* bit i: address[i] holds variable i's object */
    uint64_t address[COND_MAX_VARIABLES];
    scratch_object scratch[COND_MAX_VARIABLES];
    bool frame_base_done, frame_base_known;
    uint64_t frame_base;
    uintptr_t live_low, live_high; /* the stopped frame's live stack: mapped, copied plainly */
} machine;

HANDLER static int fail(machine *m, const char *message, uint64_t address)
{
    if (m->err) {
        m->err->message = message;
        m->err->address = address;
    }
    return -1;
}

HANDLER static const char *pool_text(const machine *m, uint32_t offset)
{
    return (const char *)m->p->pool + offset;
}

HANDLER static uint64_t extend(uint64_t v, unsigned bits, bool is_signed)
{
    if (bits == 0 || bits >= 64)
        return v;
    v &= ((uint64_t)1 << bits) - 1;
    uint64_t sign = (uint64_t)1 << (bits - 1);
    return is_signed ? (v ^ sign) - sign : v;
}

HANDLER static uint64_t load_le(const uint8_t *bytes, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && i < 8; i++)
        v |= (uint64_t)bytes[i] << (8 * i);
    return v;
}

HANDLER static uint64_t byte_mask(size_t from, size_t n)
{
    uint64_t upto = from + n >= 64 ? UINT64_MAX : ((uint64_t)1 << (from + n)) - 1;
    return from >= 64 ? 0 : upto & ~(((uint64_t)1 << from) - 1);
}

HANDLER static bool within(uint64_t addr, size_t n, uintptr_t low, uintptr_t high)
{
    return addr >= low && addr <= high && n <= high - addr;
}

/* ---- memory ---- */

/* The live stack of the stopped frame: from the red zone below its sp up to its CFA. When this
 * handler runs on that same stack (below the red zone, where the kernel put the signal frame),
 * all of it is mapped and in use, so it is copied without a system call. */
HANDLER static void find_live_stack(machine *m)
{
    m->live_low = m->live_high = 0;
    uintptr_t here = (uintptr_t)m->stack, sp = m->regs->reg[DWREG_RSP], cfa = m->regs->cfa;
    if (!((m->regs->valid >> DWREG_RSP) & 1) || sp < RED_ZONE || here >= sp - RED_ZONE ||
        sp - here > SAME_STACK_SPAN)
        return;
    m->live_low = sp - RED_ZONE;
    m->live_high = cfa > sp && cfa - sp <= SAME_STACK_SPAN ? cfa : sp;
}

/* The scratch object an address falls in, with the offset in its bytes; -1 when none. */
HANDLER static int scratch_slot(const machine *m, uint64_t addr, size_t *offset)
{
    uintptr_t base = (uintptr_t)m->scratch;
    if (addr < base || addr >= base + sizeof m->scratch)
        return -1;
    *offset = (size_t)(addr - base) % sizeof(scratch_object);
    return (int)((addr - base) / sizeof(scratch_object));
}

/* Whether variable slot's object was copied into its scratch object by this evaluation. */
HANDLER static bool holds_copy(const machine *m, int slot)
{
    return ((m->resolved >> slot) & 1) && m->address[slot] == (uintptr_t)m->scratch[slot].bytes;
}

HANDLER static bool plain_copy_safe(const machine *m, uint64_t addr, size_t n)
{
    const cond_program *p = m->p;
    return within(addr, n, (uintptr_t)p->pool, (uintptr_t)p->pool + p->pool_len) ||
           within(addr, n, m->live_low, m->live_high);
}

/* n bytes at addr: of a scratch object only the bytes its location provided. */
HANDLER static int read_bytes(machine *m, uint64_t addr, void *buf, size_t n)
{
    size_t offset;
    int slot = scratch_slot(m, addr, &offset);
    if (slot >= 0) {
        const scratch_object *s = &m->scratch[slot];
        if (!holds_copy(m, slot) || offset + n > COND_OBJECT_MAX ||
            (s->have & byte_mask(offset, n)) != byte_mask(offset, n))
            return fail(m, pool_text(m, m->p->locations[slot].optimized_out), 0);
        memcpy(buf, s->bytes + offset, n);
        return 0;
    }
    if (plain_copy_safe(m, addr, n)) {
        memcpy(buf, (const void *)(uintptr_t)addr, n);
        return 0;
    }
    if (safe_mem_read((uintptr_t)addr, buf, n) != 0)
        return fail(m, "cannot read memory", addr);
    return 0;
}

/* Up to n bytes at addr, stopping where they stop being readable. */
HANDLER static size_t read_upto(machine *m, uint64_t addr, uint8_t *buf, size_t n)
{
    size_t offset;
    int slot = scratch_slot(m, addr, &offset);
    if (slot >= 0) {
        const scratch_object *s = &m->scratch[slot];
        size_t got = 0;
        while (holds_copy(m, slot) && got < n && offset + got < COND_OBJECT_MAX &&
               ((s->have >> (offset + got)) & 1)) {
            buf[got] = s->bytes[offset + got];
            got++;
        }
        return got;
    }
    if (plain_copy_safe(m, addr, n)) {
        memcpy(buf, (const void *)(uintptr_t)addr, n);
        return n;
    }
    return safe_mem_read_upto((uintptr_t)addr, buf, n);
}

/* ---- variables ---- */

/* dwarf_expr_env's .debug_addr resolver: the entries the compiler resolved. */
HANDLER static bool program_debug_addr(void *ctx, uint64_t index, uint64_t *out)
{
    const cond_program *p = ctx;
    for (size_t i = 0; i < p->n_debug_addrs; i++) {
        if (p->debug_addrs[i].index == index) {
            *out = p->debug_addrs[i].value;
            return true;
        }
    }
    return false;
}

HANDLER static dwarf_expr_status run_location(machine *m, const cond_location *loc,
                                              dwarf_location *out)
{
    dwarf_expr_env env = {.regs = m->regs, .load_bias = loc->load_bias, .address_size = 8};
    if (loc->own_unit) {
        env.debug_addr = program_debug_addr;
        env.debug_addr_ctx = (void *)m->p;
    }
    if (loc->uses_frame_base) {
        if (!m->frame_base_done) {
            m->frame_base_done = true;
            dwarf_location base;
            if (m->p->has_frame_base &&
                run_location(m, &m->p->frame_base, &base) == DWARF_EXPR_OK &&
                base.n_pieces == 1) {
                const location_piece *b = &base.pieces[0];
                m->frame_base_known = b->kind == LOCATION_MEMORY || b->kind == LOCATION_REGISTER ||
                                      b->kind == LOCATION_VALUE;
                m->frame_base = b->kind == LOCATION_MEMORY ? b->address
                              : b->kind == LOCATION_REGISTER ? m->regs->reg[b->regno] : b->value;
            }
        }
        env.has_frame_base = m->frame_base_known;
        env.frame_base = m->frame_base;
    }
    return dwarf_expr_eval(m->p->pool + loc->expr, loc->expr_len, &env, out, NULL, 0);
}

/* read_bytes in the shape location_piece_copy takes. */
HANDLER static int read_for_piece(void *ctx, uint64_t addr, void *dst, size_t n)
{
    return read_bytes(ctx, addr, dst, n);
}

/* A variable whose location is not (wholly) memory: its bytes into its scratch object, as
 * value.c assembles them. */
HANDLER static int assemble(machine *m, unsigned index, const dwarf_location *where)
{
    const cond_location *loc = &m->p->locations[index];
    const location_piece *first = &where->pieces[0];
    bool whole = where->n_pieces == 1 && first->size == 0;
    scratch_object *s = &m->scratch[index];
    s->have = 0;
    s->in_register = whole && first->kind == LOCATION_REGISTER;
    if (whole && first->kind == LOCATION_REGISTER && loc->object_size > 8)
        return fail(m, pool_text(m, loc->optimized_out), 0);
    if (loc->object_size > COND_OBJECT_MAX)
        return fail(m, pool_text(m, loc->unreadable), 0);
    size_t size = loc->object_size;
    if (whole && first->kind == LOCATION_VALUE) {
        memset(s->bytes, 0, size);     /* a value wider than 8 bytes is zero beyond them */
        s->have = byte_mask(0, size);
    }
    size_t offset = 0;
    for (size_t i = 0; i < where->n_pieces && offset < size; i++) {
        const location_piece *piece = &where->pieces[i];
        size_t n = whole || piece->size > size - offset ? size - offset : (size_t)piece->size;
        size_t copied;
        if (location_piece_copy(piece, m->regs, s->bytes + offset, n, &copied, read_for_piece, m) != 0)
            return -1;
        s->have |= byte_mask(offset, copied);
        offset += n;
    }
    return 0;
}

/* A location in short (cond_location.direct) without the DWARF interpreter: the object's address,
 * or its register copied into the scratch object, into *out. False when the register or the CFA
 * is not known here: the interpreter judges it then. */
HANDLER static bool direct_address(machine *m, unsigned index, const cond_location *loc, uint64_t *out)
{
    const frame_regs *r = m->regs;
    switch (loc->direct) {
    case COND_DIRECT_AT_REGISTER:
        if (!frame_reg_known(r, loc->direct_reg))
            return false;
        *out = r->reg[loc->direct_reg] + (uint64_t)loc->direct_offset;
        return true;
    case COND_DIRECT_AT_CFA:
        if (!r->cfa)
            return false;
        *out = r->cfa + (uint64_t)loc->direct_offset;
        return true;
    case COND_DIRECT_REGISTER: {
        if (!frame_reg_known(r, loc->direct_reg) || loc->object_size > 8)
            return false;
        scratch_object *s = &m->scratch[index];
        uint64_t word = r->reg[loc->direct_reg];
        for (size_t i = 0; i < loc->object_size; i++)
            s->bytes[i] = (uint8_t)(word >> (8 * i));
        s->have = byte_mask(0, loc->object_size);
        s->in_register = true;
        *out = (uintptr_t)s->bytes;
        return true;
    }
    default:
        return false;
    }
}

/* The address of variable index's object: where it is in memory, or its scratch copy. */
HANDLER static int variable_address(machine *m, unsigned index, uint64_t *out)
{
    if ((m->resolved >> index) & 1) {
        *out = m->address[index];
        return 0;
    }
    const cond_location *loc = &m->p->locations[index];
    if (direct_address(m, index, loc, &m->address[index])) {
        m->resolved |= 1u << index;
        *out = m->address[index];
        return 0;
    }
    dwarf_location where;
    switch (run_location(m, loc, &where)) {
    case DWARF_EXPR_OK:
        break;
    case DWARF_EXPR_UNAVAILABLE:
        return fail(m, pool_text(m, loc->optimized_out), 0);
    default:
        return fail(m, pool_text(m, loc->unreadable), 0);
    }
    const location_piece *first = &where.pieces[0];
    bool in_memory = where.n_pieces == 1 && first->kind == LOCATION_MEMORY &&
                     (first->size == 0 || first->size >= loc->object_size);
    if (in_memory) {
        m->address[index] = first->address;
    } else {
        if (assemble(m, index, &where) != 0)
            return -1;
        m->address[index] = (uintptr_t)m->scratch[index].bytes;
    }
    m->resolved |= 1u << index;
    *out = m->address[index];
    return 0;
}

/* ---- loads ---- */

HANDLER static int load(machine *m, const cond_insn *insn, uint64_t *slot)
{
    uint8_t raw[16] = {0};
    size_t size = insn->a < sizeof raw ? insn->a : sizeof raw;
    if (read_bytes(m, *slot, raw, size) != 0)
        return -1;
    double d;
    switch (insn->flags) {
    case COND_LOAD_SIGNED:
    case COND_LOAD_UNSIGNED:
        *slot = extend(load_le(raw, size), (unsigned)(8 * size), insn->flags == COND_LOAD_SIGNED);
        return 0;
    case COND_LOAD_F32: {
        float f;
        memcpy(&f, raw, sizeof f);
        d = f;
        break;
    }
    case COND_LOAD_F64:
        memcpy(&d, raw, sizeof d);
        break;
    default: {
        long double ld;
        memcpy(&ld, raw, sizeof ld);
        d = (double)ld;
        break;
    }
    }
    memcpy(slot, &d, sizeof d);
    return 0;
}

HANDLER static int load_bits(machine *m, const cond_insn *insn, uint64_t *slot)
{
    uint8_t raw[9] = {0};
    unsigned width = insn->a, shift = insn->b;
    if (read_bytes(m, *slot, raw, (shift + width + 7) / 8) != 0)
        return -1;
    uint64_t bits = load_le(raw, 8) >> shift;
    if (shift)
        bits |= (uint64_t)raw[8] << (64 - shift);
    *slot = extend(bits, width, insn->flags);
    return 0;
}

/* ---- $streq ---- */

typedef struct string_arg {
    uint64_t address;
    size_t limit;           /* bytes to read at most */
    bool is_array;
    size_t len;             /* up to the terminator */
    uint8_t head[STRING_CHUNK];
    size_t head_len;
} string_arg;

HANDLER static int string_length(machine *m, string_arg *s, int argn)
{
    if (!s->is_array && s->address == 0)
        return fail(m, argn == 1 ? "$streq: argument 1 is a null pointer"
                                 : "$streq: argument 2 is a null pointer", 0);
    uint8_t chunk[STRING_CHUNK];
    for (size_t done = 0; done < s->limit;) {
        uint8_t *buf = done ? chunk : s->head;
        size_t want = s->limit - done < STRING_CHUNK ? s->limit - done : STRING_CHUNK;
        size_t got = read_upto(m, s->address + done, buf, want);
        if (!done)
            s->head_len = got;
        const uint8_t *nul = memchr(buf, 0, got);
        if (nul) {
            s->len = done + (size_t)(nul - buf);
            return 0;
        }
        if (got < want)
            return fail(m, "cannot read memory", s->address + done + got);
        done += got;
    }
    if (s->is_array && s->limit < COND_STRING_MAX) {
        s->len = s->limit; /* a full char array without a terminator */
        return 0;
    }
    return fail(m, "$streq: a string is longer than 4096 bytes", s->address);
}

HANDLER static int strings_equal(machine *m, const string_arg *a, const string_arg *b,
                                 bool *equal)
{
    *equal = a->len == b->len;
    if (!*equal || (a->len <= a->head_len && b->len <= b->head_len)) {
        *equal = *equal && memcmp(a->head, b->head, a->len) == 0;
        return 0;
    }
    uint8_t x[STRING_CHUNK], y[STRING_CHUNK];
    for (size_t done = 0; done < a->len && *equal; done += STRING_CHUNK) {
        size_t n = a->len - done < STRING_CHUNK ? a->len - done : STRING_CHUNK;
        if (read_bytes(m, a->address + done, x, n) != 0 ||
            read_bytes(m, b->address + done, y, n) != 0)
            return -1;
        *equal = memcmp(x, y, n) == 0;
    }
    return 0;
}

HANDLER static int streq(machine *m, const cond_insn *insn)
{
    string_arg a = {.address = m->stack[m->top - 2], .limit = insn->a,
                    .is_array = insn->flags & COND_STREQ_ARRAY1};
    string_arg b = {.address = m->stack[m->top - 1], .limit = insn->b,
                    .is_array = insn->flags & COND_STREQ_ARRAY2};
    bool equal;
    if (string_length(m, &a, 1) != 0 || string_length(m, &b, 2) != 0 ||
        strings_equal(m, &a, &b, &equal) != 0)
        return -1;
    m->stack[--m->top - 1] = equal;
    return 0;
}

/* ---- arithmetic ---- */

HANDLER static double as_double(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

HANDLER static uint64_t double_bits(double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return bits;
}

/* A double converted to an integer the way C does (truncation), saturating where C leaves the
 * result undefined, as value.c does. */
HANDLER static uint64_t double_to_int(double d, bool is_signed)
{
    if (d != d)
        return 0;
    if (!is_signed && d >= 0)
        return d >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)d;
    if (d >= 9223372036854775808.0)
        return (uint64_t)INT64_MAX;
    if (d < -9223372036854775808.0)
        return (uint64_t)INT64_MIN;
    return (uint64_t)(int64_t)d;
}

/* x op y for the two-operand integer and floating-point instructions. */
HANDLER static int binary(machine *m, const cond_insn *insn, uint64_t x, uint64_t y,
                          uint64_t *r)
{
    int64_t sx = (int64_t)x, sy = (int64_t)y;
    double dx = as_double(x), dy = as_double(y);
    switch (insn->op) {
    case COP_ADD: *r = x + y; return 0;
    case COP_SUB: *r = x - y; return 0;
    case COP_MUL: *r = x * y; return 0;
    case COP_AND: *r = x & y; return 0;
    case COP_OR: *r = x | y; return 0;
    case COP_XOR: *r = x ^ y; return 0;
    case COP_DIV_S: case COP_DIV_U: case COP_MOD_S: case COP_MOD_U: {
        bool is_div = insn->op == COP_DIV_S || insn->op == COP_DIV_U;
        if (y == 0)
            return fail(m, "division by zero", 0);
        if (insn->op == COP_DIV_U || insn->op == COP_MOD_U)
            *r = is_div ? x / y : x % y;
        else if (sx == INT64_MIN && sy == -1)
            *r = is_div ? x : 0;
        else
            *r = (uint64_t)(is_div ? sx / sy : sx % sy);
        return 0;
    }
    case COP_SHL: case COP_SHR_S: case COP_SHR_U:
        if (y >= insn->a)
            return fail(m, "shift count is out of range", 0);
        *r = insn->op == COP_SHL ? x << y
           : insn->op == COP_SHR_U || sx >= 0 ? x >> y : ~(~x >> y);
        return 0;
    case COP_EQ: *r = x == y; return 0;
    case COP_NE: *r = x != y; return 0;
    case COP_LT_S: *r = sx < sy; return 0;
    case COP_LE_S: *r = sx <= sy; return 0;
    case COP_GT_S: *r = sx > sy; return 0;
    case COP_GE_S: *r = sx >= sy; return 0;
    case COP_LT_U: *r = x < y; return 0;
    case COP_LE_U: *r = x <= y; return 0;
    case COP_GT_U: *r = x > y; return 0;
    case COP_GE_U: *r = x >= y; return 0;
    case COP_PTR_DIFF: *r = (uint64_t)((int64_t)(x - y) / (int64_t)insn->imm); return 0;
    case COP_FADD: *r = double_bits(dx + dy); return 0;
    case COP_FSUB: *r = double_bits(dx - dy); return 0;
    case COP_FMUL: *r = double_bits(dx * dy); return 0;
    case COP_FDIV: *r = double_bits(dx / dy); return 0;
    case COP_FEQ: *r = dx == dy; return 0;
    case COP_FNE: *r = dx != dy; return 0;
    case COP_FLT: *r = dx < dy; return 0;
    case COP_FLE: *r = dx <= dy; return 0;
    case COP_FGT: *r = dx > dy; return 0;
    case COP_FGE: *r = dx >= dy; return 0;
    default:
        return fail(m, "invalid instruction", 0);
    }
}

/* Instructions that change the top value in place (or one below it). */
HANDLER static int unary(machine *m, const cond_insn *insn)
{
    uint64_t *top = &m->stack[m->top - 1];
    switch (insn->op) {
    case COP_ADD_IMM: *top += insn->imm; return 0;
    case COP_LOAD: return load(m, insn, top);
    case COP_LOAD_BITS: return load_bits(m, insn, top);
    case COP_TO_BOOL: *top = *top != 0; return 0;
    case COP_NOT: *top = *top == 0; return 0;
    case COP_NEG: *top = 0 - *top; return 0;
    case COP_COMPLEMENT: *top = ~*top; return 0;
    case COP_F_TO_INT: *top = double_to_int(as_double(*top), insn->flags); return 0;
    case COP_F_ROUND32: *top = double_bits((double)(float)as_double(*top)); return 0;
    case COP_FNEG: *top = double_bits(-as_double(*top)); return 0;
    case COP_F_TO_BOOL: *top = as_double(*top) != 0; return 0;
    case COP_EXTEND:
        top -= insn->b;
        *top = extend(*top, insn->a, insn->flags);
        return 0;
    case COP_INT_TO_F:
        top -= insn->b;
        *top = double_bits(insn->flags ? (double)(int64_t)*top : (double)*top);
        return 0;
    case COP_NONNULL:
        return top[-(long)insn->a] ? 0 : fail(m, "cannot dereference a null pointer", 0);
    case COP_BOUNDS: {
        int64_t index = (int64_t)top[-(long)insn->a];
        bool beyond = index < 0 || (insn->flags && (uint64_t)index >= insn->imm);
        return beyond ? fail(m, "index is out of bounds", 0) : 0;
    }
    case COP_REQUIRE_MEMORY: {
        size_t offset;
        int slot = scratch_slot(m, *top, &offset);
        if (slot < 0)
            return 0;
        if (insn->a == COND_USE_DECAY)
            return fail(m, "cannot use an array that is not in memory as a pointer", 0);
        return fail(m, m->scratch[slot].in_register ? "cannot take the address of a register"
                                                    : "cannot take the address of a computed value", 0);
    }
    default:
        return fail(m, "invalid instruction", 0);
    }
}

HANDLER static int push(machine *m, const cond_insn *insn)
{
    uint64_t v;
    switch (insn->op) {
    case COP_PUSH:
        v = insn->imm;
        break;
    case COP_PUSH_POOL:
        v = (uintptr_t)(m->p->pool + insn->b);
        break;
    case COP_REGISTER:
        if (insn->a >= FRAME_REG_COUNT || !((m->regs->valid >> insn->a) & 1))
            return fail(m, "a register is not known in this frame", 0);
        v = m->regs->reg[insn->a];
        break;
    default:
        if (variable_address(m, insn->a, &v) != 0)
            return -1;
        break;
    }
    m->stack[m->top++] = v;
    return 0;
}

/* [x, y] -> [base +/- index * size] for COP_INDEX. */
HANDLER static uint64_t indexed(const cond_insn *insn, uint64_t x, uint64_t y)
{
    bool swapped = insn->flags & COND_INDEX_SWAPPED;
    uint64_t base = swapped ? y : x, delta = (swapped ? x : y) * insn->imm;
    return insn->flags & COND_INDEX_SUBTRACT ? base - delta : base + delta;
}

/* Executes the program; jumps only go forward and every program ends with COP_RETURN. */
HANDLER static int run(machine *m, uint64_t *result)
{
    const cond_program *p = m->p;
    size_t pc = 0;
    for (unsigned steps = 0; steps < p->max_steps; steps++) {
        const cond_insn *insn = &p->code[pc++];
        uint64_t *end = m->stack + m->top;   /* end[-1] is the top */
        switch (insn->op) {
        case COP_PUSH: case COP_PUSH_POOL: case COP_REGISTER: case COP_VARIABLE:
            if (push(m, insn) != 0)
                return -1;
            break;
        case COP_INDEX:
            end[-2] = indexed(insn, end[-2], end[-1]);
            m->top--;
            break;
        case COP_JUMP:
            pc = insn->b;
            break;
        case COP_JUMP_IF_ZERO:
            m->top--;
            if (end[-1] == 0)
                pc = insn->b;
            break;
        case COP_AND_THEN:
        case COP_OR_ELSE:
            if ((end[-1] != 0) == (insn->op == COP_OR_ELSE))
                pc = insn->b;
            else
                m->top--;
            break;
        case COP_STREQ:
            if (streq(m, insn) != 0)
                return -1;
            break;
        case COP_NOP:
            break;
        case COP_RETURN:
            *result = end[-1];
            return 0;
        case COP_ADD_IMM: case COP_LOAD: case COP_LOAD_BITS: case COP_TO_BOOL: case COP_NOT:
        case COP_NEG: case COP_COMPLEMENT: case COP_F_TO_INT: case COP_F_ROUND32: case COP_FNEG:
        case COP_F_TO_BOOL: case COP_EXTEND: case COP_INT_TO_F: case COP_NONNULL: case COP_BOUNDS:
        case COP_REQUIRE_MEMORY:
            if (unary(m, insn) != 0)
                return -1;
            break;
        default:
            if (binary(m, insn, end[-2], end[-1], &end[-2]) != 0)
                return -1;
            m->top--;
            break;
        }
    }
    fail(m, "step limit exceeded", 0);
    return -1;
}

/* Prepares m to run p; -1 (with err) when there is nothing to run. */
HANDLER static int start(machine *m, const cond_program *p, const frame_regs *regs, cond_error *err)
{
    m->p = p;
    m->regs = regs;
    m->err = err;
    m->top = 0;
    m->resolved = 0;
    m->frame_base_done = m->frame_base_known = false;
    m->frame_base = 0;
    if (err)
        *err = (cond_error){0};
    if (!p || !regs)
        return fail(m, "no program or no registers", 0);
    find_live_stack(m);
    return 0;
}

HANDLER cond_result cond_eval(const cond_program *p, const frame_regs *regs, cond_error *err)
{
    machine m;
    uint64_t result;
    if (start(&m, p, regs, err) != 0 || run(&m, &result) != 0)
        return COND_ERROR;
    return result ? COND_TRUE : COND_FALSE;
}

HANDLER int cond_eval_value(const cond_program *p, const frame_regs *regs, uint64_t *out,
                            cond_error *err)
{
    machine m;
    if (start(&m, p, regs, err) != 0)
        return -1;
    return run(&m, out);
}
