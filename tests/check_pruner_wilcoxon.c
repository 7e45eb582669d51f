/* WilcoxonPruner: the signed-rank test against scipy's figures, and the pruner's decisions on
 * hand-made per-instance reports. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

#include "../lib/pruners/signed_rank.h"

/* ---- the statistic ---- */

/* scipy 1.10.1 (Debian 12's python3-scipy):
 *   scipy.stats.wilcoxon(d, alternative="less", zero_method="zsplit").pvalue
 * exact up to 50 differences without zeros or ties, the normal approximation past 50. With
 * zeros or ties, up to 50, the reference is the share of the sign patterns, counted by
 * brute force over the 2^(nonzero d) patterns with scipy.stats.rankdata's ranks. */
static const double d50[] = {
    -0.0297, 0.3679,  0.3274,  -0.1931, -0.1294, -0.1982, 0.1309,  -0.0568, 0.1841,  -0.5942,
    0.43,    -0.0689, 0.1641,  -0.081,  -0.1537, 0.0989,  0.2074,  -0.1008, -0.0858, 0.1657,
    -0.3011, -0.4943, 0.0785,  -0.2412, -0.6161, -0.2842, -0.1803, -0.398,  -0.4877, -0.029,
    0.2292,  -0.1099, -0.2631, 0.0755,  0.1752,  -0.13,   0.1234,  0.2729,  -0.1021, -0.2841,
    0.0643,  0.0343,  0.2896,  -0.4254, -0.2385, -0.2915, -0.5602, -0.0021, 0.1183,  -0.2616};
static const double d60[] = {
    0.178678,  -0.409787, -0.027645, 0.123007,  -0.106635, 0.154873,  -0.069955, 0.150174,
    0.381557,  -0.252699, 0.010942,  -0.188992, -0.011819, -0.406158, -0.22379,  -0.108859,
    0.219629,  0.293567,  -0.447058, -0.288393, 0.144071,  -0.647726, -0.188951, -0.079186,
    0.327104,  0.156821,  -0.148164, -0.160573, -0.125059, 0.407059,  -0.178407, -0.141104,
    0.055777,  -0.086231, -0.109185, -0.38422,  -0.053456, -0.183074, 0.299838,  0.145927,
    -0.057243, 0.150514,  -0.151961, 0.265638,  -0.05162,  0.125015,  -0.437268, 0.054004,
    -0.556461, -0.660599, -0.141343, -0.319978, -0.000784, 0.623427,  -0.299517, -0.237183,
    0.011621,  0.097904,  -0.102922, -0.111779};

START_TEST(signed_rank_matches_scipy)
{
    static const double five[] = {-0.3, -0.1, 0.2, -0.4, -0.5};
    static const double three_below[] = {-1, -2, -3}, four_below[] = {-1, -2, -3, -4};
    static const double zeros[] = {0, -0.1, -0.2, -0.3, 0.05, -0.4};
    static const double ties[] = {-0.1, -0.1, 0.1, -0.2, -0.3, -0.3, 0.4};
    static const double two_tied[] = {-0.2, -0.2}, only_zeros[] = {0, 0, 0};
    static const double level_then_below[] = {0, -0.1, -0.2};
    static const struct {
        const double *d;
        size_t n;
        double p;
    } cases[] = {
        {five, 5, 0.09375},      /* 3 of the 32 sign patterns have R+ <= 2 */
        {three_below, 3, 0.125}, /* the least p 3 pairs can give */
        {four_below, 4, 0.0625}, /* and 4 */
        /* a zero: 2 of 32 patterns of the five others (scipy 1.10 approximates: 0.0467) */
        {zeros, 6, 0.0625},
        /* -0.1 and 0.1 tie: 27 of 128 (scipy 1.10: 0.2344, the untied distribution) */
        {ties, 7, 0.2109375},
        {two_tied, 2, 0.25},   /* the normal approximation would say 0.079 */
        {level_then_below, 3, 0.25}, /* 1 of 4; scipy 1.10 approximates: 0.091 */
        {only_zeros, 3, 1},    /* nothing to tell apart */
        {five, 0, 1},          /* no pair at all */
        {d50, 50, 0.03316600251945534},  /* exact at the largest size */
        {d60, 60, 0.033949423801180476}, /* past it, the normal approximation */
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        double p = -1;

        ck_assert_int_eq(signed_rank_p_below(&p, cases[i].d, cases[i].n), 0);
        ck_assert_msg(fabs(p - cases[i].p) <= 1e-12 * cases[i].p, "case %zu: p %.17g, "
                      "reference %.17g", i, p, cases[i].p);
    }
}
END_TEST

