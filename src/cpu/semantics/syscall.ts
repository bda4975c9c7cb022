/**
 * Fast system calls and 64-bit segment-base access (SDM vol 2 SYSCALL, SYSRET, SYSENTER,
 * SYSEXIT, SWAPGS, RDFSBASE/RDGSBASE/WRFSBASE/WRGSBASE, RDRAND, RDSEED; vol 3 5.8.7, 5.8.8).
 * SYSCALL/SYSRET load flat CS/SS caches from IA32_STAR without reading the GDT, exactly as
 * the hardware does. Intel's SYSCALL/SYSRET are #UD outside 64-bit mode. RDRAND/RDSEED draw
 * from a deterministic per-machine generator (MsrFile) and always succeed (CF = 1).
 */

import { HelperFlag, IrType, TbExit, type Temp } from "../../jit/ir/types.js";
import { SegAttr } from "../cpu-state.js";
import { hasFeature } from "../cpuid.js";
import { fault, guarded, isLongMode } from "../descriptors.js";
import { Eflag, storeEflagsCc } from "../flags.js";
import { recheckSingleStep } from "../debug.js";
import { cpuHelper } from "../helper.js";
import { MsrSlot, SegIndex, SegOff, StateOff, gprOff, msrOff, segOff } from "../state-layout.js";
import { Vec } from "../softmmu.js";
import type { SemanticsFn, SemanticsTable } from "../translate.js";
import { code64, endBlock, nextPc, operand, read, write, type X86Ctx } from "./context.js";
import { Cr4, Efer } from "./cr.js";
import { raiseUd, requireCpl0, setGpr } from "./system.js";

const FLAT = 0xffffffff;
const CODE64 = SegAttr.P | SegAttr.S | 0xb | SegAttr.L | SegAttr.G;
const CODE32 = SegAttr.P | SegAttr.S | 0xb | SegAttr.DB | SegAttr.G;
const DATA = SegAttr.P | SegAttr.S | 0x3 | SegAttr.DB | SegAttr.G;
const dpl = (n: number): number => n << SegAttr.DPL_SHIFT;

const canonical = (v: number): boolean => v < 2 ** 47 && v >= -(2 ** 47);

/** SYSCALL (64-bit mode): RCX = next RIP, R11 = RFLAGS, CS/SS from STAR[47:32], RFLAGS &= ~SFMASK. */
const syscall = cpuHelper("syscall", [IrType.I32, IrType.I32], null, HelperFlag.CAN_FAULT | HelperFlag.END_BLOCK,
  guarded((cpu, nextLo, nextHi) => {
    const s = cpu.state;
    if (!(s.efer & Efer.SCE)) fault(cpu, Vec.UD);
    const flags = cpu.eflags & ~Eflag.RF;
    s.set64(gprOff(1), nextLo, nextHi);
    s.set64(gprOff(11), flags, 0);
    const sel = (s.hi(msrOff(MsrSlot.STAR)) & 0xffff);
    s.setSeg(SegIndex.CS, { selector: sel & 0xfffc, base: 0, limit: FLAT, attr: CODE64 });
    s.setSeg(SegIndex.SS, { selector: (sel + 8) & 0xfffc, base: 0, limit: FLAT, attr: DATA });
    s.setEflags(flags & ~s.lo(msrOff(MsrSlot.SFMASK)));
    s.cpl = 0;
    s.rip = s.getNum(msrOff(MsrSlot.LSTAR));
    recheckSingleStep(cpu);
    cpu.modeChanged();
  }));

/** SYSRET (64-bit mode, CPL 0): to 64-bit (REX.W) or compatibility-mode CPL 3 code. */
const sysret = cpuHelper("sysret", [IrType.I32], null, HelperFlag.CAN_FAULT | HelperFlag.END_BLOCK,
  guarded((cpu, opSize) => {
    const s = cpu.state;
    if (!(s.efer & Efer.SCE)) fault(cpu, Vec.UD);
    if (s.cpl !== 0) fault(cpu, Vec.GP, 0);
    const base = (s.hi(msrOff(MsrSlot.STAR)) >>> 16) & 0xffff;
    const rcx = s.reg(1);
    if (opSize === 8) {
      if (!canonical(rcx)) fault(cpu, Vec.GP, 0);
      s.setSeg(SegIndex.CS, { selector: ((base + 16) & 0xfffc) | 3, base: 0, limit: FLAT, attr: CODE64 | dpl(3) });
      s.rip = rcx;
    } else {
      s.setSeg(SegIndex.CS, { selector: (base & 0xfffc) | 3, base: 0, limit: FLAT, attr: CODE32 | dpl(3) });
      s.rip = rcx >>> 0;
    }
    s.setSeg(SegIndex.SS, { selector: ((base + 8) & 0xfffc) | 3, base: 0, limit: FLAT, attr: DATA | dpl(3) });
    s.setEflags((s.lo(gprOff(11)) & 0x3c7fd7) | 2);
    s.cpl = 3;
    recheckSingleStep(cpu);
    cpu.modeChanged();
  }));

