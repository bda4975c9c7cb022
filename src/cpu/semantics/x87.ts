/**
 * x87 FPU semantics (SDM vol 2 F*, vol 1 ch. 8). The FPU's arithmetic lives in helpers
 * (x87-ops.ts: cold in kernel and busybox code, and x87 rules are intricate); the semantics
 * here do the guest memory traffic, so every load and faulting store happens before the FPU
 * state changes: memory sources are loaded into the FPU scratch slot before the helper runs,
 * and stores go out from the scratch slot before the stack is popped.
 */

import { HelperFlag, IrType, type Temp } from "../../jit/ir/types.js";
import { FpuOff, Fsw } from "../fpu-state.js";
import { cpuHelper } from "../helper.js";
import { Vec } from "../softmmu.js";
import { HFlag, SegIndex, SegOff, segOff } from "../state-layout.js";
import { CC_OP_EFLAGS, storeEflagsCc } from "../flags.js";
import type { Mnemonic } from "../decode/mnemonics.js";
import type { SemanticsTable } from "../translate.js";
import { FFmt } from "../x87-fpu.js";
import {
  FArith, F_MEM, X87Op, x87Arith, x87Com, x87Comi, x87Const, x87Env, x87Ld, x87LdSt, x87Ldcw, x87Misc, x87Pop, x87St, x87StSt, x87Stsw,
} from "../x87-ops.js";
import { getCond } from "./cc.js";
import { addrPlus, effectiveOffset, linearAddress, operand, read, write, writeGpr, type X86Ctx } from "./context.js";
import { x87Check, type MemOperand } from "./sse-common.js";

type Fn = (ctx: X86Ctx) => void;

/**
 * A pending unmasked x87 exception (FSW.ES) is delivered by the next waiting x87 instruction
 * (SDM vol 1 8.6): #MF with CR0.NE = 1. With CR0.NE = 0 the CPU asserts FERR#, which a PC
 * routes to IRQ 13 (src/devices/fpu-error.ts), and the instruction goes on (as QEMU's).
 */
const x87Pending = cpuHelper("x87_pending", [], null, HelperFlag.CAN_FAULT, (cpu) => {
  if (cpu.state.cr0 & 0x20) return cpu.softmmu.raise(Vec.MF);
  if (cpu.bus.fpuError) return cpu.bus.fpuError();
  cpu.log.unimp("x87 exception with CR0.NE = 0 on a board without a FERR# route", "x87-ferr");
});
/** WAIT/FWAIT: #NM only when CR0.MP and CR0.TS are both set (CR0.EM does not matter). */
const waitNm = cpuHelper("x87_wait_nm", [], null, HelperFlag.CAN_FAULT, (cpu) => {
  if ((cpu.state.cr0 & 0xa) === 0xa) cpu.softmmu.raise(Vec.NM);
});
function FWAIT(ctx: X86Ctx): void {
  if (ctx.hflags & HFlag.EM_TS) ctx.b.call(waitNm, []);
  pendingCheck(ctx);
}
function pendingCheck(ctx: X86Ctx): void {
  const b = ctx.b;
  const none = b.label();
  b.brcond("eq", b.andi(b.ldEnv(IrType.I32, FpuOff.FSW), Fsw.ES), b.i32(0), none);
  b.call(x87Pending, []);
  b.setLabel(none);
}
/**
 * The checks of a waiting x87 instruction: #NM (CR0.EM/TS), then #MF for a pending exception;
 * then, for a non-control instruction (`track`), the x87 last-instruction pointers (SDM vol 1
 * 8.1.8/8.1.9): FIP/FCS = this instruction, FOP = its opcode (low 3 bits of the first byte and
 * ModRM), FDP/FDS = its memory operand's offset and segment selector. All known at translation
 * time but the operand's offset and the selectors: a few stores per x87 instruction.
 */
