/**
 * BootCpuState: the register file a loader hands to the CPU, so the CPU applies it without
 * knowing any boot protocol. Also the shared "flat" machinery the protocols need: the boot GDT
 * (Linux boot.rst "32-bit/64-bit BOOT PROTOCOL": __BOOT_CS = 0x10, __BOOT_DS = 0x18, 4 GiB
 * flat; Xen pvh.pandoc: flat CS/DS/ES/SS, TR a 32-bit TSS base 0 limit 0x67) and the segment
 * caches derived from those descriptors.
 *
 * Segment cache attr follows src/cpu/state-layout.ts SegOff.ATTR: descriptor bits 40..55
 * shifted down by 40 (type, S, DPL, P in bits 0..7; AVL, L, D/B, G in bits 12..15), with the
 * limit[19:16] nibble (bits 8..11) masked out since the limit is stored expanded.
 */
import type { GuestMemory } from "./guest-memory.js";
import { ByteWriter } from "./bytes.js";
import { BOOT_CS_SELECTOR, BOOT_DS_SELECTOR, BOOT_GDT_GPA, BOOT_TSS_GPA, BOOT_TSS_SELECTOR } from "./layout.js";

export type BootMode = "real" | "protected32-flat" | "long64";

/** A segment register: visible selector plus its descriptor cache. */
export interface BootSegment {
  selector: number;
  /** Linear base (< 2^32 here). */
  base: number;
  /** Byte-granular limit (already scaled by G). */
  limit: number;
  /** Descriptor bits 40..55 >> 40, limit nibble masked (see file header). */
  attr: number;
}

export interface BootCpuState {
  mode: BootMode;
  rip: number;
  /** General registers; values < 2^32 (loaders never need more). */
  rax: number; rbx: number; rcx: number; rdx: number;
  rsi: number; rdi: number; rbp: number; rsp: number;
  /** Interrupts off, reserved bit 1 set. */
  rflags: number;
  /** Control registers and EFER as unsigned values (< 2^32; CR3 < 2^32 here). */
  cr0: number; cr3: number; cr4: number; efer: number;
  gdt: { base: number; limit: number };
  idt: { base: number; limit: number };
  cs: BootSegment; ds: BootSegment; es: BootSegment; ss: BootSegment;
  fs: BootSegment; gs: BootSegment; tr: BootSegment; ldtr: BootSegment;
}

/**
 * Descriptor halves (lo = bits 0..31, hi = bits 32..63) of the boot GDT entries. The accessed
 * bit is preset (as the CPU would set it on load), so reloading a selector never writes the GDT.
 */
const CODE32 = { lo: 0x0000ffff, hi: 0x00cf9b00 }; // base 0, limit 4G, G, D, P, code exec/read, accessed
const CODE64 = { lo: 0x0000ffff, hi: 0x00af9b00 }; // as CODE32 but L=1, D=0
const DATA32 = { lo: 0x0000ffff, hi: 0x00cf9300 }; // base 0, limit 4G, G, B, P, data read/write, accessed
const TSS32 = { lo: 0x00000067 | ((BOOT_TSS_GPA & 0xffff) << 16), hi: 0x00008b00 | ((BOOT_TSS_GPA >>> 16) & 0xff) | (BOOT_TSS_GPA & 0xff000000) };

export const CR0_PE = 1 << 0;
export const CR0_ET = 1 << 4;
export const CR0_NE = 1 << 5;
export const CR0_PG = 0x80000000;
export const CR4_PAE = 1 << 5;
export const EFER_LME = 1 << 8;
export const EFER_LMA = 1 << 10;
/** EFLAGS with only the always-one bit 1: IF clear. */
export const RFLAGS_BOOT = 0x2;

/** The descriptor cache a CPU loads from a descriptor (lo, hi halves). */
export function segmentFromDescriptor(selector: number, lo: number, hi: number): BootSegment {
  const base = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
  const rawLimit = (lo & 0xffff) | (hi & 0x000f0000);
  const attr = (hi >>> 8) & 0xf0ff;
  const limit = attr & 0x8000 ? ((rawLimit << 12) | 0xfff) >>> 0 : rawLimit;
  return { selector, base, limit, attr };
}

/** Write the boot GDT for `mode` at BOOT_GDT_GPA; returns the GDTR value. */
export function writeBootGdt(mem: GuestMemory, long: boolean): { base: number; limit: number } {
  const code = long ? CODE64 : CODE32;
  const entries = [{ lo: 0, hi: 0 }, { lo: 0, hi: 0 }, code, DATA32, TSS32];
  const w = new ByteWriter(entries.length * 8);
  entries.forEach((e, i) => w.u32(i * 8, e.lo).u32(i * 8 + 4, e.hi));
  mem.write(BOOT_GDT_GPA, w.bytes);
  return { base: BOOT_GDT_GPA, limit: entries.length * 8 - 1 };
}

/** Flat protected-mode (or long-mode) segment state over the boot GDT. */
function flatSegments(long: boolean): Pick<BootCpuState, "cs" | "ds" | "es" | "ss" | "fs" | "gs" | "tr" | "ldtr"> {
  const code = long ? CODE64 : CODE32;
  const data = (): BootSegment => segmentFromDescriptor(BOOT_DS_SELECTOR, DATA32.lo, DATA32.hi);
  return {
    cs: segmentFromDescriptor(BOOT_CS_SELECTOR, code.lo, code.hi),
    ds: data(), es: data(), ss: data(), fs: data(), gs: data(),
    tr: segmentFromDescriptor(BOOT_TSS_SELECTOR, TSS32.lo, TSS32.hi),
    ldtr: { selector: 0, base: 0, limit: 0xffff, attr: 0x82 },
  };
}

export interface EntryRegs {
  rax?: number; rbx?: number; rcx?: number; rdx?: number;
  rsi?: number; rdi?: number; rbp?: number; rsp?: number;
}

function baseState(mode: BootMode, rip: number, regs: EntryRegs, gdt: { base: number; limit: number }): BootCpuState {
  return {
    mode, rip,
    rax: regs.rax ?? 0, rbx: regs.rbx ?? 0, rcx: regs.rcx ?? 0, rdx: regs.rdx ?? 0,
    rsi: regs.rsi ?? 0, rdi: regs.rdi ?? 0, rbp: regs.rbp ?? 0, rsp: regs.rsp ?? 0,
    rflags: RFLAGS_BOOT, cr0: CR0_PE | CR0_ET | CR0_NE, cr3: 0, cr4: 0, efer: 0,
    gdt, idt: { base: 0, limit: 0 },
    ...flatSegments(mode === "long64"),
  };
}

/** 32-bit flat protected mode, paging off (Linux 32-bit protocol, PVH, multiboot). */
export function protected32State(mem: GuestMemory, entry: number, regs: EntryRegs): BootCpuState {
  return baseState("protected32-flat", entry, regs, writeBootGdt(mem, false));
}

/** 64-bit long mode with paging on through the page tables at `cr3` (Linux 64-bit protocol). */
export function long64State(mem: GuestMemory, entry: number, cr3: number, regs: EntryRegs): BootCpuState {
  const s = baseState("long64", entry, regs, writeBootGdt(mem, true));
  s.cr0 = (CR0_PE | CR0_ET | CR0_NE | CR0_PG) >>> 0;
  s.cr3 = cr3;
  s.cr4 = CR4_PAE;
  s.efer = EFER_LME | EFER_LMA;
  return s;
}
