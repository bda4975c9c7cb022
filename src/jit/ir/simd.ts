/**
 * Vector and floating-point parts of the IR (additive to types.ts): the names of the
 * 128-bit vector operations (named after the WebAssembly SIMD proposal, whose lane-wise
 * semantics the IR adopts: they are well specified and every backend can render them) and
 * their signatures, which the builder uses to type results and check arguments.
 *
 * Lane immediates (extract/replace_lane) travel in the op's `lane` field; shuffles carry
 * 16 lane indices. Scalar float ops (fbin/fun/fcmp/fconv) work on F32/F64 temps.
 */

import { IrType } from "./types.js";

/** Scalar float binary ops (F32/F64 in, same type out). min/max are IEEE (NaN-propagating) minimum/maximum. */
export type FBinOp = "add" | "sub" | "mul" | "div" | "min" | "max" | "copysign";
/** Scalar float unary ops. `nearest` rounds to nearest, ties to even. */
export type FUnOp = "abs" | "neg" | "sqrt" | "ceil" | "floor" | "trunc" | "nearest";
/** Ordered comparisons (false when either input is NaN), except `ne` (true for NaN). */
export type FCond = "eq" | "ne" | "lt" | "gt" | "le" | "ge";
/**
 * Conversions. trunc_sat_*: truncate toward zero, saturating, NaN -> 0. convert_*: integer to
 * float, rounding to nearest. reinterpret_*: bit casts.
 */
export type FConvOp =
  | "f32_of_f64" | "f64_of_f32"
  | "f32_of_i32_s" | "f32_of_i64_s" | "f64_of_i32_s" | "f64_of_i64_s"
  | "f32_of_i32_u" | "f64_of_i32_u" | "f32_of_i64_u" | "f64_of_i64_u"
  | "i32_of_f32_sat_s" | "i32_of_f64_sat_s" | "i64_of_f32_sat_s" | "i64_of_f64_sat_s"
  | "i32_of_f32_sat_u" | "i32_of_f64_sat_u"
  | "i32_bits_f32" | "i64_bits_f64" | "f32_bits_i32" | "f64_bits_i64";

const I32 = IrType.I32, I64 = IrType.I64, F32 = IrType.F32, F64 = IrType.F64, V = IrType.V128;

export const FCONV_SIG: Record<FConvOp, [IrType, IrType]> = {
  f32_of_f64: [F64, F32], f64_of_f32: [F32, F64],
  f32_of_i32_s: [I32, F32], f32_of_i64_s: [I64, F32], f64_of_i32_s: [I32, F64], f64_of_i64_s: [I64, F64],
  f32_of_i32_u: [I32, F32], f64_of_i32_u: [I32, F64], f32_of_i64_u: [I64, F32], f64_of_i64_u: [I64, F64],
  i32_of_f32_sat_s: [F32, I32], i32_of_f64_sat_s: [F64, I32], i64_of_f32_sat_s: [F32, I64], i64_of_f64_sat_s: [F64, I64],
  i32_of_f32_sat_u: [F32, I32], i32_of_f64_sat_u: [F64, I32],
  i32_bits_f32: [F32, I32], i64_bits_f64: [F64, I64], f32_bits_i32: [I32, F32], f64_bits_i64: [I64, F64],
};

/** Vector ops: [result type, argument types, takes a lane immediate]. */
const VV: [IrType, IrType[], boolean] = [V, [V, V], false];
const V1: [IrType, IrType[], boolean] = [V, [V], false];
const VS: [IrType, IrType[], boolean] = [V, [V, I32], false]; // shifts by an i32 count

