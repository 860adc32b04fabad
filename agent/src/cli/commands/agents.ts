import type { Command } from 'commander';
import { agentAndSize, agentIdArg, clientFrom, clientOptions, devicesArg, printRemoved, u64Arg, type ClientFlags } from '../common.ts';
import { CliExit, Exit } from '../exit-codes.ts';
import { bytes, print, printJson, table } from '../output.ts';

interface AgentBody {
  id: string; quota: string; used: string; available: string; deviceMask: string; devices: number[]; allocations: string; grants: string;
}

function rows(items: AgentBody[]) {
  return table(
    items.map((a) => ({ agent: a.id, quota: bytes(a.quota), used: bytes(a.used), devices: a.devices.join(',') || '-', allocations: a.allocations, grants: a.grants })),
    ['agent', 'quota', 'used', 'devices', 'allocations', 'grants'],
  );
}

export function registerAgents(program: Command): void {
  clientOptions(program.command('agents').description('list agents, or show one').argument('[agent]', 'agent id', agentIdArg))
    .action(async (agent: string | undefined, flags: ClientFlags) => {
      const api = clientFrom(flags);
      const items = agent
        ? [await api.request<AgentBody>('GET', `/v1/agents/${agent}`)]
        : (await api.request<{ items: AgentBody[] }>('GET', '/v1/agents')).items;
      if (flags.json) return printJson(agent ? items[0] : { items });
      print(items.length ? rows(items) : 'no agents');
    });

  clientOptions(
    agentAndSize(program.command('quota').description("set an agent's quota (creates the agent) and optionally its devices"), 'quota', '512MiB, 4GiB')
      .option('--devices <list>', 'allowed device indexes, e.g. 0,1', devicesArg)
      .option('--mask <mask>', 'allowed devices as a bit mask, e.g. 0x3', u64Arg('mask')),
  ).action(async (agent: string, quota: string, flags: ClientFlags & { devices?: number[]; mask?: string }) => {
    if (flags.devices && flags.mask) throw new CliExit(Exit.usage, 'give --devices or --mask, not both');
    const body = { quota, ...(flags.devices ? { devices: flags.devices } : {}), ...(flags.mask ? { deviceMask: flags.mask } : {}) };
    const a = await clientFrom(flags).request<AgentBody>('PUT', `/v1/agents/${agent}`, body);
    if (flags.json) return printJson(a);
    print(rows([a]));
  });

  clientOptions(program.command('remove-agent').description('remove an agent (refused while it has allocations)').argument('<agent>', 'agent id', agentIdArg))
    .action(async (agent: string, flags: ClientFlags) => {
      await clientFrom(flags).request('DELETE', `/v1/agents/${agent}`);
      printRemoved(flags, 'removed', agent, `agent ${agent} removed`);
    });
}
