/* SPDX-License-Identifier: MIT */
/*
 * bosh: a virtual DRM render device whose buffer objects live in system
 * pages and are purged or backed up under memory pressure.
 *
 * PRIME: DRM_IOCTL_PRIME_FD_TO_HANDLE of a dma-buf exported by another
 * bosh device attaches to it, which pins the exporter's BO (it counts
 * against the exporter's ``max_pinned_mb``) until the last handle of the
 * import is closed; the import fails with the errors of BO_PIN. An
 * exporter's BO in VRAM moves to system memory first (the import fails
 * with ENOMEM if it cannot), unless its owner pinned it in VRAM: then it
 * is shared where it is, on that pin's count. Other
 * exporters' dma-bufs are refused with EINVAL; mmap of a bosh dma-buf fd
 * fails with EINVAL. An imported handle takes BO_RW, BO_VALIDATE (a
 * no-op), BO_BUSY and BO_INFO; BO_MMAP_OFFSET, BO_MADVISE and BO_PIN
 * fail on it with EOPNOTSUPP. DRM_IOCTL_PRIME_HANDLE_TO_FD of a bosh BO
 * fails with DRM's errors: ENOENT (bad handle), EINVAL (flags other than
 * DRM_CLOEXEC and DRM_RDWR), ENOMEM, EMFILE (no free descriptor).
 *
 * Unplug: once the device is unbound (or the module's device removed),
 * every ioctl on its open files fails with ENODEV (GEM_CLOSE too: handles
 * go when their file is closed), its mappings are zapped and fault with
 * SIGBUS, and closing files and dma-bufs still works; a foreign import of
 * one of its BOs keeps working, since the attachment pins the BO.
 *
 * A wait for a BO's lock that a signal interrupts is restarted
 * (ERESTARTSYS), so any ioctl that takes a BO may also fail with EINTR
 * when the signal's handler was installed without SA_RESTART.
 */
#ifndef _UAPI_BOSH_DRM_H_
#define _UAPI_BOSH_DRM_H_

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

#define DRM_BOSH_BO_CREATE		0x00
#define DRM_BOSH_BO_MMAP_OFFSET		0x01
#define DRM_BOSH_BO_RW			0x02
#define DRM_BOSH_BO_VALIDATE		0x03
#define DRM_BOSH_BO_MADVISE		0x04
#define DRM_BOSH_BO_PIN			0x05
#define DRM_BOSH_BO_BUSY		0x06
#define DRM_BOSH_BO_INFO		0x07
#define DRM_BOSH_SVM_BIND		0x08
#define DRM_BOSH_SVM_MIGRATE		0x09
#define DRM_BOSH_SVM_RW			0x0a
#define DRM_BOSH_SVM_INFO		0x0b

/**
 * BOSH_BO_MAX_SIZE - largest BO, in bytes (512 GiB), whatever the caps
 *
 * The device's ``max_bo_mb`` cap (by default half the RAM, per device)
 * is usually far lower.
 */
#define BOSH_BO_MAX_SIZE	0x8000000000ULL

/*
 * Placement, in BO_CREATE's and BO_VALIDATE's flags. Devices loaded with
 * the vram_mb parameter have simulated VRAM. Both bits: VRAM preferred,
 * system memory allowed. A BO moves whole. VRAM is taken on a BO's
 * first use: by BO_VALIDATE, or BO_RW (evicting as BO_VALIDATE does), or
 * a CPU fault (free VRAM only: a fault never evicts), zeroed; a BO that
 * had pages moves into VRAM by BO_VALIDATE only (BO_RW and faults use the
 * tier it is in). An eviction, or a validation without BOSH_PLACE_VRAM,
 * moves it out.
 */
/** BOSH_PLACE_SYSTEM - placement: system memory */
#define BOSH_PLACE_SYSTEM	0x1
/** BOSH_PLACE_VRAM - placement: VRAM */
#define BOSH_PLACE_VRAM		0x2
/** BOSH_PLACE_MASK - both placement bits */
#define BOSH_PLACE_MASK		(BOSH_PLACE_SYSTEM | BOSH_PLACE_VRAM)

