/**
 * SSE/SSE2/SSE3/SSE4.1 floating-point semantics (SDM vol 2): packed and scalar arithmetic,
 * MIN/MAX, SQRT, compares (CMPccPS/PD/SS/SD, COMISS/UCOMISS/COMISD/UCOMISD), logic, shuffles,
 * horizontal ops, DPPS/DPPD, ROUND*, RCP/RSQRT and MOVMSKPS/PD.
 *
 * Every FP instruction honours MXCSR exactly (rounding control, FTZ, DAZ, the six flags,
 * unmasked exceptions): the Wasm float ops compute the common case and a cheap check sends
 * everything else to the exact helper (sse-guard.ts, src/cpu/fp/sse-exec.ts). On the fast
 * path no operand or result is a NaN, so x86's NaN rules (SDM vol 1 4.8.3.5: first source
 * quieted, else second, else the default NaN) and MIN/MAX's "second operand when unordered or
 * both zero" (MIN(a, s) = a < s ? a : s, Wasm's pmin(s, a)) are the helper's business.
 * RCP/RSQRT: see approx() below.
 */

import { IrType, type Temp } from "../../jit/ir/types.js";
import type { SimdOp } from "../../jit/ir/simd.js";
import { Eflag, storeEflagsCc } from "../flags.js";
import { xmmOff } from "../state-layout.js";
import type { SemanticsTable } from "../translate.js";
import { operand, write, type X86Ctx } from "./context.js";
import { immOf, opAt, readF, readV, simdCheck, writeV } from "./sse-common.js";
import { binop } from "./sse-int.js";
import { roundPackedMxcsr, roundScalarMxcsr } from "./sse-cvt.js";
import { FastMode, allOf, callSlow, fconstBits, fastMode, guarded, mxcsrValue, ordinaryFinite, packedCheck, productExact, scalarCheck, sumExact, sumNotTiny } from "./sse-guard.js";
import { Kind as SseKind, SseOp } from "../fp/sse-exec.js";
import { FpuOff } from "../fpu-state.js";

type Fn = (ctx: X86Ctx) => void;
type Kind = "ps" | "pd" | "ss" | "sd";
type Arith = "add" | "sub" | "mul" | "div" | "min" | "max" | "sqrt";

const vt = (k: Kind): "f32x4" | "f64x2" => (k === "ps" || k === "ss" ? "f32x4" : "f64x2");
const isF64 = (k: Kind): boolean => k === "pd" || k === "sd";

const KIND: Record<Kind, SseKind> = { ps: SseKind.PS, pd: SseKind.PD, ss: SseKind.SS, sd: SseKind.SD };
const ARITH_OP: Record<Arith, SseOp> = {
  add: SseOp.ADD, sub: SseOp.SUB, mul: SseOp.MUL, div: SseOp.DIV, min: SseOp.MIN, max: SseOp.MAX, sqrt: SseOp.SQRT,
};

/** The fast-path condition of an arithmetic result r = a op s (see sse-guard.ts). */
function arithOk(ctx: X86Ctx, op: Arith, f64: boolean, packed: boolean, a: Temp, s: Temp, r: Temp): Temp {
  const b = ctx.b;
  if (!packed) {
    const c = scalarCheck;
    switch (op) {
      case "min": case "max": return allOf(ctx, [fastMode(ctx, FastMode.NO_ROUND), c.noDenorm(ctx, a), c.noDenorm(ctx, s)]);
      // A normal or +inf operand (zero, negative, denormal, NaN: helper).
      case "sqrt": return b.and(fastMode(ctx, FastMode.MASKED), c.minAbsNormal(ctx, [s], false, true));
      // A sum is exact when tiny: finite results raise nothing but PE (already set).
      case "add": case "sub": return allOf(ctx, [fastMode(ctx, FastMode.MASKED), c.finite(ctx, r), c.minAbsNormal(ctx, [a, s])]);
      case "mul": return allOf(ctx, [fastMode(ctx, FastMode.MASKED), c.finite(ctx, r), c.minAbsNormal(ctx, [a, s, r], true)]);
      default: return allOf(ctx, [fastMode(ctx, FastMode.MASKED), c.finite(ctx, r), c.minAbsNormal(ctx, [a, s, r], true)]);
    }
  }
  const c = packedCheck, t = f64 ? "f64x2" : "f32x4";
  const and = (...m: Temp[]): Temp => m.reduce((x, y) => b.simd("and", [x, y]));
  let m: Temp;
  let mode = FastMode.ROUNDED;
  switch (op) {
    case "min": case "max": m = and(c.noDenorm(ctx, f64, a), c.noDenorm(ctx, f64, s)); mode = FastMode.NO_ROUND; break;
    case "sqrt": m = and(c.noDenorm(ctx, f64, s), b.simd(`${t}.ge` as SimdOp, [s, b.vconst(0, 0, 0, 0)])); mode = FastMode.MASKED; break;
    case "add": case "sub": m = and(c.finite(ctx, f64, r), c.noDenorm(ctx, f64, a), c.noDenorm(ctx, f64, s)); mode = FastMode.MASKED; break;
    case "mul": m = and(c.normal(ctx, f64, r), c.noDenorm(ctx, f64, a), c.noDenorm(ctx, f64, s)); mode = FastMode.MASKED; break;
    default: m = and(c.normal(ctx, f64, r), c.noDenorm(ctx, f64, a), c.noDenorm(ctx, f64, s)); mode = FastMode.MASKED; break;
  }
  return b.and(fastMode(ctx, mode), c.all(ctx, m));
}

