/**
 * Identity rules of the policy file: which cgroups and users act as which
 * agent, templates that give every matching cgroup its own agent, and what
 * happens to callers nothing matches (strangers).
 *
 *   agents:
 *     - id: 42
 *       quota: 8GiB
 *       devices: [0]
 *       match:                                  # any of these makes a caller agent 42
 *         - cgroup: /system.slice/train-*.service
 *         - uid: 1001
 *   templates:
 *     - name: containers                        # one agent per matching cgroup
 *       match: { cgroup: "/libpod_parent/libpod-*" }
 *       quota: 64MiB
 *       devices: [0]
 *   strangers: refuse                           # or { agent: 42 }
 *
 * A template agent's id is TEMPLATE_ID_BASE + the cgroup's id (the inode
 * number of its cgroup2 directory, which the kernel never reuses while it
 * runs): stable for the cgroup's life, never equal to a listed agent
 * (listed ids must stay below TEMPLATE_ID_BASE when templates exist).
 */
import Type from 'typebox';
import { compileGlob } from './glob.ts';

export const TEMPLATE_ID_BASE = 1n << 63n;

export function templateAgentId(cgroupId: bigint): bigint {
  return TEMPLATE_ID_BASE | cgroupId;
}

export const MatchSchema = Type.Union([
  Type.Object({ cgroup: Type.String({ minLength: 1, maxLength: 4095 }) }, { additionalProperties: false }),
  Type.Object({ uid: Type.Integer({ minimum: 0, maximum: 0xfffffffe }) }, { additionalProperties: false }),
]);

export const StrangersSchema = Type.Union([
  Type.Literal('refuse'),
  Type.Object({ agent: Type.Union([Type.Integer({ minimum: 1 }), Type.String({ minLength: 1 })]) }, { additionalProperties: false }),
]);

export interface CgroupRule {
  glob: string;
  re: RegExp;
  agent: bigint;
}

export interface TemplateRule {
  name: string;
  glob: string;
  re: RegExp;
  quota: bigint;
  /** undefined: every device, as a policy agent with only a quota */
  deviceMask: bigint | undefined;
}

export interface IdentityRules {
  cgroups: CgroupRule[];
  uids: Map<number, bigint>;
  templates: TemplateRule[];
  /** agent of callers no rule or binding names; null: refused (EPERM) */
  strangers: bigint | null;
}

export function emptyRules(): IdentityRules {
  return { cgroups: [], uids: new Map(), templates: [], strangers: null };
}

export type MatchInput = { cgroup: string } | { uid: number };

/** Adds one agent's match list to @rules; throws with the offending entry. */
export function addMatches(rules: IdentityRules, agent: bigint, matches: MatchInput[], at: string): void {
  matches.forEach((m, i) => {
    if ('cgroup' in m) {
      try {
        rules.cgroups.push({ glob: m.cgroup, re: compileGlob(m.cgroup), agent });
      } catch (err) {
        throw new Error(`${at}.match[${i}].${(err as Error).message}`);
      }
    } else {
      const prev = rules.uids.get(m.uid);
      if (prev !== undefined && prev !== agent) throw new Error(`${at}.match[${i}].uid: uid ${m.uid} is already agent ${prev}'s`);
      rules.uids.set(m.uid, agent);
    }
  });
}

/** What a cgroup path is by the rules: a listed agent, a template's agent, or nothing. */
export type CgroupMatch = { kind: 'agent'; agent: bigint; rule: string } | { kind: 'template'; template: TemplateRule } | null;

/**
 * The first listed agent whose glob matches wins, then the first template:
 * an explicit agent rule is more specific in intent than a catch-all template.
 */
export function matchCgroup(rules: IdentityRules, path: string): CgroupMatch {
  for (const r of rules.cgroups) if (r.re.test(path)) return { kind: 'agent', agent: r.agent, rule: r.glob };
  for (const t of rules.templates) if (t.re.test(path)) return { kind: 'template', template: t };
  return null;
}
