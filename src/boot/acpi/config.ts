/**
 * What the ACPI and MP table builders need to know about the board: every port, address and
 * IRQ is a parameter here; defaultPlatformTables() fills them from src/boot/layout.ts.
 */
import { ConfigError } from "../../common/errors.js";
import {
  DEFAULT_ECAM_GPA, DEFAULT_GPE0_PORT, DEFAULT_HPET_GPA, DEFAULT_IOAPIC_GPA, DEFAULT_LAPIC_GPA,
  DEFAULT_PCI_MMIO32_END, DEFAULT_PCI_MMIO32_GPA, DEFAULT_PIT_GSI, DEFAULT_PIT_IRQ, DEFAULT_PM1A_CNT_PORT,
  DEFAULT_PM1A_EVT_PORT, DEFAULT_PM_TMR_PORT, DEFAULT_RESET_PORT, DEFAULT_RESET_VALUE, DEFAULT_S5_SLP_TYP,
  DEFAULT_SCI_IRQ, DEFAULT_RTC_CENTURY_INDEX, DEFAULT_HPET_BLOCK_ID,
  DEFAULT_PCI_CONFIG_PORT, DEFAULT_PCI_INTX_GSIS, DEFAULT_I8042_DATA_PORT, DEFAULT_I8042_CMD_PORT,
  DEFAULT_KBD_IRQ, DEFAULT_MOUSE_IRQ, DEFAULT_RTC_PORT, DEFAULT_RTC_IRQ, DEFAULT_COM1_PORT, DEFAULT_COM1_IRQ,
} from "../layout.js";

/** MPS INTI flags (MADT 5.2.12.5, MP spec 4.3.4): polarity bits 0..1, trigger bits 2..3. */
export const enum IntiFlags {
  CONFORMS = 0,
  ACTIVE_HIGH = 1,
  ACTIVE_LOW = 3,
  EDGE = 1 << 2,
  LEVEL = 3 << 2,
}

/** An ISA IRQ that is not identity-mapped (or not edge/high) on the IOAPIC. */
export interface IsaOverride {
  irq: number;
  gsi: number;
  /** IntiFlags polarity | trigger. */
  flags: number;
}

export interface AcpiPmConfig {
  pm1aEvtPort: number;
  pm1aCntPort: number;
  /** 0 = no PM timer. */
  pmTmrPort: number;
  /** 0 = no GPE block. */
  gpe0Port: number;
  gpe0Len: number;
  sciIrq: number;
  /** SLP_TYP value for S5, agreed with the ACPI PM device. */
  s5SlpTyp: number;
  /** PM timer is 32 bits wide (FADT TMR_VAL_EXT). */
  pmTimer32: boolean;
  /** SMI command port for ACPI enable/disable; 0 = ACPI is always enabled (SCI_EN set). */
  smiCmdPort: number;
  acpiEnable: number;
  acpiDisable: number;
}

/**
 * The Generic Event Device of a hardware-reduced ACPI platform (ACPI 6.x 5.6.9, shaped like
 * QEMU's acpi-ged): an event selector register the DSDT's _EVT reads, and the sleep control,
 * sleep status and reset registers the FADT describes with GAS (4.8.3.6, 4.8.3.7).
 */
export interface GedConfig {
  /** ESEL: 4-byte event selector in system memory (bit 1 = power button). */
  evtGpa: number;
  /** SLEEP_CONTROL_REG at regsGpa + 0, SLEEP_STATUS_REG at + 1, RESET_REG at + 2 (bytes). */
  regsGpa: number;
  /** GSI of the GED interrupt (edge, active high, in _CRS). */
  gsi: number;
  /** SLP_TYP for S5 (the DSDT's \_S5 and the GED agree). */
  s5SlpTyp: number;
  /** Value written to RESET_REG to reset. */
  resetValue: number;
}

