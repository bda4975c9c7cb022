/**
 * SSE/SSE2 conversions (SDM vol 2 CVT*): integer <-> float, single <-> double, packed and
 * scalar, MMX forms included. Float -> integer results that are NaN or out of range give the
 * "integer indefinite" value (0x80000000 / 0x8000000000000000, SDM vol 1 4.8.3.4 / 11.5.2.1)
 * and IE; the non-truncating forms round per MXCSR.RC. Every conversion that can raise a flag
 * or round runs its Wasm form only when that is exact per MXCSR (sse-guard.ts), else the
 * exact helper. Lanes beyond the converted ones follow each instruction's rule.
 */

import { IrType, type Temp } from "../../jit/ir/types.js";
import type { SimdOp } from "../../jit/ir/simd.js";
import { xmmOff } from "../state-layout.js";
import type { SemanticsTable } from "../translate.js";
import { operand, read, write, type X86Ctx } from "./context.js";
import { isMmx, mmxEnter, opAt, readF, readV, simdCheck, writeV } from "./sse-common.js";
import { FastMode, fastMode, guarded, mxcsrValue, packedCheck, scalarCheck } from "./sse-guard.js";
import { Kind, SseOp } from "../fp/sse-exec.js";
import { FpuOff } from "../fpu-state.js";

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
  return b.andi(b.shrUi(mxcsrValue(ctx), 13), 3);
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

/** Scalar float -> int32/int64 with x86 indefinite results; `ok`: in range, `exact`: no rounding happened. */
export function floatToInt(ctx: X86Ctx, v: Temp, size: 4 | 8, truncate: boolean): { value: Temp; ok: Temp; exact: Temp } {
  const b = ctx.b;
  const type = v.type as IrType.F32 | IrType.F64;
  const r = truncate ? b.fun("trunc", v) : roundScalarMxcsr(ctx, v);
  const lim = size === 4 ? 2 ** 31 : 2 ** 63;
  const ok = b.and(b.fcmp("ge", r, fconst(ctx, -lim, type)), b.fcmp("lt", r, fconst(ctx, lim, type)));
  const exact = b.fcmp("eq", r, v);
  if (size === 4) {
    const i = b.fconv(type === IrType.F32 ? "i32_of_f32_sat_s" : "i32_of_f64_sat_s", r);
    return { value: b.extu(b.select(ok, i, b.i32(0x80000000 | 0))), ok, exact };
  }
  const i = b.fconv(type === IrType.F32 ? "i64_of_f32_sat_s" : "i64_of_f64_sat_s", r);
  return { value: b.select(ok, i, b.i64Parts(0, 0x80000000 | 0)), ok, exact };
}

/** i32: MXCSR.PE set and PM set (an inexact result changes nothing). */
function peSet(ctx: X86Ctx): Temp {
  const b = ctx.b;
  return b.setcond("eq", b.andi(mxcsrValue(ctx), 0x1020), b.i32(0x1020));
}

/** CVT(T)SS2SI / CVT(T)SD2SI: Gy <- Wss/Wsd. */
function toSi(f64: boolean, truncate: boolean): Fn {
  return (ctx) => {
    simdCheck(ctx);
    const b = ctx.b;
    const d = operand(ctx, 0);
    const size = d.size === 8 ? 8 : 4;
    const v = readF(ctx, opAt(ctx, 1), f64 ? IrType.F64 : IrType.F32);
    const { value, ok, exact } = floatToInt(ctx, v, size, truncate);
    guarded(ctx, b.and(ok, b.or(exact, peSet(ctx))), () => write(ctx, d, value),
      { src: v, dst: 0, op: truncate ? SseOp.CVTT_FI : SseOp.CVT_FI, kind: f64 ? Kind.SD : Kind.SS, imm: size === 8 ? 1 : 0 },
      () => write(ctx, d, b.ldEnv(IrType.I64, FpuOff.VSCRATCH)));
  };
}

/** |i| <= 2^bits (so the conversion to a float with a (bits+1)-bit significand is exact), i32 or i64 i. */
function smallInt(ctx: X86Ctx, i: Temp, bits: number): Temp {
  const b = ctx.b;
  if (i.type === IrType.I32) return b.setcond("le_u", b.addi(i, 2 ** bits), b.i32(2 ** (bits + 1)));
  const c = (x: number): Temp => (x < 2 ** 32 ? b.i64Parts(x | 0, 0) : b.i64Parts(0, x / 2 ** 32));
  return b.setcond("le_u", b.add(i, c(2 ** bits)), c(2 ** (bits + 1)));
}

