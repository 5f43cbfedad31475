/* study.c: write a scaling study as CSV (a row per run), a Markdown table (a row per
 * point), JSON (everything) and an SVG plot. */
#include "runtime/compat.h"

#include "study.h"

#include "outfile.h"
#include "kernels/isa.h"
#include "runtime/error.h"
#include "runtime/spinlock.h"

#include <cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const fb_study_time_names[FB_T_COUNT] = { "wall", "setup", "compute", "colour",
						      "write" };

/* Indexed by enum fb_study_basis; the same words as the matching times. */
static const char *const basis_names[FB_B_COUNT] = { "wall", "compute" };

/* ---- CSV ---- */

/* RFC 4180: a field is quoted only when it holds a comma, a quote or a line break. */
static void csv_text(FILE *f, const char *t)
{
	if (!strpbrk(t, ",\"\r\n")) {
		fputs(t, f);
		return;
	}
	fputc('"', f);
	for (; *t; t++) {
		if (*t == '"')
			fputc('"', f);
		fputc(*t, f);
	}
	fputc('"', f);
}

/* A comma, then the number; NAN leaves the field empty, which spreadsheets and pandas
 * read as missing, where "nan" would make the whole column text in some of them. */
static void csv_num(FILE *f, int decimals, double v)
{
	fputc(',', f);
	if (isfinite(v))
		fprintf(f, "%.*f", decimals, v);
}

static void csv_hash(FILE *f, bool has, uint32_t h)
{
	fputc(',', f);
	if (has)
		fprintf(f, "%08" PRIx32, h);
}

int fb_study_write_csv(const char *path, const struct fb_study *s)
{
	struct fb_outfile out;

	if (fb_outfile_open(&out, path) < 0)
		return -1;
	/* Write errors are sticky on the stream; fb_outfile_commit() checks ferror(). */
	fputs("schedule,workers,run,height", out.f);
	for (int t = 0; t < FB_T_COUNT; t++)
		fprintf(out.f, ",%s_s", fb_study_time_names[t]);
	fputs(",imbalance,zscore,outlier,raw_crc32,png_crc32,ranks,rank_imbalance\n", out.f);
	for (size_t i = 0; i < s->n_runs; i++) {
		const struct fb_study_run *r = &s->runs[i];

		csv_text(out.f, fb_schedule_name(r->schedule));
		fprintf(out.f, ",%u,%u,%" PRIu32, r->workers, r->index, r->height);
		for (int t = 0; t < FB_T_COUNT; t++)
			csv_num(out.f, 6, r->t[t]);
		csv_num(out.f, 4, r->imbalance);
		csv_num(out.f, 4, r->zscore);
		fprintf(out.f, ",%d", r->outlier ? 1 : 0);
		csv_hash(out.f, r->has_raw, r->raw_hash);
		csv_hash(out.f, r->has_png, r->png_hash);
		fprintf(out.f, ",%u", s->ranks ? s->ranks : 1);
		csv_num(out.f, 4, r->rank_busy_s ? r->rank_imbalance : NAN);
		fputc('\n', out.f);
	}
	return fb_outfile_commit(&out);
}

/* ---- Markdown ---- */

/* A table of the points, as hyperfine's --export-markdown makes one of its commands:
 * for a README or a report. Medians and MADs, as everywhere in a study (docs/scaling.md
 * says why not means and standard deviations). */

/* A cell of a figure with the given decimals, "-" where it is undefined. */
static void md_num(FILE *f, int decimals, double v)
{
	if (isfinite(v))
		fprintf(f, " %.*f |", decimals, v);
	else
		fputs(" - |", f);
}

