/* cli.c: helpers shared by `forkband run` and `forkband scale`. */
#include "runtime/compat.h"

#include "cli.h"

#include "backend.h"
#include "driver.h"
#include "strips.h"

#include "io/png_read.h"
#include "kernels/isa.h"
#include "runtime/error.h"
#include "runtime/pool.h"
#include "runtime/schedule.h"
#include "runtime/shared_mem.h"

#include "default_config.h"

#include <cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fb_overrides_add(struct fb_overrides *o, const char *path, const char *value,
		     const char *label)
{
	struct fb_override *bigger = realloc(o->ov, (o->n + 1) * sizeof(*o->ov));

	if (!bigger)
		return fb_error("out of memory");
	o->ov = bigger;
	o->ov[o->n++] = (struct fb_override){ .path = path, .value = value, .label = label };
	return 0;
}

/* Keeps s until fb_overrides_free(); returns it, or NULL after reporting. */
static char *keep(struct fb_overrides *o, char *s)
{
	char **bigger = s ? realloc(o->owned, (o->n_owned + 1) * sizeof(*o->owned)) : NULL;

	if (!bigger) {
		free(s);
		fb_error("out of memory");
		return NULL;
	}
	o->owned = bigger;
	o->owned[o->n_owned++] = s;
	return s;
}

int fb_overrides_add_set(struct fb_overrides *o, const char *arg)
{
	const char *eq = strchr(arg, '='), *blank = " \t\r\n";
	const char *p = arg + strspn(arg, blank), *pend = eq, *v, *vend;
	char *path, *value, *label;

	/* White space around '=' and around the value is not part of either: --set
	 * 'width = 640' is width=640 (a string with such spaces can be written as JSON,
	 * "\" a \""). */
	while (pend && pend > p && strchr(blank, pend[-1]))
		pend--;
	if (!eq || pend == p)
		return fb_error("--set: expected PATH=VALUE, got '%s'", arg);
	v = eq + 1 + strspn(eq + 1, blank);
	for (vend = v + strlen(v); vend > v && strchr(blank, vend[-1]); vend--)
		;
	/* Copies, so that argv (and what ps shows) stays as typed. */
	path = keep(o, strndup(p, (size_t)(pend - p)));
	value = path ? keep(o, strndup(v, (size_t)(vend - v))) : NULL;
	label = value ? malloc(strlen(path) + 8) : NULL;
	if (label)
		sprintf(label, "--set %s", path);
	if (!value || !keep(o, label))
		return -1;
	return fb_overrides_add(o, path, value, label);
}

void fb_overrides_free(struct fb_overrides *o)
{
	for (size_t i = 0; i < o->n_owned; i++)
		free(o->owned[i]);
	free(o->owned);
	free(o->ov);
	memset(o, 0, sizeof(*o));
}

/* A PNG that forkband wrote carries the job that made its pixels: run that again. */
static int load_from_png(const char *path, const struct fb_overrides *o,
			 struct fb_batch *batch)
{
	char *text;
	int rc;

	if (fb_png_read_text(path, "forkband:config", &text) < 0)
		return -1;
	rc = fb_config_parse_pixels(path, text, strlen(text), o->ov, o->n, batch);
	free(text);
	return rc;
}

int fb_cli_load(const char *config, const struct fb_overrides *o, struct fb_batch *batch)
{
	/* fb_is_png_file() reads the first bytes: only of a regular file, so that a pipe
	 * (forkband run <(...), /dev/stdin) still holds its config for the JSON reader. */
	if (config && strcmp(config, "-") != 0 && fb_is_png_file(config))
		return load_from_png(config, o, batch);
	if (config)
		return fb_config_load(config, o->ov, o->n, batch);
	return fb_config_parse("configs/mandelbrot.json (built in)", fb_default_config,
			       strlen(fb_default_config), o->ov, o->n, batch);
}

int fb_cli_check_source(const char *cmd, const char *config, const struct fb_backend *be)
{
	if (config && strcmp(config, "-") == 0 && be->agree)
		return fb_error("%s: a config on standard input reaches only rank 0 of an MPI run; "
				"give its file", cmd);
	return 0;
}

int fb_cli_set_isa(const char *cmd, const char *name)
{
	enum fb_isa isa;
	char cpu[64];

	char hint[96];

	if (fb_isa_parse(name, &isa) < 0)
		return fb_error("%s: --isa: expected %s, got '%s'%s", cmd, fb_isa_choices, name,
				fb_cli_hint(hint, sizeof(hint), "", name, fb_isa_names,
					    FB_ISA_COUNT));
	if (fb_isa_set(isa) < 0) {
		fb_isa_describe_cpu(cpu, sizeof(cpu));
		return fb_error("%s: --isa: this CPU cannot run %s (it has %s)", cmd, name, cpu);
	}
	return 0;
}

/* One line, like every other error: the hint goes in parentheses. */
int fb_cli_usage_error(const char *cmd, const char *msg)
{
	return fb_error("%s (try 'forkband %s --help')", msg, cmd);
}

/* The option getopt_long() stopped at, as typed. optopt is the letter of a short one;
 * argv may still point at an earlier word then, while getopt walks a group like -xq. A
 * long one has been stepped over, so it is the last word read ("--chunk=5": --chunk);
 * optopt is then 0 (unknown) or its value, a letter for a long option with a short
 * twin (one of twins). */
