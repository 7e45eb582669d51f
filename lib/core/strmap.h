/* An open-addressing hash map from borrowed strings to size_t (used to index PRLs and
 * context keys). Keys are not copied: they must outlive the map. */
#ifndef MMARML_CORE_STRMAP_H
#define MMARML_CORE_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char **keys;
    size_t *values;
    size_t capacity; /* power of two, 0 when empty */
    size_t count;
} mmarml__strmap;

void mmarml__strmap_init(mmarml__strmap *m);
void mmarml__strmap_free(mmarml__strmap *m);
/* 0 on success, -1 out of memory. Replaces the value of an existing key. */
int mmarml__strmap_put(mmarml__strmap *m, const char *key, size_t value);
/* 1 and *value when found, else 0. */
int mmarml__strmap_get(const mmarml__strmap *m, const char *key, size_t *value);

#endif
