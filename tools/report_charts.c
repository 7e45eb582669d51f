/* The SVG charts of mmarml report (report_charts.h). Jobs without a score (failed,
 * no_score, timeout, aborted, error, running, interrupted) are drawn in a strip under the
 * score axis, so every chart shows every job. */
#include "report_charts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_svg.h"

#define WIDE 880
#define LEFT 64
#define RIGHT 16
#define TOP 14
#define STRIP 16 /* the no-score strip's height */

static int scored(const report_job *j)
{
    return isfinite(j->score);
}

/* The scores' range, 4% padding each side. */
static void score_range(const report_run *run, double *lo, double *hi)
{
    size_t i;

    *lo = INFINITY;
    *hi = -INFINITY;
    for (i = 0; i < run->njobs; i++) {
        if (!scored(&run->jobs[i]))
            continue;
        *lo = fmin(*lo, run->jobs[i].score);
        *hi = fmax(*hi, run->jobs[i].score);
    }
    if (*hi > *lo) {
        double pad = (*hi - *lo) * 0.04;
        *lo -= pad;
        *hi += pad;
    }
}

static void svg_open(FILE *f, const char *chart, int w, int h, const char *label)
{
    fprintf(f, "<svg class=\"chart\" data-chart=\"%s\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
            chart, w, h, w, h);
    put_escaped(f, label);
    fputs("\" xmlns=\"http://www.w3.org/2000/svg\">\n", f);
}

/* A circle for job j at (x, y): filled by status; a pruned job's is hollow. */
static void dot(FILE *f, const report_job *j, double x, double y)
{
    int hollow = strcmp(j->status, "pruned") == 0;

    fprintf(f, "<circle class=\"mark s-%s\" data-job=\"", j->status);
    put_escaped(f, j->name);
    fprintf(f, "\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" %s=\"%s\"%s/>\n", x, y,
            hollow ? "stroke" : "fill", status_colour(j->status),
            hollow ? " fill=\"none\"" : "");
}

/* y of a job: on the score scale, or in the strip under it (spread a little). */
static double job_y(const report_job *j, const scale *ys, double strip_y)
{
    return scored(j) ? scale_at(ys, j->score) : strip_y + 4 * jitter(j->n);
}

static void strip_label(FILE *f, double x, double y)
{
    fprintf(f, "<rect class=\"strip\" x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\"/>"
               "<text class=\"tl\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">no score</text>\n",
            x, y - STRIP / 2.0, 8, STRIP, x - 6, y + 4);
}

typedef struct {
    double t, score;
} timed_score;

static int by_time(const void *a, const void *b)
{
    double x = ((const timed_score *)a)->t, y = ((const timed_score *)b)->t;

    return (x > y) - (x < y);
}

void chart_history(FILE *f, const report_run *run)
{
    const int h = 340, bottom = h - 46, strip_y = bottom - STRIP / 2 - 2;
    double lo, hi, best = -INFINITY;
    timed_score *ok = malloc((run->njobs + 1) * sizeof(*ok));
    size_t i, nok = 0;
    scale xs, ys;

    score_range(run, &lo, &hi);
    scale_init(&xs, 0, run->now - run->t0, 0, LEFT, WIDE - RIGHT);
    scale_init(&ys, lo, hi, 0, strip_y - STRIP, TOP);
    svg_open(f, "history", WIDE, h, "score per job over time");
    axis_bottom(f, &xs, bottom, "seconds since the run started (job end)");
    axis_left(f, &ys, LEFT, "score");
    strip_label(f, LEFT, strip_y);
    for (i = 0; i < run->njobs; i++) {
        const report_job *j = &run->jobs[i];
        dot(f, j, scale_at(&xs, j->end - run->t0), job_y(j, &ys, strip_y));
        if (ok != NULL && strcmp(j->status, "ok") == 0 && scored(j))
            ok[nok++] = (timed_score){j->end - run->t0, j->score};
    }
    if (ok != NULL && nok > 0) { /* the best so far, as a step line */
        qsort(ok, nok, sizeof(*ok), by_time);
        fputs("<polyline class=\"best\" points=\"", f);
        for (i = 0; i < nok; i++) {
            if (i > 0 && ok[i].score > best)
                fprintf(f, "%.1f,%.1f ", scale_at(&xs, ok[i].t), scale_at(&ys, best));
            if (ok[i].score > best)
                best = ok[i].score;
            fprintf(f, "%.1f,%.1f ", scale_at(&xs, ok[i].t), scale_at(&ys, best));
        }
        fprintf(f, "%.1f,%.1f\"><title>best so far</title></polyline>\n",
                scale_at(&xs, run->now - run->t0), scale_at(&ys, best));
    }
    free(ok);
    fputs("</svg>\n", f);
}

