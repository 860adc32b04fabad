/**
 * /proc/swarm/gpu/bindings as a BindingList. The module's side was being
 * written at the same time as this parser, so it reads fields by name and
 * accepts the likely spellings: one record per binding with a `kind` column
 * (`cgroup` or `uid`), the target in `path`/`cgroup` or `uid`, `agent`, and
 * `cgroup_id`/`id` for cgroups. Records of an unknown kind are skipped.
 * Change this one function if docs/proc.md says otherwise.
 */
import type { BindingList } from '../identity/bindings.ts';
import { bigField, type ProcRecord } from './proc-table.ts';

function text(rec: ProcRecord, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = rec.get(n);
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

export function parseBindings(records: ProcRecord[]): BindingList {
  const out: BindingList = { cgroups: [], uids: [] };
  for (const r of records) {
    const kind = text(r, 'kind', 'type');
    const path = text(r, 'path', 'cgroup');
    const uid = text(r, 'uid');
    if (kind === 'cgroup' || (kind === undefined && path !== undefined)) {
      if (path === undefined) continue;
      const id = text(r, 'cgroup_id', 'id');
      out.cgroups.push({ path, agent: bigField(r, 'agent'), cgroupId: id ? BigInt(id) : 0n, source: 'api' });
    } else if (kind === 'uid' || (kind === undefined && uid !== undefined)) {
      const u = uid ?? text(r, 'key', 'target');
      if (u === undefined || !/^\d+$/.test(u)) continue;
      out.uids.push({ uid: Number(u), agent: bigField(r, 'agent'), source: 'api' });
    }
  }
  return out;
}
