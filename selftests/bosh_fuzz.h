/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the files of bosh_fuzz share: the model's types, the run's state
 * and the functions one file calls in another. See bosh_fuzz.c.
 */
#ifndef BOSH_FUZZ_H
#define BOSH_FUZZ_H

#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "bosh_lib.h"

#define FZ_SLOTS	24
#define FZ_RING		256
#define FZ_SHOW		24	/* steps printed on a divergence (-v: all kept) */
#define FZ_MAXPAGES	512
#define FZ_DRI		"/sys/kernel/debug/dri/bosh.0"
#define FZ_NCAND	3
#define FZ_NKNOBS	5	/* the sysfs knobs the fuzzer sets */

/* One possible content of a page: zeros (gen 0) or a pattern. */
struct fz_key {
	uint32_t bo;
	uint32_t gen;
	uint32_t page;
};

/*
 * What a page may hold: usually one key. A write that failed part-way
 * leaves each page of its range holding the old or the new content,
 * so the model keeps both until a read tells which.
 */
struct fz_page {
	struct fz_key k[FZ_NCAND];
	uint8_t n;
	bool unknown;	/* too many candidates: any content passes once */
};

struct fz_bo {
	bool used;
	bool shmem;		/* created BOSH_BO_CREATE_SHMEM */
	uint32_t handle;
	uint32_t serial;	/* the pattern's BO key, never reused */
	uint32_t gen;		/* last write generation */
	uint64_t npages;
	struct fz_page *pages;
	unsigned int madv;
	bool maybe_purged;	/* DONTNEED while unpinned: reclaim may purge */
	bool dead;		/* observed purged */
	unsigned int pins;
	char *map;		/* where page 0 is (or would be) mapped */
	uint64_t map_lo, map_hi;	/* pages [lo, hi) are mapped ... */
	uint64_t hole_lo, hole_hi;	/* ... but for a hole [lo, hi) */
	bool ro;		/* mprotect()ed read-only */
	int dmabuf;
};

/* The bosh fault points (under FZ_DRI), then the core's two. */
enum {
	FP_ALLOC, FP_BACKUP, FP_WRITEBACK, FP_RESTORE, FP_INTR,
	FP_SLAB, FP_PAGE, FP_COUNT
};
#define FP_BOSH		FP_SLAB		/* the first core point */
#define FP_CORE_MASK	((1u << FP_SLAB) | (1u << FP_PAGE))

/* The ioctls whose errnos are checked against the header. */
enum fz_op {
	OP_CREATE, OP_MMAP_OFFSET, OP_RW, OP_VALIDATE, OP_MADVISE, OP_PIN,
	OP_BUSY, OP_INFO, OP_CLOSE, OP_H2FD, OP_FD2H, OP_NOPS,
};

/* The state of one fuzzing process (bosh_fuzz.c). */
struct fz_state {
	uint64_t seed, iterations;
	unsigned int duration, procs, worker;
	bool stress, verbose, have_faults, have_core, pressure;
	bool kcov, guided;		/* -K: count edges; -G: and be led by them */
	int fd, fd2, fd_other, nth_fd, mif_fd;
	uint64_t rng, sub, digest, step;
	struct fz_bo bo[FZ_SLOTS];
	uint32_t next_serial;
	unsigned int armed;		/* fault points possibly armed */
	bool nth_next, nth_now;		/* fail-nth for the next op */
	unsigned int nth_val;
	unsigned int quiet;		/* depth of fz_quiet_begin() */
	long nth_saved;			/* fail-nth left while quiet */
	uint64_t base_bos;
	uint64_t injected[FP_COUNT];	/* faults seen injected, per point */
	bool sig_now;			/* a timer signal may hit this op */
	long knob_orig[FZ_NKNOBS];
	long max_bo_mb, max_pinned_mb;
	long vram_pages;	/* the device's VRAM: placement's model */
	uint64_t base_bytes, base_pinned;	/* other users' share */
	char ring[FZ_RING][200];
	timer_t tmr_intr, tmr_restart;
	uint64_t ops, ioctls;
	uint64_t errs[140];
};
extern struct fz_state fz;

