/* main.c: the forkband command line; the only place that decides exit statuses.
 *
 * Exit status: 0 success, 1 a run failed (rows killed their worker three times, the
 * --timeout passed, an output could not be written), 2 usage or config error, or a job
 * too large for the memory available (nothing was run or written), 128 + N when
 * stopped by signal N (on_terminate()).
 */
#include "runtime/compat.h"

#include "backend.h"
#include "cli.h"
#include "driver.h"
#include "help.h"
#include "io/config.h"
#include "io/outfile.h"
#include "io/report.h"
#include "kernels/isa.h"
#include "kernels/kernel.h"
#include "runtime/error.h"
#include "runtime/fault.h"
#include "runtime/pool.h"
#include "runtime/spinlock.h"
#include "main.h"
#include "scale.h"

#include <cJSON.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>


const char fb_run_usage[] =
	"usage: forkband run [CONFIG] [options]\n"
	"\n"
	"Runs every job in CONFIG (a job, or a batch {\"defaults\", \"jobs\"}); with no\n"
	"CONFIG, the built-in default job, which writes mandelbrot.png here. CONFIG may\n"
	"also be a PNG written by forkband: its job is run again (give -o to save it);\n"
	"'-' reads the config from standard input.\n"
	"\n"
	"options:\n"
	"  -j, --workers N     worker processes (default: the CPUs it may use)\n"
	"  --schedule S        static, cyclic, dynamic (default) or guided\n"
	"  --chunk R           rows per chunk (default: 16+ chunks per worker; cyclic: 1)\n"
	"  -o, --output FILE   write the PNG to FILE (a single job only; '-': standard\n"
	"                      output, when it is not a terminal)\n"
	"  --set PATH=VALUE    override a config field, e.g. --set params.max_iter=5000;\n"
	"                      VALUE is JSON, or else a string; repeatable; applies to\n"
	"                      every job of a batch\n"
	"  --report FILE       write a JSON report of the whole run ('-': standard output)\n"
	"  --memory SIZE       memory budget of a job that streams (mandelbrot, julia,\n"
	"                      filter):\n"
	"                      512M, 2G, ... (default: 1G, or half the memory available\n"
	"                      if less); a bigger image runs in strips of rows\n"
	"  --timeout SECONDS   fail, writing nothing more, unless the outputs are in\n"
	"                      place SECONDS after the start (loading included)\n"
	"  --dry-run           check the config and the outputs, print the job(s) as JSON\n"
	"                      with every default filled in, the files they would write\n"
	"                      and the memory they need; compute nothing\n"
	"  --force             run even if the jobs need more memory than is available,\n"
	"                      and replace read-only output files\n"
	"  --isa I             instruction set of the mandelbrot and julia loops: scalar,\n"
	"                      sse2, avx2, avx512 or auto (default: the best this CPU\n"
	"                      has); the exact pixels are the same with each\n"
	"  -q, --quiet         no progress bar and no summary\n"
	"  -h, --help          show this help\n"
	"\n"
	"Command-line options override the config file. See docs/config.md.\n";

static void print_version(void)
{
	char cpu[64];

	fb_isa_describe_cpu(cpu, sizeof(cpu));
	printf("forkband %s\nlock: %s\nisa: %s (auto; this CPU: %s)\nblas: %s\ncompiler: %s\n"
	       "build: %s\n", FORKBAND_VERSION, FB_LOCK_VARIANT, fb_isa_name(fb_isa_best()), cpu,
	       fb_matmul_blas_name(), FB_COMPILER, FORKBAND_BUILD_TYPE);
}

/* What runs the jobs: the local pool, or MPI ranks in forkband-mpi (fb_main()). */
static const struct fb_backend *backend = &fb_backend_local;
/* The name messages begin with, and whether this process says anything when a signal
 * stops it (of an MPI run's ranks, only rank 0 does). */
static const char *program = "forkband";
static bool speaks = true;

