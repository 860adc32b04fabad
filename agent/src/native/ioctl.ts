/**
 * /dev/gpu_dma_lock through ioctls: one open file, typed calls, errors as
 * GdlError. Everything the kernel backend asks the module goes through here.
 */
import koffi from 'koffi';
import { GdlError, type BackendOp } from '../backends/errors.ts';
import { sysClose, sysIoctl, sysOpen, O_CLOEXEC, O_RDWR } from './libc.ts';
import type { StructCodec, StructValue } from './struct.ts';
import {
  GdlAgentCfg, GdlAgentInfo, GdlAgentRef, GdlAlloc, GdlCheck, GdlDeviceInfo, GdlFree, GdlGrant,
  GdlInfo, GdlStats, Ioc, GdlCgroupBinding, GdlUidBinding, GDL_CGROUP_PATH_MAX,
} from './uapi.ts';

type Fields<C> = C extends StructCodec<infer F> ? F : never;

export class GdlDevice {
  private fd: number;

  private constructor(fd: number, readonly path: string) {
    this.fd = fd;
  }

  static open(path: string): GdlDevice {
    const fd = sysOpen(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) throw new GdlError('open', fd, path);
    return new GdlDevice(fd, path);
  }

  get closed(): boolean {
    return this.fd < 0;
  }

  close(): void {
    if (this.fd >= 0) sysClose(this.fd);
    this.fd = -1;
  }

  /** Encodes @value, runs the ioctl and decodes what the module wrote back. */
  private call<C extends StructCodec<any>>(
    op: BackendOp, request: number, codec: C, value: Partial<StructValue<Fields<C>>>,
  ): StructValue<Fields<C>> {
    if (this.fd < 0) throw new GdlError(op, 9 /* EBADF */, 'device closed');
    const buf = codec.encode(value);
    const rc = sysIoctl(this.fd, request, buf);
    if (rc < 0) throw new GdlError(op, rc);
    return codec.decode(buf) as StructValue<Fields<C>>;
  }

  noop(): void {
    const rc = sysIoctl(this.fd, Ioc.NOOP, null);
    if (rc < 0) throw new GdlError('info', rc);
  }

  info() { return this.call('info', Ioc.INFO, GdlInfo, {}); }
  stats() { return this.call('stats', Ioc.GET_STATS, GdlStats, {}); }
  device(index: number) { return this.call('device', Ioc.GET_DEVICE, GdlDeviceInfo, { index }); }

  setAgent(agent_id: bigint, quota: bigint, device_mask: bigint): void {
    this.call('set_agent', Ioc.SET_AGENT, GdlAgentCfg, { agent_id, quota, device_mask });
  }
  getAgent(agent_id: bigint) { return this.call('get_agent', Ioc.GET_AGENT, GdlAgentInfo, { agent_id }); }
  removeAgent(agent_id: bigint): void {
    this.call('remove_agent', Ioc.REMOVE_AGENT, GdlAgentRef, { agent_id });
  }

  alloc(agent_id: bigint, size: bigint, device: number, flags: number): bigint {
    return this.call('alloc', Ioc.ALLOC, GdlAlloc, { agent_id, size, device, flags }).alloc_id;
  }
  free(alloc_id: bigint): void {
    this.call('free', Ioc.FREE, GdlFree, { alloc_id });
  }

  grant(agent_id: bigint, device: number, addr: bigint, length: bigint, mode: number): void {
    this.call('grant', Ioc.GRANT, GdlGrant, { agent_id, device, addr, length, mode });
  }
  revoke(agent_id: bigint, device: number, addr: bigint, length: bigint, mode: number): void {
    this.call('revoke', Ioc.REVOKE, GdlGrant, { agent_id, device, addr, length, mode });
  }
  check(agent_id: bigint, device: number, addr: bigint, length: bigint, mode: number): boolean {
    return this.call('check', Ioc.CHECK, GdlCheck, { agent_id, device, addr, length, mode }).result === 1;
  }

  /** GDL_IOC_BIND_CGROUP / UNBIND_CGROUP: the path travels as a pointer to a C string. */
  private cgroupCall(op: 'bind' | 'unbind', request: number, path: string, agent_id: bigint): bigint {
    const bytes = Buffer.from(`${path}\0`, 'utf8');
    if (bytes.length > GDL_CGROUP_PATH_MAX) throw new GdlError(op, 36 /* ENAMETOOLONG */, 'cgroup path');
    const mem = koffi.alloc('uint8_t', bytes.length);
    try {
      koffi.encode(mem, koffi.array('uint8_t', bytes.length), [...bytes]);
      const addr = BigInt(koffi.address(mem) as bigint | number);
      return this.call(op, request, GdlCgroupBinding, { path: addr, agent_id }).cgroup_id;
    } finally {
      koffi.free(mem);
    }
  }
  bindCgroup(path: string, agent: bigint): bigint {
    return this.cgroupCall('bind', Ioc.BIND_CGROUP, path, agent);
  }
  unbindCgroup(path: string): void {
    this.cgroupCall('unbind', Ioc.UNBIND_CGROUP, path, 0n);
  }
  bindUid(uid: number, agent_id: bigint): void {
    this.call('bind', Ioc.BIND_UID, GdlUidBinding, { uid, agent_id });
  }
  unbindUid(uid: number): void {
    this.call('unbind', Ioc.UNBIND_UID, GdlUidBinding, { uid, agent_id: 0n });
  }
}
