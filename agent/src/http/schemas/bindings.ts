import Type from 'typebox';
import { AgentId, U64 } from './common.ts';

const CgroupPath = Type.String({
  pattern: '^/',
  minLength: 1,
  maxLength: 4095,
  description: 'cgroup path below the cgroup2 mount, as /proc/<pid>/cgroup prints it ("/" is the root)',
  examples: ['/system.slice/docker-0123.scope'],
});

const Uid = Type.Integer({ minimum: 0, maximum: 4294967294, description: 'a uid of the initial user namespace' });

const Source = Type.Union([Type.Literal('api'), Type.Literal('policy'), Type.Literal('template')], {
  description: 'who made the binding: the API/CLI, a policy match rule, or a policy template',
});

export const CgroupBinding = Type.Object(
  { path: CgroupPath, agent: AgentId, cgroupId: U64, source: Source },
  { $id: 'CgroupBinding' },
);

export const UidBinding = Type.Object({ uid: Uid, agent: AgentId, source: Source }, { $id: 'UidBinding' });

export const BindingList = Type.Object({ cgroups: Type.Array(CgroupBinding), uids: Type.Array(UidBinding) });

export const BindCgroupBody = Type.Object({ path: CgroupPath, agent: AgentId }, { additionalProperties: false });
export const CgroupQuery = Type.Object({ path: CgroupPath }, { additionalProperties: false });
export const UidParams = Type.Object({ uid: Type.String({ pattern: '^(0|[1-9][0-9]{0,9})$', description: 'uid' }) }, { additionalProperties: false });
export const BindUidBody = Type.Object({ agent: AgentId }, { additionalProperties: false });
