/*
 * The workflow engine: workers with one job thread each, a FIFO of pending
 * recommendations, and an engine thread (the caller of mmarml_engine_run) that dispatches,
 * reacts to completions and enforces time limits. All shared state is under `lock`; no user
 * method is ever called with it held.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine_internal.h"

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
    rc = mmarml__vtable_copy(dst, sizeof(*dst), src, offsetof(mmarml_engine_options, journal),
                             MMARML_ENGINE_OPTIONS_VERSION, "engine options");
    if (rc != MMARML_OK)
        return rc;
    /* a caller built against version 1 was promised every call on the engine thread */
    if (src->version == 1)
        dst->engine_thread_calls = 1;
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
    if (rc == MMARML_OK && e->opts.journal != NULL &&
        (e->opts.journal[0] == '\0' ||
         (e->journal_spec = mmarml__strdup(e->opts.journal)) == NULL))
        rc = e->opts.journal[0] == '\0'
                 ? mmarml_error_set(MMARML_EINVAL, "engine options: journal is an empty path")
                 : MMARML__NOMEM();
    if (rc == MMARML_OK && e->opts.resume && e->opts.journal == NULL)
        rc = mmarml_error_set(MMARML_EINVAL, "engine options: resume needs a journal");
    if (rc == MMARML_OK && (e->workers = calloc(n, sizeof(*e->workers))) == NULL)
        rc = MMARML__NOMEM();
    if (rc != MMARML_OK) {
        mmarml__free_workers(gpus, n);
        free(e->workers_spec);
        free(e->journal_spec);
        free(e);
        return rc;
    }
    e->opts.workers = e->workers_spec;
    e->opts.journal = e->journal_spec;
    e->nworkers = n;
    e->next_end_seq = 1;
    e->spin_budget = 4096; /* SPIN_MAX: an idle machine until spins say otherwise */
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
    pthread_mutex_init(&e->prune_lock, NULL);
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
    for (i = 0; i < e->pending_count; i++) {
        pending_job *p = &e->pending[(e->pending_head + i) % e->pending_cap];
        mmarml_recommendation_unref(p->rec);
        json_decref(p->resumed);
    }
    free(e->pending);
    mmarml_recommendation_list_free(e->refined);
    mmarml_recommendation_list_free(e->last_shown);
    mmarml_recommendation_list_free(e->replayed);
    mmarml__journal_close(e->journal, 0);
    free(e->run_failed_message);
    mmarml_outcome_unref(e->best);
    free(e->journal_spec);
    mmarml_controller_unref(e->controller);
    mmarml_executor_unref(e->executor);
    mmarml_pruner_unref(e->pruner);
    free(e->workers_spec);
    pthread_cond_destroy(&e->cond);
    pthread_mutex_destroy(&e->prune_lock);
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
int mmarml__engine_fire(mmarml_engine *e, int event, mmarml_context *ctx, int reverse,
                        int fatal)
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

/* ---- pending jobs (engine lock held) ---- */

int mmarml__engine_pending_push(mmarml_engine *e, const pending_job *p, int front)
{
    if (e->pending_count == e->pending_cap) {
        size_t cap = e->pending_cap ? e->pending_cap * 2 : 16, i;
        pending_job *q = malloc(cap * sizeof(*q));
        if (q == NULL)
            return MMARML__NOMEM();
        for (i = 0; i < e->pending_count; i++)
            q[i] = e->pending[(e->pending_head + i) % e->pending_cap];
        free(e->pending);
        e->pending = q;
        e->pending_cap = cap;
        e->pending_head = 0;
    }
    if (front) {
        e->pending_head = (e->pending_head + e->pending_cap - 1) % e->pending_cap;
        e->pending[e->pending_head] = *p;
    } else {
        e->pending[(e->pending_head + e->pending_count) % e->pending_cap] = *p;
    }
    e->pending_count++;
    mmarml_recommendation_ref(p->rec);
    json_incref(p->resumed);
    return MMARML_OK;
}

/* The next job to dispatch, or NULL; a new one only while max_jobs allows it. */
static pending_job *pending_peek(mmarml_engine *e)
{
    pending_job *p;

    if (e->pending_count == 0)
        return NULL;
    p = &e->pending[e->pending_head];
    if (p->attempt <= 1 && p->name[0] == '\0' && e->opts.max_jobs > 0 &&
        e->first_attempts >= e->opts.max_jobs)
        return NULL;
    return p;
}

static void pending_drop_head(mmarml_engine *e)
{
    e->pending_head = (e->pending_head + 1) % e->pending_cap;
    e->pending_count--;
}

/* A recommendation over the run's space, or over one with the same params in the same order
 * (a controller's copy): executors read its values by position. */
static int fits_space(const mmarml_engine *e, const mmarml_recommendation *rec)
{
    const mmarml_search_space *space = mmarml_recommendation_space(rec);
    size_t i, n = mmarml_search_space_count(e->space);

    if (space == e->space)
        return 1;
    if (space == NULL || mmarml_search_space_count(space) != n)
        return 0;
    for (i = 0; i < n; i++)
        if (strcmp(mmarml_param_prl(mmarml_search_space_param(space, i)),
                   mmarml_param_prl(mmarml_search_space_param(e->space, i))) != 0)
            return 0;
    return 1;
}

