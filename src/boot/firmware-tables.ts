/**
 * All firmware tables a direct-booted PC guest looks for, in one call: the ACPI tables (RSDP
 * at ACPI_RSDP_GPA) and the MP table (at MPTABLE_GPA, used with acpi=off or by kernels
 * without ACPI). Both describe the same PlatformTablesConfig.
 */
import type { GuestMemory } from "./guest-memory.js";
import type { PlatformTablesConfig } from "./acpi/config.js";
import { writeAcpiTables } from "./acpi/build.js";
import { writeMpTable } from "./mptable.js";

export interface FirmwareTables {
  /** Pass to the loaders as acpiRsdpGpa. */
  acpiRsdpGpa: number;
  mpTableGpa: number;
}

export function writeFirmwareTables(mem: GuestMemory, cfg: PlatformTablesConfig): FirmwareTables {
  return { acpiRsdpGpa: writeAcpiTables(mem, cfg), mpTableGpa: writeMpTable(mem, cfg) };
}
