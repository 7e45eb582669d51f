/* Early stopping: ASHA's, Hyperband's, the median's and LearnedCurvePruner's decisions on
 * hand-made report sequences (check_pruner_optuna.c has Percentile, Threshold and Patient),
 * and the engine's side (reports through mmarml_job_report, status `pruned`, its score, the
 * reports on the outcome and in the journal, a resumed run's pruner deciding as the first
 * one). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

/* ---- ASHA ---- */

START_TEST(asha_keeps_the_top_of_each_rung)
{
    mmarml_pruner *p = NULL;

    ck_ok(mmarml_pruner_new_asha(&p, 1, 3, 0));
    /* rung at step 1: the top max(1, floor(n / 3)) go on */
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.5), 0);  /* the first: the best so far */
    ck_assert_int_eq(tu_report(p, "b", 2, 1, 0.4), 1);  /* 2nd of 2 */
    ck_assert_int_eq(tu_report(p, "c", 3, 1, 0.6), 0);  /* 1st of 3 */
    ck_assert_int_eq(tu_report(p, "d", 4, 1, 0.6), 0);  /* a tie with the best: kept */
    ck_assert_int_eq(tu_report(p, "e", 5, 1, 0.55), 1); /* 3rd of 5, top 1 */
    ck_assert_int_eq(tu_report(p, "f", 6, 1, 0.55), 1); /* 3rd of 6, top 2 */
    ck_assert_int_eq(tu_report(p, "g", 7, 1, 0.6), 0);  /* tied 1st of 7, top 2 */
    /* a job's later reports between rungs are not judged */
    ck_assert_int_eq(tu_report(p, "a", 1, 2, 0.0), 0);
    mmarml_pruner_unref(p);
}
END_TEST

START_TEST(asha_judges_every_rung_a_report_passes)
{
    mmarml_pruner *p = NULL;

    ck_ok(mmarml_pruner_new_asha(&p, 1, 2, 0)); /* rungs 1, 2, 4, 8, ... */
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.2), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 8, 0.9), 0); /* first at rungs 2, 4 and 8 */
    /* a late arrival at step 5: rung 1 (1st of 2) passed, rung 2 (2nd of 2) not */
    ck_assert_int_eq(tu_report(p, "b", 2, 5, 0.3), 1);
    ck_assert_int_eq(tu_report(p, "c", 3, 1.5, 0.35), 0); /* rung 1 only: 1st of 3 */
    ck_assert_int_eq(tu_report(p, "c", 3, 2, 0.1), 1);    /* rung 2: 0.9, 0.3, 0.1 */
    mmarml_pruner_unref(p);
}
END_TEST

START_TEST(asha_has_no_rung_at_max_resource)
{
    mmarml_pruner *p = NULL;

    ck_ok(mmarml_pruner_new_asha(&p, 2, 2, 4)); /* one rung: step 2 */
    ck_assert_int_eq(tu_report(p, "a", 1, 2, 0.5), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 4, 0.9), 0);
    ck_assert_int_eq(tu_report(p, "b", 2, 2, 0.6), 0);
    ck_assert_int_eq(tu_report(p, "b", 2, 4, 0.1), 0); /* would be 2nd of 2 at a rung 4 */
    /* a job that reported nothing ends: nothing changes */
    mmarml_pruner_job_ended(p, "silent", 3, MMARML_JOB_FAILED);
    ck_assert_int_eq(tu_report(p, "c", 4, 2, 0.55), 1); /* 2nd of 3 at rung 2, top 1 */
    mmarml_pruner_unref(p);
}
END_TEST

START_TEST(asha_refuses_impossible_args)
{
    mmarml_pruner *p = NULL;

    ck_assert_int_eq(mmarml_pruner_new_asha(&p, 0, 3, 0), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_asha(&p, 1, 1.5, 0), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_asha(&p, 4, 3, 2), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_asha(&p, NAN, 3, 0), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_hyperband(&p, 1, 3, 0), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_asha(&p, -2, 3, 0), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_asha(&p, 1, 3, -0.5), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_hyperband(&p, 1, 3, INFINITY), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_median(&p, 1, -1, 1), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_median(&p, 1, 0, 0), MMARML_EINVAL);
    ck_assert_ptr_null(p);
    ck_ok(mmarml_pruner_new_asha(&p, 1, 3, 0));
    ck_assert_int_eq(mmarml_pruner_report(&(int){0}, p, "a", 1, NAN, 1, NULL), MMARML_EINVAL);
    mmarml_pruner_unref(p);
}
END_TEST

/* ---- Hyperband ---- */

/* Jobs 1..n each report one value at step 1 and 3, every one worse than all before. */
static void hyperband_sweep(mmarml_pruner *p, int n, int *went_on_1, int *went_on_3)
{
    int k;
    char job[16];

    *went_on_1 = *went_on_3 = 0;
    for (k = 1; k <= n; k++) {
        snprintf(job, sizeof(job), "j%d", k);
        if (tu_report(p, job, (uint64_t)k, 1, -k))
            continue;
        ++*went_on_1;
        *went_on_3 += !tu_report(p, job, (uint64_t)k, 3, -k);
    }
}

START_TEST(hyperband_compares_jobs_within_their_bracket)
{
    mmarml_pruner *p = NULL, *q = NULL;
    int on1, on3, again1, again3;

    /* brackets with first rungs at 1, 3 and 9 (9 is max: none), budgets 9 : 5 : 3 */
    ck_ok(mmarml_pruner_new_hyperband(&p, 1, 3, 9));
    hyperband_sweep(p, 170, &on1, &on3);
    /* bracket 0 stops all but its first at step 1; brackets 1 and 2 are not judged there:
     * about 8/17 of the jobs go on (ASHA alone: 1) */
    ck_assert_int_ge(on1, 50);
    ck_assert_int_le(on1, 110);
    /* at step 3 bracket 1 stops all but its first; bracket 2 (about 3/17) goes on */
    ck_assert_int_ge(on3, 15);
    ck_assert_int_lt(on3, on1 - 25);
    /* the bracket of a job is a function of its number: a second pruner agrees */
    ck_ok(mmarml_pruner_new_hyperband(&q, 1, 3, 9));
    hyperband_sweep(q, 170, &again1, &again3);
    ck_assert_int_eq(again1, on1);
    ck_assert_int_eq(again3, on3);
    mmarml_pruner_unref(p);
    mmarml_pruner_unref(q);
}
END_TEST

START_TEST(asha_learns_an_auto_min_resource_from_the_first_ok_job)
{
    mmarml_pruner *p = NULL;
    int k;

    ck_ok(mmarml_pruner_new_asha(&p, MMARML_PRUNER_RESOURCE_AUTO, 3, 0));
    /* until a job ended ok nothing is judged, however bad */
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.9), 0);
    for (k = 1; k <= 300; k++)
        ck_assert_int_eq(tu_report(p, "b", 2, k, 0.1), 0);
    mmarml_pruner_job_ended(p, "a", 1, MMARML_JOB_PRUNED); /* not ok: nothing learned */
    ck_assert_int_eq(tu_report(p, "c", 3, 1, 0.0), 0);
    mmarml_pruner_job_ended(p, "b", 2, MMARML_JOB_OK); /* last step 300: min_resource 3 */
    /* rungs at 3, 9, 27, ...: c's step 2 is none; at 3 it is the first */
    ck_assert_int_eq(tu_report(p, "c", 3, 2, 0.0), 0);
    ck_assert_int_eq(tu_report(p, "c", 3, 3, 0.5), 0);
    ck_assert_int_eq(tu_report(p, "d", 4, 3, 0.4), 1); /* 2nd of 2 at rung 3 */
    ck_assert_int_eq(tu_report(p, "e", 5, 8, 0.6), 0); /* rung 3 only: 1st of 3 */
    ck_assert_int_eq(tu_report(p, "e", 5, 9, 0.6), 0); /* rung 9: the first there */
    mmarml_pruner_unref(p);
    /* a shorter training: floor(50 / 100) is 0, and min_resource at least 1 */
    ck_ok(mmarml_pruner_new_asha(&p, MMARML_PRUNER_RESOURCE_AUTO, 3, 0));
    ck_assert_int_eq(tu_report(p, "a", 1, 50, 0.5), 0);
    mmarml_pruner_job_ended(p, "a", 1, MMARML_JOB_OK);
    ck_assert_int_eq(tu_report(p, "b", 2, 1, 0.5), 0); /* rung 1: the first */
    ck_assert_int_eq(tu_report(p, "c", 3, 1, 0.4), 1); /* 2nd of 2 */
    mmarml_pruner_unref(p);
}
END_TEST