/* The engine's own copy of a list handlers are shown, frozen: the jobs it starts share it
 * (a reference each, no copy per job), and nobody changes it. A list that cannot be copied
 * whole is shown to the jobs as none rather than some. */
static mmarml_recommendation_list *copy_shown(const mmarml_recommendation_list *list)
{
    mmarml_recommendation_list *copy = NULL;
    size_t i, n = mmarml_recommendation_list_count(list);

    if (mmarml_recommendation_list_new(&copy) != MMARML_OK)
        return NULL;
    for (i = 0; i < n; i++)
        if (mmarml_recommendation_list_append(copy, mmarml_recommendation_list_get(list, i)) !=
            MMARML_OK) {
            mmarml_recommendation_list_clear(copy);
            break;
        }
    mmarml__recommendation_list_freeze(copy);
    return copy;
}

/*
 * New recommendations: checked against the space (one over another space stops the run: the
 * controller is broken), queued, and then shown to the handlers (recommendations_available).
 * They are queued first, so what a handler does to the list it is shown changes nothing the
 * engine dispatches.
 */
void mmarml__engine_accept(mmarml_engine *e, mmarml_recommendation_list *list)
{
    size_t i, n = mmarml_recommendation_list_count(list);
    mmarml_recommendation_list *shown = NULL;
    pending_job p;

    if (n == 0)
        return;
    for (i = 0; i < n; i++) {
        const mmarml_recommendation *rec = mmarml_recommendation_list_get(list, i);
        if (!fits_space(e, rec)) {
            char msg[512];
            snprintf(msg, sizeof(msg), "the controller recommended over another search space "
                     "(recommendation %lld has %zu params, the run's space '%s' %zu): it is "
                     "refused", (long long)mmarml_recommendation_id(rec),
                     mmarml_search_space_count(mmarml_recommendation_space(rec)),
                     mmarml_search_space_name(e->space) ? mmarml_search_space_name(e->space)
                                                        : "",
                     mmarml_search_space_count(e->space));
            mmarml__engine_fail(e, MMARML_EINVAL, msg);
            return;
        }
    }
    if (e->replayed != NULL) /* replaying a journal: remember them in their order */
        for (i = 0; i < n; i++)
            mmarml_recommendation_list_append(e->replayed,
                                              mmarml_recommendation_list_get(list, i));
    if (e->nhandlers > 0)
        shown = copy_shown(list);
    pthread_mutex_lock(&e->lock);
    if (e->stopping) { /* a stopping run starts nothing new */
        pthread_mutex_unlock(&e->lock);
        mmarml_recommendation_list_free(shown);
        return;
    }
    memset(&p, 0, sizeof(p));
    p.attempt = 1;
    for (i = 0; i < n; i++) {
        p.rec = mmarml_recommendation_list_get(list, i);
        if (mmarml__engine_pending_push(e, &p, 0) != MMARML_OK)
            mmarml_context_exception_occurred(e->ctx, "engine", mmarml_error_message());
    }
    if (e->nhandlers > 0) { /* in the same hold as the jobs: each begins with its list */
        mmarml_recommendation_list *old = e->last_shown;
        e->last_shown = shown;
        shown = old;
    }
    pthread_mutex_unlock(&e->lock);
    mmarml_recommendation_list_free(shown);
    if (e->nhandlers > 0 &&
        mmarml_context_set_pointer(e->ctx, MMARML_KEY_RECOMMENDATIONS, list, NULL) ==
            MMARML_OK) {
        mmarml__engine_fire(e, MMARML__EV_RECOMMENDATIONS_AVAILABLE, e->ctx, 0, 0);
        mmarml_context_remove(e->ctx, MMARML_KEY_RECOMMENDATIONS);
    }
}

/*
 * Hand-offs between the engine thread and job threads happen once per job each way. Before
 * sleeping on a condition variable a waiter spins on the flag it waits for, without
 * yielding: on an idle core the other side answers within microseconds and the futex sleep
 * and wake-up are saved. The spin adapts (adaptive_spin): a spin that saw its event doubles
 * the next budget, one that did not halves it, down to nothing, with a probe every
 * SPIN_PROBE waits. When the CPUs are saturated (data loaders on every core) the other side
 * is not running, spins stop paying, and the budget drops to zero: the waiter sleeps at once
 * instead of burning the time slices the other side needs. (The first version spun with
 * sched_yield; with two busy loops per core that turned into a convoy of ~2 ms per job.)
 */
