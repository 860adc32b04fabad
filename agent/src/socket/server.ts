/**
 * The agent's Unix socket for the CUDA interposer when no module is loaded
 * (docs/wire.md). Each connection is one owner of the embedded core, exactly
 * as an open file of /dev/gpu_dma_lock is one owner of the module's: its
 * non-persistent allocations are released when it closes, however it
 * closes (exit, kill -9, crash). The peer's identity comes from
 * SO_PEERCRED and /proc/<pid>/cgroup, never from what it sends.
 *
 * Requests are handled synchronously in arrival order; a framing error
 * gets its errno and the connection is closed, so a broken client can never
 * desynchronise the stream or reach the core with garbage. The replies to
 * one read go out in one write.
 *
 * A client need not wait for a FREE's reply (the interposer does not:
 * docs/cuda.md, "Two transports"), so another connection's free may still sit,
 * sent but unread, in its socket when an ALLOC is decided. Before a quota
 * or capacity refusal stands, and before a GET_AGENT view, the server
 * settles the others: it reads and handles, synchronously, what every other
 * connection has already sent, and releases the peers that died. A free is
 * thus effective for everyone once the client's send has returned.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readSync, statSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { Errno } from '../backends/errors.ts';
import type { GdlCore } from '../native/core.ts';
import { Ioc } from '../native/uapi.ts';
import { peerCred, socketFd, type PeerCred } from '../identity/peercred.ts';
import type { PeerIdentity } from '../identity/service.ts';
import { handle, type Caller, type CoreContext } from './handlers.ts';
import { HDR_SIZE, parseFrame } from './wire.ts';

export interface SocketLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}

export interface SocketServerOptions {
  path: string;
  core: GdlCore;
  maxAgents: bigint;
  defaultQuota: bigint;
  /** who a peer is; called at connect and again whenever @generation changes */
  resolve(cred: PeerCred): PeerIdentity;
  /** bumps when bindings change, so connections re-resolve */
  generation(): number;
  log?: SocketLog;
  /** file mode of the socket: every local user may connect, identity comes from the kernel */
  mode?: number;
}

export interface ConnectionInfo {
  pid: number;
  uid: number;
  gid: number;
  agent: bigint | null;
  cgroup: string | null;
  via: string | null;
}

interface Conn {
  sock: Socket;
  cred: PeerCred;
  ident: PeerIdentity;
  gen: number;
  /** who this connection acts as, for @gen */
  caller: Caller;
  ctx: CoreContext;
  buf: Buffer;
  closed: boolean;
}

const quiet: SocketLog = { info() {}, warn() {} };
const EMPTY = Buffer.alloc(0);

/** The replies to one read, written with one write: headers and payloads into one buffer. */
class ReplyBatch {
  count = 0;
  private size = 0;
  private readonly parts: { cmd: number; result: number; payload: Buffer | undefined }[] = [];

  add(cmd: number, result: number, payload?: Buffer): void {
    const body = result === 0 ? payload : undefined;
    this.parts.push({ cmd, result, payload: body });
    this.size += HDR_SIZE + (body?.length ?? 0);
    this.count++;
  }

  bytes(): Buffer {
    const b = Buffer.allocUnsafe(this.size);
    let o = 0;
    for (const p of this.parts) {
      const len = p.payload?.length ?? 0;
      b.writeUInt32LE(p.cmd, o);
      b.writeUInt32LE(len, o + 4);
      b.writeInt32LE(p.result, o + 8);
      b.writeUInt32LE(0, o + 12);
      if (len) p.payload!.copy(b, o + HDR_SIZE);
      o += HDR_SIZE + len;
    }
    return b;
  }
}

/** Whether a process exists (a zombie still does): only ESRCH says it is gone. */
function peerAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim().slice(0, 15);
  } catch {
    return '';
  }
}

/** Resolves when @path is a socket nobody answers on (stale), rejects when one does. */
function probeStale(path: string): Promise<boolean> {
  return new Promise((done) => {
    const c = connect(path);
    c.once('connect', () => {
      c.destroy();
      done(false);
    });
    c.once('error', () => done(true));
  });
}

export class SocketServer {
  private server: Server | undefined;
  private readonly conns = new Set<Conn>();
  private readonly log: SocketLog;
  private ino: bigint | undefined;
  /** whether settleOthers() is running (it is not reentrant) */
  private settling = false;
  /** settleOthers() reads into it; what it read is copied out before the next read */
  private readonly scratch = Buffer.allocUnsafe(64 * 1024);

  constructor(private readonly opts: SocketServerOptions) {
    this.log = opts.log ?? quiet;
  }

  get path(): string {
    return this.opts.path;
  }

