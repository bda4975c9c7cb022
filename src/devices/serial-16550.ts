/**
 * 16550A UART as a pure state machine over register offsets 0-7 (the board maps it, e.g. at
 * a COM port, and wires its IrqLine). Register facts: the PC16550D data sheet, Linux
 * drivers/tty/serial/8250 and QEMU hw/char/serial.c behaviour.
 *
 * - Transmit is instantaneous: a THR write goes to the CharBackend at once, then THRE/TEMT
 *   are set again and a THR-empty interrupt becomes pending.
 * - THRE interrupt: pending after a transmit, cleared by reading IIR while it is the reported
 *   source or by writing THR, and re-raised whenever IER.THRI goes 0 -> 1 while the THR is
 *   empty. Linux's serial8250 startup "THRE test" toggles IER.THRI twice and expects IIR to
 *   report THRE both times; otherwise it assumes UART_BUG_THRE.
 * - Receive: host input is queued and moved into the 16-byte RX FIFO (or the single RBR in
 *   16450 mode) as room appears, so no host byte is lost. RX-data interrupts follow the FCR
 *   trigger level; the character-timeout interrupt fires 4 character times after the last
 *   receive/read when data sits below the trigger level (immediately without a clock).
 * - Interrupt priority (IIR): line status > RX data / RX timeout > THR empty > modem status.
 * - MCR loopback: transmitted bytes are received, MSR reflects MCR (RTS->CTS, DTR->DSR,
 *   OUT1->RI, OUT2->DCD).
 * The IRQ output is not gated by MCR.OUT2 (as QEMU; Linux sets OUT2 anyway).
 */

import { ConfigError } from "../common/errors.js";
import type { Logger } from "../common/log.js";
import { nullLogger } from "../common/log.js";
import type { AccessSize, AccessSizes, RegionOps } from "../memory/types.js";
import type { CharBackend } from "./char-backend.js";
import type { Timer, VirtualClock } from "./clock.js";
import { Device } from "./device.js";
import type { IrqLine } from "./irq.js";

/** Register bits (PC16550D data sheet; Linux include/uapi/linux/serial_reg.h names). */
export const enum Ier { RDI = 0x01, THRI = 0x02, RLSI = 0x04, MSI = 0x08 }
export const enum Iir { NO_INT = 0x01, MSI = 0x00, THRI = 0x02, RDI = 0x04, RLSI = 0x06, CTI = 0x0c, FIFO = 0xc0 }
export const enum Fcr { ENABLE = 0x01, CLEAR_RX = 0x02, CLEAR_TX = 0x04 }
export const enum Lcr { DLAB = 0x80 }
export const enum Mcr { DTR = 0x01, RTS = 0x02, OUT1 = 0x04, OUT2 = 0x08, LOOP = 0x10 }
export const enum Lsr { DR = 0x01, OE = 0x02, PE = 0x04, FE = 0x08, BI = 0x10, THRE = 0x20, TEMT = 0x40, INT_ANY = 0x1e }
export const enum Msr { DCTS = 0x01, DDSR = 0x02, TERI = 0x04, DDCD = 0x08, CTS = 0x10, DSR = 0x20, RI = 0x40, DCD = 0x80 }
const MSR_ANY_DELTA = 0x0f;

const FIFO_SIZE = 16;
const TRIGGER_LEVELS = [1, 4, 8, 14] as const;
/** Input queued beyond the FIFO before bytes are dropped (a runaway host paste). */
const MAX_PENDING = 1 << 16;
/** The 1.8432 MHz crystal / 16: baud = 115200 / divisor. */
const BASE_BAUD = 115200;

export interface Serial16550Options {
  irq: IrqLine;
  backend: CharBackend;
  /** Drives the RX character timeout; without it the timeout is immediate. */
  clock?: VirtualClock;
  logger?: Logger;
  id?: string;
}

