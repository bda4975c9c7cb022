/**
 * Dual Intel 8259A programmable interrupt controller (master + slave cascaded on the master's
 * IR2), as on every PC, plus the two ELCR (edge/level control) bytes of the PIIX/ICH.
 * Facts from the 8259A datasheet: ICW1-ICW4 initialization sequence, OCW1 (mask), OCW2
 * (EOI/rotate), OCW3 (read IRR/ISR, poll, special mask mode), edge vs level sensing,
 * fully nested priority with rotation, auto-EOI, spurious IR7 when no request is pending at
 * INTA time. Regions: `master`/`slave` (2 bytes each: offset 0 command, 1 data) and `elcr`
 * (offset 0 master, 1 slave). Inputs: `irq[0..15]` (0-7 master, 8-15 slave). Output: the
 * master INT pin as an IrqLine (the board connects it to LAPIC LINT0); the CPU side takes the
 * vector through `ackInterrupt()` (INTA cycle). The device knows no port or IRQ numbers.
 */

import { ConfigError } from "../common/errors.js";
import type { Logger } from "../common/log.js";
import type { AccessSize, RegionOps } from "../memory/types.js";
import type { InterruptSource } from "./cpu-interrupts.js";
import { Device } from "./device.js";
import { IrqPin, type IrqLevel, type IrqLine } from "./irq.js";

/** Plain state of one 8259A. */
export interface PicChipState {
  [key: string]: number;
  lastIrr: number; irr: number; imr: number; isr: number; priorityAdd: number; irqBase: number;
  readRegSelect: number; poll: number; specialMask: number; initState: number; autoEoi: number;
  rotateOnAutoEoi: number; specialFullyNested: number; init4: number; singleMode: number;
  elcr: number; elcrMask: number;
}

export interface Pic8259State {
  [key: string]: PicChipState;
  master: PicChipState;
  slave: PicChipState;
}

export interface Pic8259Options {
  logger: Logger;
  /** The master's INT output (to LAPIC LINT0 / the CPU INTR pin). */
  output: IrqLine;
  /** Which ELCR bits the guest may set (PIIX3: master 0xf8, slave 0xde: IR0-2, 8, 13 are edge only). */
  elcrMaskMaster?: number;
  elcrMaskSlave?: number;
}

/** The cascade input on the master (architectural on the PC/AT: the slave's INT drives IR2). */
const CASCADE_IR = 2;

/** One 8259A: the register-level state machine (no wiring). */
class PicChip implements RegionOps {
  s: PicChipState;
  readonly valid = { min: 1, max: 1 } as const;
  readonly impl = { min: 1, max: 1 } as const;

  constructor(private readonly _name: string, elcrMask: number, private readonly _logger: Logger,
    private readonly _isMaster: boolean, private readonly _changed: () => void) {
    this.s = PicChip.blank(elcrMask);
  }

  static blank(elcrMask: number): PicChipState {
    return { lastIrr: 0, irr: 0, imr: 0, isr: 0, priorityAdd: 0, irqBase: 0, readRegSelect: 0, poll: 0,
      specialMask: 0, initState: 0, autoEoi: 0, rotateOnAutoEoi: 0, specialFullyNested: 0, init4: 0,
      singleMode: 0, elcr: 0, elcrMask };
  }

  /** ICW1 initialization (and power-on reset): everything but ELCR and the level inputs. */
  initReset(): void {
    const s = this.s;
    Object.assign(s, PicChip.blank(s.elcrMask), { elcr: s.elcr, irr: s.irr & s.elcr, lastIrr: 0 });
  }

  /** Input pin `irq` (0-7) changed to `level`. */
  setIrq(irq: number, level: IrqLevel): void {
    const s = this.s;
    const mask = 1 << irq;
    if (s.elcr & mask) {
      // Level sensitive: IRR follows the pin.
      if (level) { s.irr |= mask; s.lastIrr |= mask; } else { s.irr &= ~mask; s.lastIrr &= ~mask; }
    } else if (level) {
      // Edge sensitive: latch on the rising edge only.
      if ((s.lastIrr & mask) === 0) s.irr |= mask;
      s.lastIrr |= mask;
    } else {
      s.lastIrr &= ~mask;
    }
    this._changed();
  }

  /** Priority index (0 = highest after rotation) of the best bit in `mask`, or 8 if none. */
  private _priority(mask: number): number {
    if ((mask & 0xff) === 0) return 8;
    let p = 0;
    while ((mask & (1 << ((p + this.s.priorityAdd) & 7))) === 0) p++;
    return p;
  }

