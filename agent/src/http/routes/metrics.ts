/** Prometheus text exposition of the agent's OpenTelemetry metrics (on the API and the telemetry listener; no token). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';

const metrics: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/metrics',
    {
      config: { public: true },
      schema: {
        tags: ['telemetry'],
        summary: 'Prometheus metrics (text format 0.0.4)',
        produces: ['text/plain'],
        response: { 200: Type.String() },
      },
    },
    async (_req, reply) => {
      const text = await app.metrics.scrape();
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
    },
  );
};
export default metrics;
