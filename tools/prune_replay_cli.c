/* `mmarml prune-replay` (prune_replay.h): options, the pruners' specs, and what is printed. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "prune_replay.h"

static const char *const usage_prune_replay =
    "usage: mmarml prune-replay (-p '<pruner spec>' | -a <config_automl.json>)... [--json]\n"
    "                           [--journal <file>] [-m <mmar>] <run_root>\n"
    "\n"
    "Replays a run's reports, in the order its engine took them, through a pruner: which\n"
    "jobs it would have stopped and at which step, the steps and GPU time that saves, and\n"
    "whether the run's best jobs would have gone on. Several pruners (-p and -a again): one\n"
    "line each, to compare them. The jobs are the run's own: with the pruner, the controller\n"
    "would have proposed others after the first stop.\n"
    "\n"
    "  -p, --pruner <JSON>       {\"name\": \"ASHAPruner\", \"args\": {...}}, as \"pruner\" in\n"
    "                            config_automl.json (built-in names, or \"path\": lib.so:fn)\n"
    "  -a, --automlconf <file>   take the \"pruner\" of this config_automl.json\n"
    "      --json                one JSON object on stdout instead of lines (several\n"
    "                            pruners: an array of them, in the order given)\n"
    "  -j, --journal <file>      the run's journal (default <run_root>/journal.mmarml)\n"
    "  -m, --mmar <dir>          Python pruners (\"path\": \"module.Class\") import from its\n"
    "                            BYOC folder, as under mmarml run\n"
    "  -h, --help                this text\n"
    "\n"
    "Exit status: 0 replayed, 1 the journal or a pruner could not be read or made,\n"
    "2 bad usage.\n";

/* The most pruners one command compares. */
#define MAX_PRUNERS 32

/* A pruner as given: -p's JSON text, or -a's config file. */
typedef struct {
    const char *text, *automlconf;
} pruner_arg;

/* A job name as the terminal gets it: a journal's names are the engine's, but a damaged or
 * crafted one could hold control bytes (escape sequences); they are shown as '?'. */
