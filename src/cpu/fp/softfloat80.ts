/**
 * x87 extended-precision soft-float (SDM vol 1 ch. 4 and 8): the 80-bit format (sign, 15-bit
 * exponent, explicit integer bit J, 64-bit significand) with the x87's rounding-control (RC),
 * precision-control (PC: 24/53/64-bit significand, the 15-bit exponent range kept), masked
 * and unmasked exception responses, x86 NaN rules and C1 = "rounded up".
 *
 * No BigInt: significands travel as 32-bit words in small typed arrays; wide products use
 * 16-bit limbs summed in doubles (exact below 2^53). This is a cold helper path, written for
 * correctness; the working registers are module-level so an operation allocates nothing.
 *
 * Use: `sf.begin(fcw)`, one operation, then read `sf.exc` (exception bits in FSW positions),
 * `sf.up` (C1) and the result image `sf.lo/hi/se`. Operations on invalid operands (SNaN,
 * unsupported formats: unnormals, pseudo-NaN/-infinity) produce the QNaN indefinite with IE.
 */

/** Exception bits, as in FSW/FCW. */
export const enum Exc { IE = 1, DE = 2, ZE = 4, OE = 8, UE = 16, PE = 32 }
/** Operand classes. */
export const enum Cls { ZERO, NORM, INF, QNAN, SNAN, BAD }

/** An unpacked operand: sign, class, unbiased exponent of the J bit, significand hi:lo (J at bit 31 of h). */
export class Unp { s = 0; c = Cls.ZERO; e = 0; h = 0; l = 0; /** the packed image it came from */ lo = 0; hi = 0; se = 0; }

/** Exponent bias change for unmasked overflow/underflow results in a register (SDM 4.9.1.4/5). */
const WRAP = 24576;
export const EMIN = -16382, EMAX = 16383;

// 128-bit working register W (W[3] most significant) with a sticky bit, and a second one T.
const W = new Uint32Array(4), T = new Uint32Array(4), SAVE = new Uint32Array(4);
let stk = 0;

function isZero(x: Uint32Array): boolean { return (x[0]! | x[1]! | x[2]! | x[3]!) === 0; }
/** x >>= n, returning whether nonzero bits were shifted out. */
function shr(x: Uint32Array, n: number): number {
  if (n <= 0) return 0;
  if (n >= 128) { const z = isZero(x) ? 0 : 1; x.fill(0); return z; }
  let lost = 0;
  const ws = n >>> 5, bs = n & 31;
  for (let i = 0; i < ws; i++) lost |= x[i]!;
  if (bs) lost |= x[ws]! & ((1 << bs) - 1);
  for (let i = 0; i < 4; i++) {
    const a = i + ws < 4 ? x[i + ws]! : 0, b = i + ws + 1 < 4 ? x[i + ws + 1]! : 0;
    x[i] = bs ? (a >>> bs) | (b << (32 - bs)) : a;
  }
  return lost !== 0 ? 1 : 0;
}
function shl(x: Uint32Array, n: number): void {
  if (n <= 0) return;
  if (n >= 128) { x.fill(0); return; }
  const ws = n >>> 5, bs = n & 31;
  for (let i = 3; i >= 0; i--) {
    const a = i - ws >= 0 ? x[i - ws]! : 0, b = i - ws - 1 >= 0 ? x[i - ws - 1]! : 0;
    x[i] = bs ? (a << bs) | (b >>> (32 - bs)) : a;
  }
}
function clz128(x: Uint32Array): number {
  for (let i = 3; i >= 0; i--) if (x[i]) return (3 - i) * 32 + Math.clz32(x[i]!);
  return 128;
}
/** x += y (128-bit), returns the carry. */
function add128(x: Uint32Array, y: Uint32Array): number {
  let c = 0;
  for (let i = 0; i < 4; i++) { const v = x[i]! + y[i]! + c; x[i] = v; c = v >= 4294967296 ? 1 : 0; }
  return c;
}
/** x -= y (128-bit, x >= y). */
function sub128(x: Uint32Array, y: Uint32Array): void {
  let b = 0;
  for (let i = 0; i < 4; i++) { const v = x[i]! - y[i]! - b; x[i] = v; b = v < 0 ? 1 : 0; }
}
function cmp128(x: Uint32Array, y: Uint32Array): number {
  for (let i = 3; i >= 0; i--) if (x[i] !== y[i]) return x[i]! > y[i]! ? 1 : -1;
  return 0;
}
/** Load a 64-bit significand into the top half of x. */
function load(x: Uint32Array, h: number, l: number): void { x[3] = h; x[2] = l; x[1] = 0; x[0] = 0; }

