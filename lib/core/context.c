/* Context: a typed, locked property bag with a parent chain. Run-wide state (stop request,
 * exceptions, trace sink, log function) lives on the root of the chain. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/*
 * A property. Short keys and short string values live inside the struct, so a typical job
 * context (a handful of properties such as "_jobName" = "W1_3_J7") costs no allocation
 * beyond the context itself. Nothing points into these buffers: the props array may move.
 */
#define INLINE_KEY 32
#define INLINE_STR 32
#define INLINE_PROPS 8

typedef struct {
    int type;
    int key_on_heap;
    int str_on_heap;
    char *heap_key;
    char key_buf[INLINE_KEY];
    union {
        int64_t i;
        double d;
        int b;
        char *s; /* when str_on_heap */
        json_t *j;
        struct {
            void *ptr;
            mmarml_destroy_fn destroy;
        } p;
    } v;
    char str_buf[INLINE_STR];
} prop;

static const char *prop_key(const prop *p)
{
    return p->key_on_heap ? p->heap_key : p->key_buf;
}

static const char *prop_str(const prop *p)
{
    return p->str_on_heap ? p->v.s : p->str_buf;
}

struct mmarml_context {
    mmarml__refcount ref;
    mmarml_context *parent;
    pthread_mutex_t lock;
    prop *props; /* inline_props until more are needed */
    size_t nprops, cap;
    prop inline_props[INLINE_PROPS];
    void *user_data;

    /* run-wide state, used on the root only */
    int stop_asked;
    char *stop_message;
    mmarml__stop_hook stop_hook;
    void *stop_hook_arg;
    uint64_t exception_count;
    char *last_exception;
    int trace_dest;
    FILE *trace_file;
    mmarml_log_fn log_fn;
    void *log_data;
    int log_level;
};

static mmarml_context *root_of(const mmarml_context *ctx)
{
    while (ctx->parent != NULL)
        ctx = ctx->parent;
    return (mmarml_context *)ctx;
}

int mmarml_context_new(mmarml_context **out, mmarml_context *parent)
{
    mmarml_context *ctx;

    if (out == NULL)
        return MMARML__NULLARG("out");
    *out = NULL;
    ctx = calloc(1, sizeof(*ctx));
    if (ctx == NULL)
        return MMARML__NOMEM();
    mmarml__ref_init(&ctx->ref);
    pthread_mutex_init(&ctx->lock, NULL);
    ctx->props = ctx->inline_props;
    ctx->cap = INLINE_PROPS;
    ctx->parent = mmarml_context_ref(parent);
    *out = ctx;
    return MMARML_OK;
}

mmarml_context *mmarml_context_ref(mmarml_context *ctx)
{
    if (ctx != NULL)
        mmarml__ref_inc(&ctx->ref);
    return ctx;
}

/* Release a prop's value (called outside the lock, on a copy). The key stays. */
static void prop_release(prop *p)
{
    switch (p->type) {
    case MMARML_PROP_STRING:
        if (p->str_on_heap)
            free(p->v.s);
        break;
    case MMARML_PROP_JSON:
        json_decref(p->v.j);
        break;
    case MMARML_PROP_POINTER:
        if (p->v.p.destroy != NULL)
            p->v.p.destroy(p->v.p.ptr);
        break;
    default:
        break;
    }
    p->type = MMARML_PROP_NONE;
}

mmarml_context *mmarml_context_unref(mmarml_context *ctx)
{
    size_t i;

    if (ctx == NULL || !mmarml__ref_dec(&ctx->ref))
        return NULL;
    for (i = 0; i < ctx->nprops; i++) {
        prop_release(&ctx->props[i]);
        if (ctx->props[i].key_on_heap)
            free(ctx->props[i].heap_key);
    }
    if (ctx->props != ctx->inline_props)
        free(ctx->props);
    free(ctx->stop_message);
    free(ctx->last_exception);
    if (ctx->trace_file != NULL)
        fclose(ctx->trace_file);
    pthread_mutex_destroy(&ctx->lock);
    mmarml_context_unref(ctx->parent);
    free(ctx);
    return NULL;
}

