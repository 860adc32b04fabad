/**
 * Every telemetry name the agent emits, in one place.
 *
 * Dashboards (dashboards/), alert rules and docs/agent.md are built on these
 * strings, so they are a contract: rename only with a note in the changelog.
 *
 * Metric names follow Prometheus conventions as they appear on /metrics:
 * `gdl_` prefix, base units in the name (`_bytes`, `_seconds`), `_total` on
 * counters. Instruments are created with exactly these names; the
 * OpenTelemetry Prometheus serializer adds `_total` only where it is missing,
 * so what is listed here is what appears on the wire.
 *
 * MetricLabels below lists the labels of each metric: the code emits
 * exactly those (test/unit/telemetry-names.test.ts scrapes a busy agent and
 * checks both ways), and dashboards/ build their selectors and `by (...)`
 * clauses from Label.
 */
import { ATTR_CONTAINER_ID, ATTR_ERROR_TYPE, ATTR_K8S_POD_UID } from '@opentelemetry/semantic-conventions';
import { ATTR_PROCESS_EXECUTABLE_NAME, ATTR_PROCESS_PID, ATTR_THREAD_ID } from '@opentelemetry/semantic-conventions/incubating';

/* ---------------------------------------------------------------- metrics */

export const Metric = {
  /** gauge, labels: agent. Quota of each agent (agents that exist; at most max_agents). */
  agentQuotaBytes: 'gdl_agent_quota_bytes',
  /** gauge, labels: agent. Bytes held by each agent's live allocations. */
  agentUsedBytes: 'gdl_agent_used_bytes',
  /** gauge, labels: agent. Live allocations of each agent. */
  agentAllocations: 'gdl_agent_allocations',
  /** gauge, labels: agent. Disjoint granted DMA ranges of each agent. */
  agentGrants: 'gdl_agent_grants',
  /**
   * gauge, labels: agent + device labels. Quota an agent may use on a
   * device, for the devices in its mask only (no series outside it), and
   * for at most MAX_AGENT_DEVICE_SERIES pairs.
   */
  agentDeviceQuotaBytes: 'gdl_agent_device_quota_bytes',
  /** gauge, labels: agent + device labels. Bytes an agent holds on a device (same series as the quota). */
  agentDeviceUsedBytes: 'gdl_agent_device_used_bytes',
  /** gauge. (agent, device) pairs left out of the two gauges above by MAX_AGENT_DEVICE_SERIES. */
  agentDeviceSeriesOmitted: 'gdl_agent_device_series_omitted',
  /** gauge, labels: device labels + kind. Capacity of each device. */
  deviceCapacityBytes: 'gdl_device_capacity_bytes',
  /** gauge, labels: device labels + kind. Bytes held on each device. */
  deviceUsedBytes: 'gdl_device_used_bytes',
  /** gauge. Agents that exist now. */
  agents: 'gdl_agents',
  /** gauge. Allocations alive now. */
  liveAllocations: 'gdl_live_allocations',

  /** counter. Allocations made (module-wide, from GET_STATS). */
  allocationsTotal: 'gdl_allocations_total',
  /** counter. Allocations refused, any reason. */
  allocationFailuresTotal: 'gdl_allocation_failures_total',
  /** counter. Allocations released. */
  freesTotal: 'gdl_frees_total',
  /** counter. Bytes of all allocations made. */
  allocatedBytesTotal: 'gdl_allocated_bytes_total',
  /** counter. Bytes of all allocations released. */
  freedBytesTotal: 'gdl_freed_bytes_total',
  /** counter, labels: result = allowed | denied. DMA checks answered. */
  checksTotal: 'gdl_dma_checks_total',
  /** counter. DMA checks denied (same as checks_total{result="denied"}). */
  denialsTotal: 'gdl_dma_denials_total',
  /** counter. Allocations refused with EDQUOT. */
  quotaViolationsTotal: 'gdl_quota_violations_total',
  /**
   * counter, labels: agent. DMA checks denied per agent, counted from the
   * decision events the agent receives (a lower bound: see
   * eventsLostTotal), for agents that exist (a check may name any id), at
   * most MAX_COUNTED_AGENTS of them; a removed agent frees its place.
   */
  agentDenialsTotal: 'gdl_agent_dma_denials_total',
  /** counter, labels: agent. Allocations refused with EDQUOT per agent, counted like agentDenialsTotal. */
  agentQuotaViolationsTotal: 'gdl_agent_quota_violations_total',
  /**
   * counter, labels: kind = deny | quota_violation, reason = unknown_agent |
   * cap. Denials and quota violations without a per-agent series: of ids no
   * agent has, or of agents past the MAX_COUNTED_AGENTS cap.
   */
  agentDecisionsOverflowTotal: 'gdl_agent_decisions_overflow_total',
  /** counter. Grants applied. */
  grantsTotal: 'gdl_dma_grants_total',
  /** counter. Revokes applied. */
  revokesTotal: 'gdl_dma_revokes_total',

  /** counter, labels: source = kernel | embedded. */
  eventsReceivedTotal: 'gdl_events_received_total',
  /** counter, labels: source. Records the producer could not store. */
  eventsLostTotal: 'gdl_events_lost_total',
  /** counter, labels: source, reason = unknown | short. Records skipped. */
  eventsSkippedTotal: 'gdl_events_skipped_total',
  /**
   * counter, labels: reason = queue_full | export_failed | export_timeout |
   * shutdown. Spans lost for any reason: never exported.
   */
  spansDroppedTotal: 'gdl_spans_dropped_total',
  /** counter. Times the policy was (re-)applied; labels: reason = start | reload. */
  policyAppliedTotal: 'gdl_policy_applied_total',
  /** counter. Times the device was reopened after a module reload. */
  backendReopensTotal: 'gdl_backend_reopens_total',

  /** histogram, labels: method, route, status_code. */
  httpRequestDurationSeconds: 'gdl_http_request_duration_seconds',
  /**
   * gauge = 1, labels: agent, cgroup. One series per bound cgroup (only
   * bound cgroups become label values, so cardinality is what the operator
   * bound): join on `agent` to show usage per container.
   */
  agentCgroupInfo: 'gdl_agent_cgroup_info',
  /** gauge = 1, labels: version, backend, abi_version, node_version. */
  buildInfo: 'gdl_build_info',

  /** counter. CPU time of the agent process (user + system), the Prometheus client convention. */
  processCpuSecondsTotal: 'process_cpu_seconds_total',
  /** gauge. Resident memory of the agent process. */
  processResidentMemoryBytes: 'process_resident_memory_bytes',
  /** gauge, labels: quantile = 0.5 | 0.99 | 1. Event-loop delay since the previous scrape. */
  eventLoopLagSeconds: 'gdl_agent_event_loop_lag_seconds',
} as const;

