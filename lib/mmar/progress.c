/* A job's progress: its progress file and log lines to mmarml_job_report (progress.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "progress.h"
#include "time_text.h"

/* Malformed lines said in the trace per job and file; the rest are counted. */
#define SAID_MAX 5

/* One followed file: where we are, and the start of a line not yet ended. */
typedef struct {
    const char *what;   /* "progress file", "log" */
    char *path;
    off_t offset;
    char *partial;
    size_t partial_len;
    int skipping;       /* inside a line that is too long: skip to its end */
    unsigned bad;       /* malformed lines */
    unsigned bad_times; /* lines whose "time" was not used */
    unsigned said_not_regular;
} followed;

struct mmar_progress {
    const mmar_progress_config *cfg;
    mmarml_context *job;
    followed file, log;
    int inotify_fd, quit_fd;
    pthread_t thread;
    int started;
    int stopped;  /* the pruner said stop: nothing more to report */
    unsigned reports;
};

/* Which of the regex's groups is the step, the value and the time: `groups` (the arg
 * progress_regex_groups, NULL: ["step", "value"]) names them in order, null for a group to
 * leave. */
static int parse_groups(mmar_progress_config *cfg, const json_t *groups, const char *who)
{
    static const char *const names[] = {"step", "value", "time"};
    size_t i, k, n = json_array_size(groups);
    const json_t *g;
    int found[3] = {0, 0, 0};

    if (groups == NULL) {
        n = 2;
        found[0] = 1, found[1] = 2;
    } else if (!cfg->has_regex) {
        return mmarml_error_set(MMARML_EINVAL, "%s: arg 'progress_regex_groups' names the "
                                "groups of 'progress_regex', which is not given", who);
    } else if (!json_is_array(groups) || n == 0 || n > MMAR_PROGRESS_MAX_GROUP) {
        return mmarml_error_set(MMARML_EINVAL, "%s: arg 'progress_regex_groups' must be a list "
                                "of 1 to %d entries, one per group of 'progress_regex'", who,
                                MMAR_PROGRESS_MAX_GROUP);
    }
    json_array_foreach(groups, i, g)
    {
        if (json_is_null(g))
            continue;
        for (k = 0; k < 3; k++)
            if (json_is_string(g) && strcmp(json_string_value(g), names[k]) == 0)
                break;
        if (k == 3)
            return mmarml_error_set(MMARML_EINVAL, "%s: arg 'progress_regex_groups'[%zu] must "
                                    "be \"step\", \"value\", \"time\" or null", who, i);
        if (found[k])
            return mmarml_error_set(MMARML_EINVAL, "%s: arg 'progress_regex_groups' names "
                                    "\"%s\" twice ([%d] and [%zu])", who, names[k],
                                    found[k] - 1, i);
        found[k] = (int)i + 1;
    }
    for (k = 0; k < 2; k++)
        if (!found[k])
            return mmarml_error_set(MMARML_EINVAL, "%s: arg 'progress_regex_groups' must name "
                                    "the \"%s\" group", who, names[k]);
    if (cfg->has_regex && cfg->regex.re_nsub < n)
        return mmarml_error_set(MMARML_EINVAL, "%s: arg 'progress_regex' needs %zu groups (%s); "
                                "it has %zu", who, n, groups == NULL ? "the step, then the value"
                                : "one per entry of 'progress_regex_groups'",
                                cfg->regex.re_nsub);
    cfg->step_group = found[0];
    cfg->value_group = found[1];
    cfg->time_group = found[2];
    return MMARML_OK;
}

