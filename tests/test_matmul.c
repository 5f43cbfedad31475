/* test_matmul.c: with the exact engine, C = A B equals a plain triple loop bit for bit
 * (the same additions in the same order); with the blas engine (OpenBLAS dgemm on fixed
 * bands of rows), C is within rounding of the triple loop: |C - ref| <= 4 k eps (|A||B|)
 * entry by entry, the standard bound for a dot product of length k. Either way known
 * products come out right (identity, ones, Hilbert), the totals match C, and C is
 * identical at every worker count and schedule (for blas, matrices of several bands:
 * OpenBLAS's rows depend on how they are grouped into calls). Jobs are given as JSON, as
 * forkband reads them: generated matrices and a .npy file. The zone plate generator
 * follows its formula, and the product of two is the saddle its header promises. */
#include "runtime/compat.h"

#include "check.h"
#include "io/config.h"
#include "io/npy.h"
#include "kernels/kernel.h"
#include "kernels/matgen.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Runs the job on the pool; returns a copy of C and fills the totals. */
static double *run(const struct fb_job *job, unsigned workers, enum fb_schedule s,
		   uint32_t chunk, struct fb_total *t, size_t *nt)
{
	const struct fb_kernel *k = job->kernel;
	struct fb_pool_options opt = { .workers = workers, .schedule = s, .chunk = chunk };
	struct fb_kernel_output out;
	struct fb_pass pass;
	void *state = NULL;
	double *c;

	if (k->create(&state, job->params, job->width, job->height, NULL) < 0)
		return NULL;
	for (unsigned i = 0; k->pass(state, i, &pass); i++) {
		struct fb_pass_stats st;

		if (fb_pool_run(&opt, &pass, &st) < 0) {
			k->destroy(state);
			return NULL;
		}
		fb_pass_stats_free(&st);
		k->after_pass(state, i);
	}
	k->output(state, &out);
	c = malloc((size_t)job->width * job->height * sizeof(double));
	memcpy(c, out.raw, (size_t)job->width * job->height * sizeof(double));
	*nt = k->totals(state, t, 8);
	k->destroy(state);
	return c;
}

static double total(const struct fb_total *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return t[i].d;
	return NAN;
}

/* The totals forkband folds (per row, rows in order) computed from C. */
static void fold_totals(const double *c, uint64_t n, uint64_t m, double *sum, double *sq,
			double *trace, double *lo, double *hi)
{
	*sum = *sq = *trace = 0;
	*lo = INFINITY;
	*hi = -INFINITY;
	for (uint64_t i = 0; i < n; i++) {
		double rs = 0, rq = 0;

		for (uint64_t j = 0; j < m; j++) {
			double v = c[i * m + j];

			rs += v;
			rq += v * v;
			*lo = v < *lo ? v : *lo;
			*hi = v > *hi ? v : *hi;
		}
		*sum += rs;
		*sq += rq;
		*trace += i < m ? c[i * m + i] : 0;
	}
}

