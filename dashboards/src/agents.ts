/**
 * Per-agent view: how close each agent (tenant) is to its quota, what it
 * holds where, and how the module answers its requests.
 */
import { assemble, type PanelBuilder } from './lib/dashboard.ts';
import { AGENT, CGROUP, DEVICE, Label, Metric, NODE, nodeRate, sel, sumRate } from './lib/metrics.ts';
import { barsPanel, ratePanel, timeseriesPanel } from './lib/panels.ts';
import { denialTracesLink, denialTracesPanelLink } from './lib/traces.ts';
import { standardVariables } from './lib/variables.ts';

export const uid = 'gdl-agents';

/** Agents with a zero quota are refused everything: leave them out of ratios instead of dividing by zero. */
const utilisation = `${sel(Metric.agentUsedBytes, NODE, AGENT)} / (${sel(Metric.agentQuotaBytes, NODE, AGENT)} > 0)`;

/**
 * The ten agents with the most of a per-agent counter over the time range.
 * The agent creates an agent's series at its first denial, and increase()
 * never sees a series' first value: so a series that did not exist when the
 * range began counts its whole value (all of it happened in the range).
 */
function topAgentsInRange(metric: string): string {
  const s = sel(metric, NODE, AGENT);
  return `topk(10, sum by (node, agent) ((increase(${s}[$__range]) and ${s} offset $__range) or ${s}) > 0)`;
}

export function build() {
  return assemble({
    uid,
    title: 'gpu-dma-lock / Agents',
    description:
      'Per agent: quota utilisation, allocations, DMA grants and the module\'s answers; top agents by usage, by DMA denials and by quota refusals.',
    variables: [...standardVariables({ container: true })],
    rows: [
      ['Quota', quotaPanels()],
      ['Allocations', allocationsPanels()],
      ['DMA', dmaPanels()],
      ['Denials by agent', denialsByAgentPanels()],
      // Last, so that the panel ids above stay what links already use.
      ['Containers', containerPanels()],
    ],
  });
}

/** The "Quota" row. */
function quotaPanels(): PanelBuilder[] {
  return [
    barsPanel({
      title: 'Quota utilisation',
      description: 'Bytes each agent holds as a share of its quota, now. At 100% its next allocation is refused with EDQUOT; the "quota near limit" alert fires from 90%. Click a bar for that agent\'s quota refusal traces.',
      unit: 'percentunit',
      min: 0,
      max: 1,
      thresholds: [[0.75, 'orange'], [0.9, 'red']],
      dataLinks: [denialTracesLink('quota')],
      queries: [{ expr: utilisation, legend: '{{node}} agent {{agent}}', instant: true }],
    }),
    timeseriesPanel({
      title: 'Quota utilisation over time',
      description: 'The same ratio over time: a steady climb towards 1 is a workload about to be refused.',
      unit: 'percentunit',
      min: 0,
      max: 1,
      thresholds: [[0.9, 'red']],
      dataLinks: [denialTracesLink('quota')],
      queries: [{ expr: utilisation, legend: '{{node}} agent {{agent}}' }],
    }),
    timeseriesPanel({
      title: 'Used vs quota',
      description: 'Bytes held by each agent\'s live allocations, and its quota.',
      unit: 'bytes',
      min: 0,
      queries: [
        { expr: sel(Metric.agentUsedBytes, NODE, AGENT), legend: '{{node}} agent {{agent}} used' },
        { expr: sel(Metric.agentQuotaBytes, NODE, AGENT), legend: '{{node}} agent {{agent}} quota' },
      ],
    }),
    timeseriesPanel({
      title: 'Used per device',
      description: 'Bytes each agent holds on each device (agents may be limited to some devices by their device mask).',
      unit: 'bytes',
      min: 0,
      stack: true,
      queries: [
        { expr: sel(Metric.agentDeviceUsedBytes, NODE, DEVICE, AGENT), legend: '{{node}} gpu{{device}} agent {{agent}}' },
      ],
    }),
  ];
}

