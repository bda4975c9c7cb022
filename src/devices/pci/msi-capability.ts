/**
 * MSI capability (PCI Local Bus 3.0, section 6.8.1) for a PciDevice: message control with
 * multiple-message capable/enable, 32- or 64-bit address, 16-bit data, optional per-vector
 * mask and pending bits. `notify(vector)` sends the message through the device (which drops
 * it while bus mastering is off) or, while the vector is masked, sets its pending bit; an
 * unmask of a pending vector sends it then.
 *   +0 id 0x05, +1 next, +2 control: bit 0 enable, 3:1 MMC (log2 vectors, RO), 6:4 MME,
 *      bit 7 64-bit capable, bit 8 per-vector masking
 *   +4 address lo, [+8 address hi], then data (16-bit), [mask, pending]
 */

import { ConfigError } from "../../common/errors.js";
import type { PciDevice } from "./pci-device.js";
import { PciCapId } from "./pci-regs.js";

export interface MsiCapabilityOptions {
  /** Vectors the function can use: 1, 2, 4, 8, 16 or 32. */
  vectors?: number;
  is64?: boolean;
  perVectorMask?: boolean;
}

export class MsiCapability {
  /** Offset of the capability in configuration space. */
  readonly offset: number;
  readonly is64: boolean;
  readonly perVectorMask: boolean;
  private readonly _dataOff: number;
  private readonly _maskOff: number;

  constructor(private readonly _dev: PciDevice, opts: MsiCapabilityOptions = {}) {
    const vectors = opts.vectors ?? 1;
    const mmc = Math.log2(vectors);
    if (!Number.isInteger(mmc) || mmc < 0 || mmc > 5) throw new ConfigError(`MSI: vectors must be a power of two 1..32, got ${vectors}`);
    this.is64 = opts.is64 ?? true;
    this.perVectorMask = opts.perVectorMask ?? false;
    const size = (this.is64 ? 14 : 10) + (this.perVectorMask ? 10 : 0);
    const o = (this.offset = _dev.addCapability(PciCapId.MSI, size));
    this._dataOff = o + (this.is64 ? 12 : 8);
    this._maskOff = this._dataOff + 4;
    const c = _dev.config;
    c.set16(o + 2, (mmc << 1) | (this.is64 ? 0x80 : 0) | (this.perVectorMask ? 0x100 : 0));
    c.setWmask(o + 2, 2, 0x0071);
    c.setWmask(o + 4, 4, 0xfffffffc);
    if (this.is64) c.setWmask(o + 8, 4, 0xffffffff);
    c.setWmask(this._dataOff, 2, 0xffff);
    if (this.perVectorMask) c.setWmask(this._maskOff, 4, vectors === 32 ? 0xffffffff : (1 << vectors) - 1);
    _dev.onConfigWrite((off, len) => {
      if (this.perVectorMask && off < this._maskOff + 4 && off + len > this._maskOff) this._deliverPending();
      if (off < o + 4 && off + len > o + 2) this._deliverPending();
    });
  }

  private get _control(): number { return this._dev.config.get16(this.offset + 2); }

  get enabled(): boolean { return (this._control & 1) !== 0; }

  /** Vectors the guest enabled (MME). */
  get enabledVectors(): number { return 1 << ((this._control >> 4) & 7); }

  /** Trigger `vector` (0-based). Ignored while MSI is disabled or the vector is not enabled. */
  notify(vector = 0): void {
    if (!this.enabled || vector >= this.enabledVectors) return;
    if (this._masked(vector)) {
      this._setPending(vector, true);
      return;
    }
    this._send(vector);
  }

  private _masked(v: number): boolean {
    return this.perVectorMask && ((this._dev.config.get32(this._maskOff) >>> v) & 1) === 1;
  }

  private _setPending(v: number, on: boolean): void {
    const c = this._dev.config;
    const p = c.get32(this._maskOff + 4);
    c.set32(this._maskOff + 4, on ? p | (1 << v) : p & ~(1 << v));
  }

  private _deliverPending(): void {
    if (!this.perVectorMask || !this.enabled) return;
    const pending = this._dev.config.get32(this._maskOff + 4);
    for (let v = 0; v < 32; v++) {
      if ((pending >>> v) & 1 && !this._masked(v) && v < this.enabledVectors) {
        this._setPending(v, false);
        this._send(v);
      }
    }
  }

  private _send(vector: number): void {
    const c = this._dev.config;
    const lo = c.get32(this.offset + 4);
    const hi = this.is64 ? c.get32(this.offset + 8) : 0;
    const n = this.enabledVectors;
    const data = (c.get16(this._dataOff) & ~(n - 1)) | (vector & (n - 1));
    this._dev.sendMsi(lo, hi, data);
  }
}
