/*
 * TPEController: a multivariate Tree-structured Parzen Estimator (docs/controllers.md).
 *
 * Points live in [0, 1]^d: floats and ints normalised over their range (logarithmically on a
 * log scale), enums as choice indices. After n_startup random points, the best `good_max`
 * scores form the good set and the others the bad set; l(x) and g(x) are Parzen mixtures
 * (product Gaussian kernels over continuous dims, an Aitchison-Aitken kernel over enum dims,
 * plus a uniform prior). Candidates are drawn around good points and the one with the
 * highest l(x)/g(x) is proposed. Pending recommendations count as bad points for these
 * global proposals (a constant liar), so parallel proposals spread out.
 *
 * Only every GLOBAL_EVERY-th proposal is such a global one. The others come from a trust
 * region around the weighted mean of the RECOMBINE best points (recombined_centre):
 * LOCAL_CANDIDATES draws that move a random subset of the dimensions, ranked by the same
 * l(x)/g(x) with every kernel as wide as the region, so that the model compares them at
 * the scale of the step. The region widens after improvements
 * and narrows after a run of failures (TuRBO's rule), and starts over when it has shrunk
 * to nothing. In 10 dimensions and 100 trials this is what beats a global search
 * (bench/README.md).
 *
 * The PER_DIMENSION_PHASE proposals right after the start-up are drawn one dimension at a
 * time (Optuna's univariate TPE, parzen1d.c), and only then does the trust region take over:
 * the best of ten random points is far from good in most of ten dimensions, and steps that
 * move a few of them at a time took long to bring the rest in, while per-dimension l/g
 * moves every dimension toward the good points at once. Over 200 seeds of bench/controllers
 * this lowered the median regret by about a sixth at one worker and at four
 * (docs/controllers.md, bench/README.md).
 *
 * Once a job was pruned, every proposal after the start-up is drawn one dimension at a time
 * (per_dimension_point): ranked by how far they got, the jobs of a pruned search are the
 * rungs' choice of fast learners, and steps around the best of them, or a model of their
 * joint shape, kept choosing more of the same; per-dimension l/g spread over all good jobs
 * roughly halved the regret of every pruned row of bench/pruning's partial workload, and
 * left the adversarial one, where no pruner helps, about where it was (bench/README.md,
 * "Pruning").
 *
 * Cost per suggestion is bounded: the good set is at most `good_max` points kept sorted,
 * and the bad set a reservoir sample of at most `bad_max` points, both updated as outcomes
 * arrive; nothing rescans the history.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parzen1d.h"
#include "sample.h"

#define GOOD_MAX 25
#define BAD_MAX 256
#define CANDIDATES 64
#define DIM_CANDIDATES 24 /* per dimension (Optuna's n_ei_candidates) */
#define PER_DIMENSION_PHASE 14 /* proposals after the start-up drawn one dimension at a time */
#define BW_MIN 0.03       /* bandwidth floor, in units of the normalised range */
#define SAMPLE_WIDEN 3.0  /* candidates are drawn with a kernel this much wider (BOHB) */
/* the trust region (all in units of the normalised range) */
#define GLOBAL_EVERY 5      /* every 5th proposal is global, the others local */
#define LOCAL_CANDIDATES 4
#define LOCAL_MOVE 0.3      /* chance that a local step moves a dimension (one always moves) */
#define RECOMBINE 4         /* the region's centre: a weighted mean of this many best points */
#define RADIUS_START 0.3
#define RADIUS_MAX 0.5
#define RADIUS_MIN 0.005    /* below this the region starts over at RADIUS_START */
#define WIDEN_AFTER 2       /* improvements in a row */
#define NARROW_AFTER 6      /* outcomes without improvement in a row */

typedef struct {
    double *x; /* d values in [0, 1] (enum dims: the choice index) */
    double y;  /* score, higher is better */
    /* how far the job got: INFINITY for an ok job, the step of its last report for a pruned
     * one (ranked by that first, then by y: Optuna's order) */
    double reach;
    int64_t id;
} point;

