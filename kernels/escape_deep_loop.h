/* escape_deep_loop.h: the per-pixel work of deep zoom (escape_deep.h), written once for
 * the two number types it runs in. escape_deep.c includes it twice, with REAL defined as
 * double (arithmetic "fast", views whose pixel is 2^-960 and larger) and as long double
 * (the rest), NAME(x) naming x for that type, and EPS_BITS the type's mantissa bits.
 * Here <tgmath.h> makes fabs, frexp, ldexp, sqrt and hypot those of REAL.
 *
 * Bilinear approximation (BLA). Near the reference, one step of a pixel's difference,
 * dz' = 2 Z_m dz + dz^2 + dc, is the linear A dz + B dc (A = 2 Z_m, B = 1) but for dz^2,
 * which is below EPS (2^-EPS_BITS, the type's own rounding) of |A dz| while |dz| < EPS |A|:
 * the step's radius. Two steps in a row, x then y, are one linear step,
 * A = A_y A_x, B = A_y B_x + B_y, valid while dz is within x's radius and lands within
 * y's: r = min(r_x, (r_y - |B_x| |dc|max) / |A_x|), |dc|max the view's largest offset
 * from the center. The table holds, for every level j >= 0, the steps of 2^j
 * iterations starting at reference iteration m = 1 + i 2^j (i = 0, 1, ...) that end at
 * or before the orbit's end. A pixel at iteration m takes the longest valid one that
 * starts there, else one plain step. The approximation's error is of the order of the
 * plain steps' own rounding, so counts stay those of plain perturbation but for the
 * rare pixel decided within rounding of the bailout (docs/deep-zoom.md). */

struct NAME(bla) {
	REAL ar, ai, br, bi;	/* dz -> A dz + B dc */
	REAL r2;		/* valid while |dz|^2 < r2 (0: never) */
};

/* The table of an orbit Z: level j at t + offset[j], n[j] entries (n[0]: the orbit's
 * length - 1, its steps from Z_1). Returns the largest r2 of level 1 and up (0: none). */
static REAL NAME(bla_build)(struct NAME(bla) *t, const REAL (*Z)[2], unsigned levels,
			    const size_t *offset, const uint32_t *n, REAL cmax)
{
	const REAL eps = ldexp((REAL)1, -EPS_BITS);
	REAL r2max = 0;

	for (uint32_t i = 0; i < n[0]; i++) {
		struct NAME(bla) *e = &t[i];
		REAL r;

		e->ar = 2 * Z[i + 1][0];
		e->ai = 2 * Z[i + 1][1];
		e->br = 1;
		e->bi = 0;
		r = eps * hypot(e->ar, e->ai);
		e->r2 = r * r;
	}
	for (unsigned j = 1; j < levels; j++) {
		const struct NAME(bla) *lo = t + offset[j - 1];
		struct NAME(bla) *hi = t + offset[j];

		for (uint32_t i = 0; i < n[j]; i++) {
			const struct NAME(bla) *x = &lo[2 * i], *y = &lo[2 * i + 1];
			struct NAME(bla) *e = &hi[i];
			REAL ry = sqrt(y->r2);
			REAL r = (ry - hypot(x->br, x->bi) * cmax) / hypot(x->ar, x->ai);

			e->ar = y->ar * x->ar - y->ai * x->ai;
			e->ai = y->ar * x->ai + y->ai * x->ar;
			e->br = y->ar * x->br - y->ai * x->bi + y->br;
			e->bi = y->ar * x->bi + y->ai * x->br + y->bi;
			/* fmax and fmin take the number over a NaN (an infinite A or B where the
			 * orbit's derivative overflowed): such a step is never valid. */
			r = fmax((REAL)0, r);
			/* Never above x's, to the last bit: the pixels' search relies on it. */
			e->r2 = fmin(x->r2, r * r);
			if (e->r2 > r2max)
				r2max = e->r2;
		}
	}
	return r2max;
}

/* Whether |f| < |dz|, without squaring into underflow (views below 1e-154 in double):
 * decided by the max norms when they differ by more than 2, else on both scaled by the
 * same power of 2 (exact), so the answer is that of the plain squares wherever those do
 * not underflow. */
