/* The bundled controllers, driven by hand through the public calls. */
#include <math.h>
#include <string.h>

#include "testutil.h"

typedef struct {
    mmarml_controller *ctl;
    mmarml_context *ctx;
    mmarml_search_space *space;
    mmarml_recommendation_list *list;
} harness;

static void harness_init(harness *h, mmarml_controller *ctl, int64_t workers)
{
    h->ctl = ctl;
    ck_ok(mmarml_context_new(&h->ctx, NULL));
    ck_ok(mmarml_context_set_int(h->ctx, MMARML_KEY_NUM_WORKERS, workers));
    h->space = tu_space();
    ck_ok(mmarml_search_space_add_float(h->space, "lr.float.$1:wd", "lr", 1e-6, 1e-1,
                                        MMARML_PARAM_F_LOG));
    ck_ok(mmarml_controller_set_search_space(ctl, h->space, h->ctx));
    ck_ok(mmarml_recommendation_list_new(&h->list));
}

static void harness_free(harness *h)
{
    mmarml_recommendation_list_free(h->list);
    mmarml_search_space_unref(h->space);
    mmarml_context_unref(h->ctx);
    mmarml_controller_unref(h->ctl);
}

/* Feed an outcome for recommendation `rec` and return how many new ones came back. */
static size_t feed(harness *h, mmarml_recommendation *rec, int status, double score)
{
    mmarml_outcome *o = NULL;

    mmarml_recommendation_list_clear(h->list);
    ck_ok(mmarml_outcome_new(&o, rec, status, score, "J"));
    ck_ok(mmarml_controller_refine_recommendation(h->list, h->ctl, o, h->ctx));
    mmarml_outcome_unref(o);
    return mmarml_recommendation_list_count(h->list);
}

START_TEST(dummy_is_the_midpoint_one_at_a_time)
{
    mmarml_controller *c = NULL;
    mmarml_recommendation *r;
    const double *v;
    harness h;
    int i;

    ck_ok(mmarml_controller_new_dummy(&c, 3));
    harness_init(&h, c, 4);
    ck_ok(mmarml_controller_initial_recommendation(h.list, c, h.ctx));
    ck_assert_uint_eq(mmarml_recommendation_list_count(h.list), 1);
    r = mmarml_recommendation_ref(mmarml_recommendation_list_get(h.list, 0));
    v = mmarml_recommendation_values(r);
    ck_assert_double_eq_tol(v[0], 0.0505, 1e-12); /* float midpoint */
    ck_assert_double_eq(v[1], 0);                 /* enum: first choice */
    ck_assert_double_eq(v[2], 5);                 /* int midpoint of 1..8, rounded */
    ck_assert_double_eq_tol(v[3], sqrt(1e-6 * 1e-1), 1e-12); /* log: geometric */
    for (i = 0; i < 2; i++)
        ck_assert_uint_eq(feed(&h, r, MMARML_JOB_OK, 0.5), 1);
    ck_assert_int_eq(mmarml_context_stop_work_asked(h.ctx), 0);
    ck_assert_uint_eq(feed(&h, r, MMARML_JOB_OK, 0.5), 0); /* third outcome: done */
    ck_assert_int_eq(mmarml_context_stop_work_asked(h.ctx), 1);
    mmarml_recommendation_unref(r);
    harness_free(&h);
}
END_TEST

START_TEST(test_controller_batches)
{
    mmarml_controller *c = NULL;
    mmarml_recommendation *r;
    harness h;

    ck_ok(mmarml_controller_new_test(&c, 5, 2, 1));
    harness_init(&h, c, 1);
    ck_ok(mmarml_controller_initial_recommendation(h.list, c, h.ctx));
    ck_assert_uint_eq(mmarml_recommendation_list_count(h.list), 2);
    r = mmarml_recommendation_ref(mmarml_recommendation_list_get(h.list, 0));
    ck_assert_uint_eq(feed(&h, r, MMARML_JOB_OK, 1), 0); /* one of the batch is still out */
    ck_assert_uint_eq(feed(&h, r, MMARML_JOB_FAILED, 0), 2);
    ck_assert_uint_eq(feed(&h, r, MMARML_JOB_OK, 1), 0);
    ck_assert_uint_eq(feed(&h, r, MMARML_JOB_OK, 1), 1); /* the last one of five */
    ck_assert_uint_eq(feed(&h, r, MMARML_JOB_OK, 1), 0);
    mmarml_recommendation_unref(r);
    harness_free(&h);
    ck_assert_int_eq(mmarml_controller_new_test(&c, 5, 0, 1), MMARML_EINVAL);
}
END_TEST

