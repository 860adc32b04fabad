/** Request strings -> core values, with the checks a JSON Schema pattern cannot do. */
import { U64_MAX } from '../units.ts';
import { badRequest } from './http-error.ts';

export function u64(value: string, field: string): bigint {
  const v = BigInt(value); // the schema pattern guarantees the syntax
  if (v > U64_MAX) throw badRequest(`${field} must fit in 64 bits (at most 18446744073709551615)`);
  return v;
}

export { modeBits, modeName } from '../dma-mode.ts';

/** A range's end must not pass 2^64, as the core would say with EINVAL. */
export function range(addr: bigint, length: bigint, field: string): void {
  if (addr + length - 1n > U64_MAX) throw badRequest(`${field}: addr + length overflows 64 bits`);
}

export function maskFrom(body: { deviceMask?: string; devices?: number[] }): bigint | undefined {
  if (body.deviceMask !== undefined && body.devices !== undefined) {
    throw badRequest('give deviceMask or devices, not both');
  }
  if (body.devices) return body.devices.reduce((m, d) => m | (1n << BigInt(d)), 0n);
  if (body.deviceMask !== undefined) return u64(body.deviceMask, 'deviceMask');
  return undefined;
}