/**
 * Round x (value x / 2^127 * 2^e) at bit `lsb` under rc for sign s; clears the bits below.
 * Returns bit 0 = inexact, bit 1 = incremented, bit 2 = carry out of bit 127.
 */
function roundAt(x: Uint32Array, lsb: number, s: number, rc: number, sticky: number): number {
  // lsb is 64..127 (p <= 64): the kept part ends in word 2 or 3, loop-free word arithmetic
  const wi = lsb >>> 5, bi = lsb & 31;
  let rb: number, st: number;
  if (bi) {
    const w = x[wi]!;
    rb = (w >>> (bi - 1)) & 1;
    st = (bi > 1 && (w & ((1 << (bi - 1)) - 1)) !== 0) || x[0]! !== 0 || x[1]! !== 0 || (wi === 3 && x[2]! !== 0) || sticky ? 1 : 0;
  } else {
    const w = x[wi - 1]!;
    rb = w >>> 31;
    st = (w & 0x7fffffff) !== 0 || x[0]! !== 0 || (wi === 3 && x[1]! !== 0) || sticky ? 1 : 0;
  }
  const inexact = rb | st;
  let inc = 0;
  if (inexact) {
    if (rc === 0) inc = rb & (st | ((x[wi]! >>> bi) & 1));
    else if (rc === 1) inc = s;
    else if (rc === 2) inc = s ^ 1;
  }
  x[0] = 0; x[1] = 0;
  if (wi === 3) x[2] = 0;
  if (bi) x[wi] = x[wi]! & ~((1 << bi) - 1);
  let carry = 0;
  if (inc) {
    const v = x[wi]! + 2 ** bi;
    x[wi] = v;
    if (v >= 4294967296) {
      if (wi === 2) { const v3 = x[3]! + 1; x[3] = v3; carry = v3 >= 4294967296 ? 1 : 0; } else carry = 1;
    }
  }
  return inexact | (inc << 1) | (carry << 2);
}

/** The soft-float unit: per-operation control (fcw) and results. */
export class SoftFloat80 {
  /** FCW in effect: masks (bits 0..5), PC (8..9), RC (10..11). */
  fcw = 0x37f;
  /** Exception bits raised by the operation. */
  exc = 0;
  /** C1: the result was rounded up in magnitude. */
  up = 0;
  /** Result image. */
  lo = 0; hi = 0; se = 0;
  /** Result of roundPack before packing: sign, exponent (of bit 63, emin for denormals), significand, kind. */
  rs = 0; re = 0; rh = 0; rl = 0; rinf = false;

  readonly a = new Unp();
  readonly b = new Unp();

  /** A denormal operand was unpacked: DE is raised once the operation gets to its numbers (denormal(), after the invalid and zero-divide checks). */
  dn = 0;

  begin(fcw: number): void { this.fcw = fcw; this.exc = 0; this.up = 0; this.dn = 0; }
  /** Raise DE for a denormal operand; true when DE is unmasked (the operation stops, the destination is unchanged). */
  denormal(): boolean {
    if (!this.dn) return false;
    this.exc |= Exc.DE;
    return !this.masked(Exc.DE);
  }
  get rc(): number { return (this.fcw >> 10) & 3; }
  /** Significand bits from FCW.PC (00 = 24, 10 = 53, 11 and the reserved 01 = 64). */
  get prec(): number { const pc = (this.fcw >> 8) & 3; return pc === 0 ? 24 : pc === 2 ? 53 : 64; }
  masked(e: Exc): boolean { return (this.fcw & e) !== 0; }

