/* Reading DIEs for the debug-info index: problem recording, DIE navigation, attribute readers
 * (gcc 12's DW_FORM_implicit_const included), origin links and code ranges of a DIE. */
#include "dwarf_die.h"

#include <stdio.h>

/* DW_AT_abstract_origin / DW_AT_specification links followed at most. */
#define MAX_ORIGIN_LINKS 4

void dwarf_note_problem(dwarf_reader *r, const char *what)
{
    if (!r->problem[0]) {
        if (r->err)
            snprintf(r->problem, sizeof r->problem, "%s: %s", what, dwarf_errmsg(r->err));
        else
            snprintf(r->problem, sizeof r->problem, "%s", what);
    }
    if (r->err) {
        dwarf_dealloc_error(r->dbg, r->err);
        r->err = NULL;
    }
}

bool dwarf_call_ok(dwarf_reader *r, int rc, const char *what)
{
    if (rc == DW_DLV_ERROR)
        dwarf_note_problem(r, what);
    return rc == DW_DLV_OK;
}

bool dwarf_next_unit(dwarf_reader *r, dwarf_unit_info *info, Dwarf_Die *cu)
{
    Dwarf_Unsigned header_length = 0, type_offset = 0, next_offset = 0;
    Dwarf_Half version = 0, address_size = 0, offset_size = 0, extension_size = 0;
    Dwarf_Half unit_type = 0;
    Dwarf_Off abbrev_offset = 0;
    Dwarf_Sig8 signature;
    *cu = NULL;
    if (!dwarf_call_ok(r, dwarf_next_cu_header_d(r->dbg, true, &header_length, &version,
                                                 &abbrev_offset, &address_size, &offset_size,
                                                 &extension_size, &signature, &type_offset,
                                                 &next_offset, &unit_type, &r->err),
                       "reading a compile unit header"))
        return false;
    *info = (dwarf_unit_info){ .version = version, .offset_size = offset_size };
    if (!dwarf_call_ok(r, dwarf_siblingof_b(r->dbg, NULL, true, cu, &r->err),
                       "reading a compile unit")) {
        *cu = NULL;
        return true;
    }
    Dwarf_Addr low = 0;
    if (dwarf_call_ok(r, dwarf_lowpc(*cu, &low, &r->err), "reading a unit's DW_AT_low_pc"))
        info->base_address = low;
    return true;
}

Dwarf_Half die_tag(dwarf_reader *r, Dwarf_Die die)
{
    Dwarf_Half tag = 0;
    return dwarf_call_ok(r, dwarf_tag(die, &tag, &r->err), "reading a DIE tag") ? tag : 0;
}

bool die_offset(dwarf_reader *r, Dwarf_Die die, Dwarf_Off *out)
{
    return dwarf_call_ok(r, dwarf_dieoffset(die, out, &r->err), "reading a DIE offset");
}

Dwarf_Die die_at(dwarf_reader *r, Dwarf_Off offset)
{
    Dwarf_Die die = NULL;
    int rc = dwarf_offdie_b(r->dbg, offset, true, &die, &r->err);
    return dwarf_call_ok(r, rc, "reading a DIE") ? die : NULL;
}

Dwarf_Die die_first_child(dwarf_reader *r, Dwarf_Die die)
{
    Dwarf_Die child = NULL;
    int rc = dwarf_child(die, &child, &r->err);
    return dwarf_call_ok(r, rc, "reading a DIE's children") ? child : NULL;
}

Dwarf_Die die_next_sibling(dwarf_reader *r, Dwarf_Die die)
{
    Dwarf_Die next = NULL;
    int rc = dwarf_siblingof_b(r->dbg, die, true, &next, &r->err);
    dwarf_dealloc_die(die);
    return dwarf_call_ok(r, rc, "walking the DIE tree") ? next : NULL;
}

bool die_has(dwarf_reader *r, Dwarf_Die die, Dwarf_Half attr)
{
    Dwarf_Bool has = false;
    int rc = dwarf_hasattr(die, attr, &has, &r->err);
    return dwarf_call_ok(r, rc, "reading a DIE's attributes") && has;
}

Dwarf_Attribute die_attribute(dwarf_reader *r, Dwarf_Die die, Dwarf_Half attr)
{
    Dwarf_Attribute a = NULL;
    int rc = dwarf_attr(die, attr, &a, &r->err);
    return dwarf_call_ok(r, rc, "reading an attribute") ? a : NULL;
}

Dwarf_Half attribute_form(dwarf_reader *r, Dwarf_Attribute a)
{
    Dwarf_Half form = 0;
    int rc = dwarf_whatform(a, &form, &r->err);
    return dwarf_call_ok(r, rc, "reading an attribute's form") ? form : 0;
}

