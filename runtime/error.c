/* error.c: message formatting and the default stderr sink. */
#include "compat.h"

#include "error.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *program = "forkband";
static fb_error_sink *sink;
static void *sink_ctx;

void fb_error_set_program(const char *name) { program = name; }

const char *fb_error_program(void) { return program; }

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

/* The length of the UTF-8 sequence at s (2 to 4), or 0 when s does not start one that
 * is well formed; overlong forms and surrogates are not looked for. */
static int utf8_length(const unsigned char *s)
{
	int n = s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3 :
		s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;

	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

void fb_appendf(char *out, size_t len, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (*n + 1 >= len)
		return;
	va_start(ap, fmt);
	k = vsnprintf(out + *n, len - *n, fmt, ap);
	va_end(ap);
	if (k > 0)
		*n = *n + (size_t)k < len ? *n + (size_t)k : len - 1;
}

size_t fb_escape(char *out, size_t len, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	while (*p) {
		char esc[9] = { 0 };
		int k = *p >= 0x80 ? utf8_length(p) : 1, e = 0;

		if (*p == '\n' || *p == '\t' || *p == '\r') {
			esc[e++] = '\\';
			esc[e++] = *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r';
		} else if (*p < 0x20 || *p == 0x7f || k == 0 || (k == 2 && p[0] == 0xc2 && p[1] < 0xa0)) {
			/* A control character, a byte that is not UTF-8 (a raw C1 control such as
			 * 0x9b, CSI on some terminals) or a C1 control in UTF-8: as \xNN bytes. */
			for (int b = 0; b < (k == 2 ? 2 : 1); b++) {
				esc[e++] = '\\';
				esc[e++] = 'x';
				esc[e++] = hex[p[b] >> 4];
				esc[e++] = hex[p[b] & 15];
			}
			if (k == 0)
				k = 1;
		} else {
			memcpy(esc, p, (size_t)k);	/* printable, UTF-8 included */
			e = k;
		}
		p += k;
		for (int x = 0; x < e; x++, n++)
			if (n + 1 < len)
				out[n] = esc[x];
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

/* Set once a message has gone to stderr: for a signal handler that must not add a
 * second line to a failure already reported. */
static volatile sig_atomic_t reported;

bool fb_error_reported(void)
{
	return reported;
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
	reported = 1;
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
