/* escape_deep.c: deep zoom by perturbation from one reference orbit (escape_deep.h). */
#include "runtime/compat.h"

#include "escape_deep.h"

#include "escape.h"
#include "escape_deep_plain.h"
#include "isa.h"
#include "runtime/error.h"
#include "runtime/shared_mem.h"

#include <math.h>
#include <mpfr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Views whose pixel is at least 2^DOUBLE_MIN_EXP (about 1e-289) iterate in double: every
 * offset a normal double, every BLA coefficient that can be valid finite. Deeper ones in
 * long double (x87: exponents to 1e-4931). */
#define DOUBLE_MIN_EXP (-960)

/* BLA table levels: steps of 1 to 2^(MAX_LEVELS - 1) iterations. */
#define MAX_LEVELS 32

/* A reference orbit: Z_0 .. Z_len in shared memory, read-only to the workers, in the
 * number type of the view (ld: long double, else double), and what made it. The last
 * one computed is kept (cached) for the next job of the run: the frames of a zoom
 * sequence share it while their precision and number type do. */
struct orbit {
	void *z;			/* double[len + 1][2] or long double[len + 1][2] */
	size_t size;
	uint32_t len;			/* the last index stored */
	uint32_t max_iter;
	long double r2;
	mpfr_prec_t prec;
	bool ld;
	char *key[2];			/* the center, as its text or the double in %a */
};

struct fb_escape_deep {
	const struct escape_params *p;	/* the state's (escape.c) */
	const struct orbit *orbit;	/* the cache's, from prepare(): not freed with the state */
	void *bla;			/* this view's BLA table (shared), or NULL: none */
	size_t bla_size;
	unsigned levels;		/* of the table: level j at bla + offset[j], n[j] */
	double r2max_d;			/* the largest radius^2 of levels 1 and up */
	long double r2max_ld;
	size_t offset[MAX_LEVELS];
	uint32_t n[MAX_LEVELS];
	uint32_t w, h, max_iter;
	long double d, r2;
	bool ld;			/* iterate in long double */
	bool rebase;			/* false only under FORKBAND_TEST_NO_REBASE=1 */
	/* Double views on AVX-512: the plain stretches in lanes (escape_deep_plain.h),
	 * a row's pixels private to each process. */
	bool lanes;
	struct fb_deep_px *px;
};

static struct orbit cached;

#include <tgmath.h>

#define CAT(a, b) a##b
#define REAL double
#define NAME(x) CAT(x, _d)
#define EPS_BITS 53
#include "escape_deep_loop.h"
#undef REAL
#undef NAME
#undef EPS_BITS
#define REAL long double
#define NAME(x) CAT(x, _ld)
#define EPS_BITS 64
#include "escape_deep_loop.h"
#undef REAL
#undef NAME
#undef EPS_BITS

_Static_assert(sizeof(struct bla_d) == FB_DEEP_BLA_STRIDE * sizeof(double),
	       "the lanes step through level 1's radii FB_DEEP_BLA_STRIDE doubles apart");

long double fb_escape_pixel_size(const struct escape_params *p, uint32_t w)
{
	long double scale = p->scale_text[0] ? strtold(p->scale_text, NULL) : p->scale;

	return scale / w;
}

bool fb_escape_is_deep(const struct escape_params *p, uint32_t w)
{
	double m = fmax(1.0, fmax(fabs(p->center[0]), fabs(p->center[1])));

	return fb_escape_pixel_size(p, w) < ldexpl(m, -48);
}

/* Whether the view of p at width w iterates in long double: with exact arithmetic, and
 * where double's exponent cannot hold the offsets (DOUBLE_MIN_EXP). */
static bool needs_ld(const struct escape_params *p, uint32_t w)
{
	return p->arithmetic != MB_FAST || fb_escape_pixel_size(p, w) < ldexpl(1.0L, DOUBLE_MIN_EXP);
}

