/* DummyHandler: one trace line per event, so a run can be followed in the trace. */
#include "config.h"

#include "mmarml.h"

static int dummy_handle_event(mmarml_handler *self, const char *event, mmarml_context *ctx,
                              void *ud)
{
    char *job = NULL;

    (void)self;
    (void)ud;
    if (mmarml_context_get_string(ctx, MMARML_KEY_JOB_NAME, &job) == MMARML_OK) {
        mmarml_context_trace(ctx, "DummyHandler", "%s %s", event, job);
        mmarml_free(job);
    } else {
        mmarml_context_trace(ctx, "DummyHandler", "%s", event);
    }
    return MMARML_OK;
}

int mmarml_handler_new_dummy(mmarml_handler **out)
{
    static const mmarml_handler_vtable vt = {
        .struct_size = sizeof(mmarml_handler_vtable),
        .version = MMARML_HANDLER_VTABLE_VERSION,
        .handle_event = dummy_handle_event,
    };

    return mmarml_handler_new(out, &vt, NULL);
}
