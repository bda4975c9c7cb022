/**
 * Far control transfers (SDM vol 2 JMP, CALL, RET, IRET/IRETD/IRETQ; vol 3 5.8 privilege
 * checks for control transfers, 6.14.3 IRET in IA-32e mode): real-mode and virtual-8086
 * forms, protected-mode transfers to code segments (conforming and non-conforming), call
 * gates (far-gates.ts: 64-bit and legacy gates, with the inner-privilege stack switch and the
 * legacy parameter copy), returns to the same and to an outer privilege level with the SS checks
 * and the data-segment nullification, and IRETQ to compatibility mode and CPL 3.
 * Task switches (JMP/CALL to a TSS or through a task gate, IRET with NT = 1) go to
 * task-switch.ts; in IA-32e mode they are #GP. IRETD at CPL 0 to an EFLAGS image with VM = 1
 * enters virtual-8086 mode (SDM IRET "RETURN-TO-VIRTUAL-8086-MODE").
 *
 * Each instruction is one helper that sets CS, RIP (CS-relative) and the stack; the block
 * then ends without writing RIP. CALLF pushes nextPc(ctx) as the return IP, the same
 * convention as near CALL in control.ts (nextPc is the RIP of the next instruction; with a
 * non-zero CS base the translator still passes linear PCs, which the translator must fix).
 */

import { HelperFlag, IrType, TbExit, type Temp } from "../../jit/ir/types.js";
import type { Cpu } from "../cpu.js";
import { SegAttr, type SegmentCache } from "../cpu-state.js";
import { descriptorToCache, dplOf, fault, fetchDescriptor, guarded, isLongMode, markAccessed, rdMem, vm86Segment } from "../descriptors.js";
import { Eflag } from "../flags.js";
import { cpuHelper } from "../helper.js";
import { HFlag, SegIndex } from "../state-layout.js";
import { Vec } from "../softmmu.js";
import { TaskSource, checkTaskEip, switchTask } from "../task-switch.js";
import type { SemanticsTable } from "../translate.js";
import { addrPlus, endBlock, loadMem, nextPc, operand, type X86Ctx } from "./context.js";
import {
  TYPE_CODE, TYPE_CONFORMING, callGate, callGateInner, canonical, commitSp, curStack, legacyGateInner, popS, pushS, setCs, type StackCursor,
} from "./far-gates.js";

const TWO32 = 4294967296;
const TYPE_RW = 2;

/** Real-mode / VM86 far target: base = selector << 4, limit and attributes kept. */
function setCsReal(cpu: Cpu, sel: number, ip: number): void {
  const s = cpu.state;
  s.setSeg(SegIndex.CS, { ...s.seg(SegIndex.CS), selector: sel & 0xffff, base: (sel & 0xffff) * 16 });
  s.rip = ip;
}

const legacyOrVm86 = (cpu: Cpu): boolean => !(cpu.state.cr0 & 1) || (cpu.state.eflagsRest & Eflag.VM) !== 0;

/** Check a code-segment descriptor as a direct JMP/CALL target (SDM 5.8.2-5.8.4). */
function directCodeTarget(cpu: Cpu, sel: number): SegmentCache {
  const s = cpu.state, cpl = s.cpl, err = sel & 0xfffc;
  const d = fetchDescriptor(cpu, sel);
  const cs = descriptorToCache(sel, d);
  const type = cs.attr & SegAttr.TYPE_MASK, dpl = dplOf(cs.attr);
  if (type & TYPE_CONFORMING) { if (dpl > cpl) fault(cpu, Vec.GP, err); } else if ((sel & 3) > cpl || dpl !== cpl) fault(cpu, Vec.GP, err);
  if (!(cs.attr & SegAttr.P)) fault(cpu, Vec.NP, err);
  if (isLongMode(s) && cs.attr & SegAttr.L && cs.attr & SegAttr.DB) fault(cpu, Vec.GP, err);
  markAccessed(s, cpu.softmmu, sel, d);
  return cs;
}

/** Target IP check: outside a 64-bit target the IP must lie within the CS limit (#GP(0)). */
function checkIp(cpu: Cpu, cs: SegmentCache, ip: number): number {
  if (isLongMode(cpu.state) && cs.attr & SegAttr.L) {
    if (!canonical(ip)) fault(cpu, Vec.GP, 0);
    return ip;
  }
  const eip = ip >>> 0;
  if (eip > cs.limit) fault(cpu, Vec.GP, 0);
  return eip;
}

