/* scale.c: `forkband scale`: run one job at several worker counts and schedules,
 * check that every run produced the same output, and report robust statistics,
 * speedup, efficiency, the Karp-Flatt serial fraction and load imbalance. */
#include "runtime/compat.h"

#include "scale.h"

#include "backend.h"

#include "cli.h"
#include "driver.h"
#include "help.h"
#include "io/outfile.h"
#include "io/study.h"
#include "runtime/error.h"
#include "stats.h"

#include <cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COUNTS 256
#define MAX_REPEAT 10000

const char fb_scale_usage[] =
	"usage: forkband scale [CONFIG] [options]\n"
	"\n"
	"Runs one job at several worker counts and schedules, checks that every run's\n"
	"output is identical, and reports per point the median, min, max and MAD of the\n"
	"end-to-end and phase times, speedup, efficiency, the Karp-Flatt serial fraction\n"
	"and load imbalance. With no CONFIG, the built-in default job. No outputs are\n"
	"written (the PNG is still encoded, and timed) unless --keep-outputs.\n"
	"\n"
	"options:\n"
	"  --workers LIST     worker counts: 1,2,4,8 or 1..16 or 1..16:x2 (doubling) or\n"
	"                     2..12:+2; default 1, 2, 4, ... up to the usable CPUs, and\n"
	"                     their count\n"
	"  --schedule LIST    schedules, each its own series: static,dynamic (default:\n"
	"                     dynamic)\n"
	"  --repeat R         timed runs per point (default 5)\n"
	"  --warmup W         untimed runs before them (default 1)\n"
	"  --weak             weak scaling: height x N, so rows per worker stay constant\n"
	"  --pin              pin worker i to the i-th CPU (sched_setaffinity)\n"
	"  --csv FILE         one row per timed run, raw times\n"
	"  --json FILE        everything: machine, job, runs, statistics\n"
	"  --markdown FILE    a Markdown table, one row per point: median +- MAD, min,\n"
	"                     max, speedup and efficiency\n"
	"  --plot FILE.svg    speedup and efficiency against workers\n"
	"                     (one of these four may be - for stdout; the table then\n"
	"                     goes to stderr)\n"
	"  --keep-outputs     write each run's outputs, named NAME.SCHEDULE-jN-rK.EXT\n"
	"  --set PATH=VALUE   override a config field, as for run\n"
	"  --force            run even if the job needs more memory than is available,\n"
	"                     and replace read-only output files\n"
	"  --isa I            instruction set of the mandelbrot and julia loops: scalar,\n"
	"                     sse2, avx2, avx512 or auto (default), as for run\n"
	"  --dry-run          check the job and the outputs, print the study as JSON (the\n"
	"                     job with every default, the points, the runs, the files);\n"
	"                     run nothing\n"
	"  -q, --quiet        no progress line (on a terminal it shows the whole study:\n"
	"                     run K/N, percent and ETA)\n"
	"  -h, --help         show this help\n"
	"\n"
	"Worker counts are studied in increasing order, so that the 1-worker time (T1) is\n"
	"known when the others are reported. See docs/scaling.md.\n";

struct scale_args {
	const char *config;
	unsigned workers[MAX_COUNTS];
	size_t n_workers;
	enum fb_schedule schedules[FB_SCHED_COUNT];
	size_t n_schedules;
	unsigned repeat, warmup;
	bool weak, pin, keep, quiet, force, dry_run;
	const char *csv, *json, *markdown, *plot;
	struct fb_overrides ov;
};

/* A whole decimal number in [min, max], or -1 after reporting under name. */
static int parse_count(const char *name, const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return fb_error("scale: %s: expected a whole number from %ld to %ld, got '%s'", name,
				min, max, s);
	*out = v;
	return 0;
}

static int add_count(struct scale_args *a, long n)
{
	for (size_t i = 0; i < a->n_workers; i++)
		if (a->workers[i] == (unsigned)n)
			return 0;
	if (a->n_workers == MAX_COUNTS)
		return fb_error("scale: --workers: more than %d worker counts", MAX_COUNTS);
	a->workers[a->n_workers++] = (unsigned)n;
	return 0;
}

static int cmp_unsigned(const void *x, const void *y)
{
	unsigned a = *(const unsigned *)x, b = *(const unsigned *)y;

	return (a > b) - (a < b);
}