int mmar_progress_config_parse(mmar_progress_config *cfg, const json_t *args, const char *who,
                               double poll_s)
{
    const char *re = NULL, *metric = NULL;
    int rc;

    memset(cfg, 0, sizeof(*cfg));
    cfg->poll_s = poll_s > 0 && poll_s < 5 ? poll_s : 5; /* inotify misses shared-FS writes */
    if ((rc = mmarml_args_get_string(args, who, "progress_regex", NULL, &re)) != MMARML_OK ||
        (rc = mmarml_args_get_string(args, who, "progress_metric", NULL, &metric)) !=
            MMARML_OK)
        return rc;
    if (re != NULL) {
        char msg[256];
        int err = regcomp(&cfg->regex, re, REG_EXTENDED);
        if (err != 0) {
            regerror(err, &cfg->regex, msg, sizeof(msg));
            return mmarml_error_set(MMARML_EINVAL, "%s: arg 'progress_regex' is not a POSIX "
                                    "extended regular expression: %s", who, msg);
        }
        cfg->has_regex = 1;
    }
    if ((rc = parse_groups(cfg, json_object_get(args, "progress_regex_groups"), who)) !=
        MMARML_OK) {
        mmar_progress_config_free(cfg);
        return rc;
    }
    if (metric != NULL && (cfg->metric = strdup(metric)) == NULL) {
        mmar_progress_config_free(cfg);
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", who);
    }
    return MMARML_OK;
}

void mmar_progress_config_free(mmar_progress_config *cfg)
{
    if (cfg->has_regex)
        regfree(&cfg->regex);
    cfg->has_regex = 0;
    free(cfg->metric);
    cfg->metric = NULL;
}

static void malformed(mmar_progress *p, followed *f, const char *why, const char *line)
{
    if (f->bad++ < SAID_MAX)
        mmarml_context_trace(p->job, "progress", "%s line skipped (%s): %.120s%s", f->what,
                             why, line, strlen(line) > 120 ? "..." : "");
}

static void report(mmar_progress *p, followed *f, double step, double value, double time,
                   const char *line)
{
    int stop = 0;

    if (p->stopped)
        return;
    if (!isfinite(step) || step < 0 || !isfinite(value)) {
        malformed(p, f, "step must be a finite number >= 0, value a finite number", line);
        return;
    }
    if (mmarml_job_report_at(p->job, step, value, time, &stop) != MMARML_OK)
        mmarml_context_exception_occurred(p->job, "progress", mmarml_error_message());
    p->reports++;
    p->stopped = stop;
}

/* A line whose value is good but whose time is not a time: the value is kept, with the time
 * the line was read at. */
static void bad_time(mmar_progress *p, followed *f, const char *what, const char *line)
{
    if (f->bad_times++ < SAID_MAX)
        mmarml_context_trace(p->job, "progress", "%s line's %s is not seconds since the epoch "
                             "or an ISO 8601 date and time: the time it was read is kept "
                             "instead: %.120s%s", f->what, what, line,
                             strlen(line) > 120 ? "..." : "");
}

/* One line of the progress file: {"step": s, "value": v[, "metric": m][, "time": t]}. */
static void progress_line(mmar_progress *p, char *line)
{
    json_error_t err;
    json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, &err);
    const json_t *step = json_object_get(o, "step"), *value = json_object_get(o, "value");
    const json_t *metric = json_object_get(o, "metric"), *time = json_object_get(o, "time");
    double when = NAN; /* when the value was measured; unsaid: now */

    if (!json_is_object(o))
        malformed(p, &p->file, o == NULL ? err.text : "not an object", line);
    else if (!json_is_number(step) || !json_is_number(value))
        malformed(p, &p->file, "needs numbers \"step\" and \"value\"", line);
    else if (metric != NULL && !json_is_string(metric))
        malformed(p, &p->file, "\"metric\" must be a string", line);
    else if (p->cfg->metric == NULL || metric == NULL ||
             strcmp(json_string_value(metric), p->cfg->metric) == 0) {
        if (json_is_number(time) && isfinite(json_number_value(time)) &&
            json_number_value(time) >= 0)
            when = json_number_value(time);
        else if (time != NULL && (!json_is_string(time) ||
                                  mmar_time_parse(json_string_value(time), &when) != 0))
            bad_time(p, &p->file, "\"time\"", line);
        report(p, &p->file, json_number_value(step), json_number_value(value), when, line);
    }
    json_decref(o);
}