#define SPIN_MAX 4096 /* pause instructions: tens of microseconds */
#define SPIN_MIN 32
#define SPIN_PROBE 64

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Spin until ready(arg) or the budget runs out; adapt the budget. 1 when it became ready. */
static int adaptive_spin(unsigned *budget, unsigned *probe, int (*ready)(const void *arg),
                         const void *arg)
{
    unsigned n = *budget, i;
    int hit = 0;

    if (n == 0 && ++*probe % SPIN_PROBE == 0)
        n = SPIN_MAX / 4; /* has the machine quietened down? */
    for (i = 0; i < n; i++) {
        if (ready(arg)) {
            hit = 1;
            break;
        }
        cpu_relax();
    }
    if (hit)
        *budget = n * 2 > SPIN_MAX ? SPIN_MAX : (n * 2 < SPIN_MIN ? SPIN_MIN : n * 2);
    else
        *budget = n / 2 < SPIN_MIN ? 0 : n / 2;
    return hit;
}

job *mmarml__worker_job(const worker *w)
{
    return __atomic_load_n(&w->job, __ATOMIC_ACQUIRE);
}

static void set_worker_job(worker *w, job *j)
{
    __atomic_store_n(&w->job, j, __ATOMIC_RELEASE);
}

/* Wake the engine thread; engine lock held. */
void mmarml__engine_wake(mmarml_engine *e)
{
    __atomic_add_fetch(&e->wakeups, 1, __ATOMIC_RELEASE);
    pthread_cond_signal(&e->cond);
}

/* ---- job threads ---- */

/* Is the status one that a retry may turn around? */
static int retryable(int status)
{
    return status == MMARML_JOB_FAILED || status == MMARML_JOB_ERROR ||
           status == MMARML_JOB_TIMEOUT;
}

/* Job thread: the job context is built here, off the engine thread and its lock. It is
 * published (release) before `executing` is set, so an aborter that sees `executing` sees
 * the context too. */
static int make_job_context(mmarml_engine *e, job *j)
{
    mmarml_context *ctx = NULL;
    int rc = mmarml__job_context(e, j, &ctx);

    if (rc != MMARML_OK)
        return rc;
    __atomic_store_n(&j->ctx, ctx, __ATOMIC_RELEASE);
    return MMARML_OK;
}

/* The job's end: status and score on its context, its end record, then end_job. */
static void end_job(mmarml_engine *e, job *j, int status, double score)
{
    j->status = status;
    j->score = score;
    j->wall_end = mmarml__wall_now();
    j->retry = retryable(status) && (uint32_t)(j->attempt - 1) < e->opts.max_retries &&
               !__atomic_load_n(&e->stopping, __ATOMIC_ACQUIRE);
    mmarml_context_set_string(j->ctx, MMARML_KEY_JOB_STATUS, mmarml_job_status_name(status));
    if (status == MMARML_JOB_OK)
        mmarml_context_set_double(j->ctx, MMARML_KEY_SCORE, score);
    mmarml__job_report_keys(e, j, j->ctx, score);
    mmarml_context_set_double(j->ctx, MMARML_KEY_JOB_END_TIME, j->wall_end);
    /* recorded before anyone is told */
    mmarml__job_end_record(e, j);
    mmarml__engine_fire(e, MMARML__EV_END_JOB, j->ctx, 0, 0);
}

void mmarml__engine_fail(mmarml_engine *e, int code, const char *message)
{
    char *msg = mmarml__strdup(message != NULL ? message : "");

    pthread_mutex_lock(&e->lock);
    if (!e->run_failed) {
        e->run_failed = code < 0 ? code : MMARML_EIO;
        e->run_failed_message = msg;
        msg = NULL;
        mmarml__engine_wake(e);
    }
    pthread_mutex_unlock(&e->lock);
    free(msg);
}

static void run_job(mmarml_engine *e, job *j)
{
    int status = MMARML_JOB_ERROR, abort_reason, rc;
    double score = NAN;

    j->wall_start = mmarml__wall_now();
    if (make_job_context(e, j) != MMARML_OK) {
        /* no context, so no events: start_job was never called */
        mmarml_context_exception_occurred(e->ctx, j->name, mmarml_error_message());
        j->status = MMARML_JOB_ERROR;
        j->score = NAN;
        j->retry = 0;
        mmarml__journal_job_end(e, j);
        return;
    }
    if (mmarml__journal_job_start(e, j) != MMARML_OK) {
        /* not recorded, so not run: the journal stops the run */
        mmarml_context_exception_occurred(j->ctx, j->name, mmarml_error_message());
        end_job(e, j, MMARML_JOB_ERROR, NAN);
        return;
    }
    mmarml__engine_fire(e, MMARML__EV_START_JOB, j->ctx, 0, 0);

    __atomic_store_n(&j->executing, 1, __ATOMIC_SEQ_CST);
    abort_reason = __atomic_load_n(&j->abort_reason, __ATOMIC_SEQ_CST);
    if (abort_reason == 0) {
        rc = mmarml_executor_execute(&status, &score, e->executor, j->rec, j->ctx);
        if (rc < 0)
            mmarml_context_exception_occurred(j->ctx, j->name, mmarml_error_message());
        if (rc == MMARML_ESTORAGE) { /* every next job would fail the same way */
            char msg[1024];
            snprintf(msg, sizeof(msg), "job %s: %s", j->name, mmarml_error_message());
            mmarml__engine_fail(e, rc, msg);
        }
    }
    __atomic_store_n(&j->executing, 0, __ATOMIC_SEQ_CST);
    abort_reason = __atomic_load_n(&j->abort_reason, __ATOMIC_SEQ_CST);
    /* A job that did finish with a score keeps it, even if an abort raced with its end. */
    if (abort_reason != 0 && status != MMARML_JOB_OK)
        status = abort_reason;
    if (status == MMARML_JOB_PRUNED) {
        pthread_mutex_lock(&e->prune_lock);
        score = mmarml__prune_score(e, j);
        pthread_mutex_unlock(&e->prune_lock);
    }
    end_job(e, j, status, score);
}

