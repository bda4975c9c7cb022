/**
 * Segment descriptors (SDM vol 3 3.4.5, 3.5, 6.11): reading GDT/LDT/IDT entries through the
 * softmmu with supervisor rights, and turning a descriptor into a segment-cache value.
 * A failed read leaves the exception pending and returns undefined.
 */

import type { CpuState, SegmentCache } from "./cpu-state.js";
import { SegIndex } from "./state-layout.js";
import { StateOff } from "./state-layout.js";
import type { SoftMmu } from "./softmmu.js";

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
