// SPDX-License-Identifier: GPL-2.0
/*
 * Coverage feedback for bosh_fuzz (-K measures, -G is guided by it).
 *
 * kcov traces the fuzzing thread's own kernel PCs (the debug kernel has
 * CONFIG_KCOV with only bosh instrumented, BOSH_COVERAGE=y). A PC is kept
 * when it lies in bosh's text, made relative to /sys/module/bosh/sections/
 * .text (the module moves on every load), and an edge is a pair of
 * consecutive kept PCs within one op. What kswapd, bosh's workqueue, the
 * fence timers and the op_threads helpers run is not this thread's and is
 * not seen.
 *
 * Guided mode runs programs of FZ_PROG_LEN steps; a step is an op and the
 * seed of its own choices, as in the blind fuzzer. A program that found a
 * new edge joins the corpus; the next program is a fresh one (one time in
 * two, or while the corpus is empty) or a corpus program mutated (half the
 * time one of the eight newest): one step replaced by any op (drawn
 * alike, so the rare ones get their turn), one step's choices redrawn, a tail spliced from another corpus program, or a fresh step
 * inserted. Every op still runs against the model and is checked as in
 * blind mode; only the choice of ops differs.
 */
#include <fcntl.h>
#include <linux/kcov.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bosh_fuzz.h"

#define FZ_KCOV_WORDS	(1UL << 18)	/* PCs one op may record */
#define FZ_EDGE_BITS	20
#define FZ_PROG_LEN	8
#define FZ_CORPUS	1024

static struct {
	int fd;
	unsigned long *area;
	unsigned long text, lo, hi;	/* bosh's .text; [lo, hi) is its code */
	uint8_t edge[1UL << (FZ_EDGE_BITS - 3)];
	uint8_t pc[1UL << (FZ_EDGE_BITS - 3)];
	uint64_t edges, pcs, dropped;
} kc = { .fd = -1 };

static struct fz_prog {
	unsigned int op[FZ_PROG_LEN];
	uint64_t sub[FZ_PROG_LEN];
} corpus[FZ_CORPUS], cur;
static unsigned int ncorpus, cur_pos = FZ_PROG_LEN;
static uint64_t cur_new;

