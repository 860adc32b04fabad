/**
 * Metrics: OpenTelemetry instruments collected on demand and rendered as
 * Prometheus text by the agent's own /metrics route (no second port).
 *
 * Module state (quotas, usage, counters) is read from the backend once per
 * scrape in one batch callback, so a scrape costs one pass over the core
 * and nothing runs between scrapes. The module counts denials per CPU, not
 * per agent: the per-agent denial and quota violation counters are counted
 * by the agent from the decision events it receives (recordEvents).
 *
 * Counters of rare events exist at 0 from the start, so that queries on them
 * return a series before the first event.
 *
 * Series whose label values come from callers are bounded: per-agent
 * series exist only for agents that exist (a CHECK may name any 64-bit id,
 * and 900 made-up ids once filled the cap), at most MAX_COUNTED_AGENTS;
 * per-(agent, device) gauges only for devices in the agent's mask, at most
 * MAX_AGENT_DEVICE_SERIES pairs.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Attributes, BatchObservableResult, Histogram, Meter } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { Resource } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { AgentState, Backend, DeviceState, Stats } from '../backends/backend.ts';
import { Errno, GdlError } from '../backends/errors.ts';
import type { EventSourceStats, GdlEvent } from '../events/types.ts';
import { nvidiaDeviceIdentity, type DeviceIdentity } from './device-identity.ts';
import {
  CheckResult, HTTP_DURATION_BUCKETS, Label, MAX_AGENT_DEVICE_SERIES, MAX_COUNTED_AGENTS, Metric, SCOPE_NAME, SpanLoss,
} from './names.ts';

export interface MetricsOptions {
  backend: Backend;
  resource: Resource;
  version: string;
  /** the event source's counters, when there is one */
  eventStats: () => EventSourceStats | null;
  /** spans lost so far, by reason (SpanLoss values) */
  spansDropped: () => Readonly<Record<string, number>>;
  /** agents with their own per-agent denial series; MAX_COUNTED_AGENTS unless set */
  maxCountedAgents?: number;
  /** (agent, device) pairs with their own gauges; MAX_AGENT_DEVICE_SERIES unless set */
  maxAgentDeviceSeries?: number;
  /** UUID / pci_bus_id / gpu of a device; the NVIDIA driver's /proc files unless set */
  deviceIdentity?: (d: DeviceState) => DeviceIdentity;
}

export interface Metrics {
  readonly httpDuration: Histogram;
  policyApplied(reason: 'start' | 'reload'): void;
  backendReopened(): void;
  /** counts the denials and quota violations among a batch of events, per agent */
  recordEvents(events: readonly GdlEvent[]): void;
  /** Prometheus text exposition of everything, collected now */
  scrape(): Promise<string>;
  shutdown(): Promise<void>;
}

export function createMetrics(opts: MetricsOptions): Metrics {
  const { backend } = opts;
  const reader = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ resource: opts.resource, readers: [reader] });
  const meter = provider.getMeter(SCOPE_NAME, opts.version);
  // No otel_scope_* labels on every series: one scope, and they only add noise to queries.
  const serializer = new PrometheusSerializer(undefined, false, undefined, false, true);

  const inst = createObservables(meter);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const { policyApplied, reopens, httpDuration } = createEventInstruments(meter);
  const decisions = new DecisionCounts(backend, opts.maxCountedAgents ?? MAX_COUNTED_AGENTS);
  const scrape: ScrapeState = {
    opts, inst, loopDelay, decisions,
    deviceLabels: deviceLabeller(opts.deviceIdentity ?? nvidiaDeviceIdentity()),
    maxPairs: opts.maxAgentDeviceSeries ?? MAX_AGENT_DEVICE_SERIES,
  };
  meter.addBatchObservableCallback((obs) => observeScrape(obs, scrape), Object.values(inst));

  return {
    httpDuration,
    policyApplied: (reason) => policyApplied.add(1, { [Label.reason]: reason }),
    backendReopened: () => reopens.add(1),
    recordEvents: (events) => decisions.record(events),
    async scrape() {
      const { resourceMetrics } = await reader.collect();
      return serializer.serialize(resourceMetrics);
    },
    shutdown: () => {
      loopDelay.disable();
      return provider.shutdown();
    },
  };
}

