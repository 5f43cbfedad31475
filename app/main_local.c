/* main_local.c: forkband, whose jobs run on the fork()ed workers of this machine. */
#include "runtime/compat.h"

#include "backend.h"
#include "main.h"

int main(int argc, char **argv)
{
	return fb_main(argc, argv, &fb_backend_local, "forkband");
}
