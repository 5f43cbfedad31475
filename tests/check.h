/* check.h: the few assertion helpers the C tests share.
 *
 * A failed CHECK prints the file, line and condition and marks the test failed; the
 * test goes on so that one run shows every failure, and exits 1 at the end
 * (check_exit()).
 */
#ifndef FORKBAND_TEST_CHECK_H
#define FORKBAND_TEST_CHECK_H

#include "runtime/compat.h"

#include <stdio.h>
#include <stdlib.h>

static int check_failures;

#define CHECK(cond, ...)                                                              \
	do {                                                                          \
		if (!(cond)) {                                                        \
			check_failures++;                                             \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, \
				#cond);                                               \
			fprintf(stderr, __VA_ARGS__);                                 \
			fputc('\n', stderr);                                          \
		}                                                                     \
	} while (0)

static inline int check_exit(const char *name)
{
	if (check_failures) {
		fprintf(stderr, "%s: %d check(s) failed\n", name, check_failures);
		return 1;
	}
	printf("%s: all checks passed\n", name);
	return 0;
}

#endif
