/* scale.h: `forkband scale`, a scaling study of one job. */
#ifndef FORKBAND_SCALE_H
#define FORKBAND_SCALE_H

/* argv[0] is "scale". Returns the exit status. */
int fb_cmd_scale(int argc, char **argv);

#endif
