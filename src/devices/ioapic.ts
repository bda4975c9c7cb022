/**
 * I/O APIC, 82093AA-like with version 0x20 (as QEMU's default): 24 input pins, each routed by
 * a 64-bit redirection entry (vector, delivery mode, destination mode, delivery status,
 * polarity, remote IRR, trigger mode, mask, destination) to the local APICs as an interrupt
 * message (82093AA datasheet; Intel SDM vol. 3, 11.11 for the message fields).
 * Region: IOREGSEL at offset 0x00, IOWIN at 0x10, and the EOI register at 0x40 of version
 * 0x20 parts (clears remote IRR of level entries whose vector matches), plus `eoi(vector)`
 * for the LAPIC's EOI broadcast. Pins carry the logical assertion level: the board wires
 * ISA and PCI lines as "asserted = 1" whatever the entry's polarity bit says (as QEMU does).
 * Edge interrupts arriving on a masked pin are dropped, per the datasheet.
 */

import { ConfigError } from "../common/errors.js";
import type { Logger } from "../common/log.js";
import type { AccessSize, RegionOps } from "../memory/types.js";
import { Device } from "./device.js";
import { IrqPin, type IrqLevel } from "./irq.js";
import type { ApicInterruptTarget, DeliveryMode } from "./lapic-defs.js";

const RTE_VECTOR = 0xff;
const RTE_DEST_LOGICAL = 1 << 11;
const RTE_DELIVERY_STATUS = 1 << 12;
const RTE_REMOTE_IRR = 1 << 14;
const RTE_LEVEL = 1 << 15;
const RTE_MASKED = 1 << 16;
/** Bits of the low dword the guest may write (all but delivery status and remote IRR). */
const RTE_LO_WRITABLE = 0x1afff;

export interface IoapicOptions {
  logger: Logger;
  /** The APIC bus (the LAPIC, or a router to several). */
  target: ApicInterruptTarget;
  /** IOAPIC ID at reset (the MADT's value). Default 0. */
  ioapicId?: number;
  /** Number of pins; default 24. */
  pins?: number;
}

export interface IoapicState {
  [key: string]: number | number[];
  id: number;
  regsel: number;
  rteLo: number[];
  rteHi: number[];
  levels: number[];
}

export class Ioapic extends Device<IoapicState> implements RegionOps {
  readonly typeName = "ioapic";
  readonly valid = { min: 1, max: 4 } as const;
  readonly impl = { min: 1, max: 4 } as const;
  /** Input pins. */
  readonly irq: readonly IrqPin[];
  private readonly _n: number;
  private readonly _opts: IoapicOptions;
  private _id = 0;
  private _regsel = 0;
  private _lo: number[];
  private _hi: number[];
  /** Last level seen per pin, for edge detection. */
  private _levels: number[] = [];

  constructor(id: string, opts: IoapicOptions) {
    super(id);
    const n = opts.pins ?? 24;
    if (!Number.isInteger(n) || n < 1 || n > 240) throw new ConfigError(`ioapic: pins must be 1..240, got ${n}`);
    const apicId = opts.ioapicId ?? 0;
    if (!Number.isInteger(apicId) || apicId < 0 || apicId > 15) throw new ConfigError(`ioapic: ioapicId must be 0..15, got ${apicId}`);
    this._n = n;
    this._opts = opts;
    this._lo = new Array<number>(n).fill(RTE_MASKED);
    this._hi = new Array<number>(n).fill(0);
    const pins: IrqPin[] = [];
    for (let i = 0; i < n; i++) {
      const pin: IrqPin = new IrqPin((level) => this._pinChanged(i, level));
      pins.push(pin);
    }
    this.irq = pins;
  }

  protected onReset(): void {
    this._id = this._opts.ioapicId ?? 0;
    this._regsel = 0;
    this._lo.fill(RTE_MASKED);
    this._hi.fill(0);
  }

  private _pinChanged(i: number, level: IrqLevel): void {
    const lo = this._lo[i]!;
    if (lo & RTE_LEVEL) {
      if (level) this._service(i);
    } else if (level && this._prevLevel(i) === 0) {
      this._service(i);
    }
    this._levels[i] = level;
  }

  private _prevLevel(i: number): number {
    return this._levels[i] ?? 0;
  }

