/* config_location.c: a Kalles Fraktaler location file (.kfr) as a job's view
 * (params.location; docs/deep-zoom.md, "Kalles Fraktaler locations").
 *
 * A .kfr is text, one "Key: value" a line (CRLF as Kalles Fraktaler writes it, or LF).
 * Re and Im are the center, as decimal text of any length; Zoom is a decimal whose
 * view is 4 / Zoom high (Kalles Fraktaler's radius 2 / Zoom is half the height), as
 * wide as the image's aspect makes it; Iterations is the iteration limit. The center
 * is kept as written, the scale (the view's width) computed in GNU MPFR to 20
 * significant digits: both are then the decimal text a job could have held, and the
 * job holds nothing else of the file. */
#include "runtime/compat.h"

#include "config_internal.h"

#include "runtime/error.h"

#include <cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <mpfr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A location is a few kilobytes (its Colors line the longest but for a deep center);
 * anything much bigger is not one. */
#define KFR_MAX_BYTES (1u << 20)

/* The significant digits of the scale written from Zoom: more than long double holds
 * (the kernel reads the scale with strtold()), so the text is not what limits it. */
#define SCALE_DIGITS 20

/* The keys read; every other line is passed over. */
enum { KEY_RE, KEY_IM, KEY_ZOOM, KEY_ITERATIONS, KEY_FRACTAL_TYPE, KEY_POWER, N_KEYS };
static const char *const key_names[N_KEYS] = { "Re", "Im", "Zoom", "Iterations",
					       "FractalType", "Power" };

struct kfr {
	char *text;			/* the file, NUL-terminated; values point into it */
	const char *value[N_KEYS];	/* NULL: no such line */
	unsigned line[N_KEYS];
};

