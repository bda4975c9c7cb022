/**
 * PVH direct boot (Xen docs/misc/pvh.pandoc; Linux arch/x86/platform/pvh): load an ELF vmlinux
 * by the physical addresses of its PT_LOAD segments, find XEN_ELFNOTE_PHYS32_ENTRY (note type
 * 18, name "Xen"), build struct hvm_start_info version 1 (xen/include/public/arch-x86/hvm/
 * start_info.h) with a module list for the initrd and a memory map, and enter in flat 32-bit
 * protected mode with paging off and EBX = start info.
 */
import { ConfigError } from "../common/errors.js";
import type { GuestMemory } from "./guest-memory.js";
import { ByteWriter, alignUp, cstring, fmtSize, hex } from "./bytes.js";
import { isRam, placeHighest, validateMemoryMap, type MemoryRange } from "./e820.js";
import { elfNotes, parseElf, PT_LOAD, type ElfImage } from "./elf.js";
import { protected32State, type BootCpuState } from "./boot-state.js";
import { CMDLINE_GPA, CMDLINE_MAX, HIGH_MEMORY_GPA, INITRD_ALIGN, PVH_MEMMAP_GPA, PVH_MEMMAP_MAX, PVH_MODLIST_GPA, PVH_START_INFO_GPA } from "./layout.js";

/** hvm_start_info.magic ("xEn3" with the top bit set). */
export const HVM_START_MAGIC = 0x336ec578;
/** The note type holding the 32-bit physical entry point. */
export const XEN_ELFNOTE_PHYS32_ENTRY = 18;
const START_INFO_SIZE = 0x38, MODLIST_ENTRY_SIZE = 32, MEMMAP_ENTRY_SIZE = 24;

export interface PvhLoadOptions {
  memoryMap: readonly MemoryRange[];
  cmdline?: string;
  initrd?: Uint8Array;
  /** ACPI RSDP address for rsdp_paddr (0 or absent: the guest scans for it). */
  acpiRsdpGpa?: number;
}

export interface PvhLoadResult {
  cpu: BootCpuState;
  entry: number;
  kernelEnd: number;
  initrdGpa: number | null;
  startInfoGpa: number;
}

/** The PVH entry point from the image's Xen notes, or null when it has none. */
export function findPvhEntry(vmlinux: Uint8Array, elf: ElfImage = parseElf(vmlinux, "vmlinux")): number | null {
  for (const n of elfNotes(vmlinux, elf, "vmlinux")) {
    if (n.name !== "Xen" || n.type !== XEN_ELFNOTE_PHYS32_ENTRY) continue;
    const dv = new DataView(n.desc.buffer, n.desc.byteOffset, n.desc.byteLength);
    if (n.desc.length === 4) return dv.getUint32(0, true);
    if (n.desc.length === 8) {
      if (dv.getUint32(4, true) !== 0) throw new ConfigError("vmlinux PVH entry point is above 4 GiB");
      return dv.getUint32(0, true);
    }
    throw new ConfigError(`vmlinux PVH entry note has a ${n.desc.length}-byte descriptor`);
  }
  return null;
}

/** Load PT_LOAD segments at p_paddr; returns the end of the highest one. */
export function loadElfSegments(mem: GuestMemory, bytes: Uint8Array, elf: ElfImage, map: readonly MemoryRange[], what: string): number {
  let end = 0;
  for (const s of elf.segments) {
    if (s.type !== PT_LOAD || s.memsz === 0) continue;
    if (s.paddr < HIGH_MEMORY_GPA) throw new ConfigError(`${what} segment at ${hex(s.paddr)} is below 1 MiB, where the boot structures live`);
    if (!isRam(map, s.paddr, s.memsz)) {
      throw new ConfigError(`${what} segment at ${hex(s.paddr)} (${fmtSize(s.memsz)}) does not fit in ${fmtSize(mem.size)} of RAM`);
    }
    mem.write(s.paddr, bytes.subarray(s.offset, s.offset + s.filesz));
    if (s.memsz > s.filesz) mem.write(s.paddr + s.filesz, new Uint8Array(s.memsz - s.filesz));
    end = Math.max(end, s.paddr + s.memsz);
  }
  if (end === 0) throw new ConfigError(`${what} has no loadable segments`);
  return end;
}

export function loadPvh(mem: GuestMemory, vmlinux: Uint8Array, opts: PvhLoadOptions): PvhLoadResult {
  validateMemoryMap(opts.memoryMap);
  const elf = parseElf(vmlinux, "vmlinux");
  const entry = findPvhEntry(vmlinux, elf);
  if (entry === null) throw new ConfigError("vmlinux has no PVH entry point (no Xen note XEN_ELFNOTE_PHYS32_ENTRY)");
  const kernelEnd = loadElfSegments(mem, vmlinux, elf, opts.memoryMap, "vmlinux");
  const cmdline = opts.cmdline ?? "";
  if (cmdline.length + 1 > CMDLINE_MAX) throw new ConfigError(`command line is ${cmdline.length} bytes (at most ${CMDLINE_MAX - 1})`);
  mem.write(CMDLINE_GPA, cstring(cmdline));
  let initrdGpa: number | null = null;
  if (opts.initrd) {
    initrdGpa = placeHighest(opts.memoryMap, opts.initrd.length, INITRD_ALIGN, alignUp(kernelEnd, INITRD_ALIGN), 2 ** 32);
    if (initrdGpa === null) throw new ConfigError(`initrd (${fmtSize(opts.initrd.length)}) does not fit in RAM above the kernel`);
    mem.write(initrdGpa, opts.initrd);
    mem.write(PVH_MODLIST_GPA, new ByteWriter(MODLIST_ENTRY_SIZE).u64(0, initrdGpa).u64(8, opts.initrd.length).bytes);
  }
  const map = opts.memoryMap;
  if (map.length > PVH_MEMMAP_MAX) throw new ConfigError(`memory map has ${map.length} ranges (PVH area holds ${PVH_MEMMAP_MAX})`);
  const mm = new ByteWriter(map.length * MEMMAP_ENTRY_SIZE);
  map.forEach((r, i) => mm.u64(i * MEMMAP_ENTRY_SIZE, r.gpa).u64(i * MEMMAP_ENTRY_SIZE + 8, r.size).u32(i * MEMMAP_ENTRY_SIZE + 16, r.type));
  mem.write(PVH_MEMMAP_GPA, mm.bytes);
  const si = new ByteWriter(START_INFO_SIZE)
    .u32(0x00, HVM_START_MAGIC).u32(0x04, 1).u32(0x08, 0)
    .u32(0x0c, opts.initrd ? 1 : 0).u64(0x10, opts.initrd ? PVH_MODLIST_GPA : 0)
    .u64(0x18, CMDLINE_GPA).u64(0x20, opts.acpiRsdpGpa ?? 0)
    .u64(0x28, PVH_MEMMAP_GPA).u32(0x30, map.length);
  mem.write(PVH_START_INFO_GPA, si.bytes);
  const cpu = protected32State(mem, entry, { rbx: PVH_START_INFO_GPA });
  return { cpu, entry, kernelEnd, initrdGpa, startInfoGpa: PVH_START_INFO_GPA };
}
