/**
 * Writes dashboards/json/*.json and alerts/gpu-dma-lock.rules.yml from the TypeScript sources.
 *
 *   npx tsx dashboards/src/generate.ts           regenerate the committed JSON
 *   npx tsx dashboards/src/generate.ts --check   regenerate in memory; exit 1 if any
 *                                                file differs, is missing or is stale
 *
 * The JSON is committed so Grafana provisioning can mount it without Node;
 * --check (in dashboards/test.sh) keeps it from drifting from the sources.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderRules } from './alerts.ts';
import { DASHBOARDS } from './index.ts';

const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'json');
/** The alert rules (alerts.ts) are generated too, next to their promtool tests. */
const rulesPath = join(dirname(fileURLToPath(import.meta.url)), '..', 'alerts', 'gpu-dma-lock.rules.yml');

export function render(): Map<string, string> {
  const files = new Map<string, string>();
  const uids = new Set<string>();
  for (const [file, mod] of Object.entries(DASHBOARDS)) {
    const built = mod.build() as { uid?: string };
    if (built.uid !== mod.uid) throw new Error(`${file}: uid ${built.uid} is not the module's ${mod.uid}`);
    if (uids.has(mod.uid)) throw new Error(`${file}: duplicate uid ${mod.uid}`);
    uids.add(mod.uid);
    files.set(file, JSON.stringify(built, null, 2) + '\n');
  }
  return files;
}

function main(): number {
  const check = process.argv.includes('--check');
  const files = render();
  if (!check) {
    mkdirSync(outDir, { recursive: true });
    for (const [file, text] of files) writeFileSync(join(outDir, file), text);
    writeFileSync(rulesPath, renderRules());
    console.log(`wrote ${files.size} dashboards to ${outDir} and the alert rules to ${rulesPath}`);
    return 0;
  }
  const problems: string[] = [];
  for (const [file, text] of files) {
    const path = join(outDir, file);
    if (!existsSync(path)) problems.push(`${file}: missing (run: npx tsx dashboards/src/generate.ts)`);
    else if (readFileSync(path, 'utf8') !== text) problems.push(`${file}: differs from its source (run: npx tsx dashboards/src/generate.ts)`);
  }
  for (const file of existsSync(outDir) ? readdirSync(outDir) : []) {
    if (file.endsWith('.json') && !files.has(file)) problems.push(`${file}: no source generates it`);
  }
  if (!existsSync(rulesPath) || readFileSync(rulesPath, 'utf8') !== renderRules()) {
    problems.push('alerts/gpu-dma-lock.rules.yml: differs from dashboards/src/alerts.ts (run: npx tsx dashboards/src/generate.ts)');
  }
  for (const p of problems) console.error(p);
  if (problems.length === 0) console.log(`${files.size} dashboards up to date`);
  return problems.length === 0 ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main();
