/**
 * Values of the x87 transcendental functions for finite, non-NaN operands (x87-trans.ts does
 * the NaN and stack rules). Special operands follow SDM vol 2 (FSIN ... FYL2XP1 tables).
 * Results are computed in double-double (dd.ts) and rounded to 64 bits by the soft-float
 * unit under FCW.RC, which raises PE/UE/OE and sets C1. Tiny arguments, where the function
 * is x (1 +- something far below an ulp), are rounded from "just below/above x" exactly.
 */

import { Cls, Exc, SoftFloat80, Unp, internals } from "./softfloat80.js";
import { ddAtan2, ddCos, ddExp2m1, ddLog2, ddLog2p1, ddSin, ddTan, type Dd } from "./dd.js";

export const enum Trans { SIN, COS, SINCOS, TAN, F2XM1, ATAN, YL2X, YL2XP1 }

export interface TransResult { lo: number; hi: number; se: number; lo2: number; hi2: number; se2: number }
const res: TransResult = { lo: 0, hi: 0, se: 0, lo2: 0, hi2: 0, se2: 0 };
const { W } = internals;

const U1 = new Unp(), U2 = new Unp();
const DD: Dd = { hi: 0, lo: 0 };

/** x (unpacked, finite nonzero) as an unscaled double-double: x = (d.hi + d.lo) * 2^(returned k). */
function toDd(u: Unp, d: Dd, maxExp = 900): number {
  const k = u.e > maxExp || u.e < -maxExp ? u.e : 0;
  const s = u.s ? -1 : 1;
  const top = (u.h >>> 0) * 2 ** 21 + Math.floor((u.l >>> 0) / 2048); // 53 bits
  const rest = (u.l >>> 0) % 2048;
  d.hi = s * top * 2 ** (u.e - k - 52);
  d.lo = s * rest * 2 ** (u.e - k - 63);
  return k;
}

/** Round (d.hi + d.lo) * 2^k to 64 bits into sf's image; PE is always raised (an irrational result). */
function fromDd(sf: SoftFloat80, d: Dd, k: number): void {
  if (d.hi === 0) { sf.zero(Object.is(d.hi, -0) ? 1 : 0); return; }
  dblToUnp(d.hi, U1, k);
  if (d.lo === 0) { U2.c = Cls.ZERO; U2.s = 0; } else dblToUnp(d.lo, U2, k);
  sf.addU(U1, U2, false, 64);
  sf.exc |= Exc.PE;
}

const f64 = new Float64Array(1), u32 = new Uint32Array(f64.buffer);
function dblToUnp(x: number, u: Unp, k: number): void {
  f64[0] = x;
  const lo = u32[0]!, hi = u32[1]!;
  let e = (hi >>> 20) & 0x7ff, fh = hi & 0xfffff, fl = lo;
  u.s = hi >>> 31; u.c = Cls.NORM;
  if (e === 0) { // double denormal: normalize
    e = 1;
    while (!(fh & 0x100000)) { fh = (fh << 1) | (fl >>> 31); fl = (fl << 1) >>> 0; e--; }
  } else fh |= 0x100000;
  u.e = e - 1023 + k;
  u.h = ((fh << 11) | (fl >>> 21)) >>> 0;
  u.l = (fl << 11) >>> 0;
}

/** x rounded as if the exact result were x (1 + tiny) (dir = +1) or x (1 - tiny) (dir = -1). */
function nearly(sf: SoftFloat80, u: Unp, dir: number): void {
  internals.load(W, u.h, u.l);
  internals.stk = 0;
  if (dir < 0) { // W - 2^-64 ulp: borrow through the low words
    W[0] = 0xffffffff; W[1] = 0xffffffff; W[2] = (W[2]! - 1) >>> 0;
    if (W[2] === 0xffffffff) W[3] = W[3]! - 1;
    if (!(W[3]! & 0x80000000)) { internals.shl(W, 1); sf.roundPack80(u.s, u.e - 1, 64); return; }
  } else internals.stk = 1;
  sf.roundPack80(u.s, u.e, 64);
}

