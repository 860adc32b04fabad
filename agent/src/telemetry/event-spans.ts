/**
 * Decision events -> spans. Every denial, quota violation and refused
 * allocation becomes a span; grants and revokes too (rare, and an audit
 * trail wants all of them); allowed checks, allocations, frees and CUDA
 * calls are sampled at sampleRatio, because on a busy node they are the
 * hot path and a span each would cost more than the decision.
 */
import { SpanKind, SpanStatusCode, type Attributes, type Tracer } from '@opentelemetry/api';
import { errnoName } from '../backends/errors.ts';
import type { CudaEvent, DecisionEvent, DecisionKind, GdlEvent } from '../events/types.ts';
import { Attr, ResultValue, Span } from './names.ts';

const SPAN_OF: Record<DecisionKind, string> = {
  alloc: Span.alloc,
  alloc_fail: Span.allocFail,
  quota_violation: Span.quotaViolation,
  free: Span.free,
  check: Span.check,
  deny: Span.deny,
  grant: Span.grant,
  revoke: Span.revoke,
};

const ALWAYS: ReadonlySet<DecisionKind> = new Set(['deny', 'quota_violation', 'alloc_fail', 'grant', 'revoke']);
const FAILURES: ReadonlySet<DecisionKind> = new Set(['deny', 'quota_violation', 'alloc_fail']);
const RANGE_KINDS: ReadonlySet<DecisionKind> = new Set(['check', 'deny', 'grant', 'revoke']);

const NO_DEVICE = 0xffffffff;

/**
 * Events carry CLOCK_MONOTONIC timestamps; spans want wall-clock time.
 * process.hrtime is CLOCK_MONOTONIC on Linux, so the offset between the two
 * clocks converts one into the other.
 */
function wallClockMs(tsNs: bigint): number {
  const ageNs = process.hrtime.bigint() - tsNs;
  return Date.now() - Number(ageNs) / 1e6;
}

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

function decisionAttributes(e: DecisionEvent): Attributes {
  const a: Attributes = {
    [Attr.agent]: e.agentId.toString(),
    [Attr.pid]: e.tgid,
    [Attr.tid]: e.pid,
    [Attr.comm]: e.comm,
    [Attr.cgroup]: e.cgroupId.toString(),
    [Attr.result]: e.kind === 'deny' ? ResultValue.denied : e.kind === 'check' ? ResultValue.allowed : e.result === 0 ? ResultValue.ok : ResultValue.error,
    [Attr.errno]: -e.result,
  };
  if (e.device !== NO_DEVICE) a[Attr.device] = e.device;
  if (e.result !== 0) a[Attr.errnoName] = errnoName(e.result);
  if (RANGE_KINDS.has(e.kind)) {
    a[Attr.addr] = hex(e.addr);
    a[Attr.length] = Number(e.length);
    a[Attr.mode] = e.mode;
  } else {
    a[Attr.size] = Number(e.length);
    a[Attr.used] = Number(e.used);
    a[Attr.quota] = Number(e.quota);
    if (e.allocId !== 0n) a[Attr.allocId] = e.allocId.toString();
  }
  return a;
}

function cudaAttributes(e: CudaEvent): Attributes {
  return {
    [Attr.cudaOp]: e.op,
    [Attr.cudaPtr]: hex(e.ptr),
    [Attr.size]: Number(e.size),
    [Attr.latencyNs]: Number(e.latencyNs),
    [Attr.pid]: e.tgid,
    [Attr.tid]: e.pid,
    [Attr.comm]: e.comm,
    [Attr.cgroup]: e.cgroupId.toString(),
    [Attr.errno]: e.result,
    [Attr.result]: e.result === 0 ? ResultValue.ok : ResultValue.error,
  };
}

export interface EventSpanner {
  /** turns a batch of events into spans; returns how many spans were made */
  record(events: readonly GdlEvent[], source: string): number;
}

/**
 * @cgroupOf: the bound cgroup path of an event's caller, when its agent is
 * bound to one (identity/labels.ts); only bound cgroups ever become values.
 */
export function createEventSpanner(
  tracer: Tracer, sampleRatio: number, random: () => number = Math.random, cgroupOf?: (e: DecisionEvent) => string | undefined,
): EventSpanner {
  const sampled = () => sampleRatio >= 1 || (sampleRatio > 0 && random() < sampleRatio);
  return {
    record(events, source) {
      let made = 0;
      for (const e of events) {
        if (e.type === 'decision') {
          if (!ALWAYS.has(e.kind) && !sampled()) continue;
          const at = wallClockMs(e.tsNs);
          const span = tracer.startSpan(SPAN_OF[e.kind], {
            kind: SpanKind.INTERNAL,
            startTime: at,
            attributes: { ...decisionAttributes(e), [Attr.source]: source },
          });
          const path = cgroupOf?.(e);
          if (path !== undefined) span.setAttribute(Attr.cgroupPath, path);
          if (FAILURES.has(e.kind)) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: e.kind === 'deny' ? 'DMA access denied' : errnoName(e.result) });
          }
          span.end(at);
        } else {
          if (e.result === 0 && !sampled()) continue;
          const end = wallClockMs(e.tsNs);
          const span = tracer.startSpan(Span.cuda, {
            kind: SpanKind.INTERNAL,
            startTime: end - Number(e.latencyNs) / 1e6,
            attributes: { ...cudaAttributes(e), [Attr.source]: source },
          });
          if (e.result !== 0) span.setStatus({ code: SpanStatusCode.ERROR, message: `CUresult ${e.result}` });
          span.end(end);
        }
        made++;
      }
      return made;
    },
  };
}