/* "1,2,4", "1..16", "1..16:x2", "2..12:+2", or a mix: "1,3..9:+3". */
static int parse_workers(struct scale_args *a, const char *list)
{
	char *copy = strdup(list), *save = NULL;
	int rc = 0;

	if (!copy)
		return fb_error("out of memory");
	if (!*list)
		rc = fb_error("scale: --workers: expected a list such as 1,2,4 or a range such as "
			      "1..16 or 1..16:x2, got ''");
	for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0;
	     tok = strtok_r(NULL, ",", &save)) {
		char *dots = strstr(tok, ".."), *step;
		long lo = 0, hi = 0, k = 1;
		bool mul = false;

		if (!dots) {
			if ((rc = parse_count("--workers", tok, 1, FB_POOL_MAX_WORKERS, &lo)) == 0)
				rc = add_count(a, lo);
			continue;
		}
		*dots = '\0';
		step = strchr(dots + 2, ':');
		if (step) {
			*step++ = '\0';
			mul = *step == 'x';
			if (*step == 'x' || *step == '+')
				step++;
			rc = parse_count("--workers step", step, mul ? 2 : 1, FB_POOL_MAX_WORKERS, &k);
		}
		if (rc == 0)
			rc = parse_count("--workers", tok, 1, FB_POOL_MAX_WORKERS, &lo);
		if (rc == 0)
			rc = parse_count("--workers", dots + 2, 1, FB_POOL_MAX_WORKERS, &hi);
		if (rc == 0 && lo > hi)
			rc = fb_error("scale: --workers: the range %ld..%ld runs backwards", lo, hi);
		for (long n = lo; rc == 0 && n <= hi; n = mul ? n * k : n + k)
			rc = add_count(a, n);
	}
	free(copy);
	return rc;
}

static int parse_schedules(struct scale_args *a, const char *list)
{
	char *copy = strdup(list), *save = NULL;
	int rc = 0;

	if (!copy)
		return fb_error("out of memory");
	a->n_schedules = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0;
	     tok = strtok_r(NULL, ",", &save)) {
		enum fb_schedule s;
		bool seen = false;

		if (fb_schedule_parse(tok, &s) < 0) {
			char hint[96];

			rc = fb_error("scale: --schedule: expected static, cyclic, dynamic or guided, "
				      "got '%s'%s", tok, fb_cli_hint(hint, sizeof(hint), "", tok,
							    fb_schedule_names, FB_SCHED_COUNT));
			break;
		}
		for (size_t i = 0; i < a->n_schedules; i++)
			seen |= a->schedules[i] == s;
		if (!seen)
			a->schedules[a->n_schedules++] = s;
	}
	if (rc == 0 && a->n_schedules == 0)
		rc = fb_error("scale: --schedule: expected a list such as static,dynamic, got '%s'",
			      list);
	free(copy);
	return rc;
}

static bool is_stdout(const char *path)
{
	return path && strcmp(path, "-") == 0;
}

/* Before any run: the plot is SVG whatever it is called (a .png name would hold SVG),
 * and standard output takes one file, not two interleaved. */
static int check_outputs(const struct scale_args *a)
{
	struct fb_error_capture cap;
	int rc = 0;

	if (a->plot) {
		fb_error_capture_begin(&cap);
		rc = fb_config_check_format(a->plot, ".svg");
		fb_error_capture_end(&cap);
	}
	if (rc < 0)
		return fb_error("scale: --plot: %s", cap.msg);
	if (is_stdout(a->csv) + is_stdout(a->json) + is_stdout(a->markdown) +
	    is_stdout(a->plot) > 1)
		return fb_error("scale: one output at most may be '-' (standard output)");
	return 0;
}

