/* test_filter.c: every filter op, under every edge mode, on every image layout, equals
 * the serial reference within 1 unit (on the 8-bit scale), including tiny images and
 * windows larger than the image, and gives identical bytes at every worker count and
 * schedule. The kernel is driven as forkband drives it: a JSON config (parsed by
 * io/config, which reads the input PNG) and its passes run on the pool. */
#include "runtime/compat.h"

#include "check.h"
#include "filter_ref.h"
#include "io/config.h"
#include "io/png_read.h"
#include "io/png_write.h"
#include "kernels/kernel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/fb-filter-XXXXXX";

/* A deterministic image with edges, gradients and (when it has alpha) transparency. */
static void make_image(struct fb_image *img, uint32_t w, uint32_t h, unsigned c, unsigned depth)
{
	uint32_t seed = 12345 + w * 31 + h * 17 + c * 7 + depth;
	size_t n = (size_t)w * h * c;

	*img = (struct fb_image){ w, h, c, depth, malloc(n * (depth / 8)) };
	for (size_t i = 0; i < n; i++) {
		size_t p = i / c, x = p % w, y = p / w;
		unsigned ch = (unsigned)(i % c);
		uint32_t v;

		seed = seed * 1103515245u + 12345u;
		v = (uint32_t)((x * 255 / (w > 1 ? w - 1 : 1) + (y * 4 > h ? 90 : 0) + ch * 40 +
				(seed >> 24) % 30) % 256);
		if ((c == 2 || c == 4) && ch == c - 1)	/* alpha: opaque, half, and clear areas */
			v = x < w / 3 ? 255 : x < 2 * w / 3 ? 128 : (y % 3 ? 0 : 255);
		if (depth == 16)
			((uint16_t *)img->data)[i] = (uint16_t)(v * 257 + (seed >> 28));
		else
			((uint8_t *)img->data)[i] = (uint8_t)v;
	}
}

struct opcase {
	const char *json;	/* the ops as config JSON */
	struct ref_filter_op ref[3];
	size_t n;
};

static const struct opcase cases[] = {
	{ "[{\"op\":\"gaussian\",\"sigma\":1.5}]", { { .op = R_GAUSSIAN, .a = 1.5 } }, 1 },
	{ "[{\"op\":\"box\",\"radius\":2}]", { { .op = R_BOX, .a = 2 } }, 1 },
	{ "[{\"op\":\"unsharp\",\"sigma\":1,\"amount\":0.8,\"threshold\":3}]",
	  { { .op = R_UNSHARP, .a = 1, .b = 0.8, .c = 3 } }, 1 },
	{ "[{\"op\":\"sobel\"}]", { { .op = R_SOBEL } }, 1 },
	{ "[{\"op\":\"median\",\"radius\":2}]", { { .op = R_MEDIAN, .a = 2 } }, 1 },
	{ "[{\"op\":\"convolve\",\"matrix\":[[0,-1,0],[-1,5,-1],[0,-1,0]]}]",
	  { { .op = R_CONVOLVE, .n = 3, .m = { 0, -1, 0, -1, 5, -1, 0, -1, 0 } } }, 1 },
	{ "[{\"op\":\"convolve\",\"matrix\":[[1,2,1],[0,0,0],[-1,-2,-1]],\"bias\":128}]",
	  { { .op = R_CONVOLVE, .n = 3, .m = { 1, 2, 1, 0, 0, 0, -1, -2, -1 }, .bias = 128 } }, 1 },
	{ "[{\"op\":\"gray\"},{\"op\":\"invert\"}]", { { .op = R_GRAY }, { .op = R_INVERT } }, 2 },
	{ "[{\"op\":\"gaussian\",\"sigma\":0.8},{\"op\":\"sobel\"},{\"op\":\"box\",\"radius\":1}]",
	  { { .op = R_GAUSSIAN, .a = 0.8 }, { .op = R_SOBEL }, { .op = R_BOX, .a = 1 } }, 3 },
	/* A window far larger than the tiny images below. */
	{ "[{\"op\":\"box\",\"radius\":9}]", { { .op = R_BOX, .a = 9 } }, 1 },
};

