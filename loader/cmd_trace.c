// SPDX-License-Identifier: GPL-2.0
/* Placeholder until the trace issue lands; owned by that work. */
#include "commands.h"
#include "util.h"

int cmd_trace(int argc, char **argv)
{
	vk_err("trace", "not implemented yet", "a later issue adds it");
	return EXIT_FAIL;
}