/**
 * JMP/CALL to a TSS descriptor or through a task gate (SDM JMP/CALL "TASK-GATE",
 * "TASK-STATE-SEGMENT"): the descriptor's DPL against CPL and RPL (#GP(selector)), a task
 * gate's present bit (#NP), then the switch; `next` is the outgoing task's resume EIP.
 */
function farTaskSwitch(cpu: Cpu, sel: number, d: { lo: number; hi: number }, isCall: boolean, next: number): void {
  const err = sel & 0xfffc, dpl = (d.hi >>> 13) & 3;
  if (dpl < cpu.state.cpl || dpl < (sel & 3)) fault(cpu, Vec.GP, err);
  let tssSel = sel;
  if (((d.hi >>> 8) & 0xf) === 5) {
    if (!(d.hi & 0x8000)) fault(cpu, Vec.NP, err);
    tssSel = d.lo >>> 16;
  }
  switchTask(cpu, tssSel, isCall ? TaskSource.CALL : TaskSource.JMP, next >>> 0);
  checkTaskEip(cpu);
}

/**
 * JMPF / CALLF. `ret` is the next instruction's RIP for CALLF, else null; `next` is that
 * RIP in both cases (a task switch saves it).
 */
function farTransfer(cpu: Cpu, sel: number, offset: number, opSize: 2 | 4 | 8, ret: number | null, next: number): void {
  const s = cpu.state;
  const oldCs = s.seg(SegIndex.CS);
  const retIp = ret === null ? 0 : s.hflags & HFlag.CS64 ? ret : opSize === 2 ? ret & 0xffff : ret >>> 0;
  if (legacyOrVm86(cpu)) {
    const ip = opSize === 2 ? offset & 0xffff : offset >>> 0;
    if (ret !== null) {
      const st = curStack(cpu);
      pushS(cpu, st, oldCs.selector, opSize);
      pushS(cpu, st, retIp, opSize);
      commitSp(cpu, st);
    }
    setCsReal(cpu, sel, ip);
    return;
  }
  if ((sel & 0xfffc) === 0) fault(cpu, Vec.GP, 0);
  const d = fetchDescriptor(cpu, sel);
  const cpl = s.cpl;
  if ((d.hi >>> 12) & 1) {
    // A code or data segment: only code is a valid target.
    if (!((d.hi >>> 11) & 1)) fault(cpu, Vec.GP, sel & 0xfffc);
    const cs = directCodeTarget(cpu, sel);
    const ip = checkIp(cpu, cs, opSize === 2 ? offset & 0xffff : offset);
    if (ret !== null) {
      const st = curStack(cpu);
      pushS(cpu, st, oldCs.selector, opSize);
      pushS(cpu, st, retIp, opSize);
      commitSp(cpu, st);
    }
    setCs(cpu, cs, cpl, ip);
    return;
  }
  const sysType = (d.hi >>> 8) & 0xf;
  // Task gates and TSS descriptors (types 5, 1/3, 9/B); IA-32e mode has neither (callGate: #GP).
  if (!isLongMode(s) && (sysType === 5 || (sysType & 5) === 1)) return farTaskSwitch(cpu, sel, d, ret !== null, next);
  const g = callGate(cpu, sel, d, ret !== null);
  const ip = checkIp(cpu, g.cs, g.offset);
  if (ret === null || g.dpl === cpl) {
    if (ret !== null) {
      const st = curStack(cpu);
      pushS(cpu, st, oldCs.selector, g.size);
      pushS(cpu, st, retIp, g.size);
      commitSp(cpu, st);
    }
    setCs(cpu, g.cs, cpl, ip);
    return;
  }
  if (isLongMode(s)) callGateInner(cpu, g, ip, oldCs.selector, retIp);
  else legacyGateInner(cpu, g, ip, oldCs.selector, retIp);
}

/** The CS descriptor popped by RETF/IRET (SDM RET "PROTECTED-MODE-RETURN" checks). */
function returnCs(cpu: Cpu, sel: number): SegmentCache {
  const cpl = cpu.state.cpl, rpl = sel & 3, err = sel & 0xfffc;
  if (err === 0) fault(cpu, Vec.GP, 0);
  const d = fetchDescriptor(cpu, sel);
  const cs = descriptorToCache(sel, d);
  const type = cs.attr & SegAttr.TYPE_MASK, dpl = dplOf(cs.attr);
  if (rpl < cpl || !(cs.attr & SegAttr.S) || !(type & TYPE_CODE)) fault(cpu, Vec.GP, err);
  if (type & TYPE_CONFORMING ? dpl > rpl : dpl !== rpl) fault(cpu, Vec.GP, err);
  if (!(cs.attr & SegAttr.P)) fault(cpu, Vec.NP, err);
  if (isLongMode(cpu.state) && cs.attr & SegAttr.L && cs.attr & SegAttr.DB) fault(cpu, Vec.GP, err);
  markAccessed(cpu.state, cpu.softmmu, sel, d);
  return cs;
}