  /** Unpack an 80-bit image; denormals (and pseudo-denormals) raise DE and are normalized. */
  unpack(u: Unp, lo: number, hi: number, se: number): Unp {
    u.s = (se >> 15) & 1;
    u.lo = lo; u.hi = hi; u.se = se & 0xffff;
    const exp = se & 0x7fff;
    let h = hi >>> 0, l = lo >>> 0;
    if (exp === 0x7fff) {
      u.c = !(h & 0x80000000) ? Cls.BAD : ((h & 0x7fffffff) | l) === 0 ? Cls.INF : h & 0x40000000 ? Cls.QNAN : Cls.SNAN;
      u.e = 0; u.h = h; u.l = l;
      return u;
    }
    if (exp === 0) {
      if ((h | l) === 0) { u.c = Cls.ZERO; u.e = 0; u.h = 0; u.l = 0; return u; }
      this.dn = 1;
      let e = EMIN;
      if (h === 0) { h = l; l = 0; e -= 32; }
      const z = Math.clz32(h);
      if (z) { h = ((h << z) | (l >>> (32 - z))) >>> 0; l = (l << z) >>> 0; e -= z; }
      u.c = Cls.NORM; u.e = e; u.h = h; u.l = l;
      return u;
    }
    u.c = h & 0x80000000 ? Cls.NORM : Cls.BAD;
    u.e = exp - 16383; u.h = h; u.l = l;
    return u;
  }

  setImage(lo: number, hi: number, se: number): void { this.lo = lo | 0; this.hi = hi | 0; this.se = se & 0xffff; }
  indefinite(): void { this.setImage(0, 0xc0000000, 0xffff); }
  /** Invalid operation with the indefinite result. */
  invalid(): void { this.exc |= Exc.IE; this.indefinite(); }
  zero(s: number): void { this.setImage(0, 0, s << 15); }
  inf(s: number): void { this.setImage(0, 0x80000000, (s << 15) | 0x7fff); }
  /** The operand's own image as the result. */
  copy(u: Unp): void { this.setImage(u.lo, u.hi, u.se); }

  /**
   * NaN and unsupported-operand rules for one or two operands (SDM vol 1 table 4-7 and 8.5.1):
   * an unsupported operand or an SNaN raises IE; the result is the QNaN operand, or, with two
   * NaNs, the one with the larger significand (quieted); an unsupported operand gives the indefinite.
   * Returns true when the result is decided.
   */
  nanRule(a: Unp, b: Unp | null): boolean {
    const an = a.c >= Cls.QNAN, bn = b !== null && b.c >= Cls.QNAN;
    if (!an && !bn) return false;
    if (a.c === Cls.BAD || (b !== null && b.c === Cls.BAD)) { this.invalid(); return true; }
    if (a.c === Cls.SNAN || (b !== null && b.c === Cls.SNAN)) this.exc |= Exc.IE;
    let n = a;
    if (!an) n = b!;
    else if (bn && a.c !== b!.c) n = a.c === Cls.QNAN ? a : b!;
    else if (bn) {
      const ah = a.h & 0xbfffffff, bh = b!.h & 0xbfffffff;
      if (bh > ah || (bh === ah && (b!.l >>> 0) > (a.l >>> 0))) n = b!;
      else if (bh === ah && b!.l === a.l && a.s === 1 && b!.s === 0) n = b!;
    }
    this.setImage(n.l, n.h | 0x40000000, (n.s << 15) | 0x7fff);
    return true;
  }

