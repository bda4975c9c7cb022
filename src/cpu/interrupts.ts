/**
 * Exception and interrupt delivery (SDM vol 3 ch. 6): real-mode IVT, protected-mode 32-bit
 * interrupt/trap gates with the inner-privilege stack from the TSS, and long-mode 64-bit gates
 * with IST. Nested faults escalate to #DF, and a fault while delivering #DF is a triple fault
 * (a machine reset, as on hardware). Task gates switch tasks (task-switch.ts), with the error
 * code pushed on the new task's stack. From virtual-8086 mode (SDM vol 3 20.3.1.1) the gate
 * must lead to a ring-0 non-conforming code segment (else #GP(selector)); GS FS DS ES are
 * pushed above the SS:ESP frame and then nulled.
 */

import type { Cpu } from "./cpu.js";
import { SegAttr, segmentBounds, type SegmentCache } from "./cpu-state.js";
import { GuestFault, descriptorToCache, readDescriptor, realModeSegment } from "./descriptors.js";
import { Eflag } from "./flags.js";
import { RunWord, SegIndex, StateOff } from "./state-layout.js";
import { Vec } from "./softmmu.js";
import { taskGateInterrupt } from "./task-switch.js";

export const enum IntKind {
  /** A fault or abort: RIP is the faulting instruction. */
  EXCEPTION = 0,
  /** INT n / INT3 / INTO / INT1: RIP is already the next instruction; gate DPL is checked. */
  SOFTWARE = 1,
  /** An external interrupt (or NMI). */
  HARDWARE = 2,
}

/** Contributory exceptions (SDM vol 3 table 6-4). */
const contributory = (v: number): boolean => v === Vec.DE || (v >= Vec.TS && v <= Vec.GP);

class DeliveryFault extends Error {}

/**
 * Deliver an interrupt or exception now. Handles #DF escalation and triple faults. `insnLen`:
 * the length of the INT n / INT3 / INTO instruction (RIP is past it); a fault while delivering
 * it is reported at the instruction itself (SDM INT n: #GP, #NP, #SS, #PF are faults).
 */
export function deliver(cpu: Cpu, vector: number, kind: IntKind, errorCode: number, insnLen = 0): void {
  let v = vector, err = errorCode, k = kind;
  const rip = cpu.state.rip;
  for (let attempt = 0; attempt < 3; attempt++) {
    cpu.softmmu.raise(-1); // clear
    const ok = deliverOnce(cpu, v, k, err);
    const nv = cpu.state.run(RunWord.EXC_VECTOR);
    if (ok && nv < 0) return;
    // (Unless a task gate's switch already moved RIP into the new task.)
    if (k === IntKind.SOFTWARE && cpu.state.rip === rip) cpu.state.rip = rip - insnLen;
    // Delivery faulted (the new exception is pending).
    const nerr = cpu.state.run(RunWord.EXC_ERROR);
    cpu.state.setRun(RunWord.EXC_VECTOR, -1);
    if (v === Vec.DF) break;
    const df = (contributory(v) && contributory(nv)) || (v === Vec.PF && (nv === Vec.PF || contributory(nv)));
    if (df) { v = Vec.DF; err = 0; } else { v = nv; err = nerr; }
    if (nv === Vec.PF) cpu.setCr2FromPending();
    k = IntKind.EXCEPTION;
  }
  cpu.tripleFault();
}

function hasErrorCode(vector: number, kind: IntKind): boolean {
  return kind === IntKind.EXCEPTION && (vector === Vec.DF || (vector >= Vec.TS && vector <= Vec.PF) || vector === Vec.AC);
}

