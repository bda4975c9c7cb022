/**
 * MMX/SSE2/SSSE3/SSE4.1 packed-integer semantics (SDM vol 2, one entry per mnemonic), each
 * rendered with the IR's vector ops. MMX forms (NP 0F xx, Pq/Qq operands) run the same ops on
 * the low 64 bits of a V128 (sse-common.ts readV/writeV); the few whose lanes cross the
 * 64-bit half (unpack-high, pack, horizontal ops, PALIGNR, PSHUFB) select MMX-specific lanes.
 */

import { IrType, type Temp } from "../../jit/ir/types.js";
import type { SimdOp } from "../../jit/ir/simd.js";
import type { SemanticsTable } from "../translate.js";
import { xmmOff } from "../state-layout.js";
import { immOf, isMmx, mmxEnter, opAt, readV, simdCheck, writeV, zeroV } from "./sse-common.js";
import { operand, write, type X86Ctx } from "./context.js";
import { storeEflagsCc } from "../flags.js";

type Fn = (ctx: X86Ctx) => void;
type Compute = (ctx: X86Ctx, a: Temp, s: Temp, mmx: boolean) => Temp;

/** dst = f(dst, src): read both, compute, write dst. */
export function binop(f: Compute, unalignedSrc = false): Fn {
  return (ctx) => {
    const mmx = isMmx(ctx);
    simdCheck(ctx, !mmx);
    const d = opAt(ctx, 0);
    const s = readV(ctx, opAt(ctx, 1), unalignedSrc);
    const a = readV(ctx, d);
    writeV(ctx, d, f(ctx, a, s, mmx));
  };
}

const lanewise = (op: SimdOp, swap = false): Fn =>
  binop((ctx, a, s) => ctx.b.simd(op, swap ? [s, a] : [a, s]));

/** Byte-lane list helpers for shuffles. */
const range = (n: number, f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));
/** Interleave elements of `w` bytes from a (lanes 0..15) and b (16..31), starting at byte `start`. */
function interleave(w: number, start: number): number[] {
  const out: number[] = [];
  for (let e = 0; out.length < 16; e++) {
    for (let k = 0; k < w; k++) out.push(start + e * w + k);
    for (let k = 0; k < w; k++) out.push(16 + start + e * w + k);
  }
  return out;
}

function unpack(w: number, high: boolean): Fn {
  return binop((ctx, a, s, mmx) => {
    const lanes = interleave(w, high ? (mmx ? 4 : 8) : 0);
    return ctx.b.shuffle(a, s, lanes);
  });
}

/** a in the low half, s's low half in the high half (for MMX forms of cross-lane ops). */
const joinLow = (ctx: X86Ctx, a: Temp, s: Temp): Temp => ctx.b.shuffle(a, s, [...range(8, (i) => i), ...range(8, (i) => 16 + i)]);

function pack(op: SimdOp): Fn {
  return binop((ctx, a, s, mmx) => {
    if (!mmx) return ctx.b.simd(op, [a, s]);
    const j = joinLow(ctx, a, s);
    return ctx.b.simd(op, [j, j]);
  });
}

/** Horizontal add/sub on pairs: evens op odds over the concatenation a:s. */
function horizontal(w: 2 | 4, op: SimdOp): Fn {
  return binop((ctx, a, s, mmx) => {
    const b = ctx.b;
    const [x, y] = mmx ? [joinLow(ctx, a, s), zeroV(ctx)] : [a, s];
    const pick = (odd: number): number[] => {
      const out: number[] = [];
      for (let e = 0; out.length < 16; e++) for (let k = 0; k < w; k++) out.push((2 * e + odd) * w + k);
      return out;
    };
    return b.simd(op, [b.shuffle(x, y, pick(0)), b.shuffle(x, y, pick(1))]);
  });
}

/** High 16 bits of the 32-bit products (PMULHW/PMULHUW). */
function mulHigh(signed: boolean): Fn {
  return binop((ctx, a, s) => {
    const b = ctx.b;
    const lo = b.simd(signed ? "i32x4.extmul_low_i16x8_s" : "i32x4.extmul_low_i16x8_u", [a, s]);
    const hi = b.simd(signed ? "i32x4.extmul_high_i16x8_s" : "i32x4.extmul_high_i16x8_u", [a, s]);
    return b.shuffle(lo, hi, [2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31]);
  });
}

