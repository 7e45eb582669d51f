// <mmarml.h> alone must compile as C++ (catches a missing extern "C").
#include <mmarml.h>

int main()
{
    mmarml_context *ctx = nullptr;
    int rc = mmarml_context_new(&ctx, nullptr);

    mmarml_context_unref(ctx);
    return rc == MMARML_OK && mmarml_version() == MMARML_VERSION_NUMBER ? 0 : 1;
}