export interface PciRootConfig {
  busStart: number;
  busEnd: number;
  /** The 32-bit MMIO window for BARs, inclusive. */
  mmio32Start: number;
  mmio32End: number;
  /** CONFIG_ADDRESS port of configuration mechanism #1 (8 ports). */
  configPort: number;
  /**
   * INTx routing on bus 0: slot s, pin p (0 = INTA) is wired to GSI intxGsis[(s + p) % 4]
   * (level-triggered, active-low). Emitted as _PRT and as MP-table interrupt entries.
   */
  intxGsis: readonly [number, number, number, number] | null;
}

/**
 * A legacy ISA device the DSDT describes (Device with _HID and _CRS), so that the OS's ACPI
 * PNP layer finds it instead of probing fixed ports (Linux: "i8042: PNP: No PS/2 controller
 * found", "rtc_cmos: ... no PNP device found" without them).
 */
export interface IsaPnpDevice {
  /** AML device name (1..4 of [A-Z0-9_]). */
  name: string;
  /** EISA PNP id, e.g. "PNP0303". */
  hid: string;
  /** Fixed I/O port ranges the device decodes. */
  io: readonly { port: number; len: number }[];
  /** ISA IRQs (edge-triggered, active-high). */
  irqs: readonly number[];
  /** _UID, needed when two devices share a _HID (COM1/COM2). */
  uid?: number;
}

/** PNP ids of the PS/2 keyboard and mouse, left out of the DSDT when there is no i8042. */
export const I8042_PNP_IDS: readonly string[] = ["PNP0303", "PNP0F13"];

/** The PC's ISA devices: PS/2 keyboard and mouse on the i8042, the RTC, COM1. */
export const PC_ISA_DEVICES: readonly IsaPnpDevice[] = [
  { name: "KBD", hid: "PNP0303", io: [{ port: DEFAULT_I8042_DATA_PORT, len: 1 }, { port: DEFAULT_I8042_CMD_PORT, len: 1 }], irqs: [DEFAULT_KBD_IRQ] },
  { name: "MOU", hid: "PNP0F13", io: [], irqs: [DEFAULT_MOUSE_IRQ] },
  { name: "RTC", hid: "PNP0B00", io: [{ port: DEFAULT_RTC_PORT, len: 2 }], irqs: [DEFAULT_RTC_IRQ] },
  { name: "COM1", hid: "PNP0501", io: [{ port: DEFAULT_COM1_PORT, len: 8 }], irqs: [DEFAULT_COM1_IRQ] },
];

export interface PlatformTablesConfig {
  /** Local APIC id of each CPU (CPU 0 is the boot processor). */
  apicIds: readonly number[];
  lapicGpa: number;
  ioapicGpa: number;
  ioapicId: number;
  /** Number of IOAPIC pins (24 on a PC). */
  ioapicPins: number;
  /** The legacy 8259 pair is present (MADT PCAT_COMPAT). */
  pic8259: boolean;
  /** An i8042 keyboard controller exists (FADT IAPC_BOOT_ARCH). */
  i8042: boolean;
  isaOverrides: readonly IsaOverride[];
  /** ACPI fixed hardware (PM1, PM timer, GPE0, SCI); null on a hardware-reduced platform. */
  pm: AcpiPmConfig | null;
  /** Hardware-reduced ACPI (FADT HW_REDUCED_ACPI) through a GED; exactly one of pm and ged. */
  ged: GedConfig | null;
  /** Reset register in I/O space (fixed-hardware platforms; a GED has its own). */
  reset: { port: number; value: number } | null;
  /** RTC CMOS index of the century byte (0 = none). */
  rtcCentury: number;
  hpet: { gpa: number; eventTimerBlockId: number; minTick: number } | null;
  /** PCIe ECAM (MCFG); null = no MCFG (i440fx-style type-1 config only). */
  ecam: { gpa: number; startBus: number; endBus: number } | null;
  /** _SB.PCI0 in the DSDT (and the PCI bus in the MP table); null = no PCI root bridge. */
  pci: PciRootConfig | null;
  /** Legacy ISA devices listed in the DSDT under \_SB (absent = none). */
  isaDevices?: readonly IsaPnpDevice[];
}

