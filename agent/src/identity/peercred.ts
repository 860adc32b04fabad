/**
 * SO_PEERCRED of a connected Unix socket: the pid, uid and gid the kernel
 * recorded for the peer when it connected, which the peer cannot forge.
 * Node has no API for it, so getsockopt(2) is called through koffi on the
 * socket's file descriptor (net.Socket's handle fd, present on Unix sockets).
 */
import koffi from 'koffi';
import type { Socket } from 'node:net';

const libc = koffi.load('libc.so.6');
const getsockopt = libc.func('int getsockopt(int fd, int level, int optname, void *optval, _Inout_ uint32_t *optlen)');

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;

export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

/** The descriptor behind a net.Socket, or -1 when it has none (closed). */
export function socketFd(sock: Socket): number {
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === 'number' ? fd : -1;
}

/** Throws when the kernel does not answer (not a Unix socket, closed). */
export function peerCred(sock: Socket): PeerCred {
  const fd = socketFd(sock);
  if (fd < 0) throw new Error('socket has no file descriptor');
  const buf = Buffer.alloc(12);
  const len = [12];
  const rc = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, buf, len) as number;
  if (rc < 0) throw new Error(`getsockopt(SO_PEERCRED) failed: errno ${koffi.errno()}`);
  return { pid: buf.readInt32LE(0), uid: buf.readUInt32LE(4), gid: buf.readUInt32LE(8) };
}
