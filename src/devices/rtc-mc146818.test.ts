import { describe, expect, it } from "vitest";
import { ConfigError } from "../common/errors.js";
import { Logger } from "../common/log.js";
import { IrqRecorder } from "./irq.js";
import { pcCmosMemoryBytes, RtcMc146818 } from "./rtc-mc146818.js";
import { FakeClock } from "./testing/fake-clock.js";

const START = Date.UTC(2024, 1, 29, 23, 59, 58, 500); // Thu 2024-02-29 23:59:58.5

function make(startTimeMs = START) {
  const clock = new FakeClock();
  const irq = new IrqRecorder();
  const logs: string[] = [];
  const rtc = new RtcMc146818("rtc", { clock, logger: new Logger((_c, m) => logs.push(m)), irq, startTimeMs });
  rtc.realize();
  return { clock, irq, rtc, logs };
}

function rd(rtc: RtcMc146818, i: number): number {
  rtc.write(0, i, 1);
  return rtc.read(1, 1);
}
function wr(rtc: RtcMc146818, i: number, v: number): void {
  rtc.write(0, i, 1);
  rtc.write(1, v, 1);
}
const time = (rtc: RtcMc146818): number[] => [9, 8, 7, 6, 4, 2, 0, 0x32].map((i) => rd(rtc, i));

