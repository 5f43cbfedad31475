/* config_override.c: --set and the other command-line overrides (a path of keys and
 * list indexes: params.ops[0].sigma), and the merge of a batch job over its defaults. */
#include "runtime/compat.h"

#include "config_internal.h"

#include "runtime/error.h"

#include <cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* One step of an override's path: a key of an object, or an item of a list. */
struct step {
	bool is_index;
	char key[256];
	unsigned long index;
};

/* Reads the step at *p (the first of the path, or one after '.' or at '['), moving *p
 * past it and a '.' that follows. 0, or -1 after reporting. */
static int next_step(const struct fb_override *o, const char **p, struct step *st)
{
	const char *s = *p;
	size_t n;

	if (*s == '[') {
		char *end;

		st->is_index = true;
		errno = 0;
		st->index = s[1] >= '0' && s[1] <= '9' ? strtoul(s + 1, &end, 10) : 0;
		if (s[1] < '0' || s[1] > '9' || errno || *end != ']') {
			n = strcspn(s, "]");
			return fb_error("%s: expected a list index of 0 or more in [], got '%.*s'",
					o->label, (int)(s[n] ? n + 1 : n), s);
		}
		s = end + 1;
	} else {
		n = strcspn(s, ".[");
		if (n == 0 || n >= sizeof(st->key))
			return fb_error("%s: expected a field path such as params.max_iter or "
					"params.ops[0].sigma", o->label);
		st->is_index = false;
		memcpy(st->key, s, n);
		st->key[n] = '\0';
		s += n;
	}
	if (*s == '.' && s[1] != '\0')
		s++;
	else if (*s != '\0' && *s != '[')
		return fb_error("%s: expected a field path such as params.max_iter or "
				"params.ops[0].sigma", o->label);
	*p = s;
	return 0;
}

/* Sets the value at a path of keys and list indexes ("params.ops[0].sigma"), creating
 * objects on the way. An index names an item that exists: lists do not grow, and
 * counting from the end ([-1]) is not taken, so that a typo cannot add an item.
 * Takes value on success only. */
static int set_at(const struct fb_override *o, cJSON *job, cJSON *value)
{
	const char *p = o->path;
	cJSON *cur = job;
	struct step st;

	if (*p == '[')
		return fb_error("%s: expected a field path such as params.max_iter or "
				"params.ops[0].sigma", o->label);
	for (;;) {
		const char *from = p;	/* the path before this step names cur */
		cJSON *next;
		int len;

		if (next_step(o, &p, &st) < 0)
			return -1;
		len = (int)(p - o->path) - (p[-1] == '.');	/* the path through this step */
		if (st.is_index) {
			int size = cJSON_GetArraySize(cur);

			if (st.index >= (unsigned long)size)
				return fb_error("%s: index %lu is out of range: %.*s holds %d item%s",
						o->label, st.index, (int)(from - o->path), o->path,
						size, size == 1 ? "" : "s");
			if (*p == '\0')
				return cJSON_ReplaceItemInArray(cur, (int)st.index, value) ? 0 :
				       fb_error("out of memory");
			next = cJSON_GetArrayItem(cur, (int)st.index);
		} else {
			next = cJSON_GetObjectItemCaseSensitive(cur, st.key);
			if (*p == '\0') {
				bool ok = next ? cJSON_ReplaceItemInObjectCaseSensitive(cur, st.key, value) :
					  cJSON_AddItemToObject(cur, st.key, value);

				return ok ? 0 : fb_error("out of memory");
			}
			if (!next && *p == '[')
				return fb_error("%s: %.*s is not set: there is no list to take an item of",
						o->label, len, o->path);
			if (!next && !(next = cJSON_AddObjectToObject(cur, st.key)))
				return fb_error("out of memory");
		}
		if (*p == '[' && !cJSON_IsArray(next))
			return fb_error("%s: cannot take an item of '%.*s', which is %s, not a list",
					o->label, len, o->path, cfg_show(next));
		if (*p != '[' && !cJSON_IsObject(next))
			return fb_error("%s: cannot set a field inside '%.*s', which is %s, not an "
					"object", o->label, len, o->path, cfg_show(next));
		cur = next;
	}
}

int cfg_apply_override(const struct fb_override *o, cJSON *job)
{
	cJSON *value = NULL;
	int parts = 0;

	/* Each component of the path may create an object: bounded like nesting in a
	 * file, so that nothing after it recurses deeper (a 10,000-part path crashed
	 * under a small stack). */
	for (const char *p = o->path; *p; p++)
		if ((*p == '.' || *p == '[') && ++parts >= FB_CONFIG_MAX_DEPTH)
			return fb_error("%s: expected a field path of at most %d parts", o->label,
					FB_CONFIG_MAX_DEPTH);
	if (!o->literal && cfg_parse_value(o->label, o->value, &value) < 0)
		return -1;
	if (!value)	/* not JSON: take it as a string, so --set x=histogram works */
		value = cJSON_CreateString(o->value);
	if (!value)
		return fb_error("out of memory");
	if (set_at(o, job, value) < 0) {
		cJSON_Delete(value);
		return -1;
	}
	return 0;
}

/* Deep merge: keys of over replace those of base, objects merge recursively. */
int cfg_merge(cJSON *base, const cJSON *over)
{
	for (const cJSON *it = over->child; it; it = it->next) {
		cJSON *old = cJSON_GetObjectItemCaseSensitive(base, it->string);
		cJSON *copy;

		if (old && cJSON_IsObject(old) && cJSON_IsObject(it)) {
			if (cfg_merge(old, it) < 0)
				return -1;
			continue;
		}
		copy = cJSON_Duplicate(it, true);
		if (!copy)
			return fb_error("out of memory");
		if (old)
			cJSON_ReplaceItemInObjectCaseSensitive(base, it->string, copy);
		else
			cJSON_AddItemToObject(base, it->string, copy);
	}
	return 0;
}
