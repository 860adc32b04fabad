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
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Attributes, Histogram } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { Resource } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { Backend, DeviceState } from '../backends/backend.ts';
import { GdlError } from '../backends/errors.ts';
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

  const g = (name: string, description: string, unit?: string) =>
    meter.createObservableGauge(name, unit ? { description, unit } : { description });
  const c = (name: string, description: string, unit?: string) =>
    meter.createObservableCounter(name, unit ? { description, unit } : { description });

  const agentQuota = g(Metric.agentQuotaBytes, 'Memory quota of each agent', 'By');
  const agentUsed = g(Metric.agentUsedBytes, "Bytes held by each agent's live allocations", 'By');
  const agentAllocs = g(Metric.agentAllocations, 'Live allocations of each agent');
  const agentGrants = g(Metric.agentGrants, 'Disjoint granted DMA ranges of each agent');
  const agentDevQuota = g(Metric.agentDeviceQuotaBytes, 'Quota an agent may use on a device (0 outside its mask)', 'By');
  const agentDevUsed = g(Metric.agentDeviceUsedBytes, 'Bytes an agent holds on a device', 'By');
  const agentDevOmitted = g(Metric.agentDeviceSeriesOmitted, '(agent, device) pairs left out of the per-device gauges by the series cap');
  const devCapacity = g(Metric.deviceCapacityBytes, 'Capacity of each device', 'By');
  const devUsed = g(Metric.deviceUsedBytes, 'Bytes held on each device', 'By');
  const agents = g(Metric.agents, 'Agents that exist now');
  const live = g(Metric.liveAllocations, 'Allocations alive now');
  const allocs = c(Metric.allocationsTotal, 'Allocations made');
  const allocFailures = c(Metric.allocationFailuresTotal, 'Allocations refused, any reason');
  const frees = c(Metric.freesTotal, 'Allocations released');
  const bytesAllocated = c(Metric.allocatedBytesTotal, 'Bytes of all allocations made', 'By');
  const bytesFreed = c(Metric.freedBytesTotal, 'Bytes of all allocations released', 'By');
  const checks = c(Metric.checksTotal, 'DMA checks answered, by result');
  const denials = c(Metric.denialsTotal, 'DMA checks denied');
  const quotaViolations = c(Metric.quotaViolationsTotal, 'Allocations refused for quota');
  const grants = c(Metric.grantsTotal, 'DMA grants applied');
  const revokes = c(Metric.revokesTotal, 'DMA revokes applied');
  const eventsReceived = c(Metric.eventsReceivedTotal, 'Decision events received from the event source');
  const eventsLost = c(Metric.eventsLostTotal, 'Decision events the producer could not store');
  const eventsSkipped = c(Metric.eventsSkippedTotal, 'Event records skipped (unknown kind or short)');
  const spansDropped = c(Metric.spansDroppedTotal, 'Spans lost (never exported), by reason');
  const agentDenials = c(Metric.agentDenialsTotal, 'DMA checks denied per agent (from decision events)');
  const agentQuotaViolations = c(Metric.agentQuotaViolationsTotal, 'Allocations refused for quota per agent (from decision events)');
  const decisionsOverflow = c(Metric.agentDecisionsOverflowTotal, 'Denials and quota violations without a per-agent series (unknown agent, or past the cap)');
  const buildInfo = g(Metric.buildInfo, 'Always 1; labels describe the running agent');
  const cpu = c(Metric.processCpuSecondsTotal, 'CPU time of the agent process, user + system', 's');
  const rss = g(Metric.processResidentMemoryBytes, 'Resident memory of the agent process', 'By');
  const loopLag = g(Metric.eventLoopLagSeconds, 'Event-loop delay of the agent since the previous scrape', 's');
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const identity = opts.deviceIdentity ?? nvidiaDeviceIdentity();
  const deviceLabels = (d: DeviceState): Attributes => {
    const id = identity(d);
    return { [Label.device]: String(d.index), [Label.uuid]: id.uuid, [Label.pciBusId]: id.pciBusId, [Label.gpu]: id.gpu };
  };

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

  const n = (v: bigint) => Number(v);

  // Denials and quota violations per agent id. Only agents that were denied
  // or refused appear, and at most maxCountedAgents of them (first come,
  // kept for the agent's lifetime so the counters stay monotonic).
  const maxCountedAgents = opts.maxCountedAgents ?? MAX_COUNTED_AGENTS;
  const maxPairs = opts.maxAgentDeviceSeries ?? MAX_AGENT_DEVICE_SERIES;
  const perAgent = new Map<string, { deny: number; quota_violation: number }>();
  const overflow = { unknown_agent: { deny: 0, quota_violation: 0 }, cap: { deny: 0, quota_violation: 0 } };
  const exists = (id: bigint): boolean => {
    try {
      backend.getAgent(id);
      return true;
    } catch (err) {
      if (err instanceof GdlError && err.code === 'ENOENT') return false;
      return true; // the core is away: count it, the next scrape prunes it if it is gone
    }
  };

  meter.addBatchObservableCallback(
    (obs) => {
      const source = { [Label.source]: backend.kind };
      let abiVersion = '';
      try {
        abiVersion = String(backend.info().abiVersion);
      } catch { /* the core is away */ }
      obs.observe(buildInfo, 1, {
        [Label.version]: opts.version,
        [Label.backend]: backend.kind,
        [Label.abiVersion]: abiVersion,
        [Label.nodeVersion]: process.version,
      });
      const lost = opts.spansDropped();
      for (const reason of Object.values(SpanLoss)) obs.observe(spansDropped, lost[reason] ?? 0, { [Label.reason]: reason });
      const usage = process.cpuUsage();
      obs.observe(cpu, (usage.user + usage.system) / 1e6);
      obs.observe(rss, process.memoryUsage.rss());
      obs.observe(loopLag, loopDelay.percentile(50) / 1e9, { [Label.quantile]: '0.5' });
      obs.observe(loopLag, loopDelay.percentile(99) / 1e9, { [Label.quantile]: '0.99' });
      obs.observe(loopLag, loopDelay.max / 1e9, { [Label.quantile]: '1' });
      loopDelay.reset();
      const ev = opts.eventStats();
      if (ev) {
        obs.observe(eventsReceived, ev.received, source);
        obs.observe(eventsLost, ev.lost, source);
        obs.observe(eventsSkipped, ev.unknown, { ...source, [Label.reason]: 'unknown' });
        obs.observe(eventsSkipped, ev.short, { ...source, [Label.reason]: 'short' });
      }
      for (const reason of ['unknown_agent', 'cap'] as const) {
        for (const kind of ['deny', 'quota_violation'] as const) {
          obs.observe(decisionsOverflow, overflow[reason][kind], { [Label.kind]: kind, [Label.reason]: reason });
        }
      }
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
      obs.observe(allocs, n(stats.allocs));
      obs.observe(allocFailures, n(stats.allocFailures));
      obs.observe(frees, n(stats.frees));
      obs.observe(bytesAllocated, n(stats.bytesAllocated));
      obs.observe(bytesFreed, n(stats.bytesFreed));
      obs.observe(checks, n(stats.checks - stats.checksDenied), { [Label.result]: CheckResult.allowed });
      obs.observe(checks, n(stats.checksDenied), { [Label.result]: CheckResult.denied });
      obs.observe(denials, n(stats.checksDenied));
      obs.observe(quotaViolations, n(stats.quotaViolations));
      obs.observe(grants, n(stats.grants));
      obs.observe(revokes, n(stats.revokes));
      obs.observe(agents, n(stats.agents));
      obs.observe(live, n(stats.liveAllocations));

      const labelsOf = new Map(devices.map((d) => [d.index, deviceLabels(d)]));
      for (const d of devices) {
        const attrs: Attributes = { ...labelsOf.get(d.index), [Label.kind]: d.kind };
        obs.observe(devCapacity, n(d.capacity), attrs);
        obs.observe(devUsed, n(d.used), attrs);
      }
      // Per-agent denial series of agents removed since the last scrape go away with them.
      const existing = new Set(agentList.map((a) => a.id.toString()));
      for (const id of perAgent.keys()) if (!existing.has(id)) perAgent.delete(id);
      for (const [id, counts] of perAgent) {
        obs.observe(agentDenials, counts.deny, { [Label.agent]: id });
        obs.observe(agentQuotaViolations, counts.quota_violation, { [Label.agent]: id });
      }
      const perAgentDevice = usageByAgentDevice(backend);
      let pairs = 0;
      let omitted = 0;
      for (const a of agentList) {
        const agent = { [Label.agent]: a.id.toString() };
        obs.observe(agentQuota, n(a.quota), agent);
        obs.observe(agentUsed, n(a.used), agent);
        obs.observe(agentAllocs, n(a.allocations), agent);
        obs.observe(agentGrants, n(a.grants), agent);
        for (const d of devices) {
          if (!((a.deviceMask >> BigInt(d.index)) & 1n)) continue; // outside the mask: no series
          if (pairs >= maxPairs) {
            omitted++;
            continue;
          }
          pairs++;
          const attrs = { ...agent, ...labelsOf.get(d.index) };
          obs.observe(agentDevQuota, n(a.quota), attrs);
          obs.observe(agentDevUsed, n(perAgentDevice.get(`${a.id}/${d.index}`) ?? 0n), attrs);
        }
      }
      obs.observe(agentDevOmitted, omitted);
    },
    [agentQuota, agentUsed, agentAllocs, agentGrants, agentDevQuota, agentDevUsed, agentDevOmitted, devCapacity, devUsed, agents, live, cpu, rss, loopLag,
      allocs, allocFailures, frees, bytesAllocated, bytesFreed, checks, denials, quotaViolations, grants, revokes,
      eventsReceived, eventsLost, eventsSkipped, spansDropped, agentDenials, agentQuotaViolations, decisionsOverflow, buildInfo],
  );

  return {
    httpDuration,
    policyApplied: (reason) => policyApplied.add(1, { [Label.reason]: reason }),
    backendReopened: () => reopens.add(1),
    recordEvents(events) {
      for (const e of events) {
        if (e.type !== 'decision' || (e.kind !== 'deny' && e.kind !== 'quota_violation')) continue;
        const id = e.agentId.toString();
        let counts = perAgent.get(id);
        if (!counts) {
          // One lookup per id not counted yet: ids no agent has get no series.
          if (!exists(e.agentId)) {
            overflow.unknown_agent[e.kind]++;
            continue;
          }
          if (perAgent.size >= maxCountedAgents) {
            overflow.cap[e.kind]++;
            continue;
          }
          counts = { deny: 0, quota_violation: 0 };
          perAgent.set(id, counts);
        }
        counts[e.kind]++;
      }
    },
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