function deliverOnce(cpu: Cpu, vector: number, kind: IntKind, errorCode: number): boolean {
  const s = cpu.state;
  try {
    if (!(s.cr0 & 1)) return deliverReal(cpu, vector);
    if (s.efer & (1 << 10)) return deliverLong(cpu, vector, kind, hasErrorCode(vector, kind) ? errorCode : -1);
    return deliverProtected(cpu, vector, kind, hasErrorCode(vector, kind) ? errorCode : -1);
  } catch (e) {
    if (!(e instanceof DeliveryFault) && !(e instanceof GuestFault)) throw e;
    cpu.faultRip = null; // a task gate's switch failed after its commit: RIP is already the new task's
    // EXT (error code bit 0): the fault hit the delivery of an event external to the program
    // (a hardware interrupt or an earlier exception), not INT n (SDM vol 3 6.13).
    const nv = s.run(RunWord.EXC_VECTOR);
    if (kind !== IntKind.SOFTWARE && nv >= Vec.TS && nv <= Vec.GP) s.setRun(RunWord.EXC_ERROR, s.run(RunWord.EXC_ERROR) | 1);
    return false;
  }
}

function fail(cpu: Cpu, vector: number, error: number): never {
  cpu.softmmu.raise(vector, error);
  throw new DeliveryFault();
}

function rd(cpu: Cpu, addr: number, size: 1 | 2 | 4): number {
  const v = cpu.softmmu.read(addr, size, 0);
  if (v === undefined) throw new DeliveryFault();
  return v;
}

function deliverReal(cpu: Cpu, vector: number): boolean {
  const s = cpu.state;
  const idtBase = s.getNum(StateOff.IDTR);
  const off = rd(cpu, idtBase + vector * 4, 2), sel = rd(cpu, idtBase + vector * 4 + 2, 2);
  const ss = s.seg(SegIndex.SS);
  let sp = s.reg(4) & 0xffff;
  const push16 = (v: number) => {
    sp = (sp - 2) & 0xffff;
    if (!cpu.softmmu.write(ss.base + sp, v & 0xffff, 2, 0)) throw new DeliveryFault();
  };
  push16(cpu.eflags);
  push16(s.seg(SegIndex.CS).selector);
  push16(s.rip);
  s.setReg(4, (s.reg(4) - (s.reg(4) & 0xffff)) + sp);
  s.setEflags(cpu.eflags & ~(Eflag.IF | Eflag.TF | Eflag.AC | Eflag.RF));
  s.setSeg(SegIndex.CS, realModeSegment(sel, s.seg(SegIndex.CS).attr));
  s.rip = off;
  cpu.modeChanged();
  return true;
}

interface Gate { selector: number; offset: number; type: number; dpl: number; ist: number }

function readGate(cpu: Cpu, vector: number, long: boolean): Gate {
  const s = cpu.state;
  const idtBase = s.getNum(StateOff.IDTR), idtLimit = s.get32(StateOff.IDTR + 8) >>> 0;
  const size = long ? 16 : 8;
  const gateErr = vector * 8 + 2;
  if (vector * size + size - 1 > idtLimit) fail(cpu, Vec.GP, gateErr);
  const a = idtBase + vector * size;
  const lo = rd(cpu, a, 4), hi = rd(cpu, a + 4, 4);
  const type = (hi >>> 8) & 0xf;
  if (!(hi & 0x8000)) fail(cpu, Vec.NP, gateErr);
  let offset = ((hi & 0xffff0000) | (lo & 0xffff)) >>> 0;
  if (long) offset += (rd(cpu, a + 8, 4) | 0) * 4294967296;
  return { selector: lo >>> 16, offset, type, dpl: (hi >>> 13) & 3, ist: long ? hi & 7 : 0 };
}

function targetCs(cpu: Cpu, sel: number): SegmentCache {
  if ((sel & ~3) === 0) fail(cpu, Vec.GP, 0);
  const d = readDescriptor(cpu.state, cpu.softmmu, sel);
  if (!d) fail(cpu, Vec.GP, sel & ~3);
  const cs = descriptorToCache(sel, d);
  if (!(cs.attr & SegAttr.S) || !(cs.attr & SegAttr.CODE)) fail(cpu, Vec.GP, sel & ~3);
  if (!(cs.attr & SegAttr.P)) fail(cpu, Vec.NP, sel & ~3);
  return cs;
}