/** SYSENTER: CS = SYSENTER_CS, SS = CS + 8, RSP/RIP from the MSRs; VM, IF, RF cleared. */
const sysenter = cpuHelper("sysenter", [], null, HelperFlag.CAN_FAULT | HelperFlag.END_BLOCK, guarded((cpu) => {
  const s = cpu.state;
  const cs = s.lo(msrOff(MsrSlot.SYSENTER_CS)) & 0xffff;
  if (!(s.cr0 & 1) || (cs & 0xfffc) === 0) fault(cpu, Vec.GP, 0);
  const long = isLongMode(s);
  s.setEflags(cpu.eflags & ~(Eflag.VM | Eflag.IF | Eflag.RF));
  s.setSeg(SegIndex.CS, { selector: cs & 0xfffc, base: 0, limit: FLAT, attr: long ? CODE64 : CODE32 });
  s.setSeg(SegIndex.SS, { selector: (cs + 8) & 0xfffc, base: 0, limit: FLAT, attr: DATA });
  const esp = s.getNum(msrOff(MsrSlot.SYSENTER_ESP)), eip = s.getNum(msrOff(MsrSlot.SYSENTER_EIP));
  s.setReg(4, long ? esp : esp >>> 0);
  s.rip = long ? eip : eip >>> 0;
  s.cpl = 0;
  cpu.modeChanged();
}));

/** SYSEXIT: to CPL 3 at RDX with RSP = RCX; 64-bit with REX.W (CS = SYSENTER_CS + 32), else + 16. */
const sysexit = cpuHelper("sysexit", [IrType.I32], null, HelperFlag.CAN_FAULT | HelperFlag.END_BLOCK, guarded((cpu, opSize) => {
  const s = cpu.state;
  const cs = s.lo(msrOff(MsrSlot.SYSENTER_CS)) & 0xffff;
  if (!(s.cr0 & 1) || s.cpl !== 0 || (cs & 0xfffc) === 0) fault(cpu, Vec.GP, 0);
  const rdx = s.reg(2), rcx = s.reg(1);
  if (opSize === 8) {
    if (!canonical(rdx) || !canonical(rcx)) fault(cpu, Vec.GP, 0);
    s.setSeg(SegIndex.CS, { selector: ((cs + 32) & 0xfffc) | 3, base: 0, limit: FLAT, attr: CODE64 | dpl(3) });
    s.setSeg(SegIndex.SS, { selector: ((cs + 40) & 0xfffc) | 3, base: 0, limit: FLAT, attr: DATA | dpl(3) });
    s.rip = rdx;
    s.setReg(4, rcx);
  } else {
    s.setSeg(SegIndex.CS, { selector: ((cs + 16) & 0xfffc) | 3, base: 0, limit: FLAT, attr: CODE32 | dpl(3) });
    s.setSeg(SegIndex.SS, { selector: ((cs + 24) & 0xfffc) | 3, base: 0, limit: FLAT, attr: DATA | dpl(3) });
    s.rip = rdx >>> 0;
    s.setReg(4, rcx >>> 0);
  }
  s.cpl = 3;
  cpu.modeChanged();
}));

function SYSCALL(ctx: X86Ctx): void {
  if (!code64(ctx) || !hasFeature("syscall")) return raiseUd(ctx);
  const b = ctx.b;
  const next = b.i64(nextPc(ctx));
  b.call(syscall, [b.trunc(next), b.trunc(b.shrUi(next, 32))]);
  endBlock(ctx);
}

