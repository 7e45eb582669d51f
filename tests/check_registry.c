/* The component registry: built-ins, user factories, shared objects, and clear errors. */
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static json_t *spec(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);

    ck_assert_msg(j != NULL, "bad test JSON %s: %s", text, err.text);
    return j;
}

static int create_controller(mmarml_registry *reg, const char *text, mmarml_controller **out)
{
    json_t *j = spec(text);
    int rc = mmarml_registry_create_controller(out, reg, j, "config_automl.json: controller");

    json_decref(j);
    return rc;
}

/* Run a controller through the engine with the test executor; returns jobs executed. */
static unsigned run_jobs(mmarml_controller *ctl)
{
    tu_executor_state st;
    mmarml_executor *exe;
    mmarml_engine *e = NULL;
    mmarml_context *ctx = NULL;
    unsigned n;

    tu_executor_init(&st, TU_EXEC_SCORE);
    exe = tu_executor(&st);
    ck_ok(mmarml_engine_new(&e, ctl, exe, NULL));
    ck_ok(mmarml_context_new(&ctx, NULL));
    ck_ok(mmarml_engine_run(e, ctx));
    n = st.executed;
    mmarml_context_unref(ctx);
    mmarml_engine_unref(e);
    mmarml_executor_unref(exe);
    tu_executor_free(&st);
    return n;
}

START_TEST(builtins_by_name)
{
    mmarml_registry *reg = NULL;
    mmarml_controller *c = NULL;
    mmarml_handler *h = NULL;
    json_t *j;

    ck_ok(mmarml_registry_new(&reg));
    ck_assert(mmarml_registry_has(reg, MMARML_COMPONENT_CONTROLLER, "RandomController"));
    ck_assert(mmarml_registry_has(reg, MMARML_COMPONENT_CONTROLLER, "TestController"));
    ck_assert(mmarml_registry_has(reg, MMARML_COMPONENT_CONTROLLER, "DummyController"));
    ck_assert(mmarml_registry_has(reg, MMARML_COMPONENT_HANDLER, "DummyHandler"));
    ck_assert(!mmarml_registry_has(reg, MMARML_COMPONENT_HANDLER, "RandomController"));

    ck_ok(create_controller(reg, "{\"name\": \"RandomController\", \"args\": {\"max_rounds\": 4, "
                                 "\"seed\": 9}}", &c));
    ck_assert_uint_eq(run_jobs(c), 4);
    mmarml_controller_unref(c);
    ck_ok(create_controller(reg, "{\"name\": \"DummyController\", \"args\": {\"max_rounds\": 3}}",
                            &c));
    ck_assert_uint_eq(run_jobs(c), 3);
    mmarml_controller_unref(c);
    ck_ok(create_controller(reg, "{\"name\": \"TestController\", \"args\": {\"total_recs\": 5, "
                                 "\"max_recs_each_time\": 2}}", &c));
    ck_assert_uint_eq(run_jobs(c), 5);
    mmarml_controller_unref(c);

    j = spec("{\"name\": \"DummyHandler\"}");
    ck_ok(mmarml_registry_create_handler(&h, reg, j, NULL));
    json_decref(j);
    mmarml_handler_unref(h);
    mmarml_registry_unref(reg);
}
END_TEST

static void expect_error(mmarml_registry *reg, const char *text, int code, const char *fragment)
{
    mmarml_controller *c = (mmarml_controller *)reg;

    ck_assert_int_eq(create_controller(reg, text, &c), code);
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(mmarml_error_message(), fragment) != NULL, "'%s' lacks '%s'",
                  mmarml_error_message(), fragment);
    ck_assert_msg(strstr(mmarml_error_message(), "config_automl.json: controller") != NULL,
                  "'%s' does not say where", mmarml_error_message());
}

/* MMARTensorboardHandler is a module loaded on first use; where it cannot be loaded, a
 * config naming it is refused saying what to install (before issue 12: "unknown handler"). */
