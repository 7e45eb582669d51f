#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "strmap.h"

static uint64_t hash_string(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

void mmarml__strmap_init(mmarml__strmap *m)
{
    memset(m, 0, sizeof(*m));
}

void mmarml__strmap_free(mmarml__strmap *m)
{
    free(m->keys);
    free(m->values);
    mmarml__strmap_init(m);
}

static size_t find_slot(const char **keys, size_t capacity, const char *key)
{
    size_t mask = capacity - 1;
    size_t i = (size_t)hash_string(key) & mask;

    while (keys[i] != NULL && strcmp(keys[i], key) != 0)
        i = (i + 1) & mask;
    return i;
}

static int grow(mmarml__strmap *m)
{
    size_t capacity = m->capacity ? m->capacity * 2 : 16;
    const char **keys = calloc(capacity, sizeof(*keys));
    size_t *values = calloc(capacity, sizeof(*values));
    size_t i;

    if (keys == NULL || values == NULL) {
        free(keys);
        free(values);
        return -1;
    }
    for (i = 0; i < m->capacity; i++) {
        if (m->keys[i] != NULL) {
            size_t slot = find_slot(keys, capacity, m->keys[i]);
            keys[slot] = m->keys[i];
            values[slot] = m->values[i];
        }
    }
    free(m->keys);
    free(m->values);
    m->keys = keys;
    m->values = values;
    m->capacity = capacity;
    return 0;
}

int mmarml__strmap_put(mmarml__strmap *m, const char *key, size_t value)
{
    size_t slot;

    /* keep the load factor under 1/2 */
    if ((m->count + 1) * 2 > m->capacity && grow(m) != 0)
        return -1;
    slot = find_slot(m->keys, m->capacity, key);
    if (m->keys[slot] == NULL) {
        m->keys[slot] = key;
        m->count++;
    }
    m->values[slot] = value;
    return 0;
}

int mmarml__strmap_get(const mmarml__strmap *m, const char *key, size_t *value)
{
    size_t slot;

    if (m->capacity == 0)
        return 0;
    slot = find_slot(m->keys, m->capacity, key);
    if (m->keys[slot] == NULL)
        return 0;
    if (value != NULL)
        *value = m->values[slot];
    return 1;
}
