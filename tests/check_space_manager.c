/* SearchSpaceManager: the corpus configs' spaces, job configs, concrete values, digests,
 * and one test per kind of invalid definition. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif

static mmarml_space_manager *load(const char *file)
{
    char path[512];
    mmarml_space_manager *m = NULL;

    snprintf(path, sizeof(path), "%s/%s", TEST_DATA_DIR, file);
    ck_ok(mmarml_space_manager_load(&m, path));
    return m;
}

static json_t *parse(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);

    ck_assert_msg(j != NULL, "bad test JSON: %s (%s)", err.text, text);
    return j;
}

/* Assert param i has this PRL and type. */
static const mmarml_param *expect_param(mmarml_space_manager *m, size_t i, const char *prl,
                                        int type)
{
    const mmarml_param *p = mmarml_search_space_param(mmarml_space_manager_space(m), i);

    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(mmarml_param_prl(p), prl);
    ck_assert_int_eq(mmarml_param_type(p), type);
    return p;
}

/* Apply `values` (JSON {PRL: value}) and return the job config; concrete into *conc. */
static json_t *apply(mmarml_space_manager *m, const char *values, json_t **conc,
                     uint32_t flags)
{
    mmarml_recommendation *rec = NULL;
    json_t *v = parse(values), *job = NULL;

    ck_ok(mmarml_recommendation_from_json(&rec, mmarml_space_manager_space(m), v));
    ck_ok(mmarml_space_manager_apply(&job, conc, m, rec, flags));
    mmarml_recommendation_unref(rec);
    json_decref(v);
    return job;
}

/* The value at a dotted path with numeric list indices ("train.pre_transforms.6.args.prob"). */
static json_t *at(json_t *root, const char *path)
{
    char buf[256], *tok, *save = NULL;

    snprintf(buf, sizeof(buf), "%s", path);
    for (tok = strtok_r(buf, ".", &save); tok != NULL && root != NULL;
         tok = strtok_r(NULL, ".", &save))
        root = json_is_array(root) ? json_array_get(root, strtoul(tok, NULL, 10))
                                   : json_object_get(root, tok);
    return root;
}

/* Put the original's values back at `paths` in `job`, then the two must print identically
 * (same values, same key order): nothing else was touched. */
static void assert_only_changed(const json_t *orig, json_t *job, const char *const *paths)
{
    char *a, *b;
    size_t i;

    for (; *paths != NULL; paths++) {
        char parent[256], *dot;
        json_t *p, *o = at((json_t *)orig, *paths);
        snprintf(parent, sizeof(parent), "%s", *paths);
        dot = strrchr(parent, '.');
        if (dot != NULL) {
            *dot = '\0';
            p = at(job, parent);
        } else {
            p = job;
        }
        ck_assert_msg(json_is_object(p), "no object above %s", *paths);
        if (o != NULL)
            json_object_set(p, dot != NULL ? dot + 1 : parent, o);
        else
            json_object_del(p, dot != NULL ? dot + 1 : parent);
    }
    a = json_dumps(orig, JSON_INDENT(1));
    b = json_dumps(job, JSON_INDENT(1));
    for (i = 0; a[i] && a[i] == b[i]; i++)
        ;
    ck_assert_msg(strcmp(a, b) == 0, "job config differs elsewhere, near: %.80s", a + i);
    free(a);
    free(b);
}

