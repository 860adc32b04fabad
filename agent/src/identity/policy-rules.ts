/**
 * The identity part of the policy file (rules.ts has the format): schemas
 * policy.ts splices into its document schema, and the parse from the
 * validated document to IdentityRules.
 */
import Type from 'typebox';
import { parseBytes, parseU64 } from '../units.ts';
import { compileGlob } from './glob.ts';
import { addMatches, emptyRules, MatchSchema, StrangersSchema, TEMPLATE_ID_BASE, type IdentityRules, type MatchInput } from './rules.ts';

const Num = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ minLength: 1 })]);

export const AgentMatchField = Type.Optional(Type.Array(MatchSchema, { maxItems: 1024 }));

export const TemplatesField = Type.Optional(
  Type.Array(
    Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 64 }),
        match: Type.Object({ cgroup: Type.String({ minLength: 1, maxLength: 4095 }) }, { additionalProperties: false }),
        quota: Num,
        devices: Type.Optional(Type.Array(Type.Integer({ minimum: 0, maximum: 63 }))),
        deviceMask: Type.Optional(Num),
      },
      { additionalProperties: false },
    ),
    { maxItems: 256 },
  ),
);

export const StrangersField = Type.Optional(StrangersSchema);

interface IdentityDoc {
  agents: { match?: MatchInput[] }[];
  templates?: { name: string; match: { cgroup: string }; quota: number | string; devices?: number[]; deviceMask?: number | string }[];
  strangers?: 'refuse' | { agent: number | string };
}

/** Throws Error naming the entry; policy.ts turns it into a PolicyError. */
export function parseIdentityRules(doc: IdentityDoc, agentIds: bigint[]): IdentityRules {
  const rules = emptyRules();
  doc.agents.forEach((a, i) => {
    if (a.match) addMatches(rules, agentIds[i]!, a.match, `agents[${i}]`);
  });
  const names = new Set<string>();
  (doc.templates ?? []).forEach((t, i) => {
    const at = `templates[${i}]`;
    if (names.has(t.name)) throw new Error(`${at}.name: template "${t.name}" is listed twice`);
    names.add(t.name);
    if (t.devices && t.deviceMask !== undefined) throw new Error(`${at}: give devices or deviceMask, not both`);
    let re: RegExp;
    try {
      re = compileGlob(t.match.cgroup);
    } catch (err) {
      throw new Error(`${at}.${(err as Error).message}`);
    }
    const deviceMask = t.devices
      ? t.devices.reduce((m, d) => m | (1n << BigInt(d)), 0n)
      : t.deviceMask !== undefined ? parseU64(t.deviceMask, `${at}.deviceMask`) : undefined;
    rules.templates.push({ name: t.name, glob: t.match.cgroup, re, quota: parseBytes(t.quota, `${at}.quota`), deviceMask });
  });
  if (rules.templates.length) {
    agentIds.forEach((id, i) => {
      if (id >= TEMPLATE_ID_BASE) throw new Error(`agents[${i}].id: ids from 2^63 up belong to template agents`);
    });
  }
  if (doc.strangers !== undefined && doc.strangers !== 'refuse') {
    const id = parseU64(doc.strangers.agent, 'strangers.agent');
    if (!agentIds.includes(id)) throw new Error(`strangers.agent: agent ${id} is not listed in agents`);
    rules.strangers = id;
  }
  return rules;
}
