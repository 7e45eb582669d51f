/* Extraction: find every search definition in a training config, check it, and build the
 * space (D2, D3). One depth-first walk in document order. */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "space_internal.h"

typedef struct {
    mmarml_space_manager *m;
    space_path stack; /* where the walk is */
    size_t cap;
    json_t *variables; /* name -> true: defined by first-level items and aliases */
} walker;

/* Fail with "<file>: <path><suffix>: <message>". */
static int fail(walker *w, const char *suffix, const char *fmt, ...) MMARML_PRINTF(3, 4);

static int fail(walker *w, const char *suffix, const char *fmt, ...)
{
    space_buf where = {0};
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    space_buf_json_path(&where, &w->stack);
    if (suffix != NULL) {
        if (where.len > 0 && suffix[0] != '[')
            space_buf_append(&where, ".", 1);
        space_buf_puts(&where, suffix);
    }
    mmarml_error_set(MMARML_EINVAL, "%s: %s: %s", w->m->name,
                     where.data != NULL ? where.data : "(root)", msg);
    free(where.data);
    return MMARML_EINVAL;
}

static int push(walker *w, const char *key, size_t index)
{
    if (w->stack.count == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        space_seg *segs = realloc(w->stack.segs, cap * sizeof(*segs));
        if (segs == NULL)
            return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", w->m->name);
        w->stack.segs = segs;
        w->cap = cap;
    }
    w->stack.segs[w->stack.count].key = key;
    w->stack.segs[w->stack.count].index = index;
    w->stack.count++;
    return MMARML_OK;
}

