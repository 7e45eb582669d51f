/* Parameter importance and config differences for mmarml report (report_stats.h). */
#include "report_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_svg.h"

typedef struct {
    double value, score;
} pair;

static int by_value(const void *a, const void *b)
{
    double x = ((const pair *)a)->value, y = ((const pair *)b)->value;

    return (x > y) - (x < y);
}

double report_importance(const report_run *run, size_t k)
{
    const report_param *p = &run->params[k];
    pair *v = malloc((run->njobs + 1) * sizeof(*v));
    size_t n = 0, i, groups = 0, start;
    double mean = 0, ss_total = 0, ss_between = 0, ms_within, eps;

    if (v == NULL)
        return NAN;
    for (i = 0; i < run->njobs; i++) {
        const report_job *j = &run->jobs[i];
        if (strcmp(j->status, "ok") == 0 && isfinite(j->score) && !isnan(j->values[k]))
            v[n++] = (pair){j->values[k], j->score};
    }
    if (n < IMPORTANCE_MIN_JOBS) {
        free(v);
        return NAN;
    }
    qsort(v, n, sizeof(*v), by_value);
    for (i = 0; i < n; i++)
        mean += v[i].score / (double)n;
    for (i = 0; i < n; i++)
        ss_total += (v[i].score - mean) * (v[i].score - mean);
    /* groups: runs of equal choices (enum), or up to 10 equal-count bins by rank, never
     * splitting equal values */
    for (start = 0; start < n; groups++) {
        size_t bins = n / 4 < 10 ? (n / 4 > 2 ? n / 4 : 2) : 10, end;
        double gmean = 0;
        if (p->type == PARAM_ENUM)
            end = start + 1;
        else
            end = (groups + 1) * n / bins > start + 1 ? (groups + 1) * n / bins : start + 1;
        if (end > n)
            end = n;
        while (end < n && v[end].value == v[end - 1].value)
            end++;
        for (i = start; i < end; i++)
            gmean += v[i].score / (double)(end - start);
        ss_between += (double)(end - start) * (gmean - mean) * (gmean - mean);
        start = end;
    }
    free(v);
    if (!(ss_total > 0) || groups < 2 || n <= groups)
        return NAN;
    ms_within = (ss_total - ss_between) / (double)(n - groups);
    eps = (ss_between - (double)(groups - 1) * ms_within) / (ss_total + ms_within);
    return eps < 0 ? 0 : eps > 1 ? 1 : eps;
}

static int is_search_key(const char *key)
{
    return strcmp(key, "search") == 0 || strcmp(key, "lr_search") == 0 ||
           strcmp(key, "apply") == 0;
}

static void cell(FILE *f, const json_t *v)
{
    char *text = v != NULL ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

    fputs("<td><code>", f);
    if (v == NULL)
        fputs("(absent)", f);
    else
        put_escaped_cut(f, text != NULL ? text : "?", 120);
    fputs("</code></td>", f);
    free(text);
}

static size_t diff_at(FILE *f, char *path, size_t len, size_t cap, const json_t *a,
                      const json_t *b, size_t *removed)
{
    size_t rows = 0, i;
    const char *key;
    const json_t *v;

    if (json_equal(a, b))
        return 0;
    if (json_is_object(a) && json_is_object(b)) {
        json_object_foreach((json_t *)a, key, v)
        {
            const json_t *w = json_object_get(b, key);
            if (w == NULL && is_search_key(key)) {
                (*removed)++;
                continue;
            }
            snprintf(path + len, cap - len, "%s%s", len ? "." : "", key);
            rows += diff_at(f, path, strlen(path), cap, v, w, removed);
        }
        json_object_foreach((json_t *)b, key, v)
        {
            if (json_object_get(a, key) != NULL)
                continue;
            snprintf(path + len, cap - len, "%s%s", len ? "." : "", key);
            rows += diff_at(f, path, strlen(path), cap, NULL, v, removed);
        }
        path[len] = '\0';
        return rows;
    }
    if (json_is_array(a) && json_is_array(b) && json_array_size(a) == json_array_size(b)) {
        for (i = 0; i < json_array_size(a); i++) {
            snprintf(path + len, cap - len, "[%zu]", i);
            rows += diff_at(f, path, strlen(path), cap, json_array_get(a, i),
                            json_array_get(b, i), removed);
        }
        path[len] = '\0';
        return rows;
    }
    fputs("<tr><td><code>", f);
    put_escaped(f, len ? path : "(the whole config)");
    fputs("</code></td>", f);
    cell(f, a);
    cell(f, b);
    fputs("</tr>\n", f);
    return 1;
}

size_t report_diff(FILE *f, const json_t *base, const json_t *job, size_t *removed_search)
{
    char path[1024] = "";

    *removed_search = 0;
    return diff_at(f, path, 0, sizeof(path), base, job, removed_search);
}
