/**
 * Static checks on the generated dashboards and the alert rules, the things
 * Prometheus cannot see: every panel has a description and a unit and uses
 * the datasource variable, uids are the stable ones, variables exist, denial
 * panels link to their traces, and every gdl_* name used (panels, variables,
 * alerts) is one the agent exports (agent/src/telemetry/names.ts).
 *
 *   npx tsx test/deploy/dashboards-lint.ts
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { Label, Metric } from '../../agent/src/telemetry/names.ts';
import { loadDashboards, panelsOf, variableQuery, type Panel } from './lib/dashboards.ts';
import { repoPath } from './lib/repo.ts';
import { Tap } from './lib/tap.ts';

const tap = new Tap();
const known = new Set<string>(Object.values(Metric));

/** Series names in an expr that are not exported by the agent. */
function unknownMetrics(expr: string): string[] {
  const names = expr.match(/\bgdl_[a-z0-9_]+/g) ?? [];
  // Histograms appear as _bucket/_count/_sum series of the one name.
  return names.filter((n) => !known.has(n) && !known.has(n.replace(/_(bucket|count|sum)$/, '')));
}

/**
 * Labels a query may name: the agent's (names.ts Label), the scrape
 * config's `node`, Prometheus's own target labels, and histogram `le`. A
 * panel that groups by a label the agent never emits shows one empty
 * series; this catches it.
 */
const knownLabels = new Set<string>([...Object.values(Label), 'node', 'instance', 'job', 'le', '__name__']);

/** Label names in an expr (by/without/on/ignoring/group_* lists, matchers) or a legend ({{x}}, $labels.x) that are not known. */
function unknownLabels(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g)) {
    names.push(...m[1]!.split(',').map((x) => x.trim()).filter(Boolean));
  }
  for (const m of text.matchAll(/[{,]\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)\s*"/g)) names.push(m[1]!);
  for (const m of text.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)) names.push(m[1]!);
  for (const m of text.matchAll(/\$labels\.([A-Za-z_][A-Za-z0-9_]*)/g)) names.push(m[1]!);
  return [...new Set(names.filter((n) => !knownLabels.has(n)))];
}

const STABLE_UIDS: Record<string, string> = {
  'fleet.json': 'gdl-fleet',
  'agents.json': 'gdl-agents',
  'agent-health.json': 'gdl-agent-health',
};
const REQUIRED_VARS: Record<string, string[]> = {
  'fleet.json': ['datasource', 'tempo', 'node', 'device'],
  'agents.json': ['datasource', 'tempo', 'node', 'device', 'agent'],
  'agent-health.json': ['datasource', 'tempo', 'node', 'job'],
};

