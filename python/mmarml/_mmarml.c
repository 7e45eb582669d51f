/*
 * mmarml._mmarml: the CPython extension under the mmarml package (python/mmarml/__init__.py
 * is the API users see). Built on libmmarml's public API only.
 *
 * Why a CPython extension and not cffi: the engine calls Python from its own threads, and
 * the extension decides exactly when the GIL is held (only while Python runs: docs/python.md)
 * and how Ctrl-C reaches a run; it needs nothing at run time but libmmarml and Python.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <mmarml.h>

#include "components.h"

static PyObject *mmarml_error; /* mmarml.MmarmlError */

/* ---- the engine's threads in Python ----
 * PyGILState_Ensure/Release on a thread Python did not create make and free a thread state
 * per call; the engine's worker threads call Python for every job, so each keeps one from
 * its first call until it ends. The thread cannot free it as it ends: Python's own key for
 * the thread may be gone by then (destructors run in key order) and the debug interpreter
 * refuses to free memory then. So the key's destructor only queues the state, and the next
 * thread that holds the GIL frees it (run_engine does, once the engine's threads ended). */
static pthread_key_t thread_state_key;
static pthread_mutex_t dead_lock = PTHREAD_MUTEX_INITIALIZER;
static PyThreadState **dead_states;
static size_t ndead_states, cap_dead_states;

static void drop_thread_state(void *state)
{
    pthread_mutex_lock(&dead_lock);
    if (ndead_states == cap_dead_states) {
        size_t cap = cap_dead_states ? cap_dead_states * 2 : 16;
        PyThreadState **grown = realloc(dead_states, cap * sizeof(*grown));
        if (grown != NULL) {
            dead_states = grown;
            cap_dead_states = cap;
        }
    }
    if (ndead_states < cap_dead_states) /* else it stays with the interpreter */
        dead_states[ndead_states++] = state;
    pthread_mutex_unlock(&dead_lock);
}

/* Free the states of threads that ended. GIL held. */
static void reap_thread_states(void)
{
    PyThreadState *batch[16];
    size_t n, i;

    do {
        pthread_mutex_lock(&dead_lock);
        for (n = 0; n < 16 && ndead_states > 0; n++)
            batch[n] = dead_states[--ndead_states];
        pthread_mutex_unlock(&dead_lock);
        for (i = 0; i < n; i++) {
            PyThreadState_Clear(batch[i]);
            PyThreadState_Delete(batch[i]);
        }
    } while (n == 16);
}

/* Take the GIL on an engine thread; PyGILState_Release(state) gives it back. */
PyGILState_STATE take_gil(void)
{
    PyGILState_STATE state;

    if (PyGILState_GetThisThreadState() == NULL) { /* a thread Python does not know */
        PyGILState_Ensure(); /* the outermost level, kept until the thread ends */
        pthread_setspecific(thread_state_key, PyGILState_GetThisThreadState());
        PyEval_SaveThread();
    }
    state = PyGILState_Ensure();
    if (__atomic_load_n(&ndead_states, __ATOMIC_RELAXED) > 0)
        reap_thread_states();
    return state;
}

/* Raise MmarmlError(message) with .code, from libmmarml's last error. */
static PyObject *raise_mmarml(int code)
{
    PyObject *exc = PyObject_CallFunction(mmarml_error, "s", mmarml_error_message());

    if (exc != NULL) {
        PyObject *c = PyLong_FromLong(code);
        if (c != NULL)
            PyObject_SetAttrString(exc, "code", c);
        Py_XDECREF(c);
        PyErr_SetObject(mmarml_error, exc);
        Py_DECREF(exc);
    }
    return NULL;
}

/* ---- SearchSpace ---- */

typedef struct {
    PyObject_HEAD
    mmarml_search_space *space;
} space_object;

