/**
 * The x87 operations the semantics call as helpers (x87-fpu.ts holds the machine): loads,
 * stores, arithmetic, compares and the unary group (exact, on the soft-float unit; the
 * transcendentals are in x87-trans.ts),
 * control/status words, and the FSTENV/FLDENV/FSAVE/FRSTOR memory images (SDM vol 1 8.1.10,
 * figures 8-9..8-12, protected-mode layouts; FIP/FCS/FOP/FDP/FDS are recorded by the semantics).
 */

import { HelperFlag, IrType } from "../jit/ir/types.js";
import { WasmLayout } from "../memory/wasm-layout.js";
import type { Cpu } from "./cpu.js";
import { Eflag } from "./flags.js";
import { FpuOff, Fsw } from "./fpu-state.js";
import { cpuHelper } from "./helper.js";
import { Access } from "./mmu.js";
import { FFmt, X87, sf } from "./x87-fpu.js";
import { Exc, type Unp } from "./fp/softfloat80.js";
import { bcdToImage, compare, f32ToImage, f64ToImage, int64ToImage, prem, scale, toBcd, toInt, toReal, xtract } from "./fp/softfloat80-ops.js";
import { transcendental } from "./x87-trans.js";

const I32 = IrType.I32;
const fpu = (cpu: Cpu): X87 => new X87(cpu.state);

/** Arithmetic kinds (x87 "op dst, src"). */
export const enum FArith { ADD, SUB, SUBR, MUL, DIV, DIVR }
/** Operand code for "memory operand in the scratch slot". */
export const F_MEM = 8;

const A_IMG = new Int32Array(3), B_IMG = new Int32Array(3), BCD = new Uint8Array(10);

/** Convert the memory operand in the scratch slot (format fmt) to an 80-bit image in `out` (exact; DE for denormals). */
function memImage(cpu: Cpu, fmt: FFmt, out: Int32Array): void {
  const s = cpu.state, o = FpuOff.SCRATCH;
  switch (fmt) {
    case FFmt.F32: f32ToImage(sf, s.get32(o)); break;
    case FFmt.F64: f64ToImage(sf, s.get32(o), s.get32(o + 4)); break;
    case FFmt.F80: sf.setImage(s.get32(o), s.get32(o + 4), s.dv.getUint16(o + 8, true)); break;
    case FFmt.I16: int64ToImage(sf, s.dv.getInt16(o, true), s.dv.getInt16(o, true) >> 16); break;
    case FFmt.I32: int64ToImage(sf, s.get32(o), s.get32(o) >> 31); break;
    case FFmt.I64: int64ToImage(sf, s.get32(o), s.get32(o + 4)); break;
    case FFmt.BCD: for (let i = 0; i < 10; i++) BCD[i] = s.dv.getUint8(o + i); bcdToImage(sf, BCD); break;
  }
  out[0] = sf.lo; out[1] = sf.hi; out[2] = sf.se;
}
const regImage = (f: X87, i: number, out: Int32Array): Int32Array => { out.set(f.image(i)); return out; };
/** Unpack an image array into the soft-float operand slot u. */
const unpackImg = (u: Unp, m: Int32Array): Unp => sf.unpack(u, m[0]!, m[1]!, m[2]!);

/** FLD/FILD/FBLD of the scratch slot: an SNaN loads quieted with IE, a denormal raises DE. */
export const x87Ld = cpuHelper("x87_ld", [I32], null, HelperFlag.NONE, (cpu, fmt) => {
  const f = fpu(cpu);
  f.begin();
  memImage(cpu, fmt as FFmt, A_IMG);
  if ((A_IMG[2]! & 0x7fff) === 0x7fff && (fmt === FFmt.F32 || fmt === FFmt.F64) && !(A_IMG[1]! & 0x40000000) && (A_IMG[1]! & 0x3fffffff | A_IMG[0]!)) {
    sf.exc |= Exc.IE;
    A_IMG[1] = A_IMG[1]! | 0x40000000;
  }
  sf.denormal();
  if (!f.commit(-1, Fsw.IE)) return; // an unmasked DE still loads (as the host does)
  f.pushImage(A_IMG[0]!, A_IMG[1]!, A_IMG[2]!);
});

