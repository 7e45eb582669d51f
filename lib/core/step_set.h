/*
 * The steps a job reported, when a run takes them in any order (MMARML_REPORT_STEPS_UNIQUE):
 * a set of doubles, so that a repeated step is found in constant time however many steps a
 * hostile trainer reports, in whatever order.
 */
#ifndef MMARML_STEP_SET_H
#define MMARML_STEP_SET_H

#include <stddef.h>

typedef struct {
    double *slots; /* open addressing; an empty slot holds -1 (steps are >= 0) */
    size_t n, cap; /* cap: 0 or a power of two, kept at least twice n */
} step_set;

/* 1 when `step` is in the set, else 0. */
int step_set_has(const step_set *s, double step);
/* Add `step` (not in the set). @return 0, or -1 out of memory (the set is as it was). */
int step_set_add(step_set *s, double step);
void step_set_free(step_set *s);

#endif
