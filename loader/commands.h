/* SPDX-License-Identifier: GPL-2.0 */
/* One entry point per `vnetkit <command>`; each lives in loader/cmd_<name>.c. */
#ifndef VNETKIT_COMMANDS_H
#define VNETKIT_COMMANDS_H

int cmd_xdp(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_testbed(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_ring(int argc, char **argv);
int cmd_vhost(int argc, char **argv);
int cmd_export(int argc, char **argv);

#endif
