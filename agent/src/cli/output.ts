/** Printing: --json gives the API's JSON as is; otherwise aligned text. */
import { formatBytes } from '../units.ts';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function table(rows: Record<string, string | number>[], columns: string[]): string {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (cells: string[]) => cells.map((s, i) => s.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => String(r[c] ?? ''))))].join('\n');
}

export function bytes(s: string): string {
  return formatBytes(BigInt(s));
}

export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}
