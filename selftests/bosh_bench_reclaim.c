// SPDX-License-Identifier: GPL-2.0
/*
 * bosh_bench section 8, reclaim of a large BO (issue 26 item 2): what
 * one debugfs shrink call costs on a mapped BO already partly backed up.
 * A backup used to walk the slots from 0 and zap the whole BO's mappings
 * on every call, so a call's cost grew with the BO and reclaiming a BO
 * by small calls was quadratic in its size; it now starts where the last
 * backup stopped and zaps only the chunk it copies.
 *
 * A large BO on bosh.0 and a 64 MiB one on bosh.1 (less in a guest under
 * 512 MiB), each device with its own shrinker and LRU, so a call on one
 * takes pages from that BO only. Both are mapped and every page is
 * faulted in through the mapping (one order-0 page a fault: a chunk is
 * one page, a call of N takes N pages).
 * A repetition restores both, faults every page in again (checking a tag
 * written in each), backs up the first half of each, then times blocks
 * of 1-page and of 128-page calls on each BO, the order alternated; the
 * ratio large / small of the blocks' medians should stay near 1.
 *
 * Then the large BO pushed out completely by 128-page calls against one
 * debugfs evict of it, in turn, the order alternated. writeback is 0: it
 * measures the copy into the store, not the disk.
 */
#define _GNU_SOURCE
#include "bosh_bench.h"

#define RECLAIM_CALLS		15	/* timed calls a block */
#define RECLAIM_SMALL_MB	64

struct rbo {
	int dev, fd, sfd;
	uint32_t h, key;
	uint64_t npages;
	char *map;
};

static uint64_t tag(const struct rbo *b, uint64_t p)
{
	return (uint64_t)b->key << 32 | p;
}

/* Fault in every page through the mapping: write its tag, or check it. */
static uint64_t rbo_touch(struct rbo *b, int write)
{
	uint64_t p, bad = 0;

	for (p = 0; p < b->npages; p++) {
		uint64_t *w = (uint64_t *)(b->map + p * BOSH_PAGE);

		if (write)
			*w = tag(b, p);
		else
			bad += *w != tag(b, p);
	}
	return bad;
}

static int rbo_open(struct rbo *b, int dev, uint64_t npages)
{
	char path[128];

	b->dev = dev;
	b->npages = npages;
	b->key = bosh_key();
	b->fd = bosh_open(dev);
	snprintf(path, sizeof(path), BOSH_DEBUGFS "/bosh.%d/shrink", dev);
	b->sfd = open(path, O_RDWR | O_CLOEXEC);
	if (b->fd < 0 || b->sfd < 0 || bosh_create(b->fd, npages * BOSH_PAGE, &b->h))
		return -1;
	b->map = bosh_mmap(b->fd, b->h, npages * BOSH_PAGE, MAP_SHARED);
	if (b->map == MAP_FAILED)
		return -1;
	rbo_touch(b, 1);
	return 0;
}

static void rbo_close(struct rbo *b)
{
	if (b->map != MAP_FAILED)
		munmap(b->map, b->npages * BOSH_PAGE);
	if (b->sfd >= 0)
		close(b->sfd);
	if (b->fd >= 0)
		close(b->fd);
}

/* All pages resident and mapped again; returns the pages that lost their tag. */
static uint64_t rbo_refill(struct rbo *b)
{
	if (bosh_validate(b->fd, b->h))
		return b->npages;
	return rbo_touch(b, 0);
}

/* Back up the first @target pages (the backup goes from slot 0 after a refill). */
static void rbo_backup_to(struct rbo *b, long target)
{
	char n[24];
	int tries;

	for (tries = 0; tries < 64; tries++) {
		long done = bosh_stat(b->dev, "pages_backed_up");

		if (done < 0 || done >= target)
			return;
		snprintf(n, sizeof(n), "%ld", target - done);
		if (pwrite(b->sfd, n, strlen(n), 0) < 0)
			return;
	}
}

static double call_s(struct rbo *b, const char *n)
{
	double t0 = bosh_now();

	if (pwrite(b->sfd, n, strlen(n), 0) < 0)
		return NAN;
	return bosh_now() - t0;
}

/* Per call size and BO: the block medians and what the calls did. */
struct rfig {
	double us[BENCH_MAX_REPS];
	long calls, taken, visited, zapped;
};

