/**
 * The x87 FPU as TypeScript operating on the FPU area of CPU state (fpu-state.ts): register
 * stack with TOP and the tag bits, stack overflow/underflow (SDM vol 1 8.5.1.1: invalid
 * operation with SF, masked response = QNaN floating-point indefinite), memory formats
 * (m32/m64/m80 reals, m16/m32/m64 integers, m80 packed BCD) through the scratch slot,
 * rounding control for integer stores and FRNDINT, condition codes, and the x87 NaN rule
 * (a NaN operand is returned quieted; with two, the one with the larger significand).
 * Arithmetic runs on doubles (see fpu-state.ts for the precision trade-off).
 */

import { CpuState } from "./cpu-state.js";
import { FCW_INIT, FpuOff, Fsw, MXCSR_INIT, f80Tag, f80ToNumber, fpuRegOff, numberToF80 } from "./fpu-state.js";
import { MsrSlot, StateOff, msrOff } from "./state-layout.js";

/** Memory operand formats (the scratch slot holds the bytes). */
export const enum FFmt { F32 = 0, F64 = 1, F80 = 2, I16 = 3, I32 = 4, I64 = 5, BCD = 6 }

const img = new Int32Array(3);
const f32 = new Float32Array(1), u32of32 = new Uint32Array(f32.buffer);

/** One FPU, viewed through a CPU's state. Methods are the x87 micro-operations. */
export class X87 {
  constructor(readonly s: CpuState) {}

  get top(): number { return this.s.get32(FpuOff.TOP) & 7; }
  set top(v: number) { this.s.set32(FpuOff.TOP, v & 7); }
  get fsw(): number { return this.s.get32(FpuOff.FSW); }
  set fsw(v: number) { this.s.set32(FpuOff.FSW, v & ~(7 << 11) & 0xffff); }
  get fcw(): number { return this.s.get32(FpuOff.FCW) & 0xffff; }
  /** The full status word with TOP. */
  statusWord(): number { return (this.fsw & ~(7 << 11)) | (this.top << 11); }

  phys(i: number): number { return (this.top + i) & 7; }
  isEmpty(i: number): boolean { return ((this.s.get32(FpuOff.TAGV) >> this.phys(i)) & 1) === 0; }
  setTagPhys(p: number, valid: boolean): void {
    const t = this.s.get32(FpuOff.TAGV);
    this.s.set32(FpuOff.TAGV, valid ? t | (1 << p) : t & ~(1 << p));
  }

  /** Raw image of ST(i): [lo, hi, se]. */
  image(i: number, out: Int32Array = img): Int32Array {
    const off = fpuRegOff(this.phys(i));
    out[0] = this.s.get32(off); out[1] = this.s.get32(off + 4); out[2] = this.s.dv.getUint16(off + 8, true);
    return out;
  }
  setImage(i: number, lo: number, hi: number, se: number): void {
    const p = this.phys(i), off = fpuRegOff(p);
    this.s.set32(off, lo); this.s.set32(off + 4, hi); this.s.dv.setUint16(off + 8, se & 0xffff, true);
    this.setTagPhys(p, true);
  }
  isNaN(i: number): boolean {
    const m = this.image(i);
    return (m[2]! & 0x7fff) === 0x7fff && ((m[1]! & 0x7fffffff) !== 0 || m[0] !== 0);
  }

  /** Invalid operation: IE (+SF for stack faults, C1 = overflow). */
  invalid(stack = false, overflow = false): void {
    let w = this.fsw | Fsw.IE;
    if (stack) w = (w | Fsw.SF) & ~Fsw.C1 | (overflow ? Fsw.C1 : 0);
    if (!(this.fcw & 1)) w |= Fsw.ES | Fsw.B;
    this.fsw = w;
  }
  flag(bits: number): void {
    let w = this.fsw | bits;
    if (bits & ~this.fcw & 0x3f) w |= Fsw.ES | Fsw.B;
    this.fsw = w;
  }
  setCc(c0: number, c1: number, c2: number, c3: number): void {
    this.fsw = (this.fsw & ~Fsw.CC) | (c0 ? Fsw.C0 : 0) | (c1 ? Fsw.C1 : 0) | (c2 ? Fsw.C2 : 0) | (c3 ? Fsw.C3 : 0);
  }

