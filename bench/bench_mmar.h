/* Helpers of the MMAR benchmarks: a throw-away MMAR and one timed AutoML run through the
 * public API. */
#ifndef MMARML_BENCH_MMAR_H
#define MMARML_BENCH_MMAR_H

#include <mmarml.h>

/* Make a temporary MMAR whose round script is `script_body` and whose config_automl.json is
 * `automl`; fills `dir` (at least 64 bytes). 0 on success. */
int bench_make_mmar(char *dir, const char *script_body, const char *automl);
/* rm -rf dir. */
void bench_remove(const char *dir);
/* Run the MMAR's AutoML with run_id `run_id`; the wall time in *seconds, and with `handler`
 * (may be NULL) appended. 0 on success. */
int bench_run(const char *dir, const char *run_id, mmarml_handler *handler, double *seconds);
double bench_now(void);

#endif
