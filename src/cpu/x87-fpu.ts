/**
 * The x87 FPU as TypeScript operating on the FPU area of CPU state (fpu-state.ts): register
 * stack with TOP and the tag bits, stack overflow/underflow (SDM vol 1 8.5.1.1: invalid
 * operation with SF, masked response = QNaN floating-point indefinite), memory formats
 * through the scratch slot, condition codes, tags, the pointer registers. Arithmetic is exact 80-bit soft-float (fp/softfloat80.ts): an operation runs in the shared
 * `sf` unit, then commit() folds its exceptions into FSW and writes the result unless an
 * unmasked IE/ZE/DE leaves the destination unchanged (SDM vol 1 8.5).
 */

import { CpuState } from "./cpu-state.js";
import { FCW_INIT, FpuOff, Fsw, MXCSR_INIT, f80Tag, fpuRegOff } from "./fpu-state.js";
import { MsrSlot, StateOff, msrOff } from "./state-layout.js";
import { SoftFloat80 } from "./fp/softfloat80.js";

/** The soft-float unit the x87 helpers share (an operation runs to completion before the next). */
export const sf = new SoftFloat80();

/** Memory operand formats (the scratch slot holds the bytes). */
export const enum FFmt { F32 = 0, F64 = 1, F80 = 2, I16 = 3, I32 = 4, I64 = 5, BCD = 6 }

const img = new Int32Array(3);

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

  setIndefinite(i: number): void { this.setImage(i, 0, 0xc0000000 | 0, 0xffff); }

  /**
   * Push an image. A non-empty ST(7) is a stack overflow (IE+SF, C1 = 1): masked, the
   * indefinite is pushed; unmasked, nothing changes. Returns whether a value was pushed.
   */
  pushImage(lo: number, hi: number, se: number): boolean {
    if (!this.isEmpty(7)) {
      this.invalid(true, true);
      if (!(this.fcw & 1)) return false;
      this.top = this.top - 1;
      this.setIndefinite(0);
      return false;
    }
    this.top = this.top - 1;
    this.setImage(0, lo, hi, se);
    return true;
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

  /** Start a soft-float operation under the current FCW. */
  begin(): typeof sf { sf.begin(this.fcw); return sf; }

  /**
   * Fold the soft-float exceptions into FSW (C1 = rounded up) and write sf's result to ST(dst)
   * (dst < 0: no register result) unless an unmasked IE, ZE or DE (`suppressing`) leaves the
   * destination unchanged. Returns whether the operation completes (the caller then pops).
   */
  commit(dst: number, suppressing = Fsw.IE | Fsw.ZE | Fsw.DE): boolean {
    const e = sf.exc, unmasked = e & ~this.fcw & 0x3f;
    let w = ((this.fsw | e) & ~Fsw.C1) | (sf.up ? Fsw.C1 : 0);
    if (unmasked) w |= Fsw.ES | Fsw.B;
    this.fsw = w;
    if (unmasked & suppressing) return false;
    if (dst >= 0) this.setImage(dst, sf.lo, sf.hi, sf.se);
    return true;
  }

  /** An empty operand (stack underflow): IE+SF; masked, the indefinite goes to ST(dst) and true is returned. */
  underflow(dst: number): boolean {
    this.invalid(true);
    if (!(this.fcw & 1)) return false;
    if (dst >= 0) this.setIndefinite(dst);
    return true;
  }

  /** ES and B from the exception flags against the masks (after FLDCW/FLDENV). */
  syncSummary(): void {
    const w = this.fsw & ~(Fsw.ES | Fsw.B);
    this.fsw = w & ~this.fcw & 0x3f ? w | Fsw.ES | Fsw.B : w;
  }

  /** Whether an unmasked exception is pending (FSW.ES). */
  get pending(): boolean { return (this.fsw & Fsw.ES) !== 0; }

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

  /**
   * FOP, FIP/FCS, FDP/FDS in the FXSAVE layout at `b` (bytes 6..23): wide (REX.W) stores
   * 64-bit FIP and FDP, otherwise 32-bit offsets with the selectors.
   */
  savePointers(d: DataView, b: number, wide: boolean): void {
    const s = this.s;
    d.setUint16(b + 6, s.get32(FpuOff.FOP) & 0x7ff, true);
    d.setUint32(b + 8, s.get32(FpuOff.FIP) >>> 0, true);
    d.setUint32(b + 12, wide ? s.get32(FpuOff.FIP + 4) >>> 0 : s.get32(FpuOff.FCS) & 0xffff, true);
    d.setUint32(b + 16, s.get32(FpuOff.FDP) >>> 0, true);
    d.setUint32(b + 20, wide ? s.get32(FpuOff.FDP + 4) >>> 0 : s.get32(FpuOff.FDS) & 0xffff, true);
  }
  loadPointers(d: DataView, b: number, wide: boolean): void {
    const s = this.s;
    s.set32(FpuOff.FOP, d.getUint16(b + 6, true) & 0x7ff);
    s.set64(FpuOff.FIP, d.getInt32(b + 8, true), wide ? d.getInt32(b + 12, true) : 0);
    s.set64(FpuOff.FDP, d.getInt32(b + 16, true), wide ? d.getInt32(b + 20, true) : 0);
    s.set32(FpuOff.FCS, wide ? 0 : d.getUint16(b + 12, true));
    s.set32(FpuOff.FDS, wide ? 0 : d.getUint16(b + 20, true));
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