describe("RtcMc146818", () => {
  it("reads the injected start time in BCD 24-hour mode with the century byte", () => {
    const { rtc } = make();
    expect(time(rtc)).toEqual([0x24, 0x02, 0x29, 0x05, 0x23, 0x59, 0x58, 0x20]);
    expect(rd(rtc, 0x0a)).toBe(0x26);
    expect(rd(rtc, 0x0b)).toBe(0x02);
    expect(rd(rtc, 0x0d)).toBe(0x80);
  });

  it("advances with the virtual clock across a leap-day month boundary", () => {
    const { rtc, clock } = make();
    clock.advanceTo(1_500_000_000);
    expect(time(rtc)).toEqual([0x24, 0x03, 0x01, 0x06, 0x00, 0x00, 0x00, 0x20]);
  });

  it("sets UIP during the 244 us before each update", () => {
    const { rtc, clock } = make();
    clock.advanceTo(500_000_000 - 244_141 - 1);
    expect(rd(rtc, 0x0a) & 0x80).toBe(0);
    clock.advanceTo(500_000_000 - 244_141);
    expect(rd(rtc, 0x0a) & 0x80).toBe(0x80);
    clock.advanceTo(500_000_000);
    expect(rd(rtc, 0x0a) & 0x80).toBe(0);
    expect(rd(rtc, 0)).toBe(0x59);
  });

  it("supports binary and 12-hour formats", () => {
    const { rtc } = make();
    wr(rtc, 0x0b, 0x04); // binary, 12h
    expect(rd(rtc, 4)).toBe(0x80 | 11);
    expect(rd(rtc, 2)).toBe(59);
    wr(rtc, 0x0b, 0x00); // BCD, 12h
    expect(rd(rtc, 4)).toBe(0x80 | 0x11);
  });

  it("lets the guest set the time with SET, freezing updates meanwhile", () => {
    const { rtc, clock } = make();
    wr(rtc, 0x0b, 0x82);
    wr(rtc, 9, 0x99);
    wr(rtc, 0x32, 0x19);
    wr(rtc, 8, 0x12);
    wr(rtc, 7, 0x31);
    wr(rtc, 4, 0x23);
    wr(rtc, 2, 0x59);
    wr(rtc, 0, 0x59);
    clock.advance(3_000_000_000);
    expect(rd(rtc, 0)).toBe(0x59);
    expect(rd(rtc, 0x0a) & 0x80).toBe(0); // no UIP while SET
    wr(rtc, 0x0b, 0x02);
    clock.advance(1_000_000_000);
    expect(time(rtc)).toEqual([0x00, 0x01, 0x01, 0x07, 0x00, 0x00, 0x00, 0x20]); // Sat 2000-01-01
  });

  it("raises periodic interrupts at the RS rate and clears IRQF on reading C", () => {
    const { rtc, clock, irq } = make(Date.UTC(2020, 0, 1));
    wr(rtc, 0x0b, 0x42); // PIE
    expect(irq.level).toBe(0);
    clock.advanceTo(976_562);
    expect(irq.level).toBe(0);
    clock.advanceTo(976_563); // 1024 Hz
    expect(irq.level).toBe(1);
    expect(rd(rtc, 0x0c)).toBe(0xc0);
    expect(irq.level).toBe(0);
    expect(rd(rtc, 0x0c)).toBe(0);
    wr(rtc, 0x0a, 0x2f); // 2 Hz
    clock.advanceTo(500_000_000);
    expect(irq.level).toBe(1);
    wr(rtc, 0x0b, 0x02);
    expect(clock.armedCount).toBe(0);
  });

  it("raises update-ended and alarm interrupts, with don't-care alarm bytes", () => {
    const { rtc, clock, irq } = make();
    wr(rtc, 1, 0x00); // alarm seconds 00
    wr(rtc, 3, 0xc0); // any minute
    wr(rtc, 5, 0xff); // any hour
    wr(rtc, 0x0b, 0x22); // AIE
    clock.advanceTo(500_000_000); // 23:59:59
    expect(irq.level).toBe(0);
    expect(rd(rtc, 0x0c)).toBe(0x10); // UF set, no IRQ (UIE off)
    clock.advanceTo(1_500_000_000); // 00:00:00
    expect(irq.level).toBe(1);
    expect(rd(rtc, 0x0c)).toBe(0x80 | 0x20 | 0x10);
    wr(rtc, 0x0b, 0x12); // UIE
    clock.advanceTo(2_500_000_000);
    expect(rd(rtc, 0x0c)).toBe(0x90);
  });

  it("stores CMOS bytes, exposes QEMU's pc memory-size layout, and the NMI bit", () => {
    const { rtc } = make();
    for (const [i, v] of pcCmosMemoryBytes(512 * 1024 * 1024, 6 * 1024 * 1024 * 1024)) rtc.setCmosByte(i, v);
    expect([0x15, 0x16, 0x17, 0x18, 0x30, 0x31, 0x34, 0x35, 0x5b, 0x5c, 0x5d].map((i) => rd(rtc, i)))
      .toEqual([0x80, 0x02, 0xff, 0xff, 0xff, 0xff, 0x00, 0x1f, 0x00, 0x80, 0x01]);
    wr(rtc, 0x40, 0xab);
    expect(rd(rtc, 0x40)).toBe(0xab);
    rtc.write(0, 0x80 | 0x40, 1);
    expect(rtc.nmiDisabled).toBe(true);
    expect(rtc.read(1, 1)).toBe(0xab);
    rtc.write(0, 0x40, 1);
    expect(rtc.nmiDisabled).toBe(false);
    expect(() => rtc.setCmosByte(0x0c, 1)).toThrow(ConfigError);
  });

  it("validates options and logs guest errors", () => {
    expect(() => new RtcMc146818("r", { clock: new FakeClock(), logger: new Logger(), irq: new IrqRecorder(), startTimeMs: NaN })).toThrow(ConfigError);
    expect(() => new RtcMc146818("r", { clock: new FakeClock(), logger: new Logger(), irq: new IrqRecorder(), startTimeMs: 0, centuryIndex: 5 })).toThrow(ConfigError);
    const { rtc, logs } = make();
    wr(rtc, 0x0d, 0);
    rtc.read(2, 1);
    expect(logs.length).toBe(2);
    expect(rd(rtc, 0x0d)).toBe(0x80);
  });

  it("round-trips state", () => {
    const a = make();
    wr(a.rtc, 0x0b, 0x42);
    a.clock.advanceTo(3_000_000);
    const st = JSON.parse(JSON.stringify(a.rtc.getState()));
    const b = make(0);
    b.clock.advanceTo(3_000_000);
    b.rtc.setState(st);
    expect(b.rtc.getState()).toEqual(a.rtc.getState());
    expect(time(b.rtc)).toEqual(time(a.rtc));
    expect(b.irq.level).toBe(1);
  });
});
