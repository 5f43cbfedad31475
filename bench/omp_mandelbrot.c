/* omp_mandelbrot.c: the OpenMP baseline that forkband's Mandelbrot is timed against.
 *
 * usage: omp_mandelbrot [--shared] [--check] WIDTH HEIGHT MAX_ITER CX CY SCALE OUT.png
 *                       [THREADS]
 *
 * The job is forkband's mandelbrot kernel with bailout 2, smooth colouring and the
 * classic palette (configs/mandelbrot.json), computed the way an OpenMP programmer would
 * write it: threads sharing ordinary heap memory, rows handed out by
 * schedule(dynamic, chunk) with forkband's default chunk, rows / (16 * threads), then
 * coloured by a second such loop and written serially by libpng (png_write_row) at
 * forkband's default level and filter (fb_png_encode_libpng()).
 *
 * The arithmetic is the spec of kernels/mandelbrot.c, expression for expression, built
 * with the same flags (forkband_options, so -ffp-contract=off): the escape counts, the
 * totals and the decoded pixels are identical to forkband's for the same job. --check
 * writes the PNG with forkband's own encoder instead (in this process: the bytes are
 * those of any worker count), so that every chunk from the first IDAT on must equal
 * forkband's file (bench/run_omp_compare.sh checks this once, untimed); only the tEXt
 * chunks differ.
 *
 * --shared maps the three image buffers with shared_malloc() (MAP_SHARED|MAP_ANONYMOUS)
 * as forkband does, instead of malloc(): the one difference between the programs that is
 * not the parallel runtime, measured on its own (docs/performance.md).
 *
 * Prints one line on stdout, key=value pairs: threads, chunk, compute_s, colour_s,
 * write_s, total_s (allocation to the end of the write, like forkband's wall_s), and the
 * inside/escaped/iterations totals that forkband reports.
 */
#include "runtime/compat.h"

#include "kernels/colormap.h"
#include "io/outfile.h"
#include "io/png_write.h"
#include "kernels/escape.h"
#include "runtime/error.h"
#include "runtime/pool.h"
#include "runtime/schedule.h"
#include "runtime/shared_mem.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* forkband's defaults for the parameters this baseline does not take. */
#define BAILOUT 2.0
#define PALETTE FB_PALETTE_DEFAULT

static const char usage[] =
	"usage: omp_mandelbrot [--shared] [--check] WIDTH HEIGHT MAX_ITER CX CY SCALE OUT.png "
	"[THREADS]\n";

static double seconds(uint64_t t0, uint64_t t1)
{
	return (double)(t1 - t0) / 1e9;
}

static int parse_u32(const char *s, const char *what, uint32_t min, uint32_t max,
		     uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return fb_error("%s: expected an integer from %u to %u, got '%s'", what, min, max, s);
	*out = (uint32_t)v;
	return 0;
}

static int parse_double(const char *s, const char *what, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(*out))
		return fb_error("%s: expected a finite number, got '%s'", what, s);
	return 0;
}

/* size bytes from malloc(), or with shared; the memory is not zeroed for malloc(). */
static void *alloc_buf(size_t size, bool shared)
{
	return shared ? shared_malloc(size) : malloc(size);
}

static void free_buf(void *p, size_t size, bool shared)
{
	if (shared)
		shared_free(p, size);
	else
		free(p);
}


