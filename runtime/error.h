/* error.h: the one way code below app/ reports a failure.
 *
 * Functions that can fail return 0 on success and -1 on failure; before returning -1
 * they call fb_error() once, with a message in the house style: lowercase, no full
 * stop, the subject first (`cannot map 4096 bytes of shared memory: Cannot allocate
 * memory`). Only main() decides the exit status.
 *
 * By default a message goes to stderr as one line, prefixed with the program name, its
 * control characters escaped (fb_escape()).
 * A program (or a test) may install a sink to collect messages instead.
 */
#ifndef FORKBAND_ERROR_H
#define FORKBAND_ERROR_H

#include "compat.h"

/* Formats and reports one message; always returns -1 so callers can `return fb_error(...)`. */
int fb_error(const char *fmt, ...) FB_PRINTF(1, 2);

/* Like fb_error(), with ": <strerror(errno)>" appended (errno is read on entry). */
int fb_error_errno(const char *fmt, ...) FB_PRINTF(1, 2);

/* Writes s to out (len bytes, NUL-terminated, cut short if need be) with every control
 * character escaped: \n, \t, \r, else \xNN (ESC is \x1b, DEL \x7f), and so are bytes
 * that are not UTF-8 (a raw 0x9b is CSI on some terminals) and C1 controls written in
 * UTF-8 (\xc2\x9b); other UTF-8 passes as it is. Returns the
 * length the whole escaped string needs, without the NUL. The default sink escapes
 * every message this way, so that a message is always one line and never moves the
 * cursor or clears a terminal, whatever it quotes. */
size_t fb_escape(char *out, size_t len, const char *s);

/* fb_escape() into a malloc()ed string; NULL when out of memory. */
char *fb_escape_dup(const char *s);

/* Appends printf-style text to out (len bytes, *n of them used), cut where out ends:
 * *n stays below len, and out NUL-terminated (for lines built from pieces). */
void fb_appendf(char *out, size_t len, size_t *n, const char *fmt, ...) FB_PRINTF(4, 5);

/* Whether a message has gone to stderr through the default sink (async-signal-safe). */
bool fb_error_reported(void);

/* The prefix printed before each message by the default sink ("forkband"). */
void fb_error_set_program(const char *name);

/* That prefix, for the few lines printed outside fb_error() (progress notices). */
const char *fb_error_program(void);

/* Replaces the default sink; msg has no trailing newline. NULL restores the default. */
typedef void fb_error_sink(const char *msg, void *ctx);
void fb_error_set_sink(fb_error_sink *sink, void *ctx);

/* Holds back the messages reported between begin and end, keeping the last, so that
 * a caller can put it into context ("--report: <msg>"). Captures nest: end restores
 * whatever sink was installed before begin. */
struct fb_error_capture {
	char msg[512];
	fb_error_sink *saved;
	void *saved_ctx;
};
void fb_error_capture_begin(struct fb_error_capture *c);
void fb_error_capture_end(struct fb_error_capture *c);

/* A programmer's mistake: prints "BUG: file:line: message" and aborts. */
#define FB_BUG(...) fb_bug(__FILE__, __LINE__, __VA_ARGS__)
FB_NORETURN void fb_bug(const char *file, int line, const char *fmt, ...) FB_PRINTF(3, 4);

#endif
