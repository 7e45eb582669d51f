/*
 * The run journal: an append-only file of self-delimiting, checksummed records (format in
 * docs/resume.md). Each record is one line:
 *
 *     J1 <length> <crc32c> <json>\n
 *
 * <length> is the decimal byte count of <json>, <crc32c> its CRC-32C in 8 lowercase hex
 * digits, <json> one compact JSON object (jansson escapes every control character, so it
 * holds no newline). A record is written with one write() (short writes retried), so a
 * crash leaves at most one torn record, at the end; the reader recognises it and stops
 * there. A bad record with a good one after it is corruption, and is refused.
 *
 * One writer: an open file description lock (F_OFD_SETLK) on the journal itself. The
 * kernel (or the NFS server, when the client is gone) drops it with its holder, so a lock
 * of a dead process is never in the way.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "journal.h"

#define MAGIC "J1 "
/* A record longer than this is not one of ours (a search space of thousands of params and a
 * long exception message fit well below). */
#define MAX_RECORD (64u << 20)

struct mmarml__journal {
    pthread_mutex_t lock;
    int fd;
    int created;
    int failed; /* errno of the first failed append; every later append is refused */
    off_t size; /* end of the last whole record */
    off_t reserved; /* blocks allocated up to here (fallocate, size kept) */
    int low_space;  /* the reserve could not be renewed: the file system is nearly full */
    char *path;
};

/* ---- CRC-32C ---- */

/* Written here rather than taken from a package: zlib's crc32 is the IEEE polynomial, and
 * the one library with CRC-32C (crc32c) is C++; this is a 256-entry table, built once. */
static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    uint32_t i, k, c;

    for (i = 0; i < 256; i++) {
        for (c = i, k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
        crc_table[i] = c;
    }
}

