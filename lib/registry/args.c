/* Reading component args from JSON, with messages naming the component and the key. */
#include "config.h"

#include <string.h>

#include "mmarml.h"

int mmarml_args_check(const json_t *args, const char *component, const char *const *allowed)
{
    const char *key;
    json_t *value;

    if (args == NULL)
        return MMARML_OK;
    if (!json_is_object(args))
        return mmarml_error_set(MMARML_EINVAL, "%s: args must be an object", component);
    json_object_foreach((json_t *)args, key, value)
    {
        const char *const *a;
        int known = 0;
        for (a = allowed; a != NULL && *a != NULL && !known; a++)
            known = strcmp(*a, key) == 0;
        if (!known)
            return mmarml_error_set(MMARML_EINVAL, "%s: unknown arg '%s'", component, key);
    }
    return MMARML_OK;
}

static const json_t *arg(const json_t *args, const char *key)
{
    return json_is_object(args) ? json_object_get(args, key) : NULL;
}

int mmarml_args_get_int(const json_t *args, const char *component, const char *key,
                        int64_t def, int64_t *out)
{
    const json_t *v = arg(args, key);

    if (v == NULL) {
        *out = def;
        return MMARML_OK;
    }
    if (!json_is_integer(v))
        return mmarml_error_set(MMARML_EINVAL, "%s: arg '%s' must be an integer", component,
                                key);
    *out = json_integer_value(v);
    return MMARML_OK;
}

int mmarml_args_get_double(const json_t *args, const char *component, const char *key,
                           double def, double *out)
{
    const json_t *v = arg(args, key);

    if (v == NULL) {
        *out = def;
        return MMARML_OK;
    }
    if (!json_is_number(v))
        return mmarml_error_set(MMARML_EINVAL, "%s: arg '%s' must be a number", component, key);
    *out = json_number_value(v);
    return MMARML_OK;
}

int mmarml_args_get_bool(const json_t *args, const char *component, const char *key, int def,
                         int *out)
{
    const json_t *v = arg(args, key);

    if (v == NULL) {
        *out = def;
        return MMARML_OK;
    }
    if (!json_is_boolean(v))
        return mmarml_error_set(MMARML_EINVAL, "%s: arg '%s' must be true or false", component,
                                key);
    *out = json_is_true(v);
    return MMARML_OK;
}

int mmarml_args_get_string(const json_t *args, const char *component, const char *key,
                           const char *def, const char **out)
{
    const json_t *v = arg(args, key);

    if (v == NULL) {
        *out = def;
        return MMARML_OK;
    }
    if (!json_is_string(v))
        return mmarml_error_set(MMARML_EINVAL, "%s: arg '%s' must be a string", component, key);
    *out = json_string_value(v);
    return MMARML_OK;
}
