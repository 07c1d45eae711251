// SPDX-License-Identifier: GPL-2.0
/*
 * bosh_fuzz's model: the errnos each ioctl may return (what the uAPI
 * header documents), what each page of each BO may hold, and what a
 * result tells of a BO (retained, purged, or a failure injection
 * explains). See bosh_fuzz.c for the whole.
 */
#define _GNU_SOURCE
#include "bosh_fuzz.h"

/* ---- errnos: what the header documents ---------------------------------- */

static const char *const fz_op_names[OP_NOPS] = {
	"BO_CREATE", "BO_MMAP_OFFSET", "BO_RW", "BO_VALIDATE", "BO_MADVISE",
	"BO_PIN", "BO_BUSY", "BO_INFO", "GEM_CLOSE", "PRIME_HANDLE_TO_FD",
	"PRIME_FD_TO_HANDLE",
};
static const int fz_documented[OP_NOPS][10] = {
	[OP_CREATE] = { EINVAL, ENOSPC, ENOMEM },
	[OP_MMAP_OFFSET] = { ENOENT, EINVAL, EOPNOTSUPP, ENOMEM, ENOSPC },
	[OP_RW] = { ENOENT, EINVAL, EFAULT, ENODATA, ENOMEM, EIO, EINTR },
	[OP_VALIDATE] = { ENOENT, EINVAL, ENODATA, ENOSPC, ENOMEM, EBUSY, EIO, EINTR },
	[OP_MADVISE] = { ENOENT, EINVAL, EOPNOTSUPP, EINTR },
	[OP_PIN] = { ENOENT, EINVAL, ENOSPC, ENODATA, ENOMEM, EIO, EINTR, EOPNOTSUPP,
		     EOVERFLOW },
	[OP_BUSY] = { ENOENT, EINVAL, EINTR, EBUSY, ENOMEM },
	[OP_INFO] = { ENOENT, EINVAL, EINTR },
	/* The core GEM/PRIME ioctls, as drm_gem.c and drm_prime.c return. */
	[OP_CLOSE] = { EINVAL },
	[OP_H2FD] = { ENOENT, EINVAL, ENOMEM, EMFILE },
	/* A foreign import pins: BO_PIN's errors too. */
	[OP_FD2H] = { EBADF, EINVAL, ENOMEM, ENOSPC, ENODATA, EIO, EINTR, EOVERFLOW },
};

bool fz_documented_errno(enum fz_op op, int err)
{
	int i;

	for (i = 0; i < 10 && fz_documented[op][i]; i++)
		if (fz_documented[op][i] == err)
			return true;
	return false;
}

/*
 * Any errno leaving an ioctl is checked against the header first; then
 * the caller checks it against what the model expects.
 */
int fz_ioctl(enum fz_op op, int fd, unsigned long req, void *arg)
{
	return fz_note_errno(op, ioctl(fd, req, arg) ? errno : 0);
}

/* Count, log and check what an ioctl (of this thread or another) returned. */
int fz_note_errno(enum fz_op op, int ret)
{
	fz.ioctls++;
	if (ret < 140)
		fz.errs[ret]++;
	fz_log_more(" -> %s", ret ? strerror(ret) : "ok");
	if (ret && !fz_documented_errno(op, ret))
		fz_fail("%s returned %s (%d), not in its documented errno set",
			fz_op_names[op], strerror(ret), ret);
	return ret;
}

/* Injected failures the model must tolerate for this step. */
bool fz_injecting(void)
{
	return fz.stress || fz.nth_now || fz.armed || fz.pressure;
}

bool fz_restore_errs(int err)
{
	return err == ENOMEM || err == EIO || err == EINTR;
}

void fz_expect(const char *what, int err, int want)
{
	if (err != want)
		fz_fail("%s: got %s, want %s", what, err ? strerror(err) : "success",
			want ? strerror(want) : "success");
}

/* ---- the content model --------------------------------------------------- */