function arith(op: Arith, k: Kind): Fn {
  return (ctx) => {
    simdCheck(ctx);
    const b = ctx.b;
    const d = opAt(ctx, 0);
    if (d.kind !== "xmm") throw new Error("SSE FP destination must be an XMM register");
    const spill = (src: Temp) => ({ src, dst: d.reg, op: ARITH_OP[op], kind: KIND[k] });
    // With PE clear, results proved exact also stay in Wasm (sse-guard.ts): a quotient q or a root
    // r is exact when q * s or r * r (short significands: computed exactly) gives the operand back.
    // Zero operands give exact zeros or the other operand, with no flag in any mode: a second
    // fast condition, tried only when the first fails (x + 0, 0 * x, 0 / x, sqrt(±0)).
    const zerosOf = (a: Temp, s: Temp, r: Temp, t?: "f32x4" | "f64x2"): (() => Temp) | undefined => {
      const isZero = (x: Temp): Temp => (t ? b.simd(`${t}.eq` as SimdOp, [x, b.vconst(0, 0, 0, 0)]) : b.fcmp("eq", x, fconstBits(ctx, isF64(k), isF64(k) ? [0, 0] : 0)));
      const and = (...m: Temp[]): Temp => m.reduce((x, y) => (t ? b.simd("and", [x, y]) : b.and(x, y)));
      const or = (x: Temp, y: Temp): Temp => (t ? b.simd("or", [x, y]) : b.or(x, y));
      const ord = (x: Temp): Temp => ordinaryFinite(ctx, x, t);
      let zero: () => Temp;
      switch (op) {
        case "add": case "sub": if (t) return undefined; // packed sums already admit zeros
          return () => and(fastMode(ctx, FastMode.NEAREST, false), or(isZero(a), isZero(s)), ord(a), ord(s));
        case "mul": zero = () => and(or(isZero(a), isZero(s)), ord(a), ord(s)); break;
        case "div": zero = () => and(isZero(a), ord(s), t ? b.simd("not", [isZero(s)]) : b.setcond("eq", isZero(s), b.i32(0))); break;
        case "sqrt": if (t) return undefined; return () => isZero(s);
        default: return undefined;
      }
      if (!t) return zero;
      // Packed: each lane either passes the main check (PE set) or is a zero case.
      return () => {
        const f64 = t === "f64x2";
        const main = and(packedCheck.normal(ctx, f64, r), packedCheck.noDenorm(ctx, f64, a), packedCheck.noDenorm(ctx, f64, s));
        return b.and(fastMode(ctx, FastMode.ROUNDED, false), packedCheck.all(ctx, or(main, zero())));
      };
    };
    const exactOf = (a: Temp, s: Temp, r: Temp, t?: "f32x4" | "f64x2"): (() => Temp) | undefined => {
      const backTo = (x: Temp, y: Temp, want: Temp) => (): Temp => (t
        ? b.and(productExact(ctx, x, y, t), packedCheck.all(ctx, b.simd(`${t}.eq` as SimdOp, [b.simd(`${t}.mul` as SimdOp, [x, y]), want])))
        : b.and(productExact(ctx, x, y), b.fcmp("eq", b.fbin("mul", x, y), want)));
      switch (op) {
        case "add": case "sub": return () => sumExact(ctx, op === "sub", a, s, r, t);
        case "mul": return () => productExact(ctx, a, s, t);
        case "div": return backTo(r, s, a);
        case "sqrt": return backTo(r, r, s);
        default: return undefined;
      }
    };
    if (k === "ps" || k === "pd") {
      const t = vt(k);
      const s = readV(ctx, opAt(ctx, 1));
      const a = readV(ctx, d);
      let r: Temp;
      if (op === "min") r = b.simd(`${t}.pmin` as SimdOp, [s, a]);
      else if (op === "max") r = b.simd(`${t}.pmax` as SimdOp, [s, a]);
      else if (op === "sqrt") r = b.simd(`${t}.sqrt` as SimdOp, [s]);
      else r = b.simd(`${t}.${op}` as SimdOp, [a, s]);
      guarded(ctx, arithOk(ctx, op, k === "pd", true, a, s, r), () => writeV(ctx, d, r), spill(s), (res) => writeV(ctx, d, res()), {
        exact: exactOf(a, s, r, t), notTiny: op === "add" || op === "sub" ? () => sumNotTiny(ctx, r, t) : undefined, alt: zerosOf(a, s, r, t),
      });
      return;
    }
    const type = isF64(k) ? IrType.F64 : IrType.F32;
    const s = readF(ctx, opAt(ctx, 1), type);
    const a = b.ldEnv(type, xmmOff(d.reg));
    let r: Temp;
    if (op === "min") r = b.select(b.fcmp("lt", a, s), a, s);
    else if (op === "max") r = b.select(b.fcmp("gt", a, s), a, s);
    else if (op === "sqrt") r = b.fun("sqrt", s);
    else r = b.fbin(op, a, s);
    guarded(ctx, arithOk(ctx, op, isF64(k), false, a, s, r), () => b.stEnv(r, xmmOff(d.reg)), spill(s),
      (res) => b.stEnv(res(), xmmOff(d.reg)), {
        exact: exactOf(a, s, r), notTiny: op === "add" || op === "sub" ? () => sumNotTiny(ctx, r) : undefined, alt: zerosOf(a, s, r),
      });
  };
}