export const SIMD_SIG = {
  not: V1, and: VV, andnot: VV, or: VV, xor: VV, bitselect: [V, [V, V, V], false], any_true: [I32, [V], false],
  swizzle: VV,
  "i8x16.splat": [V, [I32], false], "i16x8.splat": [V, [I32], false], "i32x4.splat": [V, [I32], false],
  "i64x2.splat": [V, [I64], false], "f32x4.splat": [V, [F32], false], "f64x2.splat": [V, [F64], false],
  "i8x16.extract_lane_u": [I32, [V], true], "i16x8.extract_lane_u": [I32, [V], true],
  "i32x4.extract_lane": [I32, [V], true], "i64x2.extract_lane": [I64, [V], true],
  "f32x4.extract_lane": [F32, [V], true], "f64x2.extract_lane": [F64, [V], true],
  "i8x16.replace_lane": [V, [V, I32], true], "i16x8.replace_lane": [V, [V, I32], true],
  "i32x4.replace_lane": [V, [V, I32], true], "i64x2.replace_lane": [V, [V, I64], true],
  "f32x4.replace_lane": [V, [V, F32], true], "f64x2.replace_lane": [V, [V, F64], true],
  "i8x16.eq": VV, "i8x16.gt_s": VV, "i16x8.eq": VV, "i16x8.gt_s": VV, "i32x4.eq": VV, "i32x4.gt_s": VV,
  "i64x2.eq": VV, "i64x2.gt_s": VV,
  "f32x4.eq": VV, "f32x4.ne": VV, "f32x4.lt": VV, "f32x4.le": VV, "f32x4.gt": VV, "f32x4.ge": VV,
  "f64x2.eq": VV, "f64x2.ne": VV, "f64x2.lt": VV, "f64x2.le": VV, "f64x2.gt": VV, "f64x2.ge": VV,
  "i8x16.abs": V1, "i16x8.abs": V1, "i32x4.abs": V1, "i8x16.neg": V1, "i16x8.neg": V1, "i32x4.neg": V1,
  "i8x16.bitmask": [I32, [V], false], "i16x8.bitmask": [I32, [V], false], "i32x4.bitmask": [I32, [V], false], "i64x2.bitmask": [I32, [V], false],
  "i8x16.narrow_i16x8_s": VV, "i8x16.narrow_i16x8_u": VV, "i16x8.narrow_i32x4_s": VV, "i16x8.narrow_i32x4_u": VV,
  "i16x8.extend_low_i8x16_s": V1, "i16x8.extend_low_i8x16_u": V1, "i32x4.extend_low_i16x8_s": V1, "i32x4.extend_low_i16x8_u": V1,
  "i64x2.extend_low_i32x4_s": V1, "i64x2.extend_low_i32x4_u": V1,
  "i8x16.shl": VS, "i8x16.shr_s": VS, "i8x16.shr_u": VS,
  "i16x8.shl": VS, "i16x8.shr_s": VS, "i16x8.shr_u": VS, "i32x4.shl": VS, "i32x4.shr_s": VS, "i32x4.shr_u": VS,
  "i64x2.shl": VS, "i64x2.shr_s": VS, "i64x2.shr_u": VS,
  "i8x16.add": VV, "i8x16.add_sat_s": VV, "i8x16.add_sat_u": VV, "i8x16.sub": VV, "i8x16.sub_sat_s": VV, "i8x16.sub_sat_u": VV,
  "i8x16.min_s": VV, "i8x16.min_u": VV, "i8x16.max_s": VV, "i8x16.max_u": VV, "i8x16.avgr_u": VV,
  "i16x8.add": VV, "i16x8.add_sat_s": VV, "i16x8.add_sat_u": VV, "i16x8.sub": VV, "i16x8.sub_sat_s": VV, "i16x8.sub_sat_u": VV,
  "i16x8.mul": VV, "i16x8.min_s": VV, "i16x8.min_u": VV, "i16x8.max_s": VV, "i16x8.max_u": VV, "i16x8.avgr_u": VV,
  "i16x8.q15mulr_sat_s": VV,
  "i32x4.add": VV, "i32x4.sub": VV, "i32x4.mul": VV, "i32x4.min_s": VV, "i32x4.min_u": VV, "i32x4.max_s": VV, "i32x4.max_u": VV,
  "i32x4.dot_i16x8_s": VV, "i32x4.extmul_low_i16x8_s": VV, "i32x4.extmul_high_i16x8_s": VV,
  "i32x4.extmul_low_i16x8_u": VV, "i32x4.extmul_high_i16x8_u": VV,
  "i64x2.add": VV, "i64x2.sub": VV, "i64x2.mul": VV,
  "i64x2.extmul_low_i32x4_s": VV, "i64x2.extmul_low_i32x4_u": VV,
  "f32x4.abs": V1, "f32x4.neg": V1, "f32x4.sqrt": V1, "f32x4.add": VV, "f32x4.sub": VV, "f32x4.mul": VV, "f32x4.div": VV,
  "f32x4.pmin": VV, "f32x4.pmax": VV, "f32x4.ceil": V1, "f32x4.floor": V1, "f32x4.trunc": V1, "f32x4.nearest": V1,
  "f64x2.abs": V1, "f64x2.neg": V1, "f64x2.sqrt": V1, "f64x2.add": VV, "f64x2.sub": VV, "f64x2.mul": VV, "f64x2.div": VV,
  "f64x2.pmin": VV, "f64x2.pmax": VV, "f64x2.ceil": V1, "f64x2.floor": V1, "f64x2.trunc": V1, "f64x2.nearest": V1,
  "i32x4.trunc_sat_f32x4_s": V1, "f32x4.convert_i32x4_s": V1, "i32x4.trunc_sat_f64x2_s_zero": V1,
  "f64x2.convert_low_i32x4_s": V1, "f32x4.demote_f64x2_zero": V1, "f64x2.promote_low_f32x4": V1,
} satisfies Record<string, [IrType, IrType[], boolean]>;

export type SimdOp = keyof typeof SIMD_SIG;
