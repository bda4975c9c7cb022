/**
 * Exact IEEE 754 binary32/binary64 arithmetic under an MXCSR (SDM vol 1 4.8, 4.9, 10.2.3,
 * 11.5): rounding control, flush-to-zero, denormals-are-zero, the six exception flags, x86's
 * NaN rules (table 4-7) and masked responses (tables 4-10 .. 4-11). This is the slow path of
 * the SSE instructions (sse-exec.ts); generated code handles the common case itself.
 *
 * Values travel as their bit patterns: a binary32 in `lo` (hi = 0), a binary64 as two 32-bit
 * words. Results are computed in double arithmetic with error-free transformations: the
 * rounded result of every operation is derived from a double `hi` that is the exact result
 * rounded to nearest (or the exact result) plus the sign of the remainder (`tail`), scaled by
 * 2^scale so no intermediate under- or overflows. Tininess is detected after rounding, as
 * x86 does.
 */

/** MXCSR bits. */
export const enum Mx {
  IE = 1, DE = 2, ZE = 4, OE = 8, UE = 16, PE = 32, DAZ = 0x40, IM = 0x80, DM = 0x100, ZM = 0x200,
  OM = 0x400, UM = 0x800, PM = 0x1000, RC_SHIFT = 13, FTZ = 0x8000, FLAGS = 0x3f, PRE = IE | DE | ZE,
}

/** Rounding control: nearest-even, toward -inf, toward +inf, toward zero. */
export const enum Rc { NEAREST = 0, DOWN = 1, UP = 2, ZERO = 3 }

/** A floating-point bit pattern: binary32 in lo (hi unused) or binary64 as lo/hi words. */
export interface Bits { lo: number; hi: number }

/** Format parameters: precision p, minimum normal exponent, maximum exponent. */
interface Fmt { readonly f64: boolean; readonly p: number; readonly emin: number; readonly emax: number }
export const F32: Fmt = { f64: false, p: 24, emin: -126, emax: 127 };
export const F64: Fmt = { f64: true, p: 53, emin: -1022, emax: 1023 };
export const fmtOf = (f64: boolean): Fmt => (f64 ? F64 : F32);

/** The state an operation runs under: MXCSR controls, and the flags it raises (MXCSR bits 0..5). */
export class FpEnv {
  flags = 0;
  constructor(public mxcsr: number) {}
  get rc(): Rc { return (this.mxcsr >> Mx.RC_SHIFT) & 3; }
  get daz(): boolean { return (this.mxcsr & Mx.DAZ) !== 0; }
  get ftz(): boolean { return (this.mxcsr & Mx.FTZ) !== 0; }
  /** Is exception `flag` (IE .. PE) masked? */
  masked(flag: number): boolean { return (this.mxcsr & (flag << 7)) !== 0; }
}

const dv = new DataView(new ArrayBuffer(8));

/** Decoded operand: kind, sign, finite/infinite value (NaN for NaNs), and the raw bits. */
export interface Val { readonly nan: 0 | 1 | 2; readonly v: number; readonly denormal: boolean; readonly bits: Bits }

/** Decode bits (the NaN kind: 0 none, 1 quiet, 2 signalling). */
export function decode(f: Fmt, bits: Bits): Val {
  if (f.f64) {
    dv.setUint32(0, bits.lo, true); dv.setUint32(4, bits.hi, true);
    const exp = (bits.hi >>> 20) & 0x7ff, manHi = bits.hi & 0xfffff;
    const nan = exp === 0x7ff && (manHi | bits.lo) !== 0 ? (manHi & 0x80000 ? 1 : 2) : 0;
    return { nan, v: dv.getFloat64(0, true), denormal: exp === 0 && (manHi | bits.lo) !== 0, bits };
  }
  const exp = (bits.lo >>> 23) & 0xff, man = bits.lo & 0x7fffff;
  dv.setUint32(0, bits.lo, true);
  const nan = exp === 0xff && man !== 0 ? (man & 0x400000 ? 1 : 2) : 0;
  return { nan, v: dv.getFloat32(0, true), denormal: exp === 0 && man !== 0, bits };
}

