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

size_t fb_escape(char *out, size_t len, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		char esc[5] = { (char)ch, 0 };

		if (ch == '\n' || ch == '\t' || ch == '\r') {
			esc[0] = '\\';
			esc[1] = ch == '\n' ? 'n' : ch == '\t' ? 't' : 'r';
		} else if (ch < 0x20 || ch == 0x7f) {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[ch >> 4];
			esc[3] = hex[ch & 15];
		}
		for (const char *e = esc; *e; e++, n++)
			if (n + 1 < len)
				out[n] = *e;
	}
	if (len)
		out[n < len ? n : len - 1] = '\0';
	return n;
}

char *fb_escape_dup(const char *s)
{
	size_t n = fb_escape(NULL, 0, s) + 1;
	char *out = malloc(n);

	if (out)
		fb_escape(out, n, s);
	return out;
}

static void emit(const char *msg)
{
	char line[4200];

	if (sink) {
		sink(msg, sink_ctx);
		return;
	}
	/* The one place every message passes on its way to the terminal: whatever a
	 * message quotes (a file name, an option, a variable) stays one line, with no
	 * byte that a terminal would act on. */
	fb_escape(line, sizeof(line), msg);
	fprintf(stderr, "%s: %s\n", program, line);
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
