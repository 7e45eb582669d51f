/*
 * The workflow engine: workers with one job thread each, a FIFO of pending
 * recommendations, and an engine thread (the caller of mmarml_engine_run) that dispatches,
 * reacts to completions and enforces time limits. All shared state is under `lock`; no user
 * method is ever called with it held.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <time.h>

#include "internal.h"

typedef struct worker worker;
typedef struct job job;

struct job {
    worker *w;
    mmarml_recommendation *rec;
    mmarml_context *ctx;
    char name[80];
    double start_time;
    /* Set by the engine (0, MMARML_JOB_ABORTED or MMARML_JOB_TIMEOUT) and `executing`, set
     * by the job thread around execute(), are both seq_cst atomics: the job thread stores
     * `executing` then reads `abort_reason`, the aborter stores `abort_reason` then reads
     * `executing`, so at least one of them sees the other and a job is never left running
     * unaborted. */
    int abort_reason;
    int executing;
    int status;
    double score;
    job *next; /* completion queue */
};

struct worker {
    mmarml_engine *engine;
    int number; /* 1-based */
    char name[24];
    char *gpus;
    pthread_t thread;
    pthread_cond_t cond;
    int started;
    job *job; /* assigned and not yet completed */
    uint64_t jobs;
    int suspended;
    int quit;
};

enum { ENGINE_NEW, ENGINE_RUNNING, ENGINE_ENDED };

struct mmarml_engine {
    mmarml__refcount ref;
    mmarml_controller *controller;
    mmarml_executor *executor;
    mmarml_handler **handlers;
    size_t nhandlers;
    mmarml_engine_options opts;
    char *workers_spec;

    worker *workers;
    size_t nworkers;

    pthread_mutex_t lock;
    pthread_cond_t cond; /* the engine thread waits here */
    uint64_t wakeups;    /* bumped (under lock) by everything that signals `cond` */
    int state;
    int stop_requested;
    int stopping;
    int end_reason;
    mmarml_context *ctx;

    /* FIFO of pending recommendations (ring buffer) */
    mmarml_recommendation **pending;
    size_t pending_head, pending_count, pending_cap;

    job *done_head, *done_tail;
    mmarml_recommendation_list *refined; /* reused for every refine_recommendation */
    uint64_t jobs_started, jobs_finished;
    size_t running;
};

/* ---- creation ---- */

int mmarml_engine_options_init(mmarml_engine_options *opts, uint32_t version)
{
    mmarml_engine_options init = MMARML_ENGINE_OPTIONS_INIT;

    if (opts == NULL)
        return MMARML__NULLARG("opts");
    if (version == 0 || version > MMARML_ENGINE_OPTIONS_VERSION)
        return mmarml_error_set(MMARML_EVERSION, "engine options version %u is not supported",
                                version);
    *opts = init;
    opts->version = version;
    return MMARML_OK;
}

static int copy_options(mmarml_engine_options *dst, const mmarml_engine_options *src)
{
    int rc;

    mmarml_engine_options_init(dst, MMARML_ENGINE_OPTIONS_VERSION);
    if (src == NULL)
        return MMARML_OK;
    rc = mmarml__vtable_copy(dst, sizeof(*dst), src, sizeof(*dst),
                             MMARML_ENGINE_OPTIONS_VERSION, "engine options");
    if (rc != MMARML_OK)
        return rc;
    if (!(dst->max_job_run_time >= 0) || !(dst->max_sys_run_time >= 0) ||
        isinf(dst->max_job_run_time) || isinf(dst->max_sys_run_time))
        return mmarml_error_set(MMARML_EINVAL, "engine options: max_job_run_time and "
                                "max_sys_run_time must be finite and >= 0 (0 = no limit)");
    return MMARML_OK;
}

