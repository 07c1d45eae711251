// SPDX-License-Identifier: GPL-2.0-only
/*
 * Groups: a device's BOs by owning memcg, and the charging rule.
 *
 * A BO belongs to the memcg of the process that creates it, for its whole
 * life (a PRIME import does not move it, nor does the creator moving to
 * another cgroup). Every page allocated for it, BO page or store page,
 * is charged there through set_active_memcg(), whoever allocates it: the
 * creator, another process that maps or reads it, a task in direct
 * reclaim, kswapd.
 *
 * Reclaim of a memcg reaches bosh through the memcg-aware shrinker only
 * where that memcg's bit is set in its shrinker map, and only list_lru
 * sets it from a module. So each group is itself an object on a
 * memcg-aware list_lru, allocated with kmem_cache_alloc_lru() under its
 * owner, which also allocates the memcg's list (list_lru_add() to a list
 * never allocated would dereference NULL). When the owner is removed the
 * mm moves the group's entry to the parent's list, and the parent's
 * reclaim scans it from then on: no BO is left unreachable.
 */
#include <linux/list_lru.h>
#include <linux/memcontrol.h>
#include <linux/page_counter.h>
#include <linux/sched/mm.h>
#include <linux/shrinker.h>
#include <linux/slab.h>

#include "bosh_types.h"

static struct kmem_cache *bosh_group_cache;

/**
 * bosh_group_module_init() - create the groups' slab cache
 *
 * Return: 0 or -ENOMEM.
 */
int bosh_group_module_init(void)
{
	/* SLAB_ACCOUNT: an accounted allocation is what allocates a memcg's list. */
	bosh_group_cache = kmem_cache_create("bosh_group", sizeof(struct bosh_group),
					     0, SLAB_ACCOUNT, NULL);
	return bosh_group_cache ? 0 : -ENOMEM;
}

/**
 * bosh_group_module_exit() - destroy the groups' slab cache
 */
void bosh_group_module_exit(void)
{
	kmem_cache_destroy(bosh_group_cache);
}

static struct bosh_group *bosh_group_find(struct bosh_device *bdev,
					  struct mem_cgroup *memcg)
{
	struct bosh_group *g;

	lockdep_assert_held(&bdev->groups_lock);
	list_for_each_entry(g, &bdev->groups, dev_link)
		if (g->memcg == memcg && kref_get_unless_zero(&g->ref))
			return g;
	return NULL;
}

/**
 * bosh_group_get_current() - the calling process's group, created if new
 * @bdev: the device
 *
 * Return: the group with a reference, or ERR_PTR(-ENOMEM).
 */
struct bosh_group *bosh_group_get_current(struct bosh_device *bdev)
{
	struct mem_cgroup *memcg = get_mem_cgroup_from_mm(current->mm), *old;
	struct bosh_group *g, *found;

	spin_lock(&bdev->groups_lock);
	g = bosh_group_find(bdev, memcg);
	spin_unlock(&bdev->groups_lock);
	if (g)
		goto out_put;

	old = set_active_memcg(memcg);
	g = kmem_cache_alloc_lru(bosh_group_cache, &bdev->memcg_lru,
				 BOSH_CLIENT_GFP | __GFP_ACCOUNT | __GFP_ZERO);
	set_active_memcg(old);
	if (!g) {
		g = ERR_PTR(-ENOMEM);
		goto out_put;
	}
	INIT_LIST_HEAD(&g->memcg_link);
	kref_init(&g->ref);
	g->bdev = bdev;
	bosh_lru_init(&g->lru);

	spin_lock(&bdev->groups_lock);
	found = bosh_group_find(bdev, memcg);
	if (!found) {
		g->memcg = memcg;
		memcg = NULL;	/* the group keeps the reference */
		list_add_tail(&g->dev_link, &bdev->groups);
		list_lru_add_obj(&bdev->memcg_lru, &g->memcg_link);
	}
	spin_unlock(&bdev->groups_lock);
	if (found) {
		kmem_cache_free(bosh_group_cache, g);
		g = found;
	}
out_put:
	mem_cgroup_put(memcg);
	return g;
}

