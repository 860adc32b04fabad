/**
 * The policy's identity rules applied to a backend: binds matching cgroups
 * (creating template agents first), binds uids, unbinds cgroups that went
 * away and removes their template agents once they hold nothing, and
 * answers "which agent is this peer?" for the socket server.
 *
 * The watcher (watcher.ts) calls cgroupAppeared/cgroupRemoved; server.ts
 * calls applyAll at start and after a module reload.
 */
import type { Backend } from '../backends/backend.ts';
import { GdlError } from '../backends/errors.ts';
import type { BindingList, BindingTable } from './bindings.ts';
import { cgroupId, processCgroup } from './cgroup.ts';
import { ancestors } from './glob.ts';
import { matchCgroup, TEMPLATE_ID_BASE, templateAgentId, type IdentityRules } from './rules.ts';

export interface IdentityLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface IdentityOptions {
  backend: Backend;
  rules: IdentityRules;
  /** the cgroup2 mount */
  cgroupRoot: string;
  /** /proc, for peers' cgroups */
  procRoot?: string;
  log?: IdentityLog;
}

/** Who a socket peer is, and why. */
export interface PeerIdentity {
  /** the peer's own cgroup (null: unknown) */
  cgroup: string | null;
  /** the agent it acts as; null: none (refused unless privileged) */
  agent: bigint | null;
  /** how: the bound cgroup path, `uid:N`, `strangers`, or null */
  via: string | null;
  /** the bound cgroup it resolved through, for labels (only bound cgroups) */
  boundCgroup: string | null;
}

const quiet: IdentityLog = { info() {}, warn() {} };

function errCode(err: unknown): string {
  return err instanceof GdlError ? err.code : (err as Error).message;
}

export class IdentityService {
  private readonly log: IdentityLog;
  /** cgroups this service bound, with the template agent it created (if any) */
  private readonly mine = new Map<string, { agent: bigint; template: boolean }>();

  constructor(private readonly opts: IdentityOptions) {
    this.log = opts.log ?? quiet;
  }

  get rules(): IdentityRules {
    return this.opts.rules;
  }

  /** Binds @path if a rule matches it. Returns the agent, or null when nothing matches. */
  cgroupAppeared(path: string): bigint | null {
    const m = matchCgroup(this.opts.rules, path);
    if (!m) return null;
    const b = this.opts.backend;
    let agent: bigint;
    if (m.kind === 'template') {
      const id = cgroupId(this.opts.cgroupRoot, path);
      if (id === null) return null; // gone already
      agent = templateAgentId(id);
      try {
        b.setAgent(agent, m.template.quota, m.template.deviceMask ?? (1n << BigInt(b.info().numDevices)) - 1n);
      } catch (err) {
        this.log.warn({ cgroup: path, template: m.template.name, err: errCode(err) }, 'template agent not created');
        return null;
      }
    } else {
      agent = m.agent;
    }
    try {
      b.bindCgroup(path, agent, m.kind === 'template' ? 'template' : 'policy');
    } catch (err) {
      this.log.warn({ cgroup: path, agent: String(agent), err: errCode(err) }, 'cgroup not bound');
      if (m.kind === 'template') this.removeIfIdle(agent);
      return null;
    }
    this.mine.set(path, { agent, template: m.kind === 'template' });
    this.log.info({ cgroup: path, agent: String(agent), rule: m.kind === 'template' ? m.template.name : m.rule }, 'cgroup bound');
    return agent;
  }

  /** Unbinds @path if this service bound it, and removes its template agent when idle. */
  cgroupRemoved(path: string): void {
    const mine = this.mine.get(path);
    if (!mine) return;
    this.mine.delete(path);
    try {
      this.opts.backend.unbindCgroup(path);
    } catch (err) {
      // The module may have dropped a removed cgroup's binding itself.
      if (!(err instanceof GdlError && err.code === 'ENOENT')) {
        this.log.warn({ cgroup: path, err: errCode(err) }, 'cgroup not unbound');
      }
    }
    if (mine.template) this.removeIfIdle(mine.agent);
    this.log.info({ cgroup: path, agent: String(mine.agent) }, 'cgroup unbound');
  }

  /** Template agents that still hold allocations stay (their owner may still free them). */
  private removeIfIdle(agent: bigint): void {
    try {
      const a = this.opts.backend.getAgent(agent);
      if (a.allocations === 0n) this.opts.backend.removeAgent(agent);
    } catch {
      // already gone, or busy: nothing to do
    }
  }

