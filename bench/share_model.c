/* The learning-curve model of bench/pruning's `learned` pruner: see share_model.h. */
#include "share_model.h"

#include <math.h>
#include <string.h>

#define RIDGE 1e-3 /* keeps the normal matrix invertible when configs line up */

static int feature_count(unsigned jobs)
{
    return jobs >= SHARE_QUADRATIC_JOBS ? SHARE_FEATURES : 1 + SHARE_DIMS;
}

static void features(const double *x, double *phi)
{
    int i;

    phi[0] = 1;
    for (i = 0; i < SHARE_DIMS; i++) {
        phi[1 + i] = x[i];
        phi[1 + SHARE_DIMS + i] = x[i] * x[i];
    }
}

static double dot(const double *a, const double *b, int k)
{
    double s = 0;
    int i;

    for (i = 0; i < k; i++)
        s += a[i] * b[i];
    return s;
}

/* Solves a c = b for the leading k x k block (Gauss, partial pivoting); a and b are spent.
 * -1 if singular. */
static int solve(double a[SHARE_FEATURES][SHARE_FEATURES], double *b, double *c, int k)
{
    int i, j, row;

    for (i = 0; i < k; i++) {
        int pivot = i;
        double swap;

        for (row = i + 1; row < k; row++)
            if (fabs(a[row][i]) > fabs(a[pivot][i]))
                pivot = row;
        if (fabs(a[pivot][i]) < 1e-12)
            return -1;
        for (j = 0; j < k; j++)
            swap = a[i][j], a[i][j] = a[pivot][j], a[pivot][j] = swap;
        swap = b[i], b[i] = b[pivot], b[pivot] = swap;
        for (row = i + 1; row < k; row++) {
            double f = a[row][i] / a[i][i];

            for (j = i; j < k; j++)
                a[row][j] -= f * a[i][j];
            b[row] -= f * b[i];
        }
    }
    for (i = k - 1; i >= 0; i--)
        c[i] = (b[i] - dot(&a[i][i + 1], &c[i + 1], k - i - 1)) / a[i][i];
    return 0;
}

/* A job's final value in the scale of the shares: the mean of its last three reports. */
static double final_of(const double *reports)
{
    return (reports[SHARE_STEPS - 1] + reports[SHARE_STEPS - 2] + reports[SHARE_STEPS - 3]) / 3;
}

/* Step t's share: its coefficients, the normal matrix's inverse, the residual variance. */
static int fit_step(share_model *m, int t, int k, const double *finals)
{
    double a[SHARE_FEATURES][SHARE_FEATURES] = {{0}}, b[SHARE_FEATURES] = {0};
    double phi[SHARE_FEATURES], residuals = 0;
    unsigned j;
    int i, col;

    for (j = 0; j < m->n; j++) {
        features(m->x[j], phi);
        for (i = 0; i < k; i++) {
            for (col = 0; col < k; col++)
                a[i][col] += phi[i] * phi[col];
            b[i] += phi[i] * m->v[j][t] / finals[j];
        }
    }
    for (i = 0; i < k; i++)
        a[i][i] += RIDGE;
    for (col = 0; col < k; col++) {
        double copy[SHARE_FEATURES][SHARE_FEATURES], unit[SHARE_FEATURES] = {0};
        double column[SHARE_FEATURES];

        memcpy(copy, a, sizeof(copy));
        unit[col] = 1;
        if (solve(copy, unit, column, k) != 0)
            return -1;
        for (i = 0; i < k; i++)
            m->inv[t][i][col] = column[i];
    }
    if (solve(a, b, m->coef[t], k) != 0)
        return -1;
    for (j = 0; j < m->n; j++) {
        double e;

        features(m->x[j], phi);
        e = m->v[j][t] / finals[j] - dot(m->coef[t], phi, k);
        residuals += e * e;
    }
    m->share_var[t] = residuals / (double)(m->n - (unsigned)k);
    return 0;
}

/* The final value a job's reports give, with the shares predicted for its config, through
 * step `steps`; *sum_sq: the sum of the squared shares (the estimate's precision). */
static double estimate(const share_model *m, const double *phi, const double *reports,
                       int steps, double *sum_sq)
{
    double num = 0, den = 0;
    int t;

    for (t = 0; t < steps; t++) {
        double share = dot(m->coef[t], phi, SHARE_FEATURES);

        num += reports[t] * share;
        den += share * share;
    }
    *sum_sq = den;
    return den > 0 ? num / den * dot(m->coef[SHARE_STEPS - 1], phi, SHARE_FEATURES) : -INFINITY;
}

static void refit(share_model *m)
{
    double finals[SHARE_MAX_JOBS], d2 = 0, phi[SHARE_FEATURES], sum_sq;
    int k = feature_count(m->n), t;
    long count = 0;
    unsigned j;

    m->fitted = 0;
    if (m->n < SHARE_MIN_JOBS)
        return;
    memset(m->coef, 0, sizeof(m->coef)); /* the features past k count for nothing */
    memset(m->inv, 0, sizeof(m->inv));
    for (j = 0; j < m->n; j++)
        finals[j] = final_of(m->v[j]);
    for (t = 0; t < SHARE_STEPS; t++)
        if (fit_step(m, t, k, finals) != 0)
            return;
    /* The noise: a second difference of three reports has 6 times its variance, and on the
     * flat end of a curve little else. */
    for (j = 0; j < m->n; j++)
        for (t = SHARE_STEPS - 10; t < SHARE_STEPS - 1; t++) {
            double d = m->v[j][t + 1] - 2 * m->v[j][t] + m->v[j][t - 1];

            d2 += d * d, count++;
        }
    m->noise_sd = sqrt(d2 / (double)count / 6);
    m->best = -INFINITY;
    for (j = 0; j < m->n; j++) {
        double f;

        features(m->x[j], phi);
        f = estimate(m, phi, m->v[j], SHARE_STEPS, &sum_sq);
        if (f > m->best)
            m->best = f;
    }
    m->fitted = 1;
}

void share_model_add(share_model *m, const double *x, const double *reports)
{
    if (m->n == SHARE_MAX_JOBS)
        return;
    memcpy(m->x[m->n], x, sizeof(m->x[0]));
    memcpy(m->v[m->n], reports, sizeof(m->v[0]));
    m->n++;
    refit(m);
}

int share_model_stops(const share_model *m, const double *x, const double *reports, int steps,
                      double z)
{
    double phi[SHARE_FEATURES], sum_sq, final, scale, se, share, spread = 0;
    int i, j, last = steps - 1;

    if (!m->fitted || steps < 1 || steps > SHARE_STEPS)
        return 0;
    features(x, phi);
    final = estimate(m, phi, reports, steps, &sum_sq);
    if (!(sum_sq > 0))
        return 0;
    /* In the scale of the shares: the noise's part, then the fitted share's own error at
     * this config and the job's last step, as a relative error of the estimate. */
    scale = final / dot(m->coef[SHARE_STEPS - 1], phi, SHARE_FEATURES);
    se = m->noise_sd / sqrt(sum_sq);
    share = dot(m->coef[last], phi, SHARE_FEATURES);
    for (i = 0; i < SHARE_FEATURES; i++)
        for (j = 0; j < SHARE_FEATURES; j++)
            spread += phi[i] * m->inv[last][i][j] * phi[j];
    if (share > 0 && spread > 0) {
        double relative = sqrt(m->share_var[last] * spread) / share;

        se = sqrt(se * se + scale * relative * scale * relative);
    }
    return final + z * se * dot(m->coef[SHARE_STEPS - 1], phi, SHARE_FEATURES) < m->best;
}