bool die_flag(dwarf_reader *r, Dwarf_Die die, Dwarf_Half attr)
{
    Dwarf_Attribute a = die_attribute(r, die, attr);
    if (!a)
        return false;
    Dwarf_Bool flag = false;
    bool ok = dwarf_call_ok(r, dwarf_formflag(a, &flag, &r->err), "reading a flag");
    dwarf_dealloc_attribute(a);
    return ok && flag;
}

static bool is_constant_form(Dwarf_Half form)
{
    switch (form) {
    case DW_FORM_data1: case DW_FORM_data2: case DW_FORM_data4: case DW_FORM_data8:
    case DW_FORM_sdata: case DW_FORM_udata: case DW_FORM_implicit_const:
        return true;
    default:
        return false;
    }
}

/* Reads a constant attribute; *is_signed tells which of the two values was read. */
static bool read_constant(dwarf_reader *r, Dwarf_Die die, Dwarf_Half attr, bool want_signed,
                          Dwarf_Unsigned *u, Dwarf_Signed *s, bool *read_signed)
{
    Dwarf_Attribute a = die_attribute(r, die, attr);
    if (!a)
        return false;
    Dwarf_Half form = attribute_form(r, a);
    bool ok = false;
    if (is_constant_form(form)) {
        /* dwarf_formudata rejects implicit_const (and negative sdata): read those signed */
        *read_signed = form == DW_FORM_sdata || form == DW_FORM_implicit_const ||
                       (want_signed && form != DW_FORM_udata);
        int rc = *read_signed ? dwarf_formsdata(a, s, &r->err) : dwarf_formudata(a, u, &r->err);
        ok = dwarf_call_ok(r, rc, "reading a constant attribute");
    }
    dwarf_dealloc_attribute(a);
    return ok;
}

bool die_unsigned(dwarf_reader *r, Dwarf_Die die, Dwarf_Half attr, uint64_t *out)
{
    Dwarf_Unsigned u = 0;
    Dwarf_Signed s = 0;
    bool read_signed = false;
    if (!read_constant(r, die, attr, false, &u, &s, &read_signed))
        return false;
    *out = read_signed ? (uint64_t)s : u;
    return true;
}

bool die_signed(dwarf_reader *r, Dwarf_Die die, Dwarf_Half attr, int64_t *out)
{
    Dwarf_Unsigned u = 0;
    Dwarf_Signed s = 0;
    bool read_signed = false;
    if (!read_constant(r, die, attr, true, &u, &s, &read_signed))
        return false;
    *out = read_signed ? s : (int64_t)u;
    return true;
}

bool die_reference(dwarf_reader *r, Dwarf_Die die, Dwarf_Half attr, Dwarf_Off *out)
{
    Dwarf_Attribute a = die_attribute(r, die, attr);
    if (!a)
        return false;
    bool ok = false;
    if (attribute_form(r, a) == DW_FORM_ref_sig8)
        dwarf_note_problem(r, "type units (DW_FORM_ref_sig8 references) are not followed");
    else
        ok = dwarf_call_ok(r, dwarf_global_formref(a, out, &r->err), "reading a DIE reference");
    dwarf_dealloc_attribute(a);
    return ok;
}

Dwarf_Die die_referenced(dwarf_reader *r, Dwarf_Die die, Dwarf_Half attr)
{
    Dwarf_Off offset = 0;
    return die_reference(r, die, attr, &offset) ? die_at(r, offset) : NULL;
}

/* The DIE that die's DW_AT_abstract_origin, else DW_AT_specification, refers to; NULL. */
static Dwarf_Die origin_of(dwarf_reader *r, Dwarf_Die die)
{
    Dwarf_Die origin = die_referenced(r, die, DW_AT_abstract_origin);
    return origin ? origin : die_referenced(r, die, DW_AT_specification);
}

Dwarf_Die die_holding(dwarf_reader *r, Dwarf_Die die, Dwarf_Half attr)
{
    Dwarf_Die current = die;
    for (int links = 0; links <= MAX_ORIGIN_LINKS && current; links++) {
        if (die_has(r, current, attr))
            return current;
        Dwarf_Die next = links < MAX_ORIGIN_LINKS ? origin_of(r, current) : NULL;
        die_release(current, die);
        current = next;
    }
    return NULL;
}

void die_release(Dwarf_Die held, Dwarf_Die die)
{
    if (held && held != die)
        dwarf_dealloc_die(held);
}

const char *die_name(dwarf_reader *r, Dwarf_Die die)
{
    Dwarf_Die holder = die_holding(r, die, DW_AT_name);
    if (!holder)
        return NULL;
    char *name = NULL;
    const char *copy = NULL;
    if (dwarf_call_ok(r, dwarf_diename(holder, &name, &r->err), "reading DW_AT_name"))
        copy = di_arena_strdup(r->arena, name);
    die_release(holder, die);
    return copy;
}

/* ---- code ranges ---- */

