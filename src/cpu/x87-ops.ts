/**
 * The x87 operations the semantics call as helpers (x87-fpu.ts holds the machine): loads,
 * stores, arithmetic, compares, the unary and transcendental group (JS Math, SDM vol 1 8.3),
 * control/status words, and the FSTENV/FLDENV/FSAVE/FRSTOR memory images (SDM vol 1 8.1.10,
 * figures 8-9..8-12; FIP/FDP/FOP are not tracked and are stored as 0).
 */

import { HelperFlag, IrType } from "../jit/ir/types.js";
import { WasmLayout } from "../memory/wasm-layout.js";
import type { Cpu } from "./cpu.js";
import { Eflag } from "./flags.js";
import { FpuOff, Fsw } from "./fpu-state.js";
import { cpuHelper } from "./helper.js";
import { Access } from "./mmu.js";
import { FFmt, X87 } from "./x87-fpu.js";

const I32 = IrType.I32;
const fpu = (cpu: Cpu): X87 => new X87(cpu.state);

/** Arithmetic kinds (x87 "op dst, src"). */
export const enum FArith { ADD, SUB, SUBR, MUL, DIV, DIVR }
/** Operand code for "memory operand in the scratch slot". */
export const F_MEM = 8;

export const x87Ld = cpuHelper("x87_ld", [I32], null, HelperFlag.NONE, (cpu, fmt) => {
  const f = fpu(cpu);
  if (fmt === FFmt.F80) {
    const s = cpu.state;
    return f.pushImage(s.get32(FpuOff.SCRATCH), s.get32(FpuOff.SCRATCH + 4), s.dv.getUint16(FpuOff.SCRATCH + 8, true));
  }
  if (fmt === FFmt.I64) return f.pushInt64(cpu.state.get32(FpuOff.SCRATCH), cpu.state.get32(FpuOff.SCRATCH + 4));
  const x = f.readScratch(fmt as FFmt);
  if (fmt === FFmt.F32 || fmt === FFmt.F64) {
    // keep NaN payloads: convert the bits, not the JS number
    if (Number.isNaN(x)) return pushNaNBits(cpu, f, fmt);
  }
  f.push(x);
});

function pushNaNBits(cpu: Cpu, f: X87, fmt: FFmt): void {
  const m = nanImage(cpu, fmt);
  if (!((m[1]! >>> 30) & 1)) f.invalid(); // SNaN: invalid, loaded quieted
  f.pushImage(m[0]!, m[1]! | 0x40000000, m[2]!);
}

export const x87LdSt = cpuHelper("x87_ld_sti", [I32], null, HelperFlag.NONE, (cpu, i) => {
  const f = fpu(cpu);
  if (f.isEmpty(i)) { f.invalid(true); f.top = f.top - 1; f.setIndefinite(0); return; }
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
  fpu(cpu).pushImage(c[0] | 0, c[1] | 0, c[2]);
});

export const x87St = cpuHelper("x87_st", [I32, I32], null, HelperFlag.NONE, (cpu, fmt, trunc) => fpu(cpu).storeScratch(fmt as FFmt, trunc !== 0));

export const x87StSt = cpuHelper("x87_st_sti", [I32], null, HelperFlag.NONE, (cpu, i) => {
  const f = fpu(cpu);
  if (f.isEmpty(0)) { f.invalid(true); f.setIndefinite(i); return; }
  const m = f.image(0);
  f.setImage(i, m[0]!, m[1]!, m[2]!);
});

export const x87Pop = cpuHelper("x87_pop", [], null, HelperFlag.NONE, (cpu) => fpu(cpu).pop());

/** 80-bit image of an f32/f64 NaN in the scratch slot (payload kept, quiet bit as stored). */
function nanImage(cpu: Cpu, fmt: FFmt): Int32Array {
  const s = cpu.state, o = FpuOff.SCRATCH;
  if (fmt === FFmt.F32) {
    const w = s.get32(o);
    return Int32Array.of(0, 0x80000000 | ((w & 0x7fffff) << 8), ((w >>> 31) << 15) | 0x7fff);
  }
  const w0 = s.get32(o), w1 = s.get32(o + 4);
  return Int32Array.of(w0 << 11, 0x80000000 | ((w1 & 0xfffff) << 11) | (w0 >>> 21), ((w1 >>> 31) << 15) | 0x7fff);
}

const operandImage = (f: X87, cpu: Cpu, code: number, fmt: number): Int32Array | null => {
  if (code !== F_MEM) return f.isEmpty(code) ? null : f.image(code, new Int32Array(3));
  const s = cpu.state, o = FpuOff.SCRATCH;
  if (fmt === FFmt.F32 || fmt === FFmt.F64) return Number.isNaN(f.readScratch(fmt)) ? nanImage(cpu, fmt) : null;
  if (fmt !== FFmt.F80) return null;
  return Int32Array.of(s.get32(o), s.get32(o + 4), s.dv.getUint16(o + 8, true));
};

