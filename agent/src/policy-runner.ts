/**
 * The policy file at run time: applied at start, again after a module
 * reload, and re-read on SIGHUP. Each application is logged,
 * counted and audited; a file that cannot be read keeps the policy in force,
 * and a core that does not answer is logged and audited, never thrown (the
 * callers are a signal handler and the module watcher's timer).
 */
import type { Backend } from './backends/backend.ts';
import type { Auditor, AuditWho } from './http/audit.ts';
import { applyPolicy, loadPolicy, type Policy } from './policy.ts';
import { AuditOutcome } from './telemetry/names.ts';
import type { Metrics } from './telemetry/metrics.ts';

export interface PolicyLog {
  info(obj: object | string, msg?: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface PolicyRunnerOptions {
  backend: Backend;
  /** the policy file; undefined: no policy, apply() does nothing */
  path: string | undefined;
  /** the policy already read from @path at start (read before the core opened) */
  initial: Policy | undefined;
  metrics: Metrics;
  auditor: Auditor;
  log: PolicyLog;
}

export interface PolicyRunner {
  /** the policy in force, if any (its identity rules feed the identity runtime) */
  readonly current: Policy | undefined;
  /** false when there is no policy, or the core did not answer (logged and audited, never thrown) */
  apply(reason: 'start' | 'reload', who: AuditWho): boolean;
  /** re-reads the file and applies it; false when it could not be read or applied, or none is configured */
  reload(who: AuditWho): boolean;
}

/** The identity recorded for what the agent does on its own (start, module reload, signals). */
export const LOCAL_PEER = 'local';

export function createPolicyRunner(o: PolicyRunnerOptions): PolicyRunner {
  let policy = o.initial;
  const apply = (reason: 'start' | 'reload', who: AuditWho, before?: Policy): boolean => {
    if (!policy) return false;
    let r: ReturnType<typeof applyPolicy>;
    try {
      r = applyPolicy(o.backend, policy);
    } catch (err) {
      // The core is not answering (the module unloaded under us): the policy
      // stays the one to apply, and the module's return applies it (onReset).
      const message = (err as Error).message;
      o.log.error({ policy: policy.source, reason, err: message }, 'policy not applied: the core is not answering');
      o.auditor.record(who, { action: 'policy.apply', target: { policy: policy.source, reason }, outcome: AuditOutcome.refused, error: message });
      return false;
    }
    o.metrics.policyApplied(reason);
    const fields = { policy: policy.source, reason, agents: r.agents, grants: r.grants };
    if (r.errors.length) o.log.warn({ ...fields, errors: r.errors }, 'policy applied with errors');
    else o.log.info(fields, 'policy applied');
    o.auditor.record(who, {
      action: 'policy.apply',
      target: { policy: policy.source, reason },
      ...(before ? { before: policySummary(before) } : {}),
      after: { ...policySummary(policy), applied: { agents: r.agents, grants: r.grants }, errors: r.errors },
    });
    return true;
  };
  const reload = (who: AuditWho): boolean => {
    if (!o.path) {
      o.log.info('reload asked, but no policy file is configured');
      return false;
    }
    const before = policy;
    try {
      policy = loadPolicy(o.path);
    } catch (err) {
      o.log.error({ err: (err as Error).message }, 'policy reload failed: keeping the policy in force');
      o.auditor.record(who, { action: 'policy.apply', target: { policy: o.path, reason: 'reload' }, outcome: AuditOutcome.refused, error: (err as Error).message });
      return false;
    }
    return apply('reload', who, before);
  };
  return {
    get current() {
      return policy;
    },
    apply: (reason, who) => apply(reason, who),
    reload,
  };
}

/** What an audit record says of a policy: where from, and how much. */
function policySummary(p: Policy) {
  return { source: p.source, agents: p.agents.map((a) => a.id.toString()), grants: p.agents.reduce((n, a) => n + a.grants.length, 0) };
}