static int parse_args(int argc, char **argv, struct scale_args *a)
{
	enum { O_WORKERS = 256, O_SCHEDULE, O_REPEAT, O_WARMUP, O_WEAK, O_PIN, O_CSV, O_JSON,
	       O_MARKDOWN, O_PLOT, O_KEEP, O_SET, O_FORCE, O_ISA, O_DRY_RUN };
	static const struct option opts[] = {
		{ "workers", required_argument, NULL, O_WORKERS },
		{ "schedule", required_argument, NULL, O_SCHEDULE },
		{ "repeat", required_argument, NULL, O_REPEAT },
		{ "warmup", required_argument, NULL, O_WARMUP },
		{ "weak", no_argument, NULL, O_WEAK },
		{ "pin", no_argument, NULL, O_PIN },
		{ "csv", required_argument, NULL, O_CSV },
		{ "json", required_argument, NULL, O_JSON },
		{ "markdown", required_argument, NULL, O_MARKDOWN },
		{ "plot", required_argument, NULL, O_PLOT },
		{ "keep-outputs", no_argument, NULL, O_KEEP },
		{ "set", required_argument, NULL, O_SET },
		{ "force", no_argument, NULL, O_FORCE },
		{ "isa", required_argument, NULL, O_ISA },
		{ "dry-run", no_argument, NULL, O_DRY_RUN },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long v = 0;
	int c;

	a->repeat = 5;
	a->warmup = 1;
	a->schedules[0] = FB_SCHED_DYNAMIC;
	a->n_schedules = 1;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
		int rc = 0;

		switch (c) {
		case O_WORKERS:
			rc = parse_workers(a, optarg);
			break;
		case O_SCHEDULE:
			rc = parse_schedules(a, optarg);
			break;
		case O_REPEAT:
			if ((rc = parse_count("--repeat", optarg, 1, MAX_REPEAT, &v)) == 0)
				a->repeat = (unsigned)v;
			break;
		case O_WARMUP:
			if ((rc = parse_count("--warmup", optarg, 0, MAX_REPEAT, &v)) == 0)
				a->warmup = (unsigned)v;
			break;
		case O_WEAK:
			a->weak = true;
			break;
		case O_PIN:
			a->pin = true;
			break;
		case O_CSV:
			a->csv = optarg;
			break;
		case O_JSON:
			a->json = optarg;
			break;
		case O_MARKDOWN:
			a->markdown = optarg;
			break;
		case O_PLOT:
			a->plot = optarg;
			break;
		case O_KEEP:
			a->keep = true;
			break;
		case O_FORCE:
			a->force = true;
			break;
		case O_DRY_RUN:
			a->dry_run = true;
			break;
		case O_SET:
			rc = fb_overrides_add_set(&a->ov, optarg);
			break;
		case O_ISA:
			rc = fb_cli_set_isa("scale", optarg);
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'h':
			fputs(fb_scale_usage, stdout);
			exit(FB_EXIT_OK);
		default:
			return fb_cli_bad_option("scale", argv, c, opts, "qh", "qh");
		}
		if (rc < 0)
			return -1;
	}
	if (optind < argc)
		a->config = argv[optind++];
	if (optind < argc)
		return fb_error("scale: one config file at a time, got '%s' too", argv[optind]);
	if (check_outputs(a) < 0)
		return -1;
	if (a->n_workers == 0) {
		/* 1, 2, 4, ... below the CPU count, then the CPU count itself. */
		unsigned cpus = fb_usable_cpus();

		for (unsigned n = 1; n < cpus; n *= 2)
			add_count(a, n);
		add_count(a, cpus);
	}
	qsort(a->workers, a->n_workers, sizeof(a->workers[0]), cmp_unsigned);
	return 0;
}

/* The jobs of a study: one, or with --weak one per worker count (height x N). */
struct jobs {
	struct fb_batch batch[MAX_COUNTS];
	size_t n;
};

static struct fb_job *job_for(struct jobs *j, const struct scale_args *a, size_t wi)
{
	return &j->batch[a->weak ? wi : 0].job[0];
}

static int load_jobs(const struct scale_args *a, struct jobs *j)
{
	struct fb_job *base;
	uint32_t h;

	if (fb_cli_load(a->config, &a->ov, &j->batch[0]) < 0)
		return -1;
	j->n = 1;
	if (j->batch[0].n != 1)
		return fb_error("scale: %s holds %zu jobs; a study runs one (use --set or a "
				"config of its own)", a->config, j->batch[0].n);
	if (!a->weak && fb_check_memory(&j->batch[0], a->force) < 0)
		return -1;
	base = &j->batch[0].job[0];
	h = base->height;
	if (!a->weak)
		return 0;
	/* Weak scaling: reload the job with height x N, validated like any other config
	 * (range, mappable buffers). The first worker count keeps the base height only if
	 * it is 1, so load every count afresh after the first. */
	fb_batch_free(&j->batch[0]);
	j->n = 0;
	for (size_t wi = 0; wi < a->n_workers; wi++) {
		struct fb_overrides ov = a->ov;
		struct fb_override *all = malloc((a->ov.n + 1) * sizeof(*all));
		char value[32];
		uint64_t height = (uint64_t)h * a->workers[wi];
		int rc;

		if (height > FB_MAX_DIMENSION) {
			free(all);
			return fb_error("scale: --weak: %u workers need a height of %llu, above %d",
					a->workers[wi], (unsigned long long)height,
					FB_MAX_DIMENSION);
		}
		if (!all)
			return fb_error("out of memory");
		if (a->ov.n)
			memcpy(all, a->ov.ov, a->ov.n * sizeof(*all));
		snprintf(value, sizeof(value), "%llu", (unsigned long long)height);
		all[a->ov.n] = (struct fb_override){ .path = "height", .value = value,
						     .label = "--weak" };
		ov.ov = all;
		ov.n = a->ov.n + 1;
		rc = fb_cli_load(a->config, &ov, &j->batch[wi]);
		free(all);
		if (rc < 0)
			return -1;
		j->n = wi + 1;
		if (fb_check_memory(&j->batch[wi], a->force) < 0)
			return -1;
	}
	return 0;
}

