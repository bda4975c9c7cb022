/**
 * The "pc" board: QEMU's i440fx-style PC, reduced to what a direct kernel boot needs. Device
 * ports, IRQ numbers and MMIO addresses are written here and in board-common.ts (the legacy
 * ISA part both boards share), with src/boot/layout.ts for the firmware tables.
 *
 *   RAM      0 .. memoryBytes (all below the PCI hole; the BIOS area 0xA0000-0xFFFFF is RAM
 *            holding the ACPI and MP tables, reserved in e820); up to 3.5 GiB, the PCI MMIO
 *            window (PCI0._CRS) starts at 0xC0000000 or where RAM ends, whichever is higher
 *   ports    0x3F8 COM1 (IRQ 4; COM2..4 at 0x2F8/0x3E8/0x2E8, IRQ 3/4/3, when given)  0x60/0x64 i8042 (IRQ 1, 12)  0xF4 isa-debug-exit (4 bytes)
 *            0xCF8/0xCFC PCI configuration (mechanism #1; 0xCF9 byte = reset control)
 *            0x80 POST (ignored)
 *            0x20/0xA0 8259 PICs, 0x4D0 ELCR, 0x40 PIT (IRQ 0 -> IOAPIC pin 2), 0x61 port B,
 *            0x70 RTC/CMOS (IRQ 8), 0x600/0x604/0x608/0xAFE0 ACPI PM (SCI = IRQ 9)
 *   MMIO     0xFEE00000 local APIC, 0xFEC00000 IOAPIC, 0xFED00000 HPET (ACPI HPET table)
 *   IRQs     ISA IRQ n -> 8259 input n and IOAPIC pin n (IRQ 0 -> pin 2, the MADT override);
 *            8259 INT -> LAPIC LINT0 (ExtINT); IOAPIC -> LAPIC; LAPIC level EOI -> IOAPIC.
 *            HPET: INT_ROUTE to IOAPIC pins 20..23 (free: PCI INTx uses 16..19); in legacy
 *            replacement mode timer 0 takes IRQ 0 from the PIT and timer 1 IRQ 8 from the RTC
 *   PCI      00:00.0 i440FX host bridge, 00:01.0 PIIX3 ISA bridge; the PCI memory and I/O
 *            spaces sit under RAM and the ISA ports (lower priority)
 */

import { defaultPlatformTables, withPciWindowAboveRam } from "../boot/acpi/config.js";
import { pcMemoryMap } from "../boot/e820.js";
import { AcpiPm } from "../devices/acpi-pm.js";
import { Hpet } from "../devices/hpet.js";
import { I8042 } from "../devices/i8042.js";
import { ResetControl } from "../devices/reset-control.js";
import { I440fxHost } from "../devices/pci/i440fx-host.js";
import { PciBus } from "../devices/pci/pci-bus.js";
import { PciHost } from "../devices/pci/pci-host.js";
import { Piix3Isa } from "../devices/pci/piix3-isa.js";
import type { Serial16550 } from "../devices/serial-16550.js";
import { MemoryRegion } from "../memory/memory-region.js";
import type { RegionOps } from "../memory/types.js";
import { bootKernel, buildBoard, comPnpDevices, createCore, createCpu, createIsaLegacy, IsaIrq, serialPortCount, type BoardMachine } from "./board-common.js";
import type { KernelFormat } from "./kernel-image.js";
import type { Machine, MachineOptions } from "./machine.js";

/** Ports only the PC decodes. */
const enum PcIo { KBD_DATA = 0x60, KBD_CMD = 0x64, PCI_CONFIG_ADDRESS = 0xcf8, PCI_CONFIG_DATA = 0xcfc, POST = 0x80 }

/** devfn of the PCI functions (device << 3 | function). */
const enum PcDevfn { HOST = 0, ISA = 1 << 3 }

/** HPET: 1 KiB of registers; INT_ROUTE values 20..23 reach the IOAPIC pins of the same number. */
const enum PcHpet { SIZE = 0x400, FIRST_ROUTE = 20, ROUTES = 4 }