mmarml_context *mmarml_context_get_parent(const mmarml_context *ctx)
{
    return ctx != NULL ? ctx->parent : NULL;
}

void mmarml_context_set_user_data(mmarml_context *ctx, void *user_data)
{
    if (ctx != NULL)
        ctx->user_data = user_data;
}

void *mmarml_context_get_user_data(const mmarml_context *ctx)
{
    return ctx != NULL ? ctx->user_data : NULL;
}

static prop *find_local(mmarml_context *ctx, const char *key)
{
    size_t i;

    for (i = 0; i < ctx->nprops; i++)
        if (strcmp(prop_key(&ctx->props[i]), key) == 0)
            return &ctx->props[i];
    return NULL;
}

/* Make room for one more prop and give it `key`; lock held. NULL when out of memory. */
static prop *add_local(mmarml_context *ctx, const char *key)
{
    size_t klen = strlen(key);
    prop *p;

    if (ctx->nprops == ctx->cap) {
        size_t cap = ctx->cap * 2;
        prop *props = ctx->props == ctx->inline_props ? malloc(cap * sizeof(*props))
                                                      : realloc(ctx->props, cap * sizeof(*props));
        if (props == NULL)
            return NULL;
        if (ctx->props == ctx->inline_props)
            memcpy(props, ctx->inline_props, sizeof(ctx->inline_props));
        ctx->props = props;
        ctx->cap = cap;
    }
    p = &ctx->props[ctx->nprops];
    memset(p, 0, sizeof(*p));
    if (klen < INLINE_KEY) {
        memcpy(p->key_buf, key, klen + 1);
    } else {
        if ((p->heap_key = mmarml__strdup(key)) == NULL)
            return NULL;
        p->key_on_heap = 1;
    }
    ctx->nprops++;
    return p;
}

/*
 * Store a value under `key`: `value` holds the type and the union; for a string, `str` is the
 * text (copied inline when short, else `value->v.s` is its heap copy, made by the caller
 * before locking). The previous value is released after unlocking, so a pointer destructor
 * never runs under the lock. On failure the caller keeps what it allocated.
 */
static int set_prop(mmarml_context *ctx, const char *key, const prop *value, const char *str)
{
    prop old = {0}, *p;

    if (ctx == NULL)
        return MMARML__NULLARG("ctx");
    if (key == NULL)
        return MMARML__NULLARG("key");
    pthread_mutex_lock(&ctx->lock);
    p = find_local(ctx, key);
    if (p != NULL) {
        old = *p;
    } else if ((p = add_local(ctx, key)) == NULL) {
        pthread_mutex_unlock(&ctx->lock);
        return MMARML__NOMEM();
    }
    p->type = value->type;
    p->v = value->v;
    p->str_on_heap = value->str_on_heap;
    if (value->type == MMARML_PROP_STRING && !value->str_on_heap)
        memcpy(p->str_buf, str, strlen(str) + 1);
    pthread_mutex_unlock(&ctx->lock);
    prop_release(&old);
    return MMARML_OK;
}

int mmarml_context_set_int(mmarml_context *ctx, const char *key, int64_t value)
{
    prop p = {.type = MMARML_PROP_INT, .v.i = value};
    return set_prop(ctx, key, &p, NULL);
}

int mmarml_context_set_double(mmarml_context *ctx, const char *key, double value)
{
    prop p = {.type = MMARML_PROP_DOUBLE, .v.d = value};
    return set_prop(ctx, key, &p, NULL);
}

int mmarml_context_set_bool(mmarml_context *ctx, const char *key, int value)
{
    prop p = {.type = MMARML_PROP_BOOL, .v.b = value != 0};
    return set_prop(ctx, key, &p, NULL);
}

