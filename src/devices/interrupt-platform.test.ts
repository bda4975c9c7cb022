/**
 * Integration of the interrupt controllers and timers through the qtest-like harness and the
 * real VirtualClock, wired the way a PC board would (the port/IRQ numbers below belong to this
 * test standing in for src/machine): PIT -> PIC -> LAPIC LINT0 (ExtINT), ISA IRQs -> IOAPIC ->
 * LAPIC with EOI broadcast, HPET and ACPI PM through the memory API's access-size adaptation.
 */
import { describe, expect, it } from "vitest";
import { AcpiPm, PM_TIMER_HZ } from "./acpi-pm.js";
import type { CpuInterruptSink } from "./cpu-interrupts.js";
import { Hpet } from "./hpet.js";
import { Ioapic } from "./ioapic.js";
import { splitIrq } from "./irq.js";
import { Lapic } from "./lapic.js";
import { fixedRateTsc } from "./lapic-timer.js";
import { Pic8259 } from "./pic-8259.js";
import { PIT_HZ, Pit8254 } from "./pit-8254.js";
import { Port61 } from "./port61.js";
import { RtcMc146818 } from "./rtc-mc146818.js";
import { createTestMachine } from "./testing/test-machine.js";

class Cpu implements CpuInterruptSink {
  pending = false;
  setInterruptPending(p: boolean): void { this.pending = p; }
  nmi(): void {}
  init(): void {}
  sipi(): void {}
}

function board() {
  const m = createTestMachine();
  const cpu = new Cpu();
  const lapic = new Lapic("apic", { clock: m.clock, logger: m.logger, cpu, apicId: 0, tsc: fixedRateTsc(1e9) });
  const ioapic = new Ioapic("ioapic", { logger: m.logger, target: lapic });
  lapic.onLevelEoi((v) => ioapic.eoi(v));
  const pic = new Pic8259("pic", { logger: m.logger, output: lapic.lint0 });
  lapic.connectExtInt(pic);
  const pit = new Pit8254("pit", { clock: m.clock, logger: m.logger, outputs: [splitIrq(pic.irq[0]!, ioapic.irq[2]!)] });
  const p61 = new Port61("p61", { clock: m.clock, logger: m.logger, speakerTimer: pit.channel(2) });
  const hpet = new Hpet("hpet", { clock: m.clock, logger: m.logger, routes: ioapic.irq, legacy: [ioapic.irq[2]!, ioapic.irq[8]!] });
  const pm = new AcpiPm("pm", { clock: m.clock, logger: m.logger, system: m.system, sci: ioapic.irq[9]!, s5SleepType: 5 });
  const rtc = new RtcMc146818("rtc", { clock: m.clock, logger: m.logger, irq: splitIrq(pic.irq[8]!, ioapic.irq[8]!), startTimeMs: 0 });
  for (const d of [lapic, ioapic, pic, pit, p61, hpet, pm, rtc]) d.realize();
  m.mapIo(0x70, 2, rtc);
  m.mapIo(0x20, 2, pic.master);
  m.mapIo(0xa0, 2, pic.slave);
  m.mapIo(0x4d0, 2, pic.elcr);
  m.mapIo(0x40, 4, pit);
  m.mapIo(0x61, 1, p61);
  m.mapIo(0x600, 4, pm.evt);
  m.mapIo(0x604, 2, pm.cnt);
  m.mapIo(0x608, 4, pm.tmr);
  m.mapMmio(0xfee00000, 0x1000, lapic);
  m.mapMmio(0xfec00000, 0x100, ioapic);
  m.mapMmio(0xfed00000, 0x400, hpet);
  return { m, cpu, lapic, ioapic, pic, pit, hpet, pm, rtc, p61 };
}