export const x87LdSt = cpuHelper("x87_ld_sti", [I32], null, HelperFlag.NONE, (cpu, i) => {
  const f = fpu(cpu);
  f.fsw = f.fsw & ~Fsw.C1;
  if (f.isEmpty(i)) { if (f.underflow(-1)) f.pushImage(0, 0xc0000000 | 0, 0xffff); return; }
  const m = f.image(i);
  f.pushImage(m[0]!, m[1]!, m[2]!);
});

/** FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ as exact 80-bit images [lo, hi, se] (rounded to nearest). */
const CONSTS: readonly (readonly [number, number, number])[] = [
  [0, 0x80000000, 0x3fff], [0xcd1b8afe, 0xd49a784b, 0x4000], [0x5c17f0bc, 0xb8aa3b29, 0x3fff],
  [0x2168c235, 0xc90fdaa2, 0x4000], [0xfbcff799, 0x9a209a84, 0x3ffd], [0xd1cf79ac, 0xb17217f7, 0x3ffe], [0, 0, 0],
];
export const x87Const = cpuHelper("x87_const", [I32], null, HelperFlag.NONE, (cpu, k) => {
  const c = CONSTS[k] ?? CONSTS[6]!;
  const f = fpu(cpu);
  f.fsw = f.fsw & ~Fsw.C1;
  f.pushImage(c[0] | 0, c[1] | 0, c[2]);
});

/**
 * FST/FIST/FISTTP/FBSTP m: convert ST(0) into the scratch slot in format `fmt`. Returns 1 when
 * the store must not happen (an unmasked exception: the memory operand and the stack stay as they are).
 */
export const x87St = cpuHelper("x87_st", [I32, I32], I32, HelperFlag.NONE, (cpu, fmt, trunc) => {
  const f = fpu(cpu), s = cpu.state, o = FpuOff.SCRATCH;
  if (f.isEmpty(0)) {
    if (!f.underflow(-1)) return 1;
    sf.begin(f.fcw); sf.indefinite();
    storeImageAs(cpu, fmt as FFmt, trunc !== 0, sf.lo, sf.hi, sf.se);
    return 0;
  }
  const m = regImage(f, 0, A_IMG);
  f.begin();
  if (fmt === FFmt.F80) { s.set32(o, m[0]!); s.set32(o + 4, m[1]!); s.dv.setUint16(o + 8, m[2]!, true); }
  else storeImageAs(cpu, fmt as FFmt, trunc !== 0, m[0]!, m[1]!, m[2]!);
  if (!f.commit(-1)) return 1;
  return sf.exc & ~f.fcw & (Exc.OE | Exc.UE) ? 1 : 0;
});

function storeImageAs(cpu: Cpu, fmt: FFmt, trunc: boolean, lo: number, hi: number, se: number): void {
  const s = cpu.state, o = FpuOff.SCRATCH;
  switch (fmt) {
    case FFmt.F32: s.set32(o, toReal(sf, lo, hi, se, true)); return;
    case FFmt.F64: { const l = toReal(sf, lo, hi, se, false); s.set32(o, l); s.set32(o + 4, sf.hi); return; }
    case FFmt.F80: s.set32(o, lo); s.set32(o + 4, hi); s.dv.setUint16(o + 8, se, true); return;
    case FFmt.BCD: toBcd(sf, lo, hi, se, BCD); for (let i = 0; i < 10; i++) s.dv.setUint8(o + i, BCD[i]!); return;
    default: {
      const bits = fmt === FFmt.I16 ? 16 : fmt === FFmt.I32 ? 32 : 64;
      const l = toInt(sf, lo, hi, se, bits, trunc);
      s.set32(o, l); s.set32(o + 4, sf.hi);
    }
  }
}

export const x87StSt = cpuHelper("x87_st_sti", [I32], null, HelperFlag.NONE, (cpu, i) => {
  const f = fpu(cpu);
  f.fsw = f.fsw & ~Fsw.C1;
  if (f.isEmpty(0)) { f.underflow(i); return; }
  const m = f.image(0);
  f.setImage(i, m[0]!, m[1]!, m[2]!);
});

export const x87Pop = cpuHelper("x87_pop", [], null, HelperFlag.NONE, (cpu) => fpu(cpu).pop());

/**
 * dst = dst op src; operands are ST(i) (0..7) or F_MEM with the format in bits 4..7 of kindFmt;
 * bit 8: pop afterwards (not after an unmasked IE/ZE/DE).
 */