/* ---- forkband run ---- */

/* Jobs of the batch whose outputs are all in place, and jobs in all: for the message
 * of an interrupt between two jobs; "frames" when the batch is one zoom sequence. */
static volatile size_t jobs_written, jobs_total;
static const char *volatile jobs_unit = "jobs";

struct run_args {
	const char *config;
	const char *report;
	double timeout_s;	/* 0: none */
	bool quiet;
	bool force;
	bool dry_run;
	struct fb_overrides ov;
};

static int parse_run_args(int argc, char **argv, struct run_args *a)
{
	enum { OPT_SCHEDULE = 256, OPT_CHUNK, OPT_SET, OPT_REPORT, OPT_TIMEOUT, OPT_FORCE,
	       OPT_ISA, OPT_MEMORY, OPT_DRY_RUN };
	static const struct option opts[] = {
		{ "workers", required_argument, NULL, 'j' },
		{ "schedule", required_argument, NULL, OPT_SCHEDULE },
		{ "chunk", required_argument, NULL, OPT_CHUNK },
		{ "output", required_argument, NULL, 'o' },
		{ "set", required_argument, NULL, OPT_SET },
		{ "report", required_argument, NULL, OPT_REPORT },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "isa", required_argument, NULL, OPT_ISA },
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":j:o:qh", opts, NULL)) != -1) {
		int rc = 0;

		switch (c) {
		case 'j':
			rc = fb_overrides_add(&a->ov, "run.workers", optarg, "-j");
			break;
		case OPT_SCHEDULE:
			rc = fb_overrides_add(&a->ov, "run.schedule", optarg, "--schedule");
			break;
		case OPT_CHUNK:
			rc = fb_overrides_add(&a->ov, "run.chunk", optarg, "--chunk");
			break;
		case OPT_MEMORY:
			rc = fb_overrides_add(&a->ov, "run.memory", optarg, "--memory");
			break;
		case 'o':
			rc = fb_overrides_add(&a->ov, "output.png", optarg, "-o");
			/* A path, never JSON: a file called "5" stays a path. One file cannot
			 * hold the pictures of several jobs: the config refuses it for a batch,
			 * before a single job is built. */
			if (rc == 0) {
				a->ov.ov[a->ov.n - 1].literal = true;
				a->ov.ov[a->ov.n - 1].single_job = true;
			}
			break;
		case OPT_SET:
			rc = fb_overrides_add_set(&a->ov, optarg);
			break;
		case OPT_REPORT:
			a->report = optarg;
			break;
		case OPT_TIMEOUT: {
			char *end;

			a->timeout_s = strtod(optarg, &end);
			if (end == optarg || *end || !(a->timeout_s > 0) || a->timeout_s > 1e9) {
				fb_error("run: --timeout: expected a number of seconds above 0 "
					 "and at most 1e9, got '%s'", optarg);
				return -1;
			}
			break;
		}
		case OPT_FORCE:
			a->force = true;
			break;
		case OPT_DRY_RUN:
			a->dry_run = true;
			break;
		case OPT_ISA:
			rc = fb_cli_set_isa("run", optarg);
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'h':
			fputs(fb_run_usage, stdout);
			exit(FB_EXIT_OK);
		default:
			return fb_cli_bad_option("run", argv, c, opts, "jqho", "qh");
		}
		if (rc < 0)
			return -1;
	}
	if (optind < argc)
		a->config = argv[optind++];
	if (optind < argc) {
		fb_error("run: one config file at a time, got '%s' too", argv[optind]);
		return -1;
	}
	return 0;
}

static void arm_timeout(double seconds, double left);

/* Settings that run, but probably not as meant: one line each on stderr, once per
 * batch (the settings come from the command line or the defaults, and are the same
 * for most jobs), unless quiet. */
