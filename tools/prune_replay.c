/*
 * `mmarml prune-replay`: what a pruner would have done to a run that already happened. The
 * run's journal holds every report of every job in the order the engine took them; they
 * are given to the pruner in that order, as the engine gives them, and a job it stops is
 * told ended `pruned` at once and reports nothing more. A user who pays for GPU hours can
 * so choose a pruner and its args on a finished run before spending a GPU-hour on them:
 * which jobs would stop, where, what that saves, and whether the best job survives.
 *
 * An estimate, and said as one: the jobs are the run's. With the pruner, the controller
 * would have seen pruned outcomes and proposed other jobs, and a worker freed early would
 * have started its next job sooner. With one worker and a controller that does not learn
 * from outcomes (random search), the replay is the pruned run (tests/check_prune_replay).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mmarml.h>

#include "cli.h"
#include "run_savings.h"

static const char *const usage_prune_replay =
    "usage: mmarml prune-replay (-p '<pruner spec>' | -a <config_automl.json>) [--json]\n"
    "                           [--journal <file>] <run_root>\n"
    "\n"
    "Replays a run's reports, in the order its engine took them, through a pruner: which\n"
    "jobs it would have stopped and at which step, the steps and GPU time that saves, and\n"
    "whether the run's best jobs would have gone on. The jobs are the run's own: with the\n"
    "pruner, the controller would have proposed others after the first stop.\n"
    "\n"
    "  -p, --pruner <JSON>       {\"name\": \"ASHAPruner\", \"args\": {...}}, as \"pruner\" in\n"
    "                            config_automl.json (built-in names, or \"path\": lib.so:fn)\n"
    "  -a, --automlconf <file>   take the \"pruner\" of this config_automl.json\n"
    "      --json                one JSON object on stdout instead of lines\n"
    "  -j, --journal <file>      the run's journal (default <run_root>/journal.mmarml)\n"
    "  -h, --help                this text\n"
    "\n"
    "Exit status: 0 replayed, 1 the journal or the pruner could not be read or made,\n"
    "2 bad usage.\n";

/* The best ok jobs whose fate the summary tells. */
#define TOP_JOBS 5

typedef struct {
    char *name;
    uint64_t first;          /* job number of its first attempt: what the pruner is told */
    json_t *rec;             /* its start record's "rec" */
    mmarml_context *ctx;     /* `_jobName`, `_recommendation`: as the engine gives them */
    unsigned gpus;
    const char *status;      /* its end record's; NULL: it has none */
    double score;            /* ok jobs; else NAN */
    double took;             /* wall seconds from its end record; NAN: unknown */
    size_t nreports;
    double first_step, first_time, last_step, last_time; /* its reports in the run */
    double stop_step;        /* where the pruner stops it; NAN: it goes on */
    int ended;               /* the pruner was told it ended */
} replay_job;

typedef struct {
    mmarml_pruner *pruner;
    mmarml_context *main_ctx;
    mmarml_search_space *space; /* from the header; NULL: jobs get no `_recommendation` */
    replay_job *jobs;           /* in start order */
    size_t njobs, cap;
    json_t *index;              /* job name -> index in jobs */
    size_t reports, skipped;    /* reports given to the pruner, and those after a stop */
    size_t unknown;             /* records of jobs with no start record */
} replay;

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

static void replay_free(replay *r)
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
    mmarml_pruner_unref(r->pruner);
}

/* ---- what it comes to ---- */

typedef struct {
    size_t stopped;                     /* jobs the pruner stops */
    double steps_run, steps_replayed;   /* the last steps the jobs reached, summed */
    double gpu_s, gpu_s_saved;          /* worker time on workers with GPUs (GPU-seconds) */
    double cpu_s, cpu_s_saved;          /* and on workers without (seconds) */
    size_t unpaced;                     /* stopped jobs whose pace is unknown: not counted */
    const replay_job *top[TOP_JOBS];    /* the run's best ok jobs, best first */
    size_t ntop;
    const replay_job *best_kept;        /* the best ok job the pruner lets go on */
} replay_summary;

static int better(const replay_job *a, const replay_job *b)
{
    return b == NULL || a->score > b->score;
}

static int is_ok(const replay_job *j)
{
    return j->status != NULL && strcmp(j->status, "ok") == 0 && !isnan(j->score);
}

static void summarize(const replay *r, replay_summary *s)
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

static double share(double part, double whole)
{
    return whole > 0 ? 100 * part / whole : 0;
}

