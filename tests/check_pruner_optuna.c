/* The pruners that follow one of Optuna's rule for rule (PercentilePruner, ThresholdPruner,
 * PatientPruner, SuccessiveHalvingPruner, NopPruner): their decisions on hand-made report
 * sequences, their args and their registry names; and every Optuna-named pruner's decisions
 * on sequences Optuna decided (tests/data/optuna). check_pruner.c has the other built-ins
 * and the engine's side. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

/* Jobs e1..e5 report 0.1 .. 0.5 at step 1 (and 0.9 at step 2 for the first two) and end
 * ok. */
static void end_five(mmarml_pruner *p)
{
    char job[8];
    int k;

    for (k = 1; k <= 5; k++) {
        snprintf(job, sizeof(job), "e%d", k);
        ck_assert_int_eq(tu_report(p, job, (uint64_t)k, 1, 0.1 * k), 0);
        if (k <= 2)
            ck_assert_int_eq(tu_report(p, job, (uint64_t)k, 2, 0.9), 0);
        mmarml_pruner_job_ended(p, job, (uint64_t)k, MMARML_JOB_OK);
    }
}

/* ---- PercentilePruner ---- */

START_TEST(percentile_keeps_the_top_percent)
{
    /* after end_five, step 1 holds 0.1 .. 0.5: a value below the bar stops, one at or above
     * it goes on */
    static const struct {
        double percentile, below, kept;
    } cases[] = {
        {25, 0.39, 0.40},   /* numpy's 75th percentile of 0.1 .. 0.5 is 0.4: at the bar */
        {10, 0.455, 0.465}, /* between the values, 0.4 + 0.6 (0.5 - 0.4) = 0.46 */
        {0, 0.49, 0.5},     /* only what reaches the best ended job */
        {100, 0.09, 0.11},  /* only a job below them all stops */
    };
    mmarml_pruner *p = NULL;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        ck_ok(mmarml_pruner_new_percentile(&p, cases[i].percentile, 5, 0, 1, 1, -1, 0));
        end_five(p);
        ck_assert_int_eq(tu_report(p, "a", 6, 1, cases[i].below), 1);
        ck_assert_int_eq(tu_report(p, "b", 7, 1, cases[i].kept), 0);
        /* judged by its best value so far, as the median is: c falls to 0.1 at step 2, below
         * the 0.9 both ended jobs reported there, but its best, 0.95, is above */
        ck_assert_int_eq(tu_report(p, "c", 8, 1, 0.95), 0);
        ck_assert_int_eq(tu_report(p, "c", 8, 2, 0.1), 0);
        mmarml_pruner_unref(p);
    }
}
END_TEST

START_TEST(percentile_judges_only_steps_enough_jobs_reported)
{
    mmarml_pruner *p = NULL;

    ck_ok(mmarml_pruner_new_percentile(&p, 50, 5, 0, 1, 3, -1, 0));
    end_five(p);
    /* two ended jobs reported step 2: fewer than n_min_trials, not judged */
    ck_assert_int_eq(tu_report(p, "a", 6, 2, 0.0), 0);
    /* five reported step 1 */
    ck_assert_int_eq(tu_report(p, "b", 7, 1, 0.29), 1);
    mmarml_pruner_unref(p);
}
END_TEST

/* Percentile 50 is the median to the bit, where an interpolation written as lo + f (hi - lo)
 * would round differently (0.03 + 0.5 (0.9 - 0.03) is 0.46499999999999997, the mean 0.465):
 * PercentilePruner at 50 and MedianPruner decide alike, and 0.46499999999999997 is below. */
