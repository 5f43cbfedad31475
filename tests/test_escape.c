/* test_escape.c: the mandelbrot and julia kernels' counts, totals and pixels equal the
 * serial reference, and their counts and pixels are identical at every worker count and
 * schedule; histogram colouring has no steps where counts change; the cyclic ramps stay
 * on their palettes' colours; every instruction set's row loop gives scalar's counts,
 * |z|^2 and pixels bit for bit in exact arithmetic; fast arithmetic is identical at
 * every worker count and close to exact. */
#include "runtime/compat.h"

#include "check.h"
#include "kernels/colormap.h"
#include "kernels/kernel.h"
#include "kernels/escape.h"
#include "kernels/escape_row.h"
#include "kernels/isa.h"
#include "reference.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const unsigned worker_counts[] = { 1, 2, 3, 7, 16 };

struct view {
	const char *name;
	struct ref_view v;
	int coloring;
	int palette;		/* an index into fb_palette_names */
};

/* Palettes: 0 classic, 1 fire, 2 ocean, 3 gray, 4 viridis; each colouring meets
 * several (test_palettes() checks every cyclic ramp itself). */
static const struct view views[] = {
	{ "whole set", { 160, 90, -0.65, 0, 4.3, 2.0, 200, false, 0, 0 }, MB_SMOOTH, 0 },
	{ "seahorse valley", { 97, 61, -0.743643887037151, 0.131825904205330, 0.02, 2.0, 600,
				 false, 0, 0 },
	  MB_HISTOGRAM, 2 },
	{ "odd size, bands", { 37, 23, -0.5, 0.3, 2.5, 2.0, 50, false, 0, 0 }, MB_BANDS, 1 },
	{ "big bailout", { 64, 64, -0.75, 0.1, 3.0, 100.0, 300, false, 0, 0 }, MB_SMOOTH, 1 },
	{ "one pixel", { 1, 1, 0, 0, 1.0, 2.0, 100, false, 0, 0 }, MB_HISTOGRAM, 3 },
	{ "one row", { 200, 1, -0.75, 0, 3.0, 2.0, 100, false, 0, 0 }, MB_SMOOTH, 4 },
	{ "julia dendrite", { 120, 80, 0, 0, 3.0, 2.0, 300, true, 0, 1 }, MB_SMOOTH, 2 },
	{ "julia rabbit", { 90, 90, 0, 0, 3.2, 2.0, 500, true, -0.123, 0.745 }, MB_HISTOGRAM, 4 },
	{ "julia zoom", { 77, 41, 0.1, -0.2, 0.5, 4.0, 400, true, -0.8, 0.156 }, MB_BANDS, 2 },
};

static uint64_t total(const struct fb_total *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return t[i].u;
	CHECK(0, "no total called %s", name);
	return 0;
}

/* Runs the kernel's passes on the pool; returns the created state (or NULL). */
static void *run_kernel(const struct fb_kernel *k, const struct escape_params *p, uint32_t w,
			uint32_t h, unsigned workers, enum fb_schedule s)
{
	struct fb_pool_options opt = { .workers = workers, .schedule = s };
	struct fb_pass pass;
	void *state = NULL;

	if (k->create(&state, p, w, h, NULL) < 0) {
		CHECK(0, "create failed");
		return NULL;
	}
	for (unsigned i = 0; k->pass(state, i, &pass); i++) {
		struct fb_pass_stats st;

		if (fb_pool_run(&opt, &pass, &st) < 0) {
			CHECK(0, "pass %u failed", i);
			k->destroy(state);
			return NULL;
		}
		fb_pass_stats_free(&st);
		CHECK(k->after_pass(state, i) == 0, "after_pass %u", i);
	}
	return state;
}

