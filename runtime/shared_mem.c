/* shared_mem.c: shared_malloc()/shared_free() over mmap(MAP_SHARED | MAP_ANONYMOUS). */
#include "compat.h"

#include "shared_mem.h"

#include "error.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

void *shared_malloc(size_t size)
{
	void *p;

	if (size == 0) {
		errno = EINVAL;
		return NULL;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void shared_free(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

void *shared_malloc_or_error(size_t size)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	void *p = shared_malloc(size);
	double human = (double)size;
	unsigned u = 0;

	if (p)
		return p;
	if (size < 1024) {
		fb_error_errno("cannot map %zu bytes of shared memory", size);
		return NULL;
	}
	for (human /= 1024; human >= 1024 && u + 1 < FB_ARRAY_LEN(units); u++)
		human /= 1024;
	fb_error("cannot map %zu bytes of shared memory: %s (%.1f %s)", size, strerror(errno),
		 human, units[u]);
	return NULL;
}
