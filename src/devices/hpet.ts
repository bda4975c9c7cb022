/**
 * High Precision Event Timer (IA-PC HPET specification 1.0a), shaped like QEMU's: a 64-bit
 * main counter at 100 MHz (10 ns period) derived from the virtual clock, N comparators
 * (default 3) with one-shot and periodic modes, 32-bit mode, edge or level interrupts routed
 * by INT_ROUTE to the board's lines, FSB (MSI) delivery when the board provides it, and the
 * legacy replacement route (timer 0 -> the PIT's IRQ line, timer 1 -> the RTC's).
 * Registers are 64-bit, accessed as 4-byte halves (the memory API splits 8-byte accesses).
 * Like QEMU, a comparator written in the past fires at once rather than after a wrap, which
 * is what lets Linux's clockevent "-ETIME" retry logic converge. The counter is held in a JS
 * number: exact up to 2^53 ticks (about 1042 days). Several timers sharing one level line
 * are not OR-ed: the last one to change it wins.
 */

import { Emitter, type Event } from "../common/lifecycle.js";
import { ConfigError } from "../common/errors.js";
import type { Logger } from "../common/log.js";
import type { AccessSize, RegionOps } from "../memory/types.js";
import type { Timer, VirtualClock } from "./clock.js";
import { Device } from "./device.js";
import type { IrqLine } from "./irq.js";
import { joinU64, splitU64 } from "./tick-math.js";

const NS_PER_TICK = 10;
const PERIOD_FS = 10_000_000;
const TWO32 = 0x1_0000_0000;

const CONF_ENABLE = 1;
const CONF_LEGACY = 2;
const TN_LEVEL = 1 << 1;
const TN_INT_ENB = 1 << 2;
const TN_PERIODIC = 1 << 3;
const TN_PERIODIC_CAP = 1 << 4;
const TN_SIZE_CAP = 1 << 5;
const TN_SETVAL = 1 << 6;
const TN_32BIT = 1 << 8;
const TN_FSB_EN = 1 << 14;
const TN_FSB_CAP = 1 << 15;
const TN_WRITABLE = 0x7f4e;

export interface HpetOptions {
  clock: VirtualClock;
  logger: Logger;
  /** Output lines by INT_ROUTE value (index = IOAPIC input the board wired). Holes allowed. */
  routes: readonly (IrqLine | undefined)[];
  /** Legacy replacement outputs: [timer 0 line (IRQ0's), timer 1 line (IRQ8's)]. */
  legacy?: readonly [IrqLine, IrqLine];
  /** INT_ROUTE_CAP advertised for every timer; default: the indices of `routes` that are wired. */
  routeCap?: number;
  /** Number of comparators, 3..32; default 3. */
  timers?: number;
  /** FSB delivery (MSI address/data); enables Tn_FSB_INT_DEL_CAP. */
  msi?: (address: number, data: number) => void;
}

export interface HpetTimerState {
  [key: string]: number;
  config: number; cmpLo: number; cmpHi: number; periodLo: number; periodHi: number; fsbData: number; fsbAddr: number;
}

export interface HpetState {
  [key: string]: number | HpetTimerState[];
  config: number; isr: number; counterBase: number; refNs: number; timers: HpetTimerState[];
}

export class Hpet extends Device<HpetState> implements RegionOps {
  readonly typeName = "hpet";
  readonly valid = { min: 4, max: 8 } as const;
  readonly impl = { min: 4, max: 4 } as const;
  private _s: HpetState;
  private readonly _n: number;
  private readonly _cap: number;
  private readonly _opts: HpetOptions;
  private readonly _hostTimers: Timer[];
  private readonly _driven: (IrqLine | undefined)[];
  private readonly _onLegacy = this._register(new Emitter<boolean>());
  /** Fires when the guest turns legacy replacement on or off (the board then detaches PIT/RTC IRQs). */
  readonly onLegacyModeChange: Event<boolean> = this._onLegacy.event;

  constructor(id: string, opts: HpetOptions) {
    super(id);
    const n = opts.timers ?? 3;
    if (!Number.isInteger(n) || n < 3 || n > 32) throw new ConfigError(`hpet: timers must be 3..32, got ${n}`);
    if (opts.routes.length > 32) throw new ConfigError(`hpet: at most 32 routes, got ${opts.routes.length}`);
    let cap = 0;
    opts.routes.forEach((r, i) => { if (r) cap |= 1 << i; });
    this._cap = (opts.routeCap ?? cap) >>> 0;
    this._n = n;
    this._opts = opts;
    this._s = this._blank();
    this._hostTimers = [];
    for (let i = 0; i < n; i++) this._hostTimers.push(this._register(opts.clock.newTimer(() => this._fire(i))));
    this._driven = new Array<IrqLine | undefined>(n).fill(undefined);
  }

