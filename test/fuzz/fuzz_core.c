// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_core.c - libFuzzer target: the core API as random operation
 * sequences, every answer and all accounting checked against a model
 *
 * Each input is a byte string read as operations (one opcode byte and its
 * argument bytes).  The model tracks what the core must decide: agents
 * (existence, quota, mask, usage, count), devices' usage, every live
 * allocation and its owner, and the removal marks of bound owners.  After
 * every operation each agent and the stats gauges are compared; any
 * difference aborts (libFuzzer keeps the input).  Grants are checked for
 * their errors and the mask rule of checks, not for byte-level coverage
 * (test/native/test_rtree.c models that).
 *
 * Built and run by scripts/fuzz.sh (clang -fsanitize=fuzzer,address,
 * undefined); seed corpus in test/fuzz/corpus/core/.
 */
#include <stdio.h>
#include <stdlib.h>
#include "gdl_core.h"

#define NAG	5	/* agent ids 1..NAG; max_agents is smaller */
#define MAXAG	4
#define NDEV	2
#define CAP	8192
#define MAXA	5	/* max_agent_allocs */
#define NREC	64
#define NOWN	2

struct m_agent {
	int exists;
	u64 quota, mask, used, n;
};

struct m_rec {
	u64 id, agent, size;
	u32 dev;
	int owner;	/* -1: persistent */
	int live;
};

struct model {
	u64 default_quota;
	struct m_agent ag[NAG + 1];
	u64 dev_used[NDEV];
	struct m_rec rec[NREC];
	int nrec;
	u64 removed[NOWN];	/* owner's removed_agent */
	int nagents;
};

static const u64 bound[NOWN] = { 1, 2 };

#define FAIL(...) do {							\
	fprintf(stderr, "fuzz_core: " __VA_ARGS__);			\
	fprintf(stderr, "\n");						\
	abort();							\
} while (0)

struct input {
	const u8 *p;
	size_t n;
};

static u8 next(struct input *in)
{
	u8 v;

	if (!in->n)
		return 0;
	v = *in->p++;
	in->n--;
	return v;
}

static void m_unlink(struct model *m, struct m_rec *r)
{
	r->live = 0;
	m->ag[r->agent].used -= r->size;
	m->ag[r->agent].n--;
	m->dev_used[r->dev] -= r->size;
}

/* What gdl_alloc must answer, creating the agent in the model if due. */
static int m_alloc(struct model *m, int owner, u64 agent, u64 size, u32 dev)
{
	struct m_agent *a = &m->ag[agent];

	if (!size)
		return -EINVAL;
	if (dev >= NDEV)
		return -ENODEV;
	if (!a->exists) {
		if (!m->default_quota ||
		    (owner >= 0 && m->removed[owner] == agent))
			return -ENOENT;
		if (m->nagents >= MAXAG)
			return -ENOSPC;
		*a = (struct m_agent){ 1, m->default_quota, (1u << NDEV) - 1,
				       0, 0 };
		m->nagents++;
	}
	if (!((a->mask >> dev) & 1))
		return -EPERM;
	if (size > a->quota || a->used > a->quota - size)
		return -EDQUOT;
	if (a->n >= MAXA)
		return -EDQUOT;
	if (size > CAP - m->dev_used[dev])
		return -ENOSPC;
	return 0;
}