  /** The IR line the chip would present at INTA now, or -1. */
  pendingIrq(): number {
    const s = this.s;
    const p = this._priority(s.irr & ~s.imr);
    if (p === 8) return -1;
    let inService = s.isr;
    // Special mask mode: masked in-service levels do not block lower priorities.
    if (s.specialMask) inService &= ~s.imr;
    // Special fully nested mode: the cascade input may interrupt its own in-service level.
    if (s.specialFullyNested && this._isMaster) inService &= ~(1 << CASCADE_IR);
    return p < this._priority(inService) ? (p + s.priorityAdd) & 7 : -1;
  }

  /** INTA for line `irq`: set ISR (unless auto-EOI) and clear an edge request. */
  ack(irq: number): void {
    const s = this.s;
    const mask = 1 << irq;
    if (s.autoEoi) {
      if (s.rotateOnAutoEoi) s.priorityAdd = (irq + 1) & 7;
    } else {
      s.isr |= mask;
    }
    if ((s.elcr & mask) === 0) s.irr &= ~mask;
  }

  private _pollRead(): number {
    const irq = this.pendingIrq();
    this.s.poll = 0;
    if (irq < 0) return 0;
    this.ack(irq);
    this._changed();
    return 0x80 | irq;
  }

  read(offset: number, _size: AccessSize): number {
    const s = this.s;
    if (offset === 0) {
      if (s.poll) return this._pollRead();
      return s.readRegSelect ? s.isr : s.irr;
    }
    if (offset === 1) {
      if (s.poll) return this._pollRead();
      return s.imr;
    }
    this._logger.guestError(`${this._name}: read at bad offset ${offset}`);
    return 0xff;
  }

  write(offset: number, value: number, _size: AccessSize): void {
    const v = value & 0xff;
    if (offset === 0) this._writeCommand(v);
    else if (offset === 1) this._writeData(v);
    else this._logger.guestError(`${this._name}: write at bad offset ${offset}`);
  }

  private _writeCommand(v: number): void {
    const s = this.s;
    if (v & 0x10) {
      // ICW1.
      this.initReset();
      s.initState = 1;
      s.init4 = v & 1;
      s.singleMode = (v >> 1) & 1;
      if (v & 0x08) this._logger.unimp(`${this._name}: ICW1 LTIM (all inputs level) unsupported; use ELCR`);
      if ((v & 1) === 0) this._logger.unimp(`${this._name}: ICW1 without ICW4 (8080 mode)`);
    } else if (v & 0x08) {
      // OCW3.
      if (v & 0x04) s.poll = 1;
      if (v & 0x02) s.readRegSelect = v & 1;
      if (v & 0x40) s.specialMask = (v >> 5) & 1;
    } else {
      this._ocw2(v);
    }
    this._changed();
  }

  private _ocw2(v: number): void {
    const s = this.s;
    const cmd = v >> 5;
    switch (cmd) {
      case 0: s.rotateOnAutoEoi = 0; break; // clear rotate in auto-EOI mode
      case 4: s.rotateOnAutoEoi = 1; break; // set rotate in auto-EOI mode
      case 1: // non-specific EOI
      case 5: { // rotate on non-specific EOI
        const p = this._priority(s.isr);
        if (p !== 8) {
          const irq = (p + s.priorityAdd) & 7;
          s.isr &= ~(1 << irq);
          if (cmd === 5) s.priorityAdd = (irq + 1) & 7;
        }
        break;
      }
      case 3: s.isr &= ~(1 << (v & 7)); break; // specific EOI
      case 6: s.priorityAdd = ((v & 7) + 1) & 7; break; // set priority: IRv becomes lowest
      case 7: // rotate on specific EOI
        s.isr &= ~(1 << (v & 7));
        s.priorityAdd = ((v & 7) + 1) & 7;
        break;
      default: break; // 2: no operation
    }
  }

  private _writeData(v: number): void {
    const s = this.s;
    switch (s.initState) {
      case 0: s.imr = v; break; // OCW1
      case 1: // ICW2: vector base (the low 3 bits come from the IR number)
        s.irqBase = v & 0xf8;
        s.initState = s.singleMode ? (s.init4 ? 3 : 0) : 2;
        break;
      case 2: s.initState = s.init4 ? 3 : 0; break; // ICW3: cascade wiring is fixed by the board
      default: // ICW4
        s.specialFullyNested = (v >> 4) & 1;
        s.autoEoi = (v >> 1) & 1;
        if ((v & 1) === 0) this._logger.unimp(`${this._name}: ICW4 MCS-80/85 mode`);
        s.initState = 0;
        break;
    }
    this._changed();
  }

  writeElcr(v: number): void {
    this.s.elcr = v & this.s.elcrMask;
    this._changed();
  }
}

