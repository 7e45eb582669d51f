/* Registration of the bundled components into a new registry. */
#ifndef MMARML_REGISTRY_BUILTINS_H
#define MMARML_REGISTRY_BUILTINS_H

#include "mmarml.h"

int mmarml__register_builtins(mmarml_registry *reg);

/* Python components (python.c): does `path` name a Python class ("module.Class": no '/',
 * no ':', no ".so")? */
int mmarml__is_python_class(const char *path);
/* Make one with `loader`, or with the embedded-Python bridge when it is NULL. */
int mmarml__python_component(void **out, int kind, const char *class_path, const json_t *args,
                             const char *where, mmarml_python_loader loader, void *user_data,
                             const char *const *module_paths);

#endif
