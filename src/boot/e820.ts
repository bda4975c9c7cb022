/**
 * The guest memory map as the board describes it (a typed list of ranges), its e820 encoding
 * (zero-page.rst: e820_table at 0x2d0, 20-byte entries addr/size/type, up to 128), and the
 * placement helper loaders use to put an initrd or kernel inside RAM.
 */
import { ConfigError } from "../common/errors.js";
import { alignDown, fmtSize, hex } from "./bytes.js";
import { BIOS_AREA_GPA, EBDA_GPA, HIGH_MEMORY_GPA, LEGACY_HOLE_GPA } from "./layout.js";

/** e820 / PVH memmap / multiboot mmap range types (ACPI "Address Range Types"). */
export const enum E820Type {
  RAM = 1,
  RESERVED = 2,
  ACPI = 3,
  NVS = 4,
  UNUSABLE = 5,
}

export interface MemoryRange {
  /** Start guest physical address. */
  gpa: number;
  /** Length in bytes. */
  size: number;
  type: E820Type;
}

/** Maximum e820 entries in boot_params (E820_MAX_ENTRIES_ZEROPAGE). */
export const E820_MAX_ZEROPAGE = 128;

/**
 * The PC map for `ramSize` bytes of RAM below 4 GiB: conventional RAM up to the EBDA, the
 * EBDA and the BIOS area (where ACPI and MP tables live) reserved, then RAM from 1 MiB.
 */
export function pcMemoryMap(ramSize: number): MemoryRange[] {
  if (ramSize <= HIGH_MEMORY_GPA) throw new ConfigError(`${fmtSize(ramSize)} of RAM is too little (need more than 1 MiB)`);
  return [
    { gpa: 0, size: EBDA_GPA, type: E820Type.RAM },
    { gpa: EBDA_GPA, size: LEGACY_HOLE_GPA - EBDA_GPA, type: E820Type.RESERVED },
    { gpa: BIOS_AREA_GPA, size: HIGH_MEMORY_GPA - BIOS_AREA_GPA, type: E820Type.RESERVED },
    { gpa: HIGH_MEMORY_GPA, size: ramSize - HIGH_MEMORY_GPA, type: E820Type.RAM },
  ];
}

/** ConfigError unless the map is sorted, non-overlapping and within 2^52. */
export function validateMemoryMap(map: readonly MemoryRange[]): void {
  let end = 0;
  for (const r of map) {
    if (!Number.isSafeInteger(r.gpa) || !Number.isSafeInteger(r.size) || r.size <= 0 || r.gpa < end || r.gpa + r.size > 2 ** 52) {
      throw new ConfigError(`memory map range ${hex(r.gpa)}+${hex(r.size)} is unsorted, empty or overlapping`);
    }
    end = r.gpa + r.size;
  }
}

/** 20-byte e820 entries (addr u64, size u64, type u32). */
export function encodeE820(map: readonly MemoryRange[]): Uint8Array {
  if (map.length > E820_MAX_ZEROPAGE) throw new ConfigError(`memory map has ${map.length} ranges (boot_params holds ${E820_MAX_ZEROPAGE})`);
  const b = new Uint8Array(map.length * 20);
  const dv = new DataView(b.buffer);
  map.forEach((r, i) => {
    dv.setUint32(i * 20, r.gpa % 2 ** 32, true);
    dv.setUint32(i * 20 + 4, Math.floor(r.gpa / 2 ** 32), true);
    dv.setUint32(i * 20 + 8, r.size % 2 ** 32, true);
    dv.setUint32(i * 20 + 12, Math.floor(r.size / 2 ** 32), true);
    dv.setUint32(i * 20 + 16, r.type, true);
  });
  return b;
}

/** True when [gpa, gpa+size) lies entirely inside one RAM range. */
export function isRam(map: readonly MemoryRange[], gpa: number, size: number): boolean {
  return map.some((r) => r.type === E820Type.RAM && gpa >= r.gpa && gpa + size <= r.gpa + r.size);
}

/**
 * The highest `align`-aligned address a with [a, a+size) inside RAM, a >= minGpa and
 * a + size <= limitEnd; null if none.
 */
export function placeHighest(map: readonly MemoryRange[], size: number, align: number, minGpa: number, limitEnd: number): number | null {
  let best: number | null = null;
  for (const r of map) {
    if (r.type !== E820Type.RAM) continue;
    const end = Math.min(r.gpa + r.size, limitEnd);
    const a = alignDown(end - size, align);
    if (a >= Math.max(r.gpa, minGpa) && (best === null || a > best)) best = a;
  }
  return best;
}

/** The end of the RAM range holding `gpa` (0 when `gpa` is not RAM). */
export function ramEndAt(map: readonly MemoryRange[], gpa: number): number {
  const r = map.find((m) => m.type === E820Type.RAM && gpa >= m.gpa && gpa < m.gpa + m.size);
  return r ? r.gpa + r.size : 0;
}