int fb_study_write_markdown(const char *path, const struct fb_study *s)
{
	struct fb_outfile out;
	double slowest = 0, scale = 1;
	const char *unit = "s";
	int decimals = 3;
	bool over = false;

	/* One unit for the whole table: milliseconds when every median is under a second,
	 * so that small jobs do not read 0.012 and 0.004. */
	for (size_t i = 0; i < s->n_points; i++)
		slowest = fmax(slowest, s->points[i].t[FB_T_WALL].median);
	if (slowest < 1) {
		scale = 1e3;
		unit = "ms";
		decimals = 1;
	}
	if (fb_outfile_open(&out, path) < 0)
		return -1;
	fprintf(out.f, "| Schedule | Workers | Wall median ± MAD [%s] | Min [%s] | Max [%s] "
		"| Compute median ± MAD [%s] | %s | Efficiency | Compute %s "
		"| Compute efficiency |\n", unit, unit, unit, unit,
		s->weak ? "Scaled speedup" : "Speedup", s->weak ? "scaled speedup" : "speedup");
	fputs("|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n", out.f);
	for (size_t i = 0; i < s->n_points; i++) {
		const struct fb_study_point *p = &s->points[i];
		const struct fb_stat *w = &p->t[FB_T_WALL], *c = &p->t[FB_T_COMPUTE];

		over |= p->oversubscribed;
		fprintf(out.f, "| %s | %u%s | %.*f ± %.*f | %.*f | %.*f | %.*f ± %.*f |",
			fb_schedule_name(p->schedule), p->workers, p->oversubscribed ? "*" : "",
			decimals, w->median * scale, decimals, w->mad * scale, decimals,
			w->min * scale, decimals, w->max * scale, decimals, c->median * scale,
			decimals, c->mad * scale);
		md_num(out.f, 2, p->speedup[FB_B_WALL]);
		md_num(out.f, 2, p->efficiency[FB_B_WALL]);
		md_num(out.f, 2, p->speedup[FB_B_COMPUTE]);
		md_num(out.f, 2, p->efficiency[FB_B_COMPUTE]);
		fputc('\n', out.f);
	}
	if (over)
		fprintf(out.f, "\n\\* more workers than the %u CPUs the study could use\n",
			s->cpus);
	return fb_outfile_commit(&out);
}

/* ---- JSON ---- */

/* Every helper clears *ok when cJSON runs out of memory (its Add functions return NULL,
 * also when the parent is NULL, so one check per value covers the whole chain). */

/* JSON has no NAN; some cJSON versions print "nan", which no parser accepts. */
static void add_num(cJSON *o, const char *key, double v, bool *ok)
{
	if (!(isfinite(v) ? cJSON_AddNumberToObject(o, key, v) : cJSON_AddNullToObject(o, key)))
		*ok = false;
}

static void add_str(cJSON *o, const char *key, const char *v, bool *ok)
{
	if (!(v ? cJSON_AddStringToObject(o, key, v) : cJSON_AddNullToObject(o, key)))
		*ok = false;
}

static void add_bool(cJSON *o, const char *key, bool v, bool *ok)
{
	if (!cJSON_AddBoolToObject(o, key, v))
		*ok = false;
}

/* As the CSV writes it (8 hex digits, as crc32 tools print), or null when not computed. */
static void add_hash(cJSON *o, const char *key, bool has, uint32_t h, bool *ok)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%08" PRIx32, h);
	add_str(o, key, has ? buf : NULL, ok);
}

/* A new object appended to an array; NULL (and *ok cleared) when out of memory. */
static cJSON *array_object(cJSON *a, bool *ok)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddItemToArray(a, o)) {
		cJSON_Delete(o);
		*ok = false;
		return NULL;
	}
	return o;
}

static void push(cJSON *a, cJSON *item, bool *ok)
{
	if (!item || !cJSON_AddItemToArray(a, item)) {
		cJSON_Delete(item);
		*ok = false;
	}
}

static void add_run(cJSON *runs, const struct fb_study_run *r, unsigned ranks, bool *ok)
{
	cJSON *o = array_object(runs, ok), *times;

	if (!o)
		return;
	add_str(o, "schedule", fb_schedule_name(r->schedule), ok);
	add_num(o, "workers", r->workers, ok);
	add_num(o, "run", r->index, ok);
	add_num(o, "height", r->height, ok);
	times = cJSON_AddObjectToObject(o, "times");
	for (int t = 0; t < FB_T_COUNT; t++)
		add_num(times, fb_study_time_names[t], r->t[t], ok);
	add_num(o, "imbalance", r->imbalance, ok);
	add_num(o, "zscore", r->zscore, ok);
	add_bool(o, "outlier", r->outlier, ok);
	add_hash(o, "raw_crc32", r->has_raw, r->raw_hash, ok);
	add_hash(o, "png_crc32", r->has_png, r->png_hash, ok);
	if (r->rank_busy_s) {
		cJSON *busy = cJSON_AddArrayToObject(o, "rank_busy_s");

		for (unsigned i = 0; busy && i < ranks; i++) {
			cJSON *v = cJSON_CreateNumber(r->rank_busy_s[i]);

			if (!v || !cJSON_AddItemToArray(busy, v))
				*ok = false;
		}
		if (!busy)
			*ok = false;
		add_num(o, "rank_imbalance", r->rank_imbalance, ok);
	}
}

