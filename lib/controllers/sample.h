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
/* A standard normal draw (Box-Muller). */
double ctl_rng_gaussian(ctl_rng *rng);
/* A float or int value <-> its position in [0, 1] (logarithmic on a log scale); enum values
 * (choice indices) pass through unchanged. ctl_from_unit clips to [0, 1] and rounds ints. */
double ctl_to_unit(const mmarml_param *param, double value);
double ctl_from_unit(const mmarml_param *param, double u);
/* Count one more outcome; after `max_rounds` of them ask the run to stop with Clara's
 * message ("Number of runs reached N. Requesting stop.") and return 1. */
int ctl_count_outcome(uint64_t *outcomes, uint64_t max_rounds, mmarml_context *ctx,
                      const char *who);
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