  /** Binds every uid rule. */
  applyUids(): string[] {
    const errors: string[] = [];
    for (const [uid, agent] of this.opts.rules.uids) {
      try {
        this.opts.backend.bindUid(uid, agent, 'policy');
      } catch (err) {
        errors.push(`uid ${uid} -> agent ${agent}: ${errCode(err)}`);
      }
    }
    return errors;
  }

  /**
   * Template agents (ids from 2^63) whose cgroup is not bound now and that
   * hold nothing: left by an agent that stopped while their cgroup went
   * away. Called once the watcher has bound what exists.
   */
  removeOrphanTemplates(): number {
    const live = new Set([...this.mine.values()].map((m) => m.agent));
    let removed = 0;
    let agents;
    try {
      agents = this.opts.backend.listAgents();
    } catch {
      return 0;
    }
    for (const a of agents) {
      if (a.id < TEMPLATE_ID_BASE || live.has(a.id) || a.allocations !== 0n) continue;
      try {
        this.opts.backend.removeAgent(a.id);
        removed++;
      } catch {
        // busy or gone: leave it
      }
    }
    return removed;
  }

  /**
   * New rules (a policy reload). A cgroup this service bound that no rule
   * matches now is unbound; one a rule still matches is bound again in
   * place (a binding moves in one step, never absent in between; a template
   * agent takes the template's new quota). Uids the old rules bound and the
   * new ones do not are unbound, the new ones bound. A cgroup or uid the
   * API has bound since is left alone (and no longer this service's). What
   * the new rules match and nothing bound yet is the caller's to replay
   * (the watcher: skipping @apiBound, the cgroups the API has bound), and
   * template agents left idle by the change are removeOrphanTemplates()'s.
   * Returns those, and the uid errors, as applyUids() gives them.
   */
  setRules(rules: IdentityRules): { apiBound: Set<string>; uidErrors: string[] } {
    const old = this.opts.rules;
    this.opts.rules = rules;
    // What a policy or template made is this service's to change; a binding
    // the API has made since (source api) is the operator's, and stays.
    let listed: BindingList | null = null;
    try {
      listed = this.opts.backend.listBindings();
    } catch {
      // the core is not answering: a module reload binds from scratch anyway
    }
    const api = new Set(listed?.cgroups.filter((b) => b.source === 'api').map((b) => b.path));
    for (const [path, was] of [...this.mine]) {
      if (api.has(path)) {
        this.mine.delete(path);
        continue;
      }
      const now = matchCgroup(rules, path);
      if (!now) this.cgroupRemoved(path);
      else if (now.kind === 'template' || was.template || now.agent !== was.agent) this.cgroupAppeared(path);
    }
    for (const uid of old.uids.keys()) {
      if (rules.uids.has(uid) || !listed?.uids.some((b) => b.uid === uid && b.source === 'policy')) continue;
      try {
        this.opts.backend.unbindUid(uid);
      } catch {
        // unbound meanwhile (the agent's removal): nothing to undo
      }
    }
    return { apiBound: api, uidErrors: this.applyUids() };
  }

  /** After a module reload: nothing of ours survives in the module, bind again. */
  forgetAll(): void {
    this.mine.clear();
  }

  /** Paths this service bound (for tests and the watcher's re-apply). */
  bound(): string[] {
    return [...this.mine.keys()].sort();
  }

  /**
   * The socket's identity rule: the peer's cgroup or nearest bound ancestor,
   * else its uid, else strangers. A cgroup that matches a rule but is not
   * bound yet (no watcher, or a race with it) is bound on the spot.
   */
  resolvePeer(pid: number, uid: number, table: BindingTable): PeerIdentity {
    const cgroup = processCgroup(pid, this.opts.procRoot);
    if (cgroup) {
      // Deepest first: a bound cgroup, or one a rule matches, ends the walk
      // before any uid rule is considered (the module's order).
      for (const p of ancestors(cgroup)) {
        let bound = table.cgroup(p);
        // A path removed and made again is a new cgroup (the module binds ids, not names).
        if (bound && cgroupId(this.opts.cgroupRoot, p) !== bound.cgroupId) {
          this.cgroupRemoved(p);
          table.unbindCgroup(p);
          bound = undefined;
        }
        const agent = bound?.agent ?? this.cgroupAppeared(p);
        if (agent !== null) return { cgroup, agent, via: p, boundCgroup: p };
      }
    }
    const u = table.uid(uid);
    if (u) return { cgroup, agent: u.agent, via: `uid:${uid}`, boundCgroup: null };
    if (this.opts.rules.strangers !== null) return { cgroup, agent: this.opts.rules.strangers, via: 'strangers', boundCgroup: null };
    return { cgroup, agent: null, via: null, boundCgroup: null };
  }
}
