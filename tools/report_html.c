/* The page of mmarml report: one self-contained HTML file (style, charts and the table's
 * sorting script inline; nothing fetched), in the order a user reads it after a night of
 * training: how the run went, the best job, how the search moved, the workers, the jobs. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report_charts.h"
#include "report_stats.h"
#include "report_svg.h"
#include "run_savings.h"

static const char style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}"
    "h1{font-size:20px}h2{font-size:16px;margin-top:28px}"
    "table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 8px;"
    "text-align:left;vertical-align:top}th{background:#f3f3f3}"
    "#jobs th{cursor:pointer;user-select:none}#jobs td.n{text-align:right}"
    ".meta{color:#555}.grid{display:flex;flex-wrap:wrap;gap:8px}"
    "svg.chart{background:#fff;border:1px solid #eee}"
    ".axis{stroke:#444}.tick{stroke:#888}.tl{font-size:10px;fill:#444}"
    ".at,.wl{font-size:11px;fill:#222}.strip{fill:#f3f3f3}"
    ".best{fill:none;stroke:#111;stroke-width:1.5}"
    "polyline.mark{fill:none;stroke-width:1;stroke-opacity:.55}"
    "polyline.mark.top{stroke-width:3;stroke-opacity:1}"
    ".bar{background:#1f77b4;height:10px;display:inline-block}"
    ".key span{display:inline-block;margin-right:14px}"
    ".key i{display:inline-block;width:10px;height:10px;margin-right:4px}"
    "#tip{position:fixed;display:none;background:#222;color:#fff;padding:2px 6px;"
    "font-size:12px;pointer-events:none}"
    /* off-screen parts are laid out only when scrolled to (a run of 10,000 jobs) */
    ".lazy{content-visibility:auto}";

/* Click a column head to sort by it (numbers by data-v, else text); again to reverse. */
static const char script[] =
    "document.querySelectorAll('#jobs th').forEach(function(th,col){"
    "th.addEventListener('click',function(){"
    "var body=document.querySelector('#jobs tbody'),rows=Array.from(body.rows),"
    "up=th.dataset.dir!=='up';th.dataset.dir=up?'up':'down';"
    "function key(r){var c=r.cells[col],v=c.dataset.v;"
    "return v!==undefined?parseFloat(v):c.textContent;}"
    "rows.sort(function(a,b){var x=key(a),y=key(b);"
    "if(typeof x==='number'&&isNaN(x))return 1;if(typeof y==='number'&&isNaN(y))return -1;"
    "return (x<y?-1:x>y?1:0)*(up?1:-1);});"
    "rows.forEach(function(r){body.appendChild(r);});});});"
    /* one tooltip for every mark: the job's row says its status and score */
    "var tip=document.createElement('div'),byName=null;tip.id='tip';"
    "document.body.appendChild(tip);"
    "document.addEventListener('mouseover',function(e){"
    "var j=e.target.getAttribute&&e.target.getAttribute('data-job');"
    "if(!j){tip.style.display='none';return;}"
    "if(!byName){byName={};document.querySelectorAll('#jobs tbody tr').forEach(function(r){"
    "byName[r.cells[0].textContent]=r;});}"
    "var r=byName[j];tip.textContent=j+(r?'  '+r.cells[2].textContent+'  '+"
    "r.cells[3].textContent:'');tip.style.left=(e.clientX+12)+'px';"
    "tip.style.top=(e.clientY+12)+'px';tip.style.display='block';});";

static const char *const statuses[] = {"ok",    "pruned",  "failed",  "no_score",   "timeout",
                                       "aborted", "error", "running", "interrupted"};
#define NSTATUSES (sizeof(statuses) / sizeof(statuses[0]))

static void put_time(FILE *f, double t)
{
    char buf[64];
    time_t s = (time_t)t;
    struct tm tm;

    if (gmtime_r(&s, &tm) != NULL && strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm))
        fputs(buf, f);
}

/* What the jobs held their workers for and what pruning saved, as `mmarml run`'s last lines
 * say it (run_savings.h), from the journal: each ended job's start and end, its worker's
 * GPUs, its reports' steps and times. */
