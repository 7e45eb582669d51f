/* Concrete values: a stable digest and a readable dump. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "space_internal.h"

/* Canonical form: sorted keys, compact, 17 significant digits for reals. */
#define CANONICAL (JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(17) | JSON_ENCODE_ANY)

int mmarml_concrete_digest(char **out, const json_t *concrete)
{
    uint64_t h = 1469598103934665603ULL;
    char *text, *p;

    if (out == NULL || concrete == NULL)
        return mmarml_error_set(MMARML_EINVAL, "mmarml_concrete_digest: NULL argument");
    *out = NULL;
    text = json_dumps(concrete, CANONICAL);
    if (text == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "cannot serialise concrete values");
    for (p = text; *p; p++) { /* FNV-1a, 64 bits */
        h ^= (unsigned char)*p;
        h *= 1099511628211ULL;
    }
    free(text);
    *out = malloc(17);
    if (*out == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "out of memory");
    snprintf(*out, 17, "%016llx", (unsigned long long)h);
    return MMARML_OK;
}

/* The arg names of a PRL: after the last unescaped ':', split at unescaped ','. */
static const char *prl_args(const char *prl)
{
    const char *p, *colon = NULL;

    for (p = prl; *p; p++) {
        if (*p == '\\' && p[1] != '\0')
            p++;
        else if (*p == ':')
            colon = p;
    }
    return colon != NULL ? colon + 1 : "";
}

int mmarml_concrete_dump(char **out, const json_t *concrete)
{
    space_buf b = {0};
    const char *prl;
    json_t *values;

    if (out == NULL || !json_is_object(concrete))
        return mmarml_error_set(MMARML_EINVAL, "mmarml_concrete_dump: needs a concrete object");
    *out = NULL;
    json_object_foreach((json_t *)concrete, prl, values)
    {
        const char *arg = prl_args(prl);
        size_t i;

        space_buf_puts(&b, prl);
        space_buf_puts(&b, " =>");
        for (i = 0; i < json_array_size(values); i++) {
            char *text = json_dumps(json_array_get(values, i), JSON_ENCODE_ANY | JSON_COMPACT);
            const char *end = arg;
            while (*end && *end != ',') /* names are unescaped up to an unescaped ',' */
                end += (*end == '\\' && end[1]) ? 2 : 1;
            space_buf_puts(&b, i > 0 ? ", " : " ");
            for (; arg < end; arg++)
                if (*arg != '\\' || arg + 1 == end)
                    space_buf_append(&b, arg, 1);
                else
                    space_buf_append(&b, ++arg, 1);
            arg = *end == ',' ? end + 1 : end;
            space_buf_append(&b, "=", 1);
            space_buf_puts(&b, text != NULL ? text : "?");
            free(text);
        }
        space_buf_append(&b, "\n", 1);
    }
    if (b.failed) {
        free(b.data);
        return mmarml_error_set(MMARML_ENOMEM, "out of memory");
    }
    *out = b.data != NULL ? b.data : strdup("");
    return *out != NULL ? MMARML_OK : mmarml_error_set(MMARML_ENOMEM, "out of memory");
}
