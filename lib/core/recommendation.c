/* Recommendation (id + values over a frozen space), recommendation lists and outcomes. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "internal.h"

struct mmarml_recommendation {
    mmarml__refcount ref;
    int64_t id;
    mmarml_search_space *space;
    size_t count;
    double values[]; /* one per param, NaN = unset */
};

struct mmarml_recommendation_list {
    mmarml__refcount ref;
    int frozen; /* read-only: append and clear refuse it */
    mmarml_recommendation **items;
    size_t count, cap;
};

struct mmarml_outcome {
    mmarml__refcount ref;
    mmarml_recommendation *rec;
    int status;
    double score;
    double *reports; /* step, value pairs; capacity: nreports rounded up to a power of 2 */
    size_t nreports;
    char job_name[]; /* one allocation with the outcome */
};

static int rec_alloc(mmarml_recommendation **out, int64_t id, mmarml_search_space *space)
{
    size_t n = mmarml_search_space_count(space);
    mmarml_recommendation *rec;
    size_t i;

    rec = malloc(sizeof(*rec) + n * sizeof(double));
    if (rec == NULL)
        return MMARML__NOMEM();
    mmarml__ref_init(&rec->ref);
    rec->id = id;
    rec->count = n;
    for (i = 0; i < n; i++)
        rec->values[i] = NAN;
    mmarml_search_space_freeze(space);
    rec->space = mmarml_search_space_ref(space);
    *out = rec;
    return MMARML_OK;
}

int mmarml_recommendation_new(mmarml_recommendation **out, int64_t id,
                              mmarml_search_space *space, const double *values, size_t count)
{
    mmarml_recommendation *rec;
    size_t i;
    int rc;

    if (out == NULL)
        return MMARML__NULLARG("out");
    *out = NULL;
    if (space == NULL)
        return MMARML__NULLARG("space");
    if (count != mmarml_search_space_count(space))
        return mmarml_error_set(MMARML_EINVAL,
                                "recommendation %lld has %zu values, the space has %zu params",
                                (long long)id, count, mmarml_search_space_count(space));
    if (count > 0 && values == NULL)
        return MMARML__NULLARG("values");
    for (i = 0; i < count; i++) {
        if (isnan(values[i]))
            continue;
        rc = mmarml_param_check_value(mmarml_search_space_param(space, i), values[i]);
        if (rc != MMARML_OK)
            return rc;
    }
    rc = rec_alloc(&rec, id, space);
    if (rc != MMARML_OK)
        return rc;
    if (count > 0)
        memcpy(rec->values, values, count * sizeof(double));
    *out = rec;
    return MMARML_OK;
}

int mmarml_recommendation_from_json(mmarml_recommendation **out, mmarml_search_space *space,
                                    const json_t *json)
{
    const json_t *values = json, *jid;
    mmarml_recommendation *rec;
    int64_t id = 0;
    const char *prl;
    json_t *v;
    int rc;

    if (out == NULL)
        return MMARML__NULLARG("out");
    *out = NULL;
    if (space == NULL)
        return MMARML__NULLARG("space");
    if (!json_is_object(json))
        return mmarml_error_set(MMARML_EINVAL, "recommendation JSON: must be an object");
    jid = json_object_get(json, "rec_id");
    if (jid != NULL) {
        if (!json_is_integer(jid))
            return mmarml_error_set(MMARML_EINVAL, "rec_id: must be an integer");
        id = json_integer_value(jid);
        values = json_object_get(json, "values");
        if (!json_is_object(values))
            return mmarml_error_set(MMARML_EINVAL, "values: %s",
                                    values == NULL ? "missing" : "must be an object");
    }
    rc = rec_alloc(&rec, id, space);
    if (rc != MMARML_OK)
        return rc;
    json_object_foreach((json_t *)values, prl, v)
    {
        size_t idx;
        const mmarml_param *p = mmarml_search_space_find(space, prl, &idx);
        if (p == NULL) {
            rc = mmarml_error_set(MMARML_EINVAL, "values.%s: no such param in search space "
                                  "'%s'", prl, mmarml_search_space_name(space));
            break;
        }
        if (!json_is_number(v)) {
            rc = mmarml_error_set(MMARML_EINVAL, "values.%s: must be a number", prl);
            break;
        }
        if ((rc = mmarml_param_check_value(p, json_number_value(v))) != MMARML_OK) {
            char *msg = mmarml__strdup(mmarml_error_message());
            mmarml_error_set(rc, "values.%s: %s", prl, msg ? msg : "out of range");
            free(msg);
            break;
        }
        rec->values[idx] = json_number_value(v);
    }
    if (rc != MMARML_OK) {
        mmarml_recommendation_unref(rec);
        return rc;
    }
    *out = rec;
    return MMARML_OK;
}

mmarml_recommendation *mmarml_recommendation_ref(mmarml_recommendation *rec)
{
    if (rec != NULL)
        mmarml__ref_inc(&rec->ref);
    return rec;
}

