/* SearchSpace: ordered params with ranges, frozen before it is shared. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "strmap.h"

struct mmarml_param {
    char *prl;
    char *domain;
    int type;
    uint32_t flags;
    double min, max;
    json_t *choices; /* enum only */
};

struct mmarml_search_space {
    mmarml__refcount ref;
    char *name;
    mmarml_param *params;
    size_t count, cap;
    mmarml__strmap index; /* PRL -> position, kept current while building */
    int frozen; /* atomic: recommendations freeze a space from any thread */
};

int mmarml_search_space_new(mmarml_search_space **out, const char *name)
{
    mmarml_search_space *s;

    if (out == NULL)
        return MMARML__NULLARG("out");
    *out = NULL;
    s = calloc(1, sizeof(*s));
    if (s == NULL || (s->name = mmarml__strdup(name ? name : "")) == NULL) {
        free(s);
        return MMARML__NOMEM();
    }
    mmarml__ref_init(&s->ref);
    mmarml__strmap_init(&s->index);
    *out = s;
    return MMARML_OK;
}

mmarml_search_space *mmarml_search_space_ref(mmarml_search_space *space)
{
    if (space != NULL)
        mmarml__ref_inc(&space->ref);
    return space;
}

mmarml_search_space *mmarml_search_space_unref(mmarml_search_space *space)
{
    size_t i;

    if (space == NULL || !mmarml__ref_dec(&space->ref))
        return NULL;
    for (i = 0; i < space->count; i++) {
        free(space->params[i].prl);
        free(space->params[i].domain);
        json_decref(space->params[i].choices);
    }
    free(space->params);
    mmarml__strmap_free(&space->index);
    free(space->name);
    free(space);
    return NULL;
}

/* Checks common to every add; reserves room for one more param. */
static int add_check(mmarml_search_space *s, const char *prl, const char *domain)
{
    if (s == NULL)
        return MMARML__NULLARG("space");
    if (prl == NULL || *prl == '\0')
        return mmarml_error_set(MMARML_EINVAL, "search space '%s': a param has an empty PRL",
                                s->name);
    if (domain == NULL || *domain == '\0')
        return mmarml_error_set(MMARML_EINVAL, "search space '%s': param '%s' has no domain",
                                s->name, prl);
    if (__atomic_load_n(&s->frozen, __ATOMIC_ACQUIRE))
        return mmarml_error_set(MMARML_EMISUSE,
                                "search space '%s' is frozen: cannot add param '%s'", s->name,
                                prl);
    if (mmarml__strmap_get(&s->index, prl, NULL))
        return mmarml_error_set(MMARML_EINVAL, "search space '%s': duplicate PRL '%s'", s->name,
                                prl);
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        mmarml_param *p = realloc(s->params, cap * sizeof(*p));
        if (p == NULL)
            return MMARML__NOMEM();
        /* the index points at the PRL strings, which do not move */
        s->params = p;
        s->cap = cap;
    }
    return MMARML_OK;
}

static int add_param(mmarml_search_space *s, const char *prl, const char *domain, int type,
                     uint32_t flags, double min, double max, json_t *choices)
{
    mmarml_param *p = &s->params[s->count];

    memset(p, 0, sizeof(*p));
    p->prl = mmarml__strdup(prl);
    p->domain = mmarml__strdup(domain);
    if (p->prl == NULL || p->domain == NULL ||
        mmarml__strmap_put(&s->index, p->prl, s->count) != 0) {
        free(p->prl);
        free(p->domain);
        return MMARML__NOMEM();
    }
    p->type = type;
    p->flags = flags;
    p->min = min;
    p->max = max;
    p->choices = choices;
    s->count++;
    return MMARML_OK;
}

static int check_bounds(const mmarml_search_space *s, const char *prl, double min, double max,
                        uint32_t flags)
{
    if (flags & ~MMARML_PARAM_F_LOG)
        return mmarml_error_set(MMARML_EINVAL, "param '%s': unknown flags 0x%x", prl,
                                (unsigned)flags);
    if (!isfinite(min) || !isfinite(max))
        return mmarml_error_set(MMARML_EINVAL, "param '%s': bounds must be finite numbers",
                                prl);
    if (min > max)
        return mmarml_error_set(MMARML_EINVAL, "param '%s': min %g is greater than max %g", prl,
                                min, max);
    if ((flags & MMARML_PARAM_F_LOG) && min <= 0)
        return mmarml_error_set(MMARML_EINVAL,
                                "param '%s': log scale needs min > 0 (min is %g)", prl, min);
    /* a controller samples min + u * (max - min): the width must be a double too */
    if (!(flags & MMARML_PARAM_F_LOG) && !isfinite(max - min))
        return mmarml_error_set(MMARML_EINVAL, "param '%s': the range [%g, %g] is wider than a "
                                "double holds (max - min overflows)", prl, min, max);
    (void)s;
    return MMARML_OK;
}

