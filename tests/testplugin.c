/* A component library loaded by path in check_registry: "libtestplugin.so:factory". */
#include <mmarml.h>

int test_plugin_controller(void **out, const json_t *args, void *user_data);

int test_plugin_controller(void **out, const json_t *args, void *user_data)
{
    static const char *const allowed[] = {"rounds", NULL};
    int64_t rounds;
    int rc;

    (void)user_data;
    if ((rc = mmarml_args_check(args, "PluginController", allowed)) != MMARML_OK ||
        (rc = mmarml_args_get_int(args, "PluginController", "rounds", 3, &rounds)) != MMARML_OK)
        return rc;
    return mmarml_controller_new_dummy((mmarml_controller **)out, (uint64_t)rounds);
}

/* A controller that never recommends anything, as a plugin built wrong behaves (one whose
 * factory had the wrong signature ran 0 jobs, and mmarml run exited 0). */
int test_plugin_idle_controller(void **out, const json_t *args, void *user_data);

static int idle_initial(mmarml_recommendation_list *out, mmarml_controller *self,
                        mmarml_context *ctx, void *ud)
{
    (void)out, (void)self, (void)ctx, (void)ud;
    return MMARML_OK;
}

static int idle_refine(mmarml_recommendation_list *out, mmarml_controller *self,
                       const mmarml_outcome *o, mmarml_context *ctx, void *ud)
{
    (void)out, (void)self, (void)o, (void)ctx, (void)ud;
    return MMARML_OK;
}

int test_plugin_idle_controller(void **out, const json_t *args, void *user_data)
{
    static const mmarml_controller_vtable vt = {
        .struct_size = sizeof(mmarml_controller_vtable),
        .version = MMARML_CONTROLLER_VTABLE_VERSION,
        .initial_recommendation = idle_initial,
        .refine_recommendation = idle_refine,
    };

    (void)args, (void)user_data;
    return mmarml_controller_new((mmarml_controller **)out, &vt, NULL);
}
