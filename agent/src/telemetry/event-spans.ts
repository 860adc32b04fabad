/**
 * Decision events -> spans. Every denial, quota violation and refused
 * allocation becomes a span; grants and revokes too (rare, and an audit
 * trail wants all of them); allowed checks, allocations, frees and CUDA
 * calls are sampled at sampleRatio, because on a busy node they are the
 * hot path and a span each would cost more than the decision.
 */
import { SpanKind, SpanStatusCode, type Attributes, type Tracer } from '@opentelemetry/api';
import { errnoName } from '../backends/errors.ts';
import { modeName } from '../dma-mode.ts';
import { wallClockMs } from '../events/json.ts';
import { GDL_NO_DEVICE } from '../native/uapi.ts';
import type { CudaEvent, DecisionEvent, DecisionKind, EventCaller, GdlEvent } from '../events/types.ts';
import { Attr, ResultValue, Span } from './names.ts';
import { processContextReader, type ProcessContext } from './process-context.ts';

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


const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A u64 as a span attribute, exactly: an integer (OTLP int64) up to 2^53-1,
 * which a JavaScript number holds exactly, else its decimal string. A
 * Number() of 2^64-1 would arrive as 18446744073709552000.
 */
export function u64Attr(v: bigint): number | string {
  return v <= MAX_EXACT ? Number(v) : v.toString();
}

function contextAttributes(ctx: ProcessContext): Attributes {
  return {
    ...(ctx.containerId ? { [Attr.containerId]: ctx.containerId } : {}),
    ...(ctx.podUid ? { [Attr.podUid]: ctx.podUid } : {}),
  };
}

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

/** Who caused the event: the same four attributes on every span. */
function callerAttributes(e: EventCaller): Attributes {
  return { [Attr.pid]: e.pid, [Attr.tid]: e.tid, [Attr.comm]: e.comm, [Attr.cgroup]: e.cgroupId.toString() };
}

function decisionAttributes(e: DecisionEvent): Attributes {
  const a: Attributes = {
    [Attr.agent]: e.agentId.toString(),
    ...callerAttributes(e),
    [Attr.result]: e.kind === 'deny' ? ResultValue.denied : e.kind === 'check' ? ResultValue.allowed : e.result === 0 ? ResultValue.ok : ResultValue.error,
    [Attr.errno]: -e.result,
  };
  if (e.device !== GDL_NO_DEVICE) a[Attr.device] = e.device;
  if (e.result !== 0) a[Attr.errnoName] = errnoName(e.result);
  // error.type: the errno name of a refusal; a denied check is not an errno.
  if (e.kind === 'deny') a[Attr.errorType] = 'dma_denied';
  else if (e.result !== 0) a[Attr.errorType] = errnoName(e.result);
  if (RANGE_KINDS.has(e.kind)) {
    a[Attr.addr] = hex(e.addr);
    a[Attr.length] = u64Attr(e.length);
    a[Attr.mode] = modeName(e.mode);
  } else {
    a[Attr.size] = u64Attr(e.length);
    a[Attr.used] = u64Attr(e.used);
    a[Attr.quota] = u64Attr(e.quota);
    if (e.allocId !== 0n) a[Attr.allocId] = e.allocId.toString();
  }
  return a;
}

function cudaAttributes(e: CudaEvent): Attributes {
  return {
    [Attr.cudaOp]: e.op,
    [Attr.cudaPtr]: hex(e.ptr),
    [Attr.size]: u64Attr(e.size),
    [Attr.latencyNs]: u64Attr(e.latencyNs),
    ...callerAttributes(e),
    [Attr.errno]: e.result,
    [Attr.result]: e.result === 0 ? ResultValue.ok : ResultValue.error,
    ...(e.result !== 0 ? { [Attr.errorType]: `CUresult ${e.result}` } : {}),
  };
}

export interface EventSpanner {
  /** turns a batch of events into spans; returns how many spans were made */
  record(events: readonly GdlEvent[], source: string): number;
}

/**
 * @processContext: container and pod of a caller's pid (from its cgroup).
 * @cgroupOf: the bound cgroup path of an event's caller, when its agent is
 * bound to one (identity/labels.ts); only bound cgroups ever become values.
 */
export function createEventSpanner(
  tracer: Tracer,
  sampleRatio: number,
  random: () => number = Math.random,
  processContext: (pid: number) => ProcessContext = processContextReader(),
  cgroupOf?: (e: DecisionEvent) => string | undefined,
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
            attributes: { ...decisionAttributes(e), ...contextAttributes(processContext(e.pid)), [Attr.source]: source },
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
            attributes: { ...cudaAttributes(e), ...contextAttributes(processContext(e.pid)), [Attr.source]: source },
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
