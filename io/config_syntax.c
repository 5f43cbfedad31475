/* config_syntax.c: JSON text to a tree, and what cJSON lets through that a config must
 * not hold: repeated keys, control characters in keys; syntax errors with line and
 * column. */
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

int cfg_syntax_error(const char *source, const char *text, size_t len, const char *at)
{
	size_t line = 1, col = 1, n = 0;
	char near[16];

	if (!at || at < text || at > text + len)
		at = text + len;
	if (len > 0 && at == text + len - 1 && *at != '\0' && ends_too_soon(text, len))
		at = text + len;
	for (const char *p = text; p < at; p++) {
		if (*p == '\n') {
			line++;
			col = 1;
		} else if ((*p & 0xc0) != 0x80) {	/* a character, not inside one */
			col++;
		}
	}
	if (at == text + len)
		return fb_error("%s:%zu:%zu: invalid JSON: unexpected end of file", source, line, col);
	if (*at == '\0')
		return fb_error("%s:%zu:%zu: invalid JSON: a NUL byte", source, line, col);
	/* Quote the rest of the line, up to 12 bytes: the message must stay one line. */
	for (const char *p = at; p < text + len && n < 12 && *p != '\n' && *p != '\r'; p++)
		near[n++] = (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p;
	near[n] = '\0';
	if (n == 0)
		return fb_error("%s:%zu:%zu: invalid JSON at the end of the line", source, line, col);
	return fb_error("%s:%zu:%zu: invalid JSON near '%s'", source, line, col, near);
}