/* Collect `n` recommendations' values from a random controller with `seed`. */
static void random_values(uint64_t seed, double *out, size_t n)
{
    mmarml_controller *c = NULL;
    mmarml_recommendation *r;
    size_t i, k, got = 0;
    harness h;

    ck_ok(mmarml_controller_new_random(&c, n, seed));
    harness_init(&h, c, 2);
    ck_ok(mmarml_controller_initial_recommendation(h.list, c, h.ctx));
    while (got < n) {
        size_t count = mmarml_recommendation_list_count(h.list);
        ck_assert_uint_gt(count, 0);
        r = mmarml_recommendation_ref(mmarml_recommendation_list_get(h.list, count - 1));
        for (i = 0; i < count && got < n; i++) {
            const double *v =
                mmarml_recommendation_values(mmarml_recommendation_list_get(h.list, i));
            for (k = 0; k < 4; k++)
                out[got * 4 + k] = v[k];
            got++;
        }
        if (got < n)
            feed(&h, r, MMARML_JOB_OK, 0.1);
        mmarml_recommendation_unref(r);
    }
    harness_free(&h);
}

START_TEST(random_is_seeded_and_in_range)
{
    enum { N = 500 };
    static double a[N * 4], b[N * 4], c[N * 4];
    int seen_choice[3] = {0}, seen_int[8] = {0};
    size_t i;

    random_values(7, a, N);
    random_values(7, b, N);
    random_values(8, c, N);
    ck_assert(memcmp(a, b, sizeof(a)) == 0);
    ck_assert(memcmp(a, c, sizeof(a)) != 0);
    for (i = 0; i < N; i++) {
        const double *v = &a[i * 4];
        ck_assert(v[0] >= 0.001 && v[0] <= 0.1);
        ck_assert(v[1] == floor(v[1]) && v[1] >= 0 && v[1] <= 2);
        ck_assert(v[2] == floor(v[2]) && v[2] >= 1 && v[2] <= 8);
        ck_assert(v[3] >= 1e-6 && v[3] <= 1e-1);
        seen_choice[(int)v[1]]++;
        seen_int[(int)v[2] - 1]++;
    }
    for (i = 0; i < 3; i++)
        ck_assert_int_gt(seen_choice[i], N / 6);
    for (i = 0; i < 8; i++)
        ck_assert_int_gt(seen_int[i], N / 32);
}
END_TEST

START_TEST(random_keeps_every_worker_busy)
{
    mmarml_controller *c = NULL;
    mmarml_recommendation *r;
    harness h;
    char *msg;
    int i;

    ck_ok(mmarml_controller_new_random(&c, 6, 0));
    harness_init(&h, c, 4);
    ck_ok(mmarml_controller_initial_recommendation(h.list, c, h.ctx));
    ck_assert_uint_eq(mmarml_recommendation_list_count(h.list), 4); /* one per worker */
    r = mmarml_recommendation_ref(mmarml_recommendation_list_get(h.list, 0));
    ck_assert_uint_eq(feed(&h, r, MMARML_JOB_OK, 1), 1);
    ck_assert_uint_eq(feed(&h, r, MMARML_JOB_NO_SCORE, 0), 1);
    for (i = 0; i < 3; i++) /* six issued: no more */
        ck_assert_uint_eq(feed(&h, r, MMARML_JOB_OK, 1), 0);
    ck_assert_int_eq(mmarml_context_stop_work_asked(h.ctx), 0);
    ck_assert_uint_eq(feed(&h, r, MMARML_JOB_OK, 1), 0); /* sixth outcome */
    ck_ok(mmarml_context_get_stop_message(h.ctx, &msg));
    ck_assert_str_eq(msg, "Number of runs reached 6. Requesting stop.");
    mmarml_free(msg);
    mmarml_recommendation_unref(r);
    harness_free(&h);
}
END_TEST

/* Run `c` through the engine on two workers with an executor over `space` (NULL:
 * tu_space()) that scores each job by its first value. Returns how many jobs ran. */
static unsigned run_engine(mmarml_controller *c, mmarml_search_space *space, int *end_reason)
{
    tu_executor_state st;
    mmarml_executor *exe;
    mmarml_engine *e = NULL;
    mmarml_context *ctx = NULL;
    mmarml_engine_options o = tu_options("0:1");
    unsigned executed;

    tu_executor_init(&st, TU_EXEC_SCORE);
    st.space = space;
    exe = tu_executor(&st);
    ck_ok(mmarml_engine_new(&e, c, exe, &o));
    ck_ok(mmarml_context_new(&ctx, NULL));
    ck_ok(mmarml_engine_run(e, ctx));
    executed = st.executed;
    *end_reason = mmarml_engine_end_reason(e);
    mmarml_context_unref(ctx);
    mmarml_engine_unref(e);
    mmarml_executor_unref(exe);
    tu_executor_free(&st);
    return executed;
}

