/**
 * Far-transfer building blocks (SDM vol 3 5.8.3-5.8.6 call gates, 6.12.1 stack switching):
 * the stack as a helper sees it (SS base + SP masked by SS.B, or flat in 64-bit mode), CS
 * installation, call-gate checks, and the inner-privilege stack switch of a CALL through a
 * gate: 64-bit gates take RSP from the TSS and push SS:RSP CS:RIP as quadwords; legacy gates
 * take SS:ESP (or SS:SP) from the 32-bit (16-bit) TSS, check the new SS (#TS / #SS), push
 * the old SS:ESP, copy the gate's parameter count of stack words, and push CS:EIP.
 */

import type { Cpu } from "../cpu.js";
import { SegAttr, segmentBounds, type SegmentCache } from "../cpu-state.js";
import { Eflag } from "../flags.js";
import {
  descriptorToCache, dplOf, fault, fetchDescriptor, fetchSystemDescriptor, isLongMode, markAccessed, mmuFor, rdMem, rdMem64, wrMem,
} from "../descriptors.js";
import { HFlag, SegIndex, gprOff } from "../state-layout.js";
import { Vec } from "../softmmu.js";

const TWO32 = 4294967296;
export const TYPE_CODE = 8, TYPE_CONFORMING = 4;
const TYPE_RW = 2;

// ---- the stack as seen by a helper (SS base + masked SP, or flat 64-bit)
/** `lo`/`hi`: the offsets SS allows (segmentBounds; #SS(err) outside, SDM vol 3 5.3). */
export interface StackCursor { base: number; sp: number; mask: number; mmu: number; lo: number; hi: number; err: number }

export function stackOf(cpu: Cpu, ss: SegmentCache, sp: number, cpl: number, flat64: boolean, err = 0): StackCursor {
  if (flat64) return { base: 0, sp, mask: 0, mmu: mmuFor(cpl), lo: -Infinity, hi: Infinity, err };
  const mask = ss.attr & SegAttr.DB ? 0xffffffff : 0xffff;
  const pm = (cpu.state.cr0 & 1) !== 0 && !(cpu.state.eflagsRest & Eflag.VM);
  const [, , lo, hi] = segmentBounds(ss.limit, ss.attr, pm);
  return { base: ss.base, sp: sp & mask, mask, mmu: mmuFor(cpl), lo, hi, err };
}
const checkStack = (cpu: Cpu, c: StackCursor, size: number): void => {
  if (c.sp < c.lo || c.sp + size - 1 > c.hi) fault(cpu, Vec.SS, c.err);
};
export const curStack = (cpu: Cpu): StackCursor =>
  stackOf(cpu, cpu.state.seg(SegIndex.SS), cpu.state.reg(4), cpu.state.cpl, (cpu.state.hflags & HFlag.CS64) !== 0);
const stackAddr = (c: StackCursor): number => (c.mask ? (c.base + c.sp) % TWO32 : c.sp);

export function pushS(cpu: Cpu, c: StackCursor, v: number, size: 2 | 4 | 8): void {
  c.sp = c.mask ? ((c.sp - size) & c.mask) >>> 0 : c.sp - size;
  checkStack(cpu, c, size);
  wrMem(cpu, stackAddr(c), size === 8 ? v : v >>> 0, size, c.mmu);
}
export function popS(cpu: Cpu, c: StackCursor, size: 2 | 4 | 8): number {
  checkStack(cpu, c, size);
  const a = stackAddr(c);
  const v = size === 8 ? rdMem64(cpu, a, c.mmu) : rdMem(cpu, a, size, c.mmu);
  c.sp = c.mask ? ((c.sp + size) & c.mask) >>> 0 : c.sp + size;
  return v;
}
export function commitSp(cpu: Cpu, c: StackCursor): void {
  const s = cpu.state;
  if (c.mask === 0xffff) s.set32(gprOff(4), (s.lo(gprOff(4)) & ~0xffff) | c.sp);
  else s.setReg(4, c.sp);
}

export const canonical = (v: number): boolean => v < 2 ** 47 && v >= -(2 ** 47);

/** Install a code segment: CS with RPL = new CPL, the CPL, RIP. */
export function setCs(cpu: Cpu, cs: SegmentCache, cpl: number, ip: number): void {
  const s = cpu.state;
  s.setSeg(SegIndex.CS, { ...cs, selector: (cs.selector & 0xfffc) | cpl, attr: cs.attr | 1 });
  s.cpl = cpl;
  s.rip = ip;
}

export interface Gate {
  cs: SegmentCache;
  offset: number;
  size: 2 | 4 | 8;
  /** Privilege level the gate transfers to (the target's DPL, or the CPL for conforming code). */
  dpl: number;
  /** Legacy gates: stack parameters to copy on a privilege change (descriptor bits 36..40). */
  params: number;
}