/** What every scrape reads from, made once by createMetrics. */
interface ScrapeState {
  opts: MetricsOptions;
  inst: Observables;
  loopDelay: IntervalHistogram;
  decisions: DecisionCounts;
  deviceLabels: (d: DeviceState) => Attributes;
  /** (agent, device) pairs with their own gauges */
  maxPairs: number;
}

/** The labels of a device's series: its index and how the driver names it. */
function deviceLabeller(identity: (d: DeviceState) => DeviceIdentity): (d: DeviceState) => Attributes {
  return (d) => {
    const id = identity(d);
    return { [Label.device]: String(d.index), [Label.uuid]: id.uuid, [Label.pciBusId]: id.pciBusId, [Label.gpu]: id.gpu };
  };
}

/** One scrape: the agent's own state always, the core's when it answers. */
function observeScrape(obs: BatchObservableResult, s: ScrapeState): void {
  const { inst, decisions } = s;
  const { backend } = s.opts;
  observeSelf(obs, inst, s.opts, s.loopDelay);
  observeDecisionOverflow(obs, inst, decisions);
  let stats;
  let devices;
  let agentList;
  try {
    stats = backend.stats();
    devices = backend.devices();
    agentList = backend.listAgents();
  } catch {
    return; // the core is away (module reload): report what the agent itself knows
  }
  observeStats(obs, inst, stats);
  const labelsOf = new Map(devices.map((d) => [d.index, s.deviceLabels(d)]));
  observeDevices(obs, inst, devices, labelsOf);
  // Per-agent denial series of agents removed since the last scrape go away with them.
  decisions.prune(new Set(agentList.map((a) => a.id.toString())));
  observeAgentDecisions(obs, inst, decisions);
  observeAgents(obs, inst, agentList, devices, labelsOf, usageByAgentDevice(backend), s.maxPairs);
  observeBoundCgroups(obs, inst, backend);
}

