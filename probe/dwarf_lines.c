/* DWARF of one module, read once with libdwarf: line-table rows (by address, and by file and
 * line) and the address ranges of functions. Link-time addresses; the caller adds the bias. */
#include "dwarf_lines.h"

#include "path_match.h"

#include <dwarf.h>
#include <libdwarf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* DW_AT_specification / DW_AT_abstract_origin links followed to find a function's name. */
#define MAX_NAME_LINKS 4

typedef struct reader {
    Dwarf_Debug dbg;
    Dwarf_Error err;
    dwarf_intern_fn intern;
    void *pool;
    uint64_t link_low, link_high;
    dwarf_module *out;
    size_t row_capacity, function_capacity, range_capacity;
    uint32_t sequences;
    bool out_of_memory;
    char *problem;
    size_t problem_len;
} reader;

typedef struct cu_info {
    Dwarf_Half version;
    uint64_t base_address; /* DW_AT_low_pc of the unit: base of DWARF 4 range lists */
} cu_info;

/* Records the first problem met (with libdwarf's message when there is one) and frees the
 * pending Dwarf_Error, so that every failed call is followed by exactly one of these. */
static void note_problem(reader *r, const char *what)
{
    if (!r->problem[0]) {
        if (r->err)
            snprintf(r->problem, r->problem_len, "%s: %s", what, dwarf_errmsg(r->err));
        else
            snprintf(r->problem, r->problem_len, "%s", what);
    }
    if (r->err) {
        dwarf_dealloc_error(r->dbg, r->err);
        r->err = NULL;
    }
}

/* Makes room for one more item; returns the (possibly moved) array, or NULL when out of memory. */
static void *reserve(reader *r, void *items, size_t *capacity, size_t count, size_t item_size)
{
    if (count < *capacity)
        return items;
    size_t grown_capacity = *capacity ? *capacity * 2 : 64;
    void *grown = realloc(items, grown_capacity * item_size);
    if (!grown) {
        r->out_of_memory = true;
        return NULL;
    }
    *capacity = grown_capacity;
    return grown;
}

static bool in_module(const reader *r, uint64_t address)
{
    return address >= r->link_low && address < r->link_high;
}

static const char *intern_text(reader *r, const char *text)
{
    const char *interned = r->intern(r->pool, text);
    if (!interned)
        r->out_of_memory = true;
    return interned;
}

static const char *intern_path(reader *r, const char *path)
{
    char *copy = strdup(path);
    if (!copy) {
        r->out_of_memory = true;
        return NULL;
    }
    path_normalize(copy);
    const char *interned = intern_text(r, copy);
    free(copy);
    return interned;
}

/* ---- line tables ---- */

static bool producer_is_gnu(reader *r, Dwarf_Die cu)
{
    char *producer = NULL;
    int rc = dwarf_die_text(cu, DW_AT_producer, &producer, &r->err);
    if (rc == DW_DLV_ERROR)
        note_problem(r, "reading DW_AT_producer");
    return rc == DW_DLV_OK && strncmp(producer, "GNU ", 4) == 0;
}

/* Interned full paths of the unit's file table (libdwarf joins comp_dir, include directory and
 * name), indexed by file number minus the table's base index. NULL when there are none. */
static const char **read_file_names(reader *r, Dwarf_Die cu, Dwarf_Signed *count)
{
    char **names = NULL;
    int rc = dwarf_srcfiles(cu, &names, count, &r->err);
    if (rc != DW_DLV_OK) {
        if (rc == DW_DLV_ERROR)
            note_problem(r, "reading a line table's file names");
        *count = 0;
        return NULL;
    }
    const char **files = calloc(*count > 0 ? (size_t)*count : 1, sizeof *files);
    if (!files)
        r->out_of_memory = true;
    for (Dwarf_Signed i = 0; i < *count; i++) {
        if (files && !r->out_of_memory)
            files[i] = intern_path(r, names[i]);
        dwarf_dealloc(r->dbg, names[i], DW_DLA_STRING);
    }
    dwarf_dealloc(r->dbg, names, DW_DLA_LIST);
    return files;
}

