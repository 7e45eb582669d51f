/* The charts of `mmarml report`, each one SVG element whose marks (one per job) carry
 * class "mark" and data-job="<job name>" (tests count them). */
#ifndef MMARML_TOOLS_REPORT_CHARTS_H
#define MMARML_TOOLS_REPORT_CHARTS_H

#include <stdio.h>

#include "report_model.h"

/* Score per job against its end time, the best-so-far line, statuses told apart. */
void chart_history(FILE *f, const report_run *run);
/* Score against param `k`: log axis for a log param, one band per choice for an enum. */
void chart_param(FILE *f, const report_run *run, size_t k);
/* Parallel coordinates: an axis per param and one for the score, a line per job. */
void chart_parallel(FILE *f, const report_run *run);
/* A row per worker, a bar per job, each worker's busy fraction. */
void chart_timeline(FILE *f, const report_run *run);
/* Intermediate reports: a line per job that reported (call only when one did). */
void chart_curves(FILE *f, const report_run *run);

/* The last part of a PRL, for labels: `lr.float.$0:learning_rate` -> `learning_rate`. */
const char *param_label(const report_param *p);
/* How job j's value of param p reads: a number, or the enum choice as compact JSON.
 * Returns `buf`. */
const char *value_text(const report_param *p, double v, char *buf, size_t size);

#endif