/** A call gate used by JMP/CALL (SDM 5.8.3, 5.8.6): gate checks and its code-segment target. */
export function callGate(cpu: Cpu, sel: number, d: { lo: number; hi: number }, isCall: boolean): Gate {
  const s = cpu.state, cpl = s.cpl, err = sel & 0xfffc;
  const long = isLongMode(s);
  const type = (d.hi >>> 8) & 0xf, gdpl = (d.hi >>> 13) & 3;
  if (long ? type !== 0xc : type !== 0xc && type !== 4) fault(cpu, Vec.GP, err);
  if (gdpl < cpl || gdpl < (sel & 3)) fault(cpu, Vec.GP, err);
  if (!(d.hi & 0x8000)) fault(cpu, Vec.NP, err);
  const { high } = fetchSystemDescriptor(cpu, sel, long);
  const csSel = d.lo >>> 16, csErr = csSel & 0xfffc;
  let offset = ((d.hi & 0xffff0000) | (d.lo & 0xffff)) >>> 0;
  if (type === 4) offset &= 0xffff;
  if (long) offset += high * TWO32;
  if (csErr === 0) fault(cpu, Vec.GP, 0);
  const cd = fetchDescriptor(cpu, csSel);
  const cs = descriptorToCache(csSel, cd);
  const ctype = cs.attr & SegAttr.TYPE_MASK, dpl = dplOf(cs.attr);
  if (!(cs.attr & SegAttr.S) || !(ctype & TYPE_CODE) || dpl > cpl) fault(cpu, Vec.GP, csErr);
  if (!isCall && !(ctype & TYPE_CONFORMING) && dpl !== cpl) fault(cpu, Vec.GP, csErr);
  if (!(cs.attr & SegAttr.P)) fault(cpu, Vec.NP, csErr);
  if (long && (!(cs.attr & SegAttr.L) || cs.attr & SegAttr.DB)) fault(cpu, Vec.GP, csErr);
  markAccessed(s, cpu.softmmu, csSel, cd);
  return { cs, offset, size: long ? 8 : type === 4 ? 2 : 4, dpl: ctype & TYPE_CONFORMING ? cpl : dpl, params: long ? 0 : d.hi & 0x1f };
}

/**
 * CALL through a 64-bit call gate to an inner privilege level (SDM 5.8.6, 5.8.8): RSP from
 * TSS.RSP[new CPL], SS = null selector with RPL = new CPL, old SS:RSP and CS:RIP pushed as
 * quadwords (64-bit gates copy no parameters).
 */
export function callGateInner(cpu: Cpu, g: Gate, ip: number, oldCsSel: number, retIp: number): void {
  const s = cpu.state;
  const newCpl = g.dpl;
  const newRsp = rdMem64(cpu, s.seg(SegIndex.TR).base + 4 + newCpl * 8);
  if (!canonical(newRsp)) fault(cpu, Vec.SS, 0);
  const st: StackCursor = { base: 0, sp: newRsp, mask: 0, mmu: 0, lo: -Infinity, hi: Infinity, err: 0 };
  pushS(cpu, st, s.seg(SegIndex.SS).selector, 8);
  pushS(cpu, st, s.reg(4), 8);
  pushS(cpu, st, oldCsSel, 8);
  pushS(cpu, st, retIp, 8);
  s.setSeg(SegIndex.SS, { selector: newCpl, base: 0, limit: 0xffffffff, attr: SegAttr.P | SegAttr.S | 3 | SegAttr.DB | SegAttr.G | (newCpl << SegAttr.DPL_SHIFT) });
  s.setReg(4, st.sp);
  setCs(cpu, g.cs, newCpl, ip);
}

/** The new stack segment of a legacy inner-privilege call (SDM CALL: #TS / #SS checks). */
function innerStackSegment(cpu: Cpu, sel: number, cpl: number): SegmentCache {
  const err = sel & 0xfffc;
  if (err === 0) fault(cpu, Vec.TS, 0);
  const d = fetchDescriptor(cpu, sel, Vec.TS);
  const c = descriptorToCache(sel, d);
  const type = c.attr & SegAttr.TYPE_MASK;
  if ((sel & 3) !== cpl || dplOf(c.attr) !== cpl || !(c.attr & SegAttr.S) || type & TYPE_CODE || !(type & TYPE_RW)) fault(cpu, Vec.TS, err);
  if (!(c.attr & SegAttr.P)) fault(cpu, Vec.SS, err);
  markAccessed(cpu.state, cpu.softmmu, sel, d);
  return { ...c, attr: c.attr | 1 };
}

/** CALL through a 16/32-bit call gate to an inner privilege level, with the parameter copy. */
export function legacyGateInner(cpu: Cpu, g: Gate, ip: number, oldCsSel: number, retIp: number): void {
  const s = cpu.state, newCpl = g.dpl;
  const tr = s.seg(SegIndex.TR);
  const tss32 = (tr.attr & 8) !== 0; // types 9/B: 32-bit TSS; 1/3: 16-bit
  const spOff = tss32 ? 4 + newCpl * 8 : 2 + newCpl * 4, ssOff = tss32 ? 8 + newCpl * 8 : 4 + newCpl * 4;
  if (ssOff + 1 > tr.limit) fault(cpu, Vec.TS, tr.selector & 0xfffc);
  const newSp = rdMem(cpu, tr.base + spOff, tss32 ? 4 : 2);
  const ss = innerStackSegment(cpu, rdMem(cpu, tr.base + ssOff, 2), newCpl);
  const old = curStack(cpu);
  const st = stackOf(cpu, ss, newSp, newCpl, false, ss.selector & 0xfffc);
  pushS(cpu, st, s.seg(SegIndex.SS).selector, g.size);
  pushS(cpu, st, old.sp, g.size);
  for (let i = g.params - 1; i >= 0; i--) {
    const at = old.mask ? (old.base + ((old.sp + i * g.size) & old.mask)) % TWO32 : old.sp + i * g.size;
    pushS(cpu, st, rdMem(cpu, at, g.size as 2 | 4, old.mmu), g.size);
  }
  pushS(cpu, st, oldCsSel, g.size);
  pushS(cpu, st, retIp, g.size);
  s.setSeg(SegIndex.SS, ss);
  if (ss.attr & SegAttr.DB) s.setReg(4, st.sp);
  else s.set32(gprOff(4), (s.lo(gprOff(4)) & ~0xffff) | st.sp);
  setCs(cpu, g.cs, newCpl, ip);
}