/* No sleeping lock: the last reference may be a scan's, in reclaim. */
static void bosh_group_release(struct kref *ref)
{
	struct bosh_group *g = container_of(ref, struct bosh_group, ref);
	struct bosh_device *bdev = g->bdev;
	int i;

	list_lru_del_obj(&bdev->memcg_lru, &g->memcg_link);
	spin_lock(&bdev->groups_lock);
	list_del(&g->dev_link);
	spin_unlock(&bdev->groups_lock);
	for (i = 0; i < BOSH_LRU_NR; i++)
		WARN_ON(!list_empty(&g->lru.lists[i]));
	mem_cgroup_put(g->memcg);
	kmem_cache_free(bosh_group_cache, g);
}

/**
 * bosh_group_put() - drop a reference to a group
 * @g: the group, or NULL
 */
void bosh_group_put(struct bosh_group *g)
{
	if (g)
		kref_put(&g->ref, bosh_group_release);
}

/**
 * bosh_group_next() - walk every group of a device
 * @bdev: the device
 * @prev: the group returned last, whose reference is dropped, or NULL to
 *	start
 *
 * A held group stays on the device's list, so the walk resumes after it
 * without the lock held in between.
 *
 * Return: the next group with a reference, or NULL at the end.
 */
struct bosh_group *bosh_group_next(struct bosh_device *bdev,
				   struct bosh_group *prev)
{
	struct list_head *pos;
	struct bosh_group *g = NULL;

	spin_lock(&bdev->groups_lock);
	for (pos = prev ? prev->dev_link.next : bdev->groups.next;
	     pos != &bdev->groups; pos = pos->next) {
		struct bosh_group *c = list_entry(pos, struct bosh_group, dev_link);

		if (kref_get_unless_zero(&c->ref)) {
			g = c;
			break;
		}
	}
	spin_unlock(&bdev->groups_lock);
	bosh_group_put(prev);
	return g;
}

struct bosh_groups_pick {
	struct bosh_group **groups;
	int max;
	int n;
};

static enum lru_status bosh_groups_pick_one(struct list_head *item,
					    struct list_lru_one *list,
					    spinlock_t *lock, void *arg)
{
	struct bosh_group *g = container_of(item, struct bosh_group, memcg_link);
	struct bosh_groups_pick *pick = arg;
	int i;

	if (pick->n == pick->max)
		return LRU_STOP;
	/* Rotated to the tail, a picked group comes round again: all seen. */
	for (i = 0; i < pick->n; i++)
		if (pick->groups[i] == g)
			return LRU_STOP;
	if (!kref_get_unless_zero(&g->ref))
		return LRU_SKIP;
	pick->groups[pick->n++] = g;
	/* The next scan of this memcg starts with the groups this one left. */
	return LRU_ROTATE;
}

/**
 * bosh_groups_of_memcg() - the groups a memcg's reclaim scans
 * @bdev: the device
 * @sc: the reclaim's node and memcg
 * @groups: filled with up to @max groups, each with a reference
 * @max: room in @groups
 *
 * The memcg's own groups and those of its removed descendants.
 *
 * Return: the number of groups.
 */
int bosh_groups_of_memcg(struct bosh_device *bdev, struct shrink_control *sc,
			 struct bosh_group **groups, int max)
{
	struct bosh_groups_pick pick = { .groups = groups, .max = max };
	unsigned long nr = max + 1;

	list_lru_walk_one(&bdev->memcg_lru, sc->nid, sc->memcg,
			  bosh_groups_pick_one, &pick, &nr);
	return pick.n;
}

struct bosh_groups_sum {
	long (*count)(struct bosh_group *g);
	long sum;
	bool any;
};