typedef struct {
    uint64_t max_rounds, issued, outcomes, startup;
    ctl_rng rng;
    mmarml_search_space *space;
    double *values;
    size_t d;
    int *is_enum;
    size_t *choices;
    /* the model */
    point good[GOOD_MAX]; /* sorted, best first */
    size_t ngood;
    point bad[BAD_MAX]; /* reservoir */
    size_t nbad;
    uint64_t seen_bad; /* points that ever went to the bad set (for the reservoir) */
    uint64_t scored;   /* outcomes with a score */
    /* pending: issued, no outcome yet (constant liar) */
    point *pending;
    size_t npending, cap_pending;
    /* a small, fully discrete space: which combinations were issued (a bitmap), so none is
     * repeated and the controller stops when all were tried */
    uint8_t *tried;
    uint64_t combinations, ntried;
    double *cand, *scratch;
    double *centre; /* the trust region's centre (recombined_centre) */
    /* the trust region around the best points */
    double radius;
    unsigned improved, stalled; /* in a row */
    uint64_t proposals;         /* model proposals made, for GLOBAL_EVERY */
    int pruned_seen;            /* a pruned job came back: per-dimension proposals */
} tpe;

static const char *const me = "TPEController";

/* ---- the model's sets ---- */

static double *copy_x(const tpe *t, const double *x)
{
    double *c = malloc(t->d ? t->d * sizeof(double) : sizeof(double));

    if (c != NULL && t->d > 0)
        memcpy(c, x, t->d * sizeof(double));
    return c;
}

/* Put `p` (owning its x) into the bad reservoir, or drop it. */
static void add_bad(tpe *t, point p)
{
    uint64_t k;

    t->seen_bad++;
    if (t->nbad < BAD_MAX) {
        t->bad[t->nbad++] = p;
        return;
    }
    k = (uint64_t)(ctl_rng_uniform(&t->rng) * (double)t->seen_bad);
    if (k < BAD_MAX) {
        free(t->bad[k].x);
        t->bad[k] = p;
    } else {
        free(p.x);
    }
}

/* Is `a` ranked above `b`? A job that got further first, then the higher value. */
static int better(const point *a, const point *b)
{
    return a->reach > b->reach || (a->reach == b->reach && a->y > b->y);
}

/* Insert a scored point: into the sorted good set, pushing its worst out to the bad set. */
static void add_scored(tpe *t, point p)
{
    size_t i;

    if (t->ngood == GOOD_MAX && !better(&p, &t->good[GOOD_MAX - 1])) {
        add_bad(t, p);
        return;
    }
    if (t->ngood == GOOD_MAX)
        add_bad(t, t->good[--t->ngood]);
    for (i = t->ngood; i > 0 && better(&p, &t->good[i - 1]); i--)
        t->good[i] = t->good[i - 1];
    t->good[i] = p;
    t->ngood++;
}

/* How many of the good set model l(x): the top 15% of the scored points (at least 2). */
static size_t good_count(const tpe *t)
{
    size_t n = (size_t)ceil(0.15 * (double)t->scored);

    if (n < 2)
        n = 2;
    return n < t->ngood ? n : t->ngood;
}

/* ---- densities ---- */

/* Per-dimension bandwidths of a set (Scott's rule on its spread, bounded). */
static void bandwidths(const tpe *t, const point *set, size_t n, const point *extra,
                       size_t nextra, double *bw)
{
    size_t j, i, total = n + nextra;
    double factor = pow((double)(total > 1 ? total : 1), -1.0 / ((double)t->d + 4));

    for (j = 0; j < t->d; j++) {
        double mean = 0, var = 0, s;
        if (t->is_enum[j] || total < 2) {
            bw[j] = t->is_enum[j] ? 0 : 0.3;
            continue;
        }
        for (i = 0; i < n; i++)
            mean += set[i].x[j];
        for (i = 0; i < nextra; i++)
            mean += extra[i].x[j];
        mean /= (double)total;
        for (i = 0; i < n; i++)
            var += (set[i].x[j] - mean) * (set[i].x[j] - mean);
        for (i = 0; i < nextra; i++)
            var += (extra[i].x[j] - mean) * (extra[i].x[j] - mean);
        s = sqrt(var / (double)(total - 1));
        bw[j] = s * factor;
        if (bw[j] < BW_MIN)
            bw[j] = BW_MIN;
        if (bw[j] > 0.5)
            bw[j] = 0.5;
    }
}

