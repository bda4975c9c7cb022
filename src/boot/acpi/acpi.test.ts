import { describe, expect, test } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as aml from "./aml.js";
import { buildAcpiTables, writeAcpiTables } from "./build.js";
import { defaultPlatformTables, IntiFlags, withPciWindowAboveRam } from "./config.js";
import { ArrayGuestMemory } from "../guest-memory.js";
import { buildMpTable } from "../mptable.js";
import { writeFirmwareTables } from "../firmware-tables.js";
import { ACPI_RSDP_GPA } from "../layout.js";
import { microvmPlatformTables } from "../../machine/microvm.js";

const sum = (b: Uint8Array): number => b.reduce((s, x) => (s + x) & 0xff, 0);
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const sig = (b: Uint8Array, at = 0): string => String.fromCharCode(...b.subarray(at, at + 4));

describe("AML encoder", () => {
  test("package lengths", () => {
    expect(hex(aml.pkgLength(0))).toBe("01");
    expect(hex(aml.pkgLength(62))).toBe("3f");
    expect(hex(aml.pkgLength(63))).toBe("4104"); // total 65 = 0x41 in two bytes: 0x40 | 0x1, 0x04
    expect(hex(aml.pkgLength(4093))).toBe("4fff"); // total 4095, the two-byte maximum
    expect(hex(aml.pkgLength(4094))).toBe("810001"); // total 4097 in three bytes
  });
  test("names, integers, EISAID", () => {
    expect(hex(aml.nameString("\\_S5"))).toBe("5c5f53355f");
    expect(hex(aml.nameString("\\_SB.PCI0"))).toBe("5c2e5f53425f50434930");
    expect(hex(aml.int(0))).toBe("00");
    expect(hex(aml.int(1))).toBe("01");
    expect(hex(aml.int(0x12))).toBe("0a12");
    expect(hex(aml.int(0x1234))).toBe("0b3412");
    expect(hex(aml.int(0x12345678))).toBe("0c78563412");
    expect(hex(aml.int(2 ** 40))).toBe("0e0000000000010000");
    expect(hex(aml.eisaId("PNP0A03"))).toBe("0c41d00a03");
    expect(hex(aml.irqNoFlags([1]))).toBe("220200");
    expect(hex(aml.irqNoFlags([12]))).toBe("220010");
    expect(() => aml.nameString("toolong")).toThrow();
  });
  test("package: Name(_S5, Package(4){5,5,0,0})", () => {
    expect(hex(aml.name("_S5", aml.pkg([aml.int(5), aml.int(5), aml.int(0), aml.int(0)])))).toBe("085f53355f1208040a050a050000");
  });
});