static void print_lines(const replay *r, const replay_summary *s, const char *pruner_name,
                        const char *run_root)
{
    size_t i, kept = 0;

    printf("prune-replay: %s on %s: %zu jobs, %zu reports\n", pruner_name, run_root, r->njobs,
           r->reports + r->skipped);
    for (i = 0; i < r->njobs; i++) {
        const replay_job *j = &r->jobs[i];
        printf("%-14s %-11s", j->name, j->status != NULL ? j->status : "running");
        if (isnan(j->score))
            printf(" %10s", "-");
        else
            printf(" %10.6g", j->score);
        if (j->nreports == 0)
            printf("  no reports\n");
        else if (isnan(j->stop_step))
            printf("  step %-8g goes on\n", j->last_step);
        else
            printf("  step %-8g stopped at step %g\n", j->last_step, j->stop_step);
    }
    printf("stopped %zu of %zu jobs; steps %.0f -> %.0f (%.0f%% saved)\n", s->stopped,
           r->njobs, s->steps_run, s->steps_replayed,
           share(s->steps_run - s->steps_replayed, s->steps_run));
    if (s->gpu_s > 0)
        printf("saves about %.2f GPU-hours (%.0f of the run's %.0f GPU-seconds, %.0f%%)\n",
               s->gpu_s_saved / 3600, s->gpu_s_saved, s->gpu_s,
               share(s->gpu_s_saved, s->gpu_s));
    if (s->cpu_s > 0)
        printf("saves about %.0f of the run's %.0f seconds on workers without GPUs "
               "(%.0f%%)\n", s->cpu_s_saved, s->cpu_s, share(s->cpu_s_saved, s->cpu_s));
    if (s->unpaced > 0)
        printf("(%zu stopped jobs have no known pace and are not counted)\n", s->unpaced);
    if (s->ntop == 0) {
        printf("the run has no ok job to lose\n");
    } else {
        for (i = 0; i < s->ntop; i++)
            kept += isnan(s->top[i]->stop_step);
        if (isnan(s->top[0]->stop_step))
            printf("the run's best job %s (%.6g) goes on", s->top[0]->name, s->top[0]->score);
        else
            printf("the run's best job %s (%.6g) is stopped at step %g; the best that goes "
                   "on: %s", s->top[0]->name, s->top[0]->score, s->top[0]->stop_step,
                   s->best_kept != NULL ? s->best_kept->name : "none");
        if (!isnan(s->top[0]->stop_step) && s->best_kept != NULL)
            printf(" (%.6g)", s->best_kept->score);
        printf("; of its %zu best ok jobs, %zu go on\n", s->ntop, kept);
    }
    if (r->unknown > 0)
        printf("(%zu records of jobs the journal never started were left out)\n", r->unknown);
    printf("the jobs are the run's: with the pruner the controller would have proposed "
           "others after the first stop\n");
}

static json_t *job_json(const replay_job *j)
{
    return json_pack("{s:s, s:s?, s:o, s:o, s:o}", "job", j->name, "status", j->status,
                     "score", isnan(j->score) ? json_null() : json_real(j->score),
                     "last_step", j->nreports > 0 ? json_real(j->last_step) : json_null(),
                     "stopped_at", isnan(j->stop_step) ? json_null() : json_real(j->stop_step));
}

static int print_json(const replay *r, const replay_summary *s, const char *pruner_name)
{
    json_t *jobs = json_array(), *top = json_array(), *out;
    size_t i;
    int rc;

    for (i = 0; jobs != NULL && i < r->njobs; i++)
        json_array_append_new(jobs, job_json(&r->jobs[i]));
    for (i = 0; top != NULL && i < s->ntop; i++)
        json_array_append_new(top, json_string(s->top[i]->name));
    out = json_pack("{s:s, s:o, s:{s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:o, "
                    "s:o}}",
                    "pruner", pruner_name, "jobs", jobs, "summary", "jobs", (json_int_t)r->njobs,
                    "stopped", (json_int_t)s->stopped, "reports",
                    (json_int_t)(r->reports + r->skipped), "steps_run", s->steps_run,
                    "steps_replayed", s->steps_replayed, "gpu_seconds", s->gpu_s,
                    "gpu_seconds_saved", s->gpu_s_saved, "cpu_seconds", s->cpu_s,
                    "cpu_seconds_saved", s->cpu_s_saved, "unpaced", (json_int_t)s->unpaced,
                    "best_ok", top,
                    "best_kept", s->best_kept != NULL ? json_string(s->best_kept->name)
                                                      : json_null());
    if (out == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "prune-replay: out of memory");
    rc = json_dumpf(out, stdout, JSON_INDENT(1)) == 0 &&
                 fputc('\n', stdout) != EOF
             ? MMARML_OK
             : mmarml_error_set(MMARML_EIO, "prune-replay: cannot write to stdout");
    json_decref(out);
    return rc;
}

