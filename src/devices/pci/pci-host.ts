/**
 * PCI host bridge access mechanisms for one PciBus (bus 0):
 * - Configuration mechanism #1: `configAddressOps` (the 32-bit address register, PC port
 *   0xCF8) and `configDataOps` (the 4-byte data window, PC ports 0xCFC-0xCFF). Address
 *   register: bit 31 enable, bits 23:16 bus, 15:11 device, 10:8 function, 7:2 dword. Byte and
 *   word accesses to the window reach offset (address & 0xFC) + window offset. Only 32-bit
 *   writes change the address register (byte writes to 0xCFB, used by Linux's type-2
 *   probe, are ignored, as on QEMU's i440fx).
 * - ECAM / MMCONFIG: `ecamOps` over `ecamSize` bytes (1 MiB per bus): offset = bus << 20 |
 *   devfn << 12 | register, reaching the full 4 KiB space of PCI Express functions.
 * - On a PC the reset control register (RCR) is the byte at 0xCF9, inside the address
 *   register's dword: hardware decodes byte accesses there as RCR and dword accesses as the
 *   address register. Pass the RCR as `resetControl` and the host forwards byte accesses at
 *   offset 1 to it, so the board maps one 4-byte region with no overlap (an overlapping
 *   1-byte region would split the guest's dword accesses to 0xCF8).
 * The board maps these regions and creates the bus; this class knows no port numbers.
 */

import { ConfigError } from "../../common/errors.js";
import type { AccessSize, AccessSizes, RegionOps } from "../../memory/types.js";
import { Device } from "../device.js";
import type { PciBus } from "./pci-bus.js";

export interface PciHostOptions {
  bus: PciBus;
  /** Buses covered by the ECAM window (1..256, default 1). */
  ecamBuses?: number;
  /** Register decoded by byte accesses at offset 1 of the address register (PC: RCR at 0xCF9). */
  resetControl?: RegionOps;
  id?: string;
}

export type PciHostState = { configAddress: number };

const ONES = [0, 0xff, 0xffff, 0, 0xffffffff] as const;

export class PciHost extends Device<PciHostState> {
  readonly typeName = "pci-host";
  readonly bus: PciBus;
  readonly configAddressOps: RegionOps;
  readonly configDataOps: RegionOps;
  readonly ecamOps: RegionOps;
  /** Bytes of the ECAM window. */
  readonly ecamSize: number;
  private _addr = 0;

  constructor(opts: PciHostOptions) {
    super(opts.id ?? "pci-host");
    if (!opts.bus || typeof opts.bus.configRead !== "function") throw new ConfigError("PciHost: option bus must be a PciBus");
    const buses = opts.ecamBuses ?? 1;
    if (!Number.isInteger(buses) || buses < 1 || buses > 256) throw new ConfigError(`PciHost: ecamBuses must be 1..256, got ${buses}`);
    this.bus = opts.bus;
    this.ecamSize = buses << 20;
    const sizes: AccessSizes = { min: 1, max: 4 };
    const rcr = opts.resetControl ?? null;
    if (rcr && (typeof rcr.read !== "function" || typeof rcr.write !== "function")) throw new ConfigError("PciHost: resetControl must be RegionOps");
    this.configAddressOps = {
      valid: sizes,
      read: (o: number, size: AccessSize) => {
        if (rcr && o === 1 && size === 1) return rcr.read(0, 1) & 0xff;
        return Math.floor(this._addr / 2 ** (8 * o)) & ONES[size as 1 | 2 | 4];
      },
      write: (o: number, v: number, size: AccessSize) => {
        if (rcr && o === 1 && size === 1) rcr.write(0, v & 0xff, 1);
        else if (o === 0 && size === 4) this._addr = v >>> 0;
      },
    };
    this.configDataOps = {
      valid: sizes,
      read: (o: number, size: AccessSize) => this._dataRead(o, size as 1 | 2 | 4),
      write: (o: number, v: number, size: AccessSize) => this._dataWrite(o, v, size as 1 | 2 | 4),
    };
    this.ecamOps = {
      valid: sizes,
      read: (o: number, size: AccessSize) => {
        const t = this._ecamTarget(o);
        return t < 0 ? ONES[size as 1 | 2 | 4] : this.bus.configRead(t >> 12, t & 0xfff, size as 1 | 2 | 4);
      },
      write: (o: number, v: number, size: AccessSize) => {
        const t = this._ecamTarget(o);
        if (t >= 0) this.bus.configWrite(t >> 12, t & 0xfff, v, size as 1 | 2 | 4);
      },
    };
  }

  get configAddress(): number { return this._addr; }

  /** devfn << 12 | register for bus 0, or -1. */
  private _ecamTarget(o: number): number {
    return o >= 1 << 20 ? -1 : o;
  }

  private _dataRead(o: number, size: 1 | 2 | 4): number {
    const a = this._addr;
    if (!(a & 0x80000000) || ((a >>> 16) & 0xff) !== 0) return ONES[size];
    return this.bus.configRead((a >>> 8) & 0xff, (a & 0xfc) + o, size);
  }

  private _dataWrite(o: number, v: number, size: 1 | 2 | 4): void {
    const a = this._addr;
    if (!(a & 0x80000000) || ((a >>> 16) & 0xff) !== 0) return;
    this.bus.configWrite((a >>> 8) & 0xff, (a & 0xfc) + o, v, size);
  }

  protected onReset(): void { this._addr = 0; }

  override describe(): Record<string, string | number | boolean> { return { ecamSize: this.ecamSize }; }

  getState(): PciHostState { return { configAddress: this._addr }; }
  setState(s: PciHostState): void { this._addr = s.configAddress >>> 0; }
}