/* Completions go to the engine thread in the order of their end records. Engine lock held. */
static void queue_done(mmarml_engine *e, job *j)
{
    job **at = &e->done_head; /* at most one job per worker waits here */

    while (*at != NULL && (*at)->end_seq <= j->end_seq)
        at = &(*at)->next;
    j->next = *at;
    *at = j;
}

static void dispatch(mmarml_engine *e);
static job *take_done(mmarml_engine *e);
static void complete_job(mmarml_engine *e, job *j);

/*
 * A job thread whose job ended while the engine thread sleeps does the engine thread's work
 * for it: the completion (refine_recommendation, round_ended, in end-record order) and the
 * dispatch, often of its own next job. It saves two thread switches per job, which on a
 * machine whose CPUs are saturated are most of the engine's cost. Only one thread at a time
 * does engine work (`helper_active`, or the engine thread awake), so controllers and
 * handlers still get one call at a time. What only the engine thread decides (stops, time
 * limits, the end of the run) wakes it. Engine lock held on entry and exit.
 */
static void help_engine(mmarml_engine *e)
{
    size_t running;
    job *done;

    e->helper_active = 1;
    while (!e->stopping && !e->stop_requested && (done = take_done(e)) != NULL) {
        e->running--;
        e->jobs_finished++;
        pthread_mutex_unlock(&e->lock);
        complete_job(e, done);
        pthread_mutex_lock(&e->lock);
    }
    running = e->running;
    if (!e->stopping && !e->stop_requested && !e->run_failed &&
        !mmarml_context_stop_work_asked(e->ctx))
        dispatch(e);
    e->helper_active = 0;
    /* a new job under max_job_run_time: the engine thread sets its timer */
    if (e->running == 0 || e->done_head != NULL || e->stop_requested || e->run_failed ||
        e->engine_awaits_helper || mmarml_context_stop_work_asked(e->ctx) ||
        (e->opts.max_job_run_time > 0 && e->running > running)) {
        e->engine_awaits_helper = 0;
        mmarml__engine_wake(e);
    }
}

static int worker_has_work(const void *arg)
{
    const worker *w = arg;

    return mmarml__worker_job(w) != NULL || __atomic_load_n(&w->quit, __ATOMIC_ACQUIRE);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    mmarml_engine *e = w->engine;
    unsigned budget = SPIN_MAX, probe = 0;
    job *j;

    pthread_mutex_lock(&e->lock);
    for (;;) {
        if (mmarml__worker_job(w) == NULL && !w->quit) {
            pthread_mutex_unlock(&e->lock);
            adaptive_spin(&budget, &probe, worker_has_work, w);
            pthread_mutex_lock(&e->lock);
        }
        while (mmarml__worker_job(w) == NULL && !w->quit)
            pthread_cond_wait(&w->cond, &e->lock);
        if (w->quit && mmarml__worker_job(w) == NULL)
            break;
        j = mmarml__worker_job(w);
        pthread_mutex_unlock(&e->lock);

        run_job(e, j);

        pthread_mutex_lock(&e->lock);
        set_worker_job(w, NULL);
        queue_done(e, j);
        if (e->engine_sleeping && !e->helper_active && !e->opts.engine_thread_calls)
            help_engine(e);
        else
            mmarml__engine_wake(e);
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
        if (mmarml__worker_job(w) == NULL && !w->suspended &&
            (best == NULL || w->jobs < best->jobs))
            best = w;
    }
    return best;
}

/* The worker a pending job goes to: its own (a resumed job's) when that is free. */
static worker *worker_for(mmarml_engine *e, const pending_job *p)
{
    worker *own = p->worker >= 1 && (size_t)p->worker <= e->nworkers
                      ? &e->workers[p->worker - 1]
                      : NULL;

    if (own != NULL && mmarml__worker_job(own) == NULL && !own->suspended)
        return own;
    return pick_worker(e);
}

