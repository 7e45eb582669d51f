#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmarml.h"
#include "process.h"
#include "mmar_util.h"

struct mmar_process {
    pid_t pid;
    int pidfd;    /* -1 when the kernel has none: then waitpid is polled */
    int out_fd;   /* read end of the output pipe, or -1 */
    int output;
    int log_fd;   /* MMAR_OUT_FILE/BOTH with a pipe: where lines go */
    double kill_at; /* after stop: when SIGKILL goes to the group; <0 when none pending */
    int status;     /* wait status once reaped */
    int reaped;
    char prefix[96];
    char line[4096];
    size_t line_len;
};

static int pidfd_for(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

void mmar_spawnattr_init_clean(posix_spawnattr_t *attr)
{
    sigset_t none, all;

    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_init(attr);
    posix_spawnattr_setsigmask(attr, &none);
    posix_spawnattr_setsigdefault(attr, &all);
    posix_spawnattr_setpgroup(attr, 0);
    posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                       POSIX_SPAWN_SETSIGDEF);
}

void mmar_process_free(mmar_process *p)
{
    if (p == NULL)
        return;
    if (p->pid > 0 && !p->reaped) { /* never leave a trainer or a zombie behind */
        kill(-p->pid, SIGKILL);
        while (waitpid(p->pid, &p->status, 0) < 0 && errno == EINTR)
            ;
    }
    if (p->pidfd >= 0)
        close(p->pidfd);
    if (p->out_fd >= 0)
        close(p->out_fd);
    if (p->log_fd >= 0)
        close(p->log_fd);
    free(p);
}

int mmar_process_spawn(mmar_process **out, char *const argv[], char *const envp[],
                       const char *cwd, int output, const char *log_path, const char *prefix)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    mmar_process *p;
    int pipefd[2] = {-1, -1}, log_fd = -1, rc;

    *out = NULL;
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "out of memory starting %s", argv[0]);
    p->pidfd = p->out_fd = p->log_fd = -1;
    p->output = output;
    snprintf(p->prefix, sizeof(p->prefix), "%s", prefix != NULL ? prefix : "");
    p->kill_at = -1;
    if (output & MMAR_OUT_FILE) {
        log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (log_fd < 0) {
            rc = mmarml_error_set(MMARML_EIO, "cannot open job log '%s': %s", log_path,
                                  strerror(errno));
            mmar_process_free(p);
            return rc;
        }
    }
    if ((output & MMAR_OUT_CONSOLE) && pipe2(pipefd, O_CLOEXEC) != 0) {
        rc = mmarml_error_set(MMARML_EIO, "pipe: %s", strerror(errno));
        if (log_fd >= 0)
            close(log_fd);
        mmar_process_free(p);
        return rc;
    }

    posix_spawn_file_actions_init(&fa);
    mmar_spawnattr_init_clean(&attr);
    if (pipefd[1] >= 0) {
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
    } else if (log_fd >= 0) {
        posix_spawn_file_actions_adddup2(&fa, log_fd, STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&fa, log_fd, STDERR_FILENO);
    } else {
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    }
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    /* the trainer sees none of our descriptors, nor any other of the host's */
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    posix_spawn_file_actions_addchdir_np(&fa, cwd);
    rc = posix_spawn(&p->pid, argv[0], &fa, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    if (rc != 0) {
        p->pid = 0;
        if (pipefd[0] >= 0)
            close(pipefd[0]);
        if (log_fd >= 0)
            close(log_fd);
        mmar_process_free(p);
        return mmarml_error_set(MMARML_EIO, "cannot start '%s' in '%s': %s", argv[0], cwd,
                                strerror(rc));
    }
    p->out_fd = pipefd[0];
    p->log_fd = pipefd[0] >= 0 ? log_fd : -1;
    if (pipefd[0] < 0 && log_fd >= 0)
        close(log_fd); /* the child has its copy */
    p->pidfd = pidfd_for(p->pid);
    *out = p;
    return MMARML_OK;
}

void mmar_process_stop(mmar_process *p, double grace_s)
{
    if (p->reaped || p->kill_at >= 0)
        return;
    kill(-p->pid, SIGTERM);
    p->kill_at = mmar_monotonic_time() + grace_s;
}

