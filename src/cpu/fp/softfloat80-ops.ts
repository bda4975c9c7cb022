/**
 * The x87 operations built on the soft-float core (softfloat80.ts): conversions from and to
 * m32/m64 reals, m16/m32/m64 integers and m80 packed BCD, compare, FPREM/FPREM1, FSCALE,
 * FXTRACT. Every function works on `sf` (begin() first) and leaves its result image in
 * sf.lo/hi/se (stores: in the returned words or `out`), exceptions in sf.exc, C1 in sf.up.
 */

import { Cls, EMIN, Exc, SoftFloat80, Unp, internals } from "./softfloat80.js";

const { W } = internals;

/** The 80-bit image of an m32 real (exact; an SNaN stays signalling, a denormal raises DE). */
export function f32ToImage(sf: SoftFloat80, bits: number): void {
  const s = bits >>> 31, e = (bits >>> 23) & 0xff, f = bits & 0x7fffff;
  if (e === 0xff) return sf.setImage(0, 0x80000000 | (f << 8), (s << 15) | 0x7fff);
  if (e === 0) {
    if (f === 0) return sf.zero(s);
    sf.dn = 1;
    const z = Math.clz32(f) - 8; // leading zeros within the 23-bit field + 1
    return sf.setImage(0, (f << (z + 8)) >>> 0, (s << 15) | (16383 - 126 - z));
  }
  sf.setImage(0, 0x80000000 | (f << 8), (s << 15) | (e - 127 + 16383));
}

/** The 80-bit image of an m64 real given as its low and high words. */
export function f64ToImage(sf: SoftFloat80, lo: number, hi: number): void {
  const s = hi >>> 31, e = (hi >>> 20) & 0x7ff;
  let fh = hi & 0xfffff, fl = lo >>> 0;
  if (e === 0x7ff) return sf.setImage(fl << 11, 0x80000000 | (fh << 11) | (fl >>> 21), (s << 15) | 0x7fff);
  let ex = e - 1023;
  if (e === 0) {
    if ((fh | fl) === 0) return sf.zero(s);
    sf.dn = 1;
    ex = -1022;
    while (!(fh & 0x100000)) { fh = (fh << 1) | (fl >>> 31); fl = (fl << 1) >>> 0; ex--; }
  } else fh |= 0x100000;
  sf.setImage(fl << 11, (fh << 11) | (fl >>> 21), (s << 15) | (ex + 16383));
}

/** The image of the integer (-1)^neg * (hi:lo) (magnitude < 2^64), exact. */
export function intToImage(sf: SoftFloat80, neg: number, hi: number, lo: number): void {
  let h = hi >>> 0, l = lo >>> 0;
  if ((h | l) === 0) return sf.zero(0);
  let e = 63;
  if (h === 0) { h = l; l = 0; e -= 32; }
  const z = Math.clz32(h);
  if (z) { h = ((h << z) | (l >>> (32 - z))) >>> 0; l = (l << z) >>> 0; e -= z; }
  sf.setImage(l, h, (neg << 15) | (16383 + e));
}

/** A two's-complement 64-bit integer (hi:lo) as an image. */
export function int64ToImage(sf: SoftFloat80, lo: number, hi: number): void {
  if (hi < 0) {
    const l = (~lo + 1) >>> 0;
    return intToImage(sf, 1, (~hi + (l === 0 ? 1 : 0)) >>> 0, l);
  }
  intToImage(sf, 0, hi, lo);
}

/**
 * Store ST(0) as an m32 (single = true) or m64 real: returns the low word, high word in
 * sf.hi. Unmasked IE/OE/UE leave the caller to suppress the store (see sf.exc).
 */
