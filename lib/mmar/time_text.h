/*
 * When a trainer says a value was measured, as it writes it: seconds since the Unix epoch, or
 * a date and time as ISO 8601 (RFC 3339) writes it and as loggers print it
 * ("2026-12-08T00:49:19.25Z", "2026-12-08 01:49:19,250 +01:00", Python logging's
 * "2026-12-08 00:49:19,250"). docs/early-stopping.md, "The progress file".
 */
#ifndef MMARML_MMAR_TIME_TEXT_H
#define MMARML_MMAR_TIME_TEXT_H

/* Parse all of `text`: a number >= 0 (seconds since the epoch), or
 * YYYY-MM-DD{T|t| }hh:mm:ss[{.|,}fraction][Z|z|{+|-}hh[:]mm|{+|-}hh]. A date and time without
 * an offset is local time (as a logger prints it; the TZ of this process), with one it is
 * exact. @return 0 and the seconds since the epoch in *out, or -1: not such a time, or one
 * before 1970. */
int mmar_time_parse(const char *text, double *out);

#endif