/** 32x32->64 products of the even dword lanes (PMULUDQ/PMULDQ). */
function mulEven(signed: boolean): Fn {
  return binop((ctx, a, s) => {
    const b = ctx.b;
    const ev = (v: Temp): Temp => b.shuffle(v, v, [0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11]);
    return b.simd(signed ? "i64x2.extmul_low_i32x4_s" : "i64x2.extmul_low_i32x4_u", [ev(a), ev(s)]);
  });
}

/** PMULHRSW: x86 wraps the one overflowing case (-32768 * -32768) where Wasm saturates. */
const PMULHRSW = binop((ctx, a, s) => {
  const b = ctx.b;
  const r = b.simd("i16x8.q15mulr_sat_s", [a, s]);
  const min = b.vconst(0x80008000, 0x80008000, 0x80008000, 0x80008000);
  const both = b.simd("and", [b.simd("i16x8.eq", [a, min]), b.simd("i16x8.eq", [s, min])]);
  return b.simd("xor", [r, both]);
});

/** PSADBW: per 64-bit half, the sum of absolute byte differences in the low word. */
const PSADBW = binop((ctx, a, s) => {
  const b = ctx.b;
  const d = b.simd("i8x16.sub", [b.simd("i8x16.max_u", [a, s]), b.simd("i8x16.min_u", [a, s])]);
  // sum bytes: widen pairwise twice, then add the two dwords of each qword
  const lo8 = b.vconst(0x00ff00ff, 0x00ff00ff, 0x00ff00ff, 0x00ff00ff);
  const w = b.simd("i16x8.add", [b.simd("and", [d, lo8]), b.simd("i16x8.shr_u", [d, b.i32(8)])]);
  const lo16 = b.vconst(0xffff, 0xffff, 0xffff, 0xffff);
  const dw = b.simd("i32x4.add", [b.simd("and", [w, lo16]), b.simd("i32x4.shr_u", [w, b.i32(16)])]);
  const lo32 = b.vconst(-1, 0, -1, 0);
  return b.simd("i64x2.add", [b.simd("and", [dw, lo32]), b.simd("i64x2.shr_u", [dw, b.i32(32)])]);
});

/** PMADDUBSW: unsigned bytes of dst times signed bytes of src, pairs added with saturation. */
const PMADDUBSW = binop((ctx, a, s) => {
  const b = ctx.b;
  const ae = b.simd("and", [a, b.vconst(0x00ff00ff, 0x00ff00ff, 0x00ff00ff, 0x00ff00ff)]);
  const ao = b.simd("i16x8.shr_u", [a, b.i32(8)]);
  const se = b.simd("i16x8.shr_s", [b.simd("i16x8.shl", [s, b.i32(8)]), b.i32(8)]);
  const so = b.simd("i16x8.shr_s", [s, b.i32(8)]);
  return b.simd("i16x8.add_sat_s", [b.simd("i16x8.mul", [ae, se]), b.simd("i16x8.mul", [ao, so])]);
});

/** PSIGNB/W/D: negate, keep or zero each element of dst by the sign of src's. */
function psign(w: 8 | 16 | 32): Fn {
  const t = w === 8 ? "i8x16" : w === 16 ? "i16x8" : "i32x4";
  return binop((ctx, a, s) => {
    const b = ctx.b;
    const z = zeroV(ctx);
    const neg = b.simd(`${t}.gt_s` as SimdOp, [z, s]);
    const zero = b.simd(`${t}.eq` as SimdOp, [s, z]);
    const r = b.simd("bitselect", [b.simd(`${t}.neg` as SimdOp, [a]), a, neg]);
    return b.simd("andnot", [r, zero]);
  });
}

function unary(op: SimdOp): Fn {
  return binop((ctx, _a, s) => ctx.b.simd(op, [s]));
}

/** PSHUFB: byte i = bit 7 of the index ? 0 : src[index & 15] (MMX: & 7). */
const PSHUFB = binop((ctx, a, s, mmx) => {
  const b = ctx.b;
  const m = mmx ? 0x87878787 : 0x8f8f8f8f;
  return b.simd("swizzle", [a, b.simd("and", [s, b.vconst(m, m, m, m)])]);
});

