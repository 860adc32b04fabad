/**
 * Fleet overview: is every node governed, how full are the GPUs, and is
 * anything being refused or lost? The first dashboard an operator opens.
 */
import { assemble, type PanelBuilder } from './lib/dashboard.ts';
import { DEVICE, Metric, NODE, nodeRate, sel, sumRate } from './lib/metrics.ts';
import { barsPanel, ratePanel, statPanel, timeseriesPanel } from './lib/panels.ts';
import { denialTracesPanelLink } from './lib/traces.ts';
import { standardVariables } from './lib/variables.ts';

export const uid = 'gdl-fleet';

export function build() {
  return assemble({
    uid,
    title: 'gpu-dma-lock / Fleet overview',
    description:
      'Every node running the gpu-dma-lock agent: devices, GPU memory used against capacity, refusals and lost events.',
    variables: [...standardVariables({ agent: false })],
    rows: [
      ['Fleet', fleetPanels()],
      ['GPU memory', gpuMemoryPanels()],
      ['Refusals and losses', refusalsAndLossesPanels()],
    ],
  });
}

/** The "Fleet" row: six stat tiles side by side. */
const tile = (spec: Parameters<typeof statPanel>[0]) => statPanel({ width: 4, height: 4, ...spec });

function fleetPanels(): PanelBuilder[] {
  return [
    tile({
      title: 'Nodes',
      description: 'Nodes whose agent is being scraped (one gdl_build_info series per agent). Fewer than you run means an agent is down or not scraped: see the "agent down" alert.',
      unit: 'none',
      queries: [{ expr: `count(count by (node, instance) (${sel(Metric.buildInfo, NODE)}))`, legend: 'nodes' }],
    }),
    tile({
      title: 'GPU devices',
      description: 'Devices the module (or embedded core) governs across the selected nodes.',
      unit: 'none',
      queries: [{ expr: `count(${sel(Metric.deviceCapacityBytes, NODE, DEVICE)})`, legend: 'devices' }],
    }),
    tile({
      title: 'Governed agents',
      description: 'Agents (tenants with a quota) that exist now across the selected nodes.',
      unit: 'none',
      queries: [{ expr: `sum(${sel(Metric.agents, NODE)})`, legend: 'agents' }],
    }),
    tile({
      title: 'GPU memory used',
      description: 'Bytes held by live allocations on the selected devices, as a share of their capacity. Above 90% new allocations start to fail on capacity.',
      unit: 'percentunit',
      min: 0,
      max: 1,
      thresholds: [[0.8, 'orange'], [0.9, 'red']],
      queries: [
        {
          expr: `sum(${sel(Metric.deviceUsedBytes, NODE, DEVICE)}) / sum(${sel(Metric.deviceCapacityBytes, NODE, DEVICE)})`,
          legend: 'used',
        },
      ],
    }),
    tile({
      title: 'DMA denials (time range)',
      description: 'DMA checks denied over the dashboard time range: a device tried to reach memory outside its agent\'s granted ranges. Any is worth a look; follow the link to the traces.',
      unit: 'short',
      thresholds: [[1, 'orange']],
      links: [denialTracesPanelLink('deny', 'none')],
      queries: [{ expr: `sum(increase(${sel(Metric.denialsTotal, NODE)}[$__range]))`, legend: 'denials' }],
    }),
    tile({
      title: 'Events lost (time range)',
      description: 'Decision records the kernel (or embedded) ring could not store, over the time range. Non-zero means spans and per-event metrics under-count: the agent is too slow or the ring too small.',
      unit: 'short',
      thresholds: [[1, 'red']],
      queries: [{ expr: `sum(increase(${sel(Metric.eventsLostTotal, NODE)}[$__range]))`, legend: 'lost' }],
    }),
  ];
}

/** The "GPU memory" row. */
function gpuMemoryPanels(): PanelBuilder[] {
  return [
    timeseriesPanel({
      title: 'Device memory: used vs capacity',
      description: 'Per device, bytes held by live allocations (solid) and the device capacity the module accounts against.',
      unit: 'bytes',
      min: 0,
      queries: [
        { expr: sel(Metric.deviceUsedBytes, NODE, DEVICE), legend: '{{node}} gpu{{device}} used' },
        { expr: sel(Metric.deviceCapacityBytes, NODE, DEVICE), legend: '{{node}} gpu{{device}} capacity' },
      ],
    }),
    barsPanel({
      title: 'Device utilisation',
      description: 'Used / capacity per device, now. Orange from 80%, red from 90%.',
      unit: 'percentunit',
      min: 0,
      max: 1,
      thresholds: [[0.8, 'orange'], [0.9, 'red']],
      queries: [
        {
          expr: `${sel(Metric.deviceUsedBytes, NODE, DEVICE)} / ${sel(Metric.deviceCapacityBytes, NODE, DEVICE)}`,
          legend: '{{node}} gpu{{device}}',
          instant: true,
        },
      ],
    }),
  ];
}

/** The "Refusals and losses" row. */
function refusalsAndLossesPanels(): PanelBuilder[] {
  return [
    ratePanel({
      title: 'DMA denials per node',
      description: 'Denied DMA checks per second on each node. The panel link opens the denial spans in Tempo.',
      links: [denialTracesPanelLink('deny', 'none')],
      queries: [nodeRate(Metric.denialsTotal)],
    }),
    ratePanel({
      title: 'Allocations refused per node',
      description: 'Allocations refused per second: over quota (EDQUOT) and any reason (quota, capacity, bad request). The panel link opens the quota refusal spans.',
      links: [denialTracesPanelLink('quota', 'none')],
      queries: [
        nodeRate(Metric.quotaViolationsTotal, 'over quota'),
        nodeRate(Metric.allocationFailuresTotal, 'any reason'),
      ],
    }),
    ratePanel({
      title: 'Events lost per node',
      description: 'Decision records lost per second, by source (kernel ring or embedded). Should be flat zero.',
      width: 24,
      queries: [
        { expr: sumRate('node, source', sel(Metric.eventsLostTotal, NODE)), legend: '{{node}} {{source}}' },
      ],
    }),
  ];
}

