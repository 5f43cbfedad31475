/* config_syntax.c: JSON text to a tree, and what cJSON lets through that a config must
 * not hold: NUL characters in strings, nesting deep enough to exhaust a small stack,
 * repeated keys, control characters in keys; syntax errors with line and column. */
#include "runtime/compat.h"

#include "config_internal.h"

#include "runtime/error.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cJSON keeps both copies of a repeated key and lookups see the first, so a repeat
 * would silently lose a value: refuse it, anywhere in the file, before merging. */
int cfg_check_duplicates(const char *source, const cJSON *v, const char *path)
{
	char sub[256];
	int i = 0;

	/* The check below and cfg_merge() are quadratic in an object's keys: a 2 MB file of
	 * distinct keys kept them busy for over ten minutes. No object of a job has more
	 * than 64. */
	if (cJSON_IsObject(v) && cJSON_GetArraySize(v) > MAX_OBJECT_KEYS)
		return fb_error("%s: %s%sexpected an object of at most %d keys, got %d", source,
				path, *path ? ": " : "", MAX_OBJECT_KEYS, cJSON_GetArraySize(v));
	for (const cJSON *it = v->child; it; it = it->next, i++) {
		if (cJSON_IsObject(v)) {
			const char *bad = cfg_control_char(it->string);

			/* Messages quote keys as they are: a newline would break the line. */
			if (bad)
				return fb_error("%s: %s%sexpected field names without control "
						"characters, got a key with byte 0x%02x", source, path,
						*path ? ": " : "", (unsigned char)*bad);
			for (const cJSON *o = v->child; o != it; o = o->next)
				if (strcmp(o->string, it->string) == 0)
					return fb_error("%s: %s%s%s: duplicate key", source, path,
							*path ? "." : "", it->string);
			cfg_join(sub, sizeof(sub), path, it->string);
		} else {
			snprintf(sub, sizeof(sub), "%s[%d]", path, i);
		}
		if ((cJSON_IsObject(it) || cJSON_IsArray(it)) &&
		    cfg_check_duplicates(source, it, sub) < 0)
			return -1;
	}
	return 0;
}

/* cJSON reports running out of input at the last byte, where it cannot be told from an
 * error at that byte. Parse again with a byte appended that no JSON text may hold
 * there: if the parser now stops at that byte, the text merely ended too soon. */
static bool ends_too_soon(const char *text, size_t len)
{
	char *copy = malloc(len + 1);
	cJSON *doc;
	bool eof;

	if (!copy)
		return false;
	memcpy(copy, text, len);
	copy[len] = '\x01';
	doc = cJSON_ParseWithLengthOpts(copy, len + 1, NULL, false);
	eof = !doc && cJSON_GetErrorPtr() == copy + len;
	cJSON_Delete(doc);
	free(copy);
	return eof;
}

/* The line and column (in characters, from 1) of at in text. */
static void position(const char *text, const char *at, size_t *line, size_t *col)
{
	*line = *col = 1;
	for (const char *p = text; p < at; p++) {
		if (*p == '\n') {
			++*line;
			*col = 1;
		} else if ((*p & 0xc0) != 0x80) {	/* a character, not inside one */
			++*col;
		}
	}
}

/* What a JSON text does wrong that a person writing it is likely to do on purpose:
 * comments, a comma after the last item, a key without quotes, single quotes. cJSON
 * stops where the text stops being JSON (after a trailing comma, at the closing
 * bracket, maybe on the next line) and says nothing of why; this walk finds the first
 * such mistake where it was made. It is a plain JSON grammar, without recursion
 * (nesting is bounded by scan() before it runs), and only names these mistakes:
 * anything else is left to cJSON's error position, which the caller keeps unless the
 * mistake found here comes first. */
static const char *skip_string(const char *p, const char *end, const char **nul);

struct diagnosis {
	const char *at;		/* where the text stops being JSON; NULL: it does not */
	bool named;		/* msg names one of the mistakes above; else it says what
				 * was expected there */
	char msg[96];
};

static bool is_ident(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == '$';
}

/* A number as cJSON reads one (leading zeros pass): the byte after it, or p. */
static const char *skip_number(const char *p, const char *end)
{
	const char *q = p, *digits;

	if (q < end && *q == '-')
		q++;
	for (digits = q; q < end && *q >= '0' && *q <= '9'; q++)
		;
	if (q == digits)
		return p;
	if (q < end && *q == '.')
		for (q++; q < end && *q >= '0' && *q <= '9'; q++)
			;
	if (q < end && (*q == 'e' || *q == 'E')) {
		const char *e = q++;

		if (q < end && (*q == '+' || *q == '-'))
			q++;
		for (digits = q; q < end && *q >= '0' && *q <= '9'; q++)
			;
		if (q == digits)
			q = e;
	}
	return q;
}

/* Names the mistake at p, if it is one of those above, else says what was expected
 * there (expect). */
