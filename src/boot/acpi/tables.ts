/**
 * ACPI table builders (ACPI spec 6.x, chapter 5.2): RSDP v2, XSDT, RSDT, FADT (revision 6,
 * fixed hardware with a PM block, or hardware-reduced with a GED), FACS, MADT, HPET (IA-PC
 * HPET spec), MCFG (PCI Firmware spec) and the DSDT (\_S5_, \_SB.PCI0, legacy PnP devices,
 * the GED and its power button). Each takes the board's PlatformTablesConfig; nothing here
 * knows a port or address by itself.
 */
import { ByteWriter } from "../bytes.js";
import * as aml from "./aml.js";
import type { GedConfig, PlatformTablesConfig } from "./config.js";
import { I8042_PNP_IDS, IntiFlags } from "./config.js";
import { checksum, finish, gas, OEM_ID, SDT_HEADER_SIZE, sdt } from "./sdt.js";

const SPACE_MEMORY = 0, SPACE_IO = 1;

/** RSDP revision 2 (5.2.5.3), 36 bytes. */
export function buildRsdp(rsdtGpa: number, xsdtGpa: number): Uint8Array {
  const w = new ByteWriter(36).ascii(0, "RSD PTR ").ascii(9, OEM_ID).u8(15, 2).u32(16, rsdtGpa).u32(20, 36).u64(24, xsdtGpa);
  w.u8(8, checksum(w.bytes, 0, 20));
  w.u8(32, checksum(w.bytes, 0, 36));
  return w.bytes;
}

export function buildXsdt(tables: readonly number[]): Uint8Array {
  const w = sdt("XSDT", SDT_HEADER_SIZE + 8 * tables.length, 1);
  tables.forEach((t, i) => w.u64(SDT_HEADER_SIZE + 8 * i, t));
  return finish(w);
}

export function buildRsdt(tables: readonly number[]): Uint8Array {
  const w = sdt("RSDT", SDT_HEADER_SIZE + 4 * tables.length, 1);
  tables.forEach((t, i) => w.u32(SDT_HEADER_SIZE + 4 * i, t));
  return finish(w);
}

/** FACS (5.2.10), 64 bytes, version 2; no checksum. */
export function buildFacs(): Uint8Array {
  return new ByteWriter(64).ascii(0, "FACS").u32(4, 64).u8(32, 2).bytes;
}

/** FADT flags (5.2.9 Table 5.10). */
const enum FadtFlag {
  WBINVD = 1 << 0, PROC_C1 = 1 << 2, PWR_BUTTON = 1 << 4, SLP_BUTTON = 1 << 5, RTC_S4 = 1 << 7,
  TMR_VAL_EXT = 1 << 8, RESET_REG_SUP = 1 << 10, HW_REDUCED_ACPI = 1 << 20,
}
/** IAPC_BOOT_ARCH (5.2.9.3): LEGACY_DEVICES, 8042. */
const BOOT_ARCH_LEGACY = 1 << 0, BOOT_ARCH_8042 = 1 << 1;
export const FADT_REVISION = 6;
export const FADT_LENGTH = 276;