static void option_name(char **argv, const char *twins, char *buf, size_t len)
{
	const char *arg = argv[optind - 1];
	bool is_long = strncmp(arg, "--", 2) == 0;

	if (optopt > 0 && optopt < 256 && !(is_long && strchr(twins, optopt)))
		snprintf(buf, len, "-%c", optopt);
	else
		snprintf(buf, len, "%.*s", (int)strcspn(arg, "="), arg);
}

const char *fb_cli_hint(char *buf, size_t len, const char *prefix, const char *word,
			const char *const *names, size_t n)
{
	const char *hint = fb_suggest(word, names, n);

	if (hint)
		snprintf(buf, len, "; did you mean '%s%s'?", prefix, hint);
	else
		buf[0] = '\0';
	return buf;
}

int fb_cli_print_json(struct cJSON *doc)
{
	char *text = doc ? cJSON_Print(doc) : NULL;

	cJSON_Delete(doc);
	if (!text) {
		fb_error("out of memory");
		return FB_EXIT_RUN;
	}
	puts(text);
	free(text);
	return FB_EXIT_OK;
}

int fb_cli_bad_option(const char *cmd, char **argv, int c, const struct option *opts,
		      const char *twins, const char *no_value)
{
	char name[64], msg[256], hint[96];
	const char *names[64];
	size_t n = 0;

	const char *word = argv[optind - 1];
	bool long_with_value = strncmp(word, "--", 2) == 0 && strchr(word, '=');

	option_name(argv, twins, name, sizeof(name));
	if (c == ':')
		snprintf(msg, sizeof(msg), "%s: %s needs a value", cmd, name);
	/* getopt_long() names a known option in optopt (0 for an unknown one), whatever
	 * its value: --force=1 is a known option given a value, not an unknown option. */
	else if ((optopt > 0 && optopt < 256 && strchr(no_value, optopt)) ||
		 (optopt != 0 && long_with_value))
		snprintf(msg, sizeof(msg), "%s: %s takes no value", cmd, name);
	else {
		/* A long option: the closest of the command's own. */
		for (size_t i = 0; opts[i].name && n < FB_ARRAY_LEN(names); i++)
			names[n++] = opts[i].name;
		if (strncmp(name, "--", 2) != 0)
			n = 0;
		snprintf(msg, sizeof(msg), "%s: unknown option '%s'%s", cmd, name,
			 fb_cli_hint(hint, sizeof(hint), "--", name + 2, names, n));
	}
	return fb_cli_usage_error(cmd, msg);
}

/* The job as it would run, with the settings the run would pick filled in (workers,
 * chunk, memory budget), what it reads and writes and the memory it needs. */
struct cJSON *fb_cli_dry_run_job(const struct fb_job *job)
{
	cJSON *o = cJSON_CreateObject(), *cfg = fb_job_to_json(job), *run, *w, *mem;
	unsigned workers = job->workers ? job->workers : fb_usable_cpus();
	struct fb_strip_plan plan;
	size_t need;
	char text[32];

	if (!o || !cfg || fb_job_needs(job, &need, &plan) < 0) {
		cJSON_Delete(o);
		cJSON_Delete(cfg);
		return NULL;
	}
	run = cJSON_GetObjectItemCaseSensitive(cfg, "run");
	cJSON_DeleteItemFromObjectCaseSensitive(run, "workers");
	cJSON_AddNumberToObject(run, "workers", workers);
	if (!job->chunk)	/* as the pool sizes it: from a pass's rows (a strip's) */
		cJSON_AddNumberToObject(run, "chunk", fb_schedule_default_chunk(
			job->schedule, plan.strips ? plan.height : job->height, workers));
	if (plan.strips && !job->memory)
		cJSON_AddNumberToObject(run, "memory", (double)plan.budget);
	cJSON_AddStringToObject(o, "label", job->label);
	cJSON_AddItemToObject(o, "job", cfg);
	if (job->input)
		cJSON_AddStringToObject(o, "reads", job->input);
	/* A location's view is in the job's params; the file it came from is read. */
	for (size_t i = 0; i < job->kernel->n_params; i++) {
		const struct fb_param *p = &job->kernel->params[i];
		const char *const *loc = (const void *)((const char *)job->params + p->offset);

		if (p->type == FB_PARAM_LOCATION && *loc && !job->input)
			cJSON_AddStringToObject(o, "reads", *loc);
	}
	w = cJSON_AddArrayToObject(o, "writes");
	if (job->png)
		cJSON_AddItemToArray(w, cJSON_CreateString(job->png));
	if (job->raw)
		cJSON_AddItemToArray(w, cJSON_CreateString(job->raw));
	if (job->frames_png)	/* a pattern: one file every output.frames.every steps */
		cJSON_AddItemToArray(w, cJSON_CreateString(job->frames_png));
	if (job->report)
		cJSON_AddItemToArray(w, cJSON_CreateString(job->report));
	mem = cJSON_AddObjectToObject(o, "memory");
	cJSON_AddNumberToObject(mem, "bytes", (double)need);
	fb_format_size(text, sizeof(text), (double)need);
	cJSON_AddStringToObject(mem, "text", text);
	if (plan.strips) {
		cJSON_AddNumberToObject(mem, "strip_rows", plan.height);
		cJSON_AddNumberToObject(mem, "strips", plan.strips);
	}
	return o;
}