static int copy_path(walker *w, space_path *out)
{
    out->count = w->stack.count;
    out->segs = NULL;
    if (out->count == 0)
        return MMARML_OK;
    out->segs = malloc(out->count * sizeof(*out->segs));
    if (out->segs == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", w->m->name);
    memcpy(out->segs, w->stack.segs, out->count * sizeof(*out->segs));
    return MMARML_OK;
}

static space_item *new_item(walker *w)
{
    mmarml_space_manager *m = w->m;
    space_item *items = realloc(m->items, (m->nitems + 1) * sizeof(*items));

    if (items == NULL) {
        mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", m->name);
        return NULL;
    }
    m->items = items;
    memset(&items[m->nitems], 0, sizeof(items[0]));
    return &items[m->nitems++];
}

static int add_site(walker *w, const json_t *apply)
{
    mmarml_space_manager *m = w->m;
    int rc;

    if (m->nsites == m->cap_sites) {
        size_t cap = m->cap_sites ? m->cap_sites * 2 : 16;
        space_site *sites = realloc(m->sites, cap * sizeof(*sites));
        if (sites == NULL)
            return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", m->name);
        m->sites = sites;
        m->cap_sites = cap;
    }
    rc = copy_path(w, &m->sites[m->nsites].where);
    if (rc == MMARML_OK)
        m->sites[m->nsites++].apply = apply;
    return rc;
}

/* ---- one search item ---- */

/* The item's args: a string or a non-empty list of non-empty strings. */
static int read_args(walker *w, const json_t *item, const char *at, const json_t **args_out,
                     size_t *n_out)
{
    const json_t *args = json_object_get(item, "args");
    char suffix[64];
    size_t i;

    snprintf(suffix, sizeof(suffix), "%s.args", at);
    if (args == NULL)
        return fail(w, at, "missing \"args\"");
    if (json_is_string(args)) {
        *n_out = 1;
    } else if (json_is_array(args) && json_array_size(args) > 0) {
        *n_out = json_array_size(args);
        for (i = 0; i < *n_out; i++)
            if (!json_is_string(json_array_get(args, i)) ||
                json_string_length(json_array_get(args, i)) == 0)
                return fail(w, suffix, "arg %zu must be a non-empty string", i);
    } else {
        return fail(w, suffix, "must be a string or a non-empty list of strings");
    }
    *args_out = args;
    return MMARML_OK;
}

static const char *arg_at(const json_t *args, size_t i)
{
    return json_is_string(args) ? json_string_value(args)
                                : json_string_value(json_array_get(args, i));
}

/* Split "name#alias" into the item's names and aliases, and check names against the
 * component (component items) or define variables (first-level items). */
static int read_names(walker *w, space_item *it, const json_t *args, const json_t *component,
                      const char *at)
{
    const json_t *cargs = json_object_get(component, "args");
    char suffix[96];
    size_t i;

    it->names = calloc(it->nargs, sizeof(char *));
    it->aliases = calloc(it->nargs, sizeof(char *));
    if (it->names == NULL || it->aliases == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", w->m->name);
    for (i = 0; i < it->nargs; i++) {
        const char *arg = arg_at(args, i), *hash = strchr(arg, '#');
        size_t len = hash != NULL ? (size_t)(hash - arg) : strlen(arg);
        snprintf(suffix, sizeof(suffix), "%s.args[%zu]", at, i);
        if (len == 0 || (arg[0] == '@' && len == 1))
            return fail(w, suffix, "'%s' names no arg", arg);
        if (hash != NULL && (hash[1] == '\0' || strchr(hash + 1, '#') != NULL))
            return fail(w, suffix, "'%s': an alias is one non-empty name after '#'", arg);
        it->names[i] = strndup(arg, len);
        it->aliases[i] = hash != NULL ? strdup(hash + 1) : NULL;
        if (it->names[i] == NULL || (hash != NULL && it->aliases[i] == NULL))
            return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", w->m->name);
        if (it->first_level) {
            const char *var = it->names[i][0] == '@' ? it->names[i] + 1 : it->names[i];
            json_object_set_new(w->variables, var, json_true());
        } else if (it->names[i][0] != '@' &&
                   (!json_is_object(cargs) || json_object_get(cargs, it->names[i]) == NULL)) {
            return fail(w, suffix, "'%s' is not an arg of this component (not in its \"args\")",
                        it->names[i]);
        }
        if (it->aliases[i] != NULL)
            json_object_set_new(w->variables, it->aliases[i], json_true());
    }
    return MMARML_OK;
}

/* PRL: <domain>.<type>.<path>$<index>:<args> (D3). */
static char *make_prl(walker *w, const char *domain, const char *type, const char *index,
                      const space_item *it)
{
    space_buf b = {0};
    size_t i;

    space_buf_puts(&b, domain);
    space_buf_append(&b, ".", 1);
    space_buf_puts(&b, type);
    space_buf_append(&b, ".", 1);
    space_buf_prl_path(&b, &w->stack);
    space_buf_append(&b, "$", 1);
    space_buf_puts(&b, index);
    space_buf_append(&b, ":", 1);
    for (i = 0; i < it->nargs; i++) {
        if (i > 0)
            space_buf_append(&b, ",", 1);
        space_buf_escaped(&b, it->names[i]);
    }
    if (b.failed) {
        free(b.data);
        return NULL;
    }
    return b.data;
}

/* Float and int targets: [min, max], finite, min <= max; "scale": "log" needs min > 0. */
static int add_range(walker *w, space_item *it, const json_t *item, const char *prl,
                     const char *domain, const char *at)
{
    const json_t *t = json_object_get(item, "targets"), *scale = json_object_get(item, "scale");
    char suffix[96];
    uint32_t flags = 0;
    double lo, hi;

    snprintf(suffix, sizeof(suffix), "%s.targets", at);
    if (!json_is_array(t) || json_array_size(t) != 2 ||
        !json_is_number(json_array_get(t, 0)) || !json_is_number(json_array_get(t, 1)))
        return fail(w, suffix, "a %s needs targets [min, max] of two numbers",
                    it->type == MMARML_PARAM_INT ? "int" : "float");
    lo = json_number_value(json_array_get(t, 0));
    hi = json_number_value(json_array_get(t, 1));
    if (!isfinite(lo) || !isfinite(hi))
        return fail(w, suffix, "min and max must be finite");
    /* ints are compared as integers: 2^63-1 as a double does not convert back */
    if (it->type == MMARML_PARAM_INT && json_is_integer(json_array_get(t, 0)) &&
        json_is_integer(json_array_get(t, 1))) {
        json_int_t ilo = json_integer_value(json_array_get(t, 0));
        json_int_t ihi = json_integer_value(json_array_get(t, 1));
        if (ilo > ihi)
            return fail(w, suffix, "min %lld is greater than max %lld", (long long)ilo,
                        (long long)ihi);
        if (ilo < -((json_int_t)1 << 53) || ihi > ((json_int_t)1 << 53))
            return fail(w, suffix, "int bounds must be within +-2^53 (%lld, %lld given)",
                        (long long)ilo, (long long)ihi);
    } else if (lo > hi) {
        return fail(w, suffix, "min %g is greater than max %g", lo, hi);
    }
    snprintf(suffix, sizeof(suffix), "%s.scale", at);
    if (scale != NULL) {
        if (!json_is_string(scale) || (strcmp(json_string_value(scale), "log") != 0 &&
                                       strcmp(json_string_value(scale), "linear") != 0))
            return fail(w, suffix, "must be \"linear\" or \"log\"");
        if (strcmp(json_string_value(scale), "log") == 0) {
            if (lo <= 0)
                return fail(w, suffix, "a log scale needs min > 0 (min is %g)", lo);
            flags = MMARML_PARAM_F_LOG;
        }
    }
    snprintf(suffix, sizeof(suffix), "%s.targets", at);
    if (it->type == MMARML_PARAM_INT) {
        if (!json_is_integer(json_array_get(t, 0)) || !json_is_integer(json_array_get(t, 1)))
            return fail(w, suffix, "an int needs integer min and max");
        if (mmarml_search_space_add_int(w->m->space, prl, domain,
                                        (int64_t)json_integer_value(json_array_get(t, 0)),
                                        (int64_t)json_integer_value(json_array_get(t, 1)),
                                        flags) != MMARML_OK)
            return fail(w, suffix, "%s", mmarml_error_message());
        return MMARML_OK;
    }
    if (mmarml_search_space_add_float(w->m->space, prl, domain, lo, hi, flags) != MMARML_OK)
        return fail(w, suffix, "%s", mmarml_error_message());
    return MMARML_OK;
}

/* Enum targets: a non-empty list of choices, each a list with one value per arg. */
static int add_enum(walker *w, space_item *it, const json_t *item, const char *prl,
                    const char *domain, const char *at)
{
    const json_t *t = json_object_get(item, "targets");
    char suffix[96];
    size_t i;

    snprintf(suffix, sizeof(suffix), "%s.targets", at);
    if (!json_is_array(t) || json_array_size(t) == 0)
        return fail(w, suffix, "an enum needs a non-empty list of choices");
    if (json_object_get(item, "scale") != NULL)
        return fail(w, at, "an enum has no \"scale\"");
    for (i = 0; i < json_array_size(t); i++) {
        const json_t *choice = json_array_get(t, i);
        snprintf(suffix, sizeof(suffix), "%s.targets[%zu]", at, i);
        if (!json_is_array(choice))
            return fail(w, suffix, "a choice must be a list with one value per arg");
        if (json_array_size(choice) != it->nargs)
            return fail(w, suffix, "choice has %zu values for %zu args",
                        json_array_size(choice), it->nargs);
    }
    it->targets = t;
    if (mmarml_search_space_add_enum(w->m->space, prl, domain, t) != MMARML_OK)
        return fail(w, at, "%s", mmarml_error_message());
    return MMARML_OK;
}

static int add_item(walker *w, const json_t *item, const json_t *component, size_t index,
                    int first_level)
{
    static const char *const keys[] = {"domain", "type", "args", "targets", "scale", NULL};
    const json_t *args = NULL;
    const char *domain, *type, *key;
    char at[48], num[32], *prl;
    space_item *it;
    json_t *value;
    size_t k;
    int rc;

    snprintf(at, sizeof(at), "search[%zu]", index);
    if (!json_is_object(item))
        return fail(w, at, "a search item must be an object");
    json_object_foreach((json_t *)item, key, value)
    {
        for (k = 0; keys[k] != NULL && strcmp(keys[k], key) != 0; k++)
            ;
        if (keys[k] == NULL)
            return fail(w, at, "unknown key \"%s\" (allowed: domain, type, args, targets, scale)",
                        key);
    }
    domain = json_string_value(json_object_get(item, "domain"));
    type = json_string_value(json_object_get(item, "type"));
    if (domain == NULL || *domain == '\0')
        return fail(w, at, "missing \"domain\" (a non-empty string such as \"lr\")");
    if (type == NULL)
        return fail(w, at, "missing \"type\" (float, int or enum)");
    if (strcmp(type, "float") != 0 && strcmp(type, "int") != 0 && strcmp(type, "enum") != 0)
        return fail(w, at, "unknown type \"%s\" (float, int or enum)", type);
    if (json_object_get(item, "targets") == NULL)
        return fail(w, at, "missing \"targets\"");
    if ((it = new_item(w)) == NULL)
        return MMARML_ENOMEM;
    it->first_level = first_level;
    it->type = type[0] == 'f' ? MMARML_PARAM_FLOAT
               : type[0] == 'i' ? MMARML_PARAM_INT
                                : MMARML_PARAM_ENUM;
    if ((rc = copy_path(w, &it->where)) != MMARML_OK ||
        (rc = read_args(w, item, at, &args, &it->nargs)) != MMARML_OK ||
        (rc = read_names(w, it, args, component, at)) != MMARML_OK)
        return rc;
    snprintf(num, sizeof(num), "%zu", index);
    prl = make_prl(w, domain, type, num, it);
    if (prl == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", w->m->name);
    if (mmarml_search_space_find(w->m->space, prl, NULL) != NULL)
        rc = fail(w, at, "duplicate PRL '%s'", prl);
    else if (it->type == MMARML_PARAM_ENUM)
        rc = add_enum(w, it, item, prl, domain, at);
    else
        rc = add_range(w, it, item, prl, domain, at);
    free(prl);
    return rc;
}

static int add_search_list(walker *w, const json_t *search, const json_t *component,
                           int first_level)
{
    size_t i;
    int rc;

    if (!json_is_array(search))
        return fail(w, "search", "must be a list of search items");
    for (i = 0; i < json_array_size(search); i++)
        if ((rc = add_item(w, json_array_get(search, i), component, i, first_level)) !=
            MMARML_OK)
            return rc;
    return MMARML_OK;
}

/* Legacy first-level "lr_search": [min, max] is a float on learning_rate (D3). */
static int add_lr_search(walker *w, const json_t *lr)
{
    const char *prl = "lr.float.$lr_search:learning_rate";
    space_item *it;
    double lo, hi;

    if (!json_is_array(lr) || json_array_size(lr) != 2 ||
        !json_is_number(json_array_get(lr, 0)) || !json_is_number(json_array_get(lr, 1)))
        return fail(w, "lr_search", "must be [min, max] of two numbers");
    lo = json_number_value(json_array_get(lr, 0));
    hi = json_number_value(json_array_get(lr, 1));
    if (!isfinite(lo) || !isfinite(hi) || lo > hi)
        return fail(w, "lr_search", "needs finite min <= max (got %g, %g)", lo, hi);
    if ((it = new_item(w)) == NULL)
        return MMARML_ENOMEM;
    it->lr_search = it->first_level = 1;
    it->type = MMARML_PARAM_FLOAT;
    it->nargs = 1;
    it->names = calloc(1, sizeof(char *));
    it->aliases = calloc(1, sizeof(char *));
    if (it->names == NULL || it->aliases == NULL ||
        (it->names[0] = strdup("learning_rate")) == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", w->m->name);
    json_object_set_new(w->variables, "learning_rate", json_true());
    if (mmarml_search_space_add_float(w->m->space, prl, "lr", lo, hi, 0) != MMARML_OK)
        return fail(w, "lr_search", "%s", mmarml_error_message());
    return MMARML_OK;
}

/* Depth first, document order. `node` is at w->stack. */
static int walk(walker *w, const json_t *node)
{
    const char *key;
    json_t *value;
    size_t i;
    int rc;

    if (json_is_array(node)) {
        for (i = 0; i < json_array_size(node); i++) {
            if ((rc = push(w, NULL, i)) != MMARML_OK ||
                (rc = walk(w, json_array_get(node, i))) != MMARML_OK)
                return rc;
            w->stack.count--;
        }
        return MMARML_OK;
    }
    if (!json_is_object(node))
        return MMARML_OK;
    if (w->stack.count > 0) { /* the root's search was handled first */
        const json_t *search = json_object_get(node, "search");
        const json_t *apply = json_object_get(node, "apply");
        if (search != NULL && (rc = add_search_list(w, search, node, 0)) != MMARML_OK)
            return rc;
        if (apply != NULL && !json_is_object(apply))
            return fail(w, "apply", "must be an object {\"arg\" or \"@attr\": \"variable\"}");
        if ((search != NULL || apply != NULL) && (rc = add_site(w, apply)) != MMARML_OK)
            return rc;
    }
    json_object_foreach((json_t *)node, key, value)
    {
        if (strcmp(key, "search") == 0 || strcmp(key, "apply") == 0 ||
            (w->stack.count == 0 && strcmp(key, "lr_search") == 0))
            continue;
        if ((rc = push(w, key, 0)) != MMARML_OK || (rc = walk(w, value)) != MMARML_OK)
            return rc;
        w->stack.count--;
    }
    return MMARML_OK;
}

/* Every apply names a defined variable, with a string. */
static int check_applies(walker *w)
{
    size_t i;

    for (i = 0; i < w->m->nsites; i++) {
        const space_site *site = &w->m->sites[i];
        const char *target;
        json_t *var;
        if (site->apply == NULL)
            continue;
        w->stack.count = 0;
        json_object_foreach((json_t *)site->apply, target, var)
        {
            char suffix[160];
            space_buf where = {0};
            space_buf_json_path(&where, &site->where);
            snprintf(suffix, sizeof(suffix), "apply.%s", target);
            if (!json_is_string(var) || json_object_get(w->variables,
                                                        json_string_value(var)) == NULL) {
                int rc = json_is_string(var)
                             ? mmarml_error_set(MMARML_EINVAL,
                                                "%s: %s.%s: variable '%s' is not defined by any "
                                                "search item (first-level arg or arg#alias)",
                                                w->m->name, where.data ? where.data : "",
                                                suffix, json_string_value(var))
                             : mmarml_error_set(MMARML_EINVAL,
                                                "%s: %s.%s: must name a variable (a string)",
                                                w->m->name, where.data ? where.data : "",
                                                suffix);
                free(where.data);
                return rc;
            }
            free(where.data);
        }
    }
    return MMARML_OK;
}

int space_extract(mmarml_space_manager *m)
{
    walker w = {m, {NULL, 0}, 0, json_object()};
    const json_t *root = m->config, *lr, *search;
    int rc;

    if (w.variables == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", m->name);
    if (!json_is_object(root)) {
        json_decref(w.variables);
        return mmarml_error_set(MMARML_EINVAL, "%s: a training config must be a JSON object",
                                m->name);
    }
    rc = mmarml_search_space_new(&m->space, m->name);
    lr = json_object_get(root, "lr_search");
    search = json_object_get(root, "search");
    if (rc == MMARML_OK && lr != NULL)
        rc = add_lr_search(&w, lr);
    if (rc == MMARML_OK && search != NULL)
        rc = add_search_list(&w, search, root, 1);
    if (rc == MMARML_OK && json_object_get(root, "apply") != NULL &&
        !json_is_object(json_object_get(root, "apply")))
        rc = fail(&w, "apply", "must be an object {\"arg\": \"variable\"}");
    if (rc == MMARML_OK &&
        (search != NULL || lr != NULL || json_object_get(root, "apply") != NULL))
        rc = add_site(&w, json_object_get(root, "apply")); /* visited like any component */
    if (rc == MMARML_OK)
        rc = walk(&w, root);
    if (rc == MMARML_OK)
        rc = check_applies(&w);
    if (rc == MMARML_OK)
        rc = mmarml_search_space_freeze(m->space);
    free(w.stack.segs);
    json_decref(w.variables);
    return rc;
}
