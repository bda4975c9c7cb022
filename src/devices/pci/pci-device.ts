/**
 * PciDevice: the base of every PCI function (type-0 header). It owns the configuration space
 * with write masks (read-only IDs, W1C status bits), BARs, the capability list and INTx.
 * - BARs: `registerBar(i, ...)` declares a power-of-two memory (32/64-bit, prefetchable) or
 *   I/O BAR backed by a MemoryRegion. Sizing works through the write mask (write all-ones,
 *   read back the size mask with the flag bits). Whenever COMMAND or a BAR register changes,
 *   each BAR is (un)mapped in the bus's memory/io container at its programmed address while
 *   the matching decode bit is set, as QEMU's pci_update_mappings (addresses 0, past the
 *   container, or ending at/above 4 GiB for 32-bit BARs, count as unmapped).
 * - INTx: `setIntx(level)` drives the pin declared by `interruptPin`; COMMAND.INTX_DISABLE
 *   masks it and STATUS.INTERRUPT reports the device's level.
 * - Capabilities: `addCapability(id, size)` allocates bytes from 0x40 and links them; MSI and
 *   MSI-X helpers (msi-capability.ts, msix-capability.ts) build on it and watch config writes
 *   through `onConfigWrite`.
 * Guest writes never throw; unknown offsets simply hit read-only bytes.
 */

import { ConfigError } from "../../common/errors.js";
import type { MemoryRegion } from "../../memory/memory-region.js";
import { Device } from "../device.js";
import type { PciBus, PciPin } from "./pci-bus.js";
import { PciConfigSpace } from "./pci-config-space.js";
import { PCI_CONFIG_SIZE, PCIE_CONFIG_SIZE, PciBarFlag, PciCommand, PciHeader, PciReg, PciStatus } from "./pci-regs.js";

export interface PciDeviceOptions {
  vendorId: number;
  deviceId: number;
  /** 24-bit class code: base class << 16 | subclass << 8 | programming interface. */
  classCode: number;
  revision?: number;
  subsystemVendorId?: number;
  subsystemId?: number;
  /** 0 = no interrupt pin, 1..4 = INTA..INTD. */
  interruptPin?: number;
  /** Sets the multi-function bit in the header type (function 0 of a multi-function device). */
  multiFunction?: boolean;
  /** 4 KiB configuration space (PCI Express) instead of 256 bytes. */
  pcie?: boolean;
  id?: string;
}

export interface PciBarOptions {
  kind: "mem" | "io";
  /** BAR size in bytes: a power of two, >= 16 (mem) or >= 4 (io). */
  size: number;
  /** The region decoded by the BAR (at most `size` bytes). */
  region: MemoryRegion;
  /** 64-bit memory BAR (uses this BAR and the next). */
  is64?: boolean;
  prefetchable?: boolean;
}

export type PciDeviceState = {
  config: number[];
  intx: number;
};

interface Bar {
  opts: PciBarOptions;
  mappedAt: number;
}

function checkU(name: string, v: number | undefined, max: number): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > max)) throw new ConfigError(`PciDevice: ${name} out of range: ${String(v)}`);
}

const TWO32 = 2 ** 32;

export abstract class PciDevice<S extends PciDeviceState = PciDeviceState> extends Device<S> {
  readonly config: PciConfigSpace;
  readonly vendorId: number;
  readonly deviceId: number;
  readonly classCode: number;
  readonly interruptPin: number;
  private readonly _bars: (Bar | undefined)[] = [];
  private readonly _writeHooks: ((offset: number, size: number) => void)[] = [];
  private readonly _resetHooks: (() => void)[] = [];
  private _bus: PciBus | null = null;
  private _devfn = -1;
  private _nextCap: number = PciReg.CAP_START;
  private _lastCap = 0;
  private _intx = 0;
  private _intxAsserted = false;

