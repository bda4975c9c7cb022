/**
 * MXCSR-exact SSE floating point, the generated-code half: each instruction computes its
 * result with Wasm float ops (the fast path) and checks cheaply that this result and MXCSR are
 * what the exact rules give (MXCSR in a "fast mode": every exception masked, round to
 * nearest, and for inexact-capable operations PE already set or the result proved exact;
 * operands and results that cannot raise IE/DE/ZE/OE/UE, so FTZ/DAZ do not matter except
 * for tiny sums). Otherwise it hands the operands to the
 * `sse_fp` helper (src/cpu/fp/sse-exec.ts: exact rounding, all flags, FTZ/DAZ, unmasked
 * exceptions as #XM, or #UD when CR4.OSXMMEXCPT is clear, SDM vol 3 table 2-4 / 13.4).
 *
 * Helper protocol: the source operand (16 bytes, or the low 4/8) in FpuOff.VSCRATCH, the
 * destination register number and an op word (SseOp | kind << 8 | imm << 16); the helper
 * reads XMM[dst], writes the whole result (16 bytes) back to VSCRATCH and returns the
 * EFLAGS bits of COMIS/UCOMIS; on an unmasked exception it raises and writes nothing.
 */

import { HelperFlag, IrType, type Temp } from "../../jit/ir/types.js";
import type { SimdOp } from "../../jit/ir/simd.js";
import { cpuHelper } from "../helper.js";
import { FpuOff } from "../fpu-state.js";
import { Vec } from "../softmmu.js";
import { StateOff, xmmOff } from "../state-layout.js";
import { sseExec, type Kind, type SseOp } from "../fp/sse-exec.js";
import type { X86Ctx } from "./context.js";

const aw = new Uint32Array(4), bw = new Uint32Array(4), ow = new Uint32Array(4);

export const sseFpHelper = cpuHelper("sse_fp", [IrType.I32, IrType.I32], IrType.I32, HelperFlag.CAN_FAULT, (cpu, word, dst) => {
  const s = cpu.state;
  for (let i = 0; i < 4; i++) {
    aw[i] = s.get32(xmmOff(dst & 15) + 4 * i) >>> 0;
    bw[i] = s.get32(FpuOff.VSCRATCH + 4 * i) >>> 0;
  }
  const r = sseExec(s.get32(StateOff.MXCSR) >>> 0, (word & 0xff) as SseOp, ((word >> 8) & 0xff) as Kind, word >>> 16, aw, bw, ow);
  s.set32(StateOff.MXCSR, r.mxcsr);
  if (r.fault) {
    cpu.softmmu.raise(s.cr4 & (1 << 10) ? Vec.XM : Vec.UD);
    return 0;
  }
  for (let i = 0; i < 4; i++) s.set32(FpuOff.VSCRATCH + 4 * i, ow[i]! | 0);
  return r.eflags;
});

/**
 * MXCSR fast modes: the mask of the bits that must match FAST_VALUE. DAZ and FTZ are free: no
 * fast path admits a denormal operand, and the only tiny results it admits (exact sums) are
 * checked by guarded()'s `notTiny` when FTZ is set.
 */
export const enum FastMode {
  /** Results that may be inexact: all masked, RC nearest, PE set. */
  ROUNDED = 0x7fa0,
  /** As ROUNDED without PE: for guarded() with an exactness check (PE clear and the result exact). */
  NEAREST = 0x7f80,
  /** All exceptions masked (RC, PE, FTZ, DAZ free): for guarded() with an exactness check, which
   * then applies unless RC is nearest and PE set (an exact result is the same in every mode). */
  MASKED = 0x1f80,
  /** The common mode of guarded()'s extra checks: RC nearest, PE set, FTZ clear. */
  COMMON = 0xe020,
  /** Only IE/DE possible (compares, MIN/MAX, widening conversions): IM, DM set. */
  NO_ROUND = 0x0180,
}
const FAST_VALUE: Record<FastMode, number> = { [FastMode.ROUNDED]: 0x1fa0, [FastMode.NEAREST]: 0x1f80, [FastMode.MASKED]: 0x1f80, [FastMode.COMMON]: 0x0020, [FastMode.NO_ROUND]: 0x0180 };

/**
 * MXCSR as an i32 temp, loaded once per block: within a block only the helper changes it
 * (setting flags, which can only turn a fast-mode check from false to true: a stale value is
 * conservative) until LDMXCSR / FXRSTOR / XRSTOR, which call forgetMxcsr. The load is emitted
 * at the top level of an instruction, so it dominates every later use in the block.
 */
