/* The attach argument sourceMap: build-path prefix -> IDE-path prefix. Paths going to probes are
 * mapped IDE -> build; paths coming from probes are mapped build -> IDE. Longest prefix wins. */
#ifndef PODBUG_SOURCE_MAP_H
#define PODBUG_SOURCE_MAP_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "probe_msg.h"

/* Each entry: key = build-path prefix, value = IDE-path prefix. */
typedef struct source_map { probe_label *entries; size_t n; } source_map;

/* json may be NULL (no mapping) or an object of string -> string. Returns 0 or -1 with err. */
int source_map_parse(const cJSON *json, source_map *out, char *err, size_t err_len);
void source_map_free(source_map *m);
/* Malloc'ed mapped path (a copy of path when no prefix applies). */
char *source_map_to_build(const source_map *m, const char *ide_path);
char *source_map_to_ide(const source_map *m, const char *build_path);

#endif
