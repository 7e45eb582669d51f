/* mmarml run and mmarml admin as a user drives them: signals stop everything cleanly, the
 * admin socket works against a live run, and a run that cannot start exits 1. */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

static char mmar[128];
static char run_root[256];

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void make_mmar(void)
{
    tu_fixture_copy(mmar, sizeof(mmar), TEST_DATA_DIR, "mmar-sleep");
    snprintf(run_root, sizeof(run_root), "%s/automl/r", mmar);
}

static void remove_mmar(void)
{
    tu_remove_tree(mmar);
}


/* Start `mmarml run` on the fixture with trainers sleeping `sleep` seconds; `extra` (or
 * NULL) is one more option. */
static pid_t start_run_args(const char *sleep_s, const char *out_path, const char *extra)
{
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        setenv("MMARML_TEST_SLEEP", sleep_s, 1);
        if (extra != NULL)
            execl(MMARML_BIN, MMARML_BIN, "run", "-m", mmar, extra, "--set", "run_id=r",
                  (char *)NULL);
        else
            execl(MMARML_BIN, MMARML_BIN, "run", "-m", mmar, "--set", "run_id=r",
                  (char *)NULL);
        _exit(127);
    }
    return pid;
}

static pid_t start_run(const char *sleep_s, const char *out_path)
{
    return start_run_args(sleep_s, out_path, NULL);
}

/* Wait until `n` trainers with `marker` run (up to 20 s). */
static void wait_for_trainers(const char *marker, int n)
{
    double until = now_s() + 20;

    while (tu_processes_with(marker) < n && now_s() < until)
        usleep(20000);
    ck_assert_int_ge(tu_processes_with(marker), n);
}

static int wait_exit(pid_t pid, double *took)
{
    double t0 = now_s();
    int status;

    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    *took = now_s() - t0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void check_stats_all(const char *status)
{
    char path[512];
    json_error_t err;
    json_t *stats, *job;
    size_t i;

    snprintf(path, sizeof(path), "%s/automl_stats_log.json", run_root);
    stats = json_load_file(path, 0, &err);
    ck_assert_msg(stats != NULL, "stats file is not valid JSON: %s", err.text);
    ck_assert_uint_eq(json_array_size(json_object_get(stats, "jobs")), 2);
    json_array_foreach(json_object_get(stats, "jobs"), i, job)
        ck_assert_str_eq(json_string_value(json_object_get(job, "status")), status);
    json_decref(stats);
}

static void signal_test(int sig, int want_status)
{
    char out[256];
    double took;
    pid_t pid;

    make_mmar();
    snprintf(out, sizeof(out), "%s/out.txt", mmar);
    pid = start_run("777.25", out);
    wait_for_trainers("777.25", 2);
    kill(pid, sig);
    ck_assert_int_eq(wait_exit(pid, &took), want_status);
    /* within the grace period (1 s here) plus one second */
    ck_assert_msg(took < 2.0, "took %.2f s to exit", took);
    ck_assert_int_eq(tu_processes_left("777.25"), 0);
    check_stats_all("aborted");
    remove_mmar();
}

START_TEST(sigint_stops_every_job)
{
    signal_test(SIGINT, 130);
}
END_TEST

START_TEST(sigterm_stops_every_job)
{
    signal_test(SIGTERM, 143);
}
END_TEST

/* Run `mmarml admin <run_root> <args>`; returns the exit status, output in buf. */
static int admin(char *buf, size_t n, const char *cmd, const char *worker)
{
    char line[1024];
    FILE *p;
    size_t len = 0;

    snprintf(line, sizeof(line), "'%s' admin '%s' %s %s 2>&1", MMARML_BIN, run_root, cmd,
             worker ? worker : "");
    p = popen(line, "r");
    ck_assert_ptr_nonnull(p);
    buf[0] = '\0';
    while (len < n - 1 && fgets(buf + len, (int)(n - len), p) != NULL)
        len = strlen(buf);
    return WEXITSTATUS(pclose(p));
}

START_TEST(admin_against_a_live_run)
{
    char out[256], buf[8192], sock[300];
    struct stat st;
    double took, until;
    pid_t pid;

    make_mmar();
    snprintf(out, sizeof(out), "%s/out.txt", mmar);
    pid = start_run("888.25", out);
    wait_for_trainers("888.25", 2);
    snprintf(sock, sizeof(sock), "%s/admin.sock", run_root);
    ck_assert_int_eq(stat(sock, &st), 0);
    ck_assert(S_ISSOCK(st.st_mode));
    ck_assert_int_eq(st.st_mode & 0777, 0600);

    ck_assert_int_eq(admin(buf, sizeof(buf), "list_workers", NULL), 0);
    ck_assert_ptr_nonnull(strstr(buf, "\"W2\""));
    ck_assert_ptr_nonnull(strstr(buf, "\"busy\""));
    ck_assert_int_eq(admin(buf, sizeof(buf), "suspend_worker", "W2"), 0);
    ck_assert_int_eq(admin(buf, sizeof(buf), "abort_worker", "W2"), 0);
    /* W2's job ends aborted; suspended, W2 takes nothing new */
    until = now_s() + 10;
    do {
        usleep(20000);
        admin(buf, sizeof(buf), "show_worker", "W2");
    } while (strstr(buf, "\"suspended\"") == NULL && now_s() < until);
    ck_assert_msg(strstr(buf, "\"state\": \"suspended\"") != NULL, "%s", buf);
    until = now_s() + 3; /* W2's trainer, just killed, may be listed for a moment */
    while (tu_processes_with("888.25") > 1 && now_s() < until)
        usleep(20000);
    ck_assert_int_eq(tu_processes_with("888.25"), 1);
    ck_assert_int_eq(admin(buf, sizeof(buf), "summary", NULL), 0);
    ck_assert_ptr_nonnull(strstr(buf, "AutoML summary"));
    ck_assert_ptr_nonnull(strstr(buf, "| aborted |"));
    ck_assert_int_eq(admin(buf, sizeof(buf), "frobnicate", NULL), 1);
    ck_assert_ptr_nonnull(strstr(buf, "unknown command 'frobnicate'"));
    ck_assert_int_eq(admin(buf, sizeof(buf), "show_worker", "W7"), 1);
    ck_assert_ptr_nonnull(strstr(buf, "no worker named 'W7'"));
    ck_assert_int_eq(admin(buf, sizeof(buf), "stop", NULL), 0);
    ck_assert_int_eq(wait_exit(pid, &took), 4); /* stopped before any job ended ok */
    ck_assert_int_eq(tu_processes_left("888.25"), 0);
    ck_assert_int_ne(stat(sock, &st), 0); /* gone with the run */
    check_stats_all("aborted");
    ck_assert_int_eq(admin(buf, sizeof(buf), "list_workers", NULL), 2); /* nobody listens */
    remove_mmar();
}
END_TEST

START_TEST(a_run_that_cannot_start_exits_1)
{
    char out[256], text[2048] = {0};
    double took;
    FILE *f;
    pid_t pid;

    make_mmar();
    snprintf(out, sizeof(out), "%s/out.txt", mmar);
    pid = start_run("0", out);
    ck_assert_int_eq(wait_exit(pid, &took), 0); /* 6 quick jobs */
    f = fopen(out, "r");
    ck_assert_uint_gt(fread(text, 1, sizeof(text) - 1, f), 0);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "W1_1_J1 ok score")); /* a line per job */
    ck_assert_ptr_nonnull(strstr(text, "AutoML summary"));
    pid = start_run("0", out); /* the same run_id again */
    ck_assert_int_eq(wait_exit(pid, &took), 1);
    f = fopen(out, "r");
    memset(text, 0, sizeof(text));
    ck_assert_uint_gt(fread(text, 1, sizeof(text) - 1, f), 0);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "already exists"));
    ck_assert_ptr_nonnull(strstr(text, "--resume")); /* and how to go on with it */
    remove_mmar();
}
END_TEST