export const x87Arith = cpuHelper("x87_arith", [I32, I32, I32], null, HelperFlag.NONE, (cpu, kindFmt, dst, src) => {
  const f = fpu(cpu);
  const kind = (kindFmt & 15) as FArith, fmt = (kindFmt >> 4) & 15, pop = (kindFmt & 0x100) !== 0;
  if (f.isEmpty(dst) || (src !== F_MEM && f.isEmpty(src))) { if (f.underflow(dst) && pop) f.pop(); return; }
  f.begin();
  const a = regImage(f, dst, A_IMG);
  const b = src === F_MEM ? (memImage(cpu, fmt as FFmt, B_IMG), B_IMG) : regImage(f, src, B_IMG);
  const rev = kind === FArith.SUBR || kind === FArith.DIVR;
  const x = rev ? b : a, y = rev ? a : b;
  switch (kind) {
    case FArith.ADD: sf.add(x[0]!, x[1]!, x[2]!, y[0]!, y[1]!, y[2]!, false); break;
    case FArith.SUB: case FArith.SUBR: sf.add(x[0]!, x[1]!, x[2]!, y[0]!, y[1]!, y[2]!, true); break;
    case FArith.MUL: sf.mul(x[0]!, x[1]!, x[2]!, y[0]!, y[1]!, y[2]!); break;
    default: sf.div(x[0]!, x[1]!, x[2]!, y[0]!, y[1]!, y[2]!); break;
  }
  if (f.commit(dst) && pop) f.pop();
});

/**
 * FCOM/FUCOM/FICOM/FTST: ST(0) against src (ST(i), F_MEM, or 9 = +0.0). modeFmt: bit 0
 * unordered, bits 4..7 the memory format, bits 8..9 how many pops follow.
 */
export const x87Com = cpuHelper("x87_com", [I32, I32], null, HelperFlag.NONE, (cpu, modeFmt, src) => {
  const f = fpu(cpu);
  const pops = (modeFmt >> 8) & 3;
  if (f.isEmpty(0) || (src < 8 && f.isEmpty(src))) {
    if (!f.underflow(-1)) return;
    f.setCc(1, 0, 1, 1);
  } else {
    f.begin();
    const a = unpackImg(sf.a, regImage(f, 0, A_IMG));
    if (src === F_MEM) memImage(cpu, ((modeFmt >> 4) & 15) as FFmt, B_IMG);
    else if (src === 9) B_IMG.fill(0);
    else regImage(f, src, B_IMG);
    const b = unpackImg(sf.b, B_IMG);
    const cc = compare(sf, a, b, (modeFmt & 1) !== 0);
    const ok = f.commit(-1);
    f.fsw = (f.fsw & ~(Fsw.C0 | Fsw.C2 | Fsw.C3)) | cc; // set even with an unmasked IE/DE (as the host does), but no pop
    if (!ok) return;
  }
  for (let i = 0; i < pops; i++) f.pop();
});

/** FCOMI/FUCOMI: returns ZF PF CF (EFLAGS positions); OF SF AF are cleared. bit 1 of mode: pop. */
export const x87Comi = cpuHelper("x87_comi", [I32, I32], I32, HelperFlag.NONE, (cpu, mode, i) => {
  const f = fpu(cpu);
  let cc: number;
  if (f.isEmpty(0) || f.isEmpty(i)) {
    if (!f.underflow(-1)) return Eflag.ZF | Eflag.PF | Eflag.CF;
    cc = 0x4500;
  } else {
    f.begin();
    const a = unpackImg(sf.a, regImage(f, 0, A_IMG));
    const b = unpackImg(sf.b, regImage(f, i, B_IMG));
    cc = compare(sf, a, b, (mode & 1) !== 0);
    if (!f.commit(-1)) mode &= ~2; // no pop after an unmasked exception
  }
  if (mode & 2) f.pop();
  return (cc & Fsw.C3 ? Eflag.ZF : 0) | (cc & Fsw.C2 ? Eflag.PF : 0) | (cc & Fsw.C0 ? Eflag.CF : 0);
});

/** The one-register and stack-shape operations. */
export const enum X87Op {
  CHS, ABS, SQRT, RNDINT, F2XM1, SIN, COS, SINCOS, PTAN, PATAN, YL2X, YL2XP1, SCALE, XTRACT, PREM, PREM1,
  XAM, XCH, FREE, FREEP, INCSTP, DECSTP, INIT, CLEX, CMOV,
}