/* RandomController stops the run after max_rounds outcomes. */
START_TEST(controllers_through_the_engine)
{
    mmarml_controller *c = NULL;
    int end;

    ck_ok(mmarml_controller_new_random(&c, 7, 5));
    ck_assert_uint_eq(run_engine(c, NULL, &end), 7);
    ck_assert_int_eq(end, MMARML_END_STOP_ASKED);
    mmarml_controller_unref(c);
}
END_TEST

/* ---- driving a controller over any space with an objective, one job at a time ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* What a job's outcome is: made for recommendation `r`, the `index`-th job (0-based). */
typedef mmarml_outcome *(*outcome_fn)(mmarml_recommendation *r, size_t index, void *arg);

/* Run `rounds` outcomes (or until the controller has nothing more) as the engine would,
 * `workers` recommendations first, each job's outcome made by `outcome`, and keep each
 * recommendation's values in `kept` (rounds x params). Returns how many ran. */
static size_t drive_outcomes(mmarml_controller *c, mmarml_search_space *space, int64_t workers,
                             size_t rounds, double *kept, outcome_fn outcome, void *arg)
{
    mmarml_recommendation_list *list = NULL, *more = NULL;
    mmarml_context *ctx = NULL;
    size_t n = mmarml_search_space_count(space), got = 0, next = 0;

    ck_ok(mmarml_context_new(&ctx, NULL));
    ck_ok(mmarml_context_set_int(ctx, MMARML_KEY_NUM_WORKERS, workers));
    ck_ok(mmarml_controller_set_search_space(c, space, ctx));
    ck_ok(mmarml_recommendation_list_new(&list));
    ck_ok(mmarml_recommendation_list_new(&more));
    ck_ok(mmarml_controller_initial_recommendation(list, c, ctx));
    /* pending recommendations in FIFO order, as the engine keeps them */
    while (next < mmarml_recommendation_list_count(list) && got < rounds) {
        mmarml_recommendation *r = mmarml_recommendation_list_get(list, next++);
        const double *v = mmarml_recommendation_values(r);
        mmarml_outcome *o;
        size_t i;
        for (i = 0; i < n; i++) {
            ck_ok(mmarml_param_check_value(mmarml_search_space_param(space, i), v[i]));
            kept[got * n + i] = v[i];
        }
        o = outcome(r, got++, arg);
        mmarml_recommendation_list_clear(more);
        ck_ok(mmarml_controller_refine_recommendation(more, c, o, ctx));
        mmarml_outcome_unref(o);
        for (i = 0; i < mmarml_recommendation_list_count(more); i++)
            ck_ok(mmarml_recommendation_list_append(list,
                                                    mmarml_recommendation_list_get(more, i)));
    }
    mmarml_recommendation_list_free(list);
    mmarml_recommendation_list_free(more);
    mmarml_context_unref(ctx);
    return got;
}

typedef double (*objective_fn)(const double *v); /* NAN = a failed job */

/* drive_with()'s jobs: the objective's score, and with `prune` a crude MedianPruner at
 * step 1: after the first 5 jobs, a job scoring below the median of those that ended ok so
 * far is pruned after one report of its score. */
typedef struct {
    objective_fn f;
    int prune;
    size_t npruned, nok;
    double ok_scores[512];
} scored_jobs;

static mmarml_outcome *scored_outcome(mmarml_recommendation *r, size_t index, void *arg)
{
    scored_jobs *sj = arg;
    double score = sj->f(mmarml_recommendation_values(r));
    int status = isnan(score) ? MMARML_JOB_FAILED : MMARML_JOB_OK;
    mmarml_outcome *o = NULL;

    (void)index;
    if (sj->prune && sj->nok >= 5 && status == MMARML_JOB_OK) {
        double sorted[512];
        memcpy(sorted, sj->ok_scores, sj->nok * sizeof(double));
        qsort(sorted, sj->nok, sizeof(double), cmp_double);
        if (score < sorted[sj->nok / 2])
            status = MMARML_JOB_PRUNED;
    }
    ck_ok(mmarml_outcome_new(&o, r, status, score, "J"));
    if (sj->prune)
        ck_ok(mmarml_outcome_add_report(o, 1, score));
    if (status == MMARML_JOB_PRUNED)
        sj->npruned++;
    else if (status == MMARML_JOB_OK && sj->nok < 512)
        sj->ok_scores[sj->nok++] = score;
    return o;
}

/* drive_outcomes() with the objective `f`, pruned as scored_jobs says when `prune`. */
static size_t drive_with(mmarml_controller *c, mmarml_search_space *space, int64_t workers,
                         objective_fn f, size_t rounds, double *kept, int prune,
                         size_t *npruned)
{
    scored_jobs sj;
    size_t got;

    memset(&sj, 0, sizeof(sj));
    sj.f = f;
    sj.prune = prune;
    got = drive_outcomes(c, space, workers, rounds, kept, scored_outcome, &sj);
    if (npruned != NULL)
        *npruned = sj.npruned;
    return got;
}