static char *slurp_file(const char *path);

/* A bad search definition: the run cannot start, and leaves no run root, so the same
 * run_id works once the config is fixed. */
START_TEST(a_failed_start_leaves_nothing_behind)
{
    char out[256], path[256], *text;
    struct stat st;
    double took;
    FILE *f;

    make_mmar();
    snprintf(out, sizeof(out), "%s/out.txt", mmar);
    snprintf(path, sizeof(path), "%s/config/config_train.json", mmar);
    f = fopen(path, "w");
    fputs("{\"score\": 0.5, \"search\": [{\"domain\": \"test\", \"type\": \"float\", "
          "\"args\": [\"score\"], \"targets\": [1.0, 0.0]}]}\n", f);
    fclose(f);
    ck_assert_int_eq(wait_exit(start_run("0", out), &took), 1);
    text = slurp_file(out);
    ck_assert_ptr_nonnull(strstr(text, "config_train.json"));
    free(text);
    ck_assert_int_ne(stat(run_root, &st), 0); /* nothing left behind */
    f = fopen(path, "w");
    fputs("{\"score\": 0.5, \"search\": [{\"domain\": \"test\", \"type\": \"float\", "
          "\"args\": [\"score\"], \"targets\": [0.0, 1.0]}]}\n", f);
    fclose(f);
    ck_assert_int_eq(wait_exit(start_run("0", out), &took), 0);
    remove_mmar();
}
END_TEST

/* A raw client of the run's admin socket: a descriptor, or -1. */
static int connect_admin(const char *sock)
{
    struct sockaddr_un addr;
    int fd;

    if (strlen(sock) >= sizeof(addr.sun_path))
        return -1;
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, sock, strlen(sock) + 1);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Clients that close without reading the reply killed the run with SIGPIPE on ee9cadf
 * (10 of 10 runs); a summary over 64 KB failed every client. Now the run lives on and
 * answers, and replies have no size limit. */
START_TEST(admin_clients_that_go_away_and_big_replies)
{
    char out[256], sock[300], path[300], *reply = NULL;
    double took;
    FILE *f;
    pid_t pid;
    int i;

    make_mmar();
    snprintf(out, sizeof(out), "%s/out.txt", mmar);
    pid = start_run("889.25", out);
    wait_for_trainers("889.25", 2);
    snprintf(sock, sizeof(sock), "%s/admin.sock", run_root);
    for (i = 0; i < 20; i++) { /* ask, and leave without reading */
        int fd = connect_admin(sock);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, "list_workers\n", 13), 13);
        close(fd);
    }
    usleep(200000);
    ck_assert_int_eq(kill(pid, 0), 0); /* alive */
    /* a 300 KB summary comes back whole */
    snprintf(path, sizeof(path), "%s/summary.txt", run_root);
    f = fopen(path, "w");
    for (i = 0; i < 3000; i++)
        fprintf(f, "| line %04d %s |\n", i, "................................................"
                                             "..........................................");
    fclose(f);
    ck_ok(mmarml_admin_request(&reply, sock, "summary"));
    ck_assert_uint_gt(strlen(reply), 300000);
    ck_assert_ptr_nonnull(strstr(reply, "line 2999"));
    mmarml_free(reply);
    kill(pid, SIGTERM);
    ck_assert_int_eq(wait_exit(pid, &took), 143);
    remove_mmar();
}
END_TEST

/* ---- 1,000 hostile admin clients ---- */
enum { HOSTILE_CLIENTS = 1000, HOSTILE_SECONDS = 6 };

typedef struct {
    const char *sock;
    int fds[HOSTILE_CLIENTS];
    int opened, bad_utf8_replies, bad_utf8_asked;
} hostile_state;


/* Five kinds, by i % 5: ask and leave without reading; never send; send a byte a second;
 * send 10 MB; send invalid UTF-8 and read the reply (it must be JSON saying why). */
