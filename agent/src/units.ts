/**
 * Byte sizes and 64-bit numbers as people write them in config and policy
 * files: 17179869184, "16GiB", "512 MiB", "0x1000". Binary units only (KiB,
 * MiB, GiB, TiB; K/M/G/T mean the same) because GPU memory is sized in them.
 */
const UNITS: Record<string, bigint> = {
  '': 1n, b: 1n,
  k: 1n << 10n, kb: 1n << 10n, kib: 1n << 10n,
  m: 1n << 20n, mb: 1n << 20n, mib: 1n << 20n,
  g: 1n << 30n, gb: 1n << 30n, gib: 1n << 30n,
  t: 1n << 40n, tb: 1n << 40n, tib: 1n << 40n,
};

export const U64_MAX = (1n << 64n) - 1n;

/** Parses a byte size; throws an Error saying what is wrong. */
export function parseBytes(value: unknown, what: string): bigint {
  if (typeof value === 'bigint') return checkU64(value, what);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${what}: ${value} is not a whole number of bytes`);
    return BigInt(value);
  }
  if (typeof value !== 'string') throw new Error(`${what}: expected a size like 17179869184 or "16GiB"`);
  const m = /^\s*(0x[0-9a-f]+|\d+)\s*([a-z]*)\s*$/i.exec(value);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`${what}: "${value}" is not a size (use bytes or KiB/MiB/GiB/TiB)`);
  return checkU64(BigInt(m[1]!) * unit, what);
}

/** Parses a 64-bit unsigned integer, decimal or 0x-hex. */
export function parseU64(value: unknown, what: string): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'string' && /^(0x[0-9a-fA-F]{1,16}|\d{1,20})$/.test(value)) return checkU64(BigInt(value), what);
  throw new Error(`${what}: "${String(value)}" is not a 64-bit unsigned integer (decimal or 0x-hex)`);
}

function checkU64(v: bigint, what: string): bigint {
  if (v < 0n || v > U64_MAX) throw new Error(`${what}: ${v} does not fit in 64 bits`);
  return v;
}

/** Human form for logs and the CLI: 17179869184 -> "16 GiB", 16550723584 -> "15.4 GiB". */
export function formatBytes(v: bigint): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let i = 0;
  while (i < units.length - 1 && v >= 1024n ** BigInt(i + 1)) i++;
  const scale = 1024n ** BigInt(i);
  if (v % scale === 0n) return `${v / scale} ${units[i]}`;
  // One decimal is enough to read; the JSON output keeps the exact value.
  return `${(Number((v * 10n) / scale) / 10).toFixed(1)} ${units[i]}`;
}
