/* escape_rate.c: how fast each escape row loop iterates, in one process.
 *
 * usage: escape_rate [ROUNDS [CONFIG]]   (default 7 rounds of configs/mandelbrot.json)
 *
 * Computes every row of the job's image with each loop of kernels/escape_row.h that
 * this CPU runs: scalar, SSE2, AVX2 and AVX-512 in exact arithmetic, and AVX2 and AVX-512
 * fast (FMA). The
 * unit is lane-iterations per second: the sum over pixels of the escape count, or
 * max_iter for inside pixels, divided by the time; the work the scalar loop does, so
 * the rates compare directly. Rounds alternate the loops (each round starts with the
 * next one, so no loop always runs first or last), and each round also divides every
 * loop's rate by scalar's in the same round, so a machine that speeds up or slows down
 * between rounds moves both. Medians over the rounds are printed.
 *
 * It also checks, once, that every exact loop's counts and |z|^2 equal scalar's bit for
 * bit (exit 1 if not), and says on how many pixels fast's counts differ.
 *
 * Only the row loops are timed: no fork, no colouring, no PNG (forkband run -q
 * --report for those).
 */
#include "runtime/compat.h"

#include "io/config.h"
#include "kernels/escape.h"
#include "kernels/escape_row.h"
#include "kernels/isa.h"
#include "runtime/error.h"
#include "runtime/pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUNDS 101

struct variant {
	const char *name;
	enum fb_isa isa;
	bool fast;
	fb_escape_row_fn *fn;
	double rate[MAX_ROUNDS], ratio[MAX_ROUNDS];
	uint64_t lane_iters;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v, unsigned n)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* The whole image with fn, as compute_rows() in kernels/escape.c walks it; returns the
 * lane-iterations. */
static uint64_t image(fb_escape_row_fn *fn, const struct fb_job *job, uint32_t *counts,
		      double *mag2)
{
	const struct escape_params *p = job->params;
	double d = p->scale / job->width, half_h = job->height / 2.0;
	struct fb_escape_row r = {
		.center_re = p->center[0], .half_w = job->width / 2.0, .d = d,
		.cr = p->c[0], .ci = p->c[1], .r2 = p->bailout * p->bailout,
		.max_iter = (uint32_t)p->max_iter, .julia = strcmp(job->kernel->name, "julia") == 0,
	};
	uint64_t sum = 0;

	for (uint32_t y = 0; y < job->height; y++) {
		size_t at = (size_t)y * job->width;

		r.im = p->center[1] + (half_h - (y + 0.5)) * d;
		fn(&r, 0, job->width, counts + at, mag2 + at);
		for (uint32_t x = 0; x < job->width; x++)
			sum += counts[at + x] ? counts[at + x] : r.max_iter;
	}
	return sum;
}

int main(int argc, char **argv)
{
	const char *path = argc > 2 ? argv[2] : "configs/mandelbrot.json";
	unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 7;
	struct variant all[] = {
		{ .name = "scalar", .isa = FB_ISA_SCALAR },
		{ .name = "sse2", .isa = FB_ISA_SSE2 },
		{ .name = "avx2", .isa = FB_ISA_AVX2 },
		{ .name = "avx2 fast", .isa = FB_ISA_AVX2, .fast = true },
		{ .name = "avx512", .isa = FB_ISA_AVX512 },
		{ .name = "avx512 fast", .isa = FB_ISA_AVX512, .fast = true },
	};
	struct variant *v[FB_ARRAY_LEN(all)];
	size_t nv = 0, px;
	struct fb_batch batch = { 0 };
	const struct fb_job *job;
	uint32_t *counts, *ref_counts;
	double *mag2, *ref_mag2;
	int status = 0;

	fb_error_set_program("escape_rate");
	if (rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: escape_rate [ROUNDS (1 to %d) [CONFIG]]\n", MAX_ROUNDS);
		return 2;
	}
	if (fb_config_load(path, NULL, 0, &batch) < 0)
		return 2;
	job = &batch.job[0];
	if (strcmp(job->kernel->name, "mandelbrot") != 0 && strcmp(job->kernel->name, "julia") != 0) {
		fb_error("%s: not an escape-time job (mandelbrot or julia)", path);
		return 2;
	}
	for (size_t i = 0; i < FB_ARRAY_LEN(all); i++) {
		if (!fb_isa_supported(all[i].isa) ||
		    (all[i].fast && !fb_escape_row_has_fast(all[i].isa))) {
			printf("%-11s  skipped: this CPU lacks it\n", all[i].name);
			continue;
		}
		all[i].fn = fb_escape_row_for(all[i].isa, all[i].fast);
		v[nv++] = &all[i];
	}
	px = (size_t)job->width * job->height;
	counts = malloc(px * sizeof(*counts));
	mag2 = malloc(px * sizeof(*mag2));
	ref_counts = malloc(px * sizeof(*ref_counts));
	ref_mag2 = malloc(px * sizeof(*ref_mag2));
	if (!counts || !mag2 || !ref_counts || !ref_mag2) {
		fb_error("out of memory");
		return 1;
	}

	/* The check, which is also a warm-up round. */
	image(fb_escape_row_scalar, job, ref_counts, ref_mag2);
	for (size_t i = 0; i < nv; i++) {
		size_t diff = 0, kdiff = 0;

		v[i]->lane_iters = image(v[i]->fn, job, counts, mag2);
		for (size_t j = 0; j < px; j++) {
			kdiff += counts[j] != ref_counts[j];
			diff += counts[j] != ref_counts[j] ||
				memcmp(&mag2[j], &ref_mag2[j], sizeof(double)) != 0;
		}
		if (v[i]->fast) {
			printf("%-11s  counts differ from exact on %zu of %zu pixels (%.3f%%), "
			       "counts or |z|^2 on %zu\n", v[i]->name, kdiff, px,
			       100.0 * (double)kdiff / (double)px, diff);
		} else if (diff) {
			printf("%-11s  FAILS: %zu of %zu pixels differ from scalar\n", v[i]->name, diff, px);
			status = 1;
		}
	}

	for (unsigned r = 0; r < rounds; r++) {
		double secs[FB_ARRAY_LEN(all)];
		size_t scalar = 0;

		for (size_t n = 0; n < nv; n++) {
			size_t i = (r + n) % nv;
			uint64_t t0 = fb_now_ns();

			image(v[i]->fn, job, counts, mag2);
			secs[i] = (double)(fb_now_ns() - t0) / 1e9;
		}
		for (size_t i = 0; i < nv; i++) {
			v[i]->rate[r] = (double)v[i]->lane_iters / secs[i];
			if (v[i]->isa == FB_ISA_SCALAR)
				scalar = i;
		}
		for (size_t i = 0; i < nv; i++)
			v[i]->ratio[r] = v[i]->rate[r] / v[scalar]->rate[r];
	}

	printf("%s: %ux%u %s, max_iter %lld, %u rounds, one process\n", path, job->width,
	       job->height, job->kernel->name,
	       (long long)((const struct escape_params *)job->params)->max_iter, rounds);
	printf("%-11s  %14s  %12s  %10s\n", "loop", "lane-iters", "Giter/s", "x scalar");
	for (size_t i = 0; i < nv; i++)
		printf("%-11s  %14llu  %12.3f  %10.2f\n", v[i]->name,
		       (unsigned long long)v[i]->lane_iters, median(v[i]->rate, rounds) / 1e9,
		       median(v[i]->ratio, rounds));
	free(counts);
	free(mag2);
	free(ref_counts);
	free(ref_mag2);
	fb_batch_free(&batch);
	return status;
}