int mmarml_context_set_string(mmarml_context *ctx, const char *key, const char *value)
{
    prop p = {.type = MMARML_PROP_STRING};
    int rc;

    if (value == NULL)
        return MMARML__NULLARG("value");
    if (strlen(value) >= INLINE_STR) {
        if ((p.v.s = mmarml__strdup(value)) == NULL)
            return MMARML__NOMEM();
        p.str_on_heap = 1;
    }
    rc = set_prop(ctx, key, &p, value);
    if (rc != MMARML_OK && p.str_on_heap)
        free(p.v.s);
    return rc;
}

int mmarml_context_set_json(mmarml_context *ctx, const char *key, const json_t *value)
{
    prop p = {.type = MMARML_PROP_JSON};
    int rc;

    if (value == NULL)
        return MMARML__NULLARG("value");
    p.v.j = json_deep_copy(value);
    if (p.v.j == NULL)
        return MMARML__NOMEM();
    rc = set_prop(ctx, key, &p, NULL);
    if (rc != MMARML_OK)
        json_decref(p.v.j);
    return rc;
}

int mmarml_context_set_pointer(mmarml_context *ctx, const char *key, void *ptr,
                               mmarml_destroy_fn destroy)
{
    prop p = {.type = MMARML_PROP_POINTER};

    p.v.p.ptr = ptr;
    p.v.p.destroy = destroy;
    return set_prop(ctx, key, &p, NULL);
}

int mmarml_context_remove(mmarml_context *ctx, const char *key)
{
    prop old;
    prop *p;

    if (ctx == NULL || key == NULL)
        return MMARML__NULLARG(ctx == NULL ? "ctx" : "key");
    pthread_mutex_lock(&ctx->lock);
    p = find_local(ctx, key);
    if (p == NULL) {
        pthread_mutex_unlock(&ctx->lock);
        return mmarml_error_set(MMARML_ENOTFOUND, "context has no local property '%s'", key);
    }
    old = *p;
    *p = ctx->props[--ctx->nprops];
    pthread_mutex_unlock(&ctx->lock);
    if (old.key_on_heap)
        free(old.heap_key);
    prop_release(&old);
    return MMARML_OK;
}

/*
 * Walk the chain for `key`. Calls `take` under the owning context's lock so the value can be
 * copied out consistently. Returns MMARML_ENOTFOUND when no context has it.
 */
typedef int (*take_fn)(const prop *p, void *out);

static int get_prop(const mmarml_context *ctx, const char *key, take_fn take, void *out,
                    const char *want)
{
    mmarml_context *c;
    int rc;

    if (ctx == NULL || key == NULL)
        return MMARML__NULLARG(ctx == NULL ? "ctx" : "key");
    for (c = (mmarml_context *)ctx; c != NULL; c = c->parent) {
        prop *p;
        pthread_mutex_lock(&c->lock);
        p = find_local(c, key);
        if (p != NULL) {
            rc = take(p, out);
            pthread_mutex_unlock(&c->lock);
            if (rc == MMARML_ETYPE)
                return mmarml_error_set(MMARML_ETYPE, "context property '%s' is not %s", key,
                                        want);
            return rc;
        }
        pthread_mutex_unlock(&c->lock);
    }
    return mmarml_error_set(MMARML_ENOTFOUND, "context has no property '%s'", key);
}

static int take_type(const prop *p, void *out)
{
    *(int *)out = p->type;
    return MMARML_OK;
}

static int take_int(const prop *p, void *out)
{
    if (p->type != MMARML_PROP_INT)
        return MMARML_ETYPE;
    *(int64_t *)out = p->v.i;
    return MMARML_OK;
}

static int take_double(const prop *p, void *out)
{
    if (p->type == MMARML_PROP_INT)
        *(double *)out = (double)p->v.i;
    else if (p->type == MMARML_PROP_DOUBLE)
        *(double *)out = p->v.d;
    else
        return MMARML_ETYPE;
    return MMARML_OK;
}

static int take_bool(const prop *p, void *out)
{
    if (p->type != MMARML_PROP_BOOL)
        return MMARML_ETYPE;
    *(int *)out = p->v.b;
    return MMARML_OK;
}

