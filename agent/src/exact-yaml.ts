/**
 * YAML (and so JSON) with integers read exactly. The `yaml` package reads
 * plain integers as doubles unless asked, so an unquoted 9007199254740993
 * became 9007199254740992 before any check could see it. Here every integer
 * is read as a bigint, then handed on as a number where that is exact and
 * as a decimal string where it is not: the schemas accept both for 64-bit
 * fields (ids, sizes, masks) and small fields (ports, device indices) stay
 * numbers.
 */
import { parse } from 'yaml';

function exact(v: unknown): unknown {
  if (typeof v === 'bigint') {
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  }
  if (Array.isArray(v)) return v.map(exact);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = exact(x);
    return out;
  }
  return v;
}

/** Parses YAML or JSON text; integers past 2^53 arrive as exact decimal strings. */
export function parseYamlExact(text: string): unknown {
  return exact(parse(text, { intAsBigInt: true }));
}