mmarml_recommendation *mmarml_recommendation_unref(mmarml_recommendation *rec)
{
    if (rec != NULL && mmarml__ref_dec(&rec->ref)) {
        mmarml_search_space_unref(rec->space);
        free(rec);
    }
    return NULL;
}

int64_t mmarml_recommendation_id(const mmarml_recommendation *rec)
{
    return rec != NULL ? rec->id : -1;
}

mmarml_search_space *mmarml_recommendation_space(const mmarml_recommendation *rec)
{
    return rec != NULL ? rec->space : NULL;
}

const double *mmarml_recommendation_values(const mmarml_recommendation *rec)
{
    return rec != NULL ? rec->values : NULL;
}

int mmarml_recommendation_get(const mmarml_recommendation *rec, const char *prl, double *out)
{
    size_t idx;

    if (rec == NULL || prl == NULL || out == NULL)
        return MMARML__NULLARG(rec == NULL ? "rec" : prl == NULL ? "prl" : "out");
    if (mmarml_search_space_find(rec->space, prl, &idx) == NULL)
        return MMARML_ENOTFOUND;
    if (isnan(rec->values[idx]))
        return mmarml_error_set(MMARML_ENOTFOUND, "recommendation %lld leaves '%s' unset",
                                (long long)rec->id, prl);
    *out = rec->values[idx];
    return MMARML_OK;
}

int mmarml_recommendation_to_json(json_t **out, const mmarml_recommendation *rec)
{
    json_t *root, *values;
    size_t i;

    if (out == NULL || rec == NULL)
        return MMARML__NULLARG(out == NULL ? "out" : "rec");
    *out = NULL;
    values = json_object();
    root = json_pack("{s:I, s:o}", "rec_id", (json_int_t)rec->id, "values", values);
    if (root == NULL)
        return MMARML__NOMEM();
    for (i = 0; i < rec->count; i++) {
        const mmarml_param *p = mmarml_search_space_param(rec->space, i);
        double v = rec->values[i];
        json_t *jv;
        if (isnan(v))
            continue;
        jv = mmarml_param_type(p) == MMARML_PARAM_FLOAT ? json_real(v)
                                                        : json_integer((json_int_t)v);
        if (json_object_set_new(values, mmarml_param_prl(p), jv) != 0) {
            json_decref(root);
            return MMARML__NOMEM();
        }
    }
    *out = root;
    return MMARML_OK;
}

/* ---- lists ---- */

int mmarml_recommendation_list_new(mmarml_recommendation_list **out)
{
    if (out == NULL)
        return MMARML__NULLARG("out");
    *out = calloc(1, sizeof(**out));
    if (*out == NULL)
        return MMARML__NOMEM();
    mmarml__ref_init(&(*out)->ref);
    return MMARML_OK;
}

mmarml_recommendation_list *mmarml__recommendation_list_share(mmarml_recommendation_list *list)
{
    if (list != NULL)
        mmarml__ref_inc(&list->ref);
    return list;
}

void mmarml__recommendation_list_freeze(mmarml_recommendation_list *list)
{
    list->frozen = 1;
}

static void drop_items(mmarml_recommendation_list *list)
{
    size_t i;

    for (i = 0; i < list->count; i++)
        mmarml_recommendation_unref(list->items[i]);
    list->count = 0;
}

void mmarml_recommendation_list_clear(mmarml_recommendation_list *list)
{
    if (list == NULL)
        return;
    if (list->frozen) {
        mmarml_error_set(MMARML_EINVAL, "mmarml_recommendation_list_clear: the list is "
                         "read-only (a job context's _recommendations, which jobs share)");
        return;
    }
    drop_items(list);
}

void mmarml_recommendation_list_free(mmarml_recommendation_list *list)
{
    if (list == NULL || !mmarml__ref_dec(&list->ref))
        return;
    drop_items(list);
    free(list->items);
    free(list);
}

int mmarml_recommendation_list_append(mmarml_recommendation_list *list,
                                      mmarml_recommendation *rec)
{
    if (list == NULL || rec == NULL)
        return MMARML__NULLARG(list == NULL ? "list" : "rec");
    if (list->frozen)
        return mmarml_error_set(MMARML_EINVAL, "mmarml_recommendation_list_append: the list "
                                "is read-only (a job context's _recommendations, which jobs "
                                "share)");
    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 8;
        mmarml_recommendation **items = realloc(list->items, cap * sizeof(*items));
        if (items == NULL)
            return MMARML__NOMEM();
        list->items = items;
        list->cap = cap;
    }
    list->items[list->count++] = mmarml_recommendation_ref(rec);
    return MMARML_OK;
}

size_t mmarml_recommendation_list_count(const mmarml_recommendation_list *list)
{
    return list != NULL ? list->count : 0;
}

mmarml_recommendation *mmarml_recommendation_list_get(const mmarml_recommendation_list *list,
                                                      size_t i)
{
    return list != NULL && i < list->count ? list->items[i] : NULL;
}

/* ---- outcomes ---- */

static const char *const status_names[] = {"ok", "failed", "no_score", "aborted", "timeout",
                                           "error", "pruned"};