/** Bits of a double that is exactly representable in the format. */
export function encode(f: Fmt, x: number): Bits {
  if (f.f64) { dv.setFloat64(0, x, true); return { lo: dv.getUint32(0, true), hi: dv.getUint32(4, true) }; }
  dv.setFloat32(0, x, true);
  return { lo: dv.getUint32(0, true), hi: 0 };
}

export const defaultNaN = (f: Fmt): Bits => (f.f64 ? { lo: 0, hi: 0xfff80000 } : { lo: 0xffc00000, hi: 0 });
export const quiet = (f: Fmt, b: Bits): Bits => (f.f64 ? { lo: b.lo, hi: (b.hi | 0x80000) >>> 0 } : { lo: (b.lo | 0x400000) >>> 0, hi: 0 });

/** Apply DAZ and report DE for a non-NaN operand; returns its value. */
export function operandValue(env: FpEnv, x: Val): number {
  if (!x.denormal) return x.v;
  if (env.daz) return x.v < 0 ? -0 : 0;
  env.flags |= Mx.DE;
  return x.v;
}

/** An operand's value after DAZ, without flags. */
const dazValue = (env: FpEnv, x: Val): number => (x.denormal && env.daz ? (x.v < 0 ? -0 : 0) : x.v);

/** Does x op y raise IE or ZE (which mask DE)? */
function invalidOrZero(op: BinOp, x: number, y: number): boolean {
  const inf = (v: number): boolean => !isFinite(v);
  switch (op) {
    case "add": return inf(x) && inf(y) && x !== y;
    case "sub": return inf(x) && inf(y) && x === y;
    case "mul": return (inf(x) && y === 0) || (inf(y) && x === 0);
    default: return y === 0 || (inf(x) && inf(y));
  }
}

/** 2^k as a double (k in -1074 .. 1023). */
function pow2(k: number): number {
  if (k < -1022) return pow2(k + 64) * 5.421010862427522e-20; // * 2^-64, exact
  dv.setUint32(0, 0, true); dv.setUint32(4, ((k + 1023) << 20) >>> 0, true);
  return dv.getFloat64(0, true);
}

/** x * 2^k exactly (k any integer) for x whose result stays representable. */
export function scalb(x: number, k: number): number {
  while (k > 1000) { x *= pow2(1000); k -= 1000; }
  while (k < -1000) { x *= pow2(-1000); k += 1000; }
  return x * pow2(k);
}

/** |x| = m * 2^e with m in [1, 2) (x finite, nonzero). */
export function frexp(x: number): { m: number; e: number } {
  let a = Math.abs(x), adj = 0;
  if (a < 2.2250738585072014e-308) { a *= 18446744073709551616; adj = -64; }
  dv.setFloat64(0, a, true);
  const hi = dv.getUint32(4, true);
  const e = ((hi >>> 20) & 0x7ff) - 1023;
  dv.setUint32(4, ((hi & 0x800fffff) | (1023 << 20)) >>> 0, true);
  return { m: dv.getFloat64(0, true), e: e + adj };
}

/** Dekker/Veltkamp exact product: a*b = p + err (no over/underflow assumed). */
export function twoProduct(a: number, b: number): [number, number] {
  const p = a * b;
  const split = (x: number): [number, number] => { const c = 134217729 * x; const h = c - (c - x); return [h, x - h]; };
  const [ah, al] = split(a), [bh, bl] = split(b);
  return [p, ((ah * bh - p) + ah * bl + al * bh) + al * bl];
}

/** Knuth's TwoSum: a+b = s + err exactly (s finite). */
export function twoSum(a: number, b: number): [number, number] {
  const s = a + b, bb = s - a;
  return [s, (a - (s - bb)) + (b - bb)];
}

/**
 * Round the exact nonzero value sign * (x + tail) * 2^scale to the format under the env:
 * x > 0 is a double, tail's sign says which side of x the exact value lies (0: exactly x),
 * |tail| < ulp(x)/2. Sets OE/UE/PE; returns the bits, or null when an unmasked OE/UE means
 * the destination is not written.
 */
