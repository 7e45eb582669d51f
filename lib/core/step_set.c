/* The steps a job reported (step_set.h). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "step_set.h"

#define EMPTY (-1.0)

/* splitmix64's finaliser over the step's bits: steps that differ in any bit spread. */
static size_t slot_of(double step, size_t cap)
{
    uint64_t h;

    step += 0.0; /* -0 is 0 */
    memcpy(&h, &step, sizeof(h));
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9u;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebu;
    h ^= h >> 31;
    return (size_t)h & (cap - 1);
}

int step_set_has(const step_set *s, double step)
{
    size_t i;

    if (s->cap == 0)
        return 0;
    for (i = slot_of(step, s->cap); s->slots[i] != EMPTY; i = (i + 1) & (s->cap - 1))
        if (s->slots[i] == step)
            return 1;
    return 0;
}

static void insert(double *slots, size_t cap, double step)
{
    size_t i = slot_of(step, cap);

    while (slots[i] != EMPTY)
        i = (i + 1) & (cap - 1);
    slots[i] = step + 0.0;
}

int step_set_add(step_set *s, double step)
{
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16, i;
        double *slots = malloc(cap * sizeof(*slots));

        if (slots == NULL)
            return -1;
        for (i = 0; i < cap; i++)
            slots[i] = EMPTY;
        for (i = 0; i < s->cap; i++)
            if (s->slots[i] != EMPTY)
                insert(slots, cap, s->slots[i]);
        free(s->slots);
        s->slots = slots;
        s->cap = cap;
    }
    insert(s->slots, s->cap, step);
    s->n++;
    return 0;
}

void step_set_free(step_set *s)
{
    free(s->slots);
    memset(s, 0, sizeof(*s));
}