void fz_key_fill(const struct fz_key *k, void *dst)
{
	if (!k->gen)
		memset(dst, 0, BOSH_PAGE);
	else
		bosh_pattern_page(dst, fz.seed, k->bo, k->page, k->gen);
}

void fz_page_set(struct fz_page *pg, struct fz_key k)
{
	pg->k[0] = k;
	pg->n = 1;
	pg->unknown = false;
}

/* After a failed write: the page holds its old content or @k. */
void fz_page_add(struct fz_page *pg, struct fz_key k)
{
	int i;

	for (i = 0; i < pg->n; i++)
		if (!memcmp(&pg->k[i], &k, sizeof(k)))
			return;
	if (pg->n == FZ_NCAND)
		pg->unknown = true;
	else
		pg->k[pg->n++] = k;
}

/*
 * Check @len bytes at @off of page @p of @b against the model, and narrow
 * the page's candidates to those that match.
 */
static void fz_check_piece(struct fz_bo *b, uint64_t p, size_t off, size_t len,
			   const char *got, const char *how)
{
	static __thread char want[BOSH_PAGE];
	struct fz_page *pg = &b->pages[p];
	struct fz_key keep[FZ_NCAND];
	int i, n = 0;

	if (pg->unknown)
		return;
	for (i = 0; i < pg->n; i++) {
		fz_key_fill(&pg->k[i], want);
		if (!memcmp(want + off, got, len))
			keep[n++] = pg->k[i];
	}
	if (!n) {
		size_t j = 0;

		fz_key_fill(&pg->k[0], want);
		while (j < len && want[off + j] == got[j])
			j++;
		fz_fail("content mismatch (%s): slot bo serial %u handle %u page %" PRIu64
			" byte %zu: got 0x%02x want 0x%02x (key bo %u page %u gen %u, %d candidates)%s",
			how, b->serial, b->handle, p, off + j, (uint8_t)got[j],
			(uint8_t)want[off + j], pg->k[0].bo, pg->k[0].page, pg->k[0].gen,
			pg->n, b->maybe_purged ? ", BO was DONTNEED" : "");
	}
	/* A partial read may match several: narrow only on a full page. */
	if (len == BOSH_PAGE || n == 1) {
		memcpy(pg->k, keep, n * sizeof(keep[0]));
		pg->n = n;
	}
}

void fz_check_range(struct fz_bo *b, uint64_t off, uint64_t len,
		    const char *buf, const char *how)
{
	while (len) {
		uint64_t p = off / BOSH_PAGE;
		size_t o = off % BOSH_PAGE, l = BOSH_PAGE - o;

		if (l > len)
			l = len;
		fz_check_piece(b, p, o, l, buf, how);
		off += l;
		buf += l;
		len -= l;
	}
}

struct fz_key fz_new_key(struct fz_bo *b, uint64_t p, uint32_t gen)
{
	return (struct fz_key){ .bo = b->serial, .gen = gen, .page = (uint32_t)p };
}

/* ---- BO helpers -------------------------------------------------------- */

uint64_t fz_bytes_live(void)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < FZ_SLOTS; i++)
		if (fz.bo[i].used)
			n += fz.bo[i].npages * BOSH_PAGE;
	return n;
}

uint64_t fz_pinned_live(void)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < FZ_SLOTS; i++)
		if (fz.bo[i].used && fz.bo[i].pins)
			n += fz.bo[i].npages;
	return n;
}

/* The exporter's pin cap refuses an import, as it refuses BO_PIN. */
bool fz_pin_over_cap(struct fz_bo *b)
{
	uint64_t cap = (uint64_t)fz.max_pinned_mb << 8;

	return !b->pins && !b->dead &&
	       fz.base_pinned + fz_pinned_live() + b->npages > cap;
}

/* A handle that names no BO of ours. */
uint32_t fz_bad_handle(void)
{
	uint32_t h = rnd(2) ? 0 : 0x7fff0000u + (uint32_t)rnd(1000);
	int i;

	for (i = 0; i < FZ_SLOTS; i++)
		if (fz.bo[i].used && fz.bo[i].handle == h)
			return 0;
	return h;
}