/* DWARF 5 DW_AT_ranges (.debug_rnglists): libdwarf applies base addresses itself. */
static void visit_rnglists(dwarf_reader *r, Dwarf_Attribute a, Dwarf_Half form,
                           die_range_visit visit, void *ctx)
{
    Dwarf_Unsigned value = 0, entry_count = 0, list_offset = 0;
    int rc = form == DW_FORM_rnglistx ? dwarf_formudata(a, &value, &r->err)
                                      : dwarf_global_formref(a, &value, &r->err);
    Dwarf_Rnglists_Head head = NULL;
    if (rc == DW_DLV_OK)
        rc = dwarf_rnglists_get_rle_head(a, form, value, &head, &entry_count, &list_offset,
                                         &r->err);
    if (!dwarf_call_ok(r, rc, "reading DW_AT_ranges"))
        return;
    for (Dwarf_Unsigned i = 0; i < entry_count; i++) {
        unsigned length = 0, kind = 0;
        Dwarf_Unsigned raw1 = 0, raw2 = 0, low = 0, high = 0;
        Dwarf_Bool unavailable = false;
        rc = dwarf_get_rnglists_entry_fields_a(head, i, &length, &kind, &raw1, &raw2,
                                               &unavailable, &low, &high, &r->err);
        if (!dwarf_call_ok(r, rc, "reading a range list entry"))
            break;
        bool is_range = kind == DW_RLE_offset_pair || kind == DW_RLE_start_end ||
                        kind == DW_RLE_start_length || kind == DW_RLE_startx_endx ||
                        kind == DW_RLE_startx_length;
        if (is_range && !unavailable && high > low && !visit(ctx, low, high))
            break;
    }
    dwarf_dealloc_rnglists_head(head);
}

/* DWARF 2-4 DW_AT_ranges (.debug_ranges): offsets from the unit's base address. */
static void visit_debug_ranges(dwarf_reader *r, Dwarf_Die die, Dwarf_Attribute a,
                               uint64_t base, die_range_visit visit, void *ctx)
{
    Dwarf_Off offset = 0, real_offset = 0;
    Dwarf_Ranges *ranges = NULL;
    Dwarf_Signed count = 0;
    Dwarf_Unsigned byte_count = 0;
    int rc = dwarf_global_formref(a, &offset, &r->err);
    if (rc == DW_DLV_OK)
        rc = dwarf_get_ranges_b(r->dbg, offset, die, &real_offset, &ranges, &count, &byte_count,
                                &r->err);
    if (!dwarf_call_ok(r, rc, "reading DW_AT_ranges"))
        return;
    for (Dwarf_Signed i = 0; i < count && ranges[i].dwr_type != DW_RANGES_END; i++) {
        if (ranges[i].dwr_type == DW_RANGES_ADDRESS_SELECTION) {
            base = ranges[i].dwr_addr2;
            continue;
        }
        uint64_t low = base + ranges[i].dwr_addr1, high = base + ranges[i].dwr_addr2;
        if (high > low && !visit(ctx, low, high))
            break;
    }
    dwarf_ranges_dealloc(r->dbg, ranges, count);
}

bool die_ranges(dwarf_reader *r, Dwarf_Die die, const dwarf_unit_info *unit,
                die_range_visit visit, void *ctx)
{
    Dwarf_Addr low = 0, high = 0;
    Dwarf_Half form = 0;
    enum Dwarf_Form_Class form_class = DW_FORM_CLASS_UNKNOWN;
    int rc = dwarf_lowpc(die, &low, &r->err);
    if (rc == DW_DLV_OK)
        rc = dwarf_highpc_b(die, &high, &form, &form_class, &r->err);
    if (rc == DW_DLV_OK) {
        if (form_class == DW_FORM_CLASS_CONSTANT)
            high += low;
        if (high > low)
            visit(ctx, low, high);
        return true;
    }
    /* a unit with code in several sections has DW_AT_low_pc 0 (the base) and DW_AT_ranges */
    if (rc == DW_DLV_ERROR)
        dwarf_note_problem(r, "reading DW_AT_low_pc / DW_AT_high_pc");
    Dwarf_Attribute a = die_attribute(r, die, DW_AT_ranges);
    if (!a)
        return false;
    form = attribute_form(r, a);
    if (form == DW_FORM_rnglistx || unit->version >= 5)
        visit_rnglists(r, a, form, visit, ctx);
    else if (form)
        visit_debug_ranges(r, die, a, unit->base_address, visit, ctx);
    dwarf_dealloc_attribute(a);
    return true;
}

typedef struct contains_query {
    uint64_t pc;
    bool found;
} contains_query;

static bool check_range(void *ctx, uint64_t low, uint64_t high)
{
    contains_query *q = ctx;
    q->found = q->pc >= low && q->pc < high;
    return !q->found;
}

bool die_contains(dwarf_reader *r, Dwarf_Die die, const dwarf_unit_info *unit, uint64_t pc)
{
    contains_query q = { .pc = pc };
    die_ranges(r, die, unit, check_range, &q);
    return q.found;
}