const SIG = new Int32Array(3);
/** FSQRT, FRNDINT, FSCALE, FPREM, FPREM1, FXTRACT on the soft-float unit. */
function exact(f: X87, op: X87Op): void {
  const two = op === X87Op.SCALE || op === X87Op.PREM || op === X87Op.PREM1;
  if (f.isEmpty(0) || (two && f.isEmpty(1))) {
    if (f.underflow(0) && op === X87Op.XTRACT) f.pushImage(0, 0xc0000000 | 0, 0xffff);
    return;
  }
  f.begin();
  const m = regImage(f, 0, A_IMG);
  switch (op) {
    case X87Op.SQRT: sf.sqrt(m[0]!, m[1]!, m[2]!); f.commit(0); return;
    case X87Op.RNDINT: sf.rndint(m[0]!, m[1]!, m[2]!); f.commit(0); return;
    case X87Op.XTRACT: {
      if (!f.isEmpty(7)) { f.pushImage(0, 0, 0); return; } // stack overflow (masked: ST(0) = indefinite)
      xtract(sf, sf.unpack(sf.a, m[0]!, m[1]!, m[2]!), SIG);
      if (f.commit(0)) f.pushImage(SIG[0]!, SIG[1]!, SIG[2]!);
      return;
    }
    default: {
      const a = sf.unpack(sf.a, m[0]!, m[1]!, m[2]!);
      const b = unpackImg(sf.b, regImage(f, 1, B_IMG));
      if (op === X87Op.SCALE) { scale(sf, a, b); f.commit(0); return; }
      const cc = prem(sf, a, b, op === X87Op.PREM1);
      if (f.commit(0)) f.fsw = (f.fsw & ~Fsw.CC) | cc;
    }
  }
}

export const x87Misc = cpuHelper("x87_misc", [I32, I32], null, HelperFlag.NONE, (cpu, op, arg) => {
  const f = fpu(cpu);
  switch (op as X87Op) {
    case X87Op.CHS: case X87Op.ABS: {
      if (f.isEmpty(0)) { f.underflow(0); return; }
      const m = f.image(0);
      f.setImage(0, m[0]!, m[1]!, op === X87Op.CHS ? m[2]! ^ 0x8000 : m[2]! & 0x7fff);
      f.fsw = f.fsw & ~Fsw.C1;
      return;
    }
    case X87Op.SQRT: case X87Op.RNDINT: case X87Op.SCALE: case X87Op.PREM: case X87Op.PREM1: case X87Op.XTRACT:
      return exact(f, op);
    case X87Op.F2XM1: case X87Op.SIN: case X87Op.COS: case X87Op.SINCOS: case X87Op.PTAN:
    case X87Op.PATAN: case X87Op.YL2X: case X87Op.YL2XP1:
      return transcendental(f, op);
    case X87Op.XAM: return f.examine();
    case X87Op.XCH: {
      const e0 = f.isEmpty(0), ei = f.isEmpty(arg);
      if (e0 || ei) f.invalid(true);
      const a = Int32Array.from(f.image(0)), b = Int32Array.from(f.image(arg));
      if (ei) f.setIndefinite(0); else f.setImage(0, b[0]!, b[1]!, b[2]!);
      if (e0) f.setIndefinite(arg); else f.setImage(arg, a[0]!, a[1]!, a[2]!);
      f.fsw = f.fsw & ~Fsw.C1;
      return;
    }
    case X87Op.FREE: return f.setTagPhys(f.phys(arg), false);
    case X87Op.FREEP: f.setTagPhys(f.phys(arg), false); return f.pop();
    case X87Op.INCSTP: f.top = f.top + 1; f.fsw = f.fsw & ~Fsw.C1; return;
    case X87Op.DECSTP: f.top = f.top - 1; f.fsw = f.fsw & ~Fsw.C1; return;
    case X87Op.INIT: return f.init();
    case X87Op.CLEX: f.fsw = f.fsw & ~0x80ff; return;
    case X87Op.CMOV: {
      if (f.isEmpty(arg)) { f.invalid(true); f.setIndefinite(0); return; }
      const m = f.image(arg);
      return f.setImage(0, m[0]!, m[1]!, m[2]!);
    }
  }
});

