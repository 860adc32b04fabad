/**
 * Which bound cgroup an event belongs to, for span attributes: the binding
 * whose cgroup id is the event's (kernel events carry the caller's cgroup
 * id), else the one cgroup bound to the event's agent (embedded events come
 * from the agent's own process). Only bound cgroups are ever named, so the
 * set of values is what the operator bound. The binding list is cached for
 * a second: spans are made in batches, listing bindings reads /proc.
 */
import type { Backend } from '../backends/backend.ts';
import type { DecisionEvent } from '../events/types.ts';
import type { CgroupBinding } from './bindings.ts';

export function createCgroupLabeler(backend: Backend, ttlMs = 1000, now: () => number = Date.now): (e: DecisionEvent) => string | undefined {
  let at = -Infinity;
  let byId = new Map<bigint, string>();
  let byAgent = new Map<bigint, string | null>();
  const refresh = () => {
    let list: CgroupBinding[] = [];
    try {
      list = backend.listBindings().cgroups;
    } catch {
      list = [];
    }
    byId = new Map(list.map((b) => [b.cgroupId, b.path]));
    byAgent = new Map();
    // An agent bound to several cgroups names none of them by agent alone.
    for (const b of list) byAgent.set(b.agent, byAgent.has(b.agent) ? null : b.path);
    at = now();
  };
  return (e) => {
    if (now() - at > ttlMs) refresh();
    return byId.get(e.cgroupId) ?? byAgent.get(e.agentId) ?? undefined;
  };
}
