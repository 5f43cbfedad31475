/* outfile.c: temporary file, fsync, rename. */
#include "runtime/compat.h"

#include "outfile.h"

#include "runtime/error.h"
#include "runtime/fault.h"
#include "runtime/pool.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The temporary files written and not yet renamed, for fb_outfile_remove_active():
 * a job's outputs are all written before any is renamed. */
#define MAX_ACTIVE 8
static char *volatile active[MAX_ACTIVE];

/* Outputs being written into files without a name (O_TMPFILE): they vanish with the
 * process, and count as removed for fb_outfile_remove_active(). */
static volatile sig_atomic_t unnamed_open;

static bool held;
static sigset_t held_old;

void fb_outfile_hold(void)
{
	sigset_t set;

	if (held)
		return;
	fb_terminating_signals(&set);
	sigprocmask(SIG_BLOCK, &set, &held_old);
	held = true;
}

void fb_outfile_release(void)
{
	if (!held)
		return;
	held = false;
	sigprocmask(SIG_SETMASK, &held_old, NULL);
}

static void set_active(const char *old, char *tmp)
{
	for (int i = 0; i < MAX_ACTIVE; i++)
		if (active[i] == old) {
			active[i] = tmp;
			return;
		}
	if (tmp)
		FB_BUG("more than %d outputs written at once", MAX_ACTIVE);
}

char *fb_output_target(const char *path)
{
	char *cur = strdup(path);

	if (!cur)
		return fb_error("out of memory"), NULL;
	/* Follow the chain of links by hand, a bounded number of steps, so that a link to a
	 * file that does not exist yet names where to create it (realpath() would fail). */
	for (int hops = 0; hops < 40; hops++) {	/* Linux's own limit, MAXSYMLINKS */
		char link[PATH_MAX], *next, *dcopy;
		struct stat st;
		ssize_t n;

		if (lstat(cur, &st) < 0 || !S_ISLNK(st.st_mode))
			return cur;
		n = readlink(cur, link, sizeof(link) - 1);
		if (n < 0) {
			fb_error_errno("cannot follow the symbolic link '%s'", path);
			free(cur);
			return NULL;
		}
		link[n] = '\0';
		dcopy = strdup(cur);
		next = dcopy ? malloc(strlen(dcopy) + (size_t)n + 2) : NULL;
		if (!next) {
			free(dcopy);
			free(cur);
			return fb_error("out of memory"), NULL;
		}
		if (link[0] == '/')
			strcpy(next, link);
		else
			sprintf(next, "%s/%s", dirname(dcopy), link);
		free(dcopy);
		free(cur);
		cur = next;
	}
	fb_error("'%s': too many levels of symbolic links", path);
	free(cur);
	return NULL;
}

bool fb_outfile_remove_active(void)
{
	bool removed = false;

	for (int i = 0; i < MAX_ACTIVE; i++) {
		char *tmp = active[i];

		if (tmp && unlink(tmp) == 0)
			removed = true;
	}
	return removed || unnamed_open > 0;
}

bool fb_output_is_direct(const char *path)
{
	struct stat st;

	/* stat() follows links and does not open: a FIFO cannot block here. */
	return strcmp(path, "-") == 0 ||
	       (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode));
}

static void release(struct fb_outfile *o)
{
	if (o->tmp && !o->unnamed)
		set_active(o->tmp, NULL);
	if (o->unnamed)
		unnamed_open--;
	free(o->path);
	free(o->tmp);
	o->path = o->tmp = NULL;
	o->f = NULL;
	o->unnamed = false;
	o->direct = false;
}

/* Standard output or an existing device or FIFO: written in place (outfile.h). */
static int open_direct(struct fb_outfile *o, const char *path)
{
	bool out = strcmp(path, "-") == 0;
	int fd = out ? fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3) :
		 open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return fb_error_errno("cannot write '%s'", out ? "standard output" : path);
	o->path = strdup(out ? "standard output" : path);
	o->f = o->path ? fdopen(fd, "wb") : NULL;
	if (!o->f) {
		close(fd);
		release(o);
		return fb_error("out of memory");
	}
	o->direct = true;
	return 0;
}

/* A regular file (or none yet): a temporary file beside it, renamed over it later. */
static int open_replacing(struct fb_outfile *o, const char *path)
{
	char *target = fb_output_target(path);
	char *dcopy = target ? strdup(target) : NULL, *bcopy = target ? strdup(target) : NULL;
	const char *dir;
	size_t len = (target ? strlen(target) : 0) + 32;
	sigset_t term, old;
	struct stat st;
	mode_t mask;
	int fd;

	if (!target)
		return -1;
	o->path = target;
	o->tmp = malloc(len);
	if (!dcopy || !bcopy || !o->tmp) {
		free(dcopy);
		free(bcopy);
		release(o);
		return fb_error("out of memory");
	}
	dir = dirname(dcopy);	/* may return a static "." rather than dcopy */
	snprintf(o->tmp, len, "%s/.%s.XXXXXX", dir, basename(bcopy));
	/* Where the system allows, the file has no name until it is finished: a run
	 * killed meanwhile, even by SIGKILL, leaves nothing behind (a streamed job writes
	 * its outputs from the start). */
	fd = access("/proc/self/fd", X_OK) == 0 ?
	     open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600) : -1;
	free(dcopy);
	free(bcopy);
	if (fd >= 0) {
		o->unnamed = true;
		unnamed_open++;
	} else {
		/* The file and its record for fb_outfile_remove_active() come into being
		 * together: an interrupt between the two would leave the file behind. */
		fb_terminating_signals(&term);
		sigprocmask(SIG_BLOCK, &term, &old);
		fd = mkstemp(o->tmp);
		if (fd >= 0) {
			fb_fault_point("after-mkstemp");
			set_active(NULL, o->tmp);
		}
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	if (fd < 0) {
		fb_error_errno("cannot create a temporary file for '%s'", path);
		free(o->tmp);
		o->tmp = NULL;
		release(o);
		return -1;
	}
	if (stat(target, &st) == 0) {
		/* Replacing a file keeps its mode, and its owner and group where this
		 * process may set them (root; or a group it belongs to). */
		if (fchown(fd, st.st_uid, st.st_gid) != 0 && fchown(fd, (uid_t)-1, st.st_gid) != 0) {
			/* not ours to give away: the file stays this process's */
		}
		fchmod(fd, st.st_mode & 07777);
	} else {
		/* mkstemp makes 0600; give the file the mode a plain open() would have. */
		mask = umask(0);
		umask(mask);
		fchmod(fd, 0666 & ~mask);
	}
	o->f = fdopen(fd, "wb");
	if (!o->f) {
		fb_error_errno("cannot write '%s'", path);
		close(fd);
		if (!o->unnamed)
			unlink(o->tmp);
		release(o);
		return -1;
	}
	return 0;
}

