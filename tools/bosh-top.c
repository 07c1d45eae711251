// SPDX-License-Identifier: GPL-2.0-only
/*
 * bosh-top - watch every bosh device's counters live, like vmstat.
 *
 * Reads /sys/kernel/debug/bosh/<device>/stats ("key value" lines) every
 * interval and shows each value with its rate per second: counters
 * (keys ending in "_total") only ever grow, so their rate is the event
 * rate; gauges (pages_resident, pages_backed_up, ...) show a signed rate,
 * how fast memory moves between states while the shrinker works.
 *
 * The stats files are opened, read and closed at every sample, held open
 * (with a reference on the module) only while a sample is read, so an
 * rmmod fails only if it lands in that moment; when the files vanish the
 * module is gone and bosh-top says so and exits 0. Only libc is used, so
 * the tool builds wherever the module does.
 *
 * Exit status: 0 on a normal end (--once, --count, Ctrl-C, module
 * unloaded), 1 on an unexpected error, 2 on bad usage, 3 when bosh is not
 * loaded, 4 when debugfs is not mounted, 5 when the stats are not
 * readable (debugfs and bosh's files are root only).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

/* From <linux/magic.h>; spelled out so that only libc is needed. */
#define DEBUGFS_MAGIC	0x64626720

#define EXIT_USAGE	2
#define EXIT_NOT_LOADED	3
#define EXIT_NO_DEBUGFS	4
#define EXIT_NO_ACCESS	5

#define MAX_KEYS	64
#define MAX_DEVS	32
#define NAME_LEN	64

/* Column widths: a key, then per device its value and its rate. */
#define KEY_W		26
#define VAL_W		14
#define RATE_W		12

struct stat_kv {
	char key[NAME_LEN];
	long long val;
};

struct bosh_dev {
	char name[NAME_LEN];
	int nkeys;
	struct stat_kv kv[MAX_KEYS];
};

/* One sample of every device, and when it was taken. */
struct snapshot {
	int ndevs;
	struct bosh_dev dev[MAX_DEVS];
	struct timespec when;
};

enum scan_result {
	SCAN_OK,
	SCAN_NOT_LOADED,
	SCAN_NO_DEBUGFS,
	SCAN_NO_ACCESS,
	SCAN_ERROR,
};

/* Set by SIGINT/SIGTERM; volatile sig_atomic_t is what C allows there. */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void show_usage(FILE *f)
{
	fprintf(f,
		"usage: bosh-top [--once] [--interval SECONDS] [--count N] [--batch]\n"
		"                [--debugfs DIR]\n"
		"Show every bosh device's counters from DIR/bosh/*/stats with rates\n"
		"per second. DIR is where debugfs is mounted (/sys/kernel/debug).\n"
		"  -1, --once              print one snapshot (values only) and exit\n"
		"  -i, --interval SECONDS  time between samples (default 1, may be 0.5)\n"
		"  -n, --count N           stop after N samples\n"
		"  -b, --batch             append samples instead of redrawing the screen\n"
		"  -d, --debugfs DIR       debugfs mount point\n"
		"Exit status: 0 done (also on Ctrl-C and when bosh is unloaded), 1 error,\n"
		"2 usage, 3 bosh not loaded, 4 debugfs not mounted, 5 no access (root only).\n");
}

static int cmp_names(const void *a, const void *b)
{
	/* strverscmp so that bosh.10 sorts after bosh.9. */
	return strverscmp(((const struct bosh_dev *)a)->name,
			  ((const struct bosh_dev *)b)->name);
}

/**
 * read_stats() - read one device's stats file into @dev
 * @path: the stats file
 * @dev: filled with its keys and values
 *
 * Return: 0, or a negative errno. -ENOENT and -EIO mean the file went
 * away under us (the module is being unloaded); the caller rescans.
 */
static int read_stats(const char *path, struct bosh_dev *dev)
{
	char line[256], key[NAME_LEN];
	long long val;
	FILE *f;
	int err = 0;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	dev->nkeys = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %lld", key, &val) != 2)
			continue;
		if (dev->nkeys == MAX_KEYS)
			break;
		snprintf(dev->kv[dev->nkeys].key, NAME_LEN, "%s", key);
		dev->kv[dev->nkeys].val = val;
		dev->nkeys++;
	}
	if (ferror(f))
		err = -(errno ? errno : EIO);
	fclose(f);
	return err;
}

/**
 * scan() - take a sample of every device under @root/bosh
 * @root: the debugfs mount point
 * @snap: filled with the devices found, sorted by name
 *
 * Tells "debugfs is not mounted" from "bosh is not loaded" (the bosh
 * directory is missing or empty) from "not allowed", because each needs
 * a different fix from the user.
 */
