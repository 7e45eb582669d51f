/*
 * TFRecord framing of an event file, as TensorBoard reads it: each record is
 *   uint64 length, uint32 masked_crc32c(length), data, uint32 masked_crc32c(data)
 * little-endian, crc32c being CRC-32C (Castagnoli) and the mask ((crc >> 15) | (crc << 17))
 * + 0xa282ead8. The CRC is written out here (the journal in lib/core has its own: this
 * module reaches libmmarml through its public API only, and no Debian package offers a C
 * CRC-32C).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmarml.h"
#include "event_writer.h"
#include "tensorboard/compat/proto/event.pb-c.h"

struct tb_writer {
    FILE *f;
    char *path;
};

static uint32_t crc_table[256];

static void crc_init(void)
{
    uint32_t i, j, c;

    for (i = 0; i < 256; i++) {
        for (c = i, j = 0; j < 8; j++)
            c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1; /* Castagnoli, reflected */
        crc_table[i] = c;
    }
}

uint32_t tb_masked_crc32c(const uint8_t *data, size_t len)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    uint32_t crc = 0xffffffffu;
    size_t i;

    pthread_once(&once, crc_init);
    for (i = 0; i < len; i++)
        crc = crc_table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
    crc ^= 0xffffffffu;
    return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
    int i;

    for (i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

int tb_writer_append(tb_writer *w, const uint8_t *event, size_t len)
{
    uint8_t head[12], tail[4];

    put_le(head, len, 8);
    put_le(head + 8, tb_masked_crc32c(head, 8), 4);
    put_le(tail, tb_masked_crc32c(event, len), 4);
    if (fwrite(head, 1, sizeof(head), w->f) != sizeof(head) ||
        fwrite(event, 1, len, w->f) != len || fwrite(tail, 1, sizeof(tail), w->f) != 4 ||
        fflush(w->f) != 0)
        return mmarml_error_set(MMARML_EIO, "cannot write the event file '%s': %s", w->path,
                                strerror(errno));
    return MMARML_OK;
}

/* mkdir -p */
static int make_dirs(const char *dir)
{
    char *p, *copy = strdup(dir);
    int rc = 0;

    if (copy == NULL)
        return -1;
    for (p = copy + 1; rc == 0; p++) {
        if (*p == '/' || *p == '\0') {
            char end = *p;
            *p = '\0';
            if (mkdir(copy, 0755) != 0 && errno != EEXIST)
                rc = -1;
            *p = end;
            if (end == '\0')
                break;
        }
    }
    free(copy);
    return rc;
}

int tb_writer_open(tb_writer **out, const char *dir, double wall_time)
{
    Tensorboard__Event ev = TENSORBOARD__EVENT__INIT;
    char host[256] = "localhost";
    tb_writer *w;
    uint8_t *buf;
    size_t len;
    int rc;

    *out = NULL;
    gethostname(host, sizeof(host) - 1);
    if (make_dirs(dir) != 0)
        return mmarml_error_set(MMARML_EIO, "cannot create '%s': %s", dir, strerror(errno));
    if ((w = calloc(1, sizeof(*w))) == NULL ||
        asprintf(&w->path, "%s/events.out.tfevents.%lld.%s", dir, (long long)wall_time,
                 host) < 0) {
        free(w);
        return mmarml_error_set(MMARML_ENOMEM, "out of memory");
    }
    w->f = fopen(w->path, "wbx");
    if (w->f == NULL) {
        rc = mmarml_error_set(MMARML_EIO, "cannot create the event file '%s': %s", w->path,
                              strerror(errno));
        free(w->path);
        free(w);
        return rc;
    }
    /* the first record says which format follows */
    ev.wall_time = wall_time;
    ev.what_case = TENSORBOARD__EVENT__WHAT_FILE_VERSION;
    ev.file_version = (char *)"brain.Event:2";
    len = tensorboard__event__get_packed_size(&ev);
    buf = malloc(len ? len : 1);
    if (buf == NULL) {
        tb_writer_close(w);
        return mmarml_error_set(MMARML_ENOMEM, "out of memory");
    }
    tensorboard__event__pack(&ev, buf);
    rc = tb_writer_append(w, buf, len);
    free(buf);
    if (rc != MMARML_OK) {
        tb_writer_close(w);
        return rc;
    }
    *out = w;
    return MMARML_OK;
}

void tb_writer_close(tb_writer *w)
{
    if (w == NULL)
        return;
    if (w->f != NULL)
        fclose(w->f);
    free(w->path);
    free(w);
}