export function roundPack(env: FpEnv, f: Fmt, neg: boolean, x: number, tail: number, scale: number): Bits | null {
  const { m, e } = frexp(x);
  let E = e + scale;
  if (m === 1 && tail < 0) E -= 1; // just below a power of two: the lower binade's quantum
  const qe = Math.max(E, f.emin) - (f.p - 1);
  const gap = scale + e - qe; // x * 2^scale / 2^qe = m * 2^gap
  const n = gap < -4 ? 2 ** -6 : scalb(m, gap);
  const inexact = n !== Math.floor(n) || tail !== 0;
  const rc = env.rc;
  const away = rc === Rc.NEAREST ? -1 : (rc === Rc.UP) !== neg && rc !== Rc.ZERO ? 1 : 0;
  const roundInt = (v: number): number => {
    const fl = Math.floor(v), fr = v - fl;
    if (away === 1) return fr > 0 || tail > 0 ? fl + 1 : fl;
    if (away === 0) return fr === 0 && tail < 0 ? fl - 1 : fl;
    if (fr > 0.5 || (fr === 0.5 && tail > 0)) return fl + 1;
    if (fr < 0.5 || tail < 0) return fl;
    return fl % 2 === 0 ? fl : fl + 1;
  };
  const mr = roundInt(n);
  let tiny = false;
  if (E < f.emin) {
    tiny = true;
    if (E === f.emin - 1) tiny = roundInt(scalb(m, scale + e - (E - (f.p - 1)))) < 2 ** f.p;
  }
  const sgn = neg ? -1 : 1;
  // Overflow: the rounded result reaches 2^(emax+1).
  if (E > f.emax || (E === f.emax && mr >= 2 ** f.p)) {
    env.flags |= Mx.OE | Mx.PE;
    if (!env.masked(Mx.OE)) return null;
    const big = away === 0 ? scalb(2 - 2 ** (1 - f.p), f.emax) : Infinity;
    return encode(f, sgn * big);
  }
  if (tiny) {
    if (!env.masked(Mx.UE)) {
      env.flags |= Mx.UE | (inexact ? Mx.PE : 0);
      return null;
    }
    if (env.ftz) { env.flags |= Mx.UE | Mx.PE; return encode(f, neg ? -0 : 0); }
    if (inexact) env.flags |= Mx.UE | Mx.PE;
  } else if (inexact) env.flags |= Mx.PE;
  return encode(f, sgn * scalb(mr, qe));
}

/** Zero result with the sign x86 gives an exact zero sum (negative only when rounding down). */
const zeroSum = (env: FpEnv): number => (env.rc === Rc.DOWN ? -0 : 0);

/** The x86 NaN rule for two operands (first NaN source quieted, else the second). */
function nanResult2(env: FpEnv, f: Fmt, a: Val, b: Val): Bits | undefined {
  if (!a.nan && !b.nan) return undefined;
  if (a.nan === 2 || b.nan === 2) env.flags |= Mx.IE;
  return quiet(f, a.nan ? a.bits : b.bits);
}

const invalid = (env: FpEnv, f: Fmt): Bits => { env.flags |= Mx.IE; return defaultNaN(f); };

export type BinOp = "add" | "sub" | "mul" | "div";