const mxcsrTemps = new WeakMap<object, { mx: Temp; modes: Map<FastMode, Temp> }>();
export function mxcsrValue(ctx: X86Ctx): Temp {
  let t = mxcsrTemps.get(ctx.b);
  if (!t) { t = { mx: ctx.b.ldEnv(IrType.I32, StateOff.MXCSR), modes: new Map() }; mxcsrTemps.set(ctx.b, t); }
  return t.mx;
}
export function forgetMxcsr(ctx: X86Ctx): void { mxcsrTemps.delete(ctx.b); }

/**
 * i32: is MXCSR in the fast mode? Cached per block like the MXCSR value when `top` (the caller
 * is at an instruction's top level, so the definition dominates later uses); inside a
 * conditional region pass top = false.
 */
export function fastMode(ctx: X86Ctx, mode: FastMode, top = true): Temp {
  const b = ctx.b;
  const mx = mxcsrValue(ctx);
  const cache = mxcsrTemps.get(b)!.modes;
  const hit = cache.get(mode);
  if (hit) return hit;
  const t = b.setcond("eq", b.andi(mx, mode), b.i32(FAST_VALUE[mode]));
  if (top) cache.set(mode, t);
  return t;
}

/** Float constant splat / scalar helpers. */
const MIN_NORMAL = { f32: 0x00800000, f64: [0, 0x00100000] as const };
const INF = { f32: 0x7f800000, f64: [0, 0x7ff00000] as const };

export function fconstBits(ctx: X86Ctx, f64: boolean, bits: number | readonly [number, number]): Temp {
  const b = ctx.b;
  if (!f64) return b.fconv("f32_bits_i32", b.i32(bits as number));
  const [lo, hi] = bits as readonly [number, number];
  return b.fconv("f64_bits_i64", b.i64Parts(lo, hi));
}
function vsplat(ctx: X86Ctx, f64: boolean, bits: number | readonly [number, number]): Temp {
  const b = ctx.b;
  if (!f64) { const v = bits as number; return b.vconst(v, v, v, v); }
  const [lo, hi] = bits as readonly [number, number];
  return b.vconst(lo, hi, lo, hi);
}

/** Checks on scalar (F32/F64) temps, as i32 booleans (few comparisons: they dominate the fast path's cost). */
export const scalarCheck = {
  /** min(|x|...) >= the smallest normal (> when `strict`; x itself when `signed`): no zero, denormal or NaN among xs. */
  minAbsNormal(ctx: X86Ctx, xs: Temp[], strict = false, signed = false): Temp {
    const b = ctx.b, f64 = xs[0]!.type === IrType.F64;
    const m = signed ? xs[0]! : xs.map((x) => b.fun("abs", x)).reduce((x, y) => b.fbin("min", x, y));
    return b.fcmp(strict ? "gt" : "ge", m, fconstBits(ctx, f64, f64 ? MIN_NORMAL.f64 : MIN_NORMAL.f32));
  },
  /** Zero, normal or infinite (not denormal, not NaN). */
  noDenorm(ctx: X86Ctx, x: Temp): Temp {
    const b = ctx.b, f64 = x.type === IrType.F64;
    return b.or(b.fcmp("ge", b.fun("abs", x), fconstBits(ctx, f64, f64 ? MIN_NORMAL.f64 : MIN_NORMAL.f32)), b.fcmp("eq", x, fconstBits(ctx, f64, f64 ? [0, 0] : 0)));
  },
  /** Finite (not infinite, not NaN). */
  finite(ctx: X86Ctx, x: Temp): Temp {
    const b = ctx.b, f64 = x.type === IrType.F64;
    return b.fcmp("lt", b.fun("abs", x), fconstBits(ctx, f64, f64 ? INF.f64 : INF.f32));
  },
  /** Normal, finite, and above the smallest normal (so not tiny after any rounding). */
  normal(ctx: X86Ctx, x: Temp): Temp {
    const b = ctx.b, f64 = x.type === IrType.F64;
    const ax = b.fun("abs", x);
    return b.and(b.fcmp("gt", ax, fconstBits(ctx, f64, f64 ? MIN_NORMAL.f64 : MIN_NORMAL.f32)), b.fcmp("lt", ax, fconstBits(ctx, f64, f64 ? INF.f64 : INF.f32)));
  },
};

