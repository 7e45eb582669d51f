/*
 * Fuzz target for the built-in pruners (lib/pruners/): every one of them, with args that
 * let it judge from the first jobs on, is given the same sequence of reports and job ends
 * that the input spells, as the public API lets any caller give them: steps again, back,
 * negative or fractional, values from -32.768 to 32.767, reports after a job's end, a name
 * used again, ends of jobs that never reported, any status. The engine's own order is one
 * of these sequences; a replayed journal or a user's driver may give any. Any crash, sanitizer
 * report or leak is a finding, and so is a report of finite numbers that fails, a decision
 * other than 0 or 1, or NopPruner stopping a job.
 *
 * Input: operations of 6 bytes each. Byte 0: what (low two bits: 0, 1 a report, 2 an end
 * ok, 3 an end with another status, from bits 2-3), byte 1: the job (one of 6 names),
 * bytes 2-3: the step (a signed 16-bit number over 4), bytes 4-5: the value (signed 16-bit
 * over 1,000). Each job's context holds a recommendation in a two-param space, for the
 * pruners that read the config.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mmarml.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define JOBS 6

static const char *const specs[] = {
    "{\"name\": \"MedianPruner\", \"args\": {\"n_startup_trials\": 1}}",
    "{\"name\": \"MedianPruner\", \"args\": {\"n_startup_trials\": 1, \"include_pruned\": true,"
    " \"min_rank_correlation\": 0.5, \"interval_steps\": 2}}",
    "{\"name\": \"PercentilePruner\", \"args\": {\"percentile\": 25, \"n_startup_trials\": 1}}",
    "{\"name\": \"ThresholdPruner\", \"args\": {\"lower\": -1, \"upper\": 10}}",
    "{\"name\": \"PatientPruner\", \"args\": {\"patience\": 1, \"wrapped_pruner\":"
    " {\"name\": \"MedianPruner\", \"args\": {\"n_startup_trials\": 1}}}}",
    "{\"name\": \"WilcoxonPruner\", \"args\": {\"n_startup_steps\": 1, \"p_threshold\": 0.5}}",
    "{\"name\": \"ASHAPruner\", \"args\": {\"min_resource\": 1, \"reduction_factor\": 2,"
    " \"bootstrap_count\": 1}}",
    "{\"name\": \"SuccessiveHalvingPruner\"}",
    "{\"name\": \"HyperbandPruner\", \"args\": {\"max_resource\": 9}}",
    "{\"name\": \"HyperbandPruner\", \"args\": {\"min_resource\": \"auto\"}}",
    "{\"name\": \"LearnedCurvePruner\", \"args\": {\"n_startup_trials\": 1, \"std_errors\": 0}}",
    "{\"name\": \"NopPruner\"}",
};
#define NPRUNERS (sizeof(specs) / sizeof(specs[0]))

static const int other_statuses[4] = {MMARML_JOB_PRUNED, MMARML_JOB_FAILED,
                                      MMARML_JOB_ABORTED, MMARML_JOB_ERROR};

static void drop_rec(void *rec)
{
    mmarml_recommendation_unref(rec);
}

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_pruners: %s\n", what);
    abort();
}

/* The contexts of the jobs: job k at (k / 5, 1 - k / 5). */
static void make_contexts(mmarml_context **ctx, mmarml_search_space **space_out)
{
    mmarml_search_space *space = NULL;
    size_t k;

    if (mmarml_search_space_new(&space, "fuzz") != MMARML_OK ||
        mmarml_search_space_add_float(space, "a.float.$0:a", "x", 0, 1, 0) != MMARML_OK ||
        mmarml_search_space_add_float(space, "b.float.$0:b", "x", 0, 1, 0) != MMARML_OK)
        fail("cannot make the space");
    for (k = 0; k < JOBS; k++) {
        double v[2] = {(double)k / 5, 1 - (double)k / 5};
        mmarml_recommendation *rec = NULL;
        ctx[k] = NULL;
        if (mmarml_context_new(&ctx[k], NULL) != MMARML_OK ||
            mmarml_recommendation_new(&rec, k, space, v, 2) != MMARML_OK ||
            mmarml_context_set_pointer(ctx[k], MMARML_KEY_RECOMMENDATION, rec, drop_rec) !=
                MMARML_OK)
            fail("cannot make a job context");
    }
    *space_out = space;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[JOBS] = {"W1_1_J1", "W1_2_J2", "W2_1_J3",
                                            "W2_2_J4", "j", ""};
    mmarml_pruner *pruners[NPRUNERS] = {NULL};
    mmarml_context *ctx[JOBS];
    mmarml_search_space *space = NULL;
    mmarml_registry *reg = NULL;
    size_t i, k;

    if (mmarml_registry_new(&reg) != MMARML_OK)
        fail("cannot make the registry");
    for (k = 0; k < NPRUNERS; k++) {
        json_t *spec = json_loads(specs[k], 0, NULL);
        if (spec == NULL ||
            mmarml_registry_create_pruner(&pruners[k], reg, spec, "fuzz") != MMARML_OK)
            fail(specs[k]);
        json_decref(spec);
    }
    make_contexts(ctx, &space);
    for (i = 0; i + 6 <= size; i += 6) {
        const uint8_t *op = data + i;
        size_t job = op[1] % JOBS;
        double step = (double)(int16_t)(op[2] | op[3] << 8) / 4;
        double value = (double)(int16_t)(op[4] | op[5] << 8) / 1000;
        for (k = 0; k < NPRUNERS; k++) {
            if ((op[0] & 3) < 2) {
                int stop = -1;
                if (mmarml_pruner_report(&stop, pruners[k], names[job], job + 1, step, value,
                                         ctx[job]) != MMARML_OK)
                    fail(mmarml_error_message());
                if (stop != 0 && stop != 1)
                    fail("a decision other than 0 or 1");
                if (stop && k == NPRUNERS - 1)
                    fail("NopPruner stopped a job");
            } else {
                mmarml_pruner_job_ended(pruners[k], names[job], job + 1,
                                        (op[0] & 3) == 2 ? MMARML_JOB_OK
                                                         : other_statuses[op[0] >> 2 & 3]);
            }
        }
    }
    for (k = 0; k < NPRUNERS; k++)
        mmarml_pruner_unref(pruners[k]);
    for (k = 0; k < JOBS; k++)
        mmarml_context_unref(ctx[k]);
    mmarml_search_space_unref(space);
    mmarml_registry_unref(reg);
    return 0;
}