/** Everything read once per scrape, in the order the exposition lists them. */
function createObservables(meter: Meter) {
  const g = (name: string, description: string, unit?: string) =>
    meter.createObservableGauge(name, unit ? { description, unit } : { description });
  const c = (name: string, description: string, unit?: string) =>
    meter.createObservableCounter(name, unit ? { description, unit } : { description });
  return {
    agentQuota: g(Metric.agentQuotaBytes, 'Memory quota of each agent', 'By'),
    agentUsed: g(Metric.agentUsedBytes, "Bytes held by each agent's live allocations", 'By'),
    agentAllocs: g(Metric.agentAllocations, 'Live allocations of each agent'),
    agentGrants: g(Metric.agentGrants, 'Disjoint granted DMA ranges of each agent'),
    agentDevQuota: g(Metric.agentDeviceQuotaBytes, 'Quota an agent may use on a device (0 outside its mask)', 'By'),
    agentDevUsed: g(Metric.agentDeviceUsedBytes, 'Bytes an agent holds on a device', 'By'),
    agentDevOmitted: g(Metric.agentDeviceSeriesOmitted, '(agent, device) pairs left out of the per-device gauges by the series cap'),
    devCapacity: g(Metric.deviceCapacityBytes, 'Capacity of each device', 'By'),
    devUsed: g(Metric.deviceUsedBytes, 'Bytes held on each device', 'By'),
    agents: g(Metric.agents, 'Agents that exist now'),
    live: g(Metric.liveAllocations, 'Allocations alive now'),
    allocs: c(Metric.allocationsTotal, 'Allocations made'),
    allocFailures: c(Metric.allocationFailuresTotal, 'Allocations refused, any reason'),
    frees: c(Metric.freesTotal, 'Allocations released'),
    bytesAllocated: c(Metric.allocatedBytesTotal, 'Bytes of all allocations made', 'By'),
    bytesFreed: c(Metric.freedBytesTotal, 'Bytes of all allocations released', 'By'),
    checks: c(Metric.checksTotal, 'DMA checks answered, by result'),
    denials: c(Metric.denialsTotal, 'DMA checks denied'),
    quotaViolations: c(Metric.quotaViolationsTotal, 'Allocations refused for quota'),
    grants: c(Metric.grantsTotal, 'DMA grants applied'),
    revokes: c(Metric.revokesTotal, 'DMA revokes applied'),
    eventsReceived: c(Metric.eventsReceivedTotal, 'Decision events received from the event source'),
    eventsLost: c(Metric.eventsLostTotal, 'Decision events the producer could not store'),
    eventsSkipped: c(Metric.eventsSkippedTotal, 'Event records skipped (unknown kind or short)'),
    spansDropped: c(Metric.spansDroppedTotal, 'Spans lost (never exported), by reason'),
    agentDenials: c(Metric.agentDenialsTotal, 'DMA checks denied per agent (from decision events)'),
    agentQuotaViolations: c(Metric.agentQuotaViolationsTotal, 'Allocations refused for quota per agent (from decision events)'),
    decisionsOverflow: c(Metric.agentDecisionsOverflowTotal, 'Denials and quota violations without a per-agent series (unknown agent, or past the cap)'),
    buildInfo: g(Metric.buildInfo, 'Always 1; labels describe the running agent'),
    cpu: c(Metric.processCpuSecondsTotal, 'CPU time of the agent process, user + system', 's'),
    rss: g(Metric.processResidentMemoryBytes, 'Resident memory of the agent process', 'By'),
    loopLag: g(Metric.eventLoopLagSeconds, 'Event-loop delay of the agent since the previous scrape', 's'),
    agentCgroup: g(Metric.agentCgroupInfo, 'Always 1: a cgroup bound to an agent (only bound cgroups appear)'),
  };
}
type Observables = ReturnType<typeof createObservables>;

/** Instruments the agent adds to as things happen; the rare ones exist at 0 from the start. */
function createEventInstruments(meter: Meter) {
  const policyApplied = meter.createCounter(Metric.policyAppliedTotal, { description: 'Times the policy was applied' });
  const reopens = meter.createCounter(Metric.backendReopensTotal, { description: 'Module reloads noticed' });
  policyApplied.add(0, { [Label.reason]: 'start' });
  policyApplied.add(0, { [Label.reason]: 'reload' });
  reopens.add(0);
  const httpDuration = meter.createHistogram(Metric.httpRequestDurationSeconds, {
    description: 'HTTP request duration',
    unit: 's',
    advice: { explicitBucketBoundaries: HTTP_DURATION_BUCKETS },
  });
  return { policyApplied, reopens, httpDuration };
}

const n = (v: bigint) => Number(v);

