/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One client's workload under memory pressure, shared by the pressure
 * and mission tests: BOs of 2 MiB with seeded content, of both backing
 * models (every odd BO shmem-native), touched in random
 * order through BO_VALIDATE, BO_RW and mmap faults, then every retained
 * BO checked. Pattern keys are (seed, BO index, generation): the seed is
 * the worker's own (run seed, pid, device), the index is never reused
 * within a worker and the generation grows with every rewrite.
 */
#ifndef _BOSH_WORKLOAD_H_
#define _BOSH_WORKLOAD_H_

#include <stdint.h>

#define BO_PAGES	512		/* 2 MiB BOs */
#define MAX_BOS		4096
/* A worker's exit status when a BO call failed with ENOMEM. */
#define EXIT_ENOMEM	4
/* Armed fault points fire this many times at most. */
#define FAULT_TIMES	100000000L
/* Calls retried after an injected or interrupted failure, at most. */
#define RETRY_MAX	1000
/*
 * The random phase makes at least this many calls, for up to twenty
 * times its time: a run slowed down until it does nothing must not pass,
 * and a slow host must not fail it. Its first calls are one of each kind
 * (workload_run()), so the floor covers them all.
 */
#define MIN_RANDOM_OPS	8

struct bo_model {
	uint32_t handle;
	uint32_t gen;
	int dontneed;
	char *map;
};

/**
 * struct workload_counts - what a worker did, for the parent to assert
 * @ops: calls of the random phase
 * @purged_seen: calls that found a DONTNEED BO purged
 * @sigbus_injected: SIGBUS of a mapping where a fault was injected
 * @sigbus_reread: of those, faulting pages read again, and right
 * @bad: pages whose content was wrong
 * @pages_verified: pages whose content was checked and right
 * @random_pages: of @pages_verified, those of the random phase
 * @final_pages: of @pages_verified, those of the final check: every
 *	page of every retained BO, once
 * @mmap_writes: BOs rewritten whole through their mapping, with a new
 *	generation, in the random phase
 * @willneed_read: DONTNEED BOs madvised WILLNEED again in the random
 *	phase, found retained and read back right
 * @enomem, @eintr, @eio: failed calls retried, by errno
 * @swapped_at_check: the device's store pages written to swap
 *	(store_pages - store_unwritten) as the final check began
 * @pswpin_check: the guest's pswpin growth over the final check
 * @retained: BOs retained at the end, of @nbos
 * @shmem_retained: of @retained, the shmem-native ones (every odd BO
 *	is; the others use the copy model)
 * @nbos: BOs the worker made
 */
struct workload_counts {
	uint64_t ops, purged_seen, sigbus_injected, sigbus_reread, bad, pages_verified;
	uint64_t random_pages, final_pages, mmap_writes, willneed_read;
	uint64_t enomem, eintr, eio;
	int64_t swapped_at_check, pswpin_check;
	uint32_t retained, shmem_retained, nbos;
};

struct workload {
	int dev;
	int fd;
	uint64_t seed;
	uint32_t nbos;
	struct bo_model bo[MAX_BOS];
	unsigned int seconds;
	int retry_eio;		/* faults injected: retry restores */
	int all_willneed;	/* no BO is madvised DONTNEED */
	volatile int *checking;	/* if set, made 1 when the final check starts */
	uint64_t sigbus_page;	/* the page of the last mapping access that faulted */
	struct workload_counts n;
};

uint64_t workload_rnd(uint64_t *s);
int workload_fault_point(int dev, const char *point, const char *knob, const char *val);
long workload_fault_fired(int dev, const char *point);
long workload_bos_after_close(int dev);
void workload_sigbus_handler(void);
int workload_setup(struct workload *w, uint64_t bytes);
int workload_run(struct workload *w);
void workload_report(const struct workload *w);

#endif /* _BOSH_WORKLOAD_H_ */