/* "out/m.png" -> "out/m.dynamic-j4-r2.png" */
static char *tagged_path(const char *path, const char *tag)
{
	const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
	size_t stem = dot && (!slash || dot > slash + 1) ? (size_t)(dot - path) : strlen(path);
	char *out = malloc(strlen(path) + strlen(tag) + 2);

	if (out)
		sprintf(out, "%.*s.%s%s", (int)stem, path, tag, path + stem);
	return out;
}

/* The tag of a kept output: "dynamic-j4-r2" (timed run 2), "dynamic-j4-w1" (warm-up 1). */
static void keep_tag(char *tag, size_t len, enum fb_schedule s, unsigned workers,
		     const struct scale_args *a, unsigned r)
{
	bool timed = r >= a->warmup;

	snprintf(tag, len, "%s-j%u-%s%u", fb_schedule_name(s), workers, timed ? "r" : "w",
		 timed ? r - a->warmup + 1 : r + 1);
}

/* --keep-outputs: every name the study will write is an output of the run, checked as
 * --csv is (aliases, the config, read-only files), before anything runs. */
static int check_kept_outputs(const struct scale_args *a, struct jobs *jobs)
{
	for (size_t si = 0; si < a->n_schedules; si++) {
		for (size_t wi = 0; wi < a->n_workers; wi++) {
			const struct fb_job *job = job_for(jobs, a, wi);

			for (unsigned r = 0; r < a->warmup + a->repeat; r++) {
				const char *outs[2] = { job->png, job->raw };
				char tag[64];

				keep_tag(tag, sizeof(tag), a->schedules[si], a->workers[wi], a, r);
				for (int k = 0; k < 2; k++) {
					char *name;
					int rc;

					if (!outs[k])
						continue;
					/* NAME.TAG.EXT needs a file's name, not "-" or a device's. */
					if (fb_output_is_direct(outs[k]))
						return fb_error("--keep-outputs: '%s' is not a file to name "
								"each run's output after", outs[k]);
					name = tagged_path(outs[k], tag);
					if (!name)
						return fb_error("out of memory");
					rc = fb_config_add_output(&jobs->batch[0], "--keep-outputs", name);
					free(name);
					if (rc < 0)
						return -1;
				}
			}
		}
	}
	return 0;
}

static double phase_seconds(const struct fb_job_result *r, const char *name)
{
	for (size_t i = 0; i < r->n_phases; i++)
		if (strcmp(r->phase[i].name, name) == 0)
			return r->phase[i].seconds;
	return 0;
}

/* max / mean of the workers' busy times over the passes of the compute phase (one for
 * the escape-time kernels, several for a filter). */
static double imbalance(const struct fb_job_result *r)
{
	unsigned workers = r->n_passes ? r->pass[0].workers : 0;
	double max = 0, sum = 0;

	for (unsigned w = 0; w < workers; w++) {
		double b = 0;

		for (size_t i = 0; i < r->n_passes; i++)
			if (strcmp(r->pass_phase[i], "compute") == 0 && w < r->pass[i].workers)
				b += (double)r->pass[i].worker[w].busy_ns;
		sum += b;
		if (b > max)
			max = b;
	}
	return sum > 0 ? max / (sum / workers) : NAN;
}

static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	buf[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && colon) {
			colon += 1 + (colon[1] == ' ');
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(buf, len, "%s", colon);
			break;
		}
	}
	if (f)
		fclose(f);
}

/* The first run of each job height: what every later run of that height must match. */
struct reference {
	uint32_t height;
	uint32_t raw, png;
	bool has_raw, has_png;
	char where[64];
};

static int check_output(struct reference *refs, size_t *n_refs, const struct fb_job_result *r,
			uint32_t height, const char *where)
{
	struct reference *ref = NULL;

	for (size_t i = 0; i < *n_refs; i++)
		if (refs[i].height == height)
			ref = &refs[i];
	if (!ref) {
		ref = &refs[(*n_refs)++];
		*ref = (struct reference){ height, r->raw_hash, r->png_hash, r->has_raw_hash,
					   r->has_png_hash, "" };
		snprintf(ref->where, sizeof(ref->where), "%s", where);
		return 0;
	}
	if (r->has_raw_hash && r->raw_hash != ref->raw)
		return fb_error("scale: the output of %s differs from that of %s (raw grid "
				"crc32 %08x, expected %08x): these scaling figures would be "
				"worthless", where, ref->where, r->raw_hash, ref->raw);
	if (r->has_png_hash && r->png_hash != ref->png)
		return fb_error("scale: the PNG of %s differs from that of %s (crc32 %08x, "
				"expected %08x): these scaling figures would be worthless", where,
				ref->where, r->png_hash, ref->png);
	return 0;
}

