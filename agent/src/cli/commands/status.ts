import type { Command } from 'commander';
import { clientFrom, clientOptions, type ClientFlags } from '../common.ts';
import { bytes, print, printJson, table } from '../output.ts';

interface StatsBody {
  backend: string;
  numDevices: number;
  counters: Record<string, string>;
  gauges: Record<string, string>;
  events: { received: number; lost: number } | null;
}
interface DeviceBody { index: number; name: string; kind: string; capacity: string; used: string; free: string }

export function registerStatus(program: Command): void {
  clientOptions(program.command('status').description('module-wide counters and devices')).action(async (flags: ClientFlags) => {
    const api = clientFrom(flags);
    const stats = await api.request<StatsBody>('GET', '/v1/stats');
    const devices = await api.request<{ items: DeviceBody[] }>('GET', '/v1/devices');
    if (flags.json) return printJson({ ...stats, devices: devices.items });
    const c = stats.counters;
    const g = stats.gauges;
    print(`backend ${stats.backend}, ${stats.numDevices} devices, ${g.agents} agents, ${g.liveAllocations} live allocations`);
    print(`used ${bytes(g.usedBytes!)} of ${bytes(g.capacityBytes!)}`);
    print(`allocs ${c.allocs} (failed ${c.allocFailures}, quota violations ${c.quotaViolations}), frees ${c.frees}`);
    print(`checks ${c.checks} (denied ${c.checksDenied}), grants ${c.grants}, revokes ${c.revokes}`);
    if (stats.events) print(`events received ${stats.events.received}, lost ${stats.events.lost}`);
    print('');
    print(table(devices.items.map((d) => ({ index: d.index, name: d.name, kind: d.kind, capacity: bytes(d.capacity), used: bytes(d.used), free: bytes(d.free) })),
      ['index', 'name', 'kind', 'capacity', 'used', 'free']));
  });
}