/** A region that reads zero and ignores writes (POST codes, delays). */
const sinkOps: RegionOps = { read: () => 0, write: () => {} };

export interface PcMachine extends Machine {
  readonly serial: Serial16550;
  readonly kernelFormat: KernelFormat;
  readonly hpet: Hpet;
}

export function createPcMachine(opts: MachineOptions): PcMachine {
  return buildBoard(opts, (m) => buildPc(m, opts));
}

function buildPc(m: BoardMachine, opts: MachineOptions): PcMachine {
  const log = m.log;
  const clock = m.clock;
  const memoryMap = pcMemoryMap(m.ramBytes);
  // Describe only what the board has: no PCIe ECAM (i440fx-style type-1 configuration only);
  // the PCI window starts above RAM.
  const defaults = defaultPlatformTables(1);
  const isaDevices = [...(defaults.isaDevices ?? []).filter((d) => d.hid !== "PNP0501"), ...comPnpDevices(serialPortCount(opts))];
  const platformTables = withPciWindowAboveRam({ ...defaults, ecam: null, isaDevices }, m.ramBytes);

  const core = createCore(m, platformTables, "pc.ram");
  const { sysRoot, ioRoot, isaIrq, ioapic } = core;
  const isa = createIsaLegacy(m, core, opts);

  const hpetCfg = platformTables.hpet!;
  const hpet = new Hpet("hpet", {
    clock, logger: log,
    routes: Array.from({ length: PcHpet.FIRST_ROUTE + PcHpet.ROUTES }, (_, i) => (i >= PcHpet.FIRST_ROUTE ? ioapic.irq[i] : undefined)),
    legacy: [isa.irq0.inputs[1]!, isa.irq8.inputs[1]!],
  });
  m.own(hpet.onLegacyModeChange((on) => { isa.irq0.select(on ? 1 : 0); isa.irq8.select(on ? 1 : 0); }));
  sysRoot.addSubregion(MemoryRegion.io("hpet", PcHpet.SIZE, hpet), hpetCfg.gpa);

  const pmCfg = platformTables.pm!;
  const acpiPm = new AcpiPm("acpi-pm", {
    clock, logger: log, system: m, sci: isaIrq(pmCfg.sciIrq), s5SleepType: pmCfg.s5SlpTyp,
    timer32: pmCfg.pmTimer32, sciEnabledAtReset: pmCfg.smiCmdPort === 0, gpe0Length: pmCfg.gpe0Len,
  });
  ioRoot.addSubregion(MemoryRegion.io("acpi-pm1a-evt", 4, acpiPm.evt), pmCfg.pm1aEvtPort);
  ioRoot.addSubregion(MemoryRegion.io("acpi-pm1a-cnt", 2, acpiPm.cnt), pmCfg.pm1aCntPort);
  ioRoot.addSubregion(MemoryRegion.io("acpi-pm-tmr", 4, acpiPm.tmr), pmCfg.pmTmrPort);
  ioRoot.addSubregion(MemoryRegion.io("acpi-gpe0", pmCfg.gpe0Len, acpiPm.gpe0), pmCfg.gpe0Port);

  const kbd = new I8042({ kbdIrq: isaIrq(IsaIrq.KBD), mouseIrq: isaIrq(IsaIrq.MOUSE), system: m, logger: log });
  const resetCtl = new ResetControl({ system: m });
  ioRoot.addSubregion(MemoryRegion.io("i8042-data", 1, kbd.dataOps), PcIo.KBD_DATA);
  ioRoot.addSubregion(MemoryRegion.io("i8042-cmd", 1, kbd.commandOps), PcIo.KBD_CMD);
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

  const devices = [core.lapic, ioapic, core.pic, isa.pit, isa.port61, isa.rtc, hpet, acpiPm, ...isa.serials, kbd, isa.debugExit, isa.fpuError,
    resetCtl, pciHost, ...pciDevices];
  for (const d of devices) m.addDevice(d);
  m.serial = isa.serial;
  createCpu(m, core.lapic, opts, isa.fpuError);
  bootKernel(m, opts, platformTables, memoryMap);
  return Object.assign(m, { hpet });
}