  /** ST(i) as a number; an empty register is a stack underflow giving the indefinite NaN. */
  get(i: number): number {
    if (this.isEmpty(i)) { this.invalid(true); return NaN; }
    const m = this.image(i);
    return f80ToNumber(m[0]!, m[1]!, m[2]!);
  }
  set(i: number, x: number): void {
    if (Number.isNaN(x)) { this.setIndefinite(i); return; }
    numberToF80(x, img);
    this.setImage(i, img[0]!, img[1]!, img[2]!);
  }
  setIndefinite(i: number): void { this.setImage(i, 0, 0xc0000000 | 0, 0xffff); }

  /** Push: a non-empty ST(7) is a stack overflow (the register gets the indefinite NaN). */
  push(x: number): void {
    const overflow = !this.isEmpty(7);
    this.top = this.top - 1;
    if (overflow) { this.invalid(true, true); this.setIndefinite(0); return; }
    this.set(0, x);
  }
  /** Push a raw image (FLD m80, FLD ST(i) of a NaN). */
  pushImage(lo: number, hi: number, se: number): void {
    const overflow = !this.isEmpty(7);
    this.top = this.top - 1;
    if (overflow) { this.invalid(true, true); this.setIndefinite(0); return; }
    this.setImage(0, lo, hi, se);
  }
  /** Push a 64-bit integer exactly (a double would lose bits above 2^53). */
  pushInt64(lo: number, hi: number): void {
    if (lo === 0 && hi === 0) return this.push(0);
    const neg = hi < 0;
    let l = lo >>> 0, h = hi >>> 0;
    if (neg) { l = (~l + 1) >>> 0; h = (~h + (l === 0 ? 1 : 0)) >>> 0; }
    let e = 63;
    while (!(h & 0x80000000)) { h = ((h << 1) | (l >>> 31)) >>> 0; l = (l << 1) >>> 0; e--; }
    this.pushImage(l | 0, h | 0, (neg ? 0x8000 : 0) | (16383 + e));
  }
  pop(): void {
    this.setTagPhys(this.phys(0), false);
    this.top = this.top + 1;
  }

  /** x87 NaN propagation for a two-operand op; returns true when the result was written. */
  nanResult(dst: number, a: Int32Array | null, b: Int32Array | null): boolean {
    const isNan = (m: Int32Array | null): boolean => m !== null && (m[2]! & 0x7fff) === 0x7fff && ((m[1]! & 0x7fffffff) !== 0 || m[0] !== 0);
    const na = isNan(a), nb = isNan(b);
    if (!na && !nb) return false;
    let m = na ? a! : b!;
    if (na && nb && ((b![1]! & 0x7fffffff) >>> 0) > ((a![1]! & 0x7fffffff) >>> 0)) m = b!;
    if (!((m[1]! >>> 30) & 1)) this.invalid(); // signalling NaN
    this.setImage(dst, m[0]!, m[1]! | 0x40000000, m[2]!);
    return true;
  }

  /** Read the scratch slot as a number in format `fmt`. */
  readScratch(fmt: FFmt): number {
    const s = this.s, o = FpuOff.SCRATCH;
    switch (fmt) {
      case FFmt.F32: u32of32[0] = s.get32(o); return f32[0]!;
      case FFmt.F64: return s.dv.getFloat64(o, true);
      case FFmt.F80: return f80ToNumber(s.get32(o), s.get32(o + 4), s.dv.getUint16(o + 8, true));
      case FFmt.I16: return s.dv.getInt16(o, true);
      case FFmt.I32: return s.get32(o);
      case FFmt.I64: return s.get32(o + 4) * 4294967296 + (s.get32(o) >>> 0);
      case FFmt.BCD: {
        let v = 0;
        for (let i = 8; i >= 0; i--) { const byte = s.dv.getUint8(o + i); v = v * 100 + (byte >> 4) * 10 + (byte & 15); }
        return s.dv.getUint8(o + 9) & 0x80 ? -v : v;
      }
    }
  }

