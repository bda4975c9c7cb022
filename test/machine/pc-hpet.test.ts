/**
 * The pc board's HPET wiring without a guest OS: the HPET is mapped at 0xFED00000, and legacy
 * replacement (LEG_RT_CNF) takes IRQ 0 from the PIT and IRQ 8 from the RTC and gives them to
 * HPET timers 0 and 1, as seen at IOAPIC pins 2 and 8 and the master 8259's inputs; leaving
 * legacy mode, or a machine reset, gives them back. Time is moved by hand (deterministic clock).
 */
import { describe, expect, it } from "vitest";
import { createPcMachine, type PcMachine } from "../../src/machine/pc.js";
import { multibootHello } from "../helpers/multiboot-hello.js";

const HPET = 0xfed00000;
const CFG = HPET + 0x10, COUNTER = HPET + 0xf0;
const tn = (i: number, reg: number): number => HPET + 0x100 + 0x20 * i + reg;
const TN_LEVEL = 1 << 1, TN_INT_ENB = 1 << 2;

function setup(): PcMachine {
  return createPcMachine({ kernel: multibootHello("hpet\n", 0), memoryBytes: 64 << 20 });
}
/** Levels of IOAPIC pins 2 (IRQ 0) and 8 (IRQ 8), and the 8259's view of IRQ 0 and 8. */
function lines(m: PcMachine): { pin2: number; pin8: number; pic0: number; pic8: number } {
  const io = m.devices.find((d) => d.typeName === "ioapic")!.getState() as { levels: number[] };
  const pic = m.devices.find((d) => d.typeName === "i8259")!.getState() as { master: { lastIrr: number }; slave: { lastIrr: number } };
  return { pin2: io.levels[2]!, pin8: io.levels[8]!, pic0: pic.master.lastIrr & 1, pic8: pic.slave.lastIrr & 1 };
}
function advance(m: PcMachine, ns: number): void {
  m.clock.advance(ns);
  m.clock.runDueTimers();
}
/** PIT channel 0 in mode 0 with `count`: OUT low now, high (and staying high) after count ticks. */
function pitOneShot(m: PcMachine, count: number): void {
  m.io.write(0x43, 0x30, 1);
  m.io.write(0x40, count & 0xff, 1);
  m.io.write(0x40, count >> 8, 1);
}
/** HPET timer i, level-triggered, matching `ticks` (10 ns) from the current counter. */
function hpetLevelTimer(m: PcMachine, i: number, ticks: number): void {
  m.memory.write(tn(i, 0), TN_LEVEL | TN_INT_ENB, 4);
  m.memory.write(tn(i, 8), m.memory.read(COUNTER, 4) + ticks, 4);
  m.memory.write(tn(i, 12), 0, 4);
}

describe("pc board: HPET legacy replacement routing", () => {
  it("the HPET answers at 0xFED00000 (capabilities: 8086, legacy capable, 3 timers, 10 ns)", () => {
    const m = setup();
    expect(m.memory.read(HPET, 4) >>> 0).toBe(0x8086a201);
    expect(m.memory.read(HPET + 4, 4)).toBe(10_000_000);
    m.dispose();
  });

  it("moves IRQ 0 and IRQ 8 between the PIT/RTC and HPET timers 0/1", () => {
    const m = setup();
    // Not in legacy mode: the PIT drives IRQ 0.
    pitOneShot(m, 100);
    advance(m, 200_000);
    expect(lines(m)).toMatchObject({ pin2: 1, pic0: 1 });

    // Legacy replacement on: the PIT's high OUT no longer reaches IRQ 0.
    m.memory.write(CFG, 3, 4);
    expect(m.hpet.legacyMode).toBe(true);
    expect(lines(m)).toEqual({ pin2: 0, pin8: 0, pic0: 0, pic8: 0 });
    // HPET timers 0 and 1 fire on IRQ 0 and IRQ 8.
    hpetLevelTimer(m, 0, 100);
    hpetLevelTimer(m, 1, 200);
    advance(m, 1_500);
    expect(lines(m)).toEqual({ pin2: 1, pin8: 0, pic0: 1, pic8: 0 });
    advance(m, 1_000);
    expect(lines(m)).toEqual({ pin2: 1, pin8: 1, pic0: 1, pic8: 1 });
    // The PIT's edges and the RTC's periodic interrupt are cut off meanwhile.
    m.memory.write(HPET + 0x20, 3, 4); // clear both level interrupts
    expect(lines(m)).toEqual({ pin2: 0, pin8: 0, pic0: 0, pic8: 0 });
    pitOneShot(m, 50);
    m.io.write(0x70, 0x0b, 1); m.io.write(0x71, 0x42, 1); // RTC register B: PIE, 24h
    m.io.write(0x70, 0x0a, 1); m.io.write(0x71, 0x26, 1); // register A: 1024 Hz
    advance(m, 5_000_000);
    expect(lines(m)).toEqual({ pin2: 0, pin8: 0, pic0: 0, pic8: 0 });

    // Legacy replacement off: IRQ 0 and 8 show the PIT's and RTC's current levels again.
    m.memory.write(CFG, 1, 4);
    expect(lines(m)).toMatchObject({ pin2: 1, pic0: 1, pin8: 1, pic8: 1 });
    m.dispose();
  });

  it("a machine reset leaves legacy mode and gives IRQ 0 back to the PIT", () => {
    const m = setup();
    m.memory.write(CFG, 3, 4);
    m.resetHook();
    expect(m.hpet.legacyMode).toBe(false);
    pitOneShot(m, 10);
    advance(m, 100_000);
    expect(lines(m)).toMatchObject({ pin2: 1, pic0: 1 });
    m.dispose();
  });
});
