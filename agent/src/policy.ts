/**
 * The node's policy: which agents exist, their quotas, devices and DMA
 * grants. Read from YAML or JSON, validated completely before anything is
 * applied, applied at start and again whenever the backend reports that
 * its core was replaced (a module reload).
 *
 *   agents:
 *     - id: 1001
 *       quota: 4GiB
 *       devices: [0, 1]          # or deviceMask: "0x3"; neither: every device
 *       grants:
 *         - { device: 0, addr: "0x100000", length: 1MiB, mode: rw }
 *
 * A grant's first byte is addr, as in every other interface; start, its
 * name in older policy files, is still read as a deprecated alias.
 */
import { readFileSync } from 'node:fs';
import Type, { type Static } from 'typebox';
import { Value } from 'typebox/value';
import type { Backend } from './backends/backend.ts';
import { GdlError } from './backends/errors.ts';
import { modeBits } from './dma-mode.ts';
import { parseYamlExact } from './exact-yaml.ts';
import { rangeAddr } from './range-addr.ts';
import { parseBytes, parseU64, U64_MAX } from './units.ts';
import { AgentMatchField, parseIdentityRules, StrangersField, TemplatesField } from './identity/policy-rules.ts';
import type { IdentityRules } from './identity/rules.ts';

export class PolicyError extends Error {
  override name = 'PolicyError';
}

const Num = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ minLength: 1 })]);

const PolicyFileSchema = Type.Object(
  {
    agents: Type.Array(
      Type.Object(
        {
          id: Num,
          quota: Num,
          devices: Type.Optional(Type.Array(Type.Integer({ minimum: 0, maximum: 63 }))),
          deviceMask: Type.Optional(Num),
          grants: Type.Optional(
            Type.Array(
              Type.Object(
                {
                  device: Type.Integer({ minimum: 0, maximum: 63 }),
                  addr: Type.Optional(Num),
                  start: Type.Optional(Num),
                  length: Num,
                  mode: Type.Union([Type.Literal('r'), Type.Literal('w'), Type.Literal('rw'), Type.Integer({ minimum: 1, maximum: 3 })]),
                },
                { additionalProperties: false },
              ),
            ),
          ),
          match: AgentMatchField,
        },
        { additionalProperties: false },
      ),
    ),
    templates: TemplatesField,
    strangers: StrangersField,
  },
  { additionalProperties: false },
);
type PolicyFile = Static<typeof PolicyFileSchema>;

export interface PolicyGrant {
  device: number;
  /** first byte of the range */
  addr: bigint;
  length: bigint;
  mode: number;
}
export interface PolicyAgent {
  id: bigint;
  quota: bigint;
  /**
   * undefined when the entry names no devices: the agent gets every device
   * the core has (resolved at apply time), as the API gives a new agent.
   */
  deviceMask: bigint | undefined;
  grants: PolicyGrant[];
}
export interface Policy {
  source: string;
  agents: PolicyAgent[];
  /** who acts as which agent: match rules, templates, strangers (identity/rules.ts) */
  identity: IdentityRules;
}

/** Validates and normalizes a parsed policy document. */
export function parsePolicy(doc: unknown, source: string): Policy {
  if (!Value.Check(PolicyFileSchema, doc)) {
    const e = Value.Errors(PolicyFileSchema, doc).filter((x) => x.keyword !== 'boolean')[0];
    const at = e?.instancePath ? e.instancePath.slice(1).replaceAll('/', '.') : 'policy';
    throw new PolicyError(`${source}: ${at} ${e?.message ?? 'is invalid'}`);
  }
  const file = doc as PolicyFile;
  const seen = new Set<bigint>();
  try {
    const agents = file.agents.map((a, i) => {
      const at = `agents[${i}]`;
      const id = parseU64(a.id, `${at}.id`);
      if (id === 0n) throw new Error(`${at}.id: agent 0 is reserved (it means "the bound agent")`);
      if (seen.has(id)) throw new Error(`${at}.id: agent ${id} is listed twice`);
      seen.add(id);
      if (a.devices && a.deviceMask !== undefined) throw new Error(`${at}: give devices or deviceMask, not both`);
      const deviceMask = a.devices
        ? a.devices.reduce((m, d) => m | (1n << BigInt(d)), 0n)
        : a.deviceMask !== undefined ? parseU64(a.deviceMask, `${at}.deviceMask`) : undefined;
      const grants = (a.grants ?? []).map((g, j) => {
        const gat = `${at}.grants[${j}]`;
        const length = parseBytes(g.length, `${gat}.length`);
        if (length === 0n) throw new Error(`${gat}.length: must not be 0`);
        if (deviceMask !== undefined && (deviceMask & (1n << BigInt(g.device))) === 0n) {
          throw new Error(`${gat}.device: device ${g.device} is not in the agent's devices`);
        }
        const addr = parseU64(rangeAddr(g, gat, (m) => new Error(m)), `${gat}.addr`);
        // Refused here, not by the core halfway through applying the file.
        if (addr + length - 1n > U64_MAX) throw new Error(`${gat}: addr + length overflows 64 bits`);
        return { device: g.device, addr, length, mode: modeBits(g.mode) };
      });
      return { id, quota: parseBytes(a.quota, `${at}.quota`), deviceMask, grants };
    });
    return { source, agents, identity: parseIdentityRules(file, agents.map((a) => a.id)) };
  } catch (err) {
    throw new PolicyError(`${source}: ${(err as Error).message}`);
  }
}

export function loadPolicy(path: string): Policy {
  let doc: unknown;
  try {
    doc = parseYamlExact(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new PolicyError(`cannot read policy ${path}: ${(err as Error).message}`);
  }
  return parsePolicy(doc, path);
}

export interface ApplyResult {
  agents: number;
  grants: number;
  /** one line per agent or grant the core refused; the rest is still applied */
  errors: string[];
}

/**
 * Applies every agent and grant. One refused entry (e.g. max_agents
 * reached) does not stop the others: a partly applied policy protects more
 * than none, and every refusal is reported.
 */
export function applyPolicy(backend: Backend, policy: Policy): ApplyResult {
  const result: ApplyResult = { agents: 0, grants: 0, errors: [] };
  const everyDevice = (1n << BigInt(backend.info().numDevices)) - 1n;
  for (const a of policy.agents) {
    try {
      backend.setAgent(a.id, a.quota, a.deviceMask ?? everyDevice);
      result.agents++;
    } catch (err) {
      result.errors.push(`agent ${a.id}: ${describe(err)}`);
      continue;
    }
    for (const g of a.grants) {
      try {
        backend.grant({ agent: a.id, ...g });
        result.grants++;
      } catch (err) {
        result.errors.push(`agent ${a.id} grant device ${g.device} 0x${g.addr.toString(16)}+${g.length}: ${describe(err)}`);
      }
    }
  }
  return result;
}

function describe(err: unknown): string {
  return err instanceof GdlError ? err.code : (err as Error).message;
}
