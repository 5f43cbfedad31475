/* matmul.c: C = A B in double, in bands of rows of C, with a heat map of C.
 *
 * A and B come typed from io/config (read from .npy files or generated); the workers
 * read them from the parent's memory, inherited copy-on-write. Two engines:
 * - "exact": each row of C is computed in cache blocks, but every C[i][j] is the sum
 *   over k in ascending order, exactly as a plain triple loop computes it (no fused
 *   multiply-add: the build uses -ffp-contract=off), so C is the same on every machine.
 * - "blas" (the default): each worker calls OpenBLAS's single-threaded cblas_dgemm on
 *   fixed bands of BLAS_BAND rows of C. OpenBLAS's result for a row depends on how rows
 *   are grouped into a call (its kernels treat a call's last rows, and small calls,
 *   differently: measured, docs/decisions.md), so the bands are fixed, counted from
 *   row 0, and the pool hands out only whole bands (fb_pass.align): each band is the
 *   same call at any worker count and schedule. C may differ in the last bits from
 *   exact's, and between CPUs whose OpenBLAS kernels differ.
 * Either way C does not depend on the workers or the schedule. Each row's sum, sum of
 * squares and diagonal entry are kept per row and
 * folded in row order between the passes, so the floating totals are deterministic
 * too; min and max are folded per chunk (order-free). The colour pass maps C to a
 * diverging blue-white-red scale centred on 0 and scaled to max |C|.
 */
#include "runtime/compat.h"

#include "colormap.h"
#include "matgen.h"
#include "kernel.h"
#include "runtime/error.h"
#include "runtime/shared_mem.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum matmul_engine { MM_BLAS, MM_EXACT };

static const char *const engine_names[] = { "blas", "exact", NULL };

struct matmul_params {
	struct fb_matsrc a, b;
	int engine;		/* enum matmul_engine */
};

static const struct fb_param params[] = {
	{ "a", FB_PARAM_MATSRC, offsetof(struct matmul_params, a),
	  "the left matrix, R x K", .required = true },
	{ "b", FB_PARAM_MATSRC, offsetof(struct matmul_params, b),
	  "the right matrix, K x C", .required = true },
	{ "engine", FB_PARAM_CHOICE, offsetof(struct matmul_params, engine),
	  "blas: OpenBLAS dgemm on fixed bands of rows (fast; the last bits may differ "
	  "between CPUs); exact: the plain triple loop's sums, bit for bit everywhere",
	  .choices = engine_names, .def_choice = MM_BLAS },
};

/* Rows of C a dgemm call computes: bands counted from row 0, the last one shorter. Each
 * call packs all of B again, so shorter bands cost more: n = 2048 on the 2-core
 * development machine (AMD EPYC, OpenBLAS 0.3.21 SkylakeX kernels, one thread), bands
 * of 64, 128, 256, 512 rows took 1.38, 1.18, 1.08, 1.03 times one call for all of C
 * (docs/performance.md). */
#define BLAS_BAND 256

/* Cache blocks: KB rows of B by JB columns is 256 KiB, a share of L2 that stays put
 * while every row of a chunk uses it, ROWS at a time. (Blocks of 64-256 by 256-1024
 * measured the same, within 3%, on the 2-core development machine at n = 2048.) */
#define KB 64
#define JB 512
#define ROWS 4

struct partial {
	struct fb_range range;
};

struct totals {
	struct fb_range range;
};

struct state {
	const double *a, *b;
	enum matmul_engine engine;
	uint64_t n, k, m;		/* C is n x m; A n x k; B k x m */
	double *c;			/* shared */
	uint8_t *rgb;			/* shared */
	double *rowsum, *rowsq, *diag;	/* shared, one per row */
	struct totals *totals;		/* shared */
	double sum, frob, trace, maxabs;	/* folded between the passes */
	size_t c_size, rgb_size, row_size;
};

static int check(const void *vp, uint32_t w, uint32_t h, const char **field, char *expected,
		 size_t len)
{
	const struct matmul_params *p = vp;

	(void)w;
	(void)h;
	if (p->a.cols != p->b.rows) {
		*field = "b";
		snprintf(expected, len, "a matrix of %llu rows (a is %llux%llu but b is %llux%llu: "
			 "inner dimensions differ)", (unsigned long long)p->a.cols,
			 (unsigned long long)p->a.rows, (unsigned long long)p->a.cols,
			 (unsigned long long)p->b.rows, (unsigned long long)p->b.cols);
		return -1;
	}
	return 0;
}