/** The same checks on packed temps: lane masks (all ones = true). */
export const packedCheck = {
  noDenorm(ctx: X86Ctx, f64: boolean, x: Temp): Temp {
    const b = ctx.b, t = f64 ? "f64x2" : "f32x4";
    const ge = b.simd(`${t}.ge` as SimdOp, [b.simd(`${t}.abs` as SimdOp, [x]), vsplat(ctx, f64, f64 ? MIN_NORMAL.f64 : MIN_NORMAL.f32)]);
    return b.simd("or", [ge, b.simd(`${t}.eq` as SimdOp, [x, b.vconst(0, 0, 0, 0)])]);
  },
  finite(ctx: X86Ctx, f64: boolean, x: Temp): Temp {
    const b = ctx.b, t = f64 ? "f64x2" : "f32x4";
    return b.simd(`${t}.lt` as SimdOp, [b.simd(`${t}.abs` as SimdOp, [x]), vsplat(ctx, f64, f64 ? INF.f64 : INF.f32)]);
  },
  normal(ctx: X86Ctx, f64: boolean, x: Temp): Temp {
    const b = ctx.b, t = f64 ? "f64x2" : "f32x4";
    const ax = b.simd(`${t}.abs` as SimdOp, [x]);
    return b.simd("and", [b.simd(`${t}.gt` as SimdOp, [ax, vsplat(ctx, f64, f64 ? MIN_NORMAL.f64 : MIN_NORMAL.f32)]),
      b.simd(`${t}.lt` as SimdOp, [ax, vsplat(ctx, f64, f64 ? INF.f64 : INF.f32)])]);
  },
  /** i32: every lane of the mask set (lanes: 4 x 32 or 2 x 64 bits; `low2` checks only the two low 32-bit lanes). */
  all(ctx: X86Ctx, mask: Temp, low2 = false): Temp {
    const b = ctx.b;
    const bits = b.simd("i32x4.bitmask", [mask]);
    return low2 ? b.setcond("eq", b.andi(bits, 3), b.i32(3)) : b.setcond("eq", bits, b.i32(15));
  },
};

/** i32: a sum r is not tiny: zero or at least the smallest normal (F32/F64, or packed lanes). */
export function sumNotTiny(ctx: X86Ctx, r: Temp, packed?: "f32x4" | "f64x2"): Temp {
  const b = ctx.b;
  if (packed) {
    const f64 = packed === "f64x2";
    const ge = b.simd(`${packed}.ge` as SimdOp, [b.simd(`${packed}.abs` as SimdOp, [r]), vsplat(ctx, f64, f64 ? MIN_NORMAL.f64 : MIN_NORMAL.f32)]);
    return packedCheck.all(ctx, b.simd("or", [ge, b.simd(`${packed}.eq` as SimdOp, [r, b.vconst(0, 0, 0, 0)])]));
  }
  const f64 = r.type === IrType.F64;
  return b.or(b.fcmp("ge", b.fun("abs", r), fconstBits(ctx, f64, f64 ? MIN_NORMAL.f64 : MIN_NORMAL.f32)), b.fcmp("eq", r, fconstBits(ctx, f64, f64 ? [0, 0] : 0)));
}

/** i32: a op s (add or sub, F32/F64 scalars or packed lanes) computed in r is exact (TwoSum's error is zero) and not a zero whose sign depends on RC. */
export function sumExact(ctx: X86Ctx, sub: boolean, a: Temp, s: Temp, r: Temp, packed?: "f32x4" | "f64x2"): Temp {
  const b = ctx.b;
  if (packed) {
    const op = (n: string, x: Temp, y: Temp): Temp => b.simd(`${packed}.${n}` as SimdOp, [x, y]);
    const y = sub ? b.simd(`${packed}.neg` as SimdOp, [s]) : s;
    const bb = op("sub", r, a);
    const err = op("add", op("sub", a, op("sub", r, bb)), op("sub", y, bb));
    const zero = b.vconst(0, 0, 0, 0);
    const nonzero = b.simd("or", [b.simd(`${packed}.ne` as SimdOp, [r, zero]), b.simd("i32x4.splat", [b.neg(rcNearest(ctx))])]);
    return packedCheck.all(ctx, b.simd("and", [op("eq", err, zero), nonzero]));
  }
  const y = sub ? b.fun("neg", s) : s;
  const bb = b.fbin("sub", r, a);
  const err = b.fbin("add", b.fbin("sub", a, b.fbin("sub", r, bb)), b.fbin("sub", y, bb));
  const zero = fconstBits(ctx, r.type === IrType.F64, r.type === IrType.F64 ? [0, 0] : 0);
  return b.and(b.fcmp("eq", err, zero), b.or(b.fcmp("ne", r, zero), rcNearest(ctx)));
}

/** i32: MXCSR.RC is round to nearest (an exact zero sum is -0 only when rounding down). */
const rcNearest = (ctx: X86Ctx): Temp => ctx.b.setcond("eq", ctx.b.andi(mxcsrValue(ctx), 0x6000), ctx.b.i32(0));

/**
 * i32: a * s is exact because the significands are short: the low half of each significand is
 * zero (so the product has at most p bits). Integer-valued doubles pass; others take the helper.
 */