const ONE: readonly [number, number, number] = [0, 0x80000000 | 0, 0x3fff];

/**
 * Compute op on x (ST(0)) and y (ST(1) for ATAN/YL2X/YL2XP1). The result image goes to sf
 * and res (lo, hi, se; SINCOS: sin in lo/hi/se, cos in lo2/hi2/se2; TAN: tan and 1.0).
 */
export function trans80(sf: SoftFloat80, op: Trans, x: Unp, y: Unp | null): TransResult {
  compute(sf, op, x, y);
  res.lo = sf.lo; res.hi = sf.hi; res.se = sf.se;
  if (op === Trans.TAN) { res.lo2 = ONE[0]; res.hi2 = ONE[1]; res.se2 = ONE[2]; }
  if (op === Trans.SINCOS) {
    const s = { lo: sf.lo, hi: sf.hi, se: sf.se }, up = sf.up;
    compute(sf, Trans.COS, x, y);
    res.lo2 = sf.lo; res.hi2 = sf.hi; res.se2 = sf.se;
    res.lo = s.lo; res.hi = s.hi; res.se = s.se;
    sf.up = up | sf.up;
  }
  return res;
}

function compute(sf: SoftFloat80, op: Trans, x: Unp, y: Unp | null): void {
  switch (op) {
    case Trans.SIN: case Trans.SINCOS: case Trans.TAN: {
      if (x.c === Cls.INF) return sf.invalid();
      if (x.c === Cls.ZERO) return sf.copy(x);
      if (x.e < -33) return nearly(sf, x, op === Trans.TAN ? 1 : -1);
      toDd(x, DD);
      if (op === Trans.TAN) ddTan(DD); else ddSin(DD);
      return fromDd(sf, DD, 0);
    }
    case Trans.COS: {
      if (x.c === Cls.INF) return sf.invalid();
      if (x.c === Cls.ZERO || x.e < -33) {
        sf.unpack(U1, ONE[0], ONE[1], ONE[2]);
        if (x.c === Cls.ZERO) return sf.copy(U1);
        return nearly(sf, U1, -1);
      }
      toDd(x, DD);
      ddCos(DD);
      return fromDd(sf, DD, 0);
    }
    case Trans.F2XM1: {
      if (x.c === Cls.ZERO) return sf.copy(x);
      if (x.c === Cls.INF) { if (x.s) { sf.unpack(U1, ONE[0], ONE[1], ONE[2] | 0x8000); return sf.copy(U1); } return sf.copy(x); }
      const k = toDd(x, DD, 1000);
      if (k) { DD.hi *= Math.LN2; DD.lo = 0; return fromDd(sf, DD, k); }
      ddExp2m1(DD);
      return fromDd(sf, DD, 0);
    }
    case Trans.ATAN: {
      const yy = y!;
      // atan2(y, x): zeros and infinities give exact multiples of pi/4 (rounded) or signed zeros
      const dx = special(x), dy = special(yy);
      if (dx !== null && dy !== null) { const r = Math.atan2(dy, dx); if (r === 0) return sf.zero(yy.s); DD.hi = r; DD.lo = atanLo(r); return fromDd(sf, DD, 0); }
      if (dy !== null && dy === 0) { if (!x.s) return sf.zero(yy.s); DD.hi = Math.PI; DD.lo = PI_LO; if (yy.s) { DD.hi = -DD.hi; DD.lo = -DD.lo; } return fromDd(sf, DD, 0); }
      // both finite nonzero: atan2 depends on the ratio, so bring them to comparable scales
      const X: Dd = { hi: 0, lo: 0 }, Y: Dd = { hi: 0, lo: 0 };
      const diff = toDd(yy, Y, 0) - toDd(x, X, 0);
      if (diff < -1000) {
        if (!x.s) { sf.divU(yy, x, 64); sf.exc |= Exc.PE; return; } // |y/x| tiny: atan = y/x
        Y.hi *= 2 ** -1000; Y.lo = 0;
      } else if (diff > 1000) { X.hi *= 2 ** -1000; X.lo = 0; }
      else { Y.hi *= 2 ** diff; Y.lo *= 2 ** diff; }
      ddAtan2(Y, X, DD);
      return fromDd(sf, DD, 0);
    }
    case Trans.YL2X: {
      const yy = y!;
      if (x.s && x.c !== Cls.ZERO) return sf.invalid();
      if (x.c === Cls.ZERO) {
        if (yy.c === Cls.ZERO) return sf.invalid();
        sf.exc |= Exc.ZE; return sf.inf(yy.s ^ 1);
      }
      if (x.c === Cls.INF) { if (yy.c === Cls.ZERO) return sf.invalid(); return sf.inf(yy.s); }
      const isOne = x.e === 0 && x.h === (0x80000000 | 0) && x.l === 0;
      if (isOne) { if (yy.c === Cls.INF) return sf.invalid(); return sf.zero(yy.s ^ (sf.rc === 1 ? 0 : 0)); }
      if (yy.c === Cls.INF) { const neg = x.e < 0; return sf.inf(yy.s ^ (neg ? 1 : 0)); }
      if (yy.c === Cls.ZERO) return sf.zero(yy.s ^ (x.e < 0 ? 1 : 0));
      // log2 x = e + log2(sig): exact exponent plus the log of [1, 2)
      const sig: Unp = { ...x, e: 0, s: 0 } as Unp;
      toDd(sig, DD);
      ddLog2(DD, x.e);
      return mulY(sf, yy, DD);
    }
    default: { // YL2XP1
      const yy = y!;
      if (x.c === Cls.INF || (x.s && x.e >= 0)) return sf.invalid();
      if (x.c === Cls.ZERO) { if (yy.c === Cls.INF) return sf.invalid(); return sf.zero(yy.s ^ x.s); }
      if (yy.c === Cls.ZERO) return sf.zero(yy.s ^ x.s);
      if (yy.c === Cls.INF) return sf.inf(yy.s ^ x.s);
      const k = toDd(x, DD, 1000);
      if (k) { DD.hi *= Math.LOG2E; DD.lo = 0; return mulY(sf, yy, DD, k); }
      ddLog2p1(DD);
      return mulY(sf, yy, DD);
    }
  }
}