#define NSTATUS (sizeof(status_names) / sizeof(status_names[0]))

const char *mmarml_job_status_name(int status)
{
    return status >= 0 && (size_t)status < NSTATUS ? status_names[status] : "unknown";
}

int mmarml_job_status_from_name(const char *name)
{
    size_t i;

    for (i = 0; name != NULL && i < NSTATUS; i++)
        if (strcmp(name, status_names[i]) == 0)
            return (int)i;
    return mmarml_error_set(MMARML_EINVAL, "unknown job status '%s'", name ? name : "(null)");
}

int mmarml_outcome_new(mmarml_outcome **out, mmarml_recommendation *rec, int status,
                       double score, const char *job_name)
{
    mmarml_outcome *o;
    size_t n;

    if (out == NULL || rec == NULL)
        return MMARML__NULLARG(out == NULL ? "out" : "rec");
    *out = NULL;
    if (status < 0 || (size_t)status >= NSTATUS)
        return mmarml_error_set(MMARML_EINVAL, "unknown job status %d", status);
    if (status == MMARML_JOB_OK && !isfinite(score))
        return mmarml_error_set(MMARML_EINVAL, "an ok outcome needs a finite score");
    if (job_name == NULL)
        job_name = "";
    n = strlen(job_name) + 1;
    o = malloc(sizeof(*o) + n);
    if (o == NULL)
        return MMARML__NOMEM();
    memcpy(o->job_name, job_name, n);
    mmarml__ref_init(&o->ref);
    o->rec = mmarml_recommendation_ref(rec);
    o->status = status;
    o->score = status == MMARML_JOB_OK || status == MMARML_JOB_PRUNED ? score : NAN;
    o->reports = NULL;
    o->nreports = 0;
    *out = o;
    return MMARML_OK;
}

mmarml_outcome *mmarml_outcome_ref(mmarml_outcome *o)
{
    if (o != NULL)
        mmarml__ref_inc(&o->ref);
    return o;
}

mmarml_outcome *mmarml_outcome_unref(mmarml_outcome *o)
{
    if (o != NULL && mmarml__ref_dec(&o->ref)) {
        mmarml_recommendation_unref(o->rec);
        free(o->reports);
        free(o);
    }
    return NULL;
}

mmarml_recommendation *mmarml_outcome_recommendation(const mmarml_outcome *o)
{
    return o != NULL ? o->rec : NULL;
}

int mmarml_outcome_status(const mmarml_outcome *o)
{
    return o != NULL ? o->status : MMARML_JOB_ERROR;
}

int mmarml_outcome_score(const mmarml_outcome *o, double *out)
{
    if (o == NULL || out == NULL)
        return MMARML__NULLARG(o == NULL ? "outcome" : "out");
    if (o->status != MMARML_JOB_OK)
        return mmarml_error_set(MMARML_ENOTFOUND, "job '%s' has no score (status %s)",
                                o->job_name, mmarml_job_status_name(o->status));
    *out = o->score;
    return MMARML_OK;
}

const char *mmarml_outcome_job_name(const mmarml_outcome *o)
{
    return o != NULL ? o->job_name : "";
}

int mmarml_outcome_value(const mmarml_outcome *o, double *out)
{
    if (o == NULL || out == NULL)
        return MMARML__NULLARG(o == NULL ? "outcome" : "out");
    if ((o->status != MMARML_JOB_OK && o->status != MMARML_JOB_PRUNED) || !isfinite(o->score))
        return mmarml_error_set(MMARML_ENOTFOUND, "job '%s' has no value (status %s)",
                                o->job_name, mmarml_job_status_name(o->status));
    *out = o->score;
    return MMARML_OK;
}

int mmarml_outcome_add_report(mmarml_outcome *o, double step, double value)
{
    double *more;

    if (o == NULL)
        return MMARML__NULLARG("outcome");
    if (!isfinite(step) || !isfinite(value))
        return mmarml_error_set(MMARML_EINVAL, "a report needs a finite step and value");
    if ((o->nreports & (o->nreports - 1)) == 0) { /* 0, 1, 2, 4, ...: grow to the double */
        more = realloc(o->reports, 2 * (o->nreports ? 2 * o->nreports : 1) * sizeof(*more));
        if (more == NULL)
            return MMARML__NOMEM();
        o->reports = more;
    }
    o->reports[2 * o->nreports] = step;
    o->reports[2 * o->nreports + 1] = value;
    o->nreports++;
    return MMARML_OK;
}

size_t mmarml_outcome_report_count(const mmarml_outcome *o)
{
    return o != NULL ? o->nreports : 0;
}

int mmarml_outcome_report(const mmarml_outcome *o, size_t i, double *step, double *value)
{
    if (o == NULL || i >= o->nreports)
        return mmarml_error_set(MMARML_ENOTFOUND, "no report %zu", i);
    if (step != NULL)
        *step = o->reports[2 * i];
    if (value != NULL)
        *value = o->reports[2 * i + 1];
    return MMARML_OK;
}