int fb_outfile_open(struct fb_outfile *o, const char *path)
{
	memset(o, 0, sizeof(*o));
	if (fb_output_is_direct(path))
		return open_direct(o, path);
	return open_replacing(o, path);
}

/* Makes the rename itself durable: fsync() of the folder that holds path. Best effort:
 * the file is complete and in place whatever this returns, and some file systems
 * refuse to sync a folder. */
static void sync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd;

	if (!copy)
		return;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

/* Gives the unnamed file of o its temporary name (o->tmp, made unique as mkstemp()
 * would): the name and its record for fb_outfile_remove_active() come into being
 * together. 0, or -1 with errno set. */
static int link_unnamed(struct fb_outfile *o, int fd)
{
	static const char letters[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	char proc[64], *x = o->tmp + strlen(o->tmp) - 6;
	uint64_t r = fb_now_ns() ^ ((uint64_t)getpid() << 32);
	sigset_t term, old;
	int rc = -1;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	fb_terminating_signals(&term);
	sigprocmask(SIG_BLOCK, &term, &old);
	for (int attempt = 0; attempt < 100 && rc < 0; attempt++) {
		for (int i = 0; i < 6; i++, r = r * 6364136223846793005u + 1442695040888963407u)
			x[i] = letters[(r >> 33) % (sizeof(letters) - 1)];
		rc = linkat(AT_FDCWD, proc, AT_FDCWD, o->tmp, AT_SYMLINK_FOLLOW);
		if (rc < 0 && errno != EEXIST)
			break;
	}
	if (rc == 0) {
		o->unnamed = false;
		unnamed_open--;
		fb_fault_point("after-mkstemp");
		set_active(NULL, o->tmp);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int fb_outfile_finish(struct fb_outfile *o)
{
	int rc = 0;

	if (!o->f)
		return 0;
	/* A pipe or a terminal has nothing to sync (fsync() fails with EINVAL there). */
	if (fflush(o->f) != 0 || ferror(o->f) || (!o->direct && fsync(fileno(o->f)) != 0))
		rc = fb_error_errno("cannot write '%s'", o->path);
	if (rc == 0 && o->unnamed && link_unnamed(o, fileno(o->f)) < 0)
		rc = fb_error_errno("cannot create a temporary file for '%s'", o->path);
	if (fclose(o->f) != 0 && rc == 0)
		rc = fb_error_errno("cannot write '%s'", o->path);
	o->f = NULL;
	if (rc != 0)
		fb_outfile_abort(o);
	return rc;
}

int fb_outfile_rename(struct fb_outfile *o)
{
	bool direct = o->direct;	/* finishing releases o's file, not its flags */
	int rc = 0;

	if (fb_outfile_finish(o) < 0)
		return -1;
	fb_outfile_hold();
	if (direct) {
		/* Already where it goes: nothing to rename. */
	} else if (rename(o->tmp, o->path) != 0) {
		rc = fb_error_errno("cannot rename '%s' to '%s'", o->tmp, o->path);
		unlink(o->tmp);
	} else {
		fb_fault_point("after-rename");
		sync_dir(o->path);
	}
	release(o);
	return rc;
}

int fb_outfile_commit(struct fb_outfile *o)
{
	bool was_held = held;
	int rc = fb_outfile_rename(o);

	if (!was_held)
		fb_outfile_release();
	return rc;
}

void fb_outfile_abort(struct fb_outfile *o)
{
	if (o->f)
		fclose(o->f);
	if (o->tmp && !o->unnamed)
		unlink(o->tmp);
	release(o);
}

int fb_outfile_prepare_bytes(struct fb_outfile *o, const char *path, const void *data,
			     size_t len)
{
	if (fb_outfile_open(o, path) < 0)
		return -1;
	if (len && fwrite(data, 1, len, o->f) != len) {
		fb_error_errno("cannot write '%s'", path);
		fb_outfile_abort(o);
		return -1;
	}
	return fb_outfile_finish(o);
}

int fb_write_bytes(const char *path, const void *data, size_t len)
{
	struct fb_outfile out;

	if (fb_outfile_prepare_bytes(&out, path, data, len) < 0)
		return -1;
	return fb_outfile_commit(&out);
}

int fb_write_text(const char *path, const char *text)
{
	struct fb_outfile out;

	if (fb_outfile_open(&out, path) < 0)
		return -1;
	if (fputs(text, out.f) == EOF || fputc('\n', out.f) == EOF) {
		fb_error_errno("cannot write '%s'", path);
		fb_outfile_abort(&out);
		return -1;
	}
	return fb_outfile_commit(&out);
}
