/**
 * Multiboot v1 (the Multiboot Specification 0.6.96): find the header in the first 8192 bytes
 * (magic 0x1BADB002, flags, checksum; 4-byte aligned), load the image either as ELF (by
 * p_paddr) or with the a.out kludge (flag bit 16: header_addr, load_addr, load_end_addr,
 * bss_end_addr, entry_addr), place modules after it, build the multiboot_info struct (memory
 * sizes, cmdline, modules, mmap, boot loader name) and enter in flat 32-bit protected mode,
 * paging off, EAX = 0x2BADB002, EBX = info.
 */
import { ConfigError } from "../common/errors.js";
import type { GuestMemory } from "./guest-memory.js";
import { ByteReader, ByteWriter, alignUp, checkedAdd, cstring, fmtSize, hex } from "./bytes.js";
import { E820Type, isRam, validateMemoryMap, type MemoryRange } from "./e820.js";
import { isElf, parseElf, PT_LOAD } from "./elf.js";
import { loadElfSegments } from "./pvh.js";
import { protected32State, type BootCpuState } from "./boot-state.js";
import { HIGH_MEMORY_GPA, MULTIBOOT_INFO_GPA, MULTIBOOT_INFO_MAX } from "./layout.js";

export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
const SEARCH_BYTES = 8192;
/** Header flags: 0 page-align modules, 1 memory info, 2 video mode, 16 a.out kludge. */
const MBH_PAGE_ALIGN = 1 << 0, MBH_MEMORY_INFO = 1 << 1, MBH_VIDEO = 1 << 2, MBH_AOUT_KLUDGE = 1 << 16;
/** multiboot_info.flags bits. */
const MBI_MEM = 1 << 0, MBI_CMDLINE = 1 << 2, MBI_MODS = 1 << 3, MBI_MMAP = 1 << 6, MBI_LOADER_NAME = 1 << 9;
const INFO_SIZE = 0x80, MODULE_SIZE = 16, MMAP_ENTRY_SIZE = 24;

export interface MultibootHeader {
  /** File offset of the header. */
  offset: number;
  flags: number;
  headerAddr: number;
  loadAddr: number;
  loadEndAddr: number;
  bssEndAddr: number;
  entryAddr: number;
}

export interface MultibootModule {
  data: Uint8Array;
  cmdline: string;
}

export interface MultibootLoadOptions {
  memoryMap: readonly MemoryRange[];
  cmdline?: string;
  modules?: readonly MultibootModule[];
  bootLoaderName?: string;
}

export interface MultibootLoadResult {
  cpu: BootCpuState;
  entry: number;
  infoGpa: number;
  /** Where each module was loaded. */
  moduleGpas: number[];
}

