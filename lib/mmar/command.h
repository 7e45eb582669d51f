/* Cluster client commands (sbatch, scontrol, ngc, ...): run one through argv, found on PATH,
 * and collect what it prints. No shell is involved. */
#ifndef MMARML_MMAR_COMMAND_H
#define MMARML_MMAR_COMMAND_H

typedef struct mmar_command_result {
    int exit_code; /* exit status, or -1 when killed (then `signal` says by what) */
    int signal;
    int timed_out; /* killed after the timeout */
    char *out;     /* stdout, NUL-terminated (at most 1 MiB kept); free() */
    char *err;     /* stderr, the same */
} mmar_command_result;

/*
 * Run argv[0] (looked up on PATH; MMARML_ENOTFOUND when it is not there) with `envp` (NULL: ours), stdin from /dev/null, in its own
 * process group; kill the group after `timeout_s` seconds. Returns MMARML_OK when it ran (look
 * at `res` for how it ended), or an error (it could not start) with the message set.
 */
int mmar_command_run(mmar_command_result *res, char *const argv[], char *const envp[],
                     double timeout_s);
void mmar_command_result_free(mmar_command_result *res);
/* "sbatch --parsable ...": the command line for messages, quoted where needed, truncated. */
void mmar_command_describe(char *buf, size_t n, char *const argv[]);

/* Set (and return) an MMARML_EIO error for a command that ran but failed: names `who`, the
 * command line and how it ended, with the first line of what it said on stderr. */
int mmar_command_error(const char *who, char *const argv[], const mmar_command_result *res);

#endif
