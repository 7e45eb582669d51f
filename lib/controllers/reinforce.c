/*
 * ReinforcementController (D6): Clara's default controller, re-implemented from its
 * description; not bit-compatible with Clara (docs/controllers.md has the update rule).
 *
 * An enum-only space whose combinations fit in max_rounds: every combination at once.
 * Otherwise a REINFORCE policy: each float/int param is a Gaussian (mean mu, spread sigma)
 * over its range normalised to [0, 1] (log-normalised on a log scale), each enum a softmax
 * over logits. Every outcome with a score updates the policy with the advantage of that
 * score over a moving-average baseline; outcomes without a score leave it as it was.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sample.h"

typedef struct {
    uint64_t max_rounds, issued, outcomes;
    double lr, baseline_decay;
    ctl_rng rng;
    mmarml_search_space *space;
    double *values;
    /* policy: per param, mu and log sigma (floats, ints) or logits (enums) */
    double *mu, *log_sigma, **logits;
    int enumerate;        /* enum-only and small: all combinations at once */
    int have_baseline;
    double baseline, spread; /* moving average of scores and of |score - baseline| */
} reinforce;

static const char *const me = "ReinforcementController";

#define SIGMA_MIN 0.02
#define SIGMA_MAX 0.5

static void softmax(const double *logits, size_t n, double *p)
{
    double m = logits[0], sum = 0;
    size_t k;

    for (k = 1; k < n; k++)
        m = logits[k] > m ? logits[k] : m;
    for (k = 0; k < n; k++)
        sum += p[k] = exp(logits[k] - m);
    for (k = 0; k < n; k++)
        p[k] /= sum;
}

static void free_policy(reinforce *r)
{
    size_t i, n = mmarml_search_space_count(r->space);

    for (i = 0; r->logits != NULL && i < n; i++)
        free(r->logits[i]);
    free(r->logits);
    free(r->mu);
    free(r->log_sigma);
    r->logits = NULL;
    r->mu = r->log_sigma = NULL;
}