/** The SS popped on a return (to an outer level, or by IRET in 64-bit mode); null only in 64-bit mode at CPL < 3. */
function returnSs(cpu: Cpu, sel: number, newCpl: number, to64: boolean): SegmentCache {
  const err = sel & 0xfffc;
  if (err === 0) {
    if (!to64 || newCpl === 3) fault(cpu, Vec.GP, 0);
    return { selector: sel & 0xffff, base: 0, limit: 0xffffffff, attr: SegAttr.P | SegAttr.S | 3 | SegAttr.DB | SegAttr.G | (newCpl << SegAttr.DPL_SHIFT) };
  }
  const d = fetchDescriptor(cpu, sel);
  const ss = descriptorToCache(sel & 0xffff, d);
  const type = ss.attr & SegAttr.TYPE_MASK;
  if ((sel & 3) !== newCpl || !(ss.attr & SegAttr.S) || type & TYPE_CODE || !(type & TYPE_RW) || dplOf(ss.attr) !== newCpl) fault(cpu, Vec.GP, err);
  if (!(ss.attr & SegAttr.P)) fault(cpu, Vec.SS, err);
  markAccessed(cpu.state, cpu.softmmu, sel, d);
  return { ...ss, attr: ss.attr | 1 };
}

/** After a return to an outer level: data segments the new CPL may not use become null (SDM RET). */
function nullifyDataSegs(cpu: Cpu, newCpl: number): void {
  const s = cpu.state;
  for (const seg of [SegIndex.ES, SegIndex.DS, SegIndex.FS, SegIndex.GS]) {
    const c = s.seg(seg);
    const type = c.attr & SegAttr.TYPE_MASK;
    const conformingCode = (type & (TYPE_CODE | TYPE_CONFORMING)) === (TYPE_CODE | TYPE_CONFORMING);
    if ((c.selector & 0xfffc) !== 0 && !conformingCode && dplOf(c.attr) < newCpl)
      s.setSeg(seg, { ...c, selector: 0, attr: c.attr & ~SegAttr.P }); // base kept, as QEMU does
  }
}

/** RETF [imm16] (SDM RET far). */
function farReturn(cpu: Cpu, opSize: 2 | 4 | 8, imm: number): void {
  const s = cpu.state;
  const st = curStack(cpu);
  const ip = popS(cpu, st, opSize);
  const sel = popS(cpu, st, opSize) & 0xffff;
  if (legacyOrVm86(cpu)) {
    st.sp = st.mask ? ((st.sp + imm) & st.mask) >>> 0 : st.sp + imm;
    commitSp(cpu, st);
    setCsReal(cpu, sel, opSize === 2 ? ip & 0xffff : ip >>> 0);
    return;
  }
  const cpl = s.cpl, rpl = sel & 3;
  const cs = returnCs(cpu, sel);
  const eip = checkIp(cpu, cs, opSize === 2 ? ip & 0xffff : opSize === 4 ? ip >>> 0 : ip);
  if (rpl === cpl) {
    st.sp = st.mask ? ((st.sp + imm) & st.mask) >>> 0 : st.sp + imm;
    commitSp(cpu, st);
    setCs(cpu, cs, cpl, eip);
    return;
  }
  st.sp = st.mask ? ((st.sp + imm) & st.mask) >>> 0 : st.sp + imm;
  const newSp = popS(cpu, st, opSize);
  const ssSel = popS(cpu, st, opSize) & 0xffff;
  const to64 = isLongMode(s) && (cs.attr & SegAttr.L) !== 0;
  const ss = returnSs(cpu, ssSel, rpl, to64);
  setCs(cpu, cs, rpl, eip);
  s.setSeg(SegIndex.SS, ss);
  const sp = opSize === 2 ? newSp & 0xffff : opSize === 4 ? newSp >>> 0 : newSp;
  s.setReg(4, (ss.attr & SegAttr.DB || to64 ? sp : (s.reg(4) - (s.reg(4) & 0xffff)) + (sp & 0xffff)) + imm);
  nullifyDataSegs(cpu, rpl);
}

/**
 * IRETD at CPL 0 to virtual-8086 mode (SDM IRET "RETURN-TO-VIRTUAL-8086-MODE"): after EIP,
 * CS and EFLAGS come ESP, SS, ES, DS, FS, GS; all of EFLAGS is loaded, the segments real-mode
 * style, CPL 3, EIP masked to 16 bits.
 */
