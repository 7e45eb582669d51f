#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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
    int status_fd;  /* read end of the guard's status pipe, or -1 */
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
    if (p->status_fd >= 0)
        close(p->status_fd);
    free(p);
}

/*
 * No trainer outlives us. Each trainer runs under a guard: a child of ours (forked, never
 * exec'd) that leads the job's process group, starts the trainer in it, and waits for
 * either the trainer's end, which it reports as its own exit status, or for the end of
 * this process, seen as end-of-file on the lifeline, a pipe whose write end only this
 * process holds (close-on-exec, and closed by every guard). Then it stops the whole group:
 * SIGTERM, SIGKILL after GUARD_GRACE_S. This holds for kill -9, the OOM killer and a crash
 * alike, where no handler of ours runs. Between fork and exec only async-signal-safe calls
 * are made.
 */
#define GUARD_GRACE_S 10

static int lifeline[2] = {-1, -1};
static pthread_once_t lifeline_once = PTHREAD_ONCE_INIT;

static void lifeline_init(void)
{
    if (pipe2(lifeline, O_CLOEXEC) != 0)
        lifeline[0] = lifeline[1] = -1;
}

/* Guard and trainer: every disposition default, nothing blocked. */
static void reset_signals(void)
{
    struct sigaction sa;
    sigset_t none;
    int sig;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    for (sig = 1; sig < NSIG; sig++)
        sigaction(sig, &sa, NULL); /* SIGKILL, SIGSTOP and the libc ones refuse: fine */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static void ignore_signal(int sig)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigaction(sig, &sa, NULL);
}

typedef struct {
    char *const *argv;
    char *const *envp;
    const char *cwd;
    int out_fd;  /* stdout and stderr, or -1 for /dev/null */
    int err_w;   /* write end of the exec-error pipe (close-on-exec) */
    int life_r;  /* read end of the lifeline */
    int status_w; /* write end of the status pipe: the trainer's wait status */
    const char *exit_record; /* where the trainer's wait status is written, or NULL */
} guard_args;

/* Close every descriptor from `from` up (close_range, or one by one on kernels before
 * 5.9). Async-signal-safe. */
static void close_from(int from)
{
    struct rlimit lim;
    int fd;

    if (syscall(SYS_close_range, (unsigned)from, ~0U, 0U) == 0)
        return;
    if (syscall(SYS_getrlimit, RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur > 65536)
        lim.rlim_cur = 65536;
    for (fd = from; fd < (int)lim.rlim_cur; fd++)
        close(fd);
}

/* The trainer, in the guard's process group: exec or report why not. */
static void trainer_child(const guard_args *g)
{
    int null_fd = open("/dev/null", O_RDWR);
    int e;

    reset_signals();
    if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
        dup2(g->out_fd >= 0 ? g->out_fd : null_fd, STDOUT_FILENO) < 0 ||
        dup2(g->out_fd >= 0 ? g->out_fd : null_fd, STDERR_FILENO) < 0 || dup2(g->err_w, 3) < 0 ||
        fcntl(3, F_SETFD, FD_CLOEXEC) < 0)
        goto fail;
    /* the trainer sees none of our descriptors, nor any other of the host's */
    close_from(4);
    if (chdir(g->cwd) != 0)
        goto fail;
    execve(g->argv[0], g->argv, g->envp);
fail:
    e = errno;
    if (write(3, &e, sizeof(e)) < 0) {
        /* nothing more can be said */
    }
    kill(getpid(), SIGKILL); /* not exit(): see guard_end; the host has the errno */
    _exit(127);
}

/* Write the trainer's wait status as decimal text (async-signal-safe: no stdio). A run
 * that died after the trainer ended reads it on resume instead of training again. */