struct fz_bo *fz_pick(void)
{
	struct fz_bo *b = &fz.bo[rnd(FZ_SLOTS)];

	return b->used ? b : NULL;
}

/* Pages [p, p + n) are all mapped. */
bool fz_mapped(const struct fz_bo *b, uint64_t p, uint64_t n)
{
	return b->map && n && p >= b->map_lo && p + n <= b->map_hi &&
	       (p + n <= b->hole_lo || p >= b->hole_hi);
}

/*
 * Unmap what is left of the mapping, piece by piece: a hole may be reused.
 * Quiet: even a whole VMA's munmap allocates (the maple tree's nodes), and
 * a mapping left behind would keep the BO alive behind the model's back.
 */
void fz_unmap(struct fz_bo *b)
{
	uint64_t lo = b->map_lo, hi = b->map_hi;
	int err = 0;

	if (!b->map)
		return;
	fz_quiet_begin();
	if (b->hole_hi > b->hole_lo) {
		err = munmap(b->map + lo * BOSH_PAGE, (b->hole_lo - lo) * BOSH_PAGE);
		lo = b->hole_hi;
	}
	err |= munmap(b->map + lo * BOSH_PAGE, (hi - lo) * BOSH_PAGE);
	fz_quiet_end();
	if (err)
		fz_fail("munmap of h%u's mapping: %s", b->handle, strerror(errno));
	b->map = NULL;
	b->map_lo = b->map_hi = b->hole_lo = b->hole_hi = 0;
	b->ro = false;
}

void fz_forget(struct fz_bo *b)
{
	fz_unmap(b);
	if (b->dmabuf >= 0)
		close(b->dmabuf);
	free(b->pages);
	memset(b, 0, sizeof(*b));
	b->dmabuf = -1;
}

/* A read may fail with these and change nothing. */
bool fz_read_may_fail(struct fz_bo *b, int err)
{
	if (err == ENODATA && (b->maybe_purged || b->dead)) {
		b->dead = true;
		return true;
	}
	if (err == EINTR && fz.sig_now)
		return true;
	/*
	 * The user buffer's own page fault may fail (an injected failure,
	 * or no memory under pressure): copy_to_user gives EFAULT.
	 */
	if (err == EFAULT && fz_injecting())
		return true;
	return fz_injecting() && fz_restore_errs(err);
}

void fz_check_restore_result(struct fz_bo *b, int err, const char *what)
{
	if (!err) {
		if (b->dead)
			fz_fail("%s of a purged BO succeeded", what);
		return;
	}
	if (b->dead) {
		fz_expect(what, err, ENODATA);
		return;
	}
	if (!fz_read_may_fail(b, err))
		fz_fail("%s failed: %s", what, strerror(err));
}

/*
 * Judge a read of @len bytes at @off of @b into @buf that returned @err:
 * a purged BO must give ENODATA, a retained one its content.
 */
void fz_check_read(struct fz_bo *b, int err, uint64_t off, uint64_t len,
		   const char *buf, const char *how)
{
	fz_check_restore_result(b, err, how);
	if (!err)
		fz_check_range(b, off, len, buf, how);
}

/* Read @npages pages at @p through BO_RW and check them. */
void fz_verify_pages(struct fz_bo *b, uint64_t p, uint64_t npages, const char *how)
{
	char *buf = fz_alloc(npages * BOSH_PAGE);
	struct drm_bosh_bo_rw rw = {
		.handle = b->handle, .op = BOSH_RW_READ, .offset = p * BOSH_PAGE,
		.size = npages * BOSH_PAGE, .data = (uintptr_t)buf,
	};
	int err;

	fz_log_more(" | verify h%u p%" PRIu64 "+%" PRIu64, b->handle, p, npages);
	err = fz_ioctl(OP_RW, fz.fd, DRM_IOCTL_BOSH_BO_RW, &rw);
	fz_check_read(b, err, p * BOSH_PAGE, npages * BOSH_PAGE, buf, how);
	free(buf);
}

