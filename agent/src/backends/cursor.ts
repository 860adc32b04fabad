/**
 * Listing cursors travel through HTTP as opaque base64url strings; each
 * backend decides what is inside. A cursor that does not decode is the
 * caller's mistake (400), never a crash.
 */
import { GdlError } from './errors.ts';

export function encodeCursor(bytes: Buffer): string {
  return bytes.toString('base64url');
}

export function decodeCursor(cursor: string, expectedBytes: number): Buffer {
  const bytes = Buffer.from(cursor, 'base64url');
  if (bytes.length !== expectedBytes || encodeCursor(bytes) !== cursor) {
    throw new GdlError('list', 22 /* EINVAL */, 'malformed cursor');
  }
  return bytes;
}
