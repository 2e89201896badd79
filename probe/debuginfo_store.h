/* Memory of the debug-info index: a bump arena that owns every type, variable and scope it hands
 * out (freed all at once with the module), growing arrays, and a hash map from 64-bit keys. */
#ifndef PODBUG_DEBUGINFO_STORE_H
#define PODBUG_DEBUGINFO_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct di_arena di_arena;

di_arena *di_arena_create(void);
void di_arena_destroy(di_arena *arena);
/* Zeroed memory aligned for any type; NULL when out of memory. */
void *di_arena_alloc(di_arena *arena, size_t size);
void *di_arena_copy(di_arena *arena, const void *data, size_t size);
const char *di_arena_strdup(di_arena *arena, const char *text);
/* Whether p points into memory this arena handed out. */
bool di_arena_owns(const di_arena *arena, const void *p);

/* A growing array that ends up in an arena: push items, then move them there. */
typedef struct di_vec {
    unsigned char *items;
    size_t count, capacity;
} di_vec;

/* False when out of memory. */
bool di_vec_push(di_vec *vec, const void *item, size_t item_size);
/* Copies the items into the arena and frees the vector; *count is how many were kept (0 when
 * there were none or memory ran out). */
void *di_vec_to_arena(di_vec *vec, di_arena *arena, size_t item_size, size_t *count);
void di_vec_free(di_vec *vec);

/* Open addressing; key UINT64_MAX is reserved. Lookups never allocate. */
typedef struct di_map {
    uint64_t *keys;
    void **values;
    size_t capacity, count;
} di_map;

void *di_map_get(const di_map *map, uint64_t key);
/* Inserts or replaces; false when out of memory. */
bool di_map_put(di_map *map, uint64_t key, void *value);
void di_map_free(di_map *map);

#endif