START_TEST(the_tensorboard_module_is_loaded_on_demand)
{
    mmarml_registry *reg = NULL;
    mmarml_handler *h = NULL;
    json_t *j = spec("{\"name\": \"MMARTensorboardHandler\"}");

    ck_ok(mmarml_registry_new(&reg));
    setenv("MMARML_MODULE_DIR", "/nonexistent", 1);
    ck_assert_int_eq(mmarml_registry_create_handler(&h, reg, j, "handlers[1]"),
                     MMARML_ENOTSUP);
    ck_assert_ptr_null(h);
    ck_assert_msg(strstr(mmarml_error_message(), "libprotobuf-c-dev") != NULL, "%s",
                  mmarml_error_message());
    if (access(TEST_MODULE_DIR "/mmarml-tensorboard.so", F_OK) == 0) { /* built here */
        setenv("MMARML_MODULE_DIR", TEST_MODULE_DIR, 1);
        ck_ok(mmarml_registry_create_handler(&h, reg, j, "handlers[1]"));
        ck_assert_ptr_nonnull(h);
        mmarml_handler_unref(h);
    }
    unsetenv("MMARML_MODULE_DIR");
    json_decref(j);
    mmarml_registry_unref(reg);
}
END_TEST

START_TEST(errors_name_what_is_wrong)
{
    mmarml_registry *reg = NULL;

    ck_ok(mmarml_registry_new(&reg));
    expect_error(reg, "{\"name\": \"ReinforcementControler\"}", MMARML_ENOTFOUND,
                 "unknown controller 'ReinforcementControler'");
    /* the names that would do are said: a typo, or another library's name */
    expect_error(reg, "{\"name\": \"ReinforcementControler\"}", MMARML_ENOTFOUND,
                 "(known: DummyController, ");
    expect_error(reg, "{\"name\": \"ReinforcementControler\"}", MMARML_ENOTFOUND,
                 ", ReinforcementController");
    ck_assert_ptr_null(strstr(mmarml_error_message(), "Handler"));
    expect_error(reg, "{\"name\": \"RandomController\", \"args\": {\"max_round\": 3}}",
                 MMARML_EINVAL, "unknown arg 'max_round'");
    expect_error(reg, "{\"name\": \"RandomController\", \"args\": {\"max_rounds\": \"3\"}}",
                 MMARML_EINVAL, "'max_rounds' must be an integer");
    expect_error(reg, "{\"name\": \"RandomController\", \"args\": {\"max_rounds\": 0}}",
                 MMARML_EINVAL, "'max_rounds' must be at least 1");
    expect_error(reg, "{\"name\": \"RandomController\", \"args\": [1]}", MMARML_EINVAL,
                 "args: must be an object");
    expect_error(reg, "{\"nmae\": \"RandomController\"}", MMARML_EINVAL, "unknown key 'nmae'");
    expect_error(reg, "{}", MMARML_EINVAL, "needs \"name\" or \"path\"");
    expect_error(reg, "[]", MMARML_EINVAL, "must be a JSON object");
    expect_error(reg, "{\"name\": 5}", MMARML_EINVAL, "must be strings");
    expect_error(reg, "{\"name\": \"myController\", \"path\": "
                      "\"myAutoMLController.RandomController\"}",
                 MMARML_ENOTSUP, "Python");
    expect_error(reg, "{\"path\": \"libnothere.so:factory\"}", MMARML_ENOTFOUND,
                 "cannot load 'libnothere.so:factory'");
    expect_error(reg, "{\"path\": \"libnothere.so\"}", MMARML_EINVAL,
                 "must be \"library.so:factory_symbol\"");
    expect_error(reg, "{\"path\": \":sym\"}", MMARML_EINVAL, "library.so:factory_symbol");
    mmarml_registry_unref(reg);
}
END_TEST