typedef struct line_fields {
    Dwarf_Addr address;
    Dwarf_Unsigned line, file;
    Dwarf_Bool is_stmt, end_sequence;
} line_fields;

static bool read_line_fields(reader *r, Dwarf_Line line, line_fields *f)
{
    if (dwarf_lineaddr(line, &f->address, &r->err) == DW_DLV_OK &&
        dwarf_lineno(line, &f->line, &r->err) == DW_DLV_OK &&
        dwarf_line_srcfileno(line, &f->file, &r->err) == DW_DLV_OK &&
        dwarf_linebeginstatement(line, &f->is_stmt, &r->err) == DW_DLV_OK &&
        dwarf_lineendsequence(line, &f->end_sequence, &r->err) == DW_DLV_OK)
        return true;
    note_problem(r, "reading a line-table row");
    return false;
}

static bool append_row(reader *r, const line_fields *f, const char *file)
{
    dwarf_module *m = r->out;
    dwarf_line_row *rows = reserve(r, m->rows, &r->row_capacity, m->row_count, sizeof *rows);
    if (!rows)
        return false;
    m->rows = rows;
    rows[m->row_count] = (dwarf_line_row){
        .address = f->address,
        .file = file,
        .line = (uint32_t)f->line,
        .sequence = r->sequences,
        .order = (uint32_t)m->row_count,
        .is_stmt = f->is_stmt,
        .end_sequence = f->end_sequence,
    };
    m->row_count++;
    return true;
}

typedef struct file_table {
    const char **paths;
    Dwarf_Signed count;
    Dwarf_Signed base;    /* file number of paths[0]: 0 in DWARF 5, 1 before */
    bool file0_is_file1;  /* libdwarf 20210528 starts the file register at 0 in DWARF 5 */
} file_table;

static const char *file_of(const file_table *files, Dwarf_Unsigned number)
{
    if (number == 0 && files->file0_is_file1)
        number = 1;
    Dwarf_Signed index = (Dwarf_Signed)number - files->base;
    if (!files->paths || index < 0 || index >= files->count)
        return NULL;
    return files->paths[index];
}

/* Appends the rows of every complete sequence whose code the module kept. */
static void append_rows(reader *r, Dwarf_Line *lines, Dwarf_Signed line_count,
                        const file_table *files)
{
    dwarf_module *m = r->out;
    size_t sequence_start = m->row_count;
    for (Dwarf_Signed i = 0; i < line_count; i++) {
        line_fields f;
        if (!read_line_fields(r, lines[i], &f) || !append_row(r, &f, file_of(files, f.file)))
            break;
        if (f.end_sequence) {
            if (in_module(r, m->rows[sequence_start].address))
                r->sequences++;
            else
                m->row_count = sequence_start;
            sequence_start = m->row_count;
        }
    }
    m->row_count = sequence_start; /* drops a sequence cut short by an error or without an end */
}

static void read_unit_lines(reader *r, Dwarf_Die cu)
{
    Dwarf_Unsigned version = 0;
    Dwarf_Small table_count = 0;
    Dwarf_Line_Context context = NULL;
    int rc = dwarf_srclines_b(cu, &version, &table_count, &context, &r->err);
    if (rc != DW_DLV_OK) {
        if (rc == DW_DLV_ERROR)
            note_problem(r, "reading a line table");
        return;
    }
    file_table files = { 0 };
    Dwarf_Signed file_count = 0, end_index = 0, line_count = 0;
    Dwarf_Line *lines = NULL;
    if (dwarf_srclines_files_indexes(context, &files.base, &file_count, &end_index, &r->err) !=
            DW_DLV_OK ||
        dwarf_srclines_from_linecontext(context, &lines, &line_count, &r->err) != DW_DLV_OK) {
        note_problem(r, "reading a line table");
        dwarf_srclines_dealloc_b(context);
        return;
    }
    files.paths = read_file_names(r, cu, &files.count);
    files.file0_is_file1 = version == 5 && producer_is_gnu(r, cu);
    if (!r->out_of_memory)
        append_rows(r, lines, line_count, &files);
    free(files.paths);
    dwarf_srclines_dealloc_b(context);
}

/* ---- functions ---- */