START_TEST(hyperband_learns_an_auto_max_resource_from_the_first_ok_job)
{
    mmarml_pruner *p = NULL, *q = NULL;
    int on1, on3, want1, want3, k;

    ck_ok(mmarml_pruner_new_hyperband(&p, 1, 3, MMARML_PRUNER_RESOURCE_AUTO));
    /* a first job trains to step 9 unjudged, better than every later one, and ends ok */
    for (k = 1; k <= 9; k++)
        ck_assert_int_eq(tu_report(p, "first", 1000, k, 1.0), 0);
    mmarml_pruner_job_ended(p, "first", 1000, MMARML_JOB_OK);
    /* from here it decides as max_resource 9 does (brackets at 1, 3 and 9): the first job's
     * reports, made before, are at no rung */
    ck_ok(mmarml_pruner_new_hyperband(&q, 1, 3, 9));
    hyperband_sweep(p, 170, &on1, &on3);
    hyperband_sweep(q, 170, &want1, &want3);
    ck_assert_int_eq(on1, want1);
    ck_assert_int_eq(on3, want3);
    ck_assert_int_lt(on3, 170);
    mmarml_pruner_unref(p);
    mmarml_pruner_unref(q);
    /* an ok job whose last step is below min_resource: no rung, nothing is ever stopped */
    ck_ok(mmarml_pruner_new_hyperband(&p, 2, 3, MMARML_PRUNER_RESOURCE_AUTO));
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.5), 0);
    mmarml_pruner_job_ended(p, "a", 1, MMARML_JOB_OK);
    for (k = 2; k <= 40; k++)
        ck_assert_int_eq(tu_report(p, "b", (uint64_t)k, 2, -k), 0);
    mmarml_pruner_unref(p);
}
END_TEST

START_TEST(job_reports_need_a_job_the_engine_runs)
{
    mmarml_context *ctx = NULL;
    double *pairs = (double *)&pairs;
    size_t n = 7;

    ck_ok(mmarml_context_new(&ctx, NULL));
    ck_ok(mmarml_job_report(ctx, 1, 0.5, NULL)); /* nobody to tell: nothing kept */
    ck_assert_int_eq(mmarml_job_reports(ctx, &pairs, &n), MMARML_ENOTFOUND);
    ck_assert_ptr_null(pairs);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(mmarml_job_reports(NULL, &pairs, &n), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_job_reports(ctx, NULL, &n), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_job_reports(ctx, &pairs, NULL), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_job_report_times(ctx, &pairs, &n), MMARML_ENOTFOUND);
    ck_assert_ptr_null(pairs);
    ck_assert_int_eq(mmarml_job_report_times(ctx, NULL, &n), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_job_report_times(ctx, &pairs, NULL), MMARML_EINVAL);
    mmarml_context_unref(ctx);
}
END_TEST

/* ---- Median ---- */

START_TEST(median_compares_with_jobs_that_ended_ok)
{
    mmarml_pruner *p = NULL;

    ck_ok(mmarml_pruner_new_median(&p, 2, 0, 1));
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.5), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 2, 0.6), 0);
    mmarml_pruner_job_ended(p, "a", 1, MMARML_JOB_OK);
    ck_assert_int_eq(tu_report(p, "b", 2, 1, 0.3), 0); /* 1 ended < n_startup 2 */
    ck_assert_int_eq(tu_report(p, "b", 2, 2, 0.4), 0);
    mmarml_pruner_job_ended(p, "b", 2, MMARML_JOB_OK);
    /* medians: step 1 0.4, step 2 0.5 */
    ck_assert_int_eq(tu_report(p, "c", 3, 1, 0.35), 1);
    mmarml_pruner_job_ended(p, "c", 3, MMARML_JOB_PRUNED); /* not an ended-ok job */
    ck_assert_int_eq(tu_report(p, "d", 4, 1, 0.45), 0);
    ck_assert_int_eq(tu_report(p, "d", 4, 2, 0.42), 1); /* its best 0.45 < 0.5 */
    ck_assert_int_eq(tu_report(p, "e", 5, 3, 0.0), 0);  /* nobody ended at step 3 */
    ck_assert_int_eq(tu_report(p, "g", 6, 1, 0.39), 1); /* c's 0.35 did not lower the median */
    ck_assert_int_eq(tu_report(p, "h", 7, 1, 0.40), 0); /* at the median: goes on */
    mmarml_pruner_unref(p);
}
END_TEST

/* Three jobs end with values at step 1 that rank them as `order` says (1: as their last
 * values do, -1: the reverse); each reports steps 1 and 2. */
static void end_three(mmarml_pruner *p, const char *const names[3], uint64_t first, int order)
{
    int k;

    for (k = 0; k < 3; k++) {
        ck_assert_int_eq(tu_report(p, names[k], first + (uint64_t)k, 1, 0.3 + 0.1 * k * order), 0);
        ck_assert_int_eq(tu_report(p, names[k], first + (uint64_t)k, 2, 0.6 + 0.1 * k), 0);
        mmarml_pruner_job_ended(p, names[k], first + (uint64_t)k, MMARML_JOB_OK);
    }
}

START_TEST(median_stops_only_at_steps_that_rank_like_the_end)
{
    static const char *const crossing[3] = {"a", "b", "c"}, *const agreeing[3] = {"e", "f", "g"};
    mmarml_pruner *p = NULL, *plain = NULL;

    ck_ok(mmarml_pruner_new_median_ex(&p, 3, 0, 1, 0.8, 0));
    ck_ok(mmarml_pruner_new_median(&plain, 3, 0, 1));
    /* values at step 1: 0.3, 0.2, 0.1 for last values 0.6, 0.7, 0.8: correlation -1 */
    end_three(p, crossing, 1, -1);
    end_three(plain, crossing, 1, -1);
    ck_assert_int_eq(tu_report(plain, "d", 4, 1, 0.15), 1); /* below the median 0.2 */
    ck_assert_int_eq(tu_report(p, "d", 4, 1, 0.15), 0);     /* but step 1 ranks jobs backwards */
    /* nobody reported past step 2: no evidence there, so no stop either */
    ck_assert_int_eq(tu_report(plain, "d2", 5, 2, 0.1), 1);
    ck_assert_int_eq(tu_report(p, "d2", 5, 2, 0.1), 0);
    /* three more that rank as they end: at step 1 the six correlate 0, still below 0.8 */
    end_three(p, agreeing, 6, 1);
    ck_assert_int_eq(tu_report(p, "h", 9, 1, 0.05), 0);
    mmarml_pruner_unref(p);
    /* only jobs that rank as they end: the step has earned its stops */
    ck_ok(mmarml_pruner_new_median_ex(&p, 3, 0, 1, 0.8, 0));
    end_three(p, agreeing, 1, 1);
    ck_assert_int_eq(tu_report(p, "i", 4, 1, 0.25), 1);
    ck_assert_int_eq(tu_report(p, "j", 5, 1, 0.45), 0); /* above the median */
    mmarml_pruner_unref(p);
    mmarml_pruner_unref(plain);
    ck_assert_int_eq(mmarml_pruner_new_median_ex(&p, 3, 0, 1, 1.5, 0), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_median_ex(&p, 3, 0, 1, -1.01, 0), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_median_ex(&p, 3, 0, 1, NAN, 0), MMARML_EINVAL);
    ck_assert_ptr_null(p);
}
END_TEST

/* Two jobs end ok with values 0.5 / 0.6 and 0.3 / 0.4 at steps 1 / 2. */
static void end_two(mmarml_pruner *p)
{
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.5), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 2, 0.6), 0);
    mmarml_pruner_job_ended(p, "a", 1, MMARML_JOB_OK);
    ck_assert_int_eq(tu_report(p, "b", 2, 1, 0.3), 0);
    ck_assert_int_eq(tu_report(p, "b", 2, 2, 0.4), 0);
    mmarml_pruner_job_ended(p, "b", 2, MMARML_JOB_OK);
}

