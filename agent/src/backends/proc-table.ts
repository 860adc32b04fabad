/**
 * Parser for the module's /proc/swarm/gpu/ listings: a header line
 * `# field field ...` then one record per line, fields separated by spaces.
 * Numbers may be decimal or 0x-hex. Fields are looked up by name, so a
 * module that appends columns does not break the agent.
 */
import { readFileSync } from 'node:fs';
import { letterBits } from '../dma-mode.ts';

export type ProcRecord = Map<string, string>;

export function parseProcTable(text: string): ProcRecord[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0];
  if (!header?.startsWith('#')) throw new Error('listing has no "# field ..." header');
  const fields = header.slice(1).trim().split(/\s+/);
  return lines.slice(1).filter((l) => !l.startsWith('#')).map((line) => {
    const values = line.trim().split(/\s+/);
    return new Map(fields.map((f, i) => [f, values[i] ?? '']));
  });
}

export function readProcTable(path: string): ProcRecord[] {
  return parseProcTable(readFileSync(path, 'utf8'));
}

/** The first present field of @names as a bigint (decimal or 0x-hex). */
export function bigField(rec: ProcRecord, ...names: string[]): bigint {
  for (const n of names) {
    const v = rec.get(n);
    if (v !== undefined && v !== '') return BigInt(v);
  }
  throw new Error(`listing record lacks field ${names.join('/')}`);
}

export function numField(rec: ProcRecord, ...names: string[]): number {
  return Number(bigField(rec, ...names));
}

/** DMA mode columns: letters as the module writes them (r, w, rw), or bits. */
export function modeField(rec: ProcRecord, ...names: string[]): number {
  for (const n of names) {
    const v = rec.get(n);
    if (v === undefined || v === '') continue;
    if (/^(0x)?[0-9a-f]+$/i.test(v)) return Number(BigInt(v));
    return letterBits(v);
  }
  throw new Error(`listing record lacks field ${names.join('/')}`);
}
