import { describe, expect, it } from "vitest";
import { ConfigError } from "../common/errors.js";
import { DebugExit } from "./debug-exit.js";
import { createTestMachine } from "./testing/test-machine.js";

describe("DebugExit", () => {
  it("powers off with (v << 1) | 1", () => {
    const m = createTestMachine();
    const dev = new DebugExit({ system: m.system, ioSize: 4 });
    dev.realize();
    m.mapIo(0xf4, 4, dev);
    m.outb(0xf4, 0x10);
    expect(m.system.last).toEqual({ kind: "poweroff", reason: "isa-debug-exit", exitCode: 0x21 });
    m.outl(0xf4, 0xffffffff);
    expect(m.system.last).toMatchObject({ exitCode: 0x1ffffffff });
    expect(m.inb(0xf4)).toBe(0);
    const s = dev.getState();
    const d2 = new DebugExit({ system: m.system });
    d2.setState(s);
    expect(d2.getState()).toEqual(s);
  });

  it("validates options", () => {
    const m = createTestMachine();
    expect(() => new DebugExit({ system: m.system, ioSize: 3 as 1 })).toThrow(ConfigError);
    expect(() => new DebugExit({ system: null as never })).toThrow(ConfigError);
  });
});
