/**
 * Motorola MC146818 real-time clock and CMOS RAM (datasheet facts: time/alarm registers 0-9
 * in BCD or binary and 12/24-hour format, register A (UIP, divider DV2-0, rate RS3-0),
 * B (SET, PIE, AIE, UIE, SQWE, DM, 24/12, DSE), C (IRQF, PF, AF, UF; cleared on read), D
 * (VRT), "don't care" alarm values 0xC0-0xFF, UIP set 244 us before each update).
 * Region: offset 0 index (bit 7 = NMI disable, kept for the board), offset 1 data.
 * Time is computed, not ticked: guest wall time = base + virtual clock, held as whole
 * seconds plus a sub-second phase in ns so it stays exact. The board passes the start time
 * (host time, or a fixed value in deterministic mode). Timers are armed only when the guest
 * enables periodic (PIE) or update/alarm (UIE/AIE) interrupts. IRQ output: IRQF as a level.
 */

import { ConfigError } from "../common/errors.js";
import type { Logger } from "../common/log.js";
import type { AccessSize, RegionOps } from "../memory/types.js";
import type { Timer, VirtualClock } from "./clock.js";
import { Device } from "./device.js";
import type { IrqLine } from "./irq.js";
import { nsAtTicks, NS_PER_SEC, ticksAt } from "./tick-math.js";

const REG_A = 0x0a, REG_B = 0x0b, REG_C = 0x0c, REG_D = 0x0d;
const A_UIP = 0x80;
const B_SET = 0x80, B_PIE = 0x40, B_AIE = 0x20, B_UIE = 0x10, B_DM_BINARY = 0x04, B_24H = 0x02;
const C_IRQF = 0x80, C_PF = 0x40, C_AF = 0x20, C_UF = 0x10;
/** UIP is set this long before each update: 8 cycles of the 32.768 kHz time base. */
const UIP_HOLD_NS = Math.ceil((8 * NS_PER_SEC) / 32768);
const TIMEBASE_HZ = 32768;

export interface RtcMc146818Options {
  clock: VirtualClock;
  logger: Logger;
  irq: IrqLine;
  /** Guest wall-clock time (Unix epoch, ms) at the moment of construction. */
  startTimeMs: number;
  /** CMOS index of the century byte (ACPI FADT CENTURY); default 0x32. */
  centuryIndex?: number;
}

export interface RtcMc146818State {
  [key: string]: number | number[] | boolean;
  cmos: number[]; index: number; nmiDisabled: boolean; baseSec: number; baseSubNs: number;
}

/** CMOS bytes QEMU's pc board sets for the memory size (KiB below 1 MiB, above 1 MiB, above 16 MiB in 64 KiB, above 4 GiB in 64 KiB). */
export function pcCmosMemoryBytes(belowFourGbBytes: number, aboveFourGbBytes: number): [number, number][] {
  const KiB = 1024, MiB = 1024 * 1024;
  const base = Math.min(Math.floor(belowFourGbBytes / KiB), 640);
  const ext = Math.min(belowFourGbBytes > MiB ? Math.floor((belowFourGbBytes - MiB) / KiB) : 0, 65535);
  const hi = Math.min(belowFourGbBytes > 16 * MiB ? Math.floor((belowFourGbBytes - 16 * MiB) / (64 * KiB)) : 0, 65535);
  const above = Math.floor(aboveFourGbBytes / (64 * KiB));
  return [[0x15, base & 0xff], [0x16, base >> 8], [0x17, ext & 0xff], [0x18, ext >> 8], [0x30, ext & 0xff], [0x31, ext >> 8],
    [0x34, hi & 0xff], [0x35, hi >> 8], [0x5b, above & 0xff], [0x5c, (above >> 8) & 0xff], [0x5d, Math.floor(above / 65536) & 0xff]];
}

const toBcd = (v: number): number => ((Math.floor(v / 10) % 10) << 4) | (v % 10);
const fromBcd = (v: number): number => (v >> 4) * 10 + (v & 0xf);

export class RtcMc146818 extends Device<RtcMc146818State> implements RegionOps {
  readonly typeName = "mc146818rtc";
  readonly valid = { min: 1, max: 1 } as const;
  readonly impl = { min: 1, max: 1 } as const;
  private _cmos: number[] = new Array<number>(128).fill(0);
  private _index = 0;
  private _nmiDisabled = true;
  private _baseSec: number;
  private _baseSubNs: number;
  private readonly _opts: RtcMc146818Options;
  private readonly _century: number;
  private readonly _periodic: Timer;
  private readonly _update: Timer;