  constructor(opts: PciDeviceOptions) {
    super(opts.id ?? "pci-device");
    checkU("vendorId", opts.vendorId, 0xfffe);
    checkU("deviceId", opts.deviceId, 0xffff);
    checkU("classCode", opts.classCode, 0xffffff);
    checkU("revision", opts.revision, 0xff);
    checkU("subsystemVendorId", opts.subsystemVendorId, 0xffff);
    checkU("subsystemId", opts.subsystemId, 0xffff);
    checkU("interruptPin", opts.interruptPin, 4);
    if (opts.vendorId === undefined || opts.deviceId === undefined || opts.classCode === undefined) throw new ConfigError("PciDevice: vendorId, deviceId and classCode are required");
    this.vendorId = opts.vendorId;
    this.deviceId = opts.deviceId;
    this.classCode = opts.classCode;
    this.interruptPin = opts.interruptPin ?? 0;
    const c = (this.config = new PciConfigSpace(opts.pcie ? PCIE_CONFIG_SIZE : PCI_CONFIG_SIZE));
    c.set16(PciReg.VENDOR_ID, opts.vendorId);
    c.set16(PciReg.DEVICE_ID, opts.deviceId);
    c.set8(PciReg.REVISION, opts.revision ?? 0);
    c.set8(PciReg.CLASS_PROG, opts.classCode);
    c.set16(PciReg.CLASS_DEVICE, opts.classCode >>> 8);
    c.set8(PciReg.HEADER_TYPE, PciHeader.TYPE_NORMAL | (opts.multiFunction ? PciHeader.MULTI_FUNCTION : 0));
    c.set16(PciReg.SUBSYSTEM_VENDOR_ID, opts.subsystemVendorId ?? 0);
    c.set16(PciReg.SUBSYSTEM_ID, opts.subsystemId ?? 0);
    c.set8(PciReg.INTERRUPT_PIN, this.interruptPin);
    c.setWmask(PciReg.COMMAND, 2, PciCommand.IO | PciCommand.MEMORY | PciCommand.MASTER | PciCommand.PARITY | PciCommand.SERR | PciCommand.INTX_DISABLE);
    c.setW1cMask(PciReg.STATUS, 2, PciStatus.W1C_MASK);
    c.setWmask(PciReg.CACHE_LINE_SIZE, 2, 0xffff);
    c.setWmask(PciReg.INTERRUPT_LINE, 1, 0xff);
  }

  get bus(): PciBus | null { return this._bus; }
  get devfn(): number { return this._devfn; }

  /** Called by PciBus.attach. */
  attachToBus(bus: PciBus, devfn: number): void {
    this._bus = bus;
    this._devfn = devfn;
  }

  /** Declare BAR `index` (0-5); a 64-bit BAR also takes index + 1. */
  registerBar(index: number, opts: PciBarOptions): void {
    const is64 = opts.kind === "mem" && opts.is64 === true;
    if (!Number.isInteger(index) || index < 0 || index > (is64 ? 4 : 5)) throw new ConfigError(`PciDevice ${this.id}: bad BAR index ${index}`);
    if (this._bars[index] || (index > 0 && this._bars[index - 1]?.opts.is64)) throw new ConfigError(`PciDevice ${this.id}: BAR ${index} already registered`);
    const min = opts.kind === "io" ? 4 : 16;
    const size = opts.size;
    if (!Number.isSafeInteger(size) || size < min || !Number.isInteger(Math.log2(size))) throw new ConfigError(`PciDevice ${this.id}: BAR ${index} size must be a power of two >= ${min}`);
    if (opts.kind === "io" && size > 0x10000) throw new ConfigError(`PciDevice ${this.id}: I/O BAR ${index} larger than 64 KiB`);
    if (!is64 && size > 2 ** 31) throw new ConfigError(`PciDevice ${this.id}: 32-bit BAR ${index} larger than 2 GiB`);
    if (opts.region.size > size) throw new ConfigError(`PciDevice ${this.id}: BAR ${index} region "${opts.region.name}" larger than the BAR`);
    this._bars[index] = { opts, mappedAt: -1 };
    const off = PciReg.BAR0 + 4 * index;
    const c = this.config;
    if (opts.kind === "io") {
      c.set32(off, PciBarFlag.IO);
      c.setWmask(off, 4, ~(size - 1) & 0xfffffffc);
    } else {
      c.set32(off, (is64 ? PciBarFlag.MEM_TYPE_64 : 0) | (opts.prefetchable ? PciBarFlag.PREFETCH : 0));
      const lowMask = size >= TWO32 ? 0 : ~(size - 1) & 0xfffffff0;
      c.setWmask(off, 4, lowMask >>> 0);
      if (is64) c.setWmask(off + 4, 4, size > TWO32 ? ~(size / TWO32 - 1) >>> 0 : 0xffffffff);
    }
  }