static void name_mistake(struct diagnosis *d, const char *p, const char *end, bool key,
			 const char *expect)
{
	size_t n = 0;

	d->at = p;
	d->named = true;
	if (end - p >= 2 && p[0] == '/' && (p[1] == '/' || p[1] == '*')) {
		snprintf(d->msg, sizeof(d->msg), "JSON has no comments (found '%c%c')", p[0], p[1]);
	} else if (*p == '\'') {
		snprintf(d->msg, sizeof(d->msg), "%s take double quotes, not single",
			 key ? "keys" : "strings");
	} else if (key && is_ident(*p)) {
		while (p + n < end && n < 24 && (is_ident(p[n]) || (p[n] >= '0' && p[n] <= '9')))
			n++;
		snprintf(d->msg, sizeof(d->msg), "keys must be quoted strings, got '%.*s'", (int)n, p);
	} else {
		d->named = false;
		snprintf(d->msg, sizeof(d->msg), "expected %s", expect);
	}
}

static struct diagnosis diagnose(const char *text, size_t len)
{
	enum { VALUE, VALUE_OR_CLOSE, KEY, KEY_OR_CLOSE, COLON, COMMA_OR_CLOSE, END } want = VALUE;
	const char *end = text + len, *comma = NULL, *p = text, *nul = NULL;
	char stack[FB_CONFIG_MAX_DEPTH + 1];	/* '{' or '[' of each open container */
	struct diagnosis d = { NULL, false, "" };
	size_t depth = 0;

	for (;;) {
		while (p < end && memchr(" \t\r\n", *p, 4))
			p++;
		if (p == end)
			return d;
		if ((want == KEY || want == VALUE) && comma && (*p == '}' || *p == ']')) {
			d.at = comma;
			d.named = true;
			snprintf(d.msg, sizeof(d.msg), "trailing comma before '%c' (JSON allows "
				 "none after the last item)", *p);
			return d;
		}
		switch (want) {
		case KEY:
		case KEY_OR_CLOSE:
			if (want == KEY_OR_CLOSE && *p == '}')
				break;
			if (*p != '"') {
				name_mistake(&d, p, end, true, want == KEY ? "a key in double quotes" :
					     "a key in double quotes or '}'");
				return d;
			}
			p = skip_string(p, end, &nul);
			want = COLON;
			comma = NULL;
			continue;
		case COLON:
			if (*p != ':') {
				name_mistake(&d, p, end, false, "':' after the key");
				return d;
			}
			p++;
			want = VALUE;
			continue;
		case COMMA_OR_CLOSE:
			if (*p == ',') {
				comma = p++;
				want = stack[depth - 1] == '{' ? KEY : VALUE;
				continue;
			}
			if (*p == '}' || *p == ']')
				break;
			name_mistake(&d, p, end, false, stack[depth - 1] == '{' ? "',' or '}'" :
				     "',' or ']'");
			return d;
		case VALUE:
		case VALUE_OR_CLOSE:
			if (want == VALUE_OR_CLOSE && *p == ']')
				break;
			comma = NULL;
			if (*p == '{' || *p == '[') {
				if (depth >= sizeof(stack))
					return d;
				stack[depth++] = *p;
				want = *p++ == '{' ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
				continue;
			}
			if (*p == '"') {
				p = skip_string(p, end, &nul);
			} else if (skip_number(p, end) != p) {
				p = skip_number(p, end);
			} else if ((end - p >= 4 && (!memcmp(p, "true", 4) || !memcmp(p, "null", 4))) ||
				   (end - p >= 5 && !memcmp(p, "false", 5))) {
				p += *p == 'f' ? 5 : 4;
			} else {
				name_mistake(&d, p, end, false, want == VALUE_OR_CLOSE ?
					     "a value or ']'" : "a value");
				return d;
			}
			want = depth ? COMMA_OR_CLOSE : END;
			continue;
		case END:
			name_mistake(&d, p, end, false, "nothing after the value");
			return d;
		}
		/* A closing bracket where one may stand: it must close what is open. */
		if (depth == 0 || (*p == '}') != (stack[depth - 1] == '{')) {
			name_mistake(&d, p, end, false, depth == 0 ? "nothing after the value" :
				     stack[depth - 1] == '{' ? "',' or '}'" : "',' or ']'");
			return d;
		}
		depth--;
		p++;
		want = depth ? COMMA_OR_CLOSE : END;
	}
}