function x87Wait(ctx: X86Ctx, track = true): void {
  x87Check(ctx);
  pendingCheck(ctx);
  if (!track) return;
  const b = ctx.b, insn = ctx.insn;
  b.stEnv(b.i64(insn.pc - ctx.csBase), FpuOff.FIP);
  b.stEnv(b.i32(((insn.opcode & 7) << 8) | (insn.modrm & 0xff)), FpuOff.FOP);
  b.stEnv(b.ldEnv(IrType.I32, segOff(SegIndex.CS, SegOff.SELECTOR)), FpuOff.FCS);
  const m = memOp(ctx);
  if (m) {
    b.stEnv(effectiveOffset(ctx, m), FpuOff.FDP);
    b.stEnv(b.ldEnv(IrType.I32, segOff(m.seg as number, SegOff.SELECTOR)), FpuOff.FDS);
  }
}

const floatFmt = (size: number): FFmt => (size === 4 ? FFmt.F32 : size === 8 ? FFmt.F64 : FFmt.F80);
const intFmt = (size: number): FFmt => (size === 2 ? FFmt.I16 : size === 4 ? FFmt.I32 : FFmt.I64);

function memOp(ctx: X86Ctx, i = 0): MemOperand | null {
  const op = ctx.insn.operands[i];
  return op?.kind === "mem" ? op : null;
}
const stReg = (ctx: X86Ctx, i: number): number => {
  const op = ctx.insn.operands[i];
  return op?.kind === "st" ? op.reg : 0;
};

/** Load a memory operand (size bytes, 10 for m80/BCD) into the FPU scratch slot. */
function loadScratch(ctx: X86Ctx, m: MemOperand, size: number): void {
  const b = ctx.b;
  const addr = linearAddress(ctx, m);
  const lo = b.ldGuest(IrType.I64, addr, size >= 8 ? 8 : (size as 2 | 4), ctx.mmuIdx);
  if (size === 10) {
    const se = b.ldGuest(IrType.I32, addrPlus(ctx, addr, 8), 2, ctx.mmuIdx);
    b.stEnv(se, FpuOff.SCRATCH + 8, 2);
  }
  b.stEnv(lo, FpuOff.SCRATCH, 8);
}

/** Store the FPU scratch slot to memory (size bytes). */
function storeScratch(ctx: X86Ctx, m: MemOperand, size: number): void {
  const b = ctx.b;
  const addr = linearAddress(ctx, m);
  if (size === 10) {
    // the high part first: a fault on either page happens before any pop
    b.stGuest(b.ldEnv(IrType.I32, FpuOff.SCRATCH + 8, 2), addrPlus(ctx, addr, 8), 2, ctx.mmuIdx);
  }
  b.stGuest(b.ldEnv(IrType.I64, FpuOff.SCRATCH, 8), addr, size >= 8 ? 8 : (size as 2 | 4), ctx.mmuIdx);
}

const call = (ctx: X86Ctx, h: Parameters<X86Ctx["b"]["call"]>[0], ...args: number[]): void => {
  ctx.b.call(h, args.map((a) => ctx.b.i32(a)));
};

function FLD(ctx: X86Ctx): void {
  x87Wait(ctx);
  const m = memOp(ctx);
  if (!m) return call(ctx, x87LdSt, stReg(ctx, 0));
  loadScratch(ctx, m, m.size);
  call(ctx, x87Ld, floatFmt(m.size));
}
function FILD(ctx: X86Ctx): void {
  x87Wait(ctx);
  const m = memOp(ctx)!;
  loadScratch(ctx, m, m.size);
  call(ctx, x87Ld, intFmt(m.size));
}
function FBLD(ctx: X86Ctx): void {
  x87Wait(ctx);
  const m = memOp(ctx)!;
  loadScratch(ctx, m, 10);
  call(ctx, x87Ld, FFmt.BCD);
}

/** FST/FSTP/FIST/FISTP/FISTTP/FBSTP. */
function store(kind: "float" | "int" | "trunc" | "bcd", pop: boolean): Fn {
  return (ctx) => {
    x87Wait(ctx);
    const m = memOp(ctx);
    if (!m) {
      call(ctx, x87StSt, stReg(ctx, 0));
    } else {
      const b = ctx.b;
      const size = kind === "bcd" ? 10 : m.size;
      const fmt = kind === "float" ? floatFmt(size) : kind === "bcd" ? FFmt.BCD : intFmt(size);
      // an unmasked exception (helper result 1) leaves the memory operand and the stack alone
      const skip = b.label();
      b.brcond("ne", b.callValue(x87St, [b.i32(fmt), b.i32(kind === "trunc" ? 1 : 0)]), b.i32(0), skip);
      storeScratch(ctx, m, size);
      if (pop) call(ctx, x87Pop);
      b.setLabel(skip);
      return;
    }
    if (pop) call(ctx, x87Pop);
  };
}

