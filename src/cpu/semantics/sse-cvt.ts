/**
 * SSE/SSE2 conversions (SDM vol 2 CVT*): integer <-> float, single <-> double, packed and
 * scalar, MMX forms included. Float -> integer results that are NaN or out of range give the
 * "integer indefinite" value (0x80000000 / 0x8000000000000000, SDM vol 1 4.8.3.4 / 11.5.2.1);
 * the non-truncating float -> integer forms round per MXCSR.RC; int -> float and double ->
 * single conversions round to nearest. Lanes beyond the converted ones follow each
 * instruction's rule.
 */

import { IrType, type Temp } from "../../jit/ir/types.js";
import type { SimdOp } from "../../jit/ir/simd.js";
import { StateOff, xmmOff } from "../state-layout.js";
import type { SemanticsTable } from "../translate.js";
import { operand, read, write, type X86Ctx } from "./context.js";
import { isMmx, mmxEnter, opAt, readF, readV, simdCheck, writeV } from "./sse-common.js";
import { fixNaNScalar } from "./sse-fp.js";

type Fn = (ctx: X86Ctx) => void;
const f64buf = new DataView(new ArrayBuffer(8));

/** A float constant as a temp (built from its bits). */
function fconst(ctx: X86Ctx, x: number, type: IrType.F32 | IrType.F64): Temp {
  const b = ctx.b;
  if (type === IrType.F32) {
    f64buf.setFloat32(0, x, true);
    return b.fconv("f32_bits_i32", b.i32(f64buf.getInt32(0, true)));
  }
  f64buf.setFloat64(0, x, true);
  return b.fconv("f64_bits_i64", b.i64Parts(f64buf.getInt32(0, true), f64buf.getInt32(4, true)));
}

/** MXCSR.RC (0 nearest, 1 down, 2 up, 3 toward zero) as an i32 temp. */
function mxcsrRc(ctx: X86Ctx): Temp {
  const b = ctx.b;
  return b.andi(b.shrUi(b.ldEnv(IrType.I32, StateOff.MXCSR), 13), 3);
}

/** Round a scalar to an integral value per MXCSR.RC (SDM vol 1 4.8.4). */
export function roundScalarMxcsr(ctx: X86Ctx, v: Temp): Temp {
  const b = ctx.b;
  const rc = mxcsrRc(ctx);
  const is = (k: number): Temp => b.setcond("eq", rc, b.i32(k));
  return b.select(is(0), b.fun("nearest", v), b.select(is(1), b.fun("floor", v), b.select(is(2), b.fun("ceil", v), b.fun("trunc", v))));
}

/** Round packed lanes to integral values per MXCSR.RC. */
export function roundPackedMxcsr(ctx: X86Ctx, v: Temp, f64: boolean): Temp {
  const b = ctx.b;
  const t = f64 ? "f64x2" : "f32x4";
  const rc = mxcsrRc(ctx);
  const is = (k: number): Temp => b.simd("i32x4.splat", [b.neg(b.setcond("eq", rc, b.i32(k)))]);
  const op = (m: string): Temp => b.simd(`${t}.${m}` as SimdOp, [v]);
  return b.simd("bitselect", [op("nearest"), b.simd("bitselect", [op("floor"), b.simd("bitselect", [op("ceil"), op("trunc"), is(2)]), is(1)]), is(0)]);
}

/** Scalar float -> int32/int64 with x86 indefinite results. */
export function floatToInt(ctx: X86Ctx, v: Temp, size: 4 | 8, truncate: boolean): Temp {
  const b = ctx.b;
  const type = v.type as IrType.F32 | IrType.F64;
  const r = truncate ? b.fun("trunc", v) : roundScalarMxcsr(ctx, v);
  const lim = size === 4 ? 2 ** 31 : 2 ** 63;
  const ok = b.and(b.fcmp("ge", r, fconst(ctx, -lim, type)), b.fcmp("lt", r, fconst(ctx, lim, type)));
  if (size === 4) {
    const i = b.fconv(type === IrType.F32 ? "i32_of_f32_sat_s" : "i32_of_f64_sat_s", r);
    return b.extu(b.select(ok, i, b.i32(0x80000000 | 0)));
  }
  const i = b.fconv(type === IrType.F32 ? "i64_of_f32_sat_s" : "i64_of_f64_sat_s", r);
  return b.select(ok, i, b.i64Parts(0, 0x80000000 | 0));
}

/** CVT(T)SS2SI / CVT(T)SD2SI: Gy <- Wss/Wsd. */
function toSi(f64: boolean, truncate: boolean): Fn {
  return (ctx) => {
    simdCheck(ctx);
    const d = operand(ctx, 0);
    const v = readF(ctx, opAt(ctx, 1), f64 ? IrType.F64 : IrType.F32);
    write(ctx, d, floatToInt(ctx, v, d.size === 8 ? 8 : 4, truncate));
  };
}