export type Serial16550State = {
  rbr: number; ier: number; iir: number; fcr: number; lcr: number; mcr: number;
  lsr: number; msr: number; scr: number; divider: number;
  rxFifo: number[]; pendingInput: number[];
  thrIpending: boolean; timeoutIpending: boolean;
  /** Deadline of the RX timeout timer in virtual ns, or -1. */
  timeoutDeadlineNs: number;
};

export class Serial16550 extends Device<Serial16550State> implements RegionOps {
  readonly typeName = "serial";
  readonly valid: AccessSizes = { min: 1, max: 1 };
  readonly impl: AccessSizes = { min: 1, max: 1 };
  private readonly _irq: IrqLine;
  private readonly _backend: CharBackend;
  private readonly _log: Logger;
  private readonly _timer: Timer | null;
  private readonly _clock: VirtualClock | null;
  private _s: Serial16550State = Serial16550._powerOn();
  private _irqLevel = -1;

  constructor(opts: Serial16550Options) {
    super(opts?.id ?? "serial0");
    if (typeof opts?.irq?.set !== "function") throw new ConfigError("Serial16550: option irq must be an IrqLine");
    if (typeof opts.backend?.write !== "function" || typeof opts.backend.onInput !== "function") throw new ConfigError("Serial16550: option backend must be a CharBackend");
    this._irq = opts.irq;
    this._backend = opts.backend;
    this._log = opts.logger ?? nullLogger();
    this._timer = opts.clock ? this._register(opts.clock.newTimer(() => this._onTimeout())) : null;
    this._clock = opts.clock ?? null;
    this._register(opts.backend.onInput((bytes) => this.receive(bytes)));
  }

  private static _powerOn(): Serial16550State {
    return {
      rbr: 0, ier: 0, iir: Iir.NO_INT, fcr: 0, lcr: 0, mcr: Mcr.OUT2,
      lsr: Lsr.THRE | Lsr.TEMT, msr: Msr.DCD | Msr.DSR | Msr.CTS, scr: 0, divider: 12,
      rxFifo: [], pendingInput: [], thrIpending: false, timeoutIpending: false, timeoutDeadlineNs: -1,
    };
  }

  protected onReset(): void {
    const pending = this._s.pendingInput;
    this._s = Serial16550._powerOn();
    this._s.pendingInput = pending;
    this._timer?.cancel();
    this._updateIrq();
  }

  override describe(): Record<string, string | number | boolean> {
    return { divider: this._s.divider, fifo: (this._s.fcr & Fcr.ENABLE) !== 0 };
  }

  /** Host input: queued, then moved into the RX FIFO as room appears. */
  receive(bytes: Uint8Array): void {
    const q = this._s.pendingInput;
    for (const b of bytes) {
      if (q.length >= MAX_PENDING) {
        this._log.guestError("serial: host input overflow, dropping bytes", "serial-input-overflow");
        break;
      }
      q.push(b);
    }
    this._fillRx();
    this._updateIrq();
  }

  /**
   * Modem input lines from the host side (a real serial port backend): MSR status bits change
   * and the matching delta bits are set (TERI only on the trailing edge of RI).
   */
  setModemLines(lines: { cts?: boolean; dsr?: boolean; ri?: boolean; dcd?: boolean }): void {
    const s = this._s;
    const old = s.msr;
    let v = old & 0xf0;
    const put = (on: boolean | undefined, bit: number): void => {
      if (on !== undefined) v = on ? v | bit : v & ~bit;
    };
    put(lines.cts, Msr.CTS);
    put(lines.dsr, Msr.DSR);
    put(lines.ri, Msr.RI);
    put(lines.dcd, Msr.DCD);
    let delta = old & MSR_ANY_DELTA;
    if ((old ^ v) & Msr.CTS) delta |= Msr.DCTS;
    if ((old ^ v) & Msr.DSR) delta |= Msr.DDSR;
    if ((old ^ v) & Msr.DCD) delta |= Msr.DDCD;
    if (old & Msr.RI && !(v & Msr.RI)) delta |= Msr.TERI;
    s.msr = v | delta;
    this._updateIrq();
  }