static void space_dealloc(space_object *self)
{
    mmarml_search_space_unref(self->space);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int space_init(space_object *self, PyObject *args, PyObject *kw)
{
    static char *names[] = {"name", NULL};
    const char *name = "python";
    int rc;

    if (!PyArg_ParseTupleAndKeywords(args, kw, "|s", names, &name))
        return -1;
    mmarml_search_space_unref(self->space);
    self->space = NULL;
    if ((rc = mmarml_search_space_new(&self->space, name)) != MMARML_OK) {
        raise_mmarml(rc);
        return -1;
    }
    return 0;
}

static PyObject *space_add_number(space_object *self, PyObject *args, int is_int)
{
    const char *prl, *domain;
    double lo, hi;
    int log = 0, rc;

    if (!PyArg_ParseTuple(args, "ssdd|p", &prl, &domain, &lo, &hi, &log))
        return NULL;
    rc = is_int ? mmarml_search_space_add_int(self->space, prl, domain, (int64_t)lo,
                                              (int64_t)hi, log ? MMARML_PARAM_F_LOG : 0)
                : mmarml_search_space_add_float(self->space, prl, domain, lo, hi,
                                                log ? MMARML_PARAM_F_LOG : 0);
    if (rc != MMARML_OK)
        return raise_mmarml(rc);
    Py_RETURN_NONE;
}

static PyObject *space_add_float(space_object *self, PyObject *args)
{
    return space_add_number(self, args, 0);
}

static PyObject *space_add_int(space_object *self, PyObject *args)
{
    return space_add_number(self, args, 1);
}

/* add_enum(prl, domain, choices_json): the choices as a JSON array (the package encodes) */
static PyObject *space_add_enum(space_object *self, PyObject *args)
{
    const char *prl, *domain, *text;
    json_error_t err;
    json_t *choices;
    int rc;

    if (!PyArg_ParseTuple(args, "sss", &prl, &domain, &text))
        return NULL;
    if ((choices = json_loads(text, JSON_DECODE_ANY, &err)) == NULL) {
        PyErr_Format(PyExc_ValueError, "choices: %s", err.text);
        return NULL;
    }
    rc = mmarml_search_space_add_enum(self->space, prl, domain, choices);
    json_decref(choices);
    if (rc != MMARML_OK)
        return raise_mmarml(rc);
    Py_RETURN_NONE;
}

static PyObject *space_to_json(space_object *self, PyObject *unused)
{
    json_t *json = NULL;
    char *text;
    PyObject *out;
    int rc;

    (void)unused;
    if ((rc = mmarml_search_space_to_json(&json, self->space)) != MMARML_OK)
        return raise_mmarml(rc);
    text = json_dumps(json, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(json);
    if (text == NULL)
        return PyErr_NoMemory();
    out = PyUnicode_FromString(text);
    free(text);
    return out;
}

static Py_ssize_t space_len(space_object *self)
{
    return (Py_ssize_t)mmarml_search_space_count(self->space);
}

static PyMethodDef space_methods[] = {
    {"add_float", (PyCFunction)space_add_float, METH_VARARGS,
     "add_float(prl, domain, low, high, log=False)"},
    {"add_int", (PyCFunction)space_add_int, METH_VARARGS,
     "add_int(prl, domain, low, high, log=False)"},
    {"add_enum", (PyCFunction)space_add_enum, METH_VARARGS,
     "add_enum(prl, domain, choices_json)"},
    {"to_json", (PyCFunction)space_to_json, METH_NOARGS, "The space as JSON text."},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods space_sequence = {.sq_length = (lenfunc)space_len};

static PyTypeObject space_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mmarml._mmarml.Space",
    .tp_basicsize = sizeof(space_object),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A libmmarml search space (mmarml.SearchSpace wraps it).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)space_init,
    .tp_dealloc = (destructor)space_dealloc,
    .tp_methods = space_methods,
    .tp_as_sequence = &space_sequence,
};

/* ---- Job: what an objective gets, valid during its call ---- */

typedef struct {
    PyObject_HEAD
    mmarml_context *ctx; /* NULL once the call returned */
} job_object;

static int job_live(job_object *self)
{
    if (self->ctx != NULL)
        return 1;
    PyErr_SetString(PyExc_RuntimeError, "this job has ended: use a Job only inside its call");
    return 0;
}

/* A report's time: seconds since the epoch, or a datetime (its timestamp(): a naive one is
 * local time, as everywhere in Python). */
static int report_time(PyObject *obj, double *out)
{
    PyObject *seconds;

    if (!PyFloat_Check(obj) && !PyLong_Check(obj) && PyObject_HasAttrString(obj, "timestamp")) {
        if ((seconds = PyObject_CallMethod(obj, "timestamp", NULL)) == NULL)
            return -1;
        *out = PyFloat_AsDouble(seconds);
        Py_DECREF(seconds);
    } else {
        *out = PyFloat_AsDouble(obj);
    }
    return *out == -1.0 && PyErr_Occurred() ? -1 : 0;
}

static PyObject *job_report(job_object *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"step", "value", "time", NULL};
    PyObject *time_obj = Py_None;
    double step, value, when = NAN;
    int stop = 0, rc;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "dd|O", kwlist, &step, &value, &time_obj) ||
        !job_live(self))
        return NULL;
    if (time_obj != Py_None && report_time(time_obj, &when) != 0)
        return NULL;
    Py_BEGIN_ALLOW_THREADS /* it writes the journal and asks the pruner */
    rc = mmarml_job_report_at(self->ctx, step, value, when, &stop);
    Py_END_ALLOW_THREADS
    if (rc != MMARML_OK)
        return raise_mmarml(rc);
    return PyBool_FromLong(stop);
}

