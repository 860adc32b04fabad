/**
 * Template variables shared by every dashboard: the Prometheus and Tempo
 * datasources (chosen by the viewer, so the same JSON works in any Grafana),
 * then node, device and agent, each narrowed by the ones before it.
 */
import {
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/dashboard';
import { CGROUP, Label, Metric, NODE, sel } from './metrics.ts';

/** Every Prometheus query targets the datasource the viewer picked. */
export const PROM: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

function prometheusVariable(): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus');
}

function tempoVariable(): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder('tempo').label('Tempo').type('tempo');
}

/**
 * A multi-value label variable with "All" = `.*`: the regex (rather than
 * Grafana's default list of every value) keeps the query short on big fleets
 * and matches series that lack the label.
 */
function labelVariable(name: string, label: string, query: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(PROM)
    .query(query)
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.NaturalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ text: ['All'], value: ['$__all'] });
}

/** Nodes that run an agent (gdl_build_info is exported once per agent). */
function nodeVariable(): QueryVariableBuilder {
  return labelVariable('node', 'Node', `label_values(${Metric.buildInfo}, node)`);
}

function deviceVariable(): QueryVariableBuilder {
  return labelVariable('device', 'Device', `label_values(${sel(Metric.deviceCapacityBytes, NODE)}, device)`);
}

function agentVariable(): QueryVariableBuilder {
  return labelVariable('agent', 'Agent', `label_values(${sel(Metric.agentQuotaBytes, NODE)}, agent)`);
}

/**
 * Containers: the cgroups bound to agents (gdl_agent_cgroup_info has one
 * series per bound cgroup). A template agent is one container, so picking
 * one narrows the agent variable to its agent.
 */
function containerVariable(): QueryVariableBuilder {
  return labelVariable('cgroup', 'Container (cgroup)', `label_values(${sel(Metric.agentCgroupInfo, NODE)}, ${Label.cgroup})`);
}

/**
 * Agents, narrowed by the container variable: with "All" (`.*`, which also
 * matches a missing label) every agent's quota series answers; with a
 * container picked only its cgroup-info series does.
 */
function agentByContainerVariable(): QueryVariableBuilder {
  const either = `{__name__=~"${Metric.agentQuotaBytes}|${Metric.agentCgroupInfo}", ${NODE}, ${CGROUP}}`;
  return labelVariable('agent', 'Agent', `label_values(${either}, agent)`);
}

/** The variables in the order the dashboards show them. */
export function standardVariables(opts: { device?: boolean; agent?: boolean; container?: boolean } = {}) {
  const vars: (DatasourceVariableBuilder | QueryVariableBuilder)[] = [
    prometheusVariable(),
    tempoVariable(),
    nodeVariable(),
  ];
  if (opts.device !== false) vars.push(deviceVariable());
  if (opts.container) vars.push(containerVariable());
  if (opts.agent !== false) vars.push(opts.container ? agentByContainerVariable() : agentVariable());
  return vars;
}