START_TEST(percentile_fifty_is_the_median)
{
    mmarml_pruner *p = NULL, *m = NULL;
    static const double tries[] = {0.465, 0.46499999999999997, 0.4650000000000001, 0.46};
    size_t i;
    char job[8];

    ck_ok(mmarml_pruner_new_percentile(&p, 50, 2, 0, 1, 1, -1, 0));
    ck_ok(mmarml_pruner_new_median(&m, 2, 0, 1));
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.03) + tu_report(m, "a", 1, 1, 0.03), 0);
    ck_assert_int_eq(tu_report(p, "b", 2, 1, 0.9) + tu_report(m, "b", 2, 1, 0.9), 0);
    mmarml_pruner_job_ended(p, "a", 1, MMARML_JOB_OK);
    mmarml_pruner_job_ended(m, "a", 1, MMARML_JOB_OK);
    mmarml_pruner_job_ended(p, "b", 2, MMARML_JOB_OK);
    mmarml_pruner_job_ended(m, "b", 2, MMARML_JOB_OK);
    for (i = 0; i < sizeof(tries) / sizeof(*tries); i++) {
        snprintf(job, sizeof(job), "t%zu", i);
        ck_assert_int_eq(tu_report(p, job, 3 + i, 1, tries[i]),
                         tu_report(m, job, 3 + i, 1, tries[i]));
    }
    ck_assert_int_eq(tu_report(m, "u", 9, 1, 0.46499999999999997), 1); /* below, to the bit */
    mmarml_pruner_unref(p);
    mmarml_pruner_unref(m);
}
END_TEST

START_TEST(percentile_refuses_impossible_args)
{
    mmarml_pruner *p = NULL;

    ck_assert_int_eq(mmarml_pruner_new_percentile(&p, -1, 5, 0, 1, 1, -1, 0), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_percentile(&p, 100.5, 5, 0, 1, 1, -1, 0),
                     MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_percentile(&p, NAN, 5, 0, 1, 1, -1, 0), MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "PercentilePruner: percentile"));
    ck_assert_int_eq(mmarml_pruner_new_percentile(&p, 25, 5, 0, 1, 0, -1, 0), MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "n_min_trials"));
    ck_assert_int_eq(mmarml_pruner_new_percentile(&p, 25, 5, -1, 1, 1, -1, 0), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_percentile(&p, 25, 5, 0, 0, 1, -1, 0), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_percentile(&p, 25, 5, 0, 1, 1, 2, 0), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_percentile(&p, 25, 5, 0, 1, 1, -1, 4u), MMARML_EINVAL);
    ck_assert_ptr_null(p);
}
END_TEST

/* ---- ThresholdPruner ---- */

START_TEST(threshold_stops_values_out_of_bounds)
{
    mmarml_pruner *p = NULL;

    ck_ok(mmarml_pruner_new_threshold(&p, 0.2, INFINITY, 0, 1));
    /* no other job needed: the first job of a run is judged */
    ck_assert_int_eq(tu_report(p, "a", 1, 0, 0.5), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.2), 0); /* at the bound: goes on */
    ck_assert_int_eq(tu_report(p, "a", 1, 2, 0.19), 1);
    ck_assert_int_eq(tu_report(p, "b", 2, 1, 1e300), 0);
    mmarml_pruner_unref(p);
    ck_ok(mmarml_pruner_new_threshold(&p, -INFINITY, 1.0, 0, 1));
    ck_assert_int_eq(tu_report(p, "a", 1, 1, -1e300), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 2, 1.01), 1);
    mmarml_pruner_unref(p);
    /* the latest value counts, not the best */
    ck_ok(mmarml_pruner_new_threshold(&p, 0.5, 0.8, 0, 1));
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.7), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 2, 0.4), 1);
    ck_assert_int_eq(tu_report(p, "b", 2, 1, 0.9), 1);
    mmarml_pruner_unref(p);
}
END_TEST

START_TEST(threshold_warmup_and_interval)
{
    mmarml_pruner *p = NULL;

    /* warm-up 2, interval 3: intervals [2, 5), [5, 8), ...; a job is judged at its first
     * report in each (Optuna's _is_first_in_interval_step) */
    ck_ok(mmarml_pruner_new_threshold(&p, 0.5, INFINITY, 2, 3));
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.0), 0); /* before the warm-up */
    ck_assert_int_eq(tu_report(p, "a", 1, 3, 0.6), 0); /* first of [2, 5): judged, in bounds */
    ck_assert_int_eq(tu_report(p, "a", 1, 4, 0.0), 0); /* second of [2, 5) */
    ck_assert_int_eq(tu_report(p, "a", 1, 6.5, 0.0), 1); /* first of [5, 8) */
    ck_assert_int_eq(tu_report(p, "b", 2, 7, 0.0), 1); /* a job's first report is judged */
    ck_assert_int_eq(tu_report(p, "c", 3, 5, 0.6), 0);
    ck_assert_int_eq(tu_report(p, "c", 3, 7.9, 0.0), 0);
    ck_assert_int_eq(tu_report(p, "c", 3, 8, 0.0), 1);
    /* a job that ended is forgotten: its name may come again (a retry) and start afresh */
    mmarml_pruner_job_ended(p, "c", 3, MMARML_JOB_PRUNED);
    ck_assert_int_eq(tu_report(p, "c", 3, 9, 0.0), 1);
    mmarml_pruner_unref(p);
}
END_TEST

