import { Option, type Command } from 'commander';
import { agentIdArg, clientFrom, clientOptions, deviceArg, modeArg, sizeArg, u64Arg, type ClientFlags } from '../common.ts';
import type { ModeName } from '../../dma-mode.ts';
import { CliExit, Exit } from '../exit-codes.ts';
import { print, printJson, table } from '../output.ts';
import { rangeAddr } from '../../range-addr.ts';

interface RangeFlags extends ClientFlags {
  device: number;
  addr?: string;
  /** deprecated name of --addr */
  start?: string;
  length: string;
  mode: ModeName;
}
interface GrantBody { agent: string; device: number; addrHex: string; end: string; length: string; mode: string }

function rangeCommand(program: Command, name: string, description: string): Command {
  return clientOptions(
    program
      .command(name)
      .description(description)
      .argument('<agent>', 'agent id', agentIdArg)
      .requiredOption('--device <n>', 'device index', deviceArg)
      .option('--addr <addr>', 'first byte, decimal or 0x-hex (required)', u64Arg('addr'))
      .addOption(new Option('--start <addr>', 'deprecated name of --addr').argParser(u64Arg('start')).hideHelp())
      .requiredOption('--length <bytes>', 'bytes, or with a unit: 4KiB, 2MiB', sizeArg('length'))
      .option('--mode <mode>', 'r, w or rw', modeArg, 'rw'),
  );
}

/** The range a grant, revoke or check names: --addr, or --start as it used to be called. */
function rangeOf(f: RangeFlags) {
  const addr = rangeAddr(f, 'gdl', (m) => new CliExit(Exit.usage, m.replace(/\b(addr|start)\b/g, '--$1')));
  return { device: f.device, addr, length: f.length, mode: f.mode };
}

export function registerGrants(program: Command): void {
  rangeCommand(program, 'grant', 'grant a DMA range to an agent').action(async (agent: string, f: RangeFlags) => {
    const r = rangeOf(f);
    await clientFrom(f).request('POST', `/v1/agents/${agent}/grants`, r);
    // start: the deprecated name of addr, for scripts that read it
    if (f.json) return printJson({ granted: { agent, ...r, start: r.addr } });
    print(`granted ${r.mode} on device ${r.device} [0x${BigInt(r.addr).toString(16)}, +${r.length}) to agent ${agent}`);
  });

  rangeCommand(program, 'revoke', 'revoke a mode from a DMA range of an agent').action(async (agent: string, f: RangeFlags) => {
    const r = rangeOf(f);
    await clientFrom(f).request('POST', `/v1/agents/${agent}/revocations`, r);
    if (f.json) return printJson({ revoked: { agent, ...r, start: r.addr } });
    print(`revoked ${r.mode} on device ${r.device} [0x${BigInt(r.addr).toString(16)}, +${r.length}) from agent ${agent}`);
  });

  rangeCommand(program, 'check', 'may an agent DMA to a range? exit 0 allowed, 1 denied')
    .action(async (agent: string, f: RangeFlags) => {
      const r = await clientFrom(f).request<{ allowed: boolean; result: string }>('POST', '/v1/checks', { agent, ...rangeOf(f) });
      if (f.json) printJson(r);
      else print(r.result);
      if (!r.allowed) throw new CliExit(Exit.refused, '');
    });

  clientOptions(program.command('grants').description('granted DMA ranges (all agents, or one)').argument('[agent]', 'agent id', agentIdArg))
    .action(async (agent: string | undefined, f: ClientFlags) => {
      const body = await clientFrom(f).request<{ items: GrantBody[] }>('GET', agent ? `/v1/agents/${agent}/grants` : '/v1/grants');
      if (f.json) return printJson(body);
      print(body.items.length
        ? table(body.items.map((g) => ({ agent: g.agent, device: g.device, addr: g.addrHex, end: g.end, length: g.length, mode: g.mode })),
          ['agent', 'device', 'addr', 'end', 'length', 'mode'])
        : 'no grants');
    });
}