static void print_notes(const struct fb_batch *batch)
{
	unsigned cpus = fb_usable_cpus();
	bool workers = false, chunk = false;

	for (size_t j = 0; j < batch->n; j++) {
		const struct fb_job *job = &batch->job[j];

		if (!workers && job->workers > cpus) {
			fprintf(stderr, "%s: note: %u workers on %u usable CPU%s take turns; "
				"-j %u is as fast or faster\n", program, job->workers, cpus,
				cpus == 1 ? "" : "s", cpus);
			workers = true;
		}
		if (!chunk && job->chunk > job->height) {
			fprintf(stderr, "%s: note: chunk %u is more rows than the image's %u: "
				"one worker computes them all\n", program, job->chunk,
				job->height);
			chunk = true;
		}
	}
}

/* --dry-run: the batch, validated, as JSON on stdout; nothing computed or written. */
static int print_dry_run(const struct fb_batch *batch, const char *report)
{
	cJSON *doc = cJSON_CreateObject(), *jobs = cJSON_AddArrayToObject(doc, "jobs");
	size_t avail = fb_available_memory();

	for (size_t j = 0; j < batch->n; j++) {
		cJSON *o = fb_cli_dry_run_job(&batch->job[j]);

		if (!o) {
			cJSON_Delete(doc);
			if (fb_error_reported())	/* a budget too small for one strip */
				return FB_EXIT_USAGE;
			fb_error("out of memory");
			return FB_EXIT_RUN;
		}
		cJSON_AddItemToArray(jobs, o);
	}
	if (report)
		cJSON_AddStringToObject(doc, "report", report);
	if (avail != SIZE_MAX)
		cJSON_AddNumberToObject(doc, "memory_available", (double)avail);
	return fb_cli_print_json(doc);
}