START_TEST(median_counts_pruned_jobs_when_asked)
{
    mmarml_pruner *p = NULL, *plain = NULL;

    ck_ok(mmarml_pruner_new_median_ex(&p, 2, 0, 1, -1, MMARML_MEDIAN_INCLUDE_PRUNED));
    ck_ok(mmarml_pruner_new_median(&plain, 2, 0, 1));
    end_two(p);
    end_two(plain);
    /* c is below the median 0.4 of step 1 either way and is pruned there */
    ck_assert_int_eq(tu_report(p, "c", 3, 1, 0.1), 1);
    ck_assert_int_eq(tu_report(plain, "c", 3, 1, 0.1), 1);
    mmarml_pruner_job_ended(p, "c", 3, MMARML_JOB_PRUNED);
    mmarml_pruner_job_ended(plain, "c", 3, MMARML_JOB_PRUNED);
    /* a failed job's values count for neither */
    ck_assert_int_eq(tu_report(p, "f", 4, 1, 0.9), 0);
    mmarml_pruner_job_ended(p, "f", 4, MMARML_JOB_FAILED);
    /* step 1 is now {0.1, 0.3, 0.5}: median 0.3 (the plain one keeps 0.4) */
    ck_assert_int_eq(tu_report(plain, "d", 5, 1, 0.35), 1);
    ck_assert_int_eq(tu_report(p, "d", 5, 1, 0.35), 0);
    /* at step 2 c reported nothing: still the median 0.5 of a and b */
    ck_assert_int_eq(tu_report(p, "d", 5, 2, 0.45), 1);
    ck_assert_int_eq(tu_report(p, "e", 6, 2, 0.5), 0);
    mmarml_pruner_unref(p);
    mmarml_pruner_unref(plain);
    /* n_startup counts jobs that ended ok only: one ok and one pruned judge nobody */
    ck_ok(mmarml_pruner_new_median_ex(&p, 2, 0, 1, -1, MMARML_MEDIAN_INCLUDE_PRUNED));
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.5), 0);
    mmarml_pruner_job_ended(p, "a", 1, MMARML_JOB_OK);
    ck_assert_int_eq(tu_report(p, "b", 2, 1, 0.6), 0);
    mmarml_pruner_job_ended(p, "b", 2, MMARML_JOB_PRUNED);
    ck_assert_int_eq(tu_report(p, "c", 3, 1, 0.0), 0);
    p = mmarml_pruner_unref(p);
    ck_assert_int_eq(mmarml_pruner_new_median_ex(&p, 2, 0, 1, -1, 2u), MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "flags"));
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(median_warmup_and_interval)
{
    mmarml_pruner *p = NULL;

    ck_ok(mmarml_pruner_new_median(&p, 1, 2, 3));
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 1.0), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 2, 1.0), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 3, 1.0), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 6, 1.0), 0);
    mmarml_pruner_job_ended(p, "a", 1, MMARML_JOB_OK);
    ck_assert_int_eq(tu_report(p, "b", 2, 1, 0.0), 0); /* before the warm-up */
    ck_assert_int_eq(tu_report(p, "b", 2, 2, 0.0), 1); /* first of interval [2, 5) */
    ck_assert_int_eq(tu_report(p, "c", 3, 2, 1.0), 0);
    ck_assert_int_eq(tu_report(p, "c", 3, 3, 0.0), 0); /* same interval: not judged */
    ck_assert_int_eq(tu_report(p, "c", 3, 6, 0.0), 0); /* judged: best 1.0 = median 1.0 */
    mmarml_pruner_unref(p);
}
END_TEST

/* ---- LearnedCurvePruner ---- */

/* Curves that cross: a config x in [0, 1] learns at speed 0.3 + 0.8 x and ends at
 * 0.9 - 0.3 x, so fast learners lead early and end worse; by step 20 all have ended. A
 * little noise (+-0.002, a fixed pattern) keeps the model's noise estimate above zero. */
#define LC_STEPS 20
static double crossing(double x, int t)
{
    static const double wiggle[5] = {0.002, -0.001, 0.0, 0.001, -0.002};

    return (0.9 - 0.3 * x) * (1 - exp(-(0.3 + 0.8 * x) * t)) + wiggle[t % 5];
}

static void drop_rec(void *rec)
{
    mmarml_recommendation_unref(rec);
}

/* A job context holding the recommendation x (one float param in [0, 1]). */
/* A job context in `space` (at most WIDE_DIMS params): x first, then params the curves do
 * not depend on, spread over [0, 1] differently for each `job`. */
#define WIDE_DIMS 10
static mmarml_context *job_at(mmarml_search_space *space, double x, int job)
{
    mmarml_context *ctx = NULL;
    mmarml_recommendation *rec = NULL;
    size_t n = mmarml_search_space_count(space), i;
    double v[WIDE_DIMS];

    ck_assert_uint_le(n, WIDE_DIMS);
    v[0] = x;
    for (i = 1; i < n; i++)
        v[i] = fmod(0.618 * (double)(i + 1) * (job + 3) + 0.1 * (double)i, 1);
    ck_ok(mmarml_context_new(&ctx, NULL));
    ck_ok(mmarml_recommendation_new(&rec, 0, space, v, n));
    ck_ok(mmarml_context_set_pointer(ctx, MMARML_KEY_RECOMMENDATION, rec, drop_rec));
    return ctx;
}

static mmarml_context *lc_job(mmarml_search_space *space, double x)
{
    return job_at(space, x, 0);
}

/* Job `job` at x reports steps 1..upto; the first step it was stopped at, 0: never. */
static int lc_run(mmarml_pruner *p, mmarml_search_space *space, const char *job, uint64_t n,
                  double x, int upto)
{
    mmarml_context *ctx = space != NULL ? lc_job(space, x) : NULL;
    int t, stop, stopped_at = 0;

    for (t = 1; t <= upto && !stopped_at; t++) {
        stop = -1;
        ck_ok(mmarml_pruner_report(&stop, p, job, n, t, crossing(x, t), ctx));
        ck_assert_int_ge(stop, 0);
        if (stop)
            stopped_at = t;
    }
    mmarml_context_unref(ctx);
    return stopped_at;
}

static mmarml_search_space *lc_space(void)
{
    mmarml_search_space *space = NULL;

    ck_ok(mmarml_search_space_new(&space, "curves"));
    ck_ok(mmarml_search_space_add_float(space, "x.float.$0:x", "x", 0, 1, 0));
    return space;
}

/* Eight jobs over the range of x ran to the end (what the pruner said of them is not
 * asked: say they ran before it was told to stop anything). `repeats`: after each report,
 * one more at the same step and one a step back, with values far off the curve. */
static void lc_end_eight_ex(mmarml_pruner *p, mmarml_search_space *space, int repeats)
{
    static const double xs[8] = {0.1, 0.9, 0.3, 0.7, 0.5, 0.2, 0.8, 0.6};
    char job[16];
    int i, t, stop;

    for (i = 0; i < 8; i++) {
        mmarml_context *ctx = lc_job(space, xs[i]);

        snprintf(job, sizeof(job), "e%d", i);
        for (t = 1; t <= LC_STEPS; t++) {
            ck_ok(mmarml_pruner_report(&stop, p, job, (uint64_t)i + 1, t, crossing(xs[i], t),
                                       ctx));
            if (repeats) {
                ck_ok(mmarml_pruner_report(&stop, p, job, (uint64_t)i + 1, t, 5.0, ctx));
                ck_ok(mmarml_pruner_report(&stop, p, job, (uint64_t)i + 1, t - 1, -5.0, ctx));
            }
        }
        mmarml_context_unref(ctx);
        mmarml_pruner_job_ended(p, job, (uint64_t)i + 1, MMARML_JOB_OK);
    }
}

static void lc_end_eight(mmarml_pruner *p, mmarml_search_space *space)
{
    lc_end_eight_ex(p, space, 0);
}

START_TEST(learned_curve_sees_through_crossing_curves)
{
    mmarml_search_space *space = lc_space();
    mmarml_pruner *p = NULL, *median = NULL;

    ck_ok(mmarml_pruner_new_learned_curve(&p, 5, 2));
    ck_ok(mmarml_pruner_new_median(&median, 5, 0, 1));
    lc_end_eight(p, space);
    lc_end_eight(median, space);
    /* x = 0.05 learns slowest and ends best (0.885, against 0.87 for x = 0.1): Median stops
     * it at once, its early values being the lowest; LearnedCurvePruner lets it end */
    ck_assert_int_eq(lc_run(median, space, "slow", 20, 0.05, LC_STEPS), 1);
    ck_assert_int_eq(lc_run(p, space, "slow", 20, 0.05, LC_STEPS), 0);
    /* x = 0.95 leads at step 1 and ends worst (0.615): Median lets it pass step 1, the
     * learned shares stop it there */
    ck_assert_int_eq(lc_run(median, space, "fast", 21, 0.95, LC_STEPS), 2);
    ck_assert_int_eq(lc_run(p, space, "fast", 21, 0.95, LC_STEPS), 1);
    /* a config in the middle (0.4, ending at 0.78, below 0.87) stops at once too */
    ck_assert_int_eq(lc_run(p, space, "mid", 22, 0.4, LC_STEPS), 1);
    /* a job without `_recommendation` is never judged, however bad */
    ck_assert_int_eq(lc_run(p, NULL, "blind", 24, 0.95, LC_STEPS), 0);
    mmarml_pruner_unref(p);
    mmarml_pruner_unref(median);
    mmarml_search_space_unref(space);
}
END_TEST

