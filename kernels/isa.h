/* isa.h: which instruction set the escape-time kernels compute with.
 *
 * The escape kernels have one row loop per instruction set (kernels/escape_row.h):
 * scalar C, SSE2 (2 doubles a vector), AVX2 (4) and AVX-512 (8). In exact arithmetic all of them
 * give bit-identical counts and |z|^2 on every pixel, so the choice changes speed only;
 * fast arithmetic (the escape param "arithmetic") may also change pixels.
 *
 * The choice is one process-wide setting, made before any worker is forked (the command
 * line does it while parsing options), so that every worker inherits it with the rest
 * of the parent's memory. Kernels read it when a job's state is created. Until it is
 * set, it is FB_ISA_AUTO: the best the CPU has.
 */
#ifndef FORKBAND_ISA_H
#define FORKBAND_ISA_H

#include "runtime/compat.h"

enum fb_isa {
	FB_ISA_AUTO,		/* the best this CPU has (fb_isa_best()) */
	FB_ISA_SCALAR,		/* plain C: any machine */
	FB_ISA_SSE2,		/* x86-64 only */
	FB_ISA_AVX2,		/* x86-64 with AVX2 */
	FB_ISA_AVX512,		/* x86-64 with AVX-512F (and the OS saving its registers) */
	FB_ISA_COUNT
};

/* "auto", "scalar", "sse2", "avx2", "avx512"; NULL-terminated, indexed by enum fb_isa. */
extern const char *const fb_isa_names[];

/* The names a user may give, as "scalar, sse2, avx2, avx512 or auto"; for messages. */
extern const char fb_isa_choices[];

/* The name of isa ("auto" for FB_ISA_AUTO). */
const char *fb_isa_name(enum fb_isa isa);

/* 0 with *out set, or -1 if name is not one of fb_isa_names (nothing is reported). */
int fb_isa_parse(const char *name, enum fb_isa *out);

/* Whether this build and this CPU can run isa. FB_ISA_AUTO and FB_ISA_SCALAR always
 * can; the others need an x86-64 build (the code is not compiled elsewhere) and, for
 * AVX2 and AVX-512, a CPU and an OS that support them. */
bool fb_isa_supported(enum fb_isa isa);

/* Whether the CPU has fused multiply-add next to AVX2: the fast AVX2 loop needs both. */
bool fb_isa_has_fma(void);

/* The best supported instruction set: AVX-512, else AVX2, else SSE2, else scalar.
 * Never AUTO. */
enum fb_isa fb_isa_best(void);

/* The instruction sets the CPU supports, best last, as "scalar, sse2, avx2" (plus
 * ", fma" when it has FMA); for messages. */
void fb_isa_describe_cpu(char *buf, size_t len);

/* Sets the process-wide choice; AUTO means fb_isa_best(). Returns -1 (reporting
 * nothing) and keeps the old setting if isa is not supported. Call it before forking
 * workers: they read the copy they inherited. */
int fb_isa_set(enum fb_isa isa);

/* The setting as given to fb_isa_set() (AUTO until then), and what it resolves to
 * (never AUTO). */
enum fb_isa fb_isa_requested(void);
enum fb_isa fb_isa_current(void);

#endif