static size_t drive(mmarml_controller *c, mmarml_search_space *space, int64_t workers,
                    objective_fn f, size_t rounds, double *kept)
{
    return drive_with(c, space, workers, f, rounds, kept, 0, NULL);
}

typedef int (*make_fn)(mmarml_controller **out, uint64_t seed, size_t rounds);

/* Two `n`-job runs with `seed` keep the same points (into a and b) and prune the same jobs;
 * a run with seed + 1 keeps others (into b). Returns how many jobs the first run pruned. */
static size_t assert_seeded(make_fn make, uint64_t seed, mmarml_search_space *s,
                            objective_fn f, size_t n, double *a, double *b, int prune)
{
    mmarml_controller *c = NULL;
    size_t pruned_a = 0, pruned_b = 0;
    size_t bytes = n * mmarml_search_space_count(s) * sizeof(double);

    ck_ok(make(&c, seed, n));
    ck_assert_uint_eq(drive_with(c, s, 1, f, n, a, prune, &pruned_a), n);
    mmarml_controller_unref(c);
    ck_ok(make(&c, seed, n));
    ck_assert_uint_eq(drive_with(c, s, 1, f, n, b, prune, &pruned_b), n);
    mmarml_controller_unref(c);
    ck_assert(memcmp(a, b, bytes) == 0 && pruned_a == pruned_b);
    ck_ok(make(&c, seed + 1, n));
    ck_assert_uint_eq(drive_with(c, s, 1, f, n, b, prune, &pruned_b), n);
    mmarml_controller_unref(c);
    ck_assert(memcmp(a, b, bytes) != 0);
    return pruned_a;
}

static int make_reinforce(mmarml_controller **out, uint64_t seed, size_t rounds)
{
    return mmarml_controller_new_reinforce(out, rounds, seed, 0.1);
}

static int make_tpe(mmarml_controller **out, uint64_t seed, size_t rounds)
{
    return mmarml_controller_new_tpe(out, rounds, seed, 10);
}

static double zero(const double *v)
{
    (void)v;
    return 0;
}

START_TEST(grid_enumerates_the_product)
{
    mmarml_search_space *s = tu_space(); /* enum of 3, float [0.001, 0.1], int [1, 8] */
    mmarml_controller *c = NULL;
    double kept[64 * 3];
    size_t i, j, n;

    ck_ok(mmarml_controller_new_grid(&c, 3, 0));
    n = drive(c, s, 4, zero, 64, kept);
    ck_assert_uint_eq(n, 27); /* 3 choices x 3 floats x 3 ints, then nothing more */
    ck_assert_double_eq(kept[0], 0.001);  /* first: every param at its first point */
    ck_assert_double_eq(kept[1], 0);
    ck_assert_double_eq(kept[2], 1);
    ck_assert_double_eq(kept[5], 5);      /* the int's middle point: 4.5 rounded */
    ck_assert_double_eq(kept[8], 8);
    ck_assert_double_eq(kept[26 * 3 + 0], 0.1); /* last: every param at its last point */
    ck_assert_double_eq(kept[26 * 3 + 1], 2);
    for (i = 0; i < n; i++) /* all distinct */
        for (j = i + 1; j < n; j++)
            ck_assert(memcmp(&kept[i * 3], &kept[j * 3], 3 * sizeof(double)) != 0);
    mmarml_controller_unref(c);
    mmarml_search_space_unref(s);

    /* ints are not repeated; log-scale floats are log-spaced; max_rounds caps */
    ck_ok(mmarml_search_space_new(&s, "g"));
    ck_ok(mmarml_search_space_add_int(s, "a.int.$0:a", "a", 1, 2, 0));
    ck_ok(mmarml_search_space_add_float(s, "b.float.$0:b", "b", 1e-4, 1e-2, MMARML_PARAM_F_LOG));
    ck_ok(mmarml_controller_new_grid(&c, 3, 0));
    n = drive(c, s, 1, zero, 64, kept);
    ck_assert_uint_eq(n, 6);
    ck_assert_double_eq_tol(kept[3], 1e-3, 1e-12);
    mmarml_controller_unref(c);
    ck_ok(mmarml_controller_new_grid(&c, 3, 4));
    ck_assert_uint_eq(drive(c, s, 1, zero, 64, kept), 4);
    mmarml_controller_unref(c);
    mmarml_search_space_unref(s);
    ck_assert_int_eq(mmarml_controller_new_grid(&c, 0, 0), MMARML_EINVAL);
}
END_TEST

static mmarml_search_space *enum_space(int nparams, int choices)
{
    mmarml_search_space *s = NULL;
    json_t *targets = json_array();
    char prl[32];
    int i;

    for (i = 0; i < choices; i++)
        json_array_append_new(targets, json_pack("[i]", i));
    ck_ok(mmarml_search_space_new(&s, "enums"));
    for (i = 0; i < nparams; i++) {
        snprintf(prl, sizeof(prl), "net.enum.m$%d:a%d", i, i);
        ck_ok(mmarml_search_space_add_enum(s, prl, "net", targets));
    }
    json_decref(targets);
    return s;
}