  /**
   * Round W (value W / 2^127 * 2^e, W normalized or zero, plus the global sticky) to p bits
   * within [emin, emax] and leave the result in rs/re/rh/rl/rinf, raising PE/UE/OE and setting
   * C1. `wrap`: unmasked overflow/underflow re-bias the exponent (a register destination);
   * otherwise the caller sees the unmasked bits in exc and suppresses the store.
   */
  roundPack(s: number, e: number, p: number, emin: number, emax: number, wrap: boolean): void {
    const rc = this.rc;
    this.rs = s; this.rinf = false;
    if (isZero(W) && !stk) { this.re = emin; this.rh = 0; this.rl = 0; return; }
    const lsb = 128 - p;
    let tiny = false;
    if (e < emin) {
      // tininess after rounding: would the result rounded with an unbounded exponent reach 2^emin?
      tiny = true;
      if (e === emin - 1) {
        SAVE.set(W);
        if (roundAt(W, lsb, s, rc, stk) & 4) tiny = false;
        W.set(SAVE);
      }
      if (tiny && !wrap && !this.masked(Exc.UE)) { this.exc |= Exc.UE; this.up = 0; return; }
      if (tiny && wrap && !this.masked(Exc.UE)) {
        const r = roundAt(W, lsb, s, rc, stk);
        stk = 0;
        if (r & 4) { W[3] = 0x80000000; e++; }
        this.exc |= Exc.UE | (r & 1 ? Exc.PE : 0);
        this.up = (r >> 1) & 1;
        this.re = e + WRAP; this.rh = W[3]!; this.rl = W[2]!;
        if (this.re < emin) { this.exc |= Exc.PE; this.up = 0; this.rh = 0; this.rl = 0; this.re = emin; } // too tiny even re-biased (FSCALE): zero
        return;
      }
      stk = shr(W, emin - e) | stk;
      e = emin;
    }
    const r = roundAt(W, lsb, s, rc, stk);
    stk = 0;
    if (r & 4) { W[3] = 0x80000000; e++; }
    if (r & 1) this.exc |= Exc.PE;
    this.up = (r >> 1) & 1;
    if (tiny && (r & 1 || !this.masked(Exc.UE))) this.exc |= Exc.UE;
    if (e > emax) {
      this.exc |= Exc.OE;
      if (wrap && !this.masked(Exc.OE)) {
        if (e - WRAP > emax) { this.exc |= Exc.PE; this.rinf = true; this.up = 1; return; } // too large even re-biased (FSCALE): infinity
        this.re = e - WRAP; this.rh = W[3]!; this.rl = W[2]!; return;
      }
      if (!this.masked(Exc.OE)) { this.exc &= ~Exc.PE; this.up = 0; return; }
      this.exc |= Exc.PE;
      const toInf = rc === 0 || (rc === 1 && s === 1) || (rc === 2 && s === 0);
      if (toInf) { this.rinf = true; this.up = 1; this.re = emax + 1; this.rh = 0x80000000; this.rl = 0; return; }
      W.fill(0xffffffff); // the largest finite value at precision p
      W[0] = 0; W[1] = 0;
      if (p < 64) { if (lsb >= 96) { W[2] = 0; W[3] = (0xffffffff << (lsb - 96)) >>> 0; } else W[2] = (0xffffffff << (lsb - 64)) >>> 0; }
      this.up = 0; e = emax;
    }
    this.re = e; this.rh = W[3]!; this.rl = W[2]!;
  }

  /** roundPack into the 80-bit register format with precision p. */
  roundPack80(s: number, e: number, p: number): void {
    this.roundPack(s, e, p, EMIN, EMAX, true);
    this.pack80();
  }
  pack80(): void {
    if (this.rinf) return this.inf(this.rs);
    const h = this.rh >>> 0, l = this.rl >>> 0;
    const exp = h & 0x80000000 ? (this.re + 16383) & 0x7fff : 0;
    this.setImage(l, h, (this.rs << 15) | exp);
  }

  /** Normalize W and round-pack: W / 2^127 * 2^e. */
  private finish(s: number, e: number, p: number): void {
    const z = clz128(W);
    if (z === 128) { if (stk) throw new Error("softfloat: sticky without significand"); this.zero(s); return; }
    shl(W, z);
    this.roundPack80(s, e - z, p);
  }

  /** Round an unpacked finite operand to precision p (FLD-like moves do not round; PC-rounded ops do). */
  private roundUnp(u: Unp, p: number): void {
    if (u.c === Cls.ZERO) return this.zero(u.s);
    load(W, u.h, u.l); stk = 0;
    this.roundPack80(u.s, u.e, p);
  }

  /** a + b (sub: a - b), both 80-bit images, rounded per FCW.PC. */
  add(alo: number, ahi: number, ase: number, blo: number, bhi: number, bse: number, sub: boolean): void {
    const a = this.unpack(this.a, alo, ahi, ase), b = this.unpack(this.b, blo, bhi, bse);
    this.addU(a, b, sub, this.prec);
  }
  addU(a: Unp, b: Unp, sub: boolean, p: number): void {
    if (this.nanRule(a, b)) return;
    const bs = b.s ^ (sub ? 1 : 0);
    if (a.c === Cls.INF && b.c === Cls.INF && a.s !== bs) return this.invalid();
    if (this.denormal()) return;
    if (a.c === Cls.INF || b.c === Cls.INF) return this.inf(a.c === Cls.INF ? a.s : bs);
    if (a.c === Cls.ZERO && b.c === Cls.ZERO) return this.zero(a.s === bs ? a.s : this.rc === 1 ? 1 : 0);
    if (b.c === Cls.ZERO) return this.roundUnp(a, p);
    if (a.c === Cls.ZERO) { const s = b.s; b.s = bs; this.roundUnp(b, p); b.s = s; return; }
    let x = a, xs = a.s, y = b, ys = bs;
    if (a.e < b.e || (a.e === b.e && ((b.h >>> 0) > (a.h >>> 0) || (b.h === a.h && (b.l >>> 0) > (a.l >>> 0))))) { x = b; xs = bs; y = a; ys = a.s; }
    load(W, x.h, x.l); shr(W, 1);
    load(T, y.h, y.l); shr(T, 1);
    const lost = shr(T, x.e - y.e);
    stk = 0;
    if (xs === ys) {
      add128(W, T);
      stk = lost;
    } else {
      T[0] = T[0]! | lost; // jam: 62 guard bits stay below the result's last place
      sub128(W, T);
      if (isZero(W)) return this.zero(this.rc === 1 ? 1 : 0);
    }
    this.finish(xs, x.e + 1, p);
  }