/** Arithmetic: memory forms operate on ST(0); register forms name dst and src. */
function arith(kind: FArith, int: boolean, pop: boolean): Fn {
  return (ctx) => {
    x87Wait(ctx);
    const m = memOp(ctx);
    if (m) {
      loadScratch(ctx, m, m.size);
      call(ctx, x87Arith, kind | ((int ? intFmt(m.size) : floatFmt(m.size)) << 4), 0, F_MEM);
    } else {
      call(ctx, x87Arith, kind | (pop ? 0x100 : 0), stReg(ctx, 0), stReg(ctx, 1));
    }
  };
}

/** FCOM, FUCOM and FICOM with their popping forms: compare ST(0) with the operand (default ST(1)), then pop. */
function com(unordered: boolean, int: boolean, pops: number): Fn {
  return (ctx) => {
    x87Wait(ctx);
    const m = memOp(ctx);
    if (m) {
      loadScratch(ctx, m, m.size);
      call(ctx, x87Com, (unordered ? 1 : 0) | ((int ? intFmt(m.size) : floatFmt(m.size)) << 4) | (pops << 8), F_MEM);
    } else {
      call(ctx, x87Com, (unordered ? 1 : 0) | (pops << 8), ctx.insn.operands.length ? stReg(ctx, 0) : 1);
    }
  };
}

function comi(unordered: boolean, pop: boolean): Fn {
  return (ctx) => {
    x87Wait(ctx);
    const b = ctx.b;
    const f = b.callValue(x87Comi, [b.i32((unordered ? 1 : 0) | (pop ? 2 : 0)), b.i32(stReg(ctx, 1))]);
    storeEflagsCc(b, f);
    ctx.ccOp = CC_OP_EFLAGS;
  };
}

const misc = (op: X87Op, withReg = false, wait = true): Fn => (ctx) => {
  if (wait) x87Wait(ctx); else x87Check(ctx);
  call(ctx, x87Misc, op, withReg ? stReg(ctx, 0) : 0);
};

/** FCMOVcc: DA /0..3 = B E BE U, DB /0..3 = the negations (EFLAGS condition codes 2 4 6 A, +1). */
function FCMOVCC(ctx: X86Ctx): void {
  x87Wait(ctx);
  const b = ctx.b;
  const reg = (ctx.insn.modrm >> 3) & 3;
  const cc = [2, 4, 6, 0xa][reg]! + (ctx.insn.opcode === 0xdb ? 1 : 0);
  const skip = b.label();
  b.brcond("eq", getCond(ctx, cc), b.i32(0), skip);
  call(ctx, x87Misc, X87Op.CMOV, stReg(ctx, 1));
  b.setLabel(skip);
}

function FLDCW(ctx: X86Ctx): void {
  x87Wait(ctx, false);
  ctx.b.call(x87Ldcw, [ctx.b.trunc(read(ctx, operand(ctx, 0)))]);
}
function FNSTCW(ctx: X86Ctx): void {
  x87Check(ctx);
  write(ctx, operand(ctx, 0), ctx.b.ldEnv(IrType.I64, FpuOff.FCW, 2));
}
function FNSTSW(ctx: X86Ctx): void {
  x87Check(ctx);
  const b = ctx.b;
  const sw: Temp = b.extu(b.callValue(x87Stsw, []));
  const op = ctx.insn.operands[0];
  if (op?.kind === "reg") writeGpr(ctx, 0, 2, sw);
  else write(ctx, operand(ctx, 0), sw);
}

/** FNSTENV/FLDENV/FNSAVE/FRSTOR: the image is read and written by the helper (it can fault). */
function env(op: number): Fn {
  return (ctx) => {
    if (op === 1 || op === 3) x87Wait(ctx, false); else x87Check(ctx); // FNSTENV/FNSAVE do not wait
    const b = ctx.b;
    const addr = linearAddress(ctx, memOp(ctx)!);
    b.call(x87Env, [b.i32(op), b.trunc(addr), b.trunc(b.shrUi(addr, 32)), b.i32(ctx.insn.opSize === 2 ? 1 : 0), b.i32(ctx.mmuIdx)]);
  };
}

