/** Reads the generated dashboards (dashboards/json/) the way Grafana would see them. */
import { readdirSync, readFileSync } from 'node:fs';
import { repoPath } from './repo.ts';

export interface Target {
  refId: string;
  expr: string;
  legendFormat?: string;
  instant?: boolean;
  datasource?: { type?: string; uid?: string };
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  links?: { title: string; url: string }[];
  fieldConfig?: { defaults?: { unit?: string; links?: { title: string; url: string }[] } };
  panels?: Panel[];
}

export interface Variable {
  name: string;
  type: string;
  query?: string | { query?: string };
  allValue?: string;
  includeAll?: boolean;
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Variable[] };
}

export const JSON_DIR = repoPath('dashboards/json');

export function loadDashboards(): { file: string; dash: Dashboard }[] {
  return readdirSync(JSON_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, dash: JSON.parse(readFileSync(`${JSON_DIR}/${file}`, 'utf8')) as Dashboard }));
}

/** Every panel, rows' nested panels included, rows themselves excluded. */
export function panelsOf(d: Dashboard): Panel[] {
  const out: Panel[] = [];
  for (const p of d.panels) {
    if (p.type === 'row') out.push(...(p.panels ?? []));
    else out.push(p);
  }
  return out;
}

export function variableQuery(v: Variable): string | undefined {
  return typeof v.query === 'string' ? v.query : v.query?.query;
}