static void dispatch(mmarml_engine *e)
{
    pending_job *p;
    worker *w;

    while ((p = pending_peek(e)) != NULL && (w = worker_for(e, p)) != NULL) {
        job *j = calloc(1, sizeof(*j));
        if (j == NULL) {
            mmarml_context_exception_occurred(e->ctx, "engine", "out of memory for a job");
            return;
        }
        j->w = w;
        j->rec = p->rec; /* the queue's reference moves to the job */
        j->resumed = p->resumed;
        mmarml__job_restore_reports(j);
        j->attempt = p->attempt > 0 ? p->attempt : 1;
        if (p->name[0] != '\0') { /* it ran when the run died: same name, same number */
            snprintf(j->name, sizeof(j->name), "%s", p->name);
            j->number = p->number;
            j->first = p->first;
        } else {
            w->jobs++;
            j->number = ++e->jobs_started;
            j->first = p->first != 0 ? p->first : j->number;
            if (j->attempt == 1)
                e->first_attempts++;
            snprintf(j->name, sizeof(j->name), "W%d_%llu_J%llu", w->number,
                     (unsigned long long)w->jobs, (unsigned long long)j->number);
        }
        pending_drop_head(e);
        j->start_time = mmarml__now();
        set_worker_job(w, j);
        e->running++;
        pthread_cond_signal(&w->cond);
    }
}

/* ---- aborting (collect under the lock, call the executor without it) ---- */

/* Mark `j` aborted for `reason`; remember its context if the executor must be told. */
void mmarml__engine_mark_abort(mmarml_engine *e, job *j, int reason, mmarml_context **ctxs,
                               size_t *count)
{
    mmarml_context *ctx;

    (void)e;
    if (__atomic_load_n(&j->abort_reason, __ATOMIC_SEQ_CST) != 0)
        return; /* only the engine lock holder sets it: no lost update */
    __atomic_store_n(&j->abort_reason, reason, __ATOMIC_SEQ_CST);
    if (!__atomic_load_n(&j->executing, __ATOMIC_SEQ_CST))
        return; /* the job thread will see abort_reason before it calls execute */
    ctx = __atomic_load_n(&j->ctx, __ATOMIC_ACQUIRE);
    if (reason == MMARML_JOB_PRUNED) /* first: an executor that sees the abort sees why */
        mmarml_context_set_bool(ctx, MMARML_KEY_JOB_PRUNED, 1);
    mmarml_context_set_bool(ctx, MMARML_KEY_JOB_ABORTED, 1);
    if (ctxs != NULL)
        ctxs[(*count)++] = mmarml_context_ref(ctx);
}

void mmarml__engine_run_aborts(mmarml_engine *e, mmarml_context **ctxs, size_t *count)
{
    size_t i;

    for (i = 0; i < *count; i++) {
        mmarml_executor_abort(e->executor, ctxs[i]);
        mmarml_context_unref(ctxs[i]);
    }
    *count = 0;
}

/* ---- the engine thread ---- */

static void stop_hook(void *arg)
{
    mmarml_engine *e = arg;

    pthread_mutex_lock(&e->lock);
    mmarml__engine_wake(e);
    pthread_mutex_unlock(&e->lock);
}

/* Queue the next attempt of a job that asked for a retry. */
static void queue_retry(mmarml_engine *e, const job *j)
{
    pending_job p;

    memset(&p, 0, sizeof(p));
    p.rec = j->rec;
    p.first = j->first;
    p.attempt = j->attempt + 1;
    pthread_mutex_lock(&e->lock);
    if (mmarml__engine_pending_push(e, &p, 1) != MMARML_OK)
        mmarml_context_exception_occurred(e->ctx, "engine", mmarml_error_message());
    mmarml__engine_wake(e);
    pthread_mutex_unlock(&e->lock);
    mmarml_context_log(e->ctx, MMARML_LOG_INFO, "job %s ended %s: attempt %d of %u follows",
                       j->name, mmarml_job_status_name(j->status), j->attempt + 1,
                       e->opts.max_retries + 1);
}

/* round_ended gets a child of the main context naming the round's job: `_jobName`,
 * `_jobStatus` and, when ok, `_score` (the main context's own properties show through). */
static void round_ended(mmarml_engine *e, const mmarml_outcome *outcome)
{
    mmarml_context *ctx = NULL;
    double score;

    if (mmarml_context_new(&ctx, e->ctx) != MMARML_OK ||
        mmarml_context_set_string(ctx, MMARML_KEY_JOB_NAME,
                                  mmarml_outcome_job_name(outcome)) != MMARML_OK ||
        mmarml_context_set_string(ctx, MMARML_KEY_JOB_STATUS,
                                  mmarml_job_status_name(mmarml_outcome_status(outcome))) !=
            MMARML_OK ||
        (mmarml_outcome_score(outcome, &score) == MMARML_OK &&
         mmarml_context_set_double(ctx, MMARML_KEY_SCORE, score) != MMARML_OK)) {
        mmarml_context_exception_occurred(e->ctx, "engine", mmarml_error_message());
        mmarml_context_unref(ctx);
        mmarml__engine_fire(e, MMARML__EV_ROUND_ENDED, e->ctx, 0, 0);
        return;
    }
    mmarml__engine_fire(e, MMARML__EV_ROUND_ENDED, ctx, 0, 0);
    mmarml_context_unref(ctx);
}

