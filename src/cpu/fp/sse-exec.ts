/**
 * Whole SSE floating-point instructions on the exact arithmetic of sse-ieee.ts: lanes, the
 * operand layouts of each instruction, and the precise-exception rules of packed operations
 * (SDM vol 1 11.5.3): every lane is checked for pre-computation exceptions (IE, DE, ZE)
 * first; if any of them is unmasked, their flags (all lanes) are set and #XM follows without
 * any post-computation flag. Otherwise the results are computed; if an OE/UE/PE is unmasked in
 * any lane, all lanes' flags are set and #XM follows. The destination is written only when no
 * unmasked exception occurred.
 */

import { F32, F64, FpEnv, Mx, binop, compare, convert, fmtOf, fromInt, minmax, roundInt, sqrt, toInt, type BinOp, type Bits, type Rc } from "./sse-ieee.js";

/** Instruction families the slow path executes (SseOp | kind << 8 | imm << 16 in the helper's op word). */
export const enum SseOp {
  ADD, SUB, MUL, DIV, MIN, MAX, SQRT, CMP, COMI, UCOMI, ADDSUB, HADD, HSUB, DP, ROUND,
  /** float <-> float, kind = the destination's: CVTSS2SD (sd), CVTSD2SS (ss), CVTPS2PD (pd), CVTPD2PS (ps). */
  CVT_FF,
  /** int -> float: CVTSI2SS (ss; imm = source bytes), CVTSI2SD (sd), CVTDQ2PS (ps), CVTPI2PS (pd: two lanes, upper kept). */
  CVT_IF,
  /** float -> int: CVT[T]SS2SI / SD2SI (ss/sd; imm bit 0 = 64-bit), CVT[T]PS2DQ/PI (ps; imm bit 1 = two lanes), CVT[T]PD2DQ/PI (pd). */
  CVT_FI, CVTT_FI,
}

export const enum Kind { PS = 0, PD = 1, SS = 2, SD = 3 }

export interface SseResult {
  /** The new MXCSR (flags ORed in). */
  mxcsr: number;
  /** An unmasked exception: raise #XM / #UD, write nothing. */
  fault: boolean;
  /** EFLAGS ZF/PF/CF for COMIS/UCOMIS. */
  eflags: number;
}

const ZF = 0x40, PF = 0x04, CF = 0x01;

/**
 * Execute one instruction: `a` (the destination XMM register, 4 words) op `b` (the source,
 * 4 words); the result goes to `out` (4 words; ignored when fault).
 */