static enum scan_result scan(const char *root, struct snapshot *snap)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct statfs sfs;
	DIR *dir;
	int err;

	snap->ndevs = 0;
	clock_gettime(CLOCK_MONOTONIC, &snap->when);

	if (statfs(root, &sfs))
		return errno == EACCES ? SCAN_NO_ACCESS : SCAN_NO_DEBUGFS;
	if (sfs.f_type != DEBUGFS_MAGIC)
		return SCAN_NO_DEBUGFS;

	snprintf(path, sizeof(path), "%s/bosh", root);
	dir = opendir(path);
	if (!dir) {
		if (errno == ENOENT || errno == ENOTDIR)
			return SCAN_NOT_LOADED;
		return errno == EACCES || errno == EPERM ? SCAN_NO_ACCESS : SCAN_ERROR;
	}
	while ((de = readdir(dir)) && snap->ndevs < MAX_DEVS) {
		struct bosh_dev *dev = &snap->dev[snap->ndevs];

		if (de->d_name[0] == '.' || strlen(de->d_name) >= NAME_LEN)
			continue;
		snprintf(dev->name, NAME_LEN, "%s", de->d_name);
		snprintf(path, sizeof(path), "%s/bosh/%s/stats", root, de->d_name);
		err = read_stats(path, dev);
		if (err == -EACCES || err == -EPERM) {
			closedir(dir);
			return SCAN_NO_ACCESS;
		}
		/* A device without readable stats is one being torn down. */
		if (err || !dev->nkeys)
			continue;
		snap->ndevs++;
	}
	closedir(dir);
	if (!snap->ndevs)
		return SCAN_NOT_LOADED;
	qsort(snap->dev, snap->ndevs, sizeof(snap->dev[0]), cmp_names);
	return SCAN_OK;
}

/* Explains a failed first scan and returns the matching exit status. */
static int report_scan_failure(enum scan_result r, const char *root)
{
	switch (r) {
	case SCAN_NOT_LOADED:
		fprintf(stderr,
			"bosh-top: bosh is not loaded: no devices in %s/bosh/ (modprobe bosh, or insmod kernel/bosh.ko)\n",
			root);
		return EXIT_NOT_LOADED;
	case SCAN_NO_DEBUGFS:
		fprintf(stderr,
			"bosh-top: debugfs is not mounted at %s (mount -t debugfs none %s)\n",
			root, root);
		return EXIT_NO_DEBUGFS;
	case SCAN_NO_ACCESS:
		fprintf(stderr,
			"bosh-top: cannot read %s/bosh/*/stats: bosh's debugfs files are root only (run as root)\n",
			root);
		return EXIT_NO_ACCESS;
	default:
		fprintf(stderr, "bosh-top: cannot read %s/bosh/: %s\n", root,
			strerror(errno));
		return EXIT_FAILURE;
	}
}

static const struct bosh_dev *find_dev(const struct snapshot *snap, const char *name)
{
	int i;

	for (i = 0; snap && i < snap->ndevs; i++)
		if (!strcmp(snap->dev[i].name, name))
			return &snap->dev[i];
	return NULL;
}

static const struct stat_kv *find_key(const struct bosh_dev *dev, const char *key)
{
	int i;

	for (i = 0; dev && i < dev->nkeys; i++)
		if (!strcmp(dev->kv[i].key, key))
			return &dev->kv[i];
	return NULL;
}

static int is_counter(const char *key)
{
	size_t n = strlen(key);

	return n > 6 && !strcmp(key + n - 6, "_total");
}

/* Spelled out rather than magnitude(), which would pull in libm. */
static double magnitude(double x)
{
	return x < 0 ? -x : x;
}

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Formats the rate of @key on @dev since @prev into @buf, or "-". */
static void format_rate(char *buf, size_t len, const struct bosh_dev *dev,
			const struct stat_kv *kv, const struct snapshot *prev,
			double dt)
{
	const struct stat_kv *old = find_key(find_dev(prev, dev->name), kv->key);
	double rate;

	if (!old || dt <= 0) {
		snprintf(buf, len, "-");
		return;
	}
	rate = (kv->val - old->val) / dt;
	if (magnitude(rate) < 0.05)
		rate = 0;
	if (is_counter(kv->key))
		snprintf(buf, len, magnitude(rate) < 100 ? "%.1f" : "%.0f", rate);
	else
		snprintf(buf, len, magnitude(rate) < 100 ? "%+.1f" : "%+.0f", rate);
	if (!strcmp(buf, "+0.0"))
		snprintf(buf, len, "0.0");
}

static int term_width(void)
{
	struct winsize ws;

	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col >= 40)
		return ws.ws_col;
	return 80;
}

/**
 * show() - print one sample
 * @cur: the sample
 * @prev: the sample before it, or NULL (then rates show "-")
 * @with_rates: print the rate columns at all (not for --once)
 *
 * Devices sit side by side, as many as fit the terminal's width, with a
 * row per key, so that two devices' counters can be compared at a glance.
 * Rows follow the order of the first device's stats file, which is the
 * order the kernel documents them in.
 */
