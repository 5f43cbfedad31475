/* pathset.c: the uses of files in a run, hashed by the file they resolve to. */
#include "runtime/compat.h"

#include "pathset.h"

#include "outfile.h"
#include "runtime/error.h"

#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* One use of a file. */
struct use {
	bool exists;		/* then dev and ino name the file; else name does */
	dev_t dev;
	ino_t ino;
	char *name;		/* real folder + "/" + the final target's file name */
	char *what, *path;	/* for messages: the use and the path as given */
	enum fb_use kind;
};

/* A frame pattern, as its fixed prefix (real folder + "/" + the file name up to the
 * step), the step's minimum width and the fixed suffix after it. */
struct pattern {
	char *key;
	size_t folder_len;	/* bytes of the key that are the folder and its "/" */
	unsigned width;		/* at least this many digits, and at least 1 */
	char *suffix;
	char *what, *path;
};

/* A hash index over an array of entries kept elsewhere: entry i has hash[i], and the
 * chain of a bucket runs through next[]. Indexes are stored + 1 (0: none). */
struct table {
	size_t *bucket;		/* index + 1 of a bucket's first entry */
	size_t n_buckets;	/* a power of two */
	uint64_t *hash;		/* [i]: entry i's hash, kept for rehashing */
	size_t *next;		/* [i]: index + 1 of the next entry in its bucket */
	size_t n, cap;		/* entries indexed, room in hash[] and next[] */
};

struct fb_pathset {
	struct use *use;
	size_t n_use, cap_use;
	struct table uses;
	struct pattern *pat;
	size_t n_pat, cap_pat;
	struct table pats;
};

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

#define FNV_START 0xcbf29ce484222325ull

static uint64_t use_hash(const struct use *u)
{
	if (u->exists) {
		uint64_t h = fnv(FNV_START, &u->dev, sizeof(u->dev));

		return fnv(h, &u->ino, sizeof(u->ino));
	}
	return fnv(FNV_START, u->name, strlen(u->name));
}

static bool same_file(const struct use *a, const struct use *b)
{
	if (a->exists != b->exists)
		return false;
	if (a->exists)
		return a->dev == b->dev && a->ino == b->ino;
	return strcmp(a->name, b->name) == 0;
}

static void table_free(struct table *t)
{
	free(t->bucket);
	free(t->hash);
	free(t->next);
}

/* The first entry (index + 1) of the bucket hash falls in; follow with t->next. */
static size_t table_first(const struct table *t, uint64_t hash)
{
	return t->n_buckets ? t->bucket[hash & (t->n_buckets - 1)] : 0;
}

/* Indexes the next entry, t->n, under hash: doubles the buckets (rehashing from the
 * kept hashes) when the load would pass one. 0, or -1 after reporting. */
static int table_add(struct table *t, uint64_t hash)
{
	size_t k;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		uint64_t *h = realloc(t->hash, cap * sizeof(*h));
		size_t *nx = h ? realloc(t->next, cap * sizeof(*nx)) : NULL;

		if (h)
			t->hash = h;
		if (!nx)
			return fb_error("out of memory");
		t->next = nx;
		t->cap = cap;
	}
	if (t->n + 1 > t->n_buckets) {
		size_t nb = t->n_buckets ? t->n_buckets * 2 : 64, *b = calloc(nb, sizeof(*b));

		if (!b)
			return fb_error("out of memory");
		for (size_t i = 0; i < t->n; i++) {
			k = (size_t)(t->hash[i] & (nb - 1));
			t->next[i] = b[k];
			b[k] = i + 1;
		}
		free(t->bucket);
		t->bucket = b;
		t->n_buckets = nb;
	}
	k = (size_t)(hash & (t->n_buckets - 1));
	t->hash[t->n] = hash;
	t->next[t->n] = t->bucket[k];
	t->bucket[k] = ++t->n;
	return 0;
}

/* Makes room for one more element in an array of n (of elem bytes) with room for *cap. */
static int grow(void *array, size_t *cap, size_t n, size_t elem)
{
	void **a = array, *bigger;
	size_t c = *cap ? *cap * 2 : 64;

	if (n < *cap)
		return 0;
	bigger = realloc(*a, c * elem);
	if (!bigger)
		return fb_error("out of memory");
	*a = bigger;
	*cap = c;
	return 0;
}

struct fb_pathset *fb_pathset_new(void)
{
	struct fb_pathset *s = calloc(1, sizeof(*s));

	if (!s)
		fb_error("out of memory");
	return s;
}