START_TEST(signed_rank_of_a_sign_flip_is_the_other_tail)
{
    /* without zeros or ties, P(R+ <= r) + P(R+ <= n(n+1)/2 - r - 1) = 1 for the flipped d */
    double flipped[50], p, q;
    size_t i;

    for (i = 0; i < 50; i++)
        flipped[i] = -d50[i];
    ck_assert_int_eq(signed_rank_p_below(&p, d50, 50), 0);
    ck_assert_int_eq(signed_rank_p_below(&q, flipped, 50), 0);
    ck_assert_msg(p + q > 1 && p + q < 1 + 1e-3, "p %g + q %g: the two tails overlap at r",
                  p, q);
}
END_TEST

/* ---- the pruner ---- */

/* Job `job` reports values[0..n) at steps first, first + stride, ... and ends with status. */
static int report_series(mmarml_pruner *p, const char *job, uint64_t number,
                         const double *values, int n, double first, double stride)
{
    int i;

    for (i = 0; i < n; i++)
        if (tu_report(p, job, number, first + stride * i, values[i]))
            return i + 1; /* stopped at its (i + 1)-th report */
    return 0;
}

/* Below the best job's 0.5 on every instance; the last two differences tie. */
static const double worse[6] = {0.4, 0.3, 0.45, 0.2, 0.1, 0.1};

/* The best job: 0.5 on each of steps 0 .. 9, ended ok. */
static void end_best(mmarml_pruner *p)
{
    static const double half[10] = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5};

    ck_assert_int_eq(report_series(p, "best", 1, half, 10, 0, 1), 0);
    mmarml_pruner_job_ended(p, "best", 1, MMARML_JOB_OK);
}

START_TEST(wilcoxon_stops_a_job_worse_on_the_same_instances)
{
    mmarml_pruner *p = NULL;

    ck_ok(mmarml_pruner_new_wilcoxon(&p, 0.1, 2));
    /* nothing ended yet: nothing to compare with */
    ck_assert_int_eq(report_series(p, "first", 2, worse, 6, 0, 1), 0);
    mmarml_pruner_job_ended(p, "first", 2, MMARML_JOB_OK);
    mmarml_pruner_unref(p);

    ck_ok(mmarml_pruner_new_wilcoxon(&p, 0.1, 2));
    end_best(p);
    /* worse on every instance: p = 1/8 after 3 pairs, 1/16 < 0.1 after 4 */
    ck_assert_int_eq(report_series(p, "a", 2, worse, 6, 0, 1), 4);
    /* only the steps both reported are paired: at 10, 11, ... nothing is */
    ck_assert_int_eq(report_series(p, "b", 3, worse, 6, 10, 1), 0);
    /* steps 0, 2, 4, 6 are */
    ck_assert_int_eq(report_series(p, "c", 4, worse, 6, 0, 2), 4);
    mmarml_pruner_unref(p);

    /* n_startup_steps 6: not before the sixth pair; p_threshold 0: never */
    ck_ok(mmarml_pruner_new_wilcoxon(&p, 0.1, 6));
    end_best(p);
    ck_assert_int_eq(report_series(p, "a", 2, worse, 6, 0, 1), 6);
    mmarml_pruner_unref(p);
    ck_ok(mmarml_pruner_new_wilcoxon(&p, 0, 2));
    end_best(p);
    ck_assert_int_eq(report_series(p, "a", 2, worse, 6, 0, 1), 0);
    mmarml_pruner_unref(p);
}
END_TEST