int mmarml_search_space_add_float(mmarml_search_space *space, const char *prl,
                                  const char *domain, double min, double max, uint32_t flags)
{
    int rc = add_check(space, prl, domain);

    if (rc == MMARML_OK)
        rc = check_bounds(space, prl, min, max, flags);
    if (rc == MMARML_OK)
        rc = add_param(space, prl, domain, MMARML_PARAM_FLOAT, flags, min, max, NULL);
    return rc;
}

int mmarml_search_space_add_int(mmarml_search_space *space, const char *prl,
                                const char *domain, int64_t min, int64_t max, uint32_t flags)
{
    const int64_t limit = (int64_t)1 << 53; /* exactly representable as double */
    int rc = add_check(space, prl, domain);

    if (rc == MMARML_OK && (min < -limit || max > limit))
        rc = mmarml_error_set(MMARML_EINVAL, "param '%s': int bounds must be within +-2^53",
                              prl);
    if (rc == MMARML_OK)
        rc = check_bounds(space, prl, (double)min, (double)max, flags);
    if (rc == MMARML_OK)
        rc = add_param(space, prl, domain, MMARML_PARAM_INT, flags, (double)min, (double)max,
                       NULL);
    return rc;
}

int mmarml_search_space_add_enum(mmarml_search_space *space, const char *prl,
                                 const char *domain, const json_t *choices)
{
    json_t *copy;
    int rc = add_check(space, prl, domain);

    if (rc != MMARML_OK)
        return rc;
    if (!json_is_array(choices) || json_array_size(choices) == 0)
        return mmarml_error_set(MMARML_EINVAL, "param '%s': enum choices must be a non-empty "
                                "array", prl);
    copy = json_deep_copy(choices);
    if (copy == NULL)
        return MMARML__NOMEM();
    rc = add_param(space, prl, domain, MMARML_PARAM_ENUM, 0, 0,
                   (double)(json_array_size(choices) - 1), copy);
    if (rc != MMARML_OK)
        json_decref(copy);
    return rc;
}

int mmarml_search_space_freeze(mmarml_search_space *space)
{
    if (space == NULL)
        return MMARML__NULLARG("space");
    /* written once: many threads may make recommendations over one frozen space at once */
    if (!__atomic_load_n(&space->frozen, __ATOMIC_ACQUIRE))
        __atomic_store_n(&space->frozen, 1, __ATOMIC_RELEASE);
    return MMARML_OK;
}

int mmarml_search_space_is_frozen(const mmarml_search_space *space)
{
    return space != NULL && __atomic_load_n(&space->frozen, __ATOMIC_ACQUIRE);
}

const char *mmarml_search_space_name(const mmarml_search_space *space)
{
    return space != NULL ? space->name : "";
}

size_t mmarml_search_space_count(const mmarml_search_space *space)
{
    return space != NULL ? space->count : 0;
}

const mmarml_param *mmarml_search_space_param(const mmarml_search_space *space, size_t index)
{
    if (space == NULL || index >= space->count)
        return NULL;
    return &space->params[index];
}

const mmarml_param *mmarml_search_space_find(const mmarml_search_space *space, const char *prl,
                                             size_t *index_out)
{
    size_t i;

    if (space == NULL || prl == NULL) {
        MMARML__NULLARG(space == NULL ? "space" : "prl");
        return NULL;
    }
    if (!mmarml__strmap_get(&space->index, prl, &i)) {
        mmarml_error_set(MMARML_ENOTFOUND, "search space '%s' has no param '%s'", space->name,
                         prl);
        return NULL;
    }
    if (index_out != NULL)
        *index_out = i;
    return &space->params[i];
}

const char *mmarml_param_prl(const mmarml_param *p) { return p ? p->prl : ""; }
const char *mmarml_param_domain(const mmarml_param *p) { return p ? p->domain : ""; }
int mmarml_param_type(const mmarml_param *p) { return p ? p->type : 0; }
uint32_t mmarml_param_flags(const mmarml_param *p) { return p ? p->flags : 0; }
double mmarml_param_min(const mmarml_param *p) { return p ? p->min : NAN; }
double mmarml_param_max(const mmarml_param *p) { return p ? p->max : NAN; }
const json_t *mmarml_param_choices(const mmarml_param *p) { return p ? p->choices : NULL; }

const char *mmarml_param_type_name(const mmarml_param *p)
{
    switch (p ? p->type : 0) {
    case MMARML_PARAM_FLOAT:
        return "float";
    case MMARML_PARAM_INT:
        return "int";
    case MMARML_PARAM_ENUM:
        return "enum";
    default:
        return "unknown";
    }
}

