/*
 * space: the cost of search-space extraction and of one apply on a large training config,
 * against jansson on the same file in the same run. Generates a ~10 MB config with 10,000
 * components, each with a search item (float, int, enum in turn; every tenth publishes an
 * alias that the next component applies). Prints one JSON object:
 *   {"config_bytes", "search_items", "load_ms", "load_dump_ms", "extract_ms", "apply_ms",
 *    "apply_dump_ms", "extract_over_load", "apply_over_load_dump"}
 * Each time is the median of `repeats` runs.
 *
 * Usage: space [items] [repeats]      (default 10000, 7)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mmarml.h>

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp);
    return v[n / 2];
}

/* One component of about 1 KB. */
static void write_component(FILE *f, int i)
{
    int k;

    fprintf(f, "{\"name\": \"Layer%d\", \"args\": {\"width\": %d, \"rate\": 0.%d, "
               "\"mode\": \"m%d\", \"weights\": [",
            i, 16 + i % 64, 1 + i % 9, i % 3);
    for (k = 0; k < 140; k++)
        fprintf(f, "%s%d", k ? ", " : "", (i * 31 + k) % 997);
    fprintf(f, "], \"note\": \"%s\"}", "padding padding padding padding padding padding "
                                       "padding padding padding padding padding padding");
    switch (i % 3) {
    case 0:
        fprintf(f, ", \"search\": [{\"domain\": \"net\", \"type\": \"float\", \"args\": "
                   "[\"rate%s\"], \"targets\": [0.0, 1.0]}]",
                i % 10 == 0 ? "#v" : "");
        break;
    case 1:
        fprintf(f, ", \"search\": [{\"domain\": \"net\", \"type\": \"int\", \"args\": "
                   "[\"width\"], \"targets\": [1, 128]}]");
        break;
    default:
        fprintf(f, ", \"search\": [{\"domain\": \"net\", \"type\": \"enum\", \"args\": "
                   "[\"mode\", \"@disabled\"], \"targets\": [[\"a\", false], [\"b\", true], "
                   "[\"c\", false]]}]");
        break;
    }
    if (i % 10 == 1)
        fprintf(f, ", \"apply\": {\"rate\": \"v\"}");
    fputc('}', f);
}

int main(int argc, char **argv)
{
    int items = argc > 1 ? atoi(argv[1]) : 10000, repeats = argc > 2 ? atoi(argv[2]) : 7, r, i;
    char path[] = "/tmp/mmarml-bench-space-XXXXXX";
    double *t_load, *t_dump, *t_extract, *t_apply, *t_apply_dump;
    mmarml_space_manager *m = NULL;
    mmarml_recommendation *rec = NULL;
    mmarml_search_space *space;
    double *values;
    long bytes;
    json_t *config;
    size_t n;
    FILE *f;
    int fd;

    if (items < 1 || repeats < 1)
        return 2;
    fd = mkstemp(path);
    if (fd < 0 || (f = fdopen(fd, "w")) == NULL)
        return 1;
    fprintf(f, "{\"epochs\": 100, \"learning_rate\": 0.0001, \"train\": {\"layers\": [");
    for (i = 0; i < items; i++) {
        if (i > 0)
            fputs(", ", f);
        write_component(f, i);
    }
    fprintf(f, "]}}\n");
    bytes = ftell(f);
    fclose(f);

    t_load = calloc((size_t)repeats, sizeof(double));
    t_dump = calloc((size_t)repeats, sizeof(double));
    t_extract = calloc((size_t)repeats, sizeof(double));
    t_apply = calloc((size_t)repeats, sizeof(double));
    t_apply_dump = calloc((size_t)repeats, sizeof(double));
    for (r = 0; r < repeats; r++) {
        double t0 = now_ms(), t1, t2;
        char *text;
        config = json_load_file(path, 0, NULL);
        t1 = now_ms();
        text = json_dumps(config, 0);
        t2 = now_ms();
        free(text);
        t_load[r] = t1 - t0;
        t_dump[r] = t2 - t0;

        t0 = now_ms();
        if (mmarml_space_manager_new(&m, config, "bench.json") != MMARML_OK) {
            fprintf(stderr, "space: %s\n", mmarml_error_message());
            return 1;
        }
        t_extract[r] = now_ms() - t0;
        json_decref(config);

        space = mmarml_space_manager_space(m);
        n = mmarml_search_space_count(space);
        values = malloc(n * sizeof(double));
        for (i = 0; i < (int)n; i++) {
            const mmarml_param *p = mmarml_search_space_param(space, (size_t)i);
            values[i] = mmarml_param_type(p) == MMARML_PARAM_FLOAT ? 0.5 : mmarml_param_min(p);
        }
        if (mmarml_recommendation_new(&rec, 1, space, values, n) != MMARML_OK)
            return 1;
        t0 = now_ms();
        {
            json_t *job = NULL;
            if (mmarml_space_manager_apply(&job, NULL, m, rec, 0) != MMARML_OK)
                return 1;
            t1 = now_ms();
            text = json_dumps(job, 0);
            t2 = now_ms();
            free(text);
            json_decref(job);
        }
        t_apply[r] = t1 - t0;
        t_apply_dump[r] = t2 - t0;
        mmarml_recommendation_unref(rec);
        free(values);
        if (r + 1 < repeats)
            m = mmarml_space_manager_unref(m);
    }
    n = mmarml_search_space_count(mmarml_space_manager_space(m));
    {
        double load = median(t_load, repeats), dump = median(t_dump, repeats);
        double extract = median(t_extract, repeats), app = median(t_apply, repeats);
        double app_dump = median(t_apply_dump, repeats);
        printf("{\"config_bytes\": %ld, \"search_items\": %zu, \"load_ms\": %.2f, "
               "\"load_dump_ms\": %.2f, \"extract_ms\": %.2f, \"apply_ms\": %.2f, "
               "\"apply_dump_ms\": %.2f, \"extract_over_load\": %.3f, "
               "\"apply_over_load_dump\": %.3f}\n",
               bytes, n, load, dump, extract, app, app_dump, extract / load, app / dump);
    }
    mmarml_space_manager_unref(m);
    unlink(path);
    free(t_load);
    free(t_dump);
    free(t_extract);
    free(t_apply);
    free(t_apply_dump);
    return 0;
}
