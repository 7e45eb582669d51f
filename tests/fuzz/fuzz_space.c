/*
 * Fuzz target: bytes -> JSON -> SearchSpaceManager (extraction), then for every space that
 * extracts: recommendations at the bounds and at a point picked from the input, applied with
 * and without removing the search augmentations, the concrete values digested and dumped,
 * and the space's JSON round trip. Any crash, sanitizer report or leak is a finding.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mmarml.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void apply_one(mmarml_space_manager *m, const double *values, size_t n, uint32_t flags)
{
    mmarml_recommendation *rec = NULL;
    json_t *job = NULL, *conc = NULL;
    char *text = NULL;

    if (mmarml_recommendation_new(&rec, 0, mmarml_space_manager_space(m), values, n) !=
        MMARML_OK)
        return;
    if (mmarml_space_manager_apply(&job, &conc, m, rec, flags) == MMARML_OK) {
        if (mmarml_concrete_digest(&text, conc) == MMARML_OK)
            mmarml_free(text);
        if (mmarml_concrete_dump(&text, conc) == MMARML_OK)
            mmarml_free(text);
        text = json_dumps(job, JSON_COMPACT);
        free(text);
    }
    json_decref(job);
    json_decref(conc);
    mmarml_recommendation_unref(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mmarml_space_manager *m = NULL;
    mmarml_search_space *back = NULL, *space;
    json_t *config, *sj = NULL;
    double *lo, *hi, *mid;
    size_t i, n;

    config = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (config == NULL)
        return 0;
    if (mmarml_space_manager_new(&m, config, "fuzz.json") != MMARML_OK) {
        json_decref(config);
        return 0;
    }
    space = mmarml_space_manager_space(m);
    n = mmarml_search_space_count(space);
    lo = calloc(n + 1, sizeof(double));
    hi = calloc(n + 1, sizeof(double));
    mid = calloc(n + 1, sizeof(double));
    for (i = 0; lo != NULL && hi != NULL && mid != NULL && i < n; i++) {
        const mmarml_param *p = mmarml_search_space_param(space, i);
        double a = mmarml_param_min(p), b = mmarml_param_max(p);
        double u = size > 0 ? data[i % size] / 255.0 : 0.5;
        lo[i] = a;
        hi[i] = b;
        mid[i] = mmarml_param_type(p) == MMARML_PARAM_FLOAT ? a + u * (b - a)
                                                              : floor(a + u * (b - a));
        if (i % 3 == 2)
            mid[i] = NAN; /* leave some params unset */
    }
    if (lo != NULL && hi != NULL && mid != NULL) {
        apply_one(m, lo, n, 0);
        apply_one(m, hi, n, MMARML_APPLY_F_REMOVE_SEARCH_AUGS);
        apply_one(m, mid, n, 0);
    }
    if (mmarml_search_space_to_json(&sj, space) == MMARML_OK &&
        mmarml_search_space_from_json(&back, sj) == MMARML_OK)
        mmarml_search_space_unref(back);
    json_decref(sj);
    free(lo);
    free(hi);
    free(mid);
    mmarml_space_manager_unref(m);
    json_decref(config);
    return 0;
}
