/* mmarml report: one self-contained HTML page about a run, from its journal. */
#ifndef MMARML_TOOLS_REPORT_H
#define MMARML_TOOLS_REPORT_H

#include <stdio.h>

#include <mmarml.h>

#include "report_model.h"

/* The page for `run` (report_html.c). */
void report_write_html(FILE *f, const report_run *run);

/* Read the run under `run_root` (its journal: `journal`, or journal.mmarml there) and write
 * its page to `out` ("-": stdout), atomically (a temporary file renamed over it). Returns
 * MMARML_OK, or an error code with mmarml_error_message() naming what failed and where. */
int report_write_file(const char *run_root, const char *journal, const char *out);

#endif
