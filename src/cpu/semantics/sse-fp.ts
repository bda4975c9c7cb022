/**
 * SSE/SSE2/SSE3/SSE4.1 floating-point semantics (SDM vol 2): packed and scalar arithmetic,
 * MIN/MAX, SQRT, compares (CMPccPS/PD/SS/SD, COMISS/UCOMISS/COMISD/UCOMISD), logic, shuffles,
 * horizontal ops, ROUND*, RCP/RSQRT and MOVMSKPS/PD.
 *
 * x86 rules the IR's IEEE ops do not give by themselves, applied here:
 *  - NaN results (SDM vol 1 4.8.3.5, table 4-7): a NaN first source is returned quieted, else
 *    a NaN second source quieted, else an invalid operation gives the default NaN (negative
 *    QNaN, 0xFFC00000 / 0xFFF8000000000000), whatever the host's NaN propagation is.
 *  - MIN/MAX return the second (source) operand when either is NaN or both are zero:
 *    MIN(a, s) = a < s ? a : s, which is Wasm's pmin(s, a).
 * MXCSR exception flags are not updated; arithmetic rounds to nearest (LDMXCSR logs other
 * modes), while ROUND* and the float -> integer conversions (sse-cvt.ts) honour MXCSR.RC.
 */

import { IrType, type Temp } from "../../jit/ir/types.js";
import type { SimdOp } from "../../jit/ir/simd.js";
import { Eflag, storeEflagsCc } from "../flags.js";
import { xmmOff } from "../state-layout.js";
import type { SemanticsTable } from "../translate.js";
import { operand, write, type X86Ctx } from "./context.js";
import { opAt, readF, readV, simdCheck, writeV } from "./sse-common.js";
import { binop } from "./sse-int.js";
import { roundPackedMxcsr, roundScalarMxcsr } from "./sse-cvt.js";

type Fn = (ctx: X86Ctx) => void;
type Kind = "ps" | "pd" | "ss" | "sd";
type Arith = "add" | "sub" | "mul" | "div" | "min" | "max" | "sqrt";

const vt = (k: Kind): "f32x4" | "f64x2" => (k === "ps" || k === "ss" ? "f32x4" : "f64x2");
const isF64 = (k: Kind): boolean => k === "pd" || k === "sd";

/** Quiet bit and default NaN per lane, as V128 word patterns. */
function qnanConsts(ctx: X86Ctx, f64: boolean): { quiet: Temp; def: Temp } {
  const b = ctx.b;
  return f64
    ? { quiet: b.vconst(0, 0x80000, 0, 0x80000), def: b.vconst(0, 0xfff80000 | 0, 0, 0xfff80000 | 0) }
    : { quiet: b.vconst(0x400000, 0x400000, 0x400000, 0x400000), def: b.vconst(-0x400000, -0x400000, -0x400000, -0x400000) };
}

/** Apply the x86 NaN rules to a packed result r of (a op s) (a = null for unary ops). */
export function fixNaNPacked(ctx: X86Ctx, t: "f32x4" | "f64x2", r: Temp, a: Temp | null, s: Temp): Temp {
  const b = ctx.b;
  const { quiet, def } = qnanConsts(ctx, t === "f64x2");
  const ne = `${t}.ne` as SimdOp;
  const isNaN = (v: Temp): Temp => b.simd(ne, [v, v]);
  let res = b.simd("bitselect", [def, r, isNaN(r)]);
  res = b.simd("bitselect", [b.simd("or", [s, quiet]), res, isNaN(s)]);
  if (a) res = b.simd("bitselect", [b.simd("or", [a, quiet]), res, isNaN(a)]);
  return res;
}

/** Apply the x86 NaN rules to a scalar result; returns its bits (i32 or i64). */
export function fixNaNScalar(ctx: X86Ctx, r: Temp, a: Temp | null, s: Temp): Temp {
  const b = ctx.b;
  const f64 = r.type === IrType.F64;
  const bits = (v: Temp): Temp => (f64 ? b.fconv("i64_bits_f64", v) : b.fconv("i32_bits_f32", v));
  const quiet = f64 ? b.i64Parts(0, 0x80000) : b.i32(0x400000);
  const def = f64 ? b.i64Parts(0, 0xfff80000 | 0) : b.i32(0xffc00000 | 0);
  const isNaN = (v: Temp): Temp => b.fcmp("ne", v, v);
  let res = b.select(isNaN(r), def, bits(r));
  res = b.select(isNaN(s), b.or(bits(s), quiet), res);
  if (a) res = b.select(isNaN(a), b.or(bits(a), quiet), res);
  return res;
}

