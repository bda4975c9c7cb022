/**
 * Integer ALU semantics (SDM vol 2): ADD ADC SUB SBB AND OR XOR CMP TEST INC DEC NEG NOT,
 * the shifts SHL SHR SAR and rotates ROL ROR, two- and three-operand IMUL. Each reads its
 * operands through the generic plumbing, computes, writes back, then records lazy flags.
 */

import type { Temp } from "../../jit/ir/types.js";
import { CcKind, ccOp, sext, storeEflagsCc, zext, Eflag } from "../flags.js";
import { operand, read, setCc, write, type OperandRef, type X86Ctx } from "./context.js";
import { mulDiv, mulHigh64 } from "./muldiv.js";
import { getArithFlags, getCf } from "./cc.js";
import type { SemanticsTable } from "../translate.js";

type Arith = "ADD" | "ADC" | "SUB" | "SBB" | "AND" | "OR" | "XOR" | "CMP";

function arith(kind: Arith) {
  return (ctx: X86Ctx): void => {
    const b = ctx.b;
    const d = operand(ctx, 0), s = operand(ctx, 1);
    const size = d.size;
    const a = read(ctx, d), v = read(ctx, s);
    let r: Temp, cc: number, carry: Temp | undefined;
    switch (kind) {
      case "ADD": r = b.add(a, v); cc = ccOp(CcKind.ADD, size); break;
      case "ADC": carry = b.extu(getCf(ctx)); r = b.add(b.add(a, v), carry); cc = ccOp(CcKind.ADC, size); break;
      case "SUB": case "CMP": r = b.sub(a, v); cc = ccOp(CcKind.SUB, size); break;
      case "SBB": carry = b.extu(getCf(ctx)); r = b.sub(b.sub(a, v), carry); cc = ccOp(CcKind.SBB, size); break;
      case "AND": r = b.and(a, v); cc = ccOp(CcKind.LOGIC, size); break;
      case "OR": r = b.or(a, v); cc = ccOp(CcKind.LOGIC, size); break;
      case "XOR": r = b.xor(a, v); cc = ccOp(CcKind.LOGIC, size); break;
    }
    if (kind !== "CMP") write(ctx, d, r);
    setCc(ctx, cc, r, v, carry);
  };
}

function TEST(ctx: X86Ctx): void {
  const d = operand(ctx, 0), s = operand(ctx, 1);
  setCc(ctx, ccOp(CcKind.LOGIC, d.size), ctx.b.and(read(ctx, d), read(ctx, s)));
}

function incDec(inc: boolean) {
  return (ctx: X86Ctx): void => {
    const b = ctx.b;
    const d = operand(ctx, 0);
    const cf = b.extu(getCf(ctx));
    const r = b.addi(read(ctx, d), inc ? 1 : -1);
    write(ctx, d, r);
    setCc(ctx, ccOp(inc ? CcKind.INC : CcKind.DEC, d.size), r, cf);
  };
}

function NEG(ctx: X86Ctx): void {
  const b = ctx.b;
  const d = operand(ctx, 0);
  const v = read(ctx, d);
  const r = b.neg(v);
  write(ctx, d, r);
  setCc(ctx, ccOp(CcKind.SUB, d.size), r, v);
}

function NOT(ctx: X86Ctx): void {
  const d = operand(ctx, 0);
  write(ctx, d, ctx.b.not(read(ctx, d)));
}

/** Shift count operand masked as the SDM says (5 bits, 6 for 64-bit operands). */
function shiftCount(ctx: X86Ctx, size: number): Temp {
  const op = ctx.insn.operands[1];
  const b = ctx.b;
  if (!op) return b.i64(1);
  return b.andi(read(ctx, operand(ctx, 1)), size === 8 ? 63 : 31);
}

/**
 * A 32-bit register destination is written even when the masked count is 0, so its upper
 * half is cleared (observed on Intel hardware; flags stay unchanged). Written here once, the
 * non-zero path overwrites it.
 */
export function zeroExtendIfCount0(ctx: X86Ctx, d: OperandRef, v: Temp): void {
  if (d.size === 4 && d.op.kind === "reg") write(ctx, d, v);
}

/** The sign bit of a `size`-byte operand as an i64 mask. */
export const signMask = (b: X86Ctx["b"], size: number): Temp => (size === 8 ? b.i64Parts(0, 0x80000000 | 0) : b.i64(2 ** (size * 8 - 1)));