int mmarml_engine_new(mmarml_engine **out, mmarml_controller *controller,
                      mmarml_executor *executor, const mmarml_engine_options *opts)
{
    mmarml_engine *e;
    char **gpus = NULL;
    size_t n = 0, i;
    int rc;

    if (out == NULL)
        return MMARML__NULLARG("out");
    *out = NULL;
    if (controller == NULL || executor == NULL)
        return MMARML__NULLARG(controller == NULL ? "controller" : "executor");
    e = calloc(1, sizeof(*e));
    if (e == NULL)
        return MMARML__NOMEM();
    rc = copy_options(&e->opts, opts);
    if (rc == MMARML_OK)
        rc = mmarml__parse_workers(&gpus, &n, e->opts.workers);
    if (rc == MMARML_OK && e->opts.workers != NULL &&
        (e->workers_spec = mmarml__strdup(e->opts.workers)) == NULL)
        rc = MMARML__NOMEM();
    if (rc == MMARML_OK && (e->workers = calloc(n, sizeof(*e->workers))) == NULL)
        rc = MMARML__NOMEM();
    if (rc != MMARML_OK) {
        mmarml__free_workers(gpus, n);
        free(e->workers_spec);
        free(e);
        return rc;
    }
    e->opts.workers = e->workers_spec;
    e->nworkers = n;
    for (i = 0; i < n; i++) {
        worker *w = &e->workers[i];
        w->engine = e;
        w->number = (int)i + 1;
        snprintf(w->name, sizeof(w->name), "W%d", w->number);
        w->gpus = gpus[i];
        pthread_cond_init(&w->cond, NULL);
    }
    free(gpus); /* the strings now belong to the workers */
    mmarml__ref_init(&e->ref);
    pthread_mutex_init(&e->lock, NULL);
    {
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&e->cond, &attr);
        pthread_condattr_destroy(&attr);
    }
    e->controller = mmarml_controller_ref(controller);
    e->executor = mmarml_executor_ref(executor);
    if (mmarml_recommendation_list_new(&e->refined) != MMARML_OK) {
        mmarml_engine_unref(e);
        return MMARML__NOMEM();
    }
    *out = e;
    return MMARML_OK;
}

mmarml_engine *mmarml_engine_ref(mmarml_engine *e)
{
    if (e != NULL)
        mmarml__ref_inc(&e->ref);
    return e;
}

mmarml_engine *mmarml_engine_unref(mmarml_engine *e)
{
    size_t i;

    if (e == NULL || !mmarml__ref_dec(&e->ref))
        return NULL;
    for (i = 0; i < e->nhandlers; i++)
        mmarml_handler_unref(e->handlers[i]);
    free(e->handlers);
    for (i = 0; i < e->nworkers; i++) {
        free(e->workers[i].gpus);
        pthread_cond_destroy(&e->workers[i].cond);
    }
    free(e->workers);
    for (i = 0; i < e->pending_count; i++)
        mmarml_recommendation_unref(e->pending[(e->pending_head + i) % e->pending_cap]);
    free(e->pending);
    mmarml_recommendation_list_free(e->refined);
    mmarml_controller_unref(e->controller);
    mmarml_executor_unref(e->executor);
    free(e->workers_spec);
    pthread_cond_destroy(&e->cond);
    pthread_mutex_destroy(&e->lock);
    free(e);
    return NULL;
}

int mmarml_engine_add_handler(mmarml_engine *e, mmarml_handler *h)
{
    mmarml_handler **hs;

    if (e == NULL || h == NULL)
        return MMARML__NULLARG(e == NULL ? "engine" : "handler");
    if (e->state != ENGINE_NEW)
        return mmarml_error_set(MMARML_EMISUSE, "cannot add a handler once the engine ran");
    hs = realloc(e->handlers, (e->nhandlers + 1) * sizeof(*hs));
    if (hs == NULL)
        return MMARML__NOMEM();
    e->handlers = hs;
    e->handlers[e->nhandlers++] = mmarml_handler_ref(h);
    return MMARML_OK;
}

size_t mmarml_engine_worker_count(const mmarml_engine *e)
{
    return e != NULL ? e->nworkers : 0;
}

int mmarml_engine_end_reason(const mmarml_engine *e)
{
    int r;

    if (e == NULL)
        return MMARML_END_NOT_ENDED;
    pthread_mutex_lock((pthread_mutex_t *)&e->lock);
    r = e->end_reason;
    pthread_mutex_unlock((pthread_mutex_t *)&e->lock);
    return r;
}

/* ---- handler events ---- */

/* Fire an event on every handler (in chain order, or reverse). Errors are reported as
 * exceptions unless `fatal`, where the first error stops the chain and is returned. */
static int fire(mmarml_engine *e, int event, mmarml_context *ctx, int reverse, int fatal)
{
    size_t i;

    for (i = 0; i < e->nhandlers; i++) {
        size_t k = reverse ? e->nhandlers - 1 - i : i;
        int rc = mmarml__handler_fire_index(e->handlers[k], event, ctx);
        if (rc < 0) {
            if (fatal)
                return rc;
            mmarml_context_exception_occurred(ctx, mmarml__event_name(event),
                                              mmarml_error_message());
        }
    }
    return MMARML_OK;
}

/* ---- pending FIFO (engine lock held) ---- */

