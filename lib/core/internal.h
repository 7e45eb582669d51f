/* Private helpers of lib/core. Never installed; reference components must not include it. */
#ifndef MMARML_CORE_INTERNAL_H
#define MMARML_CORE_INTERNAL_H

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

#include "mmarml.h"

/* Atomic reference counts (GCC builtins, as jansson does). */
typedef struct {
    uint32_t count;
} mmarml__refcount;

static inline void mmarml__ref_init(mmarml__refcount *r) { r->count = 1; }
static inline void mmarml__ref_inc(mmarml__refcount *r)
{
    __atomic_add_fetch(&r->count, 1, __ATOMIC_RELAXED);
}
/* Returns 1 when the last reference was dropped. */
static inline int mmarml__ref_dec(mmarml__refcount *r)
{
    return __atomic_sub_fetch(&r->count, 1, __ATOMIC_ACQ_REL) == 0;
}

/* Take another reference to `list`: mmarml_recommendation_list_free() drops one. Share only
 * a frozen list, so that every holder sees it as it was. NULL-safe; returns its argument. */
mmarml_recommendation_list *mmarml__recommendation_list_share(mmarml_recommendation_list *list);
/* Make `list` read-only for good: append and clear refuse it (MMARML_EINVAL). */
void mmarml__recommendation_list_freeze(mmarml_recommendation_list *list);

char *mmarml__strdup(const char *s);
/* What a user method returned, made a defined result. Call mmarml_error_clear() before the
 * method. A positive code is refused (MMARML_EUSER naming `what` and the code); a negative
 * one without a message of its own gets one naming `what`, never a stale earlier message. */
int mmarml__method_result(int rc, const char *what);
/* MMARML_ESTORAGE for an errno that says the file system failed (full, quota, read-only,
 * I/O error, file too large), MMARML_EIO for any other. */
int mmarml__errno_code(int err);
/* Seconds on CLOCK_MONOTONIC. */
double mmarml__now(void);
/* "%s" of an allocated printf; NULL on failure. */
char *mmarml__asprintf(const char *fmt, ...) MMARML_PRINTF(1, 2);

/* Shorthands for the frequent error returns. */
#define MMARML__NOMEM() mmarml_error_set(MMARML_ENOMEM, "out of memory in %s", __func__)
#define MMARML__NULLARG(name) \
    mmarml_error_set(MMARML_EINVAL, "%s: argument '%s' is NULL", __func__, name)

/*
 * Copy a user vtable into the library's zeroed copy (libfuse's op_size rule).
 * `v1_size`: size of the version-1 layout; `what`: "controller" etc. for messages.
 */
int mmarml__vtable_copy(void *dst, size_t dst_size, const void *src, size_t v1_size,
                        uint32_t max_version, const char *what);

/* Every controller, handler and executor handle starts with a kind tag (a magic with the
 * MMARML_COMPONENT_* value in its low byte), so that the registry can tell what a factory
 * really returned: a controller where a handler was asked for crashed the run (SEGV). */
#define MMARML__KIND_TAG(kind) (0x6d6d6c00u | (uint32_t)(kind))
/* MMARML_COMPONENT_* of a component handle, or 0 when it carries no tag of ours. */
int mmarml__component_kind(const void *component);

/* Context hooks used by the engine: wake it when a stop is asked anywhere on the chain. */
typedef void (*mmarml__stop_hook)(void *arg);
void mmarml__context_set_stop_hook(mmarml_context *ctx, mmarml__stop_hook hook, void *arg);

/* Handler events by index (the order of the vtable members); the engine's fast path. */
enum {
    MMARML__EV_STARTUP,
    MMARML__EV_SHUTDOWN,
    MMARML__EV_START_AUTOML,
    MMARML__EV_END_AUTOML,
    MMARML__EV_SEARCH_SPACE_AVAILABLE,
    MMARML__EV_RECOMMENDATIONS_AVAILABLE,
    MMARML__EV_START_JOB,
    MMARML__EV_END_JOB,
    MMARML__EV_ROUND_ENDED
};
int mmarml__handler_fire_index(mmarml_handler *h, int event, mmarml_context *ctx);
const char *mmarml__event_name(int event);

/* Workers string ("0:0:1:1", "0,1:2,3") -> one GPU list string per worker ("0,1"). */
int mmarml__parse_workers(char ***gpus_out, size_t *count_out, const char *spec);
void mmarml__free_workers(char **gpus, size_t count);

#endif