static unsigned long fz_read_hex(const char *path)
{
	unsigned long v = 0;
	FILE *f = fopen(path, "re");

	if (f) {
		if (fscanf(f, "%lx", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/* The span of bosh's code: its lowest and highest text symbols. */
static void fz_kcov_span(void)
{
	char line[512], type, name[256], mod[64];
	unsigned long a;
	FILE *f = fopen("/proc/kallsyms", "re");

	kc.lo = ~0UL;
	kc.hi = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx %c %255s [%63[^]]]", &a, &type, name, mod) != 4 ||
		    strcmp(mod, "bosh") || (type != 't' && type != 'T'))
			continue;
		if (a < kc.lo)
			kc.lo = a;
		if (a > kc.hi)
			kc.hi = a;
	}
	if (f)
		fclose(f);
	/* The last function's own length: generous, PCs past it are none. */
	kc.hi += 64 * 1024;
}

bool fz_kcov_open(void)
{
	kc.text = fz_read_hex("/sys/module/bosh/sections/.text");
	fz_kcov_span();
	if (!kc.text || kc.lo > kc.text) {
		printf("# kcov: bosh's text not found (root, and bosh loaded?)\n");
		return false;
	}
	kc.fd = open("/sys/kernel/debug/kcov", O_RDWR);
	if (kc.fd < 0) {
		printf("# kcov: /sys/kernel/debug/kcov: %s (no CONFIG_KCOV)\n", strerror(errno));
		return false;
	}
	if (ioctl(kc.fd, KCOV_INIT_TRACE, FZ_KCOV_WORDS))
		fz_fail("KCOV_INIT_TRACE: %s", strerror(errno));
	kc.area = mmap(NULL, FZ_KCOV_WORDS * sizeof(unsigned long),
		       PROT_READ | PROT_WRITE, MAP_SHARED, kc.fd, 0);
	if (kc.area == MAP_FAILED)
		fz_fail("kcov mmap: %s", strerror(errno));
	if (ioctl(kc.fd, KCOV_ENABLE, KCOV_TRACE_PC))
		fz_fail("KCOV_ENABLE: %s", strerror(errno));
	printf("# kcov: bosh .text at %#lx, code %#lx..%#lx\n", kc.text, kc.lo, kc.hi);
	return true;
}

void fz_kcov_close(void)
{
	if (kc.fd < 0)
		return;
	ioctl(kc.fd, KCOV_DISABLE, 0);
	munmap(kc.area, FZ_KCOV_WORDS * sizeof(unsigned long));
	close(kc.fd);
	kc.fd = -1;
}

void fz_kcov_begin(void)
{
	if (kc.fd >= 0)
		__atomic_store_n(&kc.area[0], 0, __ATOMIC_RELAXED);
}

static bool fz_bit_set(uint8_t *map, uint64_t h)
{
	uint64_t i = h >> (64 - FZ_EDGE_BITS);
	uint8_t m = 1u << (i & 7);

	if (map[i >> 3] & m)
		return false;
	map[i >> 3] |= m;
	return true;
}

/* The op just run: its new edges and PCs go into the maps. */
uint64_t fz_kcov_end(void)
{
	unsigned long n, i, pc, prev = 0;
	uint64_t found = 0;

	if (kc.fd < 0)
		return 0;
	n = __atomic_load_n(&kc.area[0], __ATOMIC_RELAXED);
	if (n >= FZ_KCOV_WORDS) {
		kc.dropped += n - (FZ_KCOV_WORDS - 1);
		n = FZ_KCOV_WORDS - 1;
	}
	for (i = 1; i <= n; i++) {
		pc = kc.area[i];
		if (pc < kc.lo || pc >= kc.hi)
			continue;
		pc -= kc.text;
		if (fz_bit_set(kc.pc, bosh_mix(pc)))
			kc.pcs++;
		if (fz_bit_set(kc.edge, bosh_mix(prev * 0x9e3779b97f4a7c15ULL ^ pc))) {
			kc.edges++;
			found++;
		}
		prev = pc;
	}
	return found;
}

void fz_kcov_report(const char *mode, bool last)
{
	if (kc.fd < 0)
		return;
	printf("%skcov: mode %s seed %" PRIu64 " ops %" PRIu64 " edges %" PRIu64 " pcs %" PRIu64
	       " corpus %u%s\n", last ? "" : "# ", mode, fz.seed, fz.ops, kc.edges, kc.pcs,
	       ncorpus, kc.dropped ? " (trace buffer overflowed)" : "");
}

/* ---- the guided mode's programs ---------------------------------------- */

static void fz_prog_fresh(struct fz_prog *p)
{
	unsigned int i;

	for (i = 0; i < FZ_PROG_LEN; i++)
		fz_fresh_step(&p->op[i], &p->sub[i]);
}

static void fz_prog_mutate(struct fz_prog *p)
{
	unsigned int i = rnd_main(FZ_PROG_LEN), k;
	unsigned int op;

	switch (rnd_main(4)) {
	case 0:		/* one step replaced, by any op: rare ones too */
		p->op[i] = fz_any_op();
		p->sub[i] = rnd_main(0);
		break;
	case 1:		/* the same op, other choices */
		fz_fresh_step(&op, &p->sub[i]);
		break;
	case 2:		/* a tail from another program */
		k = rnd_main(ncorpus);
		memcpy(&p->op[i], &corpus[k].op[i], (FZ_PROG_LEN - i) * sizeof(p->op[0]));
		memcpy(&p->sub[i], &corpus[k].sub[i], (FZ_PROG_LEN - i) * sizeof(p->sub[0]));
		break;
	default:	/* a fresh step inserted */
		memmove(&p->op[i + 1], &p->op[i], (FZ_PROG_LEN - 1 - i) * sizeof(p->op[0]));
		memmove(&p->sub[i + 1], &p->sub[i], (FZ_PROG_LEN - 1 - i) * sizeof(p->sub[0]));
		fz_fresh_step(&p->op[i], &p->sub[i]);
		break;
	}
}

/*
 * Half the time one of the newest programs: what found the latest edges
 * is nearest the code not reached yet. (Only while the corpus is not
 * full: after that, entries are replaced at random and age means little.)
 */
static unsigned int fz_corpus_pick(void)
{
	unsigned int recent = ncorpus < 8 ? ncorpus : 8;

	if (ncorpus < FZ_CORPUS && rnd_main(2))
		return ncorpus - 1 - rnd_main(recent);
	return rnd_main(ncorpus);
}

/* The guided mode's next step; found is what the previous step found. */
void fz_guided_next(uint64_t found, unsigned int *op, uint64_t *sub)
{
	cur_new += found;
	if (cur_pos == FZ_PROG_LEN) {
		if (cur_new)
			corpus[ncorpus < FZ_CORPUS ? ncorpus++ : rnd_main(FZ_CORPUS)] = cur;
		if (!ncorpus || !rnd_main(2)) {
			fz_prog_fresh(&cur);
		} else {
			cur = corpus[fz_corpus_pick()];
			fz_prog_mutate(&cur);
		}
		cur_pos = 0;
		cur_new = 0;
	}
	*op = cur.op[cur_pos];
	*sub = cur.sub[cur_pos];
	cur_pos++;
}