static int pending_push(mmarml_engine *e, mmarml_recommendation *rec)
{
    if (e->pending_count == e->pending_cap) {
        size_t cap = e->pending_cap ? e->pending_cap * 2 : 16, i;
        mmarml_recommendation **p = malloc(cap * sizeof(*p));
        if (p == NULL)
            return MMARML__NOMEM();
        for (i = 0; i < e->pending_count; i++)
            p[i] = e->pending[(e->pending_head + i) % e->pending_cap];
        free(e->pending);
        e->pending = p;
        e->pending_cap = cap;
        e->pending_head = 0;
    }
    e->pending[(e->pending_head + e->pending_count++) % e->pending_cap] =
        mmarml_recommendation_ref(rec);
    return MMARML_OK;
}

static mmarml_recommendation *pending_pop(mmarml_engine *e)
{
    mmarml_recommendation *rec;

    if (e->pending_count == 0)
        return NULL;
    rec = e->pending[e->pending_head];
    e->pending_head = (e->pending_head + 1) % e->pending_cap;
    e->pending_count--;
    return rec;
}

/* Announce and queue what a controller returned. Engine thread, lock not held. */
static void accept_recommendations(mmarml_engine *e, mmarml_recommendation_list *list)
{
    size_t i, n = mmarml_recommendation_list_count(list);

    if (n == 0)
        return;
    if (e->nhandlers > 0 &&
        mmarml_context_set_pointer(e->ctx, MMARML_KEY_RECOMMENDATIONS, list, NULL) ==
            MMARML_OK) {
        fire(e, MMARML__EV_RECOMMENDATIONS_AVAILABLE, e->ctx, 0, 0);
        mmarml_context_remove(e->ctx, MMARML_KEY_RECOMMENDATIONS);
    }
    pthread_mutex_lock(&e->lock);
    for (i = 0; i < n; i++)
        if (pending_push(e, mmarml_recommendation_list_get(list, i)) != MMARML_OK)
            mmarml_context_exception_occurred(e->ctx, "engine", mmarml_error_message());
    pthread_mutex_unlock(&e->lock);
}

/*
 * Hand-offs between the engine thread and job threads happen once per job each way. A
 * short spin with sched_yield before sleeping on a condition variable lets back-to-back
 * jobs pass without a futex sleep and wake-up (the sleep is still there after the spin, so
 * an idle run costs no CPU). SPIN_ROUNDS bounds it to a few hundred microseconds per wait;
 * bench/engine_overhead measured 16 rounds at 1.8-5.4 us/job and 256 at 1.9-3.7 us/job.
 */
#define SPIN_ROUNDS 256

static job *worker_job(const worker *w)
{
    return __atomic_load_n(&w->job, __ATOMIC_ACQUIRE);
}

static void set_worker_job(worker *w, job *j)
{
    __atomic_store_n(&w->job, j, __ATOMIC_RELEASE);
}

/* Wake the engine thread; engine lock held. */
static void wake_engine(mmarml_engine *e)
{
    __atomic_add_fetch(&e->wakeups, 1, __ATOMIC_RELEASE);
    pthread_cond_signal(&e->cond);
}

/* ---- job threads ---- */

static void destroy_rec(void *p)
{
    mmarml_recommendation_unref(p);
}

/* Job thread: the job context is built here, off the engine thread and its lock. It is
 * published (release) before `executing` is set, so an aborter that sees `executing` sees
 * the context too. */
static int make_job_context(mmarml_engine *e, job *j)
{
    mmarml_context *ctx = NULL;
    int rc = mmarml_context_new(&ctx, e->ctx);

    if (rc == MMARML_OK)
        rc = mmarml_context_set_string(ctx, MMARML_KEY_JOB_NAME, j->name);
    if (rc == MMARML_OK)
        rc = mmarml_context_set_string(ctx, MMARML_KEY_WORKER_NAME, j->w->name);
    if (rc == MMARML_OK)
        rc = mmarml_context_set_string(ctx, MMARML_KEY_GPUS, j->w->gpus);
    if (rc == MMARML_OK) {
        rc = mmarml_context_set_pointer(ctx, MMARML_KEY_RECOMMENDATION, j->rec, destroy_rec);
        if (rc == MMARML_OK)
            mmarml_recommendation_ref(j->rec);
    }
    if (rc != MMARML_OK) {
        mmarml_context_unref(ctx);
        return rc;
    }
    __atomic_store_n(&j->ctx, ctx, __ATOMIC_RELEASE);
    return MMARML_OK;
}

