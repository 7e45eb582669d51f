/*
 * WilcoxonPruner (mmarml/pruner.h, docs/components.md): Optuna's rule, for values that do not
 * converge (a score per problem instance, per cross-validation fold, per validation case):
 * a job is stopped when the Wilcoxon signed-rank test, on its values paired by step with the
 * best ended job's, says it is worse with a p-value below p_threshold, unless the mean of its
 * values is at least the best job's mean.
 *
 * Optuna's best trial is the complete trial with the best objective value. A pruner here is
 * not told scores, and the objective this rule is for is the mean over the instances, so the
 * best job is the one, among those that ended ok, with the highest mean of its reports.
 *
 * Steps are instance ids: a run with MMARML_REPORT_STEPS_UNIQUE takes them in any order, as
 * Optuna's example shuffles them per trial, and a pair is found by a binary search in the
 * best job's steps, sorted when it became the best.
 *
 * Optuna pairs and tests at every report, each test sorting every pair. So that a job
 * reporting 100,000 steps cannot hold the engine's lock for minutes, a job's pairs grow with
 * its reports (they are made again only when the best job changed), and past
 * JUDGE_EVERY_REPORT pairs a job is tested again only once its pairs grew by a
 * JUDGE_GROWTH-th.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mmarml.h"

#include "arrays.h"
#include "signed_rank.h"

#define JUDGE_EVERY_REPORT 1000
#define JUDGE_GROWTH 32

typedef struct {
    double step, value;
} point;

typedef struct {
    point *points; /* in the order reported: steps increase, or (MMARML_REPORT_STEPS_UNIQUE)
                    * come once each in any order; the best job's are sorted by step */
    size_t n, cap;
    double sum;
    /* the job's values less the best job's at the steps both reported, made from
     * points[0 .. paired) against the best job of best number `paired_with` */
    double *diffs;
    size_t ndiffs, capdiffs, paired;
    uint64_t paired_with;
    int overflowed; /* a difference is not finite: the job is not judged (Optuna: inf, NaN) */
    size_t judged_pairs; /* the pairs at the last test */
} series;

typedef struct {
    double p_threshold;
    uint64_t n_startup_steps;
    json_t *jobs; /* running job name -> index into slots */
    series *slots; /* a slot is not reused: indices in `jobs` stay valid */
    size_t nslots, capslots;
    series best; /* the reports of the ended-ok job with the highest mean */
    char *best_job;
    uint64_t best_number; /* counts the best jobs so far: pairs made against another are redone */
} wilcoxon;

static const char *const me = "WilcoxonPruner";

static void series_clear(series *s)
{
    free(s->points);
    free(s->diffs);
    memset(s, 0, sizeof(*s));
}

static double mean_of(const series *s)
{
    return s->sum / (double)s->n;
}

static int by_step(const void *a, const void *b)
{
    double x = ((const point *)a)->step, y = ((const point *)b)->step;

    return (x > y) - (x < y);
}

/* The best job's point at `step`, or NULL: its points are sorted by step. */
static const point *best_at(const wilcoxon *w, double step)
{
    size_t lo = 0, hi = w->best.n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (w->best.points[mid].step < step)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < w->best.n && w->best.points[lo].step == step ? &w->best.points[lo] : NULL;
}

/* Pair the job's reports not paired yet with the best job's, each by a binary search, so
 * that steps may come in any order; -1 when out of memory. */
static int pair_with_best(wilcoxon *w, series *job)
{
    if (job->paired_with != w->best_number) {
        job->ndiffs = job->paired = 0;
        job->paired_with = w->best_number;
        job->overflowed = 0;
    }
    for (; job->paired < job->n; job->paired++) {
        const point *p = &job->points[job->paired], *q = best_at(w, p->step);

        if (q == NULL)
            continue;
        if (pruner_grow((void **)&job->diffs, &job->capdiffs, job->ndiffs + 1, sizeof(double)))
            return -1;
        job->diffs[job->ndiffs] = p->value - q->value;
        job->overflowed |= !isfinite(job->diffs[job->ndiffs++]);
    }
    return 0;
}

/* 1 when the job is to be tested now, recording that it is: called last, once every other
 * reason not to test has been ruled out. */
static int due_for_a_test(series *s, size_t pairs)
{
    if (pairs > JUDGE_EVERY_REPORT && pairs < s->judged_pairs + s->judged_pairs / JUDGE_GROWTH)
        return 0;
    s->judged_pairs = pairs;
    return 1;
}

