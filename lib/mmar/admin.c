/* The admin control socket (D5): a Unix socket in the run root, one command per
 * connection, JSON replies, served by one poll loop. Public API only. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mmarml.h"

struct mmarml_admin_server {
    mmarml_engine *engine;
    char *socket_path, *summary_path;
    int listen_fd, stop_fd;
    pthread_t thread;
};

static json_t *reply_error(const char *message)
{
    return json_pack("{s:b, s:s}", "ok", 0, "error", message);
}

static json_t *reply_ok(json_t *result /* stolen */)
{
    return json_pack("{s:b, s:o}", "ok", 1, "result", result != NULL ? result : json_null());
}

static json_t *summary(const char *path)
{
    char *text;
    long n;
    FILE *f = path != NULL ? fopen(path, "r") : NULL;
    json_t *j;

    if (f == NULL)
        return reply_error("no summary yet: no job has finished");
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    text = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
    if (text == NULL || (n > 0 && fread(text, 1, (size_t)n, f) != (size_t)n)) {
        free(text);
        fclose(f);
        return reply_error("cannot read the summary");
    }
    fclose(f);
    j = reply_ok(json_string(text));
    free(text);
    return j;
}

static json_t *run_command(mmarml_admin_server *s, char *line)
{
    char *cmd = strtok(line, " \t\r\n"), *arg = strtok(NULL, " \t\r\n");
    json_t *result = NULL;
    int rc;

    if (cmd == NULL)
        return reply_error("empty command");
    if (strcmp(cmd, "summary") == 0)
        return summary(s->summary_path);
    if (strcmp(cmd, "list_workers") == 0)
        rc = mmarml_engine_list_workers(&result, s->engine);
    else if (strcmp(cmd, "status") == 0)
        rc = mmarml_engine_status(&result, s->engine);
    else if (strcmp(cmd, "stop") == 0)
        rc = mmarml_engine_stop(s->engine, "stop asked through the admin socket");
    else if (strcmp(cmd, "show_worker") == 0 || strcmp(cmd, "suspend_worker") == 0 ||
             strcmp(cmd, "resume_worker") == 0 || strcmp(cmd, "abort_worker") == 0) {
        if (arg == NULL)
            return reply_error("this command needs a worker name, such as W1");
        if (strcmp(cmd, "show_worker") == 0)
            rc = mmarml_engine_show_worker(&result, s->engine, arg);
        else if (strcmp(cmd, "suspend_worker") == 0)
            rc = mmarml_engine_suspend_worker(s->engine, arg);
        else if (strcmp(cmd, "resume_worker") == 0)
            rc = mmarml_engine_resume_worker(s->engine, arg);
        else
            rc = mmarml_engine_abort_worker(s->engine, arg);
    } else {
        char msg[256];
        snprintf(msg, sizeof(msg), "unknown command '%.60s' (list_workers, show_worker, "
                 "suspend_worker, resume_worker, abort_worker, stop, status, summary)", cmd);
        return reply_error(msg);
    }
    return rc == MMARML_OK ? reply_ok(result) : reply_error(mmarml_error_message());
}

/*
 * Clients are served by one poll loop, never one at a time: a client that never sends, sends
 * a byte a second, floods, or does not read its reply holds a slot, not the server. Each has
 * ADMIN_DEADLINE_S in all to send its line and take its reply; past that it is dropped. When
 * every slot is taken, the oldest client makes room for the new one.
 */
#define ADMIN_MAX_CLIENTS 64
#define ADMIN_DEADLINE_S 2.0
#define ADMIN_LINE_MAX 512
#define ADMIN_CLIENT_TIMEOUT_S 10

typedef struct {
    int fd; /* -1: free slot */
    double deadline, accepted;
    char line[ADMIN_LINE_MAX];
    size_t len;
    char *reply; /* NULL while the line is read */
    size_t reply_len, sent;
} admin_client;