static int take_string(const prop *p, void *out)
{
    if (p->type != MMARML_PROP_STRING)
        return MMARML_ETYPE;
    *(char **)out = mmarml__strdup(prop_str(p));
    return *(char **)out != NULL ? MMARML_OK : MMARML_ENOMEM;
}

static int take_json(const prop *p, void *out)
{
    if (p->type != MMARML_PROP_JSON)
        return MMARML_ETYPE;
    *(json_t **)out = json_incref(p->v.j);
    return MMARML_OK;
}

static int take_pointer(const prop *p, void *out)
{
    if (p->type != MMARML_PROP_POINTER)
        return MMARML_ETYPE;
    *(void **)out = p->v.p.ptr;
    return MMARML_OK;
}

int mmarml_context_get_type(const mmarml_context *ctx, const char *key)
{
    int type = MMARML_PROP_NONE;

    if (get_prop(ctx, key, take_type, &type, "") != MMARML_OK)
        return MMARML_PROP_NONE;
    return type;
}

int mmarml_context_get_int(const mmarml_context *ctx, const char *key, int64_t *out)
{
    return out != NULL ? get_prop(ctx, key, take_int, out, "an int") : MMARML__NULLARG("out");
}

int mmarml_context_get_double(const mmarml_context *ctx, const char *key, double *out)
{
    return out != NULL ? get_prop(ctx, key, take_double, out, "a number")
                       : MMARML__NULLARG("out");
}

int mmarml_context_get_bool(const mmarml_context *ctx, const char *key, int *out)
{
    return out != NULL ? get_prop(ctx, key, take_bool, out, "a bool") : MMARML__NULLARG("out");
}

int mmarml_context_get_string(const mmarml_context *ctx, const char *key, char **out)
{
    int rc;

    if (out == NULL)
        return MMARML__NULLARG("out");
    *out = NULL;
    rc = get_prop(ctx, key, take_string, out, "a string");
    return rc == MMARML_ENOMEM ? MMARML__NOMEM() : rc;
}

int mmarml_context_get_json(const mmarml_context *ctx, const char *key, json_t **out)
{
    if (out == NULL)
        return MMARML__NULLARG("out");
    *out = NULL;
    return get_prop(ctx, key, take_json, out, "JSON");
}

int mmarml_context_get_pointer(const mmarml_context *ctx, const char *key, void **out)
{
    if (out == NULL)
        return MMARML__NULLARG("out");
    *out = NULL;
    return get_prop(ctx, key, take_pointer, out, "a pointer");
}

/* ---- run-wide state on the root ---- */

void mmarml__context_set_stop_hook(mmarml_context *ctx, mmarml__stop_hook hook, void *arg)
{
    mmarml_context *root = root_of(ctx);

    pthread_mutex_lock(&root->lock);
    root->stop_hook = hook;
    root->stop_hook_arg = arg;
    pthread_mutex_unlock(&root->lock);
}

int mmarml_context_stop_work(mmarml_context *ctx, const char *issuer, const char *message)
{
    mmarml_context *root;
    mmarml__stop_hook hook = NULL;
    void *arg = NULL;
    int first = 0;

    if (ctx == NULL)
        return MMARML__NULLARG("ctx");
    root = root_of(ctx);
    pthread_mutex_lock(&root->lock);
    if (!root->stop_asked) {
        root->stop_asked = 1;
        root->stop_message = mmarml__strdup(message != NULL ? message : "");
        hook = root->stop_hook;
        arg = root->stop_hook_arg;
        first = 1;
    }
    pthread_mutex_unlock(&root->lock);
    if (first) {
        mmarml_context_log(ctx, MMARML_LOG_INFO, "[%s] asked to stop: %s",
                           issuer != NULL ? issuer : "?", message != NULL ? message : "");
        if (hook != NULL)
            hook(arg);
    }
    return MMARML_OK;
}

