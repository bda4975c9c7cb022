/**
 * The "pc" board: QEMU's i440fx-style PC, reduced to what a direct kernel boot needs. This is
 * the ONLY place device ports, IRQ numbers and MMIO addresses are written (with
 * src/boot/layout.ts for the firmware tables).
 *
 *   RAM      0 .. memoryBytes (all below the PCI hole; the BIOS area 0xA0000-0xFFFFF is RAM
 *            holding the ACPI and MP tables, reserved in e820)
 *   ports    0x3F8 COM1 (IRQ 4)  0x60/0x64 i8042 (IRQ 1, 12)  0xF4 isa-debug-exit (4 bytes)
 *            0xCF8/0xCFC PCI configuration (mechanism #1; 0xCF9 byte = reset control)
 *            0x80 POST (ignored)
 *            0x20/0xA0 8259 PICs, 0x4D0 ELCR, 0x40 PIT (IRQ 0 -> IOAPIC pin 2), 0x61 port B,
 *            0x70 RTC/CMOS (IRQ 8), 0x600/0x604/0x608/0xAFE0 ACPI PM (SCI = IRQ 9)
 *   MMIO     0xFEE00000 local APIC, 0xFEC00000 IOAPIC
 *   IRQs     ISA IRQ n -> 8259 input n and IOAPIC pin n (IRQ 0 -> pin 2, the MADT override);
 *            8259 INT -> LAPIC LINT0 (ExtINT); IOAPIC -> LAPIC; LAPIC level EOI -> IOAPIC
 *   PCI      00:00.0 i440FX host bridge, 00:01.0 PIIX3 ISA bridge; the PCI memory and I/O
 *            spaces sit under RAM and the ISA ports (lower priority)
 */

import { writeFirmwareTables } from "../boot/firmware-tables.js";
import { defaultPlatformTables } from "../boot/acpi/config.js";
import { pcMemoryMap } from "../boot/e820.js";
import type { GuestMemory } from "../boot/guest-memory.js";
import { checkRange } from "../boot/guest-memory.js";
import { Cpu } from "../cpu/cpu.js";
import { WasmBackend } from "../jit/wasm/backend.js";
import type { CpuBus } from "../cpu/bus.js";
import { decode } from "../cpu/decode/decoder.js";
import { semantics } from "../cpu/semantics/index.js";
import { NullCharBackend } from "../devices/char-backend.js";
import { DebugExit } from "../devices/debug-exit.js";
import { I8042 } from "../devices/i8042.js";
import { splitIrq, type IrqLine } from "../devices/irq.js";
import { AcpiPm } from "../devices/acpi-pm.js";
import type { CpuInterruptSink } from "../devices/cpu-interrupts.js";
import { Ioapic } from "../devices/ioapic.js";
import { Lapic } from "../devices/lapic.js";
import { fixedRateTsc } from "../devices/lapic-timer.js";
import { Pic8259 } from "../devices/pic-8259.js";
import { Pit8254 } from "../devices/pit-8254.js";
import { Port61 } from "../devices/port61.js";
import { RtcMc146818 } from "../devices/rtc-mc146818.js";
import { ResetControl } from "../devices/reset-control.js";
import { I440fxHost } from "../devices/pci/i440fx-host.js";
import { PciBus } from "../devices/pci/pci-bus.js";
import { PciHost } from "../devices/pci/pci-host.js";
import { Piix3Isa } from "../devices/pci/piix3-isa.js";
import { Serial16550 } from "../devices/serial-16550.js";
import { AddressSpace } from "../memory/address-space.js";
import { MemoryRegion } from "../memory/memory-region.js";
import type { RegionOps } from "../memory/types.js";
import { WasmLayout } from "../memory/wasm-layout.js";
import { applyBootState } from "./apply-boot.js";
import { loadKernel, type KernelFormat } from "./kernel-image.js";
import { Machine, type MachineOptions } from "./machine.js";

/** Legacy ISA ports of the PC (IBM PC/AT conventions). */
const enum PcIo {
  COM1 = 0x3f8, KBD_DATA = 0x60, KBD_CMD = 0x64, PIC_MASTER = 0x20, PIC_SLAVE = 0xa0, ELCR = 0x4d0,
  PIT = 0x40, PORT61 = 0x61, RTC = 0x70, DEBUG_EXIT = 0xf4, PCI_CONFIG_ADDRESS = 0xcf8,
  PCI_CONFIG_DATA = 0xcfc, POST = 0x80,
}

/** ISA IRQ numbers (and the IOAPIC pin the PIT uses instead of 0, per the MADT override). */
const enum PcIrq { PIT = 0, KBD = 1, PIT_IOAPIC_PIN = 2, COM1 = 4, RTC = 8, MOUSE = 12 }