/* Keep the best ok outcome (ties: the earliest). */
static void note_best(mmarml_engine *e, const mmarml_outcome *outcome)
{
    double score, best;

    if (mmarml_outcome_status(outcome) != MMARML_JOB_OK ||
        mmarml_outcome_score(outcome, &score) != MMARML_OK)
        return;
    pthread_mutex_lock(&e->lock);
    if (e->best == NULL || (mmarml_outcome_score(e->best, &best) == MMARML_OK && score > best)) {
        mmarml_outcome_unref(e->best);
        e->best = mmarml_outcome_ref((mmarml_outcome *)outcome);
    }
    pthread_mutex_unlock(&e->lock);
}

int mmarml_engine_best(mmarml_outcome **out, mmarml_engine *e)
{
    if (out == NULL || e == NULL)
        return MMARML__NULLARG(out == NULL ? "out" : "engine");
    pthread_mutex_lock(&e->lock);
    *out = mmarml_outcome_ref(e->best);
    pthread_mutex_unlock(&e->lock);
    return *out != NULL ? MMARML_OK
                        : mmarml_error_set(MMARML_ENOTFOUND, "no job has ended ok yet");
}

void mmarml__engine_refine(mmarml_engine *e, const mmarml_outcome *outcome)
{
    note_best(e, outcome);
    mmarml_recommendation_list_clear(e->refined);
    if (mmarml_controller_refine_recommendation(e->refined, e->controller, outcome, e->ctx) <
        0)
        mmarml_context_exception_occurred(e->ctx, "refine_recommendation",
                                          mmarml_error_message());
    else
        mmarml__engine_accept(e, e->refined);
    mmarml_recommendation_list_clear(e->refined);
    round_ended(e, outcome);
}

/* Process one completion: the outcome to the controller (what it recommends is dropped
 * while the run stops), round_ended; or the job's next attempt. */
