import { describe, expect, it } from "vitest";
import { ConfigError } from "../common/errors.js";
import { I8042 } from "./i8042.js";
import { createTestMachine, type TestMachine } from "./testing/test-machine.js";
import type { IrqRecorder } from "./irq.js";

function setup(): { m: TestMachine; kbc: I8042; irq1: IrqRecorder; irq12: IrqRecorder } {
  const m = createTestMachine();
  const irq1 = m.irq();
  const irq12 = m.irq();
  const kbc = new I8042({ kbdIrq: irq1, mouseIrq: irq12, system: m.system, logger: m.logger });
  kbc.realize();
  m.mapIo(0x60, 1, kbc.dataOps, "i8042-data");
  m.mapIo(0x64, 1, kbc.commandOps, "i8042-cmd");
  return { m, kbc, irq1, irq12 };
}

/** Issue a controller command and collect the reply bytes. */
function command(m: TestMachine, cmd: number, data?: number): number[] {
  m.outb(0x64, cmd);
  if (data !== undefined) m.outb(0x60, data);
  const out: number[] = [];
  while (m.inb(0x64) & 1) out.push(m.inb(0x60));
  return out;
}

describe("I8042", () => {
  it("validates options", () => {
    const m = createTestMachine();
    expect(() => new I8042({ kbdIrq: m.irq(), mouseIrq: undefined as never, system: m.system })).toThrow(ConfigError);
    expect(() => new I8042({ kbdIrq: m.irq(), mouseIrq: m.irq(), system: {} as never })).toThrow(ConfigError);
  });

  it("answers the Linux probe sequence", () => {
    const { m } = setup();
    expect(m.inb(0x64)).not.toBe(0xff);
    expect(command(m, 0xaa)).toEqual([0x55]);
    expect(m.inb(0x64) & 0x04).toBe(0x04);
    expect(command(m, 0xab)).toEqual([0x00]);
    expect(command(m, 0xa9)).toEqual([0x00]);
    const ctr = command(m, 0x20)[0]!;
    expect(ctr & 0x03).toBe(0x03);
    expect(command(m, 0x60, 0x45)).toEqual([]);
    expect(command(m, 0x20)).toEqual([0x45]);
    expect(command(m, 0xd3, 0x5a)).toEqual([0x5a]); // AUX loopback
    expect(command(m, 0xa7)).toEqual([]);
    expect(command(m, 0x20)[0]! & 0x20).toBe(0x20);
    command(m, 0xa8);
    expect(command(m, 0x20)[0]! & 0x20).toBe(0);
  });

  it("resets and identifies the keyboard, honouring the disable bit", () => {
    const { m, irq1 } = setup();
    command(m, 0x60, 0x41 | 0x04); // KBD_INT, SYS, translate
    m.outb(0x60, 0xff);
    expect(irq1.level).toBe(1);
    expect(m.inb(0x60)).toBe(0xfa);
    expect(m.inb(0x60)).toBe(0xaa);
    expect(irq1.level).toBe(0);
    m.outb(0x60, 0xf2);
    expect([m.inb(0x60), m.inb(0x60), m.inb(0x60)]).toEqual([0xfa, 0xab, 0x41]);
    command(m, 0xad);
    m.outb(0x60, 0xee); // writing to the keyboard re-enables it
    expect(m.inb(0x60)).toBe(0xee);
  });

  it("holds keyboard bytes while the keyboard interface is disabled", () => {
    const { m, kbc, irq1 } = setup();
    command(m, 0xad);
    kbc.injectKeyboard([0x1e]);
    expect(m.inb(0x64) & 1).toBe(0);
    expect(irq1.level).toBe(0);
    m.outb(0x64, 0xae);
    expect(irq1.level).toBe(1);
    expect(m.inb(0x60)).toBe(0x1e);
  });

  it("talks to the mouse through 0xD4 and raises IRQ12", () => {
    const { m, irq12 } = setup();
    m.outb(0x64, 0xd4);
    m.outb(0x60, 0xff);
    expect(irq12.level).toBe(1);
    expect(m.inb(0x64) & 0x21).toBe(0x21);
    expect([m.inb(0x60), m.inb(0x60), m.inb(0x60)]).toEqual([0xfa, 0xaa, 0x00]);
    m.outb(0x64, 0xd4);
    m.outb(0x60, 0xf2);
    expect([m.inb(0x60), m.inb(0x60)]).toEqual([0xfa, 0x00]);
    expect(irq12.level).toBe(0);
  });

  it("loops 0xD3 bytes back as mouse data even with both interfaces disabled (Linux's MUX probe)", () => {
    const { m, irq12 } = setup();
    command(m, 0x60, 0x30); // interrupts off, keyboard and mouse interfaces disabled
    for (const b of [0xf0, 0x56, 0xa4]) {
      m.outb(0x64, 0xd3);
      m.outb(0x60, b);
      expect(m.inb(0x64) & 0x21).toBe(0x21); // OBF with AUX data
      expect(m.inb(0x60)).toBe(b);
    }
    expect(irq12.history).not.toContain(1);
    command(m, 0x60, 0x32); // mouse interrupt on: the loopback byte raises IRQ12
    m.outb(0x64, 0xd3);
    m.outb(0x60, 0xa5);
    expect(irq12.level).toBe(1);
    expect(m.inb(0x60)).toBe(0xa5);
    expect(irq12.level).toBe(0);
  });

  it("gives an edge-triggered IRQ1 one rising edge per byte", () => {
    const { m, irq1 } = setup();
    command(m, 0x60, 0x01);
    irq1.history.length = 0;
    m.outb(0x60, 0xf2); // ACK, 0xAB, 0x83: three bytes queued at once
    expect(irq1.history).toEqual([1]);
    expect([m.inb(0x60), m.inb(0x60), m.inb(0x60)]).toEqual([0xfa, 0xab, 0x83]);
    expect(irq1.history).toEqual([1, 0, 1, 0, 1, 0]);
  });

  it("drives A20 and reset through the output port and 0xFE", () => {
    const { m, kbc } = setup();
    const a20: boolean[] = [];
    kbc.onA20Change((on) => a20.push(on));
    expect(kbc.a20).toBe(true);
    command(m, 0xd1, 0x01);
    expect(kbc.a20).toBe(false);
    command(m, 0xd1, 0x03);
    expect(a20).toEqual([false, true]);
    expect(command(m, 0xd0)[0]! & 0x03).toBe(0x03);
    expect(m.system.requests).toEqual([]);
    m.outb(0x64, 0xfe);
    expect(m.system.last).toEqual({ kind: "reset", reason: "i8042 reset pulse" });
    m.outb(0x64, 0xff); // pulse nothing
    expect(m.system.requests).toHaveLength(1);
  });

  it("logs unknown commands and round-trips state", () => {
    const { m, kbc } = setup();
    m.outb(0x64, 0x99);
    expect(m.logsOf("guest_error")).toHaveLength(1);
    kbc.injectKeyboard([0x1e, 0x9e]);
    const st = kbc.getState();
    const b = setup();
    b.kbc.setState(JSON.parse(JSON.stringify(st)));
    expect(b.kbc.getState()).toEqual(st);
    expect(b.irq1.level).toBe(1);
    expect([b.m.inb(0x60), b.m.inb(0x60)]).toEqual([0x1e, 0x9e]);
  });
});
