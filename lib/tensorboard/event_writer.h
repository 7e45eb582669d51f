/* TensorBoard event files: `events.out.tfevents.<time>.<host>` with TFRecord framing. */
#ifndef MMARML_TB_EVENT_WRITER_H
#define MMARML_TB_EVENT_WRITER_H

#include <stddef.h>
#include <stdint.h>

typedef struct tb_writer tb_writer;

/* A new event file in the directory `dir` (made, with its parents), its first record the
 * file_version event TensorBoard looks for. MMARML_OK or a negative code, message set. */
int tb_writer_open(tb_writer **out, const char *dir, double wall_time);
/* Append one serialised tensorboard.Event as a record and flush it to the file. */
int tb_writer_append(tb_writer *w, const uint8_t *event, size_t len);
/* Close the file (NULL-safe). */
void tb_writer_close(tb_writer *w);

/* CRC-32C masked as TFRecord framing wants it (exposed for the tests' reader to agree). */
uint32_t tb_masked_crc32c(const uint8_t *data, size_t len);

#endif
