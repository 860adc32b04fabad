/**
 * Device labels that join with NVIDIA dcgm-exporter's: `UUID`, `pci_bus_id`
 * and `gpu`, so one query (or one Grafana panel) can put gpu-dma-lock's
 * quota beside DCGM's framebuffer use:
 *
 *   gdl_device_used_bytes * on(UUID) group_left DCGM_FI_DEV_FB_USED
 *
 * pci_bus_id is spelled as NVML spells it ("00000000:3B:00.0"). UUID and
 * gpu (the NVIDIA device minor, which is the index dcgm-exporter reports on
 * nodes that do not reorder devices) come from the NVIDIA driver's
 * /proc/driver/nvidia/gpus/<bus>/information; on a node without it, or for
 * simulated devices, they are empty, which Prometheus treats as absent.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceState } from '../backends/backend.ts';

export interface DeviceIdentity {
  uuid: string;
  pciBusId: string;
  gpu: string;
}

const hex = (v: number, width: number) => v.toString(16).toUpperCase().padStart(width, '0');

/** NVML's bus id: 8-hex domain, bus, device, function ("00000000:3B:00.0"). */
export function pciBusId(domain: number, bdf: number): string {
  return `${hex(domain, 8)}:${hex((bdf >> 8) & 0xff, 2)}:${hex((bdf >> 3) & 0x1f, 2)}.${(bdf & 7).toString(16)}`;
}

/** Reads UUID and device minor from the NVIDIA driver's proc file of one bus id. */
function readNvidia(procDir: string, busId: string): { uuid: string; gpu: string } {
  // The driver names the directory with a 4-hex domain, lower case: 0000:3b:00.0.
  const dir = busId.slice(4).toLowerCase();
  try {
    const text = readFileSync(join(procDir, dir, 'information'), 'utf8');
    return {
      uuid: /^GPU UUID:\s*(\S+)/m.exec(text)?.[1] ?? '',
      gpu: /^Device Minor:\s*(\d+)/m.exec(text)?.[1] ?? '',
    };
  } catch {
    return { uuid: '', gpu: '' };
  }
}

/** A resolver that reads each PCI device's identity once. */
export function nvidiaDeviceIdentity(procDir = '/proc/driver/nvidia/gpus'): (d: DeviceState) => DeviceIdentity {
  const cache = new Map<string, DeviceIdentity>();
  return (d) => {
    if (d.kind !== 'pci') return { uuid: '', pciBusId: '', gpu: '' };
    const busId = pciBusId(d.pciDomain, d.pciBdf);
    let id = cache.get(busId);
    if (!id) {
      id = { ...readNvidia(procDir, busId), pciBusId: busId };
      cache.set(busId, id);
    }
    return id;
  };
}
