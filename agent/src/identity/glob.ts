/**
 * cgroup path globs of the policy's `match.cgroup`: `*` matches within one
 * path segment, `**` (a whole segment) matches zero or more segments, `?`
 * one character of a segment; everything else is literal. Paths are as
 * /proc/<pid>/cgroup prints them: absolute, `/` is the root.
 *
 *   /system.slice/docker-*.scope   docker-ab12.scope, not docker-x/y.scope
 *   /kubepods.slice/**\/pod*        any pod* cgroup at any depth below
 */

class GlobError extends Error {
  override name = 'GlobError';
}

/** Validates a cgroup path or glob: absolute, no empty, `.` or `..` segments. */
export function checkCgroupPath(path: string, what = 'cgroup'): void {
  if (typeof path !== 'string' || !path.startsWith('/')) throw new GlobError(`${what}: "${path}" is not an absolute cgroup path`);
  if (path.length >= 4096) throw new GlobError(`${what}: path longer than 4095 bytes`);
  if (path === '/') return;
  if (path.includes('\0') || path.includes('\n')) throw new GlobError(`${what}: path holds a NUL or newline`);
  for (const seg of path.slice(1).split('/')) {
    if (seg === '' || seg === '.' || seg === '..') throw new GlobError(`${what}: "${path}" has an empty, . or .. segment`);
  }
}

function segmentSource(seg: string): string {
  let out = '';
  for (const ch of seg) {
    if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else out += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return out;
}

/** Compiles a glob to an anchored RegExp over whole cgroup paths. */
export function compileGlob(glob: string): RegExp {
  checkCgroupPath(glob, 'match.cgroup');
  if (glob === '/') return /^\/$/;
  let src = '';
  for (const seg of glob.slice(1).split('/')) {
    if (seg === '**') src += '(?:/[^/]+)*';
    else if (seg.includes('**')) throw new GlobError(`match.cgroup: "**" must be a whole segment in "${glob}"`);
    else src += `/${segmentSource(seg)}`;
  }
  return new RegExp(`^${src}$`);
}

/** The path and each of its ancestors, deepest first, `/` last. */
export function ancestors(path: string): string[] {
  const out: string[] = [];
  let p = path;
  while (p !== '/' && p !== '') {
    out.push(p);
    p = p.slice(0, p.lastIndexOf('/')) || '/';
  }
  out.push('/');
  return out;
}
