#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sample.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void ctl_rng_seed(ctl_rng *rng, uint64_t seed)
{
    int i;

    for (i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t next(ctl_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double ctl_rng_uniform(ctl_rng *rng)
{
    return (double)(next(rng) >> 11) * 0x1.0p-53;
}

double ctl_sample_param(const mmarml_param *p, ctl_rng *rng)
{
    double lo = mmarml_param_min(p), hi = mmarml_param_max(p), u = ctl_rng_uniform(rng), v;

    if (mmarml_param_type(p) == MMARML_PARAM_ENUM) {
        v = floor(u * (hi + 1));
        return v > hi ? hi : v;
    }
    if (mmarml_param_flags(p) & MMARML_PARAM_F_LOG) {
        if (mmarml_param_type(p) == MMARML_PARAM_INT) {
            /* log-uniform over [lo - 0.5, hi + 0.5) then rounded: every integer reachable */
            double a = log(lo - 0.5 > 0 ? lo - 0.5 : lo), b = log(hi + 0.5);
            v = round(exp(a + u * (b - a)));
        } else {
            v = exp(log(lo) + u * (log(hi) - log(lo)));
        }
    } else if (mmarml_param_type(p) == MMARML_PARAM_INT) {
        v = lo + floor(u * (hi - lo + 1));
    } else {
        v = lo + u * (hi - lo);
    }
    return v < lo ? lo : v > hi ? hi : v;
}

double ctl_midpoint(const mmarml_param *p)
{
    double lo = mmarml_param_min(p), hi = mmarml_param_max(p), v;

    if (mmarml_param_type(p) == MMARML_PARAM_ENUM)
        return 0;
    if (mmarml_param_flags(p) & MMARML_PARAM_F_LOG)
        v = sqrt(lo * hi);
    else
        v = lo + (hi - lo) / 2;
    if (mmarml_param_type(p) == MMARML_PARAM_INT)
        v = floor(v + 0.5);
    return v < lo ? lo : v > hi ? hi : v;
}

double ctl_rng_gaussian(ctl_rng *rng)
{
    double u = ctl_rng_uniform(rng) + 1e-12, v = ctl_rng_uniform(rng);

    return sqrt(-2 * log(u)) * cos(2 * 3.14159265358979323846 * v);
}

double ctl_to_unit(const mmarml_param *p, double v)
{
    double lo = mmarml_param_min(p), hi = mmarml_param_max(p);

    if (mmarml_param_type(p) == MMARML_PARAM_ENUM)
        return v;
    if (hi <= lo)
        return 0.5;
    if (mmarml_param_flags(p) & MMARML_PARAM_F_LOG)
        return (log(v) - log(lo)) / (log(hi) - log(lo));
    return (v - lo) / (hi - lo);
}

double ctl_from_unit(const mmarml_param *p, double u)
{
    double lo = mmarml_param_min(p), hi = mmarml_param_max(p), v;

    if (mmarml_param_type(p) == MMARML_PARAM_ENUM)
        return u;
    u = u < 0 ? 0 : u > 1 ? 1 : u;
    v = mmarml_param_flags(p) & MMARML_PARAM_F_LOG ? exp(log(lo) + u * (log(hi) - log(lo)))
                                                    : lo + u * (hi - lo);
    if (mmarml_param_type(p) == MMARML_PARAM_INT)
        v = floor(v + 0.5);
    return v < lo ? lo : v > hi ? hi : v;
}

int ctl_count_outcome(uint64_t *outcomes, uint64_t max_rounds, mmarml_context *ctx,
                      const char *who)
{
    char msg[80];

    if (++*outcomes < max_rounds)
        return 0;
    snprintf(msg, sizeof(msg), "Number of runs reached %llu. Requesting stop.",
             (unsigned long long)max_rounds);
    mmarml_context_stop_work(ctx, who, msg);
    return 1;
}

uint64_t ctl_num_workers(const mmarml_context *ctx)
{
    int64_t workers = 1;

    if (mmarml_context_get_int(ctx, MMARML_KEY_NUM_WORKERS, &workers) != MMARML_OK ||
        workers < 1)
        workers = 1;
    return (uint64_t)workers;
}

int ctl_keep_space(mmarml_search_space **kept, double **values, mmarml_search_space *space,
                   const char *who)
{
    size_t n = mmarml_search_space_count(space);
    double *v = calloc(n ? n : 1, sizeof(double));

    if (v == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", who);
    free(*values);
    *values = v;
    mmarml_search_space_unref(*kept);
    *kept = mmarml_search_space_ref(space);
    return MMARML_OK;
}

int ctl_append(mmarml_recommendation_list *out, int64_t id, mmarml_search_space *space,
               const double *values)
{
    mmarml_recommendation *rec;
    int rc;

    rc = mmarml_recommendation_new(&rec, id, space, values, mmarml_search_space_count(space));
    if (rc != MMARML_OK)
        return rc;
    rc = mmarml_recommendation_list_append(out, rec);
    mmarml_recommendation_unref(rec);
    return rc;
}
