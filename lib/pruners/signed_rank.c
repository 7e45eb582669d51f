/*
 * The Wilcoxon signed-rank test (signed_rank.h), the statistic WilcoxonPruner decides by.
 * Written from the test's definition (Wilcoxon 1945; scipy.stats.wilcoxon's documentation
 * for the zsplit and tie conventions), so that no Python is needed to prune.
 *
 * Where scipy 1.10 (Debian 12's, which Optuna's WilcoxonPruner calls) is not exact, up to 50
 * differences, this is: scipy switches to the normal approximation when there is a zero,
 * and reads ties into the untied distribution at a truncated R+. For d = {0, -0.1, -0.2}
 * the approximation says p = 0.091, and a pruner whose threshold is 0.1 stops the job after
 * three instances; 1 sign pattern in 4 of the two nonzero d puts both below zero: p = 0.25.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "signed_rank.h"

typedef struct {
    double magnitude; /* |d| */
    double d;
} difference;

static int by_magnitude(const void *a, const void *b)
{
    double x = ((const difference *)a)->magnitude, y = ((const difference *)b)->magnitude;

    return (x > y) - (x < y);
}

/* P(S <= observed), S the sum of a random subset of twice the ranks r2[0..n): each of the
 * 2^n sign patterns is as likely under the null hypothesis. Counts reach at most
 * 2^n <= 2^50 and are exact in a double. */
static double exact_p_below(const unsigned *r2, size_t n, unsigned observed)
{
    double count[SIGNED_RANK_EXACT_MAX * (SIGNED_RANK_EXACT_MAX + 1) + 1] = {1};
    size_t most = 0, k, s;
    double below = 0;

    for (k = 0; k < n; k++) {
        most += r2[k];
        for (s = most; s >= r2[k]; s--)
            count[s] += count[s - r2[k]];
    }
    for (s = 0; s <= observed; s++)
        below += count[s];
    return ldexp(below, -(int)n);
}

/* P(R+ <= r) by the normal approximation; `ties` is the sum of t^3 - t over the groups of t
 * tied magnitudes. */
static double normal_p_below(size_t n, double r, double ties)
{
    double m = (double)n, mean = m * (m + 1) / 4;
    double sd = sqrt((m * (m + 1) * (2 * m + 1) - ties / 2) / 24);

    return 0.5 * erfc(-((r - mean) / sd) / sqrt(2.0));
}

int signed_rank_p_below(double *p_out, const double *d, size_t n)
{
    difference *sorted = malloc(n * sizeof(*sorted));
    unsigned r2[SIGNED_RANK_EXACT_MAX], observed = 0; /* the nonzero d's doubled ranks */
    size_t i, j, k, nonzero = 0;
    double r_plus = 0, ties = 0;

    if (sorted == NULL)
        return -1;
    for (i = 0; i < n; i++) {
        sorted[i].magnitude = fabs(d[i]);
        sorted[i].d = d[i];
    }
    qsort(sorted, n, sizeof(*sorted), by_magnitude);
    for (i = 0; i < n; i = j) {
        size_t doubled_rank; /* the mean of the ranks i + 1 .. j, doubled: a whole number */
        double t;

        for (j = i + 1; j < n && sorted[j].magnitude == sorted[i].magnitude; j++)
            ;
        doubled_rank = i + 1 + j;
        t = (double)(j - i);
        ties += t * t * t - t;
        for (k = i; k < j; k++) {
            if (sorted[k].d > 0)
                r_plus += (double)doubled_rank / 2;
            else if (sorted[k].d == 0)
                r_plus += (double)doubled_rank / 4; /* zsplit: half the rank to R+ */
            if (n > SIGNED_RANK_EXACT_MAX || sorted[k].d == 0)
                continue;
            r2[nonzero++] = (unsigned)doubled_rank;
            if (sorted[k].d > 0)
                observed += (unsigned)doubled_rank;
        }
    }
    free(sorted);
    /* a zero's half rank is the same in every sign pattern: only the nonzero d's signs vary */
    *p_out = n <= SIGNED_RANK_EXACT_MAX ? exact_p_below(r2, nonzero, observed)
                                        : normal_p_below(n, r_plus, ties);
    return 0;
}