describe("ACPI tables", () => {
  const cfg = defaultPlatformTables(2);
  const t = buildAcpiTables(cfg);
  const by = (s: string): Uint8Array => t.blobs.find((b) => b.signature === s)!.bytes;
  test("checksums and lengths", () => {
    for (const b of t.blobs) {
      if (b.signature === "FACS") continue;
      if (b.signature === "RSD PTR ") {
        expect(sum(b.bytes.subarray(0, 20))).toBe(0);
        expect(sum(b.bytes)).toBe(0);
        continue;
      }
      expect(sum(b.bytes), b.signature).toBe(0);
      expect(new DataView(b.bytes.buffer).getUint32(4, true)).toBe(b.bytes.length);
    }
  });
  test("RSDP points at XSDT and RSDT listing FADT, MADT, HPET, MCFG", () => {
    const r = new DataView(by("RSD PTR ").buffer);
    expect(r.getUint8(15)).toBe(2);
    const x = t.blobs.find((b) => b.gpa === r.getUint32(24, true))!;
    expect(x.signature).toBe("XSDT");
    const n = (x.bytes.length - 36) / 8;
    const listed = Array.from({ length: n }, (_, i) => t.blobs.find((b) => b.gpa === new DataView(x.bytes.buffer).getUint32(36 + 8 * i, true))!.signature);
    expect(listed).toEqual(["FACP", "APIC", "HPET", "MCFG"]);
    expect(t.blobs.find((b) => b.gpa === r.getUint32(16, true))!.signature).toBe("RSDT");
  });
  test("FADT fields", () => {
    const f = new DataView(by("FACP").buffer);
    expect(f.getUint8(8)).toBe(6);
    expect(f.getUint16(46, true)).toBe(9);
    expect(f.getUint32(56, true)).toBe(0x600);
    expect(f.getUint32(64, true)).toBe(0x604);
    expect(f.getUint32(76, true)).toBe(0x608);
    expect(f.getUint8(91)).toBe(4);
    expect(f.getUint32(112, true) & (1 << 20)).toBe(0); // not HW-reduced
    expect(f.getUint32(112, true) & (1 << 10)).not.toBe(0); // RESET_REG_SUP
    expect(f.getUint32(116 + 4, true)).toBe(0xcf9);
    expect(f.getUint8(128)).toBe(6);
    const dsdt = t.blobs.find((b) => b.signature === "DSDT")!;
    expect(f.getUint32(40, true)).toBe(dsdt.gpa);
    expect(f.getUint32(140, true)).toBe(dsdt.gpa);
    expect(f.getUint32(36, true) % 64).toBe(0);
  });
  test("optional parts: no HPET, ECAM, PCI host or PM timer", () => {
    const bare = buildAcpiTables({ ...cfg, hpet: null, ecam: null, pci: null, pm: { ...cfg.pm!, pmTmrPort: 0 } });
    expect(bare.blobs.map((b) => b.signature)).toEqual(["FACS", "DSDT", "FACP", "APIC", "XSDT", "RSDT", "RSD PTR "]);
    const f = new DataView(bare.blobs.find((b) => b.signature === "FACP")!.bytes.buffer);
    expect(f.getUint32(76, true)).toBe(0);
    expect(f.getUint8(91)).toBe(0);
    expect(f.getUint32(208 + 4, true)).toBe(0);
  });
  test("MADT entries", () => {
    const m = by("APIC");
    const types: number[] = [];
    const overrides: [number, number, number][] = [];
    for (let o = 44; o < m.length; o += m[o + 1]!) {
      types.push(m[o]!);
      if (m[o] === 2) overrides.push([m[o + 3]!, new DataView(m.buffer).getUint32(o + 4, true), new DataView(m.buffer).getUint16(o + 8, true)]);
    }
    expect(types).toEqual([0, 0, 1, 2, 2, 4]);
    expect(overrides).toEqual([[0, 2, 0], [9, 9, IntiFlags.LEVEL | IntiFlags.ACTIVE_HIGH]]);
  });
  test("DSDT holds _S5_ with the configured SLP_TYP and PCI0", () => {
    const d = buildAcpiTables({ ...cfg, pm: { ...cfg.pm!, s5SlpTyp: 5 } }).blobs.find((b) => b.signature === "DSDT")!.bytes;
    expect(hex(d)).toContain("085c5f53355f1208040a050a050000");
    expect(hex(d)).toContain(hex(Uint8Array.from("PCI0", (c) => c.charCodeAt(0))));
  });
  test("DSDT lists the ISA devices (keyboard and mouse only with an i8042)", () => {
    const ascii = (s: string): string => hex(Uint8Array.from(s, (c) => c.charCodeAt(0)));
    const d = hex(by("DSDT"));
    // Device(KBD_) { _HID EISAID("PNP0303"), _CRS { IO(0x60,1), IO(0x64,1), IRQNoFlags(){1} } }
    expect(d).toContain(ascii("KBD_") + "08" + ascii("_HID") + hex(aml.eisaId("PNP0303")));
    expect(d).toContain("47016000600001014701640064000101220200" + "7900");
    for (const id of ["PNP0F13", "PNP0B00", "PNP0501"]) expect(d).toContain(hex(aml.eisaId(id)));
    expect(d).toContain("4701f803f8030108" + "221000"); // COM1: 0x3f8, 8 ports, IRQ 4
    const noKbc = hex(buildAcpiTables({ ...cfg, i8042: false }).blobs.find((b) => b.signature === "DSDT")!.bytes);
    expect(noKbc).not.toContain(hex(aml.eisaId("PNP0303")));
    expect(noKbc).toContain(hex(aml.eisaId("PNP0B00")));
    expect(() => buildAcpiTables({ ...cfg, isaDevices: [{ name: "X", hid: "PNP0501", io: [], irqs: [16] }] })).toThrow(/IRQ/);
  });
  test("writeFirmwareTables writes ACPI and MP tables without overlap", () => {
    const mem = new ArrayGuestMemory(2 << 20);
    const t = writeFirmwareTables(mem, cfg);
    expect(sig(mem.bytes, t.mpTableGpa)).toBe("_MP_");
    expect(String.fromCharCode(...mem.bytes.subarray(t.acpiRsdpGpa, t.acpiRsdpGpa + 8))).toBe("RSD PTR ");
    const last = buildAcpiTables(cfg).blobs.filter((b) => b.signature !== "RSD PTR ").reduce((m, b) => Math.max(m, b.gpa + b.bytes.length), 0);
    expect(last).toBeLessThanOrEqual(t.mpTableGpa);
  });
  test("written into guest memory at the RSDP address", () => {
    const mem = new ArrayGuestMemory(2 << 20);
    expect(writeAcpiTables(mem, cfg)).toBe(ACPI_RSDP_GPA);
    expect(String.fromCharCode(...mem.bytes.subarray(ACPI_RSDP_GPA, ACPI_RSDP_GPA + 8))).toBe("RSD PTR ");
  });
  const iasl = spawnSync("iasl", ["-v"], { encoding: "utf8" }).status === 0;
  test.skipIf(!iasl)("iasl disassembles every table without errors", () => {
    const dir = mkdtempSync(join(tmpdir(), "tsemu-acpi-"));
    try {
      for (const b of t.blobs) if (b.signature !== "RSD PTR ") writeFileSync(join(dir, `${sig(b.bytes)}.dat`), b.bytes);
      for (const f of readdirSync(dir)) {
        const out = execFileSync("iasl", ["-d", join(dir, f)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        expect(out).not.toMatch(/Error|Invalid/i);
      }
      const dsl = readFileSync(join(dir, "DSDT.dsl"), "utf8");
      expect(dsl).toMatch(/Name \(\\_S5, Package \(0x04\)/);
      expect(dsl).toMatch(/Device \(PCI0\)/);
      expect(dsl).toMatch(/EisaId \("PNP0A03"\)/);
      expect(dsl).toMatch(/WordBusNumber/);
      const kbd = dsl.slice(dsl.indexOf("Device (KBD)"), dsl.indexOf("Device (MOU)"));
      expect(kbd).toMatch(/EisaId \("PNP0303"\)/);
      expect(kbd).toMatch(/IO \(Decode16,\s*0x0064,\s/);
      expect(kbd).toMatch(/IRQNoFlags \(\)\s*\{1\}/);
      expect(dsl).toMatch(/Device \(RTC\)[\s\S]*EisaId \("PNP0B00"\)[\s\S]*IRQNoFlags \(\)\s*\{8\}/);
      expect(dsl).toMatch(/Name \(_PRT, Package \(0x80\)/);
      expect(dsl).toMatch(/0x0003FFFF,\s*0x03,\s*Zero,\s*0x12/); // slot 3 INTD -> GSI 16 + (3+3)%4
      const facp = readFileSync(join(dir, "FACP.dsl"), "utf8");
      expect(facp).not.toMatch(/Incorrect|Warning/i);
      const apic = readFileSync(join(dir, "APIC.dsl"), "utf8");
      expect(apic).toMatch(/Interrupt Source Override/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("hardware-reduced ACPI (the microvm board's tables)", () => {
  const cfg = microvmPlatformTables();
  const t = buildAcpiTables(cfg);
  const by = (s: string): Uint8Array => t.blobs.find((b) => b.signature === s)!.bytes;
  test("FADT: HW_REDUCED_ACPI, no PM blocks or SCI, sleep and reset registers in the GED", () => {
    const f = new DataView(by("FACP").buffer);
    const gasAt = (o: number) => ({ space: f.getUint8(o), bits: f.getUint8(o + 1), access: f.getUint8(o + 3), addr: f.getUint32(o + 4, true) + f.getUint32(o + 8, true) * 2 ** 32 });
    expect(f.getUint32(112, true)).toBe((1 << 20) | (1 << 10)); // HW_REDUCED_ACPI | RESET_REG_SUP
    expect(f.getUint16(46, true)).toBe(0); // SCI_INT
    for (const o of [56, 64, 76, 80]) expect(f.getUint32(o, true)).toBe(0);
    expect(gasAt(244)).toEqual({ space: 0, bits: 8, access: 1, addr: 0xfea00200 }); // SLEEP_CONTROL_REG
    expect(gasAt(256)).toEqual({ space: 0, bits: 8, access: 1, addr: 0xfea00201 }); // SLEEP_STATUS_REG
    expect(gasAt(116)).toEqual({ space: 0, bits: 8, access: 1, addr: 0xfea00202 }); // RESET_REG
    expect(f.getUint8(128)).toBe(0x42);
    expect(f.getUint16(109, true) & 2).toBe(0); // no 8042
  });
  test("tables: FADT and MADT only; MADT overrides IRQ 0 alone", () => {
    expect(t.blobs.map((b) => b.signature)).toEqual(["FACS", "DSDT", "FACP", "APIC", "XSDT", "RSDT", "RSD PTR "]);
  });
  test("DSDT: \\_S5 = 5, COM1, RTC, GED with _EVT, power button", () => {
    const d = hex(by("DSDT"));
    expect(d).toContain("085c5f53355f1208040a050a050000");
    for (const n of ["COM1", "RTC_", "GED_", "PWRB", "EREG", "ESEL", "_EVT"]) expect(d).toContain(hex(Uint8Array.from(n, (c) => c.charCodeAt(0))));
    expect(d).toContain("8906000301" + "09000000"); // Interrupt(ResourceConsumer, Edge, ActiveHigh, Exclusive){9}
    expect(d).toContain("4701f803f8030108" + "221000"); // IO(Decode16, 0x3F8, 0x3F8, 1, 8), IRQNoFlags(){4}
  });
  const iasl = spawnSync("iasl", ["-v"], { encoding: "utf8" }).status === 0;
  test.skipIf(!iasl)("iasl disassembles the DSDT and FADT without errors", () => {
    const dir = mkdtempSync(join(tmpdir(), "tsemu-acpi-hw-"));
    try {
      for (const s of ["DSDT", "FACP"]) writeFileSync(join(dir, `${s}.dat`), by(s));
      for (const s of ["DSDT", "FACP"]) expect(execFileSync("iasl", ["-d", join(dir, `${s}.dat`)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })).not.toMatch(/Error|Invalid/i);
      const dsl = readFileSync(join(dir, "DSDT.dsl"), "utf8");
      expect(dsl).toMatch(/Name \(_HID, "ACPI0013"/);
      expect(dsl).toMatch(/Interrupt \(ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, \)\s*\{\s*0x00000009,?\s*\}/);
      expect(dsl).toMatch(/OperationRegion \(EREG, SystemMemory, 0xFEA00000, 0x04\)/);
      expect(dsl).toMatch(/Field \(EREG, DWordAcc, NoLock, WriteAsZeros\)\s*\{\s*ESEL,\s*32\s*\}/);
      expect(dsl).toMatch(/Method \(_EVT, 1, Serialized\)/);
      expect(dsl).toMatch(/Notify \(PWRB, 0x80\)/);
      expect(dsl).toMatch(/IO \(Decode16,\s*0x03F8,/);
      expect(dsl).toMatch(/IRQNoFlags \(\)\s*\{4\}/);
      const facp = readFileSync(join(dir, "FACP.dsl"), "utf8");
      expect(facp).toMatch(/Hardware Reduced \(V5\) : 1/);
      expect(facp).not.toMatch(/Incorrect|Warning/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("config validation", () => {
  test("bad configs are ConfigErrors naming the problem", () => {
    const cfg = defaultPlatformTables(1);
    expect(() => buildAcpiTables({ ...cfg, apicIds: [0, 0] })).toThrow(/APIC ids must be distinct/);
    expect(() => buildAcpiTables({ ...cfg, pm: { ...cfg.pm!, s5SlpTyp: 9 } })).toThrow(/SLP_TYP/);
    expect(() => buildMpTable({ ...cfg, isaOverrides: [{ irq: 0, gsi: 99, flags: 0 }] })).toThrow(/ISA override/);
    expect(() => buildAcpiTables({ ...cfg, pci: { ...cfg.pci!, intxGsis: [16, 17, 18, 30] } })).toThrow(/INTx/);
    expect(() => buildAcpiTables({ ...cfg, apicIds: Array.from({ length: 300 }, (_, i) => i) })).toThrow(/CPUs/);
    expect(() => buildAcpiTables({ ...cfg, pm: null })).toThrow(/exactly one of/);
    expect(() => buildAcpiTables({ ...microvmPlatformTables(), pm: cfg.pm })).toThrow(/exactly one of/);
    expect(() => buildAcpiTables({ ...microvmPlatformTables(), isaDevices: [{ name: "COM1", hid: "PNP0501", uid: 1, io: [{ port: 0x3f8, len: 8 }], irqs: [20] }] })).toThrow(/ISA device COM1: IRQ/);
  });
  test("a large machine still fits (64 CPUs)", () => {
    expect(buildAcpiTables(defaultPlatformTables(64)).blobs.length).toBe(9);
    expect(buildMpTable(defaultPlatformTables(64)).length).toBeLessThan(0x10000);
  });
});

describe("PCI window and RAM", () => {
  test("the 32-bit PCI window starts where RAM ends when RAM reaches past its default start", () => {
    const cfg = defaultPlatformTables(1);
    expect(withPciWindowAboveRam(cfg, 512 << 20)).toBe(cfg);
    expect(withPciWindowAboveRam(cfg, 0xc0000000).pci!.mmio32Start).toBe(0xc0000000);
    const big = withPciWindowAboveRam(cfg, 0xe0000000);
    expect(big.pci!.mmio32Start).toBe(0xe0000000);
    expect(big.pci!.mmio32End).toBe(cfg.pci!.mmio32End);
    // DWordMemory(min 0xe0000000, max 0xfebfffff) in PCI0._CRS.
    expect(hex(buildAcpiTables(big).blobs.find((b) => b.signature === "DSDT")!.bytes)).toContain("000000e0ffffbffe");
    expect(withPciWindowAboveRam({ ...cfg, pci: null }, 0xe0000000).pci).toBeNull();
    expect(() => withPciWindowAboveRam(cfg, 0xff000000)).toThrow(/no PCI MMIO window/);
  });
});

describe("MP table", () => {
  test("floating pointer and configuration table checksums and entries", () => {
    const cfg = defaultPlatformTables(2);
    const b = buildMpTable(cfg, 0xf0000);
    const dv = new DataView(b.buffer);
    expect(sig(b)).toBe("_MP_");
    expect(sum(b.subarray(0, 16))).toBe(0);
    expect(dv.getUint32(4, true)).toBe(0xf0010);
    expect(sig(b, 16)).toBe("PCMP");
    const len = dv.getUint16(16 + 4, true);
    expect(16 + len).toBe(b.length);
    expect(sum(b.subarray(16))).toBe(0);
    const count = dv.getUint16(16 + 34, true);
    const types: number[] = [];
    for (let o = 60, i = 0; i < count; i++) { types.push(b[o]!); o += b[o] === 0 ? 20 : 8; }
    expect(types.filter((x) => x === 0).length).toBe(2);
    expect(types.filter((x) => x === 2).length).toBe(1);
    expect(types.filter((x) => x === 3).length).toBe(16 + 128); // ExtINT + 15 ISA IRQs + 32 slots x 4 pins
    expect(types.filter((x) => x === 1).length).toBe(2); // PCI, ISA
    expect(types.filter((x) => x === 4).length).toBe(2);
  });
});
