/* shared_mem.h: memory that a fork()ed child shares with its parent, as in the lecture.
 *
 * shared_malloc() maps anonymous MAP_SHARED memory. A mapping made before fork() is the
 * same physical memory in the parent and every child: what a worker writes there the
 * parent sees after waitpid(). Everything else in a child is private (copy-on-write).
 *
 * Invariants:
 * - Shared buffers are mapped by the parent before forking; children never map or unmap
 *   them (their own exit unmaps their view).
 * - The memory comes back zero-filled and page aligned.
 * - Every size handed to the mapping functions is computed with the checked helpers
 *   below, so a huge image fails with a clear message instead of a short buffer.
 */
#ifndef FORKBAND_SHARED_MEM_H
#define FORKBAND_SHARED_MEM_H

#include "compat.h"

/* Maps size bytes of zeroed shared memory. Returns NULL (errno set) on failure or when
 * size is 0; the caller reports `cannot map N bytes of shared memory: <reason>` (see
 * shared_malloc_or_error()). */
void *shared_malloc(size_t size);

/* Unmaps a region from shared_malloc(); size must be the size it was mapped with.
 * NULL is ignored. */
void shared_free(void *p, size_t size);

/* shared_malloc() that reports the failure through fb_error(). */
void *shared_malloc_or_error(size_t size);

/* Sizes as people read them: "512 bytes", "1 byte", "37.3 GiB". */
void fb_format_size(char *buf, size_t len, double bytes);

/* Parses a size in bytes: digits with an optional fraction and an optional binary unit,
 * K, M, G, T, P or E, alone or followed by B or iB, any case for the letter ("512M",
 * "1.5GiB", "64k", "1048576"). 0, or -1 (nothing reported) if it is not one or does not
 * fit 64 bits. */
int fb_parse_size(const char *text, uint64_t *out);

/* Overflow-checked size arithmetic: store the result in *out and return true, or
 * return false (leaving *out untouched) if it does not fit in size_t. */
static inline bool fb_size_mul(size_t a, size_t b, size_t *out)
{
	return !__builtin_mul_overflow(a, b, out);
}

static inline bool fb_size_add(size_t a, size_t b, size_t *out)
{
	return !__builtin_add_overflow(a, b, out);
}

/* a * b * c, checked. */
static inline bool fb_size_mul3(size_t a, size_t b, size_t c, size_t *out)
{
	size_t ab;

	return fb_size_mul(a, b, &ab) && fb_size_mul(ab, c, out);
}

#endif
