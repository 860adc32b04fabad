/**
 * Panel constructors. Each one takes title, description and unit as required
 * fields so that no panel can ship without them, points every query at the
 * viewer's Prometheus datasource, and names queries A, B, C... in order.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import { PROM } from './variables.ts';

export interface Query {
  expr: string;
  /** Legend template, e.g. `{{agent}}`. */
  legend: string;
  /** Instant query (top-N bars and tables show one value per series). */
  instant?: boolean;
}

export interface PanelSpec {
  title: string;
  /** Shown as the (i) tooltip: what the panel means and what to do about it. */
  description: string;
  /** A Grafana unit id: bytes, percentunit, ops, reqps, s, short, none... */
  unit: string;
  queries: Query[];
  width?: number;
  height?: number;
  min?: number;
  max?: number;
  /** Absolute thresholds as [value, color] after a green base. */
  thresholds?: [number, string][];
  /** Links on each series (e.g. to the traces of that agent). */
  dataLinks?: cog.Builder<dashboard.DashboardLink>[];
  /** Links in the panel header. */
  links?: cog.Builder<dashboard.DashboardLink>[];
}

function targets(queries: Query[]): prometheus.DataqueryBuilder[] {
  return queries.map((q, i) => {
    const t = new prometheus.DataqueryBuilder()
      .refId(String.fromCharCode(65 + i))
      .datasource(PROM)
      .expr(q.expr)
      .legendFormat(q.legend);
    return q.instant ? t.instant().format(prometheus.PromQueryFormat.TimeSeries) : t.range();
  });
}

function thresholds(steps: [number, string][] | undefined): dashboard.ThresholdsConfigBuilder {
  const all: dashboard.Threshold[] = [{ value: null, color: 'green' }];
  for (const [value, color] of steps ?? []) all.push({ value, color });
  return new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(all);
}

/** The setters every panel kind of the SDK has (its builders share no base class). */
interface PanelBuilderLike {
  title(v: string): this;
  description(v: string): this;
  unit(v: string): this;
  datasource(v: dashboard.DataSourceRef): this;
  targets(v: cog.Builder<cog.Dataquery>[]): this;
  span(v: number): this;
  height(v: number): this;
  min(v: number): this;
  max(v: number): this;
  thresholds(v: cog.Builder<dashboard.ThresholdsConfig>): this;
  dataLinks(v: cog.Builder<dashboard.DashboardLink>[]): this;
  links(v: cog.Builder<dashboard.DashboardLink>[]): this;
}

function applyCommon<B extends PanelBuilderLike>(b: B, s: PanelSpec): B {
  b.title(s.title).description(s.description).unit(s.unit).datasource(PROM).targets(targets(s.queries));
  // Size only: DashboardBuilder flows panels left to right, row by row.
  b.span(s.width ?? 12).height(s.height ?? 8);
  if (s.min !== undefined) b.min(s.min);
  if (s.max !== undefined) b.max(s.max);
  if (s.thresholds) b.thresholds(thresholds(s.thresholds));
  if (s.dataLinks) b.dataLinks(s.dataLinks);
  if (s.links) b.links(s.links);
  return b;
}

export function timeseriesPanel(
  s: PanelSpec & { stack?: boolean; fill?: number },
): timeseries.PanelBuilder {
  const b = applyCommon(new timeseries.PanelBuilder(), s)
    .lineWidth(1)
    .fillOpacity(s.fill ?? 10)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Bottom)
        .calcs(['lastNotNull', 'max']),
    )
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
  if (s.stack) b.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  return b;
}

/** Events per second over time (unit ops, from zero): the shape of most counter panels. */
export function ratePanel(s: Omit<Parameters<typeof timeseriesPanel>[0], 'unit' | 'min'>): timeseries.PanelBuilder {
  return timeseriesPanel({ unit: 'ops', min: 0, ...s });
}

export function statPanel(s: PanelSpec & { graph?: boolean }): stat.PanelBuilder {
  return applyCommon(new stat.PanelBuilder(), s)
    .graphMode(s.graph ? common.BigValueGraphMode.Area : common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Value)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
}

/** Horizontal bars, one per series: top-N lists. */
export function barsPanel(s: PanelSpec): bargauge.PanelBuilder {
  return applyCommon(new bargauge.PanelBuilder(), s)
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Gradient)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
}
