/**
 * The alert rules, as code beside the dashboards (the kubernetes-mixin way):
 * metric and label names come from the agent's names.ts and dashboard links
 * from the dashboard modules, so a rename breaks the generator instead of
 * silently emptying an alert. generate.ts writes alerts/gpu-dma-lock.rules.yml
 * from this; `--check` fails when the committed file differs.
 */
import { stringify } from 'yaml';
import { uid as agentsUid } from './agents.ts';
import { uid as healthUid } from './health.ts';
import { Label, Metric } from './lib/metrics.ts';

/** `node` is attached by the scrape config; `instance` by Prometheus. */
const BY_TARGET = 'node, instance';
/** The agent's scrape jobs (deploy/prometheus/): rename both together. */
const JOB = 'job=~"gpu-dma-lock.*"';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: 'info' | 'warning' | 'critical' };
  annotations: { summary: string; description: string; dashboard: string };
}

const link = (uid: string) => `/d/${uid}`;

export const GROUPS: { name: string; rules: Rule[] }[] = [
  {
    name: 'gpu-dma-lock.quota',
    rules: [
      {
        alert: 'GpuDmaLockQuotaNearLimit',
        expr: `${Metric.agentUsedBytes} / (${Metric.agentQuotaBytes} > 0) > 0.9`,
        for: '10m',
        labels: { severity: 'warning' },
        annotations: {
          summary: `Agent {{ $labels.${Label.agent} }} on {{ $labels.node }} uses {{ $value | humanizePercentage }} of its GPU memory quota`,
          description: 'Allocations beyond the quota are refused with EDQUOT. Raise the agent\'s quota in the policy (or with `gdl quota AGENT SIZE`), or find what holds the memory (Agents dashboard, "Used per device").',
          dashboard: link(agentsUid),
        },
      },
      {
        alert: 'GpuDmaLockQuotaRefusals',
        expr: `sum by (${BY_TARGET}) (rate(${Metric.quotaViolationsTotal}[5m])) > 0.1`,
        for: '10m',
        labels: { severity: 'warning' },
        annotations: {
          summary: '{{ $labels.node }} refuses {{ $value | humanize }} allocations/s over quota',
          description: 'Allocations keep being refused with EDQUOT. See the Agents dashboard and the quota_violation traces.',
          dashboard: link(agentsUid),
        },
      },
    ],
  },
  {
    name: 'gpu-dma-lock.dma',
    rules: [
      {
        alert: 'GpuDmaLockDmaDenied',
        expr: `sum by (${BY_TARGET}) (increase(${Metric.denialsTotal}[5m])) > 0`,
        labels: { severity: 'warning' },
        annotations: {
          summary: '{{ $labels.node }} denied {{ $value | humanize }} DMA checks in 5 minutes',
          description: 'Follow the denial panel\'s trace link (Agents dashboard) to see which agent, address and device.',
          dashboard: link(agentsUid),
        },
      },
      {
        alert: 'GpuDmaLockDmaDenialRateHigh',
        expr: `sum by (${BY_TARGET}) (rate(${Metric.denialsTotal}[5m])) > 1`,
        for: '5m',
        labels: { severity: 'critical' },
        annotations: {
          summary: '{{ $labels.node }} denies {{ $value | humanize }} DMA checks/s',
          description: 'A sustained denial rate; a workload is being blocked continuously or something is probing memory it was not granted.',
          dashboard: link(agentsUid),
        },
      },
    ],
  },
  {
    name: 'gpu-dma-lock.agent',
    rules: [
      {
        alert: 'GpuDmaLockEventsLost',
        expr: `sum by (${BY_TARGET}, ${Label.source}) (increase(${Metric.eventsLostTotal}[5m])) > 0`,
        labels: { severity: 'warning' },
        annotations: {
          summary: `{{ $labels.node }} lost {{ $value | humanize }} {{ $labels.${Label.source} }} events in 5 minutes`,
          description: 'The ring buffer was full. The agent is too slow (CPU limits?) or the ring too small. See the Agent health dashboard.',
          dashboard: link(healthUid),
        },
      },
      {
        alert: 'GpuDmaLockSpansDropped',
        expr: `sum by (${BY_TARGET}) (increase(${Metric.spansDroppedTotal}[10m])) > 0`,
        for: '10m',
        labels: { severity: 'info' },
        annotations: {
          summary: '{{ $labels.node }} drops spans: the OTLP collector is unreachable or slow',
          description: 'Metrics are complete; denial trace links will miss spans. Check the otel-collector.',
          dashboard: link(healthUid),
        },
      },
      {
        alert: 'GpuDmaLockAgentDown',
        expr: `up{${JOB}} == 0`,
        for: '2m',
        labels: { severity: 'critical' },
        annotations: {
          summary: 'gpu-dma-lock agent {{ $labels.instance }} ({{ $labels.node }}) is down',
          description: 'The module keeps enforcing quotas and grants without the agent, but policy reloads, the API, metrics and traces are gone. Check `systemctl status gpu-dma-lock-agent` or the DaemonSet pod.',
          dashboard: link(healthUid),
        },
      },
      {
        // up == 0 needs a target; if service discovery lost every agent there is no `up` series at all.
        alert: 'GpuDmaLockAgentAbsent',
        expr: `absent(up{${JOB}})`,
        for: '5m',
        labels: { severity: 'critical' },
        annotations: {
          summary: 'No gpu-dma-lock agent is being scraped',
          description: 'Prometheus has no gpu-dma-lock target at all. Check the scrape config (docs/operations.md) and that the agents run.',
          dashboard: link(healthUid),
        },
      },
    ],
  },
];

const HEADER = `# Alert rules for gpu-dma-lock (Prometheus format). Load with rule_files: in
# prometheus.yml (deploy/prometheus/prometheus.yml) or a PrometheusRule.
#
# GENERATED from dashboards/src/alerts.ts by dashboards/src/generate.ts: edit
# the source, regenerate, commit both. Metric and label names come from
# agent/src/telemetry/names.ts. \`node\` is attached by the scrape config, not
# by the agent. The agent's scrape job is matched by \`job=~"gpu-dma-lock.*"\`.
#
# Checked by dashboards/test.sh: promtool check rules, promtool test rules
# (gpu-dma-lock.test.yml, firing and not firing cases), and every expr
# evaluated against a live Prometheus scraping a real agent.
`;

/** The rules file's text. */
export function renderRules(): string {
  const groups = GROUPS.map((g) => ({ name: g.name, rules: g.rules.map((r) => ({ ...r, expr: `${r.expr}\n` })) }));
  return HEADER + stringify({ groups }, { lineWidth: 0 });
}