static void add_range(reader *r, uint64_t low, uint64_t high, size_t function)
{
    if (!in_module(r, low) || high <= low)
        return;
    dwarf_module *m = r->out;
    dwarf_function_range *ranges =
        reserve(r, m->ranges, &r->range_capacity, m->range_count, sizeof *ranges);
    if (!ranges)
        return;
    m->ranges = ranges;
    ranges[m->range_count++] = (dwarf_function_range){ low, high, function };
}

/* DWARF 5 DW_AT_ranges (.debug_rnglists): libdwarf applies base addresses itself. */
static void read_rnglists(reader *r, Dwarf_Attribute attr, Dwarf_Half form, size_t function)
{
    Dwarf_Unsigned value = 0, entry_count = 0, list_offset = 0;
    int rc = form == DW_FORM_rnglistx ? dwarf_formudata(attr, &value, &r->err)
                                      : dwarf_global_formref(attr, &value, &r->err);
    Dwarf_Rnglists_Head head = NULL;
    if (rc == DW_DLV_OK)
        rc = dwarf_rnglists_get_rle_head(attr, form, value, &head, &entry_count, &list_offset,
                                         &r->err);
    if (rc != DW_DLV_OK) {
        note_problem(r, "reading DW_AT_ranges");
        return;
    }
    for (Dwarf_Unsigned i = 0; i < entry_count; i++) {
        unsigned entry_length = 0, kind = 0;
        Dwarf_Unsigned raw1, raw2, low, high;
        Dwarf_Bool address_unavailable = false;
        if (dwarf_get_rnglists_entry_fields_a(head, i, &entry_length, &kind, &raw1, &raw2,
                                              &address_unavailable, &low, &high,
                                              &r->err) != DW_DLV_OK) {
            note_problem(r, "reading a range list entry");
            break;
        }
        bool is_range = kind == DW_RLE_offset_pair || kind == DW_RLE_start_end ||
                        kind == DW_RLE_start_length || kind == DW_RLE_startx_endx ||
                        kind == DW_RLE_startx_length;
        if (is_range && !address_unavailable)
            add_range(r, low, high, function);
    }
    dwarf_dealloc_rnglists_head(head);
}

/* DWARF 2-4 DW_AT_ranges (.debug_ranges): offsets from the unit's base address. */
static void read_debug_ranges(reader *r, Dwarf_Die die, Dwarf_Attribute attr,
                              uint64_t base_address, size_t function)
{
    Dwarf_Off offset = 0, real_offset = 0;
    Dwarf_Ranges *ranges = NULL;
    Dwarf_Signed count = 0;
    Dwarf_Unsigned byte_count = 0;
    if (dwarf_global_formref(attr, &offset, &r->err) != DW_DLV_OK ||
        dwarf_get_ranges_b(r->dbg, offset, die, &real_offset, &ranges, &count, &byte_count,
                           &r->err) != DW_DLV_OK) {
        note_problem(r, "reading DW_AT_ranges");
        return;
    }
    for (Dwarf_Signed i = 0; i < count && ranges[i].dwr_type != DW_RANGES_END; i++) {
        if (ranges[i].dwr_type == DW_RANGES_ADDRESS_SELECTION)
            base_address = ranges[i].dwr_addr2;
        else
            add_range(r, base_address + ranges[i].dwr_addr1, base_address + ranges[i].dwr_addr2,
                      function);
    }
    dwarf_ranges_dealloc(r->dbg, ranges, count);
}

static void read_range_list(reader *r, Dwarf_Die die, const cu_info *cu, size_t function)
{
    Dwarf_Attribute attr = NULL;
    int rc = dwarf_attr(die, DW_AT_ranges, &attr, &r->err);
    if (rc != DW_DLV_OK) {
        if (rc == DW_DLV_ERROR)
            note_problem(r, "reading DW_AT_ranges");
        return;
    }
    Dwarf_Half form = 0;
    if (dwarf_whatform(attr, &form, &r->err) != DW_DLV_OK)
        note_problem(r, "reading the form of DW_AT_ranges");
    else if (form == DW_FORM_rnglistx || cu->version >= 5)
        read_rnglists(r, attr, form, function);
    else
        read_debug_ranges(r, die, attr, cu->base_address, function);
    dwarf_dealloc_attribute(attr);
}

