/**
 * Hardware task switching (SDM vol 3 ch. 7): JMP/CALL to a TSS descriptor or through a task
 * gate (semantics/far.ts), INT n / exceptions / external interrupts through an IDT task gate
 * (interrupts.ts), and IRET with EFLAGS.NT = 1 back along the back link (far.ts). 32-bit
 * (types 9/B) and 16-bit (types 1/3) TSS formats. Not available in IA-32e mode: the callers
 * raise #GP there before getting here.
 *
 * Order (SDM 7.3, table 7-1): the new TSS descriptor is checked (type, present, busy, limit);
 * the new task's image is read, then the outgoing state is saved into the current TSS (so
 * page faults on either TSS come before anything changes). Then the busy bits (cleared in the
 * old descriptor for JMP/IRET, set in the new one for JMP/CALL/INT), the back link and NT
 * (CALL/INT), TR, CR0.TS, CR3 (32-bit TSS with paging) — the commit point. After it, the
 * registers and selectors of the new task are loaded first and the descriptors checked
 * afterwards in the table's (P6) order, so a #TS/#NP/#SS there is raised in the new task's
 * context, as on hardware. An EFLAGS image with VM = 1 (32-bit TSS) enters
 * virtual-8086 mode: segments are loaded real-mode style and the CPL is 3.
 * The TSS T bit makes a #DB trap (DR6.BT) before the new task's first instruction; DR7's
 * local enables L0-L3 are cleared.
 */

import type { Cpu } from "./cpu.js";
import { SegAttr, type SegmentCache } from "./cpu-state.js";
import { DebugTrap } from "./debug.js";
import {
  GuestFault, descriptorToCache, dplOf, fault, fetchDescriptor, markAccessed, mmuFor, rdMem, readDescriptor, vm86Segment, wrMem,
  type RawDescriptor,
} from "./descriptors.js";
import { Eflag } from "./flags.js";
import { RunWord, SegIndex, StateOff, gprOff } from "./state-layout.js";
import { Vec } from "./softmmu.js";

/** What starts the switch: it decides the busy-bit, NT and back-link rules. */
export const enum TaskSource { JMP = 0, CALL = 1, IRET = 2, INT = 3 }

/** 32-bit TSS fields (SDM figure 7-2). */
const enum Tss32 { CR3 = 0x1c, EIP = 0x20, EFLAGS = 0x24, GPR = 0x28, SEG = 0x48, LDT = 0x60, TRAP = 0x64, MIN_LIMIT = 0x67 }
/** 16-bit TSS fields (SDM figure 7-11). */
const enum Tss16 { IP = 0x0e, FLAGS = 0x10, GPR = 0x12, SEG = 0x22, LDT = 0x2a, MIN_LIMIT = 0x2b }

/** The dynamic and static fields read from the new task's TSS. */
interface TaskImage {
  eip: number;
  eflags: number;
  regs: number[];
  /** Selectors in SegIndex order ES CS SS DS FS GS (a 16-bit TSS has no FS/GS: null). */
  segs: number[];
  ldt: number;
  cr3: number;
  trap: boolean;
}

const DR7_LOCAL = 0x55;
const NULL_SEG = (selector: number) => ({ selector, base: 0, limit: 0, attr: 0 });

/**
 * Check the TSS descriptor a switch goes to, in table 7-1's order (SDM JMP/CALL
 * "TASK-STATE-SEGMENT", INT n "TASK-GATE", IRET "TASK-RETURN"): in the GDT and a TSS type,
 * present (#NP), available (busy for IRET), and its limit large enough for its format
 * (#TS). The error code is the TSS selector; #GP for JMP/CALL/INT, #TS for IRET.
 */
function tssDescriptor(cpu: Cpu, sel: number, src: TaskSource): SegmentCache {
  const err = sel & 0xfffc;
  const bad = src === TaskSource.IRET ? Vec.TS : Vec.GP;
  if (sel & 4) fault(cpu, bad, err);
  const d = fetchDescriptor(cpu, sel, bad);
  const c = descriptorToCache(sel, d);
  const type = c.attr & SegAttr.TYPE_MASK;
  if (c.attr & SegAttr.S || (type & 5) !== 1) fault(cpu, bad, err); // 1, 3, 9, B
  if (!(c.attr & SegAttr.P)) fault(cpu, Vec.NP, err);
  if (((type & 2) !== 0) !== (src === TaskSource.IRET)) fault(cpu, bad, err);
  if (c.limit < (type & 8 ? Tss32.MIN_LIMIT : Tss16.MIN_LIMIT)) fault(cpu, Vec.TS, err);
  return c;
}

