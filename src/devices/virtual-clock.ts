/**
 * The machine's one virtual clock (contract in clock.ts). Virtual time is in ns since machine
 * start.
 *  - "realtime": time follows the injected host monotonic clock `hostNowNs` while running;
 *    `pause()` freezes it (the machine is stopped) and `resume()` continues from the same value.
 *  - "deterministic": time moves only when the run loop calls `advance(ns)` or
 *    `advanceInsns(count)` (count x nsPerInsn, QEMU -icount style).
 * Timers fire from `runDueTimers()` (called by the run loop, never from inside `now()`), in
 * deadline order, ties in creation order. A callback that re-arms its timer into the past
 * fires again in the same call, up to a bound that keeps a misprogrammed device (a guest
 * mistake) from hanging the host.
 * No host APIs here: the host adapter passes `hostNowNs` in.
 */

import { ConfigError } from "../common/errors.js";
import type { ClockMode, Timer, VirtualClock as ClockContract } from "./clock.js";

export interface VirtualClockOptions {
  mode: ClockMode;
  /** Host monotonic time in ns (required in realtime mode). */
  hostNowNs?: () => number;
  /** Deterministic mode: virtual ns per retired instruction (default 1, a 1 GHz guest). */
  nsPerInsn?: number;
}

export interface VirtualClockState {
  [key: string]: number;
  nowNs: number;
}

/** Passes over due timers per runDueTimers call before yielding back to the run loop. */
const MAX_PASSES = 64;

class ClockTimer implements Timer {
  armed = false;
  deadlineNs = Infinity;
  constructor(
    readonly seq: number,
    readonly callback: (nowNs: number) => void,
    private readonly _remove: (t: ClockTimer) => void,
    private readonly _armed: (deadlineNs: number) => void,
  ) {}

  setDeadline(deadlineNs: number): void {
    if (Number.isNaN(deadlineNs)) deadlineNs = Infinity;
    this.deadlineNs = deadlineNs;
    this.armed = deadlineNs !== Infinity;
    if (this.armed) this._armed(deadlineNs);
  }

  cancel(): void {
    this.armed = false;
    this.deadlineNs = Infinity;
  }

  dispose(): void {
    this.cancel();
    this._remove(this);
  }
}

export class VirtualClock implements ClockContract {
  readonly mode: ClockMode;
  private readonly _hostNowNs: (() => number) | null;
  private readonly _nsPerInsn: number;
  private readonly _timers = new Set<ClockTimer>();
  private _seq = 0;
  /** Virtual time at the last anchor (deterministic: the time itself). */
  private _baseNs = 0;
  /** Host time at the last anchor (realtime, running). */
  private _hostAnchorNs = 0;
  private _paused = false;
  /** Instructions retired since the last advanceInsns (deterministic mode: live time). */
  private _pendingInsns: () => number = () => 0;
  /** Told when a timer is armed, so a running CPU can stop before the new deadline. */
  private _onArm: (deadlineNs: number) => void = () => {};

  constructor(opts: VirtualClockOptions) {
    if (opts.mode !== "realtime" && opts.mode !== "deterministic") throw new ConfigError(`VirtualClock: unknown mode "${String(opts.mode)}"`);
    if (opts.mode === "realtime" && typeof opts.hostNowNs !== "function") throw new ConfigError("VirtualClock: realtime mode needs hostNowNs");
    const nsPerInsn = opts.nsPerInsn ?? 1;
    if (!(nsPerInsn > 0) || !Number.isFinite(nsPerInsn)) throw new ConfigError(`VirtualClock: nsPerInsn must be a positive number, got ${nsPerInsn}`);
    this.mode = opts.mode;
    this._hostNowNs = opts.hostNowNs ?? null;
    this._nsPerInsn = nsPerInsn;
    if (this._hostNowNs) this._hostAnchorNs = this._hostNowNs();
  }

  /**
   * Deterministic mode: where the instructions retired so far in the running slice come from,
   * so time moves while the CPU runs (a guest polling the TSC or the PIT sees it advance).
   * The source must return 0 once the run has been accounted with advanceInsns.
   */
  setInstructionSource(pending: () => number): void {
    this._pendingInsns = pending;
  }

  /** Register the listener told about every newly armed deadline (one listener). */
  setArmListener(onArm: (deadlineNs: number) => void): void {
    this._onArm = onArm;
  }

  now(): number {
    if (this._paused) return this._baseNs;
    if (this.mode === "deterministic") return this._baseNs + this._pendingInsns() * this._nsPerInsn;
    return this._baseNs + Math.max(0, this._hostNowNs!() - this._hostAnchorNs);
  }

  /** Move virtual time forward by `ns` (deterministic stepping; in realtime, a warp). */
  advance(ns: number): void {
    if (!(ns > 0)) return;
    this._baseNs += ns;
  }

  /** Deterministic mode: account for `count` retired instructions. */
  advanceInsns(count: number): void {
    this.advance(count * this._nsPerInsn);
  }

  /** Deterministic mode: jump to the next deadline if it lies in the future (idle CPU). */
  warpToNextDeadline(): void {
    const d = this.nextDeadline();
    const now = this.now();
    if (d !== Infinity && d > now) this.advance(d - now);
  }

  /** Realtime: freeze virtual time (machine stopped). */
  pause(): void {
    if (this._paused) return;
    this._baseNs = this.now();
    this._paused = true;
  }

  /** Realtime: continue from the frozen value. */
  resume(): void {
    if (!this._paused) return;
    this._paused = false;
    if (this._hostNowNs) this._hostAnchorNs = this._hostNowNs();
  }

  get paused(): boolean { return this._paused; }

  newTimer(callback: (nowNs: number) => void): Timer {
    const t = new ClockTimer(this._seq++, callback, (x) => this._timers.delete(x), (d) => this._onArm(d));
    this._timers.add(t);
    return t;
  }

  nextDeadline(): number {
    let d = Infinity;
    for (const t of this._timers) if (t.armed && t.deadlineNs < d) d = t.deadlineNs;
    return d;
  }

  /** Fire every timer whose deadline has passed, in deadline order. Returns how many fired. */
  runDueTimers(): number {
    let fired = 0;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const now = this.now();
      const due = [...this._timers].filter((t) => t.armed && t.deadlineNs <= now);
      if (due.length === 0) break;
      due.sort((a, b) => a.deadlineNs - b.deadlineNs || a.seq - b.seq);
      for (const t of due) {
        if (!t.armed || t.deadlineNs > now) continue;
        t.cancel();
        fired++;
        t.callback(now);
      }
    }
    return fired;
  }

  /** Snapshot: only the time; timers are saved by the devices that own them. */
  getState(): VirtualClockState {
    return { nowNs: this.now() };
  }

  setState(s: VirtualClockState): void {
    this._baseNs = s.nowNs;
    if (this._hostNowNs) this._hostAnchorNs = this._hostNowNs();
  }
}
