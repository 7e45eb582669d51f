/*
 * clone: the cost of cloning an MMAR for a job, full and with key_mmar_content_only, for a
 * models/ folder of 256 MiB and of 1 GiB. One job per run, its round script does nothing, so
 * the run's time is the clone plus a constant. Prints
 *   {"sizes": [{"model_mib", "full_ms", "content_only_ms"}, ...]}
 * The content-only time must not grow with the model size. Needs about 2.5 GiB of disk in
 * $TMPDIR (default /tmp).
 *
 * Usage: clone [largest_mib]    (default 1024; also runs a quarter of it)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_mmar.h"

static int fill_model(const char *dir, long mib)
{
    char path[256], *buf = malloc(1 << 20);
    long i;
    int fd;

    snprintf(path, sizeof(path), "%s/models/model.pt", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || buf == NULL)
        return -1;
    for (i = 0; i < (1 << 20); i++)
        buf[i] = (char)(i * 2654435761u >> 13); /* not sparse, not compressible */
    for (i = 0; i < mib; i++)
        if (write(fd, buf, 1 << 20) != 1 << 20)
            return -1;
    free(buf);
    fsync(fd);
    return close(fd);
}

static int time_run(const char *dir, int content_only, const char *run_id, double *ms)
{
    char path[256], automl[512];
    double s;
    FILE *f;

    snprintf(automl, sizeof(automl),
             "{\"handlers\": [{\"name\": \"MMARHandler\", \"args\": {\"key_mmar_content_only\": "
             "%s}}], \"executor\": {\"name\": \"MMARExecutor\", \"args\": {\"msg_destination\": "
             "\"none\"}}, \"controller\": {\"name\": \"DummyController\", \"args\": "
             "{\"max_rounds\": 1}}}",
             content_only ? "true" : "false");
    snprintf(path, sizeof(path), "%s/config/config_automl.json", dir);
    if ((f = fopen(path, "w")) == NULL)
        return -1;
    fputs(automl, f);
    fclose(f);
    if (bench_run(dir, run_id, NULL, &s) != 0)
        return -1;
    *ms = s * 1e3;
    return 0;
}

int main(int argc, char **argv)
{
    long largest = argc > 1 ? atol(argv[1]) : 1024, sizes[2];
    double full[2], lean[2];
    char dir[64], run[32];
    int i;

    if (largest < 4)
        return 2;
    sizes[0] = largest / 4;
    sizes[1] = largest;
    for (i = 0; i < 2; i++) {
        if (bench_make_mmar(dir, "exit 0", "{}") != 0 || fill_model(dir, sizes[i]) != 0)
            return 1;
        snprintf(run, sizeof(run), "full%d", i);
        if (time_run(dir, 0, run, &full[i]) != 0)
            return 1;
        snprintf(run, sizeof(run), "lean%d", i);
        if (time_run(dir, 1, run, &lean[i]) != 0)
            return 1;
        bench_remove(dir);
    }
    printf("{\"sizes\": [{\"model_mib\": %ld, \"full_ms\": %.1f, \"content_only_ms\": %.1f}, "
           "{\"model_mib\": %ld, \"full_ms\": %.1f, \"content_only_ms\": %.1f}]}\n",
           sizes[0], full[0], lean[0], sizes[1], full[1], lean[1]);
    return 0;
}
