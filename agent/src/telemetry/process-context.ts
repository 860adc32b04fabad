/**
 * container.id and k8s.pod.uid of a process, for span attributes, read from
 * /proc/<pid>/cgroup when the process lives in a container: the runtime's
 * 64-hex container id is the last path element (docker-<id>.scope,
 * cri-containerd-<id>.scope, crio-<id>.scope, or <id> itself), and a
 * Kubernetes pod's uid is in the kubepods path (pod<uid> with '-' or '_').
 * Processes outside containers get neither. Results are cached per pid
 * (bounded): a span per decision must not cost a file read each.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ProcessContext {
  containerId?: string;
  podUid?: string;
}

const CONTAINER = /(?:^|[/-])([0-9a-f]{64})(?:\.scope)?$/;
const POD = /pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})/;

/** Parses the text of /proc/<pid>/cgroup. */
export function parseCgroup(text: string): ProcessContext {
  const out: ProcessContext = {};
  for (const line of text.split('\n')) {
    const path = line.split(':').slice(2).join(':').trim();
    if (!path) continue;
    const c = CONTAINER.exec(path);
    if (c && !out.containerId) out.containerId = c[1]!;
    const p = POD.exec(path);
    if (p && !out.podUid) out.podUid = p[1]!.replaceAll('_', '-');
  }
  return out;
}

const MAX_CACHED = 4096;

export function processContextReader(procDir = '/proc'): (pid: number) => ProcessContext {
  const cache = new Map<number, ProcessContext>();
  return (pid) => {
    let ctx = cache.get(pid);
    if (ctx) return ctx;
    try {
      ctx = parseCgroup(readFileSync(join(procDir, String(pid), 'cgroup'), 'utf8'));
    } catch {
      ctx = {}; // gone already, or not ours to read
    }
    // Pids are reused: a full cache starts over rather than keeping stale answers forever.
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(pid, ctx);
    return ctx;
  };
}