START_TEST(corpus_enum)
{
    mmarml_space_manager *m = load("trn_autoML_Enum.json");
    const json_t *orig = mmarml_space_manager_config(m);
    const mmarml_param *p;
    json_t *job, *conc = NULL;
    const char *changed[] = {"train.lr_scheduler.args.step_size", "train.model.args.channels",
                             "train.model.args.norm", NULL};

    ck_assert_str_eq(mmarml_search_space_name(mmarml_space_manager_space(m)),
                     "trn_autoML_Enum.json");
    ck_assert_uint_eq(mmarml_search_space_count(mmarml_space_manager_space(m)), 3);
    p = expect_param(m, 0, "lr.enum.train.lr_scheduler$0:step_size", MMARML_PARAM_ENUM);
    ck_assert_uint_eq(mmarml_param_range_count(p), 2);
    ck_assert_str_eq(mmarml_param_domain(p), "lr");
    expect_param(m, 1, "net.enum.train.model$0:channels", MMARML_PARAM_ENUM);
    expect_param(m, 2, "net.enum.train.model$1:norm", MMARML_PARAM_ENUM);

    job = apply(m,
                "{\"lr.enum.train.lr_scheduler$0:step_size\": 1, "
                "\"net.enum.train.model$0:channels\": 1, \"net.enum.train.model$1:norm\": 0}",
                &conc, 0);
    ck_assert(json_is_integer(at(job, "train.lr_scheduler.args.step_size")));
    ck_assert_int_eq(json_integer_value(at(job, "train.lr_scheduler.args.step_size")), 1000);
    ck_assert_int_eq(json_integer_value(at(job, "train.model.args.channels.0")), 8);
    ck_assert_str_eq(json_string_value(at(job, "train.model.args.norm")), "batch");
    ck_assert(json_is_array(at(job, "train.model.search"))); /* kept without the flag */
    /* concrete: PRL -> the values written, one per arg */
    ck_assert_int_eq(json_integer_value(json_array_get(
                         json_object_get(conc, "lr.enum.train.lr_scheduler$0:step_size"), 0)),
                     1000);
    ck_assert_uint_eq(json_object_size(conc), 3);
    assert_only_changed(orig, job, changed);
    json_decref(job);
    json_decref(conc);
    mmarml_space_manager_unref(m);
}
END_TEST

START_TEST(corpus_lr_and_alias)
{
    mmarml_space_manager *m = load("trn_autoML_LR_LP.json");
    const json_t *orig = mmarml_space_manager_config(m);
    const mmarml_param *p;
    json_t *job, *conc = NULL;
    const char *changed[] = {"learning_rate", "train.lr_scheduler.args.gamma",
                             "train.pre_transforms.6.args.prob",
                             "train.pre_transforms.7.args.prob", NULL};

    ck_assert_uint_eq(mmarml_search_space_count(mmarml_space_manager_space(m)), 3);
    p = expect_param(m, 0, "lr.float.$0:learning_rate", MMARML_PARAM_FLOAT);
    ck_assert_double_eq(mmarml_param_min(p), 0.0001);
    ck_assert_double_eq(mmarml_param_max(p), 0.001);
    expect_param(m, 1, "lr.float.train.lr_scheduler$0:gamma", MMARML_PARAM_FLOAT);
    expect_param(m, 2, "transform.float.train.pre_transforms.6$0:prob", MMARML_PARAM_FLOAT);

    job = apply(m,
                "{\"lr.float.$0:learning_rate\": 0.0005, "
                "\"lr.float.train.lr_scheduler$0:gamma\": 0.15, "
                "\"transform.float.train.pre_transforms.6$0:prob\": 0.25}",
                &conc, 0);
    ck_assert_double_eq(json_real_value(at(job, "learning_rate")), 0.0005);
    ck_assert_double_eq(json_real_value(at(job, "train.lr_scheduler.args.gamma")), 0.15);
    ck_assert_double_eq(json_real_value(at(job, "train.pre_transforms.6.args.prob")), 0.25);
    /* prob#myProb published the value; pre_transforms.7 applies it */
    ck_assert_double_eq(json_real_value(at(job, "train.pre_transforms.7.args.prob")), 0.25);
    ck_assert(json_is_integer(at(job, "epochs")));
    ck_assert_double_eq(json_real_value(json_array_get(
                            json_object_get(conc, "lr.float.$0:learning_rate"), 0)),
                        0.0005);
    assert_only_changed(orig, job, changed);
    json_decref(job);
    json_decref(conc);

    /* with the search augmentations removed */
    job = apply(m, "{\"lr.float.$0:learning_rate\": 0.0003}", NULL,
                MMARML_APPLY_F_REMOVE_SEARCH_AUGS);
    ck_assert_ptr_null(at(job, "search"));
    ck_assert_ptr_null(at(job, "train.lr_scheduler.search"));
    ck_assert_ptr_null(at(job, "train.pre_transforms.6.search"));
    ck_assert_ptr_null(at(job, "train.pre_transforms.7.apply"));
    /* prob was left unset: myProb undefined, so pre_transforms.7 keeps its own value */
    ck_assert(json_equal(at(job, "train.pre_transforms.7.args.prob"),
                         at((json_t *)orig, "train.pre_transforms.7.args.prob")));
    ck_assert(json_equal(at(job, "train.pre_transforms.6.args.prob"),
                         at((json_t *)orig, "train.pre_transforms.6.args.prob")));
    json_decref(job);
    mmarml_space_manager_unref(m);
}
END_TEST