/** A denial panel is one whose queries count refusals or denials. */
function isDenialPanel(p: Panel): boolean {
  return (p.targets ?? []).some((t) => /gdl_(agent_)?dma_denials_total|result="denied"|gdl_(agent_)?quota_violations_total|\/ \(gdl_agent_quota_bytes/.test(t.expr))
    || /denial|refus/i.test(p.title);
}

/**
 * What Grafana will open: the link with its variables filled in as Grafana
 * would, parsed back into the Explore pane state. Broken encoding, a query
 * that is not TraceQL for denial spans, or a pane not on $tempo fails here.
 */
function explorePaneProblem(link: { url: string }): string | undefined {
  const filled = link.url
    .replaceAll('${tempo}', 'tempo-uid')
    .replaceAll('${__from}', '1700000000000')
    .replaceAll('${__to}', '1700000600000')
    .replaceAll('${__field.labels.agent}', '1001')
    .replaceAll('${agent:regex}', '(1001|1002)');
  if (filled.includes('${')) return `unknown variable in ${link.url}`;
  let panes: Record<string, { datasource: string; queries: { queryType: string; query: string; datasource: { type: string; uid: string } }[]; range: { from: string; to: string } }>;
  try {
    panes = JSON.parse(new URL(filled, 'http://grafana').searchParams.get('panes') ?? '');
  } catch (err) {
    return `panes is not JSON: ${(err as Error).message}`;
  }
  const pane = Object.values(panes)[0];
  const q = pane?.queries?.[0];
  if (!pane || pane.datasource !== 'tempo-uid' || q?.datasource?.type !== 'tempo' || q.datasource.uid !== 'tempo-uid') return 'pane is not on the $tempo datasource';
  if (q.queryType !== 'traceql' || !/^\{ .* \}$/.test(q.query)) return `not a TraceQL query: ${q?.query}`;
  if (!/name = "gdl\.(dma_deny|quota_violation)"/.test(q.query)) return `query is not for denial spans: ${q.query}`;
  if (pane.range.from !== '1700000000000' || pane.range.to !== '1700000600000') return 'time range not the panel\'s';
  if (link.url.includes('${__field.labels.agent}') && !q.query.includes('span.gdl.agent.id = "1001"')) return `series agent not in ${q.query}`;
  return undefined;
}

const dashboards = loadDashboards();
tap.check(
  'dashboards/json holds exactly the expected dashboards',
  JSON.stringify(dashboards.map((d) => d.file).sort()) === JSON.stringify(Object.keys(STABLE_UIDS).sort())
    ? undefined
    : `found ${dashboards.map((d) => d.file).join(', ')}`,
);

for (const { file, dash } of dashboards) {
  tap.check(`${file} uid is ${STABLE_UIDS[file]}`, dash.uid === STABLE_UIDS[file] ? undefined : `uid ${dash.uid}`);

  const vars = new Map(dash.templating.list.map((v) => [v.name, v]));
  const missing = (REQUIRED_VARS[file] ?? []).filter((n) => !vars.has(n));
  tap.check(`${file} has variables ${(REQUIRED_VARS[file] ?? []).join(', ')}`, missing.length ? `missing ${missing.join(', ')}` : undefined);
  tap.check(
    `${file} datasource variables are typed`,
    (vars.get('datasource') as { query?: string } | undefined)?.query !== 'prometheus' || (vars.get('tempo') as { query?: string } | undefined)?.query !== 'tempo'
      ? 'datasource must be a prometheus and tempo a tempo datasource variable'
      : undefined,
  );
  const badAll = [...vars.values()].filter((v) => v.type === 'query' && (!v.includeAll || !v.allValue));
  tap.check(`${file} query variables have an All regex`, badAll.length ? badAll.map((v) => v.name).join(', ') : undefined);
  const varNames = [...vars.values()].flatMap((v) => unknownMetrics(variableQuery(v) ?? ''));
  tap.check(`${file} variable queries use exported metrics`, varNames.length ? varNames.join(', ') : undefined);

  const ids = new Set<number>();
  for (const p of dash.panels.flatMap((x) => [x, ...(x.panels ?? [])])) {
    if (ids.has(p.id)) tap.fail(`${file} panel ids unique`, `duplicate id ${p.id}`);
    ids.add(p.id);
  }

  for (const p of panelsOf(dash)) {
    const name = `${file} "${p.title}"`;
    const problems: string[] = [];
    if (!p.description || p.description.length < 20) problems.push('no description');
    if (!p.fieldConfig?.defaults?.unit) problems.push('no unit');
    if (p.datasource?.uid !== '${datasource}') problems.push(`datasource ${JSON.stringify(p.datasource)}`);
    const targets = p.targets ?? [];
    if (targets.length === 0) problems.push('no queries');
    const refIds = new Set(targets.map((t) => t.refId));
    if (refIds.size !== targets.length) problems.push('duplicate refIds');
    for (const t of targets) {
      if (t.datasource?.uid !== '${datasource}') problems.push(`${t.refId}: datasource ${JSON.stringify(t.datasource)}`);
      if (!t.expr?.trim()) problems.push(`${t.refId}: empty expr`);
      const unknown = unknownMetrics(t.expr);
      if (unknown.length) problems.push(`${t.refId}: not exported by the agent: ${unknown.join(', ')}`);
      const labels = unknownLabels(`${t.expr} ${t.legendFormat ?? ''}`);
      if (labels.length) problems.push(`${t.refId}: labels the agent does not emit: ${labels.join(', ')}`);
    }
    tap.check(`${name} well-formed`, problems.join('; ') || undefined);

    if (isDenialPanel(p)) {
      const links = [...(p.links ?? []), ...(p.fieldConfig?.defaults?.links ?? [])];
      const traceLinks = links.filter((l) => l.url.startsWith('/explore?') && l.url.includes('${tempo}'));
      tap.check(
        `${name} links to its traces in Tempo`,
        traceLinks.length === 0 ? 'no /explore link on the $tempo datasource' : traceLinks.map(explorePaneProblem).find(Boolean),
      );
      // Per-series links must filter by the series' agent; header links by the variable.
      for (const l of p.fieldConfig?.defaults?.links ?? []) {
        tap.check(`${name} data link filters by the series' agent`, l.url.includes('${__field.labels.agent}') ? undefined : l.url);
      }
      for (const l of p.links ?? []) {
        const scoped = vars.has('agent') ? l.url.includes('${agent:regex}') : !l.url.includes('${agent');
        tap.check(`${name} panel link scoped to the dashboard's agents`, scoped ? undefined : l.url);
      }
    }
  }
}

// Alert rules reference only exported metrics (or Prometheus's own `up`).
const rules = parseYaml(readFileSync(repoPath('dashboards/alerts/gpu-dma-lock.rules.yml'), 'utf8')) as {
  groups: { rules: { alert: string; expr: string; labels?: { severity?: string }; annotations?: { summary?: string; description?: string } }[] }[];
};
for (const r of rules.groups.flatMap((g) => g.rules)) {
  const unknown = unknownMetrics(r.expr);
  const labels = unknownLabels(`${r.expr} ${r.annotations?.summary ?? ''} ${r.annotations?.description ?? ''}`);
  const problems = [
    ...(unknown.length ? [`not exported by the agent: ${unknown.join(', ')}`] : []),
    ...(labels.length ? [`labels the agent does not emit: ${labels.join(', ')}`] : []),
    ...(!r.labels?.severity ? ['no severity label'] : []),
    ...(!r.annotations?.summary ? ['no summary'] : []),
  ];
  tap.check(`alert ${r.alert} uses exported metrics and labels, has severity and summary`, problems.join('; ') || undefined);
}

process.exitCode = tap.exitCode;
