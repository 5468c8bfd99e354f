// SPDX-License-Identifier: GPL-2.0
/* Placeholder until the ring issue lands; owned by that work. */
#include "commands.h"
#include "util.h"

int cmd_ring(int argc, char **argv)
{
	vk_err("ring", "not implemented yet", "a later issue adds it");
	return EXIT_FAIL;
}