function deliverLong(cpu: Cpu, vector: number, kind: IntKind, errorCode: number): boolean {
  const s = cpu.state;
  const g = readGate(cpu, vector, true);
  if (g.type !== 0xe && g.type !== 0xf) fail(cpu, Vec.GP, vector * 8 + 2);
  const cpl = s.cpl;
  if (kind === IntKind.SOFTWARE && g.dpl < cpl) fail(cpu, Vec.GP, vector * 8 + 2);
  const cs = targetCs(cpu, g.selector);
  const dpl = (cs.attr >> SegAttr.DPL_SHIFT) & 3;
  if (!(cs.attr & SegAttr.L) || (cs.attr & SegAttr.DB)) fail(cpu, Vec.GP, g.selector & ~3);
  const conforming = (cs.attr & 4) !== 0;
  const newCpl = conforming ? cpl : dpl;
  if (newCpl > cpl) fail(cpu, Vec.GP, g.selector & ~3);
  const oldSs = s.seg(SegIndex.SS), oldRsp = s.reg(4), flags = cpu.eflags;
  let rsp = oldRsp;
  const tr = s.seg(SegIndex.TR);
  const tssQ = (off: number): number => rd(cpu, tr.base + off, 4) + (rd(cpu, tr.base + off + 4, 4) | 0) * 4294967296;
  if (g.ist) rsp = tssQ(36 + (g.ist - 1) * 8);
  else if (newCpl < cpl) rsp = tssQ(4 + newCpl * 8);
  rsp -= ((rsp % 16) + 16) % 16;
  const frame = [oldSs.selector, oldRsp, flags, s.seg(SegIndex.CS).selector, s.rip];
  if (errorCode >= 0) frame.push(errorCode);
  for (const v of frame) {
    rsp -= 8;
    const hi = Math.floor(v / 4294967296);
    if (!cpu.softmmu.write(rsp, (v - hi * 4294967296) | 0, 4, 0) || !cpu.softmmu.write(rsp + 4, hi | 0, 4, 0)) throw new DeliveryFault();
  }
  if (newCpl < cpl) s.setSeg(SegIndex.SS, { selector: newCpl, base: 0, limit: 0xffffffff, attr: SegAttr.P | SegAttr.S | 2 | (newCpl << SegAttr.DPL_SHIFT) });
  s.setReg(4, rsp);
  s.setSeg(SegIndex.CS, { ...cs, selector: (g.selector & ~3) | newCpl });
  s.cpl = newCpl;
  s.rip = g.offset;
  s.setEflags(flags & ~(Eflag.TF | Eflag.NT | Eflag.RF | Eflag.VM | (g.type === 0xe ? Eflag.IF : 0)));
  cpu.modeChanged();
  return true;
}

/**
 * The inner-level stack segment from the TSS (SDM INT n "INTER-PRIVILEGE-LEVEL-INTERRUPT"):
 * #TS for a null selector, RPL or DPL other than the new CPL, or not writable data; #SS when
 * not present.
 */
function innerStack(cpu: Cpu, sel: number, newCpl: number): SegmentCache {
  const err = sel & ~3;
  if (err === 0) fail(cpu, Vec.TS, 0);
  const d = readDescriptor(cpu.state, cpu.softmmu, sel);
  if (!d) {
    if (cpu.state.run(RunWord.EXC_VECTOR) >= 0) throw new DeliveryFault(); // the GDT/LDT read faulted
    fail(cpu, Vec.TS, err);
  }
  const ss = descriptorToCache(sel, d);
  const type = ss.attr & SegAttr.TYPE_MASK, dpl = (ss.attr >> SegAttr.DPL_SHIFT) & 3;
  if ((sel & 3) !== newCpl || dpl !== newCpl || !(ss.attr & SegAttr.S) || type & 8 || !(type & 2)) fail(cpu, Vec.TS, err);
  if (!(ss.attr & SegAttr.P)) fail(cpu, Vec.SS, err);
  return ss;
}