/*
 * BOSH_BO_CREATE_SHMEM, in BO_CREATE's flags: the second backing model.
 * The BO's pages are the folios of its own shmem file, pinned while the
 * BO holds them; a backup unpins the whole BO (the pages stay in RAM
 * until the mm's reclaim takes them to swap, or writeback sends them at
 * once), a restore pins them again (a swap-in if reclaim took them), a
 * purge truncates the file. Without it (the copy model), a backup copies
 * pages into the device's store, a part of a BO at a time. The uAPI,
 * states, counters and errors are the same; such a BO lives in system
 * memory only, so it cannot be combined with %BOSH_PLACE_VRAM.
 */
/** BOSH_BO_CREATE_SHMEM - BO_CREATE flag: shmem-native backing */
#define BOSH_BO_CREATE_SHMEM	0x4

/**
 * struct drm_bosh_bo_create - create a buffer object
 *
 * Pages are populated lazily, on first fault, BO_RW or BO_VALIDATE.
 * Errors: EINVAL (@size zero or not a page multiple, @flags with bits
 * other than the placement's and %BOSH_BO_CREATE_SHMEM, that flag with
 * %BOSH_PLACE_VRAM, or @size above %BOSH_BO_MAX_SIZE though
 * within the cap), ENOSPC (the device's ``max_bo_mb`` cap would be
 * exceeded, or the placement is %BOSH_PLACE_VRAM alone and the device's
 * VRAM could never hold the BO: it has none, or less than @size),
 * ENOMEM.
 */
struct drm_bosh_bo_create {
	/** @size: size in bytes, a non-zero multiple of the page size. */
	__u64 size;
	/**
	 * @flags: placement, ``BOSH_PLACE_*`` (none is system memory), and
	 * %BOSH_BO_CREATE_SHMEM.
	 */
	__u32 flags;
	/** @handle: out, the GEM handle. */
	__u32 handle;
};

/**
 * struct drm_bosh_bo_mmap_offset - get the fake offset to mmap a BO
 *
 * The offset is for a shared mapping of the render node; private
 * mappings are refused with EINVAL. A fault that cannot restore its page
 * (no memory, store read error, a purged BO, an unplugged device) raises
 * SIGBUS, never the OOM killer. Errors: ENOENT (bad handle), EINVAL,
 * EOPNOTSUPP (a foreign import), ENOMEM, ENOSPC (DRM's offset space is
 * full).
 */
struct drm_bosh_bo_mmap_offset {
	/** @handle: the BO. */
	__u32 handle;
	/** @pad: must be zero. */
	__u32 pad;
	/** @offset: out, the offset to pass to mmap(). */
	__u64 offset;
};

/** Read from the BO into the user buffer. */
#define BOSH_RW_READ	0
/** Write the user buffer into the BO. */
#define BOSH_RW_WRITE	1

/**
 * struct drm_bosh_bo_rw - read or write a range of a BO
 *
 * Restores backed-up pages on the way. Errors: ENOENT, EINVAL (bad
 * @op, or a range past the end or overflowing), EFAULT (bad @data: the
 * whole user range is checked first, so nothing changes), ENODATA
 * (the BO was purged), ENOMEM (no memory for the BO's pages: bosh never
 * calls the OOM killer for them), EIO (the backup store could not be
 * read), EINTR (interrupted: pages restored so far stay resident; retry).
 */
struct drm_bosh_bo_rw {
	/** @handle: the BO. */
	__u32 handle;
	/** @op: %BOSH_RW_READ or %BOSH_RW_WRITE. */
	__u32 op;
	/** @offset: byte offset in the BO. */
	__u64 offset;
	/** @size: bytes to copy. */
	__u64 size;
	/** @data: user pointer to the buffer. */
	__u64 data;
};

/**
 * struct drm_bosh_bo_validate - make every page of a BO resident
 *
 * What a GPU job would do before using the BO: resident in VRAM when the
 * placement asks for it and it can be had, else in system memory when
 * the placement allows it. Interruptible: with a signal pending it stops
 * after at least one page of progress and returns EINTR (or is
 * restarted), keeping what it restored. Into VRAM it evicts other BOs,
 * least recently used first, waiting for busy ones when nothing idle is
 * left; lock contention between validations is never an error. Errors:
 * ENOENT, EINVAL (@flags with bits other than the placement's, or VRAM
 * alone for a shmem-native BO, which lives in system memory only: both
 * bits validate it there), ENODATA (purged), ENOSPC (VRAM alone asked
 * for, and VRAM minus pinned VRAM cannot hold the BO, or the device has
 * none), ENOMEM (system pages, or VRAM alone asked for and no victim
 * could be moved to system memory: everything stays intact), EBUSY (the
 * BO is pinned where the placement does not allow), EIO, EINTR.
 */
