/* isa.c: the process-wide choice of instruction set for the escape kernels, and what
 * the CPU supports (GCC's __builtin_cpu_supports(), which reads CPUID once). */
#include "runtime/compat.h"

#include "isa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const fb_isa_names[] = { "auto", "scalar", "sse2", "avx2", "avx512", NULL };
const char fb_isa_choices[] = "scalar, sse2, avx2, avx512 or auto";

/* Plain process memory, written before the workers fork: each inherits its value. */
static enum fb_isa requested = FB_ISA_AUTO;

const char *fb_isa_name(enum fb_isa isa)
{
	return isa < FB_ISA_COUNT ? fb_isa_names[isa] : "?";
}

int fb_isa_parse(const char *name, enum fb_isa *out)
{
	for (int i = 0; i < FB_ISA_COUNT; i++)
		if (strcmp(name, fb_isa_names[i]) == 0) {
			*out = (enum fb_isa)i;
			return 0;
		}
	return -1;
}

/* FORKBAND_TEST_ISA_MAX=scalar|sse2|avx2|avx512 (tests only): the CPU is taken to have
 * nothing beyond that ISA (no FMA below avx2), so that refusing an ISA the CPU lacks, and the
 * fallbacks, can be tested on any machine. Anything else, or unset: no limit. */
static enum fb_isa test_limit(void)
{
	static int limit = -1;

	if (limit < 0) {
		const char *v = getenv("FORKBAND_TEST_ISA_MAX");
		enum fb_isa isa;

		limit = v && fb_isa_parse(v, &isa) == 0 && isa != FB_ISA_AUTO ? (int)isa
									      : FB_ISA_COUNT;
	}
	return (enum fb_isa)limit;
}

bool fb_isa_supported(enum fb_isa isa)
{
	if (isa != FB_ISA_AUTO && isa > test_limit())
		return false;
	switch (isa) {
	case FB_ISA_AUTO:
	case FB_ISA_SCALAR:
		return true;
#if defined(__x86_64__)
	case FB_ISA_SSE2:
		return true;	/* part of x86-64 itself */
	case FB_ISA_AVX2:
		/* AVX2 also needs the OS to save the YMM registers; GCC's check includes
		 * that (it reads XGETBV as well as CPUID). */
		return __builtin_cpu_supports("avx2");
	case FB_ISA_AVX512:
		/* GCC's check of AVX-512F includes the OS saving the ZMM and mask
		 * registers (XGETBV), as for AVX2. */
		return __builtin_cpu_supports("avx512f");
#endif
	default:
		return false;
	}
}

bool fb_isa_has_fma(void)
{
#if defined(__x86_64__)
	return fb_isa_supported(FB_ISA_AVX2) && __builtin_cpu_supports("fma");
#else
	return false;
#endif
}

enum fb_isa fb_isa_best(void)
{
	if (fb_isa_supported(FB_ISA_AVX512))
		return FB_ISA_AVX512;
	if (fb_isa_supported(FB_ISA_AVX2))
		return FB_ISA_AVX2;
	if (fb_isa_supported(FB_ISA_SSE2))
		return FB_ISA_SSE2;
	return FB_ISA_SCALAR;
}

void fb_isa_describe_cpu(char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = FB_ISA_SCALAR; i < FB_ISA_COUNT; i++)
		if (fb_isa_supported((enum fb_isa)i))
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s",
					      n ? ", " : "", fb_isa_names[i]);
	if (fb_isa_has_fma())
		snprintf(buf + n, n < len ? len - n : 0, ", fma");
}

int fb_isa_set(enum fb_isa isa)
{
	if (isa >= FB_ISA_COUNT || !fb_isa_supported(isa))
		return -1;
	requested = isa;
	return 0;
}

enum fb_isa fb_isa_requested(void)
{
	return requested;
}

enum fb_isa fb_isa_current(void)
{
	return requested == FB_ISA_AUTO ? fb_isa_best() : requested;
}
