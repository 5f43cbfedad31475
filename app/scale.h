/* scale.h: `forkband scale`, a scaling study of one job. */
#ifndef FORKBAND_SCALE_H
#define FORKBAND_SCALE_H

struct fb_backend;

/* argv[0] is "scale"; the jobs run on be (app/backend.h). Returns the exit status. */
int fb_cmd_scale(int argc, char **argv, const struct fb_backend *be);

#endif