/** CMPccPS/PD/SS/SD: predicate imm8[2:0] (EQ LT LE UNORD NEQ NLT NLE ORD). */
function cmp(k: Kind): Fn {
  return (ctx) => {
    simdCheck(ctx);
    const b = ctx.b;
    const d = opAt(ctx, 0);
    if (d.kind !== "xmm") throw new Error("CMPxx destination must be an XMM register");
    const pred = immOf(ctx, 2) & 7;
    const spill = (src: Temp) => ({ src, dst: d.reg, op: SseOp.CMP, kind: KIND[k], imm: pred });
    if (k === "ps" || k === "pd") {
      const t = vt(k), f64 = k === "pd";
      const s = readV(ctx, opAt(ctx, 1));
      const a = readV(ctx, d);
      const op = (n: string): SimdOp => `${t}.${n}` as SimdOp;
      // With no NaN operand (the fast path's condition) the unordered predicates reduce to constants.
      let r: Temp;
      switch (pred) {
        case 0: r = b.simd(op("eq"), [a, s]); break;
        case 1: r = b.simd(op("lt"), [a, s]); break;
        case 2: r = b.simd(op("le"), [a, s]); break;
        case 3: r = b.vconst(0, 0, 0, 0); break;
        case 4: r = b.simd(op("ne"), [a, s]); break;
        case 5: r = b.simd(op("ge"), [a, s]); break;
        case 6: r = b.simd(op("gt"), [a, s]); break;
        default: r = b.vconst(-1, -1, -1, -1); break;
      }
      const ok = b.and(fastMode(ctx, FastMode.NO_ROUND),
        packedCheck.all(ctx, b.simd("and", [packedCheck.noDenorm(ctx, f64, a), packedCheck.noDenorm(ctx, f64, s)])));
      guarded(ctx, ok, () => writeV(ctx, d, r), spill(s), (res) => writeV(ctx, d, res()));
      return;
    }
    const type = isF64(k) ? IrType.F64 : IrType.F32;
    const s = readF(ctx, opAt(ctx, 1), type);
    const a = b.ldEnv(type, xmmOff(d.reg));
    const r = [b.fcmp("eq", a, s), b.fcmp("lt", a, s), b.fcmp("le", a, s), b.i32(0), b.fcmp("ne", a, s),
      b.fcmp("ge", a, s), b.fcmp("gt", a, s), b.i32(1)][pred]!;
    const mask = b.neg(r);
    const ok = allOf(ctx, [fastMode(ctx, FastMode.NO_ROUND), scalarCheck.noDenorm(ctx, a), scalarCheck.noDenorm(ctx, s)]);
    guarded(ctx, ok, () => b.stEnv(type === IrType.F64 ? b.exts(mask) : mask, xmmOff(d.reg), type === IrType.F64 ? 8 : 4),
      spill(s), (res) => b.stEnv(res(), xmmOff(d.reg)));
  };
}

