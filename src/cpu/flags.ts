/**
 * Lazy EFLAGS (QEMU cc_op): flag-setting instructions store their result and operands in
 * ccDst/ccSrc/ccSrc2 and a CcOp saying how to derive OF SF ZF AF PF CF; consumers derive only
 * what they need. This module is the ONE implementation of that derivation: it emits IR, used
 * inline by translated blocks when the CcOp is known at translate time, and compiled into the
 * runtime functions `compute_eflags`/`compute_cf` for when it is not (see runtime.ts).
 *
 * Operand conventions per CcOp (SDM vol 1 3.4.3, vol 2 per instruction):
 *   ADD/ADC   dst = result, src = second operand, src2 = carry-in (ADC)
 *   SUB/SBB   dst = result, src = second operand, src2 = borrow-in (SBB); CMP is SUB
 *   LOGIC     dst = result (CF = OF = 0, AF = 0)
 *   INC/DEC   dst = result, src = CF before the instruction (preserved)
 *   SHL       dst = result, src = value shifted left by count-1 (CF = its top bit)
 *   SAR       dst = result, src = value shifted right by count-1 (CF = its low bit); SHR too
 *   MUL       dst = low half of the product, src = non-zero when the product overflowed
 *   EFLAGS    src = the six flags already computed (EFLAGS bit positions)
 */

import { IrType, type Temp } from "../jit/ir/types.js";
import type { IrBuilder } from "../jit/ir/builder.js";
import { StateOff } from "./state-layout.js";

export const enum Eflag {
  CF = 1 << 0, FIXED1 = 1 << 1, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7,
  TF = 1 << 8, IF = 1 << 9, DF = 1 << 10, OF = 1 << 11, IOPL = 3 << 12, NT = 1 << 14,
  RF = 1 << 16, VM = 1 << 17, AC = 1 << 18, VIF = 1 << 19, VIP = 1 << 20, ID = 1 << 21,
  /** The six arithmetic flags, kept lazily. */
  ARITH = CF | PF | AF | ZF | SF | OF,
}

export const enum CcKind { ADD = 0, ADC = 1, SUB = 2, SBB = 3, LOGIC = 4, INC = 5, DEC = 6, SHL = 7, SAR = 8, MUL = 9 }
export const CC_KINDS = 10;

/** CcOp = EFLAGS (0), or 1 + kind * 4 + log2(size). */
export type CcOp = number;
export const CC_OP_EFLAGS = 0;
export const CC_OP_COUNT = 1 + CC_KINDS * 4;
export const ccOp = (kind: CcKind, size: 1 | 2 | 4 | 8): CcOp => 1 + kind * 4 + (size === 1 ? 0 : size === 2 ? 1 : size === 4 ? 2 : 3);
export const ccKind = (op: CcOp): CcKind => ((op - 1) >> 2) as CcKind;
export const ccSize = (op: CcOp): 1 | 2 | 4 | 8 => ([1, 2, 4, 8] as const)[(op - 1) & 3]!;

/** Zero-extend the low `size` bytes of an i64 temp. */
export function zext(b: IrBuilder, v: Temp, size: 1 | 2 | 4 | 8): Temp {
  return size === 8 ? v : b.un(size === 1 ? "ext8u" : size === 2 ? "ext16u" : "ext32u", v);
}
/** Sign-extend the low `size` bytes of an i64 temp. */
export function sext(b: IrBuilder, v: Temp, size: 1 | 2 | 4 | 8): Temp {
  return size === 8 ? v : b.un(size === 1 ? "ext8s" : size === 2 ? "ext16s" : "ext32s", v);
}
/** 1 when the sign bit at `size` is set (i32). */
function signBit(b: IrBuilder, v: Temp, size: 1 | 2 | 4 | 8): Temp {
  return b.setcond("lt_s", sext(b, v, size), b.i64(0));
}

interface CcRegs { dst: Temp; src: Temp; src2: Temp }

function loadCc(b: IrBuilder): CcRegs {
  return {
    dst: b.ldEnv(IrType.I64, StateOff.CC_DST),
    src: b.ldEnv(IrType.I64, StateOff.CC_SRC),
    src2: b.ldEnv(IrType.I64, StateOff.CC_SRC2),
  };
}

