/**
 * The x87 FPU state inside CPU state (StateOff.FPU .. StateOff.END) and its TypeScript
 * accessor. Layout (offsets relative to STATE_BASE):
 *
 *   0x410  r[8]    physical registers R0..R7, 16-byte slots holding the 80-bit image
 *                  (bytes 0..7 significand, 8..9 sign+exponent; SDM vol 1 8.2); MMX register i
 *                  is bytes 0..7 of R_i
 *   0x490  fcw     i32 control word
 *   0x494  fsw     i32 status word WITHOUT the TOP field (bits 11..13 are kept in `top`)
 *   0x498  top     i32 0..7
 *   0x49C  tagv    i32 bit i set = physical register i is not empty (FXSAVE's abridged tag)
 *   0x4A0  fop     i32 last non-control instruction's opcode (11 bits)
 *   0x4A4  fcs     i32, 0x4A8 fip i64, 0x4B0 fdp i64, 0x4B8 fds i32: its CS:RIP and memory
 *                  operand DS:offset (the semantics store them, semantics/x87.ts x87Wait)
 *   0x4C0  scratch 16 bytes: memory operands travel here between IR and x87 helpers
 *   0x4D0  vscratch 16 bytes: a V128 operand for SSE helpers (PCMPxSTRx, DPPS, ...)
 *   0x4E0  end of the FPU area (StateOff.END is 0x600)
 *
 * Representation (docs/ARCHITECTURE.md "x87"): registers hold the exact 80-bit image and the
 * arithmetic is an exact 80-bit soft-float (fp/softfloat80.ts) honouring FCW.PC and FCW.RC,
 * so results are bit-identical to hardware. f80ToNumber/numberToF80 below convert images
 * to and from JS numbers for tools (they round to a double).
 */

import { StateOff } from "./state-layout.js";

export const enum FpuOff {
  REGS = StateOff.FPU,
  FCW = StateOff.FPU + 0x80,
  FSW = StateOff.FPU + 0x84,
  TOP = StateOff.FPU + 0x88,
  TAGV = StateOff.FPU + 0x8c,
  FOP = StateOff.FPU + 0x90,
  FCS = StateOff.FPU + 0x94,
  FIP = StateOff.FPU + 0x98,
  FDP = StateOff.FPU + 0xa0,
  FDS = StateOff.FPU + 0xa8,
  SCRATCH = StateOff.FPU + 0xb0,
  VSCRATCH = StateOff.FPU + 0xc0,
  END = StateOff.FPU + 0xd0,
}

export const fpuRegOff = (phys: number): number => FpuOff.REGS + (phys & 7) * 16;

/** Status-word bits (SDM vol 1 8.1.3). */
export const enum Fsw {
  IE = 1 << 0, DE = 1 << 1, ZE = 1 << 2, OE = 1 << 3, UE = 1 << 4, PE = 1 << 5, SF = 1 << 6, ES = 1 << 7,
  C0 = 1 << 8, C1 = 1 << 9, C2 = 1 << 10, C3 = 1 << 14, B = 1 << 15, TOP_SHIFT = 11,
  CC = C0 | C1 | C2 | C3,
}

export const FCW_INIT = 0x037f;
export const MXCSR_INIT = 0x1f80;
/** MXCSR bits that may be set (FXSAVE's MXCSR_MASK): all 16 low bits, DAZ included. */
export const MXCSR_MASK = 0xffff;

const TWO32 = 4294967296;
const f64buf = new DataView(new ArrayBuffer(8));

/** Multiply by 2^k without intermediate overflow/underflow of the power. */
export function scale2(x: number, k: number): number {
  while (k > 1000) { x *= 2 ** 1000; k -= 1000; }
  while (k < -1000) { x *= 2 ** -1000; k += 1000; }
  return x * 2 ** k;
}

/** The value of an 80-bit image (significand hi:lo, sign+exponent se) as a double. */
export function f80ToNumber(lo: number, hi: number, se: number): number {
  const sign = se & 0x8000 ? -1 : 1;
  const exp = se & 0x7fff;
  lo >>>= 0; hi >>>= 0;
  if (exp === 0x7fff) {
    if ((hi & 0x7fffffff) === 0 && lo === 0) return sign * Infinity;
    // NaN: keep the sign and the top 51 payload bits, quiet bit set
    f64buf.setUint32(0, ((hi << 21) | (lo >>> 11)) >>> 0, true);
    f64buf.setUint32(4, ((se & 0x8000 ? 0x80000000 : 0) | 0x7ff80000 | ((hi >>> 11) & 0xfffff)) >>> 0, true);
    return f64buf.getFloat64(0, true);
  }
  const mant = hi * TWO32 + lo; // correctly rounded to 53 bits by the addition
  if (mant === 0) return sign > 0 ? 0 : -0;
  return sign * scale2(mant, (exp === 0 ? 1 : exp) - 16383 - 63);
}

