/* test_deep.c: a deep mandelbrot view's escape counts, computed per pixel in GNU MPFR at
 * ample precision, against forkband's output.iterations .npy.
 *
 * usage: test_deep NPY W H CX CY S R N [SAMPLES [PREC]]
 *
 * The spec of a deep pixel (docs/deep-zoom.md): d = strtold(S) / W in long double; pixel
 * (x, y), row 0 at the top, lies at dr = ((long double)x + 0.5L - W / 2.0L) * d and
 * di = (H / 2.0L - ((long double)y + 0.5L)) * d from the exact decimal center (CX, CY);
 * its count is the first k >= 1 with |z_k|^2 > R * R (the square in double, as forkband
 * computes it) under z_0 = 0, z' = z^2 + c, or 0 when there is none up to N. Here every
 * step is MPFR at PREC bits (default 128 + the bits below the pixel spacing + the bits
 * above the unit in the center), so the counts are the spec's in all but a vanishing
 * number of pixels, independently of how forkband computes them (perturbation in long
 * double).
 *
 * SAMPLES: 0 (the default) or at least W * H compares every pixel; fewer takes that many
 * spread evenly over the image in row-major order (a stride, so every run compares the
 * same pixels). The verdict: at least 99.9% of the samples identical and none off by
 * more than 1. The longest run of consecutive differing samples is reported too: a
 * glitch (a flat blob where orbits left the reference's) shows as a long run.
 *
 * The last line is one of figures for scripts: samples=, identical=, off_by_one=,
 * worse=, longest_run=, distinct= (how many different counts the MPFR pixels have: a
 * view of one count proves little), min=, max=, prec=. Exit 0: passed; 1: failed;
 * 2: bad arguments or a file that is not the expected .npy.
 */
#include "runtime/compat.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <mpfr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *prog = "test_deep";

static void usage(void)
{
	fprintf(stderr, "usage: %s NPY W H CX CY S R N [SAMPLES [PREC]]\n", prog);
	exit(2);
}

static unsigned long parse_ulong(const char *s, const char *what, unsigned long max)
{
	char *end;

	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max) {
		fprintf(stderr, "%s: %s: expected an integer up to %lu, got '%s'\n", prog, what,
			max, s);
		exit(2);
	}
	return v;
}

/* Reads a version 1.0 .npy of '<u4', C order, shape (h, w) into a new array. */
static uint32_t *read_npy(const char *path, unsigned long w, unsigned long h)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s: cannot open '%s': %s\n", prog, path, strerror(errno));
		exit(2);
	}
	unsigned char pre[10];
	char header[65536];
	if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY\x01\x00", 8)) {
		fprintf(stderr, "%s: '%s' is not a version 1.0 .npy\n", prog, path);
		exit(2);
	}
	size_t hlen = pre[8] | (size_t)pre[9] << 8;
	if (fread(header, 1, hlen, f) != hlen || (10 + hlen) % 64 || header[hlen - 1] != '\n') {
		fprintf(stderr, "%s: '%s': bad .npy header\n", prog, path);
		exit(2);
	}
	header[hlen] = 0;
	char want[128];
	snprintf(want, sizeof(want), "{'descr': '<u4', 'fortran_order': False, 'shape': (%lu, %lu), }",
		 h, w);
	if (strncmp(header, want, strlen(want))) {
		fprintf(stderr, "%s: '%s': header %s, expected %s\n", prog, path, header, want);
		exit(2);
	}
	uint32_t *a = malloc(w * h * sizeof(*a));
	unsigned char b[4];
	for (size_t i = 0; a && i < w * h; i++) {
		if (fread(b, 1, 4, f) != 4) {
			fprintf(stderr, "%s: '%s': short data\n", prog, path);
			exit(2);
		}
		a[i] = b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	}
	if (!a || fgetc(f) != EOF) {
		fprintf(stderr, "%s: '%s': %s\n", prog, path, a ? "data past the end" : "out of memory");
		exit(2);
	}
	fclose(f);
	return a;
}

/* The per-pixel state, allocated once: MPFR's cost at these sizes is mostly allocation
 * if the temporaries are not reused. */
struct pixel {
	mpfr_t cx, cy, cr, ci, zr, zi, x2, y2, t;
	double r2;
	uint32_t max_iter;
};