  read(offset: number, _size: AccessSize): number {
    const s = this._s;
    switch (offset & 7) {
      case 0:
        if (s.lcr & Lcr.DLAB) return s.divider & 0xff;
        return this._readRbr();
      case 1:
        if (s.lcr & Lcr.DLAB) return (s.divider >> 8) & 0xff;
        return s.ier;
      case 2: {
        const v = s.iir;
        if ((v & 0x0f) === Iir.THRI) {
          s.thrIpending = false;
          this._updateIrq();
        }
        return v;
      }
      case 3: return s.lcr;
      case 4: return s.mcr;
      case 5: {
        const v = s.lsr;
        if (s.lsr & (Lsr.BI | Lsr.OE)) {
          s.lsr &= ~(Lsr.BI | Lsr.OE);
          this._updateIrq();
        }
        return v;
      }
      case 6: {
        if (s.mcr & Mcr.LOOP) {
          return ((s.mcr & 0x0c) << 4) | ((s.mcr & Mcr.RTS) << 3) | ((s.mcr & Mcr.DTR) << 5);
        }
        const v = s.msr;
        if (s.msr & MSR_ANY_DELTA) {
          s.msr &= 0xf0;
          this._updateIrq();
        }
        return v;
      }
      default: return s.scr;
    }
  }

  write(offset: number, value: number, _size: AccessSize): void {
    const s = this._s;
    const v = value & 0xff;
    switch (offset & 7) {
      case 0:
        if (s.lcr & Lcr.DLAB) s.divider = (s.divider & 0xff00) | v;
        else this._writeThr(v);
        return;
      case 1:
        if (s.lcr & Lcr.DLAB) s.divider = (s.divider & 0xff) | (v << 8);
        else this._writeIer(v);
        return;
      case 2: this._writeFcr(v); return;
      case 3: s.lcr = v; return;
      case 4: this._writeMcr(v); return;
      case 5: case 6:
        this._log.guestError(`serial: write 0x${v.toString(16)} to read-only register ${offset & 7}`, "serial-ro-write");
        return;
      default: s.scr = v;
    }
  }

  private _readRbr(): number {
    const s = this._s;
    let v: number;
    if (s.fcr & Fcr.ENABLE) {
      v = s.rxFifo.shift() ?? 0;
      if (s.rxFifo.length === 0) s.lsr &= ~(Lsr.DR | Lsr.BI);
    } else {
      v = s.rbr;
      s.lsr &= ~(Lsr.DR | Lsr.BI);
    }
    s.timeoutIpending = false;
    this._fillRx();
    if (s.rxFifo.length > 0) this._armTimeout();
    this._updateIrq();
    return v;
  }

  private _writeThr(v: number): void {
    const s = this._s;
    s.thrIpending = false;
    s.lsr &= ~(Lsr.THRE | Lsr.TEMT);
    if (s.mcr & Mcr.LOOP) this._rxByte(v);
    else this._backend.write(Uint8Array.of(v));
    s.lsr |= Lsr.THRE | Lsr.TEMT;
    s.thrIpending = true;
    this._updateIrq();
  }

  private _writeIer(v: number): void {
    const s = this._s;
    const changed = (s.ier ^ v) & 0x0f;
    s.ier = v & 0x0f;
    if (changed & Ier.THRI) s.thrIpending = (s.ier & Ier.THRI) !== 0 && (s.lsr & Lsr.THRE) !== 0;
    this._updateIrq();
  }

  private _writeFcr(v: number): void {
    const s = this._s;
    if ((v ^ s.fcr) & Fcr.ENABLE) v |= Fcr.CLEAR_RX | Fcr.CLEAR_TX;
    if (v & Fcr.CLEAR_RX) {
      s.rxFifo = [];
      s.lsr &= ~(Lsr.DR | Lsr.BI);
      s.timeoutIpending = false;
      this._timer?.cancel();
    }
    if (v & Fcr.CLEAR_TX) {
      s.lsr |= Lsr.THRE | Lsr.TEMT;
      s.thrIpending = true;
    }
    s.fcr = v & 0xc9;
    s.iir = (s.iir & 0x0f) | (s.fcr & Fcr.ENABLE ? Iir.FIFO : 0);
    this._fillRx();
    this._updateIrq();
  }

