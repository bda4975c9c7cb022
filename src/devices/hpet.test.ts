import { describe, expect, it } from "vitest";
import { ConfigError } from "../common/errors.js";
import { Logger } from "../common/log.js";
import { Hpet } from "./hpet.js";
import { IrqRecorder } from "./irq.js";
import { FakeClock } from "./testing/fake-clock.js";

function make(msi = false) {
  const clock = new FakeClock();
  const routes = Array.from({ length: 24 }, () => new IrqRecorder());
  const legacy: [IrqRecorder, IrqRecorder] = [new IrqRecorder(), new IrqRecorder()];
  const msis: [number, number][] = [];
  const logs: string[] = [];
  const hpet = new Hpet("hpet", { clock, logger: new Logger((_c, m) => logs.push(m)), routes, legacy,
    routeCap: 0x00ff0004, msi: msi ? (a, d) => msis.push([a, d]) : undefined });
  hpet.realize();
  const legacyEvents: boolean[] = [];
  hpet.onLegacyModeChange((on) => legacyEvents.push(on));
  return { clock, hpet, routes, legacy, msis, logs, legacyEvents };
}

const edges = (r: IrqRecorder): number => r.history.filter((l) => l === 1).length;
const T = (n: number): number => 0x100 + 0x20 * n;