/** What the agent knows without the core: its build, spans, process and event source. */
function observeSelf(obs: BatchObservableResult, inst: Observables, opts: MetricsOptions, loopDelay: IntervalHistogram): void {
  const { backend } = opts;
  const source = { [Label.source]: backend.kind };
  let abiVersion = '';
  try {
    abiVersion = String(backend.info().abiVersion);
  } catch { /* the core is away */ }
  obs.observe(inst.buildInfo, 1, {
    [Label.version]: opts.version,
    [Label.backend]: backend.kind,
    [Label.abiVersion]: abiVersion,
    [Label.nodeVersion]: process.version,
  });
  const lost = opts.spansDropped();
  for (const reason of Object.values(SpanLoss)) obs.observe(inst.spansDropped, lost[reason] ?? 0, { [Label.reason]: reason });
  const usage = process.cpuUsage();
  obs.observe(inst.cpu, (usage.user + usage.system) / 1e6);
  obs.observe(inst.rss, process.memoryUsage.rss());
  obs.observe(inst.loopLag, loopDelay.percentile(50) / 1e9, { [Label.quantile]: '0.5' });
  obs.observe(inst.loopLag, loopDelay.percentile(99) / 1e9, { [Label.quantile]: '0.99' });
  obs.observe(inst.loopLag, loopDelay.max / 1e9, { [Label.quantile]: '1' });
  loopDelay.reset();
  const ev = opts.eventStats();
  if (ev) {
    obs.observe(inst.eventsReceived, ev.received, source);
    obs.observe(inst.eventsLost, ev.lost, source);
    obs.observe(inst.eventsSkipped, ev.unknown, { ...source, [Label.reason]: 'unknown' });
    obs.observe(inst.eventsSkipped, ev.short, { ...source, [Label.reason]: 'short' });
  }
}

function observeDecisionOverflow(obs: BatchObservableResult, inst: Observables, decisions: DecisionCounts): void {
  for (const reason of ['unknown_agent', 'cap'] as const) {
    for (const kind of COUNTED_KINDS) {
      obs.observe(inst.decisionsOverflow, decisions.overflow[reason][kind], { [Label.kind]: kind, [Label.reason]: reason });
    }
  }
}

/** The core's own counters. */
function observeStats(obs: BatchObservableResult, inst: Observables, stats: Stats): void {
  obs.observe(inst.allocs, n(stats.allocs));
  obs.observe(inst.allocFailures, n(stats.allocFailures));
  obs.observe(inst.frees, n(stats.frees));
  obs.observe(inst.bytesAllocated, n(stats.bytesAllocated));
  obs.observe(inst.bytesFreed, n(stats.bytesFreed));
  obs.observe(inst.checks, n(stats.checks - stats.checksDenied), { [Label.result]: CheckResult.allowed });
  obs.observe(inst.checks, n(stats.checksDenied), { [Label.result]: CheckResult.denied });
  obs.observe(inst.denials, n(stats.checksDenied));
  obs.observe(inst.quotaViolations, n(stats.quotaViolations));
  obs.observe(inst.grants, n(stats.grants));
  obs.observe(inst.revokes, n(stats.revokes));
  obs.observe(inst.agents, n(stats.agents));
  obs.observe(inst.live, n(stats.liveAllocations));
}

function observeDevices(obs: BatchObservableResult, inst: Observables, devices: readonly DeviceState[], labelsOf: Map<number, Attributes>): void {
  for (const d of devices) {
    const attrs: Attributes = { ...labelsOf.get(d.index), [Label.kind]: d.kind };
    obs.observe(inst.devCapacity, n(d.capacity), attrs);
    obs.observe(inst.devUsed, n(d.used), attrs);
  }
}

function observeAgentDecisions(obs: BatchObservableResult, inst: Observables, decisions: DecisionCounts): void {
  for (const [id, counts] of decisions.perAgent) {
    obs.observe(inst.agentDenials, counts.deny, { [Label.agent]: id });
    obs.observe(inst.agentQuotaViolations, counts.quota_violation, { [Label.agent]: id });
  }
}