/* Instance ids in an order of the job's own (a run with MMARML_REPORT_STEPS_UNIQUE): pairs
 * are found by step whatever the order, the best job's included. */
START_TEST(wilcoxon_pairs_steps_in_any_order)
{
    static const double order[10] = {7, 2, 9, 0, 5, 3, 8, 1, 6, 4};
    static const double best_order[10] = {3, 9, 0, 6, 1, 8, 4, 2, 7, 5};
    mmarml_pruner *p = NULL;
    int i, stopped = 0;

    ck_ok(mmarml_pruner_new_wilcoxon(&p, 0.1, 2));
    for (i = 0; i < 10; i++) /* the best job: 0.5 on each instance, visited shuffled */
        ck_assert_int_eq(tu_report(p, "best", 1, best_order[i], 0.5), 0);
    mmarml_pruner_job_ended(p, "best", 1, MMARML_JOB_OK);
    /* worse on every instance: p = 1/16 < 0.1 at the fourth pair, in any order */
    for (i = 0; i < 6 && !stopped; i++)
        if (tu_report(p, "a", 2, order[i], worse[i]))
            stopped = i + 1;
    ck_assert_int_eq(stopped, 4);
    /* better on the instances it shares with the best job, worse on one it does not: its
     * pairs say better, and it is not stopped */
    ck_assert_int_eq(tu_report(p, "b", 3, 42, 0.0), 0);
    for (i = 0; i < 10; i++)
        ck_assert_int_eq(tu_report(p, "b", 3, order[i], 0.6), 0);
    mmarml_pruner_unref(p);
}
END_TEST

START_TEST(wilcoxon_keeps_a_job_whose_mean_is_at_least_the_best)
{
    /* worse on nine instances of ten, far better on the first: R+ = 10 of 55, p = 43/1024
     * on ten pairs, but its mean, 0.537, is above the best's 0.5 (Optuna's safety) */
    static const double better_mean[10] = {1.0,   0.49,  0.489, 0.488, 0.487,
                                           0.486, 0.485, 0.484, 0.483, 0.482};
    static const double worse_mean[10] = {0.515, 0.49, 0.48, 0.47, 0.46,
                                          0.45,  0.44, 0.43, 0.42, 0.41};
    mmarml_pruner *p = NULL;

    ck_ok(mmarml_pruner_new_wilcoxon(&p, 0.1, 2));
    end_best(p);
    ck_assert_int_eq(report_series(p, "a", 2, better_mean, 10, 0, 1), 0);
    /* better on the first instance only, and below in the mean: R+ = 2 after three pairs
     * (p = 3/8), four (3/16), five (3/32 < 0.1) */
    ck_assert_int_eq(report_series(p, "b", 3, worse_mean, 10, 0, 1), 5);
    mmarml_pruner_unref(p);
}
END_TEST

