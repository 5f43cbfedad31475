/* shared_mem.c: shared_malloc()/shared_free() over mmap(MAP_SHARED | MAP_ANONYMOUS). */
#include "compat.h"

#include "shared_mem.h"

#include "error.h"

#include <errno.h>
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
	void *p = shared_malloc(size);

	if (!p)
		fb_error_errno("cannot map %zu bytes of shared memory", size);
	return p;
}
