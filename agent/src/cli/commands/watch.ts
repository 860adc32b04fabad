/**
 * `gdl watch`: follow the agent's decision stream (SSE) until interrupted.
 * Each line starts with the decision's wall-clock time; modes print as
 * r/w/rw and refusals by errno name. When the agent goes away (stops,
 * restarts) the command says so and exits 3, never silently 0.
 */
import type { Command } from 'commander';
import { agentIdArg, clientFrom, clientOptions, type ClientFlags } from '../common.ts';
import { CliExit, Exit } from '../exit-codes.ts';
import { print } from '../output.ts';
import { errnoName } from '../../backends/errors.ts';
import { modeName } from '../../dma-mode.ts';
import { GDL_DMA_READ, GDL_DMA_RW, GDL_DMA_WRITE } from '../../native/uapi.ts';
import { DECISION_KINDS } from '../../native/abi.gen.ts';

interface WatchFlags extends ClientFlags {
  kinds?: string;
  agent?: string;
  count?: number;
}

/** "ok", or the errno name of a refusal ("EDQUOT"); older agents send only the number. */
function result(e: Record<string, unknown>): string {
  if (e.result === 0) return 'ok';
  if (typeof e.errno === 'string') return e.errno;
  const n = Math.abs(Number(e.result));
  return errnoName(n);
}

/**
 * The caller's process id. Agents that send `tid` send the process as `pid`;
 * older ones sent the thread as `pid` and the process as `tgid`.
 */
function processId(e: Record<string, unknown>): string {
  return String(e.tid !== undefined ? e.pid : e.tgid);
}

export function describe(type: string, e: Record<string, unknown>, now: () => Date = () => new Date()): string {
  const time = typeof e.time === 'string' ? e.time : now().toISOString();
  if (type === 'lost') return `${time} ! ${String(e.count)} events lost (this client read too slowly)`;
  if (type === 'cuda') {
    return `${time} cuda ${String(e.op)} pid=${processId(e)} size=${String(e.size)} ptr=${String(e.ptr)} result=${e.result === 0 ? 'ok' : `CUresult ${String(e.result)}`}`;
  }
  // Older agents sent the GDL_DMA_* bits; anything else prints as it came.
  const mode = typeof e.mode === 'number' && [GDL_DMA_READ, GDL_DMA_WRITE, GDL_DMA_RW].includes(e.mode) ? modeName(e.mode) : String(e.mode);
  const range = ['check', 'deny', 'grant', 'revoke'].includes(String(e.kind))
    ? `addr=${String(e.addrHex)} len=${String(e.length)} mode=${mode}`
    : `size=${String(e.length)} used=${String(e.used)} quota=${String(e.quota)}`;
  return `${time} ${String(e.kind).padEnd(15)} agent=${String(e.agent)} device=${String(e.device)} ${range} result=${result(e)} pid=${processId(e)} comm=${String(e.comm)}`;
}

export function registerWatch(program: Command): void {
  clientOptions(
    program
      .command('watch')
      .description('stream decisions live (Ctrl-C to stop)')
      .option('--kinds <list>', `only these kinds: ${[...Object.values(DECISION_KINDS), 'cuda'].join(',')}`)
      .option('--agent <id>', 'only this agent', agentIdArg)
      .option('--count <n>', 'stop after n events', (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new CliExit(Exit.usage, `--count: "${v}" is not a positive integer`);
        return n;
      }),
  ).action(async (f: WatchFlags) => {
    const api = clientFrom(f);
    const q = new URLSearchParams();
    if (f.kinds) q.set('kinds', f.kinds);
    if (f.agent) q.set('agent', f.agent);
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const res = await api.fetch(`/v1/events${q.size ? `?${q}` : ''}`, { headers: { accept: 'text/event-stream', ...api.authHeader('read') }, signal: abort.signal });
    if (!res.ok || !res.body) {
      const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
      throw new CliExit(Exit.refused, `${body.error?.code ?? `HTTP ${res.status}`}: ${body.error?.message ?? 'no stream'}`);
    }
    let seen = 0;
    try {
      for await (const { type, data } of serverSentEvents(res.body)) {
        print(f.json ? JSON.stringify({ event: type, ...(JSON.parse(data) as object) }) : describe(type, JSON.parse(data) as Record<string, unknown>));
        if (type !== 'lost' && f.count !== undefined && ++seen >= f.count) {
          abort.abort();
          return;
        }
      }
      // The server ended the stream: the agent stopped or restarted.
      throw new CliExit(Exit.unreachable, `the agent at ${api.base} closed the event stream (stopped or restarted)`);
    } catch (err) {
      if (err instanceof CliExit) throw err;
      if (!abort.signal.aborted) throw new CliExit(Exit.unreachable, `the event stream from ${api.base} broke: ${(err as Error).message}`);
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  });
}

/** The messages of a text/event-stream body that carry data, as they complete. */
async function* serverSentEvents(body: AsyncIterable<unknown>): AsyncGenerator<{ type: string; data: string }> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const message = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let type = 'message';
      let data = '';
      for (const line of message.split('\n')) {
        if (line.startsWith('event: ')) type = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (data) yield { type, data };
    }
  }
}
