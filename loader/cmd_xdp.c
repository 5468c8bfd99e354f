// SPDX-License-Identifier: GPL-2.0
#include "commands.h"
#include "util.h"
int cmd_xdp(int argc, char **argv) { return 1; }
