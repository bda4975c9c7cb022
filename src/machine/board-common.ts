/**
 * What the x86 boards (pc.ts, microvm.ts) share: the address spaces, the CPU and its CpuBus,
 * the interrupt controllers (LAPIC, IOAPIC, 8259 pair) and the ISA IRQ fan-out, the legacy
 * ISA devices both keep (PIT with port 0x61, RTC, COM1..COM4, isa-debug-exit), and kernel loading
 * with the reset hook. The PC/AT ports and IRQ numbers those devices use are written here
 * once; each board adds what is its own (PCI and ACPI PM on pc, the GED on microvm).
 */

import { ConfigError } from "../common/errors.js";
import { writeFirmwareTables } from "../boot/firmware-tables.js";
import type { IsaPnpDevice, PlatformTablesConfig } from "../boot/acpi/config.js";
import type { MemoryRange } from "../boot/e820.js";
import type { GuestMemory } from "../boot/guest-memory.js";
import { checkRange } from "../boot/guest-memory.js";
import { Cpu } from "../cpu/cpu.js";
import type { CpuBus } from "../cpu/bus.js";
import { decode } from "../cpu/decode/decoder.js";
import { semantics } from "../cpu/semantics/index.js";
import { NullCharBackend } from "../devices/char-backend.js";
import type { CpuInterruptSink } from "../devices/cpu-interrupts.js";
import { DebugExit } from "../devices/debug-exit.js";
import { IrqSelector, orIrq, splitIrq, type IrqLine, type IrqPin } from "../devices/irq.js";
import { Ioapic } from "../devices/ioapic.js";
import { Lapic } from "../devices/lapic.js";
import { fixedRateTsc } from "../devices/lapic-timer.js";
import { Pic8259 } from "../devices/pic-8259.js";
import { Pit8254 } from "../devices/pit-8254.js";
import { FpuErrorLatch } from "../devices/fpu-error.js";
import { Port61 } from "../devices/port61.js";
import { RtcMc146818 } from "../devices/rtc-mc146818.js";
import { Serial16550 } from "../devices/serial-16550.js";
import { WasmBackend } from "../jit/wasm/backend.js";
import { AddressSpace } from "../memory/address-space.js";
import { MemoryRegion } from "../memory/memory-region.js";
import { WasmLayout } from "../memory/wasm-layout.js";
import { applyBootState } from "./apply-boot.js";
import { loadKernel, type KernelFormat } from "./kernel-image.js";
import { Machine, type MachineOptions } from "./machine.js";

/** Legacy ISA ports both boards decode (IBM PC/AT conventions). */
export const enum IsaIo {
  COM1 = 0x3f8, COM2 = 0x2f8, COM3 = 0x3e8, COM4 = 0x2e8, PIC_MASTER = 0x20, PIC_SLAVE = 0xa0, ELCR = 0x4d0, PIT = 0x40, PORT61 = 0x61,
  RTC = 0x70, DEBUG_EXIT = 0xf4, FPU_ERROR = 0xf0,
}

/** ISA IRQ numbers (and the IOAPIC pin the PIT's IRQ 0 uses instead of 0, per the MADT override). */
export const enum IsaIrq { PIT = 0, KBD = 1, PIT_IOAPIC_PIN = 2, COM2_4 = 3, COM1_3 = 4, RTC = 8, MOUSE = 12, FPU = 13 }

/** The PC's four serial ports: I/O base and ISA IRQ (COM3 shares IRQ 4 with COM1, COM4 IRQ 3 with COM2). */
export const COM_PORTS: readonly { port: number; irq: number }[] = [
  { port: IsaIo.COM1, irq: IsaIrq.COM1_3 }, { port: IsaIo.COM2, irq: IsaIrq.COM2_4 },
  { port: IsaIo.COM3, irq: IsaIrq.COM1_3 }, { port: IsaIo.COM4, irq: IsaIrq.COM2_4 },
];

/** The serial ports a board has for `opts`: COM1, plus COM2..COM4 for each extra backend. */
export function serialPortCount(opts: MachineOptions): number {
  return 1 + (opts.extraSerials?.length ?? 0);
}

/** DSDT entries (PNP0501, _UID n) for the first `count` serial ports. */
export function comPnpDevices(count: number): IsaPnpDevice[] {
  return COM_PORTS.slice(0, count).map((c, i) => ({ name: `COM${i + 1}`, hid: "PNP0501", uid: i + 1, io: [{ port: c.port, len: 8 }], irqs: [c.irq] }));
}

/** The TSC and the LAPIC timer both run at 1 GHz of virtual time (a TSC tick is 1 ns). */
const TSC_HZ = 1_000_000_000;

/** A machine under construction by a board: the fields every board fills. */
export type BoardMachine = Machine & { serial: Serial16550; kernelFormat: KernelFormat };

/** The board-level parts the shared builders return. */
export interface BoardCore {
  sysRoot: MemoryRegion;
  ioRoot: MemoryRegion;
  lapic: Lapic;
  ioapic: Ioapic;
  pic: Pic8259;
  /** ISA IRQ n: 8259 input n and IOAPIC pin n (IRQ 0 comes in on pin 2). */
  isaIrq(n: number): IrqLine;
}

