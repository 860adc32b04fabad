/**
 * Watches a cgroup2 tree for cgroups that appear and disappear, with one
 * inotify watch per directory (fs.watch, not recursive: Node's recursive
 * mode is not inotify-backed everywhere), added as directories appear. No
 * polling loop: a cgroup created after start is seen when the kernel says so.
 *
 * A new directory is scanned after its watch is set, so children created
 * in between are not missed; a removed directory reports itself and every
 * known descendant (deepest first). Paths are reported as /proc/<pid>/cgroup
 * prints them: relative to the root, with a leading `/`.
 */
import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

export interface CgroupEvents {
  appeared(path: string): void;
  removed(path: string): void;
}

export class CgroupWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private stopped = false;

  constructor(private readonly root: string, private readonly on: CgroupEvents) {}

  /** Watches the whole tree and reports every existing cgroup as appeared (root excluded). */
  start(): void {
    this.stopped = false;
    this.add('/', false);
  }

  /** Reports every known cgroup as appeared again (after a module reload or new rules), but those @skip names. */
  replay(skip?: (path: string) => boolean): void {
    for (const p of [...this.watchers.keys()].sort()) if (p !== '/' && !skip?.(p)) this.on.appeared(p);
  }

  known(): string[] {
    return [...this.watchers.keys()].sort();
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private abs(path: string): string {
    return path === '/' ? this.root : join(this.root, path);
  }

  private add(path: string, report: boolean): void {
    if (this.stopped || this.watchers.has(path)) return;
    let w: FSWatcher;
    try {
      w = watch(this.abs(path), { persistent: false }, (_type, name) => {
        if (name) this.changed(path, String(name));
      });
    } catch {
      return; // gone before we got to it
    }
    w.on('error', () => this.drop(path));
    this.watchers.set(path, w);
    if (report) this.on.appeared(path);
    let entries: string[];
    try {
      entries = readdirSync(this.abs(path), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch {
      entries = [];
    }
    for (const name of entries) this.add(path === '/' ? `/${name}` : `${path}/${name}`, true);
  }

  private changed(parent: string, name: string): void {
    if (this.stopped || name.includes('/')) return;
    const path = parent === '/' ? `/${name}` : `${parent}/${name}`;
    let isDir = false;
    try {
      isDir = statSync(this.abs(path)).isDirectory();
    } catch {
      isDir = false;
    }
    if (isDir) this.add(path, true);
    else if (this.watchers.has(path)) this.drop(path);
  }

  /** Forgets @path and its descendants, deepest first, reporting each. */
  private drop(path: string): void {
    const prefix = `${path}/`;
    const gone = [...this.watchers.keys()].filter((p) => p === path || p.startsWith(prefix)).sort().reverse();
    for (const p of gone) {
      this.watchers.get(p)?.close();
      this.watchers.delete(p);
      if (p !== '/') this.on.removed(p);
    }
  }
}