/* Adds the ranges given by DW_AT_low_pc/DW_AT_high_pc or DW_AT_ranges; returns false when the
 * DIE has no code (a declaration, an abstract instance, code the linker dropped). */
static bool read_function_ranges(reader *r, Dwarf_Die die, const cu_info *cu, size_t function)
{
    size_t ranges_before = r->out->range_count;
    Dwarf_Addr low = 0, high = 0;
    int rc = dwarf_lowpc(die, &low, &r->err);
    if (rc == DW_DLV_OK) {
        Dwarf_Half form = 0;
        enum Dwarf_Form_Class form_class = DW_FORM_CLASS_UNKNOWN;
        if (dwarf_highpc_b(die, &high, &form, &form_class, &r->err) == DW_DLV_OK)
            add_range(r, low, form_class == DW_FORM_CLASS_CONSTANT ? low + high : high, function);
        else
            note_problem(r, "reading DW_AT_high_pc");
    } else if (rc == DW_DLV_ERROR) {
        note_problem(r, "reading DW_AT_low_pc");
    } else {
        read_range_list(r, die, cu, function);
    }
    return r->out->range_count > ranges_before;
}

static Dwarf_Die referenced_die(reader *r, Dwarf_Die die, Dwarf_Half attribute)
{
    Dwarf_Attribute attr = NULL;
    Dwarf_Die target = NULL;
    int rc = dwarf_attr(die, attribute, &attr, &r->err);
    if (rc == DW_DLV_OK) {
        Dwarf_Off offset = 0;
        if (dwarf_global_formref(attr, &offset, &r->err) != DW_DLV_OK ||
            dwarf_offdie_b(r->dbg, offset, true, &target, &r->err) != DW_DLV_OK) {
            note_problem(r, "following a DIE reference");
            target = NULL;
        }
        dwarf_dealloc_attribute(attr);
    } else if (rc == DW_DLV_ERROR) {
        note_problem(r, "reading a DIE reference");
    }
    return target;
}

/* DW_AT_name, else the name of the declaration or abstract instance this DIE completes. */
static const char *function_name(reader *r, Dwarf_Die die, int links_followed)
{
    char *name = NULL;
    int rc = dwarf_diename(die, &name, &r->err);
    if (rc == DW_DLV_OK)
        return intern_text(r, name);
    if (rc == DW_DLV_ERROR) {
        note_problem(r, "reading DW_AT_name");
        return NULL;
    }
    if (links_followed == MAX_NAME_LINKS)
        return NULL;
    static const Dwarf_Half links[] = { DW_AT_specification, DW_AT_abstract_origin };
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        Dwarf_Die target = referenced_die(r, die, links[i]);
        if (!target)
            continue;
        const char *linked_name = function_name(r, target, links_followed + 1);
        dwarf_dealloc_die(target);
        if (linked_name)
            return linked_name;
    }
    return NULL;
}

static void read_function(reader *r, Dwarf_Die die, const cu_info *cu)
{
    dwarf_module *m = r->out;
    size_t function = m->function_count;
    size_t first_range = m->range_count;
    if (!read_function_ranges(r, die, cu, function))
        return;
    dwarf_function *functions =
        reserve(r, m->functions, &r->function_capacity, m->function_count, sizeof *functions);
    if (!functions)
        return;
    m->functions = functions;
    /* gcc lists the entry part first when a function is split (hot/cold) */
    functions[function] = (dwarf_function){
        .name = function_name(r, die, 0),
        .entry = m->ranges[first_range].low,
    };
    m->function_count++;
}

/* Functions among the children of a unit, descending into namespaces. */
static void read_functions(reader *r, Dwarf_Die parent, const cu_info *cu)
{
    Dwarf_Die child = NULL;
    int rc = dwarf_child(parent, &child, &r->err);
    while (rc == DW_DLV_OK && !r->out_of_memory) {
        Dwarf_Half tag = 0;
        if (dwarf_tag(child, &tag, &r->err) != DW_DLV_OK)
            note_problem(r, "reading a DIE tag");
        else if (tag == DW_TAG_subprogram)
            read_function(r, child, cu);
        else if (tag == DW_TAG_namespace)
            read_functions(r, child, cu);
        Dwarf_Die next = NULL;
        rc = dwarf_siblingof_b(r->dbg, child, true, &next, &r->err);
        dwarf_dealloc_die(child);
        child = next;
    }
    if (rc == DW_DLV_ERROR)
        note_problem(r, "walking the DIE tree");
}