function arith(op: Arith, k: Kind): Fn {
  if (k === "ps" || k === "pd") {
    const t = vt(k);
    return binop((ctx, a, s) => {
      const b = ctx.b;
      if (op === "min") return b.simd(`${t}.pmin` as SimdOp, [s, a]);
      if (op === "max") return b.simd(`${t}.pmax` as SimdOp, [s, a]);
      if (op === "sqrt") return fixNaNPacked(ctx, t, b.simd(`${t}.sqrt` as SimdOp, [s]), null, s);
      return fixNaNPacked(ctx, t, b.simd(`${t}.${op}` as SimdOp, [a, s]), a, s);
    });
  }
  return (ctx) => {
    simdCheck(ctx);
    const b = ctx.b;
    const type = isF64(k) ? IrType.F64 : IrType.F32;
    const d = opAt(ctx, 0);
    if (d.kind !== "xmm") throw new Error("scalar FP destination must be an XMM register");
    const s = readF(ctx, opAt(ctx, 1), type);
    const a = b.ldEnv(type, xmmOff(d.reg));
    let res: Temp;
    if (op === "min") res = b.select(b.fcmp("lt", a, s), a, s);
    else if (op === "max") res = b.select(b.fcmp("gt", a, s), a, s);
    else if (op === "sqrt") res = fixNaNScalar(ctx, b.fun("sqrt", s), null, s);
    else res = fixNaNScalar(ctx, b.fbin(op, a, s), a, s);
    b.stEnv(res, xmmOff(d.reg), type === IrType.F64 ? 8 : 4);
  };
}

/** CMPccPS/PD/SS/SD: predicate imm8[2:0] (EQ LT LE UNORD NEQ NLT NLE ORD). */
function cmp(k: Kind): Fn {
  if (k === "ps" || k === "pd") {
    const t = vt(k);
    return binop((ctx, a, s) => {
      const b = ctx.b;
      const op = (n: string): SimdOp => `${t}.${n}` as SimdOp;
      const pred = (ctx.insn.operands[2]?.kind === "imm" ? (ctx.insn.operands[2] as { lo: number }).lo : 0) & 7;
      const ord = (): Temp => b.simd("and", [b.simd(op("eq"), [a, a]), b.simd(op("eq"), [s, s])]);
      switch (pred) {
        case 0: return b.simd(op("eq"), [a, s]);
        case 1: return b.simd(op("lt"), [a, s]);
        case 2: return b.simd(op("le"), [a, s]);
        case 3: return b.simd("not", [ord()]);
        case 4: return b.simd(op("ne"), [a, s]);
        case 5: return b.simd("not", [b.simd(op("lt"), [a, s])]);
        case 6: return b.simd("not", [b.simd(op("le"), [a, s])]);
        default: return ord();
      }
    });
  }
  return (ctx) => {
    simdCheck(ctx);
    const b = ctx.b;
    const type = isF64(k) ? IrType.F64 : IrType.F32;
    const d = opAt(ctx, 0);
    if (d.kind !== "xmm") throw new Error("CMPSS/CMPSD destination must be an XMM register");
    const s = readF(ctx, opAt(ctx, 1), type);
    const a = b.ldEnv(type, xmmOff(d.reg));
    const imm = ctx.insn.operands[2];
    const pred = (imm?.kind === "imm" ? imm.lo : 0) & 7;
    const ord = (): Temp => b.and(b.fcmp("eq", a, a), b.fcmp("eq", s, s));
    const one = b.i32(1);
    let r: Temp;
    switch (pred) {
      case 0: r = b.fcmp("eq", a, s); break;
      case 1: r = b.fcmp("lt", a, s); break;
      case 2: r = b.fcmp("le", a, s); break;
      case 3: r = b.xor(ord(), one); break;
      case 4: r = b.fcmp("ne", a, s); break;
      case 5: r = b.xor(b.fcmp("lt", a, s), one); break;
      case 6: r = b.xor(b.fcmp("le", a, s), one); break;
      default: r = ord(); break;
    }
    const mask = b.neg(r);
    b.stEnv(type === IrType.F64 ? b.exts(mask) : mask, xmmOff(d.reg), type === IrType.F64 ? 8 : 4);
  };
}