static void *hostile(void *arg)
{
    static const char bad[] = "st\xff\xfe" "atus \xc3\x28\n";
    static char flood[1 << 16];
    hostile_state *h = arg;
    double until = now_s() + HOSTILE_SECONDS;
    int i, second = 0;

    memset(flood, 'x', sizeof(flood));
    for (i = 0; i < HOSTILE_CLIENTS; i++) {
        int fd = h->fds[i] = connect_admin(h->sock);
        if (fd < 0)
            continue;
        h->opened++;
        if (i % 5 == 0) {
            if (send(fd, "status\n", 7, MSG_NOSIGNAL) < 0) {
                /* gone already: fine */
            }
            close(fd);
            h->fds[i] = -1;
        } else if (i % 5 == 3) {
            size_t sent = 0;
            ssize_t n;
            while (sent < (10u << 20) &&
                   (n = send(fd, flood, sizeof(flood), MSG_NOSIGNAL | MSG_DONTWAIT)) > 0)
                sent += (size_t)n;
        } else if (i % 5 == 4) {
            h->bad_utf8_asked += send(fd, bad, sizeof(bad) - 1, MSG_NOSIGNAL) > 0;
        }
    }
    while (now_s() < until) { /* the slow ones: a byte a second */
        for (i = 2; i < HOSTILE_CLIENTS; i += 5)
            if (h->fds[i] >= 0 && send(h->fds[i], "status" + second % 6, 1, MSG_NOSIGNAL) < 0) {
                close(h->fds[i]);
                h->fds[i] = -1;
            }
        second++;
        usleep(1000000);
    }
    for (i = 0; i < HOSTILE_CLIENTS; i++) {
        char reply[512];
        ssize_t n;
        if (h->fds[i] < 0)
            continue;
        if (i % 5 == 4 && (n = recv(h->fds[i], reply, sizeof(reply) - 1, MSG_DONTWAIT)) > 0) {
            json_t *j;
            reply[n] = '\0';
            j = json_loads(reply, 0, NULL);
            h->bad_utf8_replies += j != NULL && json_is_false(json_object_get(j, "ok")) &&
                                   json_string_length(json_object_get(j, "error")) > 0;
            json_decref(j);
        }
        close(h->fds[i]);
    }
    return NULL;
}

/* On ee9cadf clients were served one at a time: 100 idle clients delayed a real `status` by
 * 99 s and one slow client delayed the exit after SIGTERM by 45 s; invalid UTF-8 got an
 * empty reply. Now a poll loop serves every client with a deadline of its own. */
START_TEST(a_thousand_hostile_admin_clients)
{
    char out[256], sock[300], reply[4096];
    struct rlimit lim;
    hostile_state h;
    pthread_t thread;
    double took, slowest = 0;
    pid_t pid;
    int i;

    /* the test holds 1,000 sockets at once */
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &lim), 0);
    if (lim.rlim_cur < HOSTILE_CLIENTS + 100 && lim.rlim_max >= HOSTILE_CLIENTS + 100) {
        lim.rlim_cur = HOSTILE_CLIENTS + 100;
        ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &lim), 0);
    }
    ck_assert_uint_ge(lim.rlim_cur, HOSTILE_CLIENTS + 100);
    make_mmar();
    snprintf(out, sizeof(out), "%s/out.txt", mmar);
    pid = start_run("889.5", out);
    wait_for_trainers("889.5", 2);
    snprintf(sock, sizeof(sock), "%s/admin.sock", run_root);
    memset(&h, 0, sizeof(h));
    h.sock = sock;
    ck_assert_int_eq(pthread_create(&thread, NULL, hostile, &h), 0);
    usleep(500000);
    for (i = 0; i < HOSTILE_SECONDS - 2; i++) { /* `mmarml admin status` while they hold on */
        double t0 = now_s();
        ck_assert_int_eq(admin(reply, sizeof(reply), "status", NULL), 0);
        took = now_s() - t0;
        slowest = took > slowest ? took : slowest;
        ck_assert_msg(strstr(reply, "\"running\": 2") != NULL, "%.200s", reply);
        usleep(700000);
    }
    /* the hostile clients are still at it: the slowest answer came long before they end */
    ck_assert_msg(slowest < 2.0, "status took %.2f s", slowest);
    fprintf(stderr, "hostile clients: slowest status %.3f s\n", slowest);
    ck_assert_int_eq(kill(pid, 0), 0); /* alive, its trainers too */
    ck_assert_int_eq(tu_processes_with("889.5"), 2);
    /* and, while they are still at it, the exit after SIGTERM is as prompt as without them */
    kill(pid, SIGTERM);
    ck_assert_int_eq(wait_exit(pid, &took), 143);
    ck_assert_msg(took < 2.0, "took %.2f s to exit", took);
    check_stats_all("aborted");
    pthread_join(thread, NULL);
    ck_assert_int_eq(h.opened, HOSTILE_CLIENTS);
    ck_assert_int_eq(h.bad_utf8_asked, HOSTILE_CLIENTS / 5);
    ck_assert_int_gt(h.bad_utf8_replies, 0);
    remove_mmar();
}
END_TEST

/* How many lines of `path` contain `needle`. */
static int lines_with(const char *path, const char *needle)
{
    char line[4096];
    FILE *f = fopen(path, "r");
    int n = 0;

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL)
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

/* On ee9cadf a run whose work_dir filled up went on: 300 jobs in 11 s, 219 of them `error`,
 * exit 0, the stats file listing 77 of 300, messages ending in ": Success". Now the first
 * job that meets a full disk stops the run (exit 3, the real errno), and the stats file,
 * written from a reserve freed at the end, lists every job the journal says ended. Needs a
 * small file system: a 3 MB tmpfs, mounted as root. */