  private _blank(): HpetState {
    const timers: HpetTimerState[] = [];
    for (let i = 0; i < this._n; i++) {
      timers.push({ config: TN_PERIODIC_CAP | TN_SIZE_CAP | (this._opts.msi ? TN_FSB_CAP : 0), cmpLo: 0xffffffff,
        cmpHi: 0xffffffff, periodLo: 0, periodHi: 0, fsbData: 0, fsbAddr: 0 });
    }
    return { config: 0, isr: 0, counterBase: 0, refNs: 0, timers };
  }

  protected onReset(): void {
    const wasLegacy = this._s.config & CONF_LEGACY;
    this._s = this._blank();
    for (let i = 0; i < this._n; i++) { this._hostTimers[i]!.cancel(); this._updateLine(i); }
    if (wasLegacy) this._onLegacy.fire(false); // reset clears LEG_RT_CNF: the PIT and RTC get their lines back
  }

  private get _enabled(): boolean { return (this._s.config & CONF_ENABLE) !== 0; }

  private _counter(): number {
    const s = this._s;
    if (!this._enabled) return s.counterBase;
    return s.counterBase + Math.floor((Math.floor(this._opts.clock.now()) - s.refNs) / NS_PER_TICK);
  }

  private _nsOfCounter(c: number): number {
    return this._s.refNs + (c - this._s.counterBase) * NS_PER_TICK;
  }

  /** The line timer `i` currently signals on (undefined for FSB or an unwired route). */
  private _line(i: number): IrqLine | undefined {
    const t = this._s.timers[i]!;
    if ((this._s.config & CONF_LEGACY) && i < 2) return this._opts.legacy?.[i];
    if (t.config & TN_FSB_EN) return undefined;
    return this._opts.routes[(t.config >> 9) & 0x1f];
  }

  private _updateLine(i: number): void {
    const t = this._s.timers[i]!;
    const want = this._enabled && (t.config & TN_INT_ENB) !== 0 && (t.config & TN_LEVEL) !== 0 &&
      ((this._s.isr >>> i) & 1) === 1 ? this._line(i) : undefined;
    const cur = this._driven[i];
    if (cur && cur !== want) cur.set(0);
    if (want && cur !== want) want.set(1);
    this._driven[i] = want;
  }

  /** Arm timer i for its next comparator match. `afterFire`: a match at "now" already happened. */
  private _arm(i: number, afterFire = false): void {
    const t = this._s.timers[i]!;
    const host = this._hostTimers[i]!;
    if (!this._enabled || (t.config & TN_INT_ENB) === 0) { host.cancel(); return; }
    const c = this._counter();
    const cmp = joinU64(t.cmpLo, t.cmpHi);
    let diff: number;
    if (t.config & TN_32BIT) {
      diff = (t.cmpLo - (c % TWO32) + TWO32) % TWO32;
      if (diff === 0 && afterFire) diff = TWO32;
    } else {
      diff = cmp - c;
      if (diff <= 0) {
        if (afterFire) { host.cancel(); return; }
        diff = 0; // written in the past: fire now (QEMU behaviour)
      }
    }
    host.setDeadline(Math.max(this._nsOfCounter(c + diff), this._opts.clock.now()));
  }

  private _fire(i: number): void {
    const t = this._s.timers[i]!;
    const c = this._counter();
    const period = t.config & TN_32BIT ? t.periodLo : joinU64(t.periodLo, t.periodHi);
    if ((t.config & TN_PERIODIC) && period > 0) {
      if (t.config & TN_32BIT) {
        const since = (c - t.cmpLo + TWO32 * 2) % TWO32;
        t.cmpLo = (t.cmpLo + (Math.floor(since / period) + 1) * period) % TWO32;
      } else {
        const cmp = joinU64(t.cmpLo, t.cmpHi);
        if (c >= cmp) {
          const h = splitU64(cmp + (Math.floor((c - cmp) / period) + 1) * period);
          t.cmpLo = h.lo;
          t.cmpHi = h.hi;
        }
      }
    }
    if (t.config & TN_LEVEL) {
      this._s.isr |= 1 << i;
      this._updateLine(i);
    } else if ((t.config & TN_FSB_EN) && !((this._s.config & CONF_LEGACY) && i < 2)) {
      this._opts.msi?.(t.fsbAddr, t.fsbData);
    } else {
      const line = this._line(i);
      if (line) line.pulse();
      else this._opts.logger.guestError(`hpet: timer ${i} fired on unwired route ${(t.config >> 9) & 0x1f}`);
    }
    this._arm(i, true);
  }

  private _readTimer(i: number, reg: number): number {
    const t = this._s.timers[i]!;
    switch (reg) {
      case 0x00: return t.config;
      case 0x04: return this._cap;
      case 0x08: return t.cmpLo;
      case 0x0c: return t.cmpHi;
      case 0x10: return t.fsbData;
      case 0x14: return t.fsbAddr;
      default: return 0;
    }
  }