START_TEST(corpus_first_level_variables_and_apply)
{
    mmarml_space_manager *m = load("trn_autoML_Loss_Optimizer.json");
    const json_t *orig = mmarml_space_manager_config(m);
    json_t *job, *conc = NULL;
    char *dump = NULL;
    const char *changed[] = {"mySearchLoss1", "mySearchLoss2", "mySearchOptimizer1",
                             "mySearchOptimizer2", "train.loss.0.disabled",
                             "train.loss.1.disabled", "train.optimizer.0.disabled",
                             "train.optimizer.1.disabled", NULL};

    expect_param(m, 0, "transform.enum.$0:mySearchLoss1,mySearchLoss2", MMARML_PARAM_ENUM);
    expect_param(m, 1, "transform.enum.$1:mySearchOptimizer1,mySearchOptimizer2",
                 MMARML_PARAM_ENUM);
    job = apply(m,
                "{\"transform.enum.$0:mySearchLoss1,mySearchLoss2\": 1, "
                "\"transform.enum.$1:mySearchOptimizer1,mySearchOptimizer2\": 0}",
                &conc, 0);
    /* choice 1 is [false, true]: mySearchLoss1 = false, so loss 0 stays enabled */
    ck_assert(json_is_false(at(job, "mySearchLoss1")));
    ck_assert(json_is_true(at(job, "mySearchLoss2")));
    ck_assert(json_is_false(at(job, "train.loss.0.disabled")));
    ck_assert(json_is_true(at(job, "train.loss.1.disabled")));
    ck_assert(json_is_true(at(job, "train.optimizer.0.disabled")));
    ck_assert(json_is_false(at(job, "train.optimizer.1.disabled")));
    assert_only_changed(orig, job, changed);
    ck_ok(mmarml_concrete_dump(&dump, conc));
    ck_assert_str_eq(dump, "transform.enum.$0:mySearchLoss1,mySearchLoss2 => "
                           "mySearchLoss1=false, mySearchLoss2=true\n"
                           "transform.enum.$1:mySearchOptimizer1,mySearchOptimizer2 => "
                           "mySearchOptimizer1=true, mySearchOptimizer2=false\n");
    mmarml_free(dump);
    json_decref(job);
    json_decref(conc);
    mmarml_space_manager_unref(m);
}
END_TEST