static enum lru_status bosh_groups_sum_one(struct list_head *item,
					   struct list_lru_one *list,
					   spinlock_t *lock, void *arg)
{
	struct bosh_groups_sum *s = arg;

	s->sum += s->count(container_of(item, struct bosh_group, memcg_link));
	s->any = true;
	return LRU_SKIP;
}

/**
 * bosh_groups_sum_memcg() - add up @count over one memcg's groups
 * @bdev: the device
 * @sc: the memcg and node of a shrinker call (see bosh_groups_of_memcg())
 * @count: called under the list_lru's lock, must not sleep
 *
 * Return: the sum, or -1 when the memcg holds no group of @bdev.
 */
long bosh_groups_sum_memcg(struct bosh_device *bdev, struct shrink_control *sc,
			   long (*count)(struct bosh_group *g))
{
	struct bosh_groups_sum s = { .count = count };
	unsigned long nr = ULONG_MAX;

	list_lru_walk_one(&bdev->memcg_lru, sc->nid, sc->memcg,
			  bosh_groups_sum_one, &s, &nr);
	return s.any ? s.sum : -1;
}

/**
 * bosh_groups_sum_all() - add up @count over every group of the device
 * @bdev: the device
 * @count: called under &bosh_device.groups_lock, must not sleep
 *
 * O(groups) under a device spinlock: for counts of every group at once
 * (debugfs stats, a scan with memcg_reclaim off), never per page.
 *
 * Return: the sum, or -1 when the device has no group.
 */
long bosh_groups_sum_all(struct bosh_device *bdev,
			 long (*count)(struct bosh_group *g))
{
	struct bosh_group *g;
	long sum = 0;
	bool any = false;

	spin_lock(&bdev->groups_lock);
	list_for_each_entry(g, &bdev->groups, dev_link) {
		sum += count(g);
		any = true;
	}
	spin_unlock(&bdev->groups_lock);
	return any ? sum : -1;
}

/*
 * The memcg charged for a group's pages: the owner, or once the owner is
 * removed its nearest live ancestor, where the mm has moved the owner's
 * kernel memory charges and its shrinker list.
 */
static struct mem_cgroup *bosh_group_charged_memcg(struct bosh_group *g)
{
	struct mem_cgroup *memcg = g->memcg;

	while (memcg && !mem_cgroup_online(memcg) && parent_mem_cgroup(memcg))
		memcg = parent_mem_cgroup(memcg);
	return memcg;
}

/**
 * bosh_group_charge_begin() - charge what follows to the group's memcg
 * @g: the group
 *
 * Allocations with __GFP_ACCOUNT (BO pages) and shmem pages (the store)
 * are charged to @g's memcg until bosh_group_charge_end(). The group
 * holds the reference set_active_memcg() needs.
 *
 * Return: the previous active memcg, for bosh_group_charge_end().
 */
struct mem_cgroup *bosh_group_charge_begin(struct bosh_group *g)
{
	return set_active_memcg(bosh_group_charged_memcg(g));
}

/**
 * bosh_group_charge_end() - end a charging scope
 * @old: bosh_group_charge_begin()'s return value
 */
void bosh_group_charge_end(struct mem_cgroup *old)
{
	set_active_memcg(old);
}

/**
 * bosh_group_swap_allows() - may the group's pages go to swap
 * @g: the group
 *
 * A backup's store pages are charged to the group's memcg and go to swap
 * under its limits: backup makes sense only while that memcg and every
 * ancestor have room under memory.swap.max (cgroup v2).
 *
 * Return: true when none of them is at its swap limit.
 */
bool bosh_group_swap_allows(struct bosh_group *g)
{
#if defined(CONFIG_MEMCG) && defined(CONFIG_SWAP)
	struct mem_cgroup *memcg;

	for (memcg = bosh_group_charged_memcg(g); memcg && parent_mem_cgroup(memcg);
	     memcg = parent_mem_cgroup(memcg))
		if (page_counter_read(&memcg->swap) >= READ_ONCE(memcg->swap.max))
			return false;
#endif
	return true;
}
