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