/** Per-agent gauges, and per-(agent, device) ones for the devices in its mask, at most maxPairs pairs. */
function observeAgents(
  obs: BatchObservableResult, inst: Observables, agentList: readonly AgentState[], devices: readonly DeviceState[],
  labelsOf: Map<number, Attributes>, perAgentDevice: Map<string, bigint>, maxPairs: number,
): void {
  let pairs = 0;
  let omitted = 0;
  for (const a of agentList) {
    const agent = { [Label.agent]: a.id.toString() };
    obs.observe(inst.agentQuota, n(a.quota), agent);
    obs.observe(inst.agentUsed, n(a.used), agent);
    obs.observe(inst.agentAllocs, n(a.allocations), agent);
    obs.observe(inst.agentGrants, n(a.grants), agent);
    for (const d of devices) {
      if (!((a.deviceMask >> BigInt(d.index)) & 1n)) continue; // outside the mask: no series
      if (pairs >= maxPairs) {
        omitted++;
        continue;
      }
      pairs++;
      const attrs = { ...agent, ...labelsOf.get(d.index) };
      obs.observe(inst.agentDevQuota, n(a.quota), attrs);
      obs.observe(inst.agentDevUsed, n(perAgentDevice.get(`${a.id}/${d.index}`) ?? 0n), attrs);
    }
  }
  obs.observe(inst.agentDevOmitted, omitted);
}

/** One series per bound cgroup (only bound cgroups become label values); none when the backend cannot list them. */
function observeBoundCgroups(obs: BatchObservableResult, inst: Observables, backend: Backend): void {
  let cgroups;
  try {
    cgroups = backend.listBindings().cgroups;
  } catch {
    return;
  }
  for (const b of cgroups) obs.observe(inst.agentCgroup, 1, { [Label.agent]: b.agent.toString(), [Label.cgroup]: b.path });
}

const COUNTED_KINDS = ['deny', 'quota_violation'] as const;
type CountedKind = (typeof COUNTED_KINDS)[number];
type KindCounts = Record<CountedKind, number>;

/**
 * Denials and quota violations per agent id, from the decision events. Only
 * agents that were denied or refused appear, and at most maxCountedAgents of
 * them (first come, kept for the agent's lifetime so the counters stay
 * monotonic); the rest are counted by why they have no series.
 */
class DecisionCounts {
  readonly perAgent = new Map<string, KindCounts>();
  readonly overflow: Record<'unknown_agent' | 'cap', KindCounts> = {
    unknown_agent: { deny: 0, quota_violation: 0 }, cap: { deny: 0, quota_violation: 0 },
  };

  constructor(private readonly backend: Backend, private readonly maxCountedAgents: number) {}

  record(events: readonly GdlEvent[]): void {
    for (const e of events) {
      if (e.type !== 'decision' || (e.kind !== 'deny' && e.kind !== 'quota_violation')) continue;
      const id = e.agentId.toString();
      let counts = this.perAgent.get(id);
      if (!counts) {
        // One lookup per id not counted yet: ids no agent has get no series.
        if (!this.exists(e.agentId)) {
          this.overflow.unknown_agent[e.kind]++;
          continue;
        }
        if (this.perAgent.size >= this.maxCountedAgents) {
          this.overflow.cap[e.kind]++;
          continue;
        }
        counts = { deny: 0, quota_violation: 0 };
        this.perAgent.set(id, counts);
      }
      counts[e.kind]++;
    }
  }

  /** Forgets the agents that no longer exist. */
  prune(existing: ReadonlySet<string>): void {
    for (const id of this.perAgent.keys()) if (!existing.has(id)) this.perAgent.delete(id);
  }

  private exists(id: bigint): boolean {
    try {
      this.backend.getAgent(id);
      return true;
    } catch (err) {
      if (err instanceof GdlError && err.errno === Errno.ENOENT) return false;
      return true; // the core is away: count it, the next scrape prunes it if it is gone
    }
  }
}

/** Bytes per (agent, device), summed over the live allocations. */
function usageByAgentDevice(backend: Backend): Map<string, bigint> {
  const out = new Map<string, bigint>();
  let cursor: string | undefined;
  do {
    const page = backend.listAllocations({ limit: 1024, ...(cursor ? { cursor } : {}) });
    for (const a of page.items) {
      const key = `${a.agent}/${a.device}`;
      out.set(key, (out.get(key) ?? 0n) + a.size);
    }
    cursor = page.next ?? undefined;
  } while (cursor);
  return out;
}