static PyObject *job_should_stop(job_object *self, PyObject *unused)
{
    int stop;

    (void)unused;
    if (!job_live(self))
        return NULL;
    Py_BEGIN_ALLOW_THREADS /* it waits for the pruner's lock, which a Python pruner holds
                            * while it waits for the GIL */
    stop = mmarml_job_should_stop(self->ctx);
    Py_END_ALLOW_THREADS
    return PyBool_FromLong(stop);
}

static PyObject *job_stop_run(job_object *self, PyObject *args)
{
    const char *message = NULL;

    if (!PyArg_ParseTuple(args, "|z", &message) || !job_live(self))
        return NULL;
    mmarml_context_stop_work(self->ctx, "python", message);
    Py_RETURN_NONE;
}

static PyObject *job_prop(job_object *self, const char *key)
{
    char *s = NULL;
    PyObject *out;

    if (!job_live(self))
        return NULL;
    if (mmarml_context_get_string(self->ctx, key, &s) != MMARML_OK)
        Py_RETURN_NONE;
    out = PyUnicode_FromString(s);
    mmarml_free(s);
    return out;
}

static PyObject *job_name(job_object *self, void *unused)
{
    (void)unused;
    return job_prop(self, MMARML_KEY_JOB_NAME);
}

static PyObject *job_worker(job_object *self, void *unused)
{
    (void)unused;
    return job_prop(self, MMARML_KEY_WORKER_NAME);
}

static PyObject *job_gpus(job_object *self, void *unused)
{
    (void)unused;
    return job_prop(self, MMARML_KEY_GPUS);
}

static PyObject *job_aborted(job_object *self, void *unused)
{
    int aborted = 0;

    (void)unused;
    if (!job_live(self))
        return NULL;
    mmarml_context_get_bool(self->ctx, MMARML_KEY_JOB_ABORTED, &aborted);
    return PyBool_FromLong(aborted);
}