/**
 * Build a board: construct the Machine, run `build` on it, and dispose the half-built machine
 * if building fails (a bad kernel or option must not leak Wasm memory or timers).
 */
export function buildBoard<T extends BoardMachine>(opts: MachineOptions, build: (m: BoardMachine) => T): T {
  const m = new Machine(opts) as BoardMachine;
  try {
    return build(m);
  } catch (e) {
    m.dispose();
    throw e;
  }
}

/**
 * RAM at 0 (the region named `ramName` in `info mtree`), the two address spaces (2^52 of physical memory, 64 KiB of ports) and the
 * interrupt controllers mapped where the platform tables say, wired LAPIC <-> IOAPIC <-> 8259.
 */
export function createCore(m: Machine, tables: PlatformTablesConfig, ramName: string): BoardCore {
  const log = m.log;
  const sysRoot = MemoryRegion.container("system", 2 ** 52);
  sysRoot.addSubregion(MemoryRegion.ram(ramName, m.ram), 0);
  m.memory = m.own(new AddressSpace("memory", sysRoot, log));
  const ioRoot = MemoryRegion.container("io", 0x10000);
  m.io = m.own(new AddressSpace("I/O", ioRoot, log));

  // The CPU is created later (createCpu); the LAPIC reaches it through `sink`.
  const sink: CpuInterruptSink = {
    setInterruptPending: (p) => m.cpu.setInterruptPending(p),
    nmi: () => m.cpu.nmi(),
    init: () => m.cpu.init(),
    sipi: (v) => m.cpu.sipi(v),
  };
  const clock = m.clock;
  const lapic = new Lapic("apic", { clock, logger: log, cpu: sink, apicId: tables.apicIds[0]!, tsc: fixedRateTsc(TSC_HZ), busHz: TSC_HZ });
  const ioapic = new Ioapic("ioapic", { logger: log, target: lapic, ioapicId: tables.ioapicId });
  m.own(lapic.onLevelEoi((v) => ioapic.eoi(v)));
  const pic = new Pic8259("pic", { logger: log, output: lapic.lint0 });
  lapic.connectExtInt(pic);
  sysRoot.addSubregion(MemoryRegion.io("lapic", 0x1000, lapic), tables.lapicGpa);
  sysRoot.addSubregion(MemoryRegion.io("ioapic", 0x100, ioapic), tables.ioapicGpa);
  ioRoot.addSubregion(MemoryRegion.io("pic-master", 2, pic.master), IsaIo.PIC_MASTER);
  ioRoot.addSubregion(MemoryRegion.io("pic-slave", 2, pic.slave), IsaIo.PIC_SLAVE);
  ioRoot.addSubregion(MemoryRegion.io("elcr", 2, pic.elcr), IsaIo.ELCR);
  const isaIrq = (n: number): IrqLine => splitIrq(pic.irq[n]!, ioapic.irq[n === IsaIrq.PIT ? IsaIrq.PIT_IOAPIC_PIN : n]!);
  return { sysRoot, ioRoot, lapic, ioapic, pic, isaIrq };
}

/** The legacy ISA devices both boards keep, and the selectors for HPET legacy replacement. */
export interface IsaLegacy {
  pit: Pit8254;
  port61: Port61;
  rtc: RtcMc146818;
  /** COM1 (always present). */
  serial: Serial16550;
  /** COM1, then COM2..COM4 for each extra backend the options give. */
  serials: Serial16550[];
  debugExit: DebugExit;
  /** FERR# -> IRQ 13, cleared by a write to port 0xF0 (x87 errors with CR0.NE = 0). */
  fpuError: FpuErrorLatch;
  /** IRQ 0: input 0 = the PIT (selected at reset), input 1 = an HPET's legacy timer 0. */
  irq0: IrqSelector;
  /** IRQ 8: input 0 = the RTC (selected at reset), input 1 = an HPET's legacy timer 1. */
  irq8: IrqSelector;
}

/**
 * PIT (+ port 0x61 speaker gate), RTC/CMOS, COM1 (and COM2..4 if given), isa-debug-exit and
 * the FERR# latch (port 0xF0, IRQ 13) at their PC ports.
 */