/* log of the mixture density at x: kernels at the set's points plus a uniform prior. */
static double log_density(const tpe *t, const double *x, const point *set, size_t n,
                          const point *extra, size_t nextra, const double *bw)
{
    double sum = 1.0, log_norm = 0; /* the prior: density 1 on the unit cube */
    size_t i, j, total = n + nextra;

    for (j = 0; j < t->d; j++)
        if (!t->is_enum[j])
            log_norm += log(bw[j] * 2.5066282746310002);
    for (i = 0; i < total; i++) {
        const double *c = i < n ? set[i].x : extra[i - n].x;
        double e = 0, lp = 0;
        for (j = 0; j < t->d; j++) {
            if (t->is_enum[j]) {
                double k = (double)t->choices[j], eps = k > 1 ? 0.2 / k : 0;
                lp += log(c[j] == x[j] ? 1 - eps * (k - 1) : eps);
            } else {
                double z = (x[j] - c[j]) / bw[j];
                e += z * z;
            }
        }
        sum += exp(lp - 0.5 * e - log_norm);
    }
    return log(sum / (double)(total + 1));
}

/* ---- proposing ---- */

static void random_point(tpe *t, double *x)
{
    size_t j;

    for (j = 0; j < t->d; j++)
        x[j] = t->is_enum[j] ? floor(ctl_rng_uniform(&t->rng) * (double)t->choices[j])
                             : ctl_rng_uniform(&t->rng);
    for (j = 0; j < t->d; j++)
        if (t->is_enum[j] && x[j] >= (double)t->choices[j])
            x[j] = (double)t->choices[j] - 1;
}

/* The centre of the trust region: the weighted mean of the RECOMBINE best points, with
 * CMA-ES's log-rank weights, rather than the best point alone. A mean of several good
 * points averages out the part of each one's last step that was luck, so it is a better
 * place to step from than the single best (the (mu/mu_w, lambda) evolution strategy's
 * recombination); with several workers it also moves the centre by what all of their
 * recent steps found, not by the one that happened to win. On bench/controllers it cut
 * Rosenbrock-10's regret at 50 trials by 43% with four workers and 28% with one
 * (bench/README.md). Enum dimensions keep the best point's choice: a mean of choice
 * indices means nothing. */
static void recombined_centre(tpe *t)
{
    size_t mu = t->ngood < RECOMBINE ? t->ngood : RECOMBINE, i, j;
    double wsum = 0;

    for (j = 0; j < t->d; j++)
        t->centre[j] = 0;
    if (mu == 0) /* not reached: local steps need two scored points */
        return;
    for (i = 0; i < mu; i++) {
        double w = log((double)mu + 0.5) - log((double)i + 1);
        wsum += w;
        for (j = 0; j < t->d; j++)
            t->centre[j] += w * t->good[i].x[j];
    }
    for (j = 0; j < t->d; j++)
        t->centre[j] = t->is_enum[j] ? t->good[0].x[j] : t->centre[j] / wsum;
}

/* A step from the region's centre: a Gaussian of the region's radius on a random subset of
 * the dimensions (the others keep the centre's values). */