static int wilcoxon_report(int *stop_out, mmarml_pruner *self, const char *job,
                           uint64_t job_number, double step, double value, mmarml_context *ctx,
                           void *ud)
{
    wilcoxon *w = ud;
    int created = 0;
    series *s = pruner_job_slot(w->jobs, (void **)&w->slots, &w->nslots, &w->capslots,
                                sizeof(*w->slots), job, &created);
    size_t least = w->n_startup_steps > 2 ? (size_t)w->n_startup_steps : 2;
    double p;

    (void)self, (void)job_number;
    if (s == NULL || pruner_grow((void **)&s->points, &s->cap, s->n + 1, sizeof(point)))
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    s->points[s->n++] = (point){step, value};
    s->sum += value;
    if (w->best_job == NULL)
        return MMARML_OK;
    if (pair_with_best(w, s) != 0)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    /* a job whose mean is at least the best one's is never stopped (Optuna's safety); values
     * near DBL_MAX can overflow a difference or a sum, and such a job is not judged, as
     * Optuna judges no trial that reported an infinity */
    if (s->ndiffs < least || s->overflowed || !isfinite(s->sum) || !isfinite(w->best.sum) ||
        mean_of(s) >= mean_of(&w->best) || !due_for_a_test(s, s->ndiffs))
        return MMARML_OK;
    if (signed_rank_p_below(&p, s->diffs, s->ndiffs) != 0)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    if (p < w->p_threshold) {
        mmarml_context_trace(ctx, me, "job %s stopped at step %g: worse than the best job %s "
                             "on the %zu steps both reported (signed-rank p = %.3g < %g)",
                             job, step, w->best_job, s->ndiffs, p, w->p_threshold);
        *stop_out = 1;
    }
    return MMARML_OK;
}

static void wilcoxon_job_ended(mmarml_pruner *self, const char *job, uint64_t job_number,
                               int status, void *ud)
{
    wilcoxon *w = ud;
    json_t *idx = json_object_get(w->jobs, job);
    series *s;
    char *name;

    (void)self, (void)job_number;
    if (idx == NULL)
        return;
    s = &w->slots[json_integer_value(idx)];
    /* the first of equal means stays the best, as Optuna's best trial does; out of memory
     * for its name, the best stays what it was */
    if (status == MMARML_JOB_OK && s->n > 0 &&
        (w->best_job == NULL || mean_of(s) > mean_of(&w->best)) &&
        (name = strdup(job)) != NULL) {
        series was = w->best;

        w->best = *s;
        *s = was;
        qsort(w->best.points, w->best.n, sizeof(point), by_step);
        free(w->best_job);
        w->best_job = name;
        w->best_number++;
    }
    series_clear(s);
    json_object_del(w->jobs, job);
}

static void wilcoxon_destroy(void *ud)
{
    wilcoxon *w = ud;
    size_t i;

    for (i = 0; i < w->nslots; i++)
        series_clear(&w->slots[i]);
    free(w->slots);
    series_clear(&w->best);
    free(w->best_job);
    json_decref(w->jobs);
    free(w);
}

int mmarml_pruner_new_wilcoxon(mmarml_pruner **out, double p_threshold,
                               uint64_t n_startup_steps)
{
    static const mmarml_pruner_vtable vt = {
        .struct_size = sizeof(mmarml_pruner_vtable),
        .version = MMARML_PRUNER_VTABLE_VERSION,
        .report = wilcoxon_report,
        .job_ended = wilcoxon_job_ended,
        .destroy = wilcoxon_destroy,
    };
    wilcoxon *w;
    int rc;

    if (out == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s: out is NULL", me);
    *out = NULL;
    if (!(p_threshold >= 0 && p_threshold <= 1))
        return mmarml_error_set(MMARML_EINVAL, "%s: p_threshold must be between 0 and 1 (it "
                                "was %g)", me, p_threshold);
    w = calloc(1, sizeof(*w));
    if (w == NULL || (w->jobs = json_object()) == NULL) {
        free(w);
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    }
    w->p_threshold = p_threshold;
    w->n_startup_steps = n_startup_steps;
    rc = mmarml_pruner_new(out, &vt, w);
    if (rc != MMARML_OK)
        wilcoxon_destroy(w);
    return rc;
}