/** FLDCW: unmasking a pending exception flag sets ES/B (delivered at the next waiting instruction). */
export const x87Ldcw = cpuHelper("x87_ldcw", [I32], null, HelperFlag.NONE, (cpu, v) => {
  cpu.state.set32(FpuOff.FCW, (v & 0x1f3f) | 0x40);
  fpu(cpu).syncSummary();
});
export const x87Stsw = cpuHelper("x87_stsw", [], I32, HelperFlag.NONE, (cpu) => fpu(cpu).statusWord());

/** Guest buffer for memory images (FSAVE, FXSAVE, XSAVE): the helper scratch area. */
export const IMAGE_BUF = WasmLayout.SCRATCH_BASE + 0x1000;

/**
 * FNSTENV/FLDENV/FNSAVE/FRSTOR: op 0 stenv, 1 ldenv, 2 save, 3 rstor; `size16` selects the
 * 16-bit image (14-byte environment) instead of the 32-bit one (28 bytes).
 */
export const x87Env = cpuHelper("x87_env", [I32, I32, I32, I32, I32], null, HelperFlag.CAN_FAULT, (cpu, op, lo, hi, size16, mmuIdx) => {
  const f = fpu(cpu);
  const gva = hi * 4294967296 + (lo >>> 0);
  const w = size16 ? 2 : 4, envBytes = 7 * w;
  const n = envBytes + (op >= 2 ? 80 : 0);
  const dv = cpu.softmmu.view;
  const load = op === 1 || op === 3;
  if (!cpu.softmmu.access(gva, n, Access.READ, mmuIdx, IMAGE_BUF)) return;
  if (load) {
    const fld = (k: number): number => (w === 2 ? dv.getUint16(IMAGE_BUF + k * 2, true) : dv.getUint32(IMAGE_BUF + k * 4, true));
    cpu.state.set32(FpuOff.FCW, (fld(0) & 0x1f3f) | 0x40);
    const sw = fld(1);
    f.fsw = sw;
    f.top = (sw >> 11) & 7;
    f.setFullTag(fld(2) & 0xffff);
    cpu.state.set64(FpuOff.FIP, fld(3) | 0, 0);
    cpu.state.set32(FpuOff.FCS, fld(4) & 0xffff);
    cpu.state.set32(FpuOff.FOP, w === 4 ? (fld(4) >>> 16) & 0x7ff : 0);
    cpu.state.set64(FpuOff.FDP, fld(5) | 0, 0);
    cpu.state.set32(FpuOff.FDS, fld(6) & 0xffff);
    if (op === 3) {
      for (let i = 0; i < 8; i++) {
        const o = IMAGE_BUF + envBytes + i * 10;
        const p = f.phys(i), valid = !f.isEmpty(i);
        f.setImage(i, dv.getInt32(o, true), dv.getInt32(o + 4, true), dv.getUint16(o + 8, true));
        f.setTagPhys(p, valid);
      }
    }
    return;
  }
  const put = (k: number, v: number): void => { if (w === 2) dv.setUint16(IMAGE_BUF + k * 2, v & 0xffff, true); else dv.setUint32(IMAGE_BUF + k * 4, v >>> 0, true); };
  put(0, f.fcw | (w === 4 ? 0xffff0000 : 0));
  put(1, f.statusWord() | (w === 4 ? 0xffff0000 : 0));
  put(2, f.fullTag() | (w === 4 ? 0xffff0000 : 0));
  // protected-mode layout: FIP, FOP:FCS (FOP only in the 32-bit image), FDP, FDS
  const st = cpu.state;
  put(3, st.get32(FpuOff.FIP));
  put(4, (st.get32(FpuOff.FCS) & 0xffff) | (w === 4 ? (st.get32(FpuOff.FOP) & 0x7ff) << 16 : 0));
  put(5, st.get32(FpuOff.FDP));
  put(6, (st.get32(FpuOff.FDS) & 0xffff) | (w === 4 ? 0xffff0000 : 0));
  if (op === 2) {
    for (let i = 0; i < 8; i++) {
      const m = f.image(i), o = IMAGE_BUF + envBytes + i * 10;
      dv.setInt32(o, m[0]!, true); dv.setInt32(o + 4, m[1]!, true); dv.setUint16(o + 8, m[2]!, true);
    }
  }
  if (!cpu.softmmu.access(gva, n, Access.WRITE, mmuIdx, IMAGE_BUF)) return;
  if (op === 0) cpu.state.set32(FpuOff.FCW, f.fcw | 0x3f);
  if (op === 2) f.init();
});