/* A job's steps go forward: a report at a step again, or back (a replayed journal, a caller
 * of mmarml_pruner_report(), may give them; the engine drops them), is not taken, not
 * learned from and not judged. Found by fuzz_resume: a step reported twice by a job that
 * ended ok overran the per-step table (ASan). */
START_TEST(learned_curve_takes_a_jobs_steps_going_up)
{
    mmarml_search_space *space = lc_space();
    mmarml_pruner *p = NULL, *plain = NULL;
    mmarml_context *ctx;
    int stop = -1;

    ck_ok(mmarml_pruner_new_learned_curve(&p, 5, 2));
    ck_ok(mmarml_pruner_new_learned_curve(&plain, 5, 2));
    lc_end_eight_ex(p, space, 1);
    lc_end_eight(plain, space);
    /* learned as if the repeats had not come: the same decisions as the plain one's */
    ck_assert_int_eq(lc_run(p, space, "slow", 20, 0.05, LC_STEPS), 0);
    ck_assert_int_eq(lc_run(p, space, "fast", 21, 0.95, LC_STEPS), 1);
    ck_assert_int_eq(lc_run(plain, space, "fast", 21, 0.95, LC_STEPS), 1);
    /* a running job's repeated step is not judged, however low */
    ctx = lc_job(space, 0.1);
    ck_ok(mmarml_pruner_report(&stop, p, "again", 22, 1, crossing(0.1, 1), ctx));
    ck_assert_int_eq(stop, 0);
    ck_ok(mmarml_pruner_report(&stop, p, "again", 22, 1, -5.0, ctx));
    ck_assert_int_eq(stop, 0);
    ck_ok(mmarml_pruner_report(&stop, p, "again", 22, 0.5, -5.0, ctx));
    ck_assert_int_eq(stop, 0);
    mmarml_context_unref(ctx);
    mmarml_pruner_unref(p);
    mmarml_pruner_unref(plain);
    mmarml_search_space_unref(space);
}
END_TEST

START_TEST(learned_curve_learns_only_from_jobs_that_ended_ok)
{
    mmarml_search_space *space = lc_space();
    mmarml_pruner *p = NULL;
    mmarml_context *ctx;
    char job[16];
    int i, stop = -1;

    ck_ok(mmarml_pruner_new_learned_curve(&p, 5, 2));
    /* four ended ok, others pruned or failed, one that reported nothing: no stop yet */
    for (i = 0; i < 4; i++) {
        snprintf(job, sizeof(job), "ok%d", i);
        ck_assert_int_eq(lc_run(p, space, job, (uint64_t)i + 1, 0.1 + 0.2 * i, LC_STEPS), 0);
        mmarml_pruner_job_ended(p, job, (uint64_t)i + 1, MMARML_JOB_OK);
        snprintf(job, sizeof(job), "cut%d", i);
        ck_assert_int_eq(lc_run(p, space, job, (uint64_t)i + 10, 0.2 * i, LC_STEPS), 0);
        mmarml_pruner_job_ended(p, job, (uint64_t)i + 10, i % 2 ? MMARML_JOB_PRUNED
                                                                : MMARML_JOB_FAILED);
    }
    mmarml_pruner_job_ended(p, "silent", 30, MMARML_JOB_OK);
    /* a job whose values end at 0 or below is no learning curve: not learned from */
    ctx = lc_job(space, 0.5);
    for (i = 1; i <= LC_STEPS; i++)
        ck_ok(mmarml_pruner_report(&stop, p, "flat", 31, i, -0.1, ctx));
    mmarml_context_unref(ctx);
    mmarml_pruner_job_ended(p, "flat", 31, MMARML_JOB_OK);
    ck_assert_int_eq(lc_run(p, space, "bad", 32, 0.95, LC_STEPS), 0);
    ctx = lc_job(space, 0.95); /* a bad job that started before the model */
    ck_ok(mmarml_pruner_report(&stop, p, "between", 35, 1, crossing(0.95, 1), ctx));
    ck_assert_int_eq(stop, 0);
    /* the fifth that ended ok starts the model */
    ck_assert_int_eq(lc_run(p, space, "ok4", 33, 0.9, LC_STEPS), 0);
    mmarml_pruner_job_ended(p, "ok4", 33, MMARML_JOB_OK);
    ck_assert_int_eq(lc_run(p, space, "bad2", 34, 0.95, LC_STEPS), 1);
    /* a job that repeats the best one that ended (x = 0.1) is never stopped: its estimate
     * and the bar share the fitted shares' bias at every step */
    ck_assert_int_eq(lc_run(p, space, "best", 36, 0.1, LC_STEPS), 0);
    /* a step no ended job reported is not judged; the next one that is, is */
    ck_ok(mmarml_pruner_report(&stop, p, "between", 35, 2.5, crossing(0.95, 2), ctx));
    ck_assert_int_eq(stop, 0);
    ck_ok(mmarml_pruner_report(&stop, p, "between", 35, 3, crossing(0.95, 3), ctx));
    ck_assert_int_eq(stop, 1);
    mmarml_context_unref(ctx);
    mmarml_pruner_unref(p);
    mmarml_search_space_unref(space);
}
END_TEST

/* Curves whose share of the final value is exactly linear in x at every step and 1 over the
 * last three, so that the fit has nothing to miss: the value at step t of a job at x that
 * ends at `final`. */
static double linear_share_curve(double x, int t, double final)
{
    double g = t < LC_STEPS - 2 ? (double)(LC_STEPS - 2 - t) / (LC_STEPS - 3) : 0;

    return final * (1 - g * (0.6 - 0.4 * x));
}

/* The crossing curve, `scale` times. */
static double scaled_crossing(double x, int t, double scale)
{
    return scale * crossing(x, t);
}

/* Job `job` at x reports curve(x, t, arg) at steps 1..LC_STEPS; the first step it was
 * stopped at (0: never). With `to_end` it reports every step whatever it is told and ends
 * ok, right after a report of another job, at another config, as another worker's would. */
static int curve_run(mmarml_pruner *p, mmarml_search_space *space, int job, double x,
                     double (*curve)(double, int, double), double arg, int to_end)
{
    mmarml_context *ctx = job_at(space, x, job);
    char name[16];
    int t, stop, stopped_at = 0;

    snprintf(name, sizeof(name), "l%d", job);
    for (t = 1; t <= LC_STEPS && (to_end || !stopped_at); t++) {
        ck_ok(mmarml_pruner_report(&stop, p, name, (uint64_t)job, t, curve(x, t, arg), ctx));
        if (stop && !stopped_at)
            stopped_at = t;
    }
    mmarml_context_unref(ctx);
    if (to_end) {
        ctx = job_at(space, 0.95, 99);
        ck_ok(mmarml_pruner_report(&stop, p, "other", 99, 1, curve(0.95, 1, arg), ctx));
        mmarml_context_unref(ctx);
        mmarml_pruner_job_ended(p, name, (uint64_t)job, MMARML_JOB_OK);
    }
    return stopped_at;
}

/* Where the shares are what the model assumes, the fits find them: a job ending 2.5% below
 * the best ended one is stopped at its first step, one ending 2.5% above is never, with the
 * linear fit (5 ended jobs, one param) and then the quadratic one (6). */
START_TEST(learned_curve_fits_shares_exactly)
{
    static const double xs[6] = {0.1, 0.9, 0.5, 0.3, 0.7, 0.2};
    mmarml_search_space *space = lc_space();
    mmarml_pruner *p = NULL;
    int i, phase;

    ck_ok(mmarml_pruner_new_learned_curve(&p, 5, 2));
    for (i = 0; i < 5; i++)
        curve_run(p, space, i, xs[i], linear_share_curve, 0.8, 1);
    for (phase = 0; phase < 2; phase++) {
        ck_assert_int_eq(curve_run(p, space, 10 + 2 * phase, 0.4, linear_share_curve, 0.78, 0), 1);
        ck_assert_int_eq(curve_run(p, space, 11 + 2 * phase, 0.6, linear_share_curve, 0.82, 0), 0);
        if (phase == 0)
            curve_run(p, space, 5, xs[5], linear_share_curve, 0.8, 1);
    }
    mmarml_pruner_unref(p);
    mmarml_search_space_unref(space);
}
END_TEST

