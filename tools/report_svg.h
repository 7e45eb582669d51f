/* The pieces of `mmarml report`'s hand-written SVG charts: scales, axes, colours, escaping.
 * Why SVG written by the tool and no chart library: the page must open offline as one file,
 * SVG marks can be counted and checked by a test, every browser draws them without a
 * script, and a vendored library would weigh more than the whole report of a small run. */
#ifndef MMARML_TOOLS_REPORT_SVG_H
#define MMARML_TOOLS_REPORT_SVG_H

#include <stddef.h>
#include <stdio.h>

/* Maps [lo, hi] (log10 of them when `log`) onto pixels [p0, p1]. */
typedef struct {
    double lo, hi, p0, p1;
    int log;
} scale;

void scale_init(scale *s, double lo, double hi, int log, double p0, double p1);
double scale_at(const scale *s, double v);

/* Text and attribute values, escaped for HTML and SVG. */
void put_escaped(FILE *f, const char *s);
/* `s` cut to `max` bytes (on a UTF-8 boundary) with an ellipsis, escaped. */
void put_escaped_cut(FILE *f, const char *s, size_t max);

/* Ticks and labels along a scale: at `y` under a horizontal one, at `x` left of a
 * vertical one; `title` (may be NULL) names the axis. */
void axis_bottom(FILE *f, const scale *s, double y, const char *title);
void axis_left(FILE *f, const scale *s, double x, const char *title);

const char *status_colour(const char *status);
/* A colour for t in [0, 1] on a perceptual ramp (dark blue to yellow, like viridis). */
void ramp_colour(double t, char out[8]);

/* A small deterministic offset in [-1, 1] for job number n (to spread marks that share an
 * enum choice). */
double jitter(unsigned long long n);

#endif