static void size(const void *vp, uint32_t *w, uint32_t *h)
{
	const struct matmul_params *p = vp;

	*w = (uint32_t)p->b.cols;	/* both at most FB_MAX_DIMENSION (io/config) */
	*h = (uint32_t)p->a.rows;
}

static void destroy(void *vs)
{
	struct state *s = vs;

	if (!s)
		return;
	shared_free(s->c, s->c_size);
	shared_free(s->rgb, s->rgb_size);
	shared_free(s->rowsum, s->row_size);
	shared_free(s->rowsq, s->row_size);
	shared_free(s->diag, s->row_size);
	shared_free(s->totals, sizeof(*s->totals));
	free(s);
}

static int create(void **out, const void *vp, uint32_t w, uint32_t h,
		  const struct fb_image *input)
{
	const struct matmul_params *p = vp;
	struct state *s = calloc(1, sizeof(*s));
	size_t cells;

	(void)input;
	if (!s)
		return fb_error("out of memory");
	*s = (struct state){ .a = p->a.data, .b = p->b.data, .engine = (enum matmul_engine)p->engine,
			     .n = h, .k = p->a.cols, .m = w };
	if (!fb_size_mul(w, h, &cells) || !fb_size_mul(cells, sizeof(double), &s->c_size) ||
	    !fb_size_mul(cells, 3, &s->rgb_size) || !fb_size_mul(h, sizeof(double), &s->row_size)) {
		free(s);
		return fb_error("a %ux%u product is too large for this machine's address space", h, w);
	}
	/* OpenBLAS must not start threads of its own in the workers, which are the
	 * parallelism: forkband links Debian's single-threaded build (CMakeLists.txt), and
	 * should a threaded one be loaded instead, it is held to one thread here, before
	 * any fork. */
	if (s->engine == MM_BLAS && openblas_get_parallel() != 0)
		openblas_set_num_threads(1);
	s->c = shared_malloc_or_error(s->c_size);
	s->rgb = s->c ? shared_malloc_or_error(s->rgb_size) : NULL;
	s->rowsum = s->rgb ? shared_malloc_or_error(s->row_size) : NULL;
	s->rowsq = s->rowsum ? shared_malloc_or_error(s->row_size) : NULL;
	s->diag = s->rowsq ? shared_malloc_or_error(s->row_size) : NULL;
	s->totals = s->diag ? shared_malloc_or_error(sizeof(*s->totals)) : NULL;
	if (!s->totals) {
		destroy(s);
		return -1;
	}
	*out = s;
	return 0;
}

/* Four doubles, for the register tile. Loads and stores go through memcpy, so rows of
 * any alignment work; they are macros, since a function passing 32-byte vectors would
 * have a different ABI in the AVX2 and baseline builds of block(). */
typedef double v4d __attribute__((vector_size(32)));

#define LOAD4(p)                                     \
	__extension__({                              \
		v4d v_;                              \
		memcpy(&v_, (p), sizeof(v_));        \
		v_;                                  \
	})
#define STORE4(p, v)                                 \
	do {                                         \
		v4d s_ = (v);                        \
		memcpy((p), &s_, sizeof(s_));        \
	} while (0)

/* C[i0..i1) [jb..je) += A[i0..i1) [kb..ke) B[kb..ke) [jb..je). Where four rows are at
 * hand, a 4 x 8 tile of C stays in registers while kk runs through the block: loaded,
 * added to in kk order, stored; each entry sees exactly the additions, in exactly the
 * order, of the scalar loop, so vectorising changes no bit. Built twice (AVX2 and
 * baseline x86-64); the loader picks by CPU. */
