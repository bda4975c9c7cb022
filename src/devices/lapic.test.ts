import { describe, expect, it } from "vitest";
import { ConfigError } from "../common/errors.js";
import { Logger } from "../common/log.js";
import type { CpuInterruptSink, InterruptSource } from "./cpu-interrupts.js";
import { DeliveryMode, Lapic, MSR_IA32_APIC_BASE, MSR_IA32_TSC_DEADLINE } from "./lapic.js";
import { fixedRateTsc } from "./lapic-timer.js";
import { FakeClock } from "./testing/fake-clock.js";

class FakeCpu implements CpuInterruptSink {
  pending = false;
  nmis = 0;
  inits = 0;
  sipis: number[] = [];
  setInterruptPending(p: boolean): void { this.pending = p; }
  nmi(): void { this.nmis++; }
  init(): void { this.inits++; }
  sipi(v: number): void { this.sipis.push(v); }
}

function make(opts: { x2apic?: boolean; extInt?: InterruptSource } = {}) {
  const clock = new FakeClock();
  const cpu = new FakeCpu();
  const logs: string[] = [];
  const bases: number[] = [];
  const apic = new Lapic("apic", { clock, logger: new Logger((_c, m) => logs.push(m)), cpu, apicId: 0, tsc: fixedRateTsc(2_000_000_000),
    x2apic: opts.x2apic, extInt: opts.extInt, onBaseChange: (b) => bases.push(b) });
  apic.realize();
  const eois: number[] = [];
  apic.onLevelEoi((v) => eois.push(v));
  return { clock, cpu, apic, logs, eois, bases };
}

const enableSw = (apic: Lapic): void => apic.write(0xf0, 0x1ff, 4);