START_TEST(a_full_disk_stops_the_run)
{
    char out[256], disk[160], cmd[2048], path[512];
    json_t *stats, *job;
    size_t i;
    double took;
    pid_t pid;
    int ended, errors = 0;

    if (geteuid() != 0) {
        fprintf(stderr, "a_full_disk_stops_the_run: skipped (mounting a tmpfs needs root)\n");
        return;
    }
    make_mmar();
    snprintf(disk, sizeof(disk), "%s-disk", mmar);
    ck_assert_int_eq(mkdir(disk, 0755), 0);
    snprintf(cmd, sizeof(cmd), "mount -t tmpfs -o size=3m mmarml-test '%s'", disk);
    ck_assert_int_eq(system(cmd), 0);
    /* every job's MMAR holds 300 KB: the disk is full after about ten */
    snprintf(cmd, sizeof(cmd),
             "mkdir -p '%s/models' && head -c 300000 /dev/zero > '%s/models/ballast.bin' && "
             "printf '%%s' '{\"engine\": {\"workers\": \"0:1\"}, \"handlers\": [{\"name\": "
             "\"MMARHandler\", \"args\": {\"work_dir\": \"%s\", \"num_mmars_to_keep\": 1000}}, "
             "{\"name\": \"MMARStatsHandler\"}], \"executor\": {\"name\": \"MMARExecutor\"}, "
             "\"controller\": {\"name\": \"RandomController\", \"args\": {\"max_rounds\": 300,"
             " \"seed\": 1}}}' > '%s/config/config_automl.json'",
             mmar, mmar, disk, mmar);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(out, sizeof(out), "%s/out.txt", mmar);
    snprintf(run_root, sizeof(run_root), "%s/r", disk);
    pid = start_run("0", out);
    ck_assert_int_eq(wait_exit(pid, &took), 3);
    ck_assert_msg(lines_with(out, "No space left on device") > 0, "no ENOSPC said");
    ck_assert_int_eq(lines_with(out, ": Success"), 0);
    ck_assert_int_eq(tu_processes_left(mmar), 0);
    /* the journal's ended jobs are the stats file's jobs */
    snprintf(path, sizeof(path), "%s/journal.mmarml", run_root);
    ended = lines_with(path, "\"t\":\"end\"");
    snprintf(path, sizeof(path), "%s/automl_stats_log.json", run_root);
    stats = json_load_file(path, 0, NULL);
    ck_assert_ptr_nonnull(stats);
    ck_assert_int_gt(ended, 2);
    ck_assert_int_lt(ended, 300);
    ck_assert_int_eq((int)json_array_size(json_object_get(stats, "jobs")), ended);
    json_array_foreach(json_object_get(stats, "jobs"), i, job)
        errors += strcmp(json_string_value(json_object_get(job, "status")), "error") == 0;
    ck_assert_int_le(errors, 2); /* the ones that met the full disk, not every later one */
    json_decref(stats);
    snprintf(path, sizeof(path), "%s/.automl_stats_log.json.reserve", run_root);
    ck_assert_int_ne(access(path, F_OK), 0);
    snprintf(cmd, sizeof(cmd), "umount '%s' && rmdir '%s'", disk, disk);
    ck_assert_int_eq(system(cmd), 0);
    remove_mmar();
}
END_TEST

/* On ee9cadf the keep policy removed entries that appeared under a job's name while the run
 * was live: folders (recursively), files and links. Now such a name collision fails that job
 * with a clear message and the entry stays as it was; only job MMARs the run made go. */
START_TEST(the_run_removes_only_what_it_made)
{
    char out[256], cmd[2048], path[512], *text;
    struct stat st;
    double took, until;
    pid_t pid;

    make_mmar();
    snprintf(cmd, sizeof(cmd),
             "printf '%%s' '{\"engine\": {\"workers\": \"0\"}, \"handlers\": [{\"name\": "
             "\"MMARHandler\", \"args\": {\"num_mmars_to_keep\": 1}}, {\"name\": "
             "\"MMARStatsHandler\"}], \"executor\": {\"name\": \"MMARExecutor\"}, "
             "\"controller\": {\"name\": \"RandomController\", \"args\": {\"max_rounds\": 8,"
             " \"seed\": 1}}}' > '%s/config/config_automl.json' && mkdir -p '%s-foreign' && "
             "echo theirs > '%s-foreign/data.txt'", mmar, mmar, mmar);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(out, sizeof(out), "%s/out.txt", mmar);
    pid = start_run("0.3", out);
    until = now_s() + 20;
    while (stat(run_root, &st) != 0 && now_s() < until)
        usleep(2000);
    /* under the names of jobs to come: a folder, a file, a link to a folder; and `best` */
    snprintf(cmd, sizeof(cmd),
             "mkdir '%s/W1_4_J4' && echo theirs > '%s/W1_4_J4/data.txt' && "
             "echo theirs > '%s/W1_5_J5' && ln -s '%s-foreign' '%s/W1_6_J6'",
             run_root, run_root, run_root, mmar, run_root);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(wait_exit(pid, &took), 0);
    /* every foreign entry is as it was */
    snprintf(path, sizeof(path), "%s/W1_4_J4/data.txt", run_root);
    text = slurp_file(path);
    ck_assert_str_eq(text, "theirs\n");
    free(text);
    snprintf(path, sizeof(path), "%s/W1_5_J5", run_root);
    text = slurp_file(path);
    ck_assert_str_eq(text, "theirs\n");
    free(text);
    snprintf(path, sizeof(path), "%s/W1_6_J6", run_root);
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert(S_ISLNK(st.st_mode));
    snprintf(path, sizeof(path), "%s-foreign/data.txt", mmar);
    text = slurp_file(path);
    ck_assert_str_eq(text, "theirs\n");
    free(text);
    /* those three jobs failed saying why; the others ran, and one job MMAR is kept */
    ck_assert_int_eq(lines_with(out, "exists already and this run did not make it"), 3);
    ck_assert_int_eq(lines_with(out, " ok score "), 5);
    snprintf(cmd, sizeof(cmd), "test $(ls -d '%s'/W1_*/" ".mmarml_job | wc -l) -eq 1", run_root);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s-foreign'", mmar);
    ck_assert_int_eq(system(cmd), 0);
    remove_mmar();
}
END_TEST

/* On ee9cadf a signal in the first ~20 ms killed the run with nothing written. Now SIGTERM at
 * any moment of start-up ends it: killed before the handlers exist (nothing made yet), or
 * exit 143 after; either no run root, or one that resumes. */
/* `mmarml run` by posix_spawn: no test code runs in the child before exec, so a signal at
 * any moment after the spawn reaches the command (or its exec), never a copy of the test. */