START_TEST(reinforce_runs_small_enum_spaces_at_once)
{
    mmarml_search_space *s = enum_space(3, 2);
    mmarml_recommendation_list *l = NULL;
    mmarml_controller *c = NULL;
    mmarml_context *ctx = NULL;
    size_t i, j;

    ck_ok(mmarml_controller_new_reinforce(&c, 8, 0, 0.1));
    ck_ok(mmarml_context_new(&ctx, NULL));
    ck_ok(mmarml_controller_set_search_space(c, s, ctx));
    ck_ok(mmarml_recommendation_list_new(&l));
    ck_ok(mmarml_controller_initial_recommendation(l, c, ctx));
    ck_assert_uint_eq(mmarml_recommendation_list_count(l), 8); /* 2 x 2 x 2, all at once */
    for (i = 0; i < 8; i++)
        for (j = i + 1; j < 8; j++)
            ck_assert(memcmp(mmarml_recommendation_values(mmarml_recommendation_list_get(l, i)),
                             mmarml_recommendation_values(mmarml_recommendation_list_get(l, j)),
                             3 * sizeof(double)) != 0);
    mmarml_recommendation_list_free(l);
    mmarml_controller_unref(c);
    /* one combination more than max_rounds: the policy, one per worker */
    ck_ok(mmarml_controller_new_reinforce(&c, 7, 0, 0.1));
    ck_ok(mmarml_controller_set_search_space(c, s, ctx));
    ck_ok(mmarml_recommendation_list_new(&l));
    ck_ok(mmarml_context_set_int(ctx, MMARML_KEY_NUM_WORKERS, 2));
    ck_ok(mmarml_controller_initial_recommendation(l, c, ctx));
    ck_assert_uint_eq(mmarml_recommendation_list_count(l), 2);
    mmarml_recommendation_list_free(l);
    mmarml_controller_unref(c);
    mmarml_context_unref(ctx);
    mmarml_search_space_unref(s);
}
END_TEST

static double peak_at_085(const double *v)
{
    return -(v[0] - 0.85) * (v[0] - 0.85) + (v[1] == 2 ? 0.3 : 0);
}

static double fail_every_third(const double *v)
{
    static int calls;
    return ++calls % 3 == 0 ? NAN : peak_at_085(v);
}

static mmarml_search_space *float_enum_space(void)
{
    mmarml_search_space *s = NULL;
    json_t *four = json_loads("[[0], [1], [2], [3]]", 0, NULL);

    ck_ok(mmarml_search_space_new(&s, "fe"));
    ck_ok(mmarml_search_space_add_float(s, "lr.float.$0:x", "lr", 0, 1, 0));
    ck_ok(mmarml_search_space_add_enum(s, "net.enum.m$0:k", "net", four));
    json_decref(four);
    return s;
}

START_TEST(reinforce_is_seeded_and_learns)
{
    enum { N = 300 };
    static double a[N * 2], b[N * 2], c2[N * 2];
    mmarml_search_space *s = float_enum_space();
    mmarml_controller *c = NULL;
    double mean_early = 0, mean_late = 0;
    int best_choice = 0, i;

    assert_seeded(make_reinforce, 5, s, peak_at_085, N, a, b, 0);
    /* it learns: the last 50 draws sit near x = 0.85 and mostly pick choice 2 */
    for (i = 0; i < 50; i++) {
        mean_early += a[i * 2] / 50;
        mean_late += a[(N - 50 + i) * 2] / 50;
        best_choice += a[(N - 50 + i) * 2 + 1] == 2;
    }
    ck_assert_msg(mean_late > 0.7 && fabs(mean_late - 0.85) < fabs(mean_early - 0.85),
                  "mean x early %.3f, late %.3f", mean_early, mean_late);
    ck_assert_msg(best_choice > 30, "choice 2 in %d of the last 50", best_choice);
    /* failed jobs (no score) neither crash nor stop the search */
    ck_ok(mmarml_controller_new_reinforce(&c, N, 5, 0.1));
    ck_assert_uint_eq(drive(c, s, 1, fail_every_third, N, c2), N);
    mmarml_controller_unref(c);
    mmarml_search_space_unref(s);
    ck_assert_int_eq(mmarml_controller_new_reinforce(&c, 0, 0, 0.1), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_controller_new_reinforce(&c, 5, 0, -1), MMARML_EINVAL);
}
END_TEST

static double bowl(const double *v) /* best at x = 0.3, y = 0.6 */
{
    return -((v[0] - 0.3) * (v[0] - 0.3) + (v[1] - 0.6) * (v[1] - 0.6));
}

static double fails_above_07(const double *v)
{
    return v[0] > 0.7 ? NAN : bowl(v);
}

