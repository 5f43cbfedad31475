/* stats.c: medians, deviations, z-scores, Karp-Flatt. */
#include "runtime/compat.h"

#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double fb_median(const double *v, size_t n)
{
	double *s, m;

	if (n == 0)
		return NAN;
	s = malloc(n * sizeof(*s));
	if (!s)
		abort();	/* a handful of doubles: failing here means the process is lost */
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return m;
}

double fb_mad(const double *v, size_t n, double m)
{
	double *d, mad;

	if (n == 0)
		return NAN;
	d = malloc(n * sizeof(*d));
	if (!d)
		abort();
	for (size_t i = 0; i < n; i++)
		d[i] = fabs(v[i] - m);
	mad = fb_median(d, n);
	free(d);
	return mad;
}

double fb_meanad(const double *v, size_t n, double m)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += fabs(v[i] - m);
	return n ? sum / n : NAN;
}

double fb_modified_z(double x, double median, double mad, double meanad)
{
	if (mad > 0)
		return 0.6745 * (x - median) / mad;
	if (meanad > 0)
		return (x - median) / (1.253314 * meanad);
	return 0;
}

double fb_karp_flatt(double s, unsigned n)
{
	if (n <= 1 || !(s > 0) || !isfinite(s))
		return NAN;
	return (1 / s - 1.0 / n) / (1 - 1.0 / n);
}
