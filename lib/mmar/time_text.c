/* A trainer's time, as a number or as an ISO 8601 date and time (time_text.h). */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "time_text.h"

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The `n` digits at *p (all must be digits), advancing *p; -1 when they are not. */
static int digits(const char **p, int n)
{
    int v = 0;

    for (; n > 0; n--, (*p)++) {
        if (!is_digit(**p))
            return -1;
        v = v * 10 + (**p - '0');
    }
    return v;
}

/* Seconds since the epoch written as a number: digits, a point, an exponent; no sign, no
 * hex, no "inf" (strtod takes all of those). */
static int parse_number(const char *text, double *out)
{
    char *end;
    double v;

    if (!is_digit(text[0]) || strspn(text, "0123456789.eE+-") != strlen(text))
        return -1;
    v = strtod(text, &end);
    if (*end != '\0' || !isfinite(v) || v < 0)
        return -1;
    *out = v;
    return 0;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    return month == 2 && leap ? 29 : days[month - 1];
}

/* The offset at *p: "Z", "+hh:mm", "+hhmm", "+hh" (or '-'), in seconds east of UTC. */
static int parse_offset(const char *p, long *east)
{
    int sign, hours, minutes = 0;

    if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0') {
        *east = 0;
        return 0;
    }
    if (p[0] != '+' && p[0] != '-')
        return -1;
    sign = p[0] == '-' ? -1 : 1;
    p++;
    if ((hours = digits(&p, 2)) < 0 || hours > 23)
        return -1;
    if ((*p == ':' && *++p == '\0') || /* "+02:" */
        (*p != '\0' && ((minutes = digits(&p, 2)) < 0 || minutes > 59)))
        return -1;
    if (*p != '\0')
        return -1;
    *east = sign * (hours * 3600L + minutes * 60L);
    return 0;
}

static int parse_date_time(const char *p, double *out)
{
    struct tm tm;
    double fraction = 0, scale = 0.1;
    int year, month, day, hour, minute, second, has_offset;
    long east = 0;
    time_t t;

    memset(&tm, 0, sizeof(tm));
    if ((year = digits(&p, 4)) < 0 || *p++ != '-' || (month = digits(&p, 2)) < 1 ||
        month > 12 || *p++ != '-' || (day = digits(&p, 2)) < 1 ||
        day > days_in_month(year, month))
        return -1;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return -1;
    p++;
    if ((hour = digits(&p, 2)) < 0 || hour > 23 || *p++ != ':' ||
        (minute = digits(&p, 2)) < 0 || minute > 59 || *p++ != ':' ||
        (second = digits(&p, 2)) < 0 || second > 60) /* 60: a leap second */
        return -1;
    if (*p == '.' || *p == ',') {
        if (!is_digit(*++p))
            return -1;
        for (; is_digit(*p); p++, scale /= 10)
            fraction += (*p - '0') * scale; /* past a nanosecond the digits add nothing */
    }
    if (*p == ' ' && *++p == '\0') /* "2026-12-08 01:49:19,250 +01:00", not a bare space */
        return -1;
    has_offset = *p != '\0';
    if (has_offset && parse_offset(p, &east) != 0)
        return -1;
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    tm.tm_isdst = -1;
    if (has_offset) {
        t = timegm(&tm) - east;
    } else {
        /* mktime reads (and when TZ changed, replaces) the C library's time-zone state, under
         * a lock of glibc's own that ThreadSanitizer does not see: progress threads of jobs
         * side by side take turns here, so that a TSan run reports no race */
        static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;
        pthread_mutex_lock(&tz_lock);
        t = mktime(&tm);
        pthread_mutex_unlock(&tz_lock);
    }
    if (t < 0) /* before 1970, or mktime's -1 */
        return -1;
    *out = (double)t + fraction;
    return 0;
}

int mmar_time_parse(const char *text, double *out)
{
    if (text == NULL)
        return -1;
    /* a date starts with its four-digit year and a dash; a number never has one there */
    if (strlen(text) > 4 && text[4] == '-' && is_digit(text[0]))
        return parse_date_time(text, out);
    return parse_number(text, out);
}