START_TEST(threshold_refuses_impossible_args)
{
    mmarml_pruner *p = NULL;

    ck_assert_int_eq(mmarml_pruner_new_threshold(&p, -INFINITY, INFINITY, 0, 1), MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "lower or upper"));
    ck_assert_int_eq(mmarml_pruner_new_threshold(&p, 1, 0, 0, 1), MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "above upper"));
    ck_assert_int_eq(mmarml_pruner_new_threshold(&p, NAN, 1, 0, 1), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_threshold(&p, INFINITY, INFINITY, 0, 1), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_threshold(&p, 0, 1, -1, 1), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_threshold(&p, 0, 1, 0, 0), MMARML_EINVAL);
    ck_assert_ptr_null(p);
    ck_ok(mmarml_pruner_new_threshold(&p, 0.5, 0.5, 0, 1)); /* lower == upper: allowed */
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.5), 0);
    mmarml_pruner_unref(p);
}
END_TEST

/* ---- PatientPruner ---- */

START_TEST(patient_stops_a_job_that_stopped_improving)
{
    mmarml_pruner *p = NULL;
    int t;

    ck_ok(mmarml_pruner_new_patient(&p, NULL, 2, 0));
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.5), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 2, 0.6), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 3, 0.55), 0); /* only three reports: nothing before */
    ck_assert_int_eq(tu_report(p, "a", 1, 4, 0.58), 0); /* 0.6 is in the last three */
    ck_assert_int_eq(tu_report(p, "a", 1, 5, 0.59), 1); /* best of 0.55 0.58 0.59 < 0.6 */
    /* equal is not worse */
    ck_assert_int_eq(tu_report(p, "b", 2, 1, 0.5), 0);
    ck_assert_int_eq(tu_report(p, "b", 2, 2, 0.5), 0);
    ck_assert_int_eq(tu_report(p, "b", 2, 3, 0.5), 0);
    ck_assert_int_eq(tu_report(p, "b", 2, 4, 0.5), 0);
    mmarml_pruner_unref(p);
    /* min_delta: worse by more than it */
    ck_ok(mmarml_pruner_new_patient(&p, NULL, 2, 0.02));
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.6), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 2, 0.59), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 3, 0.585), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 4, 0.59), 0); /* 0.6 - 0.02 is not above 0.59 */
    ck_assert_int_eq(tu_report(p, "a", 1, 5, 0.57), 0); /* before: 0.6, 0.59; last: 0.585 .. */
    ck_assert_int_eq(tu_report(p, "a", 1, 6, 0.57), 0); /* last three hold 0.59 still */
    ck_assert_int_eq(tu_report(p, "a", 1, 7, 0.56), 1); /* best of the last three 0.57 < 0.58 */
    mmarml_pruner_unref(p);
    /* a long patience: the window slides over a ring that grew with the reports */
    ck_ok(mmarml_pruner_new_patient(&p, NULL, 100, 0));
    for (t = 1; t <= 100; t++)
        ck_assert_int_eq(tu_report(p, "a", 1, t, t), 0);
    for (t = 101; t <= 200; t++) /* the best, 100 at step 100, is in the last 101 */
        ck_assert_int_eq(tu_report(p, "a", 1, t, 50), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 201, 50), 1);
    mmarml_pruner_unref(p);
    /* patience 0: any report below the best before it */
    ck_ok(mmarml_pruner_new_patient(&p, NULL, 0, 0));
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.5), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 2, 0.7), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 3, 0.69), 1);
    mmarml_pruner_unref(p);
}
END_TEST

