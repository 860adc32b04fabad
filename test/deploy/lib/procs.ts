/**
 * Child processes for the end-to-end test (an agent, a Prometheus), which
 * must never outlive it: every child is killed on exit, on SIGINT/SIGTERM and
 * on an uncaught error, the process group included (the agent may run tsx).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { openSync, readFileSync } from 'node:fs';

const children = new Set<ChildProcess>();

function killAll(signal: NodeJS.Signals): void {
  for (const c of children) {
    if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
      try {
        process.kill(-c.pid, signal); // its whole group
      } catch {
        /* already gone */
      }
    }
  }
}

process.on('exit', () => killAll('SIGKILL'));
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAll('SIGKILL');
    process.exit(130);
  });
}

export interface Started {
  child: ChildProcess;
  log: string;
  /** the last lines of the child's output, for failure messages */
  tail(lines?: number): string;
  stop(): Promise<void>;
}

export function start(cmd: string, args: string[], opts: { cwd: string; log: string; env?: NodeJS.ProcessEnv }): Started {
  const fd = openSync(opts.log, 'a');
  // detached: its own process group, so stop() reaches grandchildren too.
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', fd, fd], detached: true });
  children.add(child);
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  return {
    child,
    log: opts.log,
    tail(lines = 15) {
      try {
        return readFileSync(opts.log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '(no output)';
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          /* gone */
        }
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            /* gone */
          }
        }, 5000);
        await exited;
        clearTimeout(timer);
      }
      children.delete(child);
    },
  };
}

/** A port free right now on 127.0.0.1 (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? res(addr.port) : rej(new Error('no port'))));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns true; throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number, alive?: Started): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (alive && (alive.child.exitCode !== null || alive.child.signalCode !== null)) {
      throw new Error(`${what}: the process exited (${alive.child.exitCode ?? alive.child.signalCode}):\n${alive.tail()}`);
    }
    try {
      if (await probe()) return;
    } catch {
      /* not yet */
    }
    await sleep(250);
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000}s${alive ? `:\n${alive.tail()}` : ''}`);
}