static uint32_t count(struct pixel *p, long double dr, long double di)
{
	mpfr_set_ld(p->t, dr, MPFR_RNDN);
	mpfr_add(p->cr, p->cx, p->t, MPFR_RNDN);
	mpfr_set_ld(p->t, di, MPFR_RNDN);
	mpfr_add(p->ci, p->cy, p->t, MPFR_RNDN);
	mpfr_set_zero(p->zr, 1);
	mpfr_set_zero(p->zi, 1);
	mpfr_set_zero(p->x2, 1);
	mpfr_set_zero(p->y2, 1);
	for (uint32_t k = 1; k <= p->max_iter; k++) {
		/* zi' = 2 zr zi + ci, zr' = zr^2 - zi^2 + cr, from the squares of the last
		 * escape test. */
		mpfr_mul(p->t, p->zr, p->zi, MPFR_RNDN);
		mpfr_mul_2ui(p->t, p->t, 1, MPFR_RNDN);
		mpfr_add(p->zi, p->t, p->ci, MPFR_RNDN);
		mpfr_sub(p->t, p->x2, p->y2, MPFR_RNDN);
		mpfr_add(p->zr, p->t, p->cr, MPFR_RNDN);
		mpfr_sqr(p->x2, p->zr, MPFR_RNDN);
		mpfr_sqr(p->y2, p->zi, MPFR_RNDN);
		mpfr_add(p->t, p->x2, p->y2, MPFR_RNDN);
		if (mpfr_cmp_d(p->t, p->r2) > 0)
			return k;
	}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc < 9 || argc > 11)
		usage();
	unsigned long w = parse_ulong(argv[2], "W", 1 << 16);
	unsigned long h = parse_ulong(argv[3], "H", 1 << 16);
	const char *cxs = argv[4], *cys = argv[5], *ss = argv[6];
	char *end;
	long double s = strtold(ss, &end);
	if (end == ss || *end || !(s > 0) || isinf(s)) {
		fprintf(stderr, "%s: S: expected a positive number, got '%s'\n", prog, ss);
		exit(2);
	}
	double r = strtod(argv[7], &end);
	if (end == argv[7] || *end || !(r > 0)) {
		fprintf(stderr, "%s: R: expected a positive number, got '%s'\n", prog, argv[7]);
		exit(2);
	}
	unsigned long n = parse_ulong(argv[8], "N", UINT32_MAX - 1);
	unsigned long npix = w * h;
	unsigned long samples = argc > 9 ? parse_ulong(argv[9], "SAMPLES", ULONG_MAX) : 0;
	if (w == 0 || h == 0)
		usage();
	if (samples == 0 || samples > npix)
		samples = npix;
	uint32_t *theirs = read_npy(argv[1], w, h);

	long double d = s / w;
	/* The working precision: the bits from the center's leading bit down to the pixel
	 * spacing, and 128 more for the rounding errors a few thousand steps amplify
	 * (an orbit's derivative with respect to c stays near 1 / d until it escapes). */
	mpfr_t probe;
	mpfr_init2(probe, 64);
	long emax = 1;
	for (int i = 0; i < 2; i++) {
		if (mpfr_set_str(probe, i ? cys : cxs, 10, MPFR_RNDN)) {
			fprintf(stderr, "%s: %s: not a decimal number: '%s'\n", prog, i ? "CY" : "CX",
				i ? cys : cxs);
			exit(2);
		}
		if (!mpfr_zero_p(probe) && mpfr_get_exp(probe) > emax)
			emax = mpfr_get_exp(probe);
	}
	mpfr_clear(probe);
	long prec = 128 + emax - ilogbl(d);
	if (argc > 10)
		prec = (long)parse_ulong(argv[10], "PREC", MPFR_PREC_MAX);
	if (prec < 128)
		prec = 128;

	struct pixel p = { .r2 = r * r, .max_iter = (uint32_t)n };
	mpfr_inits2(prec, p.cx, p.cy, p.cr, p.ci, p.zr, p.zi, p.x2, p.y2, p.t, (mpfr_ptr)0);
	mpfr_set_str(p.cx, cxs, 10, MPFR_RNDN);
	mpfr_set_str(p.cy, cys, 10, MPFR_RNDN);

	uint32_t *mine = malloc(samples * sizeof(*mine));
	if (!mine) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(2);
	}
	unsigned long identical = 0, off1 = 0, worse = 0, run = 0, longest = 0;
	unsigned long worst_i = 0;
	uint32_t worst_diff = 0, worst_mine = 0;
	for (unsigned long j = 0; j < samples; j++) {
		/* Evenly spread: sample j is pixel floor(j * npix / samples). */
		unsigned long i = (unsigned long)((unsigned __int128)j * npix / samples);
		unsigned long x = i % w, y = i / w;
		long double dr = ((long double)x + 0.5L - w / 2.0L) * d;
		long double di = (h / 2.0L - ((long double)y + 0.5L)) * d;
		uint32_t k = count(&p, dr, di);
		uint32_t diff = k > theirs[i] ? k - theirs[i] : theirs[i] - k;
		mine[j] = k;
		if (diff == 0) {
			identical++;
			run = 0;
			continue;
		}
		if (diff == 1)
			off1++;
		else
			worse++;
		if (++run > longest)
			longest = run;
		if (diff > worst_diff) {
			worst_diff = diff;
			worst_i = i;
			worst_mine = k;
		}
	}

	qsort(mine, samples, sizeof(*mine), cmp_u32);
	unsigned long distinct = 1;
	for (unsigned long j = 1; j < samples; j++)
		distinct += mine[j] != mine[j - 1];
	/* 99.9% identical, in integers: 1000 * identical >= 999 * samples. */
	bool pass = worse == 0 && 1000 * identical >= 999 * samples;
	printf("%s: %lux%lu at (%s, %s) scale %s, bailout %g, max_iter %lu: %lu samples at %ld bits\n",
	       prog, w, h, cxs, cys, ss, r, n, samples, prec);
	printf("%s: identical %lu (%.3f%%), off by one %lu, worse %lu; longest run of differing samples %lu\n",
	       prog, identical, 100.0 * identical / samples, off1, worse, longest);
	if (worst_diff > 1)
		printf("%s: worst pixel (%lu, %lu): mpfr %" PRIu32 ", forkband %" PRIu32 "\n", prog,
		       worst_i % w, worst_i / w, worst_mine, theirs[worst_i]);
	printf("samples=%lu identical=%lu off_by_one=%lu worse=%lu longest_run=%lu distinct=%lu min=%" PRIu32
	       " max=%" PRIu32 " prec=%ld %s\n",
	       samples, identical, off1, worse, longest, distinct, mine[0], mine[samples - 1], prec,
	       pass ? "pass" : "FAIL");
	mpfr_clears(p.cx, p.cy, p.cr, p.ci, p.zr, p.zi, p.x2, p.y2, p.t, (mpfr_ptr)0);
	mpfr_free_cache();
	free(mine);
	free(theirs);
	return pass ? 0 : 1;
}