/* A loss falling from 2 towards 0.2 + 0.3 x, faster the higher x, reported as what a
 * pruner can learn shares of: its drop from the start, 2 - loss, which grows from 0 to a
 * positive end (`scale` times, with crossing()'s wiggle). The fast learners lead early and
 * end worst, as in crossing(). Reported negated instead, its values end below 0: not learned
 * from (bench/README.md: learning them as shares did worse than not pruning). */
static double loss_drop(double x, int t, double scale)
{
    double end = 0.2 + 0.3 * x;
    double wiggle = crossing(x, t) - (0.9 - 0.3 * x) * (1 - exp(-(0.3 + 0.8 * x) * t));

    return scale * (2 - end) * (1 - exp(-(0.3 + 0.8 * x) * t)) + wiggle;
}

static double negated_loss(double x, int t, double scale)
{
    return loss_drop(x, t, scale) - 2 * scale;
}

/* A loss reported as its drop from the start is learned as any value growing from 0: the
 * decisions follow the final losses, not the early lead. Reported negated, it is left
 * alone. */
START_TEST(learned_curve_learns_a_loss_reported_as_its_drop)
{
    static const double xs[8] = {0.1, 0.9, 0.3, 0.7, 0.5, 0.2, 0.8, 0.6};
    mmarml_search_space *space = lc_space();
    mmarml_pruner *p = NULL, *median = NULL, *negated = NULL;
    int i;

    ck_ok(mmarml_pruner_new_learned_curve(&p, 5, 2));
    ck_ok(mmarml_pruner_new_median(&median, 5, 0, 1));
    ck_ok(mmarml_pruner_new_learned_curve(&negated, 5, 2));
    for (i = 0; i < 8; i++) {
        curve_run(p, space, i, xs[i], loss_drop, 1, 1);
        curve_run(median, space, i, xs[i], loss_drop, 1, 1);
        curve_run(negated, space, i, xs[i], negated_loss, 1, 1);
    }
    /* x = 0.05 learns slowest and ends best (loss 0.215, against 0.23 for x = 0.1): Median
     * stops it at once, LearnedCurvePruner lets it end */
    ck_assert_int_eq(curve_run(median, space, 20, 0.05, loss_drop, 1, 0), 1);
    ck_assert_int_eq(curve_run(p, space, 20, 0.05, loss_drop, 1, 0), 0);
    /* x = 0.95 leads early and ends worst (0.485): stopped within three steps */
    i = curve_run(p, space, 21, 0.95, loss_drop, 1, 0);
    ck_assert_int_ge(i, 1);
    ck_assert_int_le(i, 3);
    /* a job that repeats the best ended one (x = 0.1) is never stopped */
    ck_assert_int_eq(curve_run(p, space, 22, 0.1, loss_drop, 1, 0), 0);
    /* the same losses negated end below 0: nothing learned, nothing stopped */
    ck_assert_int_eq(curve_run(negated, space, 21, 0.95, negated_loss, 1, 0), 0);
    mmarml_pruner_unref(p);
    mmarml_pruner_unref(median);
    mmarml_pruner_unref(negated);
    mmarml_search_space_unref(space);
}
END_TEST

/* Past 8 params the shares are fitted linearly, with sums of 1 + d features kept per step:
 * the decisions still follow the curves. */
START_TEST(learned_curve_fits_many_params_linearly)
{
    mmarml_search_space *space = NULL;
    mmarml_pruner *p = NULL;
    char prl[32];
    int i;

    ck_ok(mmarml_search_space_new(&space, "wide"));
    for (i = 0; i < WIDE_DIMS; i++) {
        snprintf(prl, sizeof(prl), "p%d.float.$0:x", i);
        ck_ok(mmarml_search_space_add_float(space, prl, "x", 0, 1, 0));
    }
    ck_ok(mmarml_pruner_new_learned_curve(&p, 5, 2));
    for (i = 0; i < 24; i++) /* x over [0.05, 0.95]: enough for a linear fit in 11 */
        curve_run(p, space, i, 0.05 + 0.9 * ((i * 7) % 24) / 23.0, scaled_crossing, 1, 1);
    /* a job whose curve runs 5% above the best ended one's is let through; the fast
     * learner that ends worst (x = 0.95) is stopped within three steps, though it leads at
     * the first */
    ck_assert_int_eq(curve_run(p, space, 100, 0.05, scaled_crossing, 1.05, 0), 0);
    i = curve_run(p, space, 101, 0.95, scaled_crossing, 1, 0);
    ck_assert_int_ge(i, 1);
    ck_assert_int_le(i, 3);
    mmarml_pruner_unref(p);
    mmarml_search_space_unref(space);
}
END_TEST

START_TEST(learned_curve_refuses_impossible_args)
{
    mmarml_pruner *p = NULL;

    ck_assert_int_eq(mmarml_pruner_new_learned_curve(&p, 5, -0.5), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_learned_curve(&p, 5, NAN), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_learned_curve(&p, 5, 11), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_learned_curve(NULL, 5, 2), MMARML_EINVAL);
    ck_assert_ptr_null(p);
}
END_TEST

/* ---- the engine ---- */

/* A trainer in the executor: quality q = the recommendation's lr, value(t) = q (1 - e^-t/3)
 * reported at steps 1..STEPS; it leaves when told to stop. */
#define STEPS 10
#define NRECS 12
static const double lrs[NRECS] = {0.05, 0.01, 0.09, 0.02, 0.08, 0.03,
                                  0.095, 0.005, 0.07, 0.06, 0.099, 0.04};

static double curve(double q, double t)
{
    return q * (1 - exp(-t / 3));
}

static unsigned after_stop_said; /* reports after the stop answered "stop" */
static int run_pruned_score = MMARML_PRUNED_SCORE_BEST; /* what run() scores pruned jobs by */
static mmarml_engine *running_engine; /* for the operator's stop of list_refine */