/* Optuna's rule written out, over all of a job's values v[0..n-1]: the best of the last
 * patience + 1 is below the best before them by more than min_delta. */
static int stalled_by_optuna(const double *v, int n, int patience, double min_delta)
{
    double before = -INFINITY, after = -INFINITY;
    int i;

    if (n <= patience + 1)
        return 0;
    for (i = 0; i < n; i++)
        if (i < n - patience - 1)
            before = fmax(before, v[i]);
        else
            after = fmax(after, v[i]);
    return before - min_delta > after;
}

/* The ring and its shortcut decide as the rule written out, on random walks. */
START_TEST(patient_decides_as_the_rule_written_out)
{
    static const int patiences[] = {0, 1, 3, 7, 40};
    static const double deltas[] = {0, 0.05};
    double v[300];
    uint64_t state = 12345;
    size_t a, b;
    int t, stops = 0;

    for (a = 0; a < sizeof(patiences) / sizeof(*patiences); a++)
        for (b = 0; b < sizeof(deltas) / sizeof(*deltas); b++) {
            mmarml_pruner *p = NULL;

            ck_ok(mmarml_pruner_new_patient(&p, NULL, (uint64_t)patiences[a], deltas[b]));
            for (t = 0; t < 300; t++) {
                double step;
                int mine;

                state = state * 6364136223846793005ull + 1442695040888963407ull;
                step = (double)(state >> 11) / 9007199254740992.0; /* [0, 1) */
                v[t] = (t ? v[t - 1] : 0) + (step - 0.45) / 10;
                mine = tu_report(p, "walk", 1, t, v[t]);
                ck_assert_int_eq(mine, stalled_by_optuna(v, t + 1, patiences[a], deltas[b]));
                stops += mine;
            }
            mmarml_pruner_unref(p);
        }
    ck_assert_int_gt(stops, 0); /* the walks do stall */
    ck_assert_int_lt(stops, 3000); /* and improve */
}
END_TEST

START_TEST(patient_lets_the_wrapped_pruner_decide_once_a_job_stalled)
{
    mmarml_pruner *w = NULL, *p = NULL;

    ck_ok(mmarml_pruner_new_median(&w, 1, 0, 1));
    ck_ok(mmarml_pruner_new_patient(&p, w, 1, 0));
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.5), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 2, 0.8), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 3, 0.9), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 4, 0.95), 0);
    mmarml_pruner_job_ended(p, "a", 1, MMARML_JOB_OK);
    /* the wrapped pruner was told a's reports and its end: it now stops a job on its own */
    ck_assert_int_eq(tu_report(w, "probe", 9, 1, 0.4), 1);
    /* through the wrapper, b is below the median at every step, but goes on until the best
     * of its last two reports is below its best before them */
    ck_assert_int_eq(tu_report(p, "b", 2, 1, 0.1), 0);
    ck_assert_int_eq(tu_report(p, "b", 2, 2, 0.2), 0);
    ck_assert_int_eq(tu_report(p, "b", 2, 3, 0.15), 0); /* 0.2 is in its last two */
    ck_assert_int_eq(tu_report(p, "b", 2, 4, 0.15), 1); /* stalled, and below the median 0.95 */
    /* stalled, but its best is above the median: the wrapped pruner keeps it */
    ck_assert_int_eq(tu_report(p, "c", 3, 1, 0.95), 0);
    ck_assert_int_eq(tu_report(p, "c", 3, 2, 0.85), 0);
    ck_assert_int_eq(tu_report(p, "c", 3, 3, 0.85), 0); /* best 0.95, the median at 3 is 0.9 */
    mmarml_pruner_unref(p);
    mmarml_pruner_unref(w); /* our reference; the wrapper dropped its own */
}
END_TEST

START_TEST(patient_refuses_impossible_args)
{
    mmarml_pruner *p = NULL;

    ck_assert_int_eq(mmarml_pruner_new_patient(&p, NULL, 1, -0.1), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_patient(&p, NULL, 1, NAN), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_patient(&p, NULL, UINT64_MAX, 0), MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "patience"));
    ck_assert_ptr_null(p);
}
END_TEST

/* ---- SuccessiveHalvingPruner ---- */

