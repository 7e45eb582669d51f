/* SVG pieces of mmarml report (report_svg.h). */
#include "report_svg.h"

#include <math.h>
#include <string.h>

void scale_init(scale *s, double lo, double hi, int log, double p0, double p1)
{
    s->log = log && lo > 0 && hi > 0;
    s->lo = s->log ? log10(lo) : lo;
    s->hi = s->log ? log10(hi) : hi;
    if (!isfinite(s->lo) || !isfinite(s->hi)) { /* no data */
        s->lo = 0;
        s->hi = 1;
    } else if (!(s->hi > s->lo)) { /* one value: centre it */
        double mid = s->lo, pad = s->log ? 0.5 : mid != 0 ? fabs(mid) * 0.1 : 0.5;
        s->lo = mid - pad;
        s->hi = mid + pad;
    }
    s->p0 = p0;
    s->p1 = p1;
}

double scale_at(const scale *s, double v)
{
    double u = s->log ? (v > 0 ? log10(v) : s->lo) : v;

    return s->p0 + (u - s->lo) / (s->hi - s->lo) * (s->p1 - s->p0);
}

void put_escaped(FILE *f, const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            /* control characters would make the XML of an SVG invalid */
            if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
                fputc('?', f);
            else
                fputc(*s, f);
        }
    }
}

void put_escaped_cut(FILE *f, const char *s, size_t max)
{
    char buf[256];
    size_t n = s != NULL ? strlen(s) : 0;

    if (n <= max || max >= sizeof(buf)) {
        put_escaped(f, s);
        return;
    }
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80) /* not inside a character */
        max--;
    memcpy(buf, s, max);
    buf[max] = '\0';
    put_escaped(f, buf);
    fputs("\xe2\x80\xa6", f);
}

/* Ticks of a linear range: steps of 1, 2 or 5 times a power of ten, about five of them. */
static double nice_step(double range)
{
    double raw = range / 5, p = pow(10, floor(log10(raw))), m = raw / p;

    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/* Call `emit` for every tick value of `s` (in data units). */
static void ticks(const scale *s, void (*emit)(FILE *, const scale *, double, double),
                  FILE *f, double at)
{
    double v;

    if (s->log) {
        double first = ceil(s->lo - 1e-9), last = floor(s->hi + 1e-9);
        double every = last - first > 6 ? ceil((last - first) / 6) : 1;
        for (v = first; v <= last; v += every)
            emit(f, s, pow(10, v), at);
        return;
    }
    {
        double step = nice_step(s->hi - s->lo);
        for (v = ceil(s->lo / step - 1e-9) * step; v <= s->hi + step * 1e-9; v += step)
            emit(f, s, fabs(v) < step * 1e-9 ? 0 : v, at);
    }
}

static void tick_bottom(FILE *f, const scale *s, double v, double y)
{
    double x = scale_at(s, v);

    fprintf(f, "<line class=\"tick\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
               "<text class=\"tl\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.4g</text>\n",
            x, y, x, y + 4, x, y + 15, v);
}

static void tick_left(FILE *f, const scale *s, double v, double x)
{
    double y = scale_at(s, v);

    fprintf(f, "<line class=\"tick\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
               "<text class=\"tl\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.4g</text>\n",
            x - 4, y, x, y, x - 6, y + 4, v);
}

void axis_bottom(FILE *f, const scale *s, double y, const char *title)
{
    fprintf(f, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
            s->p0, y, s->p1, y);
    ticks(s, tick_bottom, f, y);
    if (title != NULL) {
        fprintf(f, "<text class=\"at\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
                (s->p0 + s->p1) / 2, y + 32);
        put_escaped_cut(f, title, 90);
        fputs("</text>\n", f);
    }
}

void axis_left(FILE *f, const scale *s, double x, const char *title)
{
    fprintf(f, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x,
            s->p0, x, s->p1);
    ticks(s, tick_left, f, x);
    if (title != NULL) {
        double cy = (s->p0 + s->p1) / 2;
        fprintf(f, "<text class=\"at\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                   "transform=\"rotate(-90 %.1f %.1f)\">", x - 44, cy, x - 44, cy);
        put_escaped_cut(f, title, 40);
        fputs("</text>\n", f);
    }
}

const char *status_colour(const char *status)
{
    static const struct {
        const char *status, *colour;
    } colours[] = {
        {"ok", "#1f77b4"},      {"pruned", "#ff7f0e"},  {"failed", "#d62728"},
        {"error", "#8c564b"},   {"timeout", "#9467bd"}, {"aborted", "#7f7f7f"},
        {"no_score", "#e377c2"}, {"running", "#2ca02c"}, {"interrupted", "#bcbd22"},
    };
    size_t i;

    for (i = 0; i < sizeof(colours) / sizeof(colours[0]); i++)
        if (strcmp(status, colours[i].status) == 0)
            return colours[i].colour;
    return "#000000";
}

void ramp_colour(double t, char out[8])
{
    /* five stops of viridis, linearly between them */
    static const unsigned char stops[5][3] = {
        {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    double x = (isfinite(t) ? (t < 0 ? 0 : t > 1 ? 1 : t) : 0) * 4;
    int i = x >= 4 ? 3 : (int)x, c;
    unsigned char rgb[3];

    for (c = 0; c < 3; c++)
        rgb[c] = (unsigned char)(stops[i][c] + (x - i) * (stops[i + 1][c] - stops[i][c]) + 0.5);
    snprintf(out, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

double jitter(unsigned long long n)
{
    n = (n ^ (n >> 33)) * 0xff51afd7ed558ccdull;
    n ^= n >> 33;
    return (double)(n % 2001) / 1000.0 - 1.0;
}
