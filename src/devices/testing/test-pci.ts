/**
 * PCI on a TestMachine: a PciBus whose BARs map straight into the machine's memory and I/O
 * spaces, a PciHost with the configuration mechanism #1 registers and an ECAM window mapped
 * at caller-chosen addresses (PC conventions by default), INTx lines recorded per swizzled
 * line, and MSI messages captured. Device tests (PCI, virtio-pci) drive configuration
 * cycles with `cfgRead/cfgWrite` exactly as a guest would.
 */

import type { RegionOps } from "../../memory/types.js";
import type { IrqRecorder } from "../irq.js";
import { PciBus, type PciPin } from "../pci/pci-bus.js";
import type { PciDevice } from "../pci/pci-device.js";
import { PciHost } from "../pci/pci-host.js";
import type { TestMachine } from "./test-machine.js";

export interface TestPciOptions {
  /** Port of the configuration address register; data window at +4 (PC: 0xCF8). */
  configPort?: number;
  /** Physical address of a one-bus ECAM window (PC q35: 0xB0000000). */
  ecamBase?: number;
  /** Forwarded to PciHostOptions.resetControl (byte at configPort + 1). */
  resetControl?: RegionOps;
}

/** One captured MSI write. */
export interface CapturedMsi {
  addressLo: number;
  addressHi: number;
  data: number;
}

export class TestPci {
  readonly bus: PciBus;
  readonly host: PciHost;
  readonly msis: CapturedMsi[] = [];
  /** INTx lines by swizzled index ((slot + pin) % 4), created on first use. */
  readonly lines = new Map<number, IrqRecorder>();
  readonly configPort: number;
  readonly ecamBase: number;

  constructor(readonly m: TestMachine, opts: TestPciOptions = {}) {
    this.configPort = opts.configPort ?? 0xcf8;
    this.ecamBase = opts.ecamBase ?? 0xb0000000;
    this.bus = new PciBus({
      memory: m.memRoot,
      io: m.ioRoot,
      dma: m.mem,
      logger: m.logger,
      msi: { deliver: (addressLo, addressHi, data) => this.msis.push({ addressLo, addressHi, data }) },
      intxRoute: (dev: PciDevice, pin: PciPin) => this.line(((dev.devfn >> 3) + pin) % 4),
    });
    this.host = new PciHost({ bus: this.bus, ...(opts.resetControl ? { resetControl: opts.resetControl } : {}) });
    this.host.realize();
    m.mapIo(this.configPort, 4, this.host.configAddressOps, "pci-conf-idx");
    m.mapIo(this.configPort + 4, 4, this.host.configDataOps, "pci-conf-data");
    m.mapMmio(this.ecamBase, this.host.ecamSize, this.host.ecamOps, "pcie-mmcfg");
  }

  line(n: number): IrqRecorder {
    let l = this.lines.get(n);
    if (!l) {
      l = this.m.irq();
      this.lines.set(n, l);
    }
    return l;
  }

  /** Attach and realize `dev` at slot/function. */
  plug<D extends PciDevice>(dev: D, slot: number, fn = 0): D {
    this.bus.attach(dev, (slot << 3) | fn);
    dev.realize();
    return dev;
  }

  private _select(devfn: number, reg: number): void {
    this.m.outl(this.configPort, (0x80000000 | (devfn << 8) | (reg & 0xfc)) >>> 0);
  }

  /** A configuration read through 0xCF8/0xCFC (bus 0). */
  cfgRead(devfn: number, reg: number, size: 1 | 2 | 4): number {
    this._select(devfn, reg);
    const data = this.configPort + 4;
    return size === 1 ? this.m.inb(data + (reg & 3)) : size === 2 ? this.m.inw(data + (reg & 2)) : this.m.inl(data);
  }

  cfgWrite(devfn: number, reg: number, value: number, size: 1 | 2 | 4): void {
    this._select(devfn, reg);
    const data = this.configPort + 4;
    if (size === 1) this.m.outb(data + (reg & 3), value);
    else if (size === 2) this.m.outw(data + (reg & 2), value);
    else this.m.outl(data, value);
  }

  /** Program BAR `index` of `devfn` with `address` (two dwords for 64-bit BARs). */
  programBar(devfn: number, index: number, address: number, is64 = false): void {
    const lo = address % 2 ** 32;
    this.cfgWrite(devfn, 0x10 + 4 * index, lo, 4);
    if (is64) this.cfgWrite(devfn, 0x14 + 4 * index, Math.floor(address / 2 ** 32), 4);
  }
}
