/* test_config_pixels.c: a job read back from a PNG's forkband:config chunk may set
 * only what determines pixels, so that running a PNG from elsewhere cannot write files
 * of its choosing or pick run settings. */
#include "runtime/compat.h"

#include "check.h"
#include "io/config.h"
#include "runtime/error.h"

#include <string.h>

static char msg[512];

static void capture(const char *m, void *ctx)
{
	(void)ctx;
	snprintf(msg, sizeof(msg), "%s", m);
}

static void refused(const char *text, const char *want)
{
	struct fb_batch b;

	msg[0] = '\0';
	CHECK(fb_config_parse_pixels("x.png", text, strlen(text), NULL, 0, &b) == -1,
	      "accepted %s", text);
	CHECK(strstr(msg, want) != NULL, "message '%s' lacks '%s'", msg, want);
}

int main(void)
{
	const char *ok = "{\"kernel\":\"mandelbrot\",\"width\":8,\"height\":8,"
			 "\"params\":{\"max_iter\":50}}";
	struct fb_batch b;

	fb_error_set_sink(capture, NULL);
	CHECK(fb_config_parse_pixels("x.png", ok, strlen(ok), NULL, 0, &b) == 0, "%s", msg);
	CHECK(b.n == 1 && b.job[0].png == NULL && b.job[0].workers == 0, "pixels job");
	fb_batch_free(&b);
	refused("{\"kernel\":\"mandelbrot\",\"output\":{\"png\":\"victim.txt\"}}",
		"x.png (forkband:config): output: a stored job may hold only kernel, input, width, height and params");
	refused("{\"kernel\":\"mandelbrot\",\"run\":{\"workers\":4000}}", "x.png (forkband:config): run:");
	refused("{\"defaults\":{\"kernel\":\"mandelbrot\"},\"jobs\":[{}]}", "x.png (forkband:config): defaults:");
	refused("{\"jobs\":[{\"kernel\":\"mandelbrot\"}]}", "x.png (forkband:config): jobs:");
	return check_exit("test_config_pixels");
}
