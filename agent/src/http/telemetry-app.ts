/**
 * The telemetry listener: /metrics, /healthz and /readyz, nothing else and
 * no token. It is what Prometheus and the kubelet's probes reach, so it may
 * be bound to the network while the API (changes, reads, checks, events)
 * stays on loopback or a Unix socket.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Backend } from '../backends/backend.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import { registerErrorHandler } from './errors.ts';
import health from './routes/health.ts';
import metrics from './routes/metrics.ts';
import './types.ts';

export default async function telemetryApp(app: FastifyInstance, opts: { backend: Backend; metrics: Metrics }): Promise<void> {
  app.decorate('backend', opts.backend);
  app.decorate('metrics', opts.metrics);
  registerErrorHandler(app);
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  await api.register(health);
  await api.register(metrics);
}