  private _writeMcr(v: number): void {
    const s = this._s;
    const wasLoop = (s.mcr & Mcr.LOOP) !== 0;
    s.mcr = v & 0x1f;
    if (wasLoop && !(s.mcr & Mcr.LOOP)) this._fillRx();
    this._updateIrq();
  }

  /** One received byte into the FIFO/RBR; overrun if there is no room. */
  private _rxByte(b: number): void {
    const s = this._s;
    if (s.fcr & Fcr.ENABLE) {
      if (s.rxFifo.length >= FIFO_SIZE) s.lsr |= Lsr.OE;
      else s.rxFifo.push(b);
      this._armTimeout();
    } else {
      if (s.lsr & Lsr.DR) s.lsr |= Lsr.OE;
      s.rbr = b;
    }
    s.lsr |= Lsr.DR;
  }

  /** Move queued host input into the receiver while there is room (not in loopback). */
  private _fillRx(): void {
    const s = this._s;
    if (s.mcr & Mcr.LOOP) return;
    const fifo = (s.fcr & Fcr.ENABLE) !== 0;
    let n = 0;
    while (n < s.pendingInput.length && (fifo ? s.rxFifo.length < FIFO_SIZE : !(s.lsr & Lsr.DR))) {
      this._rxByte(s.pendingInput[n]!);
      n++;
    }
    if (n) s.pendingInput.splice(0, n);
  }

  /** 4 character times (10 bits each at the programmed baud rate). */
  private _armTimeout(): void {
    if (!this._timer || !this._clock) {
      this._s.timeoutIpending = true;
      return;
    }
    const charNs = (10 * 1e9 * Math.max(1, this._s.divider)) / BASE_BAUD;
    const deadline = this._clock.now() + 4 * charNs;
    this._timer.setDeadline(deadline);
    this._s.timeoutDeadlineNs = deadline;
  }

  private _onTimeout(): void {
    const s = this._s;
    s.timeoutDeadlineNs = -1;
    if (s.fcr & Fcr.ENABLE && s.rxFifo.length > 0) {
      s.timeoutIpending = true;
      this._updateIrq();
    }
  }

  private _updateIrq(): void {
    const s = this._s;
    let id: number = Iir.NO_INT;
    const fifo = (s.fcr & Fcr.ENABLE) !== 0;
    if (s.ier & Ier.RLSI && s.lsr & Lsr.INT_ANY) id = Iir.RLSI;
    else if (s.ier & Ier.RDI && s.timeoutIpending && s.lsr & Lsr.DR) id = Iir.CTI;
    else if (s.ier & Ier.RDI && s.lsr & Lsr.DR && (!fifo || s.rxFifo.length >= TRIGGER_LEVELS[(s.fcr >> 6) & 3]!)) id = Iir.RDI;
    else if (s.ier & Ier.THRI && s.thrIpending) id = Iir.THRI;
    else if (s.ier & Ier.MSI && s.msr & MSR_ANY_DELTA) id = Iir.MSI;
    s.iir = id | (fifo ? Iir.FIFO : 0);
    const level = id === Iir.NO_INT ? 0 : 1;
    if (level !== this._irqLevel) {
      this._irqLevel = level;
      this._irq.set(level);
    }
  }

  getState(): Serial16550State {
    const s = this._s;
    return { ...s, rxFifo: [...s.rxFifo], pendingInput: [...s.pendingInput] };
  }

  setState(state: Serial16550State): void {
    this._s = { ...state, rxFifo: [...state.rxFifo], pendingInput: [...state.pendingInput] };
    if (this._timer) {
      if (state.timeoutDeadlineNs >= 0) this._timer.setDeadline(state.timeoutDeadlineNs);
      else this._timer.cancel();
    }
    this._irqLevel = -1;
    this._updateIrq();
  }
}
