/* The pruners' growable arrays (lib/pruners only; they use the public API alone). */
#ifndef MMARML_PRUNERS_GROW_H
#define MMARML_PRUNERS_GROW_H

#include <stdlib.h>

/* Make room for `need` items of `size` bytes in *p (capacity *cap, doubled from 8).
 * -1, leaving *p as it was, when out of memory. */
static inline int pruner_grow(void **p, size_t *cap, size_t need, size_t size)
{
    size_t c = *cap ? *cap : 8;
    void *more;

    if (need <= *cap)
        return 0;
    while (c < need)
        c *= 2;
    more = realloc(*p, c * size);
    if (more == NULL)
        return -1;
    *p = more;
    *cap = c;
    return 0;
}

#endif