/* ---- the command ---- */

/* The pruner spec: -p's text, or -a's file's "pruner". *spec_out is a new reference. */
static int read_spec(json_t **spec_out, const char *text, const char *automlconf)
{
    json_error_t err;
    json_t *conf;

    if (text != NULL) {
        if ((*spec_out = json_loads(text, JSON_REJECT_DUPLICATES, &err)) == NULL)
            return mmarml_error_set(MMARML_EINVAL, "--pruner: not JSON (column %d): %s",
                                    err.column, err.text);
        return MMARML_OK;
    }
    if ((conf = json_load_file(automlconf, JSON_REJECT_DUPLICATES, &err)) == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s:%d: %s", automlconf, err.line, err.text);
    *spec_out = json_incref(json_object_get(conf, "pruner"));
    json_decref(conf);
    if (*spec_out == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s: has no \"pruner\"", automlconf);
    return MMARML_OK;
}

static int replay_run(const char *run_root, const char *journal, const char *spec_text,
                      const char *automlconf, int as_json)
{
    replay r;
    replay_summary s;
    mmarml_registry *reg = NULL;
    json_t *spec = NULL;
    char *path = NULL;
    const char *pruner_name;
    int rc;

    memset(&r, 0, sizeof(r));
    if (journal == NULL && (path = malloc(strlen(run_root) + sizeof("/journal.mmarml")))) {
        strcpy(path, run_root);
        strcat(path, "/journal.mmarml");
    }
    if (journal == NULL && path == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "prune-replay: out of memory");
    rc = read_spec(&spec, spec_text, automlconf);
    if (rc == MMARML_OK && (rc = mmarml_registry_new(&reg)) == MMARML_OK)
        rc = mmarml_registry_create_pruner(&r.pruner, reg, spec, "pruner");
    if (rc == MMARML_OK && ((r.index = json_object()) == NULL ||
                            mmarml_context_new(&r.main_ctx, NULL) != MMARML_OK))
        rc = mmarml_error_set(MMARML_ENOMEM, "prune-replay: out of memory");
    if (rc == MMARML_OK) /* a record at a time: a long run's reports need not fit at once */
        rc = mmarml_journal_foreach(journal != NULL ? journal : path, replay_record, &r, NULL);
    if (rc == MMARML_OK) {
        pruner_name = json_string_value(json_object_get(spec, "name"));
        if (pruner_name == NULL)
            pruner_name = json_string_value(json_object_get(spec, "path"));
        if (pruner_name == NULL)
            pruner_name = "the pruner";
        summarize(&r, &s);
        if (as_json)
            rc = print_json(&r, &s, pruner_name);
        else
            print_lines(&r, &s, pruner_name, run_root);
    }
    replay_free(&r);
    json_decref(spec);
    mmarml_registry_unref(reg);
    free(path);
    return rc;
}

int cli_prune_replay(int argc, char **argv)
{
    static const struct option longs[] = {{"pruner", required_argument, NULL, 'p'},
                                          {"automlconf", required_argument, NULL, 'a'},
                                          {"json", no_argument, NULL, 'J'},
                                          {"journal", required_argument, NULL, 'j'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    const char *spec = NULL, *automlconf = NULL, *journal = NULL;
    int c, as_json = 0;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:a:j:h", longs, NULL)) != -1) {
        switch (c) {
        case 'p': spec = optarg; break;
        case 'a': automlconf = optarg; break;
        case 'J': as_json = 1; break;
        case 'j': journal = optarg; break;
        case 'h': fputs(usage_prune_replay, stdout); return 0;
        default:
            fprintf(stderr, "mmarml prune-replay: bad option '%s'\n\n%s", argv[optind - 1],
                    usage_prune_replay);
            return 2;
        }
    }
    if ((spec == NULL) == (automlconf == NULL)) {
        fprintf(stderr, "mmarml prune-replay: give the pruner with one of -p and -a\n\n%s",
                usage_prune_replay);
        return 2;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "mmarml prune-replay: give one run root\n\n%s", usage_prune_replay);
        return 2;
    }
    if (replay_run(argv[optind], journal, spec, automlconf, as_json) != MMARML_OK) {
        fprintf(stderr, "mmarml prune-replay: %s\n", mmarml_error_message());
        return 1;
    }
    return 0;
}