function readImage(cpu: Cpu, base: number, is32: boolean): TaskImage {
  const r = (off: number, size: 2 | 4) => rdMem(cpu, base + off, size);
  const span = (off: number, n: number, size: 2 | 4) => Array.from({ length: n }, (_, i) => r(off + i * size, size));
  if (is32) {
    return {
      eip: r(Tss32.EIP, 4), eflags: r(Tss32.EFLAGS, 4), regs: span(Tss32.GPR, 8, 4),
      segs: Array.from({ length: 6 }, (_, i) => r(Tss32.SEG + i * 4, 2)),
      ldt: r(Tss32.LDT, 2), cr3: r(Tss32.CR3, 4), trap: (r(Tss32.TRAP, 2) & 1) !== 0,
    };
  }
  return {
    eip: r(Tss16.IP, 2), eflags: r(Tss16.FLAGS, 2), regs: span(Tss16.GPR, 8, 2),
    segs: [...span(Tss16.SEG, 4, 2), 0, 0], ldt: r(Tss16.LDT, 2), cr3: 0, trap: false,
  };
}

/** Save the outgoing task's dynamic fields into its TSS (the static ones are left alone). */
function saveState(cpu: Cpu, base: number, is32: boolean, eip: number, eflags: number): void {
  const s = cpu.state;
  const w = (off: number, v: number, size: 2 | 4) => wrMem(cpu, base + off, size === 2 ? v & 0xffff : v >>> 0, size);
  const size = is32 ? 4 : 2;
  w(is32 ? Tss32.EIP : Tss16.IP, eip, size);
  w(is32 ? Tss32.EFLAGS : Tss16.FLAGS, eflags, size);
  for (let i = 0; i < 8; i++) w((is32 ? Tss32.GPR : Tss16.GPR) + i * size, s.lo(gprOff(i)), size);
  for (let i = 0; i < (is32 ? 6 : 4); i++) w((is32 ? Tss32.SEG : Tss16.SEG) + i * size, s.seg(i as SegIndex).selector, 2);
}

/** Set or clear the busy bit (type bit 1) of the TSS descriptor `sel` in the GDT. */
function setBusy(cpu: Cpu, sel: number, busy: boolean): void {
  const at = cpu.state.getNum(StateOff.GDTR) + (sel & ~7) + 4;
  const hi = rdMem(cpu, at, 4);
  wrMem(cpu, at, (busy ? hi | 0x200 : hi & ~0x200) >>> 0, 4);
}

/** A descriptor to check: null for a null selector or one beyond its table (not "valid"). */
interface Peeked { sel: number; d: RawDescriptor; c: SegmentCache }
function peek(cpu: Cpu, sel: number): Peeked | null {
  if ((sel & 0xfffc) === 0) return null;
  const d = readDescriptor(cpu.state, cpu.softmmu, sel);
  if (!d) {
    if (cpu.state.run(RunWord.EXC_VECTOR) >= 0) throw new GuestFault(); // the table read faulted
    return null;
  }
  return { sel, d, c: descriptorToCache(sel, d) };
}

const typeOf = (p: Peeked): number => p.c.attr & SegAttr.TYPE_MASK;
const isCode = (p: Peeked): boolean => (p.c.attr & SegAttr.S) !== 0 && (typeOf(p) & 8) !== 0;
const present = (p: Peeked): boolean => (p.c.attr & SegAttr.P) !== 0;

function install(cpu: Cpu, seg: SegIndex, p: Peeked | null, sel: number): void {
  const s = cpu.state;
  if (!p) return s.setSeg(seg, NULL_SEG(sel));
  markAccessed(s, cpu.softmmu, p.sel, p.d);
  s.setSeg(seg, { ...p.c, attr: p.c.attr | 1 });
}

/**
 * LDTR and the segment registers of the new task, checked in table 7-1's order (the P6
 * order): LDT selector valid; CS DPL vs RPL; SS valid, present (#SS), DPL = CPL; LDT present;
 * CS valid, present (#NP); SS DPL = RPL; then DS, ES, FS, GS valid, readable, present (#NP),
 * DPL >= CPL and RPL unless conforming code. #TS(selector) unless noted. LDTR is loaded once
 * valid (CS and SS may live in the LDT), CS and SS once checked, the data registers last.
 */
