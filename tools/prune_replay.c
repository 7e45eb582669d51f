/* A run's reports replayed through a pruner, and what that comes to (prune_replay.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "prune_replay.h"
#include "run_savings.h"

static replay_job *find_job(replay *r, const char *name)
{
    const json_t *i = name != NULL ? json_object_get(r->index, name) : NULL;

    return i != NULL ? &r->jobs[json_integer_value(i)] : NULL;
}

static int add_job(replay *r, const json_t *start)
{
    const char *name = json_string_value(json_object_get(start, "job"));
    replay_job *j;

    if (name == NULL || find_job(r, name) != NULL)
        return MMARML_OK; /* a resumed run starts a job again under its name: same job */
    if (r->njobs == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        replay_job *jobs = realloc(r->jobs, cap * sizeof(*jobs));
        if (jobs == NULL)
            return mmarml_error_set(MMARML_ENOMEM, "prune-replay: out of memory");
        r->jobs = jobs;
        r->cap = cap;
    }
    j = &r->jobs[r->njobs];
    memset(j, 0, sizeof(*j));
    if ((j->name = strdup(name)) == NULL ||
        json_object_set_new(r->index, name, json_integer((json_int_t)r->njobs)) != 0) {
        free(j->name);
        return mmarml_error_set(MMARML_ENOMEM, "prune-replay: out of memory");
    }
    j->first = (uint64_t)json_integer_value(json_object_get(start, "first"));
    j->rec = json_incref(json_object_get(start, "rec"));
    j->gpus = worker_gpu_count(json_string_value(json_object_get(start, "gpus")));
    j->score = j->took = j->stop_step = NAN;
    j->first_time = j->last_time = NAN;
    r->njobs++;
    return MMARML_OK;
}

static void destroy_rec(void *p)
{
    mmarml_recommendation_unref(p);
}

/* The context the pruner is given with a job's reports, made at its first report: as the
 * engine's, a child of the main context with `_jobName` and `_recommendation` (none when
 * the header has no space or the rec does not fit it; the main context when even the
 * context cannot be made, as on a resume). */
static mmarml_context *job_context(replay *r, replay_job *j)
{
    mmarml_recommendation *rec = NULL;

    if (j->ctx != NULL)
        return j->ctx;
    if (mmarml_context_new(&j->ctx, r->main_ctx) != MMARML_OK)
        return r->main_ctx;
    if (mmarml_context_set_string(j->ctx, MMARML_KEY_JOB_NAME, j->name) != MMARML_OK) {
        j->ctx = mmarml_context_unref(j->ctx);
        return r->main_ctx;
    }
    if (r->space != NULL &&
        mmarml_recommendation_from_json(&rec, r->space, j->rec) == MMARML_OK &&
        mmarml_context_set_pointer(j->ctx, MMARML_KEY_RECOMMENDATION, rec, destroy_rec) !=
            MMARML_OK)
        mmarml_recommendation_unref(rec); /* the context did not take it */
    return j->ctx;
}

static void tell_ended(replay *r, replay_job *j, int status)
{
    if (j->ended)
        return;
    j->ended = 1;
    mmarml_pruner_job_ended(r->pruner, j->name, j->first, status);
    j->ctx = mmarml_context_unref(j->ctx);
}

static int replay_report(replay *r, const json_t *rec)
{
    replay_job *j = find_job(r, json_string_value(json_object_get(rec, "job")));
    double step = json_number_value(json_object_get(rec, "step"));
    double value = json_number_value(json_object_get(rec, "value"));
    const json_t *time = json_object_get(rec, "time");
    int stop = 0, rc;

    if (j == NULL) {
        r->unknown++;
        return MMARML_OK;
    }
    if (j->nreports++ == 0) {
        j->first_step = step;
        j->first_time = json_is_number(time) ? json_number_value(time) : NAN;
    }
    j->last_step = step;
    j->last_time = json_is_number(time) ? json_number_value(time) : NAN;
    if (!isnan(j->stop_step) || j->ended) {
        r->skipped++; /* stopped: it would not have trained this step */
        return MMARML_OK;
    }
    r->reports++;
    rc = mmarml_pruner_report(&stop, r->pruner, j->name, j->first, step, value,
                              job_context(r, j));
    if (rc != MMARML_OK)
        return mmarml_error_set(rc, "prune-replay: the pruner failed on job %s's report at "
                                "step %g: %s", j->name, step, mmarml_error_message());
    if (stop) {
        j->stop_step = step;
        tell_ended(r, j, MMARML_JOB_PRUNED);
    }
    return MMARML_OK;
}

