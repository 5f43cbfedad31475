/* fuzz_config.c: libFuzzer target for the config loader: the bytes as a job file
 * (fb_config_parse) and as a job stored in a PNG (fb_config_parse_pixels).
 *
 * Validation reads the files a job names (a filter's input PNG, matmul's .npy
 * operands) and checks its output folders, so each input is parsed inside a scratch
 * folder holding small files under the names the seeds use: docs/mandelbrot.png (as in
 * configs/blur.json), in.png, a.npy and b.npy. Without them every filter job would stop
 * at its input and the fuzzer would never reach the filter's parameters.
 *
 * A job that validates is printed back as its pixels-only JSON (what forkband stores
 * in the PNGs it writes) and that must validate again: a stored job that does not load
 * back is a bug of the printer or the checks.
 *
 * Sizes are bounded before parsing: a 60-byte job may ask for a 1000000x1000000 heat
 * grid or a generated 1000000x1000 matrix, which validation allocates or fills on
 * purpose (config.c: "so that the kernel gets numbers, not files"); such inputs are
 * skipped, not parsed, so that the fuzzer spends its time on the parser.
 */
#include "runtime/compat.h"

#include "fuzz_input.h"
#include "io/config.h"
#include "io/npy.h"
#include "io/png_write.h"
#include "runtime/error.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char scratch[] = "/tmp/forkband-fuzz-config-XXXXXX";
static int scratch_fd = -1, home_fd = -1;
static const char *const scratch_files[] = { "docs/mandelbrot.png", "in.png", "a.npy",
					     "b.npy" };

static void remove_scratch(void)
{
	char p[128];

	for (size_t i = 0; i < FB_ARRAY_LEN(scratch_files); i++) {
		snprintf(p, sizeof(p), "%s/%s", scratch, scratch_files[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/docs", scratch);
	rmdir(p);
	rmdir(scratch);
}

/* The scratch folder and its files; the current folder stays where it was. */
static void make_scratch(void)
{
	uint8_t rgb[8 * 6 * 3];
	uint16_t gray[5 * 3];
	double a[3 * 4];
	float b[4 * 2];
	struct fb_image img = { 5, 3, 1, 16, gray };
	char p[128];

	for (size_t i = 0; i < sizeof(rgb); i++)
		rgb[i] = (uint8_t)(i * 37);
	for (size_t i = 0; i < FB_ARRAY_LEN(gray); i++)
		gray[i] = (uint16_t)(i * 4099);
	for (size_t i = 0; i < FB_ARRAY_LEN(a); i++)
		a[i] = (double)i - 5.5;
	for (size_t i = 0; i < FB_ARRAY_LEN(b); i++)
		b[i] = (float)i / 3;
	if (!mkdtemp(scratch))
		fuzz_fail("mkdtemp", strerror(errno));
	atexit(remove_scratch);
	snprintf(p, sizeof(p), "%s/docs", scratch);
	if (mkdir(p, 0700) < 0)
		fuzz_fail("mkdir", strerror(errno));
	snprintf(p, sizeof(p), "%s/docs/mandelbrot.png", scratch);
	if (fb_png_write_rgb(p, 8, 6, rgb, NULL, 0) < 0)
		fuzz_fail("cannot write", p);
	snprintf(p, sizeof(p), "%s/in.png", scratch);
	if (fb_png_write_image(p, &img, NULL, 0) < 0)
		fuzz_fail("cannot write", p);
	snprintf(p, sizeof(p), "%s/a.npy", scratch);
	if (fb_npy_write(p, "<f8", sizeof(double), 3, 4, a) < 0)
		fuzz_fail("cannot write", p);
	snprintf(p, sizeof(p), "%s/b.npy", scratch);
	if (fb_npy_write(p, "<f4", sizeof(float), 4, 2, b) < 0)
		fuzz_fail("cannot write", p);
	scratch_fd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	home_fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (scratch_fd < 0 || home_fd < 0)
		fuzz_fail("cannot open the scratch or current folder", strerror(errno));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	make_scratch();
	return 0;
}

/* The largest number under key anywhere in v, or 0. */
static double largest(const cJSON *v, const char *key)
{
	double m = 0;

	for (const cJSON *it = v ? v->child : NULL; it; it = it->next) {
		double x = largest(it, key);

		if (cJSON_IsNumber(it) && it->string && strcmp(it->string, key) == 0)
			x = it->valuedouble;
		if (x > m)
			m = x;
	}
	return m;
}

/* False for a job that would make validation allocate or fill more than a few tens of
 * MiB (see the top of the file); true for anything else, JSON or not. */
static bool small_enough(const uint8_t *data, size_t size)
{
	cJSON *doc = cJSON_ParseWithLength((const char *)data, size);
	double w, h, rows, cols, iter;

	if (!doc)
		return true;
	w = largest(doc, "width");
	h = largest(doc, "height");
	rows = largest(doc, "rows");
	cols = largest(doc, "cols");
	iter = largest(doc, "max_iter");
	cJSON_Delete(doc);
	/* Absent: the defaults, 1920x1080. */
	return (w ? w : 1920) * (h ? h : 1080) <= (double)(1 << 24) &&
	       rows * cols <= (double)(1 << 20) && iter <= (double)(1 << 22);
}

/* A validated batch's jobs, printed as stored jobs, must load back. */
static void check_round_trip(const struct fb_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct fb_error_capture cap;
		struct fb_batch again;
		char *json = fb_job_pixels_json(&b->job[i]);
		cJSON *full = fb_job_to_json(&b->job[i]);
		int rc;

		if (!json || !full)
			fuzz_fail("fb_job_pixels_json or fb_job_to_json", "returned NULL");
		fb_error_capture_begin(&cap);
		rc = fb_config_parse_pixels("stored", json, strlen(json), NULL, 0, &again);
		fb_error_capture_end(&cap);
		if (rc < 0) {
			fprintf(stderr, "stored job: %s\n", json);
			fuzz_fail("a validated job does not load back", cap.msg);
		}
		fb_batch_free(&again);
		cJSON_Delete(full);
		free(json);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fb_error_capture cap;
	struct fb_batch b;
	int rc;

	if (scratch_fd < 0)	/* a driver that does not call LLVMFuzzerInitialize */
		make_scratch();
	if (!small_enough(data, size))
		return 0;
	if (fchdir(scratch_fd) < 0)
		fuzz_fail("cannot enter the scratch folder", strerror(errno));
	for (int pixels = 0; pixels < 2; pixels++) {
		fb_error_capture_begin(&cap);
		rc = (pixels ? fb_config_parse_pixels : fb_config_parse)(
			"fuzz.json", (const char *)data, size, NULL, 0, &b);
		fb_error_capture_end(&cap);
		if (rc == 0) {
			if (!b.n || !b.job)
				fuzz_fail("fb_config_parse", "succeeded with no jobs");
			check_round_trip(&b);
			fb_batch_free(&b);
		} else {
			fuzz_check_message("fb_config_parse", cap.msg);
			if (b.n || b.job)
				fuzz_fail("fb_config_parse", "failed but left jobs");
		}
	}
	if (fchdir(home_fd) < 0)
		fuzz_fail("cannot leave the scratch folder", strerror(errno));
	return 0;
}
