/**
 * DMA permissions. A grant adds a mode to every byte of a range, a revoke
 * removes it; overlapping grants merge, so there is no grant "resource" to
 * delete: a revocation is its own POST.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Grant } from '../../backends/backend.ts';
import { AgentParams, Empty, errors, Security } from '../schemas/common.ts';
import { GrantList, GrantQuery, RangeBody } from '../schemas/grants.ts';
import { modeBits, range, u64 } from '../parse.ts';
import { grantJson } from '../present.ts';
import { badRequest } from '../http-error.ts';
import { rangeAddr } from '../../range-addr.ts';
import type { Static } from 'typebox';

function toGrant(agent: bigint, body: Static<typeof RangeBody>): Grant {
  const addr = u64(rangeAddr(body, 'body', badRequest), 'addr');
  const length = u64(body.length, 'length');
  range(addr, length, 'range');
  return { agent, device: body.device, addr, length, mode: modeBits(body.mode) };
}

const grants: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/grants',
    { schema: { tags: ['dma'], summary: 'Granted DMA ranges of every agent (or one: ?agent=)', querystring: GrantQuery, response: { 200: GrantList, ...errors(400, 503) } } },
    async (req) => ({
      items: app.backend.listGrants(req.query.agent !== undefined ? u64(req.query.agent, 'agent') : undefined).map(grantJson),
    }),
  );

  app.get(
    '/v1/agents/:id/grants',
    { schema: { tags: ['dma'], summary: "One agent's granted DMA ranges", params: AgentParams, response: { 200: GrantList, ...errors(400, 404, 503) } } },
    async (req) => {
      const id = u64(req.params.id, 'id');
      app.backend.getAgent(id); // 404 for an unknown agent rather than an empty list
      return { items: app.backend.listGrants(id).map(grantJson) };
    },
  );

  const change = (summary: string, audit: string) => ({
    onRequest: app.requireToken,
    config: { audit },
    schema: {
      tags: ['dma'],
      summary,
      security: Security,
      params: AgentParams,
      body: RangeBody,
      response: { 204: Empty, ...errors(400, 401, 403, 404, 503) },
    },
  });

  /** The agent's grants on one device, before and after a change, for the audit record. */
  const onDevice = (g: Grant) => app.backend.listGrants(g.agent).filter((x) => x.device === g.device).map(grantJson);

  /** A grant or a revoke: the same range, the same audit record, one core call apart. */
  const rangeChange = (path: string, summary: string, action: 'grant.add' | 'grant.revoke', apply: (g: Grant) => void) =>
    app.post(path, change(summary, action), async (req, reply) => {
      const g = toGrant(u64(req.params.id, 'id'), req.body);
      const before = onDevice(g);
      apply(g);
      app.audit(req, { action, target: { agent: g.agent.toString(), device: g.device, addr: grantJson(g).addrHex, length: g.length.toString(), mode: req.body.mode }, before, after: onDevice(g) });
      return reply.code(204).send(null);
    });
  rangeChange('/v1/agents/:id/grants', 'Grant a DMA range to an agent', 'grant.add', (g) => app.backend.grant(g));
  rangeChange('/v1/agents/:id/revocations', 'Revoke a mode from a DMA range of an agent', 'grant.revoke', (g) => app.backend.revoke(g));
};
export default grants;