static PyMethodDef job_methods[] = {
    {"report", (PyCFunction)(void (*)(void))job_report, METH_VARARGS | METH_KEYWORDS,
     "report(step, value, time=None) -> bool: record progress (time: when the value was "
     "measured, seconds since the epoch or a datetime; None: now); True when the job is to "
     "stop."},
    {"should_stop", (PyCFunction)job_should_stop, METH_NOARGS,
     "should_stop() -> bool: the pruner stopped this job."},
    {"stop_run", (PyCFunction)job_stop_run, METH_VARARGS,
     "stop_run(message=None): stop the whole run (no new job; running jobs end)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef job_getset[] = {
    {"name", (getter)job_name, NULL, "The job's name (W1_3_J7).", NULL},
    {"worker", (getter)job_worker, NULL, "The worker running it (W1).", NULL},
    {"gpus", (getter)job_gpus, NULL, "The worker's GPUs (\"0,1\"; \"\" for none).", NULL},
    {"aborted", (getter)job_aborted, NULL,
     "True once the engine aborts the job (a stop, Ctrl-C, its time limit, the pruner): "
     "return soon.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject job_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mmarml.Job",
    .tp_basicsize = sizeof(job_object),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A running job, as an objective sees it: name, worker, gpus, aborted, report(), "
              "should_stop(). Valid only during the objective's call.",
    .tp_methods = job_methods,
    .tp_getset = job_getset,
};

/* ---- a run ---- */

typedef struct {
    PyObject *objective; /* called as objective(values_tuple, job) */
    PyObject *sink;      /* a list: each ended job appended as a tuple */
    mmarml_search_space *space;
    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    int done, rc;
    char *error; /* the run's error message, when rc != OK */
    mmarml_engine *engine;
    mmarml_context *ctx;
} run_state;

static int determine(mmarml_search_space **out, mmarml_executor *self, mmarml_context *ctx,
                     void *ud)
{
    run_state *r = ud;

    (void)self, (void)ctx;
    *out = mmarml_search_space_ref(r->space);
    return MMARML_OK;
}

/* The Python traceback of the pending exception, as text (cleared). */
char *traceback_text(void)
{
    PyObject *type, *value, *tb, *mod, *lines = NULL, *text = NULL;
    char *out = NULL;

    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if ((mod = PyImport_ImportModule("traceback")) != NULL)
        lines = PyObject_CallMethod(mod, "format_exception", "OOO", type,
                                    value ? value : Py_None, tb ? tb : Py_None);
    if (lines != NULL) {
        PyObject *empty = PyUnicode_FromString("");
        if (empty != NULL)
            text = PyUnicode_Join(empty, lines);
        Py_XDECREF(empty);
    }
    if (text != NULL && PyUnicode_AsUTF8(text) != NULL)
        out = strdup(PyUnicode_AsUTF8(text));
    PyErr_Clear();
    Py_XDECREF(text);
    Py_XDECREF(lines);
    Py_XDECREF(mod);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return out;
}

/* `_concreteSearchValue` as Clara's executors set it: PRL -> the values the job gets, a list
 * (a number as [x]; an enum's choice as it is when it is a list, else [choice]). */
static void set_concrete_values(mmarml_context *job, const mmarml_recommendation *rec)
{
    mmarml_search_space *space = mmarml_recommendation_space(rec);
    const double *x = mmarml_recommendation_values(rec);
    json_t *concrete = json_object();
    size_t i;

    for (i = 0; concrete != NULL && i < mmarml_search_space_count(space); i++) {
        const mmarml_param *p = mmarml_search_space_param(space, i);
        json_t *v;
        if (mmarml_param_type(p) == MMARML_PARAM_ENUM) {
            json_t *choice = json_array_get(mmarml_param_choices(p), (size_t)x[i]);
            v = json_is_array(choice) ? json_incref(choice) : json_pack("[O]", choice);
        } else if (mmarml_param_type(p) == MMARML_PARAM_INT) {
            v = json_pack("[I]", (json_int_t)x[i]);
        } else {
            v = json_pack("[f]", x[i]);
        }
        if (v != NULL)
            json_object_set_new(concrete, mmarml_param_prl(p), v);
    }
    if (concrete != NULL)
        mmarml_context_set_json(job, MMARML_KEY_CONCRETE_SEARCH_VALUE, concrete);
    json_decref(concrete);
}

static int execute(int *status, double *score, mmarml_executor *self,
                   const mmarml_recommendation *rec, mmarml_context *job, void *ud)
{
    run_state *r = ud;
    const double *x = mmarml_recommendation_values(rec);
    size_t i, n = mmarml_search_space_count(r->space);
    PyGILState_STATE gil = take_gil();
    PyObject *values = PyTuple_New((Py_ssize_t)n), *result = NULL;
    job_object *j = PyObject_New(job_object, &job_type);
    int rc = MMARML_OK, stopped = 0;

    (void)self;
    set_concrete_values(job, rec);
    if (values != NULL && j != NULL) {
        j->ctx = job;
        for (i = 0; i < n; i++)
            PyTuple_SET_ITEM(values, (Py_ssize_t)i, PyFloat_FromDouble(x[i]));
        result = PyObject_CallFunctionObjArgs(r->objective, values, (PyObject *)j, NULL);
        j->ctx = NULL;
    }
    if (result != NULL) {
        Py_BEGIN_ALLOW_THREADS /* as in job_should_stop: a Python pruner may hold its lock */
        stopped = mmarml_job_should_stop(job);
        Py_END_ALLOW_THREADS
    }
    if (result == NULL) { /* the objective raised: the job's error, with the traceback */
        char *tb = traceback_text();
        mmarml_context_set_string(job, "_pythonError", tb != NULL ? tb : "(no traceback)");
        rc = mmarml_error_set(MMARML_EINVAL, "the objective raised: %s",
                              tb != NULL ? tb : "(no traceback)");
        free(tb);
    } else if (stopped) {
        *status = MMARML_JOB_ABORTED; /* the pruner stopped it: the engine says pruned */
    } else if (result == Py_None) {
        *status = MMARML_JOB_NO_SCORE;
    } else {
        double v = PyFloat_AsDouble(result);
        if (v == -1.0 && PyErr_Occurred()) {
            PyErr_Clear();
            rc = mmarml_error_set(MMARML_EINVAL, "the objective returned a %s, not a number",
                                  Py_TYPE(result)->tp_name);
        } else if (isfinite(v)) {
            *status = MMARML_JOB_OK;
            *score = v;
        } else {
            *status = MMARML_JOB_NO_SCORE; /* NaN or infinite: not a score */
        }
    }
    Py_XDECREF(result);
    Py_XDECREF(values);
    Py_XDECREF((PyObject *)j);
    PyGILState_Release(gil);
    return rc;
}

/* Every ended job goes to the sink as (job, status, score or None, values, rec_id, error,
 * reports): values a tuple in the space's order, or for run_mmar() a dict by PRL; reports a
 * list of (step, value), empty for a job replayed from a journal. */
static int end_job(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    run_state *r = ud;
    mmarml_recommendation *rec = NULL;
    char *name = NULL, *status = NULL, *error = NULL;
    double score = NAN;
    PyGILState_STATE gil;
    PyObject *values, *item, *score_obj, *reports;
    double *pairs = NULL;
    size_t i, n = 0, nreports = 0;
    const double *x = NULL;

    (void)self;
    if (mmarml_job_reports(ctx, &pairs, &nreports) != MMARML_OK)
        nreports = 0; /* a replayed job: its reports are in the journal only */
    mmarml_context_get_string(ctx, MMARML_KEY_JOB_NAME, &name);
    mmarml_context_get_string(ctx, MMARML_KEY_JOB_STATUS, &status);
    mmarml_context_get_string(ctx, "_pythonError", &error);
    if (mmarml_context_get_double(ctx, MMARML_KEY_SCORE, &score) != MMARML_OK)
        mmarml_context_get_double(ctx, MMARML_KEY_PRUNED_VALUE, &score);
    if (mmarml_context_get_pointer(ctx, MMARML_KEY_RECOMMENDATION, (void **)&rec) == MMARML_OK &&
        rec != NULL) {
        x = mmarml_recommendation_values(rec);
        n = mmarml_search_space_count(mmarml_recommendation_space(rec));
    }
    gil = take_gil();
    if (r->objective != NULL) { /* optimize(): the package names the values */
        values = PyTuple_New((Py_ssize_t)n);
        for (i = 0; values != NULL && i < n; i++)
            PyTuple_SET_ITEM(values, (Py_ssize_t)i, PyFloat_FromDouble(x[i]));
    } else { /* run_mmar(): by PRL (an enum's value is its choice index) */
        values = PyDict_New();
        for (i = 0; values != NULL && i < n; i++) {
            PyObject *v = PyFloat_FromDouble(x[i]);
            const mmarml_param *p = mmarml_search_space_param(mmarml_recommendation_space(rec), i);
            if (v != NULL)
                PyDict_SetItemString(values, mmarml_param_prl(p), v);
            Py_XDECREF(v);
        }
    }
    reports = PyList_New((Py_ssize_t)nreports);
    for (i = 0; reports != NULL && i < nreports; i++) {
        PyObject *pair = Py_BuildValue("(dd)", pairs[2 * i], pairs[2 * i + 1]);
        if (pair == NULL)
            Py_CLEAR(reports);
        else
            PyList_SET_ITEM(reports, (Py_ssize_t)i, pair);
    }
    if (isfinite(score)) {
        score_obj = PyFloat_FromDouble(score);
    } else {
        score_obj = Py_None;
        Py_INCREF(score_obj);
    }
    item = values == NULL || score_obj == NULL || reports == NULL
               ? NULL
               : Py_BuildValue("(ssOOLzO)", name ? name : "", status ? status : "", score_obj,
                               values, (long long)(rec ? mmarml_recommendation_id(rec) : -1),
                               error, reports);
    Py_XDECREF(score_obj);
    Py_XDECREF(reports);
    if (item == NULL || PyList_Append(r->sink, item) != 0)
        PyErr_Clear(); /* out of memory: the outcome is lost to Python, not to the run */
    Py_XDECREF(item);
    Py_XDECREF(values);
    PyGILState_Release(gil);
    mmarml_free(name);
    mmarml_free(status);
    mmarml_free(error);
    mmarml_free(pairs);
    return MMARML_OK;
}

static void *engine_thread(void *arg)
{
    run_state *r = arg;
    int rc = mmarml_engine_run(r->engine, r->ctx);

    pthread_mutex_lock(&r->lock);
    r->rc = rc;
    if (rc != MMARML_OK)
        r->error = strdup(mmarml_error_message());
    r->done = 1;
    pthread_cond_signal(&r->done_cond);
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

/* Run r->engine on a thread of its own while this (Python) thread waits with the GIL
 * released, waking every 100 ms to let Python handle signals: Ctrl-C stops the run (as
 * mmarml_engine_stop does: running jobs end, nothing new starts), then KeyboardInterrupt is
 * raised. Returns the end reason, or NULL with an exception set. */
static PyObject *run_engine(run_state *r)
{
    PyObject *interrupt_type = NULL, *interrupt_value = NULL, *interrupt_tb = NULL;
    pthread_t thread;
    int started, done = 0;

    Py_BEGIN_ALLOW_THREADS
    started = pthread_create(&thread, NULL, engine_thread, r) == 0;
    Py_END_ALLOW_THREADS
    if (!started) {
        PyErr_SetString(PyExc_RuntimeError, "cannot start the engine's thread");
        return NULL;
    }
    while (!done) {
        Py_BEGIN_ALLOW_THREADS
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 100 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&r->lock);
        if (!r->done)
            pthread_cond_timedwait(&r->done_cond, &r->lock, &until);
        done = r->done;
        pthread_mutex_unlock(&r->lock);
        Py_END_ALLOW_THREADS
        if (!done && interrupt_type == NULL && PyErr_CheckSignals() < 0) {
            PyErr_Fetch(&interrupt_type, &interrupt_value, &interrupt_tb);
            mmarml_engine_stop(r->engine, "stopped from Python (KeyboardInterrupt)");
        }
    }
    Py_BEGIN_ALLOW_THREADS
    pthread_join(thread, NULL);
    Py_END_ALLOW_THREADS
    reap_thread_states(); /* the engine's threads have ended */
    if (interrupt_type != NULL) {
        PyErr_Restore(interrupt_type, interrupt_value, interrupt_tb);
        return NULL;
    }
    if (r->rc != MMARML_OK) {
        mmarml_error_set(r->rc, "%s", r->error ? r->error : "the run failed");
        return raise_mmarml(r->rc);
    }
    switch (mmarml_engine_end_reason(r->engine)) {
    case MMARML_END_EXHAUSTED: return PyUnicode_FromString("exhausted");
    case MMARML_END_STOP_ASKED: return PyUnicode_FromString("stop_asked");
    case MMARML_END_MAX_JOBS: return PyUnicode_FromString("max_jobs");
    case MMARML_END_MAX_SYS_RUN_TIME: return PyUnicode_FromString("max_sys_run_time");
    case MMARML_END_ALREADY_FINISHED: return PyUnicode_FromString("already_finished");
    case MMARML_END_STORAGE_FAILED: return PyUnicode_FromString("storage_failed");
    default: return PyUnicode_FromString("ended");
    }
}

static json_t *parse_spec(const char *text, const char *what)
{
    json_error_t err;
    json_t *spec = text != NULL ? json_loads(text, 0, &err) : NULL;

    if (text != NULL && spec == NULL)
        PyErr_Format(PyExc_ValueError, "%s: %s", what, err.text);
    return spec;
}

static const mmarml_handler_vtable sink_vtable = {
    .struct_size = sizeof(mmarml_handler_vtable),
    .version = MMARML_HANDLER_VTABLE_VERSION,
    .end_job = end_job,
};

/* Add the handlers (a list: JSON specs as text, or Python objects), then the sink, then
 * run; the common end of optimize() and run_mmar(). */
static PyObject *finish_run(run_state *r, mmarml_registry *reg, PyObject *handlers)
{
    mmarml_handler *h = NULL;
    Py_ssize_t i, n = handlers != NULL ? PyList_Size(handlers) : 0;
    int rc = MMARML_OK;

    for (i = 0; i < n && rc == MMARML_OK; i++) {
        PyObject *item = PyList_GET_ITEM(handlers, i);
        if (PyUnicode_Check(item)) {
            json_t *spec = parse_spec(PyUnicode_AsUTF8(item), "handlers");
            if (spec == NULL)
                return NULL;
            rc = mmarml_registry_create_handler(&h, reg, spec, "handlers");
            json_decref(spec);
        } else {
            rc = components_make((void **)&h, MMARML_COMPONENT_HANDLER, item);
        }
        if (rc == MMARML_OK)
            rc = mmarml_engine_add_handler(r->engine, h);
        h = mmarml_handler_unref(h);
    }
    if (rc == MMARML_OK && (rc = mmarml_handler_new(&h, &sink_vtable, r)) == MMARML_OK)
        rc = mmarml_engine_add_handler(r->engine, h);
    mmarml_handler_unref(h);
    if (rc != MMARML_OK)
        return raise_mmarml(rc);
    return run_engine(r);
}

/* Put the run's context in `box` (may be NULL), where Study.stop finds it: in place of an
 * earlier run's, when a study is given to another run. */
static void share_context(PyObject *box, mmarml_context *ctx)
{
    PyObject *c = box != NULL ? components_context_new(ctx) : NULL;

    if (c != NULL && (PyList_SetSlice(box, 0, PyList_GET_SIZE(box), NULL) != 0 ||
                      PyList_Append(box, c) != 0))
        PyErr_Clear(); /* out of memory: the run just cannot be stopped that way */
    Py_XDECREF(c);
}

static void run_state_init(run_state *r, PyObject *objective, PyObject *sink)
{
    memset(r, 0, sizeof(*r));
    r->objective = objective;
    r->sink = sink;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->done_cond, NULL);
}

static void run_state_free(run_state *r)
{
    mmarml_engine_unref(r->engine);
    mmarml_context_unref(r->ctx);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->done_cond);
    free(r->error);
}