/** CVTSI2SS / CVTSI2SD: Vss/Vsd <- Ey (32 or 64-bit signed). */
function fromSi(f64: boolean): Fn {
  return (ctx) => {
    simdCheck(ctx);
    const b = ctx.b;
    const d = opAt(ctx, 0);
    if (d.kind !== "xmm") throw new Error("CVTSI2SS destination must be an XMM register");
    const s = operand(ctx, 1);
    const v = read(ctx, s);
    const i = s.size === 8 ? v : b.trunc(v);
    const r = s.size === 8
      ? b.fconv(f64 ? "f64_of_i64_s" : "f32_of_i64_s", v)
      : b.fconv(f64 ? "f64_of_i32_s" : "f32_of_i32_s", i);
    if (f64 && s.size !== 8) { b.stEnv(r, xmmOff(d.reg)); return; } // always exact
    const ok = b.or(smallInt(ctx, i, f64 ? 53 : 24), fastMode(ctx, FastMode.ROUNDED));
    guarded(ctx, ok, () => b.stEnv(r, xmmOff(d.reg)), { src: i, dst: d.reg, op: SseOp.CVT_IF, kind: f64 ? Kind.SD : Kind.SS, imm: s.size === 8 ? 8 : 4 },
      (res) => b.stEnv(res(), xmmOff(d.reg)));
  };
}

/** CVTSS2SD / CVTSD2SS. */
function scalarSize(toF64: boolean): Fn {
  return (ctx) => {
    simdCheck(ctx);
    const b = ctx.b;
    const d = opAt(ctx, 0);
    if (d.kind !== "xmm") throw new Error("CVTSS2SD destination must be an XMM register");
    const v = readF(ctx, opAt(ctx, 1), toF64 ? IrType.F32 : IrType.F64);
    const r = b.fconv(toF64 ? "f64_of_f32" : "f32_of_f64", v);
    const ok = toF64 ? b.and(fastMode(ctx, FastMode.NO_ROUND), scalarCheck.noDenorm(ctx, v)) : b.and(fastMode(ctx, FastMode.ROUNDED), scalarCheck.normal(ctx, r));
    guarded(ctx, ok, () => b.stEnv(r, xmmOff(d.reg)), { src: v, dst: d.reg, op: SseOp.CVT_FF, kind: toF64 ? Kind.SD : Kind.SS },
      (res) => b.stEnv(res(), xmmOff(d.reg)));
  };
}

/** Packed float -> int32 with indefinite lanes; f64 sources fill lanes 0..1 and zero 2..3. `ok`: per-lane fast-path mask. */
function packedToInt(ctx: X86Ctx, v: Temp, f64: boolean, truncate: boolean): { r: Temp; ok: Temp } {
  const b = ctx.b;
  const t = f64 ? "f64x2" : "f32x4";
  const r = truncate ? b.simd(`${t}.trunc` as SimdOp, [v]) : roundPackedMxcsr(ctx, v, f64);
  const splat = (x: number): Temp => b.simd(`${t}.splat` as SimdOp, [fconst(ctx, x, f64 ? IrType.F64 : IrType.F32)]);
  const inRange = b.simd("and", [b.simd(`${t}.ge` as SimdOp, [r, splat(-(2 ** 31))]), b.simd(`${t}.lt` as SimdOp, [r, splat(2 ** 31)])]);
  const pe = b.simd("i32x4.splat", [b.neg(peSet(ctx))]);
  const ok = b.simd("and", [inRange, b.simd("or", [b.simd(`${t}.eq` as SimdOp, [r, v]), pe])]);
  const indef = 0x80000000 | 0;
  if (!f64) return { r: b.simd("bitselect", [b.simd("i32x4.trunc_sat_f32x4_s", [r]), b.vconst(indef, indef, indef, indef), inRange]), ok };
  const i = b.simd("i32x4.trunc_sat_f64x2_s_zero", [r]);
  const ok32 = b.shuffle(inRange, b.vconst(-1, -1, -1, -1), [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23]);
  return { r: b.simd("bitselect", [i, b.vconst(indef, indef, 0, 0), ok32]), ok };
}

/**
 * Packed conversions with one V128 in and out: `f` gives the result and the i32 fast-path
 * condition; otherwise the helper runs `op` (kind, imm) on the source.
 */
function packed(f: (ctx: X86Ctx, v: Temp) => { r: Temp; ok: Temp }, op: SseOp | null, kind: Kind, imm = 0): Fn {
  return (ctx) => {
    simdCheck(ctx, !isMmx(ctx));
    const src = opAt(ctx, 1), d = opAt(ctx, 0);
    const v = readV(ctx, src);
    const { r, ok } = f(ctx, v);
    if (op === null) writeV(ctx, d, r);
    else guarded(ctx, ok, () => writeV(ctx, d, r), { src: v, dst: d.kind === "xmm" ? d.reg : 0, op, kind, imm }, (res) => writeV(ctx, d, res()));
    if (src.kind === "mmx") mmxEnter(ctx);
  };
}

