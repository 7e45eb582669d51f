/*
 * MMARTensorboardHandler (Clara 3.1's name): the run as TensorBoard shows it, through the
 * HParams dashboard. Under <run_root>/tensorboard/:
 *   events.out.tfevents.*          the experiment: every searched param (name = PRL, with
 *                                  its range or choices) and the metric `score`
 *   <job>/events.out.tfevents.*    one session per job: its params' values (start), its
 *                                  score as a scalar, and its status (end)
 * `tensorboard --logdir <run_root>/tensorboard` then shows the table, the parallel
 * coordinates and the scatter plots of the AutoML. It must come after MMARHandler (the run
 * root). Built on the public API; a module of its own, loaded by the registry on first use,
 * so libmmarml never depends on libprotobuf-c.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmarml.h"
#include "event_writer.h"
#include "tensorboard/compat/proto/event.pb-c.h"
#include "tensorboard/compat/proto/summary.pb-c.h"
#include "tensorboard/plugins/hparams/plugin_data.pb-c.h"

#define TB_EXPORT __attribute__((visibility("default")))
#define WRITER_KEY "_tensorboardWriter"

static const char *const me = "MMARTensorboardHandler";

typedef struct {
    char *dir; /* <run_root>/tensorboard */
} tb_handler;

int mmarml_tensorboard_handler_new(mmarml_handler **out, const json_t *args) TB_EXPORT;

