/*
 * A learning-curve model for bench/pruning's `learned` pruner (bench/README.md, "A pruner
 * that learns the curves' shares from the configs"). Where curves cross, they cross because
 * configs learn at different speeds, and the speed is a property of the config. So the model
 * learns, from the jobs that ended, what share of its final value a job has reached at each
 * step, as a smooth function of the config: per step, a least-squares fit of (value at the
 * step / final value) on the config's coordinates (linear from SHARE_MIN_JOBS ended jobs,
 * quadratic from SHARE_QUADRATIC_JOBS). A running job's final value is then estimated from
 * its own reports and the shares predicted for its config. No curve family is assumed, only
 * that nearby configs' curves have the same shape.
 */
#ifndef BENCH_SHARE_MODEL_H
#define BENCH_SHARE_MODEL_H

#define SHARE_DIMS 3             /* config coordinates, each in [0, 1] */
#define SHARE_STEPS 27           /* reports of a job that runs to the end, at steps 1.. */
#define SHARE_MAX_JOBS 1024      /* ended jobs kept */
#define SHARE_FEATURES 7         /* 1, x_i, x_i^2 */
#define SHARE_MIN_JOBS 5         /* no stop before: the linear fit */
#define SHARE_QUADRATIC_JOBS 10  /* the quadratic fit from here on */

typedef struct share_model {
    double x[SHARE_MAX_JOBS][SHARE_DIMS]; /* the ended jobs' configs ... */
    double v[SHARE_MAX_JOBS][SHARE_STEPS]; /* ... and reports */
    unsigned n;
    int fitted;
    /* per step: the share's coefficients, the inverse of the normal matrix, the residual
     * variance of the share (for the fit's own error at a config) */
    double coef[SHARE_STEPS][SHARE_FEATURES];
    double inv[SHARE_STEPS][SHARE_FEATURES][SHARE_FEATURES];
    double share_var[SHARE_STEPS];
    double noise_sd; /* the reports' noise, from second differences of the ended curves */
    double best;     /* the best ended job's final value, estimated from all its reports */
} share_model;

/* A job ran to the end with `reports` at steps 1..SHARE_STEPS: keep it and refit.
 * `m` starts zeroed. */
void share_model_add(share_model *m, const double *x, const double *reports);

/* Whether a job at config `x` that reported `reports` at steps 1..`steps` stops: its
 * estimated final value, raised by `z` standard errors (the reports' noise and the fitted
 * shares' own error), is below the best ended job's. Never before the model is fitted. */
int share_model_stops(const share_model *m, const double *x, const double *reports, int steps,
                      double z);

#endif
