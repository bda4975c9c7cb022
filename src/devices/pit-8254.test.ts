import { describe, expect, it } from "vitest";
import { ConfigError } from "../common/errors.js";
import { Logger } from "../common/log.js";
import { IrqRecorder } from "./irq.js";
import { PIT_HZ, Pit8254 } from "./pit-8254.js";
import { Port61 } from "./port61.js";
import { FakeClock } from "./testing/fake-clock.js";
import { nsAtTicks } from "./tick-math.js";

function make(): { pit: Pit8254; clock: FakeClock; irq0: IrqRecorder; p61: Port61 } {
  const clock = new FakeClock();
  const logger = new Logger();
  const irq0 = new IrqRecorder();
  const pit = new Pit8254("pit", { clock, logger, outputs: [irq0] });
  const p61 = new Port61("p61", { clock, logger, speakerTimer: pit.channel(2) });
  pit.realize();
  p61.realize();
  return { pit, clock, irq0, p61 };
}

/** Time (ns) of PIT tick `t`. */
const at = (t: number): number => nsAtTicks(t, PIT_HZ);

function latch(pit: Pit8254, ch: number): number {
  pit.write(3, ch << 6, 1);
  const lo = pit.read(ch, 1);
  return lo | (pit.read(ch, 1) << 8);
}

