/* Python objects as libmmarml components (components.h). */
#include "components.h"

#include <math.h>
#include <string.h>

/* ---- mmarml._mmarml.Context: a libmmarml context as Python sees it ---- */

typedef struct {
    PyObject_HEAD
    mmarml_context *ctx; /* referenced: a component may keep its context (Clara's do) */
} context_object;

static void context_dealloc(context_object *self)
{
    mmarml_context_unref(self->ctx);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

PyObject *components_context_new(mmarml_context *ctx)
{
    context_object *c = PyObject_New(context_object, &components_context_type);

    if (c != NULL)
        c->ctx = mmarml_context_ref(ctx);
    return (PyObject *)c;
}

/* JSON text -> a Python object (json.loads). */
static PyObject *from_json_text(const char *text)
{
    PyObject *json = PyImport_ImportModule("json"), *out = NULL;

    if (json != NULL)
        out = PyObject_CallMethod(json, "loads", "s", text);
    Py_XDECREF(json);
    return out;
}

static PyObject *from_json(const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    PyObject *out;

    if (text == NULL)
        return PyErr_NoMemory();
    out = from_json_text(text);
    free(text);
    return out;
}

/* (rec_id, {prl: value}) of a recommendation: an enum's value is its choice index. */
static PyObject *raw_recommendation(const mmarml_recommendation *rec)
{
    mmarml_search_space *space = mmarml_recommendation_space(rec);
    const double *x = mmarml_recommendation_values(rec);
    PyObject *values = PyDict_New(), *out;
    size_t i;

    for (i = 0; values != NULL && i < mmarml_search_space_count(space); i++) {
        const mmarml_param *p = mmarml_search_space_param(space, i);
        PyObject *v = mmarml_param_type(p) == MMARML_PARAM_FLOAT
                          ? PyFloat_FromDouble(x[i])
                          : PyLong_FromLongLong((long long)x[i]);
        if (v == NULL || PyDict_SetItemString(values, mmarml_param_prl(p), v) != 0) {
            Py_XDECREF(v);
            Py_CLEAR(values);
            break;
        }
        Py_DECREF(v);
    }
    if (values == NULL)
        return NULL;
    out = Py_BuildValue("(LN)", (long long)mmarml_recommendation_id(rec), values);
    return out;
}

static PyObject *raw_space(const mmarml_search_space *space)
{
    json_t *json = NULL;
    PyObject *out;

    if (mmarml_search_space_to_json(&json, space) != MMARML_OK) {
        PyErr_SetString(PyExc_RuntimeError, mmarml_error_message());
        return NULL;
    }
    out = from_json(json);
    json_decref(json);
    return out;
}

/* The pointer properties libmmarml publishes, in raw Python form (automl.defs makes
 * Clara's objects of them); any other pointer reads as None. */
static PyObject *pointer_prop(mmarml_context *ctx, const char *key)
{
    void *p = NULL;
    size_t i;

    mmarml_context_get_pointer(ctx, key, &p);
    if (p != NULL && strcmp(key, MMARML_KEY_RECOMMENDATION) == 0)
        return raw_recommendation(p);
    if (p != NULL && strcmp(key, MMARML_KEY_SEARCH_SPACE) == 0)
        return raw_space(p);
    if (p != NULL && strcmp(key, MMARML_KEY_RECOMMENDATIONS) == 0) {
        const mmarml_recommendation_list *list = p;
        PyObject *out = PyList_New(0);
        for (i = 0; out != NULL && i < mmarml_recommendation_list_count(list); i++) {
            PyObject *r = raw_recommendation(mmarml_recommendation_list_get(list, i));
            if (r == NULL || PyList_Append(out, r) != 0)
                Py_CLEAR(out);
            Py_XDECREF(r);
        }
        return out;
    }
    Py_RETURN_NONE;
}

static PyObject *context_get_prop(context_object *self, PyObject *args)
{
    const char *key;
    PyObject *dflt = Py_None, *out = NULL;
    int64_t i;
    double d;
    int b;
    char *s = NULL;
    json_t *j = NULL;

    if (!PyArg_ParseTuple(args, "s|O", &key, &dflt))
        return NULL;
    switch (mmarml_context_get_type(self->ctx, key)) {
    case MMARML_PROP_INT:
        mmarml_context_get_int(self->ctx, key, &i);
        return PyLong_FromLongLong((long long)i);
    case MMARML_PROP_DOUBLE:
        mmarml_context_get_double(self->ctx, key, &d);
        return PyFloat_FromDouble(d);
    case MMARML_PROP_BOOL:
        mmarml_context_get_bool(self->ctx, key, &b);
        return PyBool_FromLong(b);
    case MMARML_PROP_STRING:
        mmarml_context_get_string(self->ctx, key, &s);
        out = PyUnicode_FromString(s != NULL ? s : "");
        mmarml_free(s);
        return out;
    case MMARML_PROP_JSON:
        mmarml_context_get_json(self->ctx, key, &j);
        out = from_json(j);
        json_decref(j);
        return out;
    case MMARML_PROP_POINTER:
        return pointer_prop(self->ctx, key);
    default:
        Py_INCREF(dflt);
        return dflt;
    }
}

static PyObject *context_set_prop(context_object *self, PyObject *args)
{
    const char *key;
    PyObject *value;
    int rc;

    if (!PyArg_ParseTuple(args, "sO", &key, &value))
        return NULL;
    if (value == Py_None) {
        mmarml_context_remove(self->ctx, key);
        Py_RETURN_NONE;
    }
    if (PyBool_Check(value)) {
        rc = mmarml_context_set_bool(self->ctx, key, value == Py_True);
    } else if (PyLong_Check(value)) {
        long long v = PyLong_AsLongLong(value);
        if (v == -1 && PyErr_Occurred())
            return NULL;
        rc = mmarml_context_set_int(self->ctx, key, (int64_t)v);
    } else if (PyFloat_Check(value)) {
        rc = mmarml_context_set_double(self->ctx, key, PyFloat_AsDouble(value));
    } else if (PyUnicode_Check(value)) {
        const char *s = PyUnicode_AsUTF8(value);
        if (s == NULL)
            return NULL;
        rc = mmarml_context_set_string(self->ctx, key, s);
    } else { /* anything else JSON can say */
        PyObject *json = PyImport_ImportModule("json"), *text = NULL;
        json_t *j = NULL;
        if (json != NULL)
            text = PyObject_CallMethod(json, "dumps", "O", value);
        Py_XDECREF(json);
        if (text == NULL)
            return NULL;
        j = json_loads(PyUnicode_AsUTF8(text), JSON_DECODE_ANY, NULL);
        Py_DECREF(text);
        rc = j != NULL ? mmarml_context_set_json(self->ctx, key, j) : MMARML_EINVAL;
        json_decref(j);
    }
    if (rc != MMARML_OK) {
        PyErr_Format(PyExc_ValueError, "set_prop(%s): %s", key, mmarml_error_message());
        return NULL;
    }
    Py_RETURN_NONE;
}

/* Who asks: a string as it is, an object by its class name (Clara passes `self`). */
static PyObject *issuer_name(PyObject *issuer)
{
    if (PyUnicode_Check(issuer)) {
        Py_INCREF(issuer);
        return issuer;
    }
    if (issuer == Py_None)
        return PyUnicode_FromString("");
    return PyObject_GetAttrString((PyObject *)Py_TYPE(issuer), "__name__");
}

static PyObject *context_stop_work(context_object *self, PyObject *args)
{
    PyObject *issuer, *name;
    const char *msg = NULL;

    if (!PyArg_ParseTuple(args, "O|z", &issuer, &msg) || (name = issuer_name(issuer)) == NULL)
        return NULL;
    mmarml_context_stop_work(self->ctx, PyUnicode_AsUTF8(name), msg);
    Py_DECREF(name);
    Py_RETURN_NONE;
}

static PyObject *context_stop_work_asked(context_object *self, PyObject *unused)
{
    (void)unused;
    return PyBool_FromLong(mmarml_context_stop_work_asked(self->ctx));
}

static PyObject *context_get_stop_message(context_object *self, PyObject *unused)
{
    char *s = NULL;
    PyObject *out;

    (void)unused;
    if (mmarml_context_get_stop_message(self->ctx, &s) != MMARML_OK)
        Py_RETURN_NONE;
    out = PyUnicode_FromString(s);
    mmarml_free(s);
    return out;
}

static PyObject *context_trace(context_object *self, PyObject *args, PyObject *kw)
{
    static char *names[] = {"issuer", "msg", "print_to_console", NULL};
    PyObject *issuer, *name;
    const char *msg;
    int console = 0;

    if (!PyArg_ParseTupleAndKeywords(args, kw, "Os|p", names, &issuer, &msg, &console) ||
        (name = issuer_name(issuer)) == NULL)
        return NULL;
    mmarml_context_trace(self->ctx, PyUnicode_AsUTF8(name), "%s", msg);
    Py_DECREF(name);
    Py_RETURN_NONE;
}

static PyObject *context_exception_occurred(context_object *self, PyObject *args)
{
    PyObject *issuer, *name;
    const char *msg = NULL;

    if (!PyArg_ParseTuple(args, "O|z", &issuer, &msg) || (name = issuer_name(issuer)) == NULL)
        return NULL;
    mmarml_context_exception_occurred(self->ctx, PyUnicode_AsUTF8(name), msg);
    Py_DECREF(name);
    Py_RETURN_NONE;
}

static PyObject *context_exception_count(context_object *self, PyObject *unused)
{
    (void)unused;
    return PyLong_FromUnsignedLongLong(mmarml_context_exception_count(self->ctx));
}

static PyObject *context_last_exception(context_object *self, PyObject *unused)
{
    char *s = NULL;
    PyObject *out;

    (void)unused;
    if (mmarml_context_get_last_exception(self->ctx, &s) != MMARML_OK)
        Py_RETURN_NONE;
    out = PyUnicode_FromString(s);
    mmarml_free(s);
    return out;
}

static PyMethodDef context_methods[] = {
    {"get_prop", (PyCFunction)context_get_prop, METH_VARARGS,
     "get_prop(key, default=None): the property, looked up through the parents."},
    {"set_prop", (PyCFunction)context_set_prop, METH_VARARGS,
     "set_prop(key, value): in this context; None removes it."},
    {"stop_work", (PyCFunction)context_stop_work, METH_VARARGS,
     "stop_work(issuer, msg): ask the run to stop."},
    {"stop_work_asked", (PyCFunction)context_stop_work_asked, METH_NOARGS,
     "Whether a stop was asked."},
    {"get_stop_message", (PyCFunction)context_get_stop_message, METH_NOARGS,
     "The first stop request's message, or None."},
    {"trace", (PyCFunction)(void (*)(void))context_trace, METH_VARARGS | METH_KEYWORDS,
     "trace(issuer, msg, print_to_console=False): a line in the run's trace."},
    {"exception_occurred", (PyCFunction)context_exception_occurred, METH_VARARGS,
     "exception_occurred(issuer, msg=None): report an exception to the run."},
    {"exception_count", (PyCFunction)context_exception_count, METH_NOARGS,
     "How many exceptions the run's components reported."},
    {"last_exception", (PyCFunction)context_last_exception, METH_NOARGS,
     "The last exception reported to the run, as \"[issuer] message\", or None."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject components_context_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mmarml._mmarml.Context",
    .tp_basicsize = sizeof(context_object),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A libmmarml context (automl.defs.Context wraps it).",
    .tp_dealloc = (destructor)context_dealloc,
    .tp_methods = context_methods,
};

/* ---- components ---- */

typedef struct {
    PyObject *obj;  /* the user's controller, handler or pruner */
    PyObject *glue; /* mmarml._glue */
    mmarml_search_space *space; /* a controller's, from set_search_space */
    char *pending; /* a pruner's: what its job_ended raised, told at the next report */
} component;

/* Call glue.<fn>(*args): the result, or NULL with libmmarml's error set from the Python
 * exception (its traceback in the message). `args` is a new reference (or NULL), released
 * here: every caller builds it for this call. GIL held. */
static PyObject *call_glue(component *c, const char *fn, const char *what, PyObject *args)
{
    PyObject *f = PyObject_GetAttrString(c->glue, fn), *result = NULL;

    if (f != NULL && args != NULL)
        result = PyObject_CallObject(f, args);
    Py_XDECREF(f);
    Py_XDECREF(args);
    if (result == NULL) {
        char *tb = traceback_text();
        PyObject *cls = PyObject_GetAttrString((PyObject *)Py_TYPE(c->obj), "__name__");
        mmarml_error_set(MMARML_EUSER, "%s.%s raised: %s",
                         cls != NULL && PyUnicode_Check(cls) ? PyUnicode_AsUTF8(cls) : "?", what,
                         tb != NULL ? tb : "(no traceback)");
        PyErr_Clear();
        Py_XDECREF(cls);
        free(tb);
    }
    return result;
}

/* A glue result: JSON text of [{"rec_id", "values"}] -> recommendations in `out`. */
static int append_recommendations(mmarml_recommendation_list *out, component *c,
                                  PyObject *result, const char *what)
{
    const char *text = PyUnicode_Check(result) ? PyUnicode_AsUTF8(result) : NULL;
    json_t *list = text != NULL ? json_loads(text, 0, NULL) : NULL, *item;
    size_t i;
    int rc = MMARML_OK;

    if (!json_is_array(list)) {
        json_decref(list);
        return mmarml_error_set(MMARML_EUSER, "%s did not return recommendations", what);
    }
    json_array_foreach(list, i, item)
    {
        mmarml_recommendation *rec = NULL;
        if ((rc = mmarml_recommendation_from_json(&rec, c->space, item)) != MMARML_OK) {
            char *msg = strdup(mmarml_error_message());
            rc = mmarml_error_set(rc, "%s: recommendation %zu: %s", what, i, msg ? msg : "");
            free(msg);
            break;
        }
        rc = mmarml_recommendation_list_append(out, rec);
        mmarml_recommendation_unref(rec);
        if (rc != MMARML_OK)
            break;
    }
    json_decref(list);
    return rc;
}

static int ctl_set_space(mmarml_controller *self, mmarml_search_space *space,
                         mmarml_context *ctx, void *ud)
{
    component *c = ud;
    PyGILState_STATE gil = take_gil();
    PyObject *raw = raw_space(space), *pctx = components_context_new(ctx), *result;
    int rc = MMARML_OK;

    (void)self;
    mmarml_search_space_unref(c->space);
    c->space = mmarml_search_space_ref(space);
    result = call_glue(c, "set_search_space", "set_search_space",
                       raw && pctx ? Py_BuildValue("(OOO)", c->obj, raw, pctx) : NULL);
    if (result == NULL)
        rc = mmarml_error_code() < 0 ? mmarml_error_code() : MMARML_EUSER;
    Py_XDECREF(result);
    Py_XDECREF(raw);
    Py_XDECREF(pctx);
    PyGILState_Release(gil);
    return rc;
}

static int ctl_initial(mmarml_recommendation_list *out, mmarml_controller *self,
                       mmarml_context *ctx, void *ud)
{
    component *c = ud;
    PyGILState_STATE gil = take_gil();
    PyObject *pctx = components_context_new(ctx), *result;
    int rc;

    (void)self;
    result = call_glue(c, "initial_recommendation", "initial_recommendation",
                       pctx ? Py_BuildValue("(OO)", c->obj, pctx) : NULL);
    rc = result == NULL ? MMARML_EUSER
                        : append_recommendations(out, c, result, "initial_recommendation");
    Py_XDECREF(result);
    Py_XDECREF(pctx);
    PyGILState_Release(gil);
    return rc;
}

/* (rec_id, job, status, score or None, {prl: value}) of an outcome. */
static PyObject *raw_outcome(const mmarml_outcome *o)
{
    double score = NAN;
    PyObject *rec = raw_recommendation(mmarml_outcome_recommendation(o)), *values, *s, *out;

    if (rec == NULL)
        return NULL;
    values = PyTuple_GET_ITEM(rec, 1);
    mmarml_outcome_score(o, &score);
    if (!isfinite(score))
        mmarml_outcome_value(o, &score); /* a pruned job's value */
    s = isfinite(score) ? PyFloat_FromDouble(score) : (Py_INCREF(Py_None), Py_None);
    out = Py_BuildValue("(OssNO)", PyTuple_GET_ITEM(rec, 0), mmarml_outcome_job_name(o)
                                                                  ? mmarml_outcome_job_name(o)
                                                                  : "",
                        mmarml_job_status_name(mmarml_outcome_status(o)), s, values);
    Py_DECREF(rec);
    return out;
}

static int ctl_refine(mmarml_recommendation_list *out, mmarml_controller *self,
                      const mmarml_outcome *outcome, mmarml_context *ctx, void *ud)
{
    component *c = ud;
    PyGILState_STATE gil = take_gil();
    PyObject *pctx = components_context_new(ctx), *raw = raw_outcome(outcome), *result;
    int rc;

    (void)self;
    result = call_glue(c, "refine_recommendation", "refine_recommendation",
                       pctx && raw ? Py_BuildValue("(OOO)", c->obj, raw, pctx) : NULL);
    rc = result == NULL ? MMARML_EUSER
                        : append_recommendations(out, c, result, "refine_recommendation");
    Py_XDECREF(result);
    Py_XDECREF(raw);
    Py_XDECREF(pctx);
    PyGILState_Release(gil);
    return rc;
}

static int handler_event(mmarml_handler *self, const char *event, mmarml_context *ctx,
                         void *ud)
{
    component *c = ud;
    PyGILState_STATE gil = take_gil();
    PyObject *pctx = components_context_new(ctx), *result;
    int rc = MMARML_OK;

    (void)self;
    result = call_glue(c, "handle_event", event,
                       pctx ? Py_BuildValue("(OsO)", c->obj, event, pctx) : NULL);
    if (result == NULL)
        rc = MMARML_EUSER;
    Py_XDECREF(result);
    Py_XDECREF(pctx);
    PyGILState_Release(gil);
    return rc;
}

/* A pruner's report: glue.report returns bool(pruner.report(job, job_number, step, value,
 * Context(ctx))). What job_ended raised, which had no context to be told to, is reported
 * here first as the pruner's exception; this report is then judged as any other. */
static int pruner_report(int *stop_out, mmarml_pruner *self, const char *job,
                         uint64_t job_number, double step, double value, mmarml_context *ctx,
                         void *ud)
{
    component *c = ud;
    PyGILState_STATE gil = take_gil();
    PyObject *pctx, *result;
    int rc = MMARML_OK;

    (void)self;
    if (c->pending != NULL) {
        mmarml_context_exception_occurred(ctx, "pruner", c->pending);
        free(c->pending);
        c->pending = NULL;
    }
    pctx = components_context_new(ctx);
    result = call_glue(c, "report", "report",
                       pctx ? Py_BuildValue("(OsKddO)", c->obj, job,
                                            (unsigned long long)job_number, step, value, pctx)
                            : NULL);
    if (result == NULL)
        rc = MMARML_EUSER;
    else
        *stop_out = result == Py_True;
    Py_XDECREF(result);
    Py_XDECREF(pctx);
    PyGILState_Release(gil);
    return rc;
}

static void pruner_job_ended(mmarml_pruner *self, const char *job, uint64_t job_number,
                             int status, void *ud)
{
    component *c = ud;
    PyGILState_STATE gil = take_gil();
    PyObject *result;

    (void)self;
    result = call_glue(c, "job_ended", "job_ended",
                       Py_BuildValue("(OsKs)", c->obj, job, (unsigned long long)job_number,
                                     mmarml_job_status_name(status)));
    if (result == NULL && c->pending == NULL) /* the first one is kept: the cause */
        c->pending = strdup(mmarml_error_message());
    Py_XDECREF(result);
    PyGILState_Release(gil);
}

static void component_destroy(void *ud)
{
    component *c = ud;
    PyGILState_STATE gil = take_gil();

    Py_XDECREF(c->obj);
    Py_XDECREF(c->glue);
    PyGILState_Release(gil);
    mmarml_search_space_unref(c->space);
    free(c->pending);
    free(c);
}

int components_make(void **out, int kind, PyObject *obj)
{
    static const mmarml_controller_vtable cvt = {
        .struct_size = sizeof(mmarml_controller_vtable),
        .version = MMARML_CONTROLLER_VTABLE_VERSION,
        .set_search_space = ctl_set_space,
        .initial_recommendation = ctl_initial,
        .refine_recommendation = ctl_refine,
        .destroy = component_destroy,
    };
    static const mmarml_handler_vtable hvt = {
        .struct_size = sizeof(mmarml_handler_vtable),
        .version = MMARML_HANDLER_VTABLE_VERSION,
        .handle_event = handler_event,
        .destroy = component_destroy,
    };
    static const mmarml_pruner_vtable pvt = {
        .struct_size = sizeof(mmarml_pruner_vtable),
        .version = MMARML_PRUNER_VTABLE_VERSION,
        .report = pruner_report,
        .job_ended = pruner_job_ended,
        .destroy = component_destroy,
    };
    component *c = calloc(1, sizeof(*c));
    int rc;

    *out = NULL;
    if (c == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "out of memory");
    if ((c->glue = PyImport_ImportModule("mmarml._glue")) == NULL) {
        char *tb = traceback_text();
        free(c);
        rc = mmarml_error_set(MMARML_ENOTSUP, "cannot import mmarml._glue: %s", tb ? tb : "");
        free(tb);
        return rc;
    }
    Py_INCREF(obj);
    c->obj = obj;
    if (kind == MMARML_COMPONENT_CONTROLLER)
        rc = mmarml_controller_new((mmarml_controller **)out, &cvt, c);
    else if (kind == MMARML_COMPONENT_HANDLER)
        rc = mmarml_handler_new((mmarml_handler **)out, &hvt, c);
    else if (kind == MMARML_COMPONENT_PRUNER)
        rc = mmarml_pruner_new((mmarml_pruner **)out, &pvt, c);
    else
        rc = mmarml_error_set(MMARML_ENOTSUP, "a Python component must be a controller, a "
                              "handler or a pruner");
    if (rc != MMARML_OK) {
        Py_DECREF(c->obj);
        Py_DECREF(c->glue);
        free(c);
    }
    return rc;
}

/* Put each of `paths` on sys.path, first, unless it is there already. */
static int extend_sys_path(const char *const *paths)
{
    PyObject *sys_path = PySys_GetObject("path"); /* borrowed */
    size_t n = 0, i;

    if (sys_path == NULL || !PyList_Check(sys_path))
        return -1;
    while (paths[n] != NULL)
        n++;
    for (i = n; i-- > 0;) { /* the first of `paths` ends up first */
        PyObject *dir = PyUnicode_FromString(paths[i]);
        int has = dir != NULL ? PySequence_Contains(sys_path, dir) : -1;
        if (has == 0 && PyList_Insert(sys_path, 0, dir) != 0)
            has = -1;
        Py_XDECREF(dir);
        if (has < 0)
            return -1;
    }
    return 0;
}

int components_load_class(void **out, int kind, const char *class_path, const json_t *args,
                          const char *const *module_paths, void *user_data)
{
    PyGILState_STATE gil = take_gil();
    const char *dot = strrchr(class_path, '.');
    PyObject *module = NULL, *cls = NULL, *kwargs = NULL, *obj = NULL, *empty = NULL;
    char *module_name = dot != NULL ? strndup(class_path, (size_t)(dot - class_path)) : NULL;
    int rc = MMARML_OK;

    (void)user_data;
    *out = NULL;
    if (module_name == NULL || extend_sys_path(module_paths) != 0 ||
        (module = PyImport_ImportModule(module_name)) == NULL ||
        (cls = PyObject_GetAttrString(module, dot + 1)) == NULL)
        goto python_error;
    if (args != NULL) {
        char *text = json_dumps(args, JSON_COMPACT | JSON_REAL_PRECISION(17));
        kwargs = text != NULL ? from_json_text(text) : NULL;
        free(text);
        if (kwargs == NULL)
            goto python_error;
    }
    if ((empty = PyTuple_New(0)) == NULL || (obj = PyObject_Call(cls, empty, kwargs)) == NULL)
        goto python_error;
    rc = components_make(out, kind, obj);
    goto done;
python_error:
    {
        char *tb = traceback_text();
        rc = mmarml_error_set(MMARML_EUSER, "%s", tb != NULL ? tb : "cannot import it");
        free(tb);
    }
done:
    Py_XDECREF(obj);
    Py_XDECREF(empty);
    Py_XDECREF(kwargs);
    Py_XDECREF(cls);
    Py_XDECREF(module);
    free(module_name);
    PyGILState_Release(gil);
    return rc;
}
