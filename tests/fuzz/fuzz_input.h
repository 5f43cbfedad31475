/* fuzz_input.h: a file path that holds the fuzzer's bytes, for readers that take paths.
 *
 * The PNG and .npy readers open a path themselves; rather than give them a second,
 * in-memory entry point that the program never uses, the targets hand them a path to a
 * memfd (/proc/self/fd/N), rewritten for every input: the readers run exactly as the
 * program runs them, and nothing touches the disk. Where memfd_create() is missing, a
 * file made with mkstemp() under /tmp stands in, removed at exit.
 */
#ifndef FORKBAND_FUZZ_INPUT_H
#define FORKBAND_FUZZ_INPUT_H

#include "runtime/compat.h"

/* A path whose file holds exactly data[0..size); valid until the next call. Aborts if
 * it cannot be written (the fuzzer cannot go on without it). */
const char *fuzz_input_path(const uint8_t *data, size_t size);

/* Aborts with a message: a target's check of the reader's promises failed. */
FB_NORETURN void fuzz_fail(const char *what, const char *detail);

/* Checks a captured error message: reported (not empty) and one line. */
void fuzz_check_message(const char *who, const char *msg);

#endif
