// SPDX-License-Identifier: GPL-2.0
/* Placeholder until the vhost issue lands; owned by that work. */
#include "commands.h"
#include "util.h"

int cmd_vhost(int argc, char **argv)
{
	vk_err("vhost", "not implemented yet", "a later issue adds it");
	return EXIT_FAIL;
}
