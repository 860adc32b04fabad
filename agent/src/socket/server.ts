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
 * desynchronise the stream or reach the core with garbage.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { Errno } from '../backends/errors.ts';
import type { GdlCore } from '../native/core.ts';
import { Ioc } from '../native/uapi.ts';
import { peerCred, type PeerCred } from '../identity/peercred.ts';
import type { PeerIdentity } from '../identity/service.ts';
import { handle, type Caller, type CoreContext } from './handlers.ts';
import { encodeReply, parseFrame } from './wire.ts';

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
  ctx: CoreContext;
  buf: Buffer;
  closed: boolean;
}

const quiet: SocketLog = { info() {}, warn() {} };

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

  /** Releases the connections whose peer process is gone; returns how many. */
  private reapDeadPeers(except: Conn): number {
    let reaped = 0;
    for (const c of [...this.conns]) {
      if (c === except || peerAlive(c.cred.pid)) continue;
      c.sock.destroy();
      this.release(c);
      reaped++;
    }
    return reaped;
  }

  private caller(conn: Conn): Caller {
    const gen = this.opts.generation();
    if (gen !== conn.gen) {
      conn.ident = this.opts.resolve(conn.cred);
      conn.gen = gen;
    }
    return { agent: conn.ident.agent, privileged: conn.cred.uid === 0 };
  }

  private data(conn: Conn, chunk: Buffer): void {
    if (conn.closed) return;
    conn.buf = conn.buf.length ? Buffer.concat([conn.buf, chunk]) : chunk;
    const out: Buffer[] = [];
    let off = 0;
    for (;;) {
      const r = parseFrame(conn.buf.subarray(off));
      if (r.kind === 'need') break;
      if (r.kind === 'fatal') {
        out.push(encodeReply(r.cmd, -r.errno));
        conn.sock.end(Buffer.concat(out));
        conn.buf = Buffer.alloc(0);
        // Release at once: a client must not keep quota through a half-closed socket.
        this.release(conn);
        return;
      }
      off += r.used;
      if (r.kind === 'reject') {
        out.push(encodeReply(r.cmd, -r.errno));
        continue;
      }
      let reply = handle(r.frame.cmd, conn.ctx, this.caller(conn), r.frame.payload);
      // A refusal for quota may only be stale bookkeeping: a peer that died
      // has released its memory (the module's files close before the
      // parent's wait returns), but its socket's close may still be queued
      // behind this request. Release dead peers now and decide again.
      if (reply.result === -Errno.EDQUOT && r.frame.cmd === Ioc.ALLOC && this.reapDeadPeers(conn) > 0) {
        reply = handle(r.frame.cmd, conn.ctx, this.caller(conn), r.frame.payload);
      }
      out.push(encodeReply(r.frame.cmd, reply.result, reply.payload));
    }
    conn.buf = off ? Buffer.from(conn.buf.subarray(off)) : conn.buf;
    // Backpressure: a client that does not read its replies stops being read.
    if (out.length && !conn.sock.write(out.length === 1 ? out[0]! : Buffer.concat(out))) conn.sock.pause();
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