static mmarml_search_space *square(void)
{
    mmarml_search_space *s = NULL;

    ck_ok(mmarml_search_space_new(&s, "sq"));
    ck_ok(mmarml_search_space_add_float(s, "x.float.$0:x", "x", 0, 1, 0));
    ck_ok(mmarml_search_space_add_float(s, "x.float.$1:y", "x", 0, 1, 0));
    return s;
}

/* Over seeds 0-9 of `n`-job runs on the square, TPE's median regret on the bowl is below
 * random search's (as the benchmark compares them), with or without the pruner of
 * drive_with. */
static void assert_tpe_beats_random(size_t n, int prune)
{
    static double a[512 * 2], b[512 * 2];
    mmarml_search_space *s = square();
    mmarml_controller *c = NULL;
    double tpe_regret[10], random_regret[10];
    size_t pruned, i;
    uint64_t seed;

    ck_assert_uint_le(n, 512);
    for (seed = 0; seed < 10; seed++) {
        double best_t = -INFINITY, best_r = -INFINITY;
        ck_ok(mmarml_controller_new_tpe(&c, n, seed, 10));
        drive_with(c, s, 1, bowl, n, a, prune, &pruned);
        mmarml_controller_unref(c);
        ck_ok(mmarml_controller_new_random(&c, n, seed));
        drive_with(c, s, 1, bowl, n, b, prune, &pruned);
        mmarml_controller_unref(c);
        for (i = 0; i < n; i++) {
            best_t = fmax(best_t, bowl(&a[i * 2]));
            best_r = fmax(best_r, bowl(&b[i * 2]));
        }
        tpe_regret[seed] = -best_t;
        random_regret[seed] = -best_r;
    }
    qsort(tpe_regret, 10, sizeof(double), cmp_double);
    qsort(random_regret, 10, sizeof(double), cmp_double);
    ck_assert_msg(tpe_regret[4] + tpe_regret[5] < (random_regret[4] + random_regret[5]) / 2,
                  "median regret: tpe %g, random %g", (tpe_regret[4] + tpe_regret[5]) / 2,
                  (random_regret[4] + random_regret[5]) / 2);
    mmarml_search_space_unref(s);
}

START_TEST(tpe_is_seeded_and_beats_random)
{
    enum { N = 60 };
    static double a[N * 2], b[N * 2];
    mmarml_search_space *s = square();
    mmarml_controller *c = NULL;

    assert_seeded(make_tpe, 3, s, bowl, N, a, b, 0);
    assert_tpe_beats_random(N, 0);
    mmarml_search_space_unref(s);
    ck_assert_int_eq(mmarml_controller_new_tpe(&c, 0, 0, 10), MMARML_EINVAL);
}
END_TEST

/* How many of points [from, to) copy a coordinate of an earlier point exactly, as the trust
 * region's steps do (a step keeps the best point's value in the dimensions it leaves). */
static int copies(const double *v, int from, int to)
{
    int i, j, n = 0;

    for (i = from; i < to; i++) {
        for (j = 0; j < i; j++)
            if (v[i * 2] == v[j * 2] || v[i * 2 + 1] == v[j * 2 + 1])
                break;
        n += j < i;
    }
    return n;
}

/* How many of points [from, to) on the bowl keep a coordinate of the trust region's centre,
 * as its steps do: the mean of the 4 best earlier points, weighted log(4.5) - log(rank)
 * (docs/controllers.md). With one worker every earlier point has its score. */
static int keep_centre(const double *v, int from, int to)
{
    int i, j, k, n = 0;

    for (i = from; i < to; i++) {
        int best[4] = {-1, -1, -1, -1};
        double centre[2] = {0, 0}, wsum = 0;
        for (j = 0; j < i; j++) /* the 4 best of points [0, i), best first */
            for (k = 0; k < 4; k++)
                if (best[k] < 0 || bowl(v + j * 2) > bowl(v + best[k] * 2)) {
                    memmove(best + k + 1, best + k, (size_t)(3 - k) * sizeof(int));
                    best[k] = j;
                    break;
                }
        for (k = 0; k < 4; k++) {
            double w = log(4.5) - log(k + 1.0);
            wsum += w;
            centre[0] += w * v[best[k] * 2];
            centre[1] += w * v[best[k] * 2 + 1];
        }
        n += fabs(v[i * 2] - centre[0] / wsum) < 1e-12 ||
             fabs(v[i * 2 + 1] - centre[1] / wsum) < 1e-12;
    }
    return n;
}

/* The 14 proposals after the start-up are drawn one dimension at a time, and only then
 * does the trust region step around the recombined best points (docs/controllers.md). */
