/**
 * System-table and descriptor instructions (SDM vol 2 LGDT/LIDT, SGDT/SIDT, LLDT/SLDT,
 * LTR/STR, LAR, LSL, VERR/VERW, ARPL, SMSW, CPUID; vol 3 2.4 system registers, 7.2.4 the
 * task register and the TSS busy bit, 7.2.3 16-byte system descriptors in IA-32e mode).
 * Also the privilege-check building blocks the other system semantics use.
 */

import { HelperFlag, IrType } from "../../jit/ir/types.js";
import type { Cpu } from "../cpu.js";
import { SegAttr } from "../cpu-state.js";
import { descriptorToCache, dplOf, fault, fetchSystemDescriptor, guarded, isLongMode, readDescriptor } from "../descriptors.js";
import { Eflag, storeEflagsCc } from "../flags.js";
import { cpuHelper } from "../helper.js";
import { HFlag, MsrSlot, RunWord, SegIndex, SegOff, StateOff, gprOff, msrOff, segOff } from "../state-layout.js";
import { Vec } from "../softmmu.js";
import type { SemanticsFn, SemanticsTable } from "../translate.js";
import { getArithFlags } from "./cc.js";
import { addrPlus, code64, loadMem, operand, read, storeMem, write, type X86Ctx } from "./context.js";

/** Raise #UD now and end the block (the rest of the instruction is not emitted). */
export function raiseUd(ctx: X86Ctx): void {
  ctx.b.raise(Vec.UD);
  ctx.ended = true;
}

/**
 * CPL 0 required (in protected mode; real mode is CPL 0): emits #GP(0) for CPL 3 or VM86 known
 * at translate time, else a run-time check of CPL 1/2. Returns false when nothing more may be
 * emitted for the instruction.
 */
export function requireCpl0(ctx: X86Ctx): boolean {
  const b = ctx.b;
  if (!(ctx.hflags & HFlag.PE)) return true;
  if (ctx.hflags & (HFlag.CPL3 | HFlag.VM86)) {
    b.raise(Vec.GP, b.i32(0));
    ctx.ended = true;
    return false;
  }
  const ok = b.label();
  b.brcond("eq", b.ldEnv(IrType.I32, StateOff.CPL), b.i32(0), ok);
  b.raise(Vec.GP, b.i32(0));
  b.setLabel(ok);
  return true;
}

/** Instructions that are #UD in real and virtual-8086 mode (LLDT, LTR, SLDT, STR, LAR, ...). */
export function requireProtected(ctx: X86Ctx): boolean {
  if (ctx.hflags & HFlag.PE && !(ctx.hflags & HFlag.VM86)) return true;
  raiseUd(ctx);
  return false;
}

/** Set or clear ZF in a helper (the flags become CC_OP_EFLAGS). */
export function setZf(cpu: Cpu, on: boolean): void {
  const f = cpu.eflags;
  cpu.state.setEflags(on ? f | Eflag.ZF : f & ~Eflag.ZF);
}

/** Write a GPR from a helper with x86 width rules (2: merge, 4: zero-extend, 8: full). */
export function setGpr(cpu: Cpu, reg: number, size: number, lo: number, hi = 0): void {
  const s = cpu.state, off = gprOff(reg);
  if (size === 2) s.set32(off, (s.lo(off) & ~0xffff) | (lo & 0xffff));
  else if (size === 4) s.set64(off, lo, 0);
  else s.set64(off, lo, hi);
}

// ---- LGDT / LIDT / SGDT / SIDT: pseudo-descriptor = limit (2 bytes) + base (4, or 8 in 64-bit mode)
function loadTableReg(off: StateOff.GDTR | StateOff.IDTR): SemanticsFn {
  return (ctx) => {
    if (!requireCpl0(ctx)) return;
    const b = ctx.b;
    const m = operand(ctx, 0);
    const limit = loadMem(ctx, m.addr!, 2);
    const baseAddr = addrPlus(ctx, m.addr!, 2);
    let base = loadMem(ctx, baseAddr, code64(ctx) ? 8 : 4);
    if (!code64(ctx) && ctx.insn.opSize === 2) base = b.andi(base, 0xffffff); // 16-bit operand: 24-bit base
    b.stEnv(base, off);
    b.stEnv(b.trunc(limit), off + 8);
  };
}

function storeTableReg(off: StateOff.GDTR | StateOff.IDTR): SemanticsFn {
  return (ctx) => {
    const b = ctx.b;
    const m = operand(ctx, 0);
    const base = b.ldEnv(IrType.I64, off);
    // Both stores are probed in the order of the bytes; the base (the larger part) may fault last.
    storeMem(ctx, m.addr!, 2, b.ldEnv(IrType.I64, off + 8, 2));
    storeMem(ctx, addrPlus(ctx, m.addr!, 2), code64(ctx) ? 8 : 4, base);
  };
}

