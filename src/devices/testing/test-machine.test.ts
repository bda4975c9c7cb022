import { describe, expect, it } from "vitest";
import type { AccessSize } from "../../memory/types.js";
import { createTestMachine } from "./test-machine.js";

describe("TestMachine", () => {
  it("routes port and MMIO accesses to mapped ops and reports unassigned ones", () => {
    const m = createTestMachine();
    const seen: string[] = [];
    const ops = {
      read: (o: number, s: AccessSize) => { seen.push(`r${s}@${o}`); return 0xab; },
      write: (o: number, v: number, s: AccessSize) => { seen.push(`w${s}@${o}=${v}`); },
      impl: { min: 1 as const, max: 1 as const },
    };
    m.mapIo(0x80, 2, ops);
    m.mapMmio(0xfed00000, 0x10, ops);
    m.outb(0x81, 7);
    expect(m.inb(0x80)).toBe(0xab);
    expect(m.readw(0xfed00004)).toBe(0xabab);
    expect(seen).toEqual(["w1@1=7", "r1@0", "r1@4", "r1@5"]);
    expect(m.inl(0x1000)).toBe(0xffffffff);
    expect(m.logsOf("guest_error")).toHaveLength(1);
    const ram = m.mapRam(0, 0x1000);
    m.writel(0x10, 0x11223344);
    expect(ram[0x10]).toBe(0x44);
    expect(m.readq(0x10)).toEqual({ lo: 0x11223344, hi: 0 });
  });

  it("advances the deterministic clock and fires timers", () => {
    const m = createTestMachine();
    let at = -1;
    m.clock.newTimer((now) => { at = now; }).setDeadline(1000);
    m.advance(999);
    expect(at).toBe(-1);
    expect(m.stepToNextDeadline()).toBe(1000);
    expect(at).toBe(1000);
    m.system.requestPowerOff("test", 3);
    expect(m.system.last).toEqual({ kind: "poweroff", reason: "test", exitCode: 3 });
  });
});