/** The first operand, reconstructed from result and second operand. */
function src1(b: IrBuilder, kind: CcKind, r: CcRegs): Temp {
  switch (kind) {
    case CcKind.ADD: return b.sub(r.dst, r.src);
    case CcKind.ADC: return b.sub(b.sub(r.dst, r.src), r.src2);
    case CcKind.SUB: return b.add(r.dst, r.src);
    case CcKind.SBB: return b.add(b.add(r.dst, r.src), r.src2);
    case CcKind.INC: return b.addi(r.dst, -1);
    case CcKind.DEC: return b.addi(r.dst, 1);
    default: return r.dst;
  }
}

/** CF (i32 0/1) for a CcOp known at translate time. */
export function emitCf(b: IrBuilder, op: CcOp, r: CcRegs = loadCc(b)): Temp {
  if (op === CC_OP_EFLAGS) return b.and(b.trunc(r.src), b.i32(Eflag.CF));
  const kind = ccKind(op), size = ccSize(op);
  switch (kind) {
    case CcKind.ADD: return b.setcond("lt_u", zext(b, r.dst, size), zext(b, src1(b, kind, r), size));
    case CcKind.ADC: {
      const d = zext(b, r.dst, size), s1 = zext(b, src1(b, kind, r), size);
      return b.select(b.trunc(r.src2), b.setcond("le_u", d, s1), b.setcond("lt_u", d, s1));
    }
    case CcKind.SUB: return b.setcond("lt_u", zext(b, src1(b, kind, r), size), zext(b, r.src, size));
    case CcKind.SBB: {
      const s1 = zext(b, src1(b, kind, r), size), s2 = zext(b, r.src, size);
      return b.select(b.trunc(r.src2), b.setcond("le_u", s1, s2), b.setcond("lt_u", s1, s2));
    }
    case CcKind.LOGIC: return b.i32(0);
    case CcKind.INC: case CcKind.DEC: return b.and(b.trunc(r.src), b.i32(1));
    case CcKind.SHL: return signBit(b, r.src, size);
    case CcKind.SAR: return b.and(b.trunc(r.src), b.i32(1));
    case CcKind.MUL: return b.setcond("ne", r.src, b.i64(0));
  }
}

/** OF (i32 0/1). */
function emitOf(b: IrBuilder, op: CcOp, r: CcRegs): Temp {
  const kind = ccKind(op), size = ccSize(op);
  switch (kind) {
    case CcKind.ADD: case CcKind.ADC: {
      const s1 = src1(b, kind, r);
      return signBit(b, b.and(b.not(b.xor(s1, r.src)), b.xor(s1, r.dst)), size);
    }
    case CcKind.SUB: case CcKind.SBB: {
      const s1 = src1(b, kind, r);
      return signBit(b, b.and(b.xor(s1, r.src), b.xor(s1, r.dst)), size);
    }
    case CcKind.LOGIC: return b.i32(0);
    case CcKind.INC: return b.setcond("eq", zext(b, r.dst, size), b.i64(size === 8 ? -0x8000000000000000 : 2 ** (size * 8 - 1)));
    case CcKind.DEC: return b.setcond("eq", zext(b, r.dst, size), size === 8 ? b.i64Parts(-1, 0x7fffffff) : b.i64(2 ** (size * 8 - 1) - 1));
    case CcKind.SHL: return b.xor(signBit(b, r.dst, size), emitCf(b, op, r));
    case CcKind.SAR: return signBit(b, b.xor(r.src, r.dst), size);
    case CcKind.MUL: return b.setcond("ne", r.src, b.i64(0));
  }
}

/** All six arithmetic flags (i32, EFLAGS bit positions) for a CcOp known at translate time. */
export function emitEflags(b: IrBuilder, op: CcOp, r: CcRegs = loadCc(b)): Temp {
  if (op === CC_OP_EFLAGS) return b.and(b.trunc(r.src), b.i32(Eflag.ARITH));
  const kind = ccKind(op), size = ccSize(op);
  const d = zext(b, r.dst, size);
  const cf = emitCf(b, op, r);
  const pf = b.shli(b.xor(b.and(b.un("popcnt", b.and(b.trunc(d), b.i32(0xff))), b.i32(1)), b.i32(1)), 2);
  const zf = b.shli(b.setcond("eq", d, b.i64(0)), 6);
  const sf = b.shli(signBit(b, r.dst, size), 7);
  const of = b.shli(emitOf(b, op, r), 11);
  let af: Temp;
  if (kind === CcKind.LOGIC || kind === CcKind.MUL || kind === CcKind.SHL || kind === CcKind.SAR) af = b.i32(0);
  else {
    const s2 = kind === CcKind.INC || kind === CcKind.DEC ? b.i64(1) : r.src;
    af = b.and(b.trunc(b.xor(b.xor(src1(b, kind, r), s2), r.dst)), b.i32(Eflag.AF));
  }
  return b.or(b.or(b.or(cf, pf), b.or(zf, sf)), b.or(of, af));
}

