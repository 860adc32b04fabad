/**
 * Failures of the governance core, whichever backend answered: a negative
 * errno from libgdlcore or the errno of a failed ioctl. The HTTP layer maps
 * them to status codes (http/errors.ts); the CLI prints them.
 */
import { constants } from 'node:os';

/** The operation that failed: the same errno means different things per op (ENOSPC). */
export type BackendOp =
  | 'open' | 'info' | 'stats' | 'device' | 'set_agent' | 'get_agent' | 'remove_agent'
  | 'alloc' | 'free' | 'grant' | 'revoke' | 'check' | 'list' | 'bind' | 'unbind';

const ERRNO_NAMES: Map<number, string> = new Map(
  Object.entries(constants.errno).map(([name, value]) => [value, name]),
);

export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(Math.abs(errno)) ?? `E${Math.abs(errno)}`;
}

export const Errno = constants.errno;

export class GdlError extends Error {
  /** positive errno */
  readonly errno: number;
  /** symbolic errno, e.g. 'EDQUOT' */
  readonly code: string;
  readonly op: BackendOp;

  constructor(op: BackendOp, errno: number, detail?: string) {
    const positive = Math.abs(errno);
    const code = errnoName(positive);
    super(`${op} failed: ${code}${detail ? ` (${detail})` : ''}`);
    this.name = 'GdlError';
    this.errno = positive;
    this.code = code;
    this.op = op;
  }
}

/** Throws a GdlError for a negative libgdlcore return, else returns it. */
export function check(op: BackendOp, rc: number, detail?: string): number {
  if (rc < 0) throw new GdlError(op, rc, detail);
  return rc;
}