// ---- LLDT / LTR / SLDT / STR
const lldt = cpuHelper("lldt", [IrType.I32], null, HelperFlag.CAN_FAULT, guarded((cpu, selector) => {
  const s = cpu.state, sel = selector & 0xffff, err = sel & 0xfffc;
  if (err === 0) {
    s.setSeg(SegIndex.LDTR, { selector: sel, base: 0, limit: 0, attr: 0 });
    return;
  }
  if (sel & 4) fault(cpu, Vec.GP, err);
  const long = isLongMode(s);
  const { d, high } = fetchSystemDescriptor(cpu, sel, long);
  const c = descriptorToCache(sel, d);
  if (c.attr & SegAttr.S || (c.attr & SegAttr.TYPE_MASK) !== 2) fault(cpu, Vec.GP, err);
  if (!(c.attr & SegAttr.P)) fault(cpu, Vec.NP, err);
  s.setSeg(SegIndex.LDTR, { ...c, base: c.base + high * 4294967296 });
}));

const ltr = cpuHelper("ltr", [IrType.I32], null, HelperFlag.CAN_FAULT, guarded((cpu, selector) => {
  const s = cpu.state, sel = selector & 0xffff, err = sel & 0xfffc;
  if (err === 0) fault(cpu, Vec.GP, 0);
  if (sel & 4) fault(cpu, Vec.GP, err);
  const long = isLongMode(s);
  const { d, high } = fetchSystemDescriptor(cpu, sel, long);
  const c = descriptorToCache(sel, d);
  const type = c.attr & SegAttr.TYPE_MASK;
  // Available TSS: 9 (32/64-bit), or 1 (16-bit, not in IA-32e mode).
  if (c.attr & SegAttr.S || !(type === 9 || (type === 1 && !long))) fault(cpu, Vec.GP, err);
  if (!(c.attr & SegAttr.P)) fault(cpu, Vec.NP, err);
  // Mark the descriptor busy (type bit 1) in the GDT.
  if (!cpu.softmmu.write(s.getNum(StateOff.GDTR) + (sel & ~7) + 4, d.hi | 0x200, 4, 0)) fault(cpu, s.run(RunWord.EXC_VECTOR), s.run(RunWord.EXC_ERROR));
  s.setSeg(SegIndex.TR, { ...c, base: c.base + high * 4294967296, attr: c.attr | 2 });
}));

function loadSysSeg(helper: typeof lldt): SemanticsFn {
  return (ctx) => {
    if (!requireProtected(ctx) || !requireCpl0(ctx)) return;
    ctx.b.call(helper, [ctx.b.trunc(read(ctx, operand(ctx, 0)))]);
  };
}

/** SLDT/STR: the selector, zero-extended into a register or stored as 16 bits. */
function storeSysSeg(seg: SegIndex): SemanticsFn {
  return (ctx) => {
    if (!requireProtected(ctx)) return;
    write(ctx, operand(ctx, 0), ctx.b.ldEnv(IrType.I64, segOff(seg, SegOff.SELECTOR), 2));
  };
}

// ---- LAR / LSL / VERR / VERW
const enum Probe { LAR = 0, LSL = 1, VERR = 2, VERW = 3 }

/** System descriptor types LAR (and LSL) accept, legacy and IA-32e mode (SDM LAR/LSL tables). */
const LAR_TYPES_LEGACY = [1, 2, 3, 4, 5, 9, 0xb, 0xc], LAR_TYPES_LONG = [2, 9, 0xb, 0xc];
const LSL_TYPES_LEGACY = [1, 2, 3, 9, 0xb], LSL_TYPES_LONG = [2, 9, 0xb];

/** The probe result, or -1 when the selector fails (ZF = 0). */
function probe(cpu: Cpu, kind: Probe, sel: number): number {
  const s = cpu.state;
  if ((sel & 0xfffc) === 0) return -1;
  const d = readDescriptor(s, cpu.softmmu, sel);
  if (!d) {
    if (s.run(RunWord.EXC_VECTOR) >= 0) fault(cpu, s.run(RunWord.EXC_VECTOR), s.run(RunWord.EXC_ERROR));
    return -1;
  }
  const c = descriptorToCache(sel, d);
  const type = c.attr & SegAttr.TYPE_MASK, dpl = dplOf(c.attr);
  const code = (c.attr & SegAttr.S) !== 0 && (type & 8) !== 0;
  const conforming = code && (type & 4) !== 0;
  if (!conforming && (dpl < s.cpl || dpl < (sel & 3))) return -1;
  const long = isLongMode(s);
  if (!(c.attr & SegAttr.S)) {
    if (kind === Probe.VERR || kind === Probe.VERW) return -1;
    const ok = kind === Probe.LAR ? (long ? LAR_TYPES_LONG : LAR_TYPES_LEGACY) : long ? LSL_TYPES_LONG : LSL_TYPES_LEGACY;
    if (!ok.includes(type)) return -1;
  }
  switch (kind) {
    case Probe.LAR: return (d.hi & 0x00f0ff00) >>> 0;
    case Probe.LSL: return c.limit;
    case Probe.VERR: return code && !(type & 2) ? -1 : 0;
    default: return code || !(type & 2) ? -1 : 0;
  }
}