static pid_t spawn_run(const char *sleep_s, const char *out_path)
{
    char *argv[] = {(char *)MMARML_BIN, (char *)"run", (char *)"-m", mmar, (char *)"--set",
                    (char *)"run_id=r", NULL};
    posix_spawn_file_actions_t fa;
    pid_t pid;

    setenv("MMARML_TEST_SLEEP", sleep_s, 1);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_path, O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
    ck_assert_int_eq(posix_spawn(&pid, MMARML_BIN, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    unsetenv("MMARML_TEST_SLEEP");
    return pid;
}

START_TEST(sigterm_at_any_moment_of_start_up)
{
    char out[256], cmd[1024], path[512];
    int delay_us, made = 0, exited = 0, killed = 0;

    make_mmar();
    snprintf(out, sizeof(out), "%s/out.txt", mmar);
    /* 3 ms steps through start-up, then on until the handlers were seen three times (a
     * sanitizer's build starts several times slower) */
    for (delay_us = 0; delay_us <= 60000 || (exited < 3 && delay_us <= 3000000);
         delay_us += delay_us < 60000 ? 3000 : 20000) {
        struct stat st;
        int status;
        pid_t pid = spawn_run("889.125", out);
        usleep((useconds_t)delay_us);
        kill(pid, SIGTERM);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        if (WIFSIGNALED(status)) {
            ck_assert_int_eq(WTERMSIG(status), SIGTERM);
            killed++;
        } else {
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 143) {
                /* what the run printed (a sanitizer's report) into the test's log */
                snprintf(cmd, sizeof(cmd), "cat '%s' >&2", out);
                ck_assert_int_ge(system(cmd), 0);
            }
            ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 143,
                          "after %d us: status %d", delay_us, status);
            exited++;
        }
        ck_assert_int_eq(tu_processes_left("889.125"), 0);
        if (stat(run_root, &st) == 0) { /* whole: it resumes, and ends */
            made++;
            snprintf(path, sizeof(path), "%s/journal.mmarml", run_root);
            ck_assert_msg(stat(path, &st) == 0, "after %d us: a run root, no journal",
                          delay_us);
            snprintf(cmd, sizeof(cmd),
                     "MMARML_TEST_SLEEP=0 '%s' run -m '%s' --resume --set run_id=r "
                     ">/dev/null 2>&1", MMARML_BIN, mmar);
            ck_assert_msg(system(cmd) == 0, "after %d us: the run does not resume", delay_us);
            snprintf(cmd, sizeof(cmd), "rm -rf '%s'", run_root);
            ck_assert_int_eq(system(cmd), 0);
        }
    }
    ck_assert_int_gt(exited, 0); /* the moments after the handlers were tried */
    fprintf(stderr, "start-up signals: %d killed before the handlers, %d exit 143, %d made a "
            "run root\n", killed, exited, made);
    remove_mmar();
}
END_TEST

/* The command fuzzer's bad seeds (tests/fuzz/run-corpus/bad_*: the configs issue 11 found
 * refused without a reason, or accepted, among them), each run by the real command: refused
 * with exit 1, a message naming the file (and, past parsing, the JSON path), nothing left. */
START_TEST(every_bad_config_is_refused_saying_where)
{
    char dir[512], path[1024], out[256], cmd[2048];
    struct dirent *d;
    DIR *corpus;
    int seen = 0;

    make_mmar();
    snprintf(out, sizeof(out), "%s/out.txt", mmar);
    snprintf(dir, sizeof(dir), "%s/../fuzz/run-corpus", TEST_DATA_DIR);
    corpus = opendir(dir);
    ck_assert_ptr_nonnull(corpus);
    while ((d = readdir(corpus)) != NULL) {
        char *text, *sep;
        struct stat st;
        double took;
        pid_t pid;
        FILE *f;
        if (strncmp(d->d_name, "bad_", 4) != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
        text = calloc(1, 1 << 16);
        f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        ck_assert_uint_lt(fread(text, 1, (1 << 16) - 1, f), (1 << 16) - 1);
        fclose(f);
        sep = strstr(text, "\n%%\n");
        snprintf(path, sizeof(path), "%s/config/config_automl.json", mmar);
        f = fopen(path, "w");
        fwrite(text, 1, sep != NULL ? (size_t)(sep - text) : strlen(text), f);
        fclose(f);
        if (sep != NULL) {
            snprintf(path, sizeof(path), "%s/config/config_train.json", mmar);
            f = fopen(path, "w");
            fputs(sep + 4, f);
            fclose(f);
        }
        free(text);
        pid = start_run("0", out);
        ck_assert_msg(wait_exit(pid, &took) == 1, "%s: not refused", d->d_name);
        ck_assert_msg(lines_with(out, "config_automl.json") + lines_with(out, "config_train.json")
                          > 0, "%s: the file is not named", d->d_name);
        ck_assert_msg(stat(run_root, &st) != 0, "%s: a run root was left", d->d_name);
        seen++;
        snprintf(cmd, sizeof(cmd), "cp '%s/mmar-sleep/config/'* '%s/config/'", TEST_DATA_DIR,
                 mmar);
        ck_assert_int_eq(system(cmd), 0);
    }
    closedir(corpus);
    ck_assert_int_ge(seen, 15);
    remove_mmar();
}
END_TEST

/* Clara's automl.sh passes its own positional words after the key=value ones
 * ("--set run_id=... trainconf=... workers=... traceout=console trn_autoML_Enum"); on main
 * before issue 12 `mmarml run` exited 2 on them. Now they are ignored, with a warning. */
START_TEST(clara_launch_script_arguments)
{
    char cmd[1024], out[256];

    make_mmar();
    snprintf(out, sizeof(out), "%s/out.txt", mmar);
    snprintf(cmd, sizeof(cmd),
             "MMARML_TEST_SLEEP=0 '%s' run -m '%s' --set run_id=r trainconf=config_train.json "
             "workers=0:0 traceout=none trn_autoML_Enum config_automl_BYO_handler.json "
             ">'%s' 2>&1", MMARML_BIN, mmar, out);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(lines_with(out, "ignoring 'trn_autoML_Enum' after --set"), 1);
    ck_assert_int_eq(lines_with(out, "ignoring 'config_automl_BYO_handler.json' after --set"),
                     1);
    ck_assert_int_eq(lines_with(out, " ok score "), 6);
    remove_mmar();
}
END_TEST

/* On main before issue 12 a run whose every job failed exited 0, as a good one does. */
START_TEST(a_run_without_an_ok_job_exits_4)
{
    char cmd[1024], out[256];

    make_mmar();
    snprintf(out, sizeof(out), "%s/out.txt", mmar);
    /* a round script that fails */
    snprintf(cmd, sizeof(cmd), "printf '#!/bin/sh\\nexit 3\\n' > '%s/commands/"
             "automl_train_round.sh'", mmar);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "'%s' run -m '%s' --set run_id=r >'%s' 2>&1", MMARML_BIN,
             mmar, out);
    ck_assert_int_eq(WEXITSTATUS(system(cmd)), 4);
    ck_assert_int_eq(lines_with(out, "no job ended ok (6 ended)"), 1);
    /* a broken plugin controller that recommends nothing: 0 jobs, said, exit 4 */
    snprintf(cmd, sizeof(cmd), "rm -rf '%s/automl' && printf '%%s' '{\"handlers\": "
             "[{\"name\": \"MMARHandler\"}], \"executor\": {\"name\": "
             "\"MMARExecutor\"}, \"controller\": {\"path\": "
             "\"%s/libtestplugin.so:test_plugin_idle_controller\"}}' > "
             "'%s/config/config_automl.json'", mmar, TEST_PLUGIN_DIR, mmar);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "'%s' run -m '%s' --set run_id=r >'%s' 2>&1", MMARML_BIN,
             mmar, out);
    ck_assert_int_eq(WEXITSTATUS(system(cmd)), 4);
    ck_assert_int_eq(lines_with(out, "the run ended without running any job"), 1);
    remove_mmar();
}
END_TEST