__attribute__((target_clones("avx2", "default")))
static void block(const struct state *s, uint64_t i0, uint64_t i1, uint64_t kb, uint64_t ke,
		  uint64_t jb, uint64_t je)
{
	uint64_t k = s->k, m = s->m, j = jb;

	if (i1 - i0 == 4) {
		double *c0 = s->c + i0 * m, *c1 = c0 + m, *c2 = c1 + m, *c3 = c2 + m;
		const double *a0 = s->a + i0 * k;

		for (; j + 8 <= je; j += 8) {
			v4d t00 = LOAD4(c0 + j), t01 = LOAD4(c0 + j + 4);
			v4d t10 = LOAD4(c1 + j), t11 = LOAD4(c1 + j + 4);
			v4d t20 = LOAD4(c2 + j), t21 = LOAD4(c2 + j + 4);
			v4d t30 = LOAD4(c3 + j), t31 = LOAD4(c3 + j + 4);

			for (uint64_t kk = kb; kk < ke; kk++) {
				const double *bp = s->b + kk * m + j;
				v4d b0 = LOAD4(bp), b1 = LOAD4(bp + 4);
				double x0 = a0[kk], x1 = a0[k + kk], x2 = a0[2 * k + kk],
				       x3 = a0[3 * k + kk];
				v4d v0 = { x0, x0, x0, x0 }, v1 = { x1, x1, x1, x1 };
				v4d v2 = { x2, x2, x2, x2 }, v3 = { x3, x3, x3, x3 };

				t00 += v0 * b0;
				t01 += v0 * b1;
				t10 += v1 * b0;
				t11 += v1 * b1;
				t20 += v2 * b0;
				t21 += v2 * b1;
				t30 += v3 * b0;
				t31 += v3 * b1;
			}
			STORE4(c0 + j, t00);
			STORE4(c0 + j + 4, t01);
			STORE4(c1 + j, t10);
			STORE4(c1 + j + 4, t11);
			STORE4(c2 + j, t20);
			STORE4(c2 + j + 4, t21);
			STORE4(c3 + j, t30);
			STORE4(c3 + j + 4, t31);
		}
	}
	/* The columns left over (and any rows short of four): one entry at a time. */
	for (uint64_t i = i0; i < i1; i++) {
		double *crow = s->c + i * m;

		for (uint64_t kk = kb; kk < ke; kk++) {
			double aik = s->a[i * k + kk];
			const double *brow = s->b + kk * m;

			for (uint64_t jj = j; jj < je; jj++)
				crow[jj] += aik * brow[jj];
		}
	}
}

static void compute_rows(void *vs, uint32_t y0, uint32_t y1, void *vpart)
{
	const struct state *s = vs;
	struct partial *part = vpart;
	uint64_t k = s->k, m = s->m;

	if (s->engine == MM_BLAS) {
		/* Whole bands (the pass is aligned to them): one call each. */
		for (uint64_t i0 = y0; i0 < y1; i0 += BLAS_BAND) {
			uint64_t rows = y1 - i0 < BLAS_BAND ? y1 - i0 : BLAS_BAND;

			cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)m,
				    (int)k, 1.0, s->a + i0 * k, (int)k, s->b, (int)m, 0.0,
				    s->c + i0 * m, (int)m);
		}
	} else {
		/* The chunk's rows of C start at 0; then each KB x JB block of B, loaded
		 * into cache once, serves every row of the chunk, four rows at a time. For
		 * each C[i][j], kk still runs 0, 1, ..., k-1 in order across the blocks. */
		memset(s->c + (uint64_t)y0 * m, 0, (uint64_t)(y1 - y0) * m * sizeof(double));
		for (uint64_t kb = 0; kb < k; kb += KB) {
			uint64_t ke = kb + KB < k ? kb + KB : k;

			for (uint64_t jb = 0; jb < m; jb += JB)
				for (uint64_t i0 = y0; i0 < y1; i0 += ROWS)
					block(s, i0, i0 + ROWS < y1 ? i0 + ROWS : y1, kb, ke, jb,
					      jb + JB < m ? jb + JB : m);
		}
	}
	for (uint64_t i = y0; i < y1; i++) {
		const double *crow = s->c + i * m;
		double sum = 0, sq = 0;

		for (uint64_t j = 0; j < m; j++) {
			double v = crow[j];

			sum += v;
			sq += v * v;
			fb_range_add(&part->range, v);
		}
		s->rowsum[i] = sum;
		s->rowsq[i] = sq;
		s->diag[i] = i < m ? crow[i] : 0;
	}
}

/* Under the lock: min and max do not depend on the order of the chunks. */
static void compute_fold(void *vs, const void *vpart)
{
	const struct state *s = vs;
	const struct partial *p = vpart;

	fb_range_merge(&s->totals->range, &p->range);
}

static void colour_rows(void *vs, uint32_t y0, uint32_t y1, void *unused)
{
	static const uint8_t white[3] = { 247, 247, 247 }, blue[3] = { 33, 102, 172 },
			     red[3] = { 178, 24, 43 };
	const struct state *s = vs;

	(void)unused;
	for (uint64_t i = (uint64_t)y0 * s->m; i < (uint64_t)y1 * s->m; i++) {
		double t = s->maxabs > 0 ? s->c[i] / s->maxabs : 0;

		if (t < 0)
			fb_blend_rgb(white, blue, t < -1 ? 1 : -t, s->rgb + 3 * i);
		else
			fb_blend_rgb(white, red, t > 1 ? 1 : t, s->rgb + 3 * i);
	}
}