size_t mmarml_param_range_count(const mmarml_param *p)
{
    if (p == NULL)
        return 0;
    return p->type == MMARML_PARAM_ENUM ? json_array_size(p->choices) : 1;
}

int mmarml_param_range(const mmarml_param *p, size_t i, double *min_out, double *max_out)
{
    if (p == NULL || i >= mmarml_param_range_count(p))
        return mmarml_error_set(MMARML_EINVAL, "param range %zu does not exist", i);
    if (p->type == MMARML_PARAM_ENUM) {
        if (min_out)
            *min_out = (double)i;
        if (max_out)
            *max_out = (double)i;
    } else {
        if (min_out)
            *min_out = p->min;
        if (max_out)
            *max_out = p->max;
    }
    return MMARML_OK;
}

int mmarml_param_check_value(const mmarml_param *p, double value)
{
    if (p == NULL)
        return MMARML__NULLARG("param");
    if (!isfinite(value))
        return mmarml_error_set(MMARML_EINVAL, "param '%s': value is not a finite number",
                                p->prl);
    if (p->type != MMARML_PARAM_FLOAT && value != floor(value))
        return mmarml_error_set(MMARML_EINVAL, "param '%s': %s value %g is not an integer",
                                p->prl, mmarml_param_type_name(p), value);
    if (value < p->min || value > p->max) {
        if (p->type == MMARML_PARAM_ENUM)
            return mmarml_error_set(MMARML_EINVAL,
                                    "param '%s': choice index %g is outside 0..%g", p->prl,
                                    value, p->max);
        return mmarml_error_set(MMARML_EINVAL, "param '%s': value %g is outside [%g, %g]",
                                p->prl, value, p->min, p->max);
    }
    return MMARML_OK;
}

int mmarml_param_from_unit(const mmarml_param *p, double u, double *value)
{
    double v;

    if (p == NULL || value == NULL)
        return MMARML__NULLARG(p == NULL ? "param" : "value");
    if (isnan(u))
        return mmarml_error_set(MMARML_EINVAL, "param '%s': the unit point is NaN", p->prl);
    u = u < 0 ? 0 : u > 1 ? 1 : u;
    if (p->type == MMARML_PARAM_ENUM) {
        v = floor(u * (p->max + 1));
    } else if (p->flags & MMARML_PARAM_F_LOG) {
        v = exp(log(p->min) + u * (log(p->max) - log(p->min)));
    } else {
        v = p->min + u * (p->max - p->min);
    }
    if (p->type != MMARML_PARAM_FLOAT && p->type != MMARML_PARAM_ENUM)
        v = floor(v + 0.5);
    *value = v < p->min ? p->min : v > p->max ? p->max : v;
    return MMARML_OK;
}

int mmarml_param_to_unit(const mmarml_param *p, double value, double *u)
{
    int rc;

    if (p == NULL || u == NULL)
        return MMARML__NULLARG(p == NULL ? "param" : "u");
    if ((rc = mmarml_param_check_value(p, value)) != MMARML_OK)
        return rc;
    if (p->type == MMARML_PARAM_ENUM)
        *u = (value + 0.5) / (p->max + 1);
    else if (p->max <= p->min)
        *u = 0.5;
    else if (p->flags & MMARML_PARAM_F_LOG)
        *u = (log(value) - log(p->min)) / (log(p->max) - log(p->min));
    else
        *u = (value - p->min) / (p->max - p->min);
    *u = *u < 0 ? 0 : *u > 1 ? 1 : *u;
    return MMARML_OK;
}

int mmarml_search_space_to_json(json_t **out, const mmarml_search_space *space)
{
    json_t *root, *params;
    size_t i;

    if (out == NULL || space == NULL)
        return MMARML__NULLARG(out == NULL ? "out" : "space");
    *out = NULL;
    root = json_object();
    params = json_array();
    if (root == NULL || params == NULL || json_object_set_new(root, "name",
                                                              json_string(space->name)) ||
        json_object_set(root, "params", params))
        goto nomem;
    for (i = 0; i < space->count; i++) {
        const mmarml_param *p = &space->params[i];
        json_t *o = json_pack("{s:s, s:s, s:s}", "prl", p->prl, "domain", p->domain, "type",
                              mmarml_param_type_name(p));
        int bad = o == NULL;
        if (!bad && p->type == MMARML_PARAM_ENUM) {
            bad = json_object_set(o, "choices", p->choices) != 0;
        } else if (!bad) {
            json_t *lo = p->type == MMARML_PARAM_INT ? json_integer((json_int_t)p->min)
                                                     : json_real(p->min);
            json_t *hi = p->type == MMARML_PARAM_INT ? json_integer((json_int_t)p->max)
                                                     : json_real(p->max);
            bad = json_object_set_new(o, "min", lo) || json_object_set_new(o, "max", hi) ||
                  json_object_set_new(o, "scale", json_string(p->flags & MMARML_PARAM_F_LOG
                                                                  ? "log"
                                                                  : "linear"));
        }
        if (bad || json_array_append_new(params, o)) {
            if (!bad)
                o = NULL;
            json_decref(o);
            goto nomem;
        }
    }
    json_decref(params);
    *out = root;
    return MMARML_OK;
nomem:
    json_decref(params);
    json_decref(root);
    return MMARML__NOMEM();
}