/** COMISS/UCOMISS/COMISD/UCOMISD: ZF PF CF = unordered 111, less 001, equal 100, greater 000. */
function comis(f64: boolean, signalling: boolean): Fn {
  return (ctx) => {
    simdCheck(ctx);
    const b = ctx.b;
    const type = f64 ? IrType.F64 : IrType.F32;
    const d = opAt(ctx, 0);
    if (d.kind !== "xmm") throw new Error("COMIS destination must be an XMM register");
    const s = readF(ctx, opAt(ctx, 1), type);
    const a = b.ldEnv(type, xmmOff(d.reg));
    const f = b.select(b.fcmp("lt", a, s), b.i32(Eflag.CF), b.select(b.fcmp("eq", a, s), b.i32(Eflag.ZF), b.i32(0)));
    const ok = allOf(ctx, [fastMode(ctx, FastMode.NO_ROUND), scalarCheck.noDenorm(ctx, a), scalarCheck.noDenorm(ctx, s)]);
    guarded(ctx, ok, () => storeEflagsCc(b, f), { src: s, dst: d.reg, op: signalling ? SseOp.COMI : SseOp.UCOMI, kind: f64 ? SseKind.SD : SseKind.SS },
      (_res, ef) => storeEflagsCc(b, ef));
    ctx.ccOp = 0;
  };
}

const logic = (op: SimdOp, swap = false): Fn => binop((ctx, a, s) => ctx.b.simd(op, swap ? [s, a] : [a, s]));

function SHUFPS(ctx: X86Ctx): void {
  const imm = (ctx.insn.operands[2] as { lo: number }).lo;
  binop((c, a, s) => {
    const sel = (k: number, base: number): number[] => [0, 1, 2, 3].map((j) => base + ((imm >> (2 * k)) & 3) * 4 + j);
    return c.b.shuffle(a, s, [...sel(0, 0), ...sel(1, 0), ...sel(2, 16), ...sel(3, 16)]);
  })(ctx);
}

function SHUFPD(ctx: X86Ctx): void {
  const imm = (ctx.insn.operands[2] as { lo: number }).lo;
  binop((c, a, s) => {
    const q = (bit: number, base: number): number[] => Array.from({ length: 8 }, (_, j) => base + ((imm >> bit) & 1) * 8 + j);
    return c.b.shuffle(a, s, [...q(0, 0), ...q(1, 16)]);
  })(ctx);
}