describe("Hpet", () => {
  it("reports capabilities: 3 timers, 64-bit, legacy capable, 10 ns period, route caps", () => {
    const { hpet } = make(true);
    expect(hpet.read(0x0, 4)).toBe(0x8086a201);
    expect(hpet.read(0x4, 4)).toBe(10_000_000);
    expect(hpet.read(T(0), 4)).toBe(0x30 | 0x8000);
    expect(hpet.read(T(2) + 4, 4)).toBe(0x00ff0004);
    expect(hpet.read(T(1) + 8, 4)).toBe(0xffffffff);
  });

  it("logs a route outside INT_ROUTE_CAP only where it would be used (interrupt enabled, not taken by legacy replacement)", () => {
    const { hpet, logs } = make();
    hpet.write(T(0), 0, 4); // route 0, interrupt disabled: what Linux writes at init
    hpet.write(0x10, 3, 4); // enable + legacy replacement
    hpet.write(T(0), 0x4, 4); // timer 0 enabled, route 0: legacy replacement routes it
    expect(logs).toEqual([]);
    hpet.write(T(2), 0x4, 4); // timer 2 enabled on route 0, which the board did not wire
    expect(logs).toEqual(["hpet: timer 2 route 0 not in INT_ROUTE_CAP"]);
  });

  it("counts at 100 MHz only while enabled; the counter is writable when halted", () => {
    const { hpet, clock } = make();
    clock.advanceTo(1000);
    expect(hpet.read(0xf0, 4)).toBe(0);
    hpet.write(0x10, 1, 4);
    clock.advanceTo(1000 + 12_345);
    expect(hpet.read(0xf0, 4)).toBe(1234);
    hpet.write(0x10, 0, 4);
    clock.advanceTo(100_000);
    expect(hpet.read(0xf0, 4)).toBe(1234);
    hpet.write(0xf0, 0xfffffff0, 4);
    hpet.write(0xf4, 1, 4);
    hpet.write(0x10, 1, 4);
    clock.advance(200);
    expect(hpet.read(0xf0, 4)).toBe(4);
    expect(hpet.read(0xf4, 4)).toBe(2);
  });

  it("one-shot 64-bit comparator fires an edge on its INT_ROUTE line", () => {
    const { hpet, clock, routes } = make();
    hpet.write(T(2), (2 << 9) | 0x4, 4);
    hpet.write(T(2) + 8, 500, 4);
    hpet.write(T(2) + 12, 0, 4);
    hpet.write(0x10, 1, 4);
    clock.advanceTo(4999);
    expect(edges(routes[2]!)).toBe(0);
    clock.advanceTo(5000);
    expect(edges(routes[2]!)).toBe(1);
    clock.advanceTo(1_000_000);
    expect(edges(routes[2]!)).toBe(1);
    expect(clock.armedCount).toBe(0);
  });

  it("periodic mode as Linux programs it (SETVAL, cmp = now + delta, then period = delta)", () => {
    const { hpet, clock, legacy } = make();
    hpet.write(0x10, 3, 4); // enable + legacy replacement
    clock.advanceTo(10_000); // counter 1000
    hpet.write(T(0), 0x4 | 0x8 | 0x40 | 0x100, 4);
    hpet.write(T(0) + 8, 1000 + 400, 4);
    hpet.write(T(0) + 8, 400, 4);
    expect(hpet.read(T(0) + 8, 4)).toBe(1400);
    clock.advanceTo(10_000 + 4000 * 5);
    expect(edges(legacy[0])).toBe(5);
    expect(hpet.read(T(0) + 8, 4)).toBe(1000 + 400 * 6);
  });

  it("legacy replacement routes timers 0 and 1 to the PIT and RTC lines and announces the switch", () => {
    const { hpet, clock, legacy, routes, legacyEvents } = make();
    hpet.write(T(1), (5 << 9) | 0x4, 4);
    hpet.write(T(1) + 8, 10, 4);
    hpet.write(T(1) + 12, 0, 4);
    hpet.write(0x10, 3, 4);
    clock.advanceTo(100);
    expect(edges(legacy[1])).toBe(1);
    expect(edges(routes[5]!)).toBe(0);
    hpet.write(0x10, 1, 4);
    expect(legacyEvents).toEqual([true, false]);
    expect(hpet.legacyMode).toBe(false);
  });

  it("level-triggered interrupts set the status bit and hold the line until cleared", () => {
    const { hpet, clock, routes } = make();
    hpet.write(T(0), (20 << 9) | 0x4 | 0x2, 4);
    hpet.write(T(0) + 8, 100, 4);
    hpet.write(T(0) + 12, 0, 4);
    hpet.write(0x10, 1, 4);
    clock.advanceTo(1000);
    expect(hpet.read(0x20, 4)).toBe(1);
    expect(routes[20]!.level).toBe(1);
    hpet.write(0x20, 1, 4);
    expect(routes[20]!.level).toBe(0);
    expect(hpet.read(0x20, 4)).toBe(0);
  });

  it("a comparator already passed fires at once; 32-bit mode wraps", () => {
    const { hpet, clock, routes } = make();
    hpet.write(0x10, 1, 4);
    clock.advanceTo(10_000); // counter 1000
    hpet.write(T(2), (2 << 9) | 0x4, 4);
    hpet.write(T(2) + 12, 0, 4);
    hpet.write(T(2) + 8, 900, 4);
    clock.advance(0);
    expect(edges(routes[2]!)).toBe(1);
    hpet.write(T(2), (2 << 9) | 0x4 | 0x100, 4);
    hpet.write(T(2) + 8, 999, 4); // 32-bit: matches after the low half wraps
    clock.advanceTo(10_000 + 10 * (0x1_0000_0000 - 2));
    expect(edges(routes[2]!)).toBe(1);
    clock.advanceTo(10_000 + 10 * (0x1_0000_0000 - 1));
    expect(edges(routes[2]!)).toBe(2);
  });

  it("delivers through FSB (MSI) when enabled", () => {
    const { hpet, clock, msis } = make(true);
    hpet.write(T(2), 0x4 | 0x4000, 4);
    hpet.write(T(2) + 0x10, 0x41, 4);
    hpet.write(T(2) + 0x14, 0xfee00000, 4);
    hpet.write(T(2) + 8, 3, 4);
    hpet.write(T(2) + 12, 0, 4);
    hpet.write(0x10, 1, 4);
    clock.advanceTo(30);
    expect(msis).toEqual([[0xfee00000, 0x41]]);
  });

  it("validates options and logs guest errors", () => {
    const base = { clock: new FakeClock(), logger: new Logger(), routes: [] };
    expect(() => new Hpet("h", { ...base, timers: 2 })).toThrow(ConfigError);
    expect(() => new Hpet("h", { ...base, routes: new Array(33).fill(undefined) })).toThrow(ConfigError);
    const { hpet, logs } = make();
    hpet.read(0x300, 4);
    hpet.write(T(0), (3 << 9) | 0x4, 4); // enabled on route 3, not in the capability mask
    hpet.write(T(0) + 4, 0, 4);
    expect(logs.length).toBe(3);
  });

  it("round-trips state", () => {
    const a = make();
    a.hpet.write(0x10, 1, 4);
    a.hpet.write(T(0), 0x4 | 0x8 | 0x40 | 0x100 | (2 << 9), 4);
    a.hpet.write(T(0) + 8, 1000, 4);
    a.hpet.write(T(0) + 8, 1000, 4);
    a.clock.advanceTo(25_000);
    const st = JSON.parse(JSON.stringify(a.hpet.getState()));
    const b = make();
    b.clock.advanceTo(25_000);
    b.hpet.setState(st);
    expect(b.hpet.getState()).toEqual(a.hpet.getState());
    expect(b.hpet.read(0xf0, 4)).toBe(2500);
    b.clock.advanceTo(30_000);
    expect(edges(b.routes[2]!)).toBe(1);
  });
});
