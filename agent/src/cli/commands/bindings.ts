/**
 * gdl bind cgroup PATH AGENT | gdl bind uid UID AGENT, gdl unbind …, gdl bindings:
 * which cgroups and users act as which agent (docs/identity.md).
 */
import type { Command } from 'commander';
import { agentIdArg, clientFrom, clientOptions, type ClientFlags } from '../common.ts';
import { CliExit, Exit } from '../exit-codes.ts';
import { print, printJson, table } from '../output.ts';

interface CgroupB { path: string; agent: string; cgroupId: string; source: string }
interface UidB { uid: number; agent: string; source: string }

function cgroupArg(value: string): string {
  if (!value.startsWith('/')) throw new CliExit(Exit.usage, `cgroup: "${value}" is not a path below the cgroup2 mount (e.g. /system.slice/x.service)`);
  return value;
}

function uidArg(value: string): string {
  if (!/^(0|[1-9][0-9]{0,9})$/.test(value) || Number(value) > 4294967294) throw new CliExit(Exit.usage, `uid: "${value}" is not a uid`);
  return value;
}

export function registerBindings(program: Command): void {
  const bind = program.command('bind').description('bind a cgroup or a uid to an agent: its processes act as that agent');
  clientOptions(bind.command('cgroup').description('bind a cgroup and its descendants to an agent')
    .argument('<path>', 'cgroup path as /proc/<pid>/cgroup prints it', cgroupArg).argument('<agent>', 'agent id', agentIdArg))
    .action(async (path: string, agent: string, f: ClientFlags) => {
      const b = await clientFrom(f).request<CgroupB>('PUT', '/v1/bindings/cgroups', { path, agent });
      if (f.json) return printJson(b);
      print(`cgroup ${b.path} (id ${b.cgroupId}) is agent ${b.agent}`);
    });
  clientOptions(bind.command('uid').description('bind a uid to an agent')
    .argument('<uid>', 'numeric uid', uidArg).argument('<agent>', 'agent id', agentIdArg))
    .action(async (uid: string, agent: string, f: ClientFlags) => {
      const b = await clientFrom(f).request<UidB>('PUT', `/v1/bindings/uids/${uid}`, { agent });
      if (f.json) return printJson(b);
      print(`uid ${b.uid} is agent ${b.agent}`);
    });

  const unbind = program.command('unbind').description('remove a cgroup or uid binding');
  clientOptions(unbind.command('cgroup').description('unbind a cgroup').argument('<path>', 'cgroup path', cgroupArg))
    .action(async (path: string, f: ClientFlags) => {
      await clientFrom(f).request('DELETE', `/v1/bindings/cgroups?path=${encodeURIComponent(path)}`);
      if (f.json) return printJson({ unbound: { path } });
      print(`cgroup ${path} unbound`);
    });
  clientOptions(unbind.command('uid').description('unbind a uid').argument('<uid>', 'numeric uid', uidArg))
    .action(async (uid: string, f: ClientFlags) => {
      await clientFrom(f).request('DELETE', `/v1/bindings/uids/${uid}`);
      if (f.json) return printJson({ unbound: { uid: Number(uid) } });
      print(`uid ${uid} unbound`);
    });

  clientOptions(program.command('bindings').description('every cgroup and uid binding'))
    .action(async (f: ClientFlags) => {
      const body = await clientFrom(f).request<{ cgroups: CgroupB[]; uids: UidB[] }>('GET', '/v1/bindings');
      if (f.json) return printJson(body);
      const rows = [
        ...body.cgroups.map((b) => ({ kind: 'cgroup', target: b.path, agent: b.agent, id: b.cgroupId, source: b.source })),
        ...body.uids.map((b) => ({ kind: 'uid', target: String(b.uid), agent: b.agent, id: '', source: b.source })),
      ];
      print(rows.length ? table(rows, ['kind', 'target', 'agent', 'id', 'source']) : 'no bindings');
    });
}
