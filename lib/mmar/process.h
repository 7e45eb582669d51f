/* Trainer processes: spawn in an own process group, wait event-driven (pidfd + abort eventfd
 * + output pipe), abort with SIGTERM then SIGKILL after a grace period, always reap. */
#ifndef MMARML_MMAR_PROCESS_H
#define MMARML_MMAR_PROCESS_H

#include <sys/types.h>

typedef struct mmar_process mmar_process;

/* Where a process's stdout and stderr go. */
enum {
    MMAR_OUT_FILE = 1,    /* appended to log_path */
    MMAR_OUT_CONSOLE = 2, /* the host's stderr, each line prefixed with "[<prefix>] " */
    MMAR_OUT_BOTH = 3,
    MMAR_OUT_NONE = 0
};

/*
 * Start argv[0] (a path, run directly: no shell) in `cwd`, in a new process group, with
 * `envp`, signal mask and dispositions reset, and every descriptor above 2 closed.
 * Returns 0, or -1 with mmarml_error_set() called.
 */
int mmar_process_spawn(mmar_process **out, char *const argv[], char *const envp[],
                       const char *cwd, int output, const char *log_path, const char *prefix);
/* Wait for the end, handling an abort (SIGTERM to the group, SIGKILL after grace_s) and
 * forwarding output. Afterwards the whole group is killed and the leader reaped.
 * exit_code is the exit status or -1; signal the terminating signal or 0. */
void mmar_process_wait(mmar_process *p, double grace_s, int *exit_code, int *signal);
/* Ask the waiter to abort; any thread, any time (also before or after the wait). */
void mmar_process_abort(mmar_process *p);
/* 1 when mmar_process_abort was called. */
int mmar_process_aborted(const mmar_process *p);
pid_t mmar_process_pid(const mmar_process *p);
void mmar_process_free(mmar_process *p);

#endif
