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

int fb_parse_size(const char *text, uint64_t *out)
{
	static const char units[] = "KMGTPE";
	const char *p = text;
	uint64_t whole = 0, scale = 1, frac_num = 0, frac_den = 1;
	const char *u;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return -1;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -1;
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (frac_den < 1000000000) {
				frac_num = frac_num * 10 + (uint64_t)(*p - '0');
				frac_den *= 10;
			}
		}
	}
	if (*p && (u = strchr(units, *p >= 'a' ? *p - 32 : *p)) != NULL) {
		for (const char *q = units; q <= u; q++)
			scale *= 1024;
		p++;
		if (*p == 'i' && p[1] == 'B')
			p += 2;
		else if (*p == 'B')
			p++;
	} else if (*p == 'B') {
		p++;
	}
	if (*p || (frac_num && scale == 1))
		return -1;	/* a fraction of a byte is no size */
	if (whole > UINT64_MAX / scale)
		return -1;
	*out = whole * scale + (uint64_t)((double)frac_num / (double)frac_den * (double)scale);
	return 0;
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