START_TEST(shared_object_by_path)
{
    mmarml_registry *reg = NULL;
    mmarml_controller *c = NULL;
    char text[1024];

    ck_ok(mmarml_registry_new(&reg));
    snprintf(text, sizeof(text),
             "{\"path\": \"%s/libtestplugin.so:test_plugin_controller\", \"args\": "
             "{\"rounds\": 2}}",
             TEST_PLUGIN_DIR);
    ck_ok(create_controller(reg, text, &c));
    ck_assert_uint_eq(run_jobs(c), 2);
    mmarml_controller_unref(c);

    snprintf(text, sizeof(text), "{\"path\": \"%s/libtestplugin.so:no_such_symbol\"}",
             TEST_PLUGIN_DIR);
    expect_error(reg, text, MMARML_ENOTFOUND, "has no symbol 'no_such_symbol'");
    snprintf(text, sizeof(text),
             "{\"path\": \"%s/libtestplugin.so:test_plugin_controller\", \"args\": "
             "{\"round\": 2}}",
             TEST_PLUGIN_DIR);
    expect_error(reg, text, MMARML_EINVAL, "unknown arg 'round'");
    mmarml_registry_unref(reg);
}
END_TEST

static int user_factory_calls;
static int user_factory(void **out, const json_t *args, void *user_data)
{
    (void)args;
    user_factory_calls++;
    return mmarml_controller_new_dummy((mmarml_controller **)out, *(uint64_t *)user_data);
}

static int empty_factory(void **out, const json_t *args, void *user_data)
{
    (void)out, (void)args, (void)user_data;
    return MMARML_OK;
}

static int mute_factory(void **out, const json_t *args, void *ud)
{
    (void)out, (void)args, (void)ud;
    return MMARML_EUSER;
}

static int junk_factory(void **out, const json_t *args, void *ud)
{
    (void)args;
    *out = ud;
    return MMARML_OK;
}

START_TEST(user_factories)
{
    mmarml_registry *reg = NULL;
    mmarml_controller *c = NULL;
    uint64_t rounds = 2;

    ck_ok(mmarml_registry_new(&reg));
    ck_ok(mmarml_registry_register(reg, MMARML_COMPONENT_CONTROLLER, "Mine", user_factory,
                                   &rounds));
    ck_ok(create_controller(reg, "{\"name\": \"Mine\"}", &c));
    ck_assert_uint_eq(run_jobs(c), 2);
    mmarml_controller_unref(c);
    /* overriding a built-in */
    ck_ok(mmarml_registry_register(reg, MMARML_COMPONENT_CONTROLLER, "RandomController",
                                   user_factory, &rounds));
    ck_ok(create_controller(reg, "{\"name\": \"RandomController\"}", &c));
    ck_assert_int_eq(user_factory_calls, 2);
    mmarml_controller_unref(c);
    /* a factory that claims success without a component */
    ck_ok(mmarml_registry_register(reg, MMARML_COMPONENT_CONTROLLER, "Empty", empty_factory,
                                   NULL));
    expect_error(reg, "{\"name\": \"Empty\"}", MMARML_EUSER, "returned nothing");
    /* a factory that fails and says nothing (on ee9cadf: "...controller: ", or the stale
     * message of something earlier) */
    ck_ok(mmarml_registry_register(reg, MMARML_COMPONENT_CONTROLLER, "Mute", mute_factory,
                                   NULL));
    mmarml_error_set(MMARML_EIO, "an unrelated earlier failure");
    expect_error(reg, "{\"name\": \"Mute\"}", MMARML_EUSER,
                 "the factory of 'Mute' failed (MMARML_EUSER) without saying why");
    ck_assert_int_eq(mmarml_registry_register(reg, 42, "X", user_factory, NULL), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_registry_register(reg, MMARML_COMPONENT_HANDLER, "", user_factory,
                                              NULL),
                     MMARML_EINVAL);
    ck_assert_ptr_eq(mmarml_registry_ref(reg), reg);
    mmarml_registry_unref(reg);
    mmarml_registry_unref(reg);
    ck_assert_ptr_null(mmarml_registry_unref(NULL));
}
END_TEST

