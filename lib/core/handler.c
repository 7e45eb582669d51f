/* Handler handles around a user vtable; events by name. */
#include "config.h"

#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "internal.h"

struct mmarml_handler {
    uint32_t kind; /* first: MMARML__KIND_TAG(MMARML_COMPONENT_HANDLER), see internal.h */
    mmarml__refcount ref;
    mmarml_handler_vtable vt;
    void *user_data;
};

#define HANDLER_V1_SIZE (offsetof(mmarml_handler_vtable, destroy) + sizeof(void (*)(void)))

/* Event name -> member offset, in the order of the vtable. */
static const struct {
    const char *name;
    size_t offset;
} events[] = {
    {MMARML_EVENT_STARTUP, offsetof(mmarml_handler_vtable, startup)},
    {MMARML_EVENT_SHUTDOWN, offsetof(mmarml_handler_vtable, shutdown)},
    {MMARML_EVENT_START_AUTOML, offsetof(mmarml_handler_vtable, start_automl)},
    {MMARML_EVENT_END_AUTOML, offsetof(mmarml_handler_vtable, end_automl)},
    {MMARML_EVENT_SEARCH_SPACE_AVAILABLE, offsetof(mmarml_handler_vtable, search_space_available)},
    {MMARML_EVENT_RECOMMENDATIONS_AVAILABLE,
     offsetof(mmarml_handler_vtable, recommendations_available)},
    {MMARML_EVENT_START_JOB, offsetof(mmarml_handler_vtable, start_job)},
    {MMARML_EVENT_END_JOB, offsetof(mmarml_handler_vtable, end_job)},
    {MMARML_EVENT_ROUND_ENDED, offsetof(mmarml_handler_vtable, round_ended)},
};
#define NEVENTS (sizeof(events) / sizeof(events[0]))

static mmarml_handler_event_fn event_method(const mmarml_handler_vtable *vt, size_t i)
{
    mmarml_handler_event_fn fn;

    memcpy(&fn, (const char *)vt + events[i].offset, sizeof(fn));
    return fn;
}

int mmarml_handler_vtable_init(mmarml_handler_vtable *vt, uint32_t version)
{
    mmarml_handler_vtable init = MMARML_HANDLER_VTABLE_INIT;

    if (vt == NULL)
        return MMARML__NULLARG("vt");
    if (version == 0 || version > MMARML_HANDLER_VTABLE_VERSION)
        return mmarml_error_set(MMARML_EVERSION, "handler vtable version %u is not supported",
                                version);
    *vt = init;
    vt->version = version;
    return MMARML_OK;
}

int mmarml_handler_new(mmarml_handler **out, const mmarml_handler_vtable *vtable,
                       void *user_data)
{
    mmarml_handler_vtable vt;
    mmarml_handler *h;
    size_t i;
    int rc, any;

    if (out == NULL)
        return MMARML__NULLARG("out");
    *out = NULL;
    rc = mmarml__vtable_copy(&vt, sizeof(vt), vtable, HANDLER_V1_SIZE,
                             MMARML_HANDLER_VTABLE_VERSION, "handler");
    if (rc != MMARML_OK)
        return rc;
    any = vt.handle_event != NULL;
    for (i = 0; i < NEVENTS && !any; i++)
        any = event_method(&vt, i) != NULL;
    if (!any)
        return mmarml_error_set(MMARML_EINVAL, "handler vtable: no event method and no "
                                "handle_event is set");
    h = calloc(1, sizeof(*h));
    if (h == NULL)
        return MMARML__NOMEM();
    h->kind = MMARML__KIND_TAG(MMARML_COMPONENT_HANDLER);
    mmarml__ref_init(&h->ref);
    h->vt = vt;
    h->user_data = user_data;
    *out = h;
    return MMARML_OK;
}

mmarml_handler *mmarml_handler_ref(mmarml_handler *h)
{
    if (h != NULL)
        mmarml__ref_inc(&h->ref);
    return h;
}

mmarml_handler *mmarml_handler_unref(mmarml_handler *h)
{
    if (h != NULL && mmarml__ref_dec(&h->ref)) {
        if (h->vt.destroy != NULL)
            h->vt.destroy(h->user_data);
        free(h);
    }
    return NULL;
}

void *mmarml_handler_get_user_data(const mmarml_handler *h)
{
    return h != NULL ? h->user_data : NULL;
}

const char *mmarml__event_name(int event)
{
    return event >= 0 && (size_t)event < NEVENTS ? events[event].name : "unknown";
}

int mmarml__handler_fire_index(mmarml_handler *h, int event, mmarml_context *ctx)
{
    mmarml_handler_event_fn fn = event_method(&h->vt, (size_t)event);

    char what[64];

    if (fn == NULL && h->vt.handle_event == NULL)
        return MMARML_OK;
    snprintf(what, sizeof(what), "a handler's %s", events[event].name);
    mmarml_error_clear();
    if (fn != NULL)
        return mmarml__method_result(fn(h, ctx, h->user_data), what);
    return mmarml__method_result(h->vt.handle_event(h, events[event].name, ctx, h->user_data),
                                 what);
}

int mmarml_handler_fire(mmarml_handler *h, const char *event, mmarml_context *ctx)
{
    size_t i;

    if (h == NULL || event == NULL)
        return MMARML__NULLARG(h == NULL ? "handler" : "event");
    for (i = 0; i < NEVENTS; i++)
        if (strcmp(events[i].name, event) == 0)
            return mmarml__handler_fire_index(h, (int)i, ctx);
    return mmarml_error_set(MMARML_EINVAL, "unknown handler event '%s'", event);
}