static void replay_end(replay *r, const json_t *rec)
{
    replay_job *j = find_job(r, json_string_value(json_object_get(rec, "job")));
    const char *status = json_string_value(json_object_get(rec, "status"));
    const json_t *score = json_object_get(rec, "score");
    double start = json_number_value(json_object_get(rec, "start"));
    double end = json_number_value(json_object_get(rec, "end"));
    int code = mmarml_job_status_from_name(status);

    if (j == NULL) {
        r->unknown++;
        return;
    }
    if (code < 0)
        code = MMARML_JOB_ERROR; /* as a resume takes a status it does not know */
    j->status = mmarml_job_status_name(code);
    j->score = json_is_number(score) ? json_number_value(score) : NAN;
    j->took = end >= start && start > 0 ? end - start : NAN;
    tell_ended(r, j, code);
}

/* One record of the journal, as mmarml_journal_foreach() reads it. */
static int replay_record(const json_t *rec, void *ud)
{
    replay *r = ud;
    const char *t = json_string_value(json_object_get(rec, "t"));

    if (t == NULL)
        return MMARML_OK;
    if (strcmp(t, "header") == 0 && r->space == NULL)
        (void)mmarml_search_space_from_json(&r->space, json_object_get(rec, "space"));
    else if (strcmp(t, "start") == 0)
        return add_job(r, rec);
    else if (strcmp(t, "report") == 0)
        return replay_report(r, rec);
    else if (strcmp(t, "end") == 0)
        replay_end(r, rec);
    return MMARML_OK;
}

void replay_free(replay *r)
{
    size_t i;

    for (i = 0; i < r->njobs; i++) {
        mmarml_context_unref(r->jobs[i].ctx);
        json_decref(r->jobs[i].rec);
        free(r->jobs[i].name);
    }
    free(r->jobs);
    json_decref(r->index);
    mmarml_search_space_unref(r->space);
    mmarml_context_unref(r->main_ctx);
}

int replay_journal(replay *r, mmarml_pruner *pruner, const char *journal)
{
    memset(r, 0, sizeof(*r));
    r->pruner = pruner;
    if ((r->index = json_object()) == NULL || mmarml_context_new(&r->main_ctx, NULL) != MMARML_OK)
        return mmarml_error_set(MMARML_ENOMEM, "prune-replay: out of memory");
    /* a record at a time: a long run's reports need not fit in memory at once */
    return mmarml_journal_foreach(journal, replay_record, r, NULL);
}

/* ---- what it comes to ---- */

static int better(const replay_job *a, const replay_job *b)
{
    return b == NULL || a->score > b->score;
}

static int is_ok(const replay_job *j)
{
    return j->status != NULL && strcmp(j->status, "ok") == 0 && !isnan(j->score);
}

void replay_summarize(const replay *r, replay_summary *s)
{
    size_t i, k;

    memset(s, 0, sizeof(*s));
    for (i = 0; i < r->njobs; i++) {
        const replay_job *j = &r->jobs[i];
        int stopped = !isnan(j->stop_step);
        double reached = j->nreports > 0 ? j->last_step : 0;
        double weight = j->gpus > 0 ? j->gpus : 1;
        double *total = j->gpus > 0 ? &s->gpu_s : &s->cpu_s;
        double *saved = j->gpus > 0 ? &s->gpu_s_saved : &s->cpu_s_saved;

        s->stopped += stopped;
        s->steps_run += reached;
        s->steps_replayed += stopped ? j->stop_step : reached;
        if (!isnan(j->took))
            *total += j->took * weight;
        if (stopped) {
            /* its pace over its reports, as the run's own savings line takes it */
            double pace = savings_pace(j->first_step, j->first_time, j->last_step,
                                       j->last_time, j->took);
            if (isnan(pace) && !isnan(j->took) && reached > 0)
                pace = j->took / reached;
            if (isnan(pace))
                s->unpaced++;
            else
                *saved += pace * (reached - j->stop_step) * weight;
        }
        if (!is_ok(j))
            continue;
        if (!stopped && better(j, s->best_kept))
            s->best_kept = j;
        /* into the top list, sorted; equal scores keep the earlier job first */
        if (s->ntop == TOP_JOBS && !better(j, s->top[TOP_JOBS - 1]))
            continue;
        k = s->ntop < TOP_JOBS ? s->ntop++ : TOP_JOBS - 1;
        for (; k > 0 && better(j, s->top[k - 1]); k--)
            s->top[k] = s->top[k - 1];
        s->top[k] = j;
    }
}

