/**
 * Lay out and write the complete ACPI table set: the RSDP at ACPI_RSDP_GPA (inside the BIOS
 * area Linux scans), then FACS (64-byte aligned), DSDT, FADT, MADT, HPET, MCFG, XSDT and RSDT
 * from ACPI_TABLES_GPA. Returns the RSDP address for boot_params / hvm_start_info.
 */
import { ConfigError } from "../../common/errors.js";
import type { GuestMemory } from "../guest-memory.js";
import { alignUp, fmtSize } from "../bytes.js";
import { ACPI_RSDP_GPA, ACPI_TABLES_GPA, ACPI_TABLES_MAX } from "../layout.js";
import { validatePlatformTables, type PlatformTablesConfig } from "./config.js";
import { buildDsdt, buildFacs, buildFadt, buildHpet, buildMadt, buildMcfg, buildRsdp, buildRsdt, buildXsdt } from "./tables.js";

export interface AcpiBlob {
  gpa: number;
  bytes: Uint8Array;
  signature: string;
}

export interface AcpiTables {
  rsdpGpa: number;
  blobs: AcpiBlob[];
}

/** Build every table at its final address (no guest writes). */
export function buildAcpiTables(cfg: PlatformTablesConfig, rsdpGpa = ACPI_RSDP_GPA, tablesGpa = ACPI_TABLES_GPA, maxBytes = ACPI_TABLES_MAX): AcpiTables {
  validatePlatformTables(cfg);
  const blobs: AcpiBlob[] = [];
  let next = tablesGpa;
  const place = (signature: string, bytes: Uint8Array, align = 16): number => {
    const gpa = alignUp(next, align);
    next = gpa + bytes.length;
    if (next - tablesGpa > maxBytes) throw new ConfigError(`ACPI tables exceed their ${fmtSize(maxBytes)} area`);
    blobs.push({ gpa, bytes, signature });
    return gpa;
  };
  const facs = place("FACS", buildFacs(), 64);
  const dsdt = place("DSDT", buildDsdt(cfg));
  const sdts = [place("FACP", buildFadt(cfg, facs, dsdt)), place("APIC", buildMadt(cfg))];
  if (cfg.hpet) sdts.push(place("HPET", buildHpet(cfg.hpet)));
  if (cfg.ecam) sdts.push(place("MCFG", buildMcfg(cfg.ecam)));
  const xsdt = place("XSDT", buildXsdt(sdts));
  const rsdt = place("RSDT", buildRsdt(sdts));
  blobs.push({ gpa: rsdpGpa, bytes: buildRsdp(rsdt, xsdt), signature: "RSD PTR " });
  return { rsdpGpa, blobs };
}

/** Build and write the tables; returns the RSDP address. */
export function writeAcpiTables(mem: GuestMemory, cfg: PlatformTablesConfig): number {
  const t = buildAcpiTables(cfg);
  for (const b of t.blobs) mem.write(b.gpa, b.bytes);
  return t.rsdpGpa;
}