  /** Round per FCW.RC (or truncate). */
  round(x: number, truncate = false): number {
    const rc = truncate ? 3 : (this.fcw >> 10) & 3;
    switch (rc) {
      case 0: { const r = Math.round(x); return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; }
      case 1: return Math.floor(x);
      case 2: return Math.ceil(x);
      default: return Math.trunc(x);
    }
  }

  /** Convert ST(0) into the scratch slot in format `fmt` (integer stores round per RC or truncate). */
  storeScratch(fmt: FFmt, truncate: boolean): void {
    const s = this.s, o = FpuOff.SCRATCH;
    const empty = this.isEmpty(0);
    const x = this.get(0);
    switch (fmt) {
      case FFmt.F32: {
        if (this.isNaN(0) || empty) { const m = this.image(0); s.set32(o, empty ? 0xffc00000 | 0 : ((m[2]! & 0x8000) << 16) | 0x7fc00000 | ((m[1]! >>> 8) & 0x3fffff)); return; }
        f32[0] = x;
        const rc = (this.fcw >> 10) & 3;
        if (rc !== 0 && f32[0] !== x && Number.isFinite(x)) {
          // directed rounding: step the nearest result one ulp toward the rounding direction
          const down = rc === 1 || (rc === 3 && x > 0);
          if (down ? f32[0]! > x : f32[0]! < x) u32of32[0] = u32of32[0]! + ((x > 0) === down ? -1 : 1);
        }
        s.set32(o, u32of32[0]!);
        if (Number.isFinite(x) && !Number.isFinite(f32[0]!)) this.flag(Fsw.OE | Fsw.PE);
        return;
      }
      case FFmt.F64:
        if (this.isNaN(0) || empty) {
          const m = this.image(0);
          s.set32(o, empty ? 0 : (m[1]! << 21) | (m[0]! >>> 11));
          s.set32(o + 4, empty ? 0xfff80000 | 0 : ((m[2]! & 0x8000) << 16) | 0x7ff80000 | ((m[1]! >>> 11) & 0x7ffff));
          return;
        }
        s.dv.setFloat64(o, x, true);
        return;
      case FFmt.F80: {
        const m = this.image(0);
        if (empty) { s.set32(o, 0); s.set32(o + 4, 0xc0000000 | 0); s.dv.setUint16(o + 8, 0xffff, true); return; }
        s.set32(o, m[0]!); s.set32(o + 4, m[1]!); s.dv.setUint16(o + 8, m[2]!, true);
        return;
      }
      case FFmt.BCD: {
        let v = Math.abs(this.round(x));
        const bad = !Number.isFinite(x) || v >= 1e18;
        if (bad) this.invalid();
        for (let i = 0; i < 9; i++) {
          const lo = v % 10; v = Math.floor(v / 10); const hi = v % 10; v = Math.floor(v / 10);
          s.dv.setUint8(o + i, (hi << 4) | lo);
        }
        s.dv.setUint8(o + 9, x < 0 || Object.is(x, -0) ? 0x80 : 0);
        if (bad) { s.set32(o, 0); s.set32(o + 4, 0xc0000000 | 0); s.dv.setUint16(o + 8, 0xffff, true); } // BCD indefinite
        return;
      }
      default: {
        const bits = fmt === FFmt.I16 ? 16 : fmt === FFmt.I32 ? 32 : 64;
        if (bits === 64 && !empty && this.storeInt64Exact()) return;
        const r = this.round(x, truncate);
        const lim = 2 ** (bits - 1);
        let lo = 0, hi = 0;
        if (!Number.isFinite(r) || r >= lim || r < -lim) {
          this.invalid();
          lo = bits === 16 ? 0x8000 : bits === 32 ? 0x80000000 | 0 : 0; hi = bits === 64 ? 0x80000000 | 0 : 0;
        } else {
          if (r !== x) this.flag(Fsw.PE);
          const h = Math.floor(r / 4294967296);
          lo = (r - h * 4294967296) | 0; hi = h | 0;
        }
        s.set32(o, lo); s.set32(o + 4, hi);
      }
    }
  }