function loadSegments(cpu: Cpu, img: TaskImage): void {
  const s = cpu.state, cpl = s.cpl;
  const ts: (sel: number) => never = (sel) => fault(cpu, Vec.TS, sel & 0xfffc);
  const [csSel, ssSel, ldtSel] = [img.segs[SegIndex.CS]!, img.segs[SegIndex.SS]!, img.ldt];
  // 1. LDT selector valid: a GDT LDT descriptor.
  const ldt = ldtSel & 4 ? null : peek(cpu, ldtSel);
  if (ldtSel & 0xfffc && (!ldt || ldt.c.attr & SegAttr.S || typeOf(ldt) !== 2)) ts(ldtSel);
  s.setSeg(SegIndex.LDTR, ldt ? ldt.c : NULL_SEG(ldtSel));
  // 2. CS DPL matches RPL (<= RPL for conforming code).
  const cs = peek(cpu, csSel);
  if (cs && isCode(cs)) {
    const dpl = dplOf(cs.c.attr), rpl = csSel & 3;
    if (typeOf(cs) & 4 ? dpl > rpl : dpl !== rpl) ts(csSel);
  }
  // 3-5. SS valid (writable data), present, DPL = CPL.
  const ss = peek(cpu, ssSel);
  if (!ss || !(ss.c.attr & SegAttr.S) || isCode(ss) || !(typeOf(ss) & 2)) ts(ssSel);
  if (!present(ss)) fault(cpu, Vec.SS, ssSel & 0xfffc);
  if (dplOf(ss.c.attr) !== cpl) ts(ssSel);
  // 6. LDT present.
  if (ldt && !present(ldt)) ts(ldtSel);
  // 7-8. CS valid (code), present.
  if (!cs || !isCode(cs)) ts(csSel);
  if (!present(cs)) fault(cpu, Vec.NP, csSel & 0xfffc);
  // 9. SS DPL matches RPL.
  if (dplOf(ss.c.attr) !== (ssSel & 3)) ts(ssSel);
  install(cpu, SegIndex.CS, cs, csSel);
  install(cpu, SegIndex.SS, ss, ssSel);
  // 10-13. Data segment registers, each check across all four.
  const data = [SegIndex.DS, SegIndex.ES, SegIndex.FS, SegIndex.GS].map((seg) => ({ seg, sel: img.segs[seg]!, p: peek(cpu, img.segs[seg]!) }));
  for (const { sel, p } of data) if (sel & 0xfffc && !p) ts(sel);
  for (const { sel, p } of data) if (p && (!(p.c.attr & SegAttr.S) || (isCode(p) && !(typeOf(p) & 2)))) ts(sel);
  for (const { sel, p } of data) if (p && !present(p)) fault(cpu, Vec.NP, sel & 0xfffc);
  for (const { sel, p } of data) {
    const dpl = p ? dplOf(p.c.attr) : 0;
    if (p && !(isCode(p) && typeOf(p) & 4) && (dpl < cpl || dpl < (sel & 3))) ts(sel);
  }
  for (const { seg, sel, p } of data) install(cpu, seg, p, sel);
}

/** After the commit point: registers, flags, LDTR and segments of the new task. */
function loadState(cpu: Cpu, img: TaskImage, is32: boolean): void {
  const s = cpu.state;
  s.rip = img.eip >>> 0;
  s.setEflags(img.eflags);
  for (let i = 0; i < 8; i++) {
    if (is32) s.setReg(i, img.regs[i]! >>> 0);
    else s.set32(gprOff(i), (s.lo(gprOff(i)) & ~0xffff) | img.regs[i]!);
  }
  if (img.eflags & Eflag.VM) {
    for (let i = 0; i < 6; i++) s.setSeg(i as SegIndex, vm86Segment(img.segs[i]!, i === SegIndex.CS));
    s.cpl = 3;
    loadVm86Ldt(cpu, img.ldt);
    return;
  }
  // Selectors first, with unusable caches: a fault below is taken in the new task's context.
  for (let i = 0; i < 6; i++) s.setSeg(i as SegIndex, NULL_SEG(img.segs[i]!));
  s.cpl = img.segs[SegIndex.CS]! & 3;
  loadSegments(cpu, img);
}