static double monotonic_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The reply text, newline-terminated. A reply jansson cannot encode still gets an answer. */
static char *reply_text(json_t *reply, size_t *len)
{
    static const char fallback[] = "{\"ok\": false, \"error\": \"cannot encode the reply\"}";
    char *text = reply != NULL ? json_dumps(reply, JSON_COMPACT) : NULL;
    char *line;

    if (text == NULL)
        text = strdup(fallback);
    if (text == NULL)
        return NULL;
    *len = strlen(text) + 1;
    line = realloc(text, *len + 1);
    if (line == NULL) {
        free(text);
        return NULL;
    }
    line[*len - 1] = '\n';
    line[*len] = '\0';
    return line;
}

/* Bytes that are not printable ASCII become '?': a command line of any bytes gets a reply
 * that is valid UTF-8 JSON naming what was asked. */
static void make_printable(char *line)
{
    for (; *line != '\0'; line++)
        if ((unsigned char)*line < 0x20 || (unsigned char)*line > 0x7e)
            if (*line != '\n' && *line != '\r' && *line != '\t')
                *line = '?';
}

static void client_close(admin_client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->reply);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
}

/* Read what the client sent; once a whole line (or ADMIN_LINE_MAX bytes, or EOF) is in, run
 * it and queue the reply. */
static void client_read(mmarml_admin_server *s, admin_client *c)
{
    ssize_t n;
    int eof = 0;
    json_t *reply;

    for (;;) {
        n = recv(c->fd, c->line + c->len, sizeof(c->line) - 1 - c->len, MSG_DONTWAIT);
        if (n > 0) {
            c->len += (size_t)n;
            if (memchr(c->line, '\n', c->len) != NULL || c->len == sizeof(c->line) - 1)
                break;
        } else if (n == 0) {
            eof = 1;
            break;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return; /* more to come */
        } else {
            client_close(c);
            return;
        }
    }
    c->line[c->len] = '\0';
    if (memchr(c->line, '\n', c->len) == NULL && !eof) {
        reply = reply_error("command line too long (at most 511 bytes)");
    } else {
        make_printable(c->line);
        reply = run_command(s, c->line);
    }
    c->reply = reply_text(reply, &c->reply_len);
    json_decref(reply);
    if (c->reply == NULL)
        client_close(c);
}

/* Send what is left of the reply; close once all of it went, or the client went away.
 * MSG_NOSIGNAL: a client that left must not kill the run with SIGPIPE. */
static void client_write(admin_client *c)
{
    while (c->sent < c->reply_len) {
        ssize_t n = send(c->fd, c->reply + c->sent, c->reply_len - c->sent,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0)
            c->sent += (size_t)n;
        else if (n < 0 && errno == EINTR)
            continue;
        else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        else
            break;
    }
    client_close(c);
}

/* At most a quarter of the slots a wake-up: the clients accepted just before are read at the
 * next one, before a burst behind them could push them out. */
static void accept_clients(mmarml_admin_server *s, admin_client *clients)
{
    int accepted;

    for (accepted = 0; accepted < ADMIN_MAX_CLIENTS / 4; accepted++) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        admin_client *slot = NULL;
        int i;

        if (fd < 0)
            return; /* EAGAIN: all taken; EMFILE and the like: try at the next wake-up */
        for (i = 0; i < ADMIN_MAX_CLIENTS; i++) {
            if (clients[i].fd < 0) {
                slot = &clients[i];
                break;
            }
            if (slot == NULL || clients[i].accepted < slot->accepted)
                slot = &clients[i];
        }
        client_close(slot); /* a free slot, or the oldest client's */
        slot->fd = fd;
        slot->accepted = monotonic_s();
        slot->deadline = slot->accepted + ADMIN_DEADLINE_S;
        /* a client that sent its line already is answered now, before a burst of others
         * behind it in the backlog could take its slot */
        client_read(s, slot);
        if (slot->fd >= 0 && slot->reply != NULL)
            client_write(slot);
    }
}