/* RECLAIM_CALLS calls of @n pages: the median in us, the counters' deltas. */
static void rbo_block(struct rbo *b, const char *n, int rep, struct rfig *f)
{
	long t0 = bosh_stat(b->dev, "backed_up_total");
	long v0 = bosh_stat(b->dev, "backup_slots_visited_total");
	long z0 = bosh_stat(b->dev, "backup_pages_zapped_total");
	double tv[RECLAIM_CALLS];
	int i;

	for (i = 0; i < RECLAIM_CALLS; i++)
		tv[i] = call_s(b, n);
	f->us[rep] = sec_median(tv, RECLAIM_CALLS) * 1e6;
	f->calls += RECLAIM_CALLS;
	f->taken += bosh_stat(b->dev, "backed_up_total") - t0;
	f->visited += bosh_stat(b->dev, "backup_slots_visited_total") - v0;
	f->zapped += bosh_stat(b->dev, "backup_pages_zapped_total") - z0;
}

/* The large BO, resident and mapped, pushed out by 128-page calls. */
static double push_by_calls(struct rbo *b, long *calls)
{
	long n = (b->npages + 127) / 128, i;
	double s = 0, t0;

	t0 = bosh_now();
	for (i = 0; i < n; i++)
		if (pwrite(b->sfd, "128", 3, 0) < 0)
			return NAN;
	s += bosh_now() - t0;
	/* A call may skip a locked BO: finish, the stats read not timed. */
	while (bosh_stat(b->dev, "pages_resident") > 0 && i < 2 * n) {
		t0 = bosh_now();
		if (pwrite(b->sfd, "128", 3, 0) < 0)
			return NAN;
		s += bosh_now() - t0;
		i++;
	}
	*calls = i;
	return s;
}

static double push_by_evict(struct rbo *b)
{
	double t0 = bosh_now();

	if (bosh_debugfs_write(b->dev, "evict", "1"))
		return NAN;
	return bosh_now() - t0;
}

static void rfig_report(const char *label, struct rfig *large, struct rfig *small,
			int reps)
{
	double r[BENCH_MAX_REPS];
	char name[96];

	ratios(r, large->us, small->us, reps);
	snprintf(name, sizeof(name), "%s call, large BO (bosh.0)", label);
	tspread(name, large->us, reps, "us/call", NULL);
	snprintf(name, sizeof(name), "%s call, small BO (bosh.1)", label);
	tspread(name, small->us, reps, "us/call", NULL);
	tspread("  ratio: large / small", r, reps, "x", "(goal: below 2)");
	tline("  pages backed up per call, large", (double)large->taken / large->calls,
	      "pages", NULL);
	tline("  slots visited per call, large", (double)large->visited / large->calls,
	      "slots", "(backup_slots_visited_total)");
	tline("  pages zapped per call, large", (double)large->zapped / large->calls,
	      "pages", "(backup_pages_zapped_total)");
	tline("  slots visited per call, small", (double)small->visited / small->calls,
	      "slots", NULL);
}

static void rfig_json(const char *key, struct rfig *large, struct rfig *small, int reps)
{
	double r[BENCH_MAX_REPS];

	ratios(r, large->us, small->us, reps);
	jobj(key);
	jspread("large_us", large->us, reps);
	jspread("small_us", small->us, reps);
	jspread("ratio_large_to_small", r, reps);
	jnum("large_taken_per_call", (double)large->taken / large->calls);
	jnum("large_visited_per_call", (double)large->visited / large->calls);
	jnum("large_zapped_per_call", (double)large->zapped / large->calls);
	jnum("small_taken_per_call", (double)small->taken / small->calls);
	jnum("small_visited_per_call", (double)small->visited / small->calls);
	jnum("small_zapped_per_call", (double)small->zapped / small->calls);
	jend_obj();
}

/* Scans the mm ran on both devices (ours are the debugfs ones). */
static long mm_scans(void)
{
	return bosh_stat(0, "scans_total") - bosh_stat(0, "scans_debugfs_total") +
	       bosh_stat(1, "scans_total") - bosh_stat(1, "scans_debugfs_total");
}