/* ---- the module ---- */

static void read_unit(reader *r, Dwarf_Half version)
{
    Dwarf_Die unit = NULL;
    int rc = dwarf_siblingof_b(r->dbg, NULL, true, &unit, &r->err);
    if (rc != DW_DLV_OK) {
        if (rc == DW_DLV_ERROR)
            note_problem(r, "reading a compile unit");
        return;
    }
    cu_info cu = { .version = version };
    Dwarf_Addr low = 0;
    rc = dwarf_lowpc(unit, &low, &r->err);
    if (rc == DW_DLV_OK)
        cu.base_address = low;
    else if (rc == DW_DLV_ERROR)
        note_problem(r, "reading a unit's DW_AT_low_pc");
    read_unit_lines(r, unit);
    if (!r->out_of_memory)
        read_functions(r, unit, &cu);
    dwarf_dealloc_die(unit);
}

static void read_units(reader *r)
{
    while (!r->out_of_memory) {
        Dwarf_Unsigned header_length = 0, type_offset = 0, next_offset = 0;
        Dwarf_Half version = 0, address_size = 0, length_size = 0, extension_size = 0;
        Dwarf_Half unit_type = 0;
        Dwarf_Off abbrev_offset = 0;
        Dwarf_Sig8 signature;
        int rc = dwarf_next_cu_header_d(r->dbg, true, &header_length, &version, &abbrev_offset,
                                        &address_size, &length_size, &extension_size,
                                        &signature, &type_offset, &next_offset, &unit_type,
                                        &r->err);
        if (rc == DW_DLV_ERROR)
            note_problem(r, "reading a compile unit header");
        if (rc != DW_DLV_OK)
            return;
        read_unit(r, version);
    }
}

static int by_address(const void *a, const void *b)
{
    const dwarf_line_row *x = a, *y = b;
    if (x->address != y->address)
        return x->address < y->address ? -1 : 1;
    if (x->end_sequence != y->end_sequence)
        return x->end_sequence ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

static int by_low(const void *a, const void *b)
{
    const dwarf_function_range *x = a, *y = b;
    return (x->low > y->low) - (x->low < y->low);
}

static int by_file_line_address(const void *a, const void *b, void *context)
{
    const dwarf_line_row *rows = context;
    const dwarf_line_row *x = &rows[*(const uint32_t *)a], *y = &rows[*(const uint32_t *)b];
    if (x->file != y->file)
        return (uintptr_t)x->file < (uintptr_t)y->file ? -1 : 1;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return (x->address > y->address) - (x->address < y->address);
}

static bool is_code_line(const dwarf_line_row *row)
{
    return row->is_stmt && !row->end_sequence && row->file;
}

/* Sorts what was read and builds the per-file index of is_stmt rows. */
static int build_indexes(dwarf_module *m)
{
    if (m->row_count > 0)
        qsort(m->rows, m->row_count, sizeof *m->rows, by_address);
    if (m->range_count > 0)
        qsort(m->ranges, m->range_count, sizeof *m->ranges, by_low);
    for (size_t i = 0; i < m->row_count; i++)
        m->stmt_row_count += is_code_line(&m->rows[i]);
    m->stmt_rows = malloc((m->stmt_row_count ? m->stmt_row_count : 1) * sizeof *m->stmt_rows);
    if (!m->stmt_rows)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < m->row_count; i++)
        if (is_code_line(&m->rows[i]))
            m->stmt_rows[n++] = (uint32_t)i;
    qsort_r(m->stmt_rows, n, sizeof *m->stmt_rows, by_file_line_address, m->rows);
    for (size_t i = 0; i < n; i++) {
        const char *file = m->rows[m->stmt_rows[i]].file;
        m->file_count += i == 0 || file != m->rows[m->stmt_rows[i - 1]].file;
    }
    m->files = malloc((m->file_count ? m->file_count : 1) * sizeof *m->files);
    if (!m->files)
        return -1;
    size_t f = 0;
    for (size_t i = 0; i < n; i++) {
        const char *file = m->rows[m->stmt_rows[i]].file;
        if (f > 0 && m->files[f - 1].file == file) {
            m->files[f - 1].count++;
            continue;
        }
        m->files[f++] = (dwarf_file_lines){ .file = file, .first = i, .count = 1 };
    }
    return 0;
}

