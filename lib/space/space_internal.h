/* Private structures of lib/space (public API only otherwise). */
#ifndef MMARML_SPACE_INTERNAL_H
#define MMARML_SPACE_INTERNAL_H

#include <stdio.h>

#include "mmarml.h"

/* A JSON path from the config root: object keys (borrowed from the manager's config) or
 * array indices. */
typedef struct {
    const char *key; /* NULL for an array index */
    size_t index;
} space_seg;

typedef struct {
    space_seg *segs;
    size_t count;
} space_path;

/* A growable text buffer; on allocation failure `failed` is set and appends are ignored. */
typedef struct {
    char *data;
    size_t len, cap;
    int failed;
} space_buf;

void space_buf_append(space_buf *b, const char *text, size_t len);
void space_buf_puts(space_buf *b, const char *text);
/* Append `name` with '.', '$', ':', ',' and '\' escaped by '\' (PRL rule D3). */
void space_buf_escaped(space_buf *b, const char *name);
/* The PRL path part: keys escaped and joined by '.', indices in decimal. */
void space_buf_prl_path(space_buf *b, const space_path *path);
/* A readable JSON path for messages: train.pre_transforms[6].search[0]. */
void space_buf_json_path(space_buf *b, const space_path *path);

/* One search item. */
typedef struct {
    int lr_search;      /* the legacy first-level lr_search */
    int first_level;    /* from the root's search list */
    space_path where;   /* the object holding the search list (empty for the root) */
    size_t nargs;
    char **names;       /* target names: "prob", "@disabled"; first level: variable names */
    char **aliases;     /* NULL or the "#alias" of each arg */
    int type;           /* enum mmarml_param_type */
    const json_t *targets; /* enum choices (borrowed from the config) */
} space_item;

/* An object with an "apply" (or "search") that must be visited when applying. */
typedef struct {
    space_path where;
    const json_t *apply; /* borrowed; NULL for a search-only site */
} space_site;

struct mmarml_space_manager {
    uint32_t refs;
    json_t *config;   /* deep copy, never modified */
    char *name;
    mmarml_search_space *space;
    space_item *items; /* one per param, in param order */
    size_t nitems;
    space_site *sites; /* every object holding "search" or "apply", document order */
    size_t nsites, cap_sites;
};

/* Extract into a manager whose config and name are set. */
int space_extract(mmarml_space_manager *m);
void space_path_free(space_path *p);
/* Walk `path` from `root`; NULL when it does not resolve. */
json_t *space_resolve(json_t *root, const space_path *path);

#endif