static void test_view(const struct view *vw)
{
	const struct ref_view *v = &vw->v;
	const struct fb_kernel *k = fb_kernel_find(v->julia ? "julia" : "mandelbrot");
	size_t px = (size_t)v->w * v->h;
	uint32_t *ref = malloc(px * sizeof(*ref));
	double *ref_mag2 = malloc(px * sizeof(*ref_mag2));
	uint8_t *ref_rgb = malloc(px * 3);
	uint8_t *first_rgb = NULL;
	struct ref_totals rt;
	struct escape_params p;
	unsigned runs = 0;

	ref_escape_mag2(v, ref, ref_mag2, &rt);
	ref_escape_rgb(v, vw->coloring, vw->palette, ref, ref_mag2, ref_rgb);
	fb_kernel_defaults(k, &p);
	p.center[0] = v->cx;
	p.center[1] = v->cy;
	p.scale = v->scale;
	p.bailout = v->bailout;
	p.max_iter = v->max_iter;
	p.coloring = vw->coloring;
	p.palette = vw->palette;
	p.c[0] = v->jr;
	p.c[1] = v->ji;
	for (size_t wi = 0; wi < FB_ARRAY_LEN(worker_counts); wi++) {
		for (int s = 0; s < FB_SCHED_COUNT; s++) {
			void *state = run_kernel(k, &p, v->w, v->h, worker_counts[wi],
						 (enum fb_schedule)s);
			struct fb_kernel_output out;
			struct fb_total t[8];
			size_t nt, diff = 0;

			if (!state)
				continue;
			k->output(state, &out);
			for (size_t i = 0; i < px; i++)
				diff += ((const uint32_t *)out.raw)[i] != ref[i];
			CHECK(diff == 0, "%s, -j %u %s: %zu of %zu counts differ from the reference",
			      vw->name, worker_counts[wi], fb_schedule_name((enum fb_schedule)s), diff, px);
			nt = k->totals(state, t, FB_ARRAY_LEN(t));
			CHECK(total(t, nt, "inside") == rt.inside, "%s: inside", vw->name);
			CHECK(total(t, nt, "escaped") == rt.escaped, "%s: escaped", vw->name);
			CHECK(total(t, nt, "iterations") == rt.iterations, "%s: iterations", vw->name);
			for (size_t i = 0; i < px; i++)
				if (ref[i] == 0 && memcmp(out.rgb + 3 * i, "\0\0\0", 3) != 0) {
					CHECK(0, "%s: inside pixel %zu is not black", vw->name, i);
					break;
				}
			if (!first_rgb) {
				size_t off = 0;

				first_rgb = malloc(px * 3);
				memcpy(first_rgb, out.rgb, px * 3);
				for (size_t i = 0; i < px * 3; i++)
					off += abs(out.rgb[i] - ref_rgb[i]) > 1;
				CHECK(off == 0, "%s (%s, %s): %zu channels differ from the reference "
				      "colouring by more than 1", vw->name,
				      fb_escape_coloring_names[vw->coloring],
				      fb_palette_names[vw->palette], off);
			} else {
				CHECK(memcmp(first_rgb, out.rgb, px * 3) == 0,
				      "%s, -j %u %s: pixels differ from -j 1 static", vw->name,
				      worker_counts[wi], fb_schedule_name((enum fb_schedule)s));
			}
			k->destroy(state);
			runs++;
		}
	}
	printf("  %-16s %ux%u max_iter %u %s %s: %u runs match the reference (inside %llu)\n",
	       vw->name, v->w, v->h, v->max_iter, fb_escape_coloring_names[vw->coloring],
	       fb_palette_names[vw->palette], runs, (unsigned long long)rt.inside);
	free(first_rgb);
	free(ref_rgb);
	free(ref_mag2);
	free(ref);
}

/* Every palette's cyclic ramp is continuous (also where it wraps), and the palettes
 * that do not wrap by design (all but classic, whose near-black blends into its deep
 * blue) give only colours of their own linear ramp: no blend between their ends, such
 * as the mid grey between fire's white and black, appears. */
