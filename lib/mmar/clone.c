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

static int io_error(const char *what, const char *path)
{
    return mmarml_error_set(MMARML_EIO, "clone: cannot %s '%s': %s", what, path,
                            strerror(errno));
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
            while ((n = read(in, buf, sizeof(buf))) > 0)
                if (write(out, buf, (size_t)n) != n) {
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

static int copy_tree(const char *src, const char *dst, const char *exclude);

/* Copy one entry of any kind. */
static int copy_entry(const char *src, const char *dst, const char *exclude)
{
    struct stat st;

    if (exclude != NULL && strcmp(src, exclude) == 0)
        return MMARML_OK;
    if (lstat(src, &st) != 0)
        return io_error("stat", src);
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlink(src, target, sizeof(target) - 1);
        if (n < 0)
            return io_error("read the link", src);
        target[n] = '\0';
        return symlink(target, dst) == 0 ? MMARML_OK : io_error("create the link", dst);
    }
    if (S_ISDIR(st.st_mode)) {
        if (mkdir(dst, (st.st_mode & 07777) | S_IRWXU) != 0)
            return io_error("create", dst);
        return copy_tree(src, dst, exclude);
    }
    if (S_ISREG(st.st_mode))
        return copy_file(src, dst, st.st_mode);
    return MMARML_OK; /* sockets, fifos, devices: not part of a model archive */
}

static int copy_tree(const char *src, const char *dst, const char *exclude)
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
        rc = s != NULL && t != NULL ? copy_entry(s, t, exclude)
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
               const char *data_list)
{
    static const char *const kept[] = {"config", "commands", "resources"};
    struct stat st;
    size_t i;
    int rc;

    if (stat(src, &st) != 0 || !S_ISDIR(st.st_mode))
        return mmarml_error_set(MMARML_ENOTFOUND, "clone: MMAR '%s' is not a directory", src);
    if (mkdir(dst, (st.st_mode & 07777) | S_IRWXU) != 0)
        return io_error("create", dst);
    if (!content_only)
        return copy_tree(src, dst, exclude);
    for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
        char s[PATH_MAX], t[PATH_MAX];
        snprintf(s, sizeof(s), "%s/%s", src, kept[i]);
        snprintf(t, sizeof(t), "%s/%s", dst, kept[i]);
        if (lstat(s, &st) != 0)
            continue; /* an MMAR need not have resources/ */
        if ((rc = copy_entry(s, t, exclude)) != MMARML_OK)
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
        return copy_entry(s, t, exclude);
    }
    return MMARML_OK;
}