static const char *const edges[] = { "clamp", "mirror", "wrap", "zero" };

/* Runs the filter job on the pool; returns the output image (copied) or data NULL. */
static struct fb_image run(const struct fb_job *job, unsigned workers, enum fb_schedule s)
{
	const struct fb_kernel *k = job->kernel;
	struct fb_pool_options opt = { .workers = workers, .schedule = s };
	struct fb_image copy = { 0 };
	struct fb_kernel_output out;
	struct fb_pass pass;
	void *state = NULL;
	size_t size = 0;

	struct fb_image input = { 0 };

	/* The config reads only the header of a streaming kernel's input. */
	if (fb_png_read_image(job->input, NULL, &input) < 0)
		return copy;
	if (k->create(&state, job->params, job->width, job->height, &input) < 0) {
		fb_image_free(&input);
		return copy;
	}
	for (unsigned i = 0; k->pass(state, i, &pass); i++) {
		struct fb_pass_stats st;

		if (fb_pool_run(&opt, &pass, &st) < 0) {
			k->destroy(state);
			fb_image_free(&input);
			return copy;
		}
		fb_pass_stats_free(&st);
	}
	k->output(state, &out);
	copy = *out.image;
	fb_image_sizes(copy.width, copy.height, copy.channels, copy.depth, NULL, &size);
	copy.data = malloc(size);
	memcpy(copy.data, out.image->data, size);
	k->destroy(state);
	fb_image_free(&input);
	return copy;
}

static void one(const struct fb_image *in, const char *png, const struct opcase *oc, int edge,
		bool all_schedules)
{
	static const unsigned workers[] = { 1, 2, 3, 7 };
	char text[1024];
	struct fb_batch b;
	struct fb_image ref, first = { 0 };
	size_t size = 0, diff = 0, worst = 0;
	unsigned tol = in->depth == 16 ? 257 : 1;

	snprintf(text, sizeof(text),
		 "{\"kernel\":\"filter\",\"input\":\"%s\",\"params\":{\"ops\":%s,\"edge\":\"%s\"}}",
		 png, oc->json, edges[edge]);
	if (fb_config_parse("test", text, strlen(text), NULL, 0, &b) < 0) {
		CHECK(0, "config refused: %s", text);
		return;
	}
	ref_filter(in, oc->ref, oc->n, (enum ref_edge)edge, &ref);
	for (size_t wi = 0; wi < FB_ARRAY_LEN(workers); wi++) {
		for (int s = 0; s < FB_SCHED_COUNT; s++) {
			struct fb_image got;

			if (!all_schedules && (wi > 1 || (s != FB_SCHED_DYNAMIC && s != FB_SCHED_STATIC)))
				continue;
#ifdef __SANITIZE_ADDRESS__
			/* A sanitizer build checks the code paths, not every count again: one
			 * worker static and two dynamic. */
			if (!all_schedules && (wi == 0) != (s == FB_SCHED_STATIC))
				continue;
#endif
			got = run(&b.job[0], workers[wi], (enum fb_schedule)s);
			CHECK(got.data != NULL, "run failed");
			if (!got.data)
				continue;
			CHECK(got.channels == ref.channels, "%s: %u channels, reference %u", oc->json,
			      got.channels, ref.channels);
			fb_image_sizes(got.width, got.height, got.channels, got.depth, NULL, &size);
			if (!first.data) {
				first = got;
				for (size_t i = 0; i < size / (got.depth / 8); i++) {
					long a = got.depth == 16 ? ((uint16_t *)got.data)[i] : ((uint8_t *)got.data)[i];
					long r = got.depth == 16 ? ((uint16_t *)ref.data)[i] : ((uint8_t *)ref.data)[i];
					size_t d = (size_t)labs(a - r);

					diff += d > tol;
					worst = d > worst ? d : worst;
				}
				continue;
			}
			CHECK(memcmp(first.data, got.data, size) == 0,
			      "%s edge %s %ux%u: -j %u %s differs from -j 1", oc->json, edges[edge],
			      in->width, in->height, workers[wi], fb_schedule_name((enum fb_schedule)s));
			free(got.data);
		}
	}
	CHECK(diff == 0, "%s edge %s on %ux%u, %u channels, %u-bit: %zu samples differ from the "
	      "reference by more than %u (worst %zu)", oc->json, edges[edge], in->width,
	      in->height, in->channels, in->depth, diff, tol, worst);
	free(first.data);
	free(ref.data);
	fb_batch_free(&b);
}

