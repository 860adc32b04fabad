/**
 * A process's cgroup v2 path and a cgroup's id, read from /proc and the
 * cgroup2 mount the way the module sees them: the path as the `0::` line of
 * /proc/<pid>/cgroup prints it (from the reader's cgroup namespace: the
 * agent must run in the initial one), the id as the directory's inode.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The `0::/path` line of /proc/<pid>/cgroup, or null (process gone, cgroup v1 only). */
export function processCgroup(pid: number, procRoot = '/proc'): string | null {
  let text: string;
  try {
    text = readFileSync(join(procRoot, String(pid), 'cgroup'), 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    if (line.startsWith('0::')) {
      const p = line.slice(3).replace(/ \(deleted\)$/, '');
      return p.startsWith('/') ? p : null;
    }
  }
  return null;
}

/** The cgroup's id (inode of its directory below @root), or null when it does not exist. */
export function cgroupId(root: string, path: string): bigint | null {
  try {
    const st = statSync(path === '/' ? root : join(root, path), { bigint: true });
    return st.isDirectory() ? st.ino : null;
  } catch {
    return null;
  }
}
