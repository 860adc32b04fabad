import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errors } from '../schemas/common.ts';
import { StatsBody } from '../schemas/stats.ts';

const s = (v: bigint) => v.toString();

const stats: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/stats',
    { schema: { tags: ['stats'], summary: 'Module-wide counters and gauges', response: { 200: StatsBody, ...errors(503) } } },
    async () => {
      const info = app.backend.info();
      const st = app.backend.stats();
      return {
        backend: info.kind,
        abiVersion: info.abiVersion,
        numDevices: info.numDevices,
        maxAgents: s(info.maxAgents),
        defaultQuota: s(info.defaultQuota),
        counters: {
          allocs: s(st.allocs), allocFailures: s(st.allocFailures), frees: s(st.frees),
          bytesAllocated: s(st.bytesAllocated), bytesFreed: s(st.bytesFreed), checks: s(st.checks),
          checksDenied: s(st.checksDenied), quotaViolations: s(st.quotaViolations), grants: s(st.grants),
          revokes: s(st.revokes),
        },
        gauges: { agents: s(st.agents), liveAllocations: s(st.liveAllocations), usedBytes: s(st.usedBytes), capacityBytes: s(st.capacityBytes) },
        events: app.events.stats(),
      };
    },
  );
};
export default stats;