struct drm_bosh_bo_validate {
	/** @handle: the BO. */
	__u32 handle;
	/**
	 * @flags: placement, ``BOSH_PLACE_*``; none is the placement the
	 * BO was created with.
	 */
	__u32 flags;
};

/** The BO's content is needed (the default). */
#define BOSH_MADV_WILLNEED	0
/** The BO's content may be discarded under memory pressure. */
#define BOSH_MADV_DONTNEED	1

/**
 * struct drm_bosh_bo_madvise - tell the shrinker whether content matters
 *
 * Errors: ENOENT, EINVAL (bad @madv or @pad), EOPNOTSUPP (a foreign
 * import), EINTR.
 */
struct drm_bosh_bo_madvise {
	/** @handle: the BO. */
	__u32 handle;
	/** @madv: %BOSH_MADV_WILLNEED or %BOSH_MADV_DONTNEED. */
	__u32 madv;
	/** @retained: out, 0 if the BO was purged (it is dead), else 1. */
	__u32 retained;
	/** @pad: must be zero. */
	__u32 pad;
};

/** Pin the BO: make it resident and never shrink it. */
#define BOSH_PIN	0
/** Drop one pin taken with %BOSH_PIN. */
#define BOSH_UNPIN	1
/** Most pins a BO can hold: user pins plus one per foreign attachment. */
#define BOSH_PIN_MAX	65535

/**
 * struct drm_bosh_bo_pin - pin or unpin a BO
 *
 * Pins nest, up to %BOSH_PIN_MAX. A BO is pinned where it is: one in
 * VRAM stays there and counts against ``max_vram_pinned_mb``, any other
 * against ``max_pinned_mb``. Errors: ENOENT, EINVAL (bad @op, unpin
 * of an unpinned BO), EOVERFLOW (the BO already holds %BOSH_PIN_MAX
 * pins), ENOSPC (that cap), ENODATA (purged),
 * ENOMEM, EIO, EINTR, EOPNOTSUPP (a foreign import). A foreign importer's
 * attachment pins too, but only detaching drops that pin.
 */
struct drm_bosh_bo_pin {
	/** @handle: the BO. */
	__u32 handle;
	/** @op: %BOSH_PIN or %BOSH_UNPIN. */
	__u32 op;
};

/** Longest busy period BO_BUSY accepts, in microseconds (10 s). */
#define BOSH_BUSY_MAX_US	10000000ULL
/** Most BO_BUSY fences not yet signalled on one BO. */
#define BOSH_BUSY_MAX_FENCES	16
/** Most BO_BUSY fences not yet signalled that one open file attached. */
#define BOSH_BUSY_MAX_FILE_FENCES	4096

/**
 * struct drm_bosh_bo_busy - make a BO busy, as a GPU job in flight would
 *
 * Attaches to the BO's reservation object a write fence that signals
 * after @usecs, with a fence context of its own (fences signal in timer
 * order): the BO stays busy until the last one signals. The shrinker
 * skips busy BOs. Each fence holds the bosh module until it is released
 * (a sync_file exported from the BO's dma-buf keeps it). Errors: ENOENT,
 * EINVAL (@usecs zero or above %BOSH_BUSY_MAX_US, @flags not zero),
 * EBUSY (%BOSH_BUSY_MAX_FENCES fences of this BO, or
 * %BOSH_BUSY_MAX_FILE_FENCES of this file, not yet signalled), ENOMEM
 * (the fence is charged to the caller's memory cgroup, which is at its
 * limit), EINTR (a signal while waiting for the BO's lock, when the
 * handler does not restart calls).
 */
struct drm_bosh_bo_busy {
	/** @handle: the BO. */
	__u32 handle;
	/** @flags: must be zero. */
	__u32 flags;
	/** @usecs: busy time in microseconds. */
	__u64 usecs;
};