/* Statistics over a point's runs, and the figures derived against T1. */
static void summarise(struct fb_study *st, struct fb_study_point *pt,
		      struct fb_study_run *runs, size_t n, const struct fb_study_point *t1,
		      bool weak)
{
	double v[MAX_REPEAT], meanad;

	for (int k = 0; k < FB_T_COUNT; k++) {
		struct fb_stat *s = &pt->t[k];

		for (size_t i = 0; i < n; i++)
			v[i] = runs[i].t[k];
		s->median = fb_median(v, n);
		s->mad = fb_mad(v, n, s->median);
		s->min = s->max = v[0];
		for (size_t i = 1; i < n; i++) {
			s->min = v[i] < s->min ? v[i] : s->min;
			s->max = v[i] > s->max ? v[i] : s->max;
		}
	}
	for (size_t i = 0; i < n; i++)
		v[i] = runs[i].t[FB_T_WALL];
	meanad = fb_meanad(v, n, pt->t[FB_T_WALL].median);
	pt->outliers = 0;
	for (size_t i = 0; i < n; i++) {
		runs[i].zscore = fb_modified_z(v[i], pt->t[FB_T_WALL].median, pt->t[FB_T_WALL].mad,
					       meanad);
		runs[i].outlier = fabs(runs[i].zscore) > FB_OUTLIER_Z;
		pt->outliers += runs[i].outlier;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = runs[i].imbalance;
	pt->imbalance = fb_median(v, n);
	pt->oversubscribed = pt->workers > st->cpus;

	for (int b = 0; b < FB_B_COUNT; b++) {
		int k = b == FB_B_WALL ? FB_T_WALL : FB_T_COMPUTE;
		double tn = pt->t[k].median;

		pt->speedup[b] = pt->efficiency[b] = pt->karp_flatt[b] = NAN;
		if (!t1 || !(tn > 0))
			continue;
		if (weak) {
			pt->efficiency[b] = t1->t[k].median / tn;
			pt->speedup[b] = pt->workers * pt->efficiency[b];
		} else {
			pt->speedup[b] = t1->t[k].median / tn;
			pt->efficiency[b] = pt->speedup[b] / pt->workers;
			pt->karp_flatt[b] = fb_karp_flatt(pt->speedup[b], pt->workers);
		}
	}
}

/* v with the given decimals, or "-" where it is undefined. */
static void fmt(char *buf, size_t len, double v, int decimals)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.*f", decimals, v);
}

/* The table's stream: stdout, or stderr when an output is written to stdout. */
static FILE *table;

static void print_header(void)
{
	fprintf(table, "%-8s %8s %16s %16s %7s %6s %7s %6s %7s %6s %4s\n", "schedule",
		"workers", "wall_s (mad)", "compute_s (mad)", "S_wall", "E_wall", "S_comp",
		"E_comp", "KF_comp", "imbal", "out");
}

static void print_point(const struct fb_study_point *p)
{
	char sw[16], ew[16], sc[16], ec[16], kf[16], im[16], wall[32], comp[32], n[16];

	fmt(sw, sizeof(sw), p->speedup[FB_B_WALL], 2);
	fmt(ew, sizeof(ew), p->efficiency[FB_B_WALL], 2);
	fmt(sc, sizeof(sc), p->speedup[FB_B_COMPUTE], 2);
	fmt(ec, sizeof(ec), p->efficiency[FB_B_COMPUTE], 2);
	fmt(kf, sizeof(kf), p->karp_flatt[FB_B_COMPUTE], 3);
	fmt(im, sizeof(im), p->imbalance, 2);
	snprintf(wall, sizeof(wall), "%.3f (%.3f)", p->t[FB_T_WALL].median, p->t[FB_T_WALL].mad);
	snprintf(comp, sizeof(comp), "%.3f (%.3f)", p->t[FB_T_COMPUTE].median,
		 p->t[FB_T_COMPUTE].mad);
	snprintf(n, sizeof(n), "%u%s", p->workers, p->oversubscribed ? "*" : "");
	fprintf(table, "%-8s %8s %16s %16s %7s %6s %7s %6s %7s %6s %4u\n",
		fb_schedule_name(p->schedule), n, wall, comp, sw, ew, sc, ec, kf, im, p->outliers);
	fflush(table);
}

/* Each rank's busy seconds and their largest over their mean (a run across MPI
 * ranks), into run. */