export function createIsaLegacy(m: Machine, core: BoardCore, opts: MachineOptions): IsaLegacy {
  const { clock, log } = m;
  const irq0 = new IrqSelector(core.isaIrq(IsaIrq.PIT), 2);
  const irq8 = new IrqSelector(core.isaIrq(IsaIrq.RTC), 2);
  const pit = new Pit8254("pit", { clock, logger: log, outputs: [irq0.inputs[0]!] });
  const port61 = new Port61("port61", { clock, logger: log, speakerTimer: pit.channel(2) });
  const rtc = new RtcMc146818("rtc", { clock, logger: log, irq: irq8.inputs[0]!, startTimeMs: opts.rtcStartMs ?? Date.UTC(2026, 0, 1) });
  const backends = [opts.serial ?? new NullCharBackend(), ...(opts.extraSerials ?? [])];
  if (backends.length > COM_PORTS.length) throw new ConfigError(`at most ${COM_PORTS.length} serial ports`);
  // Ports that share an ISA IRQ drive it through a wired-OR.
  const irqInputs = new Map<number, IrqPin[]>();
  for (const irq of new Set(COM_PORTS.slice(0, backends.length).map((c) => c.irq))) {
    const users = COM_PORTS.slice(0, backends.length).filter((c) => c.irq === irq).length;
    irqInputs.set(irq, orIrq(core.isaIrq(irq), users));
  }
  const serials = backends.map((backend, i) => {
    const irq = irqInputs.get(COM_PORTS[i]!.irq)!.shift()!;
    return new Serial16550({ irq, backend, clock, logger: log, id: `com${i + 1}` });
  });
  const serial = serials[0]!;
  const debugExit = new DebugExit({ system: m, ioSize: 4 });
  const fpuError = new FpuErrorLatch("fpu-error", core.isaIrq(IsaIrq.FPU));
  const io = core.ioRoot;
  io.addSubregion(MemoryRegion.io("pit", 4, pit), IsaIo.PIT);
  io.addSubregion(MemoryRegion.io("port61", 1, port61), IsaIo.PORT61);
  io.addSubregion(MemoryRegion.io("rtc", 2, rtc), IsaIo.RTC);
  serials.forEach((u, i) => io.addSubregion(MemoryRegion.io("serial", 8, u), COM_PORTS[i]!.port));
  io.addSubregion(MemoryRegion.io("isa-debug-exit", 4, debugExit), IsaIo.DEBUG_EXIT);
  io.addSubregion(MemoryRegion.io("fpu-error", 1, fpuError), IsaIo.FPU_ERROR);
  return { pit, port61, rtc, serial, serials, debugExit, fpuError, irq0, irq8 };
}

/** The CPU: RAM directly, everything else through the address spaces; APIC MSRs to the LAPIC. */
export function createCpu(m: Machine, lapic: Lapic, opts: MachineOptions, fpuError: FpuErrorLatch): void {
  const ramBytes = m.ramBytes;
  const bus: CpuBus = {
    mem: {
      ramWasmOffset: (gpa, write) => (gpa >= 0 && gpa < ramBytes ? WasmLayout.RAM_BASE + gpa : m.memory.ramWasmOffset(gpa, write)),
      readMmio: (gpa, size) => m.memory.read(gpa, size),
      writeMmio: (gpa, value, size) => m.memory.write(gpa, value, size),
    },
    io: {
      in: (port, size) => m.io.read(port, size),
      out: (port, value, size) => m.io.write(port, value, size),
    },
    irq: lapic,
    apic: {
      readMsr: (msr) => lapic.readMsr(msr) ?? null,
      writeMsr: (msr, lo, hi) => lapic.writeMsr(msr, lo, hi),
    },
    readTsc: () => {
      const ns = m.clock.now();
      const hi = Math.floor(ns / 4294967296);
      return { lo: (ns - hi * 4294967296) | 0, hi };
    },
    requestReset: (reason) => m.requestReset(reason),
    fpuError: () => fpuError.assert(),
  };
  m.cpu = m.own(new Cpu({
    memory: m.wasmMemory, bus, log: m.log, decode, semantics, backend: (host) => new WasmBackend(host, opts.nowMs, opts.jit),
    model: { tscKhz: TSC_HZ / 1000, busKhz: TSC_HZ / 1000 },
  }));
  m.own(m.memory.onDidChange(() => m.cpu.flushTlb()));
  m.attachClockToCpu();
}

/**
 * Write the firmware tables, load the kernel and enter it; and install the reset hook that
 * resets every device and does it again (a reboot is a fresh direct kernel boot).
 */
export function bootKernel(m: BoardMachine, opts: MachineOptions, tables: PlatformTablesConfig, memoryMap: readonly MemoryRange[]): void {
  const ram = m.ram;
  const ramBytes = m.ramBytes;
  const guest: GuestMemory = {
    size: ramBytes,
    write: (gpa, bytes) => { checkRange(ramBytes, gpa, bytes.length); ram.set(bytes, gpa); },
    read: (gpa, len) => { checkRange(ramBytes, gpa, len); return ram.slice(gpa, gpa + len); },
  };
  const boot = (): void => {
    ram.fill(0);
    const rsdp = writeFirmwareTables(guest, tables).acpiRsdpGpa;
    const k = loadKernel(guest, opts.kernel, { memoryMap, cmdline: opts.cmdline ?? "", initrd: opts.initrd, acpiRsdpGpa: rsdp });
    m.kernelFormat = k.format;
    m.cpu.reset();
    m.cpu.tbs.flushAll();
    applyBootState(m.cpu, k.cpu);
  };
  boot();
  m.resetHook = () => {
    for (const d of m.devices) d.reset();
    boot();
  };
}