static void test_palettes(void)
{
	enum { CYCLIC = 1000, LINEAR = 4000 };

	static uint8_t ramp[LINEAR + 1][3];

	for (int pal = 0; fb_palette_names[pal]; pal++) {
		uint8_t prev[3], c[3];
		int worst_jump = 0, worst_off = 0;

		for (int j = 0; j <= LINEAR; j++)
			fb_palette_linear(pal, (double)j / LINEAR, ramp[j]);

		fb_palette_cyclic(pal, (CYCLIC - 1.0) / CYCLIC, prev);
		for (int i = 0; i < CYCLIC; i++) {
			int off = 256;

			fb_palette_cyclic(pal, (double)i / CYCLIC, c);
			for (int ch = 0; ch < 3; ch++)
				if (abs(c[ch] - prev[ch]) > worst_jump)
					worst_jump = abs(c[ch] - prev[ch]);
			memcpy(prev, c, 3);
			if (pal == FB_PALETTE_DEFAULT)
				continue;
			for (int j = 0; j <= LINEAR && off > 0; j++) {
				int d = 0;

				for (int ch = 0; ch < 3; ch++)
					d = abs(c[ch] - ramp[j][ch]) > d ? abs(c[ch] - ramp[j][ch]) : d;
				off = d < off ? d : off;
			}
			worst_off = off > worst_off ? off : worst_off;
		}
		/* 8 ramps of up to 255 levels per period in 1000 samples: 2.04 a sample, 3 after
		 * rounding. */
		CHECK(worst_jump <= 3, "palette %s: the cyclic ramp jumps by %d levels",
		      fb_palette_names[pal], worst_jump);
		CHECK(worst_off <= 1, "palette %s: the cyclic ramp gives a colour %d levels off "
		      "its linear ramp", fb_palette_names[pal], worst_off);
		printf("  palette %-8s cyclic ramp: continuous (largest step %d)%s\n",
		       fb_palette_names[pal], worst_jump,
		       pal == FB_PALETTE_DEFAULT ? ", wraps" : ", on its linear ramp");
	}
}

/* ---- instruction sets ---- */

/* The exact vector loops against the scalar one, row by row: counts and |z|^2 bit for
 * bit, at widths around every group size (SSE2 groups 6 pixels, AVX2 12) and at
 * offsets into the row. */
struct row_case {
	const char *name;
	double cx, cy, scale, bailout;
	uint32_t max_iter;
	bool julia;
	double jr, ji;
};

static const struct row_case row_cases[] = {
	{ "whole set", -0.65, 0, 4.3, 2.0, 300, false, 0, 0 },
	{ "deep zoom", -0.743643887037151, 0.131825904205330, 1e-12, 2.0, 4000, false, 0, 0 },
	{ "max_iter 1", -0.5, 0.2, 4.0, 2.0, 1, false, 0, 0 },
	{ "big bailout", -0.75, 0.1, 3.0, 1e30, 300, false, 0, 0 },
	{ "julia rabbit", 0, 0, 3.2, 2.0, 500, true, -0.123, 0.745 },
	{ "julia dendrite", 0.1, -0.2, 0.8, 3.0, 400, true, 0, 1 },
};