static void worker_time_line(FILE *f, const report_run *run)
{
    worker_time w;
    unsigned counted;
    double saved;
    size_t s;

    memset(&w, 0, sizeof(w));
    for (s = 0; s < run->njobs; s++) {
        const report_job *j = &run->jobs[s];
        double took = j->end - j->start, last = j->nreports ? j->steps[j->nreports - 1] : 0;

        if (strcmp(j->status, "running") == 0 || strcmp(j->status, "interrupted") == 0)
            continue; /* not ended: what it holds is not known yet */
        worker_time_add(&w, took, j->gpus, j->status, last,
                        j->nreports ? savings_pace(j->steps[0], j->first_time, last,
                                                   j->last_time, took)
                                    : NAN);
    }
    if (w.gpu_s > 0 || w.cpu_s > 0)
        fputs("<p class=\"meta\">", f);
    if (w.gpu_s > 0) {
        fprintf(f, "The jobs that ended held their GPUs for %.2f GPU-hours (%.0f GPU-seconds)",
                w.gpu_s / 3600, w.gpu_s);
        if (w.gpu_pruned > 0)
            fprintf(f, ", %.0f of them in the %u pruned jobs", w.gpu_s_pruned, w.gpu_pruned);
        fputs(". ", f);
    }
    if ((saved = savings_estimate(&w.savings, 1, &counted)) > 0)
        fprintf(f, "Pruning saved about %.2f GPU-hours (%.0f GPU-seconds): the %u pruned "
                   "jobs' remaining steps to step %g (the longest ok job's) at their own "
                   "pace. ", saved / 3600, saved, counted, w.savings.full_steps);
    if (w.cpu_s > 0) {
        fprintf(f, "Jobs on workers without GPUs ran %.0f s", w.cpu_s);
        if (w.cpu_pruned > 0)
            fprintf(f, ", %.0f of them in the %u pruned jobs", w.cpu_s_pruned, w.cpu_pruned);
        fputs(". ", f);
    }
    if ((saved = savings_estimate(&w.savings, 0, &counted)) > 0)
        fprintf(f, "Pruning saved about %.0f s there: the %u pruned jobs' remaining steps "
                   "to step %g (the longest ok job's) at their own pace.", saved, counted,
                w.savings.full_steps);
    if (w.gpu_s > 0 || w.cpu_s > 0)
        fputs("</p>\n", f);
    worker_time_free(&w);
}

static void summary(FILE *f, const report_run *run)
{
    size_t s;
    double busy = 0, span = run->now - run->t0;

    for (s = 0; s < run->njobs; s++)
        busy += run->jobs[s].end - run->jobs[s].start;
    fputs("<p class=\"meta\">Run root <code>", f);
    put_escaped(f, run->run_root);
    fprintf(f, "</code>: <b>%s</b>", run->state);
    if (run->end_reason != NULL) {
        fputs(" (", f);
        put_escaped(f, run->end_reason);
        fputc(')', f);
    }
    fprintf(f, ", %d part%s. Started ", run->parts, run->parts > 1 ? "s" : "");
    put_time(f, run->t0);
    fprintf(f, "; %.0f s up to ", span);
    put_time(f, run->now);
    fprintf(f, "; %zu worker%s busy %.0f%% of the time.", run->nworkers,
            run->nworkers == 1 ? "" : "s",
            span > 0 && run->nworkers ? fmin(100, 100 * busy / span / run->nworkers) : 0);
    if (run->torn_bytes > 0)
        fprintf(f, " The journal ends in a record being written (%zu bytes), left out.",
                run->torn_bytes);
    fprintf(f, "</p>\n<p class=\"key\">%zu jobs: ", run->njobs);
    for (s = 0; s < NSTATUSES; s++) {
        size_t n = report_count(run, statuses[s]);
        if (n > 0)
            fprintf(f, "<span><i style=\"background:%s\"></i>%s %zu</span>",
                    status_colour(statuses[s]), statuses[s], n);
    }
    fputs("</p>\n", f);
    worker_time_line(f, run);
}

