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
 */

/* ---------------------------------------------------------------- metrics */

export const Metric = {
  /** gauge, labels: agent. Quota of each agent. */
  agentQuotaBytes: 'gdl_agent_quota_bytes',
  /** gauge, labels: agent. Bytes held by each agent's live allocations. */
  agentUsedBytes: 'gdl_agent_used_bytes',
  /** gauge, labels: agent. Live allocations of each agent. */
  agentAllocations: 'gdl_agent_allocations',
  /** gauge, labels: agent. Disjoint granted DMA ranges of each agent. */
  agentGrants: 'gdl_agent_grants',
  /**
   * gauge, labels: agent, device. Quota an agent may use on a device: its
   * quota where the device is in its mask, else 0.
   */
  agentDeviceQuotaBytes: 'gdl_agent_device_quota_bytes',
  /** gauge, labels: agent, device. Bytes an agent holds on a device. */
  agentDeviceUsedBytes: 'gdl_agent_device_used_bytes',
  /** gauge, labels: device, kind. Capacity of each device. */
  deviceCapacityBytes: 'gdl_device_capacity_bytes',
  /** gauge, labels: device, kind. Bytes held on each device. */
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
   * eventsLostTotal), for at most MAX_COUNTED_AGENTS agents.
   */
  agentDenialsTotal: 'gdl_agent_dma_denials_total',
  /** counter, labels: agent. Allocations refused with EDQUOT per agent, counted like agentDenialsTotal. */
  agentQuotaViolationsTotal: 'gdl_agent_quota_violations_total',
  /**
   * counter, labels: kind = deny | quota_violation. Denials and quota
   * violations of agents past the MAX_COUNTED_AGENTS cap: counted, without
   * an agent label.
   */
  agentDecisionsOverflowTotal: 'gdl_agent_decisions_overflow_total',
  /** counter. Grants applied. */
  grantsTotal: 'gdl_dma_grants_total',
  /** counter. Revokes applied. */
  revokesTotal: 'gdl_dma_revokes_total',

  /** counter, labels: source = kernel | embedded, type = decision | cuda. */
  eventsReceivedTotal: 'gdl_events_received_total',
  /** counter, labels: source. Records the producer could not store. */
  eventsLostTotal: 'gdl_events_lost_total',
  /** counter, labels: source, reason = unknown | short. Records skipped. */
  eventsSkippedTotal: 'gdl_events_skipped_total',
  /** counter. Spans dropped because the export queue was full. */
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
} as const;

export type MetricName = (typeof Metric)[keyof typeof Metric];

/** Metric label keys. */
export const Label = {
  agent: 'agent',
  cgroup: 'cgroup',
  device: 'device',
  kind: 'kind',
  result: 'result',
  source: 'source',
  type: 'type',
  reason: 'reason',
  method: 'method',
  route: 'route',
  statusCode: 'status_code',
  version: 'version',
  backend: 'backend',
  abiVersion: 'abi_version',
  nodeVersion: 'node_version',
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
} as const;

/** Span attribute keys (gdl.* namespace; process.pid from semconv). */
export const Attr = {
  agent: 'gdl.agent.id',
  device: 'gdl.device.index',
  pid: 'process.pid',
  tid: 'thread.id',
  comm: 'process.executable.name',
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
} as const;

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
