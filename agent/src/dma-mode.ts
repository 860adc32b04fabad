/**
 * DMA modes: the GDL_DMA_* bits of the UAPI and their spelling in the API,
 * the CLI, the policy file, events and spans ("r", "w", "rw"). Every
 * conversion between the two goes through here.
 */
import { GDL_DMA_READ, GDL_DMA_RW, GDL_DMA_WRITE } from './native/uapi.ts';

export const MODE_NAMES = ['r', 'w', 'rw'] as const;
export type ModeName = (typeof MODE_NAMES)[number];

export function isModeName(value: string): value is ModeName {
  return (MODE_NAMES as readonly string[]).includes(value);
}

/** "r" / "w" / "rw" -> GDL_DMA_* bits; bits given as a number (a policy file may) pass through. */
export function modeBits(mode: ModeName | number): number {
  return typeof mode === 'number' ? mode : letterBits(mode);
}

/**
 * Any spelling with the letters r and w (a /proc column may read "rw" or "r-")
 * -> GDL_DMA_* bits; what is not a mode letter is ignored.
 */
export function letterBits(letters: string): number {
  return (letters.includes('r') ? GDL_DMA_READ : 0) | (letters.includes('w') ? GDL_DMA_WRITE : 0);
}

/** GDL_DMA_* bits -> "r", "w" or "rw" (a record with no mode, 0, reads as "r"). */
export function modeName(bits: number): ModeName {
  return bits === GDL_DMA_RW ? 'rw' : bits === GDL_DMA_WRITE ? 'w' : 'r';
}
