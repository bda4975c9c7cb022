/**
 * Operand plumbing shared by the MMX/SSE semantics (sse-*.ts): XMM and MMX register and
 * memory operands as V128 temps, scalar float operands, the availability checks of SDM vol 3
 * 13.1/13.4 (CR0.EM, CR0.TS, CR4.OSFXSR: #UD / #NM) and the 16-byte alignment rule of legacy
 * SSE memory operands (SDM vol 1 4.1.1: #GP(0) unless the instruction is an unaligned form).
 *
 * MMX registers alias the x87 registers' mantissas (SDM vol 1 9.5): MMX register i is bytes
 * 0..7 of physical x87 register i (fpu-state.ts); an MMX instruction sets TOP to 0 and marks
 * every register valid, and a write sets the register's exponent bits to all ones.
 */

import { HelperFlag, IrType, type Temp } from "../../jit/ir/types.js";
import type { Operand } from "../decode/insn.js";
import { cpuHelper } from "../helper.js";
import { Vec } from "../softmmu.js";
import { HFlag, StateOff, xmmOff } from "../state-layout.js";
import { FpuOff, fpuRegOff } from "../fpu-state.js";
import { linearAddress, type X86Ctx } from "./context.js";

export type MemOperand = Extract<Operand, { kind: "mem" }>;

/** CR0.EM / CR0.TS checks (SDM vol 3 table 13-1 / 2-2): which exception, at run time. */
const fpCheck = cpuHelper("fp_avail_check", [IrType.I32], null, HelperFlag.CAN_FAULT, (cpu, kind) => {
  const cr0 = cpu.state.cr0;
  // kind 0: x87 (EM or TS -> #NM); 1: MMX/SSE (EM -> #UD, TS -> #NM); 2: XSAVE family (TS -> #NM only)
  if (cr0 & 4 && kind !== 2) return cpu.softmmu.raise(kind === 0 ? Vec.NM : Vec.UD);
  if (cr0 & 8) return cpu.softmmu.raise(Vec.NM);
});

/** Emit the availability checks of an SSE (needOsfxsr) or MMX instruction; false = #UD raised. */
export function simdCheck(ctx: X86Ctx, needOsfxsr = true): void {
  const b = ctx.b;
  if (needOsfxsr && !(ctx.hflags & HFlag.OSFXSR)) {
    b.raise(Vec.UD);
    return;
  }
  if (ctx.hflags & HFlag.EM_TS) b.call(fpCheck, [b.i32(1)]);
}

/** The XSAVE-family availability check (CR0.TS: #NM; CR0.EM does not matter). */
export function xsaveCheck(ctx: X86Ctx): void {
  if (ctx.hflags & HFlag.EM_TS) ctx.b.call(fpCheck, [ctx.b.i32(2)]);
}

/** The x87 availability check (CR0.EM or CR0.TS: #NM). */
export function x87Check(ctx: X86Ctx): void {
  if (ctx.hflags & HFlag.EM_TS) ctx.b.call(fpCheck, [ctx.b.i32(0)]);
}

export const mmxOff = (reg: number): number => fpuRegOff(reg);

/** Mark the x87 state as used by MMX: TOP = 0, all registers valid. */
export function mmxEnter(ctx: X86Ctx): void {
  const b = ctx.b;
  b.stEnv(b.i32(0), FpuOff.TOP);
  b.stEnv(b.i32(0xff), FpuOff.TAGV);
}

/** Raise #GP(0) unless `addr` is 16-byte aligned. */
export function checkAlign16(ctx: X86Ctx, addr: Temp): void {
  const b = ctx.b;
  const ok = b.label();
  b.brcond("eq", b.andi(addr, 15), b.i64(0), ok);
  b.raise(Vec.GP, b.i32(0));
  b.setLabel(ok);
}

export function opAt(ctx: X86Ctx, i: number): Operand {
  const op = ctx.insn.operands[i];
  if (!op) throw new Error(`${ctx.insn.mnemonic}: missing operand ${i}`);
  return op;
}

