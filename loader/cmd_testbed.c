// SPDX-License-Identifier: GPL-2.0
/* Placeholder: replaced by the gen/testbed work. */
#include "commands.h"
#include "util.h"

int cmd_testbed(int argc, char **argv)
{
	vk_err("testbed", "not implemented yet", "in progress");
	return EXIT_FAIL;
}