  /** a * b. */
  mul(alo: number, ahi: number, ase: number, blo: number, bhi: number, bse: number): void {
    const a = this.unpack(this.a, alo, ahi, ase), b = this.unpack(this.b, blo, bhi, bse);
    this.mulU(a, b, this.prec);
  }
  mulU(a: Unp, b: Unp, p: number): void {
    if (this.nanRule(a, b)) return;
    const s = a.s ^ b.s;
    if ((a.c === Cls.INF && b.c === Cls.ZERO) || (a.c === Cls.ZERO && b.c === Cls.INF)) return this.invalid();
    if (this.denormal()) return;
    if (a.c === Cls.INF || b.c === Cls.INF) return this.inf(s);
    if (a.c === Cls.ZERO || b.c === Cls.ZERO) return this.zero(s);
    mul64(a.h, a.l, b.h, b.l);
    stk = 0;
    this.finish(s, a.e + b.e + 1, p);
  }

  /** a / b. */
  div(alo: number, ahi: number, ase: number, blo: number, bhi: number, bse: number): void {
    const a = this.unpack(this.a, alo, ahi, ase), b = this.unpack(this.b, blo, bhi, bse);
    this.divU(a, b, this.prec);
  }
  divU(a: Unp, b: Unp, p: number): void {
    if (this.nanRule(a, b)) return;
    const s = a.s ^ b.s;
    if ((a.c === Cls.INF && b.c === Cls.INF) || (a.c === Cls.ZERO && b.c === Cls.ZERO)) return this.invalid();
    if (b.c === Cls.ZERO && a.c !== Cls.INF) { this.exc |= Exc.ZE; return this.inf(s); }
    if (this.denormal()) return;
    if (a.c === Cls.INF) return this.inf(s);
    if (b.c === Cls.INF) return this.zero(s);
    if (a.c === Cls.ZERO) return this.zero(s);
    div64(a.h, a.l, b.h, b.l);
    this.finish(s, a.e - b.e, p);
  }

  /** sqrt(a). */
  sqrt(lo: number, hi: number, se: number): void {
    const a = this.unpack(this.a, lo, hi, se);
    if (this.nanRule(a, null)) return;
    if (a.c === Cls.ZERO) return this.zero(a.s);
    if (a.s) return this.invalid();
    if (a.c === Cls.INF) return this.inf(0);
    if (this.denormal()) return;
    const odd = a.e & 1;
    sqrt64(a.h, a.l, odd ? 70 : 69);
    this.finish(0, (a.e - odd) / 2, this.prec);
  }

  /**
   * Round a finite unpacked operand to an integer per rc: the magnitude goes to W[3]:W[2]
   * (W[3] = high word) and the return is 0 exact / 1 inexact (with up = rounded up). exponents
   * >= 63 are integers already (then W holds the significand unshifted, the value is sig*2^(e-63)).
   */
  roundInt(u: Unp, rc: number): number {
    load(W, u.h, u.l);
    if (u.c === Cls.ZERO || u.e >= 63) { this.up = 0; return 0; }
    stk = shr(W, 63 - u.e);
    const r = roundAt(W, 64, u.s, rc, stk);
    stk = 0;
    if (r & 1) this.exc |= Exc.PE;
    this.up = (r >> 1) & 1;
    return r & 1;
  }

