/* Python components: a spec's "path": "module.Class" (Clara's bring-your-own configs). The
 * library never links Python: a registry's loader makes them, by default the embedded-Python
 * bridge, mmarml-python.so (python/bridge.c), loaded on first use from $MMARML_MODULE_DIR
 * or the installed module directory. Built on the public API only. */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mmarml.h"
#include "builtins.h"

#ifndef MMARML_PKGLIBDIR
#define MMARML_PKGLIBDIR "/usr/local/lib/libmmarml"
#endif

int mmarml__is_python_class(const char *path)
{
    const char *dot = strrchr(path, '.');

    return dot != NULL && dot != path && dot[1] != '\0' && strchr(path, '/') == NULL &&
           strchr(path, ':') == NULL && strstr(path, ".so") == NULL;
}

static pthread_mutex_t bridge_lock = PTHREAD_MUTEX_INITIALIZER;
static mmarml_python_loader bridge; /* loaded once, never unloaded */

static int load_bridge(mmarml_python_loader *out)
{
    const char *dir = getenv("MMARML_MODULE_DIR");
    char path[4096];
    void *module, *sym;
    int rc = MMARML_OK;

    pthread_mutex_lock(&bridge_lock);
    if (bridge == NULL) {
        snprintf(path, sizeof(path), "%s/mmarml-python.so",
                 dir != NULL && dir[0] != '\0' ? dir : MMARML_PKGLIBDIR);
        dlerror();
        /* RTLD_GLOBAL: the interpreter it starts loads extension modules that expect
         * libpython's symbols to be there */
        module = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
        if (module == NULL)
            rc = mmarml_error_set(MMARML_ENOTSUP, "Python components need the embedded-Python "
                                  "bridge, which is not available here: %s (it is built when "
                                  "python3-dev is installed at build time)", dlerror());
        else if ((sym = dlsym(module, "mmarml_python_load")) == NULL)
            rc = mmarml_error_set(MMARML_ENOTFOUND, "%s has no mmarml_python_load", path);
        else
            memcpy(&bridge, &sym, sizeof(bridge)); /* POSIX: dlsym converts to a function */
    }
    *out = bridge;
    pthread_mutex_unlock(&bridge_lock);
    return rc;
}

int mmarml__python_component(void **out, int kind, const char *class_path, const json_t *args,
                             const char *where, mmarml_python_loader loader, void *user_data,
                             const char *const *module_paths)
{
    static const char *const none[] = {NULL};
    int rc;

    *out = NULL;
    if (loader == NULL && (rc = load_bridge(&loader)) != MMARML_OK) {
        char *msg = strdup(mmarml_error_message());
        rc = mmarml_error_set(rc, "%s: path '%s' names a Python class. %s", where, class_path,
                              msg != NULL ? msg : "");
        free(msg);
        return rc;
    }
    mmarml_error_clear();
    rc = loader(out, kind, class_path, args, module_paths != NULL ? module_paths : none,
                loader == bridge ? NULL : user_data);
    if (rc != MMARML_OK) {
        char *msg = strdup(mmarml_error_message());
        rc = mmarml_error_set(rc, "%s: Python class '%s': %s", where, class_path,
                              msg != NULL && msg[0] != '\0' ? msg : "failed without saying why");
        free(msg);
        *out = NULL;
    } else if (*out == NULL) {
        rc = mmarml_error_set(MMARML_EUSER, "%s: Python class '%s' made nothing", where,
                              class_path);
    }
    return rc;
}