START_TEST(corpus_attributes)
{
    mmarml_space_manager *m = load("trn_autoML_Transform.json");
    const json_t *orig = mmarml_space_manager_config(m);
    json_t *job;
    const char *changed[] = {"myTransformDisable", "train.pre_transforms.6.disabled",
                             "train.pre_transforms.7.disabled",
                             "train.pre_transforms.8.disabled", NULL};

    /* a first-level arg written with '@' keeps it in the PRL, not in the variable */
    expect_param(m, 0, "transform.enum.$0:@myTransformDisable", MMARML_PARAM_ENUM);
    expect_param(m, 1, "transform.enum.train.pre_transforms.8$0:@disabled", MMARML_PARAM_ENUM);
    job = apply(m,
                "{\"transform.enum.$0:@myTransformDisable\": 0, "
                "\"transform.enum.train.pre_transforms.8$0:@disabled\": 1}",
                NULL, 0);
    ck_assert(json_is_true(at(job, "myTransformDisable")));
    ck_assert(json_is_true(at(job, "train.pre_transforms.6.disabled")));
    ck_assert(json_is_true(at(job, "train.pre_transforms.7.disabled")));
    ck_assert(json_is_false(at(job, "train.pre_transforms.8.disabled")));
    ck_assert_ptr_null(at(job, "train.pre_transforms.8.args.@disabled"));
    assert_only_changed(orig, job, changed);
    json_decref(job);
    mmarml_space_manager_unref(m);
}
END_TEST

START_TEST(corpus_transform_prob)
{
    mmarml_space_manager *m = load("trn_autoML_TransformProb.json");
    json_t *job, *conc = NULL, *conc2 = NULL;
    char *d1 = NULL, *d2 = NULL, *d3 = NULL;

    expect_param(m, 0, "transform.float.train.pre_transforms.7$0:prob", MMARML_PARAM_FLOAT);
    ck_assert_uint_eq(mmarml_search_space_count(mmarml_space_manager_space(m)), 1);
    job = apply(m, "{\"transform.float.train.pre_transforms.7$0:prob\": 0.4}", &conc, 0);
    ck_assert_double_eq(json_real_value(at(job, "train.pre_transforms.7.args.prob")), 0.4);
    ck_assert_double_eq(json_real_value(at(job, "train.pre_transforms.8.args.prob")), 0.4);
    json_decref(job);
    job = apply(m, "{\"transform.float.train.pre_transforms.7$0:prob\": 0.4}", &conc2,
                MMARML_APPLY_F_REMOVE_SEARCH_AUGS);
    ck_ok(mmarml_concrete_digest(&d1, conc));
    ck_ok(mmarml_concrete_digest(&d2, conc2));
    ck_assert_str_eq(d1, d2);
    ck_assert_uint_eq(strlen(d1), 16);
    json_decref(conc2);
    json_decref(job);
    job = apply(m, "{\"transform.float.train.pre_transforms.7$0:prob\": 0.5}", &conc2, 0);
    ck_ok(mmarml_concrete_digest(&d3, conc2));
    ck_assert_str_ne(d1, d3);
    mmarml_free(d1);
    mmarml_free(d2);
    mmarml_free(d3);
    json_decref(conc);
    json_decref(conc2);
    json_decref(job);
    mmarml_space_manager_unref(m);
}
END_TEST

/* The digest is a pure function of the canonical JSON: pinned so that a change of format
 * (which would split equal configs of old and new runs) cannot pass unnoticed. */
START_TEST(digest_is_stable)
{
    json_t *a = parse("{\"b.float.$0:x\": [0.5], \"a.enum.m$0:y,z\": [true, \"s\"]}");
    json_t *b = parse("{\"a.enum.m$0:y,z\": [true, \"s\"], \"b.float.$0:x\": [0.5]}");
    char *da = NULL, *db = NULL;

    ck_ok(mmarml_concrete_digest(&da, a));
    ck_ok(mmarml_concrete_digest(&db, b));
    ck_assert_str_eq(da, db); /* key order does not matter */
    /* FNV-1a 64 of {"a.enum.m$0:y,z":[true,"s"],"b.float.$0:x":[0.5]} */
    ck_assert_str_eq(da, "ba4a4ff1a221ceef");
    mmarml_free(da);
    mmarml_free(db);
    json_decref(a);
    json_decref(b);
}
END_TEST

