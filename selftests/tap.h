/* SPDX-License-Identifier: GPL-2.0 */
/* TAP lines of the C unit tests: CHECK(cond, description). The program
 * defines vkt_failures once and exits 1 when it is not 0. */
#ifndef VNETKIT_TAP_H
#define VNETKIT_TAP_H

#include <stdio.h>

extern int vkt_failures;

#define CHECK(cond, fmt, ...) do {					\
	if (cond)							\
		printf("ok - " fmt "\n", ##__VA_ARGS__);		\
	else {								\
		printf("not ok - " fmt "\n", ##__VA_ARGS__);		\
		vkt_failures++;						\
	}								\
} while (0)

#endif