size_t fb_escape_deep_footprint(const struct escape_params *p, uint32_t w)
{
	bool ld = needs_ld(p, w);
	size_t orbit = ld ? sizeof(long double[2]) : sizeof(double[2]);
	size_t bla = ld ? sizeof(struct bla_ld) : sizeof(struct bla_d);

	/* max_iter is at most 2^31 (the param table): no overflow on 64 bits. */
	return ((size_t)p->max_iter + 1) * orbit + 2 * (size_t)p->max_iter * bla +
	       (ld ? 0 : (size_t)w * sizeof(struct fb_deep_px));
}

bool fb_deep_nearer_d(double fr, double fi, double zr, double zi)
{
	return nearer_d(fr, fi, zr, zi);
}

/* The center's coordinate i as MPFR reads it: the decimal text, or the double. */
static void set_center(mpfr_t x, const struct escape_params *p, int i)
{
	if (p->center_text[i][0])
		mpfr_set_str(x, p->center_text[i], 10, MPFR_RNDN);
	else
		mpfr_set_d(x, p->center[i], MPFR_RNDN);
}

/* The center's coordinate i as a key: its text, or its double exactly (%a). */
static char *center_key(const struct escape_params *p, int i)
{
	char buf[64];

	if (p->center_text[i][0])
		return strdup(p->center_text[i]);
	snprintf(buf, sizeof(buf), "%a", p->center[i]);
	return strdup(buf);
}

/* Computes the orbit of p's center into o at prec bits, stored as o->ld says. 0, or -1
 * after reporting. */
static int compute_orbit(struct orbit *o, const struct escape_params *p, mpfr_prec_t prec,
			 long double r2, struct fb_pass *shown)
{
	mpfr_t cr, ci, zr, zi, zr2, zi2, t;
	long double (*zl)[2];
	double (*zd)[2];
	uint32_t n;

	o->max_iter = (uint32_t)p->max_iter;
	o->r2 = r2;
	o->prec = prec;
	o->size = ((size_t)o->max_iter + 1) * (o->ld ? sizeof(*zl) : sizeof(*zd));
	o->z = shared_malloc_or_error(o->size);
	if (!o->z)
		return -1;
	zl = o->z;
	zd = o->z;
	mpfr_inits2(prec, cr, ci, zr, zi, zr2, zi2, t, (mpfr_ptr)0);
	set_center(cr, p, 0);
	set_center(ci, p, 1);
	mpfr_set_zero(zr, 1);
	mpfr_set_zero(zi, 1);
	for (n = 1; n <= o->max_iter; n++) {
		long double re, im;

		if (n % 1024 == 0)
			shown->progress(shown->pctx, shown, n);
		/* Z' = (zr^2 - zi^2 + cr, 2 zr zi + ci) */
		mpfr_sqr(zr2, zr, MPFR_RNDN);
		mpfr_sqr(zi2, zi, MPFR_RNDN);
		mpfr_mul(t, zr, zi, MPFR_RNDN);
		mpfr_mul_2ui(t, t, 1, MPFR_RNDN);
		mpfr_add(zi, t, ci, MPFR_RNDN);
		mpfr_sub(zr, zr2, zi2, MPFR_RNDN);
		mpfr_add(zr, zr, cr, MPFR_RNDN);
		if (o->ld) {
			re = zl[n][0] = mpfr_get_ld(zr, MPFR_RNDN);
			im = zl[n][1] = mpfr_get_ld(zi, MPFR_RNDN);
		} else {
			re = zd[n][0] = mpfr_get_d(zr, MPFR_RNDN);
			im = zd[n][1] = mpfr_get_d(zi, MPFR_RNDN);
		}
		/* An escaped reference is no use beyond its escape: pixels rebase there. */
		if (re * re + im * im > r2)
			break;
	}
	if (o->ld)
		zl[0][0] = zl[0][1] = 0;
	else
		zd[0][0] = zd[0][1] = 0;
	o->len = n > o->max_iter ? o->max_iter : n;
	shown->progress(shown->pctx, shown, o->max_iter);
	mpfr_clears(cr, ci, zr, zi, zr2, zi2, t, (mpfr_ptr)0);
	mpfr_free_cache();
	return 0;
}