/** FADT revision 6 (5.2.9 Table 5.9); offsets are the spec's byte offsets. */
export function buildFadt(cfg: PlatformTablesConfig, facsGpa: number, dsdtGpa: number): Uint8Array {
  const w = sdt("FACP", FADT_LENGTH, FADT_REVISION);
  w.u32(36, facsGpa).u32(40, dsdtGpa).u8(45, 0).u8(108, cfg.rtcCentury)
    .u16(109, (cfg.pic8259 ? BOOT_ARCH_LEGACY : 0) | (cfg.i8042 ? BOOT_ARCH_8042 : 0)).u8(131, 0);
  w.u64(140, dsdtGpa);
  const pm = cfg.pm;
  if (pm) {
    w.u16(46, pm.sciIrq).u32(48, pm.smiCmdPort).u8(52, pm.acpiEnable).u8(53, pm.acpiDisable)
      .u32(56, pm.pm1aEvtPort).u32(64, pm.pm1aCntPort).u32(76, pm.pmTmrPort).u32(80, pm.gpe0Port)
      .u8(88, 4).u8(89, 2).u8(91, pm.pmTmrPort ? 4 : 0).u8(92, pm.gpe0Port ? pm.gpe0Len : 0)
      .u16(96, 0xfff).u16(98, 0xfff);
    let flags = FadtFlag.WBINVD | FadtFlag.PROC_C1 | FadtFlag.PWR_BUTTON | FadtFlag.SLP_BUTTON | FadtFlag.RTC_S4;
    if (pm.pmTimer32) flags |= FadtFlag.TMR_VAL_EXT;
    if (cfg.reset) {
      flags |= FadtFlag.RESET_REG_SUP;
      gas(w, 116, SPACE_IO, 8, 1, cfg.reset.port);
      w.u8(128, cfg.reset.value);
    }
    w.u32(112, flags);
    gas(w, 148, SPACE_IO, 32, 0, pm.pm1aEvtPort);
    gas(w, 172, SPACE_IO, 16, 0, pm.pm1aCntPort);
    if (pm.pmTmrPort) gas(w, 208, SPACE_IO, 32, 0, pm.pmTmrPort);
    if (pm.gpe0Port) gas(w, 220, SPACE_IO, pm.gpe0Len * 8, 0, pm.gpe0Port);
  } else if (cfg.ged) {
    // Hardware-reduced (4.1): no PM blocks and no SCI; sleep and reset go through the GED's
    // byte registers in system memory (4.8.3.6 reset register, 4.8.3.7 sleep registers).
    const g = cfg.ged;
    w.u32(112, FadtFlag.HW_REDUCED_ACPI | FadtFlag.RESET_REG_SUP);
    gas(w, 116, SPACE_MEMORY, 8, 1, g.regsGpa + GedReg.RESET);
    w.u8(128, g.resetValue);
    gas(w, 244, SPACE_MEMORY, 8, 1, g.regsGpa + GedReg.SLEEP_CTL);
    gas(w, 256, SPACE_MEMORY, 8, 1, g.regsGpa + GedReg.SLEEP_STS);
  }
  return finish(w);
}

/** Byte offsets of the GED's registers from GedConfig.regsGpa (QEMU's acpi-ged layout). */
export const enum GedReg { SLEEP_CTL = 0, SLEEP_STS = 1, RESET = 2, COUNT = 3 }
/** ESEL bit of the power-button event. */
export const GED_EVENT_POWER_BUTTON = 1 << 1;

/** MADT (5.2.12): local APICs, the IOAPIC, ISA overrides, LAPIC NMI on LINT1. */
export function buildMadt(cfg: PlatformTablesConfig): Uint8Array {
  const len = 44 + 8 * cfg.apicIds.length + 12 + 10 * cfg.isaOverrides.length + 6;
  const w = sdt("APIC", len, 3).u32(36, cfg.lapicGpa).u32(40, cfg.pic8259 ? 1 : 0);
  let o = 44;
  cfg.apicIds.forEach((id, uid) => { w.u8(o, 0).u8(o + 1, 8).u8(o + 2, uid).u8(o + 3, id).u32(o + 4, 1); o += 8; });
  w.u8(o, 1).u8(o + 1, 12).u8(o + 2, cfg.ioapicId).u32(o + 4, cfg.ioapicGpa).u32(o + 8, 0);
  o += 12;
  for (const ov of cfg.isaOverrides) { w.u8(o, 2).u8(o + 1, 10).u8(o + 2, 0).u8(o + 3, ov.irq).u32(o + 4, ov.gsi).u16(o + 8, ov.flags); o += 10; }
  w.u8(o, 4).u8(o + 1, 6).u8(o + 2, 0xff).u16(o + 3, IntiFlags.CONFORMS).u8(o + 5, 1);
  return finish(w);
}

/** HPET description table (IA-PC HPET 1.0a, 3.2.4), 56 bytes. */
export function buildHpet(hpet: NonNullable<PlatformTablesConfig["hpet"]>): Uint8Array {
  const w = sdt("HPET", 56, 1).u32(36, hpet.eventTimerBlockId);
  gas(w, 40, SPACE_MEMORY, 64, 0, hpet.gpa);
  w.u8(52, 0).u16(53, hpet.minTick).u8(55, 0);
  return finish(w);
}

/** MCFG (PCI Firmware spec 3.0, 4.1.2): one ECAM allocation for segment 0. */
export function buildMcfg(ecam: NonNullable<PlatformTablesConfig["ecam"]>): Uint8Array {
  const w = sdt("MCFG", 44 + 16, 1);
  w.u64(44, ecam.gpa).u16(52, 0).u8(54, ecam.startBus).u8(55, ecam.endBus);
  return finish(w);
}