  private _writeTimer(i: number, reg: number, v: number): void {
    const t = this._s.timers[i]!;
    switch (reg) {
      case 0x00: {
        const route = (v >> 9) & 0x1f;
        // The route matters only for an enabled, non-FSB interrupt that legacy replacement does
        // not take over (Linux writes route 0 into timers 0 and 1 in legacy mode).
        const routed = (v & TN_INT_ENB) !== 0 && (v & TN_FSB_EN) === 0 && !(this.legacyMode && i < 2);
        if (routed && ((this._cap >>> route) & 1) === 0) {
          this._opts.logger.guestError(`hpet: timer ${i} route ${route} not in INT_ROUTE_CAP`);
        }
        t.config = ((t.config & ~TN_WRITABLE) | (v & TN_WRITABLE)) >>> 0;
        if (!this._opts.msi) t.config &= ~TN_FSB_EN;
        if (t.config & TN_32BIT) { t.cmpHi = 0; t.periodHi = 0; }
        if ((t.config & TN_LEVEL) === 0) this._s.isr &= ~(1 << i);
        break;
      }
      case 0x08: case 0x0c: {
        const hiHalf = reg === 0x0c;
        if (hiHalf && (t.config & TN_32BIT)) break;
        const periodic = (t.config & TN_PERIODIC) !== 0;
        if (!periodic || (t.config & TN_SETVAL)) { if (hiHalf) t.cmpHi = v; else t.cmpLo = v; }
        if (periodic) { if (hiHalf) t.periodHi = v; else t.periodLo = v; }
        t.config &= ~TN_SETVAL;
        break;
      }
      case 0x10: t.fsbData = v >>> 0; break;
      case 0x14: t.fsbAddr = v >>> 0; break;
      default: this._opts.logger.guestError(`hpet: write to read-only timer ${i} register 0x${reg.toString(16)}`);
    }
    this._arm(i);
    this._updateLine(i);
  }

  read(offset: number, _size: AccessSize): number {
    if (offset >= 0x100 && offset < 0x100 + 0x20 * this._n) return this._readTimer((offset - 0x100) >> 5, offset & 0x1f);
    switch (offset) {
      // Vendor 8086, LEG_RT_CAP, COUNT_SIZE_CAP (64-bit), NUM_TIM_CAP, revision 1.
      case 0x000: return (0x8086a001 | ((this._n - 1) << 8)) >>> 0;
      case 0x004: return PERIOD_FS;
      case 0x010: return this._s.config;
      case 0x020: return this._s.isr >>> 0;
      case 0x0f0: return splitU64(this._counter()).lo;
      case 0x0f4: return splitU64(this._counter()).hi;
      case 0x014: case 0x024: return 0;
      default:
        this._opts.logger.guestError(`hpet: read at bad offset 0x${offset.toString(16)}`);
        return 0;
    }
  }

  write(offset: number, value: number, _size: AccessSize): void {
    const v = value >>> 0;
    if (offset >= 0x100 && offset < 0x100 + 0x20 * this._n) { this._writeTimer((offset - 0x100) >> 5, offset & 0x1f, v); return; }
    switch (offset) {
      case 0x010: this._writeConfig(v); return;
      case 0x020: // write 1 to clear level interrupt status
        this._s.isr &= ~v;
        for (let i = 0; i < this._n; i++) this._updateLine(i);
        return;
      case 0x0f0: case 0x0f4: {
        if (this._enabled) this._opts.logger.guestError("hpet: main counter written while enabled");
        const h = splitU64(this._counter());
        this._s.counterBase = offset === 0x0f0 ? joinU64(v, h.hi) : joinU64(h.lo, v);
        this._s.refNs = Math.floor(this._opts.clock.now());
        for (let i = 0; i < this._n; i++) this._arm(i);
        return;
      }
      case 0x014: case 0x024: return;
      default: this._opts.logger.guestError(`hpet: write at bad offset 0x${offset.toString(16)}`);
    }
  }

  private _writeConfig(v: number): void {
    const old = this._s.config;
    const c = this._counter();
    this._s.config = v & (CONF_ENABLE | CONF_LEGACY);
    if ((old ^ this._s.config) & CONF_ENABLE) {
      this._s.counterBase = c;
      this._s.refNs = Math.floor(this._opts.clock.now());
    }
    if ((old ^ this._s.config) & CONF_LEGACY) this._onLegacy.fire((this._s.config & CONF_LEGACY) !== 0);
    for (let i = 0; i < this._n; i++) { this._arm(i); this._updateLine(i); }
  }

  get legacyMode(): boolean { return (this._s.config & CONF_LEGACY) !== 0; }

  getState(): HpetState {
    return { ...this._s, timers: this._s.timers.map((t) => ({ ...t })) };
  }

  setState(state: HpetState): void {
    const wasLegacy = this.legacyMode;
    this._s = { ...state, timers: state.timers.map((t) => ({ ...t })) };
    if (wasLegacy !== this.legacyMode) this._onLegacy.fire(this.legacyMode);
    for (let i = 0; i < this._n; i++) { this._arm(i); this._updateLine(i); }
  }
}
