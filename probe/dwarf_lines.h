/* DWARF of one module, read once with libdwarf: line-table rows (by address, and by file and
 * line) and the address ranges of functions. Link-time addresses; the caller adds the bias. */
#ifndef PODBUG_DWARF_LINES_H
#define PODBUG_DWARF_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Returns the caller's single copy of text (kept until the caller frees its pool), or NULL
 * when out of memory. Every file path and function name of a dwarf_module comes from here. */
typedef const char *(*dwarf_intern_fn)(void *pool, const char *text);

typedef struct dwarf_line_row {
    uint64_t address;
    const char *file;  /* normalised full path; NULL when the table names no valid file */
    uint32_t line;
    uint32_t sequence; /* rows of one contiguous code range share it */
    uint32_t order;    /* position in the line tables, to keep their order among equal addresses */
    bool is_stmt;
    bool end_sequence; /* first address after the sequence: no code of it here */
} dwarf_line_row;

typedef struct dwarf_file_lines {
    const char *file;
    size_t first, count; /* range of stmt_rows */
} dwarf_file_lines;

typedef struct dwarf_function {
    const char *name; /* NULL when DWARF names it nowhere */
    uint64_t entry;
} dwarf_function;

typedef struct dwarf_function_range {
    uint64_t low, high; /* [low, high) */
    size_t function;    /* index in functions */
} dwarf_function_range;

typedef struct dwarf_module {
    dwarf_line_row *rows;         /* by address; at one address, end_sequence rows first */
    size_t row_count;
    uint32_t *stmt_rows;          /* indexes of is_stmt rows with a file, by file, line, address */
    size_t stmt_row_count;
    dwarf_file_lines *files;      /* one per distinct file with is_stmt rows */
    size_t file_count;
    dwarf_function *functions;
    size_t function_count;
    dwarf_function_range *ranges; /* by low */
    size_t range_count;
} dwarf_module;

/* Reads the line tables and function ranges of the ELF file at path, keeping only code inside
 * [link_low, link_high) (the module's loaded segments: this drops code the linker discarded).
 * A file without DWARF gives an empty module. A compile unit that cannot be read is skipped
 * and described in problem (the first one only; "" when none). Returns 0, or -1 with problem
 * filled when the file cannot be read at all or memory runs out (then *out is empty). */
int dwarf_module_read(const char *path, uint64_t link_low, uint64_t link_high,
                      dwarf_intern_fn intern, void *pool, dwarf_module *out, char *problem,
                      size_t problem_len);
void dwarf_module_free(dwarf_module *module);

/* The row describing address: NULL when no sequence covers it. */
const dwarf_line_row *dwarf_module_row_at(const dwarf_module *module, uint64_t address);
/* Index of the first row whose address is above address (row_count when none). */
size_t dwarf_module_first_row_above(const dwarf_module *module, uint64_t address);
/* The function whose ranges contain address, or NULL. */
const dwarf_function *dwarf_module_function_at(const dwarf_module *module, uint64_t address);

/* The stmt_rows of file (an entry of module->files) at exactly line: *first and return count. */
size_t dwarf_module_line_rows(const dwarf_module *module, const dwarf_file_lines *file,
                              uint32_t line, size_t *first);
/* Nearest lines with code in file below and above line; 0 where there is none. */
void dwarf_module_nearest_lines(const dwarf_module *module, const dwarf_file_lines *file,
                                uint32_t line, uint32_t *below, uint32_t *above);

#endif
