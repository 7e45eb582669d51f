/* Registration of the bundled components into a new registry. */
#ifndef MMARML_REGISTRY_BUILTINS_H
#define MMARML_REGISTRY_BUILTINS_H

#include "mmarml.h"

int mmarml__register_builtins(mmarml_registry *reg);

#endif
