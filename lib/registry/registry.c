/* The component registry: names -> factories, plus loading factories from shared objects.
 * Built on the public API only. */
#include "config.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "mmarml.h"
#include "builtins.h"
#include "../core/internal.h"

typedef struct {
    int kind;
    char *name;
    mmarml_component_factory factory;
    void *user_data;
} entry;

struct mmarml_registry {
    uint32_t refs;
    entry *entries;
    size_t count, cap;
    /* Python components (python.c) */
    mmarml_python_loader python_loader;
    void *python_user_data;
    char **python_paths; /* NULL-terminated, the latest first */
    size_t npython_paths;
};

static const char *kind_name(int kind)
{
    switch (kind) {
    case MMARML_COMPONENT_CONTROLLER:
        return "controller";
    case MMARML_COMPONENT_HANDLER:
        return "handler";
    case MMARML_COMPONENT_EXECUTOR:
        return "executor";
    case MMARML_COMPONENT_PRUNER:
        return "pruner";
    default:
        return "component";
    }
}

int mmarml_registry_new(mmarml_registry **out)
{
    mmarml_registry *reg;
    int rc;

    if (out == NULL)
        return mmarml_error_set(MMARML_EINVAL, "mmarml_registry_new: out is NULL");
    *out = NULL;
    reg = calloc(1, sizeof(*reg));
    if (reg == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "out of memory creating a registry");
    reg->refs = 1;
    rc = mmarml__register_builtins(reg);
    if (rc != MMARML_OK) {
        mmarml_registry_unref(reg);
        return rc;
    }
    *out = reg;
    return MMARML_OK;
}

mmarml_registry *mmarml_registry_ref(mmarml_registry *reg)
{
    if (reg != NULL)
        __atomic_add_fetch(&reg->refs, 1, __ATOMIC_RELAXED);
    return reg;
}

