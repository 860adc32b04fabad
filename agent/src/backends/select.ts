/**
 * Picks the backend: `kernel` when /dev/gpu_dma_lock exists (or when forced),
 * `embedded` otherwise (or when forced).
 */
import { existsSync } from 'node:fs';
import type { AgentConfig } from '../config.ts';
import type { EventSource } from '../events/types.ts';
import type { Backend } from './backend.ts';
import { EmbeddedBackend } from './embedded.ts';
import { KernelBackend } from './kernel.ts';
import { ObservedBackend } from './observed.ts';
import { ApiEventSource } from '../events/api-source.ts';

export interface SelectLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * The BPF event pipeline is optional: it needs libbpf, the built BPF objects
 * and privileges, so it is imported only here and only for the kernel
 * backend. When it is not there, the kernel backend still governs, without
 * a decision stream. (Attaching also happens later, in EventHub.start(),
 * which tolerates a refusal the same way.)
 */
async function kernelEvents(log: SelectLog): Promise<EventSource | null> {
  try {
    const { createKernelEventSource } = await import('../events/kernel-source.ts');
    return createKernelEventSource();
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'BPF event pipeline unavailable; running without events');
    return null;
  }
}

export async function selectBackend(config: AgentConfig, log: SelectLog): Promise<Backend> {
  const wantKernel = config.backend === 'kernel' || (config.backend === 'auto' && existsSync(config.devicePath));
  if (wantKernel) {
    const events = config.kernelEvents ? await kernelEvents(log) : null;
    let kernel: KernelBackend;
    try {
      kernel = new KernelBackend({ devicePath: config.devicePath, procDir: config.procDir, watchMs: 1000, events });
    } catch (err) {
      await events?.stop();
      throw err;
    }
    if (events) return kernel;
    // No BPF: still observe the decisions the agent itself asks for.
    log.info({}, 'observing the agent\'s own decisions only (no BPF pipeline)');
    return new ObservedBackend(kernel, new ApiEventSource());
  }
  return new EmbeddedBackend(config.embedded);
}