/** HADD/HSUB (evens op odds over a:s) and ADDSUB (even lanes subtract, odd lanes add). */
function horiz(f64: boolean, kind: "hadd" | "hsub" | "addsub"): Fn {
  const t = f64 ? "f64x2" : "f32x4";
  const w = f64 ? 8 : 4;
  const op = kind === "hadd" ? SseOp.HADD : kind === "hsub" ? SseOp.HSUB : SseOp.ADDSUB;
  return (ctx) => {
    simdCheck(ctx);
    const b = ctx.b;
    const d = opAt(ctx, 0);
    if (d.kind !== "xmm") throw new Error("SSE FP destination must be an XMM register");
    const s = readV(ctx, opAt(ctx, 1));
    const a = readV(ctx, d);
    const c = packedCheck;
    const and = (...m: Temp[]): Temp => m.reduce((x, y) => b.simd("and", [x, y]));
    let r: Temp, m: Temp;
    if (kind === "addsub") {
      const sub = b.simd(`${t}.sub` as SimdOp, [a, s]), add = b.simd(`${t}.add` as SimdOp, [a, s]);
      r = b.shuffle(sub, add, Array.from({ length: 16 }, (_, i) => (Math.floor(i / w) & 1 ? 16 + i : i)));
      m = and(c.finite(ctx, f64, r), c.noDenorm(ctx, f64, a), c.noDenorm(ctx, f64, s));
    } else {
      const pick = (odd: number): number[] => {
        const out: number[] = [];
        for (let e = 0; out.length < 16; e++) for (let k = 0; k < w; k++) out.push((2 * e + odd) * w + k);
        return out;
      };
      const ev = b.shuffle(a, s, pick(0)), od = b.shuffle(a, s, pick(1));
      r = b.simd(`${t}.${kind === "hadd" ? "add" : "sub"}` as SimdOp, [ev, od]);
      m = and(c.finite(ctx, f64, r), c.noDenorm(ctx, f64, a), c.noDenorm(ctx, f64, s));
    }
    guarded(ctx, b.and(fastMode(ctx, FastMode.ROUNDED), c.all(ctx, m)), () => writeV(ctx, d, r),
      { src: s, dst: d.reg, op, kind: f64 ? SseKind.PD : SseKind.PS }, (res) => writeV(ctx, d, res()), { notTiny: () => sumNotTiny(ctx, r, t) });
  };
}

/** DPPS/DPPD: always exact in the helper (products and sums rounded in turn, all flags). */
function dp(f64: boolean): Fn {
  return (ctx) => {
    simdCheck(ctx);
    const d = opAt(ctx, 0);
    if (d.kind !== "xmm") throw new Error("DPPS destination must be an XMM register");
    callSlow(ctx, { src: readV(ctx, opAt(ctx, 1)), dst: d.reg, op: SseOp.DP, kind: f64 ? SseKind.PD : SseKind.PS, imm: immOf(ctx, 2) });
    writeV(ctx, d, ctx.b.ldEnv(IrType.V128, FpuOff.VSCRATCH));
  };
}

/**
 * RCPPS/RSQRTPS/RCPSS/RSQRTSS. The hardware's 12-bit approximations (relative error at most
 * 1.5 * 2^-12, SDM vol 2) are vendor-specific tables; these compute the exactly rounded value,
 * which is within that bound. What is architectural is kept: MXCSR is neither read nor written
 * (no flags, no RC/FTZ/DAZ), denormal operands count as zeros of their sign (so give ±inf,
 * RSQRT of a negative denormal too), denormal results are flushed to zeros of their sign, a
 * NaN operand is returned quieted and a negative RSQRT operand gives the default NaN.
 */
function approx(rsqrt: boolean, scalar: boolean): Fn {
  return (ctx) => {
    simdCheck(ctx);
    const b = ctx.b;
    const d = opAt(ctx, 0);
    if (d.kind !== "xmm") throw new Error("RCPxx destination must be an XMM register");
    const src = scalar ? b.simd("f32x4.splat", [readF(ctx, opAt(ctx, 1), IrType.F32)]) : readV(ctx, opAt(ctx, 1));
    const splat = (v: number): Temp => b.vconst(v, v, v, v);
    const sign = splat(0x80000000 | 0), minNormal = splat(0x00800000);
    const flush = (v: Temp): Temp => b.simd("bitselect", [b.simd("and", [v, sign]), v, b.simd("f32x4.lt", [b.simd("f32x4.abs", [v]), minNormal])]);
    const x = flush(src);
    let r = flush(b.simd("f32x4.div", [splat(0x3f800000), rsqrt ? b.simd("f32x4.sqrt", [x]) : x]));
    r = b.simd("bitselect", [splat(0xffc00000 | 0), r, b.simd("f32x4.ne", [r, r])]);
    r = b.simd("bitselect", [b.simd("or", [src, splat(0x400000)]), r, b.simd("f32x4.ne", [src, src])]);
    if (scalar) b.stEnv(b.simd("f32x4.extract_lane", [r], 0), xmmOff(d.reg));
    else writeV(ctx, d, r);
  };
}

/**
 * ROUNDPS/PD/SS/SD: imm8[1:0] nearest/down/up/truncate, or MXCSR.RC when imm8[2]; imm8[3]
 * suppresses PE. Fast path: no NaN or denormal operand, and the result exact, or PE cannot
 * change (suppressed, or already set and masked).
 */