static void add_point(cJSON *points, const struct fb_study_point *p, bool *ok)
{
	cJSON *o = array_object(points, ok), *times;

	if (!o)
		return;
	add_str(o, "schedule", fb_schedule_name(p->schedule), ok);
	add_num(o, "workers", p->workers, ok);
	add_num(o, "height", p->height, ok);
	add_bool(o, "oversubscribed", p->oversubscribed, ok);
	times = cJSON_AddObjectToObject(o, "times");
	if (!times)
		*ok = false;
	for (int t = 0; times && t < FB_T_COUNT; t++) {
		cJSON *st = cJSON_AddObjectToObject(times, fb_study_time_names[t]);

		add_num(st, "median", p->t[t].median, ok);
		add_num(st, "min", p->t[t].min, ok);
		add_num(st, "max", p->t[t].max, ok);
		add_num(st, "mad", p->t[t].mad, ok);
	}
	add_num(o, "imbalance", p->imbalance, ok);
	add_num(o, "outliers", p->outliers, ok);
	for (int b = 0; b < FB_B_COUNT; b++) {
		cJSON *bo = cJSON_AddObjectToObject(o, basis_names[b]);

		add_num(bo, "speedup", p->speedup[b], ok);
		add_num(bo, "efficiency", p->efficiency[b], ok);
		add_num(bo, "karp_flatt", p->karp_flatt[b], ok);
	}
}

/* The whole document, or NULL after reporting. */
static cJSON *study_json(const struct fb_study *s)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *machine, *options, *a, *job = NULL;
	bool ok = root != NULL;

	if (s->pixels_json) {
		/* Parsed, not embedded as a string, so that the file is JSON all the way down. */
		job = cJSON_Parse(s->pixels_json);
		if (!job) {
			cJSON_Delete(root);
			fb_error("cannot parse the job's pixel fields as JSON");
			return NULL;
		}
	}
	add_str(root, "forkband", FORKBAND_VERSION, &ok);
	machine = cJSON_AddObjectToObject(root, "machine");
	add_num(machine, "cpus", s->cpus, &ok);
	add_num(machine, "ranks", s->ranks ? s->ranks : 1, &ok);
	if (s->hosts)
		add_str(machine, "hosts", s->hosts, &ok);
	add_str(machine, "cpu_model", s->cpu_model, &ok);
	add_str(machine, "lock", FB_LOCK_VARIANT, &ok);
	add_str(machine, "isa", fb_isa_name(fb_isa_current()), &ok);	/* the escape loops' */
	add_str(machine, "compiler", FB_COMPILER, &ok);
	add_str(root, "config", s->config, &ok);
	if (job) {
		if (!cJSON_AddItemToObject(root, "job", job)) {
			cJSON_Delete(job);
			ok = false;
		}
	} else if (!cJSON_AddNullToObject(root, "job")) {
		ok = false;
	}
	options = cJSON_AddObjectToObject(root, "options");
	a = cJSON_AddArrayToObject(options, "workers");
	for (size_t i = 0; a && i < s->n_workers; i++)
		push(a, cJSON_CreateNumber(s->workers[i]), &ok);
	a = cJSON_AddArrayToObject(options, "schedules");
	for (size_t i = 0; a && i < s->n_schedules; i++)
		push(a, cJSON_CreateString(fb_schedule_name(s->schedules[i])), &ok);
	add_num(options, "repeat", s->repeat, &ok);
	add_num(options, "warmup", s->warmup, &ok);
	add_bool(options, "weak", s->weak, &ok);
	add_bool(options, "pin", s->pin, &ok);
	a = cJSON_AddArrayToObject(root, "runs");
	if (!a)
		ok = false;
	for (size_t i = 0; a && ok && i < s->n_runs; i++)
		add_run(a, &s->runs[i], s->ranks, &ok);
	a = cJSON_AddArrayToObject(root, "points");
	if (!a)
		ok = false;
	for (size_t i = 0; a && ok && i < s->n_points; i++)
		add_point(a, &s->points[i], &ok);
	if (!ok || !machine || !options) {
		cJSON_Delete(root);
		fb_error("out of memory building the study's JSON");
		return NULL;
	}
	return root;
}