int cfg_syntax_error(const char *source, const char *text, size_t len, const char *at)
{
	struct diagnosis d;

	size_t line, col, n = 0;
	char near[16];

	if (!at || at < text || at > text + len)
		at = text + len;
	if (len > 0 && at == text + len - 1 && *at != '\0' && ends_too_soon(text, len))
		at = text + len;
	d = diagnose(text, len);
	if (d.at && d.named && d.at <= at) {
		position(text, d.at, &line, &col);
		return fb_error("%s:%zu:%zu: invalid JSON: %s", source, line, col, d.msg);
	}
	position(text, at, &line, &col);
	if (at == text + len)
		return fb_error("%s:%zu:%zu: invalid JSON: unexpected end of file", source, line, col);
	if (*at == '\0')
		return fb_error("%s:%zu:%zu: invalid JSON: a NUL byte", source, line, col);
	/* Quote the rest of the line, up to 12 bytes: the message must stay one line. */
	for (const char *p = at; p < text + len && n < 12 && *p != '\n' && *p != '\r'; p++)
		near[n++] = (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p;
	near[n] = '\0';
	/* Where the walk above and cJSON agree, what the walk expected there helps. */
	if (d.at != at)
		d.msg[0] = '\0';
	if (n == 0)
		return fb_error("%s:%zu:%zu: invalid JSON at the end of the line%s%s", source, line,
				col, *d.msg ? ": " : "", d.msg);
	return fb_error("%s:%zu:%zu: invalid JSON near '%s'%s%s", source, line, col, near,
			*d.msg ? ": " : "", d.msg);
}

/* Reads past the string whose opening quote is at p; returns the byte after its closing
 * quote (or end), and sets *nul to its first \u0000 escape, if any. */
static const char *skip_string(const char *p, const char *end, const char **nul)
{
	for (p++; p < end && *p != '"'; p++) {
		if (*p != '\\' || p + 1 >= end)
			continue;
		if (p[1] == 'u' && end - p >= 6 && memcmp(p + 2, "0000", 4) == 0 && !*nul)
			*nul = p;
		p++;	/* the escaped character: \" does not end the string */
	}
	return p < end ? p + 1 : end;
}

/* What the lexical scan found: the first problem in text order. */
struct scan {
	const char *at;
	enum { SCAN_OK, SCAN_NUL, SCAN_DEEP } what;
};

/* One pass over the text before cJSON sees it. cJSON ends a string at a \u0000
 * escape and keeps the rest out of sight ("notes.txt\u0000.png" would be the path
 * notes.txt), and cJSON's parser, cJSON_Delete() and the walkers here recurse once a
 * level: nesting is bounded first, so that no stack, however small, runs out. The scan
 * only needs to find strings and brackets; the parser judges the rest. */
static struct scan scan(const char *text, size_t len)
{
	const char *end = text + len;
	unsigned depth = 0;

	for (const char *p = text; p < end;) {
		const char *nul = NULL;

		if (*p == '"') {
			p = skip_string(p, end, &nul);
			if (nul)
				return (struct scan){ nul, SCAN_NUL };
			continue;
		}
		if ((*p == '[' || *p == '{') && ++depth > FB_CONFIG_MAX_DEPTH)
			return (struct scan){ p, SCAN_DEEP };
		if ((*p == ']' || *p == '}') && depth > 0)
			depth--;
		p++;
	}
	return (struct scan){ NULL, SCAN_OK };
}

/* Reports what scan() found; where names the place ("configs/x.json:3:14" or
 * "--set params"). Returns -1. */
static int scan_error(const char *where, struct scan sc)
{
	if (sc.what == SCAN_NUL)
		return fb_error("%s: a string holds \\u0000 (a NUL character), which no field "
				"of a config may hold", where);
	return fb_error("%s: nested deeper than %d levels of arrays and objects; no "
			"config needs more", where, FB_CONFIG_MAX_DEPTH);
}

int cfg_parse_text(const char *source, const char *text, size_t len, cJSON **out)
{
	const char *end = NULL, *nul = memchr(text, '\0', len);
	struct scan sc;
	cJSON *doc;

	*out = NULL;
	/* cJSON would end a string at a NUL byte and read on after it. */
	if (nul)
		return cfg_syntax_error(source, text, len, nul);
	sc = scan(text, len);
	if (sc.what != SCAN_OK) {
		char where[1100];
		size_t line, col;

		position(text, sc.at, &line, &col);
		snprintf(where, sizeof(where), "%s:%zu:%zu", source, line, col);
		return scan_error(where, sc);
	}
	doc = cJSON_ParseWithLengthOpts(text, len, &end, false);
	if (!doc)
		return cfg_syntax_error(source, text, len, cJSON_GetErrorPtr());
	/* Anything after the value but white space is an error too. */
	while (end && end < text + len && memchr(" \t\r\n", *end, 4))
		end++;
	if (end && end < text + len) {
		cJSON_Delete(doc);
		return cfg_syntax_error(source, text, len, end);
	}
	if (cfg_check_duplicates(source, doc, "") < 0) {
		cJSON_Delete(doc);
		return -1;
	}
	*out = doc;
	return 0;
}

int cfg_parse_value(const char *label, const char *text, cJSON **out)
{
	struct scan sc = scan(text, strlen(text));

	*out = NULL;
	if (sc.what != SCAN_OK)
		return scan_error(label, sc);
	/* The whole value must be JSON: "5x" is the string "5x", not 5 and some junk. */
	*out = cJSON_ParseWithOpts(text, NULL, true);
	if (*out && cfg_check_duplicates(label, *out, "") < 0) {
		cJSON_Delete(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}