/** PALIGNR: bytes imm.. of the concatenation dst:src (dst high). */
const PALIGNR = binop((ctx, a, s, mmx) => {
  const b = ctx.b;
  const n = immOf(ctx, 2);
  const width = mmx ? 8 : 16;
  if (n >= 2 * width) return zeroV(ctx);
  if (mmx) {
    const j = joinLow(ctx, s, a); // s in bytes 0..7, a in 8..15
    return b.shuffle(j, zeroV(ctx), range(16, (i) => (i < 8 ? (n + i < 16 ? n + i : 16) : 16)));
  }
  if (n < 16) return b.shuffle(s, a, range(16, (i) => n + i));
  return b.shuffle(a, zeroV(ctx), range(16, (i) => n - 16 + i));
});

/** PSHUFD/PSHUFHW/PSHUFLW/PSHUFW: element shuffles by an immediate. */
function pshuf(kind: "D" | "HW" | "LW" | "W"): Fn {
  return (ctx) => {
    const mmx = kind === "W";
    simdCheck(ctx, !mmx);
    const b = ctx.b;
    const s = readV(ctx, opAt(ctx, 1));
    const imm = immOf(ctx, 2);
    const sel = (k: number): number => (imm >> (2 * k)) & 3;
    let lanes: number[];
    if (kind === "D") lanes = range(16, (i) => sel(i >> 2) * 4 + (i & 3));
    else if (kind === "W") lanes = range(16, (i) => (i < 8 ? sel(i >> 1) * 2 + (i & 1) : i));
    else if (kind === "LW") lanes = range(16, (i) => (i < 8 ? sel(i >> 1) * 2 + (i & 1) : i));
    else lanes = range(16, (i) => (i < 8 ? i : 8 + sel((i - 8) >> 1) * 2 + (i & 1)));
    writeV(ctx, opAt(ctx, 0), b.shuffle(s, s, lanes));
  };
}

/** Shifts by an immediate (0F 71-73 groups) or by the low 64 bits of a register/memory operand. */
function shift(w: 16 | 32 | 64, kind: "shl" | "shr_u" | "shr_s"): Fn {
  const t = w === 16 ? "i16x8" : w === 32 ? "i32x4" : "i64x2";
  const op = `${t}.${kind}` as SimdOp;
  return (ctx) => {
    const mmx = isMmx(ctx);
    simdCheck(ctx, !mmx);
    const b = ctx.b;
    const d = opAt(ctx, 0), src = opAt(ctx, 1);
    let count: Temp;
    if (src.kind === "imm") count = b.i64(src.lo & 0xff);
    else count = b.simd("i64x2.extract_lane", [readV(ctx, src)], 0);
    const a = readV(ctx, d);
    const over = b.setcond("gt_u", count, b.i64(w - 1));
    let r: Temp;
    if (kind === "shr_s") r = b.simd(op, [a, b.trunc(b.select(over, b.i64(w - 1), count))]);
    else r = b.select(over, zeroV(ctx), b.simd(op, [a, b.trunc(count)]));
    writeV(ctx, d, r);
  };
}

/** PSLLDQ/PSRLDQ: whole-register byte shifts. */
function byteShift(left: boolean): Fn {
  return (ctx) => {
    simdCheck(ctx);
    const b = ctx.b;
    const d = opAt(ctx, 0);
    const n = Math.min(immOf(ctx, 1), 16);
    const a = readV(ctx, d);
    const z = zeroV(ctx);
    const r = left ? b.shuffle(z, a, range(16, (i) => (i >= n ? 16 + i - n : 0))) : b.shuffle(a, z, range(16, (i) => (i + n < 16 ? i + n : 16)));
    writeV(ctx, d, r);
  };
}

