/* outfile.c: temporary file, fsync, rename. */
#include "runtime/compat.h"

#include "outfile.h"

#include "runtime/error.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void release(struct fb_outfile *o)
{
	free(o->path);
	free(o->tmp);
	o->path = o->tmp = NULL;
	o->f = NULL;
}

int fb_outfile_open(struct fb_outfile *o, const char *path)
{
	char *dcopy = strdup(path), *bcopy = strdup(path);
	size_t len = strlen(path) + 32;
	mode_t mask;
	int fd;

	memset(o, 0, sizeof(*o));
	o->path = strdup(path);
	o->tmp = malloc(len);
	if (!dcopy || !bcopy || !o->path || !o->tmp) {
		free(dcopy);
		free(bcopy);
		release(o);
		return fb_error("out of memory");
	}
	snprintf(o->tmp, len, "%s/.%s.XXXXXX", dirname(dcopy), basename(bcopy));
	free(dcopy);
	free(bcopy);
	fd = mkstemp(o->tmp);
	if (fd < 0) {
		fb_error_errno("cannot create a temporary file for '%s'", path);
		release(o);
		return -1;
	}
	/* mkstemp makes 0600; give the file the mode a plain open() would have. */
	mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	o->f = fdopen(fd, "wb");
	if (!o->f) {
		fb_error_errno("cannot write '%s'", path);
		close(fd);
		unlink(o->tmp);
		release(o);
		return -1;
	}
	return 0;
}

int fb_outfile_commit(struct fb_outfile *o)
{
	int rc = 0;

	if (fflush(o->f) != 0 || ferror(o->f) || fsync(fileno(o->f)) != 0)
		rc = fb_error_errno("cannot write '%s'", o->path);
	if (fclose(o->f) != 0 && rc == 0)
		rc = fb_error_errno("cannot write '%s'", o->path);
	o->f = NULL;
	if (rc == 0 && rename(o->tmp, o->path) != 0)
		rc = fb_error_errno("cannot rename '%s' to '%s'", o->tmp, o->path);
	if (rc != 0)
		unlink(o->tmp);
	release(o);
	return rc;
}

void fb_outfile_abort(struct fb_outfile *o)
{
	if (o->f)
		fclose(o->f);
	if (o->tmp)
		unlink(o->tmp);
	release(o);
}
