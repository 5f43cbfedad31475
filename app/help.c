/* help.c: what forkband says about itself: `forkband help [CMD]`, the kernel tables of
 * `forkband kernels` (plain, one kernel, Markdown for docs/config.md, JSON for tools)
 * and the manual page, all from the commands' usage texts and the kernels' parameter
 * tables, so that none of them can drift from the program. */
#include "runtime/compat.h"

#include "help.h"

#include "cli.h"
#include "io/config.h"
#include "kernels/kernel.h"
#include "kernels/matgen.h"
#include "runtime/error.h"
#include "scale.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The plain listings fit this many columns. */
#define COLS 80

const char fb_main_usage[] =
	"usage: forkband <command> [options]\n"
	"\n"
	"Splits image and matrix computations into bands of rows and computes them on\n"
	"fork()ed worker processes that share memory, one per core by default.\n"
	"\n"
	"commands:\n"
	"  run [CONFIG]   run the job(s) in a JSON config file (default: the built-in\n"
	"                 Mandelbrot job, the same as configs/mandelbrot.json); CONFIG\n"
	"                 '-' reads the config from standard input\n"
	"  scale [CONFIG] a scaling study: one job across worker counts and schedules,\n"
	"                 with statistics, an output check, CSV/JSON and an SVG plot\n"
	"  kernels [NAME] list the kernels and every parameter they take\n"
	"  help [COMMAND] show this help, or a command's\n"
	"\n"
	"options:\n"
	"  -h, --help     show this help (`forkband help COMMAND` for a command's)\n"
	"  --version      show the version, the lock variant, the instruction set of\n"
	"                 the escape loops and the compiler\n"
	"\n"
	"exit status: 0 success, 1 a run failed, 2 usage or config error,\n"
	"128+N stopped by signal N (130 SIGINT, 143 SIGTERM, 129 SIGHUP)\n";

const char fb_kernels_usage[] =
	"usage: forkband kernels [NAME] [--json | --markdown]\n"
	"\n"
	"Lists every kernel (or the kernel NAME) with its parameters: type, range,\n"
	"default and meaning.\n"
	"\n"
	"options:\n"
	"  --json         the same as JSON, for tools\n"
	"  --markdown     the same as the Markdown tables of docs/config.md\n"
	"  -h, --help     show this help\n";

static const char help_usage[] =
	"usage: forkband help [COMMAND | --man]\n"
	"\n"
	"Shows the help of COMMAND (run, scale, kernels, help, version), or forkband's;\n"
	"--man prints the manual page (roff), as installed as forkband.1.\n";

static const char version_usage[] =
	"usage: forkband --version (or forkband version)\n"
	"\n"
	"Shows the version, the lock variant, the instruction set of the escape loops,\n"
	"the BLAS kernels, the compiler and the build type.\n";

const char *const fb_command_names[] = { "run", "scale", "kernels", "help", "version", NULL };

const char *fb_usage(const char *cmd)
{
	if (!cmd)
		return fb_main_usage;
	if (strcmp(cmd, "run") == 0)
		return fb_run_usage;
	if (strcmp(cmd, "scale") == 0)
		return fb_scale_usage;
	if (strcmp(cmd, "kernels") == 0)
		return fb_kernels_usage;
	if (strcmp(cmd, "help") == 0)
		return help_usage;
	if (strcmp(cmd, "version") == 0)
		return version_usage;
	return NULL;
}

int fb_unknown_command(const char *word)
{
	static const char *const options[] = { "help", "version" };
	char hint[96];

	if (strncmp(word, "--", 2) == 0)
		return fb_error("unknown option '%s'%s (try 'forkband --help')", word,
				fb_cli_hint(hint, sizeof(hint), "--", word + 2, options,
					    FB_ARRAY_LEN(options)));
	return fb_error("'%s' is not a command%s (try 'forkband --help')", word,
			fb_cli_hint(hint, sizeof(hint), "", word, fb_command_names,
				    FB_ARRAY_LEN(fb_command_names) - 1));
}

/* ---- the parameter tables as text ---- */

