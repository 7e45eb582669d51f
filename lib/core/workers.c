/* Clara's workers string: specs separated by ':', each a comma list of GPU ids, or "-" for a
 * worker without GPUs (a slot for a cluster executor: "-:-:-:-" is four). */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "internal.h"

void mmarml__free_workers(char **gpus, size_t count)
{
    size_t i;

    for (i = 0; gpus != NULL && i < count; i++)
        free(gpus[i]);
    free(gpus);
}

/* Check one spec "0,1" at spec[start..end): digits separated by single commas. */
static int check_spec(const char *spec, size_t start, size_t end)
{
    size_t i;
    int need_digit = 1;

    if (end == start + 1 && spec[start] == '-')
        return MMARML_OK;
    if (start == end)
        return mmarml_error_set(MMARML_EINVAL,
                                "workers '%s': empty worker spec at position %zu", spec,
                                start + 1);
    for (i = start; i < end; i++) {
        if (isdigit((unsigned char)spec[i])) {
            need_digit = 0;
        } else if (spec[i] == ',' && !need_digit) {
            need_digit = 1;
        } else {
            return mmarml_error_set(MMARML_EINVAL,
                                    "workers '%s': unexpected '%c' at position %zu (expected "
                                    "GPU ids like 0:0:1:1 or 0,1:2,3)",
                                    spec, spec[i], i + 1);
        }
    }
    if (need_digit)
        return mmarml_error_set(MMARML_EINVAL, "workers '%s': GPU list ends with ',' at "
                                "position %zu", spec, end);
    return MMARML_OK;
}

int mmarml__parse_workers(char ***gpus_out, size_t *count_out, const char *spec)
{
    size_t n = 1, i, start = 0, w = 0, len;
    char **gpus;
    int rc;

    *gpus_out = NULL;
    *count_out = 0;
    if (spec == NULL || *spec == '\0') {
        gpus = calloc(1, sizeof(*gpus));
        if (gpus == NULL || (gpus[0] = mmarml__strdup("")) == NULL) {
            free(gpus);
            return MMARML__NOMEM();
        }
        *gpus_out = gpus;
        *count_out = 1;
        return MMARML_OK;
    }
    len = strlen(spec);
    for (i = 0; i < len; i++)
        n += spec[i] == ':';
    gpus = calloc(n, sizeof(*gpus));
    if (gpus == NULL)
        return MMARML__NOMEM();
    for (i = 0; i <= len; i++) {
        if (spec[i] != ':' && spec[i] != '\0')
            continue;
        rc = check_spec(spec, start, i);
        if (rc == MMARML_OK && (gpus[w] = malloc(i - start + 1)) == NULL)
            rc = MMARML__NOMEM();
        if (rc != MMARML_OK) {
            mmarml__free_workers(gpus, n);
            return rc;
        }
        memcpy(gpus[w], spec + start, i - start);
        gpus[w][i - start] = '\0';
        if (strcmp(gpus[w], "-") == 0)
            gpus[w][0] = '\0';
        w++;
        start = i + 1;
    }
    *gpus_out = gpus;
    *count_out = n;
    return MMARML_OK;
}
