/* pathset.h: one notion of "the same file" for every path a run reads or writes.
 *
 * Two paths name the same file when they resolve to it: the same device and inode where
 * the file exists (hard links, symbolic links, "./x" and "x" alike), and the same fully
 * resolved name where it does not yet (its folder through realpath(), a final symbolic
 * link followed to the name it points at). A set holds the uses of a run: outputs (the
 * PNG, the .npy, reports, scale's files), inputs (a filter's PNG, .npy operands) and the
 * config file; any two uses of one file are a clash unless both only read it. Frame
 * name patterns (output.frames) are uses too: a pattern clashes with any name it could
 * produce and with any other pattern that could produce the same name.
 *
 * Every add is a constant number of system calls and hash look-ups (a name is looked up
 * once per byte of its file name against the patterns), so a batch of N jobs is checked
 * in time linear in N.
 */
#ifndef FORKBAND_PATHSET_H
#define FORKBAND_PATHSET_H

#include "runtime/compat.h"

enum fb_use {
	FB_USE_READ,	/* an input or the config: may be read by several uses */
	FB_USE_WRITE,	/* an output: no other use may touch it */
	FB_USE_FRAME,	/* an existing file a frame pattern will replace: an output that
			 * is not checked against the patterns (it is one of their names) */
};

struct fb_pathset;

/* An empty set; NULL after reporting when out of memory. */
struct fb_pathset *fb_pathset_new(void);
void fb_pathset_free(struct fb_pathset *s);

/* The earlier use a new one clashed with; its strings live as long as the set. */
struct fb_pathset_clash {
	const char *what;	/* its description */
	const char *path;	/* its path (or frame pattern) as given */
	enum fb_use use;
	bool frames;		/* a frame pattern that can produce the new name */
};

/* Adds a use of path, described by what ("output.png", "jobs[3].input", "--csv"),
 * which the set copies. Returns 0; 1 when it clashes with an earlier use, described
 * in *clash (nothing is added); -1 after reporting a path that cannot be resolved (a
 * loop of symbolic links, out of memory). Writes to the null device are not recorded:
 * any number of outputs may go there. */
int fb_pathset_add(struct fb_pathset *s, const char *path, enum fb_use use, const char *what,
		   struct fb_pathset_clash *clash);

/* Adds a frame name pattern (one %d or %0Nd in its file name, none in its folder, %%
 * for a percent sign), an output. Patterns are added before any name: a name added
 * later is checked against them (fb_pathset_add()), and they against each other by
 * fb_pathset_check_frames(). Returns 0, or -1 after reporting. */
int fb_pathset_add_frames(struct fb_pathset *s, const char *pattern, const char *what);

/* Checks the patterns added so far against each other: 0, or 1 with *a and *b the
 * descriptions of two patterns that can name the same file. */
int fb_pathset_check_frames(struct fb_pathset *s, const char **a, const char **b);

/* Whether a frame pattern's file name (the part after its last '/') can produce name:
 * its prefix, at least the step's width of digits (and 1), its suffix. */
bool fb_frame_name_matches(const char *pattern_base, const char *name);

/* Where the step goes in a frame pattern: the index of its one %d or %0Nd, or -1 when
 * the pattern has none, several, or another conversion. */
long fb_frame_conversion(const char *pattern);

#endif
