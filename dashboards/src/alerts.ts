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

/** One rule; its dashboard link is its group's. */
interface Rule {
  alert: string;
  expr: string;
  for?: string;
  severity: 'info' | 'warning' | 'critical';
  summary: string;
  description: string;
}

/** Rules about one subject, all linking to the dashboard that shows it. */
interface Group {
  name: string;
  dashboard: string;
  rules: Rule[];
}

/** A counter's rate or increase over @window, summed per scrape target (and by @by). */
function perTarget(fn: 'rate' | 'increase', metric: string, window: string, by?: string): string {
  return `sum by (${BY_TARGET}${by ? `, ${by}` : ''}) (${fn}(${metric}[${window}]))`;
}

const GROUPS: Group[] = [
  {
    name: 'gpu-dma-lock.quota',
    dashboard: agentsUid,
    rules: [
      {
        alert: 'GpuDmaLockQuotaNearLimit',
        expr: `${Metric.agentUsedBytes} / (${Metric.agentQuotaBytes} > 0) > 0.9`,
        for: '10m',
        severity: 'warning',
        summary: `Agent {{ $labels.${Label.agent} }} on {{ $labels.node }} uses {{ $value | humanizePercentage }} of its GPU memory quota`,
        description: 'Allocations beyond the quota are refused with EDQUOT. Raise the agent\'s quota in the policy (or with `gdl quota AGENT SIZE`), or find what holds the memory (Agents dashboard, "Used per device").',
      },
      {
        alert: 'GpuDmaLockQuotaRefusals',
        expr: `${perTarget('rate', Metric.quotaViolationsTotal, '5m')} > 0.1`,
        for: '10m',
        severity: 'warning',
        summary: '{{ $labels.node }} refuses {{ $value | humanize }} allocations/s over quota',
        description: 'Allocations keep being refused with EDQUOT. See the Agents dashboard and the quota_violation traces.',
      },
    ],
  },
  {
    name: 'gpu-dma-lock.dma',
    dashboard: agentsUid,
    rules: [
      {
        alert: 'GpuDmaLockDmaDenied',
        expr: `${perTarget('increase', Metric.denialsTotal, '5m')} > 0`,
        severity: 'warning',
        summary: '{{ $labels.node }} denied {{ $value | humanize }} DMA checks in 5 minutes',
        description: 'Follow the denial panel\'s trace link (Agents dashboard) to see which agent, address and device.',
      },
      {
        alert: 'GpuDmaLockDmaDenialRateHigh',
        expr: `${perTarget('rate', Metric.denialsTotal, '5m')} > 1`,
        for: '5m',
        severity: 'critical',
        summary: '{{ $labels.node }} denies {{ $value | humanize }} DMA checks/s',
        description: 'A sustained denial rate; a workload is being blocked continuously or something is probing memory it was not granted.',
      },
    ],
  },
  {
    name: 'gpu-dma-lock.agent',
    dashboard: healthUid,
    rules: [
      {
        alert: 'GpuDmaLockEventsLost',
        expr: `${perTarget('increase', Metric.eventsLostTotal, '5m', Label.source)} > 0`,
        severity: 'warning',
        summary: `{{ $labels.node }} lost {{ $value | humanize }} {{ $labels.${Label.source} }} events in 5 minutes`,
        description: 'The ring buffer was full. The agent is too slow (CPU limits?) or the ring too small. See the Agent health dashboard.',
      },
      {
        alert: 'GpuDmaLockSpansDropped',
        expr: `${perTarget('increase', Metric.spansDroppedTotal, '10m')} > 0`,
        for: '10m',
        severity: 'info',
        summary: '{{ $labels.node }} drops spans: the OTLP collector is unreachable or slow',
        description: 'Metrics are complete; denial trace links will miss spans. Check the otel-collector.',
      },
      {
        alert: 'GpuDmaLockAgentDown',
        expr: `up{${JOB}} == 0`,
        for: '2m',
        severity: 'critical',
        summary: 'gpu-dma-lock agent {{ $labels.instance }} ({{ $labels.node }}) is down',
        description: 'The module keeps enforcing quotas and grants without the agent, but policy reloads, the API, metrics and traces are gone. Check `systemctl status gpu-dma-lock-agent` or the DaemonSet pod.',
      },
      {
        // up == 0 needs a target; if service discovery lost every agent there is no `up` series at all.
        alert: 'GpuDmaLockAgentAbsent',
        expr: `absent(up{${JOB}})`,
        for: '5m',
        severity: 'critical',
        summary: 'No gpu-dma-lock agent is being scraped',
        description: 'Prometheus has no gpu-dma-lock target at all. Check the scrape config (docs/operations.md) and that the agents run.',
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

/** A rule in Prometheus's format: the labels and annotations it is written with. */
function ruleYaml(r: Rule, dashboard: string) {
  return {
    alert: r.alert,
    expr: `${r.expr}\n`,
    ...(r.for ? { for: r.for } : {}),
    labels: { severity: r.severity },
    annotations: { summary: r.summary, description: r.description, dashboard: `/d/${dashboard}` },
  };
}

/** The rules file's text. */
export function renderRules(): string {
  const groups = GROUPS.map((g) => ({ name: g.name, rules: g.rules.map((r) => ruleYaml(r, g.dashboard)) }));
  return HEADER + stringify({ groups }, { lineWidth: 0 });
}
