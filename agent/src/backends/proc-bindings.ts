/**
 * /proc/swarm/gpu/bindings as a BindingList (format in docs/proc.md):
 *
 *   # kind target cgroup_id agent
 *   cgroup /kubepods.slice/kubepods-pod1.slice 4242 42
 *   uid 1001 0 7
 *
 * `target` is the cgroup path (blanks, backslashes and control characters
 * octal-escaped, `\040`) or the uid. Records of an unknown kind are skipped,
 * so a module that adds kinds does not break the agent.
 */
import type { BindingList } from '../identity/bindings.ts';
import { bigField, type ProcRecord } from './proc-table.ts';

/** Undoes the module's octal escapes (`\040` is a blank, `\134` a backslash). */
function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseBindings(records: ProcRecord[]): BindingList {
  const out: BindingList = { cgroups: [], uids: [] };
  for (const r of records) {
    const kind = r.get('kind');
    const target = r.get('target') ?? '';
    if (kind === 'cgroup' && target.startsWith('/')) {
      out.cgroups.push({ path: unescapeOctal(target), agent: bigField(r, 'agent'), cgroupId: bigField(r, 'cgroup_id'), source: 'api' });
    } else if (kind === 'uid' && /^\d+$/.test(target)) {
      out.uids.push({ uid: Number(target), agent: bigField(r, 'agent'), source: 'api' });
    }
  }
  return out;
}