static bool pass(void *vs, unsigned i, struct fb_pass *out)
{
	struct state *s = vs;

	if (i > 1)
		return false;
	*out = (struct fb_pass){ .rows = (uint32_t)s->n, .ctx = s };
	if (i == 0) {
		out->name = out->phase = "compute";
		out->align = s->engine == MM_BLAS ? BLAS_BAND : 0;
		out->compute = compute_rows;
		out->partial_size = sizeof(struct partial);
		out->fold = compute_fold;
		out->state[0] = (struct fb_region){ s->totals, sizeof(*s->totals), false };
		out->out_rows[0] = (struct fb_rowbuf){ s->c, s->m * sizeof(double) };
		out->out_rows[1] = (struct fb_rowbuf){ s->rowsum, sizeof(double) };
		out->out_rows[2] = (struct fb_rowbuf){ s->rowsq, sizeof(double) };
		out->out_rows[3] = (struct fb_rowbuf){ s->diag, sizeof(double) };
	} else {
		out->name = out->phase = "colour";
		out->compute = colour_rows;
		out->out_rows[0] = (struct fb_rowbuf){ s->rgb, s->m * 3 };
	}
	return true;
}

/* In the parent, between the passes: the per-row figures folded in row order (one add
 * per row), the same for any workers. */
static int after_pass(void *vs, unsigned i)
{
	struct state *s = vs;
	double sq = 0;

	if (i != 0)
		return 0;
	s->sum = s->trace = 0;
	for (uint64_t r = 0; r < s->n; r++) {
		s->sum += s->rowsum[r];
		sq += s->rowsq[r];
		s->trace += s->diag[r];
	}
	s->frob = sqrt(sq);
	s->maxabs = fmax(fabs(s->totals->range.min), fabs(s->totals->range.max));
	return 0;
}

static void output(void *vs, struct fb_kernel_output *out)
{
	struct state *s = vs;

	*out = (struct fb_kernel_output){ .rgb = s->rgb, .raw = s->c, .raw_descr = "<f8",
					  .raw_elem_size = 8 };
}

static size_t totals(void *vs, struct fb_total *out, size_t max)
{
	struct state *s = vs;
	struct fb_total all[] = {
		{ "min", true, 0, s->totals->range.min, NULL, 0 },
		{ "max", true, 0, s->totals->range.max, NULL, 0 },
		{ "sum", true, 0, s->sum, NULL, 0 },
		{ "frobenius", true, 0, s->frob, NULL, 0 },
		{ "trace", true, 0, s->trace, NULL, 0 },
	};
	size_t n = s->n == s->m ? 5 : 4;	/* a trace only for square C */

	if (n > max)
		n = max;
	memcpy(out, all, n * sizeof(*out));
	return n;
}

static size_t footprint(void *vs)
{
	const struct state *s = vs;

	return s->c_size + s->rgb_size + 3 * s->row_size;
}

const char *fb_matmul_blas_name(void)
{
	static char name[96];
	const char *config = openblas_get_config(), *v = strstr(config, "OpenBLAS ");
	int len = 0;

	/* The config string starts "OpenBLAS 0.3.21 DYNAMIC_ARCH ...": keep the version. */
	if (v)
		sscanf(v + 9, "%*s%n", &len);
	snprintf(name, sizeof(name), "OpenBLAS %.*s, %s kernels", len, v ? v + 9 : "?",
		 openblas_get_corename());
	return name;
}

const struct fb_kernel fb_kernel_matmul = {
	.name = "matmul",
	.summary = "C = A B in double, in bands of rows of C, with a heat map of C",
	.params = params,
	.n_params = FB_ARRAY_LEN(params),
	.params_size = sizeof(struct matmul_params),
	.raw_output = "npy",
	.raw_help = "C as a .npy file ('<f8', shape (rows of a, cols of b))",
	.rows_declared = true,
	.size = size,
	.check = check,
	.create = create,
	.pass = pass,
	.after_pass = after_pass,
	.output = output,
	.totals = totals,
	.footprint = footprint,
	.destroy = destroy,
};