const PI_LO = 1.2246467991473532e-16;
/** The low word of the double-double of atan2 results that are multiples of pi/4. */
function atanLo(r: number): number { return (r / Math.PI) * PI_LO; }
function special(u: Unp): number | null {
  if (u.c === Cls.ZERO) return u.s ? -0 : 0;
  if (u.c === Cls.INF) return u.s ? -Infinity : Infinity;
  return null;
}

/** y * d * 2^k rounded to 64 bits (y finite nonzero). */
function mulY(sf: SoftFloat80, y: Unp, d: Dd, k = 0): void {
  const Y: Dd = { hi: 0, lo: 0 };
  const ky = toDd(y, Y, 0);
  // (Y.hi + Y.lo) * (d.hi + d.lo)
  const p = twoProd(Y.hi, d.hi);
  const lo = p.lo + Y.hi * d.lo + Y.lo * d.hi;
  const s = p.hi + lo;
  DD.hi = s; DD.lo = lo - (s - p.hi);
  fromDd(sf, DD, k + ky);
}

const TP: Dd = { hi: 0, lo: 0 };
function twoProd(a: number, b: number): Dd {
  const p = a * b;
  const sp = 134217729;
  const ca = sp * a, ah = ca - (ca - a), al = a - ah;
  const cb = sp * b, bh = cb - (cb - b), bl = b - bh;
  TP.hi = p; TP.lo = ah * bh - p + ah * bl + al * bh + al * bl;
  return TP;
}
