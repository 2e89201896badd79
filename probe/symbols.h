/* Symbol index of a process: every loaded module (ELF symbols, DWARF line tables and function
 * ranges), by runtime address. The own process's modules come from dl_iterate_phdr; another
 * process's from a scan of its memory map (probe/ptrace/process_symbols.h). Agent thread only:
 * libdwarf allocates and is not thread-safe. */
#ifndef PODBUG_SYMBOLS_H
#define PODBUG_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct sym_index sym_index;

/* Creates an index of the modules loaded now in the own process (dl_iterate_phdr). Cheap: DWARF
 * of a module is read the first time a query needs it. Returns NULL only when out of memory. */
sym_index *sym_index_create(void);
void sym_index_destroy(sym_index *idx);
/* Adds modules loaded since the last call (dlopen) and forgets unloaded ones; returns how many
 * were added. */
int sym_index_refresh(sym_index *idx);

/* ---- filling an index from another source: a scan lists the modules loaded now ---- */

typedef struct sym_segment {
    uintptr_t start, end;    /* runtime [start, end) of a loaded (PT_LOAD) segment */
} sym_segment;

typedef struct sym_module_spec {
    const char *path;        /* the file the module's symbols are read from */
    bool is_main;            /* the executable */
    uintptr_t bias;          /* runtime address minus link-time address */
    const sym_segment *segments;
    size_t segment_count;
    const char *build_id;    /* hex GNU build-id, "" when none */
} sym_module_spec;

/* Lists the modules loaded now in process pid, each through sym_index_add_module. Returns 0, or
 * -1 with err (the list cannot be read, or out of memory). */
typedef int (*sym_module_scan)(sym_index *idx, pid_t pid, char *err, size_t err_len);

/* An index of process pid whose modules scan lists, now and again on every sym_index_refresh
 * (modules it no longer lists are forgotten). NULL with err when the first scan fails. */
sym_index *sym_index_create_scanned(sym_module_scan scan, pid_t pid, char *err, size_t err_len);
/* For scans: records a module (its strings and segments are copied). False when out of memory. */
bool sym_index_add_module(sym_index *idx, const sym_module_spec *spec);
/* For scans: true when the index knows a module of this path and runtime bias, which then stays;
 * a scan need not describe such a module again. */
bool sym_index_keep_module(sym_index *idx, const char *path, uintptr_t bias);

typedef struct sym_location {
    uintptr_t address;       /* runtime address of the first instruction of the line */
    const char *function;    /* owned by the index; NULL when unknown */
    const char *file;        /* full path from the line table; owned by the index */
    int line;
} sym_location;

/* Resolves source:line to the addresses where a breakpoint should go: for each function (or
 * each distinct code range) that has is_stmt rows for exactly that line, the lowest address.
 * `path` is matched against line-table paths by the longest suffix of whole path components
 * (so "src/worker.c", "worker.c" and "/build/src/worker.c" all match "/build/src/worker.c").
 * Returns the number of locations written (at most max); 0 with err filled when there are none,
 * naming the reason: no such file in any module, or no code at that line (with the nearest
 * lines that have code, e.g. "no code at worker.c:12; nearest lines with code: 10, 14"). */
size_t sym_resolve_line(sym_index *idx, const char *path, int line,
                        sym_location *out, size_t max, char *err, size_t err_len);

typedef struct sym_info {
    const char *function;    /* DWARF subprogram name, else ELF symbol, else NULL */
    const char *file;        /* NULL when the module has no line info for pc */
    int line;                /* 0 when unknown */
    const char *module;      /* module path */
    uintptr_t function_start; /* 0 when unknown */
} sym_info;

/* Describes pc. For a return address (frames above the top one) pass is_return_address so the
 * lookup uses pc - 1 (the call instruction). Returns false when pc is in no known module. */
bool sym_lookup(sym_index *idx, uintptr_t pc, bool is_return_address, sym_info *out);

typedef struct sym_range {
    uintptr_t low, high;     /* runtime [low, high) */
} sym_range;

/* The code of the function containing pc, for checks over a whole function: its DWARF
 * subprogram's ranges (DW_AT_low_pc/high_pc or DW_AT_ranges, which cover a part gcc split off
 * as NAME.cold), else its ELF symbol's [address, address + size) and that of NAME.cold (or of
 * NAME when pc is in NAME.cold). Returns how many ranges the function has, writing at most max
 * of them (by address for DWARF; the hot part first for ELF); 0 when no DWARF function nor ELF
 * symbol with a size covers pc. */
size_t sym_function_ranges(sym_index *idx, uintptr_t pc, sym_range *out, size_t max);

/* Per-module data of higher layers (debuginfo's caches), destroyed with the module. */
typedef struct sym_module_ext {
    void *data;
    void (*destroy)(void *data);
} sym_module_ext;

/* What is known of a module's symbols: its DWARF and ELF symbols are read lazily. */
typedef enum sym_status { SYM_NOT_READ_YET, SYM_DEBUG_INFO, SYM_SYMBOLS_ONLY, SYM_NONE } sym_status;

typedef struct sym_module_info {
    const char *path;        /* owned by the index */
    uintptr_t bias;          /* runtime address minus link-time address */
    sym_module_ext *ext;     /* the module's extension slot, initially {NULL, NULL} */
    sym_module_ext *frame_ext; /* a second slot, for call-frame information (cfa_rule.c) */
    const char *build_id;    /* hex GNU build-id, "" when none; owned by the index */
    uintptr_t low, high;     /* runtime span of its loaded segments */
    sym_status symbols;
} sym_module_info;

/* The module containing runtime address pc. */
bool sym_module_at(sym_index *idx, uintptr_t pc, sym_module_info *out);
/* Every module, for searches by name: i from 0 while it returns true. */
bool sym_module_get(sym_index *idx, size_t i, sym_module_info *out);

struct dwarf_module;
struct elf_symbols;
/* Module i's DWARF and ELF function symbols (read now when not yet; link-time addresses: add
 * info->bias), for searches by name. False past the last module. */
bool sym_module_tables(sym_index *idx, size_t i, sym_module_info *info,
                       const struct dwarf_module **dwarf, const struct elf_symbols **elf);

/* Hex GNU build-id of the main executable ("" when it has none). */
const char *sym_main_build_id(sym_index *idx);
/* Absolute path of the main executable. */
const char *sym_main_path(sym_index *idx);

#endif
