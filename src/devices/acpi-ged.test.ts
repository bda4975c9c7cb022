import { describe, expect, it } from "vitest";
import { AcpiGed, GedEvent } from "./acpi-ged.js";
import { createTestMachine } from "./testing/test-machine.js";

const EVT = 0xfea00000, REGS = 0xfea00200;

function make() {
  const m = createTestMachine();
  const irq = m.irq();
  const ged = new AcpiGed("ged", { system: m.system, logger: m.logger, irq, s5SleepType: 5, resetValue: 0x42 });
  ged.realize();
  m.mapMmio(EVT, 4, ged.evt);
  m.mapMmio(REGS, 3, ged.regs);
  return { m, irq, ged };
}

describe("ACPI GED", () => {
  it("SLEEP_CONTROL with SLP_EN and the S5 type powers off with status 0; other types do not", () => {
    const { m } = make();
    m.writeb(REGS, (3 << 2) | 0x20); // S3: not supported
    m.writeb(REGS, 5 << 2); // S5 type without SLP_EN
    expect(m.system.requests).toEqual([]);
    expect(m.logsOf("unimp").join()).toMatch(/sleep type 3/);
    m.writeb(REGS + 1, 0x80); // Linux clears WAK_STS first: ignored
    m.writeb(REGS, (5 << 2) | 0x20);
    expect(m.system.last).toEqual({ kind: "poweroff", reason: "ACPI S5 (GED sleep control)", exitCode: 0 });
    expect(m.readb(REGS + 1)).toBe(0);
  });

  it("RESET_REG resets only on the reset value", () => {
    const { m } = make();
    m.writeb(REGS + 2, 0x41);
    expect(m.system.requests).toEqual([]);
    expect(m.logsOf("guest_error").join()).toMatch(/reset register/);
    m.writeb(REGS + 2, 0x42);
    expect(m.system.last?.kind).toBe("reset");
  });

  it("an event latches in ESEL and pulses the interrupt; reading ESEL clears it", () => {
    const { m, irq, ged } = make();
    expect(m.readl(EVT)).toBe(0);
    ged.raise(GedEvent.POWER_DOWN);
    expect(irq.history).toEqual([1, 0]);
    expect(ged.getState()).toEqual({ sel: 2 });
    expect(m.readl(EVT)).toBe(2);
    expect(m.readl(EVT)).toBe(0);
    m.writel(EVT, 1); // read-only
    expect(m.logsOf("guest_error").join()).toMatch(/read-only event selector/);
    ged.raise(GedEvent.POWER_DOWN);
    ged.reset();
    expect(m.readl(EVT)).toBe(0);
  });

  it("accepts only its access sizes (byte registers, dword ESEL) and validates options", () => {
    const { m } = make();
    m.mem.write(REGS, (5 << 2) | 0x20 | 0x100, 2); // a word write is a guest error, not a power-off
    expect(m.system.requests).toEqual([]);
    expect(() => new AcpiGed("g", { system: m.system, logger: m.logger, irq: m.irq(), s5SleepType: 8, resetValue: 0x42 })).toThrow(/s5SleepType/);
    expect(() => new AcpiGed("g", { system: m.system, logger: m.logger, irq: m.irq(), s5SleepType: 5, resetValue: 0x100 })).toThrow(/resetValue/);
  });
});
