/* SPDX-License-Identifier: GPL-2.0 */
/* Plots of the reports: log2 histograms in text, charts through gnuplot. */
#ifndef VNETKIT_PLOT_H
#define VNETKIT_PLOT_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

/* libbpf-tools style log2 histogram of nslots buckets, 80 columns. */
void vk_print_log2_hist(FILE *f, const __u64 *hist, int nslots, const char *unit);

/* --plot FILE, checked before the run: FILE.svg or FILE.png, no quote
 * (gnuplot's string syntax), in a directory we may write in. 0, or -1 with
 * the usage error printed. */
int vk_plot_check(const char *path);

#define VK_CHART_PANELS 2

/* Panels stacked vertically, each a table of series against x. */
struct vk_chart {
	const char *path;		/* checked by vk_plot_check() */
	const char *title;		/* over the panels; NULL with one panel */
	const char *xlabel;
	bool logx2;			/* x in powers of two */
	int npanels;
	struct {
		const char *title;	/* may be NULL */
		const char *ylabel;
	} panel[VK_CHART_PANELS];
	/* Writes panel's table: a header "x name name..." then one line per
	 * x, "?" where a series has no value; returns how many series. */
	int (*table)(FILE *f, int panel, void *arg);
	void *arg;
};

/* Writes c->path with gnuplot (SVG or PNG by its suffix), through a
 * temporary directory it removes. 0, or -1 with the error printed. */
int vk_chart_write(const struct vk_chart *c);

#endif