/** The QEMU-pc-like defaults for `cpus` CPUs. */
export function defaultPlatformTables(cpus = 1): PlatformTablesConfig {
  return {
    apicIds: Array.from({ length: cpus }, (_, i) => i),
    lapicGpa: DEFAULT_LAPIC_GPA, ioapicGpa: DEFAULT_IOAPIC_GPA, ioapicId: cpus, ioapicPins: 24,
    pic8259: true, i8042: true,
    isaOverrides: [
      { irq: DEFAULT_PIT_IRQ, gsi: DEFAULT_PIT_GSI, flags: IntiFlags.CONFORMS },
      { irq: DEFAULT_SCI_IRQ, gsi: DEFAULT_SCI_IRQ, flags: IntiFlags.LEVEL | IntiFlags.ACTIVE_HIGH },
    ],
    pm: {
      pm1aEvtPort: DEFAULT_PM1A_EVT_PORT, pm1aCntPort: DEFAULT_PM1A_CNT_PORT, pmTmrPort: DEFAULT_PM_TMR_PORT,
      gpe0Port: DEFAULT_GPE0_PORT, gpe0Len: 4, sciIrq: DEFAULT_SCI_IRQ, s5SlpTyp: DEFAULT_S5_SLP_TYP,
      pmTimer32: true, smiCmdPort: 0, acpiEnable: 0, acpiDisable: 0,
    },
    ged: null,
    reset: { port: DEFAULT_RESET_PORT, value: DEFAULT_RESET_VALUE },
    rtcCentury: DEFAULT_RTC_CENTURY_INDEX,
    hpet: { gpa: DEFAULT_HPET_GPA, eventTimerBlockId: DEFAULT_HPET_BLOCK_ID, minTick: 128 },
    ecam: { gpa: DEFAULT_ECAM_GPA, startBus: 0, endBus: 255 },
    pci: { busStart: 0, busEnd: 255, mmio32Start: DEFAULT_PCI_MMIO32_GPA, mmio32End: DEFAULT_PCI_MMIO32_END, configPort: DEFAULT_PCI_CONFIG_PORT, intxGsis: DEFAULT_PCI_INTX_GSIS },
    isaDevices: PC_ISA_DEVICES,
  };
}

/**
 * `cfg` with the PCI root's 32-bit MMIO window starting no lower than `ramTop` (the end of
 * below-4G RAM), as QEMU's pc starts its PCI hole where low RAM ends; unchanged without PCI.
 */
export function withPciWindowAboveRam(cfg: PlatformTablesConfig, ramTop: number): PlatformTablesConfig {
  if (!cfg.pci || cfg.pci.mmio32Start >= ramTop) return cfg;
  if (ramTop > cfg.pci.mmio32End) throw new ConfigError(`firmware tables: RAM up to ${ramTop} leaves no PCI MMIO window`);
  return { ...cfg, pci: { ...cfg.pci, mmio32Start: ramTop } };
}

