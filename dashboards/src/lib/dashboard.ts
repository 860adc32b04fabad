/**
 * The frame every gpu-dma-lock dashboard shares: tags, time settings, links to
 * its sibling dashboards, and stable panel ids (Grafana keys panel links,
 * alerts and "view panel" URLs on them, so they must not move between runs).
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';

const TAG = 'gpu-dma-lock';

function baseDashboard(uid: string, title: string, description: string): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags([TAG])
    .editable()
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .link(
      new dashboard.DashboardLinkBuilder('gpu-dma-lock')
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags([TAG])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true),
    );
}

export type PanelBuilder = cog.Builder<dashboard.Panel>;

/** A row, then its panels: how every dashboard is laid out. */
function addRow(d: dashboard.DashboardBuilder, title: string, panels: readonly PanelBuilder[]): void {
  d.withRow(new dashboard.RowBuilder(title));
  for (const p of panels) d.withPanel(p);
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  /** in the order the dashboard shows them */
  variables: cog.Builder<dashboard.VariableModel>[];
  /** each row's title and its panels, top to bottom */
  rows: [title: string, panels: PanelBuilder[]][];
}

/** The whole dashboard: the shared frame, its variables, its rows, stable panel ids. */
export function assemble(spec: DashboardSpec): dashboard.Dashboard {
  const d = baseDashboard(spec.uid, spec.title, spec.description);
  for (const v of spec.variables) d.withVariable(v);
  for (const [title, panels] of spec.rows) addRow(d, title, panels);
  return finalize(d.build());
}

/** Panel ids in document order, rows and nested panels included. */
function finalize(built: dashboard.Dashboard): dashboard.Dashboard {
  let id = 1;
  for (const p of built.panels ?? []) {
    (p as { id?: number }).id = id++;
    for (const inner of (p as { panels?: { id?: number }[] }).panels ?? []) inner.id = id++;
  }
  return built;
}