START_TEST(tpe_starts_one_dimension_at_a_time)
{
    enum { N = 60 };
    static double a[N * 2];
    mmarml_search_space *s = square();
    mmarml_controller *c = NULL;
    uint64_t seed;

    for (seed = 0; seed < 5; seed++) {
        int phase, region;
        ck_ok(mmarml_controller_new_tpe(&c, N, seed, 10));
        ck_assert_uint_eq(drive(c, s, 1, bowl, N, a), N);
        mmarml_controller_unref(c);
        phase = copies(a, 10, 24) + keep_centre(a, 10, 24);
        region = keep_centre(a, 24, N);
        ck_assert_msg(phase == 0 && region >= 12,
                      "seed %d: %d of 14, then %d of 36 keep a coordinate", (int)seed, phase,
                      region);
    }
    mmarml_search_space_unref(s);
}
END_TEST

START_TEST(tpe_moves_away_from_failures)
{
    enum { N = 120 };
    static double a[N * 2];
    mmarml_search_space *s = square();
    mmarml_controller *c = NULL;
    int i, early = 0, late = 0;

    ck_ok(mmarml_controller_new_tpe(&c, N, 1, 10));
    ck_assert_uint_eq(drive(c, s, 1, fails_above_07, N, a), N); /* no crash, no stall */
    mmarml_controller_unref(c);
    for (i = 0; i < 40; i++) {
        early += a[i * 2] > 0.7;
        late += a[(N - 40 + i) * 2] > 0.7;
    }
    ck_assert_msg(late < early && late <= 4, "failing region: %d early, %d late", early, late);
    mmarml_search_space_unref(s);
}
END_TEST

/* After a pruned job TPE proposes one dimension at a time (docs/controllers.md): seeded,
 * in range, closer to the bowl's bottom than random search under the same pruner, and on
 * a float-and-enum space it settles on the best choice. */
START_TEST(tpe_learns_from_pruned_jobs)
{
    enum { N = 80 };
    static double a[N * 2], b[N * 2];
    mmarml_search_space *s = square(), *fe = float_enum_space();
    mmarml_controller *c = NULL;
    size_t pruned;
    int i, best_choice = 0, repeats = 0;

    ck_assert_uint_gt(assert_seeded(make_tpe, 3, s, bowl, N, a, b, 1), 10);
    /* drawn from the model in every dimension: no coordinate copied from an earlier point,
     * as the trust region's steps around the best one do (most keep one of its values) */
    repeats = copies(a, N - 40, N);
    ck_assert_msg(repeats <= 2, "%d of the last 40 copy a coordinate", repeats);
    assert_tpe_beats_random(N, 1);
    /* enums: the categorical l/g finds choice 2 (worth 0.3) */
    ck_ok(mmarml_controller_new_tpe(&c, N, 5, 10));
    ck_assert_uint_eq(drive_with(c, fe, 1, peak_at_085, N, a, 1, &pruned), N);
    mmarml_controller_unref(c);
    for (i = N - 30; i < N; i++)
        best_choice += a[i * 2 + 1] == 2;
    ck_assert_msg(pruned > 10 && best_choice >= 20, "choice 2 in %d of the last 30, %zu pruned",
                  best_choice, pruned);
    mmarml_search_space_unref(fe);
    mmarml_search_space_unref(s);
}
END_TEST

/* Jobs on the bowl; from the 6th on each is pruned after three reports, judged by its score
 * less 0.5 (so that TPE's good set holds pruned jobs). With `*any_order` its reports are
 * instance ids in an order of their own whose last one says nothing of the job (step 9,
 * value -5); else steps 1, 2, 3 whose last value is the judged one. */
static mmarml_outcome *pruned_reports_outcome(mmarml_recommendation *r, size_t index,
                                              void *any_order)
{
    double score = bowl(mmarml_recommendation_values(r));
    int pruned = index >= 5;
    mmarml_outcome *o = NULL;

    ck_ok(mmarml_outcome_new(&o, r, pruned ? MMARML_JOB_PRUNED : MMARML_JOB_OK,
                             pruned ? score - 0.5 : score, "J"));
    if (pruned && *(int *)any_order) {
        ck_ok(mmarml_outcome_add_report(o, 4, score - 0.7));
        ck_ok(mmarml_outcome_add_report(o, 12, score - 0.3));
        ck_ok(mmarml_outcome_add_report(o, 9, -5));
    } else if (pruned) {
        ck_ok(mmarml_outcome_add_report(o, 1, score - 0.7));
        ck_ok(mmarml_outcome_add_report(o, 2, score - 0.3));
        ck_ok(mmarml_outcome_add_report(o, 3, score - 0.5));
    }
    return o;
}

/* A pruned job whose steps came in any order (instance ids) is ranked by how many it
 * reported and the value it was judged by, not by its last step and report: the proposals
 * are those of the same jobs reported in increasing steps with that value last. */
