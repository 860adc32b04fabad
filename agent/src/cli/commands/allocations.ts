import type { Command } from 'commander';
import { agentAndSize, agentIdArg, clientFrom, clientOptions, deviceArg, printRemoved, u64Arg, type ClientFlags } from '../common.ts';
import { CliExit, Exit } from '../exit-codes.ts';
import { bytes, print, printJson, table } from '../output.ts';

interface AllocationBody { id: string; agent: string; size: string; device: number; persistent: boolean; ownerPid: number }
interface PageBody { items: AllocationBody[]; next: string | null }

function limitArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new CliExit(Exit.usage, `--limit: "${value}" is not 1..1000`);
  return n;
}

export function registerAllocations(program: Command): void {
  clientOptions(
    program
      .command('allocations')
      .description('live allocations (every page unless --limit)')
      .option('--agent <id>', 'only this agent', agentIdArg)
      .option('--limit <n>', 'one page of at most n; prints the next cursor', limitArg)
      .option('--cursor <cursor>', 'continue from a previous page'),
  ).action(async (f: ClientFlags & { agent?: string; limit?: number; cursor?: string }) => {
    const api = clientFrom(f);
    const items: AllocationBody[] = [];
    let cursor = f.cursor;
    let next: string | null = null;
    do {
      const q = new URLSearchParams({ limit: String(f.limit ?? 1000) });
      if (f.agent) q.set('agent', f.agent);
      if (cursor) q.set('cursor', cursor);
      const page = await api.request<PageBody>('GET', `/v1/allocations?${q}`);
      items.push(...page.items);
      next = page.next;
      cursor = next ?? undefined;
    } while (next && f.limit === undefined);
    if (f.json) return printJson({ items, next });
    print(items.length
      ? table(items.map((a) => ({ id: a.id, agent: a.agent, device: a.device, size: bytes(a.size), persistent: a.persistent ? 'yes' : 'no' })),
        ['id', 'agent', 'device', 'size', 'persistent'])
      : 'no allocations');
    if (next) print(`next: --cursor ${next}`);
  });

  clientOptions(
    agentAndSize(program.command('alloc').description('charge a persistent allocation to an agent'), 'size', '1GiB')
      .requiredOption('--device <n>', 'device index', deviceArg),
  ).action(async (agent: string, size: string, f: ClientFlags & { device: number }) => {
    const a = await clientFrom(f).request<AllocationBody>('POST', '/v1/allocations', { agent, size, device: f.device, persistent: true });
    if (f.json) return printJson(a);
    print(`allocation ${a.id}: ${bytes(a.size)} on device ${a.device} for agent ${a.agent}`);
  });

  clientOptions(program.command('free').description('release an allocation').argument('<id>', 'allocation id', u64Arg('id')))
    .action(async (id: string, f: ClientFlags) => {
      await clientFrom(f).request('DELETE', `/v1/allocations/${id}`);
      printRemoved(f, 'freed', id, `allocation ${id} freed`);
    });
}
