/**
 * Identity at run time, wired by server.ts: the policy's identity rules
 * applied to the backend, the cgroup watcher, and (embedded backend only)
 * the interposer's socket. One start, one close, one re-apply after a
 * module reload.
 */
import { existsSync } from 'node:fs';
import type { Backend } from '../backends/backend.ts';
import { EmbeddedBackend } from '../backends/embedded.ts';
import { SocketServer } from '../socket/server.ts';
import { emptyRules, type IdentityRules } from './rules.ts';
import { IdentityService, type IdentityLog } from './service.ts';
import { CgroupWatcher } from './watcher.ts';

export interface IdentityRuntimeOptions {
  backend: Backend;
  rules: IdentityRules | undefined;
  cgroupRoot: string;
  /** socket path; undefined: no socket */
  socket: string | undefined;
  /** whether a failure to serve the socket is fatal (a path the operator chose) */
  socketRequired: boolean;
  watchCgroups: boolean;
  log: IdentityLog & { error(obj: object, msg: string): void };
}

export interface IdentityRuntime {
  service: IdentityService;
  readonly watcher: CgroupWatcher | null;
  socket: SocketServer | null;
  /** after a module reload: bind everything again */
  reapply(): void;
  /** a reloaded policy's rules (undefined: none): bindings follow them, the watcher starts if they need one */
  setRules(rules: IdentityRules | undefined): void;
  close(): Promise<void>;
}

export async function startIdentity(o: IdentityRuntimeOptions): Promise<IdentityRuntime> {
  const rules = o.rules ?? emptyRules();
  const service = new IdentityService({ backend: o.backend, rules, cgroupRoot: o.cgroupRoot, log: o.log });
  const uidErrors = service.applyUids();
  if (uidErrors.length) o.log.warn({ errors: uidErrors }, 'uid bindings applied with errors');
  let watcher = o.watchCgroups && wantsCgroups(rules) ? watchCgroups(o, service, rules) : null;
  let socket: SocketServer | null = null;
  try {
    socket = await serveSocket(o, service);
  } catch (err) {
    watcher?.stop();
    throw err;
  }

  return {
    service,
    get watcher() {
      return watcher;
    },
    socket,
    setRules(next) {
      const now = next ?? emptyRules();
      const { apiBound, uidErrors } = service.setRules(now);
      if (uidErrors.length) o.log.warn({ errors: uidErrors }, 'uid bindings applied with errors');
      // A watcher started here binds what exists and sweeps orphans itself.
      if (!watcher && o.watchCgroups && wantsCgroups(now)) {
        watcher = watchCgroups(o, service, now);
        return;
      }
      watcher?.replay((p) => apiBound.has(p));
      const removed = service.removeOrphanTemplates();
      if (removed) o.log.info({ removed }, 'removed template agents the new rules no longer use');
    },
    reapply() {
      service.forgetAll();
      const errs = service.applyUids();
      if (errs.length) o.log.warn({ errors: errs }, 'uid bindings re-applied with errors');
      watcher?.replay();
    },
    async close() {
      watcher?.stop();
      await socket?.close();
    },
  };
}

function wantsCgroups(rules: IdentityRules): boolean {
  return rules.cgroups.length > 0 || rules.templates.length > 0;
}

/** The cgroup watcher feeding @service, started; null where there is no cgroup2 mount. */
function watchCgroups(o: IdentityRuntimeOptions, service: IdentityService, rules: IdentityRules): CgroupWatcher | null {
  if (!existsSync(o.cgroupRoot)) {
    o.log.warn({ cgroupRoot: o.cgroupRoot }, 'no cgroup2 mount here: cgroup rules apply only to socket peers');
    return null;
  }
  const watcher = new CgroupWatcher(o.cgroupRoot, {
    appeared: (p) => service.cgroupAppeared(p),
    removed: (p) => service.cgroupRemoved(p),
  });
  watcher.start();
  if (rules.templates.length) {
    const n = service.removeOrphanTemplates();
    if (n) o.log.info({ removed: n }, 'removed template agents whose cgroup is gone');
  }
  o.log.info({ cgroupRoot: o.cgroupRoot, bound: service.bound().length }, 'watching cgroups');
  return watcher;
}

/**
 * The interposer's socket, listening (embedded backend only; null for none).
 * Failing to listen throws only where the operator chose the path.
 */
async function serveSocket(o: IdentityRuntimeOptions, service: IdentityService): Promise<SocketServer | null> {
  if (!o.socket || !(o.backend instanceof EmbeddedBackend)) return null;
  const emb = o.backend;
  const info = emb.info();
  const socket = new SocketServer({
    path: o.socket,
    core: emb.native,
    maxAgents: info.maxAgents,
    defaultQuota: info.defaultQuota,
    resolve: (cred) => service.resolvePeer(cred.pid, cred.uid, emb.bindings),
    generation: () => emb.bindings.generation,
    log: o.log,
  });
  try {
    await socket.listen();
  } catch (err) {
    if (o.socketRequired) throw err;
    o.log.warn({ socket: o.socket, err: (err as Error).message }, 'interposer socket not served');
    return null;
  }
  o.log.info({ socket: o.socket }, 'interposer socket ready');
  return socket;
}
