/* fuzz_input.c: the bytes-to-path helper of fuzz_input.h, and the targets' checks. */
#include "runtime/compat.h"

#include "fuzz_input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int fd = -1;
static char path[64];
static char tmp_path[] = "/tmp/forkband-fuzz-XXXXXX";

static void remove_tmp(void)
{
	unlink(tmp_path);
}

static void open_once(void)
{
	if (fd >= 0)
		return;
#ifdef MFD_CLOEXEC
	fd = memfd_create("forkband-fuzz", MFD_CLOEXEC);
	if (fd >= 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		return;
	}
#endif
	fd = mkstemp(tmp_path);
	if (fd < 0)
		fuzz_fail("cannot create a file for the input", strerror(errno));
	atexit(remove_tmp);
	snprintf(path, sizeof(path), "%s", tmp_path);
}

const char *fuzz_input_path(const uint8_t *data, size_t size)
{
	size_t done = 0;

	open_once();
	if (ftruncate(fd, 0) < 0)
		fuzz_fail("cannot truncate the input file", strerror(errno));
	while (done < size) {
		ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fuzz_fail("cannot write the input file", strerror(errno));
		done += (size_t)n;
	}
	return path;
}

void fuzz_fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz target: %s: %s\n", what, detail ? detail : "");
	abort();
}

void fuzz_check_message(const char *who, const char *msg)
{
	if (!msg[0])
		fuzz_fail(who, "failed without reporting");
	if (strchr(msg, '\n') || strchr(msg, '\r'))
		fuzz_fail("a message of more than one line", msg);
}