static void *serve(void *arg)
{
    mmarml_admin_server *s = arg;
    admin_client clients[ADMIN_MAX_CLIENTS];
    struct pollfd fds[ADMIN_MAX_CLIENTS + 2];
    int i;

    for (i = 0; i < ADMIN_MAX_CLIENTS; i++) {
        memset(&clients[i], 0, sizeof(clients[i]));
        clients[i].fd = -1;
    }
    for (;;) {
        double now = monotonic_s(), next = now + 60;
        int timeout_ms;

        fds[0] = (struct pollfd){s->listen_fd, POLLIN, 0};
        fds[1] = (struct pollfd){s->stop_fd, POLLIN, 0};
        for (i = 0; i < ADMIN_MAX_CLIENTS; i++) {
            admin_client *c = &clients[i];
            if (c->fd >= 0 && now >= c->deadline)
                client_close(c);
            fds[i + 2] = (struct pollfd){c->fd, c->reply != NULL ? POLLOUT : POLLIN, 0};
            if (c->fd >= 0 && c->deadline < next)
                next = c->deadline;
        }
        timeout_ms = (int)((next - now) * 1000) + 1;
        if (poll(fds, ADMIN_MAX_CLIENTS + 2, timeout_ms) < 0 && errno != EINTR)
            break;
        if (fds[1].revents)
            break;
        for (i = 0; i < ADMIN_MAX_CLIENTS; i++) {
            admin_client *c = &clients[i];
            if (c->fd < 0 || fds[i + 2].revents == 0)
                continue;
            if (c->reply == NULL)
                client_read(s, c);
            if (c->fd >= 0 && c->reply != NULL)
                client_write(c);
        }
        if (fds[0].revents & POLLIN)
            accept_clients(s, clients);
    }
    for (i = 0; i < ADMIN_MAX_CLIENTS; i++)
        client_close(&clients[i]);
    return NULL;
}

void mmarml_admin_server_stop(mmarml_admin_server *s)
{
    uint64_t one = 1;

    if (s == NULL)
        return;
    if (s->stop_fd >= 0 && write(s->stop_fd, &one, sizeof(one)) == sizeof(one))
        pthread_join(s->thread, NULL);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (s->stop_fd >= 0)
        close(s->stop_fd);
    if (s->socket_path != NULL)
        unlink(s->socket_path);
    free(s->socket_path);
    free(s->summary_path);
    free(s);
}

/*
 * The socket's address. sun_path holds 107 bytes, and a run root can be longer than that
 * (any MMAR path over ~70 characters with the default run_id). A longer path is reached
 * through its directory, opened O_PATH: "/proc/self/fd/<n>/admin.sock" (Linux resolves it at
 * bind and connect time). *dirfd is that descriptor (close it after bind/connect), or -1.
 */
static int socket_address(struct sockaddr_un *addr, int *dirfd, const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX];

    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    *dirfd = -1;
    if (strlen(path) < sizeof(addr->sun_path)) {
        memcpy(addr->sun_path, path, strlen(path) + 1);
        return MMARML_OK;
    }
    if (slash == NULL || (size_t)(slash - path) >= sizeof(dir))
        return mmarml_error_set(MMARML_EINVAL, "admin socket path '%s' is too long", path);
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    *dirfd = open(dir[0] != '\0' ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (*dirfd < 0)
        return mmarml_error_set(MMARML_EIO, "admin socket '%s': cannot open its directory: %s",
                                path, strerror(errno));
    if (snprintf(addr->sun_path, sizeof(addr->sun_path), "/proc/self/fd/%d/%s", *dirfd,
                 slash + 1) >= (int)sizeof(addr->sun_path)) {
        close(*dirfd);
        *dirfd = -1;
        return mmarml_error_set(MMARML_EINVAL, "admin socket name '%s' is too long", slash + 1);
    }
    return MMARML_OK;
}

/* A socket file no one serves (its run died) is in the way of the run that resumes: remove
 * it. One that answers belongs to a live run and stays. */
static void remove_stale_socket(const struct sockaddr_un *addr)
{
    struct stat st;
    int fd;

    if (lstat(addr->sun_path, &st) != 0 || !S_ISSOCK(st.st_mode))
        return;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) != 0 && errno == ECONNREFUSED)
        unlink(addr->sun_path);
    close(fd);
}