uint32_t mmarml__crc32c(uint32_t crc, const void *data, size_t len)
{
    const unsigned char *p = data;

    pthread_once(&crc_once, crc_init);
    crc = ~crc;
    while (len-- > 0)
        crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

/* ---- reading ---- */

/* Parse the record at buf[pos..size). 1: *rec (new reference) and *next; 0: the bytes end
 * inside it; -1: it is not a valid record; -2: it is whole and its checksum matches, but it
 * holds no JSON object. A crash cannot leave that (a torn or zero-filled record fails the
 * checksum), so it is damage even at the end. */
static int parse_record(const char *buf, size_t size, size_t pos, json_t **rec, size_t *next)
{
    size_t i = pos + 3, len = 0, body;
    uint32_t crc = 0;
    int digits = 0, k;

    if (size - pos < 3)
        return memcmp(buf + pos, MAGIC, size - pos) == 0 ? 0 : -1;
    if (memcmp(buf + pos, MAGIC, 3) != 0)
        return -1;
    for (; i < size && buf[i] >= '0' && buf[i] <= '9' && digits < 10; i++, digits++)
        len = len * 10 + (size_t)(buf[i] - '0');
    if (i >= size)
        return 0;
    if (digits == 0 || buf[i] != ' ' || len > MAX_RECORD)
        return -1;
    i++;
    for (k = 0; k < 8; k++, i++) {
        char c = i < size ? buf[i] : 0;
        if (i >= size)
            return 0;
        if (c >= '0' && c <= '9')
            crc = crc << 4 | (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            crc = crc << 4 | (uint32_t)(c - 'a' + 10);
        else
            return -1;
    }
    if (i >= size)
        return 0;
    if (buf[i++] != ' ')
        return -1;
    body = i;
    if (size - body < len + 1)
        return 0;
    if (buf[body + len] != '\n' || mmarml__crc32c(0, buf + body, len) != crc)
        return -1;
    *rec = json_loadb(buf + body, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(*rec)) {
        json_decref(*rec);
        *rec = NULL;
        return -2;
    }
    *next = body + len + 1;
    return 1;
}

/*
 * A window on the journal file: the reader holds the record it parses (or the bytes it
 * scans), read a chunk at a time, never the whole file, so reading a journal takes the
 * memory of its largest record whatever its length. Offsets are the file's.
 */
#define CHUNK (256u << 10)

typedef struct {
    int fd;
    const char *path;
    char *buf;
    size_t cap;
    size_t base; /* the file offset of buf[0] */
    size_t len;  /* buf holds the file's bytes [base, base + len) */
    size_t end;  /* the file's size when the walk began: what was appended after is not read */
} window;

/* A window on at most the first `limit` bytes of the file open as `fd`. */
static int window_open(window *w, int fd, const char *path, size_t limit)
{
    struct stat st;

    memset(w, 0, sizeof(*w));
    w->fd = fd;
    w->path = path;
    if (fstat(fd, &st) != 0)
        return mmarml_error_set(MMARML_EIO, "journal '%s': %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return mmarml_error_set(MMARML_EINVAL, "journal '%s' is not a regular file", path);
    w->end = (size_t)st.st_size < limit ? (size_t)st.st_size : limit;
    return MMARML_OK;
}

static int window_at_end(const window *w)
{
    return w->base + w->len >= w->end;
}

/* Forget the bytes before file offset `keep` (<= base + len), then read what follows the
 * window, growing it when the bytes kept fill it (a record longer than a chunk). */
static int window_more(window *w, size_t keep)
{
    size_t drop = keep - w->base, want;

    if (drop > 0) /* (none before the first read, when there is no buffer yet) */
        memmove(w->buf, w->buf + drop, w->len - drop);
    w->base = keep;
    w->len -= drop;
    if (w->cap - w->len < CHUNK / 2) {
        size_t cap = w->cap == 0 ? CHUNK : 2 * w->cap;
        char *more = realloc(w->buf, cap);
        if (more == NULL)
            return MMARML__NOMEM();
        w->buf = more;
        w->cap = cap;
    }
    want = w->end - (w->base + w->len);
    if (want > w->cap - w->len)
        want = w->cap - w->len;
    while (want > 0) {
        ssize_t n = pread(w->fd, w->buf + w->len, want, (off_t)(w->base + w->len));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return mmarml_error_set(MMARML_EIO, "journal '%s': read: %s", w->path,
                                    strerror(errno));
        if (n == 0) { /* it shrank while read: what is there is all there is */
            w->end = w->base + w->len;
            break;
        }
        w->len += (size_t)n;
        want -= (size_t)n;
    }
    return MMARML_OK;
}

/* parse_record at file offset `pos`, reading on while the window ends inside the record.
 * *next is a file offset. */
static int window_parse(window *w, size_t pos, json_t **rec, size_t *next, int *rc)
{
    int r;

    *rc = MMARML_OK;
    while ((r = parse_record(w->buf, w->len, pos - w->base, rec, next)) == 0 &&
           !window_at_end(w))
        if ((*rc = window_more(w, pos)) != MMARML_OK)
            return 0;
    if (r == 1)
        *next += w->base;
    return r;
}

/* Is there a whole valid record anywhere after `pos` (at the start of a line)? The bytes
 * before `pos` are forgotten as the scan goes on. */
static int valid_record_after(window *w, size_t pos, int *rc)
{
    *rc = MMARML_OK;
    for (;;) {
        const char *nl = memchr(w->buf + (pos - w->base), '\n', w->base + w->len - pos);
        json_t *rec = NULL;
        size_t next;
        if (nl == NULL) {
            if (window_at_end(w) || (*rc = window_more(w, w->base + w->len)) != MMARML_OK)
                return 0;
            pos = w->base;
            continue;
        }
        pos = w->base + (size_t)(nl - w->buf) + 1;
        if (pos < w->end && window_parse(w, pos, &rec, &next, rc) == 1) {
            json_decref(rec);
            return 1;
        }
        if (*rc != MMARML_OK)
            return 0;
    }
}

/* Check the first record: ours, and a version we read. */
static int check_header(const json_t *first, const char *path)
{
    const json_t *v = json_object_get(first, "version");

    if (!json_is_string(json_object_get(first, "t")) ||
        strcmp(json_string_value(json_object_get(first, "t")), "header") != 0 ||
        !json_is_string(json_object_get(first, "format")) ||
        strcmp(json_string_value(json_object_get(first, "format")), "mmarml-journal") != 0)
        return mmarml_error_set(MMARML_EINVAL, "'%s' is not an mmarml journal (its first "
                                "record is not an mmarml-journal header)", path);
    if (!json_is_integer(v) || json_integer_value(v) < 1 ||
        json_integer_value(v) > MMARML_JOURNAL_FORMAT_VERSION)
        return mmarml_error_set(MMARML_EINVAL, "journal '%s': format version %s is not one "
                                "this library reads (it reads 1..%d)", path,
                                json_is_integer(v) ? "newer" : "missing",
                                MMARML_JOURNAL_FORMAT_VERSION);
    return MMARML_OK;
}

/* Every whole record of the file open as `fd`, to `fn` as it is parsed: the first is
 * checked to be a header of ours before `fn` sees it, and a damaged record is an error only
 * once whole records are found after it (else it is the torn last one), so the records
 * before a damaged one have reached `fn` when the error is returned. *good_end: where the
 * whole records end. */
static int walk_records(int fd, const char *path, size_t limit, mmarml_journal_record_fn fn,
                        void *ud, size_t *good_end, size_t *file_size)
{
    window w;
    size_t pos = 0, count = 0;
    int rc = window_open(&w, fd, path, limit);

    if (rc == MMARML_OK)
        rc = window_more(&w, 0);
    if (rc == MMARML_OK && w.len > 0 && w.buf[0] != 'J') /* not ours at all: say so first */
        rc = mmarml_error_set(MMARML_EINVAL, "'%s' is not an mmarml journal (it does not "
                              "start with a journal record)", path);
    while (rc == MMARML_OK && pos < w.end) {
        json_t *rec = NULL;
        size_t next = 0;
        int r = window_parse(&w, pos, &rec, &next, &rc);
        if (rc != MMARML_OK)
            break;
        if (r == 1) {
            if (count++ == 0 && (rc = check_header(rec, path)) != MMARML_OK) {
                json_decref(rec);
                break;
            }
            rc = fn(rec, ud);
            json_decref(rec);
            pos = next;
            continue;
        }
        if (r == -2)
            rc = mmarml_error_set(MMARML_EINVAL, "journal '%s' is corrupt: the record at byte "
                                  "%zu is whole and its checksum matches, but it is not a "
                                  "JSON object", path, pos);
        else if (r < 0 && valid_record_after(&w, pos, &rc))
            rc = mmarml_error_set(MMARML_EINVAL, "journal '%s' is corrupt: the record at byte "
                                  "%zu is damaged and whole records follow it", path, pos);
        break; /* else a torn last record: the run died while writing it */
    }
    free(w.buf);
    *good_end = pos;
    *file_size = w.end;
    return rc;
}

static int append_record(const json_t *rec, void *records)
{
    return json_array_append(records, (json_t *)rec) == 0 ? MMARML_OK : MMARML__NOMEM();
}

/* Open `path` and give its records to `fn`; *torn_bytes (may be NULL): the bytes of a torn
 * last record. */
static int walk_path(const char *path, mmarml_journal_record_fn fn, void *ud,
                     size_t *torn_bytes)
{
    size_t good = 0, size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), rc;

    if (fd < 0)
        return mmarml_error_set(errno == ENOENT ? MMARML_ENOTFOUND : MMARML_EIO,
                                "cannot open the journal '%s': %s", path, strerror(errno));
    rc = walk_records(fd, path, SIZE_MAX, fn, ud, &good, &size);
    close(fd);
    if (rc == MMARML_OK && torn_bytes != NULL)
        *torn_bytes = size - good;
    return rc;
}

int mmarml_journal_read(json_t **records, const char *path, size_t *torn_bytes)
{
    json_t *recs;
    int rc;

    if (records == NULL || path == NULL)
        return MMARML__NULLARG(records == NULL ? "records" : "path");
    *records = NULL;
    if ((recs = json_array()) == NULL)
        return MMARML__NOMEM();
    if ((rc = walk_path(path, append_record, recs, torn_bytes)) != MMARML_OK) {
        json_decref(recs);
        return rc;
    }
    *records = recs;
    return MMARML_OK;
}

int mmarml_journal_foreach(const char *path, mmarml_journal_record_fn fn, void *user_data,
                           size_t *torn_bytes)
{
    if (path == NULL || fn == NULL)
        return MMARML__NULLARG(path == NULL ? "path" : "fn");
    return walk_path(path, fn, user_data, torn_bytes);
}

/* ---- the writer ---- */

typedef struct {
    char host[256];
    json_int_t pid;
} lock_holder;

static int note_holder(const json_t *rec, void *ud)
{
    lock_holder *h = ud;
    const char *t = json_string_value(json_object_get(rec, "t"));
    const char *host = json_string_value(json_object_get(rec, "host"));

    if (t != NULL && host != NULL && (strcmp(t, "header") == 0 || strcmp(t, "resume") == 0)) {
        snprintf(h->host, sizeof(h->host), "%s", host);
        h->pid = json_integer_value(json_object_get(rec, "pid"));
    }
    return MMARML_OK;
}

/* Who holds the lock: the pid and host of the last header or resume record. */
static void describe_holder(char *buf, size_t n, int fd, const char *path)
{
    lock_holder h = {"", 0};
    size_t good, size;

    snprintf(buf, n, "another process");
    if (walk_records(fd, path, SIZE_MAX, note_holder, &h, &good, &size) != MMARML_OK) {
        mmarml_error_clear();
        return;
    }
    if (h.host[0] != '\0')
        snprintf(buf, n, "pid %lld on host %s", (long long)h.pid, h.host);
}

static int take_lock(int fd, const char *path)
{
    struct flock fl;
    char holder[300];

    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
        return MMARML_OK;
    if (errno != EAGAIN && errno != EACCES)
        return mmarml_error_set(MMARML_EIO, "cannot lock the journal '%s': %s", path,
                                strerror(errno));
    describe_holder(holder, sizeof(holder), fd, path);
    return mmarml_error_set(MMARML_EBUSY, "the run of journal '%s' is live: %s holds it "
                            "(one writer per run root; stop that run first)", path, holder);
}

static void sync_parent_dir(const char *path)
{
    char *dir = mmarml__strdup(path), *slash;
    int fd;

    if (dir == NULL)
        return;
    slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash != NULL)
        *slash = '\0';
    else
        strcpy(dir, ".");
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd); /* the journal's name survives a crash too */
        close(fd);
    }
    free(dir);
}