static void param_range(const struct fb_param *p, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	switch (p->type) {
	case FB_PARAM_INT:
		snprintf(buf, len, "%.0f to %.0f", p->min, p->max);
		break;
	case FB_PARAM_REAL:
		if (isinf(p->max))
			snprintf(buf, len, "%s %g", p->min_open ? ">" : ">=", p->min);
		else if (p->min_open)
			snprintf(buf, len, "> %g, <= %g", p->min, p->max);
		else
			snprintf(buf, len, "%g to %g", p->min, p->max);
		break;
	case FB_PARAM_POINT:
		snprintf(buf, len, "%s", p->optional ? "[lo, hi]" : "[re, im]");
		break;
	case FB_PARAM_CHOICE:
		for (size_t i = 0; p->choices[i]; i++)
			fb_appendf(buf, len, &n, "%s%s", i ? ", " : "", p->choices[i]);
		break;
	case FB_PARAM_MATRIX:
		snprintf(buf, len, "odd square, up to %dx%d", FB_MATRIX_MAX, FB_MATRIX_MAX);
		break;
	case FB_PARAM_MATSRC:
		fb_appendf(buf, len, &n, "{npy} or {generate, rows, cols, seed}; generate: ");
		for (size_t i = 0; fb_matgen_names[i]; i++)
			fb_appendf(buf, len, &n, "%s%s", i ? ", " : "", fb_matgen_names[i]);
		break;
	case FB_PARAM_OBJECT:
	case FB_PARAM_LIST:
		for (size_t i = 0; i < p->ops->n_params; i++)
			fb_appendf(buf, len, &n, "%s%s", i ? ", " : "", p->ops->params[i].name);
		break;
	case FB_PARAM_OPS:
		for (size_t i = 0; i < p->n_ops; i++)
			fb_appendf(buf, len, &n, "%s%s", i ? ", " : "", p->ops[i].name);
		break;
	case FB_PARAM_LOCATION:
		snprintf(buf, len, "a .kfr file");
		break;
	}
}

static void param_default(const struct fb_param *p, char *buf, size_t len)
{
	if (p->required || p->def_text) {
		snprintf(buf, len, "%s", p->required ? "required" : p->def_text);
		return;
	}
	switch (p->type) {
	case FB_PARAM_INT:
		snprintf(buf, len, "%.0f", p->def[0]);
		break;
	case FB_PARAM_REAL:
		snprintf(buf, len, "%g", p->def[0]);
		break;
	case FB_PARAM_POINT:
		snprintf(buf, len, "[%g, %g]", p->def[0], p->def[1]);
		break;
	case FB_PARAM_CHOICE:
		snprintf(buf, len, "%s", p->choices[p->def_choice]);
		break;
	case FB_PARAM_MATRIX:
	case FB_PARAM_OPS:
	case FB_PARAM_MATSRC:
	case FB_PARAM_LIST:
	case FB_PARAM_LOCATION:
		snprintf(buf, len, "none");
		break;
	case FB_PARAM_OBJECT:
		snprintf(buf, len, "see below");
		break;
	}
}

static const char *const type_names[] = {
	[FB_PARAM_INT] = "integer",
	[FB_PARAM_REAL] = "number",
	[FB_PARAM_POINT] = "point",
	[FB_PARAM_CHOICE] = "choice",
	[FB_PARAM_MATRIX] = "matrix",
	[FB_PARAM_OPS] = "list of ops",
	[FB_PARAM_MATSRC] = "matrix",
	[FB_PARAM_OBJECT] = "object",
	[FB_PARAM_LIST] = "list",
	[FB_PARAM_LOCATION] = "path",
};

/* Prints text's words from column `at` (the cursor is there), wrapped to COLS
 * columns, continuation lines indented by `indent`. */
static void print_wrapped(const char *text, size_t at, size_t indent)
{
	size_t col = at;
	bool first = true;

	for (;;) {
		size_t word;

		text += strspn(text, " ");
		if (!*text)
			break;
		word = strcspn(text, " ");
		if (col > indent && col + !first + word > COLS) {
			printf("\n%*s", (int)indent, "");
			col = indent;
		} else if (!first) {
			putchar(' ');
			col++;
		}
		printf("%.*s", (int)word, text);
		col += word;
		text += word;
		first = false;
	}
	putchar('\n');
}