static void orbit_free(struct orbit *o)
{
	shared_free(o->z, o->size);
	free(o->key[0]);
	free(o->key[1]);
	memset(o, 0, sizeof(*o));
}

/* The orbit of p at prec bits in dp's number type: the cached one when it matches, else
 * computed (replacing it), its progress shown. 0, or -1 after reporting. */
static int get_orbit(struct fb_escape_deep *dp, const struct escape_params *p,
		     mpfr_prec_t prec, struct fb_pass *shown)
{
	struct orbit o = { .ld = dp->ld };

	o.key[0] = center_key(p, 0);
	o.key[1] = center_key(p, 1);
	if (!o.key[0] || !o.key[1]) {
		orbit_free(&o);
		return fb_error("out of memory");
	}
	if (cached.z && cached.prec == prec && cached.ld == dp->ld &&
	    cached.max_iter == (uint32_t)p->max_iter && cached.r2 == dp->r2 &&
	    strcmp(cached.key[0], o.key[0]) == 0 && strcmp(cached.key[1], o.key[1]) == 0) {
		orbit_free(&o);
	} else {
		/* The old orbit goes first: two at once would exceed the job's footprint. */
		orbit_free(&cached);
		if (compute_orbit(&o, p, prec, dp->r2, shown) < 0) {
			orbit_free(&o);
			return -1;
		}
		cached = o;
	}
	dp->orbit = &cached;
	return 0;
}

/* This view's BLA table over the orbit, in shared memory. 0, or -1 after reporting. */
static int make_bla(struct fb_escape_deep *dp)
{
	const struct orbit *o = dp->orbit;
	size_t elem = dp->ld ? sizeof(struct bla_ld) : sizeof(struct bla_d), total = 0;
	long double cmax = dp->d * hypotl(dp->w / 2.0L, dp->h / 2.0L);

	if (o->len < 3)
		return 0;	/* no step of 2 iterations fits */
	for (dp->levels = 0; dp->levels < MAX_LEVELS; dp->levels++) {
		uint32_t n = (o->len - 1) >> dp->levels;

		if (n == 0)
			break;
		dp->offset[dp->levels] = total;
		dp->n[dp->levels] = n;
		total += n;
	}
	dp->bla_size = total * elem;
	if (!(dp->bla = shared_malloc_or_error(dp->bla_size)))
		return -1;
	if (dp->ld)
		dp->r2max_ld = bla_build_ld(dp->bla, o->z, dp->levels, dp->offset, dp->n, cmax);
	else
		dp->r2max_d = bla_build_d(dp->bla, o->z, dp->levels, dp->offset, dp->n,
					  (double)cmax);
	return 0;
}

/* Whether the environment variable name is set to 1 (main.c checks its value). */
static bool env_on(const char *name)
{
	const char *v = getenv(name);

	return v && strcmp(v, "1") == 0;
}

int fb_escape_deep_create(struct fb_escape_deep **out, const struct escape_params *p,
			  uint32_t w, uint32_t h, double r2)
{
	struct fb_escape_deep *dp = calloc(1, sizeof(*dp));

	if (!dp)
		return fb_error("out of memory");
	dp->p = p;
	dp->w = w;
	dp->h = h;
	dp->max_iter = (uint32_t)p->max_iter;
	dp->d = fb_escape_pixel_size(p, w);
	dp->r2 = r2;
	dp->ld = needs_ld(p, w);
	dp->rebase = !env_on("FORKBAND_TEST_NO_REBASE");
	dp->lanes = !dp->ld && fb_isa_current() == FB_ISA_AVX512;
	if (dp->lanes && !(dp->px = calloc(w, sizeof(*dp->px)))) {
		fb_escape_deep_destroy(dp);
		return fb_error("out of memory");
	}
	*out = dp;
	return 0;
}

