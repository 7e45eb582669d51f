/* The pruners' growable arrays (lib/pruners only; they use the public API alone). */
#ifndef MMARML_PRUNERS_ARRAYS_H
#define MMARML_PRUNERS_ARRAYS_H

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

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

/* In an array of *n items of `size` bytes, ascending by a leading `double step` member: the
 * item at `step`. With `create`, a missing one is inserted zeroed (but for its step) and
 * *created set; else, or out of memory, NULL. */
static inline void *pruner_step_item(void **items, size_t *n, size_t *cap, size_t size,
                                     double step, int create, int *created)
{
    size_t lo = 0, hi = *n;
    char *at;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        double s;

        memcpy(&s, (char *)*items + mid * size, sizeof(s));
        if (s < step)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < *n) {
        double s;

        memcpy(&s, (char *)*items + lo * size, sizeof(s));
        if (s == step)
            return (char *)*items + lo * size;
    }
    if (!create || pruner_grow(items, cap, *n + 1, size))
        return NULL;
    at = (char *)*items + lo * size;
    memmove(at + size, at, (*n - lo) * size);
    memset(at, 0, size);
    memcpy(at, &step, sizeof(step));
    ++*n;
    if (created != NULL)
        *created = 1;
    return at;
}

/* The slot of job `job` in *items (*n used, capacity *cap, items of `size` bytes), found by
 * name in `running` (job name -> index). A job seen for the first time gets a zeroed slot
 * at the end and *created set. Slots are never reused, so the indices stay valid after a
 * job's name is deleted from `running`. NULL when out of memory. */
static inline void *pruner_job_slot(json_t *running, void **items, size_t *n, size_t *cap,
                                    size_t size, const char *job, int *created)
{
    json_t *idx = json_object_get(running, job);
    char *at;

    if (idx != NULL)
        return (char *)*items + (size_t)json_integer_value(idx) * size;
    if (pruner_grow(items, cap, *n + 1, size) ||
        json_object_set_new(running, job, json_integer((json_int_t)*n)) != 0)
        return NULL;
    at = (char *)*items + *n * size;
    memset(at, 0, size);
    ++*n;
    *created = 1;
    return at;
}

#endif