static bool has_ops(const struct fb_param *p)
{
	return p->type == FB_PARAM_OPS || p->type == FB_PARAM_OBJECT || p->type == FB_PARAM_LIST;
}

/* One param in two parts: its name, type, range and default; then its meaning, wrapped
 * under it. A row of five columns does not fit 80 columns. */
static void print_param_plain(const struct fb_param *p, size_t indent)
{
	char range[256], def[96], head[512];
	int n;

	param_range(p, range, sizeof(range));
	param_default(p, def, sizeof(def));
	n = printf("%*s%-12s ", (int)indent, "", p->name);
	/* "integer 1 to 1000", "choice: smooth, histogram"; "required" or "default 3" */
	snprintf(head, sizeof(head), "%s%s %s; %s%s", type_names[p->type],
		 p->type == FB_PARAM_CHOICE || has_ops(p) ? ":" : "", range,
		 p->required ? "" : "default ", def);
	print_wrapped(head, (size_t)n, indent + 13);
	printf("%*s", (int)indent + 13, "");
	print_wrapped(p->help, indent + 13, indent + 13);
}

/* One table of params as Markdown rows (docs/config.md). A literal default is shown
 * in code style; a default in words (required, def_text) is not. */
static void print_params_md(const struct fb_param *table, size_t n)
{
	char range[256], def[96];

	if (n)
		printf("| param | type | range | default | meaning |\n"
		       "| --- | --- | --- | --- | --- |\n");
	for (size_t j = 0; j < n; j++) {
		const struct fb_param *p = &table[j];
		bool words = p->required || p->def_text;

		param_range(p, range, sizeof(range));
		param_default(p, def, sizeof(def));
		printf("| `%s` | %s | %s | %s%s%s | %s |\n", p->name, type_names[p->type], range,
		       words ? "" : "`", def, words ? "" : "`", p->help);
	}
}


/* The operations an FB_PARAM_OPS param takes (or an object's fields), each with its
 * own params. */
static void print_ops(const struct fb_param *p, bool md)
{
	for (size_t i = 0; i < p->n_ops; i++) {
		const struct fb_op_def *d = &p->ops[i];
		bool op = p->type == FB_PARAM_OPS;

		if (md) {
			if (op)
				printf("\n#### `%s` op `%s`\n\n", p->name, d->name);
			else
				printf("\n#### `%s`\n\n", p->name);
			printf("%s.%s", d->help, d->n_params ? "\n\n" : " No params.\n");
			print_params_md(d->params, d->n_params);
		} else {
			int n = op ? printf("    {\"op\": \"%s\"}: ", d->name) :
				     printf("    %s: ", p->name);

			print_wrapped(d->help, (size_t)n, 6);
			for (size_t j = 0; j < d->n_params; j++)
				print_param_plain(&d->params[j], 6);
		}
	}
}

static void print_kernel(const struct fb_kernel *k, bool md)
{
	if (md) {
		printf("### `%s`\n\n%s.%s\n\n", k->name, k->summary,
		       k->input ? " Reads the PNG named by the job's `input`, whose size it "
				  "takes." : "");
		print_params_md(k->params, k->n_params);
	} else {
		char head[256];
		int n = printf("%s: ", k->name);

		snprintf(head, sizeof(head), "%s%s", k->summary, k->input ? " (input: a PNG)" : "");
		print_wrapped(head, (size_t)n, 2);
		for (size_t j = 0; j < k->n_params; j++)
			print_param_plain(&k->params[j], 2);
	}
	for (size_t j = 0; j < k->n_params; j++)
		if (has_ops(&k->params[j]))
			print_ops(&k->params[j], md);
	if (k->raw_output) {
		if (md) {
			printf("\nRaw output: `output.%s`, %s.\n", k->raw_output, k->raw_help);
		} else {
			int n = printf("  output.%s: ", k->raw_output);

			print_wrapped(k->raw_help, (size_t)n, 4);
		}
	}
}

/* ---- the parameter tables as JSON ---- */

static cJSON *params_json(const struct fb_param *table, size_t n);