describe("Pit8254", () => {
  it("pit_calibrate_tsc: channel 2 mode 0 gated by port 0x61, OUT visible at bit 5 exactly at terminal count", () => {
    const { pit, clock, p61 } = make();
    p61.write(0, (p61.read(0, 1) & ~0x02) | 0x01, 1);
    pit.write(3, 0xb0, 1);
    const latchTicks = Math.floor(PIT_HZ / 100); // 10 ms
    pit.write(2, latchTicks & 0xff, 1);
    pit.write(2, latchTicks >> 8, 1);
    expect(p61.read(0, 1) & 0x20).toBe(0);
    clock.advanceTo(at(latchTicks) - 1);
    expect(p61.read(0, 1) & 0x20).toBe(0);
    clock.advanceTo(at(latchTicks));
    expect(p61.read(0, 1) & 0x20).toBe(0x20);
    expect(p61.read(0, 1) & 0x01).toBe(1);
  });

  it("quick_pit_calibrate: mode 0 from 0xffff, LSB/MSB reads without latch follow the clock", () => {
    const { pit, clock, p61 } = make();
    p61.write(0, 0x01, 1);
    pit.write(3, 0xb0, 1);
    pit.write(2, 0xff, 1);
    pit.write(2, 0xff, 1);
    clock.advanceTo(at(256 * 3 + 5));
    pit.read(2, 1); // LSB
    expect(pit.read(2, 1)).toBe(0xfc); // MSB: 0xffff - 773 = 0xfcfa
    clock.advanceTo(at(256 * 4 + 10));
    expect(pit.read(2, 1)).toBe(0xf5); // LSB of 0xfbf5
    expect(pit.read(2, 1)).toBe(0xfb);
  });

  it("channel 2 does not count while its gate is low (port 0x61 bit 0) in mode 0", () => {
    const { pit, clock, p61 } = make();
    pit.write(3, 0xb0, 1);
    pit.write(2, 100, 1);
    pit.write(2, 0, 1);
    clock.advanceTo(at(50));
    expect(latch(pit, 2)).toBe(100);
    p61.write(0, 1, 1);
    clock.advanceTo(at(80));
    expect(latch(pit, 2)).toBe(70);
    p61.write(0, 0, 1);
    clock.advanceTo(at(500));
    expect(latch(pit, 2)).toBe(70);
    p61.write(0, 1, 1);
    clock.advanceTo(at(570));
    expect(p61.read(0, 1) & 0x20).toBe(0x20);
  });

  it("mode 2 rate generator on channel 0 gives one rising edge per period on IRQ0", () => {
    const { pit, clock, irq0 } = make();
    pit.write(3, 0x34, 1);
    pit.write(0, 1000 & 0xff, 1);
    pit.write(0, 1000 >> 8, 1);
    const start = irq0.history.length;
    const rises = (): number => irq0.history.slice(start).filter((l) => l === 1).length;
    clock.advanceTo(at(1000 * 10 + 500));
    expect(rises()).toBe(10);
    expect(irq0.level).toBe(1);
    expect(latch(pit, 0)).toBe(500);
    clock.advanceTo(at(1000 * 11 - 1));
    expect(irq0.level).toBe(0); // low for the one clock where the counter is 1
    expect(latch(pit, 0)).toBe(1);
    clock.advanceTo(at(1000 * 11));
    expect(irq0.level).toBe(1);
    expect(latch(pit, 0)).toBe(1000);
  });

  it("mode 3 square wave: high for the first half, low for the second, counter steps by 2", () => {
    const { pit, clock, irq0 } = make();
    pit.write(3, 0x36, 1);
    pit.write(0, 100, 1);
    pit.write(0, 0, 1);
    clock.advanceTo(at(10));
    expect(irq0.level).toBe(1);
    expect(latch(pit, 0)).toBe(80);
    clock.advanceTo(at(50));
    expect(irq0.level).toBe(0);
    clock.advanceTo(at(100));
    expect(irq0.level).toBe(1);
    clock.advanceTo(at(1000));
    expect(irq0.history.slice(-20).filter((l) => l === 1).length).toBe(10);
  });

  it("mode 0 on channel 0: a single interrupt, then the timer goes idle (Linux pit_shutdown)", () => {
    const { pit, clock, irq0 } = make();
    pit.write(3, 0x30, 1);
    pit.write(0, 0, 1);
    pit.write(0, 0, 1); // 0 means 65536
    expect(irq0.level).toBe(0);
    clock.advanceTo(at(65535));
    expect(irq0.level).toBe(0);
    clock.advanceTo(at(65536));
    expect(irq0.level).toBe(1);
    expect(clock.armedCount).toBe(0);
    clock.advanceTo(at(65536 + 10));
    expect(latch(pit, 0)).toBe(0x10000 - 10);
  });

  it("modes 1 and 5 wait for a gate rising edge; mode 4 strobes for one clock", () => {
    const { pit, clock, p61 } = make();
    pit.write(3, 0xb2, 1); // ch2 mode 1
    pit.write(2, 10, 1);
    pit.write(2, 0, 1);
    clock.advanceTo(at(20));
    expect(p61.read(0, 1) & 0x20).toBe(0x20);
    p61.write(0, 1, 1);
    expect(p61.read(0, 1) & 0x20).toBe(0);
    clock.advanceTo(at(30));
    expect(p61.read(0, 1) & 0x20).toBe(0x20);
    pit.write(3, 0xba, 1); // ch2 mode 5
    pit.write(2, 5, 1);
    pit.write(2, 0, 1);
    p61.write(0, 0, 1);
    p61.write(0, 1, 1);
    clock.advanceTo(at(35));
    expect(p61.read(0, 1) & 0x20).toBe(0);
    clock.advanceTo(at(36));
    expect(p61.read(0, 1) & 0x20).toBe(0x20);
    pit.write(3, 0xb8, 1); // ch2 mode 4
    pit.write(2, 3, 1);
    pit.write(2, 0, 1);
    clock.advanceTo(at(38));
    expect(p61.read(0, 1) & 0x20).toBe(0x20);
    clock.advanceTo(at(39));
    expect(p61.read(0, 1) & 0x20).toBe(0);
    clock.advanceTo(at(40));
    expect(p61.read(0, 1) & 0x20).toBe(0x20);
  });

  it("read-back latches status and count; LSB-only and MSB-only access modes", () => {
    const { pit, clock } = make();
    pit.write(3, 0x54, 1); // ch1 LSB only, mode 2
    expect(pit.read(3, 1)).toBe(0xff);
    pit.write(3, 0xc4, 1); // read-back ch1, count + status
    expect(pit.read(1, 1)).toBe(0x40 | 0x80 | (1 << 4) | (2 << 1)); // null count, OUT high
    expect(pit.read(1, 1)).toBe(0); // then the latched count (no count yet: 0x10000)
    pit.write(1, 200, 1);
    clock.advanceTo(at(50));
    pit.write(3, 0xe4, 1); // read-back ch1 status only
    expect(pit.read(1, 1)).toBe(0x80 | (1 << 4) | (2 << 1));
    pit.write(3, 0xd4, 1); // read-back ch1 count only
    clock.advanceTo(at(60));
    expect(pit.read(1, 1)).toBe(150);
    expect(pit.read(1, 1)).toBe(140); // live
    pit.write(3, 0x60, 1); // ch1 MSB only, mode 0
    pit.write(1, 0x12, 1);
    expect(pit.read(1, 1)).toBe(0x12);
  });

  it("counts in BCD", () => {
    const { pit, clock } = make();
    pit.write(3, 0x71, 1); // ch1 LSB/MSB mode 0 BCD
    pit.write(1, 0x00, 1);
    pit.write(1, 0x10, 1); // 1000 decimal
    clock.advanceTo(at(1));
    expect(latch(pit, 1)).toBe(0x0999);
  });

  it("rejects too many outputs; logs guest errors", () => {
    expect(() => new Pit8254("p", { clock: new FakeClock(), logger: new Logger(), outputs: [undefined, undefined, undefined, undefined] })).toThrow(ConfigError);
    const logs: string[] = [];
    const pit = new Pit8254("p", { clock: new FakeClock(), logger: new Logger((_c, m) => logs.push(m)) });
    pit.write(7, 0, 1);
    expect(logs.length).toBe(1);
    expect(() => pit.channel(3)).toThrow(ConfigError);
  });

  it("round-trips state", () => {
    const a = make();
    a.pit.write(3, 0x34, 1);
    a.pit.write(0, 0x10, 1);
    a.pit.write(0, 0x27, 1);
    a.clock.advanceTo(at(3000));
    const st = JSON.parse(JSON.stringify(a.pit.getState()));
    const b = make();
    b.clock.advanceTo(at(3000));
    b.pit.setState(st);
    expect(b.pit.getState()).toEqual(a.pit.getState());
    expect(latch(b.pit, 0)).toBe(latch(a.pit, 0));
    b.clock.advanceTo(at(0x2710 * 2));
    expect(b.irq0.history.at(-1)).toBe(1);
  });

  it("stays exact after days of virtual time", () => {
    const clock = new FakeClock(3 * 86_400e9 + 123);
    const irq0 = new IrqRecorder();
    const pit = new Pit8254("pit", { clock, logger: new Logger(), outputs: [irq0] });
    pit.realize();
    pit.write(3, 0x34, 1);
    pit.write(0, 0x9c, 1);
    pit.write(0, 0x2e, 1); // 11932: 100 Hz
    const t0 = clock.now();
    expect(latch(pit, 0)).toBe(11932);
    clock.advance(5_000_000); // 5 ms: half a period
    const d = Number((BigInt(clock.now()) * BigInt(PIT_HZ)) / 1_000_000_000n - (BigInt(t0) * BigInt(PIT_HZ)) / 1_000_000_000n);
    expect(d).toBe(5966);
    expect(latch(pit, 0)).toBe(11932 - d);
    const before = irq0.history.length;
    clock.advance(1e9);
    expect(irq0.history.slice(before).filter((l) => l === 1).length).toBe(100);
  });
});
