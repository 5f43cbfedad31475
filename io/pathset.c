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
	size_t next;		/* the next use in its bucket, + 1 (0: none) */
};

/* A frame pattern, as its fixed prefix (real folder + "/" + the file name up to the
 * step), the step's minimum width and the fixed suffix after it. */
struct pattern {
	char *key;
	size_t folder_len;	/* bytes of the key that are the folder and its "/" */
	unsigned width;		/* at least this many digits, and at least 1 */
	char *suffix;
	char *what, *path;
	size_t next;
};

struct table {
	size_t *bucket;		/* index + 1 of the first entry, 0: empty */
	size_t n_buckets;	/* a power of two */
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
	free(s->uses.bucket);
	free(s->pats.bucket);
	free(s);
}

/* Makes room for one more entry in a table holding n: doubles the buckets (and
 * rehashes the n entries, through hash_of and next_of) when the load would pass one. */
static int table_grow(struct table *t, size_t n, uint64_t (*hash_of)(void *, size_t),
		      void *owner, size_t *(*next_of)(void *, size_t))
{
	size_t nb = t->n_buckets ? t->n_buckets * 2 : 64, *b;

	if (n + 1 <= t->n_buckets)
		return 0;
	b = calloc(nb, sizeof(*b));
	if (!b)
		return fb_error("out of memory");
	for (size_t i = 0; i < n; i++) {
		size_t k = (size_t)(hash_of(owner, i) & (nb - 1));

		*next_of(owner, i) = b[k];
		b[k] = i + 1;
	}
	free(t->bucket);
	t->bucket = b;
	t->n_buckets = nb;
	return 0;
}

static uint64_t use_hash_at(void *s, size_t i)
{
	return use_hash(&((struct fb_pathset *)s)->use[i]);
}

static size_t *use_next_at(void *s, size_t i)
{
	return &((struct fb_pathset *)s)->use[i].next;
}

static uint64_t pat_hash_at(void *s, size_t i)
{
	const char *k = ((struct fb_pathset *)s)->pat[i].key;

	return fnv(FNV_START, k, strlen(k));
}

static size_t *pat_next_at(void *s, size_t i)
{
	return &((struct fb_pathset *)s)->pat[i].next;
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
		for (size_t i = s->pats.bucket[h & (s->pats.n_buckets - 1)]; i; i = s->pat[i - 1].next) {
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
	struct stat st;
	char *target;

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
	for (size_t i = s->n_use ? s->uses.bucket[use_hash(&u) & (s->uses.n_buckets - 1)] : 0; i;
	     i = s->use[i - 1].next) {
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
	if (!u.what || !u.path || s->n_use == SIZE_MAX / sizeof(*s->use) / 2)
		goto oom;
	if (s->n_use == s->cap_use) {
		size_t cap = s->cap_use ? s->cap_use * 2 : 64;
		struct use *bigger = realloc(s->use, cap * sizeof(*bigger));

		if (!bigger)
			goto oom;
		s->use = bigger;
		s->cap_use = cap;
	}
	if (table_grow(&s->uses, s->n_use, use_hash_at, s, use_next_at) < 0)
		goto failed;
	{
		size_t k = (size_t)(use_hash(&u) & (s->uses.n_buckets - 1));

		u.next = s->uses.bucket[k];
		s->use[s->n_use] = u;
		s->uses.bucket[k] = ++s->n_use;
	}
	return 0;
oom:
	fb_error("out of memory");
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

bool fb_frame_name_matches(const char *pattern, const char *name)
{
	long at = fb_frame_conversion(pattern);
	unsigned width = pattern[at + 1] == '0' ? (unsigned)(pattern[at + 2] - '0') : 1;
	char *prefix = unescape(pattern, 0, (size_t)at);
	char *suffix = unescape(pattern, (size_t)at + (pattern[at + 1] == '0' ? 4 : 2),
				strlen(pattern));
	bool yes = prefix && suffix && strncmp(name, prefix, strlen(prefix)) == 0 &&
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
	p.width = pattern[at + 1] == '0' ? (unsigned)(pattern[at + 2] - '0') : 1;
	/* The folder resolved as an output's is: the prefix's file name stands in. */
	folder = slash ? strndup(pattern, (size_t)(slash - pattern) + 1) : strdup("");
	prefix = unescape(pattern, slash ? (size_t)(slash - pattern) + 1 : 0, (size_t)at);
	p.suffix = unescape(pattern, (size_t)at + (pattern[at + 1] == '0' ? 4 : 2),
			    strlen(pattern));
	p.what = strdup(what);
	p.path = strdup(pattern);
	if (!folder || !prefix || !p.suffix || !p.what || !p.path)
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
	if (s->n_pat == s->cap_pat) {
		size_t cap = s->cap_pat ? s->cap_pat * 2 : 16;
		struct pattern *bigger = realloc(s->pat, cap * sizeof(*bigger));

		if (!bigger)
			goto oom;
		s->pat = bigger;
		s->cap_pat = cap;
	}
	if (table_grow(&s->pats, s->n_pat, pat_hash_at, s, pat_next_at) < 0)
		goto failed;
	{
		size_t k = (size_t)(fnv(FNV_START, p.key, strlen(p.key)) & (s->pats.n_buckets - 1));

		p.next = s->pats.bucket[k];
		s->pat[s->n_pat] = p;
		s->pats.bucket[k] = ++s->n_pat;
	}
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
			for (size_t i = s->pats.bucket[h & (s->pats.n_buckets - 1)]; i;
			     i = s->pat[i - 1].next) {
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
