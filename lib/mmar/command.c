#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmarml.h"
#include "command.h"
#include "process.h"
#include "mmar_util.h"

extern char **environ;

#define KEEP_MAX (1u << 20)

typedef struct {
    int fd;
    char *text;
    size_t len, cap;
} sink;

/* Read what is there; close the descriptor at end of file. Text beyond KEEP_MAX is dropped
 * (but still read, so the command never blocks on a full pipe). */
static void sink_read(sink *s)
{
    char buf[4096];
    ssize_t n = read(s->fd, buf, sizeof(buf));

    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        close(s->fd);
        s->fd = -1;
        return;
    }
    if (s->len + (size_t)n + 1 > s->cap && s->len < KEEP_MAX) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        char *t;
        while (cap < s->len + (size_t)n + 1)
            cap *= 2;
        if ((t = realloc(s->text, cap)) == NULL)
            return; /* out of memory: the rest is dropped */
        s->text = t;
        s->cap = cap;
    }
    if (s->len + (size_t)n + 1 <= s->cap) {
        memcpy(s->text + s->len, buf, (size_t)n);
        s->len += (size_t)n;
        s->text[s->len] = '\0';
    }
}

static char *sink_take(sink *s)
{
    char *t = s->text != NULL ? s->text : strdup("");

    s->text = NULL;
    return t;
}

/* argv[0] looked up on PATH as execvp would, so that a missing command is ENOTFOUND here
 * rather than an exit 127 from a child (which is what spawning looks like under valgrind).
 * Returns a malloc'd path, or NULL with errno set. */
static char *find_command(const char *name)
{
    const char *path = getenv("PATH"), *p, *end;
    char *full;

    if (strchr(name, '/') != NULL)
        return strdup(name);
    for (p = path != NULL ? path : "/usr/bin:/bin"; ; p = end + 1) {
        size_t len;
        end = strchr(p, ':');
        len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (asprintf(&full, "%.*s%s%s", (int)len, p, len > 0 ? "/" : "", name) < 0)
            return NULL;
        if (access(full, X_OK) == 0)
            return full;
        free(full);
        if (end == NULL)
            break;
    }
    errno = ENOENT;
    return NULL;
}

void mmar_command_result_free(mmar_command_result *res)
{
    free(res->out);
    free(res->err);
    res->out = res->err = NULL;
}

void mmar_command_describe(char *buf, size_t n, char *const argv[])
{
    size_t used = 0, i;

    buf[0] = '\0';
    for (i = 0; argv[i] != NULL && used + 1 < n; i++) {
        int quote = argv[i][0] == '\0' || strpbrk(argv[i], " \t\n'\"$`\\;&|<>*?") != NULL;
        int w = snprintf(buf + used, n - used, quote ? "%s'%s'" : "%s%s", i ? " " : "",
                         argv[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

int mmar_command_run(mmar_command_result *res, char *const argv[], char *const envp[],
                     double timeout_s)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int out[2] = {-1, -1}, err[2] = {-1, -1}, status = 0, rc;
    sink sinks[2];
    char *file;
    double deadline = mmar_monotonic_time() + timeout_s;
    pid_t pid;

    memset(res, 0, sizeof(*res));
    memset(sinks, 0, sizeof(sinks));
    if ((file = find_command(argv[0])) == NULL)
        return errno == ENOENT
                   ? mmarml_error_set(MMARML_ENOTFOUND, "cannot run '%s': not found on PATH "
                                      "(is it installed?)", argv[0])
                   : mmarml_error_set(MMARML_ENOMEM, "out of memory running '%s'", argv[0]);
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
        rc = errno;
        free(file);
        if (out[0] >= 0) {
            close(out[0]);
            close(out[1]);
        }
        return mmarml_error_set(MMARML_EIO, "pipe for '%s': %s", argv[0], strerror(rc));
    }
    posix_spawn_file_actions_init(&fa);
    mmar_spawnattr_init_clean(&attr);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    rc = posix_spawn(&pid, file, &fa, &attr, argv, envp != NULL ? envp : environ);
    free(file);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(out[1]);
    close(err[1]);
    if (rc != 0) {
        close(out[0]);
        close(err[0]);
        return mmarml_error_set(rc == ENOENT ? MMARML_ENOTFOUND : MMARML_EIO,
                                "cannot run '%s': %s", argv[0], strerror(rc));
    }
    sinks[0].fd = out[0];
    sinks[1].fd = err[0];
    while (sinks[0].fd >= 0 || sinks[1].fd >= 0) {
        struct pollfd fds[2];
        nfds_t n = 0, i;
        double left = deadline - mmar_monotonic_time();

        if (left <= 0) {
            kill(-pid, SIGKILL);
            res->timed_out = 1;
            break;
        }
        for (i = 0; i < 2; i++)
            if (sinks[i].fd >= 0) {
                fds[n].fd = sinks[i].fd;
                fds[n++].events = POLLIN;
            }
        if (poll(fds, n, (int)(left * 1000) + 1) < 0 && errno != EINTR)
            break;
        for (i = 0; i < n; i++)
            if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
                sink_read(fds[i].fd == sinks[0].fd ? &sinks[0] : &sinks[1]);
    }
    for (rc = 0; rc < 2; rc++)
        if (sinks[rc].fd >= 0)
            close(sinks[rc].fd);
    if (res->timed_out)
        kill(-pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    res->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    res->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    res->out = sink_take(&sinks[0]);
    res->err = sink_take(&sinks[1]);
    if (res->out == NULL || res->err == NULL) {
        mmar_command_result_free(res);
        return mmarml_error_set(MMARML_ENOMEM, "out of memory reading '%s'", argv[0]);
    }
    return MMARML_OK;
}

int mmar_command_error(const char *who, char *const argv[], const mmar_command_result *res)
{
    char line[512], how[64];
    const char *said = res->err != NULL && res->err[0] != '\0' ? res->err : res->out;
    size_t len = said != NULL ? strcspn(said, "\n") : 0;

    mmar_command_describe(line, sizeof(line), argv);
    if (res->timed_out)
        snprintf(how, sizeof(how), "timed out");
    else if (res->signal != 0)
        snprintf(how, sizeof(how), "killed by signal %d", res->signal);
    else
        snprintf(how, sizeof(how), "exit %d", res->exit_code);
    return mmarml_error_set(MMARML_EIO, "%s: '%s' failed (%s)%s%.*s", who, line, how,
                            len > 0 ? ": " : "", (int)(len > 300 ? 300 : len),
                            said != NULL ? said : "");
}
