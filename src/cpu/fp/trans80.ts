/**
 * Values of the x87 transcendental functions for non-NaN operands (x87-trans.ts does the NaN,
 * stack and C2 rules). Special operands follow SDM vol 2 (FSIN ... FYL2XP1). Finite results
 * are computed in double-double (dd.ts, ~106 bits) and rounded to 64 bits by the soft-float
 * unit under FCW.RC, which raises PE/UE/OE and sets C1. As the hardware does, FSIN/FCOS/
 * FSINCOS/FPTAN reduce the argument exactly modulo pi/2 with pi rounded to 66 bits (so, e.g.,
 * FSIN of the double nearest pi gives 1.2246063538e-16, not 1.2246467991e-16). Tiny
 * arguments, where the function is x (1 +- something far below an ulp), round from "just
 * below/above x" exactly.
 */

import { Cls, EMIN, Exc, SoftFloat80, Unp, internals } from "./softfloat80.js";
import { LN2, PI, add, atan2, div, exp2m1, log2, log2p1, mul, mulD, neg, quickTwoSum, trigReduced, type P } from "./dd.js";

export const enum Trans { SIN, COS, SINCOS, TAN, F2XM1, ATAN, YL2X, YL2XP1 }

export interface TransResult { lo: number; hi: number; se: number; lo2: number; hi2: number; se2: number }
const res: TransResult = { lo: 0, hi: 0, se: 0, lo2: 0, hi2: 0, se2: 0 };
const { W } = internals;
const U1 = new Unp(), U2 = new Unp();

/** The significand of u as an exact double-double in [1, 2) (signed); the value is that * 2^u.e. */
function sigDd(u: Unp): P {
  const top = (u.h >>> 0) * 2 ** 21 + Math.floor((u.l >>> 0) / 2048); // 53 bits
  const s = u.s ? -1 : 1;
  return [s * top * 2 ** -52, s * ((u.l >>> 0) % 2048) * 2 ** -63];
}
/** u's value as a double-double (|u.e| < 960). */
const valDd = (u: Unp): P => mulD(sigDd(u), 2 ** u.e);

/** Round d * 2^k to 64 bits into sf's image; PE is always raised (the results are irrational). */
function fromDd(sf: SoftFloat80, d: P, k = 0): void {
  if (d[0] === 0) { sf.zero(Object.is(d[0], -0) ? 1 : 0); sf.exc |= Exc.PE; return; }
  dblToUnp(d[0], U1, k);
  if (d[1] === 0) { U2.c = Cls.ZERO; U2.s = 0; } else dblToUnp(d[1], U2, k);
  sf.addU(U1, U2, false, 64);
  sf.exc |= Exc.PE;
}

const f64 = new Float64Array(1), u32 = new Uint32Array(f64.buffer);
function dblToUnp(x: number, u: Unp, k: number): void {
  f64[0] = x;
  const lo = u32[0]!, hi = u32[1]!;
  let e = (hi >>> 20) & 0x7ff, fh = hi & 0xfffff, fl = lo;
  u.s = hi >>> 31; u.c = Cls.NORM;
  if (e === 0) {
    e = 1;
    while (!(fh & 0x100000)) { fh = (fh << 1) | (fl >>> 31); fl = (fl << 1) >>> 0; e--; }
  } else fh |= 0x100000;
  u.e = e - 1023 + k;
  u.h = ((fh << 11) | (fl >>> 21)) >>> 0;
  u.l = (fl << 11) >>> 0;
}

/** u rounded as if the exact result were u (1 + tiny) (dir = +1) or u (1 - tiny) (dir = -1). */
function nearly(sf: SoftFloat80, u: Unp, dir: number): void {
  internals.load(W, u.h, u.l);
  internals.stk = 0;
  if (dir < 0) { // W - 2^-127 (relative): borrow through the low words
    W[0] = 0xffffffff; W[1] = 0xffffffff; W[2] = (W[2]! - 1) >>> 0;
    if (W[2] === 0xffffffff) W[3] = W[3]! - 1;
    if (!(W[3]! & 0x80000000)) { internals.shl(W, 1); sf.roundPack80(u.s, u.e - 1, 64); sf.exc |= Exc.PE; return; }
  } else internals.stk = 1;
  sf.roundPack80(u.s, u.e, 64);
  sf.exc |= Exc.PE;
}