/* One job on one engine: checks C against the triple loop over the job's own A and B. */
static void product(const char *a, const char *b, const char *what, const char *engine)
{
	char text[1024];
	struct fb_batch batch;
	const struct fb_matsrc *A, *B;
	double *ref, *bound, *first = NULL, sum, sq, trace, lo, hi;
	bool exact = strcmp(engine, "exact") == 0;
	uint64_t n, k, m;
	size_t off = 0;

	snprintf(text, sizeof(text),
		 "{\"kernel\":\"matmul\",\"params\":{\"a\":%s,\"b\":%s,\"engine\":\"%s\"}}", a, b,
		 engine);
	if (fb_config_parse("test", text, strlen(text), NULL, 0, &batch) < 0) {
		CHECK(0, "%s: config refused", what);
		return;
	}
	A = batch.job[0].params;
	B = A + 1;	/* struct matmul_params { a, b, ... } */
	n = A->rows, k = A->cols, m = B->cols;
	ref = calloc(n * m, sizeof(double));
	bound = calloc(n * m, sizeof(double));
	for (uint64_t i = 0; i < n; i++)
		for (uint64_t j = 0; j < m; j++) {
			double c = 0, abs_c = 0;

			for (uint64_t kk = 0; kk < k; kk++) {
				c += A->data[i * k + kk] * B->data[kk * m + j];
				abs_c += fabs(A->data[i * k + kk] * B->data[kk * m + j]);
			}
			ref[i * m + j] = c;
			bound[i * m + j] = 4.0 * (double)k * DBL_EPSILON * abs_c;
		}
	/* Every schedule at 1, 3, 5, 7 workers with the default chunk, and at 3 with
	 * chunks of 1 and 100 rows (for blas, rounded up to whole bands). */
	for (unsigned v = 0; v < 6; v++) {
		unsigned w = v < 4 ? 1 + 2 * v : 3;
		uint32_t chunk = v < 4 ? 0 : v == 4 ? 1 : 100;

#ifdef __SANITIZE_ADDRESS__
		if (v == 2 || v == 3 || v == 5)
			continue;	/* a sanitizer build: 1 and 3 workers, chunk 1 */
#endif
		for (int s = 0; s < FB_SCHED_COUNT; s++) {
			struct fb_total t[8];
			size_t nt = 0;
			double *c = run(&batch.job[0], w, (enum fb_schedule)s, chunk, t, &nt);

			CHECK(c != NULL, "%s: run failed", what);
			if (!c)
				continue;
			if (!first) {
				first = c;
				for (off = 0; off < n * m; off++)
					if (exact ? memcmp(&c[off], &ref[off], sizeof(double)) != 0
						  : !(fabs(c[off] - ref[off]) <= bound[off]))
						break;
				CHECK(off == n * m, "%s, %s: C[%zu][%zu] = %.17g, the triple loop "
				      "%.17g", what, engine, off / m, off % m, c[off], ref[off]);
			} else {
				CHECK(memcmp(c, first, n * m * sizeof(double)) == 0,
				      "%s, %s: -j %u %s chunk %u differs from -j 1 static", what,
				      engine, w, fb_schedule_name((enum fb_schedule)s), chunk);
			}
			fold_totals(c, n, m, &sum, &sq, &trace, &lo, &hi);
			CHECK(total(t, nt, "sum") == sum && total(t, nt, "min") == lo &&
				      total(t, nt, "max") == hi && total(t, nt, "frobenius") == sqrt(sq),
			      "%s, %s: totals differ from C's", what, engine);
			if (n == m)
				CHECK(total(t, nt, "trace") == trace, "%s, %s: trace", what, engine);
			if (c != first)
				free(c);
		}
	}
	printf("  %-28s %-5s %llux%llu x %llux%llu: %s, the same at every -j and schedule\n",
	       what, engine, (unsigned long long)n, (unsigned long long)k,
	       (unsigned long long)k, (unsigned long long)m,
	       exact ? "the triple loop's bits" : "within rounding of the triple loop");
	free(first);
	free(ref);
	free(bound);
	fb_batch_free(&batch);
}

/* Both engines. */
static void products(const char *a, const char *b, const char *what)
{
	product(a, b, what, "exact");
	product(a, b, what, "blas");
}

/* The zone plate, plainly: phase 2 pi 32 r^2 at the cell's centre, measured from the
 * matrix's centre in units of its height and width. */
static double zoneplate_ref(uint64_t i, uint64_t j, uint64_t rows, uint64_t cols)
{
	double x = (i + 0.5) / rows - 0.5, y = (j + 0.5) / cols - 0.5;

	return cos(2 * M_PI * 32 * (x * x + y * y));
}

/* The generator against its formula (the last bits may differ: another order of the
 * same operations); then C = Z(R x K) Z(K x C) against the identity that makes it a
 * picture: with p(u) = 64 pi u^2, cos(p(x) + p(t)) cos(p(t) + p(y)) summed over t is
 * (K / 2) cos(p(x) - p(y)) plus (1/2) Re(e^(i (p(x) + p(y))) S), S = sum of e^(2i p(t)):
 * the saddle's hyperbolae plus rings no stronger than |S| / 2, which must be small
 * beside K / 2 for the hyperbolae to show. */