/** a op b; null when an unmasked post-computation exception suppresses the result. */
export function binop(env: FpEnv, f: Fmt, op: BinOp, ab: Bits, bb: Bits): Bits | null {
  const a = decode(f, ab), b = decode(f, bb);
  const n = nanResult2(env, f, a, b);
  if (n) return n;
  // IE and ZE take precedence over DE (SDM vol 1 11.5.2 priorities): values first, DE after.
  const x = dazValue(env, a);
  let y = dazValue(env, b);
  const de = (a.denormal || b.denormal) && !env.daz;
  if (de && !invalidOrZero(op, x, y)) env.flags |= Mx.DE;
  if (op === "sub") { op = "add"; y = -y; }
  if (op === "add") {
    if (!isFinite(x) || !isFinite(y)) {
      if (!isFinite(x) && !isFinite(y) && x !== y) return invalid(env, f);
      return encode(f, isFinite(x) ? y : x);
    }
    if (x === 0 && y === 0) return encode(f, Object.is(x, y) ? x : zeroSum(env));
    let s = x + y, scale = 0, err: number;
    if (!isFinite(s)) { [s, err] = twoSum(x / 2, y / 2); scale = 1; } else [s, err] = twoSum(x, y);
    if (s === 0) return encode(f, zeroSum(env));
    return roundPack(env, f, s < 0, Math.abs(s), s < 0 ? -err : err, scale);
  }
  const neg = (x < 0 || Object.is(x, -0)) !== (y < 0 || Object.is(y, -0));
  if (op === "mul") {
    if (!isFinite(x) || !isFinite(y)) return x === 0 || y === 0 ? invalid(env, f) : encode(f, neg ? -Infinity : Infinity);
    if (x === 0 || y === 0) return encode(f, neg ? -0 : 0);
    const fx = frexp(x), fy = frexp(y);
    const [p, err] = twoProduct(fx.m, fy.m);
    return roundPack(env, f, neg, p, err, fx.e + fy.e);
  }
  // div
  if (!isFinite(x)) return !isFinite(y) ? invalid(env, f) : encode(f, neg ? -Infinity : Infinity);
  if (!isFinite(y)) return encode(f, neg ? -0 : 0);
  if (y === 0) {
    if (x === 0) return invalid(env, f);
    env.flags |= Mx.ZE;
    return encode(f, neg ? -Infinity : Infinity);
  }
  if (x === 0) return encode(f, neg ? -0 : 0);
  const fx = frexp(x), fy = frexp(y);
  const q = fx.m / fy.m;
  const [ph, pl] = twoProduct(q, fy.m);
  const r = (fx.m - ph) - pl;
  return roundPack(env, f, neg, q, r, fx.e - fy.e);
}

export function sqrt(env: FpEnv, f: Fmt, ab: Bits): Bits | null {
  const a = decode(f, ab);
  if (a.nan) {
    if (a.nan === 2) env.flags |= Mx.IE;
    return quiet(f, ab);
  }
  const x = dazValue(env, a);
  if (x < 0) return invalid(env, f);
  if (a.denormal && !env.daz) env.flags |= Mx.DE;
  if (x === 0 || x === Infinity) return encode(f, x);
  let { m, e } = frexp(x);
  if (e & 1) { m *= 2; e -= 1; }
  const s = Math.sqrt(m);
  const [ph, pl] = twoProduct(s, s);
  return roundPack(env, f, false, s, (m - ph) - pl, e / 2);
}

/** MINxx / MAXxx: the second operand when either is NaN (IE even for QNaN) or both are zero. */
export function minmax(env: FpEnv, f: Fmt, max: boolean, ab: Bits, bb: Bits): Bits {
  const a = decode(f, ab), b = decode(f, bb);
  if (a.nan || b.nan) { env.flags |= Mx.IE; return b.denormal && env.daz ? encode(f, dazValue(env, b)) : bb; }
  const x = operandValue(env, a), y = operandValue(env, b);
  const pickA = max ? x > y : x < y;
  if (pickA) return a.denormal && env.daz ? encode(f, x) : ab;
  return b.denormal && env.daz ? encode(f, y) : bb;
}

/**
 * Compare: returns 0 less, 1 equal, 2 greater, 3 unordered. IE for SNaN operands, and for QNaN
 * ones too when `signalling`.
 */
export function compare(env: FpEnv, f: Fmt, ab: Bits, bb: Bits, signalling: boolean): number {
  const a = decode(f, ab), b = decode(f, bb);
  if (a.nan || b.nan) {
    if (signalling || a.nan === 2 || b.nan === 2) env.flags |= Mx.IE;
    return 3;
  }
  const x = operandValue(env, a), y = operandValue(env, b);
  return x < y ? 0 : x === y ? 1 : 2;
}

