/**
 * Links from denial panels to the spans behind them.
 *
 * The agent turns every denied DMA check into a `gdl.dma_deny` span and every
 * allocation refused by quota into `gdl.quota_violation`, with the agent id in
 * `gdl.agent.id` (agent/src/telemetry/names.ts). A link opens Grafana Explore
 * on the viewer's Tempo datasource with a TraceQL query for those spans, for
 * the series' agent and the panel's time range.
 */
import { DashboardLinkBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { Attr, SERVICE_NAME, Span } from '../../../agent/src/telemetry/names.ts';

/**
 * Grafana variables must stay literal in the link's URL (Grafana interpolates
 * them when the link is clicked), while everything around them must be
 * percent-encoded. Placeholders survive encodeURIComponent unchanged and are
 * swapped for the variables afterwards.
 */
const VARS: Record<string, string> = {
  GDLVARtempo: '${tempo}',
  GDLVARfrom: '${__from}',
  GDLVARto: '${__to}',
  GDLVARfieldagent: '${__field.labels.agent}',
  GDLVARagent: '${agent:regex}',
};

function traceql(spanName: string, agent: 'series' | 'variable' | 'none'): string {
  const parts = [`resource.service.name = "${SERVICE_NAME}"`, `name = "${spanName}"`];
  // One series = one agent: match its id exactly. From a panel header the
  // agent variable applies, which may be a regex such as `.*` or `(1|2)`.
  if (agent === 'series') parts.push(`span.${Attr.agent} = "GDLVARfieldagent"`);
  if (agent === 'variable') parts.push(`span.${Attr.agent} =~ "GDLVARagent"`);
  return `{ ${parts.join(' && ')} }`;
}

function exploreTracesUrl(spanName: string, agent: 'series' | 'variable' | 'none'): string {
  const panes = {
    traces: {
      datasource: 'GDLVARtempo',
      queries: [
        {
          refId: 'A',
          datasource: { type: 'tempo', uid: 'GDLVARtempo' },
          queryType: 'traceql',
          limit: 50,
          query: traceql(spanName, agent),
        },
      ],
      range: { from: 'GDLVARfrom', to: 'GDLVARto' },
    },
  };
  let url = `/explore?schemaVersion=1&orgId=1&panes=${encodeURIComponent(JSON.stringify(panes))}`;
  for (const [placeholder, variable] of Object.entries(VARS)) {
    url = url.split(placeholder).join(variable);
  }
  return url;
}

/** Data link on each series of a per-agent denial panel. */
export function denialTracesLink(kind: 'deny' | 'quota' = 'deny'): DashboardLinkBuilder {
  const span = kind === 'deny' ? Span.deny : Span.quotaViolation;
  const what = kind === 'deny' ? 'denied DMA checks' : 'quota refusals';
  return new DashboardLinkBuilder(`Traces of ${what} for agent \${__field.labels.agent}`)
    .url(exploreTracesUrl(span, 'series'))
    .targetBlank(true);
}

/**
 * Panel-header link: the same spans for the agents the dashboard's `agent`
 * variable selects, or for every agent on dashboards without that variable.
 */
export function denialTracesPanelLink(kind: 'deny' | 'quota', scope: 'variable' | 'none'): DashboardLinkBuilder {
  const span = kind === 'deny' ? Span.deny : Span.quotaViolation;
  const what = kind === 'deny' ? 'denied DMA checks' : 'quota refusals';
  return new DashboardLinkBuilder(`Traces of ${what} (${scope === 'variable' ? 'selected agents' : 'all agents'})`)
    .url(exploreTracesUrl(span, scope))
    .targetBlank(true);
}