/* A factory registered (or loaded) as a handler that returns a controller crashed the run
 * on ee9cadf (SEGV: components carried no kind tag). Now it is refused, naming the spec. */
START_TEST(a_factory_of_the_wrong_kind_is_refused)
{
    mmarml_registry *reg = NULL;
    mmarml_handler *h = NULL;
    mmarml_executor *x = NULL;
    json_t *spec = json_pack("{s:s}", "name", "NotAHandler");
    static char junk[64] = "not a component at all";
    uint64_t rounds = 2;

    ck_ok(mmarml_registry_new(&reg));
    ck_ok(mmarml_registry_register(reg, MMARML_COMPONENT_HANDLER, "NotAHandler", user_factory,
                                   &rounds));
    ck_assert_int_eq(mmarml_registry_create_handler(&h, reg, spec, "handlers[0]"),
                     MMARML_EINVAL);
    ck_assert_ptr_null(h);
    ck_assert_msg(strstr(mmarml_error_message(), "handlers[0]: the factory of 'NotAHandler' "
                                                 "returned a controller, not a handler") != NULL,
                  "%s", mmarml_error_message());
    json_decref(spec);
    /* something that is not one of our handles at all */
    ck_ok(mmarml_registry_register(reg, MMARML_COMPONENT_EXECUTOR, "Junk", junk_factory, junk));
    spec = json_pack("{s:s}", "name", "Junk");
    ck_assert_int_eq(mmarml_registry_create_executor(&x, reg, spec, "executor"), MMARML_EINVAL);
    ck_assert_ptr_null(x);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "no component"));
    json_decref(spec);
    mmarml_registry_unref(reg);
}
END_TEST

START_TEST(args_helpers)
{
    json_t *args = spec("{\"i\": 3, \"d\": 2.5, \"b\": true, \"s\": \"x\"}");
    const char *const allowed[] = {"i", "d", "b", "s", NULL};
    int64_t i;
    double d;
    int b;
    const char *s;

    ck_ok(mmarml_args_check(args, "C", allowed));
    ck_ok(mmarml_args_check(NULL, "C", allowed));
    ck_ok(mmarml_args_get_int(args, "C", "i", 0, &i));
    ck_assert_int_eq(i, 3);
    ck_ok(mmarml_args_get_double(args, "C", "i", 0, &d)); /* ints read as doubles */
    ck_assert_double_eq(d, 3);
    ck_ok(mmarml_args_get_double(args, "C", "d", 0, &d));
    ck_assert_double_eq(d, 2.5);
    ck_ok(mmarml_args_get_bool(args, "C", "b", 0, &b));
    ck_assert_int_eq(b, 1);
    ck_ok(mmarml_args_get_string(args, "C", "s", NULL, &s));
    ck_assert_str_eq(s, "x");
    ck_ok(mmarml_args_get_string(args, "C", "missing", "dflt", &s));
    ck_assert_str_eq(s, "dflt");
    ck_assert_int_eq(mmarml_args_get_int(args, "C", "d", 0, &i), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_args_get_bool(args, "C", "i", 0, &b), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_args_get_string(args, "C", "b", NULL, &s), MMARML_EINVAL);
    ck_assert_str_eq(mmarml_error_message(), "C: arg 'b' must be a string");
    json_decref(args);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("registry");
    TCase *tc = tcase_create("core");
    TCase *te = tcase_create("errors");

    tcase_add_test(tc, builtins_by_name);
    tcase_add_test(tc, shared_object_by_path);
    tcase_add_test(tc, user_factories);
    tcase_add_test(tc, a_factory_of_the_wrong_kind_is_refused);
    tcase_add_test(tc, args_helpers);
    tcase_add_test(te, errors_name_what_is_wrong);
    tcase_add_test(te, the_tensorboard_module_is_loaded_on_demand);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, te);
    return tu_run(s);
}