/** dst = dst op src; operands are ST(i) (0..7) or F_MEM with the format in kindFmt >> 4. */
export const x87Arith = cpuHelper("x87_arith", [I32, I32, I32], null, HelperFlag.NONE, (cpu, kindFmt, dst, src) => {
  const f = fpu(cpu);
  const kind = kindFmt & 15, fmt = kindFmt >> 4;
  const a = f.get(dst);
  const b = src === F_MEM ? f.readScratch(fmt as FFmt) : f.get(src);
  if (f.nanResult(dst, operandImage(f, cpu, dst, 0), operandImage(f, cpu, src, fmt))) return;
  let r: number;
  switch (kind as FArith) {
    case FArith.ADD: r = a + b; break;
    case FArith.SUB: r = a - b; break;
    case FArith.SUBR: r = b - a; break;
    case FArith.MUL: r = a * b; break;
    case FArith.DIV: r = a / b; if (b === 0 && Number.isFinite(a) && a !== 0) f.flag(Fsw.ZE); break;
    default: r = b / a; if (a === 0 && Number.isFinite(b) && b !== 0) f.flag(Fsw.ZE); break;
  }
  if (Number.isNaN(r) && !Number.isNaN(a) && !Number.isNaN(b)) f.invalid();
  f.set(dst, r);
});

/** FCOM/FUCOM/FICOM/FTST: ST(0) against src (ST(i), F_MEM, or 9 = +0.0); bit 0 of mode: unordered. */
export const x87Com = cpuHelper("x87_com", [I32, I32], null, HelperFlag.NONE, (cpu, modeFmt, src) => {
  const f = fpu(cpu);
  const a = f.get(0);
  const b = src === F_MEM ? f.readScratch((modeFmt >> 4) as FFmt) : src === 9 ? 0 : f.get(src);
  f.compare(a, b, (modeFmt & 1) !== 0, false);
});

/** FCOMI/FUCOMI: returns ZF PF CF (EFLAGS positions); OF SF AF are cleared. */
export const x87Comi = cpuHelper("x87_comi", [I32, I32], I32, HelperFlag.NONE, (cpu, unordered, i) => {
  const f = fpu(cpu);
  const a = f.get(0), b = f.get(i);
  f.fsw = f.fsw & ~Fsw.C1;
  if (Number.isNaN(a) || Number.isNaN(b)) {
    if (!unordered) f.invalid();
    return Eflag.ZF | Eflag.PF | Eflag.CF;
  }
  return a < b ? Eflag.CF : a === b ? Eflag.ZF : 0;
});

/** The one-register and stack-shape operations. */
export const enum X87Op {
  CHS, ABS, SQRT, RNDINT, F2XM1, SIN, COS, SINCOS, PTAN, PATAN, YL2X, YL2XP1, SCALE, XTRACT, PREM, PREM1,
  TST, XAM, XCH, FREE, FREEP, INCSTP, DECSTP, INIT, CLEX, CMOV,
}

function unary(f: X87, op: X87Op): void {
  const x = f.get(0);
  if (f.nanResult(0, f.isEmpty(0) ? null : f.image(0, new Int32Array(3)), null)) return;
  const trig = (fn: (v: number) => number): void => {
    if (Math.abs(x) >= 2 ** 63) { f.setCc(0, 0, 1, 0); return; }
    f.setCc(0, 0, 0, 0);
    f.set(0, fn(x));
  };
  const checked = (r: number): void => { if (Number.isNaN(r) && !Number.isNaN(x)) f.invalid(); f.set(0, r); };
  switch (op) {
    case X87Op.SQRT: return checked(Math.sqrt(x));
    case X87Op.RNDINT: return f.set(0, f.round(x));
    case X87Op.F2XM1: return f.set(0, x === 0 ? x : Math.expm1(x * Math.LN2));
    case X87Op.SIN: return trig(Math.sin);
    case X87Op.COS: return trig(Math.cos);
    case X87Op.PTAN:
      if (Math.abs(x) >= 2 ** 63) return f.setCc(0, 0, 1, 0);
      f.setCc(0, 0, 0, 0); f.set(0, Math.tan(x)); return f.push(1);
    case X87Op.SINCOS:
      if (Math.abs(x) >= 2 ** 63) return f.setCc(0, 0, 1, 0);
      f.setCc(0, 0, 0, 0); f.set(0, Math.sin(x)); return f.push(Math.cos(x));
    default: break;
  }
}