pid_t mmar_process_pid(const mmar_process *p)
{
    return p->pid;
}

/* Forward complete lines: to the log file as they are, to stderr with the prefix. */
static void forward(mmar_process *p, const char *data, size_t n, int flush)
{
    size_t i;

    if (p->log_fd >= 0 && n > 0 && write(p->log_fd, data, n) < 0) {
        /* a full disk must not stop the job: the output is lost, the job goes on */
    }
    for (i = 0; i < n || (flush && p->line_len > 0); i++) {
        int end = i < n && data[i] == '\n';
        if (i < n && !end && p->line_len < sizeof(p->line) - 1)
            p->line[p->line_len++] = data[i];
        if (end || i >= n || p->line_len == sizeof(p->line) - 1) {
            if (p->output & MMAR_OUT_CONSOLE)
                fprintf(stderr, "[%s] %.*s\n", p->prefix, (int)p->line_len, p->line);
            p->line_len = 0;
            if (i >= n)
                break;
        }
    }
}

static void drain(mmar_process *p, int final)
{
    char buf[4096];
    ssize_t n;

    if (p->out_fd < 0)
        return;
    while ((n = read(p->out_fd, buf, sizeof(buf))) > 0) {
        forward(p, buf, (size_t)n, 0);
        if (!final)
            break;
    }
    if (final || n == 0) {
        forward(p, NULL, 0, 1);
        close(p->out_fd);
        p->out_fd = -1;
    }
}

/* Has the leader ended? Look without reaping: as a zombie it still holds the group id, so
 * the rest of the group can be killed first and no trainer survives. */
static int leader_ended(mmar_process *p)
{
    siginfo_t info;

    memset(&info, 0, sizeof(info));
    if (waitid(P_PID, (id_t)p->pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
        info.si_pid != p->pid)
        return 0;
    kill(-p->pid, SIGKILL);
    while (waitpid(p->pid, &p->status, 0) < 0 && errno == EINTR)
        ;
    p->reaped = 1;
    return 1;
}

int mmar_process_check(mmar_process *p, int wake_fd, double timeout_s, int *exit_code,
                       int *signal)
{
    double deadline = timeout_s >= 0 ? mmar_monotonic_time() + timeout_s : -1;

    while (!p->reaped) {
        struct pollfd fds[3];
        nfds_t n = 0;
        double until = deadline;
        int timeout = -1, woken = 0;
        nfds_t i;

        if (p->pidfd >= 0) {
            fds[n].fd = p->pidfd;
            fds[n++].events = POLLIN;
        }
        if (wake_fd >= 0) {
            fds[n].fd = wake_fd;
            fds[n++].events = POLLIN;
        }
        if (p->out_fd >= 0) {
            fds[n].fd = p->out_fd;
            fds[n++].events = POLLIN;
        }
        if (p->kill_at >= 0 && (until < 0 || p->kill_at < until))
            until = p->kill_at;
        if (until >= 0) {
            double left = until - mmar_monotonic_time();
            timeout = left > 0 ? (int)(left * 1000) + 1 : 0;
        }
        if (p->pidfd < 0 && (timeout < 0 || timeout > 50))
            timeout = 50; /* no pidfd on this kernel: look with waitpid */
        if (poll(fds, n, timeout) < 0 && errno != EINTR)
            break;
        for (i = 0; i < n; i++) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (fds[i].fd == wake_fd)
                woken = 1;
            else if (fds[i].fd == p->out_fd)
                drain(p, 0);
        }
        if (p->kill_at >= 0 && mmar_monotonic_time() >= p->kill_at) {
            kill(-p->pid, SIGKILL);
            p->kill_at = -1;
        }
        if (leader_ended(p))
            break;
        if (woken || (deadline >= 0 && mmar_monotonic_time() >= deadline))
            return 0;
    }
    drain(p, 1);
    *exit_code = WIFEXITED(p->status) ? WEXITSTATUS(p->status) : -1;
    *signal = WIFSIGNALED(p->status) ? WTERMSIG(p->status) : 0;
    return 1;
}