int main(int argc, char **argv)
{
	uint32_t w, h, max_iter, threads, chunk;
	double cx, cy, scale, d, r2 = BAILOUT * BAILOUT, log_r = log(BAILOUT);
	double half_w, half_h;
	const char *out;
	uint32_t *counts;
	float *frac;
	uint8_t *rgb;
	size_t pixels;
	uint64_t inside = 0, escaped = 0, iterations = 0;
	uint64_t t_start, t_compute, t_colour, t_write;
	static const struct fb_png_text text[] = {
		{ "Software", "omp_mandelbrot (forkband bench)" },
	};
	bool shared = false, check = false;
	struct fb_bytes png;
	struct fb_image img;

	fb_error_set_program("omp_mandelbrot");
	for (; argc > 1 && strncmp(argv[1], "--", 2) == 0; argc--, argv++) {
		if (strcmp(argv[1], "--shared") == 0)
			shared = true;
		else if (strcmp(argv[1], "--check") == 0)
			check = true;
		else
			break;
	}
	if (argc != 8 && argc != 9) {
		fputs(usage, stderr);
		return 2;
	}
	threads = (uint32_t)omp_get_max_threads();
	if (parse_u32(argv[1], "WIDTH", 1, 1u << 20, &w) < 0 ||
	    parse_u32(argv[2], "HEIGHT", 1, 1u << 20, &h) < 0 ||
	    parse_u32(argv[3], "MAX_ITER", 1, 1000000000, &max_iter) < 0 ||
	    parse_double(argv[4], "CX", &cx) < 0 || parse_double(argv[5], "CY", &cy) < 0 ||
	    parse_double(argv[6], "SCALE", &scale) < 0 ||
	    (argc == 9 && parse_u32(argv[8], "THREADS", 1, 4096, &threads) < 0))
		return 2;
	if (!(scale > 0)) {
		fb_error("SCALE: expected a positive number, got '%s'", argv[6]);
		return 2;
	}
	out = argv[7];
	omp_set_num_threads((int)threads);
	chunk = fb_schedule_default_chunk(FB_SCHED_DYNAMIC, h, threads);

	t_start = fb_now_ns();
	d = scale / w;
	half_w = w / 2.0;
	half_h = h / 2.0;
	/* w, h <= 2^20 each: no size_t overflow on a 64-bit machine. Uninitialised is
	 * fine: every element is written before it is read. Either way the pages are
	 * faulted in during the loops, as forkband's fresh shared mappings are. */
	pixels = (size_t)w * h;
	counts = alloc_buf(pixels * sizeof(*counts), shared);
	frac = alloc_buf(pixels * sizeof(*frac), shared);
	rgb = alloc_buf(pixels * 3, shared);
	if (!counts || !frac || !rgb) {
		fb_error("out of memory for a %ux%u image", w, h);
		return 1;
	}

	/* Rows, not pixels, are the unit of work, as in forkband; the first parallel
	 * region also starts the thread team, as forkband's compute phase includes its
	 * forks. */
#pragma omp parallel for schedule(dynamic, chunk) reduction(+ : inside, escaped, iterations)
	for (uint32_t y = 0; y < h; y++) {
		double ci = cy + (half_h - (y + 0.5)) * d;
		uint32_t *row = counts + (size_t)y * w;
		float *frow = frac + (size_t)y * w;

		for (uint32_t x = 0; x < w; x++) {
			double cr = cx + (x + 0.5 - half_w) * d;
			double mag2 = 0;
			uint32_t k = fb_escape_count(0, 0, cr, ci, max_iter, r2, &mag2);
			double f = 0;

			row[x] = k;
			if (k == 0) {
				inside++;
				iterations += max_iter;
				frow[x] = 0;
				continue;
			}
			escaped++;
			iterations += k;
			/* mu = k - log2(log|z_k| / log R); store the part subtracted from k. */
			if (log_r > 0)
				f = log2(0.5 * log(mag2) / log_r);
			frow[x] = (float)(f > 0 ? f : 0);
		}
	}
	t_compute = fb_now_ns();

#pragma omp parallel for schedule(dynamic, chunk)
	for (uint32_t y = 0; y < h; y++) {
		size_t base = (size_t)y * w;

		for (uint32_t x = 0; x < w; x++) {
			uint32_t k = counts[base + x];
			uint8_t *px = rgb + 3 * (base + x);
			double mu;

			if (k == 0) {
				px[0] = px[1] = px[2] = 0;
				continue;
			}
			/* As forkband computes it: in double (k is exact, the fraction widened). */
			mu = (double)k - frac[base + x];
			fb_palette_cyclic(PALETTE, log2(mu + 1) * 0.5, px);
		}
	}
	t_colour = fb_now_ns();

	img = (struct fb_image){ w, h, 3, 8, rgb };
	if ((check ? fb_png_encode_image(out, &img, text, FB_ARRAY_LEN(text), &png)
		   : fb_png_encode_libpng(out, &img, text, FB_ARRAY_LEN(text), NULL, &png)) < 0 ||
	    fb_write_bytes(out, png.data, png.len) < 0)
		return 1;
	free(png.data);
	t_write = fb_now_ns();

	printf("threads=%u chunk=%u compute_s=%.6f colour_s=%.6f write_s=%.6f total_s=%.6f "
	       "inside=%llu escaped=%llu iterations=%llu\n",
	       threads, chunk, seconds(t_start, t_compute), seconds(t_compute, t_colour),
	       seconds(t_colour, t_write), seconds(t_start, t_write),
	       (unsigned long long)inside, (unsigned long long)escaped,
	       (unsigned long long)iterations);
	free_buf(counts, pixels * sizeof(*counts), shared);
	free_buf(frac, pixels * sizeof(*frac), shared);
	free_buf(rgb, pixels * 3, shared);
	return 0;
}