  /** FRNDINT: ST(0) rounded to an integer per RC (64-bit precision, PC does not apply). */
  rndint(lo: number, hi: number, se: number): void {
    const a = this.unpack(this.a, lo, hi, se);
    if (this.nanRule(a, null)) return;
    if (a.c === Cls.INF) return this.inf(a.s);
    if (this.denormal()) return;
    if (a.c === Cls.ZERO || a.e >= 63) { this.up = 0; return this.copy(a); }
    this.roundInt(a, this.rc);
    W[1] = W[2]!; W[0] = 0; W[2] = W[3]!; W[3] = 0; // integer into bits 95..32
    const z = clz128(W);
    if (z === 128) return this.zero(a.s);
    shl(W, z);
    this.setImage(W[2]!, W[3]!, (a.s << 15) | (16383 + 95 - z));
  }
}

// ---- wide integer kernels (results in W, sticky in stk) ----

/** W = (ah:al) * (bh:bl), exact 128-bit product (16-bit limbs, column sums exact in doubles). */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff, a1 = al >>> 16, a2 = ah & 0xffff, a3 = ah >>> 16;
  const b0 = bl & 0xffff, b1 = bl >>> 16, b2 = bh & 0xffff, b3 = bh >>> 16;
  let c = a0 * b0;
  let lo = c % 65536; c = (c - lo) / 65536;
  c += a0 * b1 + a1 * b0;
  let t = c % 65536; c = (c - t) / 65536; W[0] = lo + t * 65536;
  c += a0 * b2 + a1 * b1 + a2 * b0;
  lo = c % 65536; c = (c - lo) / 65536;
  c += a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0;
  t = c % 65536; c = (c - t) / 65536; W[1] = lo + t * 65536;
  c += a1 * b3 + a2 * b2 + a3 * b1;
  lo = c % 65536; c = (c - lo) / 65536;
  c += a2 * b3 + a3 * b2;
  t = c % 65536; c = (c - t) / 65536; W[2] = lo + t * 65536;
  c += a3 * b3;
  W[3] = c;
}

const R = new Uint32Array(4);
/** W = quotient bits of (ah:al) / (bh:bl) (both normalized): q0 (weight 1) at bit 127, 67 bits; stk = remainder != 0. */
function div64(ah: number, al: number, bh: number, bl: number): void {
  // double-double quotient (about 104 bits): R = floor(a / b * 2^66) unless within 2^-36 of an integer
  const ahu = ah >>> 0, alu = al >>> 0, bhu = bh >>> 0, blu = bl >>> 0;
  const a1 = (ahu * 2097152 + Math.floor(alu / 2048)) * 2 ** -52, a2 = (alu % 2048) * 2 ** -63; // a / 2^63 = a1 + a2 exactly
  const b1 = (bhu * 2097152 + Math.floor(blu / 2048)) * 2 ** -52, b2 = (blu % 2048) * 2 ** -63;
  const q1 = a1 / b1;
  const [p1, e1] = twoProd(q1, b1), [p2, e2] = twoProd(q1, b2);
  const rem = ((((a1 - p1) - e1) + a2) - p2) - e2; // a - q1 b, to about 2^-106 of a
  const q2 = rem / (b1 + b2);
  const top = q1 * 2 ** 66, low = q2 * 2 ** 66; // q1 >= 0.5 has 53 bits: top is an integer
  const fl = Math.floor(low), frac = low - fl;
  if (frac > 2 ** -36 && frac < 1 - 2 ** -36) { setW67(top, fl); return; }
  divExact(ahu, alu, bhu, blu);
}
const TP: [number, number] = [0, 0];
function twoProd(a: number, b: number): [number, number] {
  const p = a * b;
  const ca = SPLIT * a, xh = ca - (ca - a), xl = a - xh;
  const cb = SPLIT * b, yh = cb - (cb - b), yl = b - yh;
  TP[0] = p; TP[1] = ((xh * yh - p) + xh * yl + xl * yh) + xl * yl;
  return TP;
}
function divExact(ah: number, al: number, bh: number, bl: number): void {
  // restoring division on a 65-bit remainder rt:rh:rl in locals
  let rt = 0, rh = ah >>> 0, rl = al >>> 0;
  const dh = bh >>> 0, dl = bl >>> 0;
  let q3 = 0, q2 = 0, q1 = 0;
  for (let i = 0; i < 67; i++) {
    let bitq = 0;
    if (rt || rh > dh || (rh === dh && rl >= dl)) {
      const nl = rl - dl;
      rh = (rh - dh - (nl < 0 ? 1 : 0)) >>> 0; rl = nl >>> 0; rt = 0; bitq = 1;
    }
    if (i < 32) q3 = (q3 << 1) | bitq; else if (i < 64) q2 = (q2 << 1) | bitq; else q1 = (q1 << 1) | bitq;
    rt = rh >>> 31; rh = ((rh << 1) | (rl >>> 31)) >>> 0; rl = (rl << 1) >>> 0;
  }
  W[3] = q3; W[2] = q2; W[1] = q1 << 29; W[0] = 0;
  stk = (rt | rh | rl) !== 0 ? 1 : 0;
}