int mmarml_context_stop_work_asked(const mmarml_context *ctx)
{
    mmarml_context *root;
    int asked;

    if (ctx == NULL)
        return 0;
    root = root_of(ctx);
    pthread_mutex_lock(&root->lock);
    asked = root->stop_asked;
    pthread_mutex_unlock(&root->lock);
    return asked;
}

enum { ROOT_STOP_MESSAGE, ROOT_LAST_EXCEPTION };

/* Copy one of the root's run-wide strings out under its lock. */
static int copy_root_string(const mmarml_context *ctx, int which, char **out)
{
    mmarml_context *root;
    const char *src;
    int rc = MMARML_OK;

    if (ctx == NULL || out == NULL)
        return MMARML__NULLARG(ctx == NULL ? "ctx" : "out");
    *out = NULL;
    root = root_of(ctx);
    pthread_mutex_lock(&root->lock);
    if (which == ROOT_STOP_MESSAGE)
        src = root->stop_asked ? (root->stop_message ? root->stop_message : "") : NULL;
    else
        src = root->last_exception;
    if (src == NULL)
        rc = MMARML_ENOTFOUND;
    else if ((*out = mmarml__strdup(src)) == NULL)
        rc = MMARML_ENOMEM;
    pthread_mutex_unlock(&root->lock);
    if (rc == MMARML_ENOTFOUND)
        return mmarml_error_set(rc, which == ROOT_STOP_MESSAGE ? "no stop was asked"
                                                               : "no exception was reported");
    return rc == MMARML_ENOMEM ? MMARML__NOMEM() : rc;
}

int mmarml_context_get_stop_message(const mmarml_context *ctx, char **out)
{
    return copy_root_string(ctx, ROOT_STOP_MESSAGE, out);
}

int mmarml_context_exception_occurred(mmarml_context *ctx, const char *issuer,
                                      const char *message)
{
    mmarml_context *root;
    char *text;

    if (ctx == NULL)
        return MMARML__NULLARG("ctx");
    root = root_of(ctx);
    text = mmarml__asprintf("[%s] %s", issuer != NULL ? issuer : "?",
                            message != NULL ? message : "exception");
    pthread_mutex_lock(&root->lock);
    root->exception_count++;
    if (text != NULL) {
        free(root->last_exception);
        root->last_exception = text;
    }
    pthread_mutex_unlock(&root->lock);
    mmarml_context_log(ctx, MMARML_LOG_ERROR, "exception %s: %s", issuer ? issuer : "?",
                       message ? message : "exception");
    mmarml_context_trace(ctx, issuer, "exception: %s", message ? message : "exception");
    return MMARML_OK;
}

uint64_t mmarml_context_exception_count(const mmarml_context *ctx)
{
    mmarml_context *root;
    uint64_t n;

    if (ctx == NULL)
        return 0;
    root = root_of(ctx);
    pthread_mutex_lock(&root->lock);
    n = root->exception_count;
    pthread_mutex_unlock(&root->lock);
    return n;
}

int mmarml_context_get_last_exception(const mmarml_context *ctx, char **out)
{
    return copy_root_string(ctx, ROOT_LAST_EXCEPTION, out);
}

static const char *trace_dest_name(int dest)
{
    switch (dest) {
    case MMARML_TRACE_FILE:
        return "file";
    case MMARML_TRACE_CONSOLE:
        return "console";
    case MMARML_TRACE_BOTH:
        return "both";
    default:
        return "none";
    }
}