/** Bit `n` of an i64 value as i32 0/1. */
const bitOf = (ctx: X86Ctx, v: Temp, n: number): Temp => ctx.b.trunc(ctx.b.andi(ctx.b.shrUi(v, n), 1));

/*
 * OF of rotates: defined for a count of 1; for larger counts Intel computes it as for a count
 * of 1 on the original operand (differential tests), which is what is done here for any count:
 * ROL/RCL msb ^ next bit, ROR msb ^ lsb, RCR msb ^ CF-in; except that ROL/ROR by an immediate
 * count other than 1 leave OF unchanged. The lazy SHL CcOp (SHL, SHLD) flags
 * derive it from the result and CF, so SHL/SHLD OF for counts > 1 (architecturally undefined)
 * differs from Intel; SHR and SHRD arrange ccSrc so that theirs matches.
 */

type ShiftKind = "SHL" | "SHR" | "SAR" | "ROL" | "ROR";

function shift(kind: ShiftKind) {
  return (ctx: X86Ctx): void => {
    const b = ctx.b;
    const d = operand(ctx, 0);
    const size = d.size, bits = size * 8;
    const count = shiftCount(ctx, size);
    const v = read(ctx, d);
    // A zero count changes no flags (a 32-bit register is still zero-extended).
    zeroExtendIfCount0(ctx, d, v);
    const skip = b.label();
    b.brcond("eq", count, b.i64(0), skip);
    const cm1 = b.addi(count, -1);
    let r: Temp;
    // Flags are set on one path only: the CcOp store in setCc must not be elided (the
    // rotates read the flags first, which the static CcOp still describes on this path).
    if (kind !== "ROL" && kind !== "ROR") ctx.ccOp = -1;
    if (kind === "SHL") {
      r = b.shl(v, count);
      write(ctx, d, r);
      setCc(ctx, ccOp(CcKind.SHL, size), r, b.shl(v, cm1));
    } else if (kind === "SHR") {
      r = b.shrU(v, count);
      write(ctx, d, r);
      // The SAR CcOp takes OF from the sign bits of ccSrc ^ result: keeping the original sign
      // bit in ccSrc gives OF = MSB(original) for every count (SDM for 1, Intel for more).
      setCc(ctx, ccOp(CcKind.SAR, size), r, b.or(b.shrU(v, cm1), b.and(v, signMask(b, size))));
    } else if (kind === "SAR") {
      const sv = sext(b, v, size);
      r = b.shrS(sv, count);
      write(ctx, d, r);
      setCc(ctx, ccOp(CcKind.SAR, size), r, b.shrS(sv, cm1));
    } else {
      // Rotates: count modulo the width; only CF and OF change.
      const n = size === 8 ? count : b.bin("rem_u", count, b.i64(bits));
      const left = kind === "ROL";
      const wide = size === 8 ? v : zext(b, v, size);
      const rl = b.or(b.shl(wide, left ? n : b.sub(b.i64(bits), n)), b.shrU(wide, left ? b.sub(b.i64(bits), n) : n));
      r = size === 8 ? (left ? b.bin("rotl", v, count) : b.bin("rotr", v, count)) : zext(b, rl, size);
      write(ctx, d, r);
      const cf = left ? b.trunc(b.andi(r, 1)) : b.trunc(b.andi(b.shrUi(r, bits - 1), 1));
      let of = left ? b.xor(bitOf(ctx, v, bits - 1), bitOf(ctx, v, bits - 2)) : b.xor(bitOf(ctx, v, bits - 1), bitOf(ctx, v, 0));
      const old = getArithFlags(ctx);
      // ROL/ROR by an immediate other than 1 leave OF unchanged on Intel (the CL forms do not).
      const imm = ctx.insn.operands[1];
      if (imm?.kind === "imm" && (imm.lo & (size === 8 ? 63 : 31)) !== 1) of = b.and(b.shrUi(old, 11), b.i32(1));
      const flags = b.and(old, b.i32(~(Eflag.CF | Eflag.OF)));
      storeEflagsCc(b, b.or(flags, b.or(cf, b.shli(of, 11))));
    }
    b.setLabel(skip);
    ctx.ccOp = -1;
  };
}

