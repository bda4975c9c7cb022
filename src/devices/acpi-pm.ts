/**
 * ACPI fixed hardware (ACPI spec 6.x, chapter 4.8 "ACPI Hardware Model"): the PM1a event
 * block (PM1_STS/PM1_EN: TMR, GBL, PWRBTN, SLPBTN, RTC; write 1 to clear), the PM1a control
 * block (SCI_EN, BM_RLD, GBL_RLS, SLP_TYP, SLP_EN: entering the S5 sleep type requests
 * power-off), the PM timer (3.579545 MHz, 24-bit or 32-bit with TMR_VAL_EXT; TMR_STS is set
 * whenever its top bit toggles), and a GPE0 block (status half then enable half).
 * Regions: `evt` (4 bytes), `cnt` (2 bytes), `tmr` (4 bytes), `gpe0` (gpe0Length bytes);
 * the board maps them where its FADT says. SCI output: an IrqLine at the level of
 * (PM1_STS & PM1_EN) | (GPE0_STS & GPE0_EN). All registers accept byte, word and dword access.
 */

import { ConfigError } from "../common/errors.js";
import type { Logger } from "../common/log.js";
import type { AccessSize, RegionOps } from "../memory/types.js";
import type { Timer, VirtualClock } from "./clock.js";
import { Device } from "./device.js";
import type { IrqLine } from "./irq.js";
import type { SystemControl } from "./system-control.js";
import { nsAtTicks, ticksAt } from "./tick-math.js";

/** PM timer frequency (ACPI spec 4.8.3.3). */
export const PM_TIMER_HZ = 3_579_545;

const STS_TMR = 1 << 0, STS_GBL = 1 << 5, STS_PWRBTN = 1 << 8, STS_SLPBTN = 1 << 9, STS_RTC = 1 << 10, STS_WAK = 1 << 15;
const EN_MASK = STS_TMR | STS_GBL | STS_PWRBTN | STS_SLPBTN | STS_RTC;
const CNT_SCI_EN = 1 << 0;
const CNT_SLP_EN = 1 << 13;

export interface AcpiPmOptions {
  clock: VirtualClock;
  logger: Logger;
  system: SystemControl;
  sci: IrqLine;
  /** The SLP_TYPa value of the DSDT's \_S5 package; writing it with SLP_EN powers off. */
  s5SleepType: number;
  /** TMR_VAL_EXT: a 32-bit PM timer (the FADT flag must agree). Default false (24-bit). */
  timer32?: boolean;
  /** SCI_EN after reset: true for a board without SMI_CMD (ACPI-only), false if the guest enables ACPI mode via SMI_CMD. Default false. */
  sciEnabledAtReset?: boolean;
  /** GPE0 block length in bytes (even, 0-32); default 4. */
  gpe0Length?: number;
}

export interface AcpiPmState {
  [key: string]: number | number[];
  sts: number; en: number; cnt: number; tmrEpoch: number; gpeSts: number[]; gpeEn: number[];
}

/** Byte-granular access to little 16-bit registers: splits any access into bytes. */
function byteRegion(len: number, readByte: (o: number) => number, writeByte: (o: number, v: number) => void,
  logger: Logger, name: string): RegionOps {
  return {
    valid: { min: 1, max: 4 }, impl: { min: 1, max: 4 },
    read: (offset: number, size: AccessSize): number => {
      if (offset + size > len) { logger.guestError(`${name}: read at bad offset ${offset}`); return 0; }
      let v = 0;
      for (let i = size - 1; i >= 0; i--) v = (v * 256) + readByte(offset + i);
      return v >>> 0;
    },
    write: (offset: number, value: number, size: AccessSize): void => {
      if (offset + size > len) { logger.guestError(`${name}: write at bad offset ${offset}`); return; }
      for (let i = 0; i < size; i++) writeByte(offset + i, (value >>> (8 * i)) & 0xff);
    },
  };
}

export class AcpiPm extends Device<AcpiPmState> {
  readonly typeName = "acpi-pm";
  /** PM1a_EVT_BLK: PM1_STS at 0, PM1_EN at 2. */
  readonly evt: RegionOps;
  /** PM1a_CNT_BLK. */
  readonly cnt: RegionOps;
  /** PM_TMR_BLK (read-only). */
  readonly tmr: RegionOps;
  /** GPE0_BLK: status bytes, then enable bytes. */
  readonly gpe0: RegionOps;
  private _s: AcpiPmState;
  private readonly _opts: AcpiPmOptions;
  private readonly _bits: number;
  private readonly _gpeHalf: number;
  private readonly _timer: Timer;
  private _sciLevel = 0;

  constructor(id: string, opts: AcpiPmOptions) {
    super(id);
    if (!Number.isInteger(opts.s5SleepType) || opts.s5SleepType < 0 || opts.s5SleepType > 7) {
      throw new ConfigError(`acpi-pm: s5SleepType must be 0..7, got ${opts.s5SleepType}`);
    }
    const gl = opts.gpe0Length ?? 4;
    if (!Number.isInteger(gl) || gl < 0 || gl > 32 || gl % 2 !== 0) throw new ConfigError(`acpi-pm: gpe0Length must be even and 0..32, got ${gl}`);
    this._opts = opts;
    this._bits = opts.timer32 ? 32 : 24;
    this._gpeHalf = gl / 2;
    this._s = this._blank();
    this._timer = this._register(opts.clock.newTimer(() => this._onTimerOverflow()));
    const log = opts.logger;
    this.evt = byteRegion(4, (o) => this._readEvt(o), (o, v) => this._writeEvt(o, v), log, "acpi-pm evt");
    this.cnt = byteRegion(2, (o) => (o === 0 ? this._s.cnt & 0xff : (this._s.cnt >> 8) & ~(CNT_SLP_EN >> 8)),
      (o, v) => this._writeCnt(o, v), log, "acpi-pm cnt");
    const tmrBytes = byteRegion(4, (o) => Math.floor(this._timerValue() / 2 ** (8 * o)) & 0xff, () => {}, log, "acpi-pm tmr");
    this.tmr = { ...tmrBytes, write: () => log.guestError("acpi-pm: write to the read-only PM timer") };
    this.gpe0 = byteRegion(gl, (o) => this._readGpe(o), (o, v) => this._writeGpe(o, v), log, "acpi-pm gpe0");
  }

