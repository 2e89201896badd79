/* The variable references of one stop (see var_refs.h): a table of up to VAR_REFS_CAPACITY
 * entries in fixed chunks (entries never move), with ids that keep growing across resumes. */
#include "var_refs.h"

#include <stdlib.h>

#define CHUNK_ENTRIES 1024
#define MAX_CHUNKS 64
#define VAR_REFS_CAPACITY (CHUNK_ENTRIES * MAX_CHUNKS)

static var_ref *chunks[MAX_CHUNKS];
static size_t used;           /* entries of the current stop */
static int64_t first_id = 1;  /* id of entry 0 of the current stop; older ids are below it */

int64_t var_refs_add(const var_ref *ref)
{
    if (used == VAR_REFS_CAPACITY)
        return 0;
    size_t chunk = used / CHUNK_ENTRIES;
    if (!chunks[chunk] && !(chunks[chunk] = malloc(CHUNK_ENTRIES * sizeof(var_ref))))
        return 0;
    chunks[chunk][used % CHUNK_ENTRIES] = *ref;
    return first_id + (int64_t)used++;
}

const var_ref *var_refs_get(int64_t id)
{
    if (id < first_id || id - first_id >= (int64_t)used)
        return NULL;
    size_t index = (size_t)(id - first_id);
    return &chunks[index / CHUNK_ENTRIES][index % CHUNK_ENTRIES];
}

/* Ids of the next stop start after every id handed out so far, so an old id resolves to
 * nothing. Memory beyond the first chunk is given back: most stops need few references. */
void var_refs_reset(void)
{
    first_id += (int64_t)used;
    used = 0;
    for (size_t i = 1; i < MAX_CHUNKS; i++) {
        free(chunks[i]);
        chunks[i] = NULL;
    }
}