START_TEST(halving_bootstrap_stops_the_first_jobs_at_a_rung)
{
    mmarml_pruner *p = NULL;

    /* rungs at 1 and 3; the first 2 values at a rung stop there, whatever they are */
    ck_ok(mmarml_pruner_new_asha_ex(&p, 1, 3, 0, 0, 2));
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.9), 1);
    ck_assert_int_eq(tu_report(p, "b", 2, 1, 0.9), 1);
    ck_assert_int_eq(tu_report(p, "c", 3, 1, 0.5), 1); /* the third: 3rd of 3, top 1 */
    ck_assert_int_eq(tu_report(p, "d", 4, 1, 0.95), 0);
    ck_assert_int_eq(tu_report(p, "d", 4, 3, 0.1), 1); /* the first at rung 3 */
    mmarml_pruner_unref(p);
    /* 0 and 0 are plain ASHA: the first job at a rung goes on */
    ck_ok(mmarml_pruner_new_asha_ex(&p, 1, 3, 0, 0, 0));
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.1), 0);
    mmarml_pruner_unref(p);
    /* Hyperband applies it in its brackets: max 2, one bracket with one rung, at 1 */
    ck_ok(mmarml_pruner_new_hyperband_ex(&p, 1, 3, 2, 1));
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.9), 1);
    ck_assert_int_eq(tu_report(p, "b", 2, 1, 0.9), 0); /* a tie with the best of 2 */
    mmarml_pruner_unref(p);
}
END_TEST

START_TEST(halving_early_stopping_rate_moves_the_rungs)
{
    mmarml_pruner *p = NULL;

    ck_ok(mmarml_pruner_new_asha_ex(&p, 1, 3, 0, 2, 0)); /* rungs at 9, 27, ... */
    ck_assert_int_eq(tu_report(p, "a", 1, 8, 0.9), 0);
    ck_assert_int_eq(tu_report(p, "b", 2, 8, 0.1), 0); /* nothing judged below 9 */
    ck_assert_int_eq(tu_report(p, "a", 1, 9, 0.9), 0);
    ck_assert_int_eq(tu_report(p, "b", 2, 9, 0.1), 1);
    mmarml_pruner_unref(p);
    /* a rate that puts the first rung at or past max_resource: no rung, nothing stopped */
    ck_ok(mmarml_pruner_new_asha_ex(&p, 1, 3, 9, 2, 0));
    ck_assert_int_eq(tu_report(p, "a", 1, 9, 0.9), 0);
    ck_assert_int_eq(tu_report(p, "b", 2, 9, 0.1), 0);
    mmarml_pruner_unref(p);
    ck_assert_int_eq(mmarml_pruner_new_asha_ex(&p, 0, 3, 0, 1, 0), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_pruner_new_hyperband_ex(&p, 1, 3, 0, 1), MMARML_EINVAL);
    ck_assert_ptr_null(p);
}
END_TEST

/* Replays the traces Optuna 3.1's pruners decided (tests/data/optuna/record_decisions.py):
 * ours of the same name and args must stop at the same reports. Hyperband's were decided
 * with our choice of bracket per job, where Optuna hashes its study's name. */
