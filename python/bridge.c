/*
 * mmarml-python.so: the embedded-Python bridge. libmmarml never links Python; a registry
 * that meets a Python component ("path": "module.Class") and has no loader of its own
 * loads this module (lib/registry/python.c), which starts an interpreter on first use and
 * hands the work to the mmarml package's extension (python/mmarml/components.c) through
 * its capsule. Where the packages are: the install directory this module was built for,
 * and $MMARML_PYTHONPATH first when set (a build tree, a prefix elsewhere).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <mmarml.h>

#include "mmarml/components.h"

#ifndef MMARML_PYTHONDIR
#define MMARML_PYTHONDIR ""
#endif

int mmarml_python_load(void **out, int kind, const char *class_path, const json_t *args,
                       const char *const *module_paths, void *user_data);

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static const mmarml_python_c_api *c_api;

/* Start the interpreter (without its signal handlers: the host has its own) and find the
 * extension's C API; once. */
static int start_python(void)
{
    const char *extra = getenv("MMARML_PYTHONPATH");
    PyGILState_STATE gil;
    int rc = MMARML_OK, started_here = 0;

    pthread_mutex_lock(&init_lock);
    if (c_api != NULL) {
        pthread_mutex_unlock(&init_lock);
        return MMARML_OK;
    }
    if (!Py_IsInitialized()) {
        Py_InitializeEx(0);
        started_here = 1;
    }
    if (started_here)
        PyEval_SaveThread(); /* every call takes the GIL as it needs it */
    gil = PyGILState_Ensure();
    {
        PyObject *sys_path = PySys_GetObject("path");
        const char *dirs[2] = {MMARML_PYTHONDIR, extra};
        int i;
        for (i = 0; i < 2 && sys_path != NULL; i++) { /* $MMARML_PYTHONPATH ends up first */
            PyObject *dir;
            if (dirs[i] == NULL || dirs[i][0] == '\0')
                continue;
            if ((dir = PyUnicode_FromString(dirs[i])) != NULL)
                PyList_Insert(sys_path, 0, dir);
            Py_XDECREF(dir);
        }
    }
    c_api = PyCapsule_Import(MMARML_PYTHON_CAPSULE, 0);
    if (c_api == NULL || c_api->version < 1) {
        PyObject *type, *value, *tb, *text = NULL;
        PyErr_Fetch(&type, &value, &tb);
        if (value != NULL)
            text = PyObject_Str(value);
        rc = mmarml_error_set(MMARML_ENOTSUP, "the mmarml Python package cannot be imported "
                              "(%s); install it, or set MMARML_PYTHONPATH to where it is",
                              text != NULL ? PyUnicode_AsUTF8(text) : "no C API");
        c_api = NULL;
        Py_XDECREF(text);
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
    }
    PyGILState_Release(gil);
    pthread_mutex_unlock(&init_lock);
    return rc;
}

int mmarml_python_load(void **out, int kind, const char *class_path, const json_t *args,
                       const char *const *module_paths, void *user_data)
{
    int rc;

    *out = NULL;
    if ((rc = start_python()) != MMARML_OK)
        return rc;
    return c_api->load_class(out, kind, class_path, args, module_paths, user_data);
}