static void run_job(mmarml_engine *e, job *j)
{
    int status = MMARML_JOB_ERROR, abort_reason, rc;
    double score = NAN;

    if (make_job_context(e, j) != MMARML_OK) {
        /* no context, so no events: start_job was never called */
        mmarml_context_exception_occurred(e->ctx, j->name, mmarml_error_message());
        j->status = MMARML_JOB_ERROR;
        j->score = NAN;
        return;
    }
    fire(e, MMARML__EV_START_JOB, j->ctx, 0, 0);

    __atomic_store_n(&j->executing, 1, __ATOMIC_SEQ_CST);
    abort_reason = __atomic_load_n(&j->abort_reason, __ATOMIC_SEQ_CST);
    if (abort_reason == 0) {
        rc = mmarml_executor_execute(&status, &score, e->executor, j->rec, j->ctx);
        if (rc < 0)
            mmarml_context_exception_occurred(j->ctx, j->name, mmarml_error_message());
    }
    __atomic_store_n(&j->executing, 0, __ATOMIC_SEQ_CST);
    abort_reason = __atomic_load_n(&j->abort_reason, __ATOMIC_SEQ_CST);
    /* A job that did finish with a score keeps it, even if an abort raced with its end. */
    if (abort_reason != 0 && status != MMARML_JOB_OK)
        status = abort_reason;
    j->status = status;
    j->score = score;
    mmarml_context_set_string(j->ctx, MMARML_KEY_JOB_STATUS, mmarml_job_status_name(status));
    if (status == MMARML_JOB_OK)
        mmarml_context_set_double(j->ctx, MMARML_KEY_SCORE, score);
    fire(e, MMARML__EV_END_JOB, j->ctx, 0, 0);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    mmarml_engine *e = w->engine;
    job *j;

    pthread_mutex_lock(&e->lock);
    for (;;) {
        int spins;
        if (worker_job(w) == NULL && !w->quit) {
            pthread_mutex_unlock(&e->lock);
            for (spins = 0; spins < SPIN_ROUNDS && worker_job(w) == NULL &&
                            !__atomic_load_n(&w->quit, __ATOMIC_ACQUIRE);
                 spins++)
                sched_yield();
            pthread_mutex_lock(&e->lock);
        }
        while (worker_job(w) == NULL && !w->quit)
            pthread_cond_wait(&w->cond, &e->lock);
        if (w->quit && worker_job(w) == NULL)
            break;
        j = worker_job(w);
        pthread_mutex_unlock(&e->lock);

        run_job(e, j);

        pthread_mutex_lock(&e->lock);
        set_worker_job(w, NULL);
        if (e->done_tail != NULL)
            e->done_tail->next = j;
        else
            e->done_head = j;
        e->done_tail = j;
        wake_engine(e);
    }
    pthread_mutex_unlock(&e->lock);
    return NULL;
}

/* ---- dispatch (engine lock held) ---- */

static worker *pick_worker(mmarml_engine *e)
{
    worker *best = NULL;
    size_t i;

    for (i = 0; i < e->nworkers; i++) {
        worker *w = &e->workers[i];
        if (worker_job(w) == NULL && !w->suspended && (best == NULL || w->jobs < best->jobs))
            best = w;
    }
    return best;
}

static void dispatch(mmarml_engine *e)
{
    worker *w;

    while (e->pending_count > 0 &&
           (e->opts.max_jobs == 0 || e->jobs_started < e->opts.max_jobs) &&
           (w = pick_worker(e)) != NULL) {
        job *j = calloc(1, sizeof(*j));
        if (j == NULL) {
            mmarml_context_exception_occurred(e->ctx, "engine", "out of memory for a job");
            return;
        }
        j->w = w;
        j->rec = pending_pop(e);
        w->jobs++;
        e->jobs_started++;
        snprintf(j->name, sizeof(j->name), "W%d_%llu_J%llu", w->number,
                 (unsigned long long)w->jobs, (unsigned long long)e->jobs_started);
        j->start_time = mmarml__now();
        set_worker_job(w, j);
        e->running++;
        pthread_cond_signal(&w->cond);
    }
}

/* ---- aborting (collect under the lock, call the executor without it) ---- */

typedef struct {
    mmarml_context **ctxs;
    size_t count;
} abort_batch;

