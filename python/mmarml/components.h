/* Python objects as libmmarml components (components.c): a controller, a handler or a
 * pruner whose vtable calls the object's methods, through the Python glue module
 * mmarml._glue, which turns libmmarml's data into Clara's automl.defs objects and back. */
#ifndef MMARML_PYTHON_COMPONENTS_H
#define MMARML_PYTHON_COMPONENTS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <mmarml.h>

/* The C API the extension hands to the embedded-Python bridge (mmarml-python.so) in the
 * capsule mmarml._mmarml._C_API. */
typedef struct {
    int version; /* 1 */
    /* Wrap `obj` (a new reference is taken) as a component of `kind`
     * (MMARML_COMPONENT_CONTROLLER, _HANDLER or _PRUNER). GIL held. */
    int (*make_component)(void **out, int kind, PyObject *obj);
    /* A mmarml_python_loader: import the class, make the object, wrap it. Takes the GIL. */
    mmarml_python_loader load_class;
} mmarml_python_c_api;

#define MMARML_PYTHON_CAPSULE "mmarml._mmarml._C_API"

/* The Context type (mmarml._mmarml.Context) and the component makers. */
extern PyTypeObject components_context_type;
PyObject *components_context_new(mmarml_context *ctx);
int components_make(void **out, int kind, PyObject *obj);
/* A mmarml_python_loader (registry.h) for Python components: with `module_paths` first on
 * sys.path, `Class(**args)` of `module`, as a component of `kind`. */
int components_load_class(void **out, int kind, const char *class_path, const json_t *args,
                          const char *const *module_paths, void *user_data);

/* Take the GIL on any thread; PyGILState_Release(state) gives it back (_mmarml.c). */
PyGILState_STATE take_gil(void);
/* The pending Python exception as text with its traceback (cleared), malloc'ed (_mmarml.c). */
char *traceback_text(void);

#endif