  async listen(): Promise<void> {
    const path = this.opts.path;
    const dir = dirname(path);
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o755 });
    if (existsSync(path)) {
      if (!lstatSync(path).isSocket()) throw new Error(`${path} exists and is not a socket: not replacing it`);
      if (!(await probeStale(path))) throw new Error(`${path}: another agent is serving it`);
      unlinkSync(path);
      this.log.info({ socket: path }, 'removed a stale socket');
    }
    const server = createServer({ allowHalfOpen: false }, (sock) => this.accept(sock));
    await new Promise<void>((ok, ko) => {
      server.once('error', ko);
      server.listen(path, () => {
        server.off('error', ko);
        ok();
      });
    });
    chmodSync(path, this.opts.mode ?? 0o666);
    this.ino = statSync(path, { bigint: true }).ino;
    this.server = server;
  }

  connections(): ConnectionInfo[] {
    return [...this.conns].map((c) => ({
      pid: c.cred.pid, uid: c.cred.uid, gid: c.cred.gid, agent: c.ident.agent, cgroup: c.ident.cgroup, via: c.ident.via,
    }));
  }

  private accept(sock: Socket): void {
    let cred: PeerCred;
    try {
      cred = peerCred(sock);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'socket peer without credentials: closed');
      sock.destroy();
      return;
    }
    const ident = this.opts.resolve(cred);
    const core = this.opts.core;
    let owner;
    try {
      owner = core.openOwner(cred.pid, comm(cred.pid), ident.agent ?? 0n);
    } catch {
      sock.destroy();
      return;
    }
    const conn: Conn = {
      sock, cred, ident, gen: this.opts.generation(), buf: Buffer.alloc(0), closed: false,
      caller: { agent: ident.agent, privileged: cred.uid === 0 },
      ctx: { core, owner, maxAgents: this.opts.maxAgents, defaultQuota: this.opts.defaultQuota },
    };
    this.conns.add(conn);
    this.log.debug?.({ pid: cred.pid, uid: cred.uid, agent: ident.agent?.toString() ?? null, via: ident.via }, 'socket peer connected');
    sock.on('data', (chunk: Buffer) => this.data(conn, chunk));
    sock.on('error', () => {});
    sock.on('close', () => this.release(conn));
    sock.on('drain', () => sock.resume());
  }

  /** The owner goes with the connection: its quota comes back now. */
  private release(conn: Conn): void {
    if (conn.closed) return;
    conn.closed = true;
    this.conns.delete(conn);
    conn.ctx.core.closeOwner(conn.ctx.owner);
  }

  /**
   * Makes the ledger current before a refusal or a view: releases the
   * connections whose peer process is gone (the module's files close before
   * the parent's wait returns, but a socket's close may still be queued
   * behind this request), and handles what the other connections have
   * already sent (a FREE whose reply its client does not wait for).
   * Returns whether anything was released or read: only then can a
   * decision change (and only then is it made again, so a refusal is one
   * decision event, not two).
   */
  private settleOthers(except: Conn): boolean {
    if (this.settling) return false;
    this.settling = true;
    let changed = false;
    try {
      for (const c of [...this.conns]) {
        if (c === except || c.closed) continue;
        if (!peerAlive(c.cred.pid)) {
          c.sock.destroy();
          this.release(c);
          changed = true;
          continue;
        }
        if (this.readPending(c)) changed = true;
      }
    } finally {
      this.settling = false;
    }
    return changed;
  }

  /**
   * Reads @c's socket now, without waiting for the event loop, and handles
   * it. A paused connection (its client does not read its replies) is left
   * alone: what it sent waits for it to read. Returns whether it read
   * anything.
   */
  private readPending(c: Conn): boolean {
    const fd = socketFd(c.sock);
    let read = false;
    while (fd >= 0 && !c.closed && !c.sock.isPaused()) {
      let n: number;
      try {
        n = readSync(fd, this.scratch, 0, this.scratch.length, null);
      } catch {
        break; // EAGAIN: nothing more; a real error reaches the socket's own handlers
      }
      read = true;
      if (n === 0) {
        // The peer closed: its owner goes now, as its 'close' would.
        c.sock.end();
        this.release(c);
        break;
      }
      this.data(c, Buffer.from(this.scratch.subarray(0, n)));
    }
    return read;
  }

  private callerOf(conn: Conn): Caller {
    const gen = this.opts.generation();
    if (gen !== conn.gen) {
      conn.ident = this.opts.resolve(conn.cred);
      conn.gen = gen;
      conn.caller = { agent: conn.ident.agent, privileged: conn.cred.uid === 0 };
    }
    return conn.caller;
  }

  private data(conn: Conn, chunk: Buffer): void {
    if (conn.closed) return;
    conn.buf = conn.buf.length ? Buffer.concat([conn.buf, chunk]) : chunk;
    const out = new ReplyBatch();
    let off = 0;
    for (;;) {
      const r = parseFrame(conn.buf, off);
      if (r.kind === 'need') break;
      if (r.kind === 'fatal') {
        out.add(r.cmd, -r.errno);
        conn.sock.end(out.bytes());
        conn.buf = Buffer.alloc(0);
        // Release at once: a client must not keep quota through a half-closed socket.
        this.release(conn);
        return;
      }
      off += r.used;
      if (r.kind === 'reject') {
        out.add(r.cmd, -r.errno);
        continue;
      }
      const cmd = r.frame.cmd;
      if (cmd === Ioc.GET_AGENT) this.settleOthers(conn);
      let reply = handle(cmd, conn.ctx, this.callerOf(conn), r.frame.payload);
      // A refusal may be stale bookkeeping (a dead peer, a free not read
      // yet): settle the others and decide again.
      if (cmd === Ioc.ALLOC && (reply.result === -Errno.EDQUOT || reply.result === -Errno.ENOSPC) && this.settleOthers(conn)) {
        reply = handle(cmd, conn.ctx, this.callerOf(conn), r.frame.payload);
      }
      out.add(cmd, reply.result, reply.payload);
    }
    conn.buf = off === conn.buf.length ? EMPTY : off ? Buffer.from(conn.buf.subarray(off)) : conn.buf;
    // Backpressure: a client that does not read its replies stops being read.
    if (out.count && !conn.sock.write(out.bytes())) conn.sock.pause();
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const c of [...this.conns]) {
      c.sock.destroy();
      this.release(c);
    }
    if (server) await new Promise<void>((ok) => server.close(() => ok()));
    // Remove the file only if it is still ours (not a successor agent's).
    try {
      if (this.ino !== undefined && statSync(this.opts.path, { bigint: true }).ino === this.ino) unlinkSync(this.opts.path);
    } catch {
      // already gone
    }
  }
}
