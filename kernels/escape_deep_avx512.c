/* escape_deep_avx512.c: deep zoom's plain stretches in double, eight pixels a vector
 * (escape_deep_plain.h). Built with -mavx512f; the project's -ffp-contract=off keeps
 * every multiply and add separate, as in the scalar step. */
#include "runtime/compat.h"

#include "escape_deep_plain.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define LANES 16		/* two vectors stepped side by side: two chains to overlap */

/* The lanes, spilled to memory where a lane changes hands. */
struct lanes {
	double zr[LANES], zi[LANES], dcr[LANES], dci[LANES];
	int64_t m[LANES], k[LANES];
	uint32_t pixel[LANES];	/* the index into px of each live lane */
};

/* One vector of lanes in registers, and what its last step found. */
struct group {
	__m512d zr, zi, dcr, dci, f2;
	__m512d Zr, Zi;		/* Z_m of each lane (0 at m = 0) */
	__m512i m, k;
	__mmask8 live, want, done, esc;
};

/* Puts pixel i of px into lane l. */
static void load_lane(struct lanes *ln, unsigned l, const struct fb_deep_px *px, uint32_t i)
{
	ln->zr[l] = px[i].zr;
	ln->zi[l] = px[i].zi;
	ln->dcr[l] = px[i].dcr;
	ln->dci[l] = px[i].dci;
	ln->m[l] = px[i].m;
	ln->k[l] = px[i].k;
	ln->pixel[l] = i;
}

/* An empty lane: at iteration 0 with dz = dc = 0 it reads Z_0 and stays at 0. */
static void clear_lane(struct lanes *ln, unsigned l)
{
	ln->zr[l] = ln->zi[l] = ln->dcr[l] = ln->dci[l] = 0;
	ln->m[l] = ln->k[l] = 0;
	ln->pixel[l] = 0;	/* never read for a lane not live; set all the same */
}

/* Gives lane l the next pixel of px that still has plain steps to take (running each
 * through advance() first); clears it and returns false when none is left. */
static bool fill(struct lanes *ln, unsigned l, struct fb_deep_px *px, uint32_t n,
		 uint32_t *next, fb_deep_advance_fn *advance, void *ctx, uint64_t *steps)
{
	while (*next < n) {
		uint32_t i = (*next)++;

		if (!advance(ctx, &px[i], steps)) {
			load_lane(ln, l, px, i);
			return true;
		}
	}
	clear_lane(ln, l);
	return false;
}

/* One plain step of group g's live lanes, unless one of them leaves for a BLA step first
 * (g->want, nothing stepped). Returns whether any lane leaves or is done (g->done, with
 * g->esc the escaped ones and g->f2 their |z|^2). */
