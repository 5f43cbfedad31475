/* help.h: forkband describing itself: the usage texts, `forkband help`, the kernel
 * tables of `forkband kernels` and the manual page generated from them
 * (`forkband help --man`, installed as forkband.1). */
#ifndef FORKBAND_HELP_H
#define FORKBAND_HELP_H

#include "runtime/compat.h"

extern const char fb_main_usage[];
extern const char fb_run_usage[];	/* app/main.c */
extern const char fb_scale_usage[];	/* app/scale.c */
extern const char fb_kernels_usage[];

/* The commands, NULL-terminated: for "did you mean". */
extern const char *const fb_command_names[];

/* The usage text of cmd (run, scale, kernels, help), forkband's own for NULL, or NULL
 * for a word that is not a command. */
const char *fb_usage(const char *cmd);

/* Reports word as no command, with the closest command if it looks like a typo.
 * Returns -1. */
int fb_unknown_command(const char *word);

/* `forkband help [CMD]`, and `forkband help --man` (the manual page, roff, on stdout).
 * argv[0] is "help". Returns the exit status. */
int fb_cmd_help(int argc, char **argv);

/* `forkband kernels [NAME] [--json | --markdown]`. argv[0] is "kernels". Returns the
 * exit status. */
int fb_cmd_kernels(int argc, char **argv);

#endif