static int rl_set(mmarml_controller *self, mmarml_search_space *space, mmarml_context *ctx,
                  void *ud)
{
    reinforce *r = ud;
    size_t i, n = mmarml_search_space_count(space);
    double combinations = 1;
    int rc;

    (void)self;
    (void)ctx;
    free_policy(r);
    if ((rc = ctl_keep_space(&r->space, &r->values, space, me)) != MMARML_OK)
        return rc;
    r->mu = calloc(n ? n : 1, sizeof(double));
    r->log_sigma = calloc(n ? n : 1, sizeof(double));
    r->logits = calloc(n ? n : 1, sizeof(double *));
    if (r->mu == NULL || r->log_sigma == NULL || r->logits == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    r->enumerate = 1;
    for (i = 0; i < n; i++) {
        const mmarml_param *p = mmarml_search_space_param(space, i);
        if (mmarml_param_type(p) == MMARML_PARAM_ENUM) {
            size_t k = mmarml_param_range_count(p);
            combinations *= (double)k;
            if ((r->logits[i] = calloc(k, sizeof(double))) == NULL)
                return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
        } else {
            r->enumerate = 0;
            r->mu[i] = 0.5;
            r->log_sigma[i] = log(0.25);
        }
    }
    if (combinations > (double)r->max_rounds)
        r->enumerate = 0;
    return MMARML_OK;
}

/* Every combination of an enum-only space, odometer order (last param fastest). */
static int rl_enumerate(mmarml_recommendation_list *out, reinforce *r)
{
    size_t i, n = mmarml_search_space_count(r->space);
    uint64_t total = 1, k, c;
    int rc = MMARML_OK;

    for (i = 0; i < n; i++)
        total *= mmarml_param_range_count(mmarml_search_space_param(r->space, i));
    for (c = 0; rc == MMARML_OK && c < total; c++) {
        for (k = c, i = n; i-- > 0;) {
            uint64_t count = mmarml_param_range_count(mmarml_search_space_param(r->space, i));
            r->values[i] = (double)(k % count);
            k /= count;
        }
        rc = ctl_append(out, (int64_t)r->issued++, r->space, r->values);
    }
    return rc;
}

/* Draw one recommendation from the policy. */
static int rl_sample(mmarml_recommendation_list *out, reinforce *r)
{
    size_t i, k, n = mmarml_search_space_count(r->space);
    double p[256];

    for (i = 0; i < n; i++) {
        const mmarml_param *param = mmarml_search_space_param(r->space, i);
        if (mmarml_param_type(param) == MMARML_PARAM_ENUM) {
            size_t count = mmarml_param_range_count(param);
            double u = ctl_rng_uniform(&r->rng), acc = 0;
            double *probs = count <= 256 ? p : malloc(count * sizeof(double));
            if (probs == NULL)
                return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
            softmax(r->logits[i], count, probs);
            for (k = 0; k + 1 < count && (acc += probs[k]) <= u; k++)
                ;
            r->values[i] = (double)k;
            if (probs != p)
                free(probs);
        } else {
            double u = r->mu[i] + exp(r->log_sigma[i]) * ctl_rng_gaussian(&r->rng);
            r->values[i] = ctl_from_unit(param, u);
        }
    }
    return ctl_append(out, (int64_t)r->issued++, r->space, r->values);
}

static int rl_issue(mmarml_recommendation_list *out, reinforce *r, uint64_t count)
{
    int rc = MMARML_OK;

    if (r->space == NULL)
        return mmarml_error_set(MMARML_EMISUSE, "%s: no search space was set", me);
    for (; rc == MMARML_OK && count > 0 && r->issued < r->max_rounds; count--)
        rc = rl_sample(out, r);
    return rc;
}

static int rl_initial(mmarml_recommendation_list *out, mmarml_controller *self,
                      mmarml_context *ctx, void *ud)
{
    reinforce *r = ud;

    (void)self;
    if (r->enumerate)
        return rl_enumerate(out, r);
    return rl_issue(out, r, ctl_num_workers(ctx));
}

/* One REINFORCE step with the outcome's recommendation as the action taken. */
static void rl_update(reinforce *r, const mmarml_recommendation *rec, double score)
{
    const double *v = mmarml_recommendation_values(rec);
    size_t i, k, n = mmarml_search_space_count(r->space);
    double advantage, p[256];

    if (!r->have_baseline) {
        r->have_baseline = 1;
        r->baseline = score;
        r->spread = 0;
        return;
    }
    /* the advantage, scaled by the typical deviation so that the step does not depend on
     * the units of the score */
    advantage = score - r->baseline;
    r->spread += r->baseline_decay * (fabs(advantage) - r->spread);
    r->baseline += r->baseline_decay * advantage;
    if (r->spread <= 0)
        return;
    advantage /= r->spread;
    if (advantage > 3)
        advantage = 3;
    if (advantage < -3)
        advantage = -3;
    for (i = 0; i < n; i++) {
        const mmarml_param *param = mmarml_search_space_param(r->space, i);
        if (isnan(v[i]))
            continue;
        if (mmarml_param_type(param) == MMARML_PARAM_ENUM) {
            size_t count = mmarml_param_range_count(param);
            if (count > 256)
                continue;
            softmax(r->logits[i], count, p);
            for (k = 0; k < count; k++) /* d log pi / d logit_k = [k chosen] - p_k */
                r->logits[i][k] += r->lr * advantage * ((k == (size_t)v[i]) - p[k]);
        } else {
            double sigma = exp(r->log_sigma[i]), z = (ctl_to_unit(param, v[i]) - r->mu[i]) / sigma;
            /* d log pi / d mu = z / sigma; d log pi / d log sigma = z^2 - 1. The mean step
             * is scaled by sigma^2 (a natural-gradient step) so it stays inside [0, 1]. */
            r->mu[i] += r->lr * advantage * z * sigma;
            r->mu[i] = r->mu[i] < 0 ? 0 : r->mu[i] > 1 ? 1 : r->mu[i];
            r->log_sigma[i] += 0.5 * r->lr * advantage * (z * z - 1);
            if (r->log_sigma[i] < log(SIGMA_MIN))
                r->log_sigma[i] = log(SIGMA_MIN);
            if (r->log_sigma[i] > log(SIGMA_MAX))
                r->log_sigma[i] = log(SIGMA_MAX);
        }
    }
}

static int rl_refine(mmarml_recommendation_list *out, mmarml_controller *self,
                     const mmarml_outcome *outcome, mmarml_context *ctx, void *ud)
{
    reinforce *r = ud;
    double score;

    (void)self;
    if (r->enumerate)
        return MMARML_OK; /* all combinations were issued; the run ends when they are back */
    if (mmarml_outcome_score(outcome, &score) == MMARML_OK)
        rl_update(r, mmarml_outcome_recommendation(outcome), score);
    if (ctl_count_outcome(&r->outcomes, r->max_rounds, ctx, me))
        return MMARML_OK;
    return rl_issue(out, r, 1);
}

static void rl_destroy(void *ud)
{
    reinforce *r = ud;

    free_policy(r);
    mmarml_search_space_unref(r->space);
    free(r->values);
    free(r);
}

int mmarml_controller_new_reinforce(mmarml_controller **out, uint64_t max_rounds, uint64_t seed,
                                    double learning_rate)
{
    static const mmarml_controller_vtable vt = {
        .struct_size = sizeof(mmarml_controller_vtable),
        .version = MMARML_CONTROLLER_VTABLE_VERSION,
        .set_search_space = rl_set,
        .initial_recommendation = rl_initial,
        .refine_recommendation = rl_refine,
        .destroy = rl_destroy,
    };
    reinforce *r;
    int rc;

    if (out != NULL)
        *out = NULL;
    if (max_rounds < 1 || !(learning_rate > 0) || !isfinite(learning_rate))
        return mmarml_error_set(MMARML_EINVAL, "%s: max_rounds must be >= 1 and learning_rate "
                                "> 0", me);
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    r->max_rounds = max_rounds;
    r->lr = learning_rate;
    r->baseline_decay = 0.2;
    ctl_rng_seed(&r->rng, seed);
    rc = mmarml_controller_new(out, &vt, r);
    if (rc != MMARML_OK)
        free(r);
    return rc;
}
