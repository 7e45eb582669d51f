#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "mmar_util.h"

int mmarml_mmar_name_ok(const char *name)
{
    const char *p;

    if (name == NULL || *name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return 0;
    for (p = name; *p; p++)
        if (*p == '/' || (unsigned char)*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

int mmar_get_string(const mmarml_context *ctx, const char *key, const char *who, char **out)
{
    int rc = mmarml_context_get_string(ctx, key, out);

    if (rc == MMARML_ENOTFOUND)
        return mmarml_error_set(rc, "%s: the context has no '%s'%s", who, key,
                                strcmp(key, MMARML_KEY_RUN_ROOT) == 0
                                    ? " (MMARHandler must be in the handler list, and first)"
                                    : "");
    return rc;
}

int mmar_train_config_path(char **out, const mmarml_context *ctx)
{
    char *mmar = NULL, *file = NULL;
    int rc;

    *out = NULL;
    rc = mmar_get_string(ctx, MMARML_KEY_MMAR_ROOT, "MMAR", &mmar);
    if (rc != MMARML_OK)
        return rc;
    if (mmarml_context_get_string(ctx, MMARML_KEY_TRAIN_CONFIG_FILE, &file) != MMARML_OK)
        file = NULL;
    if (file == NULL)
        file = strdup("config_train.json");
    if (file == NULL || (file[0] == '/' ? asprintf(out, "%s", file)
                                        : asprintf(out, "%s/config/%s", mmar, file)) < 0) {
        *out = NULL;
        rc = mmarml_error_set(MMARML_ENOMEM, "out of memory");
    }
    mmarml_free(mmar);
    free(file);
    return rc;
}

int mmar_io_code(int err)
{
    return err == ENOSPC || err == EDQUOT || err == EIO || err == EROFS || err == EFBIG
               ? MMARML_ESTORAGE
               : MMARML_EIO;
}

/* lib/core's journal has its own: this layer is built on the public API alone. */
int mmar_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        if (n == 0)
            return EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Write `text` to `fd` (and fsync it with `durable`): 0 or the errno. */
static int write_text(int fd, const char *text, int durable)
{
    int err = mmar_write_all(fd, text, strlen(text));

    if (err == 0 && durable && fsync(fd) != 0)
        err = errno;
    return err;
}

/* The file made unnamed (O_TMPFILE) and named `tmp` only once written: a run killed while
 * writing leaves no temporary file behind. 0, the errno, or -1 when this file system (or a
 * missing /proc) does not allow it and a named file must do. */
static int write_unnamed(const char *path, const char *tmp, const char *text, int durable)
{
    char *dir = strdup(path), *slash = dir != NULL ? strrchr(dir, '/') : NULL, from[64];
    int fd = -1, err;

    if (dir != NULL && slash != NULL) {
        *slash = '\0';
        fd = open(slash == dir ? "/" : dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    }
    free(dir);
    if (fd < 0)
        return -1;
    if ((err = write_text(fd, text, durable)) == 0) {
        snprintf(from, sizeof(from), "/proc/self/fd/%d", fd);
        unlink(tmp); /* one a killed process of the same pid left */
        if (linkat(AT_FDCWD, from, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) != 0)
            err = mmar_io_code(errno) == MMARML_ESTORAGE ? errno : -1;
    }
    if (close(fd) != 0 && err == 0)
        err = errno;
    return err;
}

/* A temporary file is `<path>` TEMP_MARK `<pid>`: made by the writes, recognised by
 * mmar_remove_left_temps. */
#define TEMP_MARK ".tmp."

int mmar_write_text_atomic(const char *path, const char *text, int durable)
{
    char *tmp = NULL;
    int fd, err, rc = MMARML_OK;

    if (asprintf(&tmp, "%s" TEMP_MARK "%ld", path, (long)getpid()) < 0)
        return mmarml_error_set(MMARML_ENOMEM, "out of memory writing '%s'", path);
    if ((err = write_unnamed(path, tmp, text, durable)) == -1) {
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            err = errno;
        } else {
            err = write_text(fd, text, durable);
            if (close(fd) != 0 && err == 0)
                err = errno;
        }
    }
    if (err != 0)
        rc = mmarml_error_set(mmar_io_code(err), "cannot write '%s': %s", path, strerror(err));
    else if (rename(tmp, path) != 0)
        rc = mmarml_error_set(mmar_io_code(errno), "cannot rename '%s' to '%s': %s", tmp, path,
                              strerror(errno));
    if (rc != MMARML_OK)
        unlink(tmp);
    free(tmp);
    return rc;
}

/* `<name>.tmp.<pid>`, with a name before it, of a process that is gone (not ours, and no
 * process of that pid here: a trainer of this host writing such a file is spared) */
static int is_left_temp(const char *entry)
{
    const char *mark = NULL, *found, *digits;
    long pid;

    for (found = strstr(entry, TEMP_MARK); found != NULL; found = strstr(found + 1, TEMP_MARK))
        mark = found; /* the last: the pid is all that follows it */
    if (mark == NULL || mark == entry)
        return 0;
    digits = mark + strlen(TEMP_MARK);
    if (*digits == '\0' || strlen(digits) > 9 || strspn(digits, "0123456789") != strlen(digits))
        return 0;
    pid = strtol(digits, NULL, 10);
    return pid > 0 && pid != (long)getpid() && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

int mmar_remove_left_temps(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *entry;
    int removed = 0;

    if (d == NULL)
        return 0;
    while ((entry = readdir(d)) != NULL)
        if (is_left_temp(entry->d_name) && unlinkat(dirfd(d), entry->d_name, 0) == 0)
            removed++;
    closedir(d);
    return removed;
}

int mmar_write_json_atomic(const char *path, const json_t *json, int durable)
{
    char *text = mmar_json_dumps(json, JSON_INDENT(2));
    int rc;

    if (text == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "cannot serialise '%s'", path);
    rc = mmar_write_text_atomic(path, text, durable);
    free(text);
    return rc;
}

static int score_from(const char *path, double *score, json_t **stats_out)
{
    json_t *stats = json_load_file(path, 0, NULL), *v;
    int rc = MMARML_ENOTFOUND;

    v = json_object_get(stats, MMARML_MMAR_SCORE_KEY);
    if (json_is_number(v) && isfinite(json_number_value(v))) {
        *score = json_number_value(v);
        rc = MMARML_OK;
    }
    if (stats_out != NULL && json_is_object(stats))
        *stats_out = json_incref(stats);
    json_decref(stats);
    return rc;
}

int mmar_read_score(const char *job_root, double *score, json_t **stats)
{
    char path[4096];

    if (stats != NULL)
        *stats = NULL;
    snprintf(path, sizeof(path), "%s/" MMARML_MMAR_MODELS_DIR "/" MMARML_MMAR_TRAIN_STATS, job_root);
    if (access(path, F_OK) == 0)
        return score_from(path, score, stats);
    snprintf(path, sizeof(path), "%s/" MMARML_MMAR_TRAIN_STATS, job_root);
    return score_from(path, score, stats);
}

double mmar_wall_time(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec * 1e-6;
}

double mmar_monotonic_time(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void mmar_format_time(char *buf, size_t n, double t)
{
    time_t secs = (time_t)t;
    struct tm tm;
    size_t len;

    localtime_r(&secs, &tm);
    len = strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(buf + len, n - len, ".%06ld", (long)((t - (double)secs) * 1e6));
}

int mmar_remove_tree(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *e;
    int rc = MMARML_OK;

    if (lstat(path, &st) != 0)
        return errno == ENOENT ? MMARML_OK
                               : mmarml_error_set(MMARML_EIO, "cannot remove '%s': %s", path,
                                                  strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return unlink(path) == 0 ? MMARML_OK
                                 : mmarml_error_set(MMARML_EIO, "cannot remove '%s': %s", path,
                                                    strerror(errno));
    d = opendir(path);
    if (d == NULL)
        return mmarml_error_set(MMARML_EIO, "cannot open '%s': %s", path, strerror(errno));
    while (rc == MMARML_OK && (e = readdir(d)) != NULL) {
        char *child;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (asprintf(&child, "%s/%s", path, e->d_name) < 0)
            return mmarml_error_set(MMARML_ENOMEM, "out of memory");
        rc = mmar_remove_tree(child);
        free(child);
    }
    closedir(d);
    if (rc == MMARML_OK && rmdir(path) != 0)
        rc = mmarml_error_set(MMARML_EIO, "cannot remove '%s': %s", path, strerror(errno));
    return rc;
}

char *mmar_round_script_cwd(const char *job_root)
{
    char *dir = NULL;
    struct stat st;

    if (asprintf(&dir, "%s/" MMARML_MMAR_COMMAND_DIR, job_root) < 0)
        return NULL;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        free(dir);
        dir = strdup(job_root);
    }
    return dir;
}

int mmar_make_dirs(const char *path, char **made_top)
{
    char *dir = strdup(path), *p;
    int rc = MMARML_OK;

    *made_top = NULL;
    if (dir == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "out of memory");
    /* each component in turn: "/a", "/a/b", ... */
    for (p = dir + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char end = *p;
            *p = '\0';
            if (mkdir(dir, 0755) == 0) {
                if (*made_top == NULL && (*made_top = strdup(dir)) == NULL)
                    rc = mmarml_error_set(MMARML_ENOMEM, "out of memory");
            } else if (errno != EEXIST) {
                rc = mmarml_error_set(mmar_io_code(errno), "cannot create the directory "
                                      "'%s': %s", dir, strerror(errno));
            }
            *p = end;
            if (end == '\0' || rc != MMARML_OK)
                break;
        }
    }
    free(dir);
    return rc;
}

/* The mark: the job's name and the run root's device and inode, so neither a folder that
 * appeared under the job's name nor a job MMAR copied in from another run passes for ours. */
static int job_mark(char *buf, size_t n, const char *run_root, const char *job_name)
{
    struct stat st;

    if (stat(run_root, &st) != 0)
        return -1;
    return snprintf(buf, n, "mmarml job %s in %llu:%llu\n", job_name,
                    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino) < (int)n
               ? 0
               : -1;
}

int mmar_job_mark_write(const char *job_root, const char *run_root, const char *job_name)
{
    char mark[512], *path = NULL;
    int fd, err = 0;

    if (job_mark(mark, sizeof(mark), run_root, job_name) != 0)
        return mmarml_error_set(MMARML_EIO, "cannot mark the job MMAR '%s': no run root '%s'",
                                job_root, run_root);
    if (asprintf(&path, "%s/" MMAR_JOB_MARK, job_root) < 0)
        return mmarml_error_set(MMARML_ENOMEM, "out of memory");
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 || (err = mmar_write_all(fd, mark, strlen(mark))) != 0)
        err = fd < 0 ? errno : err;
    if (fd >= 0 && close(fd) != 0 && err == 0)
        err = errno;
    free(path);
    return err == 0 ? MMARML_OK
                    : mmarml_error_set(mmar_io_code(err), "cannot mark the job MMAR '%s': %s",
                                       job_root, strerror(err));
}

int mmar_job_root_is_ours(const char *job_root, const char *run_root, const char *job_name)
{
    char want[512], got[512], *path = NULL;
    struct stat st;
    ssize_t n = -1;
    int fd;

    if (lstat(job_root, &st) != 0 || !S_ISDIR(st.st_mode) ||
        job_mark(want, sizeof(want), run_root, job_name) != 0 ||
        asprintf(&path, "%s/" MMAR_JOB_MARK, job_root) < 0)
        return 0;
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    free(path);
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        n = read(fd, got, sizeof(got) - 1);
    if (fd >= 0)
        close(fd);
    if (n < 0)
        return 0;
    got[n] = '\0';
    return strcmp(got, want) == 0;
}

int mmar_remove_job_root(const char *run_root, const char *job_name)
{
    char *path = NULL;
    struct stat st;
    int rc;

    if (asprintf(&path, "%s/%s", run_root, job_name) < 0)
        return mmarml_error_set(MMARML_ENOMEM, "out of memory");
    if (lstat(path, &st) != 0)
        rc = MMARML_OK; /* never made, or gone */
    else if (!mmar_job_root_is_ours(path, run_root, job_name))
        rc = mmarml_error_set(MMARML_EEXISTS, "'%s' is not the job MMAR this run made: it is "
                              "left as it is", path);
    else
        rc = mmar_remove_tree(path);
    free(path);
    return rc;
}

int mmar_open_regular(const char *path, const char *what)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

    if (fd < 0) {
        mmarml_error_set(errno == ENOENT ? MMARML_ENOTFOUND : MMARML_EIO,
                         "cannot read the %s '%s': %s", what, path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        mmarml_error_set(MMARML_EINVAL, "the %s '%s' is not a regular file (a FIFO, a device "
                         "or a directory): refused", what, path);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

int mmar_load_json_file(json_t **out, const char *path, const char *what)
{
    json_error_t err;
    int fd = mmar_open_regular(path, what);

    *out = NULL;
    if (fd < 0)
        return mmarml_error_code();
    *out = json_loadfd(fd, JSON_REJECT_DUPLICATES, &err);
    close(fd);
    if (*out == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s:%d:%d: malformed JSON: %s", path, err.line,
                                err.column, err.text);
    return MMARML_OK;
}

int mmar_file_digest(char out[32], const char *path)
{
    uint64_t h = 1469598103934665603ULL;
    unsigned char buf[8192];
    ssize_t n;
    int fd = mmar_open_regular(path, "config file");

    if (fd < 0)
        return mmarml_error_code();
    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        ssize_t i;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;
            close(fd);
            return mmarml_error_set(MMARML_EIO, "cannot read '%s': %s", path, strerror(err));
        }
        for (i = 0; i < n; i++) {
            h ^= buf[i];
            h *= 1099511628211ULL;
        }
    }
    close(fd);
    snprintf(out, 32, "fnv1a64:%016llx", (unsigned long long)h);
    return MMARML_OK;
}

int mmar_identity_add(mmarml_context *ctx, const char *name, const char *path)
{
    json_t *identity = NULL;
    char digest[32];
    int rc = mmar_file_digest(digest, path);

    if (rc != MMARML_OK)
        return rc;
    if (mmarml_context_get_json(ctx, MMARML_KEY_RUN_IDENTITY, &identity) != MMARML_OK ||
        !json_is_object(identity)) {
        json_decref(identity);
        identity = json_object();
    }
    json_object_set_new(identity, name, json_string(digest));
    rc = mmarml_context_set_json(ctx, MMARML_KEY_RUN_IDENTITY, identity);
    json_decref(identity);
    return rc;
}