START_TEST(pruners_decide_as_optuna_on_recorded_traces)
{
    const char *path = TEST_DATA_DIR "/optuna/decisions.jsonl";
    mmarml_registry *reg = NULL;
    FILE *f = fopen(path, "r");
    json_t *t;
    json_error_t err;
    int traces = 0, reports = 0, stops = 0, halving_auto = 0, patient_wrapping = 0,
        hyperband = 0;

    ck_assert_msg(f != NULL, "%s: cannot open", path);
    ck_ok(mmarml_registry_new(&reg));
    while ((t = json_loadf(f, JSON_DISABLE_EOF_CHECK, &err)) != NULL) {
        const char *name = json_string_value(json_object_get(t, "name"));
        json_t *args = json_object_get(t, "args");
        json_t *spec = json_pack("{s:s, s:O}", "name", name, "args", args);
        json_t *events = json_object_get(t, "events"), *e;
        mmarml_pruner *p = NULL;
        size_t i;

        ck_ok(mmarml_registry_create_pruner(&p, reg, spec, path));
        halving_auto += strcmp(name, "SuccessiveHalvingPruner") == 0 &&
                        json_object_get(args, "min_resource") == NULL;
        patient_wrapping += json_is_object(json_object_get(args, "wrapped_pruner"));
        hyperband += strcmp(name, "HyperbandPruner") == 0;
        json_array_foreach(events, i, e) {
            const char *kind = json_string_value(json_array_get(e, 0));
            json_int_t number = json_integer_value(json_array_get(e, 1));
            char job[32];

            snprintf(job, sizeof(job), "t%lld", (long long)number);
            if (strcmp(kind, "report") == 0) {
                int stop = tu_report(p, job, (uint64_t)number,
                                     json_number_value(json_array_get(e, 2)),
                                     json_number_value(json_array_get(e, 3)));
                int optuna = (int)json_integer_value(json_array_get(e, 4));

                ck_assert_msg(stop == optuna, "trace %d (%s), event %zu (job %s, step %g, "
                              "value %g): ours %s, Optuna's %s", traces + 1, name, i, job,
                              json_number_value(json_array_get(e, 2)),
                              json_number_value(json_array_get(e, 3)),
                              stop ? "stop" : "go on", optuna ? "stop" : "go on");
                reports++;
                stops += stop;
            } else {
                const char *status = json_string_value(json_array_get(e, 2));
                mmarml_pruner_job_ended(p, job, (uint64_t)number,
                                        strcmp(status, "ok") == 0       ? MMARML_JOB_OK
                                        : strcmp(status, "pruned") == 0 ? MMARML_JOB_PRUNED
                                                                        : MMARML_JOB_FAILED);
            }
        }
        mmarml_pruner_unref(p);
        json_decref(spec);
        json_decref(t);
        traces++;
    }
    /* the whole file was read, and it has what the rules differ on */
    ck_assert_msg(feof(f), "%s: trace %d: %s", path, traces + 1, err.text);
    fclose(f);
    mmarml_registry_unref(reg);
    ck_assert_int_eq(traces, 51);
    ck_assert_int_ge(halving_auto, 3);
    ck_assert_int_ge(patient_wrapping, 3);
    ck_assert_int_ge(hyperband, 3);
    ck_assert_int_gt(stops, 1100);
    ck_assert_int_gt(reports - stops, 6000);
}
END_TEST

/* ---- registry names ---- */

