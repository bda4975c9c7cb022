/**
 * Segment descriptors (SDM vol 3 3.4.5, 3.5, 6.11): reading GDT/LDT/IDT entries through the
 * softmmu with supervisor rights, and turning a descriptor into a segment-cache value.
 * A failed read leaves the exception pending and returns undefined. Also the small plumbing
 * the system-instruction helpers share: fault-and-unwind, throwing memory accessors, 16-byte
 * system descriptors of long mode.
 */

import type { Cpu } from "./cpu.js";
import { SegAttr, type CpuState, type SegmentCache } from "./cpu-state.js";
import type { CpuHelperImpl } from "./helper.js";
import { RunWord, SegIndex, StateOff } from "./state-layout.js";
import { Vec, type SoftMmu } from "./softmmu.js";

export interface RawDescriptor {
  lo: number;
  hi: number;
}

/** Read the 8-byte descriptor for `selector` from the GDT or LDT; undefined if beyond the limit. */
export function readDescriptor(state: CpuState, mmu: SoftMmu, selector: number): RawDescriptor | undefined {
  const ldt = (selector & 4) !== 0;
  const base = ldt ? state.seg(SegIndex.LDTR).base : state.getNum(StateOff.GDTR);
  const limit = ldt ? state.seg(SegIndex.LDTR).limit : state.get32(StateOff.GDTR + 8) >>> 0;
  const index = selector & ~7;
  if (index + 7 > limit) return undefined;
  const lo = mmu.read(base + index, 4, 0);
  const hi = lo === undefined ? undefined : mmu.read(base + index + 4, 4, 0);
  if (lo === undefined || hi === undefined) return undefined;
  return { lo, hi };
}

/** The segment cache for a code/data descriptor (base, scaled limit, attributes). */
export function descriptorToCache(selector: number, d: RawDescriptor): SegmentCache {
  const base = ((d.lo >>> 16) | ((d.hi & 0xff) << 16) | (d.hi & 0xff000000)) >>> 0;
  let limit = (d.lo & 0xffff) | (d.hi & 0xf0000);
  const attr = (d.hi >>> 8) & 0xf0ff;
  if (attr & 0x8000) limit = ((limit << 12) | 0xfff) >>> 0;
  return { selector, base, limit, attr };
}

/** Set the accessed bit of a descriptor in memory if it is clear. */
export function markAccessed(state: CpuState, mmu: SoftMmu, selector: number, d: RawDescriptor): void {
  if (d.hi & 0x100) return;
  const ldt = (selector & 4) !== 0;
  const base = ldt ? state.seg(SegIndex.LDTR).base : state.getNum(StateOff.GDTR);
  mmu.write(base + (selector & ~7) + 4, d.hi | 0x100, 4, 0);
}

/** A flat segment cache value for real-mode style loads: base = selector << 4. */
export function realModeSegment(selector: number, attr: number): SegmentCache {
  return { selector, base: selector * 16, limit: 0xffff, attr };
}

/** A virtual-8086 segment (SDM vol 3 20.1.1): base = selector << 4, 64 KiB, DPL 3; CS is code. */
export function vm86Segment(selector: number, code = false): SegmentCache {
  const sel = selector & 0xffff;
  return { selector: sel, base: sel * 16, limit: 0xffff, attr: SegAttr.P | SegAttr.S | (code ? 0xb : 3) | (3 << SegAttr.DPL_SHIFT) };
}

// ---- helper plumbing for the system instructions (semantics/segments.ts, far.ts, system.ts)

/**
 * Internal unwinding inside a CPU helper: a guest exception is already pending (softmmu.raise)
 * and the helper must stop without touching more state. `guarded` catches it at the helper
 * boundary, so it never reaches the run loop.
 */
export class GuestFault extends Error {}

/** Raise `vector` (with an error code, or -1 for none) and unwind the helper. */
export function fault(cpu: Cpu, vector: number, error = -1): never {
  cpu.softmmu.raise(vector, error);
  throw new GuestFault();
}

/** Wrap a helper body that may call fault() or the throwing memory accessors below. */
export function guarded(impl: CpuHelperImpl): CpuHelperImpl {
  return (cpu, ...args) => {
    try {
      return impl(cpu, ...args);
    } catch (e) {
      if (e instanceof GuestFault) return 0;
      throw e;
    }
  };
}

const TWO32 = 4294967296;

/** Read 1/2/4 bytes (unsigned) or unwind with the fault pending. */
export function rdMem(cpu: Cpu, gva: number, size: 1 | 2 | 4, mmuIdx = 0): number {
  const v = cpu.softmmu.read(gva, size, mmuIdx);
  if (v === undefined) throw new GuestFault();
  return v;
}

/** Read 8 bytes as a signed JS number (exact for canonical addresses). */
export function rdMem64(cpu: Cpu, gva: number, mmuIdx = 0): number {
  const lo = rdMem(cpu, gva, 4, mmuIdx);
  return (rdMem(cpu, gva + 4, 4, mmuIdx) | 0) * TWO32 + lo;
}

export function wrMem(cpu: Cpu, gva: number, value: number, size: 1 | 2 | 4 | 8, mmuIdx = 0): void {
  if (size === 8) {
    // Probe both halves' pages before writing either (the access may not be split mid-way).
    const hi = Math.floor(value / TWO32);
    if (!cpu.softmmu.write(gva, (value - hi * TWO32) | 0, 4, mmuIdx) || !cpu.softmmu.write(gva + 4, hi | 0, 4, mmuIdx)) throw new GuestFault();
    return;
  }
  if (!cpu.softmmu.write(gva, value, size, mmuIdx)) throw new GuestFault();
}

/** The descriptor for a non-null selector, or #GP(selector) (or `vector`) when beyond the table limit. */
export function fetchDescriptor(cpu: Cpu, selector: number, vector: number = Vec.GP): RawDescriptor {
  const d = readDescriptor(cpu.state, cpu.softmmu, selector);
  if (d) return d;
  if (cpu.state.run(RunWord.EXC_VECTOR) >= 0) throw new GuestFault(); // the table read faulted
  return fault(cpu, vector, selector & 0xfffc);
}

/**
 * A system descriptor (LDT, TSS, call gate) from the GDT/LDT: 16 bytes in long mode (SDM 7.2.3,
 * 5.8.3.1), where bits 32..63 of the base/offset come from the upper 8 bytes.
 */
export function fetchSystemDescriptor(cpu: Cpu, selector: number, long: boolean): { d: RawDescriptor; high: number } {
  const d = fetchDescriptor(cpu, selector);
  if (!long) return { d, high: 0 };
  const hiSel = (selector & ~7) + 8;
  const upper = fetchDescriptor(cpu, hiSel | (selector & 4));
  // The type field of the upper half must be 0 (SDM 5.8.3.1).
  if ((upper.hi >>> 8) & 0x1f) fault(cpu, Vec.GP, selector & 0xfffc);
  return { d, high: upper.lo | 0 };
}

export const isLongMode = (s: CpuState): boolean => (s.efer & (1 << 10)) !== 0;
export const dplOf = (attr: number): number => (attr >> SegAttr.DPL_SHIFT) & 3;
export const mmuFor = (cpl: number): number => (cpl === 3 ? 1 : 0);
