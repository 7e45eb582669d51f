/* Small helpers shared by lib/core: strings, clocks, vtable copies. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"

int mmarml__method_result(int rc, const char *what)
{
    if (rc > 0)
        return mmarml_error_set(MMARML_EUSER, "%s returned %d: a method returns MMARML_OK or a "
                                "negative MMARML_E* code", what, rc);
    if (rc < 0 && mmarml_error_code() == MMARML_OK)
        return mmarml_error_set(rc, "%s failed (%s) without saying why", what,
                                mmarml_error_name(rc));
    return rc;
}

int mmarml__errno_code(int err)
{
    switch (err) {
    case ENOSPC:
    case EDQUOT:
    case EIO:
    case EROFS:
    case EFBIG:
        return MMARML_ESTORAGE;
    default:
        return MMARML_EIO;
    }
}

char *mmarml__strdup(const char *s)
{
    size_t n;
    char *copy;

    if (s == NULL)
        return NULL;
    n = strlen(s) + 1;
    copy = malloc(n);
    if (copy != NULL)
        memcpy(copy, s, n);
    return copy;
}

double mmarml__now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

char *mmarml__asprintf(const char *fmt, ...)
{
    va_list ap, ap2;
    int n;
    char *buf;

    va_start(ap, fmt);
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        va_end(ap2);
        return NULL;
    }
    buf = malloc((size_t)n + 1);
    if (buf != NULL)
        vsnprintf(buf, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return buf;
}

void mmarml_free(void *p)
{
    free(p);
}

int mmarml__vtable_copy(void *dst, size_t dst_size, const void *src, size_t v1_size,
                        uint32_t max_version, const char *what)
{
    /* Every vtable starts with uint32_t struct_size, uint32_t version. */
    const uint32_t *head = src;
    size_t n;

    if (src == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s vtable is NULL", what);
    if (head[1] == 0 || head[1] > max_version)
        return mmarml_error_set(MMARML_EVERSION,
                                "%s vtable version %u is not supported (this library knows "
                                "versions 1 to %u)",
                                what, head[1], max_version);
    if (head[0] < v1_size)
        return mmarml_error_set(MMARML_EINVAL,
                                "%s vtable struct_size %u is smaller than the version 1 "
                                "layout (%zu bytes)",
                                what, head[0], v1_size);
    n = head[0] < dst_size ? head[0] : dst_size;
    memset(dst, 0, dst_size);
    memcpy(dst, src, n);
    return MMARML_OK;
}

int mmarml__component_kind(const void *component)
{
    uint32_t tag;

    if (component == NULL)
        return 0;
    memcpy(&tag, component, sizeof(tag));
    return (tag & 0xffffff00u) == MMARML__KIND_TAG(0) && (tag & 0xff) >= 1 && (tag & 0xff) <= 4
               ? (int)(tag & 0xff)
               : 0;
}