function deliverProtected(cpu: Cpu, vector: number, kind: IntKind, errorCode: number): boolean {
  const s = cpu.state;
  const g = readGate(cpu, vector, false);
  if (![0x5, 0x6, 0x7, 0xe, 0xf].includes(g.type)) fail(cpu, Vec.GP, vector * 8 + 2);
  const cpl = s.cpl;
  if (kind === IntKind.SOFTWARE && g.dpl < cpl) fail(cpu, Vec.GP, vector * 8 + 2);
  if (g.type === 0x5) {
    taskGateInterrupt(cpu, g.selector, errorCode);
    return true;
  }
  const cs = targetCs(cpu, g.selector);
  const dpl = (cs.attr >> SegAttr.DPL_SHIFT) & 3;
  const newCpl = cs.attr & 4 ? cpl : dpl;
  if (newCpl > cpl) fail(cpu, Vec.GP, g.selector & ~3);
  const flags = cpu.eflags;
  const vm86 = (flags & Eflag.VM) !== 0;
  if (vm86 && newCpl !== 0) fail(cpu, Vec.GP, g.selector & ~3);
  const gate32 = (g.type & 8) !== 0, w = gate32 ? 4 : 2;
  const target = gate32 ? g.offset : g.offset & 0xffff; // 286 gates: bits 16..31 are reserved
  if (target > cs.limit) fail(cpu, Vec.GP, 0);
  const oldSs = s.seg(SegIndex.SS), oldEsp = s.reg(4) >>> 0;
  let ss = oldSs, esp = oldEsp;
  if (newCpl < cpl) {
    const tr = s.seg(SegIndex.TR);
    const tss32 = (tr.attr & 8) !== 0; // types 9/B: 32-bit TSS; 1/3: 16-bit
    const ssOff = tss32 ? 8 + newCpl * 8 : 4 + newCpl * 4;
    if (ssOff + 1 > tr.limit) fail(cpu, Vec.TS, tr.selector & ~3);
    esp = tss32 ? rd(cpu, tr.base + 4 + newCpl * 8, 4) : rd(cpu, tr.base + 2 + newCpl * 4, 2);
    const ssSel = rd(cpu, tr.base + ssOff, 2);
    ss = innerStack(cpu, ssSel, newCpl);
  }
  const espBase = esp;
  const ssMask = ss.attr & SegAttr.DB ? 0xffffffff : 0xffff;
  // The whole frame must fit in the stack segment before anything is pushed (SDM INT n:
  // #SS(new SS selector) for the inner stack, #SS(0) for the current one; EXT added by fail).
  // Not when SS holds only a selector (attr 0): a task switch that faulted while loading the
  // new task's segments (task-switch.ts) delivers the fault there, as QEMU does.
  if (ss.attr !== 0) {
    const words = (vm86 ? 4 : 0) + (newCpl < cpl ? 2 : 0) + 3 + (errorCode >= 0 ? 1 : 0);
    const [, , stLo, stHi] = segmentBounds(ss.limit, ss.attr, true);
    for (let i = 1; i <= words; i++) {
      const off = ((esp - i * w) >>> 0) & ssMask;
      if (off < stLo || off + w - 1 > stHi) fail(cpu, Vec.SS, newCpl < cpl ? ss.selector & ~3 : 0);
    }
  }
  const push = (v: number) => {
    esp = (esp - w) >>> 0;
    if (!cpu.softmmu.write(ss.base + (esp & ssMask), v, w, 0)) throw new DeliveryFault();
  };
  if (vm86) for (const seg of [SegIndex.GS, SegIndex.FS, SegIndex.DS, SegIndex.ES]) push(s.seg(seg).selector);
  if (newCpl < cpl) { push(oldSs.selector); push(oldEsp); }
  push(flags);
  push(s.seg(SegIndex.CS).selector);
  push(s.rip);
  if (errorCode >= 0) push(errorCode);
  s.setSeg(SegIndex.SS, ss);
  s.setReg(4, ssMask === 0xffff ? ((espBase & ~0xffff) | (esp & 0xffff)) >>> 0 : esp);
  s.setSeg(SegIndex.CS, { ...cs, selector: (g.selector & ~3) | newCpl });
  if (vm86) for (const seg of [SegIndex.ES, SegIndex.DS, SegIndex.FS, SegIndex.GS]) s.setSeg(seg, { selector: 0, base: 0, limit: 0, attr: 0 });
  s.cpl = newCpl;
  s.rip = target;
  s.setEflags(flags & ~(Eflag.TF | Eflag.NT | Eflag.RF | Eflag.VM | ((g.type & 1) === 0 ? Eflag.IF : 0)));
  cpu.modeChanged();
  return true;
}
