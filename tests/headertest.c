/* <mmarml.h> alone must compile as strict C99 (-std=c99 -pedantic -Werror). */
#include <mmarml.h>

int main(void)
{
    mmarml_controller_vtable cv = MMARML_CONTROLLER_VTABLE_INIT;
    mmarml_handler_vtable hv = MMARML_HANDLER_VTABLE_INIT;
    mmarml_executor_vtable ev = MMARML_EXECUTOR_VTABLE_INIT;
    mmarml_engine_options eo = MMARML_ENGINE_OPTIONS_INIT;

    (void)hv;
    (void)ev;
    (void)eo;
    return mmarml_version() == MMARML_VERSION_NUMBER && cv.version == 1 ? 0 : 1;
}