  constructor(id: string, opts: RtcMc146818Options) {
    super(id);
    if (!Number.isFinite(opts.startTimeMs) || opts.startTimeMs < 0) throw new ConfigError(`mc146818rtc: bad startTimeMs ${opts.startTimeMs}`);
    const century = opts.centuryIndex ?? 0x32;
    if (!Number.isInteger(century) || century < 0x0e || century > 0x7f) throw new ConfigError(`mc146818rtc: bad centuryIndex ${century}`);
    this._opts = opts;
    this._century = century;
    const ms = Math.floor(opts.startTimeMs);
    const now = Math.floor(opts.clock.now());
    this._baseSec = Math.floor(ms / 1000) - Math.floor(now / NS_PER_SEC);
    this._baseSubNs = (ms % 1000) * 1e6 - (now % NS_PER_SEC);
    if (this._baseSubNs < 0) { this._baseSubNs += NS_PER_SEC; this._baseSec -= 1; }
    this._periodic = this._register(opts.clock.newTimer(() => this._onPeriodic()));
    this._update = this._register(opts.clock.newTimer(() => this._onUpdate()));
  }

  /** The NMI-disable bit last written to the index register (bit 7), for the board's NMI logic. */
  get nmiDisabled(): boolean { return this._nmiDisabled; }

  /** Set a CMOS byte from the board (memory size, floppy/disk types, boot order...). */
  setCmosByte(index: number, value: number): void {
    if (!Number.isInteger(index) || index < 0x0e || index > 0x7f) throw new ConfigError(`mc146818rtc: CMOS index 0x${index.toString(16)} is not board storage`);
    this._cmos[index] = value & 0xff;
  }

  getCmosByte(index: number): number { return this._cmos[index & 0x7f]!; }

  protected onReset(): void {
    // Power-on values of A/B/C/D as QEMU sets them; the time and CMOS storage persist (battery).
    this._cmos[REG_A] = 0x26;
    this._cmos[REG_B] = B_24H;
    this._cmos[REG_C] = 0;
    this._cmos[REG_D] = 0x80;
    this._opts.irq.set(0);
    this._rearm();
  }

  // ---- time base ---------------------------------------------------------------------------

  private get _running(): boolean {
    return (this._cmos[REG_A]! & 0x70) === 0x20 && (this._cmos[REG_B]! & B_SET) === 0;
  }

  private _phase(): number {
    return this._baseSubNs + Math.floor(this._opts.clock.now());
  }

  private _seconds(): number {
    return this._baseSec + Math.floor(this._phase() / NS_PER_SEC);
  }

  private _enc(v: number): number {
    return this._cmos[REG_B]! & B_DM_BINARY ? v : toBcd(v);
  }

  private _dec(v: number): number {
    return this._cmos[REG_B]! & B_DM_BINARY ? v : fromBcd(v);
  }

  private _encHour(h: number): number {
    if (this._cmos[REG_B]! & B_24H) return this._enc(h);
    return this._enc(h % 12 === 0 ? 12 : h % 12) | (h >= 12 ? 0x80 : 0);
  }

  private _decHour(v: number): number {
    if (this._cmos[REG_B]! & B_24H) return this._dec(v);
    const h = this._dec(v & 0x7f) % 12;
    return v & 0x80 ? h + 12 : h;
  }

  /** Write the current time into registers 0-9 and the century byte. */
  private _latchTime(): void {
    const d = new Date(this._seconds() * 1000);
    const c = this._cmos;
    c[0] = this._enc(d.getUTCSeconds());
    c[2] = this._enc(d.getUTCMinutes());
    c[4] = this._encHour(d.getUTCHours());
    c[6] = this._enc(d.getUTCDay() + 1);
    c[7] = this._enc(d.getUTCDate());
    c[8] = this._enc(d.getUTCMonth() + 1);
    c[9] = this._enc(d.getUTCFullYear() % 100);
    c[this._century] = this._enc(Math.floor(d.getUTCFullYear() / 100));
  }

  /** Take the time from registers 0-9 (the guest set the clock), keeping the divider phase. */
  private _setTimeFromRegs(): void {
    const c = this._cmos;
    const year = this._dec(c[this._century]!) * 100 + this._dec(c[9]!);
    const ms = Date.UTC(year, this._dec(c[8]!) - 1, this._dec(c[7]!), this._decHour(c[4]!), this._dec(c[2]!), this._dec(c[0]!));
    if (!Number.isFinite(ms)) {
      this._opts.logger.guestError("mc146818rtc: invalid date written");
      return;
    }
    this._baseSec = Math.floor(ms / 1000) - Math.floor(this._phase() / NS_PER_SEC);
  }

  private _uip(): boolean {
    return this._running && this._phase() % NS_PER_SEC >= NS_PER_SEC - UIP_HOLD_NS;
  }

  // ---- interrupts ----------------------------------------------------------------------------

  private _periodTicks(): number {
    let rs = this._cmos[REG_A]! & 0x0f;
    if (rs === 0) return 0;
    if (rs <= 2) rs += 7;
    return 1 << (rs - 1);
  }

  private _rearm(): void {
    const b = this._cmos[REG_B]!;
    const divOk = (this._cmos[REG_A]! & 0x70) === 0x20;
    const p = this._periodTicks();
    if (divOk && (b & B_PIE) && p > 0) {
      const t = ticksAt(this._phase(), TIMEBASE_HZ);
      this._periodic.setDeadline(nsAtTicks((Math.floor(t / p) + 1) * p, TIMEBASE_HZ) - this._baseSubNs);
    } else {
      this._periodic.cancel();
    }
    if (this._running && (b & (B_UIE | B_AIE))) {
      this._update.setDeadline((Math.floor(this._phase() / NS_PER_SEC) + 1) * NS_PER_SEC - this._baseSubNs);
    } else {
      this._update.cancel();
    }
  }

