#include "config.h"

#include "internal.h"

unsigned int mmarml_version(void)
{
    return MMARML_VERSION_NUMBER;
}

const char *mmarml_version_string(void)
{
    return MMARML_VERSION_STRING;
}
