/* The Wilcoxon signed-rank test, one-sided (lib/pruners only). */
#ifndef MMARML_PRUNERS_SIGNED_RANK_H
#define MMARML_PRUNERS_SIGNED_RANK_H

#include <stddef.h>

/* Largest sample whose p-value is exact; above it, the normal approximation. */
#define SIGNED_RANK_EXACT_MAX 50

/*
 * The p-value of the paired differences d[0..n) (finite) against the alternative that they
 * lie below zero: P(R+ <= r+) under the null hypothesis that they are symmetric about zero,
 * where r+ is the sum of the ranks of |d| over the positive d. Tied |d| get the mean of their
 * ranks; zeros are kept in the ranking and half their ranks go to R+ (scipy's zero_method
 * "zsplit"), the same in every sign pattern. Up to SIGNED_RANK_EXACT_MAX differences the
 * p-value is exact: the share of the 2^(nonzero d) equally likely sign patterns, given the
 * ranks as they are, ties and zeros included. Above, the normal approximation with the tie
 * correction and no continuity correction, as scipy.stats.wilcoxon's "approx".
 * With no d, or only zeros, it is 1.
 * @return 0, or -1 when out of memory.
 */
int signed_rank_p_below(double *p_out, const double *d, size_t n);

#endif