/** PMOVSX/PMOVZX: widen the low elements of the source by `steps` doublings. */
function pmovx(from: 8 | 16 | 32, steps: 1 | 2 | 3, signed: boolean): Fn {
  return (ctx) => {
    simdCheck(ctx);
    const b = ctx.b;
    let v = readV(ctx, opAt(ctx, 1));
    let w = from;
    for (let i = 0; i < steps; i++) {
      const name = w === 8 ? "i16x8.extend_low_i8x16" : w === 16 ? "i32x4.extend_low_i16x8" : "i64x2.extend_low_i32x4";
      v = b.simd(`${name}_${signed ? "s" : "u"}` as SimdOp, [v]);
      w = (w * 2) as 8 | 16 | 32;
    }
    writeV(ctx, opAt(ctx, 0), v);
  };
}

/** PBLENDW/BLENDPS/BLENDPD: element i from src when imm bit i is set. */
function blendImm(w: 2 | 4 | 8): Fn {
  return binop((ctx, a, s) => {
    const imm = immOf(ctx, 2);
    return ctx.b.shuffle(a, s, range(16, (i) => ((imm >> Math.floor(i / w)) & 1 ? 16 + i : i)));
  });
}

/** PBLENDVB/BLENDVPS/BLENDVPD: element from src where the element of XMM0 has its top bit set. */
function blendVar(w: 8 | 32 | 64): Fn {
  return binop((ctx, a, s) => {
    const b = ctx.b;
    const x0 = b.ldEnv(IrType.V128, xmmOff(0));
    const op = (w === 8 ? "i8x16.shr_s" : w === 32 ? "i32x4.shr_s" : "i64x2.shr_s") as SimdOp;
    return b.simd("bitselect", [s, a, b.simd(op, [x0, b.i32(w - 1)])]);
  });
}

/** PMOVMSKB: the top bit of each byte into a GPR. */
function PMOVMSKB(ctx: X86Ctx): void {
  const mmx = isMmx(ctx);
  simdCheck(ctx, !mmx);
  const b = ctx.b;
  let m = b.simd("i8x16.bitmask", [readV(ctx, opAt(ctx, 1))]);
  if (mmx) m = b.andi(m, 0xff);
  write(ctx, operand(ctx, 0), b.extu(m));
  if (mmx) mmxEnter(ctx);
}

/** PTEST: ZF = (dst & src) == 0, CF = (~dst & src) == 0; AF OF PF SF cleared. */
function PTEST(ctx: X86Ctx): void {
  simdCheck(ctx);
  const b = ctx.b;
  const s = readV(ctx, opAt(ctx, 1));
  const a = readV(ctx, opAt(ctx, 0));
  const zf = b.xor(b.simd("any_true", [b.simd("and", [a, s])]), b.i32(1));
  const cf = b.xor(b.simd("any_true", [b.simd("andnot", [s, a])]), b.i32(1));
  storeEflagsCc(b, b.or(b.shli(zf, 6), cf));
  ctx.ccOp = 0;
}