START_TEST(optuna_pruners_by_registry_name)
{
    mmarml_registry *reg = NULL;
    mmarml_pruner *p;

    ck_ok(mmarml_registry_new(&reg));
    p = tu_pruner_make(reg, "{\"name\": \"PercentilePruner\", \"args\": {\"percentile\": 25,"
                           " \"n_min_trials\": 3}}");
    end_five(p);
    ck_assert_int_eq(tu_report(p, "a", 6, 1, 0.39), 1);
    ck_assert_int_eq(tu_report(p, "b", 7, 2, 0.0), 0); /* two ended jobs reported step 2, not 3 */
    mmarml_pruner_unref(p);
    tu_pruner_refused(reg, "{\"name\": \"PercentilePruner\"}", MMARML_EINVAL, "percentile");
    tu_pruner_refused(reg, "{\"name\": \"PercentilePruner\", \"args\": {\"percentile\": 101}}",
                      MMARML_EINVAL, "percentile");
    tu_pruner_refused(reg, "{\"name\": \"MedianPruner\", \"args\": {\"percentile\": 25}}",
                      MMARML_EINVAL, "percentile");
    tu_pruner_refused(reg, "{\"name\": \"MedianPruner\", \"args\": {\"n_min_trials\": 0}}",
                      MMARML_EINVAL, "n_min_trials");
    /* Optuna's MedianPruner takes n_min_trials too */
    p = tu_pruner_make(reg, "{\"name\": \"MedianPruner\", \"args\": {\"n_min_trials\": 6}}");
    end_five(p);
    ck_assert_int_eq(tu_report(p, "a", 6, 1, 0.0), 0);
    mmarml_pruner_unref(p);

    p = tu_pruner_make(reg, "{\"name\": \"ThresholdPruner\", \"args\": {\"lower\": 0.2,"
                           " \"n_warmup_steps\": 1}}");
    ck_assert_int_eq(tu_report(p, "a", 1, 0, 0.1), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.1), 1);
    mmarml_pruner_unref(p);
    tu_pruner_refused(reg, "{\"name\": \"ThresholdPruner\"}", MMARML_EINVAL, "lower or upper");
    tu_pruner_refused(reg, "{\"name\": \"ThresholdPruner\", \"args\": {\"lower\": \"0\"}}",
                      MMARML_EINVAL, "lower");
    tu_pruner_refused(reg, "{\"name\": \"ThresholdPruner\", \"args\": {\"lower\": 2,"
                           " \"upper\": 1}}", MMARML_EINVAL, "above upper");

    /* SuccessiveHalvingPruner: Optuna's defaults, min_resource "auto" and eta 4 */
    p = tu_pruner_make(reg, "{\"name\": \"SuccessiveHalvingPruner\"}");
    ck_assert_int_eq(tu_report(p, "a", 1, 100, 0.5), 0);
    ck_assert_int_eq(tu_report(p, "b", 2, 1, 0.1), 0); /* nothing judged before an ok end */
    mmarml_pruner_job_ended(p, "a", 1, MMARML_JOB_OK); /* min_resource 1: rungs 1, 4, 16 */
    ck_assert_int_eq(tu_report(p, "b", 2, 2, 0.5), 0); /* the first at rung 1 */
    ck_assert_int_eq(tu_report(p, "c", 3, 1, 0.2), 1);
    ck_assert_int_eq(tu_report(p, "d", 4, 1, 0.6), 0);
    ck_assert_int_eq(tu_report(p, "e", 5, 1, 0.1), 1);
    ck_assert_int_eq(tu_report(p, "f", 6, 1, 0.15), 1);
    ck_assert_int_eq(tu_report(p, "g", 7, 1, 0.55), 1); /* 2nd of 6: top 1 with eta 4, not 3 */
    mmarml_pruner_unref(p);
    p = tu_pruner_make(reg, "{\"name\": \"SuccessiveHalvingPruner\", \"args\": {"
                           "\"min_resource\": 1, \"reduction_factor\": 3,"
                           " \"bootstrap_count\": 1}}");
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.9), 1);
    ck_assert_int_eq(tu_report(p, "b", 2, 1, 0.95), 0); /* above the stopped first one */
    mmarml_pruner_unref(p);
    p = tu_pruner_make(reg, "{\"name\": \"ASHAPruner\", \"args\": {"
                           "\"min_early_stopping_rate\": 1}}"); /* rungs 3, 9 */
    ck_assert_int_eq(tu_report(p, "a", 1, 2, 0.9), 0);
    ck_assert_int_eq(tu_report(p, "b", 2, 2, 0.1), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 3, 0.9), 0);
    ck_assert_int_eq(tu_report(p, "b", 2, 3, 0.1), 1);
    mmarml_pruner_unref(p);
    p = tu_pruner_make(reg, "{\"name\": \"HyperbandPruner\", \"args\": {"
                           "\"max_resource\": 2, \"bootstrap_count\": 1}}");
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.9), 1);
    mmarml_pruner_unref(p);
    tu_pruner_refused(reg, "{\"name\": \"SuccessiveHalvingPruner\", \"args\": {"
                           "\"bootstrap_count\": -1}}", MMARML_EINVAL, "bootstrap_count");
    tu_pruner_refused(reg, "{\"name\": \"SuccessiveHalvingPruner\", \"args\": {"
                           "\"min_early_stopping_rate\": 0.5}}", MMARML_EINVAL,
                      "min_early_stopping_rate");
    /* the message names the pruner the user named */
    tu_pruner_refused(reg, "{\"name\": \"SuccessiveHalvingPruner\", \"args\": {"
                           "\"reduction_factor\": 1}}", MMARML_EINVAL,
                      "SuccessiveHalvingPruner, ours ASHAPruner: reduction_factor");
    /* Hyperband sets each bracket's rate itself */
    tu_pruner_refused(reg, "{\"name\": \"HyperbandPruner\", \"args\": {"
                           "\"min_early_stopping_rate\": 1}}", MMARML_EINVAL,
                      "min_early_stopping_rate");

    /* NopPruner never stops; PatientPruner wrapping it never either */
    p = tu_pruner_make(reg, "{\"name\": \"NopPruner\"}");
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.5), 0);
    mmarml_pruner_job_ended(p, "a", 1, MMARML_JOB_OK);
    ck_assert_int_eq(tu_report(p, "b", 2, 1, -1e300), 0);
    mmarml_pruner_unref(p);
    tu_pruner_refused(reg, "{\"name\": \"NopPruner\", \"args\": {\"patience\": 1}}",
                      MMARML_EINVAL, "patience");

    /* PatientPruner wraps a pruner spec of its own */
    p = tu_pruner_make(reg, "{\"name\": \"PatientPruner\", \"args\": {\"patience\": 0,"
                           " \"wrapped_pruner\": {\"name\": \"ThresholdPruner\","
                           " \"args\": {\"lower\": 0.5}}}}");
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.3), 0); /* below lower, but nothing before it */
    ck_assert_int_eq(tu_report(p, "a", 1, 2, 0.4), 0); /* below lower, but improving */
    ck_assert_int_eq(tu_report(p, "a", 1, 3, 0.35), 1);
    ck_assert_int_eq(tu_report(p, "b", 2, 1, 0.9), 0);
    ck_assert_int_eq(tu_report(p, "b", 2, 2, 0.8), 0); /* worse, but above lower */
    mmarml_pruner_unref(p);
    p = tu_pruner_make(reg, "{\"name\": \"PatientPruner\", \"args\": {\"patience\": 1,"
                           " \"wrapped_pruner\": null}}");
    ck_assert_int_eq(tu_report(p, "a", 1, 1, 0.5), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 2, 0.4), 0);
    ck_assert_int_eq(tu_report(p, "a", 1, 3, 0.4), 1);
    mmarml_pruner_unref(p);
    tu_pruner_refused(reg, "{\"name\": \"PatientPruner\"}", MMARML_EINVAL, "patience");
    tu_pruner_refused(reg, "{\"name\": \"PatientPruner\", \"args\": {\"patience\": -1}}",
                      MMARML_EINVAL, "patience");
    tu_pruner_refused(reg, "{\"name\": \"PatientPruner\", \"args\": {\"patience\": 1,"
                           " \"wrapped_pruner\": {\"name\": \"NoSuchPruner\"}}}",
                      MMARML_ENOTFOUND, "NoSuchPruner");
    tu_pruner_refused(reg, "{\"name\": \"PatientPruner\", \"args\": {\"patience\": 1,"
                           " \"wrapped_pruner\": {\"name\": \"ThresholdPruner\"}}}",
                      MMARML_EINVAL, "lower or upper");
    tu_pruner_refused(reg, "{\"name\": \"PatientPruner\", \"args\": {\"patience\": 1,"
                           " \"wrapped_pruner\": 5}}", MMARML_EINVAL, "wrapped_pruner");
    mmarml_registry_unref(reg);
}
END_TEST