/* After a purge every unpinned DONTNEED BO of ours is dead. */
void fz_mark_purged(void)
{
	int i;

	for (i = 0; i < FZ_SLOTS; i++) {
		struct fz_bo *b = &fz.bo[i];

		if (b->used && !b->pins && b->madv == BOSH_MADV_DONTNEED)
			b->dead = true;
	}
}

/* Who may hold a BO the model let go of: mappings, fds, handles. */
static void fz_dump_holders(void)
{
	char path[PATH_MAX], line[512], link[PATH_MAX];
	int fds[3] = { fz.fd, fz.fd2, fz.fd_other }, i;
	ssize_t n;
	FILE *f;

	printf("# render node mappings:\n");
	f = fopen("/proc/self/maps", "re");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "/dev/dri"))
			printf("#   %s", line);
	if (f)
		fclose(f);
	printf("# open files:\n");
	for (i = 0; i < 1024; i++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", i);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = 0;
			printf("#   %d %s\n", i, link);
		}
	}
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fds[i]);
		f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f))
			if (strstr(line, "drm-total") || strstr(line, "drm-client"))
				printf("#   fd %d: %s", fds[i], line);
		if (f)
			fclose(f);
	}
}

/*
 * The device's gauges against the model, with nothing armed: they add up,
 * and our BOs and pins are all there is beside other users' (none outside
 * the stress mode). A BO reclaim let go of is freed from a work item, so
 * a surplus may take a moment to go.
 */
void fz_check_counts(void)
{
	long bos = 0, total = 0, res = 0, bu = 0, pinned = 0;
	uint64_t live = 0, want_bos = fz.base_bos, want_pages, want_pinned;
	int i, tries;

	if (fz.stress)
		return;
	for (i = 0; i < FZ_SLOTS; i++)
		if (fz.bo[i].used)
			want_bos++;
	want_pages = fz.base_bytes / BOSH_PAGE + fz_bytes_live() / BOSH_PAGE;
	want_pinned = fz.base_pinned + fz_pinned_live();
	fz_quiet_begin();
	for (tries = 0; tries < 40; tries++) {
		bos = bosh_stat(0, "bos");
		total = bosh_stat(0, "pages_total");
		res = bosh_stat(0, "pages_resident");
		bu = bosh_stat(0, "pages_backed_up");
		pinned = bosh_stat(0, "pages_pinned");
		if (bos == (long)want_bos && total == (long)want_pages &&
		    pinned == (long)want_pinned)
			break;
		usleep(50000);
	}
	fz_quiet_end();
	fz_log_more(" | counts bos %ld pages %ld resident %ld backed up %ld pinned %ld",
		    bos, total, res, bu, pinned);
	live = want_pages;
	if (bos != (long)want_bos || total != (long)live || pinned != (long)want_pinned) {
		char path[PATH_MAX], line[256];
		FILE *f;

		fz_quiet_begin();
		printf("# the model's BOs (slot handle pages pins map):\n");
		for (i = 0; i < FZ_SLOTS; i++)
			if (fz.bo[i].used)
				printf("#   %d h%u %" PRIu64 " %u %s\n", i, fz.bo[i].handle,
				       fz.bo[i].npages, fz.bo[i].pins, fz.bo[i].map ? "mapped" : "-");
		snprintf(path, sizeof(path), FZ_DRI "/objects");
		f = fopen(path, "re");
		printf("# debugfs objects:\n");
		while (f && fgets(line, sizeof(line), f))
			printf("#   %s", line);
		if (f)
			fclose(f);
		fz_dump_holders();
		fz_fail("counts: bos %ld pages_total %ld pages_pinned %ld, the model says %" PRIu64
			" %" PRIu64 " %" PRIu64, bos, total, pinned, want_bos, live, want_pinned);
	}
	if (res < 0 || bu < 0 || res + bu > total)
		fz_fail("gauges do not add up: resident %ld + backed up %ld > total %ld",
			res, bu, total);
}