/**
 * Metric label keys. UUID, pci_bus_id and gpu are spelled as NVIDIA's
 * dcgm-exporter spells them, so a query can join gpu-dma-lock's device
 * series with DCGM's on UUID (or pci_bus_id); `device` is gpu-dma-lock's
 * own device index.
 */
export const Label = {
  agent: 'agent',
  cgroup: 'cgroup',
  device: 'device',
  uuid: 'UUID',
  pciBusId: 'pci_bus_id',
  gpu: 'gpu',
  quantile: 'quantile',
  kind: 'kind',
  result: 'result',
  source: 'source',
  reason: 'reason',
  method: 'method',
  route: 'route',
  statusCode: 'status_code',
  version: 'version',
  backend: 'backend',
  abiVersion: 'abi_version',
  nodeVersion: 'node_version',
} as const;

export type LabelName = (typeof Label)[keyof typeof Label];

/** The labels on every device series (joinable with dcgm-exporter). */
export const DEVICE_LABELS = [Label.device, Label.uuid, Label.pciBusId, Label.gpu] as const;

/** Every metric's labels, exactly: the code emits these and no others. */
export const MetricLabels: { readonly [K in keyof typeof Metric]: readonly LabelName[] } = {
  agentQuotaBytes: [Label.agent],
  agentUsedBytes: [Label.agent],
  agentAllocations: [Label.agent],
  agentGrants: [Label.agent],
  agentDeviceQuotaBytes: [Label.agent, ...DEVICE_LABELS],
  agentDeviceUsedBytes: [Label.agent, ...DEVICE_LABELS],
  agentDeviceSeriesOmitted: [],
  deviceCapacityBytes: [...DEVICE_LABELS, Label.kind],
  deviceUsedBytes: [...DEVICE_LABELS, Label.kind],
  agents: [],
  liveAllocations: [],
  allocationsTotal: [],
  allocationFailuresTotal: [],
  freesTotal: [],
  allocatedBytesTotal: [],
  freedBytesTotal: [],
  checksTotal: [Label.result],
  denialsTotal: [],
  quotaViolationsTotal: [],
  agentDenialsTotal: [Label.agent],
  agentQuotaViolationsTotal: [Label.agent],
  agentDecisionsOverflowTotal: [Label.kind, Label.reason],
  grantsTotal: [],
  revokesTotal: [],
  eventsReceivedTotal: [Label.source],
  eventsLostTotal: [Label.source],
  eventsSkippedTotal: [Label.source, Label.reason],
  spansDroppedTotal: [Label.reason],
  policyAppliedTotal: [Label.reason],
  backendReopensTotal: [],
  httpRequestDurationSeconds: [Label.method, Label.route, Label.statusCode],
  buildInfo: [Label.version, Label.backend, Label.abiVersion, Label.nodeVersion],
  processCpuSecondsTotal: [],
  processResidentMemoryBytes: [],
  eventLoopLagSeconds: [Label.quantile],
  agentCgroupInfo: [Label.agent, Label.cgroup],
};