/* The filter of ops on an 8x8 gray image that is black but for an L of white: column 5,
 * rows 2 to 4, and pixel (4, 4). Around (4, 3) that makes Gx = 4 max and Gy = 2 max, the
 * largest Sobel magnitude there is. Returns the output's smallest and largest sample. */
static void extremes(const char *ops, unsigned *lo, unsigned *hi)
{
	struct fb_image in = { 8, 8, 1, 8, calloc(64, 1) }, out;
	char png[160], text[512];
	struct fb_batch b;

	*lo = 256;
	*hi = 0;
	for (unsigned y = 2; y <= 4; y++)
		((uint8_t *)in.data)[y * 8 + 5] = 255;
	((uint8_t *)in.data)[4 * 8 + 4] = 255;
	snprintf(png, sizeof(png), "%s/square.png", tmpdir);
	snprintf(text, sizeof(text),
		 "{\"kernel\":\"filter\",\"input\":\"%s\",\"params\":{\"ops\":%s}}", png, ops);
	if (fb_png_write_image(png, &in, NULL, 0) < 0 ||
	    fb_config_parse("test", text, strlen(text), NULL, 0, &b) < 0) {
		CHECK(0, "cannot set up %s", ops);
		free(in.data);
		return;
	}
	out = run(&b.job[0], 2, FB_SCHED_DYNAMIC);
	for (size_t i = 0; out.data && i < 64; i++) {
		unsigned v = ((uint8_t *)out.data)[i];

		*lo = v < *lo ? v : *lo;
		*hi = v > *hi ? v : *hi;
	}
	free(out.data);
	free(in.data);
	fb_batch_free(&b);
	unlink(png);
}

int main(void)
{
	static const struct {
		uint32_t w, h;
		unsigned c, depth;
	} images[] = {
		{ 23, 17, 3, 8 }, { 19, 13, 4, 8 }, { 16, 9, 1, 8 }, { 11, 8, 2, 16 },
		{ 13, 7, 3, 16 }, { 1, 1, 3, 8 }, { 1, 9, 4, 8 }, { 9, 1, 1, 8 },
	};
	char png[128];

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	{
		unsigned lo, hi;

		/* The largest possible gradient maps to white. */
		extremes("[{\"op\":\"sobel\"}]", &lo, &hi);
		CHECK(hi == 255, "sobel's largest magnitude is %u, not white", hi);
		/* Entries far outside float's range, with the matching divisor: the identity. */
		extremes("[{\"op\":\"convolve\",\"matrix\":[[1e300]]}]", &lo, &hi);
		CHECK(lo == 0 && hi == 255, "convolve [[1e300]] gave %u..%u, not the image", lo, hi);
	}
	for (size_t i = 0; i < FB_ARRAY_LEN(images); i++) {
		struct fb_image in;

		make_image(&in, images[i].w, images[i].h, images[i].c, images[i].depth);
		snprintf(png, sizeof(png), "%s/in%zu.png", tmpdir, i);
		if (fb_png_write_image(png, &in, NULL, 0) < 0) {
			CHECK(0, "cannot write %s", png);
			continue;
		}
		for (size_t k = 0; k < FB_ARRAY_LEN(cases); k++)
			for (int e = 0; e < 4; e++)
				one(&in, png, &cases[k], e, i == 0 && e == 0);
		printf("  %ux%u, %u channels, %u-bit: %zu op lists x 4 edge modes checked\n",
		       in.width, in.height, in.channels, in.depth, FB_ARRAY_LEN(cases));
		unlink(png);
		free(in.data);
	}
	rmdir(tmpdir);
	return check_exit("test_filter");
}
