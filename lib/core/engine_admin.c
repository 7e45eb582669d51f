/* The engine's admin calls (any thread, also while it runs): list and show workers,
 * suspend, resume, abort a worker's job, status. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "engine_internal.h"

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
    if (mmarml__worker_job(w) != NULL)
        return w->suspended ? "busy,suspended" : "busy";
    return w->suspended ? "suspended" : "idle";
}

static json_t *worker_json(const worker *w)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:s?}", "name", w->name, "gpus", w->gpus, "state",
                     worker_state(w), "jobs", (json_int_t)w->jobs, "current_job",
                     mmarml__worker_job(w) != NULL ? mmarml__worker_job(w)->name : NULL);
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
        mmarml__engine_wake(e); /* a resumed worker may take a pending job */
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
    size_t count = 0;
    worker *w;
    int has_job = 0;

    if (e == NULL)
        return MMARML__NULLARG("engine");
    pthread_mutex_lock(&e->lock);
    w = find_worker(e, name);
    if (w != NULL && mmarml__worker_job(w) != NULL) {
        has_job = 1;
        mmarml__engine_mark_abort(e, mmarml__worker_job(w), MMARML_JOB_ABORTED, &ctx,
                                  &count);
    }
    pthread_mutex_unlock(&e->lock);
    if (w == NULL)
        return unknown_worker(e, name);
    if (!has_job)
        return mmarml_error_set(MMARML_ENOTFOUND, "worker %s runs no job", name);
    mmarml__engine_run_aborts(e, &ctx, &count);
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
                     mmarml__end_reason_name(e->end_reason), "max_jobs",
                     (json_int_t)e->opts.max_jobs);
    pthread_mutex_unlock(&e->lock);
    return *out != NULL ? MMARML_OK : MMARML__NOMEM();
}