static int cmd_run(int argc, char **argv)
{
	struct run_args a = { 0 };
	struct fb_batch batch = { 0 };
	struct fb_job_result *results = NULL;
	struct fb_progress prog;
	struct fb_drive_options dopt = { 0 };
	struct fb_sequence_summary seq = { 0 };
	long n_user;		/* the batch's jobs as its file has them; 0: a lone job */
	uint64_t start = fb_now_ns();
	int status = FB_EXIT_USAGE;

	bool leader = fb_backend_leader(backend);
	size_t j;

	dopt.backend = backend;
	if (parse_run_args(argc, argv, &a) == 0) {
		/* --timeout covers the whole run: loading the config and the inputs too. */
		if (a.timeout_s > 0) {
			dopt.timeout_s = a.timeout_s;
			dopt.deadline_ns = start + (uint64_t)(a.timeout_s * 1e9);
			arm_timeout(a.timeout_s,
				    a.timeout_s - (double)(fb_now_ns() - start) / 1e9);
		}
		fb_set_config_policy(a.force, backend);
		if (fb_cli_check_source("run", a.config, backend) == 0 &&
		    fb_cli_load(a.config, &a.ov, &batch) == 0 &&
		    (!a.report || fb_config_add_output(&batch, "--report", a.report) == 0) &&
		    fb_check_memory(&batch, a.force) == 0) {
			status = FB_EXIT_OK;
			for (j = 0; j < batch.n && status == FB_EXIT_OK; j++)
				if (backend->refuse && backend->refuse(backend, &batch.job[j]) < 0)
					status = FB_EXIT_USAGE;
		}
	}
	/* Every process has read the config (each rank of an MPI run): all run, or none,
	 * and one of them says why. */
	status = fb_backend_agree(backend, status);
	if (status != FB_EXIT_OK)
		goto out;
	results = calloc(batch.n, sizeof(*results));
	if (!results) {
		fb_error("out of memory");
		status = FB_EXIT_RUN;
		goto out;
	}
	if (!leader)
		a.quiet = true;
	if (a.dry_run) {
		status = leader ? print_dry_run(&batch, a.report) : FB_EXIT_OK;
		goto out;
	}
	if (!a.quiet)
		print_notes(&batch);
	fb_progress_init(&prog, a.quiet);
	jobs_total = batch.n;
	/* A batch that is one zoom sequence counts frames (seq ascends through a batch:
	 * the same at both ends only then). */
	if (batch.job[0].origin.seq && batch.job[batch.n - 1].origin.seq == batch.job[0].origin.seq)
		jobs_unit = "frames";
	/* The jobs as the file has them: a zoom's frames are one job there. */
	n_user = batch.job[batch.n - 1].origin.index + 1;
	status = FB_EXIT_OK;
	for (j = 0; j < batch.n; j++) {
		const struct fb_job *job = &batch.job[j];
		enum fb_drive_status ds;

		/* A zoom sequence shows one line for all its frames (progress.h). */
		if (job->origin.seq)
			fb_progress_frame(&prog, job->origin.frame + 1, job->origin.frames,
					  job->png ? job->png : job->label);
		else if (n_user > 0)
			fb_progress_set_job(&prog, (size_t)job->origin.index + 1, (size_t)n_user,
					    job->label);
		else
			fb_progress_set_job(&prog, j + 1, batch.n, job->label);
		ds = fb_drive_job(job, &dopt, &prog, &results[j]);
		if (ds != FB_DRIVE_OK) {
			status = ds == FB_DRIVE_SETUP_FAILED ? FB_EXIT_USAGE : FB_EXIT_RUN;
		} else {
			/* A sequence's frames: one summary, after its last (driver.h). */
			if (!a.quiet && job->origin.seq) {
				fb_sequence_add(&seq, &results[j]);
				if (job->origin.frame + 1 == job->origin.frames) {
					fb_print_sequence_summary(&seq);
					seq = (struct fb_sequence_summary){ 0 };
				}
			} else if (!a.quiet) {
				fb_print_summary(&results[j], batch.n > 1);
			}
			if (leader && batch.job[j].report &&
			    fb_report_write(batch.job[j].report, &results[j], 1) < 0)
				status = FB_EXIT_RUN;
		}
		/* A job that failed in one process only (rank 0 writing its outputs): every
		 * process stops after it. */
		status = fb_backend_agree(backend, status);
		if (status != FB_EXIT_OK)
			break;
		/* The job's output step is over: its files are in place (the terminating
		 * signals were held from its first rename). An interrupt that came meanwhile
		 * lands now, and says how many jobs were written; after the last job none
		 * lands at all: the run has done what it was asked. */
		jobs_written = j + 1;
		if (j + 1 < batch.n)
			fb_outfile_release();
		fb_job_release_data(&batch.job[j]);
		if (!a.report)	/* only a run-wide report needs every job's passes */
			fb_job_result_free(&results[j]);
	}
	/* The run stopped in a sequence: what of it is in place (its frames' files). */
	if (!a.quiet && status != FB_EXIT_OK)
		fb_print_sequence_summary(&seq);
	if (leader && status == FB_EXIT_OK && a.report &&
	    fb_report_write(a.report, results, batch.n) < 0)
		status = FB_EXIT_RUN;
	status = fb_backend_agree(backend, status);
out:
	for (j = 0; results && j < batch.n; j++)
		fb_job_result_free(&results[j]);
	free(results);
	fb_batch_free(&batch);
	fb_overrides_free(&a.ov);
	return status;
}

/* Ends the process from a signal handler: stops and reaps the workers, removes the
 * temporary outputs, prints why (`what`; NULL: nothing) and whether an output was cut
 * short, and exits with status. Async-signal-safe calls only. */
/* n in decimal at the end of buf (async-signal-safe); returns where it starts. */
static char *decimal(char *end, size_t n)
{
	*--end = '\0';
	do
		*--end = (char)('0' + n % 10);
	while ((n /= 10) > 0);
	return end;
}

static void say(const char *s)
{
	ssize_t unused = write(STDERR_FILENO, s, strlen(s));

	(void)unused;
}