const toIntP = (f64: boolean, truncate: boolean, two: boolean): Fn => packed((c, v) => {
  const { r, ok } = packedToInt(c, v, f64, truncate);
  return { r, ok: packedCheck.all(c, ok, two && !f64) };
}, truncate ? SseOp.CVTT_FI : SseOp.CVT_FI, f64 ? Kind.PD : Kind.PS, two ? 2 : 0);

/** Exact int32 -> float32 lanes (|i| <= 2^24), as a lane mask. */
const smallLanes = (ctx: X86Ctx, v: Temp): Temp =>
  ctx.b.simd("not", [ctx.b.simd("i32x4.gt_s", [ctx.b.simd("i32x4.abs", [v]), ctx.b.vconst(1 << 24, 1 << 24, 1 << 24, 1 << 24)])]);

/** CVTPI2PS: two int32 into lanes 0..1, lanes 2..3 of the destination unchanged. */
function CVTPI2PS(ctx: X86Ctx): void {
  simdCheck(ctx, false);
  const b = ctx.b;
  const d = opAt(ctx, 0);
  if (d.kind !== "xmm") throw new Error("CVTPI2PS destination must be an XMM register");
  const s = readV(ctx, opAt(ctx, 1));
  const v = b.simd("f32x4.convert_i32x4_s", [s]);
  const a = readV(ctx, d);
  const r = b.shuffle(v, a, [0, 1, 2, 3, 4, 5, 6, 7, 24, 25, 26, 27, 28, 29, 30, 31]);
  const ok = b.or(packedCheck.all(ctx, smallLanes(ctx, s), true), fastMode(ctx, FastMode.ROUNDED));
  guarded(ctx, ok, () => writeV(ctx, d, r), { src: s, dst: d.reg, op: SseOp.CVT_IF, kind: Kind.PD }, (res) => writeV(ctx, d, res()));
  if (opAt(ctx, 1).kind === "mmx") mmxEnter(ctx);
}

export const sseCvtSemantics: SemanticsTable = {
  CVTTSS2SI: toSi(false, true), CVTSS2SI: toSi(false, false), CVTTSD2SI: toSi(true, true), CVTSD2SI: toSi(true, false),
  CVTSI2SS: fromSi(false), CVTSI2SD: fromSi(true),
  CVTSS2SD: scalarSize(true), CVTSD2SS: scalarSize(false),
  CVTPS2PD: packed((c, v) => ({
    r: c.b.simd("f64x2.promote_low_f32x4", [v]),
    ok: c.b.and(fastMode(c, FastMode.NO_ROUND), packedCheck.all(c, packedCheck.noDenorm(c, false, v), true)),
  }), SseOp.CVT_FF, Kind.PD),
  CVTPD2PS: packed((c, v) => {
    const r = c.b.simd("f32x4.demote_f64x2_zero", [v]);
    return { r, ok: c.b.and(fastMode(c, FastMode.ROUNDED), packedCheck.all(c, packedCheck.normal(c, false, r), true)) };
  }, SseOp.CVT_FF, Kind.PS),
  CVTDQ2PS: packed((c, v) => ({
    r: c.b.simd("f32x4.convert_i32x4_s", [v]),
    ok: c.b.or(packedCheck.all(c, smallLanes(c, v)), fastMode(c, FastMode.ROUNDED)),
  }), SseOp.CVT_IF, Kind.PS),
  CVTDQ2PD: packed((c, v) => ({ r: c.b.simd("f64x2.convert_low_i32x4_s", [v]), ok: c.b.i32(1) }), null, Kind.PD),
  CVTPI2PD: packed((c, v) => ({ r: c.b.simd("f64x2.convert_low_i32x4_s", [v]), ok: c.b.i32(1) }), null, Kind.PD),
  CVTPS2DQ: toIntP(false, false, false),
  CVTTPS2DQ: toIntP(false, true, false),
  CVTPD2DQ: toIntP(true, false, false),
  CVTTPD2DQ: toIntP(true, true, false),
  CVTPS2PI: toIntP(false, false, true),
  CVTTPS2PI: toIntP(false, true, true),
  CVTPD2PI: toIntP(true, false, true),
  CVTTPD2PI: toIntP(true, true, true),
  CVTPI2PS,
};
