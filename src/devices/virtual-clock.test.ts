import { describe, expect, it } from "vitest";
import { ConfigError } from "../common/errors.js";
import { VirtualClock } from "./virtual-clock.js";

describe("VirtualClock", () => {
  it("validates options", () => {
    expect(() => new VirtualClock({ mode: "realtime" })).toThrow(ConfigError);
    expect(() => new VirtualClock({ mode: "deterministic", nsPerInsn: 0 })).toThrow(ConfigError);
    expect(() => new VirtualClock({ mode: "bogus" as "realtime", hostNowNs: () => 0 })).toThrow(ConfigError);
  });

  it("deterministic time moves only by advance/advanceInsns", () => {
    const c = new VirtualClock({ mode: "deterministic", nsPerInsn: 2 });
    expect(c.now()).toBe(0);
    c.advance(100);
    c.advanceInsns(10);
    expect(c.now()).toBe(120);
    c.advance(-5);
    expect(c.now()).toBe(120);
  });

  it("realtime follows the host clock and freezes while paused", () => {
    let host = 1_000_000;
    const c = new VirtualClock({ mode: "realtime", hostNowNs: () => host });
    expect(c.now()).toBe(0);
    host += 500;
    expect(c.now()).toBe(500);
    c.pause();
    host += 10_000;
    expect(c.now()).toBe(500);
    c.resume();
    host += 7;
    expect(c.now()).toBe(507);
  });

  it("fires due timers in deadline order, once, and reports nextDeadline", () => {
    const c = new VirtualClock({ mode: "deterministic" });
    const fired: string[] = [];
    const a = c.newTimer((now) => fired.push(`a@${now}`));
    const b = c.newTimer(() => fired.push("b"));
    const d = c.newTimer(() => fired.push("d"));
    a.setDeadline(300);
    b.setDeadline(100);
    d.setDeadline(1000);
    expect(c.nextDeadline()).toBe(100);
    expect(c.runDueTimers()).toBe(0);
    c.advance(400);
    expect(c.runDueTimers()).toBe(2);
    expect(fired).toEqual(["b", "a@400"]);
    expect(a.armed).toBe(false);
    expect(c.nextDeadline()).toBe(1000);
    d.cancel();
    expect(c.nextDeadline()).toBe(Infinity);
    d.setDeadline(500);
    d.dispose();
    expect(c.nextDeadline()).toBe(Infinity);
  });

  it("periodic re-arming works and a timer re-armed into the past cannot hang runDueTimers", () => {
    const c = new VirtualClock({ mode: "deterministic" });
    let ticks = 0;
    const t = c.newTimer((now) => { ticks++; t.setDeadline(now + 10); });
    t.setDeadline(10);
    for (let i = 0; i < 5; i++) { c.advance(10); c.runDueTimers(); }
    expect(ticks).toBe(5);
    let storms = 0;
    const bad = c.newTimer((now) => { storms++; bad.setDeadline(now); });
    bad.setDeadline(0);
    c.runDueTimers();
    expect(storms).toBeGreaterThan(1);
    expect(storms).toBeLessThanOrEqual(64);
  });

  it("warps to the next deadline and round-trips state", () => {
    const c = new VirtualClock({ mode: "deterministic" });
    const t = c.newTimer(() => {});
    t.setDeadline(5000);
    c.warpToNextDeadline();
    expect(c.now()).toBe(5000);
    const c2 = new VirtualClock({ mode: "deterministic" });
    c2.setState(c.getState());
    expect(c2.now()).toBe(5000);
    expect(c2.getState()).toEqual(c.getState());
  });
});