static void local_point(tpe *t, double *x)
{
    size_t j, always = t->d ? (size_t)(ctl_rng_uniform(&t->rng) * (double)t->d) % t->d : 0;

    for (j = 0; j < t->d; j++) {
        if (j != always && ctl_rng_uniform(&t->rng) >= LOCAL_MOVE) {
            x[j] = t->centre[j];
        } else if (t->is_enum[j]) {
            x[j] = floor(ctl_rng_uniform(&t->rng) * (double)t->choices[j]);
            if (x[j] >= (double)t->choices[j])
                x[j] = (double)t->choices[j] - 1;
        } else {
            double v = t->centre[j] + t->radius * ctl_rng_gaussian(&t->rng);
            x[j] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
    }
}

/* A global candidate: around a random good point with a kernel SAMPLE_WIDEN times wider, or
 * now and then from the uniform prior, as l(x) itself has a prior component. */
static void global_point(tpe *t, double *x, size_t ng, const double *bwl)
{
    const point *centre = &t->good[(size_t)(ctl_rng_uniform(&t->rng) * (double)ng) % ng];
    size_t j;

    if (ctl_rng_uniform(&t->rng) < 1.0 / (double)(ng + 1)) {
        random_point(t, x);
        return;
    }
    for (j = 0; j < t->d; j++) {
        if (t->is_enum[j]) {
            /* keep the centre's choice, or any other now and then */
            x[j] = ctl_rng_uniform(&t->rng) < 0.8
                       ? centre->x[j]
                       : floor(ctl_rng_uniform(&t->rng) * (double)t->choices[j]);
            if (x[j] >= (double)t->choices[j])
                x[j] = (double)t->choices[j] - 1;
        } else {
            double v;
            do /* truncated to the cube by redrawing */
                v = centre->x[j] + SAMPLE_WIDEN * bwl[j] * ctl_rng_gaussian(&t->rng);
            while (v < 0 || v > 1);
            x[j] = v;
        }
    }
}

/* The best candidate by l(x)/g(x): CANDIDATES global draws, or LOCAL_CANDIDATES steps in
 * the trust region ranked with kernels of its radius (local). */
static void model_point(tpe *t, double *best_x, int local)
{
    size_t ng = good_count(t), c, j, n = local ? LOCAL_CANDIDATES : CANDIDATES;
    double bw_l[64], bw_g[64], best = -INFINITY;
    double *bwl = t->d <= 64 ? bw_l : t->scratch, *bwg = t->d <= 64 ? bw_g : t->scratch + t->d;

    if (local) {
        recombined_centre(t);
        for (j = 0; j < t->d; j++)
            bwl[j] = bwg[j] = t->is_enum[j] ? 0 : t->radius > BW_MIN ? t->radius : BW_MIN;
    } else {
        bandwidths(t, t->good, ng, NULL, 0, bwl);
        bandwidths(t, t->good + ng, t->ngood - ng, t->bad, t->nbad, bwg);
    }
    for (c = 0; c < n; c++) {
        double *x = t->cand, score;
        if (local)
            local_point(t, x);
        else
            global_point(t, x, ng, bwl);
        /* pending points count as bad: a parallel global proposal avoids them. Not a local
         * one: the pending steps of the other workers sit around the same centre, and
         * counting them pushed every step out of the region (4 workers, bench/controllers:
         * Branin 0.0125 -> 0.0028 at 100 jobs, Rosenbrock-10 4,360 -> 2,999) */
        score = log_density(t, x, t->good, ng, NULL, 0, bwl) -
                log_density(t, x, t->good + ng, t->ngood - ng, t->bad, t->nbad, bwg);
        if (t->npending > 0 && !local)
            score -= log_density(t, x, t->pending, t->npending, NULL, 0, bwl) -
                     log_density(t, x, NULL, 0, NULL, 0, bwl);
        if (score > best) {
            best = score;
            memcpy(best_x, x, t->d * sizeof(double));
        }
    }
}

/* How many of the good set model l for per-dimension proposals: the best tenth of the
 * scored points (Optuna's gamma), at least one; all the others, failures and pending ones
 * model g. */
static size_t per_dimension_good(const tpe *t)
{
    size_t n = (size_t)ceil(0.1 * (double)t->scored);

    return n < 1 ? 1 : n < t->ngood ? n : t->ngood;
}

/* Each dimension on its own: DIM_CANDIDATES draws from l, the one with the highest
 * l/g kept. Out of memory, a random point. */
static void per_dimension_point(tpe *t, double *x)
{
    size_t ng = per_dimension_good(t), nb = t->ngood - ng + t->nbad + t->npending;
    size_t n = ng + nb, i, j, c;
    double *v = malloc((n + 1) * sizeof(double)), *age = malloc((n + 1) * sizeof(double));
    double *w = malloc((n + 1) * sizeof(double)), *scratch = malloc((n + 1) * sizeof(double));
    const point **all = malloc((n + 1) * sizeof(*all));

    if (v == NULL || age == NULL || w == NULL || scratch == NULL || all == NULL) {
        random_point(t, x);
        goto done;
    }
    for (i = 0; i < t->ngood; i++)
        all[i] = &t->good[i];
    for (i = 0; i < t->nbad; i++)
        all[t->ngood + i] = &t->bad[i];
    for (i = 0; i < t->npending; i++) /* a constant liar, as for the global proposals */
        all[t->ngood + t->nbad + i] = &t->pending[i];
    for (i = 0; i < n; i++)
        age[i] = (double)all[i]->id;
    age_weights(w, age, ng, scratch);
    age_weights(w + ng, age + ng, nb, scratch);
    for (j = 0; j < t->d; j++) {
        double best = -INFINITY;
        for (i = 0; i < n; i++)
            v[i] = all[i]->x[j];
        if (t->is_enum[j]) {
            size_t k = t->choices[j];
            double *pl = malloc(k * sizeof(double)), *pg = malloc(k * sizeof(double));
            if (pl == NULL || pg == NULL) {
                x[j] = floor(ctl_rng_uniform(&t->rng) * (double)k);
            } else {
                categorical_fit(pl, k, v, w, ng);
                categorical_fit(pg, k, v + ng, w + ng, nb);
                for (c = 0; c < DIM_CANDIDATES; c++) {
                    double u = ctl_rng_uniform(&t->rng), score;
                    size_t choice = 0;
                    while (choice + 1 < k && u >= pl[choice])
                        u -= pl[choice++];
                    score = log(pl[choice]) - log(pg[choice]);
                    if (score > best) {
                        best = score;
                        x[j] = (double)choice;
                    }
                }
            }
            free(pl);
            free(pg);
        } else {
            parzen1d l, g;
            if (parzen1d_fit(&l, v, w, ng) != MMARML_OK) {
                x[j] = ctl_rng_uniform(&t->rng);
                continue;
            }
            if (parzen1d_fit(&g, v + ng, w + ng, nb) != MMARML_OK) {
                parzen1d_free(&l);
                x[j] = ctl_rng_uniform(&t->rng);
                continue;
            }
            for (c = 0; c < DIM_CANDIDATES; c++) {
                double cand = parzen1d_sample(&l, &t->rng);
                double score = parzen1d_log_score(&l, cand) - parzen1d_log_score(&g, cand);
                if (score > best) {
                    best = score;
                    x[j] = cand;
                }
            }
            parzen1d_free(&l);
            parzen1d_free(&g);
        }
    }
done:
    free(v);
    free(age);
    free(w);
    free(scratch);
    free(all);
}

/* Index of the values' combination in a fully discrete space. */
static uint64_t combination(const tpe *t)
{
    uint64_t k = 0;
    size_t j;

    for (j = 0; j < t->d; j++) {
        const mmarml_param *p = mmarml_search_space_param(t->space, j);
        uint64_t count = (uint64_t)(mmarml_param_max(p) - mmarml_param_min(p)) + 1;
        k = k * count + (uint64_t)(t->values[j] - mmarml_param_min(p));
    }
    return k;
}

static int propose(mmarml_recommendation_list *out, tpe *t)
{
    size_t j;
    double *x = t->scratch + 2 * t->d;
    int rc, attempt;

    for (attempt = 0;; attempt++) {
        if (t->scored < t->startup || t->ngood < 2 || attempt > 0)
            random_point(t, x); /* a repeat is redrawn at random */
        else if (t->pruned_seen || t->scored < t->startup + PER_DIMENSION_PHASE)
            per_dimension_point(t, x);
        else
            model_point(t, x, t->proposals++ % GLOBAL_EVERY != GLOBAL_EVERY - 1);
        for (j = 0; j < t->d; j++)
            t->values[j] = ctl_from_unit(mmarml_search_space_param(t->space, j), x[j]);
        if (t->tried == NULL)
            break;
        if (!(t->tried[combination(t) / 8] & (1u << (combination(t) % 8))))
            break;
        if (attempt > 1000) { /* find the first untried combination */
            uint64_t k = 0, rest;
            while (t->tried[k / 8] & (1u << (k % 8)))
                k++;
            for (j = t->d, rest = k; j-- > 0;) {
                const mmarml_param *p = mmarml_search_space_param(t->space, j);
                uint64_t count = (uint64_t)(mmarml_param_max(p) - mmarml_param_min(p)) + 1;
                t->values[j] = mmarml_param_min(p) + (double)(rest % count);
                rest /= count;
            }
            break;
        }
    }
    if (t->tried != NULL) {
        uint64_t k = combination(t);
        t->tried[k / 8] |= (uint8_t)(1u << (k % 8));
        t->ntried++;
    }
    rc = ctl_append(out, (int64_t)t->issued, t->space, t->values);
    if (rc != MMARML_OK)
        return rc;
    if (t->npending == t->cap_pending) {
        size_t cap = t->cap_pending ? t->cap_pending * 2 : 16;
        point *p = realloc(t->pending, cap * sizeof(*p));
        if (p == NULL)
            return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
        t->pending = p;
        t->cap_pending = cap;
    }
    /* the pending point is where the recommendation really is (ints rounded) */
    for (j = 0; j < t->d; j++)
        x[j] = ctl_to_unit(mmarml_search_space_param(t->space, j), t->values[j]);
    t->pending[t->npending].x = copy_x(t, x);
    t->pending[t->npending].y = 0;
    t->pending[t->npending].reach = 0;
    t->pending[t->npending].id = (int64_t)t->issued;
    if (t->pending[t->npending].x == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    t->npending++;
    t->issued++;
    return MMARML_OK;
}

static int issue(mmarml_recommendation_list *out, tpe *t, uint64_t count)
{
    int rc = MMARML_OK;

    if (t->space == NULL)
        return mmarml_error_set(MMARML_EMISUSE, "%s: no search space was set", me);
    for (; rc == MMARML_OK && count > 0 && t->issued < t->max_rounds &&
           (t->tried == NULL || t->ntried < t->combinations);
         count--)
        rc = propose(out, t);
    return rc;
}

/* The trust region learns from every score: wider after improvements, narrower after a
 * run without, started over once it has shrunk to nothing. */
static void adapt_region(tpe *t, double score)
{
    if (t->ngood == 0)
        return;
    if (isfinite(t->good[0].reach) || score > t->good[0].y) { /* beats a pruned best too */
        t->stalled = 0;
        if (++t->improved >= WIDEN_AFTER) {
            t->improved = 0;
            t->radius = t->radius * 2 < RADIUS_MAX ? t->radius * 2 : RADIUS_MAX;
        }
    } else {
        t->improved = 0;
        if (++t->stalled >= NARROW_AFTER) {
            t->stalled = 0;
            t->radius /= 2;
            if (t->radius < RADIUS_MIN)
                t->radius = RADIUS_START;
        }
    }
}

/* ---- vtable ---- */

static void free_points(tpe *t)
{
    size_t i;

    for (i = 0; i < t->ngood; i++)
        free(t->good[i].x);
    for (i = 0; i < t->nbad; i++)
        free(t->bad[i].x);
    for (i = 0; i < t->npending; i++)
        free(t->pending[i].x);
    t->ngood = t->nbad = t->npending = 0;
}

static int tpe_set(mmarml_controller *self, mmarml_search_space *space, mmarml_context *ctx,
                   void *ud)
{
    tpe *t = ud;
    size_t j;
    int rc;

    (void)self;
    (void)ctx;
    free_points(t);
    t->radius = RADIUS_START;
    t->improved = t->stalled = 0;
    t->proposals = 0;
    t->pruned_seen = 0;
    if ((rc = ctl_keep_space(&t->space, &t->values, space, me)) != MMARML_OK)
        return rc;
    t->d = mmarml_search_space_count(space);
    free(t->is_enum);
    free(t->choices);
    free(t->cand);
    free(t->scratch);
    free(t->centre);
    t->is_enum = calloc(t->d + 1, sizeof(int));
    t->choices = calloc(t->d + 1, sizeof(size_t));
    t->cand = calloc(t->d + 1, sizeof(double));
    t->scratch = calloc(3 * t->d + 1, sizeof(double));
    t->centre = calloc(t->d + 1, sizeof(double));
    if (t->is_enum == NULL || t->choices == NULL || t->cand == NULL || t->scratch == NULL ||
        t->centre == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    t->combinations = 1;
    for (j = 0; j < t->d; j++) {
        const mmarml_param *p = mmarml_search_space_param(space, j);
        t->is_enum[j] = mmarml_param_type(p) == MMARML_PARAM_ENUM;
        t->choices[j] = mmarml_param_range_count(p);
        if (mmarml_param_type(p) == MMARML_PARAM_FLOAT ||
            mmarml_param_max(p) - mmarml_param_min(p) + 1 > (double)(1u << 20) / t->combinations)
            t->combinations = 0; /* continuous or large: no bookkeeping */
        else if (t->combinations > 0)
            t->combinations *= (uint64_t)(mmarml_param_max(p) - mmarml_param_min(p)) + 1;
    }
    free(t->tried);
    t->tried = NULL;
    t->ntried = 0;
    if (t->combinations > 0 && (t->tried = calloc(t->combinations / 8 + 1, 1)) == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    return MMARML_OK;
}

static int tpe_initial(mmarml_recommendation_list *out, mmarml_controller *self,
                       mmarml_context *ctx, void *ud)
{
    (void)self;
    return issue(out, ud, ctl_num_workers(ctx));
}

/* How far a pruned job got and the value it is ranked by among those that got as far: its
 * last step and last report while its steps increased; where they came in any order
 * (instance ids, MMARML_REPORT_STEPS_UNIQUE), how many it reported and the value it was
 * judged by (its best, last or mean report, as the engine was set). */
static void pruned_rank(const mmarml_outcome *outcome, double *reach, double *y)
{
    size_t n = mmarml_outcome_report_count(outcome), i;
    double step, prev = -INFINITY, value;

    for (i = 0; i < n; i++) {
        mmarml_outcome_report(outcome, i, &step, &value);
        if (!(step > prev))
            break;
        prev = step;
    }
    if (i == n || mmarml_outcome_value(outcome, y) != MMARML_OK) {
        mmarml_outcome_report(outcome, n - 1, reach, y);
        return;
    }
    *reach = (double)n;
}

static int tpe_refine(mmarml_recommendation_list *out, mmarml_controller *self,
                      const mmarml_outcome *outcome, mmarml_context *ctx, void *ud)
{
    tpe *t = ud;
    int64_t id = mmarml_recommendation_id(mmarml_outcome_recommendation(outcome));
    double score;
    size_t i;

    (void)self;
    for (i = 0; i < t->npending && t->pending[i].id != id; i++)
        ;
    if (i < t->npending) {
        point p = t->pending[i];
        t->pending[i] = t->pending[--t->npending];
        /* A job without a score (failed, out of time, no metric) goes to the bad set: the
         * search moves away from configurations that fail, yet no invented score ever
         * enters the good set or the ranking of real scores. A pruned job is ranked by how
         * far it got, then by its last reported value, below every job that ended ok. */
        if (mmarml_outcome_score(outcome, &score) == MMARML_OK && isfinite(score)) {
            p.y = score;
            p.reach = INFINITY;
            t->scored++;
            adapt_region(t, score);
            add_scored(t, p);
        } else if (mmarml_outcome_status(outcome) == MMARML_JOB_PRUNED &&
                   mmarml_outcome_report_count(outcome) > 0) {
            pruned_rank(outcome, &p.reach, &p.y);
            t->scored++;
            t->pruned_seen = 1;
            add_scored(t, p);
        } else {
            add_bad(t, p);
        }
    }
    if (ctl_count_outcome(&t->outcomes, t->max_rounds, ctx, me))
        return MMARML_OK;
    return issue(out, t, 1);
}

static void tpe_destroy(void *ud)
{
    tpe *t = ud;

    free_points(t);
    free(t->pending);
    free(t->tried);
    free(t->is_enum);
    free(t->choices);
    free(t->cand);
    free(t->scratch);
    free(t->centre);
    mmarml_search_space_unref(t->space);
    free(t->values);
    free(t);
}

int mmarml_controller_new_tpe(mmarml_controller **out, uint64_t max_rounds, uint64_t seed,
                              uint64_t n_startup)
{
    static const mmarml_controller_vtable vt = {
        .struct_size = sizeof(mmarml_controller_vtable),
        .version = MMARML_CONTROLLER_VTABLE_VERSION,
        .set_search_space = tpe_set,
        .initial_recommendation = tpe_initial,
        .refine_recommendation = tpe_refine,
        .destroy = tpe_destroy,
    };
    tpe *t;
    int rc;

    if (out != NULL)
        *out = NULL;
    if (max_rounds < 1)
        return mmarml_error_set(MMARML_EINVAL, "%s: max_rounds must be >= 1", me);
    t = calloc(1, sizeof(*t));
    if (t == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    t->max_rounds = max_rounds;
    t->startup = n_startup;
    t->radius = RADIUS_START;
    ctl_rng_seed(&t->rng, seed);
    rc = mmarml_controller_new(out, &vt, t);
    if (rc != MMARML_OK)
        free(t);
    return rc;
}