static double wall_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The time curve_execute(), which began at `since`, reports step t at: odd steps with a
 * time of their own, a minute before it began (a trainer's clock a little behind), step 5
 * with one that cannot be while the job ran (2001), even ones at the time of the call
 * (NAN). */
static double report_time(int t, double since)
{
    return t == 5 ? 1e9 : t % 2 ? since - 60 + t : NAN;
}

/* What mmarml_job_reports() and mmarml_job_report_times() give: the job's accepted reports
 * of steps 1..n, in order, each with its time; those made at the call, or kept with it,
 * since `since`. */
static void check_job_reports(mmarml_context *job_ctx, double q, int n, double since)
{
    double *pairs = NULL, *times = NULL;
    size_t got = 99, ntimes = 99;
    int t;

    ck_ok(mmarml_job_reports(job_ctx, &pairs, &got));
    ck_ok(mmarml_job_report_times(job_ctx, &times, &ntimes));
    ck_assert_uint_eq(got, (size_t)n);
    ck_assert_uint_eq(ntimes, (size_t)n);
    for (t = 1; t <= n; t++) {
        ck_assert_double_eq(pairs[2 * (t - 1)], t);
        ck_assert_double_eq_tol(pairs[2 * (t - 1) + 1], curve(q, t), 1e-12);
        if (t % 2 && t != 5) {
            ck_assert_double_eq(times[t - 1], report_time(t, since));
        } else {
            ck_assert_double_ge(times[t - 1], since);
            ck_assert_double_le(times[t - 1], wall_now());
        }
    }
    mmarml_free(pairs);
    mmarml_free(times);
}

static int curve_execute(int *status, double *score, mmarml_executor *self,
                         const mmarml_recommendation *rec, mmarml_context *job_ctx, void *ud)
{
    double q = mmarml_recommendation_values(rec)[0], since = wall_now();
    int t, stop = 0;

    (void)self, (void)ud;
    for (t = 1; t <= STEPS; t++) {
        ck_ok(mmarml_job_report_at(job_ctx, t, curve(q, t), report_time(t, since), &stop));
        if (t == 3) /* a repeated step and a hostile value are refused or dropped */
            ck_ok(mmarml_job_report(job_ctx, t, 1e9, NULL));
        if (stop) {
            ck_assert_int_eq(mmarml_job_should_stop(job_ctx), 1);
            stop = 0;
            ck_ok(mmarml_job_report(job_ctx, t + 1, 1e9, &stop));
            after_stop_said += stop;
            check_job_reports(job_ctx, q, t, since); /* not the one after the stop */
            *status = MMARML_JOB_ABORTED;
            return MMARML_OK;
        }
    }
    ck_assert_int_eq(mmarml_job_report(job_ctx, STEPS + 1, NAN, NULL), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_job_report(job_ctx, -1, 0, NULL), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_job_report_at(job_ctx, STEPS + 1, 0, -1, NULL), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_job_report_at(job_ctx, STEPS + 1, 0, INFINITY, NULL),
                     MMARML_EINVAL);
    /* not the repeated step 3, nor the refused ones */
    check_job_reports(job_ctx, q, STEPS, since);
    *status = MMARML_JOB_OK;
    *score = curve(q, STEPS);
    return MMARML_OK;
}

static int curve_determine(mmarml_search_space **out, mmarml_executor *self,
                           mmarml_context *ctx, void *ud)
{
    (void)self, (void)ctx, (void)ud;
    *out = tu_space();
    return MMARML_OK;
}

/* A controller recommending lrs[] in order, one at a time, recording every outcome. */
typedef struct {
    mmarml_search_space *space;
    int next;
    int stop_after; /* ask the run to stop after this many outcomes (0: never) */
    int n;
    int status[NRECS];
    double value[NRECS];
    size_t nreports[NRECS];
    double last_step[NRECS];
} list_ctl;

static int list_propose(mmarml_recommendation_list *out, list_ctl *c)
{
    mmarml_recommendation *rec = NULL;
    double v[3];

    if (c->next >= NRECS)
        return MMARML_OK;
    v[0] = lrs[c->next];
    v[1] = 0;
    v[2] = 4;
    ck_ok(mmarml_recommendation_new(&rec, c->next++, c->space, v, 3));
    ck_ok(mmarml_recommendation_list_append(out, rec));
    mmarml_recommendation_unref(rec);
    return MMARML_OK;
}

static int list_set(mmarml_controller *self, mmarml_search_space *space, mmarml_context *ctx,
                    void *ud)
{
    list_ctl *c = ud;

    (void)self, (void)ctx;
    c->space = mmarml_search_space_ref(space);
    return MMARML_OK;
}

static int list_initial(mmarml_recommendation_list *out, mmarml_controller *self,
                        mmarml_context *ctx, void *ud)
{
    (void)self, (void)ctx;
    return list_propose(out, ud);
}

static int list_refine(mmarml_recommendation_list *out, mmarml_controller *self,
                       const mmarml_outcome *o, mmarml_context *ctx, void *ud)
{
    list_ctl *c = ud;
    size_t k = mmarml_outcome_report_count(o);

    (void)self, (void)ctx;
    ck_assert_int_lt(c->n, NRECS);
    c->status[c->n] = mmarml_outcome_status(o);
    c->value[c->n] = NAN;
    mmarml_outcome_value(o, &c->value[c->n]);
    c->nreports[c->n] = k;
    c->last_step[c->n] = NAN;
    if (k > 0)
        ck_ok(mmarml_outcome_report(o, k - 1, &c->last_step[c->n], NULL));
    c->n++;
    if (c->stop_after > 0 && c->n == c->stop_after)
        mmarml_engine_stop(running_engine, "part one ends here"); /* resumable */
    return list_propose(out, c);
}

static void list_destroy(void *ud)
{
    list_ctl *c = ud;

    mmarml_search_space_unref(c->space);
    c->space = NULL;
}

/* Run the lrs[] through the curve trainer with `pruner` (NULL: none). */
static mmarml_engine_options run_options(const char *journal, int resume)
{
    mmarml_engine_options o = tu_options(NULL);

    o.journal = journal;
    o.resume = resume;
    return o;
}

static int run(list_ctl *c, mmarml_pruner *pruner, const char *journal, int resume)
{
    static const mmarml_controller_vtable cvt = {
        .struct_size = sizeof(mmarml_controller_vtable),
        .version = MMARML_CONTROLLER_VTABLE_VERSION,
        .set_search_space = list_set,
        .initial_recommendation = list_initial,
        .refine_recommendation = list_refine,
        .destroy = list_destroy,
    };
    static const mmarml_executor_vtable evt = {
        .struct_size = sizeof(mmarml_executor_vtable),
        .version = MMARML_EXECUTOR_VTABLE_VERSION,
        .determine_search_space = curve_determine,
        .execute = curve_execute,
    };
    mmarml_controller *ctl = NULL;
    mmarml_executor *exe = NULL;
    mmarml_engine *e = NULL;
    mmarml_context *ctx = NULL;
    mmarml_engine_options o = run_options(journal, resume);
    int rc;

    ck_ok(mmarml_controller_new(&ctl, &cvt, c));
    ck_ok(mmarml_executor_new(&exe, &evt, NULL));
    ck_ok(mmarml_engine_new(&e, ctl, exe, &o));
    ck_assert_int_eq(mmarml_engine_set_pruner(e, pruner, 3), MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "_MEAN"));
    ck_assert_int_eq(mmarml_engine_set_report_steps(e, 2), MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "_UNIQUE"));
    ck_assert_int_eq(mmarml_engine_set_report_steps(NULL, 0), MMARML_EINVAL);
    ck_ok(mmarml_engine_set_report_steps(e, MMARML_REPORT_STEPS_INCREASING));
    if (pruner != NULL)
        ck_ok(mmarml_engine_set_pruner(e, pruner, run_pruned_score));
    ck_ok(mmarml_context_new(&ctx, NULL));
    running_engine = e;
    rc = mmarml_engine_run(e, ctx);
    running_engine = NULL;
    ck_assert_int_eq(mmarml_engine_set_pruner(e, NULL, 0), MMARML_EMISUSE);
    ck_assert_int_eq(mmarml_engine_set_report_steps(e, MMARML_REPORT_STEPS_UNIQUE),
                     MMARML_EMISUSE);
    mmarml_context_unref(ctx);
    mmarml_engine_unref(e);
    mmarml_controller_unref(ctl);
    mmarml_executor_unref(exe);
    return rc;
}

START_TEST(no_pruner_changes_nothing)
{
    list_ctl c;
    int i;

    memset(&c, 0, sizeof(c));
    ck_ok(run(&c, NULL, NULL, 0));
    ck_assert_int_eq(c.n, NRECS);
    for (i = 0; i < NRECS; i++) {
        ck_assert_int_eq(c.status[i], MMARML_JOB_OK);
        ck_assert_uint_eq(c.nreports[i], STEPS); /* the repeated step 3 was dropped */
        ck_assert_double_eq_tol(c.value[i], curve(lrs[i], STEPS), 1e-12);
    }
}
END_TEST

START_TEST(asha_prunes_jobs_in_the_engine)
{
    mmarml_pruner *p = NULL;
    list_ctl c;
    int i, pruned = 0;
    double epochs = 0;

    memset(&c, 0, sizeof(c));
    after_stop_said = 0;
    ck_ok(mmarml_pruner_new_asha(&p, 1, 3, 0));
    ck_ok(run(&c, p, NULL, 0));
    mmarml_pruner_unref(p);
    ck_assert_int_eq(c.n, NRECS);
    for (i = 0; i < NRECS; i++) {
        epochs += c.last_step[i];
        if (c.status[i] != MMARML_JOB_PRUNED) {
            ck_assert_int_eq(c.status[i], MMARML_JOB_OK);
            continue;
        }
        pruned++;
        /* its score: the best value it reported; the report after the stop is not there */
        ck_assert_double_eq_tol(c.value[i], curve(lrs[i], c.last_step[i]), 1e-12);
        ck_assert_uint_eq(c.nreports[i], (size_t)c.last_step[i]);
    }
    /* the job after the first, worse than it, stops at rung 1; the best always goes on */
    ck_assert_int_eq(c.status[1], MMARML_JOB_PRUNED);
    ck_assert_double_eq(c.last_step[1], 1);
    ck_assert_int_eq(c.status[10], MMARML_JOB_OK); /* 0.099: the best */
    ck_assert_int_ge(pruned, 5);
    ck_assert_uint_eq(after_stop_said, (unsigned)pruned);
    ck_assert_double_lt(epochs, 0.7 * NRECS * STEPS);
}
END_TEST