static cJSON *param_json(const struct fb_param *p)
{
	cJSON *o = cJSON_CreateObject();
	char range[256], def[96];

	param_range(p, range, sizeof(range));
	param_default(p, def, sizeof(def));
	cJSON_AddStringToObject(o, "name", p->name);
	cJSON_AddStringToObject(o, "type", type_names[p->type]);
	cJSON_AddStringToObject(o, "help", p->help);
	cJSON_AddStringToObject(o, "range", range);
	cJSON_AddBoolToObject(o, "required", p->required);
	if (p->type == FB_PARAM_INT || p->type == FB_PARAM_REAL) {
		cJSON_AddNumberToObject(o, "min", p->min);
		if (!isinf(p->max))
			cJSON_AddNumberToObject(o, "max", p->max);
		if (p->type == FB_PARAM_REAL)
			cJSON_AddBoolToObject(o, "min_exclusive", p->min_open);
	}
	/* The default as a JSON value a config could hold, or in words when it has none. */
	if (p->required || p->def_text) {
		cJSON_AddStringToObject(o, "default_text", def);
	} else if (p->type == FB_PARAM_INT || p->type == FB_PARAM_REAL) {
		cJSON_AddNumberToObject(o, "default", p->def[0]);
	} else if (p->type == FB_PARAM_POINT) {
		cJSON_AddItemToObject(o, "default", cJSON_CreateDoubleArray(p->def, 2));
	} else if (p->type == FB_PARAM_CHOICE) {
		cJSON_AddStringToObject(o, "default", p->choices[p->def_choice]);
	}
	if (p->type == FB_PARAM_CHOICE) {
		cJSON *c = cJSON_AddArrayToObject(o, "choices");

		for (size_t i = 0; p->choices[i]; i++)
			cJSON_AddItemToArray(c, cJSON_CreateString(p->choices[i]));
	}
	if (p->type == FB_PARAM_OPS) {
		cJSON *ops = cJSON_AddArrayToObject(o, "ops");

		for (size_t i = 0; i < p->n_ops; i++) {
			cJSON *op = cJSON_CreateObject();

			cJSON_AddStringToObject(op, "op", p->ops[i].name);
			cJSON_AddStringToObject(op, "help", p->ops[i].help);
			cJSON_AddItemToObject(op, "params",
					      params_json(p->ops[i].params, p->ops[i].n_params));
			cJSON_AddItemToArray(ops, op);
		}
	} else if (p->type == FB_PARAM_OBJECT || p->type == FB_PARAM_LIST) {
		cJSON_AddItemToObject(o, "fields", params_json(p->ops->params, p->ops->n_params));
	}
	return o;
}

static cJSON *params_json(const struct fb_param *table, size_t n)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, param_json(&table[i]));
	return a;
}

static cJSON *kernel_json(const struct fb_kernel *k)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "name", k->name);
	cJSON_AddStringToObject(o, "summary", k->summary);
	cJSON_AddBoolToObject(o, "input", k->input);
	if (k->raw_output) {
		cJSON_AddStringToObject(o, "raw_output", k->raw_output);
		cJSON_AddStringToObject(o, "raw_help", k->raw_help);
	}
	cJSON_AddItemToObject(o, "params", params_json(k->params, k->n_params));
	return o;
}

/* ---- forkband kernels ---- */

static const struct fb_kernel *find_kernel(const char *name)
{
	for (size_t i = 0; i < fb_kernel_count; i++)
		if (strcmp(fb_kernels[i]->name, name) == 0)
			return fb_kernels[i];
	return NULL;
}

static int unknown_kernel(const char *name)
{
	const char *names[16];
	char hint[96];
	size_t n = 0;

	for (size_t i = 0; i < fb_kernel_count && n < FB_ARRAY_LEN(names); i++)
		names[n++] = fb_kernels[i]->name;
	return fb_error("kernels: '%s' is not a kernel%s (try 'forkband kernels')", name,
			fb_cli_hint(hint, sizeof(hint), "", name, names, n));
}