describe("Lapic", () => {
  it("has the reset state of the SDM (version 0x14, 6 LVTs, masked, SVR 0xff, base 0xfee00000)", () => {
    const { apic } = make();
    expect(apic.read(0x30, 4)).toBe(0x50014);
    expect(apic.read(0xf0, 4)).toBe(0xff);
    expect(apic.read(0xe0, 4)).toBe(0xffffffff);
    for (let r = 0x320; r <= 0x370; r += 0x10) expect(apic.read(r, 4)).toBe(0x10000);
    expect(apic.readMsr(MSR_IA32_APIC_BASE)).toEqual({ lo: 0xfee00900, hi: 0 });
  });

  it("accepts fixed interrupts, moves IRR to ISR on INTA, and EOI clears the highest ISR", () => {
    const { apic, cpu } = make();
    enableSw(apic);
    apic.deliver(0x41, DeliveryMode.FIXED, false, 0, false);
    expect(cpu.pending).toBe(true);
    expect(apic.read(0x200 + 0x20, 4)).toBe(1 << 1); // IRR bit 0x41
    expect(apic.ackInterrupt()).toBe(0x41);
    expect(cpu.pending).toBe(false);
    expect(apic.read(0x100 + 0x20, 4)).toBe(1 << 1);
    expect(apic.read(0xa0, 4)).toBe(0x40); // PPR = ISR class
    apic.deliver(0x45, DeliveryMode.FIXED, false, 0, false); // same class: blocked
    expect(cpu.pending).toBe(false);
    apic.deliver(0x51, DeliveryMode.FIXED, false, 0, false); // higher class: preempts
    expect(apic.ackInterrupt()).toBe(0x51);
    apic.write(0xb0, 0, 4);
    apic.write(0xb0, 0, 4);
    expect(apic.ackInterrupt()).toBe(0x45);
  });

  it("TPR blocks lower classes; with nothing deliverable INTA returns the spurious vector", () => {
    const { apic, cpu } = make();
    enableSw(apic);
    apic.write(0x80, 0x50, 4);
    apic.deliver(0x50, DeliveryMode.FIXED, false, 0, false);
    expect(cpu.pending).toBe(false);
    expect(apic.ackInterrupt()).toBe(0xff);
    apic.write(0x80, 0x40, 4);
    expect(cpu.pending).toBe(true);
    expect(apic.read(0xa0, 4)).toBe(0x40);
  });

  it("does not deliver fixed interrupts while software-disabled, and masks LVTs on disable", () => {
    const { apic, cpu } = make();
    apic.deliver(0x60, DeliveryMode.FIXED, false, 0, false);
    expect(cpu.pending).toBe(false);
    apic.write(0x350, 0x700, 4); // LINT0 ExtINT unmasked: ignored while disabled
    expect(apic.read(0x350, 4)).toBe(0x10700);
    enableSw(apic);
    expect(cpu.pending).toBe(true);
  });

  it("broadcasts EOI for level-triggered vectors only", () => {
    const { apic, eois } = make();
    enableSw(apic);
    apic.deliver(0x61, DeliveryMode.FIXED, false, 0, true);
    expect(apic.read(0x180 + 0x30, 4)).toBe(1 << 1); // TMR
    apic.ackInterrupt();
    apic.write(0xb0, 0, 4);
    apic.deliver(0x62, DeliveryMode.FIXED, false, 0, false);
    apic.ackInterrupt();
    apic.write(0xb0, 0, 4);
    expect(eois).toEqual([0x61]);
  });

  it("timer one-shot and periodic count the 1 GHz bus clock through the divider", () => {
    const { apic, clock, cpu } = make();
    enableSw(apic);
    apic.write(0x3e0, 0x3, 4); // divide by 16
    apic.write(0x320, 0xec, 4); // one-shot, vector 0xec
    apic.write(0x380, 1000, 4);
    clock.advanceTo(16 * 250);
    expect(apic.read(0x390, 4)).toBe(750);
    expect(cpu.pending).toBe(false);
    clock.advanceTo(16 * 1000);
    expect(apic.read(0x390, 4)).toBe(0);
    expect(apic.ackInterrupt()).toBe(0xec);
    apic.write(0xb0, 0, 4);
    clock.advanceTo(16 * 5000);
    expect(cpu.pending).toBe(false);
    expect(clock.armedCount).toBe(0);
    apic.write(0x3e0, 0xb, 4); // divide by 1
    apic.write(0x320, 0x200ec, 4); // periodic
    const t0 = clock.now();
    apic.write(0x380, 100, 4);
    let fired = 0;
    for (let i = 1; i <= 5; i++) {
      clock.advanceTo(t0 + 100 * i);
      if (cpu.pending) { fired++; apic.ackInterrupt(); apic.write(0xb0, 0, 4); }
    }
    expect(fired).toBe(5);
    clock.advanceTo(t0 + 530);
    expect(apic.read(0x390, 4)).toBe(70);
    apic.write(0x380, 0, 4); // stop
    expect(clock.armedCount).toBe(0);
  });

  it("TSC-deadline mode fires when the TSC reaches IA32_TSC_DEADLINE and then clears it", () => {
    const { apic, clock, cpu } = make();
    enableSw(apic);
    apic.write(0x320, 0x400ef, 4);
    apic.write(0x380, 5, 4); // ignored in TSC-deadline mode
    expect(apic.read(0x380, 4)).toBe(0);
    expect(apic.writeMsr(MSR_IA32_TSC_DEADLINE, 20_000, 0)).toBe(true); // 2 GHz TSC: 10 us
    clock.advanceTo(9_999);
    expect(cpu.pending).toBe(false);
    clock.advanceTo(10_000);
    expect(cpu.pending).toBe(true);
    expect(apic.readMsr(MSR_IA32_TSC_DEADLINE)).toEqual({ lo: 0, hi: 0 });
    expect(apic.ackInterrupt()).toBe(0xef);
    apic.writeMsr(MSR_IA32_TSC_DEADLINE, 30_000, 0);
    apic.write(0x320, 0x000ef, 4); // leaving the mode disarms
    clock.advanceTo(100_000);
    expect(apic.read(0x100 + 0x70, 4) & (1 << 15)).toBe(1 << 15); // 0xef still in service only
    expect(cpu.pending).toBe(false);
  });

  it("passes the 8259 through LINT0 in ExtINT mode and when globally disabled", () => {
    let acks = 0;
    const pic: InterruptSource = { hasInterrupt: () => true, ackInterrupt: () => { acks++; return 0x30; } };
    const { apic, cpu } = make({ extInt: pic });
    apic.lint0.set(1);
    expect(cpu.pending).toBe(false); // LINT0 masked at reset
    enableSw(apic);
    apic.write(0x350, 0x700, 4);
    expect(cpu.pending).toBe(true);
    expect(apic.ackInterrupt()).toBe(0x30);
    expect(acks).toBe(1);
    apic.write(0x350, 0x10700, 4);
    expect(cpu.pending).toBe(false);
    expect(apic.writeMsr(MSR_IA32_APIC_BASE, 0xfee00000, 0)).toBe(true); // global disable
    expect(cpu.pending).toBe(true);
    expect(apic.ackInterrupt()).toBe(0x30);
  });

  it("LINT1 in NMI mode raises NMI on a rising edge", () => {
    const { apic, cpu } = make();
    enableSw(apic);
    apic.write(0x360, 0x400, 4);
    apic.lint1.pulse();
    expect(cpu.nmis).toBe(1);
  });

  it("sends IPIs: self, all-including-self, all-excluding-self, NMI, INIT, SIPI, and flags illegal vectors", () => {
    const { apic, cpu } = make();
    enableSw(apic);
    apic.write(0x300, 0x40000 | 0x31, 4); // self
    expect(apic.ackInterrupt()).toBe(0x31);
    apic.write(0xb0, 0, 4);
    apic.write(0x300, 0x80000 | 0x32, 4); // all including self
    apic.write(0x300, 0xc0000 | 0x33, 4); // all excluding self
    expect(apic.ackInterrupt()).toBe(0x32);
    apic.write(0xb0, 0, 4);
    expect(cpu.pending).toBe(false);
    apic.write(0x310, 0x00000000, 4);
    apic.write(0x300, 0x34, 4); // physical dest 0 = us
    apic.write(0x310, 0x05000000, 4);
    apic.write(0x300, 0x35, 4); // physical dest 5 = nobody
    expect(apic.read(0x200 + 0x10, 4)).toBe(1 << 20); // only 0x34 pending
    apic.write(0x300, 0x40400, 4);
    expect(cpu.nmis).toBe(1);
    apic.write(0x310, 0, 4);
    apic.write(0x300, 0xc500, 4); // INIT level assert
    apic.write(0x300, 0x8500, 4); // INIT level de-assert: no effect
    expect(cpu.inits).toBe(1);
    apic.write(0x300, 0x4609, 4); // SIPI vector 9
    expect(cpu.sipis).toEqual([9]);
    apic.write(0x300, 0x40005, 4); // fixed vector 5: send illegal vector
    apic.write(0x280, 0, 4);
    expect(apic.read(0x280, 4)).toBe(0x20);
    apic.write(0x280, 0, 4);
    expect(apic.read(0x280, 4)).toBe(0);
    expect(apic.read(0x300, 4) & 0x1000).toBe(0); // delivery status idle
  });

  it("matches logical destinations in flat and cluster models", () => {
    const { apic } = make();
    enableSw(apic);
    apic.write(0xd0, 0x02000000, 4); // LDR = 0x02
    apic.deliver(0x40, DeliveryMode.FIXED, true, 0x06, false);
    apic.deliver(0x41, DeliveryMode.FIXED, true, 0x01, false);
    expect(apic.read(0x220, 4)).toBe(1);
    apic.write(0xe0, 0x0fffffff, 4); // cluster model
    apic.write(0xd0, 0x12000000, 4); // cluster 1, member bit 1
    apic.deliver(0x42, DeliveryMode.FIXED, true, 0x02, false);
    apic.deliver(0x43, DeliveryMode.FIXED, true, 0x12, false);
    expect(apic.read(0x220, 4)).toBe(1 | 8);
  });

  it("delivers MSIs by address/data", () => {
    const { apic, logs } = make();
    enableSw(apic);
    apic.deliverMsi(0xfee00000, 0x4051);
    expect(apic.read(0x220, 4)).toBe(1 << 17);
    expect(apic.read(0x1a0, 4)).toBe(0); // edge
    apic.deliverMsi(0xfec00000, 0x41);
    expect(logs.some((l) => l.includes("MSI"))).toBe(true);
  });

  it("switches to x2APIC through IA32_APIC_BASE and serves the MSR interface", () => {
    const { apic, cpu } = make();
    expect(apic.readMsr(0x802)).toBeUndefined();
    expect(apic.writeMsr(MSR_IA32_APIC_BASE, 0xfee00000 | 0x400, 0)).toBe(false); // EXTD without EN
    expect(apic.writeMsr(MSR_IA32_APIC_BASE, 0xfee00c00, 0)).toBe(true);
    expect(apic.x2apicMode).toBe(true);
    expect(apic.readMsr(0x802)).toEqual({ lo: 0, hi: 0 });
    expect(apic.readMsr(0x80d)).toEqual({ lo: 0x00000001, hi: 0 });
    expect(apic.readMsr(0x80e)).toBeUndefined(); // no DFR
    expect(apic.readMsr(0x80b)).toBeUndefined(); // EOI is write-only
    expect(apic.writeMsr(0x80f, 0x1ff, 0)).toBe(true);
    expect(apic.writeMsr(0x83f, 0x55, 0)).toBe(true); // SELF_IPI
    expect(cpu.pending).toBe(true);
    expect(apic.ackInterrupt()).toBe(0x55);
    expect(apic.writeMsr(0x80b, 1, 0)).toBe(false);
    expect(apic.writeMsr(0x80b, 0, 0)).toBe(true);
    expect(apic.writeMsr(0x830, 0x66, 0)).toBe(true); // ICR, dest 0 (us)
    expect(apic.readMsr(0x830)).toEqual({ lo: 0x66, hi: 0 });
    expect(apic.ackInterrupt()).toBe(0x66);
    expect(apic.writeMsr(0x830, 0x67, 3)).toBe(true); // dest 3: nobody
    expect(cpu.pending).toBe(false);
    expect(apic.writeMsr(0x802, 1, 0)).toBe(false);
    expect(apic.writeMsr(MSR_IA32_APIC_BASE, 0xfee00800, 0)).toBe(false); // x2APIC -> xAPIC
    expect(apic.read(0x20, 4)).toBe(0); // MMIO off
    expect(apic.writeMsr(MSR_IA32_APIC_BASE, 0xfee00000, 0)).toBe(true); // -> disabled
    expect(apic.writeMsr(MSR_IA32_APIC_BASE, 0xfee00c00, 0)).toBe(false); // disabled -> x2APIC
    expect(apic.writeMsr(MSR_IA32_APIC_BASE, 0xfee00800, 0)).toBe(true);
  });

  it("refuses x2APIC when not supported, reserved bits, and reports base relocation", () => {
    const { apic, bases } = make({ x2apic: false });
    expect(apic.writeMsr(MSR_IA32_APIC_BASE, 0xfee00c00, 0)).toBe(false);
    expect(apic.writeMsr(MSR_IA32_APIC_BASE, 0xfee00801, 0)).toBe(false);
    expect(apic.writeMsr(MSR_IA32_APIC_BASE, 0xfed00800, 0)).toBe(true);
    expect(bases).toEqual([0xfed00000]);
    expect(apic.baseAddress).toBe(0xfed00000);
  });

  it("validates options and logs bad guest accesses", () => {
    const base = { clock: new FakeClock(), logger: new Logger(), cpu: new FakeCpu(), tsc: fixedRateTsc(1e9) };
    expect(() => new Lapic("a", { ...base, apicId: 300 })).toThrow(ConfigError);
    expect(() => new Lapic("a", { ...base, apicId: 0, busHz: 0 })).toThrow(ConfigError);
    const { apic, logs } = make();
    apic.write(0x390, 5, 4); // current count is read-only
    apic.read(0x400, 4);
    expect(logs.length).toBe(2);
    apic.write(0x280, 0, 4);
    expect(apic.read(0x280, 4)).toBe(0x80); // illegal register address
  });

  it("round-trips state, including a running timer", () => {
    const a = make();
    enableSw(a.apic);
    a.apic.write(0x3e0, 0xb, 4);
    a.apic.write(0x320, 0x200ec, 4);
    a.apic.write(0x380, 1000, 4);
    a.apic.deliver(0x70, DeliveryMode.FIXED, false, 0, true);
    a.clock.advanceTo(300);
    const st = JSON.parse(JSON.stringify(a.apic.getState()));
    const b = make();
    b.clock.advanceTo(300);
    b.apic.setState(st);
    expect(b.apic.getState()).toEqual(a.apic.getState());
    expect(b.apic.read(0x390, 4)).toBe(700);
    expect(b.cpu.pending).toBe(true);
    b.clock.advanceTo(1000);
    expect(b.apic.read(0x200 + 0x70, 4)).toBe(1 << 12);
  });

  it("takes ExtINT, NMI and INIT messages from the IOAPIC, and x2APIC cluster destinations", () => {
    let acks = 0;
    const pic: InterruptSource = { hasInterrupt: () => true, ackInterrupt: () => { acks++; return 0x20; } };
    const { apic, cpu } = make({ extInt: pic });
    enableSw(apic);
    apic.deliver(0, DeliveryMode.EXTINT, false, 0, false);
    expect(cpu.pending).toBe(true);
    expect(apic.ackInterrupt()).toBe(0x20);
    expect(acks).toBe(1);
    expect(cpu.pending).toBe(false);
    apic.deliver(0, DeliveryMode.NMI, false, 0xff, false);
    apic.deliver(0, DeliveryMode.INIT, false, 0, false);
    expect([cpu.nmis, cpu.inits]).toEqual([1, 1]);
    apic.writeMsr(MSR_IA32_APIC_BASE, 0xfee00c00, 0);
    apic.deliver(0x71, DeliveryMode.FIXED, true, 0x00000001, false); // cluster 0, member 0
    apic.deliver(0x72, DeliveryMode.FIXED, true, 0x00010001, false); // cluster 1: not us
    apic.deliver(0x73, DeliveryMode.FIXED, false, 0xff, false); // 8-bit broadcast from an IOAPIC
    expect(apic.readMsr(0x823)).toEqual({ lo: (1 << 17) | (1 << 19), hi: 0 });
  });

  it("maps CR8 onto TPR[7:4]", () => {
    const { apic, cpu } = make();
    enableSw(apic);
    apic.writeCr8(5);
    expect(apic.read(0x80, 4)).toBe(0x50);
    apic.deliver(0x55, DeliveryMode.FIXED, false, 0, false);
    expect(cpu.pending).toBe(false);
    apic.write(0x80, 0x3f, 4);
    expect(apic.readCr8()).toBe(3);
    expect(cpu.pending).toBe(true);
  });
});