void bench_reclaim(void)
{
	long mem_mb = bosh_meminfo_kib("MemTotal") / 1024, calls[BENCH_MAX_REPS];
	long large_mb = env_long("BENCH_RECLAIM_LARGE_MB", 0), scans0;
	long small_mb = RECLAIM_SMALL_MB;
	double shr[BENCH_MAX_REPS], ev[BENCH_MAX_REPS], pr[BENCH_MAX_REPS];
	static struct rfig f1[2], f128[2];
	int i, reps = bench_reps(1), preps = reps;
	struct rbo large = { .fd = -1, .sfd = -1, .map = MAP_FAILED };
	struct rbo small = large;
	char note[128] = "";
	uint64_t bad = 0;

	/*
	 * 1 GiB unless the guest cannot hold it beside the small BO and
	 * itself: then half of MemTotal, in 64 MiB steps. The small BO
	 * shrinks too in a guest under 512 MiB (make check's short run).
	 */
	if (small_mb > mem_mb / 8)
		small_mb = mem_mb / 8;
	if (large_mb <= 0) {
		large_mb = 1024;
		if (large_mb > mem_mb / 2) {
			large_mb = mem_mb / 2 / 64 * 64;
			if (large_mb < 2 * small_mb)
				large_mb = mem_mb / 2;
			snprintf(note, sizeof(note),
				 " (1 GiB does not fit in MemTotal %ld MiB: half of it)", mem_mb);
		}
	}
	bosh_sysfs_write(0, "writeback", "0");
	bosh_sysfs_write(1, "writeback", "0");
	drop_caches();
	if (rbo_open(&large, 0, large_mb * PAGES_PER_MB) ||
	    rbo_open(&small, 1, small_mb * PAGES_PER_MB)) {
		printf("# reclaim: creating or faulting in the BOs failed: %s\n", strerror(errno));
		rbo_close(&large);
		rbo_close(&small);
		return;
	}
	printf("# reclaim: %ld MiB BO on bosh.0%s, %ld MiB on bosh.1\n", large_mb, note,
	       small_mb);
	scans0 = mm_scans();
	for (i = 0; i < reps; i++) {
		struct rbo *first = i % 2 ? &small : &large;
		struct rbo *second = i % 2 ? &large : &small;

		bad += rbo_refill(&large) + rbo_refill(&small);
		rbo_backup_to(&large, large.npages / 2);
		rbo_backup_to(&small, small.npages / 2);
		rbo_block(first, "1", i, &f1[first == &small]);
		rbo_block(second, "1", i, &f1[second == &small]);
		rbo_block(first, "128", i, &f128[first == &small]);
		rbo_block(second, "128", i, &f128[second == &small]);
	}
	scans0 = mm_scans() - scans0;
	bad += rbo_refill(&small);
	rbo_close(&small);

	for (i = 0; i < preps; i++) {
		if (i % 2) {
			bad += rbo_refill(&large);
			ev[i] = push_by_evict(&large);
		}
		bad += rbo_refill(&large);
		shr[i] = push_by_calls(&large, &calls[i]);
		if (!(i % 2)) {
			bad += rbo_refill(&large);
			ev[i] = push_by_evict(&large);
		}
		if (bench_over_budget(i + 1)) {
			preps = i + 1;
			break;
		}
	}
	bad += rbo_refill(&large);
	rbo_close(&large);
	ratios(pr, shr, ev, preps);

	trow("\n== 8. reclaim of a large BO, writeback off, %d repetitions ==\n", reps);
	trow("   (%ld MiB on bosh.0%s against %ld MiB on bosh.1;\n",
	     large_mb, note, small_mb);
	trow("    a repetition: each BO mapped, every page faulted in, its first half backed\n");
	trow("    up, then blocks of %d debugfs shrink calls on each, the BOs in turn)\n",
	     RECLAIM_CALLS);
	rfig_report("shrink 1-page", &f1[0], &f1[1], reps);
	rfig_report("shrink 128-page", &f128[0], &f128[1], reps);
	tline("  mm scans of bosh meanwhile (not ours)", scans0, "scans", NULL);
	tspread("push out the large BO: 128-page shrink calls", shr, preps, "s", NULL);
	tspread("push out the large BO: one debugfs evict", ev, preps, "s", NULL);
	tspread("  ratio: shrink calls / evict", pr, preps, "x", "(goal: within 2)");
	tline("  content errors (every refill)", bad, "pages", NULL);

	jobj("reclaim");
	jint("large_pages", large_mb * PAGES_PER_MB);
	jint("small_pages", small_mb * PAGES_PER_MB);
	jint("reps", reps);
	jint("calls_per_block", RECLAIM_CALLS);
	rfig_json("call_1", &f1[0], &f1[1], reps);
	rfig_json("call_128", &f128[0], &f128[1], reps);
	jint("mm_scans", scans0);
	jspread("push_out_shrink_s", shr, preps);
	jspread("push_out_evict_s", ev, preps);
	jspread("push_out_ratio_shrink_to_evict", pr, preps);
	jint("push_out_calls", calls[0]);
	jint("content_bad_pages", bad);
	jend_obj();
}
