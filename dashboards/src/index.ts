/** Every dashboard the generator writes, keyed by the JSON file it lands in. */
import * as agents from './agents.ts';
import * as fleet from './fleet.ts';
import * as health from './health.ts';

export interface DashboardModule {
  uid: string;
  build(): unknown;
}

export const DASHBOARDS: Record<string, DashboardModule> = {
  'fleet.json': fleet,
  'agents.json': agents,
  'agent-health.json': health,
};