/** Write the 80-bit image of a double into `out` as [lo, hi, se]. */
export function numberToF80(x: number, out: Int32Array | number[]): void {
  f64buf.setFloat64(0, x, true);
  const wlo = f64buf.getUint32(0, true), whi = f64buf.getUint32(4, true);
  const sign = whi >>> 31 ? 0x8000 : 0;
  const e = (whi >>> 20) & 0x7ff;
  const fhi = whi & 0xfffff;
  if (e === 0x7ff) {
    out[0] = wlo << 11; out[1] = (0x80000000 | (fhi << 11) | (wlo >>> 21)) | 0; out[2] = sign | 0x7fff;
    return;
  }
  if (e === 0 && fhi === 0 && wlo === 0) { out[0] = 0; out[1] = 0; out[2] = sign; return; }
  // normalise: significand with the integer bit at bit 63
  let mhi = (e === 0 ? 0 : 0x100000) | fhi, mlo = wlo, ex = e === 0 ? 1 - 1023 : e - 1023;
  // shift left by 11 so the 53-bit significand fills bits 63..11
  let hi = ((mhi << 11) | (mlo >>> 21)) >>> 0, lo = (mlo << 11) >>> 0;
  while (!(hi & 0x80000000)) { hi = ((hi << 1) | (lo >>> 31)) >>> 0; lo = (lo << 1) >>> 0; ex--; }
  mhi = hi; mlo = lo;
  out[0] = mlo | 0; out[1] = mhi | 0; out[2] = sign | (ex + 16383);
}

/** Tag of an 80-bit image for the full tag word: 0 valid, 1 zero, 2 special. */
export function f80Tag(lo: number, hi: number, se: number): number {
  const exp = se & 0x7fff;
  if (exp === 0x7fff) return 2;
  if (exp === 0) return hi === 0 && lo === 0 ? 1 : 2;
  return hi & 0x80000000 ? 0 : 2; // unnormals are special
}

/**
 * What the MMX/SSE/x87/XSAVE semantics implement, for the CPUID model (cpuid.ts) to advertise.
 * Not implemented, so never to be advertised: AVX and everything VEX/EVEX-encoded, FMA, F16C,
 * AES-NI, PCLMULQDQ, SHA, XSAVES/XRSTORS (IA32_XSS), XGETBV with ECX = 1, and XCR0 bits > 1.
 */
export const SIMD_FEATURES = {
  /** CPUID.1:EDX */ fpu: true, mmx: true, fxsr: true, sse: true, sse2: true,
  /** CPUID.1:ECX */ sse3: true, ssse3: true, sse41: true, sse42: true, xsave: true,
  /** CPUID.(EAX=0DH,ECX=1):EAX */ xsaveopt: true, xsavec: true, xgetbv1: false, xsaves: false,
  avx: false, fma: false, f16c: false, aes: false, pclmulqdq: false,
} as const;

/** XCR0 bits supported: x87 (0) and SSE (1). */
export const XCR0_SUPPORTED = 3;
/** Size of the XSAVE area for x87+SSE: the 512-byte legacy region and the 64-byte header. */
export const XSAVE_SIZE = 576;

/**
 * CPUID leaf 0DH (SDM vol 1 13.2) for these components, as [EAX, EBX, ECX, EDX]. Subleaf 0:
 * supported XCR0 bits, the area size for the components enabled in `xcr0`, the maximum size;
 * subleaf 1: XSAVEOPT and XSAVEC, compacted size; subleaves >= 2: components that do not exist.
 */
export function xsaveCpuidLeaf(subleaf: number, _xcr0: number): [number, number, number, number] {
  if (subleaf === 0) return [XCR0_SUPPORTED, XSAVE_SIZE, XSAVE_SIZE, 0];
  if (subleaf === 1) return [0x3, XSAVE_SIZE, 0, 0];
  return [0, 0, 0, 0];
}