/** The multiboot header, or null if the first 8 KiB have none with a valid checksum. */
export function findMultibootHeader(image: Uint8Array): MultibootHeader | null {
  const r = new ByteReader(image, "multiboot image");
  const limit = Math.min(SEARCH_BYTES, image.length) - 12;
  for (let off = 0; off <= limit; off += 4) {
    if (r.u32(off) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = r.u32(off + 4);
    if (((MULTIBOOT_HEADER_MAGIC + flags + r.u32(off + 8)) >>> 0) !== 0) continue;
    const kludge = (flags & MBH_AOUT_KLUDGE) !== 0;
    const f = (i: number): number => (kludge ? r.u32(off + 12 + i * 4, "multiboot a.out fields") : 0);
    return { offset: off, flags, headerAddr: f(0), loadAddr: f(1), loadEndAddr: f(2), bssEndAddr: f(3), entryAddr: f(4) };
  }
  return null;
}

export function loadMultiboot(mem: GuestMemory, image: Uint8Array, opts: MultibootLoadOptions): MultibootLoadResult {
  validateMemoryMap(opts.memoryMap);
  const h = findMultibootHeader(image);
  if (!h) throw new ConfigError("not a multiboot image: no header with magic 0x1BADB002 and a valid checksum in the first 8 KiB");
  const unknown = h.flags & 0xffff & ~(MBH_PAGE_ALIGN | MBH_MEMORY_INFO | MBH_VIDEO);
  if (unknown) throw new ConfigError(`multiboot header requires unsupported features (flags ${hex(unknown)})`);
  const { entry, end } = h.flags & MBH_AOUT_KLUDGE ? loadAout(mem, image, h, opts.memoryMap) : loadElf(mem, image, opts.memoryMap);
  let next = alignUp(end, 0x1000);
  const moduleGpas: number[] = [];
  for (const m of opts.modules ?? []) {
    if (!isRam(opts.memoryMap, next, Math.max(m.data.length, 1))) throw new ConfigError(`multiboot module (${fmtSize(m.data.length)}) does not fit in RAM at ${hex(next)}`);
    mem.write(next, m.data);
    moduleGpas.push(next);
    next = alignUp(next + m.data.length, 0x1000);
  }
  const info = buildInfo(opts, moduleGpas);
  mem.write(MULTIBOOT_INFO_GPA, info);
  const cpu = protected32State(mem, entry, { rax: MULTIBOOT_BOOTLOADER_MAGIC, rbx: MULTIBOOT_INFO_GPA });
  return { cpu, entry, infoGpa: MULTIBOOT_INFO_GPA, moduleGpas };
}

function loadAout(mem: GuestMemory, image: Uint8Array, h: MultibootHeader, map: readonly MemoryRange[]): { entry: number; end: number } {
  if (h.loadAddr > h.headerAddr) throw new ConfigError("multiboot header: load_addr is above header_addr");
  const fileOff = h.offset - (h.headerAddr - h.loadAddr);
  if (fileOff < 0) throw new ConfigError("multiboot header: header_addr - load_addr points before the file start");
  const loadEnd = h.loadEndAddr === 0 ? checkedAdd(h.loadAddr, image.length - fileOff, "multiboot") : h.loadEndAddr;
  if (loadEnd < h.loadAddr || fileOff + (loadEnd - h.loadAddr) > image.length) throw new ConfigError("multiboot header: load_end_addr is outside the file");
  const end = h.bssEndAddr === 0 ? loadEnd : h.bssEndAddr;
  if (end < loadEnd) throw new ConfigError("multiboot header: bss_end_addr is below load_end_addr");
  if (h.loadAddr < HIGH_MEMORY_GPA) throw new ConfigError(`multiboot load_addr ${hex(h.loadAddr)} is below 1 MiB, where the boot structures live`);
  if (!isRam(map, h.loadAddr, end - h.loadAddr)) throw new ConfigError(`multiboot kernel (${hex(h.loadAddr)}..${hex(end)}) does not fit in ${fmtSize(mem.size)} of RAM`);
  if (h.entryAddr < h.loadAddr || h.entryAddr >= loadEnd) throw new ConfigError(`multiboot entry_addr ${hex(h.entryAddr)} is outside the loaded image`);
  mem.write(h.loadAddr, image.subarray(fileOff, fileOff + (loadEnd - h.loadAddr)));
  if (end > loadEnd) mem.write(loadEnd, new Uint8Array(end - loadEnd));
  return { entry: h.entryAddr, end };
}

function loadElf(mem: GuestMemory, image: Uint8Array, map: readonly MemoryRange[]): { entry: number; end: number } {
  if (!isElf(image)) throw new ConfigError("multiboot image is neither ELF nor uses the a.out kludge (flag 16)");
  const elf = parseElf(image, "multiboot ELF");
  const end = loadElfSegments(mem, image, elf, map, "multiboot ELF");
  // The entry is virtual; translate it through the segment that contains it (as QEMU does).
  let entry = elf.entry;
  for (const s of elf.segments) {
    if (s.type === PT_LOAD && entry >= s.vaddr && entry < s.vaddr + s.memsz) { entry = s.paddr + (entry - s.vaddr); break; }
  }
  if (entry >= 2 ** 32) throw new ConfigError(`multiboot ELF entry ${hex(entry)} is above 4 GiB`);
  return { entry, end };
}

/** multiboot_info + module list + mmap + strings, laid out in the info area. */
function buildInfo(opts: MultibootLoadOptions, moduleGpas: readonly number[]): Uint8Array {
  const w = new ByteWriter(MULTIBOOT_INFO_MAX);
  let heap = INFO_SIZE;
  const put = (bytes: Uint8Array): number => {
    if (heap + bytes.length > MULTIBOOT_INFO_MAX) throw new ConfigError(`multiboot info (command lines, modules, memory map) exceeds ${fmtSize(MULTIBOOT_INFO_MAX)}`);
    w.set(heap, bytes);
    const at = MULTIBOOT_INFO_GPA + heap;
    heap = alignUp(heap + bytes.length, 4);
    return at;
  };
  const map = opts.memoryMap;
  const low = map.find((r) => r.type === E820Type.RAM && r.gpa === 0);
  const high = map.find((r) => r.type === E820Type.RAM && r.gpa <= 0x100000 && r.gpa + r.size > 0x100000);
  let flags = MBI_MEM | MBI_CMDLINE | MBI_MMAP | MBI_LOADER_NAME;
  w.u32(4, low ? Math.min(640, Math.floor(low.size / 1024)) : 0);
  w.u32(8, high ? Math.min(0xffffffff, Math.floor((high.gpa + high.size - 0x100000) / 1024)) : 0);
  w.u32(16, put(cstring(opts.cmdline ?? "")));
  const mods = opts.modules ?? [];
  if (mods.length > 0) {
    const list = new ByteWriter(mods.length * MODULE_SIZE);
    mods.forEach((m, i) => list.u32(i * 16, moduleGpas[i]!).u32(i * 16 + 4, moduleGpas[i]! + m.data.length).u32(i * 16 + 8, put(cstring(m.cmdline))));
    w.u32(20, mods.length).u32(24, put(list.bytes));
    flags |= MBI_MODS;
  }
  const mm = new ByteWriter(map.length * MMAP_ENTRY_SIZE);
  map.forEach((r, i) => mm.u32(i * 24, 20).u64(i * 24 + 4, r.gpa).u64(i * 24 + 12, r.size).u32(i * 24 + 20, r.type));
  w.u32(44, mm.bytes.length).u32(48, put(mm.bytes));
  w.u32(64, put(cstring(opts.bootLoaderName ?? "tsemu")));
  w.u32(0, flags);
  return w.bytes.subarray(0, heap);
}