START_TEST(a_pruned_job_is_scored_by_its_best_last_or_mean_report)
{
    static const int scores[] = {MMARML_PRUNED_SCORE_LAST, MMARML_PRUNED_SCORE_MEAN};
    size_t s;

    for (s = 0; s < sizeof(scores) / sizeof(*scores); s++) {
        mmarml_pruner *p = NULL;
        list_ctl c;
        int i, t, pruned = 0;

        memset(&c, 0, sizeof(c));
        ck_ok(mmarml_pruner_new_asha(&p, 1, 3, 0));
        run_pruned_score = scores[s];
        ck_ok(run(&c, p, NULL, 0));
        run_pruned_score = MMARML_PRUNED_SCORE_BEST;
        mmarml_pruner_unref(p);
        for (i = 0; i < NRECS; i++) {
            double sum = 0, steps = c.last_step[i], expected;

            if (c.status[i] != MMARML_JOB_PRUNED)
                continue;
            pruned++;
            for (t = 1; t <= (int)steps; t++)
                sum += curve(lrs[i], t);
            /* the curves rise: the best report is the last (asha_prunes_jobs_in_the_engine) */
            expected = scores[s] == MMARML_PRUNED_SCORE_LAST ? curve(lrs[i], steps) : sum / steps;
            ck_assert_double_eq_tol(c.value[i], expected, 1e-12);
            if (steps > 1)
                ck_assert_double_lt(sum / steps, curve(lrs[i], steps));
        }
        ck_assert_int_ge(pruned, 5);
    }
}
END_TEST

static mmarml_pruner *asha_1_3(void)
{
    mmarml_pruner *p = NULL;

    ck_ok(mmarml_pruner_new_asha(&p, 1, 3, 0));
    return p;
}

static mmarml_pruner *hyperband_auto(void)
{
    mmarml_pruner *p = NULL;

    ck_ok(mmarml_pruner_new_hyperband(&p, 1, 2, MMARML_PRUNER_RESOURCE_AUTO));
    return p;
}

/* SuccessiveHalvingPruner as Optuna writes it, with a bootstrap count */
static mmarml_pruner *halving_auto_bootstrap(void)
{
    mmarml_pruner *p = NULL;

    ck_ok(mmarml_pruner_new_asha_ex(&p, MMARML_PRUNER_RESOURCE_AUTO, 2, 0, 0, 1));
    return p;
}

static mmarml_pruner *median_including_pruned(void)
{
    mmarml_pruner *p = NULL;

    ck_ok(mmarml_pruner_new_median_ex(&p, 2, 0, 1, -1, MMARML_MEDIAN_INCLUDE_PRUNED));
    return p;
}

static mmarml_pruner *learned_curve_5_1(void)
{
    mmarml_pruner *p = NULL;

    ck_ok(mmarml_pruner_new_learned_curve(&p, 5, 1));
    return p;
}

static mmarml_pruner *wilcoxon_default(void)
{
    mmarml_pruner *p = NULL;

    ck_ok(mmarml_pruner_new_wilcoxon(&p, 0.1, 2));
    return p;
}

/* The run with a pruner from `make`, whole and stopped after 5 outcomes then resumed with
 * a new pruner: the same decisions. Returns the whole run's outcomes. */
static list_ctl resumed_pruner_decides_alike(mmarml_pruner *(*make)(void))
{
    char dir[] = "/tmp/mmarml-prune-XXXXXX", path[64], cmd[96];
    mmarml_pruner *p = NULL;
    list_ctl whole, part;
    json_t *recs = NULL, *r;
    size_t i, reports = 0, pruned_ends = 0;
    int k;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/journal.mmarml", dir);
    memset(&whole, 0, sizeof(whole));
    p = make();
    ck_ok(run(&whole, p, NULL, 0));
    mmarml_pruner_unref(p);

    memset(&part, 0, sizeof(part));
    part.stop_after = 5;
    p = make();
    ck_ok(run(&part, p, path, 0));
    mmarml_pruner_unref(p);
    ck_assert_int_eq(part.n, 5);
    memset(&part, 0, sizeof(part));
    p = make();
    ck_ok(run(&part, p, path, 1));
    mmarml_pruner_unref(p);
    ck_assert_int_eq(part.n, NRECS);
    for (k = 0; k < NRECS; k++) {
        ck_assert_int_eq(part.status[k], whole.status[k]);
        ck_assert_double_eq(part.last_step[k], whole.last_step[k]);
        ck_assert_uint_eq(part.nreports[k], whole.nreports[k]);
    }
    /* every accepted report is a record; a pruned job's end carries its value */
    ck_ok(mmarml_journal_read(&recs, path, NULL));
    json_array_foreach(recs, i, r)
    {
        const char *t = json_string_value(json_object_get(r, "t"));
        if (strcmp(t, "report") == 0) {
            reports++;
            ck_assert(json_is_number(json_object_get(r, "step")));
        } else if (strcmp(t, "end") == 0 &&
                   strcmp(json_string_value(json_object_get(r, "status")), "pruned") == 0) {
            pruned_ends++;
            ck_assert(json_is_number(json_object_get(r, "score")));
        }
    }
    for (k = 0; k < NRECS; k++)
        reports -= whole.nreports[k];
    ck_assert_uint_eq(reports, 0);
    ck_assert_uint_gt(pruned_ends, 0);
    json_decref(recs);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    return whole;
}

/* A pruner that decides by the jobs' params and remembers them: it stops a job at step 2
 * when a job that reported before it had a higher learning rate. A resume that gave it no
 * params for the replayed reports would leave it knowing none of the first jobs' rates. */
typedef struct {
    double highest_lr;
    unsigned misnamed; /* reports whose context named another job, or none */
} by_params;

static int by_params_report(int *stop_out, mmarml_pruner *self, const char *job,
                            uint64_t job_number, double step, double value,
                            mmarml_context *ctx, void *ud)
{
    by_params *b = ud;
    mmarml_recommendation *rec = NULL;
    char *name = NULL;
    double lr;

    (void)self, (void)job_number, (void)value;
    if (mmarml_context_get_string(ctx, MMARML_KEY_JOB_NAME, &name) != MMARML_OK ||
        strcmp(name, job) != 0)
        b->misnamed++;
    mmarml_free(name);
    if (mmarml_context_get_pointer(ctx, MMARML_KEY_RECOMMENDATION, (void **)&rec) != MMARML_OK)
        return mmarml_error_set(MMARML_ENOTFOUND, "no _recommendation for %s", job);
    lr = mmarml_recommendation_values(rec)[0];
    *stop_out = step == 2 && lr < b->highest_lr;
    if (lr > b->highest_lr)
        b->highest_lr = lr;
    return MMARML_OK;
}

static by_params by_params_state;

static mmarml_pruner *by_params_pruner(void)
{
    static const mmarml_pruner_vtable vt = {
        .struct_size = sizeof(mmarml_pruner_vtable),
        .version = MMARML_PRUNER_VTABLE_VERSION,
        .report = by_params_report,
    };
    mmarml_pruner *p = NULL;

    memset(&by_params_state, 0, sizeof(by_params_state));
    ck_ok(mmarml_pruner_new(&p, &vt, &by_params_state));
    return p;
}

START_TEST(reports_are_journaled_and_a_resumed_pruner_decides_alike)
{
    list_ctl c;
    int k;

    resumed_pruner_decides_alike(asha_1_3);
    /* "auto" learned before the crash is learned again from the replayed ends */
    c = resumed_pruner_decides_alike(hyperband_auto);
    ck_assert_int_eq(c.status[0], MMARML_JOB_OK); /* judged by no one: max_resource unknown */
    for (k = 1; k < NRECS && c.status[k] != MMARML_JOB_PRUNED; k++)
        ;
    ck_assert_int_lt(k, NRECS); /* then it stops jobs */
    /* the bootstrap count after an auto min_resource: the first job at rung 1 after the
     * first ok end stops there, whatever its value, in the resumed run too */
    c = resumed_pruner_decides_alike(halving_auto_bootstrap);
    ck_assert_int_eq(c.status[0], MMARML_JOB_OK);
    ck_assert_int_eq(c.status[1], MMARML_JOB_PRUNED);
    ck_assert_double_eq(c.last_step[1], 1);
    /* MedianPruner counting pruned jobs: their values must come back from the journal too.
     * The learning rates in order, all curves in the same ratio: the median of step 1 over
     * every job is lower than over ok ones, so lr 0.07 (the 9th) passes step 1 and stops at
     * step 2, where only ok jobs reported; counting ok jobs alone it would stop at step 1 */
    c = resumed_pruner_decides_alike(median_including_pruned);
    ck_assert_int_eq(c.status[8], MMARML_JOB_PRUNED);
    ck_assert_double_eq(c.last_step[8], 2);
    /* a pruner that decides by the params: the replayed reports carry them. After the
     * resume (5 outcomes in), 0.03, 0.005, 0.07, 0.06 and 0.04 come after 0.09 and stop */
    resumed_pruner_decides_alike(learned_curve_5_1);
    /* WilcoxonPruner pairs the steps with the best ended job's: 0.01 is below 0.05 at every
     * one, p = 1/16 after four; 0.09 becomes the best, and the 0.095 and 0.099 that come
     * after it are above it at every step */
    c = resumed_pruner_decides_alike(wilcoxon_default);
    for (k = 0; k < NRECS; k++) {
        int best_before = lrs[k] > (k > 2 ? 0.09 : 0.05) || k == 0;

        ck_assert_int_eq(c.status[k], best_before ? MMARML_JOB_OK : MMARML_JOB_PRUNED);
        if (!best_before)
            ck_assert_double_eq(c.last_step[k], 4);
    }
    c = resumed_pruner_decides_alike(by_params_pruner);
    ck_assert_uint_eq(by_params_state.misnamed, 0);
    for (k = 5; k < NRECS; k++)
        ck_assert_int_eq(c.status[k], lrs[k] < 0.09 ? MMARML_JOB_PRUNED : MMARML_JOB_OK);
}
END_TEST