/* The text a regex group captured, in buf; -1 when it captured nothing or too much. */
static int group_text(const char *line, const regmatch_t *m, char *buf, size_t size)
{
    size_t n = (size_t)(m->rm_eo - m->rm_so);

    if (m->rm_so < 0 || n == 0 || n >= size)
        return -1;
    memcpy(buf, line + m->rm_so, n);
    buf[n] = '\0';
    return 0;
}

/* A whole number from a regex group: all of it must be the number. */
static int group_number(const char *line, const regmatch_t *m, double *out)
{
    char buf[64], *end;

    if (group_text(line, m, buf, sizeof(buf)) != 0)
        return -1;
    *out = strtod(buf, &end);
    return *end == '\0' ? 0 : -1;
}

static void log_line(mmar_progress *p, char *line)
{
    const mmar_progress_config *cfg = p->cfg;
    regmatch_t m[MMAR_PROGRESS_MAX_GROUP + 1];
    double step, value, when = NAN;
    char text[128];

    if (regexec(&cfg->regex, line, MMAR_PROGRESS_MAX_GROUP + 1, m, 0) != 0)
        return; /* most log lines say something else */
    if (group_number(line, &m[cfg->step_group], &step) != 0 ||
        group_number(line, &m[cfg->value_group], &value) != 0) {
        malformed(p, &p->log, "progress_regex matched, but its step or value group is not a "
                  "number", line);
        return;
    }
    /* a time group that matched nothing (optional in the regex) leaves the time it was read */
    if (cfg->time_group > 0 && m[cfg->time_group].rm_so >= 0 &&
        (group_text(line, &m[cfg->time_group], text, sizeof(text)) != 0 ||
         mmar_time_parse(text, &when) != 0)) {
        when = NAN;
        bad_time(p, &p->log, "time group", line);
    }
    report(p, &p->log, step, value, when, line);
}

/* Take the whole lines of `f` that arrived; `final`: the writer is gone, a last line without
 * its newline is torn. */
static void read_lines(mmar_progress *p, followed *f, void (*line_fn)(mmar_progress *, char *),
                       int final)
{
    char buf[65536];
    struct stat st;
    ssize_t n;
    int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);

    if (fd < 0)
        return; /* not written yet (or a link: not ours to follow) */
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (f->said_not_regular++ == 0)
            mmarml_context_trace(p->job, "progress", "the %s '%s' is not a regular file: not "
                                 "read", f->what, f->path);
        close(fd);
        return;
    }
    if (st.st_size < f->offset) { /* truncated or replaced: start over */
        f->offset = 0;
        f->partial_len = 0;
        f->skipping = 0;
    }
    while ((n = pread(fd, buf, sizeof(buf), f->offset)) > 0) {
        ssize_t i, from = 0;
        f->offset += n;
        for (i = 0; i <= n; i++) {
            int eol = i < n && buf[i] == '\n';
            size_t len = (size_t)(i - from);
            if (i < n && !eol)
                continue;
            if (!f->skipping && f->partial_len + len > MMAR_PROGRESS_MAX_LINE) {
                f->skipping = 1;
                f->partial_len = 0;
                malformed(p, f, "longer than 64 KiB", "");
            }
            if (!f->skipping) {
                char *more = realloc(f->partial, f->partial_len + len + 1);
                if (more == NULL)
                    break;
                f->partial = more;
                memcpy(f->partial + f->partial_len, buf + from, len);
                f->partial_len += len;
                f->partial[f->partial_len] = '\0';
            }
            if (eol) {
                if (!f->skipping && f->partial_len > 0) {
                    if (memchr(f->partial, '\0', f->partial_len) != NULL)
                        malformed(p, f, "holds a NUL byte", f->partial);
                    else
                        line_fn(p, f->partial);
                }
                f->partial_len = 0;
                f->skipping = 0;
            }
            from = i + 1;
        }
    }
    close(fd);
    if (final && f->partial_len > 0 && !f->skipping)
        malformed(p, f, "torn: the writer left it without its newline", f->partial);
}

