/* json_count.c: a test helper: parses a JSON file with cJSON and prints the length of
 * each top-level array named on the command line ("runs=12"), or fails if the file is
 * not JSON or a name is missing. usage: json_count FILE NAME... */
#include "runtime/compat.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	FILE *f = argc > 1 ? fopen(argv[1], "rb") : NULL;
	char *buf;
	long n;
	cJSON *doc;
	int rc = 0;

	if (!f) {
		fprintf(stderr, "usage: json_count FILE NAME...\n");
		return 2;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "json_count: cannot read %s\n", argv[1]);
		return 2;
	}
	buf[n] = '\0';
	fclose(f);
	doc = cJSON_Parse(buf);
	if (!doc) {
		fprintf(stderr, "json_count: %s is not valid JSON\n", argv[1]);
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(doc, argv[i]);

		if (!cJSON_IsArray(a)) {
			fprintf(stderr, "json_count: %s has no array '%s'\n", argv[1], argv[i]);
			rc = 1;
			continue;
		}
		printf("%s=%d\n", argv[i], cJSON_GetArraySize(a));
	}
	cJSON_Delete(doc);
	free(buf);
	return rc;
}