  /**
   * FIST(P) m64 of a value in [2^53, 2^63) with no fraction bits, converted from the image
   * (a double would lose the low bits, breaking FILD/FISTP m64 copies). False = not handled.
   */
  private storeInt64Exact(): boolean {
    const m = this.image(0);
    const e = (m[2]! & 0x7fff) - 16383;
    if (e < 53 || e > 62) return false;
    const sh = 63 - e; // 1..10
    let lo = m[0]! >>> 0, hi = m[1]! >>> 0;
    if (lo & ((1 << sh) - 1)) return false;
    lo = ((lo >>> sh) | (hi << (32 - sh))) >>> 0;
    hi = hi >>> sh;
    if (m[2]! & 0x8000) { lo = (~lo + 1) >>> 0; hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0; }
    this.s.set32(FpuOff.SCRATCH, lo | 0);
    this.s.set32(FpuOff.SCRATCH + 4, hi | 0);
    return true;
  }

  /** Compare a with b: C3 C2 C0 = unordered 111, less 001, equal 100, greater 000. */
  compare(a: number, b: number, unordered: boolean, aNanSig: boolean): void {
    if (Number.isNaN(a) || Number.isNaN(b)) {
      if (!unordered || aNanSig) this.invalid();
      this.setCc(1, 0, 1, 1);
      return;
    }
    this.setCc(a < b ? 1 : 0, 0, 0, a === b ? 1 : 0);
  }

  /** FXAM: class of ST(0) in C3 C2 C0, sign in C1. */
  examine(): void {
    const m = this.image(0);
    const sign = (m[2]! >> 15) & 1;
    if (this.isEmpty(0)) return this.setCc(1, sign, 0, 1);
    const exp = m[2]! & 0x7fff, frac = (m[1]! & 0x7fffffff) !== 0 || m[0] !== 0;
    if (exp === 0x7fff) return this.setCc(1, sign, frac ? 0 : 1, 0);
    const tag = f80Tag(m[0]!, m[1]!, m[2]!);
    if (tag === 1) return this.setCc(0, sign, 0, 1);
    if (exp === 0) return this.setCc(0, sign, 1, 1); // denormal
    if (!(m[1]! & 0x80000000)) return this.setCc(0, sign, 0, 0); // unsupported (unnormal)
    this.setCc(0, sign, 1, 0);
  }

  /** FNINIT state (SDM vol 1 8.1.8 table 8-1 / FINIT). */
  init(): void {
    const s = this.s;
    s.set32(FpuOff.FCW, FCW_INIT);
    s.set32(FpuOff.FSW, 0);
    s.set32(FpuOff.TOP, 0);
    s.set32(FpuOff.TAGV, 0);
    for (const o of [FpuOff.FOP, FpuOff.FCS, FpuOff.FDS]) s.set32(o, 0);
    s.set64(FpuOff.FIP, 0, 0);
    s.set64(FpuOff.FDP, 0, 0);
  }

  /** The full 16-bit tag word (FSTENV/FSAVE) from the valid bits and register contents. */
  fullTag(): number {
    let t = 0;
    const tv = this.s.get32(FpuOff.TAGV);
    for (let p = 0; p < 8; p++) {
      let tag = 3;
      if ((tv >> p) & 1) {
        const off = fpuRegOff(p);
        tag = f80Tag(this.s.get32(off), this.s.get32(off + 4), this.s.dv.getUint16(off + 8, true));
      }
      t |= tag << (2 * p);
    }
    return t;
  }
  /** Load the valid bits from a full tag word (empty = 3). */
  setFullTag(t: number): void {
    let v = 0;
    for (let p = 0; p < 8; p++) if (((t >> (2 * p)) & 3) !== 3) v |= 1 << p;
    this.s.set32(FpuOff.TAGV, v);
  }
}

/** Architectural reset values the CPU's reset must apply (SDM vol 3 table 9-1): FCW 0x40, MXCSR 0x1F80, XCR0 1. */
export function fpuPowerOn(s: CpuState): void {
  s.set32(FpuOff.FCW, 0x40);
  s.set32(FpuOff.FSW, 0);
  s.set32(FpuOff.TOP, 0);
  s.set32(FpuOff.TAGV, 0);
  s.set32(StateOff.MXCSR, MXCSR_INIT);
  s.set64(msrOff(MsrSlot.XCR0), 1, 0);
}
