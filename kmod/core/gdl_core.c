// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_core.c - lifetime, devices and statistics of one core instance
 */
#include "gdl_internal.h"

static u32 gdl_agent_hash_bits(u32 max_agents)
{
	u32 bits = 0;

	while ((1u << bits) < GDL_AGENT_HASH_MIN ||
	       ((1u << bits) < max_agents && (1u << bits) < GDL_AGENT_HASH_MAX))
		bits++;
	return bits;
}

struct gdl_core *gdl_core_create(const struct gdl_core_params *p)
{
	struct gdl_core *c;
	u32 b;

	if (!p || !p->max_agents)
		return NULL;
	c = gdl_kvzalloc(sizeof(*c));
	if (!c)
		return NULL;
	c->env = p->env;
	c->default_quota = p->default_quota;
	c->max_agents = p->max_agents;
	c->max_agent_allocs = p->max_agent_allocs;
	c->agent_bits = gdl_agent_hash_bits(p->max_agents);
	c->agent_hash = gdl_kvzalloc(sizeof(*c->agent_hash) << c->agent_bits);
	c->alloc_hash = gdl_kvzalloc(sizeof(*c->alloc_hash) <<
				     GDL_ALLOC_HASH_BITS);
	c->owner_hash = gdl_kvzalloc(sizeof(*c->owner_hash) <<
				     GDL_OWNER_HASH_BITS);
	c->stats = gdl_pcpu_alloc(GDL_ST_NR);
	if (!c->agent_hash || !c->alloc_hash || !c->owner_hash || !c->stats)
		goto fail;
	for (b = 0; b < (1u << GDL_ALLOC_HASH_BITS); b++)
		INIT_HLIST_HEAD(&c->alloc_hash[b]);
	for (b = 0; b < (1u << GDL_OWNER_HASH_BITS); b++)
		INIT_LIST_HEAD(&c->owner_hash[b]);
	gdl_mutex_init(&c->agents_lock);
	gdl_spin_init(&c->alloc_lock);
	return c;

fail:
	if (c->stats)
		gdl_pcpu_free(c->stats);
	gdl_kvfree(c->owner_hash);
	gdl_kvfree(c->alloc_hash);
	gdl_kvfree(c->agent_hash);
	gdl_kvfree(c);
	return NULL;
}

void gdl_core_destroy(struct gdl_core *c)
{
	if (!c)
		return;
	gdl_allocs_destroy(c);
	gdl_agents_destroy(c);
	/* Replaced tree nodes and removed agents wait in RCU callbacks. */
	gdl_rcu_barrier();
	gdl_mutex_destroy(&c->agents_lock);
	gdl_pcpu_free(c->stats);
	gdl_kvfree(c->owner_hash);
	gdl_kvfree(c->alloc_hash);
	gdl_kvfree(c->agent_hash);
	gdl_kvfree(c);
}

int gdl_core_add_device(struct gdl_core *c, const struct gdl_device_desc *d)
{
	struct gdl_dev *dev;
	u32 i = c->ndev;

	if (i >= GDL_MAX_DEVICES)
		return -ENOSPC;
	dev = &c->dev[i];
	memcpy(&dev->desc, d, sizeof(*d));
	dev->desc.name[sizeof(dev->desc.name) - 1] = '\0';
	dev->used = 0;
	/* The gauge saturates rather than wrap on absurd capacities. */
	if (check_add_overflow(c->capacity, d->capacity, &c->capacity))
		c->capacity = ~0ull;
	WRITE_ONCE(c->ndev, i + 1);
	return (int)i;
}

u32 gdl_core_num_devices(const struct gdl_core *c)
{
	return READ_ONCE(c->ndev);
}

int gdl_core_device_info(struct gdl_core *c, u32 index,
			 struct gdl_device_info *out)
{
	const struct gdl_device_desc *d;

	if (index >= c->ndev)
		return -ENODEV;
	d = &c->dev[index].desc;
	memset(out, 0, sizeof(*out));
	out->index = index;
	out->capacity = d->capacity;
	gdl_spin_lock(&c->alloc_lock);
	out->used = c->dev[index].used;
	gdl_spin_unlock(&c->alloc_lock);
	out->kind = d->kind;
	out->pci_domain = d->pci_domain;
	out->pci_bdf = d->pci_bdf;
	out->pci_id = d->pci_id;
	memcpy(out->name, d->name, sizeof(out->name));
	return 0;
}

void gdl_stats_read(struct gdl_core *c, struct gdl_stats *out)
{
	struct gdl_pcpu *pc = c->stats;

	memset(out, 0, sizeof(*out));
	out->allocs = gdl_pcpu_sum(pc, GDL_ST_ALLOCS);
	out->alloc_failures = gdl_pcpu_sum(pc, GDL_ST_ALLOC_FAILURES);
	out->frees = gdl_pcpu_sum(pc, GDL_ST_FREES);
	out->bytes_allocated = gdl_pcpu_sum(pc, GDL_ST_BYTES_ALLOCATED);
	out->bytes_freed = gdl_pcpu_sum(pc, GDL_ST_BYTES_FREED);
	out->checks = gdl_pcpu_sum(pc, GDL_ST_CHECKS);
	out->checks_denied = gdl_pcpu_sum(pc, GDL_ST_CHECKS_DENIED);
	out->quota_violations = gdl_pcpu_sum(pc, GDL_ST_QUOTA_VIOLATIONS);
	out->grants = gdl_pcpu_sum(pc, GDL_ST_GRANTS);
	out->revokes = gdl_pcpu_sum(pc, GDL_ST_REVOKES);
	out->agents = READ_ONCE(c->nagents);
	gdl_spin_lock(&c->alloc_lock);
	out->live_allocations = c->live;
	out->used_bytes = c->used;
	gdl_spin_unlock(&c->alloc_lock);
	out->capacity_bytes = c->capacity;
}

void gdl_stats_reset(struct gdl_core *c)
{
	gdl_pcpu_zero(c->stats);
}