/** devfn of the PCI functions (device << 3 | function). */
const enum PcDevfn { HOST = 0, ISA = 1 << 3 }

/** Local APIC and IOAPIC MMIO (Intel MP spec defaults, as in the MADT). */
const enum PcMmio { LAPIC = 0xfee00000, LAPIC_SIZE = 0x1000, IOAPIC = 0xfec00000, IOAPIC_SIZE = 0x100 }

/** The TSC and the LAPIC timer both run at 1 GHz of virtual time (a TSC tick is 1 ns). */
const TSC_HZ = 1_000_000_000;

/** A region that reads zero and ignores writes (POST codes, delays). */
const sinkOps: RegionOps = { read: () => 0, write: () => {} };

export interface PcMachine extends Machine {
  readonly serial: Serial16550;
  readonly kernelFormat: KernelFormat;
}

export function createPcMachine(opts: MachineOptions): PcMachine {
  const m = new Machine(opts) as Machine & { serial: Serial16550; kernelFormat: KernelFormat };
  try {
    return buildPc(m, opts);
  } catch (e) {
    m.dispose(); // a bad kernel or option must not leak the half-built machine
    throw e;
  }
}

function buildPc(m: Machine & { serial: Serial16550; kernelFormat: KernelFormat }, opts: MachineOptions): PcMachine {
  const log = m.log;
  const ram = m.ram;

  const memoryMap = pcMemoryMap(m.ramBytes);
  // Describe only what the board has: no HPET or PCIe ECAM yet.
  const platformTables = { ...defaultPlatformTables(1), hpet: null, ecam: null };

  // Address spaces: 2^52 of physical memory, 64 KiB of ports.
  const sysRoot = MemoryRegion.container("system", 2 ** 52);
  sysRoot.addSubregion(MemoryRegion.ram("pc.ram", ram), 0);
  m.memory = m.own(new AddressSpace("memory", sysRoot, log));
  const ioRoot = MemoryRegion.container("io", 0x10000);
  m.io = m.own(new AddressSpace("I/O", ioRoot, log));

  // Interrupt controllers. The CPU is created below; the LAPIC reaches it through `sink`.
  const clock = m.clock;
  const sink: CpuInterruptSink = {
    setInterruptPending: (p) => m.cpu.setInterruptPending(p),
    nmi: () => m.cpu.nmi(),
    init: () => m.cpu.init(),
    sipi: (v) => m.cpu.sipi(v),
  };
  const lapic = new Lapic("apic", { clock, logger: log, cpu: sink, apicId: 0, tsc: fixedRateTsc(TSC_HZ), busHz: TSC_HZ });
  const ioapic = new Ioapic("ioapic", { logger: log, target: lapic, ioapicId: platformTables.ioapicId });
  m.own(lapic.onLevelEoi((v) => ioapic.eoi(v)));
  const pic = new Pic8259("pic", { logger: log, output: lapic.lint0 });
  lapic.connectExtInt(pic);
  /** ISA IRQ n: 8259 input n and IOAPIC pin n (IRQ 0 comes in on pin 2). */
  const isaIrq = (n: number): IrqLine => splitIrq(pic.irq[n]!, ioapic.irq[n === PcIrq.PIT ? PcIrq.PIT_IOAPIC_PIN : n]!);
  const pit = new Pit8254("pit", { clock, logger: log, outputs: [isaIrq(PcIrq.PIT)] });
  const port61 = new Port61("port61", { clock, logger: log, speakerTimer: pit.channel(2) });
  const rtc = new RtcMc146818("rtc", { clock, logger: log, irq: isaIrq(PcIrq.RTC), startTimeMs: opts.rtcStartMs ?? Date.UTC(2026, 0, 1) });
  const pmCfg = platformTables.pm;
  const acpiPm = new AcpiPm("acpi-pm", {
    clock, logger: log, system: m, sci: isaIrq(pmCfg.sciIrq), s5SleepType: pmCfg.s5SlpTyp,
    timer32: pmCfg.pmTimer32, sciEnabledAtReset: pmCfg.smiCmdPort === 0, gpe0Length: pmCfg.gpe0Len,
  });
  sysRoot.addSubregion(MemoryRegion.io("lapic", PcMmio.LAPIC_SIZE, lapic), PcMmio.LAPIC);
  sysRoot.addSubregion(MemoryRegion.io("ioapic", PcMmio.IOAPIC_SIZE, ioapic), PcMmio.IOAPIC);
  ioRoot.addSubregion(MemoryRegion.io("pic-master", 2, pic.master), PcIo.PIC_MASTER);
  ioRoot.addSubregion(MemoryRegion.io("pic-slave", 2, pic.slave), PcIo.PIC_SLAVE);
  ioRoot.addSubregion(MemoryRegion.io("elcr", 2, pic.elcr), PcIo.ELCR);
  ioRoot.addSubregion(MemoryRegion.io("pit", 4, pit), PcIo.PIT);
  ioRoot.addSubregion(MemoryRegion.io("port61", 1, port61), PcIo.PORT61);
  ioRoot.addSubregion(MemoryRegion.io("rtc", 2, rtc), PcIo.RTC);
  ioRoot.addSubregion(MemoryRegion.io("acpi-pm1a-evt", 4, acpiPm.evt), pmCfg.pm1aEvtPort);
  ioRoot.addSubregion(MemoryRegion.io("acpi-pm1a-cnt", 2, acpiPm.cnt), pmCfg.pm1aCntPort);
  ioRoot.addSubregion(MemoryRegion.io("acpi-pm-tmr", 4, acpiPm.tmr), pmCfg.pmTmrPort);
  ioRoot.addSubregion(MemoryRegion.io("acpi-gpe0", pmCfg.gpe0Len, acpiPm.gpe0), pmCfg.gpe0Port);

  const serialBackend = opts.serial ?? new NullCharBackend();
  const serial = new Serial16550({ irq: isaIrq(PcIrq.COM1), backend: serialBackend, clock, logger: log, id: "com1" });
  const kbd = new I8042({ kbdIrq: isaIrq(PcIrq.KBD), mouseIrq: isaIrq(PcIrq.MOUSE), system: m, logger: log });
  const debugExit = new DebugExit({ system: m, ioSize: 4 });
  const resetCtl = new ResetControl({ system: m });
  ioRoot.addSubregion(MemoryRegion.io("serial", 8, serial), PcIo.COM1);
  ioRoot.addSubregion(MemoryRegion.io("i8042-data", 1, kbd.dataOps), PcIo.KBD_DATA);
  ioRoot.addSubregion(MemoryRegion.io("i8042-cmd", 1, kbd.commandOps), PcIo.KBD_CMD);
  ioRoot.addSubregion(MemoryRegion.io("isa-debug-exit", 4, debugExit), PcIo.DEBUG_EXIT);
  // PCI: BARs map into these containers; RAM and ISA devices win where they overlap.
  const pciMem = MemoryRegion.container("pci-memory", 2 ** 32);
  sysRoot.addSubregion(pciMem, 0, { priority: -1 });
  const pciIo = MemoryRegion.container("pci-io", 0x10000);
  ioRoot.addSubregion(pciIo, 0, { priority: -1 });
  const pciBus = new PciBus({ memory: pciMem, io: pciIo, logger: log });
  const pciDevices = [new I440fxHost({ logger: log }), new Piix3Isa()];
  pciBus.attach(pciDevices[0]!, PcDevfn.HOST);
  pciBus.attach(pciDevices[1]!, PcDevfn.ISA);
  const pciHost = new PciHost({ bus: pciBus, resetControl: resetCtl });
  ioRoot.addSubregion(MemoryRegion.io("pci-config-address", 4, pciHost.configAddressOps), PcIo.PCI_CONFIG_ADDRESS);
  ioRoot.addSubregion(MemoryRegion.io("pci-config-data", 4, pciHost.configDataOps), PcIo.PCI_CONFIG_DATA);
  ioRoot.addSubregion(MemoryRegion.io("post", 1, sinkOps), PcIo.POST);
  const devices = [lapic, ioapic, pic, pit, port61, rtc, acpiPm, serial, kbd, debugExit, resetCtl, pciHost, ...pciDevices];
  for (const d of devices) m.addDevice(d);
  m.serial = serial;

  // The CPU sees RAM directly and everything else through the address spaces.
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
  };
  m.cpu = m.own(new Cpu({
    memory: m.wasmMemory, bus, log, decode, semantics, backend: (host) => new WasmBackend(host, opts.nowMs, opts.jit),
    model: { tscKhz: TSC_HZ / 1000, busKhz: TSC_HZ / 1000 },
  }));
  m.own(m.memory.onDidChange(() => m.cpu.flushTlb()));
  m.attachClockToCpu();

  // Firmware tables and the kernel.
  const guest: GuestMemory = {
    size: ramBytes,
    write: (gpa, bytes) => { checkRange(ramBytes, gpa, bytes.length); ram.set(bytes, gpa); },
    read: (gpa, len) => { checkRange(ramBytes, gpa, len); return ram.slice(gpa, gpa + len); },
  };
  const boot = (): void => {
    ram.fill(0);
    const rsdp = writeFirmwareTables(guest, platformTables).acpiRsdpGpa;
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
  return m;
}