static void complete_job(mmarml_engine *e, job *j)
{
    mmarml_outcome *outcome = NULL;

    if (j->retry) { /* as its end record says: a stopping run keeps it for a resume */
        queue_retry(e, j);
    } else if (mmarml_outcome_new(&outcome, j->rec, j->status, j->score, j->name) ==
               MMARML_OK) {
        mmarml__outcome_reports(outcome, j->reports, j->nreports);
        mmarml__engine_refine(e, outcome);
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
    json_decref(j->resumed);
    mmarml__job_free_reports(j);
    free(j);
}

/* Spin briefly for a wake-up before sleeping (see adaptive_spin); lock held on entry and
 * exit. Returns 1 when something happened. */
typedef struct {
    const mmarml_engine *e;
    uint64_t seen;
} wakeup_watch;

static int woken(const void *arg)
{
    const wakeup_watch *w = arg;

    return __atomic_load_n(&w->e->wakeups, __ATOMIC_ACQUIRE) != w->seen;
}

static int engine_spin(mmarml_engine *e)
{
    uint64_t seen = __atomic_load_n(&e->wakeups, __ATOMIC_ACQUIRE);
    wakeup_watch watch = {e, seen};

    pthread_mutex_unlock(&e->lock);
    adaptive_spin(&e->spin_budget, &e->spin_probe, woken, &watch);
    pthread_mutex_lock(&e->lock);
    /* re-check under the lock: a wake-up after the last look must not be lost */
    return __atomic_load_n(&e->wakeups, __ATOMIC_ACQUIRE) != seen;
}

static void begin_stop(mmarml_engine *e, int reason, mmarml_context **ctxs, size_t *count)
{
    size_t i;

    __atomic_store_n(&e->stopping, 1, __ATOMIC_RELEASE);
    if (e->end_reason == MMARML_END_NOT_ENDED)
        e->end_reason = reason;
    for (i = 0; i < e->nworkers; i++)
        if (mmarml__worker_job(&e->workers[i]) != NULL)
            mmarml__engine_mark_abort(e, mmarml__worker_job(&e->workers[i]),
                                      MMARML_JOB_ABORTED, ctxs, count);
}

/* The next completion to process, in end-record order (engine lock held). */
static job *take_done(mmarml_engine *e)
{
    job *done = e->done_head;

    if (done == NULL || (done->end_seq != 0 && done->end_seq != e->next_end_seq))
        return NULL; /* an earlier end record's job has not queued itself yet */
    e->done_head = done->next;
    if (done->end_seq != 0)
        e->next_end_seq++;
    return done;
}

static void job_loop(mmarml_engine *e)
{
    mmarml_context **ctxs = calloc(e->nworkers, sizeof(*ctxs));
    size_t count = 0;
    double sys_deadline = e->opts.max_sys_run_time > 0
                              ? e->run_start - e->prior_elapsed + e->opts.max_sys_run_time
                              : INFINITY;
    int stop_logged = 0;
    double heartbeat = e->journal != NULL ? mmarml__now() + MMARML__HEARTBEAT_S : INFINITY;

    pthread_mutex_lock(&e->lock);
    for (;;) {
        double now, wake = sys_deadline;
        job *done;
        size_t i;

        while (e->helper_active) { /* a job thread does engine work: one at a time */
            e->engine_awaits_helper = 1;
            pthread_cond_wait(&e->cond, &e->lock);
        }
        now = mmarml__now();

        if (!e->stopping) {
            if (e->run_failed == MMARML_ESTORAGE)
                begin_stop(e, MMARML_END_STORAGE_FAILED, ctxs, &count);
            else if (e->stop_requested || e->run_failed ||
                     mmarml_context_stop_work_asked(e->ctx))
                begin_stop(e, MMARML_END_STOP_ASKED, ctxs, &count);
            else if (now >= sys_deadline)
                begin_stop(e, MMARML_END_MAX_SYS_RUN_TIME, ctxs, &count);
        }
        if (e->stopping && !stop_logged) {
            int reason = e->end_reason;
            const char *why = e->run_failed ? e->run_failed_message : NULL; /* set once */
            stop_logged = 1;
            pthread_mutex_unlock(&e->lock);
            mmarml__journal_stop(e, reason, why);
            pthread_mutex_lock(&e->lock);
        }
        if (count > 0) {
            pthread_mutex_unlock(&e->lock);
            mmarml__engine_run_aborts(e, ctxs, &count);
            pthread_mutex_lock(&e->lock);
            continue;
        }
        if ((done = take_done(e)) != NULL) {
            e->running--;
            e->jobs_finished++;
            pthread_mutex_unlock(&e->lock);
            complete_job(e, done);
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
            if (pending_peek(e) == NULL) { /* only new jobs wait, and max_jobs says no */
                e->end_reason = MMARML_END_MAX_JOBS;
                break;
            }
        }
        /* time limits of running jobs */
        for (i = 0; e->opts.max_job_run_time > 0 && i < e->nworkers; i++) {
            job *j = mmarml__worker_job(&e->workers[i]);
            double deadline;
            if (j == NULL || __atomic_load_n(&j->abort_reason, __ATOMIC_SEQ_CST) != 0)
                continue;
            deadline = j->start_time + e->opts.max_job_run_time;
            if (now >= deadline)
                mmarml__engine_mark_abort(e, j, MMARML_JOB_TIMEOUT, ctxs, &count);
            else if (deadline < wake)
                wake = deadline;
        }
        if (count > 0)
            continue;
        if (now >= heartbeat) { /* the run's time, for max_sys_run_time after a resume */
            heartbeat = now + MMARML__HEARTBEAT_S;
            pthread_mutex_unlock(&e->lock);
            mmarml__journal_alive(e);
            pthread_mutex_lock(&e->lock);
            continue;
        }
        if (heartbeat < wake)
            wake = heartbeat;
        if (engine_spin(e))
            continue;
        e->engine_sleeping = 1; /* job threads may do its work meanwhile */
        if (isinf(wake)) {
            pthread_cond_wait(&e->cond, &e->lock);
        } else {
            struct timespec ts;
            double secs = floor(wake);
            ts.tv_sec = (time_t)secs;
            ts.tv_nsec = (long)((wake - secs) * 1e9);
            pthread_cond_timedwait(&e->cond, &e->lock, &ts);
        }
        e->engine_sleeping = 0;
    }
    pthread_mutex_unlock(&e->lock);
    free(ctxs);
}

const char *mmarml__end_reason_name(int reason)
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
    case MMARML_END_ALREADY_FINISHED:
        return "already_finished";
    case MMARML_END_STORAGE_FAILED:
        return "storage_failed";
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

/* Everything between start_automl and the job loop; `resume`: what a resumed run read of its
 * journal, else NULL. Returns a negative code to abort the run before any job, MMARML_OK
 * to run jobs, or 1 when the run ends at once. */
static int prepare(mmarml_engine *e, mmarml__resume *resume)
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
    e->space = space;
    /* recorded (or, resuming, checked against the record) before anyone is told */
    if ((rc = mmarml__journal_space(e, resume, space)) != MMARML_OK)
        return rc;
    mmarml__engine_fire(e, MMARML__EV_SEARCH_SPACE_AVAILABLE, e->ctx, 0, 0);
    rc = mmarml_controller_set_search_space(e->controller, space, e->ctx);
    if (rc != MMARML_OK)
        return rc;
    if (mmarml_context_stop_work_asked(e->ctx) ||
        __atomic_load_n(&e->stop_requested, __ATOMIC_ACQUIRE)) {
        e->end_reason = MMARML_END_STOP_ASKED;
        return 1;
    }
    rc = mmarml_recommendation_list_new(&list);
    if (rc != MMARML_OK)
        return rc;
    if (resume != NULL && (rc = mmarml_recommendation_list_new(&e->replayed)) != MMARML_OK) {
        mmarml_recommendation_list_free(list);
        return rc;
    }
    rc = mmarml_controller_initial_recommendation(list, e->controller, e->ctx);
    if (rc == MMARML_OK && resume == NULL && mmarml_recommendation_list_count(list) == 0) {
        e->end_reason = MMARML_END_EXHAUSTED;
        rc = 1;
    }
    if (rc == MMARML_OK)
        mmarml__engine_accept(e, list);
    mmarml_recommendation_list_free(list);
    if (rc == MMARML_OK && resume != NULL)
        rc = mmarml__journal_replay(e, resume, space);
    mmarml_recommendation_list_free(e->replayed);
    e->replayed = NULL;
    return rc;
}