const ROOT = new Uint32Array(4), TRIAL = new Uint32Array(4);
const SPLIT = 134217729;
/**
 * W = floor(sqrt(sig * 2^sh)) * 2^61 (67 root bits, top at bit 127); stk = inexact. A
 * double-double square root (about 104 good bits) decides the 67 bits and the sticky unless
 * the root is within 2^-36 of an integer in those units; then the exact digit-by-digit root.
 */
function sqrt64(h: number, l: number, sh: number): void {
  // f = sig * 2^(sh - 132) in [1, 4), exactly xh + xl; R = floor(sqrt(f) * 2^66)
  const hu = h >>> 0, lu = l >>> 0;
  const sc = 2 ** (sh - 132);
  const xh = (hu * 2 ** 21 + Math.floor(lu / 2048)) * 2 ** 11 * 2 ** -32 * 2 ** -32 * sc * 2 ** 64, xl = (lu % 2048) * sc;
  const y0 = Math.sqrt(xh);
  const p = y0 * y0;
  const ca = SPLIT * y0, yh = ca - (ca - y0), yl = y0 - yh;
  const e = ((yh * yh - p) + 2 * yh * yl) + yl * yl; // y0^2 = p + e exactly
  const r = ((xh - p) - e) + xl;
  const d = r / (2 * y0); // sqrt(f) = y0 + d (1 - d / (2 y0) ...): |d| < 2^-52, the next term is far below 2^-100
  const top = y0 * 2 ** 66; // an integer multiple of 2^14 (y0 >= 1 has 52 fraction bits)
  const low = d * 2 ** 66 - (d * d / (2 * y0)) * 2 ** 66;
  const fl = Math.floor(low), frac = low - fl;
  if (frac > 2 ** -36 && frac < 1 - 2 ** -36) {
    setW67(top, fl);
    return;
  }
  sqrtExact(h, l, sh);
}
/** W = (top + fl) << 61, stk = 1: top an integer multiple of 2^13 below 2^67, fl a small signed integer. */
function setW67(top: number, fl: number): void {
  const t2 = Math.floor(top / 18446744073709551616), t1 = Math.floor(top / 4294967296) % 4294967296, t0 = top % 4294967296;
  let w0 = t0 + fl, w1 = t1, w2 = t2;
  if (w0 < 0) { w0 += 4294967296; w1 -= 1; if (w1 < 0) { w1 += 4294967296; w2 -= 1; } }
  else if (w0 >= 4294967296) { w0 -= 4294967296; w1 += 1; if (w1 >= 4294967296) { w1 -= 4294967296; w2 += 1; } }
  W[3] = ((w2 << 29) | (w1 >>> 3)) >>> 0; W[2] = ((w1 << 29) | (w0 >>> 3)) >>> 0; W[1] = (w0 << 29) >>> 0; W[0] = 0;
  stk = 1;
}
function sqrtExact(h: number, l: number, sh: number): void {
  ROOT.fill(0); R.fill(0);
  const sigBit = (j: number): number => {
    const k = j - sh;
    if (k < 0 || k > 63) return 0;
    return k >= 32 ? (h >>> (k - 32)) & 1 : (l >>> k) & 1;
  };
  for (let i = 66; i >= 0; i--) {
    shl(R, 2);
    R[0] = R[0]! | (sigBit(2 * i + 1) << 1) | sigBit(2 * i);
    TRIAL.set(ROOT); shl(TRIAL, 2); TRIAL[0] = TRIAL[0]! | 1;
    shl(ROOT, 1);
    if (cmp128(R, TRIAL) >= 0) { sub128(R, TRIAL); ROOT[0] = ROOT[0]! | 1; }
  }
  stk = isZero(R) ? 0 : 1;
  W.set(ROOT);
  shl(W, 61);
}

export const internals = { W, get stk() { return stk; }, set stk(v: number) { stk = v; }, shr, shl, clz128, load, roundAt, mul64, div64, sqrt64, sqrtExact };
