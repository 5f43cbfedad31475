/* matmul_blas.c: the peer for forkband's matmul: cblas_dgemm (OpenBLAS) on the same
 * generated matrices (kernels/matgen.h), timed without generation; prints dgemm_s=... and
 * checks C against a sample of entries computed in plain double.
 * usage: matmul_blas N  (threads: OPENBLAS_NUM_THREADS) */
#include "runtime/compat.h"

#include "kernels/matgen.h"
#include "runtime/pool.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2048;
	double *a = malloc((size_t)n * n * sizeof(double)), *b = malloc((size_t)n * n * sizeof(double));
	double *c = calloc((size_t)n * n, sizeof(double)), worst = 0;
	uint64_t t0;

	if (n < 1 || !a || !b || !c)
		return 2;
	fb_matgen_fill(FB_MAT_RANDOM, (uint64_t)n, (uint64_t)n, 1, a);
	fb_matgen_fill(FB_MAT_RANDOM, (uint64_t)n, (uint64_t)n, 2, b);
	t0 = fb_now_ns();
	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a, n, b, n, 0.0, c, n);
	printf("dgemm_s=%.4f\n", (double)(fb_now_ns() - t0) / 1e9);
	/* BLAS may sum in another order: compare a few entries within rounding. */
	for (int s = 0; s < 16; s++) {
		int i = (s * 7919) % n, j = (s * 104729) % n;
		double ref = 0;

		for (int k = 0; k < n; k++)
			ref += a[(size_t)i * n + k] * b[(size_t)k * n + j];
		worst = fmax(worst, fabs(ref - c[(size_t)i * n + j]));
	}
	printf("max_sample_error=%.3g\n", worst);
	free(a);
	free(b);
	free(c);
	return worst < 1e-9 * n ? 0 : 1;
}