/* Mark `j` aborted for `reason`; remember its context if the executor must be told. */
static void mark_abort(mmarml_engine *e, job *j, int reason, abort_batch *batch)
{
    mmarml_context *ctx;

    (void)e;
    if (__atomic_load_n(&j->abort_reason, __ATOMIC_SEQ_CST) != 0)
        return; /* only the engine lock holder sets it: no lost update */
    __atomic_store_n(&j->abort_reason, reason, __ATOMIC_SEQ_CST);
    if (!__atomic_load_n(&j->executing, __ATOMIC_SEQ_CST))
        return; /* the job thread will see abort_reason before it calls execute */
    ctx = __atomic_load_n(&j->ctx, __ATOMIC_ACQUIRE);
    mmarml_context_set_bool(ctx, MMARML_KEY_JOB_ABORTED, 1);
    if (batch->ctxs != NULL)
        batch->ctxs[batch->count++] = mmarml_context_ref(ctx);
}

static void run_aborts(mmarml_engine *e, abort_batch *batch)
{
    size_t i;

    for (i = 0; i < batch->count; i++) {
        mmarml_executor_abort(e->executor, batch->ctxs[i]);
        mmarml_context_unref(batch->ctxs[i]);
    }
    batch->count = 0;
}

/* ---- the engine thread ---- */

static void stop_hook(void *arg)
{
    mmarml_engine *e = arg;

    pthread_mutex_lock(&e->lock);
    wake_engine(e);
    pthread_mutex_unlock(&e->lock);
}

/* Process one completion: outcome to the controller (unless stopping), round_ended. */
static void complete_job(mmarml_engine *e, job *j, int refine)
{
    mmarml_outcome *outcome = NULL;
    int rc;

    if (refine && mmarml_outcome_new(&outcome, j->rec, j->status, j->score, j->name) ==
                      MMARML_OK) {
        mmarml_recommendation_list_clear(e->refined);
        rc = mmarml_controller_refine_recommendation(e->refined, e->controller, outcome,
                                                     e->ctx);
        if (rc < 0)
            mmarml_context_exception_occurred(e->ctx, "refine_recommendation",
                                              mmarml_error_message());
        else
            accept_recommendations(e, e->refined);
        mmarml_recommendation_list_clear(e->refined);
        fire(e, MMARML__EV_ROUND_ENDED, e->ctx, 0, 0);
    }
    mmarml_outcome_unref(outcome);
    if (j->status == MMARML_JOB_OK)
        mmarml_context_log(e->ctx, MMARML_LOG_INFO, "job %s ended: ok, score %g", j->name,
                           j->score);
    else
        mmarml_context_log(e->ctx, MMARML_LOG_INFO, "job %s ended: %s", j->name,
                           mmarml_job_status_name(j->status));
    mmarml_context_unref(j->ctx);
    mmarml_recommendation_unref(j->rec);
    free(j);
}

/* Spin briefly for a wake-up before sleeping (see SPIN_ROUNDS); lock held on entry and exit.
 * Returns 1 when something happened. */
static int engine_spin(mmarml_engine *e)
{
    uint64_t seen = __atomic_load_n(&e->wakeups, __ATOMIC_ACQUIRE);
    int spins;

    pthread_mutex_unlock(&e->lock);
    for (spins = 0; spins < SPIN_ROUNDS; spins++) {
        sched_yield();
        if (__atomic_load_n(&e->wakeups, __ATOMIC_ACQUIRE) != seen)
            break;
    }
    pthread_mutex_lock(&e->lock);
    /* re-check under the lock: a wake-up after the last look must not be lost */
    return __atomic_load_n(&e->wakeups, __ATOMIC_ACQUIRE) != seen;
}

static void begin_stop(mmarml_engine *e, int reason, abort_batch *batch)
{
    size_t i;

    e->stopping = 1;
    if (e->end_reason == MMARML_END_NOT_ENDED)
        e->end_reason = reason;
    for (i = 0; i < e->nworkers; i++)
        if (worker_job(&e->workers[i]) != NULL)
            mark_abort(e, worker_job(&e->workers[i]), MMARML_JOB_ABORTED, batch);
}