/** Float -> float conversion (CVTSS2SD / CVTSD2SS and packed forms). */
export function convert(env: FpEnv, from: Fmt, to: Fmt, ab: Bits): Bits | null {
  const a = decode(from, ab);
  if (a.nan) {
    if (a.nan === 2) env.flags |= Mx.IE;
    const q = quiet(from, ab);
    // The payload's top bits move: binary32 mantissa <-> the top 23 bits of binary64's.
    if (from.f64 === to.f64) return q;
    if (to.f64) return { lo: (q.lo << 29) >>> 0, hi: ((q.lo & 0x80000000) | 0x7ff00000 | ((q.lo & 0x7fffff) >>> 3)) >>> 0 };
    return { lo: ((q.hi & 0x80000000) | 0x7f800000 | ((q.hi & 0xfffff) << 3) | (q.lo >>> 29)) >>> 0, hi: 0 };
  }
  const x = operandValue(env, a);
  if (x === 0 || !isFinite(x)) return encode(to, x);
  return roundPack(env, to, x < 0, Math.abs(x), 0, 0);
}

/** Integer (given as the exact value hi * 2^32 + lo, lo unsigned) -> float. */
export function fromInt(env: FpEnv, to: Fmt, lo: number, hi: number): Bits | null {
  if (lo === 0 && hi === 0) return encode(to, 0);
  const [s, err] = twoSum(hi * 4294967296, lo >>> 0);
  return roundPack(env, to, s < 0, Math.abs(s), s < 0 ? -err : err, 0);
}

/** Round to an integral value under a rounding mode (sign of zero kept). */
export function roundIntegral(x: number, rc: Rc): number {
  if (!isFinite(x) || x === 0) return x;
  let r: number;
  switch (rc) {
    case Rc.DOWN: r = Math.floor(x); break;
    case Rc.UP: r = Math.ceil(x); break;
    case Rc.ZERO: r = Math.trunc(x); break;
    default: {
      const fl = Math.floor(x), fr = x - fl;
      r = fr > 0.5 ? fl + 1 : fr < 0.5 ? fl : fl % 2 === 0 ? fl : fl + 1;
    }
  }
  return r === 0 ? (x < 0 ? -0 : 0) : r;
}

/**
 * Float -> signed integer of `size` bytes (CVT[T]SS2SI, CVT[T]PS2DQ ...): [lo, hi] of the
 * result; NaN or out of range gives the integer indefinite and IE, inexact gives PE.
 */
export function toInt(env: FpEnv, from: Fmt, ab: Bits, size: 4 | 8, truncate: boolean): [number, number] {
  const a = decode(from, ab);
  const indefinite: [number, number] = size === 4 ? [0x80000000, 0] : [0, 0x80000000];
  if (a.nan) { env.flags |= Mx.IE; return indefinite; }
  const x = a.denormal && env.daz ? 0 : a.v;
  const r = roundIntegral(x, truncate ? Rc.ZERO : env.rc);
  const lim = size === 4 ? 2147483648 : 9223372036854775808;
  if (!(r >= -lim && r < lim)) { env.flags |= Mx.IE; return indefinite; }
  if (r !== x) env.flags |= Mx.PE;
  const hi = Math.floor(r / 4294967296);
  const lo = r - hi * 4294967296;
  return size === 4 ? [lo >>> 0, 0] : [lo >>> 0, hi >>> 0];
}

/** ROUNDxx: IE for SNaN (result quieted), PE when inexact unless `noPe`. */
export function roundInt(env: FpEnv, f: Fmt, ab: Bits, rc: Rc, noPe: boolean): Bits {
  const a = decode(f, ab);
  if (a.nan) {
    if (a.nan === 2) env.flags |= Mx.IE;
    return quiet(f, ab);
  }
  const x = dazValue(env, a); // ROUND* never signals DE
  const r = roundIntegral(x, rc);
  if (r !== x && !noPe) env.flags |= Mx.PE;
  return encode(f, r);
}
