#!/usr/bin/env node
// Bundles the gdl CLI and agent into one ESM file, build/agent/gdl.mjs.
//
//   node agent/bundle.mjs                 build/agent/gdl.mjs
//   node agent/bundle.mjs NAME=FILE.ts …  build/agent/NAME.mjs from FILE.ts
//                                         instead (test/vm/run.sh bundles the
//                                         guest cases' OTLP receiver so)
//
// bin/gdl.mjs runs the TypeScript sources through tsx, which is right for
// development but loads hundreds of files and compiles each on first use;
// inside the emulated test guest that takes minutes. The bundle is one file
// of plain JavaScript. koffi stays external: it loads a native addon.
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = resolve(process.env.GDL_BUILD ?? resolve(repo, 'build'), 'agent');

/**
 * koffi loads a native addon, so it stays outside the bundle. The bundle may
 * live outside the repository ($GDL_BUILD), where a bare 'koffi' would not
 * resolve: point the import at this checkout's copy (a build output belongs
 * to its checkout anyway).
 */
function koffiFromThisCheckout() {
  const koffi = pathToFileURL(createRequire(resolve(repo, 'package.json')).resolve('koffi')).href;
  return {
    name: 'koffi-from-this-checkout',
    setup(b) {
      b.onResolve({ filter: /^koffi$/ }, () => ({ path: koffi, external: true }));
    },
  };
}

/** NAME=FILE arguments as esbuild entry points; none: the CLI and agent. */
function entryPoints(args) {
  if (args.length === 0) return { gdl: resolve(repo, 'agent/src/cli/bundle-entry.ts') };
  const entries = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new Error(`bundle.mjs: expected NAME=FILE, got '${arg}'`);
    entries[arg.slice(0, eq)] = resolve(arg.slice(eq + 1));
  }
  return entries;
}

const entries = entryPoints(process.argv.slice(2));
await build({
  entryPoints: entries,
  outdir: outDir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  plugins: [koffiFromThisCheckout()],
  // paths.ts finds the checkout from its own file, which a bundle outside the repo cannot.
  define: { 'process.env.GDL_BUNDLE_REPO': JSON.stringify(repo) },
  // CommonJS dependencies (OpenTelemetry, pino) call require(): give the ESM bundle one.
  banner: { js: "import { createRequire as __gdlCreateRequire } from 'node:module'; const require = __gdlCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
process.stdout.write(`${Object.keys(entries).map((name) => `${outDir}/${name}.mjs`).join(' ')}\n`);