/** ConfigError for a config the tables cannot describe (the builders call this first). */
export function validatePlatformTables(cfg: PlatformTablesConfig): void {
  const fail = (what: string): never => { throw new ConfigError(`firmware tables: ${what}`); };
  const isInt = (v: number, max: number): boolean => Number.isInteger(v) && v >= 0 && v <= max;
  if (cfg.apicIds.length === 0 || cfg.apicIds.length > 255) fail(`${cfg.apicIds.length} CPUs (need 1..255)`);
  if (cfg.apicIds.some((id) => !isInt(id, 254)) || new Set(cfg.apicIds).size !== cfg.apicIds.length) fail("APIC ids must be distinct and 0..254");
  if (!isInt(cfg.ioapicId, 254)) fail(`IOAPIC id ${cfg.ioapicId} out of range`);
  if (!isInt(cfg.ioapicPins, 240) || cfg.ioapicPins < 16) fail(`IOAPIC with ${cfg.ioapicPins} pins`);
  for (const o of cfg.isaOverrides) {
    if (!isInt(o.irq, 15) || !isInt(o.gsi, cfg.ioapicPins - 1) || !isInt(o.flags, 0xf)) fail(`ISA override IRQ ${o.irq} -> GSI ${o.gsi}`);
  }
  const pm = cfg.pm, ged = cfg.ged;
  if ((pm === null) === (ged === null)) fail("need exactly one of an ACPI PM block (pm) and a GED (hardware-reduced)");
  if (pm) {
    for (const p of [pm.pm1aEvtPort, pm.pm1aCntPort, pm.pmTmrPort, pm.gpe0Port, pm.smiCmdPort, cfg.reset?.port ?? 0]) if (!isInt(p, 0xffff)) fail(`I/O port ${p} out of range`);
    if (!isInt(pm.s5SlpTyp, 7)) fail(`S5 SLP_TYP ${pm.s5SlpTyp} (a 3-bit field)`);
    if (!isInt(pm.sciIrq, 15)) fail(`SCI IRQ ${pm.sciIrq}`);
    if (!isInt(pm.gpe0Len, 254) || pm.gpe0Len % 2 !== 0) fail(`GPE0 block length ${pm.gpe0Len} (must be even)`);
  }
  if (ged) {
    if (!isInt(ged.s5SlpTyp, 7)) fail(`S5 SLP_TYP ${ged.s5SlpTyp} (a 3-bit field)`);
    if (!isInt(ged.gsi, cfg.ioapicPins - 1)) fail(`GED GSI ${ged.gsi} is not an IOAPIC pin`);
    if (!isInt(ged.resetValue, 0xff)) fail(`GED reset value ${ged.resetValue}`);
  }
  for (const a of [cfg.lapicGpa, cfg.ioapicGpa, cfg.hpet?.gpa ?? 0, cfg.ecam?.gpa ?? 0, ged?.evtGpa ?? 0, ged?.regsGpa ?? 0]) if (!isInt(a, 2 ** 52)) fail(`address ${a} out of range`);
  if (cfg.ecam && (!isInt(cfg.ecam.startBus, 255) || !isInt(cfg.ecam.endBus, 255) || cfg.ecam.endBus < cfg.ecam.startBus)) fail("ECAM bus range");
  for (const d of cfg.isaDevices ?? []) {
    if (!/^[A-Z_][A-Z0-9_]{0,3}$/.test(d.name) || !/^[A-Z]{3}[0-9A-F]{4}$/.test(d.hid)) fail(`ISA device "${d.name}" (${d.hid}): bad name or PNP id`);
    if (d.io.some((r) => !isInt(r.port, 0xffff) || !isInt(r.len, 0xff) || r.len === 0 || r.port + r.len > 0x10000)) fail(`ISA device ${d.name}: I/O range out of range`);
    if (d.irqs.some((i) => !isInt(i, 15))) fail(`ISA device ${d.name}: IRQ must be 0..15`);
    if (d.uid !== undefined && !isInt(d.uid, 0xffff)) fail(`ISA device ${d.name}: _UID ${d.uid}`);
  }
  const p = cfg.pci;
  if (p) {
    if (!isInt(p.busStart, 255) || !isInt(p.busEnd, 255) || p.busEnd < p.busStart) fail("PCI bus range");
    if (!isInt(p.mmio32Start, 0xffffffff) || !isInt(p.mmio32End, 0xffffffff) || p.mmio32End < p.mmio32Start) fail("PCI 32-bit MMIO window");
    if (!isInt(p.configPort, 0xfff0) || p.configPort === 0) fail(`PCI config port ${p.configPort}`);
    if (p.intxGsis && p.intxGsis.some((g) => !isInt(g, cfg.ioapicPins - 1))) fail("PCI INTx GSIs must be IOAPIC pins");
  }
}