/* s without the spaces and tabs at its ends (cut in place). */
static char *trim(char *s)
{
	char *end;

	s += strspn(s, " \t");
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

/* A value as a message shows it: quoted, cut short when long. */
static void show(char *buf, size_t len, const char *value)
{
	if (strlen(value) > 40)
		snprintf(buf, len, "\"%.32s...\" (%zu characters)", value, strlen(value));
	else
		snprintf(buf, len, "\"%s\"", value);
}

/* Reads the file at path into k (zeroed by the caller). 0; -1 after reporting through
 * fb_error() (captured by the caller), or with *what saying why the file is no
 * location ("is larger than 1 MiB"). */
static int read_kfr(const char *path, struct kfr *k, const char **what)
{
	FILE *f = fopen(path, "rb");
	size_t n;
	char *p;
	unsigned line = 1;

	if (!f)
		return fb_error_errno("cannot open '%s'", path);
	k->text = malloc(KFR_MAX_BYTES + 1);
	if (!k->text) {
		fclose(f);
		return fb_error("out of memory");
	}
	n = fread(k->text, 1, KFR_MAX_BYTES + 1, f);
	if (ferror(f)) {
		fb_error_errno("cannot read '%s'", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	if (n > KFR_MAX_BYTES) {
		*what = "is larger than 1 MiB";
		return -1;
	}
	if (memchr(k->text, '\0', n)) {
		*what = "is not text (it holds a NUL byte)";
		return -1;
	}
	k->text[n] = '\0';
	p = k->text;
	if (strncmp(p, "\xef\xbb\xbf", 3) == 0)	/* a UTF-8 byte order mark */
		p += 3;
	/* Lines end in CRLF, LF or CR. */
	while (*p) {
		size_t len = strcspn(p, "\r\n");
		char *next = p + len, *colon;

		next += *next == '\r' && next[1] == '\n' ? 2 : *next ? 1 : 0;
		p[len] = '\0';
		colon = strchr(p, ':');
		if (colon) {
			char *key, *value;

			*colon = '\0';
			key = trim(p);
			value = trim(colon + 1);
			for (int i = 0; i < N_KEYS; i++) {
				if (strcmp(key, key_names[i]) != 0)
					continue;
				if (k->value[i]) {
					static char twice[64];

					snprintf(twice, sizeof(twice), "has two %s lines, %u and %u",
						 key_names[i], k->line[i], line);
					*what = twice;
					return -1;
				}
				k->value[i] = value;
				k->line[i] = line;
			}
		}
		line++;
		p = next;
	}
	return 0;
}

/* A positive number as mpfr_get_str() gives it (digits, and exp: the value is
 * 0.digits x 10^exp) written as "1.3333333333333333333e-100": one digit before the
 * point, the fraction's trailing zeros dropped, the exponent always there. */
static void format_scale(const char *digits, mpfr_exp_t exp, char *out, size_t len)
{
	size_t n = strlen(digits);

	while (n > 1 && digits[n - 1] == '0')
		n--;
	snprintf(out, len, "%c%s%.*se%ld", digits[0], n > 1 ? "." : "", (int)(n - 1),
		 digits + 1, (long)exp - 1);
}

/* scale = 4 width / (height zoom): the view Kalles Fraktaler shows at zoom in an image
 * of this size, 2 (2 / zoom) high. zoom is decimal text above 0. 0, or -1 when the
 * scale is out of the range a view may have (long double's). */
static int zoom_to_scale(const char *zoom, uint32_t width, uint32_t height, char *out,
			 size_t len)
{
	mpfr_t z, s;
	mpfr_exp_t exp;
	char *digits;
	long double x;
	int rc = -1;

	mpfr_inits2(256, z, s, (mpfr_ptr)0);
	mpfr_set_str(z, zoom, 10, MPFR_RNDN);
	if (mpfr_regular_p(z)) {	/* not 0 or infinite after MPFR's own exponent range */
		mpfr_ui_div(s, 4ul * width, z, MPFR_RNDN);
		mpfr_div_ui(s, s, height, MPFR_RNDN);
		digits = mpfr_regular_p(s) ? mpfr_get_str(NULL, &exp, 10, SCALE_DIGITS, s,
							    MPFR_RNDN) : NULL;
		if (digits) {
			format_scale(digits, exp, out, len);
			mpfr_free_str(digits);
			x = strtold(out, NULL);
			rc = x > 0 && isfinite(x) ? 0 : -1;
		}
	}
	mpfr_clears(z, s, (mpfr_ptr)0);
	return rc;
}

/* The param of kern called name (a kernel with a location param has center, scale
 * and max_iter). */
static const struct fb_param *param_named(const struct fb_kernel *kern, const char *name)
{
	for (size_t i = 0; i < kern->n_params; i++)
		if (strcmp(kern->params[i].name, name) == 0)
			return &kern->params[i];
	FB_BUG("%s has a location param but no %s", kern->name, name);
}

/* A decimal value of the file, checked as a center string is; *x gets its value in
 * long double (Re, Im: also finite in double, as a center must be). */
static int check_decimal(const struct ctx *c, const char *shown, const struct kfr *k, int key,
			 long double *x)
{
	const char *v = k->value[key];
	char got[96];

	show(got, sizeof(got), v);
	if (!cfg_decimal_syntax(v))
		return cfg_error(c, "params.location", "%s line %u: %s is %s, expected a decimal "
				 "number (such as -1.75, 0.5 or 1.25E100)", shown, k->line[key],
				 key_names[key], got);
	if (strlen(v) > FB_DECIMAL_MAX)
		return cfg_error(c, "params.location", "%s line %u: %s has %zu characters, "
				 "expected at most %d", shown, k->line[key], key_names[key],
				 strlen(v), FB_DECIMAL_MAX);
	*x = strtold(v, NULL);
	/* Zoom's range is its view's (zoom_to_scale()). */
	if (key != KEY_ZOOM && !isfinite((double)*x))
		return cfg_error(c, "params.location", "%s line %u: %s is %s, expected a number "
				 "within double's range", shown, k->line[key], key_names[key], got);
	return 0;
}

/* A whole number of the file (FractalType, Power, Iterations) into *x; false when the
 * text is not one or is beyond int64_t. */
static bool whole(const char *v, int64_t *x)
{
	char *end;
	long long n;

	if (!*v || (*v != '-' && (*v < '0' || *v > '9')))
		return false;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (*end || errno == ERANGE)
		return false;
	*x = n;
	return true;
}

int cfg_apply_location(const struct ctx *c, const cJSON *obj, const struct fb_param *p,
		       const cJSON *v, struct fb_job *job)
{
	static const int need[3] = { KEY_RE, KEY_IM, KEY_ZOOM };
	const struct fb_kernel *kern = job->kernel;
	const struct fb_param *center = param_named(kern, "center");
	const struct fb_param *scale = param_named(kern, "scale");
	const struct fb_param *max_iter = param_named(kern, "max_iter");
	char **at = (char **)(void *)((char *)job->params + p->offset);
	char *params = job->params, shown[PATH_MAX + 8], note[PATH_MAX + 100];
	static const char *const view[] = { "center", "scale" };
	char scale_text[64], got[96];
	struct fb_error_capture cap;
	const char *what = NULL;
	struct kfr k = { 0 };
	long double x;
	double d;
	int64_t n;
	int rc = -1;

	/* The view comes from one place. */
	for (size_t i = 0; i < FB_ARRAY_LEN(view); i++)
		if (cJSON_GetObjectItemCaseSensitive(obj, view[i])) {
			char field[64];

			snprintf(field, sizeof(field), "params.%s", view[i]);
			return cfg_error(c, field, "params.location sets the view: leave %s out "
					 "(or location)", view[i]);
		}
	if (!cJSON_IsString(v) || !*v->valuestring || cfg_control_char(v->valuestring))
		return cfg_error(c, "params.location", "expected the path of a Kalles Fraktaler "
				 "location file (.kfr), got %s", cfg_show(v));
	snprintf(shown, sizeof(shown), "%s", cfg_show(v));
	if (cfg_input_path(c, "params.location", v->valuestring, at) < 0)
		return -1;
	fb_error_capture_begin(&cap);
	rc = cfg_check_input(*at);
	if (rc == 0)
		rc = read_kfr(*at, &k, &what);
	fb_error_capture_end(&cap);
	if (rc < 0 && what) {
		free(k.text);
		return cfg_error(c, "params.location", "%s %s (expected a Kalles Fraktaler "
				 "location with Re, Im and Zoom)", shown, what);
	}
	if (rc < 0) {
		free(k.text);
		cfg_input_note(c, v->valuestring, *at, note, sizeof(note));
		return cfg_error(c, "params.location", "%s%s", cap.msg, note);
	}
	rc = -1;
	for (int i = 0; i < 3; i++)
		if (!k.value[need[i]]) {
			cfg_error(c, "params.location", "%s has no %s line (expected a Kalles "
				  "Fraktaler location with Re, Im and Zoom)", shown,
				  key_names[need[i]]);
			goto out;
		}
	/* The Mandelbrot set is FractalType 0 at Power 2; others would be another picture. */
	if (k.value[KEY_FRACTAL_TYPE] && !(whole(k.value[KEY_FRACTAL_TYPE], &n) && n == 0)) {
		show(got, sizeof(got), k.value[KEY_FRACTAL_TYPE]);
		cfg_error(c, "params.location", "%s line %u: FractalType is %s, expected 0 (%s "
			  "draws the Mandelbrot set, Kalles Fraktaler's type 0)", shown,
			  k.line[KEY_FRACTAL_TYPE], got, kern->name);
		goto out;
	}
	if (k.value[KEY_POWER] && !(whole(k.value[KEY_POWER], &n) && n == 2)) {
		show(got, sizeof(got), k.value[KEY_POWER]);
		cfg_error(c, "params.location", "%s line %u: Power is %s, expected 2 (%s iterates "
			  "z^2 + c)", shown, k.line[KEY_POWER], got, kern->name);
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		char *text = params + center->text_offset + (size_t)i * (FB_DECIMAL_MAX + 1);

		if (check_decimal(c, shown, &k, i == 0 ? KEY_RE : KEY_IM, &x) < 0)
			goto out;
		strcpy(text, k.value[i == 0 ? KEY_RE : KEY_IM]);
		d = (double)x;
		memcpy(params + center->offset + (size_t)i * sizeof(double), &d, sizeof(d));
	}
	if (check_decimal(c, shown, &k, KEY_ZOOM, &x) < 0)
		goto out;
	show(got, sizeof(got), k.value[KEY_ZOOM]);
	/* Above 0: no minus sign, and a nonzero digit before any exponent. */
	if (k.value[KEY_ZOOM][0] == '-' ||
	    strcspn(k.value[KEY_ZOOM], "123456789") >= strcspn(k.value[KEY_ZOOM], "eE")) {
		cfg_error(c, "params.location", "%s line %u: Zoom is %s, expected a number above 0",
			  shown, k.line[KEY_ZOOM], got);
		goto out;
	}
	/* The width in long double's range, and not above double's: the view's double
	 * offsets (shallow views) must be finite. */
	if (zoom_to_scale(k.value[KEY_ZOOM], job->width, job->height, scale_text,
			  sizeof(scale_text)) < 0 ||
	    !isfinite(d = (double)strtold(scale_text, NULL))) {
		cfg_error(c, "params.location", "%s line %u: Zoom is %s, expected one whose view "
			  "is within range at %ux%u (a width of about 1e-4931 to 1e308)", shown,
			  k.line[KEY_ZOOM], got, job->width, job->height);
		goto out;
	}
	strcpy(params + scale->text_offset, scale_text);
	memcpy(params + scale->offset, &d, sizeof(d));
	/* The job's own max_iter wins; else the file's, in max_iter's range. */
	if (k.value[KEY_ITERATIONS] && !cJSON_GetObjectItemCaseSensitive(obj, "max_iter")) {
		bool is_whole = whole(k.value[KEY_ITERATIONS], &n);

		if (is_whole)	/* shown as the number it is, as a job's max_iter would be */
			snprintf(got, sizeof(got), "%lld", (long long)n);
		else
			show(got, sizeof(got), k.value[KEY_ITERATIONS]);
		if (!is_whole || n < (int64_t)max_iter->min || n > (int64_t)max_iter->max) {
			cfg_error(c, "params.max_iter", "expected an integer from %.0f to %.0f, got %s "
				  "(Iterations, line %u of params.location %s)", max_iter->min,
				  max_iter->max, got, k.line[KEY_ITERATIONS], shown);
			goto out;
		}
		memcpy(params + max_iter->offset, &n, sizeof(n));
	}
	rc = 0;
out:
	free(k.text);
	return rc;
}

void cfg_location_note(const cJSON *obj, const struct fb_kernel *k, const char *field,
		       char *buf, size_t len)
{
	*buf = '\0';
	if (cJSON_GetObjectItemCaseSensitive(obj, field))
		return;
	for (size_t i = 0; i < k->n_params; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, k->params[i].name);

		if (k->params[i].type == FB_PARAM_LOCATION && cJSON_IsString(v))
			snprintf(buf, len, " (set by params.location %s)", cfg_show(v));
	}
}