int fb_cmd_kernels(int argc, char **argv)
{
	static const char *const opts[] = { "--json", "--markdown", "--help", NULL };
	const struct fb_kernel *only = NULL;
	bool md = false, json = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--markdown") == 0) {
			md = true;
		} else if (strcmp(a, "--json") == 0) {
			json = true;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(fb_kernels_usage, stdout);
			return FB_EXIT_OK;
		} else if (a[0] == '-') {
			char msg[256], hint[96];

			snprintf(msg, sizeof(msg), "kernels: unknown option '%s'%s", a,
				 fb_cli_hint(hint, sizeof(hint), "", a, opts, FB_ARRAY_LEN(opts) - 1));
			fb_cli_usage_error("kernels", msg);
			return FB_EXIT_USAGE;
		} else if (only) {
			fb_error("kernels: one kernel at a time, got '%s' too", a);
			return FB_EXIT_USAGE;
		} else if (!(only = find_kernel(a))) {
			unknown_kernel(a);
			return FB_EXIT_USAGE;
		}
	}
	if (md && json) {
		fb_cli_usage_error("kernels", "kernels: --json or --markdown, not both");
		return FB_EXIT_USAGE;
	}
	if (json) {
		cJSON *all = cJSON_CreateArray();

		for (size_t i = 0; i < fb_kernel_count; i++)
			if (!only || fb_kernels[i] == only)
				cJSON_AddItemToArray(all, kernel_json(fb_kernels[i]));
		if (only) {	/* the one kernel's object, not a list of one */
			cJSON *one = cJSON_DetachItemFromArray(all, 0);

			cJSON_Delete(all);
			return fb_cli_print_json(one);
		}
		return fb_cli_print_json(all);
	}
	for (size_t i = 0, shown = 0; i < fb_kernel_count; i++) {
		if (only && fb_kernels[i] != only)
			continue;
		if (shown++ && !md)
			putchar('\n');
		print_kernel(fb_kernels[i], md);
		if (md)
			putchar('\n');
	}
	return FB_EXIT_OK;
}

/* ---- the manual page ---- */

/* Text for roff: backslashes doubled, a line that would start with '.' or '\'' guarded,
 * hyphens of options kept as minus signs. */
static void roff(const char *s)
{
	bool bol = true;

	for (; *s; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", stdout);
		if (*s == '\\')
			fputs("\\e", stdout);
		else if (*s == '-')
			fputs("\\-", stdout);
		else
			putchar(*s);
		bol = *s == '\n';
	}
}

/* A usage text as a block set as typed (its own line breaks and columns). */
static void roff_verbatim(const char *text)
{
	fputs(".PP\n.nf\n", stdout);
	roff(text);
	if (text[0] && text[strlen(text) - 1] != '\n')
		putchar('\n');
	fputs(".fi\n", stdout);
}

static void roff_params(const struct fb_param *table, size_t n)
{
	char range[256], def[96];

	for (size_t j = 0; j < n; j++) {
		const struct fb_param *p = &table[j];

		param_range(p, range, sizeof(range));
		param_default(p, def, sizeof(def));
		fputs(".TP\n.B ", stdout);
		roff(p->name);
		fputs("\n", stdout);
		roff(type_names[p->type]);
		fputs(p->type == FB_PARAM_CHOICE || has_ops(p) ? ": " : " ", stdout);
		roff(range);
		fputs(p->required ? "; " : "; default ", stdout);
		roff(def);
		fputs("\n.br\n", stdout);
		roff(p->help);
		fputs("\n", stdout);
	}
}