FB_NORETURN static void stop_now(const char *what, int status)
{
	size_t written = jobs_written, total = jobs_total;
	char a[24], b[24];
	bool removed;

	fb_pool_kill_active();
	removed = fb_outfile_remove_active();
	if (!what || !speaks)
		_exit(status);
	fb_progress_erase_now();	/* over the progress bar, as it was drawn */
	say(program);
	say(": ");
	say(what);
	if (written > 0) {
		say("; the outputs of ");
		say(decimal(a + sizeof(a), written));
		say(" of ");
		say(decimal(b + sizeof(b), total));
		say(" ");
		say(jobs_unit);
		say(" are in place");
	}
	say(removed ? ", partial output removed\n" : "\n");
	_exit(status);
}

/* SIGINT, SIGTERM, SIGHUP (and the other signals whose default would end the run with
 * its temporary files left behind: SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, a stray
 * SIGALRM): stop and reap the workers, remove the outputs being written (an existing
 * file at their paths is untouched: outputs are renamed into place only when
 * complete), say so, and exit 128 + the signal's number: 130, 143, 129, ... Workers
 * ignore SIGINT, SIGHUP and SIGQUIT (the pool sets that), so a Ctrl-C or Ctrl-\ at the
 * terminal reaches them through this handler only. */
static void on_terminate(int sig)
{
	static char msg[64];

	if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
		stop_now("interrupted; workers stopped", 128 + sig);
	} else if (sig == SIGPIPE) {
		/* A reader that went away (forkband kernels | head -1): no one to tell, and
		 * quiet as any tool; the cleanup still happens. */
		stop_now(NULL, 128 + sig);
	} else {	/* SIGQUIT, SIGUSR1, SIGUSR2, a stray SIGALRM */
		const char *name = sig == SIGQUIT ? "QUIT" : sig == SIGUSR1 ? "USR1" :
				   sig == SIGUSR2 ? "USR2" : sig == SIGALRM ? "ALRM" : "?";

		strcpy(msg, "stopped by SIG");
		strcat(msg, name);
		strcat(msg, "; workers stopped");
		stop_now(msg, 128 + sig);
	}
}

/* --timeout: the pool stops a pass at the deadline and names the busy worker, and the
 * driver renames no output past it; SIGALRM, 50 ms after the deadline, stops the run
 * wherever else it is (loading, decoding, encoding, writing). Once a job's outputs are
 * being renamed the signals are held (io/outfile.h): a run whose outputs were all in
 * place before the deadline succeeds. */
static char timeout_msg[160];

static void on_timeout(int sig)
{
	(void)sig;
	/* A failure already reported (the pool's own timeout, the driver's refusal to
	 * rename past the deadline) is the one line; this only cleans up. */
	stop_now(fb_error_reported() ? NULL : timeout_msg, FB_EXIT_RUN);
}

