/* CRC-32C (Castagnoli, reflected), bit by bit, as the journal frames its records: for the
 * tests and fuzz targets that write journals by hand (the library's own table is internal).
 * A header, because the fuzz targets are built without the tests' Check-based helpers. */
#ifndef MMARML_TESTS_CRC32C_H
#define MMARML_TESTS_CRC32C_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t test_crc32c(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint32_t crc = 0xffffffffu;
    int k;

    while (n-- > 0) {
        crc ^= *p++;
        for (k = 0; k < 8; k++)
            crc = crc & 1 ? crc >> 1 ^ 0x82f63b78u : crc >> 1;
    }
    return ~crc;
}

#endif