/** The "Allocations" row. */
function allocationsPanels(): PanelBuilder[] {
  return [
    ratePanel({
      title: 'Allocation rate',
      description: 'Allocations made, released and refused per second on each node (module-wide counters: the module counts these per CPU, not per agent).',
      links: [denialTracesPanelLink('quota', 'variable')],
      queries: [
        nodeRate(Metric.allocationsTotal, 'allocated'),
        nodeRate(Metric.freesTotal, 'freed'),
        nodeRate(Metric.allocationFailuresTotal, 'refused'),
        nodeRate(Metric.quotaViolationsTotal, 'over quota'),
      ],
    }),
    timeseriesPanel({
      title: 'Allocation throughput',
      description: 'Bytes allocated and released per second on each node.',
      unit: 'Bps',
      min: 0,
      queries: [
        nodeRate(Metric.allocatedBytesTotal, 'allocated'),
        nodeRate(Metric.freedBytesTotal, 'freed'),
      ],
    }),
    timeseriesPanel({
      title: 'Live allocations per agent',
      description: 'Allocations each agent holds now. A count that only grows is a workload that never frees (persistent allocations outlive their process).',
      unit: 'short',
      min: 0,
      queries: [{ expr: sel(Metric.agentAllocations, NODE, AGENT), legend: '{{node}} agent {{agent}}' }],
    }),
    barsPanel({
      title: 'Top agents by usage',
      description: 'The ten agents holding the most GPU memory now.',
      unit: 'bytes',
      min: 0,
      queries: [
        { expr: `topk(10, ${sel(Metric.agentUsedBytes, NODE, AGENT)})`, legend: '{{node}} agent {{agent}}', instant: true },
      ],
    }),
  ];
}

/** The "DMA" row. */
function dmaPanels(): PanelBuilder[] {
  // Last, so that the ids of the panels above stay what links already use.
  return [
    ratePanel({
      title: 'DMA checks by result',
      description: 'DMA permission checks answered per second, allowed and denied. Denials mean a device was about to touch memory outside its agent\'s grants; the panel link opens their traces.',
      links: [denialTracesPanelLink('deny', 'variable')],
      queries: [
        { expr: sumRate('node, result', sel(Metric.checksTotal, NODE)), legend: '{{node}} {{result}}' },
      ],
    }),
    ratePanel({
      title: 'Grants and revokes',
      description: 'DMA ranges granted and revoked per second on each node.',
      queries: [
        nodeRate(Metric.grantsTotal, 'granted'),
        nodeRate(Metric.revokesTotal, 'revoked'),
      ],
    }),
    timeseriesPanel({
      title: 'Granted ranges per agent',
      description: 'Disjoint DMA ranges each agent may reach now (adjacent grants merge into one range).',
      unit: 'short',
      min: 0,
      queries: [{ expr: sel(Metric.agentGrants, NODE, AGENT), legend: '{{node}} agent {{agent}}' }],
    }),
  ];
}

/** The "Denials by agent" row. */
function denialsByAgentPanels(): PanelBuilder[] {
  return [
    barsPanel({
      title: 'Top agents by DMA denials',
      description: 'The ten agents with the most denied DMA checks over the time range, counted by the agent from the decision events it receives (module-wide totals are in "DMA checks by result"). Click a bar for that agent\'s denial traces.',
      unit: 'short',
      min: 0,
      dataLinks: [denialTracesLink('deny')],
      links: [denialTracesPanelLink('deny', 'variable')],
      queries: [{ expr: topAgentsInRange(Metric.agentDenialsTotal), legend: '{{node}} agent {{agent}}', instant: true }],
    }),
    barsPanel({
      title: 'Top agents by quota refusals',
      description: 'The ten agents with the most allocations refused with EDQUOT over the time range, counted like the denials. Click a bar for that agent\'s quota refusal traces.',
      unit: 'short',
      min: 0,
      dataLinks: [denialTracesLink('quota')],
      links: [denialTracesPanelLink('quota', 'variable')],
      queries: [{ expr: topAgentsInRange(Metric.agentQuotaViolationsTotal), legend: '{{node}} agent {{agent}}', instant: true }],
    }),
  ];
}

/** The "Containers" row: usage per bound cgroup (docs/containers.md). */
function containerPanels(): PanelBuilder[] {
  return [
    timeseriesPanel({
      title: 'Used per container',
      description: 'Bytes held by the agent of each bound container (cgroup): an agent\'s usage joined with the cgroup it is bound to. Only bound cgroups appear; pick one with the Container variable.',
      unit: 'bytes',
      min: 0,
      queries: [
        {
          expr: `${sel(Metric.agentUsedBytes, NODE, AGENT)} * on (node, agent) group_left (${Label.cgroup}) ${sel(Metric.agentCgroupInfo, NODE, AGENT, CGROUP)}`,
          legend: '{{node}} {{cgroup}}',
        },
      ],
    }),
  ];
}
