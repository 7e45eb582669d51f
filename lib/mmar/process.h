/* Trainer processes: spawn in an own process group, wait event-driven (pidfd + a wake
 * descriptor + output pipe), stop with SIGTERM then SIGKILL after a grace period, always
 * reap. */
#ifndef MMARML_MMAR_PROCESS_H
#define MMARML_MMAR_PROCESS_H

#include <spawn.h>
#include <sys/types.h>

typedef struct mmar_process mmar_process;

/* Where a process's stdout and stderr go. */
enum {
    MMAR_OUT_FILE = 1,    /* appended to log_path */
    MMAR_OUT_CONSOLE = 2, /* the host's stderr, each line prefixed with "[<prefix>] " */
    MMAR_OUT_BOTH = 3,
    MMAR_OUT_NONE = 0
};

/* Spawn attributes for a child of ours: its own process group, no blocked signals, every
 * disposition back to default (whatever the host had set). Destroy after use. */
void mmar_spawnattr_init_clean(posix_spawnattr_t *attr);

/*
 * Start argv[0] (a path, run directly: no shell) in `cwd`, in a new process group, with
 * `envp`, signal mask and dispositions reset, and every descriptor above 2 closed. It runs
 * under a guard process that leads the group and stops it when this process dies (see
 * process.c), and that writes the trainer's wait status to `exit_record` (if not NULL) when
 * it ends. Returns 0, or a negative code with mmarml_error_set() called.
 */
int mmar_process_spawn(mmar_process **out, char *const argv[], char *const envp[],
                       const char *cwd, int output, const char *log_path, const char *prefix,
                       const char *exit_record);
/* Wait until the process ends, `timeout_s` passes (< 0: no limit) or `wake_fd` (-1: none)
 * becomes readable (it is not read). Forwards output and sends the SIGKILL that
 * mmar_process_stop() scheduled. Returns 1 when it ended: the whole group is then killed,
 * the leader reaped, exit_code is the exit status or -1, signal the terminating signal or 0.
 * Returns 0 otherwise. Only one thread may call it. */
int mmar_process_check(mmar_process *p, int wake_fd, double timeout_s, int *exit_code,
                       int *signal);
/* SIGTERM to the group now, SIGKILL `grace_s` later (sent from mmar_process_check). Same
 * thread as mmar_process_check. */
void mmar_process_stop(mmar_process *p, double grace_s);
pid_t mmar_process_pid(const mmar_process *p);
void mmar_process_free(mmar_process *p);

#endif