static void job_loop(mmarml_engine *e, double run_start)
{
    mmarml_context **abort_ctxs = calloc(e->nworkers, sizeof(*abort_ctxs));
    abort_batch batch = {abort_ctxs, 0};
    double sys_deadline = e->opts.max_sys_run_time > 0 ? run_start + e->opts.max_sys_run_time
                                                       : INFINITY;

    pthread_mutex_lock(&e->lock);
    for (;;) {
        double now = mmarml__now(), wake = sys_deadline;
        job *done;
        size_t i;

        if (!e->stopping) {
            if (e->stop_requested || mmarml_context_stop_work_asked(e->ctx))
                begin_stop(e, MMARML_END_STOP_ASKED, &batch);
            else if (now >= sys_deadline)
                begin_stop(e, MMARML_END_MAX_SYS_RUN_TIME, &batch);
        }
        if (batch.count > 0) {
            pthread_mutex_unlock(&e->lock);
            run_aborts(e, &batch);
            pthread_mutex_lock(&e->lock);
            continue;
        }
        if (e->done_head != NULL) {
            done = e->done_head;
            e->done_head = done->next;
            if (e->done_head == NULL)
                e->done_tail = NULL;
            e->running--;
            e->jobs_finished++;
            pthread_mutex_unlock(&e->lock);
            complete_job(e, done, !e->stopping);
            pthread_mutex_lock(&e->lock);
            continue;
        }
        if (!e->stopping)
            dispatch(e);
        if (e->running == 0) {
            if (e->stopping)
                break;
            if (e->pending_count == 0) {
                e->end_reason = MMARML_END_EXHAUSTED;
                break;
            }
            if (e->opts.max_jobs > 0 && e->jobs_started >= e->opts.max_jobs) {
                e->end_reason = MMARML_END_MAX_JOBS;
                break;
            }
        }
        /* time limits of running jobs */
        for (i = 0; e->opts.max_job_run_time > 0 && i < e->nworkers; i++) {
            job *j = worker_job(&e->workers[i]);
            double deadline;
            if (j == NULL || __atomic_load_n(&j->abort_reason, __ATOMIC_SEQ_CST) != 0)
                continue;
            deadline = j->start_time + e->opts.max_job_run_time;
            if (now >= deadline)
                mark_abort(e, j, MMARML_JOB_TIMEOUT, &batch);
            else if (deadline < wake)
                wake = deadline;
        }
        if (batch.count > 0)
            continue;
        if (engine_spin(e))
            continue;
        if (isinf(wake)) {
            pthread_cond_wait(&e->cond, &e->lock);
        } else {
            struct timespec ts;
            double secs = floor(wake);
            ts.tv_sec = (time_t)secs;
            ts.tv_nsec = (long)((wake - secs) * 1e9);
            pthread_cond_timedwait(&e->cond, &e->lock, &ts);
        }
    }
    pthread_mutex_unlock(&e->lock);
    free(abort_ctxs);
}

static const char *end_reason_name(int reason)
{
    switch (reason) {
    case MMARML_END_EXHAUSTED:
        return "exhausted";
    case MMARML_END_STOP_ASKED:
        return "stop_asked";
    case MMARML_END_MAX_JOBS:
        return "max_jobs";
    case MMARML_END_MAX_SYS_RUN_TIME:
        return "max_sys_run_time";
    default:
        return "not_ended";
    }
}

static int start_workers(mmarml_engine *e)
{
    size_t i;

    for (i = 0; i < e->nworkers; i++) {
        int err = pthread_create(&e->workers[i].thread, NULL, worker_main, &e->workers[i]);
        if (err != 0)
            return mmarml_error_set(MMARML_ERROR, "cannot start the job thread of worker %s: "
                                    "%s", e->workers[i].name, strerror(err));
        e->workers[i].started = 1;
    }
    return MMARML_OK;
}

static void stop_workers(mmarml_engine *e)
{
    size_t i;

    pthread_mutex_lock(&e->lock);
    for (i = 0; i < e->nworkers; i++) {
        __atomic_store_n(&e->workers[i].quit, 1, __ATOMIC_RELEASE);
        pthread_cond_signal(&e->workers[i].cond);
    }
    pthread_mutex_unlock(&e->lock);
    for (i = 0; i < e->nworkers; i++)
        if (e->workers[i].started)
            pthread_join(e->workers[i].thread, NULL);
}

static void destroy_space(void *p)
{
    mmarml_search_space_unref(p);
}

/* Everything between start_automl and the job loop. Returns a negative code to abort the
 * run before any job, MMARML_OK to run jobs, or 1 when the run ends at once. */
