/** Liveness (the process answers) and readiness (the core answers too). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Health } from '../schemas/stats.ts';

const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/healthz', { config: { public: true }, schema: { tags: ['health'], summary: 'Liveness', response: { 200: Health } } }, async () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    { config: { public: true }, schema: { tags: ['health'], summary: 'Readiness: the governance core answers', response: { 200: Health, 503: Health } } },
    async (_req, reply) => {
      const ready = app.backend.ready();
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', backend: app.backend.kind });
    },
  );
};
export default health;
