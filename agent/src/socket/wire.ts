/**
 * The agent socket's framing (docs/wire.md, struct gdl_wire_hdr in the
 * UAPI header): a 16-byte header, then exactly _IOC_SIZE(cmd) bytes of the
 * command's struct. Pure functions, so the framing is testable alone.
 */
import { Errno } from '../backends/errors.ts';
import { GdlWireHdr, iocSize, Ioc } from '../native/uapi.ts';

export const HDR_SIZE = GdlWireHdr.size;
/** No request struct is near this; a larger len is a broken client. */
const MAX_PAYLOAD = 4096;

/** Commands the socket serves; every other number is answered -ENOTTY. */
const SERVED = new Set<number>([Ioc.NOOP, Ioc.INFO, Ioc.GET_AGENT, Ioc.ALLOC, Ioc.FREE, Ioc.CHECK, Ioc.GET_STATS, Ioc.GET_DEVICE]);

export interface Frame {
  cmd: number;
  payload: Buffer;
}

export type ParseResult =
  | { kind: 'need' }
  | { kind: 'frame'; frame: Frame; used: number }
  /** answer @errno to @cmd, skip @used bytes, keep the connection */
  | { kind: 'reject'; cmd: number; errno: number; used: number }
  /** answer @errno to @cmd and close: the stream can no longer be trusted */
  | { kind: 'fatal'; cmd: number; errno: number };

const { EINVAL, ENOTTY } = Errno;

/**
 * Looks at @buf from @off. The header is read field by field and the
 * payload is a view of @buf, not a copy: this runs once per request.
 */
export function parseFrame(buf: Buffer, off = 0): ParseResult {
  if (buf.length - off < HDR_SIZE) return { kind: 'need' };
  const cmd = buf.readUInt32LE(off);
  const len = buf.readUInt32LE(off + 4);
  if (buf.readUInt32LE(off + 12) !== 0 || buf.readInt32LE(off + 8) !== 0 || len > MAX_PAYLOAD) return { kind: 'fatal', cmd, errno: EINVAL };
  const known = SERVED.has(cmd);
  if (known && len !== iocSize(cmd)) return { kind: 'fatal', cmd, errno: EINVAL };
  const used = HDR_SIZE + len;
  if (buf.length - off < used) return { kind: 'need' };
  if (!known) return { kind: 'reject', cmd, errno: ENOTTY, used };
  return { kind: 'frame', frame: { cmd, payload: buf.subarray(off + HDR_SIZE, off + used) }, used };
}

/** A request, for clients and tests. */
export function encodeRequest(cmd: number, payload: Buffer = Buffer.alloc(0), flags = 0): Buffer {
  return Buffer.concat([GdlWireHdr.encode({ cmd, len: payload.length, result: 0, flags }), payload]);
}
