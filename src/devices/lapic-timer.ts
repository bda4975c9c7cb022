/**
 * The local APIC timer (Intel SDM vol. 3, 11.5.4): one-shot and periodic modes counting the
 * APIC bus clock divided per the Divide Configuration Register, and TSC-deadline mode
 * (IA32_TSC_DEADLINE, 11.5.4.1). Nothing ticks: the current count is derived from the
 * virtual clock at read time and one host timer is armed for the next expiry.
 * The bus frequency is the board's choice; QEMU's APIC bus runs at 1 GHz (1 ns per cycle),
 * and Linux calibrates it against the PIT/HPET or reads it from CPUID leaf 0x15/0x16.
 */

import type { U64 } from "../memory/types.js";
import type { Timer, VirtualClock } from "./clock.js";
import { joinU64, mulDivCeil, mulDivFloor, NS_PER_SEC } from "./tick-math.js";

/** Maps virtual time to the guest TSC and back (the CPU may add an offset; the board decides). */
export interface TscSource {
  /** TSC value at virtual time `ns` (exact below 2^53). */
  tscAt(ns: number): number;
  /** Earliest virtual time (ns) at which the TSC reaches `tsc`. */
  nsAt(tsc: number): number;
}

/** A TSC running at `hz` from virtual time 0 with no offset. */
export function fixedRateTsc(hz: number): TscSource {
  return {
    tscAt: (ns) => mulDivFloor(Math.max(0, Math.floor(ns)), hz, NS_PER_SEC),
    nsAt: (tsc) => mulDivCeil(Math.max(0, tsc), NS_PER_SEC, hz),
  };
}

/** LVT timer mode field (bits 18:17). */
export const enum TimerMode { ONE_SHOT = 0, PERIODIC = 1, TSC_DEADLINE = 2 }

export interface LapicTimerState {
  [key: string]: number;
  initialCount: number;
  divideConfig: number;
  startNs: number;
  deadlineLo: number;
  deadlineHi: number;
}

export class LapicTimer {
  s: LapicTimerState = { initialCount: 0, divideConfig: 0, startNs: 0, deadlineLo: 0, deadlineHi: 0 };
  private readonly _timer: Timer;

  constructor(private readonly _clock: VirtualClock, private readonly _busHz: number,
    private readonly _tsc: TscSource, private readonly _mode: () => TimerMode, private readonly _fire: () => void) {
    this._timer = _clock.newTimer(() => this._onTimer());
  }

  get timer(): Timer { return this._timer; }

  reset(): void {
    this.s = { initialCount: 0, divideConfig: 0, startNs: 0, deadlineLo: 0, deadlineHi: 0 };
    this._timer.cancel();
  }

  /** Divide value from DCR bits 0, 1 and 3 (SDM Figure 11-10): 0b1011 divides by 1. */
  get divisor(): number {
    const v = (this.s.divideConfig & 3) | ((this.s.divideConfig >> 1) & 4);
    return 1 << ((v + 1) & 7);
  }

  private _elapsedTicks(now: number): number {
    return mulDivFloor(Math.max(0, Math.floor(now) - this.s.startNs), this._busHz, NS_PER_SEC * this.divisor);
  }

  private _nsOfTick(tick: number): number {
    return this.s.startNs + mulDivCeil(tick, NS_PER_SEC * this.divisor, this._busHz);
  }

  currentCount(): number {
    const s = this.s;
    if (s.initialCount === 0 || this._mode() === TimerMode.TSC_DEADLINE) return 0;
    const d = this._elapsedTicks(this._clock.now());
    if (this._mode() === TimerMode.PERIODIC) return s.initialCount - (d % s.initialCount);
    return d >= s.initialCount ? 0 : s.initialCount - d;
  }

  writeInitialCount(v: number): void {
    if (this._mode() === TimerMode.TSC_DEADLINE) return; // ignored in TSC-deadline mode
    this.s.initialCount = v >>> 0;
    this.s.startNs = Math.floor(this._clock.now());
    this._arm();
  }

  writeDivideConfig(v: number): void {
    // Keep the current count continuous across a divider change (the SDM leaves it undefined).
    const cur = this.currentCount();
    const running = this._timer.armed && this._mode() !== TimerMode.TSC_DEADLINE;
    this.s.divideConfig = v & 0xb;
    if (running && cur > 0) {
      const d = this.s.initialCount - cur;
      this.s.startNs = Math.floor(this._clock.now()) - mulDivFloor(d, NS_PER_SEC * this.divisor, this._busHz);
      this._arm();
    }
  }

  /** The LVT timer mode changed: switching to or from TSC-deadline disarms the timer. */
  modeChanged(oldMode: TimerMode, newMode: TimerMode): void {
    if (oldMode === newMode) return;
    if (oldMode === TimerMode.TSC_DEADLINE || newMode === TimerMode.TSC_DEADLINE) {
      this.s.initialCount = 0;
      this.s.deadlineLo = this.s.deadlineHi = 0;
      this._timer.cancel();
    } else {
      this._arm();
    }
  }

  readDeadline(): U64 {
    return { lo: this.s.deadlineLo, hi: this.s.deadlineHi };
  }

  writeDeadline(lo: number, hi: number): void {
    if (this._mode() !== TimerMode.TSC_DEADLINE) return; // writes are ignored outside the mode
    this.s.deadlineLo = lo >>> 0;
    this.s.deadlineHi = hi >>> 0;
    this._arm();
  }

  /** Arm the host timer for the next expiry per the current mode. */
  private _arm(): void {
    const s = this.s;
    if (this._mode() === TimerMode.TSC_DEADLINE) {
      if (s.deadlineLo === 0 && s.deadlineHi === 0) { this._timer.cancel(); return; }
      // Beyond 2^53 TSC cycles (weeks away) the deadline is treated as never.
      if (s.deadlineHi >= 0x200000) { this._timer.cancel(); return; }
      this._timer.setDeadline(Math.max(this._tsc.nsAt(joinU64(s.deadlineLo, s.deadlineHi)), this._clock.now()));
      return;
    }
    if (s.initialCount === 0) { this._timer.cancel(); return; }
    const d = this._elapsedTicks(this._clock.now());
    let next: number;
    if (this._mode() === TimerMode.PERIODIC) next = (Math.floor(d / s.initialCount) + 1) * s.initialCount;
    else if (d < s.initialCount) next = s.initialCount;
    else { this._timer.cancel(); return; }
    this._timer.setDeadline(this._nsOfTick(next));
  }

  private _onTimer(): void {
    if (this._mode() === TimerMode.TSC_DEADLINE) {
      this.s.deadlineLo = this.s.deadlineHi = 0;
    }
    this._fire();
    this._arm();
  }

  /** Re-arm after setState. */
  restore(state: LapicTimerState): void {
    this.s = { ...state };
    this._arm();
  }
}
