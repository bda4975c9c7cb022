import { describe, expect, it } from "vitest";
import { fixedRateTsc, LapicTimer, TimerMode } from "./lapic-timer.js";
import { FakeClock } from "./testing/fake-clock.js";

function make(mode: { m: TimerMode }) {
  const clock = new FakeClock();
  let fired = 0;
  const t = new LapicTimer(clock, 1e9, fixedRateTsc(3e9), () => mode.m, () => { fired++; });
  return { clock, t, fired: () => fired };
}

describe("LapicTimer", () => {
  it("decodes the divide configuration register (SDM Figure 11-10)", () => {
    const { t } = make({ m: TimerMode.ONE_SHOT });
    const table: [number, number][] = [[0x0, 2], [0x1, 4], [0x2, 8], [0x3, 16], [0x8, 32], [0x9, 64], [0xa, 128], [0xb, 1]];
    for (const [dcr, div] of table) {
      t.writeDivideConfig(dcr);
      expect(t.divisor).toBe(div);
    }
  });

  it("keeps the current count continuous across a divider change", () => {
    const { t, clock, fired } = make({ m: TimerMode.ONE_SHOT });
    t.writeDivideConfig(0xb);
    t.writeInitialCount(1000);
    clock.advanceTo(400);
    expect(t.currentCount()).toBe(600);
    t.writeDivideConfig(0x0); // divide by 2 from here on
    expect(t.currentCount()).toBe(600);
    clock.advanceTo(400 + 2 * 599);
    expect(fired()).toBe(0);
    expect(t.currentCount()).toBe(1);
    clock.advanceTo(400 + 2 * 600);
    expect(fired()).toBe(1);
  });

  it("converts TSC deadlines with the configured TSC rate", () => {
    const mode = { m: TimerMode.TSC_DEADLINE };
    const { t, clock, fired } = make(mode);
    t.writeDeadline(3000, 0); // 1 us at 3 GHz
    clock.advanceTo(999);
    expect(fired()).toBe(0);
    clock.advanceTo(1000);
    expect(fired()).toBe(1);
    t.writeDeadline(0, 0x300000); // beyond 2^53 cycles: never
    expect(t.timer.armed).toBe(false);
    expect(t.readDeadline()).toEqual({ lo: 0, hi: 0x300000 });
    const tsc = fixedRateTsc(3e9);
    expect(tsc.tscAt(tsc.nsAt(123_456_789))).toBeGreaterThanOrEqual(123_456_789);
  });
});
