/* Helpers shared by the bundled controllers: a seeded PRNG and drawing param values.
 * Public API only, like a user's controller. */
#ifndef MMARML_CONTROLLERS_SAMPLE_H
#define MMARML_CONTROLLERS_SAMPLE_H

#include "mmarml.h"

/* xoshiro256** seeded through splitmix64: fast, reproducible on every platform. */
typedef struct {
    uint64_t s[4];
} ctl_rng;

void ctl_rng_seed(ctl_rng *rng, uint64_t seed);
/* Uniform in [0, 1). */
double ctl_rng_uniform(ctl_rng *rng);
/* A random value for `param`: floats uniform (log-uniform with MMARML_PARAM_F_LOG), ints and
 * enum indices uniform over their integers. */
double ctl_sample_param(const mmarml_param *param, ctl_rng *rng);
/* The middle of the range: floats and ints at the (geometric, for log) midpoint, enums 0. */
double ctl_midpoint(const mmarml_param *param);
/* How many workers the run has (`_numWorkers`), at least 1: the size of a first batch that
 * keeps every worker busy. */
uint64_t ctl_num_workers(const mmarml_context *ctx);
/* set_search_space's common part: keep a reference to `space` in *kept (dropping any
 * previous one) and give *values room for one value per param. `who` names the controller
 * in messages. */
int ctl_keep_space(mmarml_search_space **kept, double **values, mmarml_search_space *space,
                   const char *who);
/* Build a recommendation over `space` from `values` and append it to `out`. */
int ctl_append(mmarml_recommendation_list *out, int64_t id, mmarml_search_space *space,
               const double *values);

#endif