int fb_study_write_json(const char *path, const struct fb_study *s)
{
	cJSON *root = study_json(s);
	char *text;
	int rc;

	if (!root)
		return -1;
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text)
		return fb_error("out of memory building the study's JSON");
	rc = fb_write_text(path, text);
	cJSON_free(text);
	return rc;
}

/* ---- SVG ---- */

/* Presentation attributes rather than CSS throughout: every SVG 1.1 renderer (browsers,
 * rsvg, Inkscape, LaTeX's svg package) honours them, and the file stands alone. */

#define SVG_W 900
#define SVG_H 420
#define FONT "font-family=\"DejaVu Sans, Arial, Helvetica, sans-serif\""
/* Roughly the advance of one character of the 11-12 px sans-serif used here, to keep
 * labels from colliding without measuring text (which SVG can't do statically). */
#define CHAR_W 6.6
/* The series' lines: compute phase, end to end. */
#define SOLID "stroke-width=\"2\""
#define DASHED "stroke-width=\"1.5\" stroke-dasharray=\"6 4\""
/* The ideal line's look, in both panels and the legend. */
#define IDEAL "stroke=\"#999999\" stroke-width=\"1.2\" stroke-dasharray=\"4 4\""

/* matplotlib's first colours, indexed by schedule so that a schedule keeps its colour
 * from one study to the next. */
static const char *const palette[] = { "#1f77b4", "#d62728", "#2ca02c", "#9467bd" };

enum panel_kind { P_SPEEDUP, P_EFFICIENCY };

struct panel {
	enum panel_kind kind;
	const char *id, *title, *ylabel;
	double x0, x1, y0, y1;		/* the plot area in pixels; y0 is the top */
	double xmax, ymax;		/* the axes run from 0 to these */
	double ystep;			/* between y ticks */
	int ydecimals;
};

struct figure {
	const struct fb_study *s;
	unsigned *ticks;		/* the study's worker counts, ascending, once each */
	size_t n_ticks;
	size_t *series;			/* scratch: one schedule's points, by workers */
	bool *plottable;		/* per s->schedules[i]: has a point with a figure */
};

static const char *colour_of(enum fb_schedule sc)
{
	return palette[(unsigned)sc % FB_ARRAY_LEN(palette)];
}

/* XML character data and attribute values alike. Control characters other than tab and
 * line breaks are not allowed in XML 1.0 at all, so they become '?'. */
static void xml_text(FILE *f, const char *t)
{
	for (; *t; t++) {
		unsigned char c = (unsigned char)*t;

		switch (c) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		default:
			fputc(c < 0x20 && c != '\t' && c != '\n' && c != '\r' ? '?' : c, f);
		}
	}
}

static double px(const struct panel *p, double x)
{
	return p->x0 + x / p->xmax * (p->x1 - p->x0);
}

static double py(const struct panel *p, double y)
{
	return p->y1 - y / p->ymax * (p->y1 - p->y0);
}

/* The smallest step of 1, 2 or 5 times a power of ten that spans [0, max] in at most
 * max_ticks intervals, but no finer than min_step. */
static double nice_step(double max, int max_ticks, double min_step)
{
	static const double mantissa[] = { 1, 2, 5 };
	double mag;

	if (!(max > 0))
		return fmax(min_step, 1);
	mag = pow(10, floor(log10(max / max_ticks)));
	for (;; mag *= 10)
		for (size_t i = 0; i < FB_ARRAY_LEN(mantissa); i++) {
			double step = mantissa[i] * mag;

			if (step >= min_step * (1 - 1e-9) && ceil(max / step - 1e-9) <= max_ticks)
				return step;
		}
}

static int decimals_for(double step)
{
	return step >= 1 - 1e-9 ? 0 : step >= 0.1 - 1e-9 ? 1 : 2;
}

static const double *values_of(const struct fb_study_point *p, enum panel_kind k)
{
	return k == P_SPEEDUP ? p->speedup : p->efficiency;
}

/* The indices of schedule sc's points, ascending by workers (--workers may be in any
 * order, and a line must not double back). */
static size_t collect_series(const struct figure *fig, enum fb_schedule sc)
{
	const struct fb_study *s = fig->s;
	size_t n = 0;

	for (size_t i = 0; i < s->n_points; i++) {
		size_t j;

		if (s->points[i].schedule != sc)
			continue;
		for (j = n; j > 0 && s->points[fig->series[j - 1]].workers > s->points[i].workers;
		     j--)
			fig->series[j] = fig->series[j - 1];
		fig->series[j] = i;
		n++;
	}
	return n;
}