function round(k: Kind): Fn {
  const modes = ["nearest", "floor", "ceil", "trunc"] as const;
  return (ctx) => {
    simdCheck(ctx);
    const b = ctx.b;
    const imm = immOf(ctx, 2) & 15;
    const mode = modes[imm & 3]!;
    const byMxcsr = (imm & 4) !== 0;
    const d = opAt(ctx, 0);
    if (d.kind !== "xmm") throw new Error("ROUNDxx destination must be an XMM register");
    const f64 = isF64(k);
    const peOk = (): Temp => (imm & 8 ? b.i32(1) : b.setcond("eq", b.andi(mxcsrValue(ctx), 0x1020), b.i32(0x1020)));
    const spill = (src: Temp) => ({ src, dst: d.reg, op: SseOp.ROUND, kind: KIND[k], imm });
    if (k === "ps" || k === "pd") {
      const t = vt(k);
      const v = readV(ctx, opAt(ctx, 1));
      const r = byMxcsr ? roundPackedMxcsr(ctx, v, f64) : b.simd(`${t}.${mode}` as SimdOp, [v]);
      const exact = packedCheck.all(ctx, b.simd(`${t}.eq` as SimdOp, [r, v]));
      const ok = allOf(ctx, [fastMode(ctx, FastMode.NO_ROUND), packedCheck.all(ctx, packedCheck.noDenorm(ctx, f64, v)), b.or(exact, peOk())]);
      guarded(ctx, ok, () => writeV(ctx, d, r), spill(v), (res) => writeV(ctx, d, res()));
      return;
    }
    const type = f64 ? IrType.F64 : IrType.F32;
    const s = readF(ctx, opAt(ctx, 1), type);
    const r = byMxcsr ? roundScalarMxcsr(ctx, s) : b.fun(mode, s);
    const ok = allOf(ctx, [fastMode(ctx, FastMode.NO_ROUND), scalarCheck.noDenorm(ctx, s), b.or(b.fcmp("eq", r, s), peOk())]);
    guarded(ctx, ok, () => b.stEnv(r, xmmOff(d.reg)), spill(s), (res) => b.stEnv(res(), xmmOff(d.reg)));
  };
}

function movmsk(op: SimdOp): Fn {
  return (ctx) => {
    simdCheck(ctx);
    const b = ctx.b;
    const m = b.simd(op, [readV(ctx, opAt(ctx, 1))]);
    write(ctx, operand(ctx, 0), b.extu(m));
  };
}

const ARITH: Arith[] = ["add", "sub", "mul", "div", "min", "max", "sqrt"];
const KINDS: Kind[] = ["ps", "pd", "ss", "sd"];
const arithTable: SemanticsTable = {};
for (const op of ARITH) for (const k of KINDS) (arithTable as Record<string, Fn>)[`${op.toUpperCase()}${k.toUpperCase()}`] = arith(op, k);

export const sseFpSemantics: SemanticsTable = {
  ...arithTable,
  CMPPS: cmp("ps"), CMPPD: cmp("pd"), CMPSS: cmp("ss"), CMPSD: cmp("sd"),
  COMISS: comis(false, true), UCOMISS: comis(false, false), COMISD: comis(true, true), UCOMISD: comis(true, false),
  DPPS: dp(false), DPPD: dp(true),
  ANDPS: logic("and"), ANDPD: logic("and"), ORPS: logic("or"), ORPD: logic("or"),
  XORPS: logic("xor"), XORPD: logic("xor"), ANDNPS: logic("andnot", true), ANDNPD: logic("andnot", true),
  SHUFPS, SHUFPD,
  HADDPS: horiz(false, "hadd"), HADDPD: horiz(true, "hadd"), HSUBPS: horiz(false, "hsub"), HSUBPD: horiz(true, "hsub"),
  ADDSUBPS: horiz(false, "addsub"), ADDSUBPD: horiz(true, "addsub"),
  RCPPS: approx(false, false), RCPSS: approx(false, true), RSQRTPS: approx(true, false), RSQRTSS: approx(true, true),
  ROUNDPS: round("ps"), ROUNDPD: round("pd"), ROUNDSS: round("ss"), ROUNDSD: round("sd"),
  MOVMSKPS: movmsk("i32x4.bitmask"), MOVMSKPD: movmsk("i64x2.bitmask"),
};