/* optimize(space, objective, sink, controller (JSON spec text, or a Python controller),
 *          workers, max_jobs, pruner (JSON spec text, a Python pruner, or None),
 *          handlers (list), journal, pruned_score (enum mmarml_pruned_score),
 *          box (a list: the run's Context is put in it, for Study.stop),
 *          report_steps (enum mmarml_report_steps)) -> end reason */
static PyObject *py_optimize(PyObject *module, PyObject *args)
{
    static const mmarml_executor_vtable evt = {
        .struct_size = sizeof(mmarml_executor_vtable),
        .version = MMARML_EXECUTOR_VTABLE_VERSION,
        .determine_search_space = determine,
        .execute = execute,
    };
    space_object *space;
    PyObject *objective, *sink, *reason = NULL, *controller, *handlers = NULL, *box = NULL;
    PyObject *pruner = Py_None;
    const char *workers, *journal = NULL;
    unsigned long long max_jobs;
    int pruned_score = MMARML_PRUNED_SCORE_BEST, steps = MMARML_REPORT_STEPS_INCREASING, rc;
    mmarml_engine_options o;
    mmarml_registry *reg = NULL;
    mmarml_controller *ctl = NULL;
    mmarml_executor *exe = NULL;
    mmarml_pruner *p = NULL;
    json_t *cspec = NULL, *pspec = NULL;
    run_state r;

    (void)module;
    if (!PyArg_ParseTuple(args, "O!OO!OsK|OO!ziO!i", &space_type, &space, &objective,
                          &PyList_Type, &sink, &controller, &workers, &max_jobs, &pruner,
                          &PyList_Type, &handlers, &journal, &pruned_score, &PyList_Type, &box,
                          &steps))
        return NULL;
    if (!PyCallable_Check(objective)) {
        PyErr_SetString(PyExc_TypeError, "the objective must be callable");
        return NULL;
    }
    if ((PyUnicode_Check(controller) &&
         (cspec = parse_spec(PyUnicode_AsUTF8(controller), "controller")) == NULL) ||
        (PyUnicode_Check(pruner) &&
         (pspec = parse_spec(PyUnicode_AsUTF8(pruner), "pruner")) == NULL)) {
        json_decref(cspec);
        return NULL;
    }
    run_state_init(&r, objective, sink);
    r.space = space->space;
    mmarml_engine_options_init(&o, MMARML_ENGINE_OPTIONS_VERSION);
    o.workers = workers;
    o.max_jobs = max_jobs;
    o.journal = journal;
    if ((rc = mmarml_registry_new(&reg)) == MMARML_OK &&
        (rc = cspec != NULL ? mmarml_registry_create_controller(&ctl, reg, cspec, "controller")
                            : components_make((void **)&ctl, MMARML_COMPONENT_CONTROLLER,
                                              controller)) == MMARML_OK &&
        (rc = pspec != NULL ? mmarml_registry_create_pruner(&p, reg, pspec, "pruner")
              : pruner != Py_None ? components_make((void **)&p, MMARML_COMPONENT_PRUNER, pruner)
                                  : MMARML_OK) == MMARML_OK &&
        (rc = mmarml_executor_new(&exe, &evt, &r)) == MMARML_OK &&
        (rc = mmarml_engine_new(&r.engine, ctl, exe, &o)) == MMARML_OK &&
        (p == NULL || (rc = mmarml_engine_set_pruner(r.engine, p, pruned_score)) == MMARML_OK) &&
        (rc = mmarml_engine_set_report_steps(r.engine, steps)) == MMARML_OK &&
        (rc = mmarml_context_new(&r.ctx, NULL)) == MMARML_OK) {
        share_context(box, r.ctx);
        reason = finish_run(&r, reg, handlers);
    } else {
        raise_mmarml(rc);
    }
    json_decref(cspec);
    json_decref(pspec);
    Py_BEGIN_ALLOW_THREADS /* the engine's threads end here and may need the GIL */
    mmarml_pruner_unref(p);
    mmarml_executor_unref(exe);
    mmarml_controller_unref(ctl);
    mmarml_registry_unref(reg);
    run_state_free(&r);
    Py_END_ALLOW_THREADS
    return reason;
}