const nop: Fn = (ctx) => x87Wait(ctx);

export const x87Semantics: SemanticsTable = {
  FLD, FILD, FBLD,
  FST: store("float", false), FSTP: store("float", true), FIST: store("int", false), FISTP: store("int", true),
  FISTTP: store("trunc", true), FBSTP: store("bcd", true),
  FADD: arith(FArith.ADD, false, false), FADDP: arith(FArith.ADD, false, true), FIADD: arith(FArith.ADD, true, false),
  FSUB: arith(FArith.SUB, false, false), FSUBP: arith(FArith.SUB, false, true), FISUB: arith(FArith.SUB, true, false),
  FSUBR: arith(FArith.SUBR, false, false), FSUBRP: arith(FArith.SUBR, false, true), FISUBR: arith(FArith.SUBR, true, false),
  FMUL: arith(FArith.MUL, false, false), FMULP: arith(FArith.MUL, false, true), FIMUL: arith(FArith.MUL, true, false),
  FDIV: arith(FArith.DIV, false, false), FDIVP: arith(FArith.DIV, false, true), FIDIV: arith(FArith.DIV, true, false),
  FDIVR: arith(FArith.DIVR, false, false), FDIVRP: arith(FArith.DIVR, false, true), FIDIVR: arith(FArith.DIVR, true, false),
  FCOM: com(false, false, 0), FCOMP: com(false, false, 1), FCOMPP: com(false, false, 2),
  FUCOM: com(true, false, 0), FUCOMP: com(true, false, 1), FUCOMPP: com(true, false, 2),
  FICOM: com(false, true, 0), FICOMP: com(false, true, 1),
  FCOMI: comi(false, false), FCOMIP: comi(false, true), FUCOMI: comi(true, false), FUCOMIP: comi(true, true),
  FTST: (ctx) => { x87Wait(ctx); call(ctx, x87Com, 0, 9); }, FXAM: misc(X87Op.XAM),
  FLD1: (ctx) => { x87Wait(ctx); call(ctx, x87Const, 0); },
  FLDL2T: (ctx) => { x87Wait(ctx); call(ctx, x87Const, 1); },
  FLDL2E: (ctx) => { x87Wait(ctx); call(ctx, x87Const, 2); },
  FLDPI: (ctx) => { x87Wait(ctx); call(ctx, x87Const, 3); },
  FLDLG2: (ctx) => { x87Wait(ctx); call(ctx, x87Const, 4); },
  FLDLN2: (ctx) => { x87Wait(ctx); call(ctx, x87Const, 5); },
  FLDZ: (ctx) => { x87Wait(ctx); call(ctx, x87Const, 6); },
  FCHS: misc(X87Op.CHS), FABS: misc(X87Op.ABS), FSQRT: misc(X87Op.SQRT), FRNDINT: misc(X87Op.RNDINT),
  F2XM1: misc(X87Op.F2XM1), FSIN: misc(X87Op.SIN), FCOS: misc(X87Op.COS), FSINCOS: misc(X87Op.SINCOS), FPTAN: misc(X87Op.PTAN),
  FPATAN: misc(X87Op.PATAN), FYL2X: misc(X87Op.YL2X), FYL2XP1: misc(X87Op.YL2XP1), FSCALE: misc(X87Op.SCALE),
  FXTRACT: misc(X87Op.XTRACT), FPREM: misc(X87Op.PREM), FPREM1: misc(X87Op.PREM1),
  FXCH: misc(X87Op.XCH, true), FFREE: misc(X87Op.FREE, true), FFREEP: misc(X87Op.FREEP, true),
  FINCSTP: misc(X87Op.INCSTP), FDECSTP: misc(X87Op.DECSTP), FNINIT: misc(X87Op.INIT, false, false), FNCLEX: misc(X87Op.CLEX, false, false),
  FCMOVCC, FLDCW, FNSTCW, FNSTSW,
  FNSTENV: env(0), FLDENV: env(1), FNSAVE: env(2), FRSTOR: env(3),
  FNOP: nop, FWAIT,
} satisfies Partial<Record<Mnemonic, Fn>>;
