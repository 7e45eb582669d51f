/**
 * @file mmarml/registry.h
 * @brief Component registry: create controllers, handlers and executors by name with JSON
 * args (what config_automl.json names), and helpers to read such args.
 *
 * A component spec is `{"name": "RandomController", "args": {...}}` or
 * `{"path": "libx.so:factory", "args": {...}}`; `path` loads `factory` from a shared object
 * with dlopen (the object stays loaded for the life of the process). A Python path
 * (`module.Class`) is refused with a message saying so.
 *
 * @par Thread-safety
 * Registering is for one thread at a time; creating from a registry nobody modifies is safe
 * from any thread.
 */
#ifndef MMARML_REGISTRY_H
#define MMARML_REGISTRY_H

#include <jansson.h>
#include "common.h"
#include "controller.h"
#include "executor.h"
#include "handler.h"
#include "pruner.h"

/** Makes components by name (built-ins, registered factories, plugins). */
typedef struct mmarml_registry mmarml_registry;

/** Component kinds. */
enum mmarml_component_kind {
    MMARML_COMPONENT_CONTROLLER = 1,
    MMARML_COMPONENT_HANDLER = 2,
    MMARML_COMPONENT_EXECUTOR = 3,
    MMARML_COMPONENT_PRUNER = 4 /**< mmarml/pruner.h */
};

/**
 * A factory: create one component from its args (borrowed; may be NULL for none). It should
 * reject unknown args (see mmarml_args_check()). `*out` is a mmarml_controller **,
 * mmarml_handler **, mmarml_executor ** or mmarml_pruner ** according to the kind it is registered for.
 * A factory loaded by `path` is called with user_data NULL.
 */
typedef int (*mmarml_component_factory)(void **out, const json_t *args, void *user_data);

/**
 * Makes a component from a Python class (a spec's `"path": "module.Class"`, as Clara's
 * bring-your-own configs write it): import `module` with `module_paths` (NULL-terminated)
 * first on the module search path, call `Class(**args)`, wrap the object as a component of
 * `kind`. See mmarml_registry_set_python_loader().
 * @since 0.3
 */
typedef int (*mmarml_python_loader)(void **out, int kind, const char *class_path,
                                    const json_t *args, const char *const *module_paths,
                                    void *user_data);

MMARML_BEGIN_DECLS

/** Create a registry holding the built-ins: DummyController, TestController,
 *  RandomController, DummyHandler (and whatever later modules register). */
MMARML_API int mmarml_registry_new(mmarml_registry **out);
/** Take a reference. NULL-safe. @return its argument. @par Thread-safety Any thread (atomic count). */
MMARML_API mmarml_registry *mmarml_registry_ref(mmarml_registry *reg);
/** Drop a reference; the last one frees it (and calls the vtable's destroy, if any). NULL-safe.
 *  @return NULL. @par Thread-safety Any thread (atomic count). */
MMARML_API mmarml_registry *mmarml_registry_unref(mmarml_registry *reg);

/**
 * Register a factory under `name` (copied). A name already registered for that kind is
 * replaced, so users can override a built-in.
 * @param reg   The registry.
 * @param kind  enum mmarml_component_kind.
 * @param name  The name configs use (`"name": ...`).
 * @param factory    Makes the component from its args.
 * @param user_data  Passed to every call of `factory`.
 */
MMARML_API int mmarml_registry_register(mmarml_registry *reg, int kind, const char *name,
                                        mmarml_component_factory factory, void *user_data);
/**
 * Who makes Python components for this registry. By default (and with `loader` NULL) the
 * registry loads the embedded-Python bridge, `mmarml-python.so` (from $MMARML_MODULE_DIR,
 * else the installed module directory), on the first such spec: it starts an interpreter
 * of its own, and the `mmarml` and `automl` Python packages must be installed. A host that
 * already runs Python (the `mmarml` Python package does) sets its own loader. Without the
 * bridge, such a spec is refused saying what to install. docs/python.md.
 * @param reg        The registry.
 * @param loader     The loader, or NULL for the bridge.
 * @param user_data  Passed to every call of `loader`.
 * @return MMARML_OK or MMARML_EINVAL (no registry).
 * @since 0.3
 */
MMARML_API int mmarml_registry_set_python_loader(mmarml_registry *reg,
                                                 mmarml_python_loader loader, void *user_data);
/**
 * Put `dir` on the module search path of the Python components this registry makes, before
 * the ones added earlier are searched: mmarml_automl_engine_new() adds the MMAR's `BYOC/`
 * folder, as Clara's set_env.sh puts it on PYTHONPATH.
 * @param reg  The registry.
 * @param dir  A directory; copied.
 * @return MMARML_OK, MMARML_EINVAL or MMARML_ENOMEM.
 * @since 0.3
 */
MMARML_API int mmarml_registry_add_python_path(mmarml_registry *reg, const char *dir);

/** @return 1 if `name` is registered for `kind`. */
MMARML_API int mmarml_registry_has(const mmarml_registry *reg, int kind, const char *name);

/**
 * Create a component from a spec (borrowed).
 * @param[out] out  The new component (refcount 1).
 * @param reg    The registry.
 * @param spec   `{"name": ..., "args": {...}}` or `{"path": "lib.so:factory", "args": ...}`.
 * @param where  Context for messages (e.g. "config_automl.json: controller"); may be NULL.
 * @return MMARML_OK; MMARML_ENOTFOUND for an unknown name (named in the message);
 *         MMARML_ENOTSUP for a Python path; MMARML_EINVAL for a bad spec or args; or what
 *         the factory returned.
 */
MMARML_API int mmarml_registry_create_controller(mmarml_controller **out, mmarml_registry *reg,
                                                 const json_t *spec, const char *where);
/** As mmarml_registry_create_controller(), for a handler. */
MMARML_API int mmarml_registry_create_handler(mmarml_handler **out, mmarml_registry *reg,
                                              const json_t *spec, const char *where);
/** As mmarml_registry_create_controller(), for an executor. */
MMARML_API int mmarml_registry_create_executor(mmarml_executor **out, mmarml_registry *reg,
                                               const json_t *spec, const char *where);
/** As mmarml_registry_create_controller(), for a pruner (config_automl.json's "pruner"). */
MMARML_API int mmarml_registry_create_pruner(mmarml_pruner **out, mmarml_registry *reg,
                                             const json_t *spec, const char *where);

/** @name Reading component args (for factories)
 * `component` names the component in messages ("RandomController"). `args` may be NULL.
 * Getters return MMARML_OK (the default when absent) or MMARML_EINVAL naming the component,
 * the key and the expected type.
 * @{ */
/** Reject any key of `args` not in `allowed` (NULL-terminated). Also rejects non-objects. */
MMARML_API int mmarml_args_check(const json_t *args, const char *component,
                                 const char *const *allowed);
/** Integer arg. */
MMARML_API int mmarml_args_get_int(const json_t *args, const char *component, const char *key,
                                   int64_t def, int64_t *out);
/** Accepts integers too. */
MMARML_API int mmarml_args_get_double(const json_t *args, const char *component,
                                      const char *key, double def, double *out);
/** Boolean arg (JSON true/false). */
MMARML_API int mmarml_args_get_bool(const json_t *args, const char *component, const char *key,
                                    int def, int *out);
/** `*out` is borrowed from args (or `def`). */
MMARML_API int mmarml_args_get_string(const json_t *args, const char *component,
                                      const char *key, const char *def, const char **out);
/** @} */

MMARML_END_DECLS

#endif
