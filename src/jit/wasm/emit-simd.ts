/**
 * Opcode tables for the float and vector parts of the IR (src/jit/ir/simd.ts), used by
 * emit.ts. Scalar float opcodes: WebAssembly core spec 5.4.5 (numeric instructions) and the
 * non-trapping float-to-int conversions (0xFC 0..7); vector opcodes: the SIMD proposal's
 * binary encoding (prefix 0xFD, LEB128 sub-opcode).
 */

import type { FBinOp, FConvOp, FCond, FUnOp, SimdOp } from "../ir/simd.js";

/** [f32, f64] opcodes. */
export const FBIN: Record<FBinOp, [number, number]> = {
  add: [0x92, 0xa0], sub: [0x93, 0xa1], mul: [0x94, 0xa2], div: [0x95, 0xa3],
  min: [0x96, 0xa4], max: [0x97, 0xa5], copysign: [0x98, 0xa6],
};
export const FUN: Record<FUnOp, [number, number]> = {
  abs: [0x8b, 0x99], neg: [0x8c, 0x9a], ceil: [0x8d, 0x9b], floor: [0x8e, 0x9c],
  trunc: [0x8f, 0x9d], nearest: [0x90, 0x9e], sqrt: [0x91, 0x9f],
};
export const FCMP: Record<FCond, [number, number]> = {
  eq: [0x5b, 0x61], ne: [0x5c, 0x62], lt: [0x5d, 0x63], gt: [0x5e, 0x64], le: [0x5f, 0x65], ge: [0x60, 0x66],
};
/** Byte sequences of the conversions. */
export const FCONV: Record<FConvOp, readonly number[]> = {
  f32_of_f64: [0xb6], f64_of_f32: [0xbb],
  f32_of_i32_s: [0xb2], f32_of_i32_u: [0xb3], f32_of_i64_s: [0xb4], f32_of_i64_u: [0xb5],
  f64_of_i32_s: [0xb7], f64_of_i32_u: [0xb8], f64_of_i64_s: [0xb9], f64_of_i64_u: [0xba],
  i32_of_f32_sat_s: [0xfc, 0], i32_of_f32_sat_u: [0xfc, 1], i32_of_f64_sat_s: [0xfc, 2], i32_of_f64_sat_u: [0xfc, 3],
  i64_of_f32_sat_s: [0xfc, 4], i64_of_f64_sat_s: [0xfc, 6],
  i32_bits_f32: [0xbc], i64_bits_f64: [0xbd], f32_bits_i32: [0xbe], f64_bits_i64: [0xbf],
};

