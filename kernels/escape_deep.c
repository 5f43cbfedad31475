/* escape_deep.c: deep zoom by perturbation from one reference orbit (escape_deep.h). */
#include "runtime/compat.h"

#include "escape_deep.h"

#include "escape.h"
#include "runtime/error.h"
#include "runtime/shared_mem.h"

#include <math.h>
#include <mpfr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A reference orbit: Z_0 .. Z_len in shared memory, read-only to the workers, and what
 * made it. The last one computed is kept (cached) for the next job of the run: the
 * frames of a zoom sequence share it while their precision does. */
struct orbit {
	long double (*z)[2];
	size_t size;
	uint32_t len;			/* the last index stored */
	uint32_t max_iter;
	long double r2;
	mpfr_prec_t prec;
	char *key[2];			/* the center, as its text or the double in %a */
};

struct fb_escape_deep {
	const struct orbit *orbit;	/* the cache's: not freed with the state */
	uint32_t w, h, max_iter;
	long double d, r2;
	bool rebase;			/* false only under FORKBAND_TEST_NO_REBASE=1 */
};

static struct orbit cached;

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

size_t fb_escape_deep_footprint(const struct escape_params *p)
{
	return ((size_t)p->max_iter + 1) * sizeof(long double[2]);
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

/* Computes the orbit of p's center into o at prec bits. 0, or -1 after reporting. */
static int compute_orbit(struct orbit *o, const struct escape_params *p, mpfr_prec_t prec,
			 long double r2)
{
	mpfr_t cr, ci, zr, zi, zr2, zi2, t;
	uint32_t n;

	o->max_iter = (uint32_t)p->max_iter;
	o->r2 = r2;
	o->prec = prec;
	o->size = fb_escape_deep_footprint(p);
	o->z = shared_malloc_or_error(o->size);
	if (!o->z)
		return -1;
	mpfr_inits2(prec, cr, ci, zr, zi, zr2, zi2, t, (mpfr_ptr)0);
	set_center(cr, p, 0);
	set_center(ci, p, 1);
	mpfr_set_zero(zr, 1);
	mpfr_set_zero(zi, 1);
	o->z[0][0] = o->z[0][1] = 0;
	for (n = 1; n <= o->max_iter; n++) {
		/* Z' = (zr^2 - zi^2 + cr, 2 zr zi + ci) */
		mpfr_sqr(zr2, zr, MPFR_RNDN);
		mpfr_sqr(zi2, zi, MPFR_RNDN);
		mpfr_mul(t, zr, zi, MPFR_RNDN);
		mpfr_mul_2ui(t, t, 1, MPFR_RNDN);
		mpfr_add(zi, t, ci, MPFR_RNDN);
		mpfr_sub(zr, zr2, zi2, MPFR_RNDN);
		mpfr_add(zr, zr, cr, MPFR_RNDN);
		o->z[n][0] = mpfr_get_ld(zr, MPFR_RNDN);
		o->z[n][1] = mpfr_get_ld(zi, MPFR_RNDN);
		/* An escaped reference is no use beyond its escape: pixels rebase there. */
		if (o->z[n][0] * o->z[n][0] + o->z[n][1] * o->z[n][1] > r2)
			break;
	}
	o->len = n > o->max_iter ? o->max_iter : n;
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

int fb_escape_deep_create(struct fb_escape_deep **out, const struct escape_params *p,
			  uint32_t w, uint32_t h, double r2)
{
	struct fb_escape_deep *dp = calloc(1, sizeof(*dp));
	const char *no_rebase = getenv("FORKBAND_TEST_NO_REBASE");
	struct orbit o = { 0 };
	mpfr_prec_t prec;

	if (!dp)
		return fb_error("out of memory");
	dp->w = w;
	dp->h = h;
	dp->max_iter = (uint32_t)p->max_iter;
	dp->d = fb_escape_pixel_size(p, w);
	dp->r2 = r2;
	dp->rebase = !(no_rebase && strcmp(no_rebase, "1") == 0);
	/* The center to well below a pixel: the bits of its size and of the pixel's, and 64
	 * more for the iteration's own rounding; rounded up to a multiple of 256 bits, so
	 * that the frames of a zoom sequence share one orbit over 77 decades of scale, and
	 * a frame run alone computes the very orbit it had in the sequence. */
	prec = 64 + (mpfr_prec_t)ceill(log2l(fmaxl(1.0L, fmaxl(fabsl(p->center[0]),
								      fabsl(p->center[1])))) -
					  log2l(dp->d));
	prec = (prec + 255) / 256 * 256;
	o.key[0] = center_key(p, 0);
	o.key[1] = center_key(p, 1);
	if (!o.key[0] || !o.key[1]) {
		orbit_free(&o);
		free(dp);
		return fb_error("out of memory");
	}
	if (!cached.z || cached.prec != prec || cached.max_iter != (uint32_t)p->max_iter ||
	    cached.r2 != dp->r2 || strcmp(cached.key[0], o.key[0]) != 0 ||
	    strcmp(cached.key[1], o.key[1]) != 0) {
		if (compute_orbit(&o, p, prec, dp->r2) < 0) {
			orbit_free(&o);
			free(dp);
			return -1;
		}
		orbit_free(&cached);
		cached = o;
	} else {
		orbit_free(&o);
	}
	dp->orbit = &cached;
	*out = dp;
	return 0;
}

/* One pixel, dc from the reference: the count, and |z|^2 at escape into *mag2. */
static uint32_t deep_count(const struct fb_escape_deep *dp, long double dcr, long double dci,
			   double *mag2)
{
	const long double (*Z)[2] = (const long double (*)[2])dp->orbit->z;
	uint32_t len = dp->orbit->len;
	long double zr = 0, zi = 0;	/* dz */
	uint32_t m = 0;

	for (uint32_t k = 1; k <= dp->max_iter; k++) {
		long double tr = 2 * Z[m][0] + zr, ti = 2 * Z[m][1] + zi;
		long double nr = tr * zr - ti * zi + dcr, ni = tr * zi + ti * zr + dci;
		long double fr, fi, f2;

		m++;
		zr = nr;
		zi = ni;
		fr = Z[m][0] + zr;
		fi = Z[m][1] + zi;
		f2 = fr * fr + fi * fi;
		if (f2 > dp->r2) {
			*mag2 = (double)f2;
			return k;
		}
		if (m == len || (dp->rebase && f2 < zr * zr + zi * zi)) {
			zr = fr;
			zi = fi;
			m = 0;
		}
	}
	*mag2 = 0;
	return 0;
}

void fb_escape_deep_row(const struct fb_escape_deep *dp, uint32_t y, uint32_t *count,
			double *mag2)
{
	long double di = (dp->h / 2.0L - ((long double)y + 0.5L)) * dp->d;

	for (uint32_t x = 0; x < dp->w; x++) {
		long double dr = ((long double)x + 0.5L - dp->w / 2.0L) * dp->d;

		count[x] = deep_count(dp, dr, di, &mag2[x]);
	}
}

void fb_escape_deep_destroy(struct fb_escape_deep *dp)
{
	free(dp);	/* the orbit stays cached for the run's next job */
}