static void rank_figures(const struct fb_job_result *res, struct fb_study_run *run)
{
	double max = 0, sum = 0;

	if (res->ranks < 2 || !res->rank_busy_s ||
	    !(run->rank_busy_s = malloc(res->ranks * sizeof(double))))
		return;
	for (unsigned i = 0; i < res->ranks; i++) {
		run->rank_busy_s[i] = res->rank_busy_s[i];
		sum += res->rank_busy_s[i];
		max = res->rank_busy_s[i] > max ? res->rank_busy_s[i] : max;
	}
	run->rank_imbalance = sum > 0 ? max / (sum / res->ranks) : NAN;
}

/* A run's expected time in arbitrary units, for the study's ETA. */
static double run_weight(const struct fb_job *job, unsigned workers, unsigned cpus)
{
	return (double)job->height / (workers < cpus ? workers : cpus);
}

/* Runs every point; fills st. Returns an exit status. */
static int study(struct scale_args *a, struct jobs *jobs, struct fb_study *st,
		 const struct fb_backend *be)
{
	struct fb_drive_options dopt = { .no_files = !a->keep, .hash = true, .pin = a->pin,
					 .backend = be };
	struct reference refs[MAX_COUNTS];
	size_t n_refs = 0;
	const char *corrupt = getenv("FORKBAND_TEST_CORRUPT");
	unsigned corrupt_at = corrupt ? (unsigned)atoi(corrupt) : 0;
	struct fb_progress prog;
	char label[96];
	size_t run_k = 0, n_runs = a->n_schedules * a->n_workers * (a->warmup + a->repeat);
	unsigned cpus = fb_usable_cpus();
	double total = 0;

	fb_progress_init(&prog, a->quiet || !fb_backend_leader(be));
	/* The study's ETA weighs each run by its rows over the CPUs its workers can use:
	 * a run's time goes as 1 / workers up to the CPU count (and, with --weak, grows
	 * with the height). */
	for (size_t wi = 0; wi < a->n_workers; wi++)
		total += run_weight(job_for(jobs, a, wi), a->workers[wi], cpus) *
			 (double)(a->warmup + a->repeat) * (double)a->n_schedules;
	fb_progress_study_start(&prog, total);
	for (size_t si = 0; si < a->n_schedules; si++) {
		const struct fb_study_point *t1 = NULL;

		for (size_t wi = 0; wi < a->n_workers; wi++) {
			struct fb_job *job = job_for(jobs, a, wi);
			struct fb_study_point *pt = &st->points[st->n_points];
			struct fb_study_run *first = &st->runs[st->n_runs];
			char *png = job->png, *raw = job->raw;
			int status = FB_EXIT_OK;

			job->workers = a->workers[wi];
			job->schedule = a->schedules[si];
			dopt.corrupt = corrupt_at == job->workers;
			*pt = (struct fb_study_point){ .schedule = job->schedule,
						       .workers = job->workers,
						       .height = job->height };
			for (unsigned r = 0; r < a->warmup + a->repeat && status == FB_EXIT_OK; r++) {
				bool timed = r >= a->warmup;
				struct fb_job_result res;
				enum fb_drive_status ds;
				char where[64], tag[64];

				snprintf(where, sizeof(where), "%s -j %u %s %u",
					 fb_schedule_name(job->schedule), job->workers,
					 timed ? "run" : "warm-up", timed ? r - a->warmup + 1 : r + 1);
				snprintf(label, sizeof(label), "-j %u %s%s", job->workers,
					 fb_schedule_name(job->schedule), timed ? "" : " warm-up");
				fb_progress_study_run(&prog, ++run_k, n_runs, label,
						      run_weight(job, job->workers, cpus));
				if (a->keep) {
					keep_tag(tag, sizeof(tag), job->schedule, job->workers, a, r);
					job->png = png ? tagged_path(png, tag) : NULL;
					job->raw = raw ? tagged_path(raw, tag) : NULL;
				}
				ds = fb_drive_job(job, &dopt, &prog, &res);
				/* Its outputs' renames held the terminating signals: the run's
				 * output step is over, an interrupt may land. */
				fb_outfile_release();
				if (a->keep) {
					free(job->png);
					free(job->raw);
					job->png = png;
					job->raw = raw;
				}
				if (ds != FB_DRIVE_OK)
					status = ds == FB_DRIVE_SETUP_FAILED ? FB_EXIT_USAGE
									     : FB_EXIT_RUN;
				else if (check_output(refs, &n_refs, &res, job->height, where) < 0)
					status = FB_EXIT_RUN;
				/* Rank 0 alone holds the outputs' CRCs and writes: every rank
				 * stops with it. */
				status = fb_backend_agree(be, status);
				if (ds != FB_DRIVE_OK)
					return status;
				if (timed && status == FB_EXIT_OK) {
					struct fb_study_run *run = &st->runs[st->n_runs++];

					*run = (struct fb_study_run){
						.schedule = job->schedule, .workers = job->workers,
						.index = r - a->warmup, .height = job->height,
						.raw_hash = res.raw_hash, .png_hash = res.png_hash,
						.has_raw = res.has_raw_hash, .has_png = res.has_png_hash,
						.imbalance = imbalance(&res),
					};
					rank_figures(&res, run);
					run->t[FB_T_WALL] = res.total_s;
					run->t[FB_T_SETUP] = phase_seconds(&res, "setup");
					run->t[FB_T_COMPUTE] = phase_seconds(&res, "compute");
					run->t[FB_T_COLOUR] = phase_seconds(&res, "colour");
					/* The encode and the write together, as before
					 * the run split them. */
					run->t[FB_T_WRITE] = phase_seconds(&res, "encode") +
							     phase_seconds(&res, "write");
				}
				fb_job_result_free(&res);
			}
			if (status != FB_EXIT_OK)
				return status;
			if (job->workers == 1)
				t1 = pt;
			summarise(st, pt, first, a->repeat, t1, a->weak);
			st->n_points++;
			print_point(pt);
		}
	}
	return FB_EXIT_OK;
}