/* run_mmar(mmar, automlconf, vars_json, sink, box) -> end reason: what `mmarml run` does. */
static PyObject *py_run_mmar(PyObject *module, PyObject *args)
{
    const char *mmar, *automlconf = NULL, *vars_text = NULL;
    PyObject *sink, *reason = NULL, *box = NULL;
    mmarml_registry *reg = NULL;
    json_t *vars = NULL;
    run_state r;
    int rc;

    (void)module;
    if (!PyArg_ParseTuple(args, "szzO!|O!", &mmar, &automlconf, &vars_text, &PyList_Type, &sink,
                          &PyList_Type, &box))
        return NULL;
    if (vars_text != NULL && (vars = parse_spec(vars_text, "variables")) == NULL)
        return NULL;
    run_state_init(&r, NULL, sink);
    if ((rc = mmarml_registry_new(&reg)) == MMARML_OK &&
        /* Python runs here: its components are made in this interpreter, not the bridge's */
        (rc = mmarml_registry_set_python_loader(reg, components_load_class, NULL)) ==
            MMARML_OK &&
        (rc = mmarml_context_new(&r.ctx, NULL)) == MMARML_OK &&
        (rc = mmarml_automl_engine_new(&r.engine, r.ctx, reg, mmar, automlconf, vars)) ==
            MMARML_OK) {
        share_context(box, r.ctx);
        reason = finish_run(&r, reg, NULL);
    } else {
        raise_mmarml(rc);
    }
    json_decref(vars);
    Py_BEGIN_ALLOW_THREADS
    mmarml_registry_unref(reg);
    run_state_free(&r);
    Py_END_ALLOW_THREADS
    return reason;
}