function twoOperand(f: X87, op: X87Op): void {
  const x = f.get(0), y = f.get(1);
  if (f.nanResult(op === X87Op.SCALE || op === X87Op.PREM || op === X87Op.PREM1 ? 0 : 1, f.isEmpty(0) ? null : f.image(0, new Int32Array(3)), f.isEmpty(1) ? null : f.image(1, new Int32Array(3)))) {
    if (op === X87Op.PATAN || op === X87Op.YL2X || op === X87Op.YL2XP1) f.pop();
    return;
  }
  switch (op) {
    case X87Op.PATAN: f.set(1, Math.atan2(y, x)); return f.pop();
    case X87Op.YL2X: {
      if (x === 0 && y !== 0 && Number.isFinite(y)) f.flag(Fsw.ZE);
      const r = y * Math.log2(x);
      if (Number.isNaN(r)) f.invalid();
      f.set(1, r); return f.pop();
    }
    case X87Op.YL2XP1: f.set(1, y * (Math.log1p(x) / Math.LN2)); return f.pop();
    case X87Op.SCALE: {
      const n = Math.trunc(y);
      f.set(0, Number.isFinite(n) ? x * 2 ** Math.max(-2200, Math.min(2200, n)) : n > 0 ? x * Infinity : x * 0);
      return;
    }
    default: {
      // FPREM (truncating quotient) / FPREM1 (round-to-nearest-even quotient); complete reduction
      if (!Number.isFinite(x) || y === 0) { f.invalid(); f.setIndefinite(0); return; }
      if (!Number.isFinite(y)) { f.setCc(0, 0, 0, 0); return; }
      let r = x % y;
      let q = Math.trunc((x - r) / y);
      if (op === X87Op.PREM1) {
        const ay = Math.abs(y), ar = Math.abs(r);
        if (ar > ay / 2 || (ar === ay / 2 && Math.abs(q) % 2 === 1)) { r -= Math.sign(r) * ay; q += Math.sign(x) * Math.sign(y); }
      }
      const qa = Math.abs(q) % 8;
      f.setCc((qa >> 2) & 1, qa & 1, 0, (qa >> 1) & 1);
      f.set(0, r === 0 ? (x < 0 || Object.is(x, -0) ? -0 : 0) : r);
    }
  }
}

export const x87Misc = cpuHelper("x87_misc", [I32, I32], null, HelperFlag.NONE, (cpu, op, arg) => {
  const f = fpu(cpu);
  switch (op as X87Op) {
    case X87Op.CHS: case X87Op.ABS: {
      if (f.isEmpty(0)) { f.invalid(true); f.setIndefinite(0); return; }
      const m = f.image(0);
      f.setImage(0, m[0]!, m[1]!, op === X87Op.CHS ? m[2]! ^ 0x8000 : m[2]! & 0x7fff);
      f.fsw = f.fsw & ~Fsw.C1;
      return;
    }
    case X87Op.SQRT: case X87Op.RNDINT: case X87Op.F2XM1: case X87Op.SIN: case X87Op.COS: case X87Op.SINCOS: case X87Op.PTAN:
      return unary(f, op);
    case X87Op.PATAN: case X87Op.YL2X: case X87Op.YL2XP1: case X87Op.SCALE: case X87Op.PREM: case X87Op.PREM1:
      return twoOperand(f, op);
    case X87Op.XTRACT: {
      const x = f.get(0);
      if (x === 0) { f.flag(Fsw.ZE); f.set(0, -Infinity); return f.push(x); }
      if (Number.isNaN(x)) {
        if (f.isEmpty(0)) return f.push(NaN);
        const n = Int32Array.from(f.image(0));
        if (!((n[1]! >>> 30) & 1)) f.invalid();
        f.setImage(0, n[0]!, n[1]! | 0x40000000, n[2]!);
        return f.pushImage(n[0]!, n[1]! | 0x40000000, n[2]!);
      }
      if (!Number.isFinite(x)) { f.set(0, Infinity); return f.push(x); }
      const m = Int32Array.from(f.image(0));
      const e = (m[2]! & 0x7fff) - 16383;
      f.set(0, e);
      return f.pushImage(m[0]!, m[1]!, (m[2]! & 0x8000) | 16383);
    }
    case X87Op.TST: return f.compare(f.get(0), 0, false, false);
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

export const x87Ldcw = cpuHelper("x87_ldcw", [I32], null, HelperFlag.NONE, (cpu, v) => {
  cpu.state.set32(FpuOff.FCW, (v & 0x1f3f) | 0x40);
  // Arithmetic is always double precision (fpu-state.ts); single precision control is not honoured.
  if (((v >> 8) & 3) === 0) cpu.log.unimp("x87 single precision control (computed in double)", "x87-pc");
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
  for (let k = 3; k < 7; k++) put(k, 0);
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
