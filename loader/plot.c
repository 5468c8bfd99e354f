// SPDX-License-Identifier: GPL-2.0
/* Plots of the reports (see plot.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "plot.h"
#include "util.h"

/* libbpf-tools style log2 histogram of @nslots buckets, 80 columns. */
void vk_print_log2_hist(FILE *f, const __u64 *hist, int nslots, const char *unit)
{
	int i, lo = -1, hi = -1, j;
	__u64 vmax = 0;

	for (i = 0; i < nslots; i++) {
		if (!hist[i])
			continue;
		if (lo < 0)
			lo = i;
		hi = i;
		if (hist[i] > vmax)
			vmax = hist[i];
	}
	if (lo < 0)
		return;
	fprintf(f, "%24s : count     distribution\n", unit);
	for (i = lo; i <= hi; i++) {
		int stars = (int)(hist[i] * 40 / vmax);
		char bar[41];

		for (j = 0; j < 40; j++)
			bar[j] = j < stars ? '*' : ' ';
		bar[40] = 0;
		fprintf(f, "%11llu -> %-9llu : %-9llu |%s|\n",
			i ? 1ULL << i : 0ULL, (2ULL << i) - 1,
			(unsigned long long)hist[i], bar);
	}
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n > m && !strcmp(s + n - m, suf);
}

int vk_plot_check(const char *path)
{
	char *dup, *slash;
	const char *dir;
	int ret = 0;

	if (!has_suffix(path, ".svg") && !has_suffix(path, ".png")) {
		vk_errf("--plot", "name the file FILE.svg or FILE.png",
			"cannot tell the format of '%s'", path);
		return -1;
	}
	if (strchr(path, '\'')) {
		vk_errf("--plot", "rename it", "a quote in '%s' would break the gnuplot script",
			path);
		return -1;
	}
	dup = strdup(path);
	if (!dup)
		return -1;
	slash = strrchr(dup, '/');
	if (slash == dup)
		dir = "/";
	else if (slash)
		*slash = 0, dir = dup;
	else
		dir = ".";
	if (access(dir, W_OK)) {
		vk_errf("--plot", "create the directory or pick another path",
			"cannot write in '%s': %s", dir, strerror(errno));
		ret = -1;
	}
	free(dup);
	return ret;
}

static int run_gnuplot(const char *script, const char *out)
{
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		vk_errf("--plot", NULL, "cannot start gnuplot: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		if (devnull >= 0)
			dup2(devnull, 1);
		execlp("gnuplot", "gnuplot", script, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
		vk_err("--plot", "gnuplot did not finish", NULL);
	} else if (WEXITSTATUS(status) == 127) {
		vk_err("--plot", "gnuplot not found", "apt-get install gnuplot-nox, or run scripts/setup.sh");
	} else if (WEXITSTATUS(status)) {
		vk_errf("--plot", NULL, "gnuplot failed with status %d writing %s",
			WEXITSTATUS(status), out);
	} else {
		return 0;
	}
	return -1;
}

int vk_chart_write(const struct vk_chart *c)
{
	char dir[] = "/tmp/vnetkit-plot.XXXXXX", dat[VK_CHART_PANELS][64], gp[64];
	int ncol[VK_CHART_PANELS], i, ret = -1;
	FILE *f;

	if (!mkdtemp(dir)) {
		vk_errf("--plot", NULL, "cannot create a temporary directory: %s", strerror(errno));
		return -1;
	}
	snprintf(gp, sizeof(gp), "%s/plot.gp", dir);
	for (i = 0; i < c->npanels; i++) {
		snprintf(dat[i], sizeof(dat[i]), "%s/%d.dat", dir, i);
		f = fopen(dat[i], "w");
		if (!f)
			goto out_io;
		ncol[i] = c->table(f, i, c->arg);
		fclose(f);
	}
	f = fopen(gp, "w");
	if (!f)
		goto out_io;
	fprintf(f, "set terminal %s noenhanced size 900,%d font ',11'\n",
		has_suffix(c->path, ".svg") ? "svg" : "pngcairo", c->npanels > 1 ? 900 : 560);
	fprintf(f, "set output '%s'\n", c->path);
	fprintf(f, "set datafile missing '?'\n%sset grid\n"
		   "set key outside right top\nset xlabel '%s'\n"
		   "set style data linespoints\n", c->logx2 ? "set logscale x 2\n" : "",
		c->xlabel);
	if (c->npanels > 1)
		fprintf(f, "set multiplot layout %d,1 title '%s'\n", c->npanels, c->title);
	for (i = 0; i < c->npanels; i++) {
		if (c->panel[i].title)
			fprintf(f, "set title '%s'\n", c->panel[i].title);
		fprintf(f, "set ylabel '%s'\nset yrange [0:*]\n"
			   "plot for [i=2:%d] '%s' using 1:i title columnhead(i)\n",
			c->panel[i].ylabel, ncol[i] + 1, dat[i]);
	}
	if (c->npanels > 1)
		fprintf(f, "unset multiplot\n");
	fclose(f);
	ret = run_gnuplot(gp, c->path);
	goto out;
out_io:
	vk_errf("--plot", NULL, "cannot write in %s: %s", dir, strerror(errno));
out:
	for (i = 0; i < c->npanels; i++)
		unlink(dat[i]);
	unlink(gp);
	rmdir(dir);
	return ret;
}