/* attrs (stroke and the like) are written as given. */
static void svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *attrs)
{
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" %s/>\n", x1, y1, x2,
		y2, attrs);
}

static void draw_marker(FILE *f, double x, double y, enum fb_study_basis b, const char *colour)
{
	if (b == FB_B_COMPUTE)
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\" stroke=\"%s\"",
			x, y, colour, colour);
	else
		fprintf(f,
			"<rect x=\"%.1f\" y=\"%.1f\" width=\"7\" height=\"7\" fill=\"#ffffff\" "
			"stroke=\"%s\" stroke-width=\"1.5\"",
			x - 3.5, y - 3.5, colour);
}

/* One schedule's line for one basis: a polyline through the defined points (broken where
 * a figure is NAN), a marker on each, and a tooltip for browsers. */
static void draw_series(FILE *f, const struct figure *fig, const struct panel *p, size_t n,
			enum fb_schedule sc, enum fb_study_basis b)
{
	const struct fb_study *s = fig->s;
	const char *colour = colour_of(sc);
	const char *line = b == FB_B_COMPUTE ? SOLID : DASHED;
	bool open = false;

	for (size_t k = 0; k < n; k++) {
		const struct fb_study_point *pt = &s->points[fig->series[k]];
		double v = values_of(pt, p->kind)[b];

		if (!isfinite(v)) {
			if (open)
				fputs("\"/>\n", f);
			open = false;
			continue;
		}
		if (!open)
			fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" %s points=\"", colour,
				line);
		fprintf(f, "%s%.1f,%.1f", open ? " " : "", px(p, pt->workers), py(p, v));
		open = true;
	}
	if (open)
		fputs("\"/>\n", f);
	for (size_t k = 0; k < n; k++) {
		const struct fb_study_point *pt = &s->points[fig->series[k]];
		double v = values_of(pt, p->kind)[b];

		if (!isfinite(v))
			continue;
		draw_marker(f, px(p, pt->workers), py(p, v), b, colour);
		fprintf(f, "><title>%s, %u worker%s, %s: %s %.2f</title></%s>\n",
			fb_schedule_name(sc), pt->workers, pt->workers == 1 ? "" : "s",
			b == FB_B_COMPUTE ? "compute phase" : "end to end",
			p->kind == P_SPEEDUP ? "speedup" : "efficiency", v,
			b == FB_B_COMPUTE ? "circle" : "rect");
	}
}

/* Worker counts can crowd the left end of a linear axis (1, 2, 4 ... 64); a label is
 * shown only where it clears its neighbours, but the first and last always are. */
static void draw_x_ticks(FILE *f, const struct figure *fig, const struct panel *p)
{
	char label[16];
	double last = -1e9, end;

	/* Where the last label begins: the others keep clear of it. */
	snprintf(label, sizeof(label), "%u", fig->ticks[fig->n_ticks - 1]);
	end = px(p, fig->ticks[fig->n_ticks - 1]) - (double)strlen(label) * CHAR_W / 2 - 3;
	for (size_t i = 0; i < fig->n_ticks; i++) {
		double x = px(p, fig->ticks[i]), half;
		bool edge = i == 0 || i + 1 == fig->n_ticks;

		svg_line(f, x, p->y1, x, p->y1 + 4, "stroke=\"#333333\"");
		snprintf(label, sizeof(label), "%u", fig->ticks[i]);
		half = (double)strlen(label) * CHAR_W / 2 + 3;
		if (!edge && (x - half < last || x + half > end))
			continue;
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x,
			p->y1 + 16, label);
		last = x + half;
	}
}