START_TEST(wilcoxon_best_is_the_ended_ok_job_with_the_highest_mean)
{
    /* values a double holds exactly, so that equal means are equal */
    static const double high[10] = {0.75, 0.75, 0.75, 0.75, 0.75,
                                    0.75, 0.75, 0.75, 0.75, 0.75};
    static const double same_mean[10] = {1, 0.5, 1, 0.5, 1, 0.5, 1, 0.5, 1, 0.5};
    static const double mid[4] = {0.625, 0.625, 0.625, 0.625};
    mmarml_pruner *p = NULL;

    ck_ok(mmarml_pruner_new_wilcoxon(&p, 0.1, 2));
    end_best(p);
    /* higher, but stopped by us or failed: not the best */
    ck_assert_int_eq(report_series(p, "pruned", 2, high, 10, 0, 1), 0);
    mmarml_pruner_job_ended(p, "pruned", 2, MMARML_JOB_PRUNED);
    ck_assert_int_eq(report_series(p, "failed", 3, high, 10, 0, 1), 0);
    mmarml_pruner_job_ended(p, "failed", 3, MMARML_JOB_FAILED);
    ck_assert_int_eq(report_series(p, "a", 4, mid, 4, 0, 1), 0); /* above the best's 0.5 */
    ck_assert_int_eq(report_series(p, "x", 10, mid, 2, 0, 1), 0); /* goes on below */
    /* ended ok: the best now, and mid is worse on every instance (tied: 1/16 on four) */
    ck_assert_int_eq(report_series(p, "better", 5, high, 10, 0, 1), 0);
    mmarml_pruner_job_ended(p, "better", 5, MMARML_JOB_OK);
    ck_assert_int_eq(report_series(p, "b", 6, mid, 4, 0, 1), 4);
    mmarml_pruner_job_ended(p, "b", 6, MMARML_JOB_PRUNED);
    /* a job that ran while the best changed is paired anew, its first steps too: above the
     * old best on steps 0 and 1, below the new one on all four */
    ck_assert_int_eq(tu_report(p, "x", 10, 2, 0.625), 0);
    ck_assert_int_eq(tu_report(p, "x", 10, 3, 0.625), 1);
    /* a later job with the same mean does not take the best's place: against it, mid would
     * be better on half the instances and never stopped */
    ck_assert_int_eq(report_series(p, "same", 7, same_mean, 10, 0, 1), 0);
    mmarml_pruner_job_ended(p, "same", 7, MMARML_JOB_OK);
    ck_assert_int_eq(report_series(p, "c", 8, mid, 4, 0, 1), 4);
    mmarml_pruner_job_ended(p, "c", 8, MMARML_JOB_PRUNED);
    /* a retried job starts afresh: the reports of its failed attempt are gone */
    ck_assert_int_eq(report_series(p, "r", 9, high, 2, 0, 1), 0);
    mmarml_pruner_job_ended(p, "r", 9, MMARML_JOB_FAILED);
    ck_assert_int_eq(report_series(p, "r", 9, mid, 4, 0, 1), 4);
    mmarml_pruner_unref(p);
}
END_TEST

START_TEST(wilcoxon_does_not_judge_what_overflows)
{
    static const double huge_best[4] = {1e308, 1e308, 1e308, 1e308};
    static const double far_below[6] = {-1e308, -1e308, -1e308, -1e308, -1e308, -1e308};
    mmarml_pruner *p = NULL;

    /* the differences overflow: not judged, as Optuna judges no trial with an infinity */
    ck_ok(mmarml_pruner_new_wilcoxon(&p, 0.1, 2));
    ck_assert_int_eq(report_series(p, "best", 1, huge_best, 4, 0, 1), 0);
    mmarml_pruner_job_ended(p, "best", 1, MMARML_JOB_OK);
    ck_assert_int_eq(report_series(p, "a", 2, far_below, 6, 0, 1), 0);
    mmarml_pruner_unref(p);
    /* the best job's sum overflows: its mean is not a number to compare with */
    ck_ok(mmarml_pruner_new_wilcoxon(&p, 0.1, 2));
    ck_assert_int_eq(report_series(p, "best", 1, huge_best, 4, 0, 1), 0);
    ck_assert_int_eq(tu_report(p, "best", 1, 4, 1e308), 0);
    mmarml_pruner_job_ended(p, "best", 1, MMARML_JOB_OK);
    {
        static const double below[6] = {1e307, 1e307, 1e307, 1e307, 1e307, 1e307};
        ck_assert_int_eq(report_series(p, "b", 3, below, 6, 0, 1), 0);
    }
    mmarml_pruner_unref(p);
}
END_TEST

/* Past 1,000 pairs a job is tested once its pairs grew by a thirty-second. Best: 0.5 on steps
 * 0 .. 2999. The job ties it on the first 1,000 (its mean equals the best's: not tested) and
 * is 0.1 worse after: the stop comes at the first test whose p is below 0.1. */