/**
 * DSDT: \_S5_ (SLP_TYP), the legacy ISA devices (keyboard, mouse, RTC, serial) as
 * \_SB.<name> with _HID and _CRS, the GED of a hardware-reduced platform, and \_SB.PCI0
 * (PNP0A03) with its _CRS windows.
 */
export function buildDsdt(cfg: PlatformTablesConfig): Uint8Array {
  const t = cfg.pm?.s5SlpTyp ?? cfg.ged?.s5SlpTyp ?? 0;
  const body: aml.Aml[] = [aml.name("\\_S5", aml.pkg([aml.int(t), aml.int(t), aml.int(0), aml.int(0)]))];
  const isa = (cfg.isaDevices ?? []).filter((d) => cfg.i8042 || !I8042_PNP_IDS.includes(d.hid));
  const sb: aml.Aml[] = isa.map((d) => aml.device(d.name, [
    aml.name("_HID", aml.eisaId(d.hid)),
    ...(d.uid !== undefined ? [aml.name("_UID", aml.int(d.uid))] : []),
    aml.name("_CRS", aml.resourceTemplate([...d.io.map((r) => aml.ioPort(r.port, r.len)), ...(d.irqs.length ? [aml.irqNoFlags(d.irqs)] : [])])),
  ]));
  if (cfg.ged) sb.push(...gedDevices(cfg.ged));
  if (cfg.pci) {
    const p = cfg.pci;
    const crs = aml.resourceTemplate([
      aml.wordBusNumber(p.busStart, p.busEnd),
      aml.ioPort(p.configPort, 8),
      aml.wordIo(0x0000, p.configPort - 1),
      aml.wordIo(p.configPort + 8, 0xffff),
      aml.dwordMemory(p.mmio32Start, p.mmio32End),
    ]);
    sb.push(aml.device("PCI0", [
      aml.name("_HID", aml.eisaId("PNP0A03")),
      aml.name("_ADR", aml.int(0)),
      aml.name("_UID", aml.int(0)),
      aml.name("_CRS", crs),
      ...(p.intxGsis ? [aml.name("_PRT", prt(p.intxGsis))] : []),
    ]));
  }
  if (sb.length > 0) body.push(aml.scope("\\_SB", sb));
  const code = aml.concat(body);
  const w = sdt("DSDT", SDT_HEADER_SIZE + code.length, 2).set(SDT_HEADER_SIZE, code);
  return finish(w);
}

/**
 * \_SB.GED (ACPI0013, 5.6.9): its interrupt in _CRS, ESEL mapped by an OperationRegion, and
 * _EVT, which reads ESEL (the read clears it) and notifies \_SB.PWRB (PNP0C0C) of a press.
 */
function gedDevices(g: GedConfig): aml.Aml[] {
  const pressed = aml.lequal(aml.and(aml.local0(), aml.int(GED_EVENT_POWER_BUTTON)), aml.int(GED_EVENT_POWER_BUTTON));
  return [
    aml.device("GED", [
      aml.name("_HID", aml.str("ACPI0013")),
      aml.name("_UID", aml.int(0)),
      aml.name("_CRS", aml.resourceTemplate([aml.interruptEdgeHigh(g.gsi)])),
      aml.opRegion("EREG", aml.RegionSpace.SYSTEM_MEMORY, g.evtGpa, 4),
      aml.fieldDwordWriteAsZeros("EREG", [["ESEL", 32]]),
      aml.method("_EVT", 1, true, [aml.store(aml.ref("ESEL"), aml.local0()), aml.ifThen(pressed, [aml.notify("PWRB", 0x80)])]),
    ]),
    aml.device("PWRB", [aml.name("_HID", aml.eisaId("PNP0C0C")), aml.name("_UID", aml.int(0))]),
  ];
}

/** _PRT: for every slot 0..31 and pin INTA..INTD, Package { 0xSSSSFFFF, pin, Zero, GSI }. */
function prt(gsis: readonly [number, number, number, number]): aml.Aml {
  const entries: aml.Aml[] = [];
  for (let slot = 0; slot < 32; slot++) {
    for (let pin = 0; pin < 4; pin++) {
      entries.push(aml.pkg([aml.int(slot * 0x10000 + 0xffff), aml.int(pin), aml.int(0), aml.int(gsis[(slot + pin) % 4]!)]));
    }
  }
  return aml.pkg(entries);
}