/** CVTSI2SS / CVTSI2SD: Vss/Vsd <- Ey (32 or 64-bit signed). */
function fromSi(f64: boolean): Fn {
  return (ctx) => {
    simdCheck(ctx);
    const b = ctx.b;
    const d = opAt(ctx, 0);
    const s = operand(ctx, 1);
    const v = read(ctx, s);
    const r = s.size === 8
      ? b.fconv(f64 ? "f64_of_i64_s" : "f32_of_i64_s", v)
      : b.fconv(f64 ? "f64_of_i32_s" : "f32_of_i32_s", b.trunc(v));
    if (d.kind === "xmm") b.stEnv(r, xmmOff(d.reg));
  };
}

/** CVTSS2SD / CVTSD2SS. */
function scalarSize(toF64: boolean): Fn {
  return (ctx) => {
    simdCheck(ctx);
    const b = ctx.b;
    const d = opAt(ctx, 0);
    const v = readF(ctx, opAt(ctx, 1), toF64 ? IrType.F32 : IrType.F64);
    const r = b.fconv(toF64 ? "f64_of_f32" : "f32_of_f64", v);
    if (d.kind === "xmm") b.stEnv(fixNaNScalar(ctx, r, null, r), xmmOff(d.reg), toF64 ? 8 : 4);
  };
}

/** Packed float -> int32 with indefinite lanes; f64 sources fill lanes 0..1 and zero 2..3. */
function packedToInt(ctx: X86Ctx, v: Temp, f64: boolean, truncate: boolean): Temp {
  const b = ctx.b;
  const t = f64 ? "f64x2" : "f32x4";
  const r = truncate ? b.simd(`${t}.trunc` as SimdOp, [v]) : roundPackedMxcsr(ctx, v, f64);
  const splat = (x: number): Temp => b.simd(`${t}.splat` as SimdOp, [fconst(ctx, x, f64 ? IrType.F64 : IrType.F32)]);
  const ok = b.simd("and", [b.simd(`${t}.ge` as SimdOp, [r, splat(-(2 ** 31))]), b.simd(`${t}.lt` as SimdOp, [r, splat(2 ** 31)])]);
  const indef = 0x80000000 | 0;
  if (!f64) return b.simd("bitselect", [b.simd("i32x4.trunc_sat_f32x4_s", [r]), b.vconst(indef, indef, indef, indef), ok]);
  const i = b.simd("i32x4.trunc_sat_f64x2_s_zero", [r]);
  const ok32 = b.shuffle(ok, b.vconst(-1, -1, -1, -1), [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23]);
  return b.simd("bitselect", [i, b.vconst(indef, indef, 0, 0), ok32]);
}

/** Packed conversions with one V128 in and out. */
function packed(f: (ctx: X86Ctx, v: Temp) => Temp): Fn {
  return (ctx) => {
    simdCheck(ctx, !isMmx(ctx));
    const src = opAt(ctx, 1);
    const v = readV(ctx, src);
    writeV(ctx, opAt(ctx, 0), f(ctx, v));
    if (src.kind === "mmx") mmxEnter(ctx);
  };
}

/** CVTPI2PS: two int32 into lanes 0..1, lanes 2..3 of the destination unchanged. */
function CVTPI2PS(ctx: X86Ctx): void {
  simdCheck(ctx, false);
  const b = ctx.b;
  const d = opAt(ctx, 0);
  const v = b.simd("f32x4.convert_i32x4_s", [readV(ctx, opAt(ctx, 1))]);
  const a = readV(ctx, d);
  writeV(ctx, d, b.shuffle(v, a, [0, 1, 2, 3, 4, 5, 6, 7, 24, 25, 26, 27, 28, 29, 30, 31]));
  if (opAt(ctx, 1).kind === "mmx") mmxEnter(ctx);
}

export const sseCvtSemantics: SemanticsTable = {
  CVTTSS2SI: toSi(false, true), CVTSS2SI: toSi(false, false), CVTTSD2SI: toSi(true, true), CVTSD2SI: toSi(true, false),
  CVTSI2SS: fromSi(false), CVTSI2SD: fromSi(true),
  CVTSS2SD: scalarSize(true), CVTSD2SS: scalarSize(false),
  CVTPS2PD: packed((c, v) => c.b.simd("f64x2.promote_low_f32x4", [v])),
  CVTPD2PS: packed((c, v) => c.b.simd("f32x4.demote_f64x2_zero", [v])),
  CVTDQ2PS: packed((c, v) => c.b.simd("f32x4.convert_i32x4_s", [v])),
  CVTDQ2PD: packed((c, v) => c.b.simd("f64x2.convert_low_i32x4_s", [v])),
  CVTPI2PD: packed((c, v) => c.b.simd("f64x2.convert_low_i32x4_s", [v])),
  CVTPS2DQ: packed((c, v) => packedToInt(c, v, false, false)),
  CVTTPS2DQ: packed((c, v) => packedToInt(c, v, false, true)),
  CVTPD2DQ: packed((c, v) => packedToInt(c, v, true, false)),
  CVTTPD2DQ: packed((c, v) => packedToInt(c, v, true, true)),
  CVTPS2PI: packed((c, v) => packedToInt(c, v, false, false)),
  CVTTPS2PI: packed((c, v) => packedToInt(c, v, false, true)),
  CVTPD2PI: packed((c, v) => packedToInt(c, v, true, false)),
  CVTTPD2PI: packed((c, v) => packedToInt(c, v, true, true)),
  CVTPI2PS,
};
