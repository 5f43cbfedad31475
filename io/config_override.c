/* config_override.c: --set and the other command-line overrides, and the merge of a
 * batch job over its defaults. */
#include "runtime/compat.h"

#include "config_internal.h"

#include "runtime/error.h"

#include <cJSON.h>
#include <string.h>

/* Sets the value at a dotted path, creating objects on the way. */
int cfg_apply_override(const struct fb_override *o, cJSON *job)
{
	char key[256];
	const char *path = o->path;
	cJSON *obj = job, *value;
	int dots = 0;

	/* Each component of the path may create an object: bounded like nesting in a
	 * file, so that nothing after it recurses deeper (a 10,000-part path crashed
	 * under a small stack). */
	for (const char *p = path; *p; p++)
		if (*p == '.' && ++dots >= FB_CONFIG_MAX_DEPTH)
			return fb_error("%s: expected a field path of at most %d parts", o->label,
					FB_CONFIG_MAX_DEPTH);
	value = NULL;
	if (!o->literal && cfg_parse_value(o->label, o->value, &value) < 0)
		return -1;
	if (!value)	/* not JSON: take it as a string, so --set x=histogram works */
		value = cJSON_CreateString(o->value);
	if (!value)
		return fb_error("out of memory");
	for (;;) {
		size_t n = strcspn(path, ".");
		cJSON *next;

		if (n == 0 || n >= sizeof(key)) {
			cJSON_Delete(value);
			return fb_error("%s: expected a field path such as params.max_iter",
					o->label);
		}
		memcpy(key, path, n);
		key[n] = '\0';
		if (path[n] == '\0') {
			if (cJSON_GetObjectItemCaseSensitive(obj, key))
				cJSON_ReplaceItemInObjectCaseSensitive(obj, key, value);
			else
				cJSON_AddItemToObject(obj, key, value);
			return 0;
		}
		next = cJSON_GetObjectItemCaseSensitive(obj, key);
		if (!next) {
			next = cJSON_AddObjectToObject(obj, key);
		} else if (!cJSON_IsObject(next)) {
			cJSON_Delete(value);
			return fb_error("%s: cannot set a field inside '%s', which is %s, not an object",
					o->label, key, cfg_show(next));
		}
		obj = next;
		path += n + 1;
	}
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
