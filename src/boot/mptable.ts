/**
 * Intel MultiProcessor Specification 1.4 tables, for guests booted with acpi=off: the MP
 * floating pointer structure (4.1) and the MP configuration table (4.2) with processor (4.3.1),
 * bus (4.3.2), I/O APIC (4.3.3), I/O interrupt assignment (4.3.4) and local interrupt
 * assignment (4.3.5) entries. ISA IRQs 0..15 go to the IOAPIC pin of the same number unless
 * the config's ISA overrides say otherwise; pin 0 carries ExtINT from the 8259. PCI INTx
 * entries follow the config's swizzle (the same routing the DSDT's _PRT describes).
 */
import { ConfigError } from "../common/errors.js";
import type { GuestMemory } from "./guest-memory.js";
import { ByteWriter, fmtSize } from "./bytes.js";
import { checksum } from "./acpi/sdt.js";
import { IntiFlags, validatePlatformTables, type PlatformTablesConfig } from "./acpi/config.js";
import { MPTABLE_GPA, MPTABLE_MAX } from "./layout.js";

const FLOATING_SIZE = 16, HEADER_SIZE = 44;
const PROC = 0, BUS = 1, IOAPIC = 2, IOINT = 3, LINT = 4;
const INT_INT = 0, INT_NMI = 1, INT_EXTINT = 3;
const LAPIC_VERSION = 0x14, IOAPIC_VERSION = 0x11;
/** CPUID signature/features reported for every processor (family 6; FPU, APIC). */
const CPU_SIGNATURE = 0x600, CPU_FEATURES = 0x201;

/** Build the floating pointer followed by the configuration table, for address `gpa`. */
export function buildMpTable(cfg: PlatformTablesConfig, gpa = MPTABLE_GPA): Uint8Array {
  validatePlatformTables(cfg);
  const entries: Uint8Array[] = [];
  cfg.apicIds.forEach((id, i) => {
    entries.push(new ByteWriter(20).u8(0, PROC).u8(1, id).u8(2, LAPIC_VERSION).u8(3, 1 | (i === 0 ? 2 : 0)).u32(4, CPU_SIGNATURE).u32(8, CPU_FEATURES).bytes);
  });
  // Bus ids: PCI bus 0 (when present) is id 0, ISA follows (as SeaBIOS numbers them).
  const pciBus = cfg.pci ? 0 : -1;
  const isaBus = pciBus + 1;
  if (cfg.pci) entries.push(new ByteWriter(8).u8(0, BUS).u8(1, pciBus).ascii(2, "PCI   ").bytes);
  entries.push(new ByteWriter(8).u8(0, BUS).u8(1, isaBus).ascii(2, "ISA   ").bytes);
  entries.push(new ByteWriter(8).u8(0, IOAPIC).u8(1, cfg.ioapicId).u8(2, IOAPIC_VERSION).u8(3, 1).u32(4, cfg.ioapicGpa).bytes);
  const ioint = (type: number, flags: number, irq: number, pin: number, bus = isaBus): Uint8Array =>
    new ByteWriter(8).u8(0, IOINT).u8(1, type).u16(2, flags).u8(4, bus).u8(5, irq).u8(6, cfg.ioapicId).u8(7, pin).bytes;
  if (cfg.pic8259) entries.push(ioint(INT_EXTINT, 0, 0, 0));
  for (let irq = 0; irq < 16; irq++) {
    const ov = cfg.isaOverrides.find((o) => o.irq === irq);
    const pin = ov ? ov.gsi : irq;
    if (pin === 0 && cfg.pic8259) continue; // pin 0 is the 8259's ExtINT
    if (irq === 2 && !ov) continue; // the cascade: IRQ 2 does not exist on the ISA bus
    if (pin >= cfg.ioapicPins) continue;
    entries.push(ioint(INT_INT, ov ? ov.flags : 0, irq, pin));
  }
  const gsis = cfg.pci?.intxGsis;
  if (gsis) {
    // PCI source irq = slot << 2 | pin (MP spec 4.3.4 / D.3); level-triggered, active-low.
    for (let slot = 0; slot < 32; slot++) {
      for (let pin = 0; pin < 4; pin++) entries.push(ioint(INT_INT, IntiFlags.LEVEL | IntiFlags.ACTIVE_LOW, (slot << 2) | pin, gsis[(slot + pin) % 4]!, pciBus));
    }
  }
  const lint = (type: number, pin: number): Uint8Array => new ByteWriter(8).u8(0, LINT).u8(1, type).u16(2, 0).u8(4, isaBus).u8(5, 0).u8(6, 0xff).u8(7, pin).bytes;
  entries.push(lint(INT_EXTINT, 0), lint(INT_NMI, 1));
  const bodyLen = entries.reduce((s, e) => s + e.length, 0);
  const total = FLOATING_SIZE + HEADER_SIZE + bodyLen;
  if (total > MPTABLE_MAX) throw new ConfigError(`MP table (${fmtSize(total)}) exceeds its ${fmtSize(MPTABLE_MAX)} area`);
  const w = new ByteWriter(total);
  const tableGpa = gpa + FLOATING_SIZE;
  w.ascii(0, "_MP_").u32(4, tableGpa).u8(8, 1).u8(9, 4);
  w.u8(10, checksum(w.bytes, 0, FLOATING_SIZE));
  const h = FLOATING_SIZE;
  w.ascii(h, "PCMP").u16(h + 4, HEADER_SIZE + bodyLen).u8(h + 6, 4).ascii(h + 8, "TSEMU   ").ascii(h + 16, "PC          ")
    .u16(h + 34, entries.length).u32(h + 36, cfg.lapicGpa);
  let o = h + HEADER_SIZE;
  for (const e of entries) { w.set(o, e); o += e.length; }
  w.u8(h + 7, checksum(w.bytes, h, total));
  return w.bytes;
}

/** Build and write the MP table at MPTABLE_GPA; returns that address. */
export function writeMpTable(mem: GuestMemory, cfg: PlatformTablesConfig): number {
  mem.write(MPTABLE_GPA, buildMpTable(cfg));
  return MPTABLE_GPA;
}