  private _raise(flags: number): void {
    const c = this._cmos;
    c[REG_C] = c[REG_C]! | flags;
    const b = c[REG_B]!;
    const cr = c[REG_C]!;
    if (((cr & C_PF) && (b & B_PIE)) || ((cr & C_AF) && (b & B_AIE)) || ((cr & C_UF) && (b & B_UIE))) {
      if ((cr & C_IRQF) === 0) {
        c[REG_C] = cr | C_IRQF;
        this._opts.irq.set(1);
      }
    }
  }

  private _onPeriodic(): void {
    this._raise(C_PF);
    this._rearm();
  }

  private _alarmMatches(): boolean {
    this._latchTime();
    const c = this._cmos;
    const match = (alarm: number, cur: number): boolean => (alarm & 0xc0) === 0xc0 || alarm === cur;
    return match(c[1]!, c[0]!) && match(c[3]!, c[2]!) && match(c[5]!, c[4]!);
  }

  private _onUpdate(): void {
    this._raise(C_UF | (this._alarmMatches() ? C_AF : 0));
    this._rearm();
  }

  // ---- registers -------------------------------------------------------------------------------

  read(offset: number, _size: AccessSize): number {
    if (offset === 0) return 0xff; // the index register is write-only
    if (offset !== 1) {
      this._opts.logger.guestError(`mc146818rtc: read at bad offset ${offset}`);
      return 0xff;
    }
    const i = this._index;
    const c = this._cmos;
    switch (i) {
      case 0: case 2: case 4: case 6: case 7: case 8: case 9:
        if (this._running) this._latchTime();
        return c[i]!;
      case REG_A: return (c[REG_A]! & ~A_UIP) | (this._uip() ? A_UIP : 0);
      case REG_C: {
        const v = c[REG_C]!;
        c[REG_C] = 0;
        if (v & C_IRQF) this._opts.irq.set(0);
        return v;
      }
      case REG_D: return 0x80;
      default:
        if (i === this._century && this._running) this._latchTime();
        return c[i]!;
    }
  }

  write(offset: number, value: number, _size: AccessSize): void {
    const v = value & 0xff;
    if (offset === 0) {
      this._index = v & 0x7f;
      this._nmiDisabled = (v & 0x80) !== 0;
      return;
    }
    if (offset !== 1) {
      this._opts.logger.guestError(`mc146818rtc: write at bad offset ${offset}`);
      return;
    }
    const i = this._index;
    switch (i) {
      case 0: case 2: case 4: case 6: case 7: case 8: case 9:
        if (this._running) this._latchTime();
        this._cmos[i] = v;
        if (this._running) this._setTimeFromRegs();
        break;
      case REG_A: this._writeA(v); break;
      case REG_B: this._writeB(v); break;
      case REG_C: case REG_D:
        this._opts.logger.guestError(`mc146818rtc: write to read-only register ${i === REG_C ? "C" : "D"}`);
        return;
      default:
        if (i === this._century && this._running) { this._latchTime(); this._cmos[i] = v; this._setTimeFromRegs(); break; }
        this._cmos[i] = v;
    }
    this._rearm();
  }

  private _writeA(v: number): void {
    const wasRunning = this._running;
    if (wasRunning) this._latchTime();
    this._cmos[REG_A] = v & 0x7f;
    if (!wasRunning && this._running) this._setTimeFromRegs();
    if ((v & 0x70) !== 0x20 && (v & 0x60) !== 0x60) this._opts.logger.unimp(`mc146818rtc: divider setting 0x${(v & 0x70).toString(16)}`);
  }

  private _writeB(v: number): void {
    const wasRunning = this._running;
    if (wasRunning) this._latchTime(); // registers now hold the time in the old format
    const nv = v & B_SET ? v & ~B_UIE : v; // setting SET clears UIE (datasheet)
    if (v & 0x01) this._opts.logger.unimp("mc146818rtc: daylight saving enable (DSE) is ignored");
    if (v & 0x08) this._opts.logger.unimp("mc146818rtc: square-wave output (SQWE) has no pin");
    this._cmos[REG_B] = nv;
    if (!wasRunning && this._running) this._setTimeFromRegs();
    // IRQF follows the enables of flags already pending.
    this._raise(0);
  }

  getState(): RtcMc146818State {
    return { cmos: [...this._cmos], index: this._index, nmiDisabled: this._nmiDisabled, baseSec: this._baseSec, baseSubNs: this._baseSubNs };
  }

  setState(state: RtcMc146818State): void {
    this._cmos = [...state.cmos];
    this._index = state.index;
    this._nmiDisabled = state.nmiDisabled;
    this._baseSec = state.baseSec;
    this._baseSubNs = state.baseSubNs;
    this._opts.irq.set(this._cmos[REG_C]! & C_IRQF ? 1 : 0);
    this._rearm();
  }
}
