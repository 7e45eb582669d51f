/* Applying a recommendation: the job config and the concrete values (D4). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "space_internal.h"

/* Write `value` (stolen) to `target` of `obj`: "@attr" and first-level names set the
 * object's own key, other names its "args" member (created if missing). */
static int write_target(json_t *obj, const char *target, json_t *value, int own_key)
{
    json_t *args;

    if (!json_is_object(obj) || value == NULL) {
        json_decref(value);
        return -1;
    }
    if (target[0] == '@')
        return json_object_set_new(obj, target + 1, value);
    if (own_key)
        return json_object_set_new(obj, target, value);
    args = json_object_get(obj, "args");
    if (!json_is_object(args)) {
        args = json_object();
        if (args == NULL || json_object_set_new(obj, "args", args) != 0) {
            json_decref(value);
            return -1;
        }
    }
    return json_object_set_new(args, target, value);
}

/* The value an item writes to arg j for recommendation value v. */
static json_t *item_value(const space_item *it, double v, size_t j)
{
    switch (it->type) {
    case MMARML_PARAM_FLOAT:
        return json_real(v); /* exactly what the controller proposed (json_text.c) */
    case MMARML_PARAM_INT:
        return json_integer((json_int_t)v);
    default:
        return json_deep_copy(json_array_get(json_array_get(it->targets, (size_t)v), j));
    }
}

/* The recommendation's value for param i of the manager's space, by PRL unless the spaces
 * are the same object. NaN when unset. */
static double value_for(const mmarml_space_manager *m, const mmarml_recommendation *rec,
                        size_t i)
{
    const mmarml_param *p = mmarml_search_space_param(m->space, i);
    double v;

    if (mmarml_recommendation_space(rec) == m->space)
        return mmarml_recommendation_values(rec)[i];
    if (mmarml_search_space_find(mmarml_recommendation_space(rec), mmarml_param_prl(p), NULL) ==
            NULL ||
        mmarml_recommendation_get(rec, mmarml_param_prl(p), &v) != MMARML_OK)
        return NAN;
    return v;
}

static int apply_items(const mmarml_space_manager *m, const mmarml_recommendation *rec,
                       json_t *job, json_t *vars, json_t *concrete)
{
    size_t i, j;

    for (i = 0; i < m->nitems; i++) {
        const space_item *it = &m->items[i];
        const mmarml_param *p = mmarml_search_space_param(m->space, i);
        double v = value_for(m, rec, i);
        json_t *obj, *written = NULL;
        int rc;

        if (isnan(v))
            continue;
        if ((rc = mmarml_param_check_value(p, v)) != MMARML_OK)
            return rc;
        obj = it->first_level ? job : space_resolve(job, &it->where);
        if (concrete != NULL && ((written = json_array()) == NULL ||
                                 json_object_set_new(concrete, mmarml_param_prl(p), written)))
            return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", m->name);
        for (j = 0; j < it->nargs; j++) {
            json_t *value = item_value(it, v, j);
            const char *var = it->first_level && it->names[j][0] == '@' ? it->names[j] + 1
                                                                          : it->names[j];
            if (value == NULL ||
                (it->first_level && json_object_set(vars, var, value) != 0) ||
                (it->aliases[j] != NULL && json_object_set(vars, it->aliases[j], value) != 0) ||
                (written != NULL && json_array_append(written, value) != 0) ||
                write_target(obj, it->first_level ? var : it->names[j], value,
                             it->first_level) != 0)
                return mmarml_error_set(MMARML_ENOMEM, "%s: cannot write %s",
                                        m->name, mmarml_param_prl(p));
        }
    }
    return MMARML_OK;
}

static int apply_sites(const mmarml_space_manager *m, json_t *job, const json_t *vars,
                       uint32_t flags)
{
    size_t i;

    for (i = 0; i < m->nsites; i++) {
        const space_site *site = &m->sites[i];
        json_t *obj = space_resolve(job, &site->where), *var;
        const char *target;

        if (site->apply != NULL) {
            json_object_foreach((json_t *)site->apply, target, var)
            {
                json_t *value = json_object_get(vars, json_string_value(var));
                if (value != NULL &&
                    write_target(obj, target, json_deep_copy(value), site->where.count == 0))
                    return mmarml_error_set(MMARML_ENOMEM, "%s: cannot apply %s", m->name,
                                            target);
            }
        }
    }
    if (flags & MMARML_APPLY_F_REMOVE_SEARCH_AUGS) {
        for (i = 0; i < m->nsites; i++) {
            json_t *obj = space_resolve(job, &m->sites[i].where);
            json_object_del(obj, "search");
            json_object_del(obj, "apply");
            if (m->sites[i].where.count == 0)
                json_object_del(obj, "lr_search");
        }
    }
    return MMARML_OK;
}

int mmarml_space_manager_apply(json_t **job_config, json_t **concrete,
                               const mmarml_space_manager *m, const mmarml_recommendation *rec,
                               uint32_t flags)
{
    json_t *job = NULL, *vars = NULL, *conc = NULL;
    int rc;

    if (job_config == NULL || m == NULL || rec == NULL)
        return mmarml_error_set(MMARML_EINVAL, "mmarml_space_manager_apply: job_config, "
                                "manager and recommendation are required");
    *job_config = NULL;
    if (concrete != NULL)
        *concrete = NULL;
    if (flags & ~MMARML_APPLY_F_REMOVE_SEARCH_AUGS)
        return mmarml_error_set(MMARML_EINVAL, "unknown apply flags 0x%x", (unsigned)flags);
    job = json_deep_copy(m->config);
    vars = json_object();
    if (concrete != NULL)
        conc = json_object();
    if (job == NULL || vars == NULL || (concrete != NULL && conc == NULL))
        rc = mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", m->name);
    else if ((rc = apply_items(m, rec, job, vars, conc)) == MMARML_OK)
        rc = apply_sites(m, job, vars, flags);
    json_decref(vars);
    if (rc != MMARML_OK) {
        json_decref(job);
        json_decref(conc);
        return rc;
    }
    *job_config = job;
    if (concrete != NULL)
        *concrete = conc;
    return MMARML_OK;
}