/** The BO was marked DONTNEED. */
#define BOSH_BO_DONTNEED	0x1
/** The BO was purged: its content is gone. */
#define BOSH_BO_PURGED		0x2
/** The BO is pinned. */
#define BOSH_BO_PINNED		0x4
/** The BO has unsignalled fences. */
#define BOSH_BO_BUSY		0x8
/** The handle is another bosh device's BO, imported through PRIME. */
#define BOSH_BO_IMPORTED	0x10
/** The BO is in VRAM. */
#define BOSH_BO_IN_VRAM		0x20
/** The BO is shmem-native (created with %BOSH_BO_CREATE_SHMEM). */
#define BOSH_BO_SHMEM		0x40

/**
 * struct drm_bosh_bo_info - query a BO
 *
 * Errors: ENOENT, EINVAL (@pad not zero), EINTR.
 */
struct drm_bosh_bo_info {
	/** @handle: the BO. */
	__u32 handle;
	/** @flags: out, ``BOSH_BO_*`` state flags. */
	__u32 flags;
	/** @size: out, size in bytes. */
	__u64 size;
	/**
	 * @resident: out, pages in system memory that the BO holds (for a
	 * shmem-native BO, pinned).
	 */
	__u64 resident;
	/**
	 * @backed_up: out, pages backed up: in the backup store (copy
	 * model), or unpinned, left to the mm's reclaim (shmem-native).
	 */
	__u64 backed_up;
	/** @pad: must be zero. */
	__u64 pad;
	/**
	 * @vram_pages: out, pages in VRAM: 0, or every page of the BO.
	 * Binaries built before this field pass the shorter struct, which
	 * DRM still accepts.
	 */
	__u64 vram_pages;
	/**
	 * @backed_up_in_ram: out, pages of @backed_up still in RAM: store
	 * copies, or unpinned pages, that reclaim has not yet written to
	 * swap and freed. A snapshot; restoring one allocates nothing.
	 */
	__u64 backed_up_in_ram;
};

/*
 * SVM: the device works on the caller's own address space. A range is
 * bound to the file, then (parts of) it migrate into VRAM as
 * device-private pages, which share VRAM, its LRU and its eviction with
 * BOs. A CPU access to a page in VRAM migrates it back (or raises
 * SIGBUS, never the OOM killer). Only private anonymous memory
 * migrates; other mappings stay in system memory and are still read
 * and written by SVM_RW. Kernels without CONFIG_DEVICE_PRIVATE, and
 * devices without VRAM, fail every SVM ioctl with EOPNOTSUPP. The SVM
 * ioctls act on the address space of the process that made the file's
 * first binding; any other fails with EPERM.
 */

/** Unbind the range instead: the same @addr and @size as its binding. */
#define BOSH_SVM_UNBIND		0x1

/** Bound ranges per file. */
#define BOSH_SVM_MAX_RANGES	256

/**
 * struct drm_bosh_svm_bind - bind or unbind a range of the address space
 *
 * A binding stays until it is unbound or the file is closed, whatever
 * happens to the mappings under it (munmap, mremap, a new mmap): it is
 * a window of addresses. Unbinding moves no page. Errors: EINVAL (bad
 * @flags, @pad, alignment, size 0, a range past the user address space),
 * EEXIST (overlaps a bound range), ENOENT (unbinding a range not bound
 * exactly so), ENOSPC (%BOSH_SVM_MAX_RANGES bound), EPERM, ENOMEM,
 * EOPNOTSUPP.
 */
struct drm_bosh_svm_bind {
	/** @addr: start, page-aligned. */
	__u64 addr;
	/** @size: bytes, page-aligned, not 0. */
	__u64 size;
	/** @flags: 0 or %BOSH_SVM_UNBIND. */
	__u32 flags;
	/** @pad: must be zero. */
	__u32 pad;
};

/**
 * struct drm_bosh_svm_migrate - move pages of a bound range
 *
 * Into VRAM (evicting BOs and other SVM pages, least recently used first,
 * as BO_VALIDATE does) or back to system memory. Pages that cannot move
 * (not private anonymous memory, pinned, or in use by another migration)
 * stay where they are: @migrated counts the pages that moved. A page not
 * yet touched is allocated zeroed in VRAM. Errors: EINVAL (bad
 * @placement, @pad, alignment, size 0), ENOENT (not inside one bound
 * range), EFAULT (a part of the range is not mapped), ENOSPC (VRAM minus
 * pinned VRAM cannot hold a step of at most 2 MiB), ENOMEM, EINTR
 * (pages moved so far stay moved), EPERM, EOPNOTSUPP.
 */