static inline bool step(const struct fb_deep_plain *pl, struct group *g, uint64_t *taken)
{
	const double *zre = &pl->Z[0][0], *zim = &pl->Z[0][1];
	const __m512d two = _mm512_set1_pd(2.0), zero = _mm512_setzero_pd();
	const __m512i one = _mm512_set1_epi64(1), z64 = _mm512_setzero_si512();
	__m512d Zr, Zi, tr, ti, nr, ni, fr, fi, af, az;
	__m512i m2;
	__mmask8 inside, reb, maybe;

	g->want = g->done = g->esc = 0;
	if (!g->live)
		return false;
	/* A lane whose dz is within level 1's radius at its m (m - 1 even, the step inside
	 * the orbit and max_iter) takes a BLA step: it leaves. */
	if (pl->n1) {
		__m512i i0 = _mm512_sub_epi64(g->m, one), i1 = _mm512_srli_epi64(i0, 1);
		__mmask8 cand = _mm512_mask_cmpgt_epi64_mask(g->live, g->m, z64);

		cand &= _mm512_testn_epi64_mask(i0, one) &
			_mm512_cmplt_epu64_mask(i1, _mm512_set1_epi64(pl->n1)) &
			_mm512_cmpge_epi64_mask(_mm512_sub_epi64(_mm512_set1_epi64(pl->max_iter),
								 g->k),
						_mm512_set1_epi64(2));
		__m512d dz2 = _mm512_add_pd(_mm512_mul_pd(g->zr, g->zr),
					    _mm512_mul_pd(g->zi, g->zi));

		/* No radius exceeds the largest: most steps end the search here. */
		cand = _mm512_mask_cmp_pd_mask(cand, dz2, _mm512_set1_pd(pl->r2max), _CMP_LT_OQ);
		if (cand) {
			/* r2 of entry i1: i1 * FB_DEEP_BLA_STRIDE (5: a shift and an add) */
			__m512d r1 = _mm512_mask_i64gather_pd(
				zero, cand, _mm512_add_epi64(_mm512_slli_epi64(i1, 2), i1),
				pl->r2_1, 8);

			g->want = _mm512_mask_cmp_pd_mask(cand, dz2, r1, _CMP_LT_OQ);
			if (g->want)
				return true;
		}
	}
	/* dz' = (2 Z_m + dz) dz + dc, grouped as the scalar step groups it. */
	tr = _mm512_add_pd(_mm512_mul_pd(two, g->Zr), g->zr);
	ti = _mm512_add_pd(_mm512_mul_pd(two, g->Zi), g->zi);
	nr = _mm512_add_pd(_mm512_sub_pd(_mm512_mul_pd(tr, g->zr), _mm512_mul_pd(ti, g->zi)),
			   g->dcr);
	ni = _mm512_add_pd(_mm512_add_pd(_mm512_mul_pd(tr, g->zi), _mm512_mul_pd(ti, g->zr)),
			   g->dci);
	g->m = _mm512_add_epi64(g->m, one);
	g->k = _mm512_add_epi64(g->k, one);
	*taken += (uint64_t)__builtin_popcount(g->live);
	m2 = _mm512_add_epi64(g->m, g->m);
	Zr = _mm512_i64gather_pd(m2, zre, 8);
	Zi = _mm512_i64gather_pd(m2, zim, 8);
	fr = _mm512_add_pd(Zr, nr);
	fi = _mm512_add_pd(Zi, ni);
	g->f2 = _mm512_add_pd(_mm512_mul_pd(fr, fr), _mm512_mul_pd(fi, fi));
	g->esc = _mm512_mask_cmp_pd_mask(g->live, g->f2, _mm512_set1_pd(pl->r2), _CMP_GT_OQ);
	/* Rebasing: at the orbit's end, or nearer 0 than dz (the max norms decide unless
	 * within a factor 2; then the scalar test, lane by lane). */
	reb = _mm512_mask_cmpeq_epi64_mask((__mmask8)(g->live & ~g->esc), g->m,
					   _mm512_set1_epi64(pl->len));
	if (pl->rebase) {
		af = _mm512_max_pd(_mm512_abs_pd(fr), _mm512_abs_pd(fi));
		az = _mm512_max_pd(_mm512_abs_pd(nr), _mm512_abs_pd(ni));
		maybe = (__mmask8)(g->live & ~g->esc & ~reb) &
			_mm512_cmp_pd_mask(af, _mm512_mul_pd(two, az), _CMP_LE_OQ) &
			_mm512_cmp_pd_mask(az, zero, _CMP_NEQ_OQ);
		if (maybe) {
			double a[4][8];

			_mm512_storeu_pd(a[0], fr);
			_mm512_storeu_pd(a[1], fi);
			_mm512_storeu_pd(a[2], nr);
			_mm512_storeu_pd(a[3], ni);
			for (unsigned l = 0; l < 8; l++)
				if ((maybe >> l & 1) &&
				    fb_deep_nearer_d(a[0][l], a[1][l], a[2][l], a[3][l]))
					reb |= (__mmask8)(1u << l);
		}
	}
	g->zr = _mm512_mask_blend_pd(reb, nr, fr);
	g->zi = _mm512_mask_blend_pd(reb, ni, fi);
	g->m = _mm512_mask_blend_epi64(reb, g->m, z64);
	g->Zr = _mm512_mask_blend_pd(reb, Zr, zero);	/* Z_0 = 0 */
	g->Zi = _mm512_mask_blend_pd(reb, Zi, zero);
	inside = _mm512_mask_cmpge_epi64_mask((__mmask8)(g->live & ~g->esc), g->k,
					      _mm512_set1_epi64(pl->max_iter));
	g->done = g->esc | inside;
	return g->done != 0;
}