int mmarml_admin_server_start(mmarml_admin_server **out, mmarml_engine *engine,
                              const char *socket_path, const char *summary_path)
{
    struct sockaddr_un addr;
    mmarml_admin_server *s;
    int err, dirfd;

    if (out == NULL || engine == NULL || socket_path == NULL)
        return mmarml_error_set(MMARML_EINVAL, "mmarml_admin_server_start: NULL argument");
    *out = NULL;
    if ((err = socket_address(&addr, &dirfd, socket_path)) != MMARML_OK)
        return err;
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        if (dirfd >= 0)
            close(dirfd);
        return mmarml_error_set(MMARML_ENOMEM, "out of memory");
    }
    s->engine = engine;
    s->listen_fd = s->stop_fd = -1;
    s->socket_path = strdup(socket_path);
    s->summary_path = summary_path != NULL ? strdup(summary_path) : NULL;
    s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    s->stop_fd = eventfd(0, EFD_CLOEXEC);
    if (s->listen_fd >= 0)
        remove_stale_socket(&addr);
    if (s->socket_path == NULL || s->listen_fd < 0 || s->stop_fd < 0 ||
        bind(s->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        chmod(socket_path, 0600) != 0 || listen(s->listen_fd, SOMAXCONN) != 0) {
        err = errno;
        if (dirfd >= 0)
            close(dirfd);
        if (s->socket_path != NULL && s->listen_fd >= 0 && err != EADDRINUSE)
            unlink(socket_path);
        free(s->socket_path);
        s->socket_path = NULL; /* not ours to unlink */
        close(s->stop_fd);
        s->stop_fd = -1;
        mmarml_admin_server_stop(s);
        return mmarml_error_set(MMARML_EIO, "cannot serve the admin socket '%s': %s",
                                socket_path, strerror(err));
    }
    if (dirfd >= 0)
        close(dirfd); /* the socket is bound: its directory is not needed any more */
    if ((err = pthread_create(&s->thread, NULL, serve, s)) != 0) {
        close(s->stop_fd);
        s->stop_fd = -1;
        mmarml_admin_server_stop(s);
        return mmarml_error_set(MMARML_ERROR, "cannot start the admin thread: %s",
                                strerror(err));
    }
    *out = s;
    return MMARML_OK;
}

int mmarml_admin_request(char **reply, const char *socket_path, const char *command)
{
    struct sockaddr_un addr;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    ssize_t n;
    int fd, dirfd, rc;

    if (reply == NULL || socket_path == NULL || command == NULL)
        return mmarml_error_set(MMARML_EINVAL, "mmarml_admin_request: NULL argument");
    *reply = NULL;
    if ((rc = socket_address(&addr, &dirfd, socket_path)) != MMARML_OK)
        return rc;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        if (dirfd >= 0)
            close(dirfd);
        return mmarml_error_set(MMARML_EIO, "no run is serving '%s': %s", socket_path,
                                strerror(err));
    }
    if (dirfd >= 0)
        close(dirfd);
    { /* a run that cannot answer (its engine stuck) must not hang its operator */
        struct timeval limit = {ADMIN_CLIENT_TIMEOUT_S, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
    }
    if (send(fd, command, strlen(command), MSG_NOSIGNAL) < 0 ||
        send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
        int err = errno;
        close(fd);
        return mmarml_error_set(MMARML_EIO, "cannot send to '%s': %s", socket_path,
                                strerror(err));
    }
    /* a reply of any size (a summary of thousands of jobs) */
    do {
        if (cap - len < 4096) {
            char *more = realloc(buf, cap = cap ? 2 * cap : 1 << 16);
            if (more == NULL) {
                free(buf);
                close(fd);
                return mmarml_error_set(MMARML_ENOMEM, "out of memory");
            }
            buf = more;
        }
        n = read(fd, buf + len, cap - len - 1);
        if (n > 0)
            len += (size_t)n;
    } while (n > 0 || (n < 0 && errno == EINTR));
    rc = n < 0 ? errno : 0;
    close(fd);
    buf[len] = '\0';
    if (len == 0) {
        free(buf);
        return rc == EAGAIN || rc == EWOULDBLOCK
                   ? mmarml_error_set(MMARML_EIO, "'%s' gave no reply within %d s",
                                      socket_path, ADMIN_CLIENT_TIMEOUT_S)
                   : mmarml_error_set(MMARML_EIO, "'%s' closed the connection without a reply",
                                      socket_path);
    }
    *reply = buf;
    return MMARML_OK;
}
