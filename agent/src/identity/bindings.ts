/**
 * The agent's own table of cgroup and uid bindings: the embedded backend's
 * whole truth, and on the kernel backend the record of what the agent
 * applied (so it can be re-applied after a module reload).
 *
 * Resolution (resolve()) follows the module's order: the caller's cgroup or
 * its nearest bound ancestor, else its uid, else nothing.
 */
import { ancestors } from './glob.ts';

export type BindingSource = 'api' | 'policy' | 'template';

export interface CgroupBinding {
  path: string;
  agent: bigint;
  cgroupId: bigint;
  source: BindingSource;
}

export interface UidBinding {
  uid: number;
  agent: bigint;
  source: BindingSource;
}

export interface BindingList {
  cgroups: CgroupBinding[];
  uids: UidBinding[];
}

export class BindingTable {
  private readonly cgroups = new Map<string, CgroupBinding>();
  private readonly uids = new Map<number, UidBinding>();
  /** bumped on every change, so cached resolutions know they are stale */
  generation = 0;

  bindCgroup(b: CgroupBinding): void {
    this.put(this.cgroups, b.path, b);
  }
  unbindCgroup(path: string): CgroupBinding | undefined {
    return this.take(this.cgroups, path);
  }
  bindUid(b: UidBinding): void {
    this.put(this.uids, b.uid, b);
  }
  unbindUid(uid: number): UidBinding | undefined {
    return this.take(this.uids, uid);
  }
  cgroup(path: string): CgroupBinding | undefined {
    return this.cgroups.get(path);
  }
  uid(uid: number): UidBinding | undefined {
    return this.uids.get(uid);
  }
  /** Removes every binding to @agent (the agent was removed). */
  dropAgent(agent: bigint): void {
    for (const [p, b] of this.cgroups) if (b.agent === agent) this.cgroups.delete(p);
    for (const [u, b] of this.uids) if (b.agent === agent) this.uids.delete(u);
    this.generation++;
  }

  list(): BindingList {
    return {
      cgroups: [...this.cgroups.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
      uids: [...this.uids.values()].sort((a, b) => a.uid - b.uid),
    };
  }

  // Every change goes through these two: each bumps the generation.
  private put<K, B extends object>(map: Map<K, B>, key: K, b: B): void {
    map.set(key, { ...b });
    this.generation++;
  }
  private take<K, B>(map: Map<K, B>, key: K): B | undefined {
    const b = map.get(key);
    if (b) {
      map.delete(key);
      this.generation++;
    }
    return b;
  }

  /** The nearest bound cgroup of @path (itself first), else @uid's binding. */
  resolve(path: string | null, uid: number): { agent: bigint; via: CgroupBinding | UidBinding } | null {
    if (path) {
      for (const p of ancestors(path)) {
        const b = this.cgroups.get(p);
        if (b) return { agent: b.agent, via: b };
      }
    }
    const u = this.uids.get(uid);
    return u ? { agent: u.agent, via: u } : null;
  }
}