struct drm_bosh_svm_migrate {
	/** @addr: start, page-aligned. */
	__u64 addr;
	/** @size: bytes, page-aligned, not 0. */
	__u64 size;
	/** @placement: %BOSH_PLACE_VRAM or %BOSH_PLACE_SYSTEM. */
	__u32 placement;
	/** @pad: must be zero. */
	__u32 pad;
	/** @migrated: out, pages moved. */
	__u64 migrated;
};

/**
 * struct drm_bosh_svm_rw - the device reads or writes a bound range
 *
 * Through the device's view: pages in VRAM are accessed where they are,
 * pages in system memory are faulted in (and written ones made dirty) as
 * a device access would, never migrated. Errors: EINVAL (bad @op or
 * @pad, an overflowing range), ENOENT (not inside one bound range),
 * EFAULT (bad @data, or a part of the range not mapped or, for a write,
 * not writable), EINTR (bytes before the page being copied were
 * copied), EPERM, EOPNOTSUPP.
 */
struct drm_bosh_svm_rw {
	/** @addr: start, any byte. */
	__u64 addr;
	/** @size: bytes; 0 does nothing. */
	__u64 size;
	/** @data: user buffer of @size bytes. */
	__u64 data;
	/** @op: %BOSH_RW_READ or %BOSH_RW_WRITE. */
	__u32 op;
	/** @pad: must be zero. */
	__u32 pad;
};

/**
 * struct drm_bosh_svm_info - where the pages of a bound range are
 *
 * A snapshot: nothing is faulted in or moved. Errors: EINVAL (@pad,
 * alignment, size 0), ENOENT (not inside one bound range), EFAULT (a part
 * of the range is not mapped), EINTR, EPERM, EOPNOTSUPP.
 */
struct drm_bosh_svm_info {
	/** @addr: start, page-aligned. */
	__u64 addr;
	/** @size: bytes, page-aligned, not 0. */
	__u64 size;
	/** @vram_pages: out, pages in this device's VRAM. */
	__u64 vram_pages;
	/** @system_pages: out, pages present in system memory. */
	__u64 system_pages;
	/** @pad: must be zero. */
	__u64 pad;
};

#define DRM_IOCTL_BOSH_BO_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_BOSH_BO_CREATE, struct drm_bosh_bo_create)
#define DRM_IOCTL_BOSH_BO_MMAP_OFFSET \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_BOSH_BO_MMAP_OFFSET, struct drm_bosh_bo_mmap_offset)
#define DRM_IOCTL_BOSH_BO_RW \
	DRM_IOW(DRM_COMMAND_BASE + DRM_BOSH_BO_RW, struct drm_bosh_bo_rw)
#define DRM_IOCTL_BOSH_BO_VALIDATE \
	DRM_IOW(DRM_COMMAND_BASE + DRM_BOSH_BO_VALIDATE, struct drm_bosh_bo_validate)
#define DRM_IOCTL_BOSH_BO_MADVISE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_BOSH_BO_MADVISE, struct drm_bosh_bo_madvise)
#define DRM_IOCTL_BOSH_BO_PIN \
	DRM_IOW(DRM_COMMAND_BASE + DRM_BOSH_BO_PIN, struct drm_bosh_bo_pin)
#define DRM_IOCTL_BOSH_BO_BUSY \
	DRM_IOW(DRM_COMMAND_BASE + DRM_BOSH_BO_BUSY, struct drm_bosh_bo_busy)
#define DRM_IOCTL_BOSH_BO_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_BOSH_BO_INFO, struct drm_bosh_bo_info)
#define DRM_IOCTL_BOSH_SVM_BIND \
	DRM_IOW(DRM_COMMAND_BASE + DRM_BOSH_SVM_BIND, struct drm_bosh_svm_bind)
#define DRM_IOCTL_BOSH_SVM_MIGRATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_BOSH_SVM_MIGRATE, struct drm_bosh_svm_migrate)
#define DRM_IOCTL_BOSH_SVM_RW \
	DRM_IOW(DRM_COMMAND_BASE + DRM_BOSH_SVM_RW, struct drm_bosh_svm_rw)
#define DRM_IOCTL_BOSH_SVM_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_BOSH_SVM_INFO, struct drm_bosh_svm_info)

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_BOSH_DRM_H_ */
