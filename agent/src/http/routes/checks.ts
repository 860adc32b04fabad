/**
 * DMA checks. A check changes no governance state, so it needs no token: an
 * operator or a workload-side tool may ask. It is still a decision of the
 * core: it counts in the module's stats and a denial becomes a span.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CheckBody, CheckResult } from '../schemas/checks.ts';
import { errors } from '../schemas/common.ts';
import { modeBits, range, u64 } from '../parse.ts';

const checks: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/v1/checks',
    {
      schema: {
        tags: ['dma'],
        summary: 'May this agent DMA to this range? (no token needed)',
        body: CheckBody,
        response: { 200: CheckResult, ...errors(400, 503) },
      },
    },
    async (req) => {
      const addr = u64(req.body.addr, 'addr');
      const length = u64(req.body.length, 'length');
      range(addr, length, 'range');
      const allowed = app.backend.check(u64(req.body.agent, 'agent'), req.body.device, addr, length, modeBits(req.body.mode));
      return { allowed, result: allowed ? ('allowed' as const) : ('denied' as const) };
    },
  );
};
export default checks;