export function toReal(sf: SoftFloat80, lo: number, hi: number, se: number, single: boolean): number {
  const u = sf.unpack(sf.a, lo, hi, se);
  const s = u.s;
  if (u.c >= Cls.QNAN) {
    if (u.c === Cls.BAD) { sf.exc |= Exc.IE; sf.hi = single ? 0 : 0xfff80000 | 0; return single ? 0xffc00000 | 0 : 0; }
    if (u.c === Cls.SNAN) sf.exc |= Exc.IE;
    const h = u.h >>> 0, l = u.l >>> 0;
    if (single) { sf.hi = 0; return (s << 31) | 0x7fc00000 | ((h >>> 8) & 0x3fffff); }
    sf.hi = (s << 31) | 0x7ff80000 | ((h >>> 11) & 0x7ffff);
    return (h << 21) | (l >>> 11);
  }
  if (u.c === Cls.INF) { sf.hi = single ? 0 : (s << 31) | 0x7ff00000; return single ? (s << 31) | 0x7f800000 : 0; }
  if (u.c === Cls.ZERO) { sf.hi = single ? 0 : s << 31; return single ? s << 31 : 0; }
  internals.load(W, u.h, u.l); internals.stk = 0;
  const emin = single ? -126 : -1022, emax = single ? 127 : 1023;
  sf.roundPack(s, u.e, single ? 24 : 53, emin, emax, false);
  const rh = sf.rh >>> 0, rl = sf.rl >>> 0;
  const normal = (rh & 0x80000000) !== 0;
  if (single) {
    sf.hi = 0;
    if (sf.rinf) return (s << 31) | 0x7f800000;
    return (s << 31) | ((normal ? sf.re + 127 : 0) << 23) | ((rh >>> 8) & 0x7fffff);
  }
  if (sf.rinf) { sf.hi = (s << 31) | 0x7ff00000; return 0; }
  sf.hi = (s << 31) | ((normal ? sf.re + 1023 : 0) << 20) | ((rh >>> 11) & 0xfffff);
  return (rh << 21) | (rl >>> 11);
}

/**
 * FIST/FISTP/FISTTP: ST(0) as a `bits`-bit integer, rounded per RC (or truncated). Returns
 * the low word; the high word in sf.hi. Out of range, NaN, infinity: IE and the integer indefinite.
 */
export function toInt(sf: SoftFloat80, lo: number, hi: number, se: number, bits: number, truncate: boolean): number {
  const u = sf.unpack(sf.a, lo, hi, se);
  const indefinite = (): number => {
    sf.exc = (sf.exc & ~Exc.PE) | Exc.IE; sf.up = 0;
    sf.hi = bits === 64 ? 0x80000000 | 0 : 0;
    return bits === 16 ? 0x8000 : bits === 32 ? 0x80000000 | 0 : 0;
  };
  if (u.c >= Cls.INF) return indefinite();
  if (u.c === Cls.ZERO) { sf.hi = 0; return 0; }
  if (u.e > 63) return indefinite();
  sf.roundInt(u, truncate ? 3 : sf.rc);
  let mh = W[3]!, ml = W[2]!;
  if (u.e === 63) { mh = u.h >>> 0; ml = u.l >>> 0; }
  const limH = bits === 64 ? 0x80000000 : 0, limL = bits === 64 ? 0 : 2 ** (bits - 1);
  const over = mh > limH || (mh === limH && ml > limL) || (mh === limH && ml === limL && !u.s);
  if (over) return indefinite();
  if (u.s) { ml = (~ml + 1) >>> 0; mh = (~mh + (ml === 0 ? 1 : 0)) >>> 0; }
  sf.hi = bits === 64 ? mh | 0 : 0;
  return bits === 16 ? ml & 0xffff : ml | 0;
}

/** FBSTP: ST(0) as 18-digit packed BCD into out[0..9]; out of range: IE and the BCD indefinite. */
export function toBcd(sf: SoftFloat80, lo: number, hi: number, se: number, out: Uint8Array): void {
  const u = sf.unpack(sf.a, lo, hi, se);
  const indefinite = (): void => {
    sf.exc = (sf.exc & ~Exc.PE) | Exc.IE; sf.up = 0;
    out.fill(0, 0, 7); out[7] = 0xc0; out[8] = 0xff; out[9] = 0xff;
  };
  if (u.c >= Cls.INF) return indefinite();
  let mh = 0, ml = 0;
  if (u.c !== Cls.ZERO) {
    if (u.e >= 60) return indefinite();
    sf.roundInt(u, sf.rc);
    mh = W[3]!; ml = W[2]!;
    // 10^18 = 0x0DE0B6B3_A7640000
    if (mh > 0x0de0b6b3 || (mh === 0x0de0b6b3 && ml >= 0xa7640000)) return indefinite();
  }
  for (let i = 0; i < 9; i++) {
    let d = 0;
    for (let k = 0; k < 2; k++) {
      const qh = Math.floor(mh / 10), rh = mh - qh * 10;
      const v = rh * 4294967296 + ml, ql = Math.floor(v / 10);
      d |= (v - ql * 10) << (4 * k);
      mh = qh; ml = ql;
    }
    out[i] = d;
  }
  out[9] = u.s ? 0x80 : 0;
}