describe("PC interrupt platform", () => {
  it("PIT mode 2 ticks reach the CPU through the 8259 and LINT0 ExtINT, even when timers run late", () => {
    const { m, cpu, lapic } = board();
    m.writel(0xfee000f0, 0x1ff);
    m.writel(0xfee00350, 0x700); // LINT0 ExtINT
    for (const [p, v] of [[0x20, 0x11], [0x21, 0x30], [0x21, 0x04], [0x21, 0x01], [0xa0, 0x11], [0xa1, 0x38], [0xa1, 0x02], [0xa1, 0x01], [0x21, 0xfe], [0xa1, 0xff]]) m.outb(p!, v!);
    m.outb(0x43, 0x34);
    m.outb(0x40, 1000 & 0xff);
    m.outb(0x40, 1000 >> 8);
    let ticks = 0;
    for (let step = 0; step < 20; step++) {
      m.advance(Math.ceil((3 * 1000 * 1e9) / PIT_HZ)); // three periods per service: coalesced
      if (cpu.pending) {
        expect(lapic.ackInterrupt()).toBe(0x30);
        m.outb(0x20, 0x20);
        ticks++;
      }
    }
    expect(ticks).toBe(20);
  });

  it("a level-triggered ISA interrupt through the IOAPIC is redelivered after EOI while asserted", () => {
    const { m, cpu, lapic, pm } = board();
    m.writel(0xfee000f0, 0x1ff);
    m.writeb(0xfec00000, 0x10 + 2 * 9);
    m.writel(0xfec00010, 0x8000 | 0x2000 | 0x49); // level, active low (ACPI SCI), vector 0x49
    m.outw(0x602, 0x100); // PWRBTN_EN
    pm.pressPowerButton();
    expect(cpu.pending).toBe(true);
    expect(lapic.ackInterrupt()).toBe(0x49);
    m.writel(0xfee000b0, 0);
    expect(cpu.pending).toBe(true); // still asserted: remote IRR cleared by the EOI broadcast, redelivered
    expect(lapic.ackInterrupt()).toBe(0x49);
    m.outw(0x600, 0x100); // clear PWRBTN_STS
    m.writel(0xfee000b0, 0);
    expect(cpu.pending).toBe(false);
    m.outw(0x604, (5 << 10) | (1 << 13));
    expect(m.system.requests.length).toBe(1);
  });

  it("HPET 64-bit registers work through 8-byte accesses split by the memory API", () => {
    const { m, hpet } = board();
    expect(m.readq(0xfed00000)).toEqual({ lo: 0x8086a201, hi: 10_000_000 });
    m.writeq(0xfed000f0, 0xfffffffe, 0);
    m.writel(0xfed00010, 1);
    m.advance(50);
    expect(m.readq(0xfed000f0)).toEqual({ lo: 3, hi: 1 });
    expect(hpet.legacyMode).toBe(false);
  });

  it("the PM timer reads through the port space and channel 2 calibration works via port 0x61", () => {
    const { m } = board();
    m.advance(Math.ceil((5000 * 1e9) / PM_TIMER_HZ));
    expect(m.inl(0x608)).toBe(5000);
    m.outb(0x61, 1);
    m.outb(0x43, 0xb0);
    m.outb(0x42, 100);
    m.outb(0x42, 0);
    m.advance(Math.ceil((99 * 1e9) / PIT_HZ));
    expect(m.inb(0x61) & 0x20).toBe(0);
    m.advance(1000);
    expect(m.inb(0x61) & 0x20).toBe(0x20);
  });
});

/** xorshift32, seeded so a failure reproduces. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe("PC interrupt platform under random guest traffic", () => {
  it.each([1, 2, 3])("never throws and keeps JSON-safe state (seed %i)", (seed) => {
    const b = board();
    const { m, lapic } = b;
    const r = rng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const ports = [0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x40, 0x41, 0x42, 0x43, 0x61, 0x70, 0x71, 0x600, 0x602, 0x604, 0x608];
    const lines = [b.pic.irq, b.ioapic.irq].flat();
    const val = (): number => (r() < 0.3 ? pick([0, 0xff, 0xffffffff, 0x11, 0x1ff, 0x34]) : Math.floor(r() * 2 ** 32)) >>> 0;
    for (let i = 0; i < 4000; i++) {
      const k = r();
      if (k < 0.3) {
        const port = pick(ports);
        if (r() < 0.5) m.io.write(port, val(), 1); else m.io.read(port, pick([1, 2, 4] as const));
      } else if (k < 0.6) {
        const base = pick([0xfee00000, 0xfec00000, 0xfed00000]);
        const off = Math.floor(r() * (base === 0xfec00000 ? 0x100 : base === 0xfed00000 ? 0x400 : 0x1000)) & ~3;
        if (r() < 0.5) m.writel(base + off, val()); else m.readl(base + off);
      } else if (k < 0.7) {
        const msr = pick([0x1b, 0x6e0, 0x800 + Math.floor(r() * 0x100)]);
        if (r() < 0.5) lapic.writeMsr(msr, val(), r() < 0.8 ? 0 : val()); else lapic.readMsr(msr);
      } else if (k < 0.8) {
        pick(lines).set(r() < 0.5 ? 0 : 1);
      } else if (k < 0.9) {
        m.advance(Math.floor(r() * 2_000_000));
      } else if (b.cpu.pending) {
        lapic.ackInterrupt();
      } else {
        lapic.deliverMsi(val(), val());
      }
    }
    for (const d of [lapic, b.ioapic, b.pic, b.pit, b.p61, b.hpet, b.pm, b.rtc]) {
      const st = d.getState();
      expect(JSON.parse(JSON.stringify(st))).toEqual(st);
    }
  });
});