static void man_page(void)
{
	printf(".TH FORKBAND 1 \"\" \"forkband %s\" \"User Commands\"\n", FORKBAND_VERSION);
	fputs(".\\\" Generated by 'forkband help --man' from the program's own usage texts\n"
	      ".\\\" and kernel parameter tables: edit those, not this file.\n"
	      ".SH NAME\n"
	      "forkband \\- parallel image and matrix jobs on fork()ed workers sharing memory\n"
	      ".SH SYNOPSIS\n"
	      ".B forkband run\n[\\fICONFIG\\fR|\\fB\\-\\fR] [\\fIoptions\\fR]\n.br\n"
	      ".B forkband scale\n[\\fICONFIG\\fR] [\\fIoptions\\fR]\n.br\n"
	      ".B forkband kernels\n[\\fINAME\\fR] [\\fB\\-\\-json\\fR|\\fB\\-\\-markdown\\fR]\n.br\n"
	      ".B forkband help\n[\\fICOMMAND\\fR]\n"
	      ".SH DESCRIPTION\n", stdout);
	roff_verbatim(fb_main_usage);
	fputs(".SH COMMANDS\n.SS forkband run\n", stdout);
	roff_verbatim(fb_run_usage);
	fputs(".SS forkband scale\n", stdout);
	roff_verbatim(fb_scale_usage);
	fputs(".SS forkband kernels\n", stdout);
	roff_verbatim(fb_kernels_usage);
	fputs(".SH KERNELS\n"
	      "A job's \\fBkernel\\fR names one of these; its \\fBparams\\fR object takes the\n"
	      "parameters below (\\fBforkband kernels\\fR lists the same).\n", stdout);
	for (size_t i = 0; i < fb_kernel_count; i++) {
		const struct fb_kernel *k = fb_kernels[i];

		fputs(".SS ", stdout);
		roff(k->name);
		fputs("\n", stdout);
		roff(k->summary);
		fputs(k->input ? ". Reads the PNG named by the job's input.\n" : ".\n", stdout);
		roff_params(k->params, k->n_params);
		for (size_t j = 0; j < k->n_params; j++) {
			const struct fb_param *p = &k->params[j];

			if (!has_ops(p))
				continue;
			for (size_t o = 0; o < p->n_ops; o++) {
				fputs(".PP\n", stdout);
				if (p->type == FB_PARAM_OPS)
					printf("\\fB%s\\fR op \\fB%s\\fR: ", p->name, p->ops[o].name);
				else
					printf("\\fB%s\\fR: ", p->name);
				roff(p->ops[o].help);
				fputs(".\n", stdout);
				roff_params(p->ops[o].params, p->ops[o].n_params);
			}
		}
		if (k->raw_output) {
			printf(".PP\nRaw output: \\fBoutput.%s\\fR, ", k->raw_output);
			roff(k->raw_help);
			fputs(".\n", stdout);
		}
	}
	fputs(".SH EXIT STATUS\n"
	      ".TP\n.B 0\nsuccess\n"
	      ".TP\n.B 1\na run failed: rows killed their worker three times, the \\-\\-timeout passed,\n"
	      "or an output could not be written\n"
	      ".TP\n.B 2\na usage or config error, or a job too large for the memory available;\n"
	      "nothing was run or written\n"
	      ".TP\n.B 128+N\nstopped by signal N (130 SIGINT, 143 SIGTERM, 129 SIGHUP); partial\n"
	      "outputs are removed\n"
	      ".SH ENVIRONMENT\n"
	      ".TP\n.B COLUMNS\nthe width of the progress bar, if set (else the terminal's)\n"
	      ".TP\n.B TERM\n\\fBdumb\\fR: the progress bar is redrawn without escape codes\n"
	      ".TP\n.B OPENBLAS_CORETYPE\nthe kernels OpenBLAS uses for matmul's blas engine\n"
	      ".SH FILES\n"
	      ".TP\n.I share/forkband/configs/\nthe example configs, under the installation prefix\n"
	      ".SH SEE ALSO\n"
	      "The documents installed with forkband (share/doc/forkband): README.md,\n"
	      "config.md (every config field), filters.md, scaling.md, reliability.md,\n"
	      "mpi.md, library.md (the runtime as a C library), decisions.md.\n", stdout);
}

/* ---- forkband help ---- */

int fb_cmd_help(int argc, char **argv)
{
	const char *usage;

	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(help_usage, stdout);
		return FB_EXIT_OK;
	}
	if (argc > 2) {
		fb_error("help: one command at a time, got '%s' too", argv[2]);
		return FB_EXIT_USAGE;
	}
	if (argc > 1 && strcmp(argv[1], "--man") == 0) {
		man_page();
		return FB_EXIT_OK;
	}
	usage = fb_usage(argc > 1 ? argv[1] : NULL);
	if (!usage) {
		fb_unknown_command(argv[1]);
		return FB_EXIT_USAGE;
	}
	fputs(usage, stdout);
	return FB_EXIT_OK;
}
