/**
 * The live decision stream as Server-Sent Events (`gdl watch`).
 *
 * Each client has a bounded send buffer: a client that reads slower than
 * events arrive loses events (counted and announced with an `event: lost`
 * message) rather than growing the agent's memory.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ServerResponse } from 'node:http';
import Type from 'typebox';
import type { DecisionKind, GdlEvent } from '../../events/types.ts';
import { eventJson } from '../../events/json.ts';
import type { EventHub } from '../../events/hub.ts';
import { AgentId, errors } from '../schemas/common.ts';
import { badRequest, HttpError } from '../http-error.ts';
import { u64 } from '../parse.ts';
import { DECISION_KINDS } from '../../native/abi.gen.ts';

/** GDL_DECISION_KINDS (the UAPI header's one list), in value order. */
const KINDS: readonly DecisionKind[] = Object.values(DECISION_KINDS);
const MAX_BUFFERED_BYTES = 1 << 20;
const HEARTBEAT_MS = 15_000;

const EventsQuery = Type.Object(
  {
    kinds: Type.Optional(Type.String({ pattern: '^[a-z_]+(,[a-z_]+)*$', description: `comma list of ${KINDS.join(', ')}, cuda` })),
    agent: Type.Optional(AgentId),
  },
  { additionalProperties: false },
);

function filterFor(kinds: string | undefined, agent: string | undefined): (e: GdlEvent) => boolean {
  const wanted = kinds ? new Set(kinds.split(',')) : null;
  for (const k of wanted ?? []) {
    if (k !== 'cuda' && !KINDS.includes(k as DecisionKind)) throw badRequest(`kinds: unknown kind "${k}" (known: ${KINDS.join(', ')}, cuda)`);
  }
  const agentId = agent !== undefined ? u64(agent, 'agent') : undefined;
  return (e) => {
    const kind = e.type === 'cuda' ? 'cuda' : e.kind;
    if (wanted && !wanted.has(kind)) return false;
    if (agentId !== undefined && (e.type !== 'decision' || e.agentId !== agentId)) return false;
    return true;
  };
}

/** Starts the SSE response on @res (the reply is hijacked: Fastify sends nothing more). */
function openStream(res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 2000\n: connected\n\n');
}

/**
 * Writes each batch's kept events to @res until it closes; a client more than
 * MAX_BUFFERED_BYTES behind loses events, announced before the next write.
 */
function streamEvents(hub: EventHub, res: ServerResponse, keep: (e: GdlEvent) => boolean, onClose: () => void): void {
  let lost = 0;
  const unsubscribe = hub.subscribe((batch) => {
    let chunk = '';
    for (const e of batch) if (keep(e)) chunk += `event: ${e.type}\ndata: ${JSON.stringify(eventJson(e))}\n\n`;
    if (!chunk) return;
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      lost += batch.filter(keep).length;
      return;
    }
    if (lost > 0) {
      chunk = `event: lost\ndata: ${JSON.stringify({ count: lost })}\n\n${chunk}`;
      lost = 0;
    }
    res.write(chunk);
  });
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  res.on('close', () => {
    clearInterval(heartbeat);
    unsubscribe();
    onClose();
  });
}

const events: FastifyPluginAsyncTypebox<{ maxClients: number }> = async (app, opts) => {
  const open = new Set<ServerResponse>();
  // End the streams before the server waits for connections to finish.
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
  });

  app.get(
    '/v1/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Live decision events (text/event-stream)',
        description: 'Each message is `event: decision|cuda` with a JSON `data:` line; `event: lost` reports events this client missed because it read too slowly.',
        querystring: EventsQuery,
        produces: ['text/event-stream'],
        response: { ...errors(400, 401, 429, 503) },
      },
    },
    async (req, reply) => {
      if (!app.events.available) {
        throw new HttpError(503, 'EVENTS_UNAVAILABLE', 'this backend has no event source (BPF pipeline not running)');
      }
      const keep = filterFor(req.query.kinds, req.query.agent);
      if (open.size >= opts.maxClients) {
        // Each stream holds a buffer of up to MAX_BUFFERED_BYTES: the cap bounds the agent's memory.
        reply.header('retry-after', '10');
        throw new HttpError(429, 'TOO_MANY_STREAMS', `${open.size} event streams are open, the most this agent serves (maxEventClients): close one or retry later`);
      }
      reply.hijack();
      const res = reply.raw;
      openStream(res);
      open.add(res);
      streamEvents(app.events, res, keep, () => open.delete(res));
    },
  );
};
export default events;