/** Values of the `reason` label on gdl_spans_dropped_total. */
export const SpanLoss = {
  queueFull: 'queue_full',
  exportFailed: 'export_failed',
  exportTimeout: 'export_timeout',
  shutdown: 'shutdown',
} as const;

/** Values of the `result` label on gdl_dma_checks_total. */
export const CheckResult = { allowed: 'allowed', denied: 'denied' } as const;

/**
 * How many distinct agents get their own gdl_agent_dma_denials_total and
 * gdl_agent_quota_violations_total series. Only agents that were denied or
 * refused appear at all, but agent ids in events come from the callers (a
 * check may name any 64-bit id), so the set is capped: the first agents
 * counted keep their series, later ones go to gdl_agent_decisions_overflow_total.
 */
export const MAX_COUNTED_AGENTS = 1000;

/**
 * How many (agent, device) pairs get gdl_agent_device_{quota,used}_bytes
 * series: agents x devices in their masks, which a node with many agents
 * and GPUs multiplies. Past it, pairs are left out and counted in
 * gdl_agent_device_series_omitted.
 */
export const MAX_AGENT_DEVICE_SERIES = 4096;

/** Buckets of gdl_http_request_duration_seconds: 0.5 ms .. 5 s. */
export const HTTP_DURATION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/* ------------------------------------------------------------------ spans */

/** Span names: one per module decision kind, plus the agent's own work. */
export const Span = {
  alloc: 'gdl.alloc',
  allocFail: 'gdl.alloc_fail',
  quotaViolation: 'gdl.quota_violation',
  free: 'gdl.free',
  check: 'gdl.dma_check',
  deny: 'gdl.dma_deny',
  grant: 'gdl.dma_grant',
  revoke: 'gdl.dma_revoke',
  cuda: 'gdl.cuda',
  policyApply: 'gdl.policy.apply',
  backendReopen: 'gdl.backend.reopen',
  /** one per change and refused authentication (http/audit.ts) */
  audit: 'gdl.audit',
} as const;

/**
 * Span attribute keys: OpenTelemetry semantic conventions where one exists
 * (process.*, thread.id, container.id, k8s.pod.uid, error.type), gdl.*
 * otherwise.
 *
 * 64-bit values (sizes, lengths, ids) are exact: an integer attribute where
 * the value is at most 2^53 - 1 (what a JavaScript number holds exactly, and
 * what OTLP carries as int64), else its decimal string (u64Attr in
 * event-spans.ts). Addresses are 0x-hex strings.
 */
export const Attr = {
  agent: 'gdl.agent.id',
  device: 'gdl.device.index',
  pid: ATTR_PROCESS_PID,
  tid: ATTR_THREAD_ID,
  comm: ATTR_PROCESS_EXECUTABLE_NAME,
  containerId: ATTR_CONTAINER_ID,
  podUid: ATTR_K8S_POD_UID,
  errorType: ATTR_ERROR_TYPE,
  cgroup: 'gdl.cgroup.id',
  /** the bound cgroup's path, only when the caller's agent is bound to a cgroup */
  cgroupPath: 'gdl.cgroup.path',
  size: 'gdl.size_bytes',
  addr: 'gdl.dma.addr',
  length: 'gdl.dma.length',
  mode: 'gdl.dma.mode',
  allocId: 'gdl.alloc.id',
  used: 'gdl.agent.used_bytes',
  quota: 'gdl.agent.quota_bytes',
  result: 'gdl.result',
  errno: 'gdl.errno',
  errnoName: 'gdl.errno.name',
  source: 'gdl.event.source',
  cudaOp: 'gdl.cuda.op',
  cudaPtr: 'gdl.cuda.ptr',
  latencyNs: 'gdl.cuda.latency_ns',
  policyAgents: 'gdl.policy.agents',
  reason: 'gdl.reason',
  auditAction: 'gdl.audit.action',
  auditOutcome: 'gdl.audit.outcome',
  auditIdentity: 'gdl.audit.identity',
  auditPeer: 'gdl.audit.peer',
  auditTarget: 'gdl.audit.target',
  auditBefore: 'gdl.audit.before',
  auditAfter: 'gdl.audit.after',
} as const;

/** Values of gdl.audit.outcome (and of `outcome` in audit log records). */
export const AuditOutcome = { ok: 'ok', refused: 'refused' } as const;

/** Values of the gdl.result attribute. */
export const ResultValue = {
  allowed: 'allowed',
  denied: 'denied',
  ok: 'ok',
  error: 'error',
} as const;

/** service.name of the agent's OTel resource unless OTEL_SERVICE_NAME says otherwise. */
export const SERVICE_NAME = 'gdl-agent';
/** Instrumentation scope of the agent's tracer and meter. */
export const SCOPE_NAME = 'gpu-dma-lock-agent';