  /** Send pin `i`'s message if it is unmasked (and, for level pins, remote IRR is clear). */
  private _service(i: number): void {
    const lo = this._lo[i]!;
    if (lo & RTE_MASKED) return;
    const level = (lo & RTE_LEVEL) !== 0;
    if (level) {
      if (lo & RTE_REMOTE_IRR) return;
      this._lo[i] = lo | RTE_REMOTE_IRR;
    }
    const mode = ((lo >> 8) & 7) as DeliveryMode;
    this._opts.target.deliver(lo & RTE_VECTOR, mode, (lo & RTE_DEST_LOGICAL) !== 0, this._hi[i]! >>> 24, level);
  }

  /** EOI for `vector` (LAPIC broadcast or the EOI register): clear remote IRR, re-deliver if still asserted. */
  eoi(vector: number): void {
    for (let i = 0; i < this._n; i++) {
      const lo = this._lo[i]!;
      if ((lo & RTE_VECTOR) !== (vector & 0xff) || (lo & RTE_REMOTE_IRR) === 0) continue;
      this._lo[i] = lo & ~RTE_REMOTE_IRR;
      if ((lo & RTE_LEVEL) && this.irq[i]!.level) this._service(i);
    }
  }

  private _readReg(r: number): number {
    if (r === 0x00) return (this._id << 24) >>> 0;
    if (r === 0x01) return (0x20 | ((this._n - 1) << 16)) >>> 0;
    if (r === 0x02) return (this._id << 24) >>> 0; // arbitration ID
    const e = (r - 0x10) >> 1;
    if (r >= 0x10 && e < this._n) return (r & 1 ? this._hi[e]! : this._lo[e]! & ~RTE_DELIVERY_STATUS) >>> 0;
    this._opts.logger.guestError(`ioapic: read of register 0x${r.toString(16)}`);
    return 0;
  }

  private _writeReg(r: number, v: number): void {
    if (r === 0x00) { this._id = (v >>> 24) & 0xf; return; }
    const e = (r - 0x10) >> 1;
    if (r < 0x10 || e >= this._n) {
      this._opts.logger.guestError(`ioapic: write of register 0x${r.toString(16)}`);
      return;
    }
    if (r & 1) { this._hi[e] = (v & 0xff000000) >>> 0; return; }
    const old = this._lo[e]!;
    let lo = (old & ~RTE_LO_WRITABLE) | (v & RTE_LO_WRITABLE);
    if ((lo & RTE_LEVEL) === 0) lo &= ~RTE_REMOTE_IRR; // an edge entry has no remote IRR
    this._lo[e] = lo >>> 0;
    // Unmasking a level entry whose line is asserted delivers it now.
    if ((lo & RTE_MASKED) === 0 && (lo & RTE_LEVEL) && this.irq[e]!.level) this._service(e);
  }

  read(offset: number, size: AccessSize): number {
    if (offset === 0x00) return this._regsel;
    if (offset >= 0x10 && offset < 0x14) {
      const v = this._readReg(this._regsel);
      return size === 4 ? v : (v >>> ((offset - 0x10) * 8)) & (size === 1 ? 0xff : 0xffff);
    }
    this._opts.logger.guestError(`ioapic: read at bad offset 0x${offset.toString(16)}`);
    return 0;
  }

  write(offset: number, value: number, size: AccessSize): void {
    if (offset === 0x00) { this._regsel = value & 0xff; return; }
    if (offset === 0x10 && size === 4) { this._writeReg(this._regsel, value >>> 0); return; }
    if (offset === 0x40) { this.eoi(value & 0xff); return; }
    this._opts.logger.guestError(`ioapic: ${size}-byte write at offset 0x${offset.toString(16)}`);
  }

  getState(): IoapicState {
    return { id: this._id, regsel: this._regsel, rteLo: [...this._lo], rteHi: [...this._hi],
      levels: this.irq.map((p) => p.level) };
  }

  setState(state: IoapicState): void {
    this._id = state.id;
    this._regsel = state.regsel;
    this._lo = [...state.rteLo];
    this._hi = [...state.rteHi];
    this._levels = [...state.levels];
    state.levels.forEach((l, i) => { if (this.irq[i]) this.irq[i]!.level = l ? 1 : 0; });
  }

  override describe(): Record<string, number> {
    return { id: this._id, pins: this._n };
  }
}