static PyObject *py_version(PyObject *module, PyObject *unused)
{
    (void)module, (void)unused;
    return PyUnicode_FromString(mmarml_version_string());
}

static PyMethodDef module_methods[] = {
    {"optimize", py_optimize, METH_VARARGS, "The engine over a Python objective."},
    {"run_mmar", py_run_mmar, METH_VARARGS, "The AutoML of an MMAR, as mmarml run."},
    {"version", py_version, METH_NOARGS, "The version of libmmarml in use."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_mmarml",
    .m_doc = "libmmarml's C API for the mmarml package.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__mmarml(void); /* the one symbol the module exports */

PyMODINIT_FUNC PyInit__mmarml(void)
{
    PyObject *m;

    static mmarml_python_c_api c_api = {1, components_make, components_load_class};
    PyObject *capsule;

    if (PyType_Ready(&space_type) < 0 || PyType_Ready(&job_type) < 0 ||
        PyType_Ready(&components_context_type) < 0)
        return NULL;
    if (pthread_key_create(&thread_state_key, drop_thread_state) != 0)
        return PyErr_NoMemory();
    if ((m = PyModule_Create(&module_def)) == NULL)
        return NULL;
    mmarml_error = PyErr_NewExceptionWithDoc(
        "mmarml.MmarmlError", "An error libmmarml reported; .code is its code.", NULL, NULL);
    Py_INCREF(&space_type);
    Py_INCREF(&job_type);
    Py_INCREF(&components_context_type);
    /* what the embedded-Python bridge (mmarml-python.so) calls */
    capsule = PyCapsule_New(&c_api, MMARML_PYTHON_CAPSULE, NULL);
    if (mmarml_error == NULL || capsule == NULL ||
        PyModule_AddObject(m, "MmarmlError", mmarml_error) < 0 ||
        PyModule_AddObject(m, "Space", (PyObject *)&space_type) < 0 ||
        PyModule_AddObject(m, "Job", (PyObject *)&job_type) < 0 ||
        PyModule_AddObject(m, "Context", (PyObject *)&components_context_type) < 0 ||
        PyModule_AddObject(m, "_C_API", capsule) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(mmarml_error); /* the module's reference was stolen; keep ours */
    return m;
}
