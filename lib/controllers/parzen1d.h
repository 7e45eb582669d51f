/* One-dimensional Parzen estimators for TPEController's per-dimension proposals (the 14
 * after its start-up, and all of them after a pruned job; docs/controllers.md, "A
 * per-dimension proposal"): Optuna's univariate TPE on [0, 1]. */
#ifndef MMARML_CONTROLLERS_PARZEN1D_H
#define MMARML_CONTROLLERS_PARZEN1D_H

#include <stddef.h>

#include "sample.h"

/* A mixture of Gaussians truncated to [0, 1]: one per observation, where its neighbours
 * are (the larger gap, within [1 / min(100, n + 2), 1]), plus a prior N(0.5, 1). */
typedef struct {
    double *mu, *sigma, *weight, *mass; /* mass: the part of the kernel inside [0, 1] */
    double total;                       /* sum of the weights */
    size_t n;                           /* kernels, the prior included */
} parzen1d;

/* Fit on x[0..n) with the given weights (NULL: all 1) and a prior of weight 1. The
 * estimator owns its memory: parzen1d_free() it. MMARML_OK or MMARML_ENOMEM. */
int parzen1d_fit(parzen1d *p, const double *x, const double *weights, size_t n);
void parzen1d_free(parzen1d *p);
/* log of the mixture's kernel sum at x, each kernel exp(-z^2 / 2) / mass, *not* divided by
 * its width: see parzen1d.c for why. */
double parzen1d_log_score(const parzen1d *p, double x);
/* A draw: a kernel by weight, then a point of it inside [0, 1]. */
double parzen1d_sample(const parzen1d *p, ctl_rng *rng);

/* The same over the choices of an enum: each observation's weight on its choice, plus the
 * prior's weight spread evenly over all `k` choices. `p` gets k probabilities. */
void categorical_fit(double *p, size_t k, const double *choice, const double *weights,
                     size_t n);
/* Weights by age, as Optuna's default: with n > 25 observations the oldest n - 25 ramp up
 * linearly from 1/n, the newest 25 weigh 1. `age` ranks the observations (any increasing
 * key, e.g. the recommendation id). `scratch` holds n doubles. */
void age_weights(double *weights, const double *age, size_t n, double *scratch);

#endif