static int prepare(mmarml_engine *e)
{
    mmarml_recommendation_list *list = NULL;
    mmarml_search_space *space = NULL;
    int rc;

    rc = mmarml_executor_determine_search_space(&space, e->executor, e->ctx);
    if (rc != MMARML_OK)
        return rc;
    mmarml_search_space_freeze(space);
    rc = mmarml_context_set_pointer(e->ctx, MMARML_KEY_SEARCH_SPACE, space, destroy_space);
    if (rc != MMARML_OK) {
        mmarml_search_space_unref(space);
        return rc;
    }
    fire(e, MMARML__EV_SEARCH_SPACE_AVAILABLE, e->ctx, 0, 0);
    rc = mmarml_controller_set_search_space(e->controller, space, e->ctx);
    if (rc != MMARML_OK)
        return rc;
    if (mmarml_context_stop_work_asked(e->ctx) || e->stop_requested) {
        e->end_reason = MMARML_END_STOP_ASKED;
        return 1;
    }
    rc = mmarml_recommendation_list_new(&list);
    if (rc != MMARML_OK)
        return rc;
    rc = mmarml_controller_initial_recommendation(list, e->controller, e->ctx);
    if (rc == MMARML_OK && mmarml_recommendation_list_count(list) == 0) {
        e->end_reason = MMARML_END_EXHAUSTED;
        rc = 1;
    }
    if (rc == MMARML_OK)
        accept_recommendations(e, list);
    mmarml_recommendation_list_free(list);
    return rc;
}

int mmarml_engine_run(mmarml_engine *e, mmarml_context *ctx)
{
    double run_start = mmarml__now();
    int rc, started_automl = 0;

    if (e == NULL || ctx == NULL)
        return MMARML__NULLARG(e == NULL ? "engine" : "ctx");
    pthread_mutex_lock(&e->lock);
    if (e->state != ENGINE_NEW) {
        pthread_mutex_unlock(&e->lock);
        return mmarml_error_set(MMARML_EMISUSE, "an engine runs only once");
    }
    e->state = ENGINE_RUNNING;
    e->ctx = mmarml_context_ref(ctx);
    pthread_mutex_unlock(&e->lock);
    mmarml_engine_ref(e); /* an unref from another thread must not free a running engine */

    mmarml__context_set_stop_hook(ctx, stop_hook, e);
    rc = mmarml_context_set_int(ctx, MMARML_KEY_NUM_WORKERS, (int64_t)e->nworkers);
    if (rc == MMARML_OK)
        rc = start_workers(e);
    if (rc == MMARML_OK)
        rc = fire(e, MMARML__EV_STARTUP, ctx, 0, 1);
    if (rc == MMARML_OK) {
        rc = fire(e, MMARML__EV_START_AUTOML, ctx, 0, 1);
        started_automl = rc == MMARML_OK;
    }
    if (rc == MMARML_OK)
        rc = prepare(e);
    if (rc == MMARML_OK)
        job_loop(e, run_start);
    stop_workers(e);

    /* keep the first failure's message across the shutdown calls */
    {
        char *msg = rc < 0 ? mmarml__strdup(mmarml_error_message()) : NULL;
        if (started_automl)
            fire(e, MMARML__EV_END_AUTOML, ctx, 0, 0);
        mmarml_controller_shutdown(e->controller, ctx);
        mmarml_executor_shutdown(e->executor, ctx);
        fire(e, MMARML__EV_SHUTDOWN, ctx, 1, 0);
        if (rc < 0)
            mmarml_error_set(rc, "%s", msg != NULL ? msg : mmarml_strerror(rc));
        free(msg);
    }
    mmarml__context_set_stop_hook(ctx, NULL, NULL);

    pthread_mutex_lock(&e->lock);
    e->state = ENGINE_ENDED;
    e->ctx = NULL;
    pthread_mutex_unlock(&e->lock);
    mmarml_context_log(ctx, MMARML_LOG_INFO, "run ended (%s) after %llu jobs",
                       end_reason_name(e->end_reason), (unsigned long long)e->jobs_finished);
    mmarml_context_unref(ctx);
    mmarml_engine_unref(e);
    return rc < 0 ? rc : MMARML_OK;
}

int mmarml_engine_stop(mmarml_engine *e, const char *message)
{
    mmarml_context *ctx;

    if (e == NULL)
        return MMARML__NULLARG("engine");
    pthread_mutex_lock(&e->lock);
    e->stop_requested = 1;
    ctx = mmarml_context_ref(e->ctx);
    wake_engine(e);
    pthread_mutex_unlock(&e->lock);
    /* components see it through their context too */
    if (ctx != NULL)
        mmarml_context_stop_work(ctx, "engine", message != NULL ? message : "stop requested");
    mmarml_context_unref(ctx);
    return MMARML_OK;
}

/* ---- admin ---- */

static worker *find_worker(mmarml_engine *e, const char *name)
{
    size_t i;

    for (i = 0; name != NULL && i < e->nworkers; i++)
        if (strcmp(e->workers[i].name, name) == 0)
            return &e->workers[i];
    return NULL;
}

static const char *worker_state(const worker *w)
{
    if (worker_job(w) != NULL)
        return w->suspended ? "busy,suspended" : "busy";
    return w->suspended ? "suspended" : "idle";
}