/** A VM86 task still has an LDTR (its checks as in loadSegments' steps 1 and 6). */
function loadVm86Ldt(cpu: Cpu, sel: number): void {
  const s = cpu.state, err = sel & 0xfffc;
  if (err === 0) return s.setSeg(SegIndex.LDTR, NULL_SEG(sel));
  const ldt = sel & 4 ? null : peek(cpu, sel);
  if (!ldt || ldt.c.attr & SegAttr.S || typeOf(ldt) !== 2 || !present(ldt)) fault(cpu, Vec.TS, err);
  s.setSeg(SegIndex.LDTR, ldt.c);
}

/**
 * Switch to the task whose TSS selector is `sel`. `eip` is where the outgoing task resumes
 * (the next instruction for JMP/CALL/IRET/INT n and traps, the faulting one for faults).
 * Unwinds with the exception pending on a failed check (GuestFault).
 */
export function switchTask(cpu: Cpu, sel: number, src: TaskSource, eip: number): void {
  const s = cpu.state;
  const tss = tssDescriptor(cpu, sel, src);
  const to32 = (tss.attr & 8) !== 0;
  const img = readImage(cpu, tss.base, to32);
  if (!to32) img.eflags &= 0xffff;
  const old = s.seg(SegIndex.TR);
  let flags = cpu.eflags;
  if (src === TaskSource.IRET) flags &= ~Eflag.NT;
  saveState(cpu, old.base, (old.attr & 8) !== 0, eip, flags);
  if (src === TaskSource.JMP || src === TaskSource.IRET) setBusy(cpu, old.selector, false);
  if (src === TaskSource.CALL || src === TaskSource.INT) {
    wrMem(cpu, tss.base, old.selector, 2); // back link
    img.eflags |= Eflag.NT;
  }
  if (src !== TaskSource.IRET) setBusy(cpu, sel, true);
  // Commit point.
  s.setSeg(SegIndex.TR, { selector: sel, base: tss.base, limit: tss.limit, attr: tss.attr | 2 });
  s.set64(StateOff.CR0, s.cr0 | 8, 0); // CR0.TS
  if (to32 && s.cr0 & 0x80000000) {
    s.set64(StateOff.CR3, img.cr3, 0);
    cpu.flushTlbNonGlobal();
  }
  // Local breakpoint enables L0-L3 belong to the old task (SDM 17.2.4).
  const dr7 = s.lo(StateOff.DR + 7 * 8);
  if (dr7 & DR7_LOCAL) {
    s.set64(StateOff.DR + 7 * 8, dr7 & ~DR7_LOCAL, 0);
    cpu.debug.configChanged();
  }
  if (img.trap) {
    s.setRun(RunWord.DEBUG_TRAP, s.run(RunWord.DEBUG_TRAP) | DebugTrap.BT);
    s.setRun(RunWord.EXIT_REQUEST, 1);
  }
  try {
    loadState(cpu, img, to32);
  } catch (e) {
    cpu.faultRip = s.rip; // the new task's EIP, not the instruction that switched
    throw e;
  } finally {
    cpu.modeChanged();
  }
}

/** The new task's EIP must lie within its CS limit (#GP(0), after the switch). */
export function checkTaskEip(cpu: Cpu): void {
  const s = cpu.state;
  if (s.rip <= s.seg(SegIndex.CS).limit) return;
  cpu.faultRip = s.rip;
  fault(cpu, Vec.GP, 0);
}

/**
 * An interrupt or exception through an IDT task gate (SDM INT n "TASK-GATE"): switch with
 * nesting, then push the error code (if any) on the new task's stack, as a word or dword by
 * the new TSS's format.
 */
export function taskGateInterrupt(cpu: Cpu, tssSel: number, errorCode: number): void {
  const s = cpu.state;
  switchTask(cpu, tssSel, TaskSource.INT, s.rip);
  if (errorCode >= 0) {
    const size = s.seg(SegIndex.TR).attr & 8 ? 4 : 2;
    const ss = s.seg(SegIndex.SS);
    const mask = ss.attr & SegAttr.DB ? 0xffffffff : 0xffff;
    const esp = s.reg(4) >>> 0;
    const sp = ((esp - size) & mask) >>> 0;
    wrMem(cpu, (ss.base + sp) % 4294967296, errorCode, size, mmuFor(s.cpl));
    s.setReg(4, mask === 0xffff ? ((esp & ~0xffff) | sp) >>> 0 : sp);
  }
  checkTaskEip(cpu);
}