export function sseExec(mxcsr: number, op: SseOp, kind: Kind, imm: number, a: Uint32Array, b: Uint32Array, out: Uint32Array): SseResult {
  const f64 = kind === Kind.PD || kind === Kind.SD;
  const f = fmtOf(f64);
  const scalar = kind === Kind.SS || kind === Kind.SD;
  const lanes = scalar ? 1 : f64 ? 2 : 4;
  const w = f64 ? 2 : 1;
  const get = (v: Uint32Array, i: number): Bits => (f64 ? { lo: v[2 * i]!, hi: v[2 * i + 1]! } : { lo: v[i]!, hi: 0 });
  out.set(a);
  const res: (Bits | null)[] = [];
  const laneFlags: number[] = [];
  let eflags = 0;
  const run = (fn: (env: FpEnv) => Bits | null): void => {
    const env = new FpEnv(mxcsr);
    res.push(fn(env));
    laneFlags.push(env.flags);
  };
  switch (op) {
    case SseOp.ADD: case SseOp.SUB: case SseOp.MUL: case SseOp.DIV: {
      const name = (["add", "sub", "mul", "div"] as const)[op] as BinOp;
      for (let i = 0; i < lanes; i++) run((env) => binop(env, f, name, get(a, i), get(b, i)));
      break;
    }
    case SseOp.MIN: case SseOp.MAX:
      for (let i = 0; i < lanes; i++) run((env) => minmax(env, f, op === SseOp.MAX, get(a, i), get(b, i)));
      break;
    case SseOp.SQRT:
      for (let i = 0; i < lanes; i++) run((env) => sqrt(env, f, get(b, i)));
      break;
    case SseOp.CMP: {
      const pred = imm & 7;
      const signalling = pred === 1 || pred === 2 || pred === 5 || pred === 6;
      for (let i = 0; i < lanes; i++) run((env) => {
        const r = compare(env, f, get(a, i), get(b, i), signalling);
        const t = [r === 1, r === 0, r <= 1, r === 3, r !== 1, r !== 0, r >= 2, r !== 3][pred]!;
        return t ? { lo: 0xffffffff, hi: 0xffffffff } : { lo: 0, hi: 0 };
      });
      break;
    }
    case SseOp.COMI: case SseOp.UCOMI: {
      const env = new FpEnv(mxcsr);
      const r = compare(env, f, get(a, 0), get(b, 0), op === SseOp.COMI);
      eflags = [CF, ZF, 0, ZF | PF | CF][r]!;
      laneFlags.push(env.flags);
      break;
    }
    case SseOp.ADDSUB:
      for (let i = 0; i < lanes; i++) run((env) => binop(env, f, i & 1 ? "add" : "sub", get(a, i), get(b, i)));
      break;
    case SseOp.HADD: case SseOp.HSUB: {
      const name = op === SseOp.HADD ? "add" : "sub";
      const half = lanes / 2;
      for (let i = 0; i < lanes; i++) {
        const src = i < half ? a : b, j = (i % half) * 2;
        run((env) => binop(env, f, name, get(src, j), get(src, j + 1)));
      }
      break;
    }
    case SseOp.DP: {
      // One computation: products of the selected lanes, then sums, each rounded.
      const env = new FpEnv(mxcsr);
      const zero: Bits = { lo: 0, hi: 0 };
      const p: Bits[] = [];
      let ok = true;
      for (let i = 0; i < lanes; i++) {
        const r = (imm >> (4 + i)) & 1 ? binop(env, f, "mul", get(a, i), get(b, i)) : zero;
        if (!r) ok = false;
        p.push(r ?? zero);
      }
      let sum: Bits | null;
      if (lanes === 4) {
        const s1 = binop(env, f, "add", p[0]!, p[1]!), s2 = binop(env, f, "add", p[2]!, p[3]!);
        sum = s1 && s2 ? binop(env, f, "add", s1, s2) : null;
      } else sum = binop(env, f, "add", p[0]!, p[1]!);
      if (!ok) sum = null;
      laneFlags.push(env.flags);
      for (let i = 0; i < lanes; i++) res.push(sum && ((imm >> i) & 1) ? sum : zero);
      if (!sum) res[0] = null;
      break;
    }
    case SseOp.ROUND: {
      const rc = (imm & 4 ? (mxcsr >> Mx.RC_SHIFT) & 3 : imm & 3) as Rc;
      for (let i = 0; i < lanes; i++) run((env) => roundInt(env, f, get(b, i), rc, (imm & 8) !== 0));
      break;
    }
    case SseOp.CVT_FF: {
      const from = fmtOf(!f64), n = scalar ? 1 : 2;
      if (f64) for (let i = 0; i < n; i++) run((env) => convert(env, F32, F64, { lo: b[i]!, hi: 0 }));
      else for (let i = 0; i < n; i++) run((env) => convert(env, from, F32, { lo: b[2 * i]!, hi: b[2 * i + 1]! }));
      if (!scalar && !f64) { out[2] = 0; out[3] = 0; }
      return finish(mxcsr, laneFlags, res, f64 ? 2 : 1, out, 0);
    }
    case SseOp.CVT_IF: {
      if (scalar) run((env) => fromInt(env, f, b[0]!, imm === 8 ? b[1]! | 0 : b[0]! >> 31));
      else for (let i = 0; i < (kind === Kind.PD ? 2 : 4); i++) run((env) => fromInt(env, F32, b[i]!, b[i]! >> 31));
      return finish(mxcsr, laneFlags, res, scalar ? w : 1, out, 0);
    }
    case SseOp.CVT_FI: case SseOp.CVTT_FI: {
      const trunc = op === SseOp.CVTT_FI;
      if (scalar) {
        const size = imm & 1 ? 8 : 4;
        run((env) => { const [lo, hi] = toInt(env, f, get(b, 0), size, trunc); return { lo, hi }; });
        out.fill(0);
        return finish(mxcsr, laneFlags, res, 2, out, 0);
      }
      const n = f64 || imm & 2 ? 2 : 4;
      for (let i = 0; i < n; i++) run((env) => ({ lo: toInt(env, f, get(b, i), 4, trunc)[0], hi: 0 }));
      out.fill(0);
      return finish(mxcsr, laneFlags, res, 1, out, 0);
    }
  }
  return finish(mxcsr, laneFlags, res, w, out, eflags);
}

/** Apply the precise-exception rules and write the lane results (`w` words each) to `out`. */
function finish(mxcsr: number, laneFlags: number[], res: (Bits | null)[], w: number, out: Uint32Array, eflags: number): SseResult {
  const unmasked = (fl: number): number => fl & ~(mxcsr >> 7) & Mx.FLAGS;
  let pre = 0, all = 0;
  for (const fl of laneFlags) { pre |= fl & Mx.PRE; all |= fl; }
  if (unmasked(pre)) return { mxcsr: mxcsr | pre, fault: true, eflags: 0 };
  if (unmasked(all)) return { mxcsr: mxcsr | all, fault: true, eflags: 0 };
  res.forEach((r, i) => {
    if (!r) throw new Error("SSE slow path: missing result without an unmasked exception");
    out[i * w] = r.lo;
    if (w === 2) out[i * w + 1] = r.hi;
  });
  return { mxcsr: mxcsr | all, fault: false, eflags };
}
