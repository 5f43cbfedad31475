/* cli.h: what the sub-commands share: config overrides from the command line, loading
 * the job(s) and wording usage errors. */
#ifndef FORKBAND_CLI_H
#define FORKBAND_CLI_H

#include "runtime/compat.h"

#include "io/config.h"

enum { FB_EXIT_OK = 0, FB_EXIT_RUN = 1, FB_EXIT_USAGE = 2 };

/* Overrides gathered from options, with the strings made for their labels. */
struct fb_overrides {
	struct fb_override *ov;
	size_t n;
	char **owned;
	size_t n_owned;
};

/* Adds an override; path, value and label must outlive the list (argv, literals). */
int fb_overrides_add(struct fb_overrides *o, const char *path, const char *value,
		     const char *label);

/* Adds `--set PATH=VALUE`; arg must outlive the list (the value points into it). */
int fb_overrides_add_set(struct fb_overrides *o, const char *arg);

void fb_overrides_free(struct fb_overrides *o);

struct fb_backend;

/* A config that be can read: "-" (standard input) only in one process, as mpirun gives
 * standard input to rank 0 alone and every rank reads the config. 0, or -1 after
 * reporting. */
int fb_cli_check_source(const char *cmd, const char *config, const struct fb_backend *be);

/* Loads the jobs: from a JSON config, from the forkband:config chunk of a PNG that
 * forkband wrote, or (config NULL) the built-in default job. 0, or -1 after reporting. */
int fb_cli_load(const char *config, const struct fb_overrides *o, struct fb_batch *batch);

/* `--isa NAME` of `forkband CMD`: sets the process-wide instruction set of the escape
 * kernels (kernels/isa.h), before any worker forks. 0, or -1 after reporting a name
 * that is not an instruction set, or one this CPU lacks. */
int fb_cli_set_isa(const char *cmd, const char *name);

/* Reports a usage error of `forkband CMD` as one line with a pointer to --help;
 * returns -1. */
int fb_cli_usage_error(const char *cmd, const char *msg);

struct option;
struct cJSON;

/* "; did you mean 'PREFIX NAME'?" for the name of names[0..n) closest to word (see
 * fb_suggest()), or "" when none is close: into buf, which is returned. */
const char *fb_cli_hint(char *buf, size_t len, const char *prefix, const char *word,
			const char *const *names, size_t n);

/* Prints doc (then frees it) as JSON on stdout: FB_EXIT_OK, or FB_EXIT_RUN after
 * reporting that memory ran out. */
int fb_cli_print_json(struct cJSON *doc);

/* --dry-run's description of one job: {"label", "job" (as a report stores it, with the
 * settings the run would pick filled in: workers, chunk, memory budget), "reads",
 * "writes", "memory"}. The caller owns it; NULL after reporting (a budget too small
 * for one strip) or when out of memory (nothing reported). */
struct cJSON *fb_cli_dry_run_job(const struct fb_job *job);

/* After getopt_long() returned c, ':' or '?': reports the missing value, the unwanted
 * value or the unknown option, naming it as typed, with the closest long option of opts
 * when it looks like a typo. twins lists the short options that have a long form,
 * no_value those that take no value. Returns -1. */
int fb_cli_bad_option(const char *cmd, char **argv, int c, const struct option *opts,
		      const char *twins, const char *no_value);

#endif