int fb_escape_deep_prepare(struct fb_escape_deep *dp, struct fb_pass *shown)
{
	const struct escape_params *p = dp->p;
	mpfr_prec_t prec;

	/* The center to well below a pixel: the bits of its size and of the pixel's, and 64
	 * more for the iteration's own rounding; rounded up to a multiple of 256 bits, so
	 * that the frames of a zoom sequence share one orbit over 77 decades of scale, and
	 * a frame run alone computes the very orbit it had in the sequence. */
	prec = 64 + (mpfr_prec_t)ceill(log2l(fmaxl(1.0L, fmaxl(fabsl(p->center[0]),
								      fabsl(p->center[1])))) -
					  log2l(dp->d));
	prec = (prec + 255) / 256 * 256;
	shown->name = "reference orbit";
	shown->phase = "reference";
	shown->unit = "iterations";
	shown->rows = dp->max_iter;
	if (get_orbit(dp, p, prec, shown) < 0)
		return -1;
	return env_on("FORKBAND_TEST_NO_BLA") ? 0 : make_bla(dp);
}

#if defined(__x86_64__)
/* advance_d() for the lanes (fb_deep_advance_fn): ctx is the state, the results go to
 * the row's arrays. */
struct lanes_ctx {
	const struct fb_escape_deep *dp;
	uint32_t *count;
	double *mag2;
};

static bool lanes_advance(void *vc, struct fb_deep_px *p, uint64_t *steps)
{
	const struct lanes_ctx *c = vc;

	return advance_d(c->dp, p->dcr, p->dci, &p->zr, &p->zi, &p->m, &p->k, true,
			 &c->count[p->x], &c->mag2[p->x], steps);
}

/* Row y of a double view in lanes: each pixel's BLA stretches in advance_d(), its plain
 * stretches eight at a time (escape_deep_plain.h). */
static uint64_t row_lanes(const struct fb_escape_deep *dp, uint32_t y, uint32_t *count,
			  double *mag2)
{
	long double di = (dp->h / 2.0L - ((long double)y + 0.5L)) * dp->d;
	const struct fb_deep_plain pl = {
		.Z = (const double (*)[2])dp->orbit->z, .len = dp->orbit->len,
		.max_iter = dp->max_iter, .r2 = (double)dp->r2, .rebase = dp->rebase,
		.r2_1 = dp->bla && dp->levels > 1 ?
			&((const struct bla_d *)dp->bla)[dp->offset[1]].r2 : NULL,
		.n1 = dp->bla && dp->levels > 1 ? dp->n[1] : 0, .r2max = dp->r2max_d,
	};
	struct lanes_ctx c = { dp, count, mag2 };
	uint64_t steps = 0;

	for (uint32_t x = 0; x < dp->w; x++) {
		long double dr = ((long double)x + 0.5L - dp->w / 2.0L) * dp->d;

		dp->px[x] = (struct fb_deep_px){ .dcr = (double)dr, .dci = (double)di, .x = x };
	}
	fb_deep_plain_avx512(&pl, dp->px, dp->w, lanes_advance, &c, count, mag2, &steps);
	return steps;
}
#endif

uint64_t fb_escape_deep_row(const struct fb_escape_deep *dp, uint32_t y, uint32_t *count,
			    double *mag2)
{
	long double di = (dp->h / 2.0L - ((long double)y + 0.5L)) * dp->d;
	uint64_t steps = 0;

	if (!dp->orbit)
		FB_BUG("a deep row computed before the kernel's prepare()");
#if defined(__x86_64__)
	if (dp->lanes)
		return row_lanes(dp, y, count, mag2);
#endif
	for (uint32_t x = 0; x < dp->w; x++) {
		long double dr = ((long double)x + 0.5L - dp->w / 2.0L) * dp->d;
		long double lzr = 0, lzi = 0;
		double zr = 0, zi = 0;
		uint32_t m = 0, k = 0;

		if (dp->ld)
			advance_ld(dp, dr, di, &lzr, &lzi, &m, &k, false, &count[x], &mag2[x], &steps);
		else
			advance_d(dp, (double)dr, (double)di, &zr, &zi, &m, &k, false, &count[x],
				  &mag2[x], &steps);
	}
	return steps;
}

void fb_escape_deep_destroy(struct fb_escape_deep *dp)
{
	if (!dp)
		return;
	shared_free(dp->bla, dp->bla_size);	/* the orbit stays cached for the next job */
	free(dp->px);
	free(dp);
}