/* The number after `prefix` on the line of `path` that has it; NAN when none has. */
static double number_after(const char *path, const char *prefix)
{
    char *text = slurp_file(path), *at;
    double v = NAN;

    ck_assert_ptr_nonnull(text);
    if ((at = strstr(text, prefix)) != NULL)
        v = strtod(at + strlen(prefix), NULL);
    free(text);
    return v;
}

/* Run `mmarml run` on the fixture with trainers sleeping 0.3 s and `set` (or "") after
 * run_id; it must exit 0. Returns the seconds it took. */
static double run_sleeping(const char *set, const char *out)
{
    char cmd[1024];
    double t0 = now_s();

    snprintf(cmd, sizeof(cmd), "MMARML_TEST_SLEEP=0.3 '%s' run -m '%s' --set run_id=r %s "
             ">'%s' 2>&1", MMARML_BIN, mmar, set, out);
    ck_assert_int_eq(WEXITSTATUS(system(cmd)), 0);
    return now_s() - t0;
}

/* Run the pruning fixture (8 jobs, those scoring below 0.5 pruned at step 2 of 10; trainers
 * taking 0.8 s to start, then 0.1 s per step; `env` more of their environment); the GPU-
 * seconds the last lines say pruning saved, and in *remaining the GPU-steps the pruned jobs
 * had left (from the per-job lines: W1 holds GPUs 0 and 1, W2 GPU 2). */
static double run_pruning_fixture(const char *env, double *remaining)
{
    char cmd[1024], out[256], line[512], *text, *said;
    double saved;
    unsigned pruned = 0;
    FILE *f;

    snprintf(out, sizeof(out), "%s/out.txt", mmar);
    /* scores below 0.5 stop at the first step the warm-up lets be judged */
    snprintf(cmd, sizeof(cmd), "printf '%%s' '{\"handlers\": [{\"name\": \"MMARHandler\"}], "
             "\"executor\": {\"name\": \"MMARExecutor\"}, \"pruner\": {\"name\": "
             "\"ThresholdPruner\", \"args\": {\"lower\": 0.5, \"n_warmup_steps\": 2}}, "
             "\"controller\": {\"name\": \"RandomController\", \"args\": {\"max_rounds\": "
             "8, \"seed\": 1}}}' > '%s/config/config_automl.json'", mmar);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s/automl' && %s MMARML_TEST_STEPS=10 "
             "MMARML_TEST_STARTUP=0.8 MMARML_TEST_SLEEP=0.1 '%s' run -m '%s' --set run_id=r "
             "workers=0,1:2 >'%s' 2>&1", mmar, env, MMARML_BIN, mmar, out);
    ck_assert_int_eq(WEXITSTATUS(system(cmd)), 0);
    /* "W1_3_J5 pruned at step 2, ..." */
    *remaining = 0;
    f = fopen(out, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        char *at = strstr(line, " pruned at step ");
        if (at != NULL) {
            *remaining += (10 - strtod(at + strlen(" pruned at step "), NULL)) *
                          (strncmp(line, "W1_", 3) == 0 ? 2 : 1);
            pruned++;
        }
    }
    fclose(f);
    ck_assert_uint_gt(pruned, 0);
    ck_assert_int_eq(lines_with(out, " ok score "), 8 - (int)pruned);
    /* "pruning saved about 0.00 GPU-hours (7 GPU-seconds), ..." */
    text = slurp_file(out);
    ck_assert_ptr_nonnull(text);
    said = strstr(text, "pruning saved about ");
    ck_assert_msg(said != NULL && strstr(said, "GPU-hours (") != NULL, "no line says what "
                  "pruning saved");
    saved = strtod(strstr(said, "GPU-hours (") + strlen("GPU-hours ("), NULL);
    free(text);
    ck_assert_int_eq(lines_with(out, "remaining steps to step 10 (the longest ok job's)"), 1);
    /* the run's page says the same, computed from the journal */
    snprintf(cmd, sizeof(cmd), "%s/automl/r/report.html", mmar);
    text = slurp_file(cmd);
    ck_assert_ptr_nonnull(text);
    said = strstr(text, "Pruning saved about ");
    ck_assert_msg(said != NULL && strstr(said, "GPU-hours (") != NULL, "the page does not say "
                  "what pruning saved");
    ck_assert_double_eq_tol(strtod(strstr(said, "GPU-hours (") + strlen("GPU-hours ("), NULL),
                            saved, 1);
    free(text);
    ck_assert_int_eq(lines_with(out, "workers without GPUs"), 0);
    return saved;
}

/* What pruning saved: each pruned job's remaining steps (to the longest ok job's last) at
 * its own pace, times its worker's GPUs. A pace taken from a pruned job's wall time (0.5 s
 * per step at step 2) would count the start-up as steps. */
START_TEST(the_last_lines_say_what_pruning_saved)
{
    double saved, remaining;

    make_mmar();
    saved = run_pruning_fixture("", &remaining);
    /* 0.1 s per step at least, and less than 0.3 (a busy machine's sleeps overshoot); the
     * line gives whole seconds */
    ck_assert_msg(saved >= remaining * 0.1 - 0.5 && saved <= remaining * 0.3 + 0.5,
                  "saved %g GPU-seconds for %g GPU-steps left", saved, remaining);
    /* trainers whose clock jumps to 2100 after step 1: their times cannot be the jobs'
     * pace (more than the jobs' wall time), and the wall time is taken instead */
    saved = run_pruning_fixture("MMARML_TEST_CLOCK_AHEAD=1", &remaining);
    ck_assert_msg(saved >= remaining * 0.1 - 0.5 && saved <= remaining * 1.0 + 0.5,
                  "saved %g GPU-seconds for %g GPU-steps left", saved, remaining);
    remove_mmar();
}
END_TEST