/** FBLD: the image of 18-digit packed BCD bytes (exact). */
export function bcdToImage(sf: SoftFloat80, b: Uint8Array): void {
  let H = 0, L = 0;
  for (let d = 17; d >= 0; d--) {
    const byte = b[d >> 1]!, digit = d & 1 ? byte >> 4 : byte & 15;
    if (d >= 9) H = H * 10 + digit; else L = L * 10 + digit;
  }
  const h1 = Math.floor(H / 65536), h0 = H % 65536;
  const low = h0 * 51712 + L, mid = h1 * 51712 + h0 * 15258, high = h1 * 15258;
  const t = low + (mid % 65536) * 65536;
  const lo = t % 4294967296;
  const hi = high + Math.floor(mid / 65536) + Math.floor(t / 4294967296);
  intToImage(sf, b[9]! & 0x80 ? 1 : 0, hi, lo);
  if ((hi | lo) === 0 && b[9]! & 0x80) sf.zero(1);
}

/** Compare a with b: C3 C2 C0 as FSW bits (unordered 0x4500, less 0x100, equal 0x4000, greater 0). */
export function compare(sf: SoftFloat80, a: Unp, b: Unp, unordered: boolean): number {
  if (a.c >= Cls.QNAN || b.c >= Cls.QNAN) {
    if (!unordered || a.c === Cls.SNAN || b.c === Cls.SNAN || a.c === Cls.BAD || b.c === Cls.BAD) sf.exc |= Exc.IE;
    return 0x4500;
  }
  sf.denormal();
  const mag = (u: Unp): number => (u.c === Cls.ZERO ? 0 : u.c === Cls.INF ? 2 : 1);
  const ma = mag(a), mb = mag(b);
  if (ma === 0 && mb === 0) return 0x4000;
  let c: number; // sign of a - b
  if (ma === 0) c = b.s ? 1 : -1;
  else if (mb === 0) c = a.s ? -1 : 1;
  else if (a.s !== b.s) c = a.s ? -1 : 1;
  else {
    let m = 0;
    if (ma !== mb) m = ma > mb ? 1 : -1;
    else if (ma === 1) {
      if (a.e !== b.e) m = a.e > b.e ? 1 : -1;
      else if (a.h !== b.h) m = a.h >>> 0 > b.h >>> 0 ? 1 : -1;
      else if (a.l !== b.l) m = a.l >>> 0 > b.l >>> 0 ? 1 : -1;
    }
    c = a.s ? -m : m;
  }
  return c === 0 ? 0x4000 : c < 0 ? 0x100 : 0;
}

/**
 * FPREM (round = false: truncated quotient) / FPREM1 (round = true: nearest-even quotient) of
 * ST(0) by ST(1). Returns the condition codes as FSW bits: C2 = incomplete reduction, else
 * C0 C3 C1 = quotient bits 2 1 0. The result is exact.
 */
