/* compat.h: the first include of every forkband C file.
 *
 * One place for feature-test macros and the few portable helpers every layer uses,
 * so that no file depends on which header happened to define _GNU_SOURCE first.
 */
#ifndef FORKBAND_COMPAT_H
#define FORKBAND_COMPAT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Installed as libforkband's <forkband/compat.h>, the header has forkband_config.h
 * beside it: the -D flags the library was built with (the lock variant), for programs
 * that do not pass them. In the source tree there is none and the build's flags rule. */
#if defined(__has_include)
#if __has_include("forkband_config.h")
#include "forkband_config.h"
#endif
#endif

#define FB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Cache line size on every machine forkband targets (x86-64, arm64); shared words that
 * different processes write are placed on lines of their own to avoid false sharing. */
#define FB_CACHE_LINE 64

/* A whole number from 0 to max in decimal digits, nothing else: no sign, no space, no
 * exponent ("1e9" is not a count), no overflow. For strict parsing of what users and
 * tests set in the environment. */
static inline bool fb_parse_count(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (max - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

#if defined(__GNUC__)
#define FB_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define FB_NORETURN __attribute__((noreturn))
#else
#define FB_PRINTF(f, a)
#define FB_NORETURN
#endif

/* The compiler this was built with, for --version and reports. */
#define FB_STR_(x) #x
#define FB_STR(x) FB_STR_(x)
#if defined(__clang__)
#define FB_COMPILER                                                             \
	"clang " FB_STR(__clang_major__) "." FB_STR(__clang_minor__) "." FB_STR( \
		__clang_patchlevel__)
#elif defined(__GNUC__)
#define FB_COMPILER "gcc " __VERSION__
#else
#define FB_COMPILER "unknown compiler"
#endif

#endif
