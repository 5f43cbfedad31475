/* stats.h: the statistics of a scaling study, as plain functions of arrays.
 *
 * Robust statistics, because timing noise on a shared machine is one-sided and bursty:
 * medians rather than means, the median absolute deviation (MAD) rather than the
 * standard deviation, and outliers found by the modified z-score of Iglewicz and
 * Hoaglin, M = 0.6745 (x - median) / MAD, flagged when |M| > 3.5.
 */
#ifndef FORKBAND_STATS_H
#define FORKBAND_STATS_H

#include "runtime/compat.h"

#define FB_OUTLIER_Z 3.5

/* The median of v[0..n) (n >= 1); v is not modified. NAN for n == 0. */
double fb_median(const double *v, size_t n);

/* Median absolute deviation from m. */
double fb_mad(const double *v, size_t n, double m);

/* Modified z-score of x. When the MAD is 0 (more than half the values equal) the
 * mean absolute deviation stands in, scaled by 1.253314 so that both estimate the
 * same spread for normal data; when that is 0 too, every value equals the median and
 * the score is 0. meanad is the mean absolute deviation from the median. */
double fb_modified_z(double x, double median, double mad, double meanad);

/* Mean absolute deviation from m. */
double fb_meanad(const double *v, size_t n, double m);

/* Karp-Flatt experimentally determined serial fraction for speedup s on n workers:
 * e = (1/s - 1/n) / (1 - 1/n). NAN for n <= 1 or s not finite and positive. */
double fb_karp_flatt(double s, unsigned n);

#endif
