/* The symbol index (symbols.h) of another process: its modules from /proc/N/maps, each ELF file
 * read from here (its load bias, segments and build-id), so every symbol and DWARF query works. */
#ifndef PODBUG_PROCESS_SYMBOLS_H
#define PODBUG_PROCESS_SYMBOLS_H

#include <stddef.h>
#include <sys/types.h>
#include "symbols.h"

/* An index of the modules loaded in process pid now (sym_index_refresh reads its map again).
 * Module paths are the files as we open them (see process_mapping_open_path). NULL with err
 * ("process 4242 does not exist", "no permission to read the memory of process 4242: ..."). */
sym_index *process_symbols_create(pid_t pid, char *err, size_t err_len);

#endif
