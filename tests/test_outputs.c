/* test_outputs.c: what `forkband run` writes is what it says: the PNG decodes with
 * libpng as 8-bit RGB and carries the job in a forkband:config tEXt chunk; the .npy has
 * a valid version 1.0 header and the reference counts; the report holds the totals.
 *
 * usage: test_outputs FORKBAND_BINARY WORKDIR
 */
#include "runtime/compat.h"

#include "check.h"
#include "reference.h"

#include <cJSON.h>
#include <png.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define W 123
#define H 77

static const struct ref_view view = { W, H, -0.6, 0.2, 2.8, 2.0, 300, false, 0, 0 };

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	*len = (size_t)n;
	fclose(f);
	return buf;
}

static int run_forkband(const char *bin, const char *dir)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		if (chdir(dir) != 0)
			_exit(127);
		execl(bin, bin, "run", "job.json", "-j", "3", "-q", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void check_png(const char *path, const uint32_t *ref)
{
	FILE *f = fopen(path, "rb");
	png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	png_textp text;
	int n = 0;
	bool have_config = false, have_software = false;
	uint8_t *rows;

	CHECK(f != NULL, "cannot open %s", path);
	if (!f)
		return;
	if (setjmp(png_jmpbuf(png))) {
		CHECK(0, "libpng failed to decode %s", path);
		png_destroy_read_struct(&png, &info, NULL);
		fclose(f);
		return;
	}
	png_init_io(png, f);
	png_read_info(png, info);
	CHECK(png_get_image_width(png, info) == W && png_get_image_height(png, info) == H,
	      "size %ux%u", png_get_image_width(png, info), png_get_image_height(png, info));
	CHECK(png_get_bit_depth(png, info) == 8, "bit depth %d", png_get_bit_depth(png, info));
	CHECK(png_get_color_type(png, info) == PNG_COLOR_TYPE_RGB, "colour type %d",
	      png_get_color_type(png, info));
	png_get_text(png, info, &text, &n);
	for (int i = 0; i < n; i++) {
		if (strcmp(text[i].key, "Software") == 0)
			have_software = strncmp(text[i].text, "forkband ", 9) == 0;
		if (strcmp(text[i].key, "forkband:config") == 0) {
			cJSON *j = cJSON_Parse(text[i].text);
			const cJSON *p = cJSON_GetObjectItem(j, "params");

			have_config = true;
			CHECK(j != NULL, "tEXt config is not JSON: %s", text[i].text);
			CHECK(cJSON_GetObjectItem(j, "width") &&
				      cJSON_GetObjectItem(j, "width")->valuedouble == W,
			      "config width");
			CHECK(cJSON_GetObjectItem(j, "kernel") &&
				      strcmp(cJSON_GetObjectItem(j, "kernel")->valuestring, "mandelbrot") == 0,
			      "config kernel");
			CHECK(cJSON_GetObjectItem(p, "max_iter") &&
				      cJSON_GetObjectItem(p, "max_iter")->valuedouble == 300,
			      "config max_iter");
			/* Defaults are spelled out, so the chunk reproduces even if they change. */
			CHECK(cJSON_GetObjectItem(p, "palette") != NULL, "config lacks defaults");
			/* Run settings and paths would make the bytes depend on -j and -o. */
			CHECK(!cJSON_GetObjectItem(j, "run") && !cJSON_GetObjectItem(j, "output"),
			      "config carries run settings or outputs: %s", text[i].text);
			cJSON_Delete(j);
		}
	}
	CHECK(have_config, "no forkband:config tEXt chunk");
	CHECK(have_software, "no Software tEXt chunk");
	rows = malloc((size_t)W * H * 3);
	for (int y = 0; y < H; y++)
		png_read_row(png, rows + (size_t)y * W * 3, NULL);
	for (size_t i = 0; i < (size_t)W * H; i++)
		if (ref[i] == 0 && memcmp(rows + 3 * i, "\0\0\0", 3) != 0) {
			CHECK(0, "inside pixel %zu is not black", i);
			break;
		}
	free(rows);
	png_destroy_read_struct(&png, &info, NULL);
	fclose(f);
}

static void check_npy(const char *path, const uint32_t *ref)
{
	size_t len, hlen, want = (size_t)W * H * 4;
	char *buf = slurp(path, &len);
	char shape[64];

	CHECK(buf != NULL, "cannot read %s", path);
	if (!buf)
		return;
	CHECK(len > 10 && memcmp(buf, "\x93NUMPY\x01\x00", 8) == 0, "bad magic or version");
	hlen = (unsigned char)buf[8] | (size_t)(unsigned char)buf[9] << 8;
	CHECK((10 + hlen) % 64 == 0, "data starts at %zu, not a multiple of 64", 10 + hlen);
	CHECK(buf[10 + hlen - 1] == '\n', "header does not end in a newline");
	snprintf(shape, sizeof(shape), "'shape': (%d, %d)", H, W);
	CHECK(strstr(buf + 10, "'descr': '<u4'") != NULL, "dtype is not <u4");
	CHECK(strstr(buf + 10, "'fortran_order': False") != NULL, "not C order");
	CHECK(strstr(buf + 10, shape) != NULL, "shape is not (%d, %d)", H, W);
	CHECK(len == 10 + hlen + want, "file is %zu bytes, expected %zu", len, 10 + hlen + want);
	if (len == 10 + hlen + want)
		CHECK(memcmp(buf + 10 + hlen, ref, want) == 0, "counts differ from the reference");
	free(buf);
}

static void check_report(const char *path, const struct ref_totals *rt)
{
	size_t len;
	char *buf = slurp(path, &len);
	cJSON *r = buf ? cJSON_Parse(buf) : NULL;
	const cJSON *job = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "jobs"), 0);
	const cJSON *totals = cJSON_GetObjectItem(job, "totals");
	const cJSON *passes = cJSON_GetObjectItem(job, "passes");
	const cJSON *ws;
	double rows = 0;

	CHECK(r != NULL, "report is not JSON");
	CHECK(cJSON_GetObjectItem(totals, "inside") &&
		      cJSON_GetObjectItem(totals, "inside")->valuedouble == (double)rt->inside,
	      "report inside");
	CHECK(cJSON_GetObjectItem(totals, "iterations") &&
		      cJSON_GetObjectItem(totals, "iterations")->valuedouble == (double)rt->iterations,
	      "report iterations");
	CHECK(cJSON_GetObjectItem(job, "workers") &&
		      cJSON_GetObjectItem(job, "workers")->valuedouble == 3,
	      "report workers");
	/* Every phase of a streamed job that writes a PNG: compute (the strips, counted and
	 * coloured while the groups of the strip before are compressed), the last strip's
	 * encode, the write. */
	for (const char *const *ph = (const char *const[]){ "setup", "compute", "encode",
							     "write", NULL };
	     *ph; ph++)
		CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(job, "phases_s"), *ph) != NULL,
		      "report lacks the %s phase", *ph);
	{
		cJSON *m = cJSON_GetObjectItem(job, "memory");

		CHECK(cJSON_IsTrue(cJSON_GetObjectItem(m, "streamed")), "report: streamed");
		CHECK(cJSON_GetObjectItem(m, "strips") &&
			      cJSON_GetObjectItem(m, "strips")->valuedouble >= 1,
		      "report: strips");
		CHECK(cJSON_GetObjectItem(m, "peak_rss_parent_bytes") &&
			      cJSON_GetObjectItem(m, "peak_rss_parent_bytes")->valuedouble > 0 &&
			      cJSON_GetObjectItem(m, "peak_rss_worker_bytes")->valuedouble > 0,
		      "report: peak resident sets");
	}
	CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "host"), "cpus") != NULL, "host cpus");
	ws = cJSON_GetObjectItem(cJSON_GetArrayItem(passes, 0), "workers");
	CHECK(cJSON_IsArray(ws), "report lacks the compute pass's workers");
	for (const cJSON *w = ws ? ws->child : NULL; w; w = w->next) {
		const cJSON *n = cJSON_GetObjectItem(w, "rows");

		rows += cJSON_IsNumber(n) ? n->valuedouble : 0;
	}
	CHECK(rows == H, "per-worker rows add up to %g, not %d", rows, H);
	cJSON_Delete(r);
	free(buf);
}

int main(int argc, char **argv)
{
	char path[4096];
	uint32_t *ref = malloc((size_t)W * H * sizeof(*ref));
	struct ref_totals rt;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: test_outputs FORKBAND WORKDIR\n");
		return 2;
	}
	ref_escape(&view, ref, &rt);
	snprintf(path, sizeof(path), "%s/job.json", argv[2]);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		return 2;
	}
	fprintf(f, "{\"kernel\": \"mandelbrot\", \"width\": %d, \"height\": %d,\n"
		   " \"params\": {\"center\": [-0.6, 0.2], \"scale\": 2.8, \"max_iter\": 300},\n"
		   " \"output\": {\"png\": \"out.png\", \"iterations\": \"counts.npy\","
		   " \"report\": \"report.json\"}}\n", W, H);
	fclose(f);
	CHECK(run_forkband(argv[1], argv[2]) == 0, "forkband run failed");
	snprintf(path, sizeof(path), "%s/out.png", argv[2]);
	check_png(path, ref);
	snprintf(path, sizeof(path), "%s/counts.npy", argv[2]);
	check_npy(path, ref);
	snprintf(path, sizeof(path), "%s/report.json", argv[2]);
	check_report(path, &rt);
	free(ref);
	return check_exit("test_outputs");
}
