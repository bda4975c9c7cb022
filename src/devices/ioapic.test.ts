import { describe, expect, it } from "vitest";
import { ConfigError } from "../common/errors.js";
import { Logger } from "../common/log.js";
import { Ioapic } from "./ioapic.js";
import type { ApicInterruptTarget, DeliveryMode } from "./lapic-defs.js";

interface Msg { vector: number; mode: DeliveryMode; logical: boolean; dest: number; level: boolean }

function make() {
  const msgs: Msg[] = [];
  const target: ApicInterruptTarget = { deliver: (vector, mode, logical, dest, level) => { msgs.push({ vector, mode, logical, dest, level }); } };
  const logs: string[] = [];
  const io = new Ioapic("ioapic", { logger: new Logger((_c, m) => logs.push(m)), target, ioapicId: 1 });
  io.realize();
  return { io, msgs, logs };
}

function writeReg(io: Ioapic, r: number, v: number): void {
  io.write(0, r, 1);
  io.write(0x10, v, 4);
}
function readReg(io: Ioapic, r: number): number {
  io.write(0, r, 1);
  return io.read(0x10, 4);
}

describe("Ioapic", () => {
  it("reports ID, version 0x20 with 24 pins, arbitration ID; entries masked at reset", () => {
    const { io } = make();
    expect(readReg(io, 0)).toBe(0x01000000);
    expect(readReg(io, 1)).toBe(0x00170020);
    expect(readReg(io, 2)).toBe(0x01000000);
    for (let e = 0; e < 24; e++) expect(readReg(io, 0x10 + 2 * e)).toBe(0x10000);
    writeReg(io, 0, 0x0a000000);
    expect(readReg(io, 0)).toBe(0x0a000000);
    expect(io.read(0, 1)).toBe(0);
  });

  it("delivers edge interrupts on rising edges only when unmasked", () => {
    const { io, msgs } = make();
    io.irq[2]!.pulse();
    expect(msgs).toEqual([]);
    writeReg(io, 0x10 + 4, 0x30);
    writeReg(io, 0x11 + 4, 0x03000000);
    io.irq[2]!.set(1);
    io.irq[2]!.set(1);
    io.irq[2]!.set(0);
    expect(msgs).toEqual([{ vector: 0x30, mode: 0, logical: false, dest: 3, level: false }]);
    expect(readReg(io, 0x11 + 4)).toBe(0x03000000);
  });

  it("level interrupts set remote IRR until EOI and redeliver while asserted", () => {
    const { io, msgs } = make();
    writeReg(io, 0x10 + 2 * 9, 0xa000 | 0x41 | (1 << 11) | (1 << 8)); // level, active low, logical, lowest prio
    writeReg(io, 0x11 + 2 * 9, 0x01000000);
    io.irq[9]!.set(1);
    expect(msgs.length).toBe(1);
    expect(msgs[0]).toEqual({ vector: 0x41, mode: 1, logical: true, dest: 1, level: true });
    expect(readReg(io, 0x10 + 18) & (1 << 14)).toBe(1 << 14);
    io.irq[9]!.set(1);
    expect(msgs.length).toBe(1);
    io.eoi(0x41);
    expect(msgs.length).toBe(2); // still asserted
    io.irq[9]!.set(0);
    io.eoi(0x41);
    expect(readReg(io, 0x10 + 18) & (1 << 14)).toBe(0);
    expect(msgs.length).toBe(2);
    // EOI register at 0x40 (version 0x20)
    io.irq[9]!.set(1);
    expect(msgs.length).toBe(3);
    io.irq[9]!.set(0);
    io.write(0x40, 0x41, 4);
    expect(readReg(io, 0x10 + 18) & (1 << 14)).toBe(0);
  });

  it("delivers a pending level interrupt when the entry is unmasked; remote IRR is read-only", () => {
    const { io, msgs } = make();
    writeReg(io, 0x10 + 2 * 11, 0x18051);
    io.irq[11]!.set(1);
    expect(msgs.length).toBe(0);
    writeReg(io, 0x10 + 2 * 11, 0x08051 | (1 << 14) | (1 << 12));
    expect(msgs.length).toBe(1);
    expect(readReg(io, 0x10 + 22)).toBe(0x8051 | (1 << 14));
    writeReg(io, 0x10 + 2 * 11, 0x00051); // switch to edge: remote IRR cleared
    expect(readReg(io, 0x10 + 22)).toBe(0x51);
  });

  it("logs bad registers and offsets; rejects bad options", () => {
    const { io, logs } = make();
    expect(readReg(io, 0x10 + 48)).toBe(0);
    writeReg(io, 0x05, 1);
    io.write(0x20, 1, 4);
    expect(logs.length).toBe(3);
    const target: ApicInterruptTarget = { deliver: () => {} };
    expect(() => new Ioapic("x", { logger: new Logger(), target, pins: 0 })).toThrow(ConfigError);
    expect(() => new Ioapic("x", { logger: new Logger(), target, ioapicId: 16 })).toThrow(ConfigError);
  });

  it("round-trips state", () => {
    const a = make();
    writeReg(a.io, 0x10 + 2 * 5, 0x8045);
    a.io.irq[5]!.set(1);
    const st = JSON.parse(JSON.stringify(a.io.getState()));
    const b = make();
    b.io.setState(st);
    expect(b.io.getState()).toEqual(a.io.getState());
    b.io.eoi(0x45);
    expect(b.msgs.length).toBe(1); // still asserted after restore: redelivered
  });
});
