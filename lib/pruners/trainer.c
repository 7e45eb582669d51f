/*
 * The trainer's side of the progress file protocol (docs/early-stopping.md): a process the
 * executor started appends one JSON object per line to $MMARML_PROGRESS_FILE and may look
 * for $MMARML_STOP_FILE.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mmarml.h"

int mmarml_trainer_report(double step, double value, const char *metric)
{
    const char *path = getenv(MMARML_PROGRESS_FILE_ENV);
    struct timespec now;
    json_t *line;
    char *text;
    size_t len;
    ssize_t n;
    int fd, rc = MMARML_OK;

    if (path == NULL || *path == '\0')
        return MMARML_OK;
    if (!isfinite(step) || step < 0 || !isfinite(value))
        return mmarml_error_set(MMARML_EINVAL, "a report needs a finite step >= 0 and a finite "
                                "value (got step %g, value %g)", step, value);
    clock_gettime(CLOCK_REALTIME, &now);
    line = json_pack("{s:f, s:f, s:f}", "step", step, "value", value, "time",
                     (double)now.tv_sec + (double)now.tv_nsec * 1e-9);
    if (line != NULL && metric != NULL)
        json_object_set_new(line, "metric", json_string(metric));
    text = line != NULL ? json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(line);
    if (text == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "out of memory writing a progress report");
    len = strlen(text);
    text[len++] = '\n'; /* json_dumps's terminator becomes the line's end */
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = mmarml_error_set(MMARML_EIO, "cannot open the progress file '%s': %s", path,
                              strerror(errno));
    } else {
        /* O_APPEND and one write: a line is never interleaved with another writer's */
        n = write(fd, text, len);
        if (n != (ssize_t)len)
            rc = mmarml_error_set(MMARML_EIO, "cannot write the progress file '%s': %s", path,
                                  n < 0 ? strerror(errno) : "short write");
        close(fd);
    }
    free(text);
    return rc;
}

int mmarml_trainer_should_stop(void)
{
    const char *path = getenv(MMARML_STOP_FILE_ENV);
    struct stat st;

    return path != NULL && *path != '\0' && stat(path, &st) == 0;
}