mmarml_registry *mmarml_registry_unref(mmarml_registry *reg)
{
    size_t i;

    if (reg == NULL || __atomic_sub_fetch(&reg->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return NULL;
    for (i = 0; i < reg->count; i++)
        free(reg->entries[i].name);
    for (i = 0; i < reg->npython_paths; i++)
        free(reg->python_paths[i]);
    free(reg->python_paths);
    free(reg->entries);
    free(reg);
    return NULL;
}

int mmarml_registry_set_python_loader(mmarml_registry *reg, mmarml_python_loader loader,
                                      void *user_data)
{
    if (reg == NULL)
        return mmarml_error_set(MMARML_EINVAL, "mmarml_registry_set_python_loader: no registry");
    reg->python_loader = loader;
    reg->python_user_data = user_data;
    return MMARML_OK;
}

int mmarml_registry_add_python_path(mmarml_registry *reg, const char *dir)
{
    char **paths, *copy;

    if (reg == NULL || dir == NULL)
        return mmarml_error_set(MMARML_EINVAL, "mmarml_registry_add_python_path: registry and "
                                "directory are required");
    if ((copy = strdup(dir)) == NULL ||
        (paths = realloc(reg->python_paths, (reg->npython_paths + 2) * sizeof(char *))) == NULL) {
        free(copy);
        return mmarml_error_set(MMARML_ENOMEM, "out of memory adding '%s'", dir);
    }
    memmove(paths + 1, paths, reg->npython_paths * sizeof(char *)); /* the latest first */
    paths[0] = copy;
    paths[++reg->npython_paths] = NULL;
    reg->python_paths = paths;
    return MMARML_OK;
}

static entry *find(const mmarml_registry *reg, int kind, const char *name)
{
    size_t i;

    for (i = 0; i < reg->count; i++)
        if (reg->entries[i].kind == kind && strcmp(reg->entries[i].name, name) == 0)
            return &reg->entries[i];
    return NULL;
}

/* "A, B, C": the names registered for `kind`, in the order they were registered, for the
 * message about a name that is not one of them; malloc'ed, NULL when out of memory. */
static char *known_names(const mmarml_registry *reg, int kind)
{
    size_t i, len = sizeof("(none)");
    char *out, *at;

    for (i = 0; i < reg->count; i++)
        if (reg->entries[i].kind == kind)
            len += strlen(reg->entries[i].name) + 2;
    if ((out = malloc(len)) == NULL)
        return NULL;
    strcpy(out, "(none)");
    for (i = 0, at = out; i < reg->count; i++) {
        if (reg->entries[i].kind != kind)
            continue;
        if (at != out)
            at = stpcpy(at, ", ");
        at = stpcpy(at, reg->entries[i].name);
    }
    return out;
}

int mmarml_registry_register(mmarml_registry *reg, int kind, const char *name,
                             mmarml_component_factory factory, void *user_data)
{
    entry *e;
    char *copy;

    if (reg == NULL || name == NULL || *name == '\0' || factory == NULL)
        return mmarml_error_set(MMARML_EINVAL, "mmarml_registry_register: registry, name and "
                                "factory are required");
    if (kind < MMARML_COMPONENT_CONTROLLER || kind > MMARML_COMPONENT_PRUNER)
        return mmarml_error_set(MMARML_EINVAL, "unknown component kind %d for '%s'", kind,
                                name);
    e = find(reg, kind, name);
    if (e == NULL) {
        if ((copy = strdup(name)) == NULL)
            return mmarml_error_set(MMARML_ENOMEM, "out of memory registering '%s'", name);
        if (reg->count == reg->cap) {
            size_t cap = reg->cap ? reg->cap * 2 : 16;
            entry *entries = realloc(reg->entries, cap * sizeof(*entries));
            if (entries == NULL) {
                free(copy);
                return mmarml_error_set(MMARML_ENOMEM, "out of memory registering '%s'", name);
            }
            reg->entries = entries;
            reg->cap = cap;
        }
        e = &reg->entries[reg->count++];
        e->kind = kind;
        e->name = copy;
    }
    e->factory = factory;
    e->user_data = user_data;
    return MMARML_OK;
}

int mmarml_registry_has(const mmarml_registry *reg, int kind, const char *name)
{
    return reg != NULL && name != NULL && find(reg, kind, name) != NULL;
}

/* "libx.so:factory" -> the factory symbol. The object is never unloaded: components made
 * by it may outlive the registry. */
static int load_factory(mmarml_component_factory *out, const char *path, const char *where)
{
    const char *colon = strrchr(path, ':');
    char *lib;
    void *handle, *sym;

    if (colon == NULL) {
        return mmarml_error_set(MMARML_EINVAL,
                                "%s: path '%s' must be \"library.so:factory_symbol\"", where,
                                path);
    }
    if (colon == path || colon[1] == '\0')
        return mmarml_error_set(MMARML_EINVAL,
                                "%s: path '%s' must be \"library.so:factory_symbol\"", where,
                                path);
    lib = strndup(path, (size_t)(colon - path));
    if (lib == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "out of memory loading '%s'", path);
    dlerror();
    handle = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    free(lib);
    if (handle == NULL)
        return mmarml_error_set(MMARML_ENOTFOUND, "%s: cannot load '%s': %s", where, path,
                                dlerror());
    sym = dlsym(handle, colon + 1);
    if (sym == NULL)
        return mmarml_error_set(MMARML_ENOTFOUND, "%s: '%s' has no symbol '%s'", where, path,
                                colon + 1);
    /* POSIX guarantees that a data pointer from dlsym converts to a function pointer. */
    memcpy(out, &sym, sizeof(*out));
    return MMARML_OK;
}

/* A factory returned another kind of component (or no component of ours): release it when
 * its kind is known, and say what happened. */
static int wrong_kind(void **out, int kind, const char *spec, const char *where)
{
    int got = mmarml__component_kind(*out);

    if (got == MMARML_COMPONENT_CONTROLLER)
        mmarml_controller_unref(*out);
    else if (got == MMARML_COMPONENT_HANDLER)
        mmarml_handler_unref(*out);
    else if (got == MMARML_COMPONENT_EXECUTOR)
        mmarml_executor_unref(*out);
    else if (got == MMARML_COMPONENT_PRUNER)
        mmarml_pruner_unref(*out);
    *out = NULL;
    return mmarml_error_set(MMARML_EINVAL, "%s: the factory of '%s' returned %s%s, not a %s",
                            where, spec, got != 0 ? "a " : "",
                            got != 0 ? kind_name(got) : "something that is no component",
                            kind_name(kind));
}

static int create(void **out, mmarml_registry *reg, int kind, const json_t *spec,
                  const char *where)
{
    const char *name, *path;
    const json_t *args, *jname, *jpath;
    mmarml_component_factory factory = NULL;
    void *user_data = NULL;
    const char *key;
    json_t *value;
    int rc;

    *out = NULL;
    if (where == NULL)
        where = kind_name(kind);
    if (reg == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s: registry is NULL", where);
    if (!json_is_object(spec))
        return mmarml_error_set(MMARML_EINVAL, "%s: a %s must be a JSON object with \"name\" "
                                "or \"path\"", where, kind_name(kind));
    json_object_foreach((json_t *)spec, key, value)
    {
        if (strcmp(key, "name") != 0 && strcmp(key, "path") != 0 && strcmp(key, "args") != 0)
            return mmarml_error_set(MMARML_EINVAL, "%s: unknown key '%s' (allowed: name, path, "
                                    "args)", where, key);
    }
    jname = json_object_get(spec, "name");
    jpath = json_object_get(spec, "path");
    args = json_object_get(spec, "args");
    if ((jname != NULL && !json_is_string(jname)) || (jpath != NULL && !json_is_string(jpath)))
        return mmarml_error_set(MMARML_EINVAL, "%s: \"name\" and \"path\" must be strings",
                                where);
    if (args != NULL && !json_is_object(args) && !json_is_null(args))
        return mmarml_error_set(MMARML_EINVAL, "%s.args: must be an object", where);
    name = json_string_value(jname);
    path = json_string_value(jpath);
    if (path != NULL && mmarml__is_python_class(path)) {
        rc = mmarml__python_component(out, kind, path, json_is_null(args) ? NULL : args, where,
                                      reg->python_loader, reg->python_user_data,
                                      (const char *const *)reg->python_paths);
        if (rc == MMARML_OK && mmarml__component_kind(*out) != kind)
            rc = wrong_kind(out, kind, path, where);
        return rc;
    }
    if (path != NULL) {
        rc = load_factory(&factory, path, where);
        if (rc != MMARML_OK)
            return rc;
    } else if (name != NULL) {
        entry *e = find(reg, kind, name);
        if (e == NULL) {
            char *known = known_names(reg, kind);

            rc = mmarml_error_set(MMARML_ENOTFOUND, "%s: unknown %s '%s' (known: %s)", where,
                                  kind_name(kind), name, known != NULL ? known : "?");
            free(known);
            return rc;
        }
        factory = e->factory;
        user_data = e->user_data;
    } else {
        return mmarml_error_set(MMARML_EINVAL, "%s: needs \"name\" or \"path\"", where);
    }
    mmarml_error_clear(); /* a factory that fails without a message is named as such */
    rc = factory(out, json_is_null(args) ? NULL : args, user_data);
    if (rc == MMARML_OK && *out == NULL)
        rc = mmarml_error_set(MMARML_EUSER, "%s: factory of '%s' returned nothing", where,
                              path != NULL ? path : name);
    if (rc == MMARML_OK && mmarml__component_kind(*out) != kind)
        rc = wrong_kind(out, kind, path != NULL ? path : name, where);
    if (rc != MMARML_OK) {
        /* say which component the factory's message is about */
        char *msg = strdup(mmarml_error_message());
        if (msg == NULL || msg[0] == '\0')
            mmarml_error_set(rc, "%s: the factory of '%s' failed (%s) without saying why",
                             where, path != NULL ? path : name, mmarml_error_name(rc));
        else
            mmarml_error_set(rc, "%s: %s", where, msg);
        free(msg);
        *out = NULL;
    }
    return rc;
}

int mmarml_registry_create_controller(mmarml_controller **out, mmarml_registry *reg,
                                      const json_t *spec, const char *where)
{
    if (out == NULL)
        return mmarml_error_set(MMARML_EINVAL, "out is NULL");
    return create((void **)out, reg, MMARML_COMPONENT_CONTROLLER, spec, where);
}

int mmarml_registry_create_handler(mmarml_handler **out, mmarml_registry *reg,
                                   const json_t *spec, const char *where)
{
    if (out == NULL)
        return mmarml_error_set(MMARML_EINVAL, "out is NULL");
    return create((void **)out, reg, MMARML_COMPONENT_HANDLER, spec, where);
}

int mmarml_registry_create_executor(mmarml_executor **out, mmarml_registry *reg,
                                    const json_t *spec, const char *where)
{
    if (out == NULL)
        return mmarml_error_set(MMARML_EINVAL, "out is NULL");
    return create((void **)out, reg, MMARML_COMPONENT_EXECUTOR, spec, where);
}

int mmarml_registry_create_pruner(mmarml_pruner **out, mmarml_registry *reg, const json_t *spec,
                                  const char *where)
{
    if (out == NULL)
        return mmarml_error_set(MMARML_EINVAL, "out is NULL");
    return create((void **)out, reg, MMARML_COMPONENT_PRUNER, spec, where);
}