void fb_pathset_free(struct fb_pathset *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_use; i++) {
		free(s->use[i].name);
		free(s->use[i].what);
		free(s->use[i].path);
	}
	for (size_t i = 0; i < s->n_pat; i++) {
		free(s->pat[i].key);
		free(s->pat[i].suffix);
		free(s->pat[i].what);
		free(s->pat[i].path);
	}
	free(s->use);
	free(s->pat);
	table_free(&s->uses);
	table_free(&s->pats);
	free(s);
}

/* realpath() of the folder of target, plus "/" and target's file name; the folder as
 * given when it cannot be resolved (it does not exist: the output checks say so). */
static char *resolved_name(const char *target)
{
	char *d = strdup(target), *b = strdup(target), real[PATH_MAX], *out = NULL;
	const char *dir, *base;

	if (d && b) {
		const char *folder = dirname(d);	/* may be a static ".", not d */

		dir = realpath(folder, real) ? real : folder;
		base = basename(b);
		out = malloc(strlen(dir) + strlen(base) + 2);
		if (out)
			sprintf(out, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", base);
	}
	free(d);
	free(b);
	if (!out)
		fb_error("out of memory");
	return out;
}

/* True if rest is at least width (and 1) digits followed by exactly suffix. */
static bool matches_rest(const char *rest, unsigned width, const char *suffix)
{
	size_t n = strlen(rest), ns = strlen(suffix), digits;

	if (n < ns || strcmp(rest + n - ns, suffix) != 0)
		return false;
	digits = n - ns;
	if (digits < (width ? width : 1))
		return false;
	for (size_t i = 0; i < digits; i++)
		if (rest[i] < '0' || rest[i] > '9')
			return false;
	return true;
}

/* The pattern that could produce name, or NULL: a look-up of each prefix of name
 * that ends inside its file name. */
static const struct pattern *pattern_for(const struct fb_pathset *s, const char *name)
{
	const char *slash = strrchr(name, '/');
	size_t start = slash ? (size_t)(slash - name) + 1 : 0, len = strlen(name);
	uint64_t h;

	if (!s->n_pat)
		return NULL;
	h = fnv(FNV_START, name, start);
	for (size_t k = start; k <= len; k++) {
		if (k > start)
			h = fnv(h, name + k - 1, 1);
		for (size_t i = table_first(&s->pats, h); i; i = s->pats.next[i - 1]) {
			const struct pattern *p = &s->pat[i - 1];

			if (strlen(p->key) == k && memcmp(p->key, name, k) == 0 &&
			    matches_rest(name + k, p->width, p->suffix))
				return p;
		}
	}
	return NULL;
}

int fb_pathset_add(struct fb_pathset *s, const char *path, enum fb_use kind, const char *what,
		   struct fb_pathset_clash *clash)
{
	struct use u = { .kind = kind };
	const struct pattern *p;
	struct stat st, null;
	char *target;

	/* The null device takes any number of outputs (timing runs write there): nothing
	 * written to it can overwrite anything. */
	if (kind != FB_USE_READ && stat(path, &st) == 0 && S_ISCHR(st.st_mode) &&
	    stat("/dev/null", &null) == 0 && st.st_rdev == null.st_rdev)
		return 0;
	target = fb_output_target(path);
	if (!target)
		return -1;
	if (stat(target, &st) == 0) {
		u.exists = true;
		u.dev = st.st_dev;
		u.ino = st.st_ino;
	}
	u.name = resolved_name(target);
	free(target);
	if (!u.name)
		return -1;
	/* Frames are written as the run goes, so a frame name is an output's. */
	if (kind != FB_USE_FRAME && (p = pattern_for(s, u.name))) {
		free(u.name);
		*clash = (struct fb_pathset_clash){ p->what, p->path, FB_USE_WRITE, true };
		return 1;
	}
	for (size_t i = table_first(&s->uses, use_hash(&u)); i; i = s->uses.next[i - 1]) {
		const struct use *o = &s->use[i - 1];

		if (!same_file(o, &u))
			continue;
		free(u.name);
		if (o->kind == FB_USE_READ && kind == FB_USE_READ)
			return 0;	/* read twice: harmless, and the first use stands */
		*clash = (struct fb_pathset_clash){ o->what, o->path, o->kind, false };
		return 1;
	}
	u.kind = kind == FB_USE_FRAME ? FB_USE_WRITE : kind;
	u.what = strdup(what);
	u.path = strdup(path);
	if (!u.what || !u.path) {
		fb_error("out of memory");
		goto failed;
	}
	if (grow(&s->use, &s->cap_use, s->n_use, sizeof(*s->use)) < 0 ||
	    table_add(&s->uses, use_hash(&u)) < 0)
		goto failed;
	s->use[s->n_use++] = u;
	return 0;
failed:
	free(u.name);
	free(u.what);
	free(u.path);
	return -1;
}

long fb_frame_conversion(const char *pat)
{
	long at = -1;

	for (const char *p = pat; *p; p++) {
		if (*p != '%')
			continue;
		if (p[1] == '%') {
			p++;
			continue;
		}
		if (at >= 0)
			return -1;
		at = p - pat;
		if (p[1] == '0' && p[2] >= '1' && p[2] <= '9' && p[3] == 'd')
			p += 3;
		else if (p[1] == 'd')
			p += 1;
		else
			return -1;
	}
	return at;
}

/* pattern[from, to) with %% read as %; malloc()ed. */
static char *unescape(const char *pattern, size_t from, size_t to)
{
	char *out = malloc(to - from + 1);
	size_t n = 0;

	if (!out)
		return NULL;
	for (size_t i = from; i < to; i++) {
		out[n++] = pattern[i];
		if (pattern[i] == '%' && i + 1 < to && pattern[i + 1] == '%')
			i++;
	}
	out[n] = '\0';
	return out;
}

/* Splits a pattern's file name (base: no '/', one conversion) into the fixed prefix
 * before the step, the step's least width (at least 1) and the fixed suffix after it,
 * %% read as %. *prefix and *suffix are malloc()ed; false when out of memory. */
static bool split_pattern(const char *base, char **prefix, unsigned *width, char **suffix)
{
	long at = fb_frame_conversion(base);
	bool padded = base[at + 1] == '0';

	*width = padded ? (unsigned)(base[at + 2] - '0') : 1;
	*prefix = unescape(base, 0, (size_t)at);
	*suffix = unescape(base, (size_t)at + (padded ? 4 : 2), strlen(base));
	return *prefix && *suffix;
}

bool fb_frame_name_matches(const char *pattern, const char *name)
{
	char *prefix, *suffix;
	unsigned width;
	bool yes = split_pattern(pattern, &prefix, &width, &suffix) &&
		   strncmp(name, prefix, strlen(prefix)) == 0 &&
		   matches_rest(name + strlen(prefix), width, suffix);

	free(prefix);
	free(suffix);
	return yes;
}

int fb_pathset_add_frames(struct fb_pathset *s, const char *pattern, const char *what)
{
	long at = fb_frame_conversion(pattern);
	const char *slash = strrchr(pattern, '/');
	struct pattern p = { 0 };
	char *folder = NULL, *prefix = NULL, *name = NULL;
	int rc = -1;

	if (at < 0 || (slash && slash - pattern > at))
		FB_BUG("frame pattern '%s' not checked", pattern);
	/* The folder resolved as an output's is: the prefix's file name stands in. */
	folder = slash ? strndup(pattern, (size_t)(slash - pattern) + 1) : strdup("");
	p.what = strdup(what);
	p.path = strdup(pattern);
	if (!split_pattern(slash ? slash + 1 : pattern, &prefix, &p.width, &p.suffix) ||
	    !folder || !p.what || !p.path)
		goto oom;
	name = malloc(strlen(folder) + strlen(prefix) + 3);
	if (!name)
		goto oom;
	/* "x" stands for the file name, so that a prefix "" or "." still resolves as a
	 * name in the folder; it is cut off again below. */
	sprintf(name, "%s%sx", folder, prefix);
	p.key = resolved_name(name);
	if (!p.key)
		goto failed;
	p.key[strlen(p.key) - 1] = '\0';
	p.folder_len = strlen(p.key) - strlen(prefix);
	if (grow(&s->pat, &s->cap_pat, s->n_pat, sizeof(*s->pat)) < 0 ||
	    table_add(&s->pats, fnv(FNV_START, p.key, strlen(p.key))) < 0)
		goto failed;
	s->pat[s->n_pat++] = p;
	rc = 0;
	goto out;
oom:
	fb_error("out of memory");
failed:
	free(p.key);
	free(p.suffix);
	free(p.what);
	free(p.path);
out:
	free(folder);
	free(prefix);
	free(name);
	return rc;
}

/* A piece of a frame name: a fixed byte, one digit, or any number of digits. */
struct tok {
	enum { T_BYTE, T_DIGIT, T_DIGITS } kind;
	char c;
};

/* The tokens of a pattern's name from byte `skip` of its key on. */
static size_t tokens(const struct pattern *p, size_t skip, struct tok *t)
{
	size_t n = 0;

	for (const char *c = p->key + skip; *c; c++)
		t[n++] = (struct tok){ T_BYTE, *c };
	for (unsigned i = 0; i < p->width; i++)
		t[n++] = (struct tok){ T_DIGIT, 0 };
	t[n++] = (struct tok){ T_DIGITS, 0 };
	for (const char *c = p->suffix; *c; c++)
		t[n++] = (struct tok){ T_BYTE, *c };
	return n;
}

static bool is_digit_tok(const struct tok *t)
{
	return t->kind != T_BYTE || (t->c >= '0' && t->c <= '9');
}

/* Whether two tokens can read the same byte. */
static bool agree(const struct tok *a, const struct tok *b)
{
	if (a->kind == T_BYTE && b->kind == T_BYTE)
		return a->c == b->c;
	return is_digit_tok(a) && is_digit_tok(b);
}

/* Whether some file name matches both token strings: a search of the pairs of
 * positions, at most (na + 1) x (nb + 1) of them. */
static bool intersect(const struct tok *a, size_t na, const struct tok *b, size_t nb)
{
	size_t w = nb + 1, n = (na + 1) * w, *stack = malloc(n * sizeof(*stack)), top = 0;
	bool *seen = calloc(n, 1), found = false;

	if (!stack || !seen) {
		free(stack);
		free(seen);
		return true;	/* cannot tell: call it a clash rather than risk one */
	}
	stack[top++] = 0;
	seen[0] = true;
	while (top && !found) {
		size_t st = stack[--top], i = st / w, j = st % w, next[4];
		int k = 0;

		if (i == na && j == nb) {
			found = true;
			break;
		}
		/* "Any number of digits" may also be none: step over it. */
		if (i < na && a[i].kind == T_DIGITS)
			next[k++] = (i + 1) * w + j;
		if (j < nb && b[j].kind == T_DIGITS)
			next[k++] = i * w + j + 1;
		if (i < na && j < nb && agree(&a[i], &b[j])) {
			size_t ni = a[i].kind == T_DIGITS ? i : i + 1;
			size_t nj = b[j].kind == T_DIGITS ? j : j + 1;

			next[k++] = ni * w + nj;
		}
		for (int x = 0; x < k; x++)
			if (!seen[next[x]]) {
				seen[next[x]] = true;
				stack[top++] = next[x];
			}
	}
	free(stack);
	free(seen);
	return found;
}

/* True if one of a and b ends the other. */
static bool suffix_related(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);

	return na <= nb ? strcmp(b + nb - na, a) == 0 : strcmp(a + na - nb, b) == 0;
}