/* Group i's lanes from memory into registers, with the Z_m of each. */
static inline void load_group(const struct fb_deep_plain *pl, const struct lanes *ln,
			      unsigned i, struct group *g)
{
	g->zr = _mm512_loadu_pd(&ln->zr[8 * i]);
	g->zi = _mm512_loadu_pd(&ln->zi[8 * i]);
	g->dcr = _mm512_loadu_pd(&ln->dcr[8 * i]);
	g->dci = _mm512_loadu_pd(&ln->dci[8 * i]);
	g->m = _mm512_loadu_si512(&ln->m[8 * i]);
	g->k = _mm512_loadu_si512(&ln->k[8 * i]);
	g->Zr = _mm512_i64gather_pd(_mm512_add_epi64(g->m, g->m), &pl->Z[0][0], 8);
	g->Zi = _mm512_i64gather_pd(_mm512_add_epi64(g->m, g->m), &pl->Z[0][1], 8);
}

/* After group i's last step: spills it; writes out the results of its finished pixels,
 * takes the leaving ones through advance(), and refills the free lanes. */
static inline void settle_group(const struct fb_deep_plain *pl, struct lanes *ln,
				unsigned i, struct group *g,
				struct fb_deep_px *px, uint32_t n, uint32_t *next,
				fb_deep_advance_fn *advance, void *ctx, uint32_t *count,
				double *mag2, uint64_t *steps)
{
	double f2s[8];

	if (!(g->done | g->want))
		return;
	_mm512_storeu_pd(&ln->zr[8 * i], g->zr);
	_mm512_storeu_pd(&ln->zi[8 * i], g->zi);
	_mm512_storeu_si512(&ln->m[8 * i], g->m);
	_mm512_storeu_si512(&ln->k[8 * i], g->k);
	_mm512_storeu_pd(f2s, g->f2);
	for (unsigned b = 0; b < 8; b++) {
		unsigned l = 8 * i + b;
		struct fb_deep_px *p = &px[ln->pixel[l]];

		if (g->done >> b & 1) {
			count[p->x] = g->esc >> b & 1 ? (uint32_t)ln->k[l] : 0;
			mag2[p->x] = g->esc >> b & 1 ? f2s[b] : 0;
		} else if (g->want >> b & 1) {
			p->zr = ln->zr[l];
			p->zi = ln->zi[l];
			p->m = (uint32_t)ln->m[l];
			p->k = (uint32_t)ln->k[l];
			if (!advance(ctx, p, steps)) {
				load_lane(ln, l, px, ln->pixel[l]);
				continue;
			}
		} else {
			continue;
		}
		if (!fill(ln, l, px, n, next, advance, ctx, steps))
			g->live &= (__mmask8)~(1u << b);
	}
	load_group(pl, ln, i, g);
}

void fb_deep_plain_avx512(const struct fb_deep_plain *pl, struct fb_deep_px *px, uint32_t n,
			  fb_deep_advance_fn *advance, void *ctx, uint32_t *count,
			  double *mag2, uint64_t *steps)
{
	struct lanes ln;
	struct group a = { .live = 0 }, b = { .live = 0 };
	uint32_t next = 0;
	uint64_t taken = 0;

	for (unsigned l = 0; l < 8; l++)
		if (fill(&ln, l, px, n, &next, advance, ctx, steps))
			a.live |= (__mmask8)(1u << l);
	for (unsigned l = 0; l < 8; l++)
		if (fill(&ln, 8 + l, px, n, &next, advance, ctx, steps))
			b.live |= (__mmask8)(1u << l);
	load_group(pl, &ln, 0, &a);
	load_group(pl, &ln, 1, &b);
	while (a.live || b.live) {
		/* The groups step in turn, so that one's chain of latencies runs while the
		 * other's waits; until a lane of either leaves or is done. */
		bool out_a, out_b;

		do {
			out_a = step(pl, &a, &taken);
			out_b = step(pl, &b, &taken);
		} while (!out_a && !out_b);
		settle_group(pl, &ln, 0, &a, px, n, &next, advance, ctx, count, mag2, steps);
		settle_group(pl, &ln, 1, &b, px, n, &next, advance, ctx, count, mag2, steps);
	}
	*steps += taken;
}
#endif
