/* What `mmarml report` computes beyond drawing: parameter importance and the best job's
 * config against the base training config. */
#ifndef MMARML_TOOLS_REPORT_STATS_H
#define MMARML_TOOLS_REPORT_STATS_H

#include <stdio.h>

#include <jansson.h>

#include "report_model.h"

/* Jobs ended ok below which importance is not computed. */
#define IMPORTANCE_MIN_JOBS 8

/*
 * The importance of param k (docs/report.md): epsilon-squared of a one-way analysis of
 * variance of the ok jobs' scores grouped by the param (an enum by its choice; a float or
 * int in up to 10 equal-count bins of its values, so a log scale changes nothing): the share
 * of the score's variance the param explains on its own, corrected for the number of groups,
 * in [0, 1]. NaN with fewer than IMPORTANCE_MIN_JOBS ok jobs or when the scores are all equal.
 */
double report_importance(const report_run *run, size_t k);

/* Write the differences between `base` and `job` as table rows (path, base, job); JSON paths
 * like `train.optimizer.lr` and `train.pre_transforms[0].prob`. Search definitions the job
 * config lacks (`search`, `lr_search`, `apply`: removed by remove_search_augs) are counted
 * in *removed_search, not listed. Returns the number of rows written. */
size_t report_diff(FILE *f, const json_t *base, const json_t *job, size_t *removed_search);

#endif