export function productExact(ctx: X86Ctx, a: Temp, s: Temp, packed?: "f32x4" | "f64x2"): Temp {
  const b = ctx.b;
  if (packed) {
    const m = packed === "f64x2" ? b.vconst(0x07ffffff, 0, 0x07ffffff, 0) : b.vconst(0xfff, 0xfff, 0xfff, 0xfff);
    const z = (x: Temp): Temp => b.simd("and", [x, m]);
    return b.setcond("eq", b.simd("any_true", [b.simd("or", [z(a), z(s)])]), b.i32(0));
  }
  if (a.type === IrType.F64) {
    const low = (x: Temp): Temp => b.andi(b.fconv("i64_bits_f64", x), 0x07ffffff);
    return b.setcond("eq", b.or(low(a), low(s)), b.i64(0));
  }
  const low = (x: Temp): Temp => b.andi(b.fconv("i32_bits_f32", x), 0xfff);
  return b.setcond("eq", b.or(low(a), low(s)), b.i32(0));
}

/** i32 (scalar) or lane mask (packed): x is zero, normal or... finite and not denormal. */
export function ordinaryFinite(ctx: X86Ctx, x: Temp, packed?: "f32x4" | "f64x2"): Temp {
  const b = ctx.b;
  if (packed) {
    const f64 = packed === "f64x2";
    return b.simd("and", [packedCheck.finite(ctx, f64, x), packedCheck.noDenorm(ctx, f64, x)]);
  }
  return b.and(scalarCheck.finite(ctx, x), scalarCheck.noDenorm(ctx, x));
}

/** AND of i32 booleans. */
export function allOf(ctx: X86Ctx, conds: Temp[]): Temp {
  return conds.reduce((x, y) => ctx.b.and(x, y));
}

/**
 * Emit: if `ok`, run `fast`; otherwise spill `src` (V128, F32/F64 or I32/I64) to VSCRATCH and
 * call the helper for `op`/`kind`/`imm` with destination XMM register `dst`, then `slow`
 * with the helper's result (V128 loaded from VSCRATCH) and its EFLAGS return value; `extra`
 * adds the exactness, FTZ and alternative checks (Extra).
 */
export function guarded(ctx: X86Ctx, ok: Temp, fast: () => void, spill: { src: Temp; dst: number; op: SseOp; kind: Kind; imm?: number },
  slow: (res: () => Temp, eflags: Temp) => void, extra: Extra = {}): void {
  const b = ctx.b;
  const { exact, notTiny, alt } = extra;
  const okL = b.label(), ftzL = b.label(), fastL = b.label(), slowL = b.label(), done = b.label();
  const common = exact || notTiny ? fastMode(ctx, FastMode.COMMON) : null; // at the top level: cached
  if (alt) {
    b.brcond("ne", ok, b.i32(0), okL);
    b.brcond("eq", alt(), b.i32(0), slowL);
    b.br(fastL);
  } else b.brcond("eq", ok, b.i32(0), slowL);
  b.setLabel(okL);
  // RC nearest, PE set, FTZ clear (one cached test): neither check below can fail.
  if (common) b.brcond("ne", common, b.i32(0), fastL);
  if (notTiny) {
    // Under FTZ a tiny (nonzero denormal) result is flushed: the helper's business.
    b.brcond("eq", b.andi(mxcsrValue(ctx), 0x8000), b.i32(0), ftzL);
    b.brcond("eq", notTiny(), b.i32(0), slowL);
  }
  b.setLabel(ftzL);
  if (exact) {
    // `ok` was checked against FastMode.MASKED: unless RC is nearest and PE set, only an exact
    // result may stay here (checked only on that path: the common mode does not pay for it).
    b.brcond("eq", b.andi(mxcsrValue(ctx), 0x6020), b.i32(0x20), fastL);
    b.brcond("eq", exact(), b.i32(0), slowL);
  }
  b.setLabel(fastL);
  fast();
  b.br(done);
  b.setLabel(slowL);
  const ef = callSlow(ctx, spill);
  slow(() => b.ldEnv(IrType.V128, FpuOff.VSCRATCH), ef);
  b.setLabel(done);
}

/** guarded()'s optional checks. */
export interface Extra {
  /** i32 "the fast result is exact": then `ok` need not require PE set (checked only when PE is clear). */
  exact?: () => Temp;
  /** i32 "the result is not tiny", checked only when MXCSR.FTZ is set (results that may be tiny: sums). */
  notTiny?: () => Temp;
  /** A second fast condition tried when `ok` fails (exact results with no flag in any mode: zeros). */
  alt?: () => Temp;
}

/** Spill the source and call the helper (no fast path). */
export function callSlow(ctx: X86Ctx, spill: { src: Temp; dst: number; op: SseOp; kind: Kind; imm?: number }): Temp {
  const b = ctx.b;
  b.stEnv(spill.src, FpuOff.VSCRATCH);
  return b.callValue(sseFpHelper, [b.i32(spill.op | (spill.kind << 8) | ((spill.imm ?? 0) << 16)), b.i32(spill.dst)]);
}