START_TEST(wilcoxon_tests_long_jobs_on_a_schedule)
{
    static double best[3000], job[3000], diffs[3000];
    mmarml_pruner *p = NULL;
    size_t n, every_report = 0, scheduled = 0, judged = 0;
    int stopped_at;

    for (n = 0; n < 3000; n++) {
        best[n] = 0.5;
        job[n] = n < 1000 ? 0.5 : 0.4;
        diffs[n] = job[n] - best[n];
    }
    /* where each rule stops, from the statistic tested above */
    for (n = 1001; n <= 3000 && scheduled == 0; n++) {
        double pv;

        if (n > 1000 && n < judged + judged / 32)
            continue;
        judged = n;
        ck_assert_int_eq(signed_rank_p_below(&pv, diffs, n), 0);
        if (pv < 0.1)
            scheduled = n;
    }
    for (n = 1001; n <= 3000 && every_report == 0; n++) {
        double pv;

        ck_assert_int_eq(signed_rank_p_below(&pv, diffs, n), 0);
        if (pv < 0.1)
            every_report = n;
    }
    ck_assert_uint_gt(every_report, 0);
    ck_assert_uint_gt(scheduled, every_report); /* the schedule delays the stop here */

    ck_ok(mmarml_pruner_new_wilcoxon(&p, 0.1, 2));
    ck_assert_int_eq(report_series(p, "best", 1, best, 3000, 0, 1), 0);
    mmarml_pruner_job_ended(p, "best", 1, MMARML_JOB_OK);
    stopped_at = report_series(p, "a", 2, job, 3000, 0, 1);
    ck_assert_int_eq(stopped_at, (int)scheduled);
    mmarml_pruner_unref(p);
}
END_TEST

START_TEST(wilcoxon_refuses_impossible_args)
{
    mmarml_registry *reg = NULL;
    mmarml_pruner *p = NULL;

    ck_assert_int_eq(mmarml_pruner_new_wilcoxon(&p, 1.5, 2), MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "p_threshold"));
    ck_assert_int_eq(mmarml_pruner_new_wilcoxon(&p, NAN, 2), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_wilcoxon(&p, -0.1, 2), MMARML_EINVAL);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(mmarml_pruner_new_wilcoxon(NULL, 0.1, 2), MMARML_EINVAL);

    ck_ok(mmarml_registry_new(&reg));
    tu_pruner_refused(reg, "{\"name\": \"WilcoxonPruner\", \"args\": {\"p_threshold\": 2}}",
                      MMARML_EINVAL, "p_threshold");
    tu_pruner_refused(reg, "{\"name\": \"WilcoxonPruner\", \"args\": {\"p_threshold\": \"x\"}}",
                      MMARML_EINVAL, "p_threshold");
    tu_pruner_refused(reg, "{\"name\": \"WilcoxonPruner\", \"args\":"
                           " {\"n_startup_steps\": -1}}", MMARML_EINVAL, "n_startup_steps");
    tu_pruner_refused(reg, "{\"name\": \"WilcoxonPruner\", \"args\": {\"n_warmup_steps\": 1}}",
                      MMARML_EINVAL, "n_warmup_steps");
    /* by name, Optuna's defaults: 0.1 and 2 */
    p = tu_pruner_make(reg, "{\"name\": \"WilcoxonPruner\"}");
    end_best(p);
    ck_assert_int_eq(report_series(p, "a", 2, worse, 6, 0, 1), 4);
    mmarml_pruner_unref(p);
    mmarml_registry_unref(reg);
}
END_TEST

static Suite *pruner_wilcoxon_suite(void)
{
    Suite *s = suite_create("pruner_wilcoxon");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, signed_rank_matches_scipy);
    tcase_add_test(tc, signed_rank_of_a_sign_flip_is_the_other_tail);
    tcase_add_test(tc, wilcoxon_stops_a_job_worse_on_the_same_instances);
    tcase_add_test(tc, wilcoxon_pairs_steps_in_any_order);
    tcase_add_test(tc, wilcoxon_keeps_a_job_whose_mean_is_at_least_the_best);
    tcase_add_test(tc, wilcoxon_best_is_the_ended_ok_job_with_the_highest_mean);
    tcase_add_test(tc, wilcoxon_does_not_judge_what_overflows);
    tcase_add_test(tc, wilcoxon_tests_long_jobs_on_a_schedule);
    tcase_add_test(tc, wilcoxon_refuses_impossible_args);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(pruner_wilcoxon_suite());
}