function returnToVm86(cpu: Cpu, st: StackCursor, ip: number, csSel: number, newFlags: number): void {
  const s = cpu.state;
  const esp = popS(cpu, st, 4);
  const sels = [SegIndex.SS, SegIndex.ES, SegIndex.DS, SegIndex.FS, SegIndex.GS].map((seg) => ({ seg, sel: popS(cpu, st, 4) }));
  s.setEflags(newFlags & 0x3f7fd5);
  s.setSeg(SegIndex.CS, vm86Segment(csSel, true));
  for (const { seg, sel } of sels) s.setSeg(seg, vm86Segment(sel));
  s.setReg(4, esp >>> 0);
  s.rip = ip & 0xffff;
  s.cpl = 3;
}

/** IRET/IRETD/IRETQ (SDM IRET; vol 3 6.14.3). `next` is the RIP after the IRET (a task return saves it). */
function interruptReturn(cpu: Cpu, opSize: 2 | 4 | 8, next: number): void {
  const s = cpu.state;
  const flags = cpu.eflags;
  const pe = (s.cr0 & 1) !== 0;
  if (pe && flags & Eflag.VM) {
    if (((flags >>> 12) & 3) !== 3) fault(cpu, Vec.GP, 0);
  }
  if (pe && !(flags & Eflag.VM) && flags & Eflag.NT) {
    // Task return along the back link (SDM IRET "TASK-RETURN"); IA-32e mode has no task switches.
    if (isLongMode(s)) fault(cpu, Vec.GP, 0);
    switchTask(cpu, rdMem(cpu, s.seg(SegIndex.TR).base, 2), TaskSource.IRET, next >>> 0);
    checkTaskEip(cpu);
    return;
  }
  const st = curStack(cpu);
  const ip = popS(cpu, st, opSize);
  const sel = popS(cpu, st, opSize) & 0xffff;
  const newFlags = popS(cpu, st, opSize);
  if (!pe || flags & Eflag.VM) {
    // Real mode (all flags; IRETD keeps VM/VIF/VIP) or VM86 at IOPL 3 (IOPL kept).
    let mask = opSize === 2 ? 0xffff : 0x257fd5;
    if (flags & Eflag.VM) mask &= ~Eflag.IOPL;
    commitSp(cpu, st);
    setCsReal(cpu, sel, opSize === 2 ? ip & 0xffff : ip >>> 0);
    s.setEflags((flags & ~mask) | (newFlags & mask));
    return;
  }
  const cpl = s.cpl, rpl = sel & 3;
  if (newFlags & Eflag.VM && cpl === 0 && opSize === 4 && !isLongMode(s)) return returnToVm86(cpu, st, ip, sel, newFlags);
  const cs = returnCs(cpu, sel);
  const eip = checkIp(cpu, cs, opSize === 2 ? ip & 0xffff : opSize === 4 ? ip >>> 0 : ip);
  // Flags the IRET may change, by the privilege it runs at (SDM IRET; QEMU helper_ret_protected).
  let mask = Eflag.ARITH | Eflag.TF | Eflag.DF | Eflag.NT | Eflag.RF | Eflag.AC | Eflag.ID;
  if (cpl === 0) mask |= Eflag.IOPL | Eflag.VIF | Eflag.VIP;
  if (cpl <= ((flags >>> 12) & 3)) mask |= Eflag.IF;
  if (opSize === 2) mask &= 0xffff;
  const outFlags = (flags & ~mask & ~Eflag.VM) | (newFlags & mask);
  const from64 = (s.hflags & HFlag.CS64) !== 0;
  if (rpl === cpl && !from64) {
    commitSp(cpu, st);
    setCs(cpu, cs, cpl, eip);
    s.setEflags(outFlags);
    return;
  }
  const newSp = popS(cpu, st, opSize);
  const ssSel = popS(cpu, st, opSize) & 0xffff;
  const to64 = isLongMode(s) && (cs.attr & SegAttr.L) !== 0;
  const ss = returnSs(cpu, ssSel, rpl, to64);
  setCs(cpu, cs, rpl, eip);
  s.setSeg(SegIndex.SS, ss);
  s.setReg(4, opSize === 2 ? newSp & 0xffff : opSize === 4 ? newSp >>> 0 : newSp);
  s.setEflags(outFlags);
  if (rpl > cpl) nullifyDataSegs(cpu, rpl);
}

const toOff = (lo: number, hi: number): number => (hi | 0) * TWO32 + (lo >>> 0);