/* --dry-run: the study as it would run, as JSON on stdout. */
static int print_dry_run(const struct scale_args *a, struct jobs *jobs)
{
	cJSON *doc = cJSON_CreateObject(), *o, *list;
	const char *outputs[] = { a->csv, a->json, a->markdown, a->plot };

	o = cJSON_AddObjectToObject(doc, "study");
	cJSON_AddStringToObject(o, "scaling", a->weak ? "weak" : "strong");
	list = cJSON_AddArrayToObject(o, "workers");
	for (size_t i = 0; i < a->n_workers; i++)
		cJSON_AddItemToArray(list, cJSON_CreateNumber(a->workers[i]));
	list = cJSON_AddArrayToObject(o, "schedules");
	for (size_t i = 0; i < a->n_schedules; i++)
		cJSON_AddItemToArray(list, cJSON_CreateString(fb_schedule_name(a->schedules[i])));
	cJSON_AddNumberToObject(o, "repeat", a->repeat);
	cJSON_AddNumberToObject(o, "warmup", a->warmup);
	cJSON_AddNumberToObject(o, "runs", (double)(a->n_workers * a->n_schedules *
						   (a->repeat + a->warmup)));
	cJSON_AddBoolToObject(o, "pin", a->pin);
	cJSON_AddBoolToObject(o, "keep_outputs", a->keep);
	list = cJSON_AddArrayToObject(doc, "jobs");
	for (size_t i = 0; i < (a->weak ? a->n_workers : 1); i++) {
		const struct fb_job *job = job_for(jobs, a, i);
		cJSON *j = fb_cli_dry_run_job(job), *run;

		if (j) {	/* the study picks the workers (and so a default chunk) per point */
			run = cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(j, "job"), "run");
			cJSON_DeleteItemFromObjectCaseSensitive(run, "workers");
			if (!job->chunk)
				cJSON_DeleteItemFromObjectCaseSensitive(run, "chunk");
		}
		if (!j) {
			cJSON_Delete(doc);
			if (fb_error_reported())
				return FB_EXIT_USAGE;
			fb_error("out of memory");
			return FB_EXIT_RUN;
		}
		cJSON_AddItemToArray(list, j);
	}
	list = cJSON_AddArrayToObject(doc, "writes");
	for (size_t i = 0; i < FB_ARRAY_LEN(outputs); i++)
		if (outputs[i])
			cJSON_AddItemToArray(list, cJSON_CreateString(outputs[i]));
	return fb_cli_print_json(doc);
}