/** Linear address of a memory operand (with the alignment check when `aligned`). */
export function memAddr(ctx: X86Ctx, op: MemOperand, aligned = false): Temp {
  const a = linearAddress(ctx, op);
  if (aligned) checkAlign16(ctx, a);
  return a;
}

/**
 * Read an XMM/MMX/memory operand as V128. Memory: `op.size` bytes (16 requires alignment
 * unless `unaligned`); 4/8-byte reads zero the other lanes; 2-byte reads land in lane 0.
 */
export function readV(ctx: X86Ctx, op: Operand, unaligned = false): Temp {
  const b = ctx.b;
  switch (op.kind) {
    case "xmm": return b.ldEnv(IrType.V128, xmmOff(op.reg));
    case "mmx": return b.ldEnv(IrType.V128, mmxOff(op.reg), 8);
    case "mem": {
      const size = op.size === 0 ? 16 : op.size;
      const addr = memAddr(ctx, op, size === 16 && !unaligned);
      if (size === 16 || size === 8 || size === 4) return b.ldGuest(IrType.V128, addr, size, ctx.mmuIdx);
      const v = b.ldGuest(IrType.I32, addr, size === 1 ? 1 : 2, ctx.mmuIdx);
      return b.simd("i32x4.replace_lane", [b.vconst(0, 0, 0, 0), v], 0);
    }
    case "reg": {
      const v = b.ldEnv(IrType.I64, StateOff.GPR + op.reg * 8, op.size === 8 ? 8 : 4);
      return b.simd("i64x2.replace_lane", [b.vconst(0, 0, 0, 0), v], 0);
    }
    default: throw new Error(`${ctx.insn.mnemonic}: operand ${op.kind} is not a vector`);
  }
}

/** Write a V128 result: XMM (16 bytes), MMX (low 8 bytes), or memory (`op.size` bytes). */
export function writeV(ctx: X86Ctx, op: Operand, v: Temp, unaligned = false): void {
  const b = ctx.b;
  switch (op.kind) {
    case "xmm": b.stEnv(v, xmmOff(op.reg)); return;
    case "mmx": writeMmx(ctx, op.reg, v); return;
    case "mem": {
      const size = op.size === 0 ? 16 : op.size;
      b.stGuest(v, memAddr(ctx, op, size === 16 && !unaligned), size as 4 | 8 | 16, ctx.mmuIdx);
      return;
    }
    default: throw new Error(`${ctx.insn.mnemonic}: operand ${op.kind} is not writable as a vector`);
  }
}

/** Write MMX register `reg` from lane 0 (64 bits) of a V128 or from an i64. */
export function writeMmx(ctx: X86Ctx, reg: number, v: Temp): void {
  const b = ctx.b;
  b.stEnv(v, mmxOff(reg), 8);
  b.stEnv(b.i32(0xffff), mmxOff(reg) + 8, 2);
  mmxEnter(ctx);
}

/** Read a scalar float operand: the low lane of an XMM register, or memory (4 or 8 bytes). */
export function readF(ctx: X86Ctx, op: Operand, type: IrType.F32 | IrType.F64): Temp {
  const b = ctx.b;
  if (op.kind === "xmm") return b.ldEnv(type, xmmOff(op.reg));
  if (op.kind !== "mem") throw new Error(`${ctx.insn.mnemonic}: bad scalar operand`);
  const addr = memAddr(ctx, op);
  if (type === IrType.F32) return b.fconv("f32_bits_i32", b.ldGuest(IrType.I32, addr, 4, ctx.mmuIdx));
  return b.fconv("f64_bits_i64", b.ldGuest(IrType.I64, addr, 8, ctx.mmuIdx));
}

/** Is the instruction the 64-bit MMX form (operand 0 or 1 an MMX register)? */
export const isMmx = (ctx: X86Ctx): boolean => ctx.insn.operands.some((o) => o.kind === "mmx");

/** An immediate operand's value (0 when absent). */
export function immOf(ctx: X86Ctx, i: number): number {
  const op = ctx.insn.operands[i];
  return op?.kind === "imm" ? op.lo : 0;
}

export const zeroV = (ctx: X86Ctx): Temp => ctx.b.vconst(0, 0, 0, 0);