static const char *shown(const char *name, char *buf, size_t size)
{
    size_t i;

    for (i = 0; name[i] != '\0' && i + 1 < size; i++)
        buf[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ? '?' : name[i];
    buf[i] = '\0';
    return buf;
}

static double share(double part, double whole)
{
    return whole > 0 ? 100 * part / whole : 0;
}

static void print_lines(const replay *r, const replay_summary *s, const char *label,
                        const char *run_root)
{
    size_t i, kept = 0;
    char name[128], other[128];

    printf("prune-replay: %s on %s: %zu jobs, %zu reports\n", label, run_root, r->njobs,
           r->reports + r->skipped);
    for (i = 0; i < r->njobs; i++) {
        const replay_job *j = &r->jobs[i];
        printf("%-14s %-11s", shown(j->name, name, sizeof(name)),
               j->status != NULL ? j->status : "running");
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
        shown(s->top[0]->name, name, sizeof(name));
        shown(s->best_kept != NULL ? s->best_kept->name : "none", other, sizeof(other));
        if (isnan(s->top[0]->stop_step))
            printf("the run's best job %s (%.6g) goes on", name, s->top[0]->score);
        else
            printf("the run's best job %s (%.6g) is stopped at step %g; the best that goes "
                   "on: %s", name, s->top[0]->score, s->top[0]->stop_step, other);
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

static json_t *result_json(const replay *r, const replay_summary *s, const char *label)
{
    json_t *jobs = json_array(), *top = json_array();
    size_t i;

    for (i = 0; jobs != NULL && i < r->njobs; i++)
        json_array_append_new(jobs, job_json(&r->jobs[i]));
    for (i = 0; top != NULL && i < s->ntop; i++)
        json_array_append_new(top, json_string(s->top[i]->name));
    return json_pack("{s:s, s:o, s:{s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:o, "
                     "s:o}}",
                     "pruner", label, "jobs", jobs, "summary", "jobs", (json_int_t)r->njobs,
                     "stopped", (json_int_t)s->stopped, "reports",
                     (json_int_t)(r->reports + r->skipped), "steps_run", s->steps_run,
                     "steps_replayed", s->steps_replayed, "gpu_seconds", s->gpu_s,
                     "gpu_seconds_saved", s->gpu_s_saved, "cpu_seconds", s->cpu_s,
                     "cpu_seconds_saved", s->cpu_s_saved, "unpaced", (json_int_t)s->unpaced,
                     "best_ok", top,
                     "best_kept", s->best_kept != NULL ? json_string(s->best_kept->name)
                                                       : json_null());
}

/* One pruner of several, on one line: what it stops and saves, and the best job's fate. */
static void print_row(const replay_summary *s, const char *label)
{
    char best[64];
    size_t i, kept = 0;

    for (i = 0; i < s->ntop; i++)
        kept += isnan(s->top[i]->stop_step);
    if (s->ntop == 0)
        snprintf(best, sizeof(best), "no ok job");
    else if (isnan(s->top[0]->stop_step))
        snprintf(best, sizeof(best), "goes on");
    else
        snprintf(best, sizeof(best), "stopped at %g", s->top[0]->stop_step);
    printf("%-10zu %-9.0f %5.0f%% %9.0f%%   %-15s %zu of %zu   %s\n", s->stopped,
           s->steps_replayed, share(s->steps_run - s->steps_replayed, s->steps_run),
           s->gpu_s > 0 ? share(s->gpu_s_saved, s->gpu_s) : share(s->cpu_s_saved, s->cpu_s),
           best, kept, s->ntop, label);
}

static int write_json(json_t *out)
{
    int rc;

    if (out == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "prune-replay: out of memory");
    rc = json_dumpf(out, stdout, JSON_INDENT(1)) == 0 && fputc('\n', stdout) != EOF
             ? MMARML_OK
             : mmarml_error_set(MMARML_EIO, "prune-replay: cannot write to stdout");
    json_decref(out);
    return rc;
}

/* ---- the command ---- */

/* The pruner spec: -p's text, or -a's file's "pruner". *spec_out is a new reference. */
static int read_spec(json_t **spec_out, const pruner_arg *arg)
{
    json_error_t err;
    json_t *conf;

    if (arg->text != NULL) {
        if ((*spec_out = json_loads(arg->text, JSON_REJECT_DUPLICATES, &err)) == NULL)
            return mmarml_error_set(MMARML_EINVAL, "--pruner: not JSON (column %d): %s",
                                    err.column, err.text);
        return MMARML_OK;
    }
    if ((conf = json_load_file(arg->automlconf, JSON_REJECT_DUPLICATES, &err)) == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s:%d: %s", arg->automlconf, err.line,
                                err.text);
    *spec_out = json_incref(json_object_get(conf, "pruner"));
    json_decref(conf);
    if (*spec_out == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s: has no \"pruner\"", arg->automlconf);
    return MMARML_OK;
}

/* What a spec is called in the output: its name or path, then its args when there are
 * several pruners to tell apart. *label_out: malloc'd. */
static int spec_label(char **label_out, const json_t *spec, int with_args)
{
    const char *name = json_string_value(json_object_get(spec, "name"));
    char *args = NULL;
    size_t n;

    if (name == NULL)
        name = json_string_value(json_object_get(spec, "path"));
    if (name == NULL)
        name = "the pruner";
    if (with_args && json_object_get(spec, "args") != NULL)
        args = json_dumps(json_object_get(spec, "args"),
                         JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(12));
    n = strlen(name) + (args != NULL ? strlen(args) + 1 : 0) + 1;
    if ((*label_out = malloc(n)) != NULL)
        snprintf(*label_out, n, "%s%s%s", name, args != NULL ? " " : "",
                 args != NULL ? args : "");
    free(args);
    return *label_out != NULL ? MMARML_OK
                              : mmarml_error_set(MMARML_ENOMEM, "prune-replay: out of memory");
}

/* The pruners given, made before any is replayed: a spec that cannot be made stops the
 * command before it prints anything. */
typedef struct {
    mmarml_pruner *pruners[MAX_PRUNERS];
    char *labels[MAX_PRUNERS];
    size_t n;
} pruner_set;

static int make_pruners(pruner_set *set, const pruner_arg *args, size_t nargs,
                        const char *mmar)
{
    mmarml_registry *reg = NULL;
    char byoc[4096];
    int rc = mmarml_registry_new(&reg);

    memset(set, 0, sizeof(*set));
    if (rc == MMARML_OK && mmar != NULL) { /* as Clara's set_env.sh puts it on PYTHONPATH */
        snprintf(byoc, sizeof(byoc), "%s/BYOC", mmar);
        rc = mmarml_registry_add_python_path(reg, byoc);
    }
    for (; rc == MMARML_OK && set->n < nargs; set->n++) {
        json_t *spec = NULL;
        rc = read_spec(&spec, &args[set->n]);
        if (rc == MMARML_OK)
            rc = spec_label(&set->labels[set->n], spec, nargs > 1);
        if (rc == MMARML_OK)
            rc = mmarml_registry_create_pruner(&set->pruners[set->n], reg, spec, "pruner");
        json_decref(spec);
    }
    mmarml_registry_unref(reg);
    return rc;
}

static void free_pruners(pruner_set *set)
{
    size_t k;

    for (k = 0; k < set->n; k++) {
        mmarml_pruner_unref(set->pruners[k]);
        free(set->labels[k]);
    }
}

/* Replay the journal through each pruner in turn, printing as it goes (lines for one
 * pruner, a line each for several) or collecting the JSON. */
static int replay_all(const char *run_root, const char *journal, const pruner_set *set,
                      int as_json)
{
    json_t *results = as_json ? json_array() : NULL;
    size_t k;
    int rc = as_json && results == NULL
                 ? mmarml_error_set(MMARML_ENOMEM, "prune-replay: out of memory")
                 : MMARML_OK;

    for (k = 0; k < set->n && rc == MMARML_OK; k++) {
        replay r;
        replay_summary s;

        rc = replay_journal(&r, set->pruners[k], journal);
        if (rc == MMARML_OK) {
            replay_summarize(&r, &s);
            if (as_json)
                rc = json_array_append_new(results, result_json(&r, &s, set->labels[k])) == 0
                         ? MMARML_OK
                         : mmarml_error_set(MMARML_ENOMEM, "prune-replay: out of memory");
            else if (set->n == 1)
                print_lines(&r, &s, set->labels[k], run_root);
            else {
                if (k == 0)
                    printf("prune-replay on %s: %zu jobs, %zu reports, %.0f steps\n"
                           "%-10s %-9s %6s %10s   %-15s %-6s   %s\n",
                           run_root, r.njobs, r.reports + r.skipped, s.steps_run, "stopped",
                           "steps", "saved", "GPU saved", "best job", "best 5", "pruner");
                print_row(&s, set->labels[k]);
            }
        }
        replay_free(&r);
    }
    if (rc == MMARML_OK && as_json)
        rc = write_json(json_incref(set->n == 1 ? json_array_get(results, 0) : results));
    else if (rc == MMARML_OK && set->n > 1)
        printf("the jobs are the run's: with a pruner the controller would have proposed "
               "others after the first stop\n");
    json_decref(results);
    return rc;
}

int cli_prune_replay(int argc, char **argv)
{
    static const struct option longs[] = {{"pruner", required_argument, NULL, 'p'},
                                          {"automlconf", required_argument, NULL, 'a'},
                                          {"json", no_argument, NULL, 'J'},
                                          {"journal", required_argument, NULL, 'j'},
                                          {"mmar", required_argument, NULL, 'm'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    pruner_arg args[MAX_PRUNERS];
    pruner_set set;
    const char *journal = NULL, *mmar = NULL;
    char *path = NULL;
    size_t nargs = 0;
    int c, as_json = 0, rc;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:a:j:m:h", longs, NULL)) != -1) {
        switch (c) {
        case 'p':
        case 'a':
            if (nargs == MAX_PRUNERS) {
                fprintf(stderr, "mmarml prune-replay: at most %d pruners at once\n",
                        MAX_PRUNERS);
                return 2;
            }
            args[nargs].text = c == 'p' ? optarg : NULL;
            args[nargs++].automlconf = c == 'a' ? optarg : NULL;
            break;
        case 'J': as_json = 1; break;
        case 'j': journal = optarg; break;
        case 'm': mmar = optarg; break;
        case 'h': fputs(usage_prune_replay, stdout); return 0;
        default:
            fprintf(stderr, "mmarml prune-replay: bad option '%s'\n\n%s", argv[optind - 1],
                    usage_prune_replay);
            return 2;
        }
    }
    if (nargs == 0) {
        fprintf(stderr, "mmarml prune-replay: give a pruner with -p or -a\n\n%s",
                usage_prune_replay);
        return 2;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "mmarml prune-replay: give one run root\n\n%s", usage_prune_replay);
        return 2;
    }
    if (journal == NULL) {
        if ((path = malloc(strlen(argv[optind]) + sizeof("/journal.mmarml"))) == NULL) {
            fprintf(stderr, "mmarml prune-replay: out of memory\n");
            return 1;
        }
        strcpy(path, argv[optind]);
        strcat(path, "/journal.mmarml");
    }
    if ((rc = make_pruners(&set, args, nargs, mmar)) == MMARML_OK)
        rc = replay_all(argv[optind], journal != NULL ? journal : path, &set, as_json);
    free_pruners(&set);
    free(path);
    if (rc != MMARML_OK) {
        fprintf(stderr, "mmarml prune-replay: %s\n", mmarml_error_message());
        return 1;
    }
    return 0;
}