static void test_rows(enum fb_isa isa, fb_escape_row_fn *fn, const char *what)
{
#ifdef __SANITIZE_ADDRESS__
	enum { W = 41, ROWS = 5 };	/* still past two AVX-512 groups and a tail */
#else
	enum { W = 61, ROWS = 9 };
#endif
	uint32_t k_ref[W], k[W];
	double m_ref[W], m[W];
	unsigned checked = 0;

	for (size_t c = 0; c < FB_ARRAY_LEN(row_cases); c++) {
		const struct row_case *rc = &row_cases[c];

		for (uint32_t w = 1; w <= W; w++) {
			double d = rc->scale / w;

			for (uint32_t y = 0; y < ROWS; y++) {
				struct fb_escape_row r = {
					.center_re = rc->cx, .half_w = w / 2.0, .d = d,
					.im = rc->cy + (ROWS / 2.0 - (y + 0.5)) * d,
					.cr = rc->jr, .ci = rc->ji, .r2 = rc->bailout * rc->bailout,
					.max_iter = rc->max_iter, .julia = rc->julia,
				};
				/* Whole rows, and a run that starts inside the row (x0 > 0). */
				uint32_t x0 = w > 4 ? w / 3 : 0, n = w - x0;

				fb_escape_row_scalar(&r, 0, w, k_ref, m_ref);
				fn(&r, 0, w, k, m);
				CHECK(memcmp(k, k_ref, w * sizeof(*k)) == 0 &&
				      memcmp(m, m_ref, w * sizeof(*m)) == 0,
				      "%s %s: %s, width %u row %u: counts or |z|^2 differ from scalar",
				      fb_isa_name(isa), what, rc->name, w, y);
				/* ... and writes nothing past its n pixels (the padded lanes of
				 * the last group are computed, never stored). */
				for (uint32_t i = n; i < W; i++) {
					k[i] = 0xdeadbeef;
					m[i] = -1;
				}
				fn(&r, x0, n, k, m);
				CHECK(memcmp(k, k_ref + x0, n * sizeof(*k)) == 0 &&
				      memcmp(m, m_ref + x0, n * sizeof(*m)) == 0,
				      "%s %s: %s, pixels %u.. of width %u row %u differ from scalar",
				      fb_isa_name(isa), what, rc->name, x0, w, y);
				for (uint32_t i = n; i < W; i++)
					if (k[i] != 0xdeadbeef || m[i] != -1) {
						CHECK(0, "%s %s: %s, width %u: pixel %u written past the "
						      "run's %u", fb_isa_name(isa), what, rc->name, w, i, n);
						break;
					}
				checked += 2;
			}
		}
	}
	printf("  %-6s %s rows: %u runs equal scalar's bit for bit\n", fb_isa_name(isa), what,
	       checked);
}

/* Whole kernels on each instruction set: counts and pixels equal scalar's. */
static const struct view isa_views[] = {
	{ "width 1", { 1, 5, -0.75, 0.1, 3.0, 2.0, 100, false, 0, 0 }, MB_SMOOTH, 0 },
	{ "width 2", { 2, 5, -0.75, 0.1, 3.0, 2.0, 100, false, 0, 0 }, MB_HISTOGRAM, 0 },
	{ "width 3", { 3, 5, -0.75, 0.1, 3.0, 2.0, 100, false, 0, 0 }, MB_BANDS, 0 },
	{ "width 5", { 5, 4, -0.75, 0.1, 3.0, 2.0, 100, true, -0.8, 0.156 }, MB_SMOOTH, 0 },
	{ "width 7", { 7, 4, -0.75, 0.1, 3.0, 2.0, 100, false, 0, 0 }, MB_HISTOGRAM, 0 },
	{ "width 9", { 9, 6, -0.5, 0, 3.0, 2.0, 100, true, -0.123, 0.745 }, MB_BANDS, 0 },
	{ "width 13", { 13, 7, -0.75, 0.1, 3.0, 2.0, 100, false, 0, 0 }, MB_SMOOTH, 0 },
	{ "width 101", { 101, 23, -0.65, 0, 4.3, 2.0, 300, false, 0, 0 }, MB_HISTOGRAM, 0 },
	{ "deep zoom", { 64, 48, -0.743643887037151, 0.131825904205330, 1e-12, 2.0, 4000,
			 false, 0, 0 }, MB_SMOOTH, 0 },
	{ "max_iter 1", { 33, 20, -0.5, 0, 4.0, 2.0, 1, false, 0, 0 }, MB_HISTOGRAM, 0 },
	{ "big bailout", { 50, 30, -0.75, 0.1, 3.0, 1e30, 300, false, 0, 0 }, MB_SMOOTH, 0 },
	{ "julia rabbit", { 45, 45, 0, 0, 3.2, 2.0, 500, true, -0.123, 0.745 }, MB_BANDS, 0 },
};

static void set_params(struct escape_params *p, const struct fb_kernel *k, const struct view *vw)
{
	const struct ref_view *v = &vw->v;

	fb_kernel_defaults(k, p);
	p->center[0] = v->cx;
	p->center[1] = v->cy;
	p->scale = v->scale;
	p->bailout = v->bailout;
	p->max_iter = v->max_iter;
	p->coloring = vw->coloring;
	p->c[0] = v->jr;
	p->c[1] = v->ji;
}

/* Runs the view on isa with the given colouring and arithmetic; copies out the counts
 * and pixels (malloc()ed) and the totals. 0, or -1 after a failed check. */