// pi rounded to 66 bits (the x87's reduction constant): M = 0x3_243F6A88_85A308D3, pi/2 = M * 2^-65
const M2 = 3, M1 = 0x243f6a88, M0 = 0x85a308d3;
/** x = r + q * pi66/2 with |r| <= pi66/4, r exact as a double-double (x finite, |x| < 2^63). */
function reduce(x: Unp): [P, number] {
  const s = x.e + 2; // x / (pi/2) = A * 2^s / M
  if (s < 0) return [valDd(x), 0];
  let r2 = 0, r1 = 0, r0 = 0, q = 0;
  const A1 = x.h >>> 0, A0 = x.l >>> 0;
  for (let i = 63 + s; i >= 0; i--) {
    const bitv = i >= s ? ((i - s >= 32 ? A1 >>> (i - s - 32) : A0 >>> (i - s)) & 1) : 0;
    r2 = ((r2 << 1) | (r1 >>> 31)) >>> 0; r1 = ((r1 << 1) | (r0 >>> 31)) >>> 0; r0 = ((r0 << 1) | bitv) >>> 0;
    q = (q << 1) & 7;
    if (r2 > M2 || (r2 === M2 && (r1 > M1 || (r1 === M1 && r0 >= M0)))) {
      let t = r0 - M0, b = t < 0 ? 1 : 0; r0 = t >>> 0;
      t = r1 - M1 - b; b = t < 0 ? 1 : 0; r1 = t >>> 0;
      r2 = r2 - M2 - b;
      q |= 1;
    }
  }
  // round the quotient to nearest: 2R > M -> R - M
  const twoR2 = r2 * 2 + (r1 >>> 31), twoR1 = ((r1 << 1) | (r0 >>> 31)) >>> 0, twoR0 = (r0 << 1) >>> 0;
  let sign = 1;
  if (twoR2 > M2 || (twoR2 === M2 && (twoR1 > M1 || (twoR1 === M1 && twoR0 > M0)))) {
    let t = M0 - r0, b = t < 0 ? 1 : 0; r0 = t >>> 0;
    t = M1 - r1 - b; b = t < 0 ? 1 : 0; r1 = t >>> 0;
    r2 = M2 - r2 - b;
    sign = -1; q = (q + 1) & 7;
  }
  const r = quickTwoSum((r2 * 4294967296 + r1) * 4294967296, r0);
  const sc = sign * (x.s ? -1 : 1) * 2 ** -65;
  return [[r[0] * sc, r[1] * sc], x.s ? (8 - q) & 7 : q];
}

const ONE: readonly [number, number, number] = [0, 0x80000000 | 0, 0x3fff];

/**
 * Compute op on x (ST(0)) and y (ST(1) for ATAN/YL2X/YL2XP1). The result image goes to sf
 * and res (lo, hi, se; SINCOS: sin in lo/hi/se, cos in lo2/hi2/se2; TAN: tan and 1.0).
 */
export function trans80(sf: SoftFloat80, op: Trans, x: Unp, y: Unp | null): TransResult {
  compute(sf, op === Trans.SINCOS ? Trans.SIN : op, x, y);
  res.lo = sf.lo; res.hi = sf.hi; res.se = sf.se;
  if (op === Trans.TAN) { // 1.0 pushed, or the NaN again for an invalid operand
    const nan = (sf.se & 0x7fff) === 0x7fff && (sf.hi & 0x7fffffff | sf.lo) !== 0;
    res.lo2 = nan ? sf.lo : ONE[0]; res.hi2 = nan ? sf.hi : ONE[1]; res.se2 = nan ? sf.se : ONE[2];
  }
  if (op === Trans.SINCOS) {
    const up = sf.up;
    compute(sf, Trans.COS, x, y);
    res.lo2 = sf.lo; res.hi2 = sf.hi; res.se2 = sf.se;
    sf.up = up | sf.up;
  }
  return res;
}

