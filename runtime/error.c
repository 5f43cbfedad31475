/* error.c: message formatting and the default stderr sink. */
#include "compat.h"

#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *program = "forkband";
static fb_error_sink *sink;
static void *sink_ctx;

void fb_error_set_program(const char *name) { program = name; }

void fb_error_set_sink(fb_error_sink *s, void *ctx)
{
	sink = s;
	sink_ctx = ctx;
}

static void capture(const char *msg, void *ctx)
{
	struct fb_error_capture *c = ctx;

	snprintf(c->msg, sizeof(c->msg), "%s", msg);
}

void fb_error_capture_begin(struct fb_error_capture *c)
{
	c->msg[0] = '\0';
	c->saved = sink;
	c->saved_ctx = sink_ctx;
	fb_error_set_sink(capture, c);
}

void fb_error_capture_end(struct fb_error_capture *c)
{
	fb_error_set_sink(c->saved, c->saved_ctx);
}

static void emit(const char *msg)
{
	if (sink)
		sink(msg, sink_ctx);
	else
		fprintf(stderr, "%s: %s\n", program, msg);
}

int fb_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	emit(msg);
	return -1;
}

int fb_error_errno(const char *fmt, ...)
{
	int err = errno;
	char msg[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", strerror(err));
	emit(msg);
	return -1;
}

void fb_bug(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "BUG: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