struct result {
	uint32_t *counts;
	uint8_t *rgb;
	uint64_t inside, escaped, iterations;
};

static int run_on(enum fb_isa isa, const struct view *vw, int coloring, int arithmetic,
		  unsigned workers, enum fb_schedule sched, struct result *res)
{
	const struct fb_kernel *k = fb_kernel_find(vw->v.julia ? "julia" : "mandelbrot");
	size_t px = (size_t)vw->v.w * vw->v.h;
	struct fb_kernel_output out;
	struct escape_params p;
	struct fb_total t[8];
	size_t nt;
	void *state;

	CHECK(fb_isa_set(isa) == 0, "fb_isa_set(%s)", fb_isa_name(isa));
	set_params(&p, k, vw);
	p.coloring = coloring;
	p.arithmetic = arithmetic;
	if (!(state = run_kernel(k, &p, vw->v.w, vw->v.h, workers, sched)))
		return -1;
	k->output(state, &out);
	res->counts = malloc(px * sizeof(*res->counts));
	res->rgb = malloc(px * 3);
	memcpy(res->counts, out.raw, px * sizeof(*res->counts));
	memcpy(res->rgb, out.rgb, px * 3);
	nt = k->totals(state, t, FB_ARRAY_LEN(t));
	res->inside = total(t, nt, "inside");
	res->escaped = total(t, nt, "escaped");
	res->iterations = total(t, nt, "iterations");
	k->destroy(state);
	return 0;
}

static void result_free(struct result *r)
{
	free(r->counts);
	free(r->rgb);
}

/* Pixels whose counts, and whose colours, differ between a and b. */
static void compare(const struct result *a, const struct result *b, size_t px, size_t *counts,
		    size_t *rgb)
{
	*counts = *rgb = 0;
	for (size_t i = 0; i < px; i++) {
		*counts += a->counts[i] != b->counts[i];
		*rgb += memcmp(a->rgb + 3 * i, b->rgb + 3 * i, 3) != 0;
	}
}

static void test_isa_views(enum fb_isa isa)
{
	unsigned runs = 0;

	for (size_t i = 0; i < FB_ARRAY_LEN(isa_views); i++) {
		const struct view *vw = &isa_views[i];
		size_t px = (size_t)vw->v.w * vw->v.h;

		for (int coloring = 0; coloring < 3; coloring++) {
			struct result ref, got;
			size_t dk, drgb;

			if (coloring == MB_HISTOGRAM && vw->v.max_iter > 1000)
				continue;	/* the same counts; keeps the sanitizer build quick */
			if (run_on(FB_ISA_SCALAR, vw, coloring, MB_EXACT, 1, FB_SCHED_STATIC, &ref) < 0)
				continue;
			if (run_on(isa, vw, coloring, MB_EXACT, 3, FB_SCHED_DYNAMIC, &got) == 0) {
				compare(&ref, &got, px, &dk, &drgb);
				CHECK(dk == 0 && drgb == 0,
				      "%s, %s %s: %zu counts and %zu pixels of %zu differ from scalar",
				      fb_isa_name(isa), vw->name, fb_escape_coloring_names[coloring],
				      dk, drgb, px);
				CHECK(got.iterations == ref.iterations, "%s, %s: iterations",
				      fb_isa_name(isa), vw->name);
				result_free(&got);
				runs++;
			}
			result_free(&ref);
		}
	}
	printf("  %-6s kernels: %u views x colourings equal scalar's counts and pixels\n",
	       fb_isa_name(isa), runs);
}

/* The fast loop of isa against exact, row by row over a 320x180 view of the whole set
 * at max_iter 1000 (the default job's view, smaller): |z|^2 must differ on many escaped
 * pixels (else the fused loop is not what runs), counts on few. Where other_fast is
 * not NULL (AVX-512 and AVX2 with FMA both run here), the two fast loops must agree bit
 * for bit: they compute the same fused operations on every lane. */