/** COMISS/UCOMISS/COMISD/UCOMISD: ZF PF CF = unordered 111, less 001, equal 100, greater 000. */
function comis(f64: boolean): Fn {
  return (ctx) => {
    simdCheck(ctx);
    const b = ctx.b;
    const type = f64 ? IrType.F64 : IrType.F32;
    const d = opAt(ctx, 0);
    if (d.kind !== "xmm") throw new Error("COMIS destination must be an XMM register");
    const s = readF(ctx, opAt(ctx, 1), type);
    const a = b.ldEnv(type, xmmOff(d.reg));
    const unord = b.or(b.fcmp("ne", a, a), b.fcmp("ne", s, s));
    const f = b.select(unord, b.i32(Eflag.ZF | Eflag.PF | Eflag.CF),
      b.select(b.fcmp("lt", a, s), b.i32(Eflag.CF), b.select(b.fcmp("eq", a, s), b.i32(Eflag.ZF), b.i32(0))));
    storeEflagsCc(b, f);
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
  return binop((ctx, a, s) => {
    const b = ctx.b;
    if (kind === "addsub") {
      const sub = fixNaNPacked(ctx, t, b.simd(`${t}.sub` as SimdOp, [a, s]), a, s);
      const add = fixNaNPacked(ctx, t, b.simd(`${t}.add` as SimdOp, [a, s]), a, s);
      return b.shuffle(sub, add, Array.from({ length: 16 }, (_, i) => (Math.floor(i / w) & 1 ? 16 + i : i)));
    }
    const pick = (odd: number): number[] => {
      const out: number[] = [];
      for (let e = 0; out.length < 16; e++) for (let k = 0; k < w; k++) out.push((2 * e + odd) * w + k);
      return out;
    };
    const ev = b.shuffle(a, s, pick(0)), od = b.shuffle(a, s, pick(1));
    return fixNaNPacked(ctx, t, b.simd(`${t}.${kind === "hadd" ? "add" : "sub"}` as SimdOp, [ev, od]), ev, od);
  });
}

/** RCPPS/RSQRTPS/RCPSS/RSQRTSS: computed exactly (hardware gives a 12-bit approximation). */
function approx(rsqrt: boolean, scalar: boolean): Fn {
  return (ctx) => {
    simdCheck(ctx);
    const b = ctx.b;
    const d = opAt(ctx, 0);
    if (scalar) {
      if (d.kind !== "xmm") throw new Error("RCPSS destination must be an XMM register");
      const s = readF(ctx, opAt(ctx, 1), IrType.F32);
      const one = b.fconv("f32_bits_i32", b.i32(0x3f800000));
      b.stEnv(b.fbin("div", one, rsqrt ? b.fun("sqrt", s) : s), xmmOff(d.reg));
      return;
    }
    const s = readV(ctx, opAt(ctx, 1));
    const one = b.vconst(0x3f800000, 0x3f800000, 0x3f800000, 0x3f800000);
    writeV(ctx, d, b.simd("f32x4.div", [one, rsqrt ? b.simd("f32x4.sqrt", [s]) : s]));
  };
}

/** ROUNDPS/PD/SS/SD: imm8[1:0] nearest/down/up/truncate, or MXCSR.RC when imm8[2]. */
function round(k: Kind): Fn {
  const modes = ["nearest", "floor", "ceil", "trunc"] as const;
  return (ctx) => {
    simdCheck(ctx);
    const b = ctx.b;
    const imm = (ctx.insn.operands[2] as { lo: number }).lo;
    const mode = modes[imm & 3]!;
    const byMxcsr = (imm & 4) !== 0;
    const d = opAt(ctx, 0);
    if (k === "ps" || k === "pd") {
      const v = readV(ctx, opAt(ctx, 1));
      writeV(ctx, d, byMxcsr ? roundPackedMxcsr(ctx, v, k === "pd") : b.simd(`${vt(k)}.${mode}` as SimdOp, [v]));
      return;
    }
    if (d.kind !== "xmm") throw new Error("ROUNDSS destination must be an XMM register");
    const type = isF64(k) ? IrType.F64 : IrType.F32;
    const s = readF(ctx, opAt(ctx, 1), type);
    const r = byMxcsr ? roundScalarMxcsr(ctx, s) : b.fun(mode, s);
    b.stEnv(fixNaNScalar(ctx, r, null, s), xmmOff(d.reg), type === IrType.F64 ? 8 : 4);
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
  COMISS: comis(false), UCOMISS: comis(false), COMISD: comis(true), UCOMISD: comis(true),
  ANDPS: logic("and"), ANDPD: logic("and"), ORPS: logic("or"), ORPD: logic("or"),
  XORPS: logic("xor"), XORPD: logic("xor"), ANDNPS: logic("andnot", true), ANDNPD: logic("andnot", true),
  SHUFPS, SHUFPD,
  HADDPS: horiz(false, "hadd"), HADDPD: horiz(true, "hadd"), HSUBPS: horiz(false, "hsub"), HSUBPD: horiz(true, "hsub"),
  ADDSUBPS: horiz(false, "addsub"), ADDSUBPD: horiz(true, "addsub"),
  RCPPS: approx(false, false), RCPSS: approx(false, true), RSQRTPS: approx(true, false), RSQRTSS: approx(true, true),
  ROUNDPS: round("ps"), ROUNDPD: round("pd"), ROUNDSS: round("ss"), ROUNDSD: round("sd"),
  MOVMSKPS: movmsk("i32x4.bitmask"), MOVMSKPD: movmsk("i64x2.bitmask"),
};
