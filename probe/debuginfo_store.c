/* Memory of the debug-info index: the bump arena (a list of chunks, freed together), growing
 * arrays that end up in it, and the 64-bit-key hash map used for its caches. */
#include "debuginfo_store.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE (64 * 1024)
#define EMPTY_KEY UINT64_MAX

typedef struct chunk {
    struct chunk *next;
    size_t size, used;
    alignas(max_align_t) unsigned char data[];
} chunk;

struct di_arena {
    chunk *chunks; /* newest first */
};

di_arena *di_arena_create(void)
{
    return calloc(1, sizeof(di_arena));
}

void di_arena_destroy(di_arena *arena)
{
    if (!arena)
        return;
    for (chunk *c = arena->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(arena);
}

static chunk *add_chunk(di_arena *arena, size_t at_least)
{
    size_t size = at_least > CHUNK_SIZE ? at_least : CHUNK_SIZE;
    chunk *c = malloc(sizeof *c + size);
    if (!c)
        return NULL;
    c->size = size;
    c->used = 0;
    if (arena->chunks && at_least > CHUNK_SIZE) {
        /* a big block goes behind the current chunk, which keeps serving small ones */
        c->next = arena->chunks->next;
        arena->chunks->next = c;
    } else {
        c->next = arena->chunks;
        arena->chunks = c;
    }
    return c;
}

void *di_arena_alloc(di_arena *arena, size_t size)
{
    const size_t align = alignof(max_align_t);
    size_t rounded = (size + align - 1) & ~(align - 1);
    if (rounded < size)
        return NULL;
    chunk *c = arena->chunks;
    if (!c || c->size - c->used < rounded) {
        c = add_chunk(arena, rounded);
        if (!c)
            return NULL;
    }
    void *p = c->data + c->used;
    c->used += rounded;
    memset(p, 0, size);
    return p;
}

void *di_arena_copy(di_arena *arena, const void *data, size_t size)
{
    void *p = di_arena_alloc(arena, size ? size : 1);
    if (p && size)
        memcpy(p, data, size);
    return p;
}

const char *di_arena_strdup(di_arena *arena, const char *text)
{
    return di_arena_copy(arena, text, strlen(text) + 1);
}

bool di_arena_owns(const di_arena *arena, const void *p)
{
    const unsigned char *byte = p;
    for (const chunk *c = arena->chunks; c; c = c->next)
        if (byte >= c->data && byte < c->data + c->size)
            return true;
    return false;
}

/* ---- growing arrays ---- */

bool di_vec_push(di_vec *vec, const void *item, size_t item_size)
{
    if (vec->count == vec->capacity) {
        size_t capacity = vec->capacity ? vec->capacity * 2 : 8;
        unsigned char *grown = realloc(vec->items, capacity * item_size);
        if (!grown)
            return false;
        vec->items = grown;
        vec->capacity = capacity;
    }
    memcpy(vec->items + vec->count * item_size, item, item_size);
    vec->count++;
    return true;
}

void *di_vec_to_arena(di_vec *vec, di_arena *arena, size_t item_size, size_t *count)
{
    void *copy = vec->count ? di_arena_copy(arena, vec->items, vec->count * item_size) : NULL;
    *count = copy ? vec->count : 0;
    di_vec_free(vec);
    return copy;
}

void di_vec_free(di_vec *vec)
{
    free(vec->items);
    *vec = (di_vec){ 0 };
}

/* ---- map ---- */

static size_t slot_of(const uint64_t *keys, size_t capacity, uint64_t key)
{
    uint64_t hash = key * 0x9e3779b97f4a7c15u;
    size_t i = (size_t)(hash >> 17) & (capacity - 1);
    while (keys[i] != EMPTY_KEY && keys[i] != key)
        i = (i + 1) & (capacity - 1);
    return i;
}

void *di_map_get(const di_map *map, uint64_t key)
{
    if (!map->capacity || key == EMPTY_KEY)
        return NULL;
    size_t i = slot_of(map->keys, map->capacity, key);
    return map->keys[i] == key ? map->values[i] : NULL;
}

static bool grow(di_map *map)
{
    size_t capacity = map->capacity ? map->capacity * 2 : 64;
    uint64_t *keys = malloc(capacity * sizeof *keys);
    void **values = malloc(capacity * sizeof *values);
    if (!keys || !values) {
        free(keys);
        free(values);
        return false;
    }
    for (size_t i = 0; i < capacity; i++)
        keys[i] = EMPTY_KEY;
    for (size_t i = 0; i < map->capacity; i++) {
        if (map->keys[i] == EMPTY_KEY)
            continue;
        size_t j = slot_of(keys, capacity, map->keys[i]);
        keys[j] = map->keys[i];
        values[j] = map->values[i];
    }
    free(map->keys);
    free(map->values);
    map->keys = keys;
    map->values = values;
    map->capacity = capacity;
    return true;
}

bool di_map_put(di_map *map, uint64_t key, void *value)
{
    if (key == EMPTY_KEY)
        return false;
    if ((map->count + 1) * 2 > map->capacity && !grow(map))
        return false;
    size_t i = slot_of(map->keys, map->capacity, key);
    if (map->keys[i] != key) {
        map->keys[i] = key;
        map->count++;
    }
    map->values[i] = value;
    return true;
}

void di_map_free(di_map *map)
{
    free(map->keys);
    free(map->values);
    *map = (di_map){ 0 };
}
