/**
 * Notices that /dev/gpu_dma_lock now belongs to a new module instance: after
 * rmmod + insmod the node is recreated, so its inode (or device number)
 * differs, or it was absent and is back. Polling a stat() once a second is
 * cheap and needs no inotify on devtmpfs.
 */
import { statSync } from 'node:fs';

interface Identity {
  ino: number;
  rdev: number;
}

function identity(path: string): Identity | null {
  try {
    const st = statSync(path);
    return { ino: st.ino, rdev: st.rdev };
  } catch {
    return null;
  }
}

export class DeviceWatch {
  private current: Identity | null;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly path: string, private readonly onNewDevice: () => void) {
    this.current = identity(path);
  }

  start(periodMs: number): void {
    this.timer = setInterval(() => this.poll(), periodMs);
    this.timer.unref();
  }

  /** Looks now; calls onNewDevice when a different node appeared since the last look. */
  poll(): void {
    const now = identity(this.path);
    const before = this.current;
    this.current = now;
    if (now && (!before || before.ino !== now.ino || before.rdev !== now.rdev)) this.onNewDevice();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
