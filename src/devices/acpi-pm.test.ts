import { describe, expect, it } from "vitest";
import { ConfigError } from "../common/errors.js";
import { Logger } from "../common/log.js";
import { AcpiPm, PM_TIMER_HZ } from "./acpi-pm.js";
import { IrqRecorder } from "./irq.js";
import type { SystemControl } from "./system-control.js";
import { FakeClock } from "./testing/fake-clock.js";
import { nsAtTicks } from "./tick-math.js";

function make(opts: { timer32?: boolean; sciEnabledAtReset?: boolean } = {}) {
  const clock = new FakeClock();
  const sci = new IrqRecorder();
  const offs: [string, number | undefined][] = [];
  const system: SystemControl = { requestReset: () => {}, requestPowerOff: (r, c) => { offs.push([r, c]); } };
  const logs: string[] = [];
  const pm = new AcpiPm("pm", { clock, logger: new Logger((_c, m) => logs.push(m)), system, sci, s5SleepType: 5, ...opts });
  pm.realize();
  return { clock, sci, offs, pm, logs };
}

const at = (t: number): number => nsAtTicks(t, PM_TIMER_HZ);

describe("AcpiPm", () => {
  it("PM timer counts at 3.579545 MHz and wraps at 24 bits (or 32 with TMR_VAL_EXT)", () => {
    const { pm, clock } = make();
    clock.advanceTo(at(123456));
    expect(pm.tmr.read(0, 4)).toBe(123456);
    expect(pm.tmr.read(1, 1)).toBe((123456 >> 8) & 0xff);
    clock.advanceTo(at(0x1000005));
    expect(pm.tmr.read(0, 4)).toBe(5);
    const b = make({ timer32: true });
    b.clock.advanceTo(at(0x1000005));
    expect(b.pm.tmr.read(0, 4)).toBe(0x1000005);
  });

  it("sets TMR_STS when bit 23 toggles, raises SCI if TMR_EN, clears on write-1", () => {
    const { pm, clock, sci } = make();
    pm.evt.write(2, 0x0001, 2); // TMR_EN
    clock.advanceTo(at(0x800000) - 1);
    expect(pm.evt.read(0, 2) & 1).toBe(0);
    expect(sci.level).toBe(0);
    clock.advanceTo(at(0x800000));
    expect(pm.evt.read(0, 2) & 1).toBe(1);
    expect(sci.level).toBe(1);
    pm.evt.write(0, 0x0001, 2);
    expect(pm.evt.read(0, 2) & 1).toBe(0);
    expect(sci.level).toBe(0);
    clock.advanceTo(at(0x1000000));
    expect(sci.level).toBe(1);
  });

  it("power button sets PWRBTN_STS and raises SCI only when enabled", () => {
    const { pm, sci } = make();
    pm.pressPowerButton();
    expect(pm.evt.read(0, 4)).toBe(0x100);
    expect(sci.level).toBe(0);
    pm.evt.write(3, 0x01, 1); // PWRBTN_EN (high byte of PM1_EN)
    expect(pm.evt.read(2, 2)).toBe(0x100);
    expect(sci.level).toBe(1);
    pm.evt.write(1, 0x01, 1);
    expect(sci.level).toBe(0);
  });

  it("SLP_TYP = S5 with SLP_EN requests power-off; other sleep types are logged", () => {
    const { pm, offs, logs } = make();
    pm.cnt.write(0, (5 << 10), 2); // type without SLP_EN: nothing
    expect(offs).toEqual([]);
    expect(pm.cnt.read(0, 2)).toBe(5 << 10);
    pm.cnt.write(0, (1 << 10) | (1 << 13), 2);
    expect(offs).toEqual([]);
    expect(logs.some((l) => l.includes("sleep type 1"))).toBe(true);
    pm.cnt.write(0, (5 << 10) | (1 << 13) | 1, 2);
    expect(offs).toEqual([["acpi-s5", 0]]);
    expect(pm.cnt.read(0, 2) & (1 << 13)).toBe(0); // SLP_EN reads 0
  });

  it("SCI_EN follows the reset option and is guest writable", () => {
    expect(make().pm.cnt.read(0, 2)).toBe(0);
    const { pm } = make({ sciEnabledAtReset: true });
    expect(pm.cnt.read(0, 2)).toBe(1);
    pm.cnt.write(0, 0, 1);
    expect(pm.cnt.read(0, 1)).toBe(0);
  });

  it("GPE0 status/enable drive SCI", () => {
    const { pm, sci } = make();
    pm.raiseGpe(9);
    expect(pm.gpe0.read(0, 2)).toBe(0x200);
    expect(sci.level).toBe(0);
    pm.gpe0.write(2, 0x200, 2);
    expect(sci.level).toBe(1);
    pm.gpe0.write(0, 0x200, 2);
    expect(sci.level).toBe(0);
    expect(() => pm.raiseGpe(16)).toThrow(ConfigError);
  });

  it("validates options; logs bad accesses", () => {
    const base = { clock: new FakeClock(), logger: new Logger(), sci: new IrqRecorder(),
      system: { requestReset: () => {}, requestPowerOff: () => {} } };
    expect(() => new AcpiPm("p", { ...base, s5SleepType: 8 })).toThrow(ConfigError);
    expect(() => new AcpiPm("p", { ...base, s5SleepType: 0, gpe0Length: 3 })).toThrow(ConfigError);
    const { pm, logs } = make();
    pm.tmr.write(0, 1, 4);
    pm.evt.read(3, 2);
    expect(logs.length).toBe(2);
  });

  it("round-trips state", () => {
    const a = make();
    a.pm.evt.write(2, 0x101, 2);
    a.pm.pressPowerButton();
    a.pm.raiseGpe(1);
    a.clock.advanceTo(at(1000));
    const st = JSON.parse(JSON.stringify(a.pm.getState()));
    const b = make();
    b.clock.advanceTo(at(1000));
    b.pm.setState(st);
    expect(b.pm.getState()).toEqual(a.pm.getState());
    expect(b.sci.level).toBe(1);
    expect(b.pm.evt.read(0, 4)).toBe(a.pm.evt.read(0, 4));
  });
});