/* A SIGBUS or SIGSEGV while armed jumps back (bosh_fuzz_faults.c). */
extern __thread sigjmp_buf fz_jmp;
extern __thread volatile sig_atomic_t fz_jmp_armed;	/* siglongjmp()s the signal */

/* bosh_fuzz.c: randomness (every draw feeds the digest) and reporting */
uint64_t rnd_main(uint64_t n);
void fz_fresh_step(unsigned int *op, uint64_t *sub);
unsigned int fz_any_op(void);
uint64_t rnd(uint64_t n);
uint64_t rnd_range(uint64_t lo, uint64_t hi);
void fz_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fz_log_more(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fz_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* bosh_fuzz_model.c */
int fz_ioctl(enum fz_op op, int fd, unsigned long req, void *arg);
int fz_note_errno(enum fz_op op, int ret);
bool fz_injecting(void);
bool fz_restore_errs(int err);
void fz_expect(const char *what, int err, int want);
void fz_key_fill(const struct fz_key *k, void *dst);
void fz_page_set(struct fz_page *pg, struct fz_key k);
void fz_page_add(struct fz_page *pg, struct fz_key k);
void fz_check_range(struct fz_bo *b, uint64_t off, uint64_t len,
		    const char *buf, const char *how);
struct fz_key fz_new_key(struct fz_bo *b, uint64_t p, uint32_t gen);
uint64_t fz_bytes_live(void);
bool fz_pin_over_cap(struct fz_bo *b);
uint32_t fz_bad_handle(void);
struct fz_bo *fz_pick(void);
void fz_forget(struct fz_bo *b);
bool fz_read_may_fail(struct fz_bo *b, int err);
void fz_check_restore_result(struct fz_bo *b, int err, const char *what);
void fz_check_read(struct fz_bo *b, int err, uint64_t off, uint64_t len,
		   const char *buf, const char *how);
void fz_verify_pages(struct fz_bo *b, uint64_t p, uint64_t npages, const char *how);
void fz_mark_purged(void);
void fz_check_counts(void);
bool fz_mapped(const struct fz_bo *b, uint64_t p, uint64_t n);
void fz_unmap(struct fz_bo *b);
bool fz_documented_errno(enum fz_op op, int err);
uint64_t fz_pinned_live(void);

/* bosh_fuzz_faults.c */
void fz_faults_setup(void);
void fz_faults_probe(void);
void fz_faults_disarm(void);
void fz_nth_write(unsigned int n);
void fz_nth_done(void);
void fz_restore_env(void);
void fz_read_knobs(void);
void fz_signals_init(void);
void fz_quiet_begin(void);
void fz_quiet_end(void);
void fz_faults_report(void);
void *fz_alloc(size_t len);

/* bosh_fuzz_ops.c */
int fz_validate(struct fz_bo *b, uint32_t flags);
int fz_debugfs(const char *file, const char *val);

/* The operations, one step each: bosh_fuzz_ops.c ... */
void op_create(void);
void op_create_bad(void);
void op_close(void);
void op_close_bad(void);
void op_mmap(void);
void op_munmap(void);
void op_mremap(void);
void op_mprotect(void);
void op_touch(void);
void op_rw_write(void);
void op_rw_read(void);
void op_rw_bad(void);
void op_rw_map(void);
void op_validate(void);
void op_madvise(void);
void op_pin(void);
void op_busy(void);
void op_info(void);
void op_bad_ioctl(void);
void op_fork(void);
void op_debugfs(void);
/* ... bosh_fuzz_threads.c ... */
void op_threads(void);
/* ... bosh_fuzz_prime.c ... */
void op_prime(void);
void op_prime_other_file(void);
/* ... bosh_fuzz_faults.c */
void op_knob(void);
void op_fault(void);
void op_verify_all(void);
void op_fail_nth(void);
void op_signal(void);

/* bosh_fuzz_kcov.c */
bool fz_kcov_open(void);
void fz_kcov_close(void);
void fz_kcov_begin(void);
uint64_t fz_kcov_end(void);
void fz_kcov_report(const char *mode, bool last);
void fz_guided_next(uint64_t found, unsigned int *op, uint64_t *sub);

#endif /* BOSH_FUZZ_H */