static void draw_panel(FILE *f, const struct figure *fig, const struct panel *p)
{
	const struct fb_study *s = fig->s;
	double cx = (p->x0 + p->x1) / 2, cy = (p->y0 + p->y1) / 2;
	unsigned maxw = fig->ticks[fig->n_ticks - 1];
	char attrs[128];

	fprintf(f, "<g id=\"%s\">\n", p->id);
	/* Beyond the CPU count workers share cores: their times measure the OS scheduler
	 * as much as the program, so the region is set apart. */
	if (s->cpus > 0 && maxw > s->cpus) {
		double bx = px(p, s->cpus), bw = p->x1 - bx;

		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			   "fill=\"#efefef\"/>\n",
			bx, p->y0, bw, p->y1 - p->y0);
		/* Across the band's top where it fits (10 px text), else down its side. */
		if (bw >= 14 * CHAR_W * 10 / 12 + 8)
			fprintf(f,
				"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"10\" "
				"fill=\"#777777\">oversubscribed</text>\n",
				p->x1 - 4, p->y0 + 12);
		else
			fprintf(f,
				"<text transform=\"translate(%.1f,%.1f) rotate(90)\" "
				"font-size=\"10\" fill=\"#777777\">oversubscribed</text>\n",
				p->x1 - 13, p->y0 + 4);
	}
	/* Grid first, so that everything else lies over it. */
	for (int k = 0; k * p->ystep <= p->ymax * (1 + 1e-9); k++) {
		double y = py(p, k * p->ystep);
		char label[32];

		snprintf(label, sizeof(label), "%.*f", p->ydecimals, k * p->ystep);
		if (k > 0)
			svg_line(f, p->x0, y, p->x1, y, "stroke=\"#dddddd\"");
		svg_line(f, p->x0 - 4, y, p->x0, y, "stroke=\"#333333\"");
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", p->x0 - 7,
			y + 4, label);
	}
	for (size_t i = 0; i < fig->n_ticks; i++)
		svg_line(f, px(p, fig->ticks[i]), p->y0, px(p, fig->ticks[i]), p->y1,
			 "stroke=\"#eeeeee\"");
	draw_x_ticks(f, fig, p);
	fprintf(f,
		"<path d=\"M%.1f,%.1f V%.1f H%.1f\" fill=\"none\" stroke=\"#333333\"/>\n",
		p->x0, p->y0, p->y1, p->x1);
	/* The ideal: y = x for speedup (also for scaled speedup), 1 for efficiency. */
	if (p->kind == P_SPEEDUP) {
		/* The plot is only as tall as the data needs, so y = x may leave it. */
		fprintf(f, "<clipPath id=\"%s-area\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			   "height=\"%.1f\"/></clipPath>\n",
			p->id, p->x0, p->y0, p->x1 - p->x0, p->y1 - p->y0);
		snprintf(attrs, sizeof(attrs), "%s clip-path=\"url(#%s-area)\"", IDEAL, p->id);
		svg_line(f, px(p, 0), py(p, 0), px(p, p->xmax), py(p, p->xmax), attrs);
	} else {
		svg_line(f, p->x0, py(p, 1), p->x1, py(p, 1), IDEAL);
	}
	/* End to end under compute, whose solid line is the one to read first. */
	for (int b = 0; b < FB_B_COUNT; b++) {
		enum fb_study_basis basis = b == 0 ? FB_B_WALL : FB_B_COMPUTE;

		for (size_t i = 0; i < s->n_schedules; i++) {
			size_t n = collect_series(fig, s->schedules[i]);

			draw_series(f, fig, p, n, s->schedules[i], basis);
		}
	}
	fprintf(f,
		"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"14\" "
		"font-weight=\"bold\">%s</text>\n"
		"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">workers</text>\n"
		"<text transform=\"translate(%.1f,%.1f) rotate(-90)\" "
		"text-anchor=\"middle\">%s</text>\n</g>\n",
		cx, p->y0 - 10, p->title, cx, p->y1 + 34, p->x0 - 40, cy, p->ylabel);
}

/* Width of a legend entry: the sample (24 px), a gap, the text, the space after. */
static double legend_width(const char *text)
{
	return 30 + (double)strlen(text) * CHAR_W + 18;
}

/* A line 24 px long in the given style, with a marker in its middle: 1 a disc (compute),
 * 2 a hollow square (end to end), 0 none. */
static void legend_sample(FILE *f, double x, double y, const char *colour, const char *style,
			  int marker)
{
	char attrs[160];

	snprintf(attrs, sizeof(attrs), "stroke=\"%s\" %s", colour, style);
	svg_line(f, x, y, x + 24, y, attrs);
	if (marker == 1)
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n", x + 12, y,
			colour);
	else if (marker == 2)
		fprintf(f,
			"<rect x=\"%.1f\" y=\"%.1f\" width=\"7\" height=\"7\" fill=\"#ffffff\" "
			"stroke=\"%s\" stroke-width=\"1.5\"/>\n",
			x + 8.5, y - 3.5, colour);
}

static const char *const legend_keys[] = { "compute phase", "end to end", "ideal" };

