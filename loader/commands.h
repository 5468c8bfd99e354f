/* SPDX-License-Identifier: GPL-2.0 */
/* One entry point per `vnetkit <command>`; each lives in loader/cmd_<name>.c
 * with the table of its options (cli.h). */
#ifndef VNETKIT_COMMANDS_H
#define VNETKIT_COMMANDS_H

#include "cli.h"

int cmd_xdp(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_testbed(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_ring(int argc, char **argv);
int cmd_vhost(int argc, char **argv);
int cmd_export(int argc, char **argv);

extern const struct vk_cmd_spec testbed_spec;
extern const struct vk_cmd_spec ring_spec;
extern const struct vk_cmd_spec trace_spec;
extern const struct vk_cmd_spec export_spec;
extern const struct vk_cmd_spec xdp_spec;
extern const struct vk_cmd_spec gen_spec;
extern const struct vk_cmd_spec vhost_spec;

#endif