function compute(sf: SoftFloat80, op: Trans, x: Unp, y: Unp | null): void {
  switch (op) {
    case Trans.SIN: case Trans.TAN: case Trans.COS: {
      if (x.c === Cls.INF) return sf.invalid();
      if (sf.denormal()) return;
      if (op === Trans.COS && (x.c === Cls.ZERO || x.e < -33)) {
        sf.unpack(U1, ONE[0], ONE[1], ONE[2]);
        if (x.c === Cls.ZERO) return sf.copy(U1);
        return nearly(sf, U1, -1);
      }
      if (x.c === Cls.ZERO) return sf.copy(x);
      if (x.e < -33 && op === Trans.TAN) { // the host returns x itself: PE, and UE for a tiny x
        internals.load(W, x.h, x.l); internals.stk = 0;
        sf.roundPack80(x.s, x.e, 64); // exact; a pseudo-denormal comes out canonical
        sf.exc |= Exc.PE | (x.e < EMIN ? Exc.UE : 0); return;
      }
      if (x.e < -33) return nearly(sf, x, -1);
      const [r, q] = reduce(x);
      return fromDd(sf, trigReduced(r, q, op === Trans.SIN ? 0 : op === Trans.COS ? 1 : 2));
    }
    case Trans.F2XM1: {
      if (x.c === Cls.INF) { if (x.s) { sf.unpack(U1, ONE[0], ONE[1], ONE[2] | 0x8000); return sf.copy(U1); } return sf.copy(x); }
      if (sf.denormal()) return;
      if (x.c === Cls.ZERO) return sf.copy(x);
      if (x.e > 0 || (x.e === 0 && ((x.h >>> 0) !== 0x80000000 || x.l !== 0))) { sf.copy(x); sf.exc |= Exc.PE; return; } // outside [-1, 1]: the operand stays (as the host does)
      if (x.e < -900) return fromDd(sf, mul(sigDd(x), LN2), x.e); // 2^x - 1 = x ln 2 (1 + x ln2 / 2): the rest is far below an ulp
      return fromDd(sf, exp2m1(valDd(x)));
    }
    case Trans.ATAN: return atan(sf, x, y!);
    case Trans.YL2X: {
      const yy = y!;
      if (x.s && x.c !== Cls.ZERO) return sf.invalid();
      if (x.c === Cls.ZERO && yy.c === Cls.ZERO) return sf.invalid();
      if (x.c === Cls.INF && yy.c === Cls.ZERO) return sf.invalid();
      const isOne = x.c === Cls.NORM && x.e === 0 && x.h >>> 0 === 0x80000000 && x.l === 0;
      if (isOne && yy.c === Cls.INF) return sf.invalid();
      if (x.c === Cls.ZERO) { sf.exc |= Exc.ZE; return sf.inf(yy.s ^ 1); }
      if (sf.denormal()) return;
      if (x.c === Cls.INF) return sf.inf(yy.s);
      if (isOne) return sf.zero(yy.s);
      if (yy.c === Cls.INF) return sf.inf(yy.s ^ (x.e < 0 ? 1 : 0));
      if (yy.c === Cls.ZERO) return sf.zero(yy.s ^ (x.e < 0 ? 1 : 0));
      const m = sigDd(x);
      return mulY(sf, yy, log2(m, x.e));
    }
    default: { // YL2XP1
      const yy = y!;
      if (x.c === Cls.INF && x.s) return sf.invalid();
      if (x.c === Cls.INF) return yy.c === Cls.ZERO ? sf.invalid() : sf.inf(yy.s);
      if (x.c === Cls.ZERO && yy.c === Cls.INF) return sf.invalid();
      if (sf.denormal()) return;
      if (x.c === Cls.ZERO || yy.c === Cls.ZERO) return sf.zero(yy.s ^ x.s);
      if (yy.c === Cls.INF) return sf.inf(yy.s ^ x.s);
      if (x.s && x.e >= 0) { // x <= -1: outside the domain, the host returns x
        sf.copy(x); sf.exc |= Exc.PE; return;
      }
      if (x.e < -900) return mulY(sf, yy, div(sigDd(x), LN2), x.e); // log2(1 + x) = x / ln 2 (1 - x/2 ...)
      if (x.e < -2) return mulY(sf, yy, log2p1(valDd(x)));
      if (x.e > 100) return mulY(sf, yy, log2(sigDd(x), x.e)); // 1 + x = x (1 + 2^-100...)
      // 1 + x exactly in double-double, then log2 of its significand and exponent
      const t = add([1, 0], valDd(x));
      let e = Math.floor(Math.log2(t[0]));
      let m = mulD(t, 2 ** -e);
      if (m[0] + m[1] >= 2) { m = mulD(m, 0.5); e++; } else if (m[0] + m[1] < 1) { m = mulD(m, 2); e--; }
      return mulY(sf, yy, log2(m, e));
    }
  }
}

function atan(sf: SoftFloat80, x: Unp, y: Unp): void {
  if (sf.denormal()) return;
  const sx = x.s ? -1 : 1, sy = y.s ? -1 : 1;
  if (y.c === Cls.ZERO) {
    if (!x.s) return sf.zero(y.s);
    return fromDd(sf, y.s ? neg(PI) : PI);
  }
  if (x.c === Cls.ZERO || (y.c === Cls.INF && x.c !== Cls.INF)) return fromDd(sf, mulD(PI, sy * 0.5));
  if (y.c === Cls.INF) return fromDd(sf, mulD(PI, sy * (x.s ? 0.75 : 0.25)));
  if (x.c === Cls.INF) return x.s ? fromDd(sf, y.s ? neg(PI) : PI) : sf.zero(y.s);
  const d = y.e - x.e;
  if (d < -200 && !x.s) { sf.divU(y, x, 64); sf.exc |= Exc.PE; return; } // |y/x| tiny: atan = y/x (1 - ...)
  const Y = mulD(sigDd(y), 2 ** Math.max(-300, Math.min(300, d)));
  void sx;
  return fromDd(sf, atan2(Y, sigDd(x)));
}

/** y * d * 2^k rounded to 64 bits (y finite nonzero). */
function mulY(sf: SoftFloat80, y: Unp, d: P, k = 0): void {
  const p = mul(sigDd(y), d);
  fromDd(sf, add(p, [0, 0]), k + y.e);
}
