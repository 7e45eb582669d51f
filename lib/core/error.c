/* Error codes, their names, and the per-thread last error (libgit2's git_error_last). */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

typedef struct {
    int code;
    char *message;
} thread_error;

static pthread_key_t error_key;
static pthread_once_t error_once = PTHREAD_ONCE_INIT;
static int error_key_ok;

static void thread_error_free(void *p)
{
    thread_error *te = p;

    if (te != NULL) {
        free(te->message);
        free(te);
    }
}

static void error_key_create(void)
{
    error_key_ok = pthread_key_create(&error_key, thread_error_free) == 0;
}

static thread_error *thread_error_get(int create)
{
    thread_error *te;

    pthread_once(&error_once, error_key_create);
    if (!error_key_ok)
        return NULL;
    te = pthread_getspecific(error_key);
    if (te == NULL && create) {
        te = calloc(1, sizeof(*te));
        if (te != NULL && pthread_setspecific(error_key, te) != 0) {
            free(te);
            te = NULL;
        }
    }
    return te;
}

const char *mmarml_strerror(int code)
{
    switch (code) {
#define MMARML_ERRNO_CASE_(name, value, text) \
    case value:                                \
        return text;
        MMARML_ERRNO_MAP(MMARML_ERRNO_CASE_)
#undef MMARML_ERRNO_CASE_
    default:
        return "unknown error";
    }
}

const char *mmarml_error_name(int code)
{
    switch (code) {
#define MMARML_ERRNO_NAME_(name, value, text) \
    case value:                                \
        return "MMARML_" #name;
        MMARML_ERRNO_MAP(MMARML_ERRNO_NAME_)
#undef MMARML_ERRNO_NAME_
    default:
        return "MMARML_UNKNOWN";
    }
}

int mmarml_error_code(void)
{
    thread_error *te = thread_error_get(0);

    return te != NULL ? te->code : MMARML_OK;
}

const char *mmarml_error_message(void)
{
    thread_error *te = thread_error_get(0);

    return te != NULL && te->message != NULL ? te->message : "";
}

void mmarml_error_clear(void)
{
    thread_error *te = thread_error_get(0);

    if (te != NULL) {
        te->code = MMARML_OK;
        free(te->message);
        te->message = NULL;
    }
}

int mmarml_error_setv(int code, const char *fmt, va_list ap)
{
    thread_error *te = thread_error_get(1);
    va_list ap2;
    char *msg;
    int n;

    if (te == NULL)
        return code;
    te->code = code;
    if (fmt == NULL)
        fmt = mmarml_strerror(code);
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return code;
    msg = malloc((size_t)n + 1);
    if (msg == NULL)
        return code; /* keep the previous message rather than none */
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    free(te->message);
    te->message = msg;
    return code;
}

int mmarml_error_set(int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    mmarml_error_setv(code, fmt, ap);
    va_end(ap);
    return code;
}