const char *param_label(const report_param *p)
{
    const char *colon = strrchr(p->prl, ':');

    return colon != NULL && colon[1] != '\0' ? colon + 1 : p->prl;
}

const char *value_text(const report_param *p, double v, char *buf, size_t size)
{
    if (isnan(v)) {
        snprintf(buf, size, "-");
    } else if (p->type == PARAM_ENUM) {
        const json_t *c = json_array_get(p->choices, (size_t)v);
        char *text = c != NULL ? json_dumps(c, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        snprintf(buf, size, "%s", text != NULL ? text : "?");
        free(text);
    } else if (p->type == PARAM_INT) {
        snprintf(buf, size, "%.0f", v);
    } else {
        snprintf(buf, size, "%.4g", v);
    }
    return buf;
}

/* An enum axis: a band per choice, labelled with the choice. */
static void enum_axis(FILE *f, const report_param *p, const scale *xs, double y)
{
    size_t c, n = json_array_size(p->choices);
    char buf[64];

    fprintf(f, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
            xs->p0, y, xs->p1, y);
    for (c = 0; c < n; c++) {
        fprintf(f, "<text class=\"tl\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
                scale_at(xs, (double)c), y + 15);
        put_escaped_cut(f, value_text(p, (double)c, buf, sizeof(buf)), 16);
        fputs("</text>\n", f);
    }
    fprintf(f, "<text class=\"at\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
            (xs->p0 + xs->p1) / 2, y + 32);
    put_escaped_cut(f, p->prl, 60);
    fputs("</text>\n", f);
}

void chart_param(FILE *f, const report_run *run, size_t k)
{
    const report_param *p = &run->params[k];
    const int w = 430, h = 270, bottom = h - 46, strip_y = bottom - STRIP / 2 - 2;
    int is_enum = p->type == PARAM_ENUM;
    double lo, hi, band = 0;
    char name[32];
    size_t i;
    scale xs, ys;

    score_range(run, &lo, &hi);
    if (is_enum) { /* choice c at the centre of band c */
        band = (w - LEFT - RIGHT) / (p->max + 1);
        scale_init(&xs, -0.5, p->max + 0.5, 0, LEFT, w - RIGHT);
    } else {
        scale_init(&xs, p->min, p->max, p->log, LEFT + 4, w - RIGHT - 4);
    }
    scale_init(&ys, lo, hi, 0, strip_y - STRIP, TOP);
    snprintf(name, sizeof(name), "param-%zu", k);
    svg_open(f, name, w, h, p->prl);
    if (is_enum)
        enum_axis(f, p, &xs, bottom);
    else
        axis_bottom(f, &xs, bottom, p->prl);
    axis_left(f, &ys, LEFT, "score");
    strip_label(f, LEFT, strip_y);
    for (i = 0; i < run->njobs; i++) {
        const report_job *j = &run->jobs[i];
        double v = isnan(j->values[k]) ? p->min : j->values[k];
        double x = scale_at(&xs, v) + (is_enum ? 0.3 * band * jitter(j->n * 31 + k) : 0);
        dot(f, j, x, job_y(j, &ys, strip_y));
    }
    fputs("</svg>\n", f);
}

/* Where job j crosses axis a (params, then the score) in [0, 1], 1 at the top. */
static double parallel_at(const report_run *run, const report_job *j, size_t a,
                          const scale *unit_scores)
{
    const report_param *p;
    double v;
    scale s;

    if (a == run->nparams)
        return scored(j) ? scale_at(unit_scores, j->score) : -0.06;
    p = &run->params[a];
    v = isnan(j->values[a]) ? p->min : j->values[a];
    if (p->type == PARAM_ENUM)
        return p->max > 0 ? v / p->max : 0.5;
    scale_init(&s, p->min, p->max, p->log, 0, 1);
    return scale_at(&s, v);
}

static int by_score(const void *a, const void *b)
{
    const report_job *x = *(const report_job *const *)a, *y = *(const report_job *const *)b;
    double sx = isfinite(x->score) ? x->score : -INFINITY;
    double sy = isfinite(y->score) ? y->score : -INFINITY;

    return (sx > sy) - (sx < sy);
}

void chart_parallel(FILE *f, const report_run *run)
{
    const int h = 340, top = 24, bottom = h - 52;
    size_t naxes = run->nparams + 1, a, i;
    const report_job **order = malloc((run->njobs + 1) * sizeof(*order));
    double lo, hi, gap = naxes > 1 ? (double)(WIDE - 2 * LEFT) / (double)(naxes - 1) : 0;
    scale unit;

    if (order == NULL)
        return;
    score_range(run, &lo, &hi);
    scale_init(&unit, lo, hi, 0, 0, 1);
    svg_open(f, "parallel", WIDE, h, "parallel coordinates");
    /* worst first, so the best lines are drawn on top */
    for (i = 0; i < run->njobs; i++)
        order[i] = &run->jobs[i];
    qsort(order, run->njobs, sizeof(*order), by_score);
    for (i = 0; i < run->njobs; i++) {
        const report_job *j = order[i];
        char colour[8];
        int is_ok = strcmp(j->status, "ok") == 0;
        if (is_ok)
            ramp_colour(scale_at(&unit, j->score), colour);
        fprintf(f, "<polyline class=\"mark s-%s%s\" data-job=\"", j->status,
                i + 1 == run->njobs && is_ok ? " top" : "");
        put_escaped(f, j->name);
        fprintf(f, "\" stroke=\"%s\" points=\"", is_ok ? colour : status_colour(j->status));
        for (a = 0; a < naxes; a++)
            fprintf(f, "%.1f,%.1f ", LEFT + gap * (double)a,
                    bottom - (bottom - top) * parallel_at(run, j, a, &unit));
        fputs("\"/>\n", f);
    }
    for (a = 0; a < naxes; a++) { /* the axes over the lines, labelled at both ends */
        double x = LEFT + gap * (double)a;
        char top_label[64], bottom_label[64];
        const report_param *p = a < run->nparams ? &run->params[a] : NULL;
        if (p != NULL) {
            value_text(p, p->max, top_label, sizeof(top_label));
            value_text(p, p->min, bottom_label, sizeof(bottom_label));
        } else {
            snprintf(top_label, sizeof(top_label), "%.4g", hi);
            snprintf(bottom_label, sizeof(bottom_label), "%.4g", lo);
        }
        fprintf(f, "<line class=\"axis\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n", x, top,
                x, bottom);
        fprintf(f, "<text class=\"tl\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", x, top - 6);
        put_escaped_cut(f, top_label, 14);
        fprintf(f, "</text><text class=\"tl\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", x,
                bottom + 14);
        put_escaped_cut(f, bottom_label, 14);
        fprintf(f, "</text><text class=\"at\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", x,
                bottom + 32);
        put_escaped_cut(f, p != NULL ? param_label(p) : "score", 18);
        fputs("</text>\n", f);
    }
    free(order);
    fputs("</svg>\n", f);
}

void chart_timeline(FILE *f, const report_run *run)
{
    const int row = 22, top = 10, label = 150;
    int h = top + row * (int)run->nworkers + 46;
    double span = run->now - run->t0;
    size_t w, i;
    scale xs;

    scale_init(&xs, 0, span, 0, label, WIDE - RIGHT);
    svg_open(f, "timeline", WIDE, h, "jobs per worker over time");
    axis_bottom(f, &xs, top + row * (double)run->nworkers + 4, "seconds since the run started");
    for (w = 0; w < run->nworkers; w++) {
        double busy = 0, y = top + row * (double)w;
        for (i = 0; i < run->njobs; i++) {
            const report_job *j = &run->jobs[i];
            double x0, x1;
            if (strcmp(j->worker, run->workers[w]) != 0)
                continue;
            busy += j->end - j->start;
            x0 = scale_at(&xs, j->start - run->t0);
            x1 = scale_at(&xs, j->end - run->t0);
            fprintf(f, "<rect class=\"mark s-%s\" data-job=\"", j->status);
            put_escaped(f, j->name);
            fprintf(f, "\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n",
                    x0, y + 3, fmax(x1 - x0, 1), row - 6, status_colour(j->status));
        }
        fprintf(f, "<text class=\"wl\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", label - 8,
                y + row / 2.0 + 4);
        put_escaped_cut(f, run->workers[w], 24);
        fprintf(f, " busy %.0f%%</text>\n", span > 0 ? fmin(100, 100 * busy / span) : 0);
    }
    fputs("</svg>\n", f);
}

static void curve_line(FILE *f, const report_job *j, const scale *xs, const scale *ys, int top)
{
    size_t r;

    if (j->nreports == 0)
        return;
    fprintf(f, "<polyline class=\"mark s-%s%s\" data-job=\"", j->status, top ? " top" : "");
    put_escaped(f, j->name);
    fprintf(f, "\" stroke=\"%s\" points=\"", status_colour(j->status));
    for (r = 0; r < j->nreports; r++)
        fprintf(f, "%.1f,%.1f ", scale_at(xs, j->steps[r]), scale_at(ys, j->reports[r]));
    if (j->nreports == 1) /* one report: a short tick, so the line shows */
        fprintf(f, "%.1f,%.1f", scale_at(xs, j->steps[0]) + 2, scale_at(ys, j->reports[0]));
    fputs("\"/>\n", f);
}

void chart_curves(FILE *f, const report_run *run)
{
    const int h = 340, bottom = h - 46;
    double smin = INFINITY, smax = -INFINITY, vmin = INFINITY, vmax = -INFINITY;
    const report_job *best = report_best(run);
    size_t i, r;
    scale xs, ys;

    for (i = 0; i < run->njobs; i++)
        for (r = 0; r < run->jobs[i].nreports; r++) {
            smin = fmin(smin, run->jobs[i].steps[r]);
            smax = fmax(smax, run->jobs[i].steps[r]);
            vmin = fmin(vmin, run->jobs[i].reports[r]);
            vmax = fmax(vmax, run->jobs[i].reports[r]);
        }
    scale_init(&xs, smin, smax, 0, LEFT, WIDE - RIGHT);
    scale_init(&ys, vmin, vmax, 0, bottom - 6, TOP);
    svg_open(f, "curves", WIDE, h, "intermediate reports per job");
    axis_bottom(f, &xs, bottom, "step");
    axis_left(f, &ys, LEFT, "reported value");
    for (i = 0; i < run->njobs; i++)
        if (&run->jobs[i] != best)
            curve_line(f, &run->jobs[i], &xs, &ys, 0);
    if (best != NULL) /* on top */
        curve_line(f, best, &xs, &ys, 1);
    fputs("</svg>\n", f);
}
