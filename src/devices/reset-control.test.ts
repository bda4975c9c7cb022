import { describe, expect, it } from "vitest";
import { ConfigError } from "../common/errors.js";
import { ResetControl } from "./reset-control.js";
import { createTestMachine } from "./testing/test-machine.js";

describe("ResetControl", () => {
  it("requests a reset when bit 2 is written, reporting hard vs soft", () => {
    const m = createTestMachine();
    const rcr = new ResetControl({ system: m.system });
    rcr.realize();
    m.mapIo(0xcf9, 1, rcr);
    m.outb(0xcf9, 0x02);
    expect(m.system.requests).toEqual([]);
    expect(m.inb(0xcf9)).toBe(0x02);
    m.outb(0xcf9, 0x06);
    expect(m.system.last).toEqual({ kind: "reset", reason: "port 0xcf9 hard reset" });
    m.outb(0xcf9, 0x00);
    m.outb(0xcf9, 0x04);
    expect(m.system.last).toEqual({ kind: "reset", reason: "port 0xcf9 soft reset" });
    expect(m.system.requests).toHaveLength(2);
    const r2 = new ResetControl({ system: m.system });
    r2.setState({ rcr: 2 });
    expect(r2.getState()).toEqual({ rcr: 2 });
    expect(() => new ResetControl({ system: undefined as never })).toThrow(ConfigError);
  });
});
