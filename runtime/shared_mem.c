/* shared_mem.c: shared_malloc()/shared_free() over mmap(MAP_SHARED | MAP_ANONYMOUS). */
#include "compat.h"

#include "shared_mem.h"

#include "error.h"

#include <errno.h>
#include <stdio.h>
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

void fb_format_size(char *buf, size_t len, double bytes)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB" };
	unsigned u = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%.0f byte%s", bytes, bytes == 1 ? "" : "s");
		return;
	}
	bytes /= 1024;
	while (bytes >= 1024 && u + 1 < FB_ARRAY_LEN(unit)) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", bytes, unit[u]);
}

void *shared_malloc_or_error(size_t size)
{
	void *p = shared_malloc(size);
	char human[32];
	int err = errno;

	if (p)
		return p;
	if (size < 1024) {
		fb_error_errno("cannot map %zu bytes of shared memory", size);
		return NULL;
	}
	fb_format_size(human, sizeof(human), (double)size);
	fb_error("cannot map %zu bytes of shared memory: %s (%s)", size, strerror(err), human);
	return NULL;
}