static inline bool NAME(nearer)(REAL fr, REAL fi, REAL zr, REAL zi)
{
	REAL afr = fabs(fr), afi = fabs(fi), azr = fabs(zr), azi = fabs(zi);
	REAL af = afr > afi ? afr : afi, az = azr > azi ? azr : azi;
	int e;

	/* (Comparisons, not fmax: long double's is a library call.) */
	if (af > 2 * az || az == 0)
		return false;
	frexp(az, &e);
	fr = ldexp(fr, -e);
	fi = ldexp(fi, -e);
	zr = ldexp(zr, -e);
	zi = ldexp(zi, -e);
	return fr * fr + fi * fi < zr * zr + zi * zi;
}

/* Steps a pixel at offset dc, from dz = (*pzr, *pzi), reference iteration *pm and count
 * *pk, adding the steps it takes to *steps. Returns true when it is done: *count its
 * count (0: inside) and *mag2 |z|^2 at escape (0 inside). With stop_plain, returns false
 * instead, the pixel's place stored back, as soon as its next step would be a plain one
 * that no BLA step could replace (the lanes' share: escape_deep_plain.h). */
static bool NAME(advance)(const struct fb_escape_deep *dp, REAL dcr, REAL dci, REAL *pzr,
			  REAL *pzi, uint32_t *pm, uint32_t *pk, bool stop_plain,
			  uint32_t *count, double *mag2, uint64_t *steps)
{
	const REAL (*Z)[2] = (const REAL (*)[2])dp->orbit->z;
	const struct NAME(bla) *bla = dp->bla;
	uint32_t len = dp->orbit->len, max_iter = dp->max_iter;
	const REAL r2 = dp->r2;
	REAL zr = *pzr, zi = *pzi;	/* dz */
	uint32_t m = *pm, k = *pk, taken = 0;

	while (k < max_iter) {
		REAL fr, fi, f2;
		unsigned j = 0;

		if (bla && m >= 1) {
			/* The longest step that starts at m, fits in what is left of max_iter
			 * and holds dz within its radius. A level's radius is at most the one
			 * below's at the same start (bla_build), so the valid levels run from 1
			 * up: the search climbs, and stops at the first that fails. Past the
			 * table's largest radius no step is valid at all. */
			uint32_t i0 = m - 1, top = i0 ? (uint32_t)__builtin_ctz(i0) : dp->levels - 1;
			REAL dz2 = zr * zr + zi * zi;
			const struct NAME(bla) *use = NULL;

			if (dz2 < dp->NAME(r2max)) {
				if (top > dp->levels - 1)
					top = dp->levels - 1;
				for (unsigned l = 1; l <= top; l++) {
					const struct NAME(bla) *e;

					if ((i0 >> l) >= dp->n[l] || ((uint32_t)1 << l) > max_iter - k)
						break;
					e = &bla[dp->offset[l] + (i0 >> l)];
					if (!(dz2 < e->r2))
						break;
					use = e;
					j = l;
				}
			}
			if (use) {
				REAL nr = use->ar * zr - use->ai * zi + use->br * dcr - use->bi * dci;
				REAL ni = use->ar * zi + use->ai * zr + use->br * dci + use->bi * dcr;

				zr = nr;
				zi = ni;
				m += (uint32_t)1 << j;
				k += (uint32_t)1 << j;
			}
		}
		if (j == 0 && stop_plain) {
			/* A plain step: the lanes' (escape_deep_plain.h). */
			*pzr = zr;
			*pzi = zi;
			*pm = m;
			*pk = k;
			*steps += taken;
			return false;
		}
		if (j == 0) {
			REAL tr = 2 * Z[m][0] + zr, ti = 2 * Z[m][1] + zi;
			REAL nr = tr * zr - ti * zi + dcr, ni = tr * zi + ti * zr + dci;

			zr = nr;
			zi = ni;
			m++;
			k++;
		}
		taken++;
		fr = Z[m][0] + zr;
		fi = Z[m][1] + zi;
		f2 = fr * fr + fi * fi;
		if (f2 > r2) {
			*count = k;
			*mag2 = (double)f2;
			*steps += taken;
			return true;
		}
		if (m == len || (dp->rebase && NAME(nearer)(fr, fi, zr, zi))) {
			zr = fr;
			zi = fi;
			m = 0;
		}
	}
	*count = 0;
	*mag2 = 0;
	*steps += taken;
	return true;
}
