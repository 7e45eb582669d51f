/* Text helpers: a growable buffer, PRL escaping, PRL and message paths. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "space_internal.h"

void space_buf_append(space_buf *b, const char *text, size_t len)
{
    if (b->failed)
        return;
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        char *data;
        while (cap < b->len + len + 1)
            cap *= 2;
        data = realloc(b->data, cap);
        if (data == NULL) {
            b->failed = 1;
            return;
        }
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, text, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void space_buf_puts(space_buf *b, const char *text)
{
    space_buf_append(b, text, strlen(text));
}

void space_buf_escaped(space_buf *b, const char *name)
{
    const char *p, *run = name;

    for (p = name; *p; p++) {
        if (strchr(".$:,\\", *p) != NULL) {
            space_buf_append(b, run, (size_t)(p - run));
            space_buf_append(b, "\\", 1);
            run = p;
        }
    }
    space_buf_append(b, run, (size_t)(p - run));
}

void space_buf_prl_path(space_buf *b, const space_path *path)
{
    char num[32];
    size_t i;

    for (i = 0; i < path->count; i++) {
        if (i > 0)
            space_buf_append(b, ".", 1);
        if (path->segs[i].key != NULL) {
            space_buf_escaped(b, path->segs[i].key);
        } else {
            snprintf(num, sizeof(num), "%zu", path->segs[i].index);
            space_buf_puts(b, num);
        }
    }
}

void space_buf_json_path(space_buf *b, const space_path *path)
{
    char num[32];
    size_t i;

    for (i = 0; i < path->count; i++) {
        if (path->segs[i].key != NULL) {
            if (b->len > 0)
                space_buf_append(b, ".", 1);
            space_buf_puts(b, path->segs[i].key);
        } else {
            snprintf(num, sizeof(num), "[%zu]", path->segs[i].index);
            space_buf_puts(b, num);
        }
    }
}

void space_path_free(space_path *p)
{
    free(p->segs);
    p->segs = NULL;
    p->count = 0;
}

json_t *space_resolve(json_t *root, const space_path *path)
{
    size_t i;

    for (i = 0; root != NULL && i < path->count; i++)
        root = path->segs[i].key != NULL ? json_object_get(root, path->segs[i].key)
                                         : json_array_get(root, path->segs[i].index);
    return root;
}