  /** The declaration of BAR `index` (undefined when unused or the high half of a 64-bit BAR). */
  barInfo(index: number): Readonly<PciBarOptions> | undefined { return this._bars[index]?.opts; }

  /** Guest address a BAR is currently mapped at, or -1. */
  barAddress(index: number): number { return this._bars[index]?.mappedAt ?? -1; }

  /**
   * Allocate `size` bytes for a capability with ID `id`, link it into the list and return
   * its offset. Throws ConfigError when the space is exhausted (a board/device bug).
   */
  addCapability(id: number, size: number): number {
    const off = this._nextCap;
    if (off + size > PCI_CONFIG_SIZE) throw new ConfigError(`PciDevice ${this.id}: no room for capability 0x${id.toString(16)}`);
    const c = this.config;
    c.set8(off, id);
    c.set8(off + 1, 0);
    if (this._lastCap) c.set8(this._lastCap + 1, off);
    else c.set8(PciReg.CAPABILITY_LIST, off);
    c.set16(PciReg.STATUS, c.get16(PciReg.STATUS) | PciStatus.CAP_LIST);
    this._lastCap = off;
    this._nextCap = (off + size + 3) & ~3;
    return off;
  }

  /** Register a hook run after every guest config write (capabilities use it). */
  onConfigWrite(hook: (offset: number, size: number) => void): void {
    this._writeHooks.push(hook);
  }

  configRead(offset: number, size: 1 | 2 | 4): number {
    if (offset + size > this.config.size) return size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
    return this.config.read(offset, size);
  }

  configWrite(offset: number, value: number, size: 1 | 2 | 4): void {
    if (offset + size > this.config.size) return;
    const oldCmd = this.config.get16(PciReg.COMMAND);
    this.config.guestWrite(offset, value, size);
    const end = offset + size;
    const touches = (lo: number, hi: number): boolean => offset < hi && end > lo;
    if (touches(PciReg.COMMAND, PciReg.COMMAND + 2) || touches(PciReg.BAR0, PciReg.BAR_END)) this.updateMappings();
    if ((oldCmd ^ this.config.get16(PciReg.COMMAND)) & PciCommand.INTX_DISABLE) this._updateIntx();
    for (const h of this._writeHooks) h(offset, size);
  }

  get command(): number { return this.config.get16(PciReg.COMMAND); }

  /** Is bus mastering (DMA, MSI) enabled? */
  get busMaster(): boolean { return (this.command & PciCommand.MASTER) !== 0; }

  /** Re-map every BAR according to COMMAND and the BAR registers. */
  updateMappings(): void {
    if (!this._bus) return;
    for (let i = 0; i < 6; i++) {
      const bar = this._bars[i];
      if (!bar) continue;
      const addr = this._barTarget(i, bar.opts);
      if (addr === bar.mappedAt) continue;
      const container = bar.opts.kind === "io" ? this._bus.io : this._bus.memory;
      if (bar.mappedAt >= 0) container.removeSubregion(bar.opts.region);
      bar.mappedAt = addr;
      if (addr >= 0) container.addSubregion(bar.opts.region, addr, { priority: 1 });
    }
  }

  private _barTarget(i: number, opts: PciBarOptions): number {
    const c = this.config;
    const cmd = c.get16(PciReg.COMMAND);
    const raw = c.get32(PciReg.BAR0 + 4 * i);
    const bus = this._bus!;
    if (opts.kind === "io") {
      if (!(cmd & PciCommand.IO)) return -1;
      const addr = (raw & 0xfffffffc & ~(opts.size - 1)) >>> 0;
      return addr === 0 || addr + opts.size > bus.io.size ? -1 : addr;
    }
    if (!(cmd & PciCommand.MEMORY)) return -1;
    let addr = (raw & 0xfffffff0) >>> 0;
    if (opts.is64) addr += c.get32(PciReg.BAR0 + 4 * i + 4) * TWO32;
    else if (addr + opts.size - 1 >= 0xffffffff) return -1;
    addr -= addr % opts.size;
    return addr === 0 || addr + opts.size > bus.memory.size ? -1 : addr;
  }

  /** Drive this function's INTx pin (level-triggered). */
  setIntx(level: 0 | 1): void {
    this._intx = level;
    this._updateIntx();
  }

