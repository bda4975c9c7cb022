/**
 * Identity page tables for the Linux 64-bit boot protocol (boot.rst "64-bit BOOT PROTOCOL":
 * the kernel, zero page and command line must be identity-mapped). Maps the first 4 GiB with
 * 2 MiB pages (PS=1 in the PDEs, always available in long mode, unlike 1 GiB pages which need
 * CPUID pdpe1gb): one PML4, one PDPT, four page directories (SDM vol 3, 4.5).
 */
import type { GuestMemory } from "./guest-memory.js";
import { ByteWriter } from "./bytes.js";
import { IDENTITY_MAP_BYTES, PD_GPA, PDPT_GPA, PML4_GPA } from "./layout.js";

const P = 1, RW = 2, PS = 0x80;
const TWO_MIB = 0x200000;

/** Write the tables; returns the CR3 value. */
export function writeIdentityPageTables(mem: GuestMemory): number {
  const gib = IDENTITY_MAP_BYTES / 0x40000000;
  const pml4 = new ByteWriter(4096).u32(0, PDPT_GPA | P | RW);
  const pdpt = new ByteWriter(4096);
  for (let i = 0; i < gib; i++) pdpt.u32(i * 8, (PD_GPA + i * 4096) | P | RW);
  const pds = new ByteWriter(gib * 4096);
  for (let i = 0; i < gib * 512; i++) pds.u64(i * 8, i * TWO_MIB + (P | RW | PS));
  mem.write(PML4_GPA, pml4.bytes);
  mem.write(PDPT_GPA, pdpt.bytes);
  mem.write(PD_GPA, pds.bytes);
  return PML4_GPA;
}
