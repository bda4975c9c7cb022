/**
 * MSI-X capability (PCI Local Bus 3.0, section 6.8.2) for a PciDevice. The capability lives
 * in configuration space; the vector table (16 bytes per vector: address lo, address hi,
 * data, vector control with bit 0 = masked) and the pending-bit array are MMIO regions this
 * helper maps into a container region of one of the device's memory BARs.
 *   +0 id 0x11, +1 next, +2 control: 10:0 table size - 1 (RO), bit 14 function mask,
 *      bit 15 enable; +4 table offset | BIR; +8 PBA offset | BIR
 * `notify(vector)` sends the vector's message, or sets its pending bit while the function or
 * the vector is masked; unmasking sends pending messages.
 */

import { ConfigError } from "../../common/errors.js";
import { MemoryRegion } from "../../memory/memory-region.js";
import type { AccessSize } from "../../memory/types.js";
import type { PciDevice } from "./pci-device.js";
import { PciCapId } from "./pci-regs.js";

export interface MsixCapabilityOptions {
  /** Number of vectors, 1..2048. */
  vectors: number;
  /** BAR index (0-5) whose container region holds the table and the PBA. */
  barIndex: number;
  /** That BAR's container region (the device maps its own registers there too). */
  barRegion: MemoryRegion;
  /** Offset of the table in the BAR (8-byte aligned; default 0). */
  tableOffset?: number;
  /** Offset of the PBA in the BAR (8-byte aligned; default right after the table, 8-aligned). */
  pbaOffset?: number;
}

export type MsixState = { table: number[]; pba: number[] };

const CTRL_MASKALL = 0x4000;
const CTRL_ENABLE = 0x8000;

export class MsixCapability {
  readonly offset: number;
  readonly vectors: number;
  private _table: Uint32Array;
  private _pba: Uint32Array;

  constructor(private readonly _dev: PciDevice, opts: MsixCapabilityOptions) {
    const n = opts.vectors;
    if (!Number.isInteger(n) || n < 1 || n > 2048) throw new ConfigError(`MSI-X: vectors must be 1..2048, got ${n}`);
    if (!Number.isInteger(opts.barIndex) || opts.barIndex < 0 || opts.barIndex > 5) throw new ConfigError(`MSI-X: bad BAR index ${opts.barIndex}`);
    if (opts.barRegion?.kind !== "container") throw new ConfigError("MSI-X: barRegion must be a container region");
    this.vectors = n;
    const tableOff = opts.tableOffset ?? 0;
    const pbaSize = Math.ceil(n / 64) * 8;
    const pbaOff = opts.pbaOffset ?? (tableOff + n * 16 + 7) & ~7;
    if (tableOff % 8 || pbaOff % 8) throw new ConfigError("MSI-X: table and PBA offsets must be 8-byte aligned");
    if (tableOff + n * 16 > opts.barRegion.size || pbaOff + pbaSize > opts.barRegion.size) throw new ConfigError("MSI-X: table or PBA does not fit in the BAR region");
    this._table = new Uint32Array(n * 4);
    this._pba = new Uint32Array(pbaSize / 4);
    this.reset();
    const o = (this.offset = _dev.addCapability(PciCapId.MSIX, 12));
    const c = _dev.config;
    c.set16(o + 2, n - 1);
    c.setWmask(o + 2, 2, CTRL_MASKALL | CTRL_ENABLE);
    c.set32(o + 4, tableOff | opts.barIndex);
    c.set32(o + 8, pbaOff | opts.barIndex);
    opts.barRegion.addSubregion(MemoryRegion.io(`${_dev.id}-msix-table`, n * 16, {
      valid: { min: 4, max: 4 },
      read: (off: number, _s: AccessSize) => this._table[off >> 2]!,
      write: (off: number, v: number, _s: AccessSize) => this._tableWrite(off >> 2, v),
    }), tableOff);
    opts.barRegion.addSubregion(MemoryRegion.io(`${_dev.id}-msix-pba`, pbaSize, {
      valid: { min: 4, max: 4 },
      read: (off: number, _s: AccessSize) => this._pba[off >> 2]!,
      write: () => _dev.bus?.logger.guestError(`PCI ${_dev.id}: write to read-only MSI-X PBA`, `msix-pba ${_dev.id}`),
    }), pbaOff);
    _dev.onDeviceReset(() => this.reset());
    _dev.onConfigWrite((off, len) => {
      if (off < o + 4 && off + len > o + 2) this._deliverPending();
    });
  }

  private get _control(): number { return this._dev.config.get16(this.offset + 2); }
  get enabled(): boolean { return (this._control & CTRL_ENABLE) !== 0; }
  get functionMasked(): boolean { return (this._control & CTRL_MASKALL) !== 0; }

  /** Power-on: every vector masked, nothing pending. */
  reset(): void {
    this._table.fill(0);
    for (let v = 0; v < this.vectors; v++) this._table[v * 4 + 3] = 1;
    this._pba.fill(0);
  }

  isPending(vector: number): boolean { return ((this._pba[vector >> 5]! >>> (vector & 31)) & 1) === 1; }

  notify(vector: number): void {
    if (!this.enabled || vector < 0 || vector >= this.vectors) return;
    if (this.functionMasked || this._table[vector * 4 + 3]! & 1) {
      this._pba[vector >> 5] = this._pba[vector >> 5]! | (1 << (vector & 31));
      return;
    }
    this._send(vector);
  }

  private _tableWrite(word: number, v: number): void {
    this._table[word] = v;
    if ((word & 3) === 3) this._deliverPending();
  }

  private _deliverPending(): void {
    if (!this.enabled || this.functionMasked) return;
    for (let v = 0; v < this.vectors; v++) {
      if (this.isPending(v) && !(this._table[v * 4 + 3]! & 1)) {
        this._pba[v >> 5] = this._pba[v >> 5]! & ~(1 << (v & 31));
        this._send(v);
      }
    }
  }

  private _send(v: number): void {
    const t = this._table;
    this._dev.sendMsi(t[v * 4]!, t[v * 4 + 1]!, t[v * 4 + 2]!);
  }

  getState(): MsixState { return { table: Array.from(this._table), pba: Array.from(this._pba) }; }

  setState(s: MsixState): void {
    this._table = Uint32Array.from(s.table.slice(0, this.vectors * 4));
    this._pba = Uint32Array.from(s.pba.slice(0, this._pba.length));
  }
}
