/**
 * The metric names panels may use, taken from the agent's own list so that a
 * rename in agent/src/telemetry/names.ts breaks the generator (and its
 * --check in CI) instead of silently emptying a panel.
 */
import { Label, Metric } from '../../../agent/src/telemetry/names.ts';

export { Label, Metric };

/**
 * Label matchers every query carries. `node` is not emitted by the agent: the
 * Prometheus scrape config attaches it (deploy/prometheus/, docs/operations.md),
 * and `=~` keeps queries working where it is missing, because the "All" value
 * is `.*`, which also matches an absent label.
 */
export const NODE = 'node=~"$node"';
export const DEVICE = `${Label.device}=~"$device"`;
export const AGENT = `${Label.agent}=~"$agent"`;
export const CGROUP = `${Label.cgroup}=~"$cgroup"`;

/** `metric{m1, m2}` */
export function sel(metric: string, ...matchers: string[]): string {
  return `${metric}{${matchers.join(', ')}}`;
}

/** Rate window: Grafana's own choice, always at least four scrapes. */
const RATE = '$__rate_interval';

/** A counter's per-second rate (or increase) over the rate window, summed by @by. */
export function sumRate(by: string, selector: string, fn: 'rate' | 'increase' = 'rate'): string {
  return `sum by (${by}) (${fn}(${selector}[${RATE}]))`;
}

/** One series per node: a counter's rate on the selected nodes, legend "{{node}} @what". */
export function nodeRate(metric: string, what = ''): { expr: string; legend: string } {
  return { expr: sumRate('node', sel(metric, NODE)), legend: what ? `{{node}} ${what}` : '{{node}}' };
}
