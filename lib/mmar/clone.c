#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmarml.h"
#include "clone.h"
#include "mmar_util.h"

static int io_error(const char *what, const char *path)
{
    int err = errno;

    return mmarml_error_set(mmar_io_code(err), "clone: cannot %s '%s': %s", what, path,
                            strerror(err));
}

static int copy_file(const char *src, const char *dst, mode_t mode)
{
    int in = open(src, O_RDONLY | O_CLOEXEC), out, rc = MMARML_OK;

    if (in < 0)
        return io_error("read", src);
    mode = (mode & 07777) | S_IWUSR; /* the job writes into its MMAR, read-only source or not */
    out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (out < 0) {
        rc = io_error("create", dst);
        close(in);
        return rc;
    }
    if (ioctl(out, FICLONE, in) != 0) { /* no reflink here: copy the bytes */
        ssize_t n;
        while ((n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0)) > 0)
            ;
        if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL)) {
            char buf[1 << 16];
            while ((n = read(in, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
                if (n > 0 && (errno = mmar_write_all(out, buf, (size_t)n)) != 0) {
                    n = -1;
                    break;
                }
        }
        if (n < 0)
            rc = io_error("copy to", dst);
    }
    if (fchmod(out, mode) != 0 && rc == MMARML_OK)
        rc = io_error("set the mode of", dst);
    if (close(out) != 0 && rc == MMARML_OK)
        rc = io_error("write", dst);
    close(in);
    return rc;
}

/* What a clone needs to know besides the paths. */
typedef struct {
    const char *root;     /* the MMAR, absolute */
    int has_exclude;      /* the run root's directory is skipped, by identity */
    dev_t exclude_dev;
    ino_t exclude_ino;
} clone_ctx;

static int copy_tree(const clone_ctx *c, const char *src, const char *dst);

/* `dir` + `rel` without "." and ".." components, into out (lexically, as the kernel would
 * resolve a symlink whose directories are real). 0, or -1 when it does not fit. */
static int join_normalised(char *out, size_t size, const char *dir, const char *rel)
{
    char buf[2 * PATH_MAX], *save = NULL, *part;
    size_t len = 0;

    if (snprintf(buf, sizeof(buf), "%s/%s", dir, rel) >= (int)sizeof(buf))
        return -1;
    out[0] = '\0';
    for (part = strtok_r(buf, "/", &save); part != NULL; part = strtok_r(NULL, "/", &save)) {
        if (strcmp(part, ".") == 0)
            continue;
        if (strcmp(part, "..") == 0) {
            char *slash = strrchr(out, '/');
            len = slash != NULL ? (size_t)(slash - out) : 0;
            out[len] = '\0';
            continue;
        }
        if (len + 1 + strlen(part) + 1 > size)
            return -1;
        out[len++] = '/';
        strcpy(out + len, part);
        len += strlen(part);
    }
    if (len == 0 && size > 1)
        strcpy(out, "/");
    return 0;
}

/* A relative link that points outside the MMAR (`data -> ../shared_data`, common for data
 * sets) would point at nothing in the job MMAR: it is made absolute. Links that stay inside
 * the MMAR, and absolute ones, are copied as they are. */
static int copy_link(const clone_ctx *c, const char *src, const char *dst)
{
    char target[PATH_MAX], dir[PATH_MAX], resolved[PATH_MAX];
    ssize_t n = readlink(src, target, sizeof(target) - 1);
    size_t root_len = strlen(c->root);
    char *slash;

    if (n < 0)
        return io_error("read the link", src);
    target[n] = '\0';
    if (target[0] != '/') {
        snprintf(dir, sizeof(dir), "%s", src);
        slash = strrchr(dir, '/');
        if (slash != NULL)
            *slash = '\0';
        if (join_normalised(resolved, sizeof(resolved), dir, target) == 0 &&
            !(strncmp(resolved, c->root, root_len) == 0 &&
              (resolved[root_len] == '/' || resolved[root_len] == '\0')))
            return symlink(resolved, dst) == 0 ? MMARML_OK : io_error("create the link", dst);
    }
    return symlink(target, dst) == 0 ? MMARML_OK : io_error("create the link", dst);
}

/* Copy one entry of any kind. */
static int copy_entry(const clone_ctx *c, const char *src, const char *dst)
{
    struct stat st;

    if (lstat(src, &st) != 0)
        return io_error("stat", src);
    /* the run root inside the MMAR is skipped however its path is spelt ("automl/",
     * "./automl", a symlink to it): by device and inode */
    if (c->has_exclude && S_ISDIR(st.st_mode) && st.st_dev == c->exclude_dev &&
        st.st_ino == c->exclude_ino)
        return MMARML_OK;
    if (S_ISLNK(st.st_mode))
        return copy_link(c, src, dst);
    if (S_ISDIR(st.st_mode)) {
        if (mkdir(dst, (st.st_mode & 07777) | S_IRWXU) != 0)
            return io_error("create", dst);
        return copy_tree(c, src, dst);
    }
    if (S_ISREG(st.st_mode))
        return copy_file(src, dst, st.st_mode);
    return MMARML_OK; /* sockets, fifos, devices: not part of a model archive */
}

static int copy_tree(const clone_ctx *c, const char *src, const char *dst)
{
    DIR *d = opendir(src);
    struct dirent *e;
    int rc = MMARML_OK;

    if (d == NULL)
        return io_error("open", src);
    while (rc == MMARML_OK && (e = readdir(d)) != NULL) {
        char *s, *t;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (asprintf(&s, "%s/%s", src, e->d_name) < 0)
            s = NULL;
        if (asprintf(&t, "%s/%s", dst, e->d_name) < 0)
            t = NULL;
        rc = s != NULL && t != NULL ? copy_entry(c, s, t)
                                    : mmarml_error_set(MMARML_ENOMEM, "clone: out of memory");
        free(s);
        free(t);
    }
    closedir(d);
    return rc;
}

/* Create the parents of `rel` under `dst` (for the data list file). */
static int make_parents(const char *dst, const char *rel)
{
    char path[PATH_MAX];
    char *slash;

    if (snprintf(path, sizeof(path), "%s/%s", dst, rel) >= (int)sizeof(path))
        return mmarml_error_set(MMARML_EINVAL, "clone: path too long: %s/%s", dst, rel);
    for (slash = strchr(path + strlen(dst) + 1, '/'); slash != NULL;
         slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return io_error("create", path);
        *slash = '/';
    }
    return MMARML_OK;
}

int mmar_clone(const char *src, const char *dst, const char *exclude, int content_only,
               const char *data_list, const char *run_root, const char *job_name)
{
    /* BYOC too: the trainer imports its bring-your-own code from the job's BYOC folder */
    static const char *const kept[] = {"config", "commands", "resources", "BYOC"};
    char root[PATH_MAX];
    clone_ctx c;
    struct stat st;
    size_t i;
    int rc;

    if (stat(src, &st) != 0 || !S_ISDIR(st.st_mode) || realpath(src, root) == NULL)
        return mmarml_error_set(MMARML_ENOTFOUND, "clone: MMAR '%s' is not a directory", src);
    memset(&c, 0, sizeof(c));
    c.root = root;
    if (exclude != NULL) {
        struct stat ex;
        if (stat(exclude, &ex) == 0 && S_ISDIR(ex.st_mode)) {
            c.has_exclude = 1;
            c.exclude_dev = ex.st_dev;
            c.exclude_ino = ex.st_ino;
        }
    }
    if (mkdir(dst, (st.st_mode & 07777) | S_IRWXU) != 0)
        return errno == EEXIST
                   ? mmarml_error_set(MMARML_EEXISTS, "clone: '%s' exists already and this "
                                      "run did not make it: it is left as it is", dst)
                   : io_error("create", dst);
    if (job_name != NULL && (rc = mmar_job_mark_write(dst, run_root, job_name)) != MMARML_OK)
        return rc;
    if (!content_only)
        return copy_tree(&c, src, dst);
    for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
        char s[PATH_MAX], t[PATH_MAX];
        snprintf(s, sizeof(s), "%s/%s", src, kept[i]);
        snprintf(t, sizeof(t), "%s/%s", dst, kept[i]);
        if (lstat(s, &st) != 0)
            continue; /* an MMAR need not have resources/ */
        if ((rc = copy_entry(&c, s, t)) != MMARML_OK)
            return rc;
    }
    if (data_list != NULL && *data_list != '\0') {
        char s[PATH_MAX], t[PATH_MAX];
        if (data_list[0] == '/' || strstr(data_list, "..") != NULL)
            return mmarml_error_set(MMARML_EINVAL, "clone: data_list_file_name '%s' must be a "
                                    "path inside the MMAR", data_list);
        snprintf(s, sizeof(s), "%s/%s", src, data_list);
        snprintf(t, sizeof(t), "%s/%s", dst, data_list);
        if (lstat(t, &st) == 0)
            return MMARML_OK; /* already copied with config/ */
        if (lstat(s, &st) != 0)
            return mmarml_error_set(MMARML_ENOTFOUND, "clone: data list file '%s' not found",
                                    s);
        if ((rc = make_parents(dst, data_list)) != MMARML_OK)
            return rc;
        return copy_entry(&c, s, t);
    }
    return MMARML_OK;
}