static void test_fast_rows(enum fb_isa isa, fb_escape_row_fn *other_fast)
{
	enum { W = 320, H = 180 };
	fb_escape_row_fn *fast = fb_escape_row_for(isa, true);
	uint32_t k_ref[W], k[W], k_other[W];
	double m_ref[W], m[W], m_other[W];
	size_t escaped = 0, dk = 0, dm = 0, dother = 0;
	double d = 4.3 / W;

	for (uint32_t y = 0; y < H; y++) {
		struct fb_escape_row r = {
			.center_re = -0.65, .half_w = W / 2.0, .d = d,
			.im = (H / 2.0 - (y + 0.5)) * d, .r2 = 4.0, .max_iter = 1000,
		};

		fb_escape_row_scalar(&r, 0, W, k_ref, m_ref);
		fast(&r, 0, W, k, m);
		if (other_fast)
			other_fast(&r, 0, W, k_other, m_other);
		for (uint32_t x = 0; x < W; x++) {
			escaped += k_ref[x] != 0;
			dk += k[x] != k_ref[x];
			dm += k[x] == k_ref[x] && k[x] && m[x] != m_ref[x];
			dother += other_fast && (k[x] != k_other[x] ||
						 memcmp(&m[x], &m_other[x], sizeof(m[x])) != 0);
		}
	}
	/* Measured: about half the escaped pixels end on a different |z|^2. */
	CHECK(dm * 10 >= escaped, "%s fast rows: only %zu of %zu escaped pixels end on another "
	      "|z|^2 than exact: is the fused loop running?", fb_isa_name(isa), dm, escaped);
	CHECK(dk * 100 <= (size_t)W * H, "%s fast rows: %zu of %d counts differ from exact "
	      "(over 1%%)", fb_isa_name(isa), dk, W * H);
	CHECK(dother == 0, "%s fast rows: %zu pixels differ from avx2 fast", fb_isa_name(isa),
	      dother);
	printf("  fast rows (%s with FMA): %zu of %d counts and %zu of %zu escaped |z|^2 differ "
	       "from exact%s\n", fb_isa_name(isa), dk, W * H, dm, escaped,
	       other_fast ? "; equal to avx2 fast bit for bit" : "");
}

/* Fast arithmetic: the same image at every worker count and schedule; against exact,
 * the same totals structure and few changed pixels. Where the CPU has no AVX2 with FMA,
 * fast is the exact loop, and then it must equal exact outright. */