static json_t *load_config(const char *dir, const char *sub, const char *name)
{
    size_t n = strlen(dir) + strlen(sub) + strlen(name) + 3;
    char *path = malloc(n);
    json_t *json = NULL;

    if (path != NULL) {
        snprintf(path, n, "%s/%s%s", dir, sub, name);
        json = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
        free(path);
    }
    return json;
}

static void best_section(FILE *f, const report_run *run)
{
    const report_job *best = report_best(run);
    json_t *base, *job;
    char buf[256], *jobdir;
    size_t k, rows, removed = 0;

    fputs("<h2 id=\"best\">The best job</h2>\n", f);
    if (best == NULL) {
        fputs("<p>No job has ended ok yet.</p>\n", f);
        return;
    }
    fputs("<p><b>", f);
    put_escaped(f, best->name);
    fprintf(f, "</b> on %s: score <b>%.6g</b>.</p>\n<table><tr><th>param</th><th>value</th>"
               "</tr>\n", best->worker, best->score);
    for (k = 0; k < run->nparams; k++) {
        fputs("<tr><td><code>", f);
        put_escaped(f, run->params[k].prl);
        fputs("</code></td><td>", f);
        put_escaped_cut(f, value_text(&run->params[k], best->values[k], buf, sizeof(buf)), 120);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
    /* the job's config against the base: both are in the run root while the job's MMAR is
     * kept (MMARHandler keeps the best ones) */
    base = load_config(run->run_root, "", run->space_name);
    jobdir = malloc(strlen(best->name) + sizeof("/config/"));
    if (jobdir != NULL)
        snprintf(jobdir, strlen(best->name) + sizeof("/config/"), "%s/config/", best->name);
    job = jobdir != NULL ? load_config(run->run_root, jobdir, run->space_name) : NULL;
    free(jobdir);
    if (base == NULL || job == NULL) {
        fputs("<p>Its job config against the base training config: not shown, the run root "
              "no longer holds both.</p>\n", f);
    } else {
        fputs("<p>Its job config against the base training config (<code>", f);
        put_escaped(f, run->space_name);
        fputs("</code>):</p>\n<table><tr><th>JSON path</th><th>base</th><th>job</th></tr>\n", f);
        rows = report_diff(f, base, job, &removed);
        fputs("</table>\n", f);
        if (rows == 0)
            fputs("<p>No difference: the job trained with the base config.</p>\n", f);
        if (removed > 0)
            fprintf(f, "<p>%zu search definition%s removed from the job config "
                       "(remove_search_augs).</p>\n", removed, removed == 1 ? "" : "s");
    }
    json_decref(base);
    json_decref(job);
}

static void importance_section(FILE *f, const report_run *run)
{
    size_t k;

    fputs("<h2 id=\"importance\">Parameter importance</h2>\n<p class=\"meta\">The share of "
          "the ok jobs' score variance each parameter explains on its own (epsilon-squared "
          "of a one-way analysis of variance; floats and ints in up to 10 equal-count bins). "
          "Interactions are not counted.</p>\n", f);
    if (report_count(run, "ok") < IMPORTANCE_MIN_JOBS) {
        fprintf(f, "<p>Needs at least %d jobs that ended ok.</p>\n", IMPORTANCE_MIN_JOBS);
        return;
    }
    fputs("<table id=\"importance-table\"><tr><th>param</th><th>importance</th><th></th></tr>\n",
          f);
    for (k = 0; k < run->nparams; k++) {
        double v = report_importance(run, k);
        fputs("<tr><td><code>", f);
        put_escaped(f, run->params[k].prl);
        if (isnan(v))
            fputs("</code></td><td>-</td><td></td></tr>\n", f);
        else
            fprintf(f, "</code></td><td>%.3f</td><td><span class=\"bar\" style=\"width:%.0fpx\">"
                       "</span></td></tr>\n", v, 1 + 300 * v);
    }
    fputs("</table>\n", f);
}

static void job_table(FILE *f, const report_run *run)
{
    size_t i, k;
    char buf[256];

    fprintf(f, "<h2 id=\"jobs-title\">Jobs</h2>\n<p class=\"meta\">Click a column to sort; "
               "point at a mark in a chart to see its job.</p>\n<div class=\"lazy\" "
               "style=\"contain-intrinsic-size:auto %zupx\">"
               "<table id=\"jobs\"><thead><tr><th>job</th><th>worker</th><th>status</th>"
               "<th>score</th><th>start (s)</th><th>duration (s)</th><th>reports</th>",
            24 * run->njobs + 40);
    for (k = 0; k < run->nparams; k++) {
        fputs("<th title=\"", f);
        put_escaped(f, run->params[k].prl);
        fputs("\">", f);
        put_escaped_cut(f, param_label(&run->params[k]), 24);
        fputs("</th>", f);
    }
    fputs("</tr></thead><tbody>\n", f);
    for (i = 0; i < run->njobs; i++) {
        const report_job *j = &run->jobs[i];
        fprintf(f, "<tr><td data-v=\"%llu\">", (unsigned long long)j->n);
        put_escaped(f, j->name);
        fputs("</td><td>", f);
        put_escaped(f, j->worker);
        fprintf(f, "</td><td>%s</td>", j->status);
        if (isfinite(j->score))
            fprintf(f, "<td class=\"n\" data-v=\"%.9g\">%.6g</td>", j->score, j->score);
        else
            fputs("<td class=\"n\" data-v=\"NaN\"></td>", f);
        fprintf(f, "<td class=\"n\" data-v=\"%.3f\">%.1f</td><td class=\"n\" data-v=\"%.3f\">"
                   "%.1f</td><td class=\"n\" data-v=\"%zu\">%zu</td>",
                j->start - run->t0, j->start - run->t0, j->end - j->start, j->end - j->start,
                j->nreports, j->nreports);
        for (k = 0; k < run->nparams; k++) {
            value_text(&run->params[k], j->values[k], buf, sizeof(buf));
            if (run->params[k].type == PARAM_ENUM || isnan(j->values[k]))
                fputs("<td>", f);
            else
                fprintf(f, "<td class=\"n\" data-v=\"%.9g\">", j->values[k]);
            put_escaped_cut(f, buf, 40);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table></div>\n", f);
}

static int has_reports(const report_run *run)
{
    size_t i;

    for (i = 0; i < run->njobs; i++)
        if (run->jobs[i].nreports > 0)
            return 1;
    return 0;
}

void report_write_html(FILE *f, const report_run *run)
{
    size_t k;

    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"generator\" content=\"mmarml report\">\n<title>AutoML run ", f);
    put_escaped(f, run->run_root);
    fprintf(f, "</title>\n<style>%s</style></head><body>\n<h1>AutoML run <code>", style);
    put_escaped(f, run->run_root);
    fputs("</code></h1>\n", f);
    summary(f, run);
    best_section(f, run);
    fputs("<h2 id=\"history-title\">Score per job over time</h2>\n<p class=\"meta\">Filled: "
          "ended ok; hollow: pruned (the value it was judged by); jobs without a score in the "
          "grey strip; the line: best so far.</p>\n", f);
    chart_history(f, run);
    fputs("<h2 id=\"params-title\">Score against each parameter</h2>\n<div class=\"grid lazy\">\n",
          f);
    for (k = 0; k < run->nparams; k++)
        chart_param(f, run, k);
    fputs("</div>\n<h2 id=\"parallel-title\">Parallel coordinates</h2>\n<p class=\"meta\">One "
          "line per job; ok jobs coloured by score (yellow is best, drawn on top), others by "
          "status.</p>\n", f);
    chart_parallel(f, run);
    importance_section(f, run);
    fputs("<h2 id=\"timeline-title\">Workers</h2>\n<p class=\"meta\">A bar per job, coloured "
          "by status; idle time is white.</p>\n", f);
    chart_timeline(f, run);
    if (has_reports(run)) {
        fputs("<h2 id=\"curves-title\">Learning curves</h2>\n<p class=\"meta\">The "
              "intermediate reports of every job that sent some (the best job thickest).</p>\n",
              f);
        chart_curves(f, run);
    }
    job_table(f, run);
    fprintf(f, "<p class=\"meta\">Written by mmarml report %s.</p>\n<script>%s</script>\n"
               "</body></html>\n", mmarml_version_string(), script);
}