/* A journal that exists but is empty records no run (its writer died before the header):
 * a new run may take it over, once it holds the lock. -1 with errno EEXIST otherwise. */
static int take_over_empty(const char *path, int flags)
{
    struct flock fl;
    struct stat st;
    int fd = open(path, flags);

    if (fd < 0) {
        errno = EEXIST;
        return -1;
    }
    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_OFD_SETLK, &fl) != 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size != 0) {
        close(fd);
        errno = EEXIST;
        return -1;
    }
    return fd;
}

static void renew_reserve(mmarml__journal *j);

/* Counts the records it passes on to the resuming reader's `fn`. */
typedef struct {
    mmarml_journal_record_fn fn;
    void *ud;
    size_t count;
} counted_walk;

static int count_record(const json_t *rec, void *ud)
{
    counted_walk *c = ud;

    c->count++;
    return c->fn != NULL ? c->fn(rec, c->ud) : MMARML_OK;
}

int mmarml__journal_open(mmarml__journal **out, const char *path, int resume,
                         mmarml_journal_record_fn fn, void *ud)
{
    mmarml__journal *j;
    counted_walk walk = {fn, ud, 0};
    size_t good = 0, size = 0;
    int rc, flags = O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;

    *out = NULL;
    j = calloc(1, sizeof(*j));
    if (j == NULL || (j->path = mmarml__strdup(path)) == NULL) {
        free(j);
        return MMARML__NOMEM();
    }
    pthread_mutex_init(&j->lock, NULL);
    j->fd = open(path, flags | (resume ? 0 : O_CREAT | O_EXCL), 0644);
    if (j->fd < 0 && !resume && errno == EEXIST)
        j->fd = take_over_empty(path, flags);
    if (j->fd < 0) {
        int err = errno;
        if (!resume && err == EEXIST)
            rc = mmarml_error_set(MMARML_EEXISTS, "the journal '%s' exists: that run can be "
                                  "resumed (mmarml run --resume, or the engine option "
                                  "`resume`), or removed", path);
        else if (resume && err == ENOENT)
            rc = mmarml_error_set(MMARML_ENOTFOUND, "nothing to resume: there is no journal "
                                  "'%s'", path);
        else
            rc = mmarml_error_set(MMARML_EIO, "cannot open the journal '%s': %s", path,
                                  strerror(err));
        mmarml__journal_close(j, 0);
        return rc;
    }
    j->created = !resume;
    rc = take_lock(j->fd, path);
    if (rc == MMARML_OK && resume) {
        rc = walk_records(j->fd, path, SIZE_MAX, count_record, &walk, &good, &size);
        if (rc == MMARML_OK && walk.count == 0)
            rc = mmarml_error_set(MMARML_ENOTFOUND, "nothing to resume: the journal '%s' "
                                  "records no run", path);
        /* cut a torn last record, so the next one follows the last whole one */
        if (rc == MMARML_OK && good < size && ftruncate(j->fd, (off_t)good) != 0)
            rc = mmarml_error_set(MMARML_EIO, "journal '%s': cannot cut its torn last record: "
                                  "%s", path, strerror(errno));
        j->size = (off_t)good;
    }
    if (rc == MMARML_OK && !resume)
        sync_parent_dir(path);
    /* the descriptor blocks from here on (O_NONBLOCK was for a FIFO posing as a journal) */
    if (rc == MMARML_OK) {
        fcntl(j->fd, F_SETFL, fcntl(j->fd, F_GETFL) & ~O_NONBLOCK);
        renew_reserve(j);
    }
    if (rc != MMARML_OK) {
        mmarml__journal_close(j, j->created);
        return rc;
    }
    *out = j;
    return MMARML_OK;
}