int fb_cmd_scale(int argc, char **argv, const struct fb_backend *be)
{
	bool leader = fb_backend_leader(be);
	char hosts[4096];
	struct scale_args a = { 0 };
	struct jobs jobs = { 0 };
	struct fb_study st = { 0 };
	int status = FB_EXIT_USAGE;
	size_t points;
	char shown[1024];

	if (parse_args(argc, argv, &a) == 0) {
		fb_set_config_policy(a.force, be);
		if (fb_cli_check_source("scale", a.config, be) == 0 &&
		    load_jobs(&a, &jobs) == 0 &&
		    (!a.csv || fb_config_add_output(&jobs.batch[0], "--csv", a.csv) == 0) &&
		    (!a.json || fb_config_add_output(&jobs.batch[0], "--json", a.json) == 0) &&
		    (!a.markdown ||
		     fb_config_add_output(&jobs.batch[0], "--markdown", a.markdown) == 0) &&
		    (!a.plot || fb_config_add_output(&jobs.batch[0], "--plot", a.plot) == 0) &&
		    (!a.keep || check_kept_outputs(&a, &jobs) == 0)) {
			status = FB_EXIT_OK;
			for (size_t i = 0; i < jobs.n && status == FB_EXIT_OK; i++)
				for (size_t j = 0; j < jobs.batch[i].n && status == FB_EXIT_OK; j++)
					if (be->refuse && be->refuse(be, &jobs.batch[i].job[j]) < 0)
						status = FB_EXIT_USAGE;
		}
	}
	/* Every rank of an MPI run has loaded the study: all go on, or none. */
	if (fb_backend_agree(be, status) != FB_EXIT_OK) {
		status = status ? status : FB_EXIT_USAGE;
		goto out;
	}
	if (a.dry_run) {
		status = leader ? print_dry_run(&a, &jobs) : FB_EXIT_OK;
		goto out;
	}
	status = FB_EXIT_USAGE;
	/* An output on stdout is for a pipe: the table must not run into it. */
	table = is_stdout(a.csv) || is_stdout(a.json) || is_stdout(a.markdown) ||
			is_stdout(a.plot) ? stderr : stdout;

	points = a.n_schedules * a.n_workers;
	st = (struct fb_study){
		.config = a.config ? a.config : "configs/mandelbrot.json (built in)",
		.pixels_json = fb_job_pixels_json(&jobs.batch[0].job[0]),
		.cpus = fb_usable_cpus(), .weak = a.weak, .pin = a.pin, .repeat = a.repeat,
		.warmup = a.warmup, .workers = a.workers, .n_workers = a.n_workers,
		.schedules = a.schedules, .n_schedules = a.n_schedules,
		.runs = calloc(points * a.repeat, sizeof(*st.runs)),
		.points = calloc(points, sizeof(*st.points)),
	};
	if (!st.pixels_json || !st.runs || !st.points) {
		fb_error("out of memory");
		status = FB_EXIT_RUN;
		goto out;
	}
	cpu_model(st.cpu_model, sizeof(st.cpu_model));
	st.ranks = be->where ? be->where(be, hosts, sizeof(hosts)) : 1;
	st.hosts = be->where ? hosts : NULL;

	fb_escape(shown, sizeof(shown), st.config);	/* a terminal reads it */
	fprintf(table, "%s scaling of %s: %ux%u %s; %zu schedule%s x %zu worker count%s, %u run%s "
		"after %u warm-up%s each; %u CPUs%s\n",
		a.weak ? "weak" : "strong", shown, jobs.batch[0].job[0].width,
		jobs.batch[0].job[0].height, jobs.batch[0].job[0].kernel->name, a.n_schedules,
		a.n_schedules == 1 ? "" : "s", a.n_workers, a.n_workers == 1 ? "" : "s",
		a.repeat, a.repeat == 1 ? "" : "s", a.warmup, a.warmup == 1 ? "" : "s", st.cpus,
		a.pin ? ", workers pinned" : "");
	if (a.workers[0] != 1)
		fprintf(table, "no 1-worker point in --workers: times only, no speedup, efficiency "
			"or Karp-Flatt\n");
	if (st.ranks > 1)
		fprintf(table, "%u ranks (%s), the workers a rank\n", st.ranks, hosts);
	print_header();
	status = study(&a, &jobs, &st, be);
	if (status == FB_EXIT_OK) {
		if (a.workers[a.n_workers - 1] > st.cpus)
			fprintf(table, "* oversubscribed: more workers than the %u CPUs this process "
				"may use\n", st.cpus);
		fflush(table);
		if (leader && ((a.csv && fb_study_write_csv(a.csv, &st) < 0) ||
		    (a.json && fb_study_write_json(a.json, &st) < 0) ||
		    (a.markdown && fb_study_write_markdown(a.markdown, &st) < 0) ||
		    (a.plot && fb_study_write_svg(a.plot, &st) < 0)))
			status = FB_EXIT_RUN;
	}
	status = fb_backend_agree(be, status);
out:
	for (size_t i = 0; st.runs && i < st.n_runs; i++)
		free(st.runs[i].rank_busy_s);
	free(st.pixels_json);
	free(st.runs);
	free(st.points);
	for (size_t i = 0; i < jobs.n; i++)
		fb_batch_free(&jobs.batch[i]);
	fb_overrides_free(&a.ov);
	return status;
}