/* Start-up up to the first job: events, the journal, the space, the first recommendations.
 * Returns as prepare() does. */
static int start_run(mmarml_engine *e, mmarml_context *ctx, int *started_automl)
{
    mmarml__resume *resume = NULL;
    int rc;

    *started_automl = 0;
    rc = mmarml_context_set_int(ctx, MMARML_KEY_NUM_WORKERS, (int64_t)e->nworkers);
    if (rc == MMARML_OK && e->opts.resume)
        rc = mmarml_context_set_bool(ctx, MMARML_KEY_RESUMING, 1);
    if (rc == MMARML_OK)
        rc = start_workers(e);
    if (rc == MMARML_OK)
        rc = mmarml__engine_fire(e, MMARML__EV_STARTUP, ctx, 0, 1);
    if (rc == MMARML_OK) {
        rc = mmarml__engine_fire(e, MMARML__EV_START_AUTOML, ctx, 0, 1);
        *started_automl = rc == MMARML_OK;
    }
    if (rc == MMARML_OK)
        rc = mmarml__journal_begin(e, &resume);
    if (rc == 1) {
        e->end_reason = MMARML_END_ALREADY_FINISHED;
        *started_automl = 0; /* a finished run's files stay as they are: no end_automl */
        return 1;
    }
    e->run_start = mmarml__now();
    if (rc == MMARML_OK)
        rc = prepare(e, resume);
    mmarml__resume_free(resume);
    return rc;
}

int mmarml_engine_run(mmarml_engine *e, mmarml_context *ctx)
{
    int rc, started_automl = 0;

    if (e == NULL || ctx == NULL)
        return MMARML__NULLARG(e == NULL ? "engine" : "ctx");
    pthread_mutex_lock(&e->lock);
    if (e->state != ENGINE_NEW) {
        pthread_mutex_unlock(&e->lock);
        return mmarml_error_set(MMARML_EMISUSE, "an engine runs only once");
    }
    if (e->stop_requested) { /* stopped before it started (a signal at start-up): make nothing */
        e->state = ENGINE_ENDED;
        e->end_reason = MMARML_END_STOP_ASKED;
        pthread_mutex_unlock(&e->lock);
        return MMARML_OK;
    }
    e->state = ENGINE_RUNNING;
    e->ctx = mmarml_context_ref(ctx);
    pthread_mutex_unlock(&e->lock);
    mmarml_engine_ref(e); /* an unref from another thread must not free a running engine */

    mmarml__context_set_stop_hook(ctx, stop_hook, e);
    rc = start_run(e, ctx, &started_automl);
    if (rc < 0)
        mmarml_context_set_bool(ctx, MMARML_KEY_RUN_START_FAILED, 1);
    if (rc == MMARML_OK)
        job_loop(e);
    stop_workers(e);
    if (rc >= 0 && e->run_failed)
        rc = mmarml_error_set(e->run_failed, "the run stopped: %s", e->run_failed_message);

    /* keep the first failure's message across the shutdown calls */
    {
        char *msg = rc < 0 ? mmarml__strdup(mmarml_error_message()) : NULL;
        if (started_automl)
            mmarml__engine_fire(e, MMARML__EV_END_AUTOML, ctx, 0, 0);
        mmarml_controller_shutdown(e->controller, ctx);
        mmarml_executor_shutdown(e->executor, ctx);
        /* the run is finished once end_automl wrote the final files (stats, summary): a run
         * that dies before this record is resumed, which writes them again */
        if (rc >= 0 && e->end_reason != MMARML_END_ALREADY_FINISHED)
            mmarml__journal_end_run(e);
        mmarml__engine_fire(e, MMARML__EV_SHUTDOWN, ctx, 1, 0);
        if (rc < 0)
            mmarml_error_set(rc, "%s", msg != NULL ? msg : mmarml_strerror(rc));
        free(msg);
    }
    mmarml__context_set_stop_hook(ctx, NULL, NULL);
    /* a run that never started leaves no journal behind */
    mmarml__journal_close(e->journal, rc < 0 && mmarml__journal_created(e->journal) &&
                                          e->jobs_started == 0);
    e->journal = NULL;

    pthread_mutex_lock(&e->lock);
    e->state = ENGINE_ENDED;
    e->ctx = NULL;
    pthread_mutex_unlock(&e->lock);
    mmarml_context_log(ctx, MMARML_LOG_INFO, "run ended (%s) after %llu jobs",
                       mmarml__end_reason_name(e->end_reason),
                       (unsigned long long)e->jobs_finished);
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
    /* atomic: start-up code reads it without the lock (a SIGTERM while the run starts) */
    __atomic_store_n(&e->stop_requested, 1, __ATOMIC_RELEASE);
    ctx = mmarml_context_ref(e->ctx);
    mmarml__engine_wake(e);
    pthread_mutex_unlock(&e->lock);
    /* components see it through their context too */
    if (ctx != NULL)
        mmarml_context_stop_work(ctx, "engine", message != NULL ? message : "stop requested");
    mmarml_context_unref(ctx);
    return MMARML_OK;
}