  private _blank(): AcpiPmState {
    return { sts: 0, en: 0, cnt: this._opts.sciEnabledAtReset ? CNT_SCI_EN : 0, tmrEpoch: 0,
      gpeSts: new Array<number>(this._gpeHalf).fill(0), gpeEn: new Array<number>(this._gpeHalf).fill(0) };
  }

  protected onReset(): void {
    this._s = this._blank();
    this._s.tmrEpoch = this._epoch();
    this._update();
  }

  /** Simulate a press of the power button (sets PWRBTN_STS; SCI if enabled). */
  pressPowerButton(): void {
    this._s.sts |= STS_PWRBTN;
    this._update();
  }

  /** Set a GPE status bit (board hotplug and similar events). */
  raiseGpe(bit: number): void {
    const i = bit >> 3;
    if (!(i >= 0 && i < this._gpeHalf)) throw new ConfigError(`acpi-pm: GPE ${bit} beyond the GPE0 block`);
    this._s.gpeSts[i] = this._s.gpeSts[i]! | (1 << (bit & 7));
    this._update();
  }

  private _ticks(): number {
    return ticksAt(this._opts.clock.now(), PM_TIMER_HZ);
  }

  private _timerValue(): number {
    return this._ticks() % 2 ** this._bits;
  }

  /** Number of top-bit toggles so far (TMR_STS is set each time this increases). */
  private _epoch(): number {
    return Math.floor(this._ticks() / 2 ** (this._bits - 1));
  }

  private _sts(): number {
    return this._s.sts | (this._epoch() !== this._s.tmrEpoch ? STS_TMR : 0);
  }

  private _readEvt(o: number): number {
    if (o < 2) return (this._sts() >> (8 * o)) & 0xff;
    return (this._s.en >> (8 * (o - 2))) & 0xff;
  }

  private _writeEvt(o: number, v: number): void {
    if (o < 2) {
      const bits = v << (8 * o);
      if (bits & STS_TMR) this._s.tmrEpoch = this._epoch();
      this._s.sts &= ~(bits & ~STS_TMR);
    } else {
      const sh = 8 * (o - 2);
      this._s.en = ((this._s.en & ~(0xff << sh)) | (v << sh)) & EN_MASK;
    }
    this._update();
  }

  private _writeCnt(o: number, v: number): void {
    if (o === 0) {
      this._s.cnt = (this._s.cnt & 0xff00) | (v & 0x07);
      if ((v & CNT_SCI_EN) === 0) this._opts.logger.log("acpi", "acpi-pm: SCI_EN cleared by the guest");
      return;
    }
    this._s.cnt = (this._s.cnt & 0x00ff) | ((v & 0x1c) << 8);
    if ((v << 8) & CNT_SLP_EN) {
      const typ = (v >> 2) & 7;
      if (typ === this._opts.s5SleepType) {
        this._opts.system.requestPowerOff("acpi-s5", 0);
      } else {
        this._opts.logger.unimp(`acpi-pm: sleep type ${typ} (only S5 is supported)`, `acpi-slp-${typ}`);
        this._s.sts |= STS_WAK; // report an immediate wake
      }
    }
  }

  private _readGpe(o: number): number {
    return o < this._gpeHalf ? this._s.gpeSts[o]! : this._s.gpeEn[o - this._gpeHalf]!;
  }

  private _writeGpe(o: number, v: number): void {
    if (o < this._gpeHalf) this._s.gpeSts[o] = this._s.gpeSts[o]! & ~v;
    else this._s.gpeEn[o - this._gpeHalf] = v;
    this._update();
  }

  private _onTimerOverflow(): void {
    this._update();
  }

  /** Recompute SCI and arm the overflow timer while TMR_EN is set. */
  private _update(): void {
    let level = (this._sts() & this._s.en) !== 0;
    for (let i = 0; i < this._gpeHalf; i++) if (this._s.gpeSts[i]! & this._s.gpeEn[i]!) level = true;
    const l = level ? 1 : 0;
    if (l !== this._sciLevel) {
      this._sciLevel = l;
      this._opts.sci.set(l);
    }
    if ((this._s.en & STS_TMR) && !(this._sts() & STS_TMR)) {
      this._timer.setDeadline(nsAtTicks((this._s.tmrEpoch + 1) * 2 ** (this._bits - 1), PM_TIMER_HZ));
    } else {
      this._timer.cancel();
    }
  }

  getState(): AcpiPmState {
    return { ...this._s, gpeSts: [...this._s.gpeSts], gpeEn: [...this._s.gpeEn] };
  }

  setState(state: AcpiPmState): void {
    this._s = { ...state, gpeSts: [...state.gpeSts], gpeEn: [...state.gpeEn] };
    this._update();
  }
}