/* Arms the backstop for --timeout `seconds`, of which `left` remain. */
static void arm_timeout(double seconds, double left)
{
	struct sigaction sa = { .sa_handler = on_timeout };
	/* 50 ms after the deadline (README): a pass under way stops at the deadline itself
	 * and names the worker it stopped; this catches the rest. */
	double at = left + 0.05 > 0.000001 ? left + 0.05 : 0.000001;
	struct itimerval it = { .it_value = { (time_t)at,
					      (suseconds_t)((at - (double)(time_t)at) * 1e6) } };

	snprintf(timeout_msg, sizeof(timeout_msg),
		 "the run took longer than --timeout %g s; workers stopped", seconds);
	sigfillset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

static void install_signal_handlers(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE,
				    SIGALRM };
	struct sigaction sa = { .sa_handler = on_terminate };

	/* One handler at a time: a second signal waits until the first has exited. */
	fb_terminating_signals(&sa.sa_mask);
	for (size_t i = 0; i < FB_ARRAY_LEN(sigs); i++) {
		struct sigaction old;

		/* A signal the caller ignores (nohup) stays ignored. */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

/* The test switches forkband reads from the environment, parsed strictly before
 * anything runs: a bad value is a usage error naming the variable, never a guess.
 * (FORKBAND_FAULT is fb_fault_init()'s.) */
static int check_environment(void)
{
	const char *mem = getenv("FORKBAND_TEST_MEMAVAILABLE");
	const char *isa = getenv("FORKBAND_TEST_ISA_MAX");
	const char *corrupt = getenv("FORKBAND_TEST_CORRUPT");
	const char *strip = getenv("FORKBAND_TEST_STRIP_ROWS");
	static const char *const switches[] = { "FORKBAND_TEST_WHOLE_IMAGE",
						"FORKBAND_TEST_NO_REBASE", "FORKBAND_TEST_NO_BLA" };
	enum fb_isa parsed;
	uint64_t v;

	if (mem && *mem && !fb_parse_count(mem, (uint64_t)1 << 62, &v))
		return fb_error("FORKBAND_TEST_MEMAVAILABLE: expected a whole number of bytes "
				"(digits only), got '%s'", mem);
	if (isa && *isa && (fb_isa_parse(isa, &parsed) < 0 || parsed == FB_ISA_AUTO))
		return fb_error("FORKBAND_TEST_ISA_MAX: expected scalar, sse2, avx2 or avx512, "
				"got '%s'", isa);
	if (corrupt && *corrupt && !fb_parse_count(corrupt, FB_POOL_MAX_WORKERS, &v))
		return fb_error("FORKBAND_TEST_CORRUPT: expected a worker count from 0 to %d, "
				"got '%s'", FB_POOL_MAX_WORKERS, corrupt);
	if (strip && *strip && (!fb_parse_count(strip, UINT32_MAX, &v) || v == 0))
		return fb_error("FORKBAND_TEST_STRIP_ROWS: expected a number of rows from 1, "
				"got '%s'", strip);
	for (size_t i = 0; i < FB_ARRAY_LEN(switches); i++) {
		const char *on = getenv(switches[i]);

		if (on && *on && strcmp(on, "0") != 0 && strcmp(on, "1") != 0)
			return fb_error("%s: expected 0 or 1, got '%s'", switches[i], on);
	}
	return 0;
}

/* A table or listing that could not be written (a full disk, a closed pipe) is a
 * failed run, not a success. */
static int finish(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fb_error_errno("cannot write to standard output");
		return status == FB_EXIT_OK ? FB_EXIT_RUN : status;
	}
	return status;
}

int fb_main(int argc, char **argv, const struct fb_backend *be, const char *name)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	backend = be;
	program = name;
	speaks = fb_backend_leader(be);
	fb_error_set_program(name);
	install_signal_handlers();
	if (!cmd) {
		fputs(fb_main_usage, stderr);
		return FB_EXIT_USAGE;
	}
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
		fputs(fb_main_usage, stdout);
		return FB_EXIT_OK;
	}
	if (strcmp(cmd, "help") == 0)
		return finish(fb_cmd_help(argc - 1, argv + 1));
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		print_version();
		return finish(FB_EXIT_OK);
	}
	if ((strcmp(cmd, "run") == 0 || strcmp(cmd, "scale") == 0) &&
	    (check_environment() < 0 || fb_fault_init() < 0))
		return FB_EXIT_USAGE;
	if (strcmp(cmd, "run") == 0)
		return finish(cmd_run(argc - 1, argv + 1));
	if (strcmp(cmd, "scale") == 0)
		return finish(fb_cmd_scale(argc - 1, argv + 1, backend));
	if (strcmp(cmd, "kernels") == 0)
		return finish(fb_cmd_kernels(argc - 1, argv + 1));
	fb_unknown_command(cmd);
	return FB_EXIT_USAGE;
}
