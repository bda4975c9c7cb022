/**
 * The "microvm" board, after QEMU's `-M microvm`: no PCI, no i8042, no HPET, no ACPI PM
 * block; the legacy devices a direct-booted Linux wants (LAPIC, IOAPIC, 8259 pair, 8254 PIT
 * with port 0x61, MC146818 RTC, COM1, isa-debug-exit) and hardware-reduced ACPI: a FADT with
 * HW_REDUCED_ACPI whose sleep and reset registers live in a Generic Event Device, a MADT, and
 * a DSDT with \_S5, COM1, the RTC, the GED and a power button.
 *
 *   RAM      0 .. memoryBytes, the same e820 map as pc (firmware tables in the BIOS area)
 *   ports    0x3F8 COM1 (IRQ 4), 0x20/0xA0 8259s, 0x4D0 ELCR, 0x40 PIT (IRQ 0 -> IOAPIC pin 2),
 *            0x61 port B, 0x70 RTC (IRQ 8), 0xF4 isa-debug-exit (4 bytes)
 *   MMIO     0xFEE00000 LAPIC, 0xFEC00000 IOAPIC, 0xFEA00000 GED event selector,
 *            0xFEA00200 GED sleep control / sleep status / reset (reset value 0x42),
 *            0xFEB00000 virtio-mmio window (8 transports of 512 bytes, GSIs 16..23; reserved
 *            here, nothing mapped yet)
 *   IRQs     as pc for ISA IRQs; GED -> IOAPIC pin 9 (edge, active high)
 * Reset: triple fault (`reboot=t`) or the GED reset register; `-no-reboot` makes either an exit.
 */

import { defaultPlatformTables, IntiFlags, type PlatformTablesConfig } from "../boot/acpi/config.js";
import { GedReg } from "../boot/acpi/tables.js";
import { pcMemoryMap } from "../boot/e820.js";
import { DEFAULT_PIT_GSI, DEFAULT_PIT_IRQ } from "../boot/layout.js";
import { AcpiGed } from "../devices/acpi-ged.js";
import type { Serial16550 } from "../devices/serial-16550.js";
import { MemoryRegion } from "../memory/memory-region.js";
import { bootKernel, buildBoard, comPnpDevices, createCore, createCpu, createIsaLegacy, IsaIo, IsaIrq, serialPortCount, type BoardMachine } from "./board-common.js";
import type { KernelFormat } from "./kernel-image.js";
import type { Machine, MachineOptions } from "./machine.js";

/** microvm's MMIO layout (QEMU include/hw/i386/microvm.h values). */
export const enum MicrovmLayout {
  /** GED event selector (ESEL, 4 bytes). */
  GED_EVT = 0xfea00000,
  /** GED sleep control / sleep status / reset registers (1 byte each). */
  GED_REGS = 0xfea00200,
  /** GED interrupt: IOAPIC pin 9. */
  GED_GSI = 9,
  /** GED reset register value (QEMU's ACPI_GED_RESET_VALUE). */
  GED_RESET_VALUE = 0x42,
  /** SLP_TYP of S5 on the GED (QEMU's ACPI_GED_SLP_TYP_S5). */
  GED_S5_SLP_TYP = 5,
  /** First virtio-mmio transport; transport i is at VIRTIO_MMIO_BASE + i * VIRTIO_MMIO_SIZE. */
  VIRTIO_MMIO_BASE = 0xfeb00000,
  /** Bytes per virtio-mmio transport. */
  VIRTIO_MMIO_SIZE = 0x200,
  /** Number of virtio-mmio transports with one IOAPIC. */
  VIRTIO_MMIO_COUNT = 8,
  /** IOAPIC pin of transport 0 (transport i uses VIRTIO_GSI_BASE + i). */
  VIRTIO_GSI_BASE = 16,
}

export interface MicrovmMachine extends Machine {
  readonly serial: Serial16550;
  readonly kernelFormat: KernelFormat;
  readonly ged: AcpiGed;
}

/** The firmware tables of microvm: hardware-reduced ACPI, no PCI/HPET/ECAM/i8042. */
export function microvmPlatformTables(serialPorts = 1): PlatformTablesConfig {
  return {
    ...defaultPlatformTables(1),
    i8042: false,
    isaOverrides: [{ irq: DEFAULT_PIT_IRQ, gsi: DEFAULT_PIT_GSI, flags: IntiFlags.CONFORMS }],
    pm: null,
    reset: null,
    ged: {
      evtGpa: MicrovmLayout.GED_EVT, regsGpa: MicrovmLayout.GED_REGS, gsi: MicrovmLayout.GED_GSI,
      s5SlpTyp: MicrovmLayout.GED_S5_SLP_TYP, resetValue: MicrovmLayout.GED_RESET_VALUE,
    },
    isaDevices: [
      ...comPnpDevices(serialPorts),
      { name: "RTC", hid: "PNP0B00", uid: 0, io: [{ port: IsaIo.RTC, len: 2 }], irqs: [IsaIrq.RTC] },
    ],
    hpet: null,
    ecam: null,
    pci: null,
  };
}

export function createMicrovmMachine(opts: MachineOptions): MicrovmMachine {
  return buildBoard(opts, (m) => buildMicrovm(m, opts));
}

function buildMicrovm(m: BoardMachine, opts: MachineOptions): MicrovmMachine {
  const tables = microvmPlatformTables(serialPortCount(opts));
  const gedCfg = tables.ged!;
  const core = createCore(m, tables, "microvm.ram");
  const isa = createIsaLegacy(m, core, opts);
  const ged = new AcpiGed("ged", {
    system: m, logger: m.log, irq: core.ioapic.irq[gedCfg.gsi]!, s5SleepType: gedCfg.s5SlpTyp, resetValue: gedCfg.resetValue,
  });
  core.sysRoot.addSubregion(MemoryRegion.io("ged-evt", 4, ged.evt), gedCfg.evtGpa);
  core.sysRoot.addSubregion(MemoryRegion.io("ged-regs", GedReg.COUNT, ged.regs), gedCfg.regsGpa);

  const devices = [core.lapic, core.ioapic, core.pic, isa.pit, isa.port61, isa.rtc, ...isa.serials, isa.debugExit, isa.fpuError, ged];
  for (const d of devices) m.addDevice(d);
  m.serial = isa.serial;
  createCpu(m, core.lapic, opts, isa.fpuError);
  bootKernel(m, opts, tables, pcMemoryMap(m.ramBytes));
  return Object.assign(m, { ged });
}
