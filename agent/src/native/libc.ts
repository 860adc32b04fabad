/**
 * The few libc calls the kernel backend needs: open, ioctl, close, fstat's
 * inode through node:fs instead. ioctl is variadic in libc, so its third
 * argument is passed with an explicit type.
 */
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');

const open_ = libc.func('int open(const char *path, int flags)');
const close_ = libc.func('int close(int fd)');
const ioctl_ = libc.func('int ioctl(int fd, unsigned long request, ...)');

export const O_RDWR = 0o2;
export const O_CLOEXEC = 0o2000000;

/** Returns fd >= 0 or -errno. */
export function sysOpen(path: string, flags: number): number {
  const fd = open_(path, flags) as number;
  return fd < 0 ? -koffi.errno() : fd;
}

export function sysClose(fd: number): void {
  close_(fd);
}

/** ioctl with a pointer argument (a struct in @arg). Returns 0..n or -errno. */
export function sysIoctl(fd: number, request: number, arg: Buffer | null): number {
  const rc = (arg ? ioctl_(fd, request, 'void *', arg) : ioctl_(fd, request, 'unsigned long', 0)) as number;
  return rc < 0 ? -koffi.errno() : rc;
}