/** SIMD sub-opcodes (after the 0xFD prefix). */
export const SIMD: Record<SimdOp, number> = {
  swizzle: 0x0e,
  "i8x16.splat": 0x0f, "i16x8.splat": 0x10, "i32x4.splat": 0x11, "i64x2.splat": 0x12, "f32x4.splat": 0x13, "f64x2.splat": 0x14,
  "i8x16.extract_lane_u": 0x16, "i8x16.replace_lane": 0x17, "i16x8.extract_lane_u": 0x19, "i16x8.replace_lane": 0x1a,
  "i32x4.extract_lane": 0x1b, "i32x4.replace_lane": 0x1c, "i64x2.extract_lane": 0x1d, "i64x2.replace_lane": 0x1e,
  "f32x4.extract_lane": 0x1f, "f32x4.replace_lane": 0x20, "f64x2.extract_lane": 0x21, "f64x2.replace_lane": 0x22,
  "i8x16.eq": 0x23, "i8x16.gt_s": 0x27, "i16x8.eq": 0x2d, "i16x8.gt_s": 0x31, "i32x4.eq": 0x37, "i32x4.gt_s": 0x3b,
  "f32x4.eq": 0x41, "f32x4.ne": 0x42, "f32x4.lt": 0x43, "f32x4.gt": 0x44, "f32x4.le": 0x45, "f32x4.ge": 0x46,
  "f64x2.eq": 0x47, "f64x2.ne": 0x48, "f64x2.lt": 0x49, "f64x2.gt": 0x4a, "f64x2.le": 0x4b, "f64x2.ge": 0x4c,
  not: 0x4d, and: 0x4e, andnot: 0x4f, or: 0x50, xor: 0x51, bitselect: 0x52, any_true: 0x53,
  "f32x4.demote_f64x2_zero": 0x5e, "f64x2.promote_low_f32x4": 0x5f,
  "i8x16.abs": 0x60, "i8x16.neg": 0x61, "i8x16.bitmask": 0x64, "i8x16.narrow_i16x8_s": 0x65, "i8x16.narrow_i16x8_u": 0x66,
  "f32x4.ceil": 0x67, "f32x4.floor": 0x68, "f32x4.trunc": 0x69, "f32x4.nearest": 0x6a,
  "i8x16.shl": 0x6b, "i8x16.shr_s": 0x6c, "i8x16.shr_u": 0x6d, "i8x16.add": 0x6e, "i8x16.add_sat_s": 0x6f,
  "i8x16.add_sat_u": 0x70, "i8x16.sub": 0x71, "i8x16.sub_sat_s": 0x72, "i8x16.sub_sat_u": 0x73,
  "f64x2.ceil": 0x74, "f64x2.floor": 0x75,
  "i8x16.min_s": 0x76, "i8x16.min_u": 0x77, "i8x16.max_s": 0x78, "i8x16.max_u": 0x79,
  "f64x2.trunc": 0x7a, "i8x16.avgr_u": 0x7b,
  "i16x8.abs": 0x80, "i16x8.neg": 0x81, "i16x8.q15mulr_sat_s": 0x82, "i16x8.bitmask": 0x84,
  "i16x8.narrow_i32x4_s": 0x85, "i16x8.narrow_i32x4_u": 0x86,
  "i16x8.extend_low_i8x16_s": 0x87, "i16x8.extend_low_i8x16_u": 0x89,
  "i16x8.shl": 0x8b, "i16x8.shr_s": 0x8c, "i16x8.shr_u": 0x8d, "i16x8.add": 0x8e, "i16x8.add_sat_s": 0x8f,
  "i16x8.add_sat_u": 0x90, "i16x8.sub": 0x91, "i16x8.sub_sat_s": 0x92, "i16x8.sub_sat_u": 0x93,
  "f64x2.nearest": 0x94, "i16x8.mul": 0x95, "i16x8.min_s": 0x96, "i16x8.min_u": 0x97, "i16x8.max_s": 0x98,
  "i16x8.max_u": 0x99, "i16x8.avgr_u": 0x9b,
  "i32x4.abs": 0xa0, "i32x4.neg": 0xa1, "i32x4.bitmask": 0xa4,
  "i32x4.extend_low_i16x8_s": 0xa7, "i32x4.extend_low_i16x8_u": 0xa9,
  "i32x4.shl": 0xab, "i32x4.shr_s": 0xac, "i32x4.shr_u": 0xad, "i32x4.add": 0xae, "i32x4.sub": 0xb1,
  "i32x4.mul": 0xb5, "i32x4.min_s": 0xb6, "i32x4.min_u": 0xb7, "i32x4.max_s": 0xb8, "i32x4.max_u": 0xb9,
  "i32x4.dot_i16x8_s": 0xba, "i32x4.extmul_low_i16x8_s": 0xbc, "i32x4.extmul_high_i16x8_s": 0xbd,
  "i32x4.extmul_low_i16x8_u": 0xbe, "i32x4.extmul_high_i16x8_u": 0xbf,
  "i64x2.bitmask": 0xc4, "i64x2.extend_low_i32x4_s": 0xc7, "i64x2.extend_low_i32x4_u": 0xc9,
  "i64x2.shl": 0xcb, "i64x2.shr_s": 0xcc, "i64x2.shr_u": 0xcd, "i64x2.add": 0xce, "i64x2.sub": 0xd1, "i64x2.mul": 0xd5,
  "i64x2.eq": 0xd6, "i64x2.gt_s": 0xd9, "i64x2.extmul_low_i32x4_s": 0xdc, "i64x2.extmul_low_i32x4_u": 0xde,
  "f32x4.abs": 0xe0, "f32x4.neg": 0xe1, "f32x4.sqrt": 0xe3, "f32x4.add": 0xe4, "f32x4.sub": 0xe5, "f32x4.mul": 0xe6,
  "f32x4.div": 0xe7, "f32x4.pmin": 0xea, "f32x4.pmax": 0xeb,
  "f64x2.abs": 0xec, "f64x2.neg": 0xed, "f64x2.sqrt": 0xef, "f64x2.add": 0xf0, "f64x2.sub": 0xf1, "f64x2.mul": 0xf2,
  "f64x2.div": 0xf3, "f64x2.pmin": 0xf6, "f64x2.pmax": 0xf7,
  "i32x4.trunc_sat_f32x4_s": 0xf8, "f32x4.convert_i32x4_s": 0xfa, "i32x4.trunc_sat_f64x2_s_zero": 0xfc,
  "f64x2.convert_low_i32x4_s": 0xfe,
};

export const enum SimdMem {
  LOAD = 0x00, STORE = 0x0b, CONST = 0x0c, SHUFFLE = 0x0d,
  LOAD32_ZERO = 0x5c, LOAD64_ZERO = 0x5d, STORE32_LANE = 0x5a, STORE64_LANE = 0x5b,
  I64X2_EXTRACT = 0x1d,
}