static void show(const struct snapshot *cur, const struct snapshot *prev,
		 int with_rates, double interval)
{
	int col_w = VAL_W + (with_rates ? RATE_W : 0);
	int per_row = (term_width() - KEY_W) / col_w;
	double dt = prev ? seconds_between(&prev->when, &cur->when) : 0;
	char stamp[32], rate[32];
	time_t now = time(NULL);
	int first, i, k;

	if (per_row < 1)
		per_row = 1;
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", localtime(&now));
	printf("bosh-top  %s  %d device%s", stamp, cur->ndevs, cur->ndevs == 1 ? "" : "s");
	if (with_rates)
		printf(", every %g s (Ctrl-C quits)", interval);
	printf("\n");

	for (first = 0; first < cur->ndevs; first += per_row) {
		int last = first + per_row < cur->ndevs ? first + per_row : cur->ndevs;
		const struct bosh_dev *lead = &cur->dev[first];

		printf("\n%-*s", KEY_W, "");
		for (i = first; i < last; i++) {
			printf("%*s", VAL_W, cur->dev[i].name);
			if (with_rates)
				printf("%*s", RATE_W, "/s");
		}
		printf("\n");
		for (k = 0; k < lead->nkeys; k++) {
			const char *key = lead->kv[k].key;

			printf("%-*s", KEY_W, key);
			for (i = first; i < last; i++) {
				const struct stat_kv *kv = find_key(&cur->dev[i], key);

				if (!kv) {
					printf("%*s", col_w, "-");
					continue;
				}
				printf("%*lld", VAL_W, kv->val);
				if (with_rates) {
					format_rate(rate, sizeof(rate), &cur->dev[i], kv, prev, dt);
					printf("%*s", RATE_W, rate);
				}
			}
			printf("\n");
		}
	}
	fflush(stdout);
}

static void timespec_add(struct timespec *t, double seconds)
{
	long long ns = t->tv_nsec + (long long)(seconds * 1e9);

	t->tv_sec += ns / 1000000000LL;
	t->tv_nsec = ns % 1000000000LL;
}

/**
 * wait_until() - sleep until @deadline or a quit signal
 *
 * An absolute deadline keeps the samples on a fixed beat however long a
 * redraw takes, and clock_nanosleep() returns early with EINTR when
 * SIGINT arrives (no SA_RESTART), so Ctrl-C is never delayed by a long
 * --interval.
 *
 * Return: 0 when the deadline passed, -1 when asked to stop.
 */
static int wait_until(const struct timespec *deadline)
{
	while (!stop_requested) {
		int err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, deadline, NULL);

		if (!err)
			return 0;
		if (err != EINTR)
			return 0;
	}
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, '1' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ "batch", no_argument, NULL, 'b' },
		{ "debugfs", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *root = "/sys/kernel/debug";
	struct snapshot *cur, *prev, *tmp;
	int once = 0, batch = 0, opt;
	long count = 0, samples;
	double interval = 1.0;
	struct timespec deadline;
	struct sigaction sa;
	enum scan_result r;
	char *end;

	while ((opt = getopt_long(argc, argv, "1i:n:bd:h", longopts, NULL)) != -1) {
		switch (opt) {
		case '1':
			once = 1;
			break;
		case 'i':
			errno = 0;
			interval = strtod(optarg, &end);
			if (errno || *end || end == optarg ||
			    !(interval >= 0.1 && interval <= 86400)) {
				fprintf(stderr,
					"bosh-top: bad --interval '%s' (0.1 to 86400 seconds)\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			errno = 0;
			count = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || count < 1) {
				fprintf(stderr, "bosh-top: bad --count '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'b':
			batch = 1;
			break;
		case 'd':
			root = optarg;
			break;
		case 'h':
			show_usage(stdout);
			return EXIT_SUCCESS;
		default:
			show_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bosh-top: unexpected argument '%s'\n", argv[optind]);
		show_usage(stderr);
		return EXIT_USAGE;
	}
	/* Redrawing only makes sense on a terminal; a pipe gets a log. */
	if (!isatty(STDOUT_FILENO))
		batch = 1;

	cur = calloc(1, sizeof(*cur));
	prev = calloc(1, sizeof(*prev));
	if (!cur || !prev) {
		perror("bosh-top");
		return EXIT_FAILURE;
	}

	r = scan(root, cur);
	if (r != SCAN_OK)
		return report_scan_failure(r, root);
	if (once) {
		show(cur, NULL, 0, interval);
		return EXIT_SUCCESS;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	deadline = cur->when;
	for (samples = 1; ; samples++) {
		if (!batch)
			printf("\033[H\033[2J");
		else if (samples > 1)
			printf("\n");
		show(cur, samples > 1 ? prev : NULL, 1, interval);
		if (count && samples >= count)
			break;

		timespec_add(&deadline, interval);
		if (wait_until(&deadline))
			break;

		tmp = prev;
		prev = cur;
		cur = tmp;
		r = scan(root, cur);
		if (r == SCAN_NOT_LOADED || r == SCAN_NO_DEBUGFS) {
			fprintf(stderr,
				"bosh-top: %s/bosh/*/stats vanished: bosh was unloaded, exiting\n",
				root);
			break;
		}
		if (r != SCAN_OK)
			return report_scan_failure(r, root);
	}
	free(cur);
	free(prev);
	return EXIT_SUCCESS;
}