static void compare(struct gdl_core *c, struct model *m)
{
	struct gdl_agent_info info;
	struct gdl_stats st;
	u64 live = 0, used = 0;
	u64 id;
	int i;

	for (id = 1; id <= NAG; id++) {
		int ret = gdl_agent_get(c, id, &info);
		struct m_agent *a = &m->ag[id];

		if (!a->exists) {
			if (ret != -ENOENT)
				FAIL("agent %lu exists, model says not", id);
			continue;
		}
		if (ret)
			FAIL("agent %lu missing", id);
		if (info.quota != a->quota || info.device_mask != a->mask ||
		    info.used != a->used || info.allocations != a->n)
			FAIL("agent %lu: core %llu/%llx/%llu/%llu model %lu/%lx/%lu/%lu",
			     id, info.quota, info.device_mask, info.used,
			     info.allocations, a->quota, a->mask, a->used, a->n);
	}
	for (i = 0; i < m->nrec; i++)
		if (m->rec[i].live) {
			live++;
			used += m->rec[i].size;
		}
	gdl_stats_read(c, &st);
	if (st.live_allocations != live || st.used_bytes != used ||
	    st.agents != (u64)m->nagents)
		FAIL("stats: live %llu used %llu agents %llu; model %lu %lu %d",
		     st.live_allocations, st.used_bytes, st.agents, live, used,
		     m->nagents);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct input in = { data, size };
	struct gdl_core_params p = { .max_agents = MAXAG,
				     .max_agent_allocs = MAXA };
	struct gdl_device_desc d = { .capacity = CAP,
				     .kind = GDL_DEVICE_FAKE };
	struct gdl_owner own[NOWN] = { 0 };
	struct model m = { 0 };
	struct gdl_core *c;
	int i, ops = 0;

	m.default_quota = next(&in) & 1 ? 4096 : 0;
	p.default_quota = m.default_quota;
	c = gdl_core_create(&p);
	if (!c)
		return 0;
	for (i = 0; i < NDEV; i++)
		gdl_core_add_device(c, &d);
	for (i = 0; i < NOWN; i++) {
		own[i].bound_agent = bound[i];
		gdl_owner_init(c, &own[i]);
	}

	while (in.n && ops++ < 4096) {
		u8 op = next(&in) % 10;
		u64 agent = next(&in) % (NAG + 1);	/* 0 is invalid */
		u8 b = next(&in), b2 = next(&in);
		int ret, want;

		switch (op) {
		case 0: {	/* set_agent / set_quota */
			u64 quota = (u64)b * 64, mask = b2 & 3;
			bool keep = b2 & 4;

			ret = keep ? gdl_agent_set_quota(c, agent, quota, mask)
				   : gdl_agent_set(c, agent, quota, mask);
			if (!agent)
				want = -EINVAL;
			else if (m.ag[agent].exists)
				want = 0;
			else
				want = m.nagents >= MAXAG ? -ENOSPC : 0;
			if (ret != want)
				FAIL("set_agent %lu: %d want %d", agent, ret, want);
			if (!ret) {
				if (!m.ag[agent].exists) {
					m.ag[agent] = (struct m_agent){ 1, quota,
									mask, 0, 0 };
					m.nagents++;
				} else {
					m.ag[agent].quota = quota;
					if (!keep)
						m.ag[agent].mask = mask;
				}
			}
			break;
		}
		case 1:		/* remove */
			ret = gdl_agent_remove(c, agent);
			want = !m.ag[agent].exists || !agent ? -ENOENT :
			       m.ag[agent].n ? -EBUSY : 0;
			if (ret != want)
				FAIL("remove %lu: %d want %d", agent, ret, want);
			if (!ret) {
				m.ag[agent].exists = 0;
				m.nagents--;
				for (i = 0; i < NOWN; i++)
					if (bound[i] == agent)
						m.removed[i] = agent;
			}
			break;
		case 2: {	/* alloc: b picks owner and size, b2 device */
			int owner = (int)(b % 3) - 1;
			u64 sz = (u64)(b / 3) * 16, id = 0;
			u32 dev = b2 % 3;

			ret = gdl_alloc(c, owner < 0 ? NULL : &own[owner],
					agent, sz, dev,
					owner < 0 ? GDL_ALLOC_PERSISTENT : 0, &id);
			want = agent ? m_alloc(&m, owner, agent, sz, dev) :
			       (!sz ? -EINVAL : dev >= NDEV ? -ENODEV : -ENOENT);
			if (ret != want)
				FAIL("alloc %lu/%lu/%u: %d want %d", agent, sz,
				     dev, ret, want);
			if (!ret && m.nrec < NREC) {
				m.rec[m.nrec++] = (struct m_rec){ id, agent, sz,
								 dev, owner, 1 };
				m.ag[agent].used += sz;
				m.ag[agent].n++;
				m.dev_used[dev] += sz;
			} else if (!ret) {
				gdl_free(c, id, 0);	/* model is full */
			}
			break;
		}
		case 3: {	/* free: b picks a record, b2 the limit */
			struct m_rec *r;
			u64 only = b2 & 1 ? agent : 0;

			if (!m.nrec)
				break;
			r = &m.rec[b % m.nrec];
			ret = gdl_free(c, r->id, only);
			want = !r->live ? -ENOENT :
			       only && only != r->agent ? -EPERM : 0;
			if (ret != want)
				FAIL("free %lu: %d want %d", r->id, ret, want);
			if (!ret)
				m_unlink(&m, r);
			break;
		}
		case 4:		/* an owner closes, and a new file opens */
			i = b % NOWN;
			gdl_owner_release(c, &own[i]);
			for (int k = 0; k < m.nrec; k++)
				if (m.rec[k].live && m.rec[k].owner == i)
					m_unlink(&m, &m.rec[k]);
			gdl_owner_init(c, &own[i]);
			m.removed[i] = 0;
			break;
		case 5: {	/* release_agent */
			s64 n = gdl_agent_release(c, agent);
			s64 wn = m.ag[agent].exists && agent ?
				 (s64)m.ag[agent].n : -ENOENT;

			if (n != wn)
				FAIL("release %lu: %ld want %ld", agent, n, wn);
			for (i = 0; i < m.nrec; i++)
				if (n > 0 && m.rec[i].live &&
				    m.rec[i].agent == agent)
					m_unlink(&m, &m.rec[i]);
			break;
		}
		case 6:		/* grant */
		case 7: {	/* revoke */
			u32 dev = b2 % 3, mode = (b2 >> 2) & 3;
			u64 len = b & 0xf0, start = (u64)(b & 0xf) << 8;
			bool grant = op == 6;
			struct m_agent *a = &m.ag[agent];

			ret = grant ? gdl_grant(c, agent, dev, start, len, mode)
				    : gdl_revoke(c, agent, dev, start, len, mode);
			if (!len || !mode)
				want = -EINVAL;
			else if (dev >= NDEV)
				want = -ENODEV;
			else if (!a->exists || !agent)
				want = !grant || !m.default_quota || !agent ?
				       -ENOENT : m.nagents >= MAXAG ? -ENOSPC : 0;
			else if (grant && !((a->mask >> dev) & 1))
				want = -EPERM;
			else
				want = 0;
			if (ret != want)
				FAIL("%s %lu dev %u: %d want %d",
				     grant ? "grant" : "revoke", agent, dev, ret,
				     want);
			if (!ret && !a->exists) {
				*a = (struct m_agent){ 1, m.default_quota,
						       (1u << NDEV) - 1, 0, 0 };
				m.nagents++;
			}
			break;
		}
		default: {	/* check: outside the mask, always denied */
			u32 dev = b2 % 3;

			ret = gdl_check(c, agent, dev, (u64)(b & 0xf) << 8, 16,
					GDL_DMA_READ);
			if (ret < 0)
				FAIL("check: %d", ret);
			if (ret && (!m.ag[agent].exists || !agent ||
				    dev >= NDEV ||
				    !((m.ag[agent].mask >> dev) & 1)))
				FAIL("check allowed outside agent/mask");
			break;
		}
		}
		compare(c, &m);
	}
	for (i = 0; i < NOWN; i++)
		gdl_owner_release(c, &own[i]);
	gdl_core_destroy(c);
	return 0;
}