START_TEST(tpe_ranks_pruned_jobs_with_steps_in_any_order_by_count_and_judged_value)
{
    enum { N = 60 };
    static double a[N * 2], b[N * 2];
    mmarml_search_space *s = square();
    mmarml_controller *c = NULL;
    int any_order = 1;

    ck_ok(mmarml_controller_new_tpe(&c, N, 11, 10));
    ck_assert_uint_eq(drive_outcomes(c, s, 1, N, a, pruned_reports_outcome, &any_order), N);
    mmarml_controller_unref(c);
    any_order = 0;
    ck_ok(mmarml_controller_new_tpe(&c, N, 11, 10));
    ck_assert_uint_eq(drive_outcomes(c, s, 1, N, b, pruned_reports_outcome, &any_order), N);
    mmarml_controller_unref(c);
    ck_assert(memcmp(a, b, sizeof(a)) == 0);
    mmarml_search_space_unref(s);
}
END_TEST

/* A discrete space of 12 combinations on 4 workers: no combination twice, even with
 * recommendations pending, and the controller stops when all 12 were tried. */
START_TEST(tpe_discrete_spaces_exhaust_without_repeats)
{
    mmarml_search_space *s = enum_space(1, 3);
    mmarml_controller *c = NULL;
    double kept[64 * 2];
    size_t i, j, n;

    ck_ok(mmarml_search_space_add_int(s, "net.int.m$9:w", "net", 1, 4, 0));
    ck_ok(mmarml_controller_new_tpe(&c, 1000, 2, 3));
    n = drive(c, s, 4, zero, 64, kept);
    ck_assert_uint_eq(n, 12);
    for (i = 0; i < n; i++)
        for (j = i + 1; j < n; j++)
            ck_assert(kept[i * 2] != kept[j * 2] || kept[i * 2 + 1] != kept[j * 2 + 1]);
    mmarml_controller_unref(c);
    mmarml_search_space_unref(s);
}
END_TEST

/* Through the engine: on tu_space (2 x 3 x 2 grid points) the grid is exhausted after 12
 * jobs; the REINFORCE policy and TPE (made by name) run to max_rounds. On one enum of two,
 * every controller runs the two jobs and the run ends on its own. */
START_TEST(tiny_spaces_exhaust_and_stop)
{
    mmarml_registry *reg = NULL;
    json_t *spec = json_pack("{s:s, s:{s:i}}", "name", "TPEController", "args", "seed", 1);
    mmarml_search_space *two = enum_space(1, 2);
    mmarml_controller *c = NULL;
    int which, end;

    ck_ok(mmarml_registry_new(&reg));
    for (which = 0; which < 3; which++) {
        unsigned want = which == 0 ? 12 : 1000;
        if (which == 0)
            ck_ok(mmarml_controller_new_grid(&c, 2, 0));
        else if (which == 1)
            ck_ok(mmarml_controller_new_reinforce(&c, 1000, 1, 0.1));
        else
            ck_ok(mmarml_registry_create_controller(&c, reg, spec, NULL));
        ck_assert_uint_eq(run_engine(c, NULL, &end), want);
        ck_assert_int_eq(end, which == 0 ? MMARML_END_EXHAUSTED : MMARML_END_STOP_ASKED);
        mmarml_controller_unref(c);
        if (which == 0)
            ck_ok(mmarml_controller_new_grid(&c, 2, 0));
        else if (which == 1)
            ck_ok(mmarml_controller_new_reinforce(&c, 1000, 1, 0.1));
        else
            ck_ok(mmarml_controller_new_tpe(&c, 100, 0, 10));
        ck_assert_msg(run_engine(c, two, &end) == 2, "controller %d", which);
        ck_assert_int_eq(end, MMARML_END_EXHAUSTED);
        mmarml_controller_unref(c);
    }
    mmarml_search_space_unref(two);
    json_decref(spec);
    mmarml_registry_unref(reg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("controllers");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, dummy_is_the_midpoint_one_at_a_time);
    tcase_add_test(tc, test_controller_batches);
    tcase_add_test(tc, random_is_seeded_and_in_range);
    tcase_add_test(tc, random_keeps_every_worker_busy);
    tcase_add_test(tc, controllers_through_the_engine);
    tcase_add_test(tc, grid_enumerates_the_product);
    tcase_add_test(tc, reinforce_runs_small_enum_spaces_at_once);
    tcase_add_test(tc, reinforce_is_seeded_and_learns);
    tcase_add_test(tc, tpe_is_seeded_and_beats_random);
    tcase_add_test(tc, tpe_starts_one_dimension_at_a_time);
    tcase_add_test(tc, tpe_moves_away_from_failures);
    tcase_add_test(tc, tpe_ranks_pruned_jobs_with_steps_in_any_order_by_count_and_judged_value);
    tcase_add_test(tc, tpe_learns_from_pruned_jobs);
    tcase_add_test(tc, tpe_discrete_spaces_exhaust_without_repeats);
    tcase_add_test(tc, tiny_spaces_exhaust_and_stop);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