START_TEST(prl_grammar_and_order)
{
    json_t *config = parse(
        "{\"lr_search\": [0.001, 0.01],"
        " \"search\": [{\"domain\": \"lr\", \"type\": \"float\", \"args\": \"wd\","
        "               \"targets\": [1e-6, 1e-2], \"scale\": \"log\"}],"
        " \"train\": {\"model\": {\"name\": \"Net\", \"args\": {\"width.mult\": 1, \"d$p\": 0.1,"
        "               \"layers\": 3},"
        "   \"search\": [{\"domain\": \"net\", \"type\": \"float\", \"args\": [\"width.mult\","
        "                 \"d$p\"], \"targets\": [0, 1]},"
        "               {\"domain\": \"net\", \"type\": \"int\", \"args\": [\"layers\"],"
        "                 \"targets\": [1, 8]}]},"
        "  \"lists\": [[{\"args\": {\"k\": 1}, \"search\": [{\"domain\": \"net\", \"type\": "
        "\"enum\", \"args\": [\"k\"], \"targets\": [[1], [2]]}]}]]}}");
    mmarml_space_manager *m = NULL;
    json_t *job;
    const mmarml_param *p;

    ck_ok(mmarml_space_manager_new(&m, config, "c.json"));
    ck_assert_uint_eq(mmarml_search_space_count(mmarml_space_manager_space(m)), 5);
    expect_param(m, 0, "lr.float.$lr_search:learning_rate", MMARML_PARAM_FLOAT);
    p = expect_param(m, 1, "lr.float.$0:wd", MMARML_PARAM_FLOAT);
    ck_assert_uint_eq(mmarml_param_flags(p), MMARML_PARAM_F_LOG);
    expect_param(m, 2, "net.float.train.model$0:width\\.mult,d\\$p", MMARML_PARAM_FLOAT);
    expect_param(m, 3, "net.int.train.model$1:layers", MMARML_PARAM_INT);
    expect_param(m, 4, "net.enum.train.lists.0.0$0:k", MMARML_PARAM_ENUM);
    job = apply(m,
                "{\"lr.float.$lr_search:learning_rate\": 0.005, "
                "\"net.int.train.model$1:layers\": 5, "
                "\"net.float.train.model$0:width\\\\.mult,d\\\\$p\": 0.5}",
                NULL, MMARML_APPLY_F_REMOVE_SEARCH_AUGS);
    ck_assert_double_eq(json_real_value(at(job, "learning_rate")), 0.005);
    ck_assert_ptr_null(at(job, "lr_search"));
    ck_assert(json_is_integer(at(job, "train.model.args.layers")));
    ck_assert_int_eq(json_integer_value(at(job, "train.model.args.layers")), 5);
    ck_assert_double_eq(json_real_value(json_object_get(at(job, "train.model.args"),
                                                        "width.mult")),
                        0.5);
    ck_assert_double_eq(json_real_value(json_object_get(at(job, "train.model.args"), "d$p")),
                        0.5);
    json_decref(job);
    json_decref(config);
    mmarml_space_manager_unref(m);
}
END_TEST

/* A searched string reaches the job config literally. */
START_TEST(hostile_strings_are_data)
{
    json_t *config = parse(
        "{\"train\": {\"c\": {\"args\": {\"cmd\": \"x\"}, \"search\": [{\"domain\": \"net\", "
        "\"type\": \"enum\", \"args\": [\"cmd\"], \"targets\": [[\"$(touch x)\\\"\\n'\"]]}]}}}");
    mmarml_space_manager *m = NULL;
    json_t *job;

    ck_ok(mmarml_space_manager_new(&m, config, "c.json"));
    job = apply(m, "{\"net.enum.train.c$0:cmd\": 0}", NULL, 0);
    ck_assert_str_eq(json_string_value(at(job, "train.c.args.cmd")), "$(touch x)\"\n'");
    json_decref(job);
    json_decref(config);
    mmarml_space_manager_unref(m);
}
END_TEST

