/* JSON text whose reals are in their shortest exact form. jansson prints a real with a fixed
 * number of significant digits: 15 changes values (0.0008599796663725434 came out as
 * 0.000859979666372543, so the trainer did not get what the controller proposed), 17 writes
 * 0.1 as 0.10000000000000001. Here the text is dumped with 17 digits, then each real token
 * (outside strings) is written again with the fewest digits that read back as the same
 * double. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmar_util.h"

/* The fewest significant digits (1..17) with which v reads back as itself. */
static int significant_digits(double v)
{
    char text[40];
    int p;

    for (p = 1; p < 17; p++) {
        snprintf(text, sizeof(text), "%.*e", p - 1, v);
        if (strtod(text, NULL) == v)
            break;
    }
    return p;
}

/* v with those digits, kept a real ("1.0", not "1"). */
static int shortest(char *out, size_t n, double v)
{
    int len = snprintf(out, n, "%.*g", significant_digits(v), v);

    if (strpbrk(out, ".eEni") == NULL && len + 2 < (int)n) { /* "1" would read as an int */
        memcpy(out + len, ".0", 3);
        len += 2;
    }
    return len;
}

void mmar_format_score(char *out, size_t n, double v)
{
    char digits[40];
    int p, exp10;

    if (!isfinite(v)) {
        snprintf(out, n, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
        return;
    }
    p = significant_digits(v);
    snprintf(digits, sizeof(digits), "%.*e", p - 1, v);
    exp10 = atoi(strchr(digits, 'e') + 1);
    if (exp10 < -4 || exp10 >= 16) /* as Python's repr: 1e-05, 1e+16 */
        snprintf(out, n, "%s", digits);
    else
        snprintf(out, n, "%.*f", p - 1 - exp10 > 1 ? p - 1 - exp10 : 1, v);
}

static int is_number_char(char c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

char *mmar_json_dumps(const json_t *json, size_t flags)
{
    char *text = json_dumps(json, flags | JSON_REAL_PRECISION(17)), *out, *o;
    const char *p;

    if (text == NULL)
        return NULL;
    out = malloc(strlen(text) + 1); /* the shortest form is never longer */
    if (out == NULL) {
        free(text);
        return NULL;
    }
    for (p = text, o = out; *p != '\0';) {
        if (*p == '"') { /* a string, copied as it is */
            *o++ = *p++;
            while (*p != '\0' && *p != '"') {
                if (*p == '\\' && p[1] != '\0')
                    *o++ = *p++;
                *o++ = *p++;
            }
            if (*p == '"')
                *o++ = *p++;
        } else if (*p == '-' || (*p >= '0' && *p <= '9')) {
            size_t len = 0;
            while (is_number_char(p[len]))
                len++;
            if (memchr(p, '.', len) != NULL || memchr(p, 'e', len) != NULL ||
                memchr(p, 'E', len) != NULL) {
                char token[64], best[64];
                int n;
                snprintf(token, sizeof(token), "%.*s", (int)(len < 63 ? len : 63), p);
                n = shortest(best, sizeof(best), strtod(token, NULL));
                if (n > 0 && (size_t)n <= len) {
                    memcpy(o, best, (size_t)n);
                    o += n;
                    p += len;
                    continue;
                }
            }
            memcpy(o, p, len);
            o += len;
            p += len;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    free(text);
    return out;
}