/** Store the flags as CC_OP_EFLAGS (after this, ccSrc holds the six flags). */
export function storeEflagsCc(b: IrBuilder, flags: Temp): void {
  b.stEnv(b.extu(b.and(flags, b.i32(Eflag.ARITH))), StateOff.CC_SRC);
  b.stEnv(b.i32(CC_OP_EFLAGS), StateOff.CC_OP);
}

/**
 * Evaluate condition code `cc` (0..15, the low nibble of Jcc/SETcc/CMOVcc: SDM vol 2 B.1.4.7)
 * given flags `f` (EFLAGS bit positions). Returns i32 0/1.
 */
export function condFromEflags(b: IrBuilder, cc: number, f: Temp): Temp {
  const bit = (mask: number): Temp => b.setcond("ne", b.and(f, b.i32(mask)), b.i32(0));
  let r: Temp;
  switch (cc >> 1) {
    case 0: r = bit(Eflag.OF); break;
    case 1: r = bit(Eflag.CF); break;
    case 2: r = bit(Eflag.ZF); break;
    case 3: r = bit(Eflag.CF | Eflag.ZF); break;
    case 4: r = bit(Eflag.SF); break;
    case 5: r = bit(Eflag.PF); break;
    case 6: r = b.xor(bit(Eflag.SF), bit(Eflag.OF)); break;
    default: r = b.or(bit(Eflag.ZF), b.xor(bit(Eflag.SF), bit(Eflag.OF))); break;
  }
  return cc & 1 ? b.xor(r, b.i32(1)) : r;
}

/**
 * Evaluate condition `cc` for a CcOp known at translate time, with the cheap direct forms for
 * the common CMP/SUB, logic and arithmetic producers (QEMU gen_prepare_cc), else via flags.
 */
export function emitCondStatic(b: IrBuilder, cc: number, op: CcOp): Temp {
  if (op === CC_OP_EFLAGS) return condFromEflags(b, cc, emitEflags(b, op));
  const kind = ccKind(op), size = ccSize(op);
  const base = cc >> 1;
  let r: Temp | null = null;
  if (kind === CcKind.SUB) {
    const dst = b.ldEnv(IrType.I64, StateOff.CC_DST), src = b.ldEnv(IrType.I64, StateOff.CC_SRC);
    const s1 = b.add(dst, src);
    switch (base) {
      case 1: r = b.setcond("lt_u", zext(b, s1, size), zext(b, src, size)); break;
      case 2: r = b.setcond("eq", zext(b, dst, size), b.i64(0)); break;
      case 3: r = b.setcond("le_u", zext(b, s1, size), zext(b, src, size)); break;
      case 4: r = signBit(b, dst, size); break;
      case 6: r = b.setcond("lt_s", sext(b, s1, size), sext(b, src, size)); break;
      case 7: r = b.setcond("le_s", sext(b, s1, size), sext(b, src, size)); break;
    }
  } else if (kind !== CcKind.SHL && kind !== CcKind.SAR && kind !== CcKind.MUL) {
    // ZF and SF come straight from the result for every other producer.
    const dst = b.ldEnv(IrType.I64, StateOff.CC_DST);
    if (base === 2) r = b.setcond("eq", zext(b, dst, size), b.i64(0));
    else if (base === 4) r = signBit(b, dst, size);
    else if (kind === CcKind.LOGIC) {
      // OF = CF = 0: B never, BE = Z, L = S, LE = Z | S
      if (base === 1 || base === 0) r = b.i32(0);
      else if (base === 3) r = b.setcond("eq", zext(b, dst, size), b.i64(0));
      else if (base === 6) r = signBit(b, dst, size);
      else if (base === 7) r = b.or(b.setcond("eq", zext(b, dst, size), b.i64(0)), signBit(b, dst, size));
    }
  }
  if (r === null) return condFromEflags(b, cc, emitEflags(b, op));
  return cc & 1 ? b.xor(r, b.i32(1)) : r;
}