static json_t *worker_json(const worker *w)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:s?}", "name", w->name, "gpus", w->gpus, "state",
                     worker_state(w), "jobs", (json_int_t)w->jobs, "current_job",
                     worker_job(w) != NULL ? worker_job(w)->name : NULL);
}

int mmarml_engine_list_workers(json_t **out, mmarml_engine *e)
{
    json_t *arr;
    size_t i;

    if (out == NULL || e == NULL)
        return MMARML__NULLARG(out == NULL ? "out" : "engine");
    *out = NULL;
    arr = json_array();
    if (arr == NULL)
        return MMARML__NOMEM();
    pthread_mutex_lock(&e->lock);
    for (i = 0; i < e->nworkers; i++) {
        if (json_array_append_new(arr, worker_json(&e->workers[i])) != 0) {
            pthread_mutex_unlock(&e->lock);
            json_decref(arr);
            return MMARML__NOMEM();
        }
    }
    pthread_mutex_unlock(&e->lock);
    *out = arr;
    return MMARML_OK;
}

static int unknown_worker(const mmarml_engine *e, const char *name)
{
    return mmarml_error_set(MMARML_ENOTFOUND, "no worker named '%s' (workers are W1..W%zu)",
                            name != NULL ? name : "(null)", e->nworkers);
}

int mmarml_engine_show_worker(json_t **out, mmarml_engine *e, const char *name)
{
    worker *w;

    if (out == NULL || e == NULL)
        return MMARML__NULLARG(out == NULL ? "out" : "engine");
    *out = NULL;
    pthread_mutex_lock(&e->lock);
    w = find_worker(e, name);
    if (w != NULL)
        *out = worker_json(w);
    pthread_mutex_unlock(&e->lock);
    if (w == NULL)
        return unknown_worker(e, name);
    return *out != NULL ? MMARML_OK : MMARML__NOMEM();
}

static int set_suspended(mmarml_engine *e, const char *name, int suspended)
{
    worker *w;

    if (e == NULL)
        return MMARML__NULLARG("engine");
    pthread_mutex_lock(&e->lock);
    w = find_worker(e, name);
    if (w != NULL) {
        w->suspended = suspended;
        wake_engine(e); /* a resumed worker may take a pending job */
    }
    pthread_mutex_unlock(&e->lock);
    return w != NULL ? MMARML_OK : unknown_worker(e, name);
}

int mmarml_engine_suspend_worker(mmarml_engine *e, const char *name)
{
    return set_suspended(e, name, 1);
}

int mmarml_engine_resume_worker(mmarml_engine *e, const char *name)
{
    return set_suspended(e, name, 0);
}

int mmarml_engine_abort_worker(mmarml_engine *e, const char *name)
{
    mmarml_context *ctx = NULL;
    abort_batch batch = {&ctx, 0};
    worker *w;
    int has_job = 0;

    if (e == NULL)
        return MMARML__NULLARG("engine");
    pthread_mutex_lock(&e->lock);
    w = find_worker(e, name);
    if (w != NULL && worker_job(w) != NULL) {
        has_job = 1;
        mark_abort(e, worker_job(w), MMARML_JOB_ABORTED, &batch);
    }
    pthread_mutex_unlock(&e->lock);
    if (w == NULL)
        return unknown_worker(e, name);
    if (!has_job)
        return mmarml_error_set(MMARML_ENOTFOUND, "worker %s runs no job", name);
    run_aborts(e, &batch);
    return MMARML_OK;
}

static const char *state_name(int state)
{
    return state == ENGINE_NEW ? "new" : state == ENGINE_RUNNING ? "running" : "ended";
}

int mmarml_engine_status(json_t **out, mmarml_engine *e)
{
    if (out == NULL || e == NULL)
        return MMARML__NULLARG(out == NULL ? "out" : "engine");
    pthread_mutex_lock(&e->lock);
    *out = json_pack("{s:s, s:I, s:I, s:I, s:I, s:s, s:I}", "state", state_name(e->state),
                     "jobs_started", (json_int_t)e->jobs_started, "jobs_finished",
                     (json_int_t)e->jobs_finished, "pending", (json_int_t)e->pending_count,
                     "running", (json_int_t)e->running, "end_reason",
                     end_reason_name(e->end_reason), "max_jobs", (json_int_t)e->opts.max_jobs);
    pthread_mutex_unlock(&e->lock);
    return *out != NULL ? MMARML_OK : MMARML__NOMEM();
}