START_TEST(values_outside_the_space)
{
    mmarml_space_manager *m = load("trn_autoML_TransformProb.json");
    mmarml_search_space *wide = NULL;
    mmarml_recommendation *rec = NULL;
    json_t *job = NULL;
    const double v[1] = {0.95}; /* the config's range is [0, 0.8] */

    ck_ok(mmarml_search_space_new(&wide, "other"));
    ck_ok(mmarml_search_space_add_float(wide, "transform.float.train.pre_transforms.7$0:prob",
                                        "transform", 0, 1, 0));
    ck_ok(mmarml_recommendation_new(&rec, 1, wide, v, 1));
    ck_assert_int_eq(mmarml_space_manager_apply(&job, NULL, m, rec, 0), MMARML_EINVAL);
    ck_assert_ptr_null(job);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "pre_transforms.7$0:prob"));
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "0.95"));
    ck_assert_int_eq(mmarml_space_manager_apply(&job, NULL, m, rec, 0x80), MMARML_EINVAL);
    mmarml_recommendation_unref(rec);
    mmarml_search_space_unref(wide);
    mmarml_space_manager_unref(m);
}
END_TEST

static void expect_error(const char *text, const char *fragment)
{
    json_t *config = parse(text);
    mmarml_space_manager *m = (mmarml_space_manager *)config;

    ck_assert_int_eq(mmarml_space_manager_new(&m, config, "config_train.json"), MMARML_EINVAL);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(mmarml_error_message(), fragment) != NULL, "'%s' lacks '%s'",
                  mmarml_error_message(), fragment);
    ck_assert_msg(strncmp(mmarml_error_message(), "config_train.json: ", 19) == 0,
                  "'%s' does not name the file", mmarml_error_message());
    json_decref(config);
}

#define COMPONENT(search) \
    "{\"train\": {\"model\": {\"name\": \"N\", \"args\": {\"a\": 1, \"b\": 2}, \"search\": " \
    search "}}}"