START_TEST(pruners_by_registry_name)
{
    mmarml_registry *reg = NULL;
    mmarml_pruner *p = NULL;
    json_t *spec;

    ck_ok(mmarml_registry_new(&reg));
    spec = json_pack("{s:s, s:{s:i, s:i}}", "name", "ASHAPruner", "args", "min_resource", 2,
                     "reduction_factor", 4);
    ck_ok(mmarml_registry_create_pruner(&p, reg, spec, "test"));
    ck_assert_int_eq(tu_report(p, "a", 1, 2, 0.5), 0);
    ck_assert_int_eq(tu_report(p, "b", 2, 2, 0.4), 1);
    p = mmarml_pruner_unref(p);
    json_decref(spec);
    tu_pruner_refused(reg, "{\"name\": \"HyperbandPruner\", \"args\": {\"max_resource\": 0}}",
                      MMARML_EINVAL, "max_resource");
    tu_pruner_refused(reg,
                      "{\"name\": \"HyperbandPruner\", \"args\": {\"max_resource\": \"sometimes\"}}",
                      MMARML_EINVAL, "max_resource");
    tu_pruner_refused(reg, "{\"name\": \"ASHAPruner\", \"args\": {\"min_resource\": -1}}",
                      MMARML_EINVAL, "min_resource");
    tu_pruner_refused(reg, "{\"name\": \"ASHAPruner\", \"args\": {\"min_resource\": true}}",
                      MMARML_EINVAL, "min_resource");
    /* Hyperband's max_resource is "auto" by default (Optuna's): nothing judged before a job
     * ended ok */
    spec = json_pack("{s:s, s:{s:i}}", "name", "HyperbandPruner", "args", "min_resource", 1);
    ck_ok(mmarml_registry_create_pruner(&p, reg, spec, "test"));
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.5), 0);
    ck_assert_int_eq(tu_report(p, "b", 2, 1, 0.1), 0);
    p = mmarml_pruner_unref(p);
    json_decref(spec);
    spec = json_pack("{s:s, s:{s:s, s:s}}", "name", "ASHAPruner", "args", "min_resource", "auto",
                     "max_resource", "auto");
    ck_ok(mmarml_registry_create_pruner(&p, reg, spec, "test"));
    ck_assert_int_eq(tu_report(p, "a", 1, 9, 0.5), 0);
    mmarml_pruner_job_ended(p, "a", 1, MMARML_JOB_OK); /* min 1, max 9: rungs 1 and 3 */
    ck_assert_int_eq(tu_report(p, "b", 2, 1, 0.5), 0);
    ck_assert_int_eq(tu_report(p, "c", 3, 1, 0.1), 1);
    p = mmarml_pruner_unref(p);
    json_decref(spec);
    tu_pruner_refused(reg, "{\"name\": \"MedianPruner\", \"args\": {\"n_warmup\": 1}}",
                      MMARML_EINVAL, "n_warmup");
    tu_pruner_refused(reg,
                      "{\"name\": \"MedianPruner\", \"args\": {\"min_rank_correlation\": 1.5}}",
                      MMARML_EINVAL, "min_rank_correlation");
    tu_pruner_refused(reg,
                      "{\"name\": \"MedianPruner\", \"args\": {\"include_pruned\": \"yes\"}}",
                      MMARML_EINVAL, "include_pruned");
    spec = json_pack("{s:s, s:{s:i, s:f}}", "name", "MedianPruner", "args", "n_startup_trials",
                     1, "min_rank_correlation", 0.5);
    ck_ok(mmarml_registry_create_pruner(&p, reg, spec, "test"));
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.5), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 2, 0.9), 0);
    mmarml_pruner_job_ended(p, "a", 1, MMARML_JOB_OK);
    ck_assert_int_eq(tu_report(p, "b", 2, 1, 0.1), 0); /* one ended job is no evidence */
    p = mmarml_pruner_unref(p);
    json_decref(spec);
    spec = json_pack("{s:s, s:{s:i, s:b}}", "name", "MedianPruner", "args", "n_startup_trials",
                     2, "include_pruned", 1);
    ck_ok(mmarml_registry_create_pruner(&p, reg, spec, "test"));
    end_two(p);
    ck_assert_int_eq(tu_report(p, "c", 3, 1, 0.1), 1);
    mmarml_pruner_job_ended(p, "c", 3, MMARML_JOB_PRUNED);
    ck_assert_int_eq(tu_report(p, "d", 4, 1, 0.35), 0); /* the median of 0.1, 0.3, 0.5 */
    p = mmarml_pruner_unref(p);
    json_decref(spec);
    tu_pruner_refused(reg,
                      "{\"name\": \"LearnedCurvePruner\", \"args\": {\"std_errors\": -1}}",
                      MMARML_EINVAL, "std_errors");
    tu_pruner_refused(reg, "{\"name\": \"LearnedCurvePruner\", \"args\": {\"z\": 1}}",
                      MMARML_EINVAL, "z");
    spec = json_pack("{s:s, s:{s:i, s:f}}", "name", "LearnedCurvePruner", "args",
                     "n_startup_trials", 1, "std_errors", 0.5);
    ck_ok(mmarml_registry_create_pruner(&p, reg, spec, "test"));
    p = mmarml_pruner_unref(p);
    json_decref(spec);
    /* a controller's name is not a pruner's */
    spec = json_pack("{s:s}", "name", "RandomController");
    ck_assert_int_eq(mmarml_registry_create_pruner(&p, reg, spec, "test"), MMARML_ENOTFOUND);
    json_decref(spec);
    mmarml_registry_unref(reg);
}
END_TEST

static Suite *pruner_suite(void)
{
    Suite *s = suite_create("pruner");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, asha_keeps_the_top_of_each_rung);
    tcase_add_test(tc, asha_judges_every_rung_a_report_passes);
    tcase_add_test(tc, asha_has_no_rung_at_max_resource);
    tcase_add_test(tc, asha_refuses_impossible_args);
    tcase_add_test(tc, hyperband_compares_jobs_within_their_bracket);
    tcase_add_test(tc, asha_learns_an_auto_min_resource_from_the_first_ok_job);
    tcase_add_test(tc, job_reports_need_a_job_the_engine_runs);
    tcase_add_test(tc, hyperband_learns_an_auto_max_resource_from_the_first_ok_job);
    tcase_add_test(tc, median_compares_with_jobs_that_ended_ok);
    tcase_add_test(tc, median_warmup_and_interval);
    tcase_add_test(tc, median_stops_only_at_steps_that_rank_like_the_end);
    tcase_add_test(tc, median_counts_pruned_jobs_when_asked);
    tcase_add_test(tc, learned_curve_sees_through_crossing_curves);
    tcase_add_test(tc, learned_curve_takes_a_jobs_steps_going_up);
    tcase_add_test(tc, learned_curve_learns_only_from_jobs_that_ended_ok);
    tcase_add_test(tc, learned_curve_fits_many_params_linearly);
    tcase_add_test(tc, learned_curve_fits_shares_exactly);
    tcase_add_test(tc, learned_curve_learns_a_loss_reported_as_its_drop);
    tcase_add_test(tc, learned_curve_refuses_impossible_args);
    tcase_add_test(tc, no_pruner_changes_nothing);
    tcase_add_test(tc, asha_prunes_jobs_in_the_engine);
    tcase_add_test(tc, a_pruned_job_is_scored_by_its_best_last_or_mean_report);
    tcase_add_test(tc, reports_are_journaled_and_a_resumed_pruner_decides_alike);
    tcase_add_test(tc, pruners_by_registry_name);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(pruner_suite());
}