static void schedule_label(const struct figure *fig, size_t i, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", fb_schedule_name(fig->s->schedules[i]),
		 fig->plottable[i] ? "" : " (no 1-worker run)");
}

/* Below the panels, so it never covers data: the schedules' colours, then what the line
 * styles mean; on one row, or on two where one would not fit. */
static void draw_legend(FILE *f, const struct figure *fig)
{
	const struct fb_study *s = fig->s;
	char label[64];
	double w_sched = 0, w_keys = 0, x, y;
	bool one_row;

	for (size_t i = 0; i < s->n_schedules; i++) {
		schedule_label(fig, i, label, sizeof(label));
		w_sched += legend_width(label);
	}
	for (size_t i = 0; i < FB_ARRAY_LEN(legend_keys); i++)
		w_keys += legend_width(legend_keys[i]);
	one_row = w_sched + 20 + w_keys <= SVG_W - 20;
	x = (SVG_W - (one_row ? w_sched + 20 + w_keys : w_sched)) / 2;
	y = one_row ? SVG_H - 20 : SVG_H - 30;
	for (size_t i = 0; i < s->n_schedules; i++) {
		schedule_label(fig, i, label, sizeof(label));
		legend_sample(f, x, y - 4, colour_of(s->schedules[i]), SOLID, 1);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", x + 30, y);
		xml_text(f, label);
		fputs("</text>\n", f);
		x += legend_width(label);
	}
	if (one_row) {
		/* A thin rule sets the schedules apart from the line styles, which apply to
		 * all of them. */
		svg_line(f, x - 4, y - 12, x - 4, y + 4, "stroke=\"#bbbbbb\"");
		x += 16;
	} else {
		x = (SVG_W - w_keys) / 2;
		y += 18;
	}
	for (size_t i = 0; i < FB_ARRAY_LEN(legend_keys); i++) {
		if (i == 0)
			legend_sample(f, x, y - 4, "#333333", SOLID, 1);
		else if (i == 1)
			legend_sample(f, x, y - 4, "#333333", DASHED, 2);
		else
			svg_line(f, x, y - 4, x + 24, y - 4, IDEAL);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", x + 30, y, legend_keys[i]);
		x += legend_width(legend_keys[i]);
	}
}

/* "mandelbrot 1920x1080, strong scaling" from the job's pixel fields, where it has them. */
static void draw_title(FILE *f, const struct fb_study *s)
{
	cJSON *job = s->pixels_json ? cJSON_Parse(s->pixels_json) : NULL;
	const cJSON *kernel = cJSON_GetObjectItemCaseSensitive(job, "kernel");
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(job, "width");
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(job, "height");

	fprintf(f, "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" font-size=\"16\" "
		   "font-weight=\"bold\">", SVG_W / 2);
	xml_text(f, cJSON_IsString(kernel) ? kernel->valuestring : "forkband");
	if (cJSON_IsNumber(w) && cJSON_IsNumber(h))
		fprintf(f, " %.0fx%.0f", w->valuedouble, h->valuedouble);
	fprintf(f, ", %s scaling</text>\n", s->weak ? "weak" : "strong");
	cJSON_Delete(job);

	fprintf(f, "<text x=\"%d\" y=\"43\" text-anchor=\"middle\" font-size=\"11\" "
		   "fill=\"#555555\">", SVG_W / 2);
	if (s->cpus > 0)
		fprintf(f, "%u CPU%s", s->cpus, s->cpus == 1 ? "" : "s");
	else
		fputs("CPUs unknown", f);
	if (s->cpu_model[0]) {
		fputs(" (", f);
		xml_text(f, s->cpu_model);
		fputc(')', f);
	}
	fprintf(f, ", median of %u run%s per point%s%s, forkband %s</text>\n", s->repeat,
		s->repeat == 1 ? "" : "s", s->weak ? ", height scaled with workers" : "",
		s->pin ? ", pinned" : "", FORKBAND_VERSION);
}

/* Sorted, duplicates dropped; the x axis ticks. */
static size_t unique_workers(const struct fb_study *s, unsigned *out)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_workers; i++) {
		unsigned w = s->workers[i];
		size_t j;
		bool dup = false;

		for (j = 0; j < n; j++)
			dup = dup || out[j] == w;
		if (dup)
			continue;
		for (j = n; j > 0 && out[j - 1] > w; j--)
			out[j] = out[j - 1];
		out[j] = w;
		n++;
	}
	return n;
}