static void collect(mmar_progress *p, int final)
{
    read_lines(p, &p->file, progress_line, final);
    if (p->cfg->has_regex)
        read_lines(p, &p->log, log_line, final);
}

static void *follow(void *arg)
{
    mmar_progress *p = arg;
    struct pollfd fds[2] = {{p->quit_fd, POLLIN, 0}, {p->inotify_fd, POLLIN, 0}};
    char events[4096];

    for (;;) {
        int n = poll(fds, p->inotify_fd >= 0 ? 2 : 1, (int)(p->cfg->poll_s * 1000));
        if (n > 0 && fds[0].revents)
            break;
        if (n > 0 && fds[1].revents &&
            read(p->inotify_fd, events, sizeof(events)) < 0 && errno != EAGAIN) {
            /* the queue overflowed or broke: the timeout still reads */
        }
        collect(p, 0);
        /* a trainer that writes its log line by line wakes us for each: read at most every
         * 20 ms (a stop decision waits that long at most) */
        if (poll(fds, 1, 20) > 0)
            break;
    }
    return NULL;
}

int mmar_progress_start(mmar_progress **out, const mmar_progress_config *cfg,
                        mmarml_context *job, const char *job_root)
{
    mmar_progress *p = calloc(1, sizeof(*p));

    *out = NULL;
    if (p == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "out of memory following progress");
    p->cfg = cfg;
    p->job = job;
    p->file.what = "progress file";
    p->log.what = "log";
    p->inotify_fd = -1;
    p->quit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (asprintf(&p->file.path, "%s/" MMAR_PROGRESS_FILE, job_root) < 0 ||
        asprintf(&p->log.path, "%s/" MMARML_MMAR_LOG_FILE, job_root) < 0 || p->quit_fd < 0) {
        mmar_progress_finish(p);
        return mmarml_error_set(MMARML_ENOMEM, "cannot follow the progress of '%s'", job_root);
    }
    /* the folder, not the file: it is made after we look */
    p->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (p->inotify_fd >= 0 &&
        inotify_add_watch(p->inotify_fd, job_root, IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO) <
            0) {
        close(p->inotify_fd);
        p->inotify_fd = -1; /* no inotify: the poll interval alone */
    }
    if (pthread_create(&p->thread, NULL, follow, p) != 0) {
        mmar_progress_finish(p);
        return mmarml_error_set(MMARML_EIO, "cannot start a thread following '%s'", job_root);
    }
    p->started = 1;
    *out = p;
    return MMARML_OK;
}

void mmar_progress_finish(mmar_progress *p)
{
    uint64_t one = 1;
    unsigned skipped;

    if (p == NULL)
        return;
    if (p->started) {
        if (write(p->quit_fd, &one, sizeof(one)) != sizeof(one)) {
            /* an eventfd takes 2^64 - 2 writes: it is written */
        }
        pthread_join(p->thread, NULL);
        collect(p, 1); /* what came after the last wake */
        skipped = p->file.bad + p->log.bad;
        if (skipped > SAID_MAX)
            mmarml_context_trace(p->job, "progress", "%u malformed progress lines skipped in "
                                 "all (the first %d were said)", skipped, SAID_MAX);
    }
    if (p->inotify_fd >= 0)
        close(p->inotify_fd);
    if (p->quit_fd >= 0)
        close(p->quit_fd);
    free(p->file.path);
    free(p->log.path);
    free(p->file.partial);
    free(p->log.partial);
    free(p);
}