/**
 * RCL/RCR: rotate through CF. The count is masked to 5 bits (6 for 64-bit) and then taken
 * modulo width + 1 for 8/16-bit operands; count 0 changes nothing. Only CF and OF change
 * (OF as described above the shift kinds).
 */
function rotateCarry(left: boolean) {
  return (ctx: X86Ctx): void => {
    const b = ctx.b;
    const d = operand(ctx, 0);
    const size = d.size, bits = size * 8;
    let count = shiftCount(ctx, size);
    if (size < 4) count = b.bin("rem_u", count, b.i64(bits + 1));
    const v = read(ctx, d);
    zeroExtendIfCount0(ctx, d, v);
    const skip = b.label();
    b.brcond("eq", count, b.i64(0), skip);
    const cf = b.extu(getCf(ctx));
    let r: Temp, newCf: Temp;
    if (size === 8) {
      const inv = b.sub(b.i64(64), count); // 1..63
      if (left) {
        r = b.or(b.or(b.shl(v, count), b.shl(cf, b.addi(count, -1))), b.shrU(b.shrUi(v, 1), inv));
        newCf = b.andi(b.shrU(v, inv), 1);
      } else {
        r = b.or(b.or(b.shrU(v, count), b.shl(cf, inv)), b.shl(b.shli(v, 1), inv));
        newCf = b.andi(b.shrU(v, b.addi(count, -1)), 1);
      }
    } else {
      // The (bits + 1)-bit value CF:dest rotated in 64 bits (at most 33 bits shifted by < 33).
      const t = b.or(b.shli(cf, bits), zext(b, v, size));
      const rest = b.sub(b.i64(bits + 1), count);
      const rot = left ? b.or(b.shl(t, count), b.shrU(t, rest)) : b.or(b.shrU(t, count), b.shl(t, rest));
      r = zext(b, rot, size);
      newCf = b.andi(b.shrUi(rot, bits), 1);
    }
    write(ctx, d, r);
    const c32 = b.trunc(newCf);
    const of = b.xor(bitOf(ctx, v, bits - 1), left ? bitOf(ctx, v, bits - 2) : b.trunc(cf));
    const flags = b.and(getArithFlags(ctx), b.i32(~(Eflag.CF | Eflag.OF)));
    storeEflagsCc(b, b.or(flags, b.or(c32, b.shli(of, 11))));
    b.setLabel(skip);
    ctx.ccOp = -1;
  };
}

/** IMUL r, r/m and IMUL r, r/m, imm: truncated product; CF = OF = product does not fit. */
function IMUL(ctx: X86Ctx): void {
  if (ctx.insn.operands.length < 2) return mulDiv("IMUL")(ctx);
  const b = ctx.b;
  const ops = ctx.insn.operands;
  const d = operand(ctx, 0);
  const size = d.size;
  const x = sext(b, read(ctx, operand(ctx, ops.length === 3 ? 1 : 0)), size);
  const y = sext(b, read(ctx, operand(ctx, ops.length === 3 ? 2 : 1)), size);
  const lo = b.mul(x, y);
  // CF = OF = the signed product does not fit: for 64 bits the high half of the 128-bit
  // product must be the sign extension of the low half.
  const overflow = size === 8
    ? b.extu(b.setcond("ne", mulHigh64(b, x, y, true), b.shrSi(lo, 63)))
    : b.extu(b.setcond("ne", sext(b, lo, size), lo));
  write(ctx, d, lo);
  setCc(ctx, ccOp(CcKind.MUL, size), lo, overflow);
}

export const aluSemantics: SemanticsTable = {
  ADD: arith("ADD"), ADC: arith("ADC"), SUB: arith("SUB"), SBB: arith("SBB"),
  AND: arith("AND"), OR: arith("OR"), XOR: arith("XOR"), CMP: arith("CMP"), TEST,
  INC: incDec(true), DEC: incDec(false), NEG, NOT,
  SHL: shift("SHL"), SHR: shift("SHR"), SAR: shift("SAR"), ROL: shift("ROL"), ROR: shift("ROR"),
  RCL: rotateCarry(true), RCR: rotateCarry(false),
  IMUL, MUL: mulDiv("MUL"), DIV: mulDiv("DIV"), IDIV: mulDiv("IDIV"),
};