const probeHelper = cpuHelper("seg_probe", [IrType.I32, IrType.I32, IrType.I32, IrType.I32], null, HelperFlag.CAN_FAULT,
  guarded((cpu, kind, sel, reg, size) => {
    const r = probe(cpu, kind as Probe, sel & 0xffff);
    if (r >= 0 && (kind === Probe.LAR || kind === Probe.LSL)) setGpr(cpu, reg, size, r);
    setZf(cpu, r >= 0);
  }));

function probeInsn(kind: Probe): SemanticsFn {
  return (ctx) => {
    if (!requireProtected(ctx)) return;
    const b = ctx.b;
    const withDest = kind === Probe.LAR || kind === Probe.LSL;
    const d = ctx.insn.operands[0];
    const sel = b.trunc(read(ctx, operand(ctx, withDest ? 1 : 0)));
    const reg = withDest && d?.kind === "reg" ? d.reg : 0;
    b.call(probeHelper, [b.i32(kind), sel, b.i32(reg), b.i32(withDest && d?.kind === "reg" ? d.size : 0)]);
    ctx.ccOp = 0;
  };
}

/** ARPL r/m16, r16 (legacy protected mode): raise the destination's RPL to the source's. */
function ARPL(ctx: X86Ctx): void {
  if (!requireProtected(ctx)) return;
  const b = ctx.b;
  const dref = operand(ctx, 0);
  const dst = read(ctx, dref), src = read(ctx, operand(ctx, 1));
  const srpl = b.andi(src, 3);
  const lower = b.setcond("lt_u", b.andi(dst, 3), srpl);
  write(ctx, dref, b.select(lower, b.or(b.andi(dst, ~3), srpl), dst));
  const f = b.and(getArithFlags(ctx), b.i32(~Eflag.ZF));
  storeEflagsCc(b, b.or(f, b.shli(lower, 6)));
  ctx.ccOp = 0;
}

/** SMSW: CR0 into a register (operand size) or its low 16 bits into memory. */
function SMSW(ctx: X86Ctx): void {
  write(ctx, operand(ctx, 0), ctx.b.ldEnv(IrType.I64, StateOff.CR0));
}

// ---- CPUID
const cpuidHelper = cpuHelper("cpuid", [], null, HelperFlag.NONE, (cpu) => {
  const s = cpu.state;
  const r = cpu.model.query(s.lo(gprOff(0)) >>> 0, s.lo(gprOff(1)) >>> 0, (s.cr4 & (1 << 18)) !== 0, s.lo(msrOff(MsrSlot.XCR0)));
  for (let i = 0; i < 4; i++) s.set64(gprOff([0, 3, 1, 2][i]!), r[i]!, 0);
});

function CPUID(ctx: X86Ctx): void {
  ctx.b.call(cpuidHelper, []);
}

/**
 * VMX, SMX and SMM instructions: none of them is advertised, so all are #UD (SDM: VMCALL etc.
 * outside VMX operation, GETSEC with CR4.SMXE = 0, RSM outside SMM). Linux probes VMCALL.
 */
const VMX_SMX_SMM = {
  VMCALL: raiseUd, VMLAUNCH: raiseUd, VMRESUME: raiseUd, VMXOFF: raiseUd, VMREAD: raiseUd, VMWRITE: raiseUd,
  VMPTRLD: raiseUd, VMPTRST: raiseUd, VMCLEAR: raiseUd, VMXON: raiseUd, INVEPT: raiseUd, INVVPID: raiseUd,
  GETSEC: raiseUd, RSM: raiseUd,
} satisfies SemanticsTable;

export const systemSemantics: SemanticsTable = {
  ...VMX_SMX_SMM,
  LGDT: loadTableReg(StateOff.GDTR), LIDT: loadTableReg(StateOff.IDTR),
  SGDT: storeTableReg(StateOff.GDTR), SIDT: storeTableReg(StateOff.IDTR),
  LLDT: loadSysSeg(lldt), LTR: loadSysSeg(ltr), SLDT: storeSysSeg(SegIndex.LDTR), STR: storeSysSeg(SegIndex.TR),
  LAR: probeInsn(Probe.LAR), LSL: probeInsn(Probe.LSL), VERR: probeInsn(Probe.VERR), VERW: probeInsn(Probe.VERW),
  ARPL, SMSW, CPUID,
};