static void test_fast(void)
{
	const struct view *vw = &views[0];	/* the whole set, 160x90, max_iter 200 */
	enum fb_isa isa = fb_isa_best();
	bool has_fast = fb_escape_row_has_fast(isa);
	size_t px = (size_t)vw->v.w * vw->v.h, dk, drgb;
	struct result exact, first, got;

	if (has_fast) {
		if (isa == FB_ISA_AVX512 && fb_escape_row_has_fast(FB_ISA_AVX2))
			test_fast_rows(FB_ISA_AVX2, NULL);
		test_fast_rows(isa, isa == FB_ISA_AVX512 && fb_escape_row_has_fast(FB_ISA_AVX2)
					    ? fb_escape_row_for(FB_ISA_AVX2, true)
					    : NULL);
	} else
		printf("  note: this CPU has no AVX2 with FMA: fast arithmetic is %s's exact "
		       "loop here, so it is checked to equal exact\n", fb_isa_name(isa));
	if (run_on(isa, vw, MB_SMOOTH, MB_EXACT, 1, FB_SCHED_STATIC, &exact) < 0)
		return;
	if (run_on(isa, vw, MB_SMOOTH, MB_FAST, 1, FB_SCHED_STATIC, &first) < 0) {
		result_free(&exact);
		return;
	}
	for (size_t wi = 1; wi < FB_ARRAY_LEN(worker_counts); wi++)
		for (int s = 0; s < FB_SCHED_COUNT; s++) {
			if (run_on(isa, vw, MB_SMOOTH, MB_FAST, worker_counts[wi], (enum fb_schedule)s,
				   &got) < 0)
				continue;
			compare(&first, &got, px, &dk, &drgb);
			CHECK(dk == 0 && drgb == 0,
			      "fast, -j %u %s: %zu counts and %zu pixels differ from -j 1 static",
			      worker_counts[wi], fb_schedule_name((enum fb_schedule)s), dk, drgb);
			result_free(&got);
		}
	compare(&exact, &first, px, &dk, &drgb);
	CHECK(first.inside + first.escaped == px, "fast: inside + escaped is every pixel");
	CHECK(first.iterations >= first.escaped + first.inside * (uint64_t)vw->v.max_iter,
	      "fast: iterations count every pixel at least once");
	if (has_fast) {
		/* A fused step rounds once where the exact step rounds twice: orbits move
		 * by an ulp or so, which changes a count only where an orbit passes within
		 * that distance of the bailout circle, or stays long enough near the set's
		 * boundary to amplify it. On the default 1920x1080 job 108 counts (0.005%)
		 * differ; 1% of counts and 2% of colours leave room for other compilers'
		 * libm without letting a wrong loop through (a broken step changes most
		 * pixels). */
		CHECK(dk * 100 <= px, "fast: %zu of %zu counts differ from exact (over 1%%)", dk, px);
		CHECK(drgb * 50 <= px, "fast: %zu of %zu pixels differ from exact (over 2%%)", drgb,
		      px);
		CHECK(first.inside * 100 <= exact.inside * 101 &&
		      exact.inside * 100 <= first.inside * 101,
		      "fast: inside %llu, exact %llu: more than 1%% apart",
		      (unsigned long long)first.inside, (unsigned long long)exact.inside);
	} else {
		CHECK(dk == 0 && drgb == 0, "fast without FMA: %zu counts, %zu pixels differ from exact",
		      dk, drgb);
	}
	printf("  fast (%s%s): same image at every worker count and schedule; %zu counts and "
	       "%zu pixels of %zu differ from exact\n", fb_isa_name(isa),
	       has_fast ? " with FMA" : ", exact loop", dk, drgb, px);
	result_free(&exact);
	result_free(&first);
}

static void test_isas(void)
{
	for (int i = FB_ISA_SCALAR + 1; i < FB_ISA_COUNT; i++) {
		enum fb_isa isa = (enum fb_isa)i;

		if (!fb_isa_supported(isa)) {
			printf("  note: %s skipped: this build or CPU cannot run it\n",
			       fb_isa_name(isa));
			continue;
		}
		test_rows(isa, fb_escape_row_for(isa, false), "exact");
		test_isa_views(isa);
	}
	test_fast();
	CHECK(fb_isa_set(FB_ISA_AUTO) == 0, "fb_isa_set(auto)");
}

/* ---- histogram colouring and palettes ---- */

/* A count edge: horizontally adjacent escaped pixels x, x + 1 of different counts, where
 * x - 1 has x's count and x + 2 has x + 1's. A step is an edge whose jump in grey level
 * is bigger than twice the larger of the jumps just before and after it, plus 3 levels:
 * where the colour follows a continuous potential, the jump across the edge is of the
 * size of its neighbours'; where it follows the count alone, the neighbours do not move
 * and the jump is the histogram's step between levels. Counts edges and steps in
 * grey[] (one byte per pixel) of a w x h picture. */
static void count_steps(const uint32_t *counts, const uint8_t *grey, uint32_t w, uint32_t h,
			size_t *edges, size_t *steps)
{
	*edges = *steps = 0;
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 1; x + 2 < w; x++) {
			const uint32_t *k = counts + (size_t)y * w + x;
			const uint8_t *g = grey + (size_t)y * w + x;
			int jump = abs(g[1] - g[0]);
			int around = abs(g[0] - g[-1]) > abs(g[2] - g[1]) ? abs(g[0] - g[-1])
									    : abs(g[2] - g[1]);

			if (!k[-1] || !k[0] || !k[1] || !k[2] || k[0] == k[1] || k[-1] != k[0] ||
			    k[1] != k[2])
				continue;
			(*edges)++;
			*steps += jump > 2 * around + 3;
		}
}

/* Histogram colouring follows the continuous potential: the level function meets itself
 * where counts change, and a gray picture has (almost) no steps at count edges, where
 * the same picture coloured by the count alone (the colouring before) has them at most
 * edges. A large bailout makes the potential itself continuous (at R = 2 it jumps
 * where the lowest counts change, |z_2| being far from R^2 there: docs/config.md). */