START_TEST(invalid_definitions)
{
    expect_error("[1]", "must be a JSON object");
    expect_error(COMPONENT("[{\"domain\": \"net\", \"type\": \"bool\", \"args\": [\"a\"], "
                           "\"targets\": [0, 1]}]"),
                 "train.model.search[0]: unknown type \"bool\"");
    expect_error(COMPONENT("[{\"type\": \"float\", \"args\": [\"a\"], \"targets\": [0, 1]}]"),
                 "train.model.search[0]: missing \"domain\"");
    expect_error(COMPONENT("[{\"domain\": \"net\", \"args\": [\"a\"], \"targets\": [0, 1]}]"),
                 "train.model.search[0]: missing \"type\"");
    expect_error(COMPONENT("[{\"domain\": \"net\", \"type\": \"float\", \"targets\": [0, 1]}]"),
                 "train.model.search[0]: missing \"args\"");
    expect_error(COMPONENT("[{\"domain\": \"net\", \"type\": \"float\", \"args\": [\"a\"]}]"),
                 "train.model.search[0]: missing \"targets\"");
    expect_error(COMPONENT("[{\"domain\": \"net\", \"type\": \"float\", \"args\": [\"zz\"], "
                           "\"targets\": [0, 1]}]"),
                 "train.model.search[0].args[0]: 'zz' is not an arg of this component");
    expect_error(COMPONENT("[{\"domain\": \"net\", \"type\": \"float\", \"args\": [\"a\"], "
                           "\"targets\": [1, 0]}]"),
                 "train.model.search[0].targets: min 1 is greater than max 0");
    expect_error(COMPONENT("[{\"domain\": \"net\", \"type\": \"float\", \"args\": [\"a\"], "
                           "\"targets\": [0, \"1\"]}]"),
                 "train.model.search[0].targets: a float needs targets [min, max]");
    expect_error(COMPONENT("[{\"domain\": \"net\", \"type\": \"float\", \"args\": [\"a\"], "
                           "\"targets\": [0, 1, 2]}]"),
                 "a float needs targets [min, max]");
    expect_error(COMPONENT("[{\"domain\": \"net\", \"type\": \"enum\", \"args\": [\"a\", \"b\"], "
                           "\"targets\": [[1, 2], [3]]}]"),
                 "train.model.search[0].targets[1]: choice has 1 values for 2 args");
    expect_error(COMPONENT("[{\"domain\": \"net\", \"type\": \"enum\", \"args\": [\"a\"], "
                           "\"targets\": []}]"),
                 "train.model.search[0].targets: an enum needs a non-empty list");
    expect_error(COMPONENT("[{\"domain\": \"net\", \"type\": \"enum\", \"args\": [\"a\"], "
                           "\"targets\": [1, 2]}]"),
                 "targets[0]: a choice must be a list");
    expect_error(COMPONENT("[{\"domain\": \"net\", \"type\": \"int\", \"args\": [\"a\"], "
                           "\"targets\": [0.5, 2]}]"),
                 "an int needs integer min and max");
    expect_error(COMPONENT("[{\"domain\": \"net\", \"type\": \"float\", \"args\": [\"a\"], "
                           "\"targets\": [0, 1], \"scale\": \"log\"}]"),
                 "search[0].scale: a log scale needs min > 0");
    expect_error(COMPONENT("[{\"domain\": \"net\", \"type\": \"float\", \"args\": [\"a\"], "
                           "\"targets\": [0, 1], \"scael\": \"log\"}]"),
                 "unknown key \"scael\"");
    expect_error(COMPONENT("[{\"domain\": \"net\", \"type\": \"float\", \"args\": [], "
                           "\"targets\": [0, 1]}]"),
                 "search[0].args: must be a string or a non-empty list");
    expect_error(COMPONENT("[{\"domain\": \"net\", \"type\": \"float\", \"args\": [\"a#\"], "
                           "\"targets\": [0, 1]}]"),
                 "an alias is one non-empty name");
    /* a range whose width overflows a double (every sample was 1.7e308 on ee9cadf) */
    expect_error(COMPONENT("[{\"domain\": \"net\", \"type\": \"float\", \"args\": [\"a\"], "
                           "\"targets\": [-1.7e308, 1.7e308]}]"),
                 "train.model.search[0].targets: param");
    expect_error(COMPONENT("[{\"domain\": \"net\", \"type\": \"float\", \"args\": [\"a\"], "
                           "\"targets\": [-1.7e308, 1.7e308]}]"),
                 "max - min overflows");
    /* int bounds are compared as integers (2^63-1 was "min 1 is greater than max -9.2e18") */
    expect_error(COMPONENT("[{\"domain\": \"net\", \"type\": \"int\", \"args\": [\"a\"], "
                           "\"targets\": [1, 9223372036854775807], \"scale\": \"log\"}]"),
                 "train.model.search[0].targets: int bounds must be within +-2^53 "
                 "(1, 9223372036854775807 given)");
    expect_error(COMPONENT("[{\"domain\": \"net\", \"type\": \"int\", \"args\": [\"a\"], "
                           "\"targets\": [9223372036854775807, 1]}]"),
                 "min 9223372036854775807 is greater than max 1");
    expect_error(COMPONENT("{\"domain\": \"net\"}"), "train.model.search: must be a list");
    expect_error(COMPONENT("[3]"), "train.model.search[0]: a search item must be an object");
    expect_error("{\"lr_search\": [0.1]}", "lr_search: must be [min, max]");
    expect_error("{\"lr_search\": [0.1, 0.01]}", "lr_search: needs finite min <= max");
    expect_error("{\"train\": {\"t\": {\"args\": {\"p\": 1}, \"apply\": {\"p\": \"nobody\"}}}}",
                 "train.t.apply.p: variable 'nobody' is not defined by any search item");
    expect_error("{\"train\": {\"t\": {\"args\": {\"p\": 1}, \"apply\": {\"p\": 3}}}}",
                 "train.t.apply.p: must name a variable");
    expect_error("{\"train\": {\"t\": {\"args\": {\"p\": 1}, \"apply\": [\"p\"]}}}",
                 "train.t.apply: must be an object");
    expect_error("{\"train\": [{\"args\": {\"p\": 1}}, {\"args\": {\"p\": 1}, \"search\": "
                 "[{\"domain\": \"t\", \"type\": \"enum\", \"args\": [\"p\"], \"targets\": "
                 "[[1], [2, 3]]}]}]}",
                 "train[1].search[0].targets[1]: choice has 2 values for 1 args");
}
END_TEST