export function prem(sf: SoftFloat80, a: Unp, b: Unp, round: boolean): number {
  if (sf.nanRule(a, b)) { return 0; }
  if (a.c === Cls.INF || b.c === Cls.ZERO) { sf.invalid(); return 0; }
  if (sf.denormal()) return -1;
  if (a.c === Cls.ZERO) { sf.copy(a); return 0; }
  if (b.c === Cls.INF) { internals.load(W, a.h, a.l); internals.stk = 0; sf.roundPack80(a.s, a.e, 64); return 0; } // a, canonical
  let d = a.e - b.e;
  let partial = false;
  let be = b.e;
  if (d >= 64) { partial = true; const n = 32 + (d & 31); be = a.e - n; d = n; }
  // remainder R (65 bits: RR[1]:RR[0] plus the carry in `top`) and quotient low bits q
  let rh = a.h >>> 0, rl = a.l >>> 0, top = 0, q = 0;
  const dh = b.h >>> 0, dl = b.l >>> 0;
  let s = a.s;
  if (d >= 0) {
    for (let i = 0; i <= d; i++) {
      q = (q << 1) & 0xff;
      if (top || rh > dh || (rh === dh && rl >= dl)) {
        const nl = rl - dl, borrow = nl < 0 ? 1 : 0;
        rl = nl >>> 0; rh = (rh - dh - borrow) >>> 0; top = 0; q |= 1;
      }
      if (i < d) { top = rh >>> 31; rh = ((rh << 1) | (rl >>> 31)) >>> 0; rl = (rl << 1) >>> 0; }
    }
  }
  let e = be; // remainder value: (rh:rl) * 2^(e - 63)
  if (d < 0) e = a.e;
  if (round && !partial) {
    // compare 2R with D (R < D): R with exponent e against D with exponent b.e
    let c: number;
    if (d < -1) c = -1;
    else if (d === -1) c = rh !== dh ? (rh > dh ? 1 : -1) : rl !== dl ? (rl > dl ? 1 : -1) : 0; // 2R = R*2^(a.e+1) vs D*2^(b.e)
    else {
      const th = ((rh << 1) | (rl >>> 31)) >>> 0, tl = (rl << 1) >>> 0, tt = rh >>> 31;
      c = tt ? 1 : th !== dh ? (th > dh ? 1 : -1) : tl !== dl ? (tl > dl ? 1 : -1) : 0;
    }
    if (c > 0 || (c === 0 && q & 1)) {
      let xh = dh, xl = dl;
      if (d < 0) { xh = ((dh << 1) | (dl >>> 31)) >>> 0; xl = (dl << 1) >>> 0; e = b.e - 1; } else e = b.e; // 2D - A in the a.e frame
      const nl = xl - rl, borrow = nl < 0 ? 1 : 0;
      rl = nl >>> 0; rh = (xh - rh - borrow) >>> 0;
      s ^= 1;
      q = d < 0 ? 1 : (q + 1) & 0xff;
    }
  }
  if ((rh | rl) === 0) sf.zero(a.s);
  else {
    internals.load(W, rh, rl); internals.stk = 0;
    const z = internals.clz128(W);
    internals.shl(W, z);
    sf.roundPack80(s, e - z, 64);
  }
  if (partial) return 0x400;
  return (q & 4 ? 0x100 : 0) | (q & 2 ? 0x4000 : 0) | (q & 1 ? 0x200 : 0);
}

/** FSCALE: a * 2^trunc(b), rounded to 64 bits. */
export function scale(sf: SoftFloat80, a: Unp, b: Unp): void {
  if (sf.nanRule(a, b)) { return; }
  if (b.c === Cls.INF && (b.s === 0 ? a.c === Cls.ZERO : a.c === Cls.INF)) return sf.invalid();
  if (sf.denormal()) return;
  if (b.c === Cls.INF) return b.s === 0 ? sf.inf(a.s) : sf.zero(a.s);
  if (a.c === Cls.ZERO || a.c === Cls.INF) return sf.copy(a);
  let n = 0;
  if (b.c !== Cls.ZERO && b.e >= 0) n = b.e > 20 ? 1 << 21 : Math.floor((b.h >>> 0) / 2 ** (31 - b.e));
  if (b.s) n = -n;
  internals.load(W, a.h, a.l); internals.stk = 0;
  sf.roundPack80(a.s, a.e + n, 64);
}

/** FXTRACT: the exponent (into sf image) and the significand (into `sig`, [lo, hi, se]); returns false for a decided NaN/invalid. */
export function xtract(sf: SoftFloat80, a: Unp, sig: Int32Array): boolean {
  if (sf.nanRule(a, null)) { sig[0] = sf.lo; sig[1] = sf.hi; sig[2] = sf.se; return false; }
  if (sf.denormal()) return false;
  if (a.c === Cls.ZERO) { sf.exc |= Exc.ZE; sig[0] = 0; sig[1] = 0; sig[2] = a.s << 15; sf.inf(1); return true; }
  if (a.c === Cls.INF) { sig[0] = 0; sig[1] = 0x80000000 | 0; sig[2] = (a.s << 15) | 0x7fff; sf.inf(0); return true; }
  sig[0] = a.l; sig[1] = a.h; sig[2] = (a.s << 15) | 16383;
  const e = a.e;
  intToImage(sf, e < 0 ? 1 : 0, 0, Math.abs(e));
  return true;
}

export { EMIN };