static void write_svg(FILE *f, struct figure *fig)
{
	const struct fb_study *s = fig->s;
	double max_speedup = 1, max_eff = 0, ideal_to;
	bool any = false;
	struct panel sp = { .kind = P_SPEEDUP, .id = "speedup",
			    .x0 = 70, .x1 = 420, .y0 = 80, .y1 = 330 };
	struct panel ef = { .kind = P_EFFICIENCY, .id = "efficiency", .title = "Efficiency",
			    .ylabel = "efficiency", .x0 = 530, .x1 = 880, .y0 = 80, .y1 = 330 };

	for (size_t i = 0; i < s->n_schedules; i++) {
		fig->plottable[i] = false;
		for (size_t j = 0; j < s->n_points; j++) {
			const struct fb_study_point *p = &s->points[j];

			if (p->schedule != s->schedules[i])
				continue;
			for (int b = 0; b < FB_B_COUNT; b++) {
				if (isfinite(p->speedup[b])) {
					fig->plottable[i] = true;
					max_speedup = fmax(max_speedup, p->speedup[b]);
				}
				if (isfinite(p->efficiency[b]))
					max_eff = fmax(max_eff, p->efficiency[b]);
			}
		}
		any = any || fig->plottable[i];
	}

	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\">\n"
		"<title>forkband scaling study</title>\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n"
		"<g " FONT " font-size=\"12\" fill=\"#222222\">\n",
		SVG_W, SVG_H, SVG_W, SVG_H);
	draw_title(f, s);
	if (!any || fig->n_ticks == 0) {
		fprintf(f,
			"<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"14\" "
			"fill=\"#555555\">no 1-worker run: speedup undefined</text>\n",
			SVG_W / 2, SVG_H / 2);
		fputs("</g>\n</svg>\n", f);
		return;
	}

	/* A little room right of the last worker count, so its markers aren't cut by the
	 * frame. */
	sp.xmax = ef.xmax = fig->ticks[fig->n_ticks - 1] * 1.04;
	/* The y axis reaches the ideal at the last worker count or at the CPU count,
	 * whichever is lower: beyond the CPUs nobody expects the ideal to hold, and
	 * following it into oversubscription would squash the measured lines. */
	ideal_to = fig->ticks[fig->n_ticks - 1];
	if (s->cpus > 0 && ideal_to > s->cpus)
		ideal_to = s->cpus;
	max_speedup = fmax(max_speedup, ideal_to);
	/* Speedups are read against whole worker counts: no ticks finer than 1, unless
	 * the axis is so short that whole numbers would leave it nearly bare. */
	sp.ystep = nice_step(max_speedup, 8, max_speedup <= 3 ? 0.5 : 1);
	sp.ymax = ceil(max_speedup / sp.ystep - 1e-9) * sp.ystep;
	sp.ydecimals = decimals_for(sp.ystep);
	sp.title = s->weak ? "Scaled speedup" : "Speedup";
	sp.ylabel = s->weak ? "scaled speedup" : "speedup";
	ef.ymax = fmax(1.1, ceil(max_eff * 10 - 1e-9) / 10);
	ef.ystep = nice_step(ef.ymax, 6, 0.1);
	ef.ydecimals = decimals_for(ef.ystep);

	draw_panel(f, fig, &sp);
	draw_panel(f, fig, &ef);
	draw_legend(f, fig);
	fputs("</g>\n</svg>\n", f);
}

int fb_study_write_svg(const char *path, const struct fb_study *s)
{
	struct figure fig = { .s = s };
	struct fb_outfile out;
	int rc;

	/* +1 so that an empty study still gets non-NULL buffers from malloc. */
	fig.ticks = malloc((s->n_workers + 1) * sizeof(*fig.ticks));
	fig.series = malloc((s->n_points + 1) * sizeof(*fig.series));
	fig.plottable = malloc((s->n_schedules + 1) * sizeof(*fig.plottable));
	if (!fig.ticks || !fig.series || !fig.plottable) {
		rc = fb_error("out of memory drawing the study's plot");
		goto done;
	}
	fig.n_ticks = unique_workers(s, fig.ticks);
	rc = fb_outfile_open(&out, path);
	if (rc == 0) {
		write_svg(out.f, &fig);
		rc = fb_outfile_commit(&out);
	}
done:
	free(fig.ticks);
	free(fig.series);
	free(fig.plottable);
	return rc;
}
