/* The SearchSpaceManager handle: make from JSON or a file, ref, unref, accessors. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "space_internal.h"

static void free_items(mmarml_space_manager *m)
{
    size_t i, j;

    for (i = 0; i < m->nitems; i++) {
        for (j = 0; j < m->items[i].nargs; j++) {
            if (m->items[i].names != NULL)
                free(m->items[i].names[j]);
            if (m->items[i].aliases != NULL)
                free(m->items[i].aliases[j]);
        }
        free(m->items[i].names);
        free(m->items[i].aliases);
        space_path_free(&m->items[i].where);
    }
    free(m->items);
    for (i = 0; i < m->nsites; i++)
        space_path_free(&m->sites[i].where);
    free(m->sites);
}

mmarml_space_manager *mmarml_space_manager_unref(mmarml_space_manager *m)
{
    if (m == NULL || __atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return NULL;
    free_items(m);
    mmarml_search_space_unref(m->space);
    json_decref(m->config);
    free(m->name);
    free(m);
    return NULL;
}

mmarml_space_manager *mmarml_space_manager_ref(mmarml_space_manager *m)
{
    if (m != NULL)
        __atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
    return m;
}

int mmarml_space_manager_new(mmarml_space_manager **out, const json_t *config,
                             const char *name)
{
    mmarml_space_manager *m;
    int rc;

    if (out == NULL)
        return mmarml_error_set(MMARML_EINVAL, "mmarml_space_manager_new: out is NULL");
    *out = NULL;
    if (config == NULL)
        return mmarml_error_set(MMARML_EINVAL, "mmarml_space_manager_new: config is NULL");
    m = calloc(1, sizeof(*m));
    if (m == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "out of memory");
    m->refs = 1;
    m->name = strdup(name != NULL ? name : "config");
    m->config = json_deep_copy(config);
    if (m->name == NULL || m->config == NULL)
        rc = mmarml_error_set(MMARML_ENOMEM, "out of memory");
    else
        rc = space_extract(m);
    if (rc != MMARML_OK) {
        mmarml_space_manager_unref(m);
        return rc;
    }
    *out = m;
    return MMARML_OK;
}

int mmarml_space_manager_load(mmarml_space_manager **out, const char *path)
{
    const char *base;
    json_error_t err;
    json_t *config;
    struct stat st;
    FILE *f;
    int rc, fd;

    if (out == NULL || path == NULL)
        return mmarml_error_set(MMARML_EINVAL, "mmarml_space_manager_load: NULL argument");
    *out = NULL;
    /* O_NONBLOCK while looking: a FIFO posing as the config must not block the run */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return mmarml_error_set(errno == ENOENT ? MMARML_ENOTFOUND : MMARML_EIO,
                                "cannot read training config '%s': %s", path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return mmarml_error_set(MMARML_EINVAL, "training config '%s' is not a regular file "
                                "(a FIFO, a device or a directory): refused", path);
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    f = fdopen(fd, "r");
    if (f == NULL) {
        close(fd);
        return mmarml_error_set(MMARML_ENOMEM, "cannot read training config '%s'", path);
    }
    config = json_loadf(f, JSON_REJECT_DUPLICATES, &err);
    fclose(f);
    if (config == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s:%d:%d: malformed JSON: %s", path, err.line,
                                err.column, err.text);
    base = strrchr(path, '/');
    rc = mmarml_space_manager_new(out, config, base != NULL ? base + 1 : path);
    json_decref(config);
    return rc;
}

mmarml_search_space *mmarml_space_manager_space(const mmarml_space_manager *m)
{
    return m != NULL ? m->space : NULL;
}

const json_t *mmarml_space_manager_config(const mmarml_space_manager *m)
{
    return m != NULL ? m->config : NULL;
}