export const sseIntSemantics: SemanticsTable = {
  PMOVMSKB, PTEST,
  PADDB: lanewise("i8x16.add"), PADDW: lanewise("i16x8.add"), PADDD: lanewise("i32x4.add"), PADDQ: lanewise("i64x2.add"),
  PSUBB: lanewise("i8x16.sub"), PSUBW: lanewise("i16x8.sub"), PSUBD: lanewise("i32x4.sub"), PSUBQ: lanewise("i64x2.sub"),
  PADDSB: lanewise("i8x16.add_sat_s"), PADDSW: lanewise("i16x8.add_sat_s"),
  PADDUSB: lanewise("i8x16.add_sat_u"), PADDUSW: lanewise("i16x8.add_sat_u"),
  PSUBSB: lanewise("i8x16.sub_sat_s"), PSUBSW: lanewise("i16x8.sub_sat_s"),
  PSUBUSB: lanewise("i8x16.sub_sat_u"), PSUBUSW: lanewise("i16x8.sub_sat_u"),
  PMULLW: lanewise("i16x8.mul"), PMULLD: lanewise("i32x4.mul"), PMADDWD: lanewise("i32x4.dot_i16x8_s"),
  PMULHW: mulHigh(true), PMULHUW: mulHigh(false), PMULUDQ: mulEven(false), PMULDQ: mulEven(true), PMULHRSW,
  PMINUB: lanewise("i8x16.min_u"), PMAXUB: lanewise("i8x16.max_u"), PMINSW: lanewise("i16x8.min_s"), PMAXSW: lanewise("i16x8.max_s"),
  PMINSB: lanewise("i8x16.min_s"), PMAXSB: lanewise("i8x16.max_s"), PMINUW: lanewise("i16x8.min_u"), PMAXUW: lanewise("i16x8.max_u"),
  PMINSD: lanewise("i32x4.min_s"), PMAXSD: lanewise("i32x4.max_s"), PMINUD: lanewise("i32x4.min_u"), PMAXUD: lanewise("i32x4.max_u"),
  PAVGB: lanewise("i8x16.avgr_u"), PAVGW: lanewise("i16x8.avgr_u"), PSADBW, PMADDUBSW,
  PAND: lanewise("and"), POR: lanewise("or"), PXOR: lanewise("xor"), PANDN: lanewise("andnot", true),
  PCMPEQB: lanewise("i8x16.eq"), PCMPEQW: lanewise("i16x8.eq"), PCMPEQD: lanewise("i32x4.eq"), PCMPEQQ: lanewise("i64x2.eq"),
  PCMPGTB: lanewise("i8x16.gt_s"), PCMPGTW: lanewise("i16x8.gt_s"), PCMPGTD: lanewise("i32x4.gt_s"), PCMPGTQ: lanewise("i64x2.gt_s"),
  PABSB: unary("i8x16.abs"), PABSW: unary("i16x8.abs"), PABSD: unary("i32x4.abs"),
  PSIGNB: psign(8), PSIGNW: psign(16), PSIGND: psign(32),
  PACKSSWB: pack("i8x16.narrow_i16x8_s"), PACKUSWB: pack("i8x16.narrow_i16x8_u"),
  PACKSSDW: pack("i16x8.narrow_i32x4_s"), PACKUSDW: pack("i16x8.narrow_i32x4_u"),
  PUNPCKLBW: unpack(1, false), PUNPCKLWD: unpack(2, false), PUNPCKLDQ: unpack(4, false), PUNPCKLQDQ: unpack(8, false),
  PUNPCKHBW: unpack(1, true), PUNPCKHWD: unpack(2, true), PUNPCKHDQ: unpack(4, true), PUNPCKHQDQ: unpack(8, true),
  UNPCKLPS: unpack(4, false), UNPCKHPS: unpack(4, true), UNPCKLPD: unpack(8, false), UNPCKHPD: unpack(8, true),
  PHADDW: horizontal(2, "i16x8.add"), PHADDD: horizontal(4, "i32x4.add"), PHADDSW: horizontal(2, "i16x8.add_sat_s"),
  PHSUBW: horizontal(2, "i16x8.sub"), PHSUBD: horizontal(4, "i32x4.sub"), PHSUBSW: horizontal(2, "i16x8.sub_sat_s"),
  PSHUFB, PALIGNR, PSHUFD: pshuf("D"), PSHUFHW: pshuf("HW"), PSHUFLW: pshuf("LW"), PSHUFW: pshuf("W"),
  PSRLW: shift(16, "shr_u"), PSRLD: shift(32, "shr_u"), PSRLQ: shift(64, "shr_u"),
  PSRAW: shift(16, "shr_s"), PSRAD: shift(32, "shr_s"),
  PSLLW: shift(16, "shl"), PSLLD: shift(32, "shl"), PSLLQ: shift(64, "shl"),
  PSLLDQ: byteShift(true), PSRLDQ: byteShift(false),
  PMOVSXBW: pmovx(8, 1, true), PMOVSXBD: pmovx(8, 2, true), PMOVSXBQ: pmovx(8, 3, true),
  PMOVSXWD: pmovx(16, 1, true), PMOVSXWQ: pmovx(16, 2, true), PMOVSXDQ: pmovx(32, 1, true),
  PMOVZXBW: pmovx(8, 1, false), PMOVZXBD: pmovx(8, 2, false), PMOVZXBQ: pmovx(8, 3, false),
  PMOVZXWD: pmovx(16, 1, false), PMOVZXWQ: pmovx(16, 2, false), PMOVZXDQ: pmovx(32, 1, false),
  PBLENDW: blendImm(2), BLENDPS: blendImm(4), BLENDPD: blendImm(8),
  PBLENDVB: blendVar(8), BLENDVPS: blendVar(32), BLENDVPD: blendVar(64),
};