/* Encode `record` as one framed line. */
static char *frame(const json_t *record, size_t *len_out)
{
    char *body = json_dumps(record, JSON_COMPACT | JSON_REAL_PRECISION(17));
    char *line;
    size_t n;

    if (body == NULL)
        return NULL;
    n = strlen(body);
    line = malloc(n + 32);
    if (line != NULL) {
        int head = snprintf(line, 32, MAGIC "%zu %08x ", n, mmarml__crc32c(0, body, n));
        memcpy(line + head, body, n);
        line[head + n] = '\n';
        *len_out = (size_t)head + n + 1;
    }
    free(body);
    return line;
}

/*
 * Blocks are kept allocated past the journal's end (fallocate, size unchanged), so the
 * records that end a run on a full file system (its jobs' ends, the stop, end_run) still
 * fit. When the reserve cannot be renewed the file system is nearly full: low_space tells
 * the engine, which stops the run while the reserve lasts. Lock held.
 */
#define JOURNAL_RESERVE (256 * 1024)

static void renew_reserve(mmarml__journal *j)
{
    int err;

    if (j->reserved - j->size >= JOURNAL_RESERVE / 2)
        return;
    err = fallocate(j->fd, FALLOC_FL_KEEP_SIZE, j->size, JOURNAL_RESERVE) == 0 ? 0 : errno;
    if (err == 0)
        j->reserved = j->size + JOURNAL_RESERVE;
    else if (err != EOPNOTSUPP && err != ENOSYS)
        j->low_space = err;
    else
        j->reserved = (off_t)1 << 62; /* no reserve on this file system: nothing to renew */
}