static double wall_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* An event holding one summary value, packed and appended. */
static int append_value(tb_writer *w, double wall, Tensorboard__Summary__Value *value)
{
    Tensorboard__Event ev = TENSORBOARD__EVENT__INIT;
    Tensorboard__Summary summary = TENSORBOARD__SUMMARY__INIT;
    Tensorboard__Summary__Value *values[1] = {value};
    uint8_t *buf;
    size_t len;
    int rc;

    summary.n_value = 1;
    summary.value = values;
    ev.wall_time = wall;
    ev.what_case = TENSORBOARD__EVENT__WHAT_SUMMARY;
    ev.summary = &summary;
    len = tensorboard__event__get_packed_size(&ev);
    if ((buf = malloc(len ? len : 1)) == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    tensorboard__event__pack(&ev, buf);
    rc = tb_writer_append(w, buf, len);
    free(buf);
    return rc;
}

/* A summary value whose metadata carries HParams plugin data, as TensorBoard's own
 * hparams summaries do ("_hparams_/experiment", ".../session_start_info", ...). */
static int append_hparams(tb_writer *w, double wall, const char *tag,
                          Tensorboard__Hparams__HParamsPluginData *data)
{
    Tensorboard__Summary__Value value = TENSORBOARD__SUMMARY__VALUE__INIT;
    Tensorboard__SummaryMetadata meta = TENSORBOARD__SUMMARY_METADATA__INIT;
    Tensorboard__SummaryMetadata__PluginData plugin =
        TENSORBOARD__SUMMARY_METADATA__PLUGIN_DATA__INIT;
    int rc;

    plugin.plugin_name = (char *)"hparams";
    plugin.content.len = tensorboard__hparams__hparams_plugin_data__get_packed_size(data);
    if ((plugin.content.data = malloc(plugin.content.len ? plugin.content.len : 1)) == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    tensorboard__hparams__hparams_plugin_data__pack(data, plugin.content.data);
    meta.plugin_data = &plugin;
    value.tag = (char *)tag;
    value.metadata = &meta;
    rc = append_value(w, wall, &value);
    free(plugin.content.data);
    return rc;
}

/* An enum choice as TensorBoard shows it: a target of one string arg as that string
 * ("relu"), any other as its JSON text. */
static char *choice_text(const mmarml_param *p, size_t i)
{
    const json_t *choice = json_array_get(mmarml_param_choices(p), i);

    if (json_is_array(choice) && json_array_size(choice) == 1 &&
        json_is_string(json_array_get(choice, 0)))
        return strdup(json_string_value(json_array_get(choice, 0)));
    return json_dumps(choice, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* ---- the experiment ---- */

static void free_info(Tensorboard__Hparams__HParamInfo *info)
{
    size_t j;

    if (info == NULL)
        return;
    if (info->domain_case == TENSORBOARD__HPARAMS__HPARAM_INFO__DOMAIN_DOMAIN_DISCRETE) {
        Google__Protobuf__ListValue *list = info->domain_discrete;
        for (j = 0; list != NULL && j < list->n_values; j++) {
            free(list->values[j]->string_value);
            free(list->values[j]);
        }
        if (list != NULL)
            free(list->values);
        free(list);
    } else if (info->domain_case == TENSORBOARD__HPARAMS__HPARAM_INFO__DOMAIN_DOMAIN_INTERVAL) {
        free(info->domain_interval);
    }
    free(info);
}

static void free_infos(Tensorboard__Hparams__HParamInfo **infos, size_t n)
{
    size_t i;

    for (i = 0; infos != NULL && i < n; i++)
        free_info(infos[i]);
    free(infos);
}

static Tensorboard__Hparams__HParamInfo *param_info(const mmarml_param *p)
{
    Tensorboard__Hparams__HParamInfo *info = malloc(sizeof(*info));
    size_t i, n;

    if (info == NULL)
        return NULL;
    tensorboard__hparams__hparam_info__init(info);
    info->name = (char *)mmarml_param_prl(p);
    if (mmarml_param_type(p) != MMARML_PARAM_ENUM) {
        Tensorboard__Hparams__Interval *range = malloc(sizeof(*range));
        if (range == NULL) {
            free(info);
            return NULL;
        }
        tensorboard__hparams__interval__init(range);
        range->min_value = mmarml_param_min(p);
        range->max_value = mmarml_param_max(p);
        info->type = TENSORBOARD__HPARAMS__DATA_TYPE__DATA_TYPE_FLOAT64;
        info->domain_case = TENSORBOARD__HPARAMS__HPARAM_INFO__DOMAIN_DOMAIN_INTERVAL;
        info->domain_interval = range;
        return info;
    }
    n = mmarml_param_range_count(p);
    info->type = TENSORBOARD__HPARAMS__DATA_TYPE__DATA_TYPE_STRING;
    info->domain_case = TENSORBOARD__HPARAMS__HPARAM_INFO__DOMAIN_DOMAIN_DISCRETE;
    info->domain_discrete = malloc(sizeof(*info->domain_discrete));
    if (info->domain_discrete == NULL) {
        free(info);
        return NULL;
    }
    google__protobuf__list_value__init(info->domain_discrete);
    info->domain_discrete->values = calloc(n ? n : 1, sizeof(Google__Protobuf__Value *));
    for (i = 0; info->domain_discrete->values != NULL && i < n; i++) {
        Google__Protobuf__Value *v = malloc(sizeof(*v));
        if (v == NULL)
            break;
        google__protobuf__value__init(v);
        v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
        v->string_value = choice_text(p, i);
        info->domain_discrete->values[info->domain_discrete->n_values++] = v;
        if (v->string_value == NULL)
            break;
    }
    if (info->domain_discrete->values == NULL || info->domain_discrete->n_values != n ||
        (n > 0 && info->domain_discrete->values[n - 1]->string_value == NULL)) {
        free_info(info);
        return NULL;
    }
    return info;
}

static int write_experiment(tb_handler *h, const mmarml_search_space *space, const char *name)
{
    Tensorboard__Hparams__Experiment exp = TENSORBOARD__HPARAMS__EXPERIMENT__INIT;
    Tensorboard__Hparams__MetricInfo metric = TENSORBOARD__HPARAMS__METRIC_INFO__INIT;
    Tensorboard__Hparams__MetricName metric_name = TENSORBOARD__HPARAMS__METRIC_NAME__INIT;
    Tensorboard__Hparams__MetricInfo *metrics[1] = {&metric};
    Tensorboard__Hparams__HParamsPluginData data = TENSORBOARD__HPARAMS__HPARAMS_PLUGIN_DATA__INIT;
    size_t i, n = mmarml_search_space_count(space);
    double wall = wall_now();
    tb_writer *w = NULL;
    int rc = MMARML_OK;

    exp.hparam_infos = calloc(n ? n : 1, sizeof(*exp.hparam_infos));
    if (exp.hparam_infos == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    exp.n_hparam_infos = n;
    for (i = 0; i < n && rc == MMARML_OK; i++)
        if ((exp.hparam_infos[i] = param_info(mmarml_search_space_param(space, i))) == NULL)
            rc = mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    metric_name.tag = (char *)"score";
    metric.name = &metric_name;
    metric.display_name = (char *)"score";
    exp.metric_infos = metrics;
    exp.n_metric_infos = 1;
    exp.name = (char *)name;
    exp.time_created_secs = wall;
    data.data_case = TENSORBOARD__HPARAMS__HPARAMS_PLUGIN_DATA__DATA_EXPERIMENT;
    data.experiment = &exp;
    if (rc == MMARML_OK && (rc = tb_writer_open(&w, h->dir, wall)) == MMARML_OK)
        rc = append_hparams(w, wall, "_hparams_/experiment", &data);
    tb_writer_close(w);
    free_infos(exp.hparam_infos, n);
    return rc;
}

/* ---- the handler's events ---- */

static int tb_start(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    tb_handler *h = ud;
    char *run_root = NULL;
    int rc;

    (void)self;
    if ((rc = mmarml_context_get_string(ctx, MMARML_KEY_RUN_ROOT, &run_root)) != MMARML_OK)
        return mmarml_error_set(rc, "%s: no run root: it must come after MMARHandler", me);
    free(h->dir);
    if (asprintf(&h->dir, "%s/tensorboard", run_root) < 0)
        h->dir = NULL;
    mmarml_free(run_root);
    return h->dir != NULL ? MMARML_OK : mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
}

static int tb_space(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    tb_handler *h = ud;
    void *space = NULL;
    char *run_id = NULL;
    int rc;

    (void)self;
    if (h->dir == NULL)
        return MMARML_OK;
    if ((rc = mmarml_context_get_pointer(ctx, MMARML_KEY_SEARCH_SPACE, &space)) != MMARML_OK)
        return rc;
    mmarml_context_get_string(ctx, MMARML_KEY_RUN_ID, &run_id);
    rc = write_experiment(h, space, run_id != NULL ? run_id : "");
    mmarml_free(run_id);
    return rc;
}

static void close_writer(void *w)
{
    tb_writer_close(w);
}

static int tb_start_job(mmarml_handler *self, mmarml_context *job, void *ud)
{
    Tensorboard__Hparams__SessionStartInfo start = TENSORBOARD__HPARAMS__SESSION_START_INFO__INIT;
    Tensorboard__Hparams__HParamsPluginData data = TENSORBOARD__HPARAMS__HPARAMS_PLUGIN_DATA__INIT;
    Tensorboard__Hparams__SessionStartInfo__HparamsEntry *entries = NULL, **ptrs = NULL;
    Google__Protobuf__Value *values = NULL;
    tb_handler *h = ud;
    void *rec_p = NULL, *space_p = NULL;
    const mmarml_recommendation *rec;
    const mmarml_search_space *space;
    char *name = NULL, *dir = NULL;
    double wall = wall_now();
    tb_writer *w = NULL;
    size_t i, n;
    int rc;

    (void)self;
    if (h->dir == NULL ||
        mmarml_context_get_pointer(job, MMARML_KEY_RECOMMENDATION, &rec_p) != MMARML_OK ||
        mmarml_context_get_pointer(job, MMARML_KEY_SEARCH_SPACE, &space_p) != MMARML_OK ||
        mmarml_context_get_string(job, MMARML_KEY_JOB_NAME, &name) != MMARML_OK)
        return MMARML_OK;
    rec = rec_p;
    space = space_p;
    n = mmarml_search_space_count(space);
    if (asprintf(&dir, "%s/%s", h->dir, name) < 0 ||
        (entries = calloc(n ? n : 1, sizeof(*entries))) == NULL ||
        (ptrs = calloc(n ? n : 1, sizeof(*ptrs))) == NULL ||
        (values = calloc(n ? n : 1, sizeof(*values))) == NULL) {
        rc = mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
        goto done;
    }
    for (i = 0; i < n; i++) {
        const mmarml_param *p = mmarml_search_space_param(space, i);
        double v = mmarml_recommendation_values(rec)[i];
        tensorboard__hparams__session_start_info__hparams_entry__init(&entries[i]);
        google__protobuf__value__init(&values[i]);
        entries[i].key = (char *)mmarml_param_prl(p);
        entries[i].value = &values[i];
        if (mmarml_param_type(p) == MMARML_PARAM_ENUM) {
            values[i].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
            values[i].string_value = choice_text(p, (size_t)v);
        } else {
            values[i].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
            values[i].number_value = v;
        }
        ptrs[i] = &entries[i];
    }
    start.n_hparams = n;
    start.hparams = ptrs;
    start.group_name = name;
    start.start_time_secs = wall;
    data.data_case = TENSORBOARD__HPARAMS__HPARAMS_PLUGIN_DATA__DATA_SESSION_START_INFO;
    data.session_start_info = &start;
    if ((rc = tb_writer_open(&w, dir, wall)) == MMARML_OK &&
        (rc = append_hparams(w, wall, "_hparams_/session_start_info", &data)) == MMARML_OK &&
        (rc = mmarml_context_set_pointer(job, WRITER_KEY, w, close_writer)) == MMARML_OK)
        w = NULL; /* the job context holds it until end_job */
done:
    tb_writer_close(w);
    for (i = 0; values != NULL && i < n; i++)
        if (values[i].kind_case == GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE)
            free(values[i].string_value);
    free(values);
    free(ptrs);
    free(entries);
    free(dir);
    mmarml_free(name);
    return rc;
}

/* The job's reports as the scalar "progress" at their steps and times: its learning curve,
 * where a pruned job's stops. A report without a time (restored from an older journal)
 * carries the end's. */
static int append_reports(tb_writer *w, mmarml_context *job, double wall)
{
    Tensorboard__Event ev = TENSORBOARD__EVENT__INIT;
    Tensorboard__Summary summary = TENSORBOARD__SUMMARY__INIT;
    Tensorboard__Summary__Value value = TENSORBOARD__SUMMARY__VALUE__INIT;
    Tensorboard__Summary__Value *values[1] = {&value};
    double *pairs = NULL, *times = NULL;
    uint8_t *buf = NULL;
    size_t n = 0, ntimes = 0, i, len, cap = 0;
    int rc = MMARML_OK;

    if (mmarml_job_reports(job, &pairs, &n) != MMARML_OK)
        return MMARML_OK; /* none kept for this job: no curve */
    if (mmarml_job_report_times(job, &times, &ntimes) != MMARML_OK)
        ntimes = 0; /* drawn at the end's time */
    value.tag = (char *)"progress";
    value.value_case = TENSORBOARD__SUMMARY__VALUE__VALUE_SIMPLE_VALUE;
    summary.n_value = 1;
    summary.value = values;
    ev.what_case = TENSORBOARD__EVENT__WHAT_SUMMARY;
    ev.summary = &summary;
    for (i = 0; i < n && rc == MMARML_OK; i++) {
        /* without a time (none could be copied, or an older journal's): the end's */
        ev.wall_time = i < ntimes && isfinite(times[i]) ? times[i] : wall;
        /* TensorBoard's steps are integers; a step past int64's range (finite, >= 0, but
         * a hostile trainer's) is the largest one rather than an undefined conversion */
        ev.step = pairs[2 * i] < 9223372036854775808.0 /* 2^63 */ ? (int64_t)pairs[2 * i]
                                                                 : INT64_MAX;
        value.simple_value = (float)pairs[2 * i + 1];
        len = tensorboard__event__get_packed_size(&ev);
        if (len > cap) {
            uint8_t *more = realloc(buf, len);
            if (more == NULL) {
                rc = mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
                break;
            }
            buf = more;
            cap = len;
        }
        tensorboard__event__pack(&ev, buf);
        rc = tb_writer_append(w, buf, len);
    }
    free(buf);
    mmarml_free(pairs);
    mmarml_free(times);
    return rc;
}

static int tb_end_job(mmarml_handler *self, mmarml_context *job, void *ud)
{
    Tensorboard__Hparams__SessionEndInfo end = TENSORBOARD__HPARAMS__SESSION_END_INFO__INIT;
    Tensorboard__Hparams__HParamsPluginData data = TENSORBOARD__HPARAMS__HPARAMS_PLUGIN_DATA__INIT;
    Tensorboard__Summary__Value score_value = TENSORBOARD__SUMMARY__VALUE__INIT;
    void *w = NULL;
    char *status = NULL;
    double score, wall = wall_now();
    int rc = MMARML_OK, ok;

    (void)self;
    (void)ud;
    if (mmarml_context_get_pointer(job, WRITER_KEY, &w) != MMARML_OK)
        return MMARML_OK; /* no session: start_job could not open it, or a replayed job */
    mmarml_context_get_string(job, MMARML_KEY_JOB_STATUS, &status);
    ok = status != NULL && strcmp(status, "ok") == 0 &&
         mmarml_context_get_double(job, MMARML_KEY_SCORE, &score) == MMARML_OK;
    rc = append_reports(w, job, wall);
    if (ok && rc == MMARML_OK) {
        score_value.tag = (char *)"score";
        score_value.value_case = TENSORBOARD__SUMMARY__VALUE__VALUE_SIMPLE_VALUE;
        score_value.simple_value = (float)score;
        rc = append_value(w, wall, &score_value);
    }
    end.status = ok ? TENSORBOARD__HPARAMS__STATUS__STATUS_SUCCESS
                    : TENSORBOARD__HPARAMS__STATUS__STATUS_FAILURE;
    end.end_time_secs = wall;
    data.data_case = TENSORBOARD__HPARAMS__HPARAMS_PLUGIN_DATA__DATA_SESSION_END_INFO;
    data.session_end_info = &end;
    if (rc == MMARML_OK)
        rc = append_hparams(w, wall, "_hparams_/session_end_info", &data);
    mmarml_context_remove(job, WRITER_KEY); /* closes the file */
    mmarml_free(status);
    return rc;
}

static void tb_destroy(void *ud)
{
    tb_handler *h = ud;

    free(h->dir);
    free(h);
}

int mmarml_tensorboard_handler_new(mmarml_handler **out, const json_t *args)
{
    static const char *const allowed[] = {NULL};
    static const mmarml_handler_vtable vt = {
        .struct_size = sizeof(mmarml_handler_vtable),
        .version = MMARML_HANDLER_VTABLE_VERSION,
        .start_automl = tb_start,
        .search_space_available = tb_space,
        .start_job = tb_start_job,
        .end_job = tb_end_job,
        .destroy = tb_destroy,
    };
    tb_handler *h;
    int rc;

    if (out == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s: out is NULL", me);
    *out = NULL;
    if ((rc = mmarml_args_check(args, me, allowed)) != MMARML_OK)
        return rc;
    if ((h = calloc(1, sizeof(*h))) == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    if ((rc = mmarml_handler_new(out, &vt, h)) != MMARML_OK)
        free(h);
    return rc;
}
