/**
 * A minimal VirtualClock for device unit tests (deterministic mode only): time moves only
 * when the test calls advance()/advanceTo(), which fires due timers in deadline order, each
 * with the clock set to its deadline (as the machine's run loop would). The real clock is
 * src/devices/virtual-clock.ts; devices only rely on the VirtualClock interface.
 */

import type { Timer, VirtualClock } from "../clock.js";

class FakeTimer implements Timer {
  armed = false;
  deadlineNs = Infinity;
  disposed = false;
  constructor(readonly callback: (nowNs: number) => void) {}
  setDeadline(deadlineNs: number): void {
    if (this.disposed) return;
    this.armed = true;
    this.deadlineNs = deadlineNs;
  }
  cancel(): void {
    this.armed = false;
    this.deadlineNs = Infinity;
  }
  dispose(): void {
    this.cancel();
    this.disposed = true;
  }
}

export class FakeClock implements VirtualClock {
  readonly mode = "deterministic" as const;
  private _now = 0;
  private readonly _timers: FakeTimer[] = [];

  constructor(startNs = 0) {
    this._now = startNs;
  }

  now(): number {
    return this._now;
  }

  newTimer(callback: (nowNs: number) => void): Timer {
    const t = new FakeTimer(callback);
    this._timers.push(t);
    return t;
  }

  nextDeadline(): number {
    let d = Infinity;
    for (const t of this._timers) if (t.armed && t.deadlineNs < d) d = t.deadlineNs;
    return d;
  }

  /** Advance by `ns`, firing every timer that falls due on the way. */
  advance(ns: number): void {
    this.advanceTo(this._now + ns);
  }

  /** Advance to absolute time `targetNs`, firing due timers in deadline order. */
  advanceTo(targetNs: number): void {
    for (let guard = 0; guard < 10_000_000; guard++) {
      let next: FakeTimer | undefined;
      for (const t of this._timers) {
        if (t.armed && t.deadlineNs <= targetNs && (next === undefined || t.deadlineNs < next.deadlineNs)) next = t;
      }
      if (next === undefined) break;
      this._now = Math.max(this._now, next.deadlineNs);
      next.armed = false;
      next.deadlineNs = Infinity;
      next.callback(this._now);
    }
    this._now = Math.max(this._now, targetNs);
  }

  /** Number of armed timers (tests check that idle devices do not keep timers armed). */
  get armedCount(): number {
    return this._timers.filter((t) => t.armed).length;
  }
}