/* What two patterns must have to name one file, cheap to test before intersect():
 * pr's prefix (k bytes) is a prefix of pq's; pr's digits start right after it, so pq's
 * byte there, if its prefix goes on, is a digit; and both names end with both
 * suffixes, so one suffix ends the other. */
static bool may_meet(const struct pattern *pr, const struct pattern *pq, size_t k)
{
	char next = pq->key[k];

	if (next && (next < '0' || next > '9'))
		return false;
	return suffix_related(pr->suffix, pq->suffix);
}

int fb_pathset_check_frames(struct fb_pathset *s, const char **a, const char **b)
{
	for (size_t q = 0; q < s->n_pat; q++) {
		const struct pattern *pq = &s->pat[q];
		size_t len = strlen(pq->key);
		uint64_t h = fnv(FNV_START, pq->key, pq->folder_len);

		/* Any pattern whose prefix is a prefix of q's, in the same folder. */
		for (size_t k = pq->folder_len; k <= len; k++) {
			if (k > pq->folder_len)
				h = fnv(h, pq->key + k - 1, 1);
			for (size_t i = table_first(&s->pats, h); i; i = s->pats.next[i - 1]) {
				const struct pattern *pr = &s->pat[i - 1];
				size_t na, nb;
				struct tok *ta, *tb;
				bool clash;

				if (i - 1 == q || strlen(pr->key) != k ||
				    memcmp(pr->key, pq->key, k) != 0 || !may_meet(pr, pq, k))
					continue;
				ta = malloc((strlen(pr->suffix) + pr->width + 2) * sizeof(*ta));
				tb = malloc((len - k + strlen(pq->suffix) + pq->width + 2) *
					    sizeof(*tb));
				if (!ta || !tb) {
					free(ta);
					free(tb);
					*a = pr->what;
					*b = pq->what;
					return 1;
				}
				na = tokens(pr, k, ta);
				nb = tokens(pq, k, tb);
				clash = intersect(ta, na, tb, nb);
				free(ta);
				free(tb);
				if (clash) {
					*a = pr->what;
					*b = pq->what;
					return 1;
				}
			}
		}
	}
	return 0;
}