const farJmpHelper = cpuHelper("far_jmp", [IrType.I32, IrType.I32, IrType.I32, IrType.I32, IrType.I32, IrType.I32], null, HelperFlag.CAN_FAULT | HelperFlag.END_BLOCK,
  guarded((cpu, sel, lo, hi, opSize, nlo, nhi) => { farTransfer(cpu, sel & 0xffff, toOff(lo, hi), opSize as 2 | 4 | 8, null, toOff(nlo, nhi)); cpu.modeChanged(); }));
const farCallHelper = cpuHelper("far_call", [IrType.I32, IrType.I32, IrType.I32, IrType.I32, IrType.I32, IrType.I32], null, HelperFlag.CAN_FAULT | HelperFlag.END_BLOCK,
  guarded((cpu, sel, lo, hi, opSize, rlo, rhi) => {
    const ret = toOff(rlo, rhi);
    farTransfer(cpu, sel & 0xffff, toOff(lo, hi), opSize as 2 | 4 | 8, ret, ret);
    cpu.modeChanged();
  }));
const farRetHelper = cpuHelper("far_ret", [IrType.I32, IrType.I32], null, HelperFlag.CAN_FAULT | HelperFlag.END_BLOCK,
  guarded((cpu, opSize, imm) => { farReturn(cpu, opSize as 2 | 4 | 8, imm); cpu.modeChanged(); }));
const iretHelper = cpuHelper("iret", [IrType.I32, IrType.I32, IrType.I32], null, HelperFlag.CAN_FAULT | HelperFlag.END_BLOCK,
  guarded((cpu, opSize, nlo, nhi) => { cpu.nmiUnblock(); interruptReturn(cpu, opSize as 2 | 4 | 8, toOff(nlo, nhi)); cpu.modeChanged(); }));

/** Selector and offset of a JMPF/CALLF operand (ptr16:16/32 immediate, or m16:16/32/64). */
function farOperand(ctx: X86Ctx): { sel: Temp; lo: Temp; hi: Temp } {
  const b = ctx.b;
  const op = ctx.insn.operands[0];
  if (op?.kind === "far") return { sel: b.i32(op.selector), lo: b.i32(op.offset), hi: b.i32(0) };
  const m = operand(ctx, 0);
  const offSize = ctx.insn.opSize === 8 ? 8 : ctx.insn.opSize === 2 ? 2 : 4;
  const off = loadMem(ctx, m.addr!, offSize);
  const sel = loadMem(ctx, addrPlus(ctx, m.addr!, offSize), 2);
  return { sel: b.trunc(sel), lo: b.trunc(off), hi: b.trunc(b.shrUi(off, 32)) };
}

const farOpSize = (ctx: X86Ctx): 2 | 4 | 8 => (ctx.insn.opSize === 1 ? 2 : ctx.insn.opSize);

/** The next instruction's RIP as two i32 halves (helper arguments). */
function nextPcArgs(ctx: X86Ctx): [Temp, Temp] {
  const b = ctx.b, n = b.i64(nextPc(ctx));
  return [b.trunc(n), b.trunc(b.shrUi(n, 32))];
}

function JMPF(ctx: X86Ctx): void {
  const { sel, lo, hi } = farOperand(ctx);
  ctx.b.call(farJmpHelper, [sel, lo, hi, ctx.b.i32(farOpSize(ctx)), ...nextPcArgs(ctx)]);
  endBlock(ctx);
}

function CALLF(ctx: X86Ctx): void {
  const b = ctx.b;
  const { sel, lo, hi } = farOperand(ctx);
  const ret = b.i64(nextPc(ctx));
  b.call(farCallHelper, [sel, lo, hi, b.i32(farOpSize(ctx)), b.trunc(ret), b.trunc(b.shrUi(ret, 32))]);
  endBlock(ctx);
}

function RETF(ctx: X86Ctx): void {
  const op = ctx.insn.operands[0];
  ctx.b.call(farRetHelper, [ctx.b.i32(farOpSize(ctx)), ctx.b.i32(op?.kind === "imm" ? op.lo & 0xffff : 0)]);
  endBlock(ctx);
}

/** IRET: IF may have been set, so the run loop looks at pending interrupts (TbExit.REQUEST). */
function IRET(ctx: X86Ctx): void {
  ctx.b.call(iretHelper, [ctx.b.i32(farOpSize(ctx)), ...nextPcArgs(ctx)]);
  endBlock(ctx, undefined, TbExit.REQUEST);
}

export const farSemantics: SemanticsTable = { JMPF, CALLF, RETF, IRET };