int dwarf_module_read(const char *path, uint64_t link_low, uint64_t link_high,
                      dwarf_intern_fn intern, void *pool, dwarf_module *out, char *problem,
                      size_t problem_len)
{
    *out = (dwarf_module){ 0 };
    problem[0] = '\0';
    reader r = {
        .intern = intern,
        .pool = pool,
        .link_low = link_low,
        .link_high = link_high,
        .out = out,
        .problem = problem,
        .problem_len = problem_len,
    };
    int rc = dwarf_init_path(path, NULL, 0, DW_DLC_READ, DW_GROUPNUMBER_ANY, NULL, NULL, &r.dbg,
                             NULL, 0, NULL, &r.err);
    if (rc == DW_DLV_NO_ENTRY)
        return build_indexes(out) == 0 ? 0 : -1;
    if (rc != DW_DLV_OK) {
        note_problem(&r, "libdwarf cannot read the file");
        return -1;
    }
    read_units(&r);
    Dwarf_Debug finished = r.dbg;
    r.dbg = NULL; /* an error from dwarf_finish outlives the handle */
    if (dwarf_finish(finished, &r.err) != DW_DLV_OK)
        note_problem(&r, "closing the DWARF reader");
    if (r.out_of_memory || build_indexes(out) != 0) {
        dwarf_module_free(out);
        snprintf(problem, problem_len, "out of memory reading DWARF");
        return -1;
    }
    return 0;
}

void dwarf_module_free(dwarf_module *module)
{
    free(module->rows);
    free(module->stmt_rows);
    free(module->files);
    free(module->functions);
    free(module->ranges);
    *module = (dwarf_module){ 0 };
}

size_t dwarf_module_first_row_above(const dwarf_module *module, uint64_t address)
{
    size_t lo = 0, hi = module->row_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (module->rows[mid].address <= address)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const dwarf_line_row *dwarf_module_row_at(const dwarf_module *module, uint64_t address)
{
    size_t lo = dwarf_module_first_row_above(module, address);
    if (lo == 0 || module->rows[lo - 1].end_sequence)
        return NULL;
    return &module->rows[lo - 1];
}

const dwarf_function *dwarf_module_function_at(const dwarf_module *module, uint64_t address)
{
    size_t lo = 0, hi = module->range_count; /* first range starting above address */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (module->ranges[mid].low <= address)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || address >= module->ranges[lo - 1].high)
        return NULL;
    return &module->functions[module->ranges[lo - 1].function];
}

/* First position in file's stmt rows whose line is above line (above_line) or not below it. */
static size_t line_bound(const dwarf_module *module, const dwarf_file_lines *file, uint32_t line,
                         bool above_line)
{
    size_t lo = file->first, hi = file->first + file->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t mid_line = module->rows[module->stmt_rows[mid]].line;
        if (mid_line < line || (above_line && mid_line == line))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t dwarf_module_line_rows(const dwarf_module *module, const dwarf_file_lines *file,
                              uint32_t line, size_t *first)
{
    *first = line_bound(module, file, line, false);
    return line_bound(module, file, line, true) - *first;
}

void dwarf_module_nearest_lines(const dwarf_module *module, const dwarf_file_lines *file,
                                uint32_t line, uint32_t *below, uint32_t *above)
{
    size_t at = line_bound(module, file, line, false);
    size_t past = line_bound(module, file, line, true);
    *below = at > file->first ? module->rows[module->stmt_rows[at - 1]].line : 0;
    *above = past < file->first + file->count ? module->rows[module->stmt_rows[past]].line : 0;
}
