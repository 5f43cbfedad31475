/* test_stats.c: the study's statistics against values worked out by hand. */
#include "runtime/compat.h"

#include "app/stats.h"
#include "check.h"

#include <math.h>

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

int main(void)
{
	/* Odd count: the middle value of the sorted list 1 2 3 4 100. */
	double odd[] = { 3, 1, 100, 2, 4 };
	/* Even count: mean of the two middle values of 1 2 3 4 -> 2.5. */
	double even[] = { 4, 1, 3, 2 };
	/* Deviations from 3 are 0 2 97 1 1 -> sorted 0 1 1 2 97 -> MAD 1. */
	double mad_odd = fb_mad(odd, 5, 3);
	/* All equal but one: MAD 0, mean absolute deviation (0+0+0+0+5)/5 = 1. */
	double flat[] = { 2, 2, 2, 2, 7 };
	double one[] = { 42 };

	CHECK(fb_median(odd, 5) == 3, "median of odd list: %g", fb_median(odd, 5));
	CHECK(odd[0] == 3 && odd[2] == 100, "fb_median sorted its input");
	CHECK(fb_median(even, 4) == 2.5, "median of even list: %g", fb_median(even, 4));
	CHECK(fb_median(one, 1) == 42, "median of one value");
	CHECK(isnan(fb_median(one, 0)), "median of nothing is NAN");
	CHECK(mad_odd == 1, "MAD: %g", mad_odd);
	/* Even MAD: deviations of 1 2 3 4 from 2.5 are 1.5 .5 .5 1.5 -> 1. */
	CHECK(fb_mad(even, 4, 2.5) == 1, "MAD of even list: %g", fb_mad(even, 4, 2.5));

	/* Modified z of 100: 0.6745 * (100 - 3) / 1 = 65.4265: an outlier. */
	CHECK(NEAR(fb_modified_z(100, 3, 1, 0), 65.4265), "z(100): %.9g",
	      fb_modified_z(100, 3, 1, 0));
	/* z of 4: 0.6745 * 1 / 1 = 0.6745: not one. */
	CHECK(NEAR(fb_modified_z(4, 3, 1, 0), 0.6745), "z(4)");
	CHECK(fabs(fb_modified_z(4, 3, 1, 0)) < FB_OUTLIER_Z, "4 is not an outlier");
	/* With a MAD of 2, x = 13 sits at 0.6745 * 10 / 2 = 3.3725: just inside. */
	CHECK(NEAR(fb_modified_z(13, 3, 2, 0), 3.3725), "z(13): %.9g", fb_modified_z(13, 3, 2, 0));
	CHECK(NEAR(fb_modified_z(-7, 3, 1, 0), -6.745), "z(-7) is negative: %.9g",
	      fb_modified_z(-7, 3, 1, 0));
	/* MAD 0: falls back to the mean absolute deviation: (7 - 2) / (1.253314 * 1). */
	CHECK(fb_mad(flat, 5, 2) == 0, "MAD of flat list");
	CHECK(fb_meanad(flat, 5, 2) == 1, "mean abs deviation: %g", fb_meanad(flat, 5, 2));
	CHECK(NEAR(fb_modified_z(7, 2, 0, 1), 5 / 1.253314), "z with MAD 0");
	CHECK(fb_modified_z(2, 2, 0, 0) == 0, "z of identical values");

	/* Karp-Flatt: perfect speedup -> 0; no speedup on 4 -> 1; S = 3 on 4 ->
	 * (1/3 - 1/4) / (3/4) = 1/9. */
	CHECK(NEAR(fb_karp_flatt(4, 4), 0), "e(4, 4)");
	CHECK(NEAR(fb_karp_flatt(1, 4), 1), "e(1, 4)");
	CHECK(NEAR(fb_karp_flatt(3, 4), 1.0 / 9), "e(3, 4): %.9g", fb_karp_flatt(3, 4));
	/* S = 12 on 16: (1/12 - 1/16) / (15/16) = 1/45. */
	CHECK(NEAR(fb_karp_flatt(12, 16), 1.0 / 45), "e(12, 16): %.9g", fb_karp_flatt(12, 16));
	/* Superlinear speedup gives a negative serial fraction, which is reported as is. */
	CHECK(fb_karp_flatt(5, 4) < 0, "e(5, 4)");
	CHECK(isnan(fb_karp_flatt(1, 1)), "e at N = 1 is undefined");
	CHECK(isnan(fb_karp_flatt(0, 4)), "e of zero speedup is undefined");
	return check_exit("test_stats");
}