static void test_zoneplate(void)
{
	enum { R = 45, K = 70, C = 50 };	/* K = 64 would cancel the rings exactly */
	double *a = malloc(R * K * sizeof(double)), *b = malloc(K * C * sizeof(double));
	double *c, worst = 0, worst_gen = 0, sr = 0, si = 0, rings;
	char text[256];
	struct fb_batch batch;
	struct fb_total t[8];
	size_t nt;

	fb_matgen_fill(FB_MAT_ZONEPLATE, R, K, 0, a);
	fb_matgen_fill(FB_MAT_ZONEPLATE, K, C, 99, b);	/* the seed plays no part */
	for (uint64_t i = 0; i < R; i++)
		for (uint64_t j = 0; j < K; j++)
			worst_gen = fmax(worst_gen, fabs(a[i * K + j] - zoneplate_ref(i, j, R, K)));
	for (uint64_t i = 0; i < K; i++)
		for (uint64_t j = 0; j < C; j++)
			worst_gen = fmax(worst_gen, fabs(b[i * C + j] - zoneplate_ref(i, j, K, C)));
	CHECK(worst_gen <= 1e-12, "zoneplate: %g from its formula", worst_gen);
	CHECK(a[(R / 2) * K + K / 2] > 0.99, "zoneplate: the centre is not a crest");

	for (uint64_t k = 0; k < K; k++) {
		double u = (k + 0.5) / K - 0.5;

		sr += cos(2 * 64 * M_PI * u * u);
		si += sin(2 * 64 * M_PI * u * u);
	}
	rings = sqrt(sr * sr + si * si) / 2;
	snprintf(text, sizeof(text), "{\"kernel\":\"matmul\",\"params\":{"
		 "\"a\":{\"generate\":\"zoneplate\",\"rows\":%d,\"cols\":%d},"
		 "\"b\":{\"generate\":\"zoneplate\",\"rows\":%d,\"cols\":%d}}}", R, K, K, C);
	if (fb_config_parse("test", text, strlen(text), NULL, 0, &batch) < 0) {
		CHECK(0, "zoneplate: config refused");
		goto out;
	}
	if (!(c = run(&batch.job[0], 3, FB_SCHED_DYNAMIC, 0, t, &nt))) {
		CHECK(0, "zoneplate: the job failed");
	} else {
		for (uint64_t i = 0; i < R; i++)
			for (uint64_t j = 0; j < C; j++) {
				double x = (i + 0.5) / R - 0.5, y = (j + 0.5) / C - 0.5;
				double saddle = K / 2.0 * cos(64 * M_PI * (x * x - y * y));

				worst = fmax(worst, fabs(c[i * C + j] - saddle));
			}
		CHECK(worst <= rings + 1e-9 * K, "zoneplate product: %g from the saddle, more "
		      "than the rings' %g", worst, rings);
		CHECK(rings * 5 <= K / 2.0, "zoneplate product: rings of %g against a saddle of "
		      "%g", rings, K / 2.0);
		printf("  zoneplate: the formula within %.1e; the product of two is the saddle "
		       "(amplitude %g) within %.3g (rings of %.3g)\n", worst_gen, K / 2.0, worst,
		       rings);
		free(c);
	}
	fb_batch_free(&batch);
out:
	free(a);
	free(b);
}

int main(void)
{
	char path[64] = "/tmp/fb-matmul-XXXXXX.npy", spec[160];
	double h[12];
	int fd;

	products("{\"generate\":\"random\",\"rows\":37,\"cols\":131,\"seed\":1}",
		 "{\"generate\":\"random\",\"rows\":131,\"cols\":600,\"seed\":2}", "random");
	/* Three bands of the blas engine (256 + 256 + 93 rows). */
	products("{\"generate\":\"random\",\"rows\":605,\"cols\":70,\"seed\":5}",
		 "{\"generate\":\"random\",\"rows\":70,\"cols\":45,\"seed\":6}", "random, 3 bands");
	products("{\"generate\":\"random\",\"rows\":50,\"cols\":50,\"seed\":3}",
		"{\"generate\":\"identity\",\"rows\":50,\"cols\":50}", "random x identity");
	products("{\"generate\":\"ones\",\"rows\":9,\"cols\":70}",
		"{\"generate\":\"ones\",\"rows\":70,\"cols\":3}", "ones x ones");
	products("{\"generate\":\"zoneplate\",\"rows\":40,\"cols\":33}",
		 "{\"generate\":\"zoneplate\",\"rows\":33,\"cols\":51}", "zoneplate x zoneplate");
	products("{\"generate\":\"hilbert\",\"rows\":1,\"cols\":1}",
		"{\"generate\":\"hilbert\",\"rows\":1,\"cols\":1}", "1x1");
	/* A from a .npy file: a 3x4 Hilbert matrix written by forkband's own writer. */
	fd = mkstemps(path, 4);
	if (fd >= 0)
		close(fd);
	fb_matgen_fill(FB_MAT_HILBERT, 3, 4, 0, h);
	CHECK(fb_npy_write(path, "<f8", 8, 3, 4, h) == 0, "cannot write %s", path);
	snprintf(spec, sizeof(spec), "{\"npy\":\"%s\"}", path);
	products(spec, "{\"generate\":\"identity\",\"rows\":4,\"cols\":4}", "npy hilbert x identity");
	unlink(path);

	/* Known values: ones(9x70) ones(70x3) is 70 everywhere; the generators' facts. */
	{
		double one[6], id[9], hil[4];

		fb_matgen_fill(FB_MAT_ONES, 2, 3, 0, one);
		fb_matgen_fill(FB_MAT_IDENTITY, 3, 3, 0, id);
		fb_matgen_fill(FB_MAT_HILBERT, 2, 2, 0, hil);
		CHECK(one[5] == 1 && id[4] == 1 && id[1] == 0 && hil[3] == 1.0 / 3, "generators");
		fb_matgen_fill(FB_MAT_RANDOM, 1, 6, 7, one);
		for (int i = 0; i < 6; i++)
			CHECK(one[i] >= -1 && one[i] < 1, "random value %g outside [-1, 1)", one[i]);
	}
	test_zoneplate();
	return check_exit("test_matmul");
}