static void record_exit(const char *path, int status)
{
    char buf[16];
    size_t n = sizeof(buf);
    unsigned v = (unsigned)status;
    int fd;

    if (path == NULL)
        return;
    buf[--n] = '\n';
    do {
        buf[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0 && n > 0);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    if (mmar_write_all(fd, buf + n, sizeof(buf) - n) != 0) {
        /* then the job runs again on resume */
    }
    close(fd);
}

/* The guard's end. It reports the trainer's wait status through the status pipe and then
 * dies by SIGKILL rather than exiting: a process that ends by exit() under valgrind gets a
 * leak check of the host's memory (a fork child shares it) and its exit code replaced. */
static void guard_end(int status_fd, int status, int have_status)
{
    if (have_status && write(status_fd, &status, sizeof(status)) < 0) {
        /* the host reads the guard's own end then */
    }
    kill(getpid(), SIGKILL);
    _exit(127);
}

static void guard_child(const guard_args *g)
{
    pid_t trainer;
    int status = 0, pidfd;

    setpgid(0, 0);
    reset_signals();
    if (lifeline[1] >= 0)
        close(lifeline[1]); /* only the host holds it: its end is our signal */
    trainer = fork();
    if (trainer < 0)
        guard_end(g->status_w, 0, 0);
    if (trainer == 0)
        trainer_child(g);
    /* an abort's SIGTERM to the group is for the trainer: the guard stays to report */
    ignore_signal(SIGTERM);
    ignore_signal(SIGINT);
    ignore_signal(SIGHUP);
    /* keep only the lifeline (as fd 3) and the status pipe (4): a guard holding the host's
     * descriptors would hold the journal's lock and other jobs' pipes after the host died */
    {
        int life = fcntl(g->life_r, F_DUPFD, 10), out = fcntl(g->status_w, F_DUPFD, 10);
        if (life < 0 || out < 0 || dup2(life, 3) < 0 || dup2(out, 4) < 0)
            guard_end(g->status_w, 0, 0);
    }
    close_from(5);
    pidfd = (int)syscall(SYS_pidfd_open, trainer, 0);
    for (;;) {
        struct pollfd fds[2] = {{3, POLLIN, 0}, {pidfd, POLLIN, 0}};
        int n = poll(fds, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? -1 : 100);
        if (waitpid(trainer, &status, WNOHANG) == trainer) {
            record_exit(g->exit_record, status);
            guard_end(4, status, 1);
        }
        if (n > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            int waited;
            kill(0, SIGTERM); /* the host is gone: nobody will read the result */
            for (waited = 0; waited < GUARD_GRACE_S * 10; waited++) {
                if (waitpid(trainer, &status, WNOHANG) == trainer)
                    break;
                poll(NULL, 0, 100);
            }
            kill(0, SIGKILL); /* the rest of the group, and the guard */
            guard_end(4, 0, 0);
        }
    }
}

static int spawn_once(mmar_process **out, char *const argv[], char *const envp[],
                      const char *cwd, int output, const char *log_path, const char *prefix,
                      const char *exit_record, int *exec_errno)
{
    mmar_process *p;
    int pipefd[2] = {-1, -1}, errpipe[2] = {-1, -1}, statuspipe[2] = {-1, -1}, log_fd = -1;
    int rc, err = 0;
    guard_args g;
    ssize_t n;

    *out = NULL;
    pthread_once(&lifeline_once, lifeline_init);
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "out of memory starting %s", argv[0]);
    p->pidfd = p->out_fd = p->log_fd = p->status_fd = -1;
    p->output = output;
    snprintf(p->prefix, sizeof(p->prefix), "%s", prefix != NULL ? prefix : "");
    p->kill_at = -1;
    if (lifeline[0] < 0) {
        mmar_process_free(p);
        return mmarml_error_set(MMARML_EIO, "cannot start '%s': no lifeline pipe", argv[0]);
    }
    if (output & MMAR_OUT_FILE) {
        log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (log_fd < 0) {
            rc = mmarml_error_set(mmar_io_code(errno), "cannot open job log '%s': %s",
                                  log_path, strerror(errno));
            mmar_process_free(p);
            return rc;
        }
    }
    if (((output & MMAR_OUT_CONSOLE) && pipe2(pipefd, O_CLOEXEC) != 0) ||
        pipe2(errpipe, O_CLOEXEC) != 0 || pipe2(statuspipe, O_CLOEXEC) != 0) {
        int i;
        rc = mmarml_error_set(MMARML_EIO, "pipe: %s", strerror(errno));
        if (log_fd >= 0)
            close(log_fd);
        for (i = 0; i < 2; i++) {
            if (pipefd[i] >= 0)
                close(pipefd[i]);
            if (errpipe[i] >= 0)
                close(errpipe[i]);
        }
        mmar_process_free(p);
        return rc;
    }
    p->status_fd = statuspipe[0];
    fcntl(p->status_fd, F_SETFL, O_NONBLOCK);
    g.argv = argv;
    g.envp = envp;
    g.cwd = cwd;
    g.out_fd = pipefd[1] >= 0 ? pipefd[1] : log_fd;
    g.err_w = errpipe[1];
    g.life_r = lifeline[0];
    g.status_w = statuspipe[1];
    g.exit_record = exit_record;
    p->pid = fork();
    if (p->pid == 0)
        guard_child(&g);
    if (p->pid < 0)
        err = errno;
    else
        setpgid(p->pid, p->pid); /* also here: no kill(-pid) may come before the child's */
    close(errpipe[1]);
    close(statuspipe[1]);
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    /* the trainer's exec: end-of-file when it worked, its errno when it did not */
    if (p->pid > 0) {
        while ((n = read(errpipe[0], &err, sizeof(err))) < 0 && errno == EINTR)
            ;
        if (n != sizeof(err))
            err = 0;
    }
    close(errpipe[0]);
    if (p->pid < 0 || err != 0) {
        if (p->pid > 0) { /* the guard reports 127: reap it here */
            while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
                ;
            p->reaped = 1;
        } else {
            p->pid = 0;
        }
        if (pipefd[0] >= 0)
            close(pipefd[0]);
        if (log_fd >= 0)
            close(log_fd);
        mmar_process_free(p);
        *exec_errno = err;
        return mmarml_error_set(MMARML_EIO, "cannot start '%s' in '%s': %s", argv[0], cwd,
                                strerror(err));
    }
    p->out_fd = pipefd[0];
    p->log_fd = pipefd[0] >= 0 ? log_fd : -1;
    if (pipefd[0] < 0 && log_fd >= 0)
        close(log_fd); /* the child has its copy */
    p->pidfd = pidfd_for(p->pid);
    *out = p;
    return MMARML_OK;
}

/*
 * ETXTBSY: the trainer's script was being written when it was run. Another thread's job
 * MMAR copy had it open, and a guard forked in that moment holds a copy of the descriptor
 * until it closes what it inherited: a few milliseconds at most, so try again.
 */
int mmar_process_spawn(mmar_process **out, char *const argv[], char *const envp[],
                       const char *cwd, int output, const char *log_path, const char *prefix,
                       const char *exit_record)
{
    int attempt, rc = MMARML_OK;

    for (attempt = 1; attempt <= 20; attempt++) {
        int exec_errno = 0;
        rc = spawn_once(out, argv, envp, cwd, output, log_path, prefix, exit_record,
                        &exec_errno);
        if (rc == MMARML_OK || exec_errno != ETXTBSY)
            break;
        poll(NULL, 0, 5 * attempt);
    }
    return rc;
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

    if (p->log_fd >= 0 && n > 0 && mmar_write_all(p->log_fd, data, n) != 0) {
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
    /* the guard wrote the trainer's status before it went; none: the guard's own end */
    {
        int status;
        if (read(p->status_fd, &status, sizeof(status)) == sizeof(status))
            p->status = status;
    }
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
