#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mmarml.h"
#include "process.h"

struct mmar_process {
    pid_t pid;
    int pidfd;    /* -1 when the kernel has none: then waitpid is polled */
    int abort_fd; /* eventfd */
    int out_fd;   /* read end of the output pipe, or -1 */
    int output;
    int log_fd;   /* MMAR_OUT_FILE/BOTH with a pipe: where lines go */
    int aborted;
    char prefix[96];
    char line[4096];
    size_t line_len;
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

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

void mmar_process_free(mmar_process *p)
{
    if (p == NULL)
        return;
    if (p->pidfd >= 0)
        close(p->pidfd);
    if (p->abort_fd >= 0)
        close(p->abort_fd);
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
    sigset_t none, all;
    mmar_process *p;
    int pipefd[2] = {-1, -1}, log_fd = -1, rc;

    *out = NULL;
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "out of memory starting %s", argv[0]);
    p->pidfd = p->out_fd = p->log_fd = -1;
    p->output = output;
    snprintf(p->prefix, sizeof(p->prefix), "%s", prefix != NULL ? prefix : "");
    p->abort_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (p->abort_fd < 0) {
        rc = mmarml_error_set(MMARML_EIO, "eventfd: %s", strerror(errno));
        mmar_process_free(p);
        return rc;
    }
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
    posix_spawnattr_init(&attr);
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
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    rc = posix_spawn(&p->pid, argv[0], &fa, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    if (rc != 0) {
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

void mmar_process_abort(mmar_process *p)
{
    uint64_t one = 1;

    __atomic_store_n(&p->aborted, 1, __ATOMIC_SEQ_CST);
    if (write(p->abort_fd, &one, sizeof(one)) < 0) {
        /* the counter is full only after 2^64 aborts: nothing to do */
    }
}

int mmar_process_aborted(const mmar_process *p)
{
    return __atomic_load_n(&p->aborted, __ATOMIC_SEQ_CST);
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

void mmar_process_wait(mmar_process *p, double grace_s, int *exit_code, int *signal)
{
    double kill_at = -1;
    int status = 0, done = 0, termed = 0;

    while (!done) {
        struct pollfd fds[3];
        nfds_t n = 0;
        int timeout = -1, i;

        if (p->pidfd >= 0) {
            fds[n].fd = p->pidfd;
            fds[n++].events = POLLIN;
        }
        fds[n].fd = p->abort_fd;
        fds[n++].events = POLLIN;
        if (p->out_fd >= 0) {
            fds[n].fd = p->out_fd;
            fds[n++].events = POLLIN;
        }
        if (kill_at >= 0)
            timeout = (int)((kill_at - now_s()) * 1000) + 1;
        if (p->pidfd < 0 && (timeout < 0 || timeout > 50))
            timeout = 50; /* no pidfd on this kernel: look with waitpid */
        if (timeout < 0 && kill_at >= 0)
            timeout = 0;
        if (poll(fds, n, timeout) < 0 && errno != EINTR)
            break;
        for (i = 0; i < (int)n; i++) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (fds[i].fd == p->abort_fd && !termed) {
                uint64_t v;
                if (read(p->abort_fd, &v, sizeof(v)) < 0) {
                    /* nothing to read: already consumed */
                }
                kill(-p->pid, SIGTERM);
                termed = 1;
                kill_at = now_s() + grace_s;
            } else if (fds[i].fd == p->out_fd) {
                drain(p, 0);
            }
        }
        if (termed && kill_at >= 0 && now_s() >= kill_at) {
            kill(-p->pid, SIGKILL);
            kill_at = -1;
        }
        /* Has the leader ended? Look without reaping: as a zombie it still holds the group
         * id, so the rest of the group can be killed first and no trainer survives. */
        {
            siginfo_t info;
            memset(&info, 0, sizeof(info));
            if (waitid(P_PID, (id_t)p->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
                info.si_pid == p->pid) {
                kill(-p->pid, SIGKILL);
                while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
                    ;
                done = 1;
            }
        }
    }
    drain(p, 1);
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    *signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}
