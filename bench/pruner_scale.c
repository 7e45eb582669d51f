/*
 * What a pruner costs as a run grows (bench/README.md, "pruner_scale"): JOBS jobs, one after
 * another, each reporting STEPS steps to the pruner and ending ok, as the engine would call
 * it. Every job reports to the end whatever the pruner says, so each pruner sees the same
 * reports. Prints one JSON line per pruner and size: the seconds in all and the mean
 * microseconds per report. The curves cross, as tests/check_pruner.c's do but slower, to fill
 * 100 steps: the first param sets how fast a job learns and where it ends, with a little
 * deterministic noise; the other params vary and do not matter.
 *
 * Usage: bench/pruner_scale [steps] [jobs...]   (defaults 100; 250 500 1000 2000)
 *        PRUNERS=wilcoxon,median (environment): only those (median, asha, wilcoxon, learned)
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mmarml.h>

#define MAX_PARAMS 8

static void drop_rec(void *rec)
{
    mmarml_recommendation_unref(rec);
}

static double unit(uint64_t *state) /* [0, 1), xorshift64* */
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return (double)((*state * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static void die(const char *what)
{
    fprintf(stderr, "pruner_scale: %s: %s\n", what, mmarml_error_message());
    exit(1);
}

static mmarml_pruner *new_pruner(const char *name)
{
    mmarml_pruner *p = NULL;
    int rc = strcmp(name, "median") == 0 ? mmarml_pruner_new_median(&p, 5, 0, 1)
             : strcmp(name, "asha") == 0 ? mmarml_pruner_new_asha(&p, 1, 3, 100)
             : strcmp(name, "wilcoxon") == 0 ? mmarml_pruner_new_wilcoxon(&p, 0.1, 2)
                                             : mmarml_pruner_new_learned_curve(&p, 5, 2);
    if (rc != MMARML_OK)
        die(name);
    return p;
}

static double run(const char *name, int params, int jobs, int steps)
{
    mmarml_pruner *p = new_pruner(name);
    mmarml_search_space *space = NULL;
    struct timespec start, end;
    uint64_t state = 0x9e3779b97f4a7c15ull;
    char prl[32], job[32];
    int i, j, t;

    if (mmarml_search_space_new(&space, "scale") != MMARML_OK)
        die("space");
    for (i = 0; i < params; i++) {
        snprintf(prl, sizeof(prl), "p%d.float.$0:x", i);
        if (mmarml_search_space_add_float(space, prl, "x", 0, 1, 0) != MMARML_OK)
            die("space");
    }
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (j = 0; j < jobs; j++) {
        mmarml_recommendation *rec = NULL;
        mmarml_context *ctx = NULL;
        double x[MAX_PARAMS];

        for (i = 0; i < params; i++)
            x[i] = unit(&state);
        if (mmarml_recommendation_new(&rec, j, space, x, (size_t)params) != MMARML_OK ||
            mmarml_context_new(&ctx, NULL) != MMARML_OK ||
            mmarml_context_set_pointer(ctx, MMARML_KEY_RECOMMENDATION, rec, drop_rec) !=
                MMARML_OK)
            die("job");
        snprintf(job, sizeof(job), "job%d", j);
        for (t = 1; t <= steps; t++) {
            double value = (0.9 - 0.3 * x[0]) * (1 - exp(-(0.03 + 0.1 * x[0]) * t)) +
                           0.01 * (unit(&state) - 0.5);
            int stop;

            if (mmarml_pruner_report(&stop, p, job, (uint64_t)j, t, value, ctx) != MMARML_OK)
                die("report");
        }
        mmarml_pruner_job_ended(p, job, (uint64_t)j, MMARML_JOB_OK);
        mmarml_context_unref(ctx);
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    mmarml_pruner_unref(p);
    mmarml_search_space_unref(space);
    return (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int params;
    } pruners[] = {{"median", 3}, {"asha", 3}, {"wilcoxon", 3}, {"learned", 3}, {"learned", 8}};
    static const int default_jobs[] = {250, 500, 1000, 2000};
    int steps = argc > 1 ? atoi(argv[1]) : 100;
    int njobs = argc > 2 ? argc - 2 : (int)(sizeof(default_jobs) / sizeof(default_jobs[0]));
    const char *only = getenv("PRUNERS");
    int valid = steps >= 1 && steps <= 100000, n;
    size_t k;

    for (n = 0; argc > 2 && n < njobs; n++) /* all checked before anything runs */
        valid = valid && atoi(argv[2 + n]) >= 1 && atoi(argv[2 + n]) <= 1000000;
    if (!valid) {
        fprintf(stderr, "usage: pruner_scale [steps 1..100000] [jobs 1..1000000 ...]\n");
        return 2;
    }
    for (k = 0; k < sizeof(pruners) / sizeof(pruners[0]); k++) {
        if (only != NULL && strstr(only, pruners[k].name) == NULL)
            continue;
        for (n = 0; n < njobs; n++) {
            int jobs = argc > 2 ? atoi(argv[2 + n]) : default_jobs[n];
            double seconds = run(pruners[k].name, pruners[k].params, jobs, steps);

            printf("{\"pruner\": \"%s\", \"params\": %d, \"jobs\": %d, \"steps\": %d, "
                   "\"seconds\": %.3f, \"us_per_report\": %.2f}\n",
                   pruners[k].name, pruners[k].params, jobs, steps, seconds,
                   seconds * 1e6 / ((double)jobs * steps));
            fflush(stdout);
        }
    }
    return 0;
}