  private _updateIntx(): void {
    const c = this.config;
    const st = c.get16(PciReg.STATUS);
    c.set16(PciReg.STATUS, this._intx ? st | PciStatus.INTERRUPT : st & ~PciStatus.INTERRUPT);
    const asserted = this._intx === 1 && (c.get16(PciReg.COMMAND) & PciCommand.INTX_DISABLE) === 0 && this.interruptPin > 0;
    if (asserted === this._intxAsserted) return;
    this._intxAsserted = asserted;
    this._bus?.setIntx(this, (this.interruptPin - 1) as PciPin, asserted);
  }

  /**
   * Bus-master DMA read from guest memory into `dst`. Returns false (and fills `dst` with
   * all-ones, as a master abort) when bus mastering is off or no DMA space is wired.
   */
  dmaRead(gpa: number, dst: Uint8Array): boolean {
    const dma = this._bus?.dma;
    if (!dma || !this.busMaster) {
      this._bus?.logger.guestError(`PCI ${this.id}: DMA read with bus mastering disabled`, `pci-dma-nomaster ${this.id}`);
      dst.fill(0xff);
      return false;
    }
    dma.readBytes(gpa, dst);
    return true;
  }

  /** Bus-master DMA write; dropped (false) when bus mastering is off. */
  dmaWrite(gpa: number, src: Uint8Array): boolean {
    const dma = this._bus?.dma;
    if (!dma || !this.busMaster) {
      this._bus?.logger.guestError(`PCI ${this.id}: DMA write with bus mastering disabled`, `pci-dma-nomaster ${this.id}`);
      return false;
    }
    dma.writeBytes(gpa, src);
    return true;
  }

  /** Register a hook run on device reset (capabilities with state outside config space). */
  onDeviceReset(hook: () => void): void {
    this._resetHooks.push(hook);
  }

  /** Send an MSI/MSI-X message (dropped while bus mastering is disabled, as on hardware). */
  sendMsi(addressLo: number, addressHi: number, data: number): void {
    if (!this.busMaster) {
      this._bus?.logger.guestError(`PCI ${this.id}: MSI with bus mastering disabled`, `pci-msi-nomaster ${this.id}`);
      return;
    }
    this._bus?.deliverMsi(addressLo, addressHi, data);
  }

  /**
   * Power-on state: clear COMMAND, status error bits, BARs, INTx, and every guest-writable
   * bit from 0x40 on (capabilities: MSI/MSI-X disabled). Subclasses set their own defaults
   * after calling super.onReset().
   */
  protected override onReset(): void {
    const c = this.config;
    for (let i = PciReg.CAP_START; i < c.size; i++) c.bytes[i] = c.bytes[i]! & ~c.wmask[i]!;
    for (const h of this._resetHooks) h();
    c.set16(PciReg.COMMAND, 0);
    c.set16(PciReg.STATUS, c.get16(PciReg.STATUS) & ~(PciStatus.W1C_MASK | PciStatus.INTERRUPT));
    c.set8(PciReg.INTERRUPT_LINE, 0);
    for (let i = 0; i < 6; i++) {
      const bar = this._bars[i];
      if (!bar) continue;
      const off = PciReg.BAR0 + 4 * i;
      c.set32(off, c.get32(off) & (bar.opts.kind === "io" ? 0x3 : 0xf));
      if (bar.opts.is64) c.set32(off + 4, 0);
    }
    this._intx = 0;
    this._updateIntx();
    this.updateMappings();
  }

  override describe(): Record<string, string | number | boolean> {
    return { addr: this._devfn >= 0 ? `${(this._devfn >> 3).toString(16).padStart(2, "0")}.${this._devfn & 7}` : "unplugged", vendor: this.vendorId, device: this.deviceId, class: this.classCode };
  }

  protected _pciState(): PciDeviceState {
    return { config: Array.from(this.config.bytes), intx: this._intx };
  }

  protected _setPciState(s: PciDeviceState): void {
    this.config.bytes.set(s.config.slice(0, this.config.size));
    this._intx = s.intx ? 1 : 0;
    this._updateIntx();
    this.updateMappings();
  }

  getState(): S { return this._pciState() as S; }
  setState(s: S): void { this._setPciState(s); }
}
