/**
 * A client of the agent socket (docs/wire.md), for tests and tools: one
 * connection, requests answered in order.
 */
import { connect, type Socket } from 'node:net';
import { GdlWireHdr } from '../native/uapi.ts';
import { encodeRequest, HDR_SIZE } from './wire.ts';

export interface WireReply {
  cmd: number;
  result: number;
  payload: Buffer;
}

export class WireClient {
  private buf = Buffer.alloc(0);
  private readonly waiting: { ok(r: WireReply): void; ko(e: Error): void }[] = [];
  closed = false;

  private constructor(readonly sock: Socket) {
    sock.on('data', (d: Buffer) => this.data(d));
    sock.on('close', () => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w.ko(new Error('connection closed'));
    });
    sock.on('error', () => {});
  }

  static open(path: string): Promise<WireClient> {
    return new Promise((ok, ko) => {
      const s = connect(path);
      s.once('connect', () => ok(new WireClient(s)));
      s.once('error', ko);
    });
  }

  private data(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    while (this.buf.length >= HDR_SIZE) {
      const h = GdlWireHdr.decode(this.buf);
      if (this.buf.length < HDR_SIZE + h.len) return;
      const payload = Buffer.from(this.buf.subarray(HDR_SIZE, HDR_SIZE + h.len));
      this.buf = this.buf.subarray(HDR_SIZE + h.len);
      this.waiting.shift()?.ok({ cmd: h.cmd, result: h.result, payload });
    }
  }

  /** Sends raw bytes that carry @replies requests; resolves with their replies. */
  raw(bytes: Buffer, replies = 1): Promise<WireReply[]> {
    const out: Promise<WireReply>[] = [];
    for (let i = 0; i < replies; i++) out.push(new Promise((ok, ko) => this.waiting.push({ ok, ko })));
    this.sock.write(bytes);
    return Promise.all(out);
  }

  async call(cmd: number, payload?: Buffer): Promise<WireReply> {
    return (await this.raw(encodeRequest(cmd, payload)))[0]!;
  }

  /** Resolves when the server has closed the connection. */
  whenClosed(): Promise<void> {
    return this.closed ? Promise.resolve() : new Promise((ok) => this.sock.once('close', () => ok()));
  }

  close(): void {
    this.sock.destroy();
  }
}
