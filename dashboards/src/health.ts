/**
 * The agent's own health: is it scraped, does the event pipeline keep up,
 * do spans reach the collector, and how fast does the API answer.
 */
import { QueryVariableBuilder, VariableRefresh } from '@grafana/grafana-foundation-sdk/dashboard';
import { assemble, type PanelBuilder } from './lib/dashboard.ts';
import { Label, Metric, NODE, sel, sumRate } from './lib/metrics.ts';
import { ratePanel, statPanel, timeseriesPanel } from './lib/panels.ts';
import { PROM, standardVariables } from './lib/variables.ts';

export const uid = 'gdl-agent-health';

const JOB = 'job=~"$job"';

export function build() {
  return assemble({
    uid,
    title: 'gpu-dma-lock / Agent health',
    description:
      'The gpu-dma-lock agent itself: scrape status, event pipeline (received, lost, skipped), span export drops, API latency.',
    variables: [...standardVariables({ device: false, agent: false }), jobVariable()],
    rows: [
      ['Scrape', scrapePanels()],
      ['Event pipeline', eventPipelinePanels()],
      ['HTTP API', httpApiPanels()],
    ],
  });
}

/**
 * The scrape job's name depends on the deployment (static config, or
 * Kubernetes pod discovery); take it from where the agent's metrics are.
 */
function jobVariable(): QueryVariableBuilder {
  const jobQuery = `label_values(${Metric.buildInfo}, job)`;
  return new QueryVariableBuilder('job')
    .label('Job')
    .datasource(PROM)
    .query(jobQuery)
    .definition(jobQuery)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .multi(true)
    .includeAll(true)
    .allValue('.+')
    .current({ text: ['All'], value: ['$__all'] });
}

/** The "Scrape" row. */
function scrapePanels(): PanelBuilder[] {
  return [
    statPanel({
      title: 'Agents up',
      description: 'Agent scrape targets answering /metrics now (up == 1). Less than the node count means an agent is down: the "agent down" alert fires after 2 minutes.',
      unit: 'none',
      width: 6,
      height: 4,
      queries: [{ expr: `sum(${sel('up', JOB, NODE)})`, legend: 'up' }],
    }),
    statPanel({
      title: 'Agents down',
      description: 'Agent scrape targets that do not answer (up == 0).',
      unit: 'none',
      width: 6,
      height: 4,
      thresholds: [[1, 'red']],
      queries: [{ expr: `count(${sel('up', JOB, NODE)} == 0) or vector(0)`, legend: 'down' }],
    }),
    statPanel({
      title: 'Versions',
      description: 'Agents per version and backend (kernel: the module is loaded; embedded: the core runs in the agent). Mixed versions are expected only during a rollout.',
      unit: 'none',
      width: 12,
      height: 4,
      queries: [
        { expr: `count by (version, backend) (${sel(Metric.buildInfo, JOB, NODE)})`, legend: '{{version}} {{backend}}' },
      ],
    }),
  ];
}

/** The "Event pipeline" row. */
function eventPipelinePanels(): PanelBuilder[] {
  return [
    ratePanel({
      title: 'Events received',
      description: 'Decision and CUDA records decoded per second, by source (kernel ring buffer or embedded core).',
      queries: [
        {
          expr: sumRate(`node, ${Label.source}`, sel(Metric.eventsReceivedTotal, JOB, NODE)),
          legend: `{{node}} {{${Label.source}}}`,
        },
      ],
    }),
    ratePanel({
      title: 'Events lost and skipped',
      description: 'Lost: records the producer could not store (ring full; the agent is not keeping up). Skipped: records the agent could not decode (unknown type or short; a version mismatch between module, BPF objects and agent). Both should be zero.',
      queries: [
        { expr: sumRate('node, source', sel(Metric.eventsLostTotal, JOB, NODE)), legend: '{{node}} {{source}} lost' },
        {
          expr: sumRate('node, source, reason', sel(Metric.eventsSkippedTotal, JOB, NODE)),
          legend: '{{node}} {{source}} skipped ({{reason}})',
        },
      ],
    }),
    ratePanel({
      title: 'Spans lost',
      description: 'Spans that never reached the collector, by reason: queue_full (the collector is too slow or away), export_failed (refused or unreachable), export_timeout (it hangs), shutdown. Metrics are unaffected; traces behind denial links will be missing.',
      queries: [{ expr: sumRate(`node, ${Label.reason}`, sel(Metric.spansDroppedTotal, JOB, NODE)), legend: `{{node}} {{${Label.reason}}}` }],
    }),
    timeseriesPanel({
      title: 'Policy applies and backend reopens',
      description: 'Times the policy was applied (at start and on reload) and times the agent reopened /dev/gpu_dma_lock after a module reload, over each interval.',
      unit: 'short',
      min: 0,
      queries: [
        {
          expr: sumRate('node, reason', sel(Metric.policyAppliedTotal, JOB, NODE), 'increase'),
          legend: '{{node}} policy {{reason}}',
        },
        {
          expr: sumRate('node', sel(Metric.backendReopensTotal, JOB, NODE), 'increase'),
          legend: '{{node}} reopen',
        },
      ],
    }),
  ];
}

/** The "HTTP API" row. */
function httpApiPanels(): PanelBuilder[] {
  const bucket = `${Metric.httpRequestDurationSeconds}_bucket`;
  return [
    timeseriesPanel({
      title: 'API latency (p50 / p99)',
      description: 'Latency of the agent\'s HTTP API by route, from its request histogram (buckets 0.5 ms to 5 s).',
      unit: 's',
      min: 0,
      queries: [
        {
          expr: `histogram_quantile(0.5, ${sumRate('le, route', sel(bucket, JOB, NODE))})`,
          legend: 'p50 {{route}}',
        },
        {
          expr: `histogram_quantile(0.99, ${sumRate('le, route', sel(bucket, JOB, NODE))})`,
          legend: 'p99 {{route}}',
        },
      ],
    }),
    timeseriesPanel({
      title: 'API requests by status',
      description: 'Requests per second by route and status code. 401/403: callers without the token; 4xx on allocations are refusals, not faults.',
      unit: 'reqps',
      min: 0,
      queries: [
        {
          expr: sumRate('route, status_code', sel(`${Metric.httpRequestDurationSeconds}_count`, JOB, NODE)),
          legend: '{{route}} {{status_code}}',
        },
      ],
    }),
  ];
}