static void test_histogram_continuous(void)
{
	const struct view vw = { "continuity", { 160, 100, -0.75, 0.1, 3.0, 1000.0, 300, false,
						  0, 0 }, MB_HISTOGRAM, 3 };
	const struct fb_kernel *k = fb_kernel_find("mandelbrot");
	size_t px = (size_t)vw.v.w * vw.v.h, edges, steps, edges_k, steps_k;
	uint64_t cum[40] = { 0 };
	uint8_t *grey = malloc(px), *stepped = malloc(px);
	struct fb_kernel_output out;
	struct escape_params p;
	uint64_t *below;
	void *state;

	/* The level alone, on a histogram of uneven bins. */
	for (uint32_t i = 1; i < FB_ARRAY_LEN(cum); i++)
		cum[i] = cum[i - 1] + (i * 7919u) % 23 + (i % 5 == 0 ? 400 : 0);
	for (uint32_t i = 1; i + 1 < FB_ARRAY_LEN(cum); i++) {
		double e = (double)cum[FB_ARRAY_LEN(cum) - 1];
		double at_k = fb_escape_histogram_level(cum, e, i, 0);

		CHECK(at_k == fb_escape_histogram_level(cum, e, i + 1, 1.0f),
		      "histogram level: count %u at offset 0 is not count %u at offset 1", i, i + 1);
		CHECK(at_k == (double)cum[i] / e, "histogram level: count %u at offset 0", i);
		CHECK(fb_escape_histogram_level(cum, e, i, 0.25f) >=
		      fb_escape_histogram_level(cum, e, i, 0.75f),
		      "histogram level: count %u does not fall as the offset grows", i);
		CHECK(fb_escape_histogram_level(cum, e, i, 7.0f) ==
		      fb_escape_histogram_level(cum, e, i, 1.0f),
		      "histogram level: an offset past 1 is not taken as 1");
	}

	/* The picture. */
	set_params(&p, k, &vw);
	p.palette = vw.palette;
	if (!(state = run_kernel(k, &p, vw.v.w, vw.v.h, 2, FB_SCHED_DYNAMIC)))
		goto out;
	k->output(state, &out);
	below = calloc(vw.v.max_iter + 1, sizeof(*below));
	for (size_t i = 0; i < px; i++) {
		grey[i] = out.rgb[3 * i];
		below[((const uint32_t *)out.raw)[i]]++;
	}
	below[0] = 0;
	for (uint32_t i = 1; i <= vw.v.max_iter; i++)
		below[i] += below[i - 1];
	for (size_t i = 0; i < px; i++) {
		uint32_t c = ((const uint32_t *)out.raw)[i];
		uint8_t rgb[3] = { 0, 0, 0 };

		if (c)
			fb_palette_linear(vw.palette, (double)below[c] / below[vw.v.max_iter], rgb);
		stepped[i] = rgb[0];
	}
	count_steps(out.raw, grey, vw.v.w, vw.v.h, &edges, &steps);
	count_steps(out.raw, stepped, vw.v.w, vw.v.h, &edges_k, &steps_k);
	CHECK(edges > 200, "continuity: only %zu count edges between escaped pixels", edges);
	CHECK(steps * 50 <= edges, "continuity: %zu of %zu count edges are steps (over 2%%)",
	      steps, edges);
	CHECK(steps_k * 2 >= edges_k, "continuity: the count alone makes only %zu steps at %zu "
	      "edges: the measure cannot see steps", steps_k, edges_k);
	printf("  histogram colouring: %zu steps at %zu count edges (by the count alone: %zu)\n",
	       steps, edges, steps_k);
	free(below);
	k->destroy(state);
out:
	free(grey);
	free(stepped);
}

int main(void)
{
	for (size_t i = 0; i < FB_ARRAY_LEN(views); i++)
		test_view(&views[i]);
	test_histogram_continuous();
	test_palettes();
	test_isas();
	return check_exit("test_escape");
}