START_TEST(file_errors)
{
    mmarml_space_manager *m = NULL;
    char path[] = "/tmp/mmarml-bad-XXXXXX";
    int fd = mkstemp(path);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "{\n  \"a\": 1,\n  \"a\" 2\n}\n", 21), 21);
    close(fd);
    ck_assert_int_eq(mmarml_space_manager_load(&m, path), MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), path));
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), ":3:"));
    unlink(path);
    ck_assert_int_eq(mmarml_space_manager_load(&m, "/nonexistent/config_train.json"),
                     MMARML_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "/nonexistent/config_train.json"));
    ck_assert_ptr_null(m);
}
END_TEST

/* A manager is immutable: threads apply with it at once (run under ThreadSanitizer in CI). */
typedef struct {
    mmarml_space_manager *m;
    int seed, failures;
} applier;

static void *apply_many(void *arg)
{
    applier *a = arg;
    mmarml_search_space *space = mmarml_space_manager_space(a->m);
    int i;

    for (i = 0; i < 200; i++) {
        const double v[3] = {0.0001 + 0.000001 * ((a->seed + i) % 100), 0.1, (i % 10) / 10.0};
        mmarml_recommendation *rec = NULL;
        json_t *job = NULL, *conc = NULL;
        json_t *prob;
        if (mmarml_recommendation_new(&rec, i, space, v, 3) != MMARML_OK ||
            mmarml_space_manager_apply(&job, &conc, a->m, rec, 0) != MMARML_OK) {
            a->failures++;
        } else {
            prob = json_object_get(json_object_get(json_array_get(json_object_get(
                                                       json_object_get(job, "train"),
                                                       "pre_transforms"),
                                                   7),
                                                   "args"),
                                   "prob");
            a->failures += json_real_value(prob) != v[2];
        }
        json_decref(job);
        json_decref(conc);
        mmarml_recommendation_unref(rec);
    }
    return NULL;
}

START_TEST(concurrent_applies)
{
    mmarml_space_manager *m = load("trn_autoML_LR_LP.json");
    applier a[4];
    pthread_t t[4];
    int i;

    for (i = 0; i < 4; i++) {
        a[i].m = m;
        a[i].seed = i * 17;
        a[i].failures = 0;
        pthread_create(&t[i], NULL, apply_many, &a[i]);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(a[i].failures, 0);
    }
    mmarml_space_manager_unref(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("space_manager");
    TCase *tc = tcase_create("corpus");
    TCase *tg = tcase_create("core");
    TCase *te = tcase_create("errors");

    tcase_add_test(tc, corpus_enum);
    tcase_add_test(tc, corpus_lr_and_alias);
    tcase_add_test(tc, corpus_first_level_variables_and_apply);
    tcase_add_test(tc, corpus_attributes);
    tcase_add_test(tc, corpus_transform_prob);
    tcase_add_test(tg, digest_is_stable);
    tcase_add_test(tg, prl_grammar_and_order);
    tcase_add_test(tg, hostile_strings_are_data);
    tcase_add_test(te, values_outside_the_space);
    tcase_add_test(te, invalid_definitions);
    tcase_add_test(te, file_errors);
    tcase_add_test(tg, concurrent_applies);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, tg);
    suite_add_tcase(s, te);
    return tu_run(s);
}