/** SYSRET may set IF: let the run loop look at pending interrupts. */
function SYSRET(ctx: X86Ctx): void {
  if (!code64(ctx) || !hasFeature("syscall")) return raiseUd(ctx);
  ctx.b.call(sysret, [ctx.b.i32(ctx.insn.opSize === 8 ? 8 : 4)]);
  endBlock(ctx, undefined, TbExit.REQUEST);
}

function SYSENTER(ctx: X86Ctx): void {
  if (!hasFeature("sep")) return raiseUd(ctx);
  ctx.b.call(sysenter, []);
  endBlock(ctx);
}

function SYSEXIT(ctx: X86Ctx): void {
  if (!hasFeature("sep")) return raiseUd(ctx);
  ctx.b.call(sysexit, [ctx.b.i32(ctx.insn.opSize === 8 ? 8 : 4)]);
  endBlock(ctx);
}

/** SWAPGS (64-bit mode, CPL 0): exchange GS.base and IA32_KERNEL_GS_BASE, inline. */
function SWAPGS(ctx: X86Ctx): void {
  if (!requireCpl0(ctx)) return;
  const b = ctx.b;
  const gs = b.ldEnv(IrType.I64, segOff(SegIndex.GS, SegOff.BASE));
  const k = b.ldEnv(IrType.I64, msrOff(MsrSlot.KERNEL_GS_BASE));
  b.stEnv(k, segOff(SegIndex.GS, SegOff.BASE));
  b.stEnv(gs, msrOff(MsrSlot.KERNEL_GS_BASE));
}

/** #UD unless CR4.FSGSBASE (run-time check: CR4 is not part of hflags). */
function requireFsgsbase(ctx: X86Ctx): void {
  const b = ctx.b;
  const ok = b.label();
  b.brcond("ne", b.andi(b.ldEnv(IrType.I32, StateOff.CR4), Cr4.FSGSBASE), b.i32(0), ok);
  b.raise(Vec.UD);
  b.setLabel(ok);
}

function rdBase(seg: SegIndex): SemanticsFn {
  return (ctx) => {
    if (!hasFeature("fsgsbase")) return raiseUd(ctx);
    requireFsgsbase(ctx);
    write(ctx, operand(ctx, 0), ctx.b.ldEnv(IrType.I64, segOff(seg, SegOff.BASE)));
  };
}

/** WRFSBASE/WRGSBASE: a non-canonical value is #GP(0). */
function wrBase(seg: SegIndex): SemanticsFn {
  return (ctx) => {
    if (!hasFeature("fsgsbase")) return raiseUd(ctx);
    requireFsgsbase(ctx);
    const b = ctx.b;
    const src = operand(ctx, 0);
    let v: Temp = read(ctx, src);
    if (src.size === 8) {
      const ok = b.label();
      b.brcond("eq", b.shrSi(b.shli(v, 16), 16), v, ok);
      b.raise(Vec.GP, b.i32(0));
      b.setLabel(ok);
    } else {
      v = b.un("ext32u", v);
    }
    b.stEnv(v, segOff(seg, SegOff.BASE));
  };
}

const random = cpuHelper("rdrand", [IrType.I32], null, HelperFlag.NONE, (cpu, arg) => {
  const reg = arg & 0xf, size = arg >>> 4;
  setGpr(cpu, reg, size, cpu.msrs.next32(), size === 8 ? cpu.msrs.next32() : 0);
});

/** RDRAND/RDSEED r: a random value, CF = 1, OF SF ZF AF PF = 0. */
function rdrand(feature: "rdrand" | "rdseed"): SemanticsFn {
  return (ctx) => {
    if (!hasFeature(feature)) return raiseUd(ctx);
    const d = ctx.insn.operands[0];
    if (d?.kind !== "reg") throw new Error("RDRAND needs a register");
    const b = ctx.b;
    b.call(random, [b.i32(d.reg | (d.size << 4))]);
    storeEflagsCc(b, b.i32(Eflag.CF));
    ctx.ccOp = 0;
  };
}

export const syscallSemantics: SemanticsTable = {
  SYSCALL, SYSRET, SYSENTER, SYSEXIT, SWAPGS,
  RDFSBASE: rdBase(SegIndex.FS), RDGSBASE: rdBase(SegIndex.GS),
  WRFSBASE: wrBase(SegIndex.FS), WRGSBASE: wrBase(SegIndex.GS),
  RDRAND: rdrand("rdrand"), RDSEED: rdrand("rdseed"),
};