/* The last lines say how long the jobs held their workers: GPU-seconds, counted per GPU of
 * the worker, and plain seconds on a worker without GPUs. */
START_TEST(the_last_lines_say_what_the_jobs_held)
{
    char cmd[1024], out[256];
    double held, took;

    make_mmar();
    snprintf(out, sizeof(out), "%s/out.txt", mmar);
    /* 6 jobs of 0.3 s or more, on a worker with GPUs 0 and 1 and one with GPU 2 */
    took = run_sleeping("workers=0,1:2", out);
    /* the lines give whole seconds: each bound allows the rounding */
    held = number_after(out, "GPU-hours (");
    ck_assert_msg(held >= 6 * 0.3 - 0.5 && held <= 3 * took + 0.5,
                  "%g GPU-seconds in a run of %g s", held, took);
    ck_assert_int_eq(lines_with(out, "workers without GPUs"), 0);
    ck_assert_int_eq(lines_with(out, "pruned"), 0);
    /* no workers given: one worker, no GPU list */
    snprintf(cmd, sizeof(cmd), "rm -rf '%s/automl' && printf '%%s' '{\"handlers\": "
             "[{\"name\": \"MMARHandler\"}], \"executor\": {\"name\": "
             "\"MMARExecutor\"}, \"controller\": {\"name\": \"RandomController\", "
             "\"args\": {\"max_rounds\": 3}}}' > '%s/config/config_automl.json'", mmar,
             mmar);
    ck_assert_int_eq(system(cmd), 0);
    took = run_sleeping("", out);
    held = number_after(out, "jobs on workers without GPUs ran ");
    ck_assert_msg(held >= 3 * 0.3 - 0.5 && held <= took + 0.5, "%g s in a run of %g s", held,
                  took);
    ck_assert_int_eq(lines_with(out, "GPU-hours"), 0);
    remove_mmar();
}
END_TEST

/* A run root longer than a socket address holds (108 bytes) could not run at all on
 * ee9cadf ("admin socket path ... is longer than 107 bytes"): now the socket is reached
 * through its directory, and `mmarml admin` works on it. */