/* Read a number member of params[i]; integers accepted. */
static int json_param_number(const json_t *o, size_t i, const char *key, double *out)
{
    json_t *v = json_object_get(o, key);

    if (!json_is_number(v))
        return mmarml_error_set(MMARML_EINVAL, "params[%zu].%s: %s", i, key,
                                v == NULL ? "missing" : "must be a number");
    *out = json_number_value(v);
    return MMARML_OK;
}

static int add_from_json(mmarml_search_space *s, const json_t *o, size_t i)
{
    const char *prl, *domain, *type, *scale = "linear";
    json_t *jscale = json_object_get(o, "scale");
    uint32_t flags = 0;
    double min, max;
    int rc;

    if (!json_is_object(o))
        return mmarml_error_set(MMARML_EINVAL, "params[%zu]: must be an object", i);
    prl = json_string_value(json_object_get(o, "prl"));
    domain = json_string_value(json_object_get(o, "domain"));
    type = json_string_value(json_object_get(o, "type"));
    if (prl == NULL)
        return mmarml_error_set(MMARML_EINVAL, "params[%zu].prl: missing or not a string", i);
    if (domain == NULL)
        return mmarml_error_set(MMARML_EINVAL, "params[%zu].domain: missing or not a string", i);
    if (type == NULL)
        return mmarml_error_set(MMARML_EINVAL, "params[%zu].type: missing or not a string", i);
    if (strcmp(type, "enum") == 0) {
        rc = mmarml_search_space_add_enum(s, prl, domain, json_object_get(o, "choices"));
        goto done;
    }
    if (strcmp(type, "float") != 0 && strcmp(type, "int") != 0)
        return mmarml_error_set(MMARML_EINVAL,
                                "params[%zu].type: unknown type '%s' (float, int or enum)", i,
                                type);
    if (jscale != NULL && (scale = json_string_value(jscale)) == NULL)
        return mmarml_error_set(MMARML_EINVAL, "params[%zu].scale: must be a string", i);
    if (strcmp(scale, "log") == 0)
        flags = MMARML_PARAM_F_LOG;
    else if (strcmp(scale, "linear") != 0)
        return mmarml_error_set(MMARML_EINVAL,
                                "params[%zu].scale: unknown scale '%s' (linear or log)", i,
                                scale);
    if ((rc = json_param_number(o, i, "min", &min)) != MMARML_OK ||
        (rc = json_param_number(o, i, "max", &max)) != MMARML_OK)
        return rc;
    if (type[0] == 'i') {
        if (min != floor(min) || max != floor(max))
            return mmarml_error_set(MMARML_EINVAL, "params[%zu]: int bounds must be integers",
                                    i);
        rc = mmarml_search_space_add_int(s, prl, domain, (int64_t)min, (int64_t)max, flags);
    } else {
        rc = mmarml_search_space_add_float(s, prl, domain, min, max, flags);
    }
done:
    if (rc != MMARML_OK) {
        /* prefix the JSON path to the add function's message */
        char *msg = mmarml__strdup(mmarml_error_message());
        mmarml_error_set(rc, "params[%zu]: %s", i, msg ? msg : "invalid");
        free(msg);
    }
    return rc;
}

int mmarml_search_space_from_json(mmarml_search_space **out, const json_t *json)
{
    mmarml_search_space *s;
    const json_t *params, *name;
    size_t i;
    int rc;

    if (out == NULL)
        return MMARML__NULLARG("out");
    *out = NULL;
    if (!json_is_object(json))
        return mmarml_error_set(MMARML_EINVAL, "search space JSON: must be an object");
    name = json_object_get(json, "name");
    params = json_object_get(json, "params");
    if (name != NULL && !json_is_string(name))
        return mmarml_error_set(MMARML_EINVAL, "name: must be a string");
    if (!json_is_array(params))
        return mmarml_error_set(MMARML_EINVAL, "params: %s",
                                params == NULL ? "missing" : "must be an array");
    rc = mmarml_search_space_new(&s, json_string_value(name));
    if (rc != MMARML_OK)
        return rc;
    for (i = 0; i < json_array_size(params); i++) {
        rc = add_from_json(s, json_array_get(params, i), i);
        if (rc != MMARML_OK) {
            mmarml_search_space_unref(s);
            return rc;
        }
    }
    mmarml_search_space_freeze(s);
    *out = s;
    return MMARML_OK;
}