static Suite *pruner_optuna_suite(void)
{
    Suite *s = suite_create("pruner_optuna");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, percentile_keeps_the_top_percent);
    tcase_add_test(tc, halving_bootstrap_stops_the_first_jobs_at_a_rung);
    tcase_add_test(tc, halving_early_stopping_rate_moves_the_rungs);
    tcase_add_test(tc, pruners_decide_as_optuna_on_recorded_traces);
    tcase_add_test(tc, percentile_judges_only_steps_enough_jobs_reported);
    tcase_add_test(tc, percentile_fifty_is_the_median);
    tcase_add_test(tc, percentile_refuses_impossible_args);
    tcase_add_test(tc, threshold_stops_values_out_of_bounds);
    tcase_add_test(tc, threshold_warmup_and_interval);
    tcase_add_test(tc, threshold_refuses_impossible_args);
    tcase_add_test(tc, patient_stops_a_job_that_stopped_improving);
    tcase_add_test(tc, patient_decides_as_the_rule_written_out);
    tcase_add_test(tc, patient_lets_the_wrapped_pruner_decide_once_a_job_stalled);
    tcase_add_test(tc, patient_refuses_impossible_args);
    tcase_add_test(tc, optuna_pruners_by_registry_name);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(pruner_optuna_suite());
}