int mmarml__journal_low_space(mmarml__journal *j)
{
    int err;

    pthread_mutex_lock(&j->lock);
    err = j->low_space;
    pthread_mutex_unlock(&j->lock);
    return err;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        if (n == 0)
            return EIO;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int mmarml__journal_append_then(mmarml__journal *j, const json_t *record, int durable,
                                void (*then)(void *arg), void *arg)
{
    size_t len = 0;
    char *line = frame(record, &len);
    int err = 0, rc = MMARML_OK;

    if (line == NULL)
        return MMARML__NOMEM();
    pthread_mutex_lock(&j->lock);
    if (j->failed) {
        err = j->failed;
    } else if ((err = write_all(j->fd, line, len)) != 0) {
        /* take a partial record back, so what is there stays readable */
        if (ftruncate(j->fd, j->size) != 0) {
            /* it stays torn: the reader ignores a torn last record */
        }
    } else if (durable && fdatasync(j->fd) != 0) {
        err = errno;
    } else {
        j->size += (off_t)len;
        renew_reserve(j);
    }
    if (err != 0) {
        j->failed = err;
        rc = mmarml_error_set(mmarml__errno_code(err), "cannot write the journal '%s': %s",
                              j->path, strerror(err));
    } else if (then != NULL) {
        then(arg);
    }
    pthread_mutex_unlock(&j->lock);
    free(line);
    return rc;
}

int mmarml__journal_append(mmarml__journal *j, const json_t *record, int durable)
{
    return mmarml__journal_append_then(j, record, durable, NULL, NULL);
}

int mmarml__journal_walk(mmarml__journal *j, size_t end, mmarml_journal_record_fn fn, void *ud)
{
    size_t good = 0, size = 0;
    int rc = walk_records(j->fd, j->path, end, fn, ud, &good, &size);

    if (rc == MMARML_OK && good != end)
        rc = mmarml_error_set(MMARML_EINVAL, "journal '%s' changed while it was read: its "
                              "records ended at byte %zu, now at %zu", j->path, end, good);
    return rc;
}

size_t mmarml__journal_end(mmarml__journal *j)
{
    size_t end;

    pthread_mutex_lock(&j->lock);
    end = (size_t)j->size;
    pthread_mutex_unlock(&j->lock);
    return end;
}

int mmarml__journal_created(const mmarml__journal *j)
{
    return j != NULL && j->created;
}

const char *mmarml__journal_path(const mmarml__journal *j)
{
    return j != NULL ? j->path : NULL;
}

void mmarml__journal_close(mmarml__journal *j, int remove_file)
{
    if (j == NULL)
        return;
    if (remove_file && j->path != NULL)
        unlink(j->path); /* before the lock goes: no one else opens it half-made */
    if (j->fd >= 0)
        close(j->fd);
    pthread_mutex_destroy(&j->lock);
    free(j->path);
    free(j);
}