int mmarml_context_set_trace(mmarml_context *ctx, int dest, const char *file_name)
{
    mmarml_context *root;
    FILE *f = NULL, *old;
    int rc;

    if (ctx == NULL)
        return MMARML__NULLARG("ctx");
    if (dest < MMARML_TRACE_NONE || dest > MMARML_TRACE_BOTH)
        return mmarml_error_set(MMARML_EINVAL, "unknown trace destination %d", dest);
    if (dest & MMARML_TRACE_FILE) {
        int fd;
        if (file_name == NULL || *file_name == '\0')
            return mmarml_error_set(MMARML_EINVAL, "trace destination '%s' needs a file name",
                                    trace_dest_name(dest));
        fd = open(file_name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0 || (f = fdopen(fd, "a")) == NULL) {
            int err = errno;
            if (fd >= 0)
                close(fd);
            return mmarml_error_set(MMARML_EIO, "cannot open trace file '%s': %s", file_name,
                                    strerror(err));
        }
    }
    root = root_of(ctx);
    pthread_mutex_lock(&root->lock);
    old = root->trace_file;
    root->trace_file = f;
    root->trace_dest = dest;
    pthread_mutex_unlock(&root->lock);
    if (old != NULL)
        fclose(old);
    rc = mmarml_context_set_string(root, MMARML_KEY_TRACE_DEST_TYPE, trace_dest_name(dest));
    if (rc == MMARML_OK && (dest & MMARML_TRACE_FILE))
        rc = mmarml_context_set_string(root, MMARML_KEY_TRACE_DEST_FILE, file_name);
    return rc;
}

void mmarml_context_close_trace(mmarml_context *ctx)
{
    mmarml_context *root;
    FILE *old;

    if (ctx == NULL)
        return;
    root = root_of(ctx);
    pthread_mutex_lock(&root->lock);
    old = root->trace_file;
    root->trace_file = NULL;
    root->trace_dest = MMARML_TRACE_NONE;
    pthread_mutex_unlock(&root->lock);
    if (old != NULL)
        fclose(old);
}

int mmarml_context_trace(mmarml_context *ctx, const char *issuer, const char *fmt, ...)
{
    mmarml_context *root;
    char stamp[64], *msg;
    struct timeval tv;
    struct tm tm;
    va_list ap;
    int n;

    if (ctx == NULL || fmt == NULL)
        return MMARML__NULLARG(ctx == NULL ? "ctx" : "fmt");
    root = root_of(ctx);
    pthread_mutex_lock(&root->lock);
    n = root->trace_dest;
    pthread_mutex_unlock(&root->lock);
    if (n == MMARML_TRACE_NONE)
        return MMARML_OK;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return mmarml_error_set(MMARML_EINVAL, "bad trace format");
    msg = malloc((size_t)n + 1);
    if (msg == NULL)
        return MMARML__NOMEM();
    va_start(ap, fmt);
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    va_end(ap);

    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    n = (int)strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(stamp + n, sizeof(stamp) - (size_t)n, ".%06ld", (long)tv.tv_usec);

    /* One lock for the whole line so lines of different threads never interleave. */
    pthread_mutex_lock(&root->lock);
    if ((root->trace_dest & MMARML_TRACE_FILE) && root->trace_file != NULL) {
        fprintf(root->trace_file, "%s [%s] %s\n", stamp, issuer ? issuer : "-", msg);
        fflush(root->trace_file);
    }
    if (root->trace_dest & MMARML_TRACE_CONSOLE)
        fprintf(stderr, "%s [%s] %s\n", stamp, issuer ? issuer : "-", msg);
    pthread_mutex_unlock(&root->lock);
    free(msg);
    return MMARML_OK;
}

void mmarml_context_set_log_fn(mmarml_context *ctx, mmarml_log_fn fn, void *user_data,
                               int max_level)
{
    mmarml_context *root;

    if (ctx == NULL)
        return;
    root = root_of(ctx);
    pthread_mutex_lock(&root->lock);
    root->log_fn = fn;
    root->log_data = user_data;
    root->log_level = max_level;
    pthread_mutex_unlock(&root->lock);
}

void mmarml_context_log(const mmarml_context *ctx, int level, const char *fmt, ...)
{
    mmarml_context *root;
    mmarml_log_fn fn;
    void *data;
    char buf[1024];
    va_list ap;

    if (ctx == NULL || fmt == NULL)
        return;
    root = root_of(ctx);
    pthread_mutex_lock(&root->lock);
    fn = root->log_fn;
    data = root->log_data;
    if (level > root->log_level)
        fn = NULL;
    pthread_mutex_unlock(&root->lock);
    if (fn == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    fn(data, level, buf);
}