export class Pic8259 extends Device<Pic8259State> implements InterruptSource {
  readonly typeName = "i8259";
  /** Command/data registers of the master (offset 0 command, 1 data). */
  readonly master: RegionOps;
  /** Command/data registers of the slave. */
  readonly slave: RegionOps;
  /** ELCR: offset 0 master, offset 1 slave. */
  readonly elcr: RegionOps;
  /** Input pins 0-15 (0-7 master IR0-7, 8-15 slave IR0-7); input 2 is the cascade and unused. */
  readonly irq: readonly IrqPin[];

  private readonly _master: PicChip;
  private readonly _slave: PicChip;
  private readonly _logger: Logger;
  private readonly _output: IrqLine;
  private _outLevel: IrqLevel = 0;
  private _slaveOut: IrqLevel = 0;

  constructor(id: string, opts: Pic8259Options) {
    super(id);
    const mm = opts.elcrMaskMaster ?? 0xf8;
    const ms = opts.elcrMaskSlave ?? 0xde;
    for (const m of [mm, ms]) {
      if (!Number.isInteger(m) || m < 0 || m > 0xff) throw new ConfigError(`i8259: ELCR mask ${m} is not a byte`);
    }
    this._logger = opts.logger;
    this._output = opts.output;
    const update = (): void => this._update();
    this._master = new PicChip("pic-master", mm, opts.logger, true, update);
    this._slave = new PicChip("pic-slave", ms, opts.logger, false, update);
    this.master = this._master;
    this.slave = this._slave;
    this.elcr = {
      valid: { min: 1, max: 1 }, impl: { min: 1, max: 1 },
      read: (offset) => (offset === 0 ? this._master.s.elcr : offset === 1 ? this._slave.s.elcr : 0xff),
      write: (offset, value) => {
        if (offset === 0) this._master.writeElcr(value);
        else if (offset === 1) this._slave.writeElcr(value);
        else this._logger.guestError(`i8259: ELCR write at bad offset ${offset}`);
      },
    };
    const pins: IrqPin[] = [];
    for (let i = 0; i < 16; i++) {
      pins.push(new IrqPin((level) => {
        if (i === CASCADE_IR) return; // the cascade input is driven internally by the slave
        if (i < 8) this._master.setIrq(i, level);
        else this._slave.setIrq(i - 8, level);
      }));
    }
    this.irq = pins;
  }

  protected onReset(): void {
    for (const c of [this._master, this._slave]) {
      c.initReset();
      c.s.elcr = 0;
      c.s.irr = 0;
    }
    this._slaveOut = 0;
    // Re-latch currently asserted inputs, as after power-on the pins are sampled afresh.
    for (let i = 0; i < 16; i++) if (i !== CASCADE_IR && this.irq[i]!.level) this.irq[i]!.set(1);
    this._update();
  }

  /** Propagate: slave INT -> master IR2, master INT -> output. */
  private _update(): void {
    const slaveOut: IrqLevel = this._slave.pendingIrq() >= 0 ? 1 : 0;
    if (slaveOut !== this._slaveOut) {
      this._slaveOut = slaveOut;
      this._master.setIrq(CASCADE_IR, slaveOut); // re-enters _update once, converging
      return;
    }
    const out: IrqLevel = this._master.pendingIrq() >= 0 ? 1 : 0;
    if (out !== this._outLevel) {
      this._outLevel = out;
      this._output.set(out);
    }
  }

  hasInterrupt(): boolean {
    return this._master.pendingIrq() >= 0;
  }

  /** The INTA cycle: returns the vector; IR7 of the chip is reported when nothing is pending (spurious). */
  ackInterrupt(): number {
    let vector: number;
    const irq = this._master.pendingIrq();
    if (irq < 0) {
      vector = this._master.s.irqBase + 7; // spurious IRQ7: ISR unchanged
    } else if (irq === CASCADE_IR) {
      const irq2 = this._slave.pendingIrq();
      this._master.ack(irq);
      if (irq2 < 0) {
        vector = this._slave.s.irqBase + 7; // spurious IRQ15
      } else {
        this._slave.ack(irq2);
        vector = this._slave.s.irqBase + irq2;
      }
    } else {
      this._master.ack(irq);
      vector = this._master.s.irqBase + irq;
    }
    this._update();
    return vector;
  }

  getState(): Pic8259State {
    return { master: { ...this._master.s }, slave: { ...this._slave.s } };
  }

  setState(state: Pic8259State): void {
    this._master.s = { ...state.master };
    this._slave.s = { ...state.slave };
    this._slaveOut = (this._master.s.lastIrr >> CASCADE_IR) & 1 ? 1 : 0;
    this._update();
  }

  override describe(): Record<string, number> {
    return { masterBase: this._master.s.irqBase, slaveBase: this._slave.s.irqBase,
      masterImr: this._master.s.imr, slaveImr: this._slave.s.imr };
  }
}
