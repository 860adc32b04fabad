import type { Command } from 'commander';
import { agentIdArg, clientFrom, clientOptions, deviceArg, modeArg, sizeArg, u64Arg, type ClientFlags } from '../common.ts';
import type { ModeName } from '../../dma-mode.ts';
import { CliExit, Exit } from '../exit-codes.ts';
import { print, printJson, table } from '../output.ts';

interface RangeFlags extends ClientFlags {
  device: number;
  start: string;
  length: string;
  mode: ModeName;
}
interface GrantBody { agent: string; device: number; startHex: string; end: string; length: string; mode: string }

function rangeCommand(program: Command, name: string, description: string, startName = 'start'): Command {
  return clientOptions(
    program
      .command(name)
      .description(description)
      .argument('<agent>', 'agent id', agentIdArg)
      .requiredOption('--device <n>', 'device index', deviceArg)
      .requiredOption(`--${startName} <addr>`, 'first byte, decimal or 0x-hex', u64Arg(startName))
      .requiredOption('--length <bytes>', 'bytes, or with a unit: 4KiB, 2MiB', sizeArg('length'))
      .option('--mode <mode>', 'r, w or rw', modeArg, 'rw'),
  );
}

export function registerGrants(program: Command): void {
  rangeCommand(program, 'grant', 'grant a DMA range to an agent').action(async (agent: string, f: RangeFlags) => {
    await clientFrom(f).request('POST', `/v1/agents/${agent}/grants`, { device: f.device, start: f.start, length: f.length, mode: f.mode });
    if (f.json) return printJson({ granted: { agent, device: f.device, start: f.start, length: f.length, mode: f.mode } });
    print(`granted ${f.mode} on device ${f.device} [0x${BigInt(f.start).toString(16)}, +${f.length}) to agent ${agent}`);
  });

  rangeCommand(program, 'revoke', 'revoke a mode from a DMA range of an agent').action(async (agent: string, f: RangeFlags) => {
    await clientFrom(f).request('POST', `/v1/agents/${agent}/revocations`, { device: f.device, start: f.start, length: f.length, mode: f.mode });
    if (f.json) return printJson({ revoked: { agent, device: f.device, start: f.start, length: f.length, mode: f.mode } });
    print(`revoked ${f.mode} on device ${f.device} [0x${BigInt(f.start).toString(16)}, +${f.length}) from agent ${agent}`);
  });

  rangeCommand(program, 'check', 'may an agent DMA to a range? exit 0 allowed, 1 denied', 'addr')
    .action(async (agent: string, f: Omit<RangeFlags, 'start'> & { addr: string }) => {
      const r = await clientFrom(f).request<{ allowed: boolean; result: string }>('POST', '/v1/checks', {
        agent, device: f.device, addr: f.addr, length: f.length, mode: f.mode,
      });
      if (f.json) printJson(r);
      else print(r.result);
      if (!r.allowed) throw new CliExit(Exit.refused, '');
    });

  clientOptions(program.command('grants').description('granted DMA ranges (all agents, or one)').argument('[agent]', 'agent id', agentIdArg))
    .action(async (agent: string | undefined, f: ClientFlags) => {
      const body = await clientFrom(f).request<{ items: GrantBody[] }>('GET', agent ? `/v1/agents/${agent}/grants` : '/v1/grants');
      if (f.json) return printJson(body);
      print(body.items.length
        ? table(body.items.map((g) => ({ agent: g.agent, device: g.device, start: g.startHex, end: g.end, length: g.length, mode: g.mode })),
          ['agent', 'device', 'start', 'end', 'length', 'mode'])
        : 'no grants');
    });
}
