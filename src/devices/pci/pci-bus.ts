/**
 * A PCI bus: up to 32 devices x 8 functions addressed by devfn (device << 3 | function), the
 * memory and I/O containers BARs are mapped into (the board places those containers in the
 * system and port address spaces), INTx routing and MSI delivery.
 * - INTx: a device's pin (INTA..INTD) is mapped to an IrqLine by the board's `intxRoute`
 *   callback (the swizzle plus PIRQ routing live in the board). Several devices may share a
 *   line: the bus counts assertions per line and drives it high while any is asserted.
 * - MSI/MSI-X messages go to the board's MsiSink (the APIC bus); DMA goes to `dma`.
 * Only bus 0 exists (no PCI-PCI bridges yet); configuration cycles to other buses read
 * all-ones.
 */

import { ConfigError } from "../../common/errors.js";
import { nullLogger, type Logger } from "../../common/log.js";
import type { AddressSpace } from "../../memory/address-space.js";
import type { MemoryRegion } from "../../memory/memory-region.js";
import type { IrqLine } from "../irq.js";
import type { PciDevice } from "./pci-device.js";

/** Where MSI writes go: the board forwards them to the local APIC(s). */
export interface MsiSink {
  deliver(addressLo: number, addressHi: number, data: number): void;
}

/** INTx pin index: 0 = INTA .. 3 = INTD. */
export type PciPin = 0 | 1 | 2 | 3;

/** The board's routing of a device's interrupt pin to an interrupt-controller input. */
export type IntxRoute = (device: PciDevice, pin: PciPin) => IrqLine;

export interface PciBusOptions {
  /** Container that memory BARs are mapped into (bus addresses = its offsets). */
  memory: MemoryRegion;
  /** Container that I/O BARs are mapped into (usually 64 KiB). */
  io: MemoryRegion;
  intxRoute?: IntxRoute;
  msi?: MsiSink;
  /** What bus-master DMA reaches (usually the system memory space). */
  dma?: AddressSpace;
  logger?: Logger;
}

export class PciBus {
  readonly memory: MemoryRegion;
  readonly io: MemoryRegion;
  readonly logger: Logger;
  /** Target of bus-master DMA, or null when the board wired none. */
  readonly dma: AddressSpace | null;
  private readonly _devices: (PciDevice | undefined)[] = new Array<PciDevice | undefined>(256);
  private readonly _intxRoute: IntxRoute | null;
  private readonly _msi: MsiSink | null;
  private readonly _lineCounts = new Map<IrqLine, number>();

  constructor(opts: PciBusOptions) {
    if (opts.memory?.kind !== "container" || opts.io?.kind !== "container") throw new ConfigError("PciBus: memory and io must be container regions");
    this.memory = opts.memory;
    this.io = opts.io;
    this._intxRoute = opts.intxRoute ?? null;
    this._msi = opts.msi ?? null;
    this.dma = opts.dma ?? null;
    this.logger = opts.logger ?? nullLogger();
  }

  /** Plug `dev` in at `devfn`; a taken slot or a bad devfn is a ConfigError. */
  attach(dev: PciDevice, devfn: number): void {
    if (!Number.isInteger(devfn) || devfn < 0 || devfn > 255) throw new ConfigError(`PciBus: bad devfn ${devfn}`);
    const cur = this._devices[devfn];
    if (cur) throw new ConfigError(`PciBus: slot ${formatDevfn(devfn)} already holds "${cur.id}"`);
    this._devices[devfn] = dev;
    dev.attachToBus(this, devfn);
  }

  device(devfn: number): PciDevice | undefined { return this._devices[devfn]; }

  get devices(): PciDevice[] { return this._devices.filter((d): d is PciDevice => d !== undefined); }

  /** A configuration read; absent functions read all-ones (master abort). */
  configRead(devfn: number, offset: number, size: 1 | 2 | 4): number {
    const d = this._devices[devfn];
    if (!d) return size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
    return d.configRead(offset, size);
  }

  configWrite(devfn: number, offset: number, value: number, size: 1 | 2 | 4): void {
    this._devices[devfn]?.configWrite(offset, value, size);
  }

  /** Called by devices when the effective level of one of their pins changes. */
  setIntx(dev: PciDevice, pin: PciPin, asserted: boolean): void {
    if (!this._intxRoute) return;
    const line = this._intxRoute(dev, pin);
    const before = this._lineCounts.get(line) ?? 0;
    const after = Math.max(0, before + (asserted ? 1 : -1));
    this._lineCounts.set(line, after);
    if ((before > 0) !== (after > 0)) line.set(after > 0 ? 1 : 0);
  }

  deliverMsi(addressLo: number, addressHi: number, data: number): void {
    if (!this._msi) {
      this.logger.unimp("PCI: MSI delivered with no MsiSink wired", "pci-no-msi-sink");
      return;
    }
    this._msi.deliver(addressLo >>> 0, addressHi >>> 0, data >>> 0);
  }

  /** `lspci`-style listing. */
  dump(): string {
    return this.devices
      .map((d) => `00:${formatDevfn(d.devfn)} ${hex(d.classCode >>> 8, 4)}: ${hex(d.vendorId, 4)}:${hex(d.deviceId, 4)} "${d.id}"`)
      .join("\n");
  }
}

function hex(n: number, w: number): string { return n.toString(16).padStart(w, "0"); }

export function formatDevfn(devfn: number): string {
  return `${hex(devfn >> 3, 2)}.${devfn & 7}`;
}
