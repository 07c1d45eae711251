// SPDX-License-Identifier: GPL-2.0
/*
 * bosh-swap-speed: the speed of core-mm swap in this kernel, for
 * scripts/swap-speed (issue 15: the debug guest swapped in ~16x slower
 * than the stock one). No bosh involved: a baseline of the kernel itself.
 *
 * usage: bosh-swap-speed [MiB [reps [memfd]]]
 *
 * Each repetition fills MiB of anonymous memory (4 KiB pages), pages it
 * out and waits for the writeback (page-out), pushes the clean swap-cache
 * pages out of RAM (as bosh_bench_swap.c does), then reads one byte a
 * page back (swap-in). With "memfd", a memfd of the same size goes the
 * same way after it. Prints one line a repetition:
 *   SWAPSPEED kind out_MiBps in_MiBps pswpout pswpin
 * and the swap-in's start and end (CLOCK_MONOTONIC seconds):
 *   SWAPSPEED-IN kind start end
 *
 * Page-out is the memory cgroup's proactive reclaim (memory.reclaim of a
 * cgroup of its own), not MADV_PAGEOUT: the debug kernel is tinyconfig
 * based, without CONFIG_ADVISE_SYSCALLS (madvise() is ENOSYS there), and
 * both kernels must take the same path.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define PAGE 4096UL

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A line of /proc/meminfo ("Name:"), in KiB; -1 if missing. */
static long meminfo_kib(const char *name)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	size_t n = strlen(name);
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ':') {
			v = atol(line + n + 1);
			break;
		}
	fclose(f);
	return v;
}

static long vmstat(const char *name)
{
	FILE *f = fopen("/proc/vmstat", "re");
	char key[128];
	long v, r = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%127s %ld", key, &v) == 2)
		if (!strcmp(key, name)) {
			r = v;
			break;
		}
	fclose(f);
	return r;
}

static char cg[128];

static int write_file(const char *path, const char *val)
{
	FILE *f = fopen(path, "we");
	int ret;

	if (!f)
		return -1;
	ret = fputs(val, f) < 0;
	ret |= fclose(f) != 0;
	return ret ? -1 : 0;
}

/* A memory cgroup of our own, with this process in it. */
static int cg_setup(void)
{
	char path[192], pid[32];

	write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
	snprintf(cg, sizeof(cg), "/sys/fs/cgroup/bosh-swap-speed-%d", getpid());
	if (mkdir(cg, 0755) && errno != EEXIST)
		return -1;
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	snprintf(pid, sizeof(pid), "%d", getpid());
	return write_file(path, pid);
}

/* Reclaim the cgroup until @pages more pages went out to swap (or 20 tries). */
static void page_out(long pages)
{
	long target = vmstat("pswpout") + pages * 98 / 100;
	char path[192], amount[32];
	int i;

	snprintf(path, sizeof(path), "%s/memory.reclaim", cg);
	snprintf(amount, sizeof(amount), "%ld", (pages + 256) * (long)PAGE);
	for (i = 0; i < 20 && vmstat("pswpout") < target; i++)
		write_file(path, amount);
}

static void wait_writeback(void)
{
	double t0 = now();

	while (meminfo_kib("Writeback") > 0 && now() - t0 < 300)
		usleep(1000);
}

/* As bosh_bench_swap.c: a child eats memory until SwapCached is gone. */
static void flush_swapcache(void)
{
	long start_cached = meminfo_kib("SwapCached");
	long limit_kb = meminfo_kib("MemFree") + start_cached + 32768;
	pid_t pid;

	if (start_cached < 1024)
		return;
	pid = fork();
	if (pid == 0) {
		size_t step = 8UL << 20, done = 0;
		FILE *f = fopen("/proc/self/oom_score_adj", "we");

		if (f) {
			fputs("1000", f);
			fclose(f);
		}
		while ((long)(done >> 10) < limit_kb) {
			char *p = mmap(NULL, step, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p == MAP_FAILED)
				break;
			madvise(p, step, MADV_NOHUGEPAGE);
			memset(p, 0x5a, step);
			done += step;
			if (meminfo_kib("SwapCached") < 1024 + start_cached / 100)
				break;
		}
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static int run(const char *kind, char *map, size_t len, unsigned int seed)
{
	double mib = len / 1048576.0, t0, out_s, in_s;
	volatile char sink;
	long pswpin, pswpout, bad = 0;
	size_t off;

	for (off = 0; off < len; off += PAGE)
		memset(map + off, (int)((off / PAGE + seed) & 0xff), PAGE);
	sync();
	wait_writeback();
	pswpout = vmstat("pswpout");
	t0 = now();
	page_out(len / PAGE);
	wait_writeback();
	out_s = now() - t0;
	flush_swapcache();
	pswpin = vmstat("pswpin");
	t0 = now();
	for (off = 0; off < len; off += PAGE)
		sink = map[off];
	in_s = now() - t0;
	(void)sink;
	/* CLOCK_MONOTONIC: perf record -k monotonic; perf report --time. */
	printf("SWAPSPEED-IN %s %.6f %.6f\n", kind, t0, t0 + in_s);
	pswpin = vmstat("pswpin") - pswpin;
	for (off = 0; off < len; off += PAGE)
		bad += map[off + PAGE - 1] != (char)((off / PAGE + seed) & 0xff);
	pswpout = vmstat("pswpout") - pswpout;
	printf("SWAPSPEED %s %.2f %.2f %ld %ld\n", kind, mib / out_s, mib / in_s, pswpout, pswpin);
	fflush(stdout);
	return bad ? -1 : 0;
}

int main(int argc, char **argv)
{
	size_t len = (argc > 1 ? strtoul(argv[1], NULL, 0) : 16) << 20;
	int reps = argc > 2 ? atoi(argv[2]) : 1;
	int memfd = argc > 3 && !strcmp(argv[3], "memfd");
	int rep, status = 0;

	if (cg_setup()) {
		fprintf(stderr, "bosh-swap-speed: memory cgroup: %s\n", strerror(errno));
		return 1;
	}

	for (rep = 0; rep < reps; rep++) {
		char *map = mmap(NULL, len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (map == MAP_FAILED)
			return 1;
		/* 4 KiB pages on the stock kernel too (ENOSYS on debug's). */
		madvise(map, len, MADV_NOHUGEPAGE);
		status |= run("anon", map, len, rep);
		munmap(map, len);
		if (memfd) {
			int fd = memfd_create("bosh-swap-speed", MFD_CLOEXEC);

			if (fd < 0 || ftruncate(fd, len))
				return 1;
			map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (map == MAP_FAILED)
				return 1;
			status |= run("memfd", map, len, rep + 100);
			munmap(map, len);
			close(fd);
		}
	}
	return status ? 1 : 0;
}