START_TEST(a_run_root_longer_than_a_socket_address)
{
    char base[] = "/tmp/mmarml-long-XXXXXX", dir[512], cmd[1200], sock[700], *reply = NULL;
    double took;
    pid_t pid;
    int fd;

    ck_assert_ptr_nonnull(mkdtemp(base));
    snprintf(dir, sizeof(dir), "%s/%s", base,
             "a-data-set-with-a-long-name-as-people-give-them-on-shared-file-systems-v2");
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && cp -r '%s/mmar-sleep/.' '%s/'", dir,
             TEST_DATA_DIR, dir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(sock, sizeof(sock), "%s/automl/r/admin.sock", dir);
    ck_assert_uint_gt(strlen(sock), 108);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        snprintf(cmd, sizeof(cmd), "%s/out.txt", base);
        fd = open(cmd, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        setenv("MMARML_TEST_SLEEP", "889.75", 1);
        execl(MMARML_BIN, MMARML_BIN, "run", "-m", dir, "--set", "run_id=r", (char *)NULL);
        _exit(127);
    }
    wait_for_trainers("889.75", 2);
    ck_ok(mmarml_admin_request(&reply, sock, "status"));
    ck_assert_msg(strstr(reply, "\"running\"") != NULL, "%s", reply);
    mmarml_free(reply);
    kill(pid, SIGTERM);
    ck_assert_int_eq(wait_exit(pid, &took), 143);
    ck_assert_int_eq(tu_processes_left("889.75"), 0);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* A FIFO (or any file that is not a regular one) as a config is refused at once: on ee9cadf
 * it hung the run for ever (a FIFO blocks the reader until someone writes). */
START_TEST(config_files_that_are_not_regular_are_refused)
{
    static const char *const files[] = {"config_train.json", "config_automl.json"};
    char out[256], path[256], *text;
    struct stat st;
    double took;
    int i;

    for (i = 0; i < 2; i++) {
        make_mmar();
        snprintf(out, sizeof(out), "%s/out.txt", mmar);
        snprintf(path, sizeof(path), "%s/config/%s", mmar, files[i]);
        ck_assert_int_eq(unlink(path), 0);
        ck_assert_int_eq(mkfifo(path, 0644), 0);
        ck_assert_int_eq(wait_exit(start_run("0", out), &took), 1);
        ck_assert_msg(took < 5.0, "%s: took %.1f s", files[i], took);
        text = slurp_file(out);
        ck_assert_msg(strstr(text, "not a regular file") != NULL && strstr(text, path) != NULL,
                      "%s: %s", files[i], text);
        free(text);
        ck_assert_int_ne(stat(run_root, &st), 0); /* and nothing left behind */
        remove_mmar();
    }
}
END_TEST

/* SIGINT, then --resume: the aborted jobs are not run again, the search goes on to its
 * six rounds, and the stats file lists every job once. */
START_TEST(interrupted_then_resumed)
{
    /* the first two are left temporaries (of no process; of the run that was stopped), the
     * others must stay: a live process's (this test's), and names that only look alike */
    char planted[7][64] = {"automl_stats_log.json.tmp.999999999", "", "", "notes.tmp.txt",
                           ".tmp.12", "x.tmp.12a", "x.tmp."};
    char out[256], path[1024], *text;
    size_t i;
    json_t *stats;
    double took;
    pid_t pid;

    make_mmar();
    snprintf(out, sizeof(out), "%s/out.txt", mmar);
    pid = start_run("777.5", out);
    wait_for_trainers("777.5", 2);
    kill(pid, SIGINT);
    ck_assert_int_eq(wait_exit(pid, &took), 130);
    /* what a run killed between a temporary file's link and its rename leaves: the resume
     * removes those, and nothing else */
    snprintf(planted[1], sizeof(planted[1]), "summary.txt.tmp.%ld", (long)pid);
    snprintf(planted[2], sizeof(planted[2]), "config_train.json.tmp.%ld", (long)getpid());
    for (i = 0; i < sizeof(planted) / sizeof(planted[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", run_root, planted[i]);
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs("{\"jobs\": [\n", f); /* cut short, as a killed writer leaves it */
        fclose(f);
    }
    ck_assert_int_eq(wait_exit(start_run_args("0", out, "--resume"), &took), 0);
    for (i = 0; i < sizeof(planted) / sizeof(planted[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", run_root, planted[i]);
        ck_assert_msg((access(path, F_OK) == 0) == (i >= 2), "%s: %s", planted[i],
                      i >= 2 ? "removed" : "left");
    }
    text = slurp_file(out);
    ck_assert_ptr_nonnull(strstr(text, "(resumed)"));
    ck_assert_ptr_nonnull(strstr(text, "from the journal"));
    free(text);
    snprintf(path, sizeof(path), "%s/automl_stats_log.json", run_root);
    stats = json_load_file(path, 0, NULL);
    ck_assert_ptr_nonnull(stats);
    /* 2 aborted by the SIGINT + 6 rounds' worth of outcomes in all = 6 jobs: the aborted
     * two count as outcomes, four more ran */
    ck_assert_uint_eq(json_array_size(json_object_get(stats, "jobs")), 6);
    json_decref(stats);
    /* a third time: the run has ended, and says so */
    ck_assert_int_eq(wait_exit(start_run_args("0", out, "--resume"), &took), 0);
    text = slurp_file(out);
    ck_assert_ptr_nonnull(strstr(text, "has ended already"));
    free(text);
    remove_mmar();
}
END_TEST

/* What a run wrote to `path`: never nothing. */
static char *slurp_file(const char *path)
{
    char *text = tu_read_file(path);

    ck_assert_uint_gt(strlen(text), 0);
    return text;
}

/* On a terminal (a pty from script(1)) the command shows a live status line. */
START_TEST(live_status_line_on_a_terminal)
{
    char cmd[1024], out[256], *text;

    make_mmar();
    snprintf(out, sizeof(out), "%s/tty.txt", mmar);
    snprintf(cmd, sizeof(cmd),
             "MMARML_TEST_SLEEP=0 script -qec \"'%s' run -m '%s' --set run_id=r\" '%s' "
             ">/dev/null 2>&1",
             MMARML_BIN, mmar, out);
    ck_assert_int_eq(system(cmd), 0);
    text = slurp_file(out);
    ck_assert_ptr_nonnull(strstr(text, "\033[Kjobs done 6, running 0, pruned 0, failed 0, best "));
    ck_assert_ptr_null(strstr(text, "W1_1_J1 ok score")); /* no per-job lines there */
    ck_assert_ptr_nonnull(strstr(text, "AutoML summary"));
    free(text);
    remove_mmar();
}
END_TEST

/* msg_destination: console prefixes each trainer line with the job name; none writes no
 * log; file (the default) writes <job>/log.txt. */
START_TEST(trainer_output_destinations)
{
    static const char *const conf =
        "{\"engine\": {\"workers\": \"0\"}, \"handlers\": [{\"name\": \"MMARHandler\"}],"
        " \"executor\": {\"name\": \"MMARExecutor\", \"args\": {\"msg_destination\": "
        "\"%s\"}}, \"controller\": {\"name\": \"RandomController\", \"args\": "
        "{\"max_rounds\": 1}}}";
    const char *dests[] = {"console", "none", "file"};
    char path[512], out[256], *text;
    size_t i;

    make_mmar();
    for (i = 0; i < 3; i++) {
        FILE *f;
        pid_t pid;
        double took;
        char run_id[32];
        snprintf(path, sizeof(path), "%s/config/%s.json", mmar, dests[i]);
        f = fopen(path, "w");
        fprintf(f, conf, dests[i]);
        fclose(f);
        snprintf(out, sizeof(out), "%s/out-%s.txt", mmar, dests[i]);
        snprintf(run_id, sizeof(run_id), "run_id=%s", dests[i]);
        pid = fork();
        if (pid == 0) {
            int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            snprintf(path, sizeof(path), "%s.json", dests[i]);
            execl(MMARML_BIN, MMARML_BIN, "run", "-m", mmar, "--automlconf", path, "--set",
                  run_id, (char *)NULL);
            _exit(127);
        }
        ck_assert_int_eq(wait_exit(pid, &took), 0);
        text = slurp_file(out);
        snprintf(path, sizeof(path), "%s/automl/%s/W1_1_J1/log.txt", mmar, dests[i]);
        if (i == 0) {
            ck_assert_ptr_nonnull(strstr(text, "[W1_1_J1] training W1_1_J1\n"));
            ck_assert_int_ne(access(path, F_OK), 0);
        } else if (i == 1) {
            ck_assert_ptr_null(strstr(text, "training"));
            ck_assert_int_ne(access(path, F_OK), 0);
        } else {
            char *log = slurp_file(path);
            ck_assert_str_eq(log, "training W1_1_J1\n");
            free(log);
        }
        free(text);
    }
    remove_mmar();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("run_cli");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, sigint_stops_every_job);
    tcase_add_test(tc, sigterm_stops_every_job);
    tcase_add_test(tc, admin_against_a_live_run);
    tcase_add_test(tc, a_run_that_cannot_start_exits_1);
    tcase_add_test(tc, a_failed_start_leaves_nothing_behind);
    tcase_add_test(tc, interrupted_then_resumed);
    tcase_add_test(tc, config_files_that_are_not_regular_are_refused);
    tcase_add_test(tc, admin_clients_that_go_away_and_big_replies);
    tcase_add_test(tc, a_thousand_hostile_admin_clients);
    tcase_add_test(tc, a_full_disk_stops_the_run);
    tcase_add_test(tc, the_run_removes_only_what_it_made);
    tcase_add_test(tc, sigterm_at_any_moment_of_start_up);
    tcase_add_test(tc, every_bad_config_is_refused_saying_where);
    tcase_add_test(tc, clara_launch_script_arguments);
    tcase_add_test(tc, a_run_without_an_ok_job_exits_4);
    tcase_add_test(tc, a_run_root_longer_than_a_socket_address);
    tcase_add_test(tc, the_last_lines_say_what_the_jobs_held);
    tcase_add_test(tc, the_last_lines_say_what_pruning_saved);
    tcase_add_test(tc, live_status_line_on_a_terminal);
    tcase_add_test(tc, trainer_output_destinations);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
